#pragma once

// The changelog sink over a Kafka producer (core/ports/changelog_sink.hpp): one record per changed
// category in a compacted topic, key = the category text.

#include "core/ports/changelog_sink.hpp"

#include <librdkafka/rdkafkacpp.h>

#include <atomic>
#include <memory>

namespace kstream {

class kafka_changelog_sink : public changelog_sink, public RdKafka::DeliveryReportCb {
public:
  explicit kafka_changelog_sink(std::string topic);
  /// Takes the producer, created with this object as its dr_cb.
  void start(std::unique_ptr<RdKafka::Producer> producer);

  bool publish(const std::string& key, const std::string& value, std::string& error) override;
  void poll() override;
  bool flush(std::chrono::milliseconds timeout) override;
  std::uint64_t delivered() const override;
  std::uint64_t failed() const override;
  std::string destination() const override;

  void dr_cb(RdKafka::Message& message) override;

private:
  std::string topic_;
  std::unique_ptr<RdKafka::Producer> producer_;
  std::atomic<std::uint64_t> delivered_{0};
  std::atomic<std::uint64_t> failed_{0};
};

} // namespace kstream
