// Whether the cluster answers, for /readyz (adapters/kafka_broker_watch.hpp).
#include "adapters/kafka_broker_watch.hpp"

#include "adapters/kafka_clients.hpp"
#include "messages/errors.hpp"

namespace kstream {

namespace {

constexpr auto answer_lifetime = std::chrono::seconds(1);
constexpr int metadata_timeout_ms = 500;

} // namespace

caf::expected<std::unique_ptr<kafka_broker_watch>> kafka_broker_watch::create(const kafka_settings& settings) {
  auto conf = make_rdkafka_conf({{"bootstrap.servers", settings.bootstrap_servers},
                                 {"client.id", "kstream-app-readiness"}},
                                settings.extra_properties);
  if (!conf)
    return conf.error();
  std::string err;
  std::unique_ptr<RdKafka::Producer> client{RdKafka::Producer::create(conf->get(), err)};
  if (!client)
    return make_error(job_error::kafka_setup, "cannot create the readiness client: " + err);
  return std::unique_ptr<kafka_broker_watch>{new kafka_broker_watch(std::move(client))};
}

kafka_broker_watch::kafka_broker_watch(std::unique_ptr<RdKafka::Producer> client) : client_(std::move(client)) {
}

bool kafka_broker_watch::reachable() {
  std::lock_guard<std::mutex> guard{mutex_};
  const auto now = std::chrono::steady_clock::now();
  if (now - checked_at_ < answer_lifetime)
    return reachable_;
  RdKafka::Metadata* raw = nullptr;
  reachable_ = client_->metadata(false, nullptr, &raw, metadata_timeout_ms) == RdKafka::ERR_NO_ERROR;
  delete raw;
  checked_at_ = std::chrono::steady_clock::now();
  return reachable_;
}

} // namespace kstream
