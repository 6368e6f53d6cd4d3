// The changelog sink over a Kafka producer (adapters/kafka_changelog_sink.hpp).
#include "adapters/kafka_changelog_sink.hpp"

#include <spdlog/spdlog.h>

namespace kstream {

kafka_changelog_sink::kafka_changelog_sink(std::string topic) : topic_(std::move(topic)) {
}

void kafka_changelog_sink::start(std::unique_ptr<RdKafka::Producer> producer) {
  producer_ = std::move(producer);
}

bool kafka_changelog_sink::publish(const std::string& key, const std::string& value, std::string& error) {
  auto code = producer_->produce(topic_, RdKafka::Topic::PARTITION_UA, RdKafka::Producer::RK_MSG_COPY,
                                 const_cast<char*>(value.data()), value.size(), key.data(), key.size(), 0, nullptr);
  if (code == RdKafka::ERR_NO_ERROR)
    return true;
  error = RdKafka::err2str(code);
  return false;
}

void kafka_changelog_sink::poll() {
  producer_->poll(0);
}

bool kafka_changelog_sink::flush(std::chrono::milliseconds timeout) {
  auto code = producer_->flush(static_cast<int>(timeout.count()));
  if (code != RdKafka::ERR_NO_ERROR)
    spdlog::warn("stats publisher: {} changelog records not acknowledged within {} ms ({})", producer_->outq_len(),
                 timeout.count(), RdKafka::err2str(code));
  return code == RdKafka::ERR_NO_ERROR;
}

std::uint64_t kafka_changelog_sink::delivered() const {
  return delivered_.load();
}

std::uint64_t kafka_changelog_sink::failed() const {
  return failed_.load();
}

std::string kafka_changelog_sink::destination() const {
  return topic_;
}

void kafka_changelog_sink::dr_cb(RdKafka::Message& message) {
  if (message.err() == RdKafka::ERR_NO_ERROR) {
    delivered_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  failed_.fetch_add(1, std::memory_order_relaxed);
  spdlog::warn("stats publisher: a changelog record to {} failed: {}", topic_, message.errstr());
}

} // namespace kstream
