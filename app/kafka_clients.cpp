#include "app/kafka_clients.hpp"

#include <caf/sec.hpp>

namespace kstream {

namespace {

caf::error failure(std::string what) {
  return caf::make_error(caf::sec::runtime_error, std::move(what));
}

} // namespace

caf::expected<std::unique_ptr<RdKafka::Conf>> make_rdkafka_conf(const property_list& defaults,
                                                                const property_list& overrides) {
  std::unique_ptr<RdKafka::Conf> conf{RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL)};
  std::string err;
  for (const auto* list : {&defaults, &overrides})
    for (const auto& [name, value] : *list)
      if (conf->set(name, value, err) != RdKafka::Conf::CONF_OK)
        return failure("librdkafka property " + name + "=" + value + ": " + err);
  return conf;
}

caf::expected<std::unique_ptr<RdKafka::KafkaConsumer>>
make_job_consumer(const job_settings& settings, RdKafka::RebalanceCb* rebalance_cb) {
  property_list defaults = {
    {"bootstrap.servers", settings.bootstrap_servers},
    {"group.id", settings.group_id},
    {"client.id", "kstream-app-consumer"},
    // Offsets are committed by the job: in the transaction (exactly_once) or after
    // delivery acks (at_least_once), never on a timer behind its back.
    {"enable.auto.commit", "false"},
    {"enable.auto.offset.store", "false"},
    {"auto.offset.reset", "earliest"},
    {"enable.partition.eof", "true"},
    // A crashed instance's partitions move on after 10 s instead of Kafka's 45 s default.
    {"session.timeout.ms", "10000"},
    {"heartbeat.interval.ms", "2000"},
    {"isolation.level", "read_committed"},
    // Bounds librdkafka's prefetch so that memory stays small however large the backlog. Small,
    // because a paused partition's prefetch is thrown away and fetched again on resume; a
    // prefetch that fills up stops librdkafka 2.0.2's fetcher for up to a second, which
    // kafka_record_source undoes (see wake_starved_fetchers).
    {"queued.max.messages.kbytes", "2048"},
    {"fetch.max.bytes", "16777216"},
  };
  if (!settings.group_instance_id.empty())
    defaults.emplace_back("group.instance.id", settings.group_instance_id);
  auto conf = make_rdkafka_conf(defaults, settings.extra_properties);
  if (!conf)
    return conf.error();
  std::string err;
  if (rebalance_cb != nullptr && (*conf)->set("rebalance_cb", rebalance_cb, err) != RdKafka::Conf::CONF_OK)
    return failure("rebalance callback: " + err);
  std::unique_ptr<RdKafka::KafkaConsumer> consumer{RdKafka::KafkaConsumer::create(conf->get(), err)};
  if (!consumer)
    return failure("cannot create the Kafka consumer: " + err);
  return consumer;
}

caf::expected<std::unique_ptr<RdKafka::Producer>> make_job_producer(const job_settings& settings,
                                                                    RdKafka::DeliveryReportCb* delivery_cb) {
  property_list defaults = {
    {"bootstrap.servers", settings.bootstrap_servers},
    {"client.id", "kstream-app-producer"},
    // Idempotence keeps per-partition order and drops retried duplicates.
    {"enable.idempotence", "true"},
    {"acks", "all"},
    // librdkafka 2.0.2's idempotent producer sends one request per partition at a time and,
    // once the next batch has waited linger.ms, its broker thread spins until the response is
    // in (up to a core). Under exactly_once the records become visible only when the
    // transaction commits, and the commit flushes, so a long linger costs no latency there.
    {"linger.ms", settings.guarantee == delivery_guarantee::exactly_once ? "200" : "5"},
    {"batch.num.messages", "10000"},
    {"queue.buffering.max.kbytes", "65536"},
  };
  if (settings.guarantee == delivery_guarantee::exactly_once) {
    defaults.emplace_back("transactional.id", settings.transactional_id);
    defaults.emplace_back("transaction.timeout.ms", "60000");
  }
  auto conf = make_rdkafka_conf(defaults, settings.extra_properties);
  if (!conf)
    return conf.error();
  std::string err;
  if ((*conf)->set("dr_cb", delivery_cb, err) != RdKafka::Conf::CONF_OK)
    return failure("delivery callback: " + err);
  std::unique_ptr<RdKafka::Producer> producer{RdKafka::Producer::create(conf->get(), err)};
  if (!producer)
    return failure("cannot create the Kafka producer: " + err);
  return producer;
}

caf::expected<int> partition_count(RdKafka::Handle& client, const std::string& topic, int timeout_ms) {
  std::string err;
  std::unique_ptr<RdKafka::Topic> handle{RdKafka::Topic::create(&client, topic, nullptr, err)};
  if (!handle)
    return failure("topic " + topic + ": " + err);
  RdKafka::Metadata* raw = nullptr;
  auto code = client.metadata(false, handle.get(), &raw, timeout_ms);
  std::unique_ptr<RdKafka::Metadata> metadata{raw};
  if (code != RdKafka::ERR_NO_ERROR)
    return failure("cannot read metadata of topic " + topic + " (is the broker reachable?): " + RdKafka::err2str(code));
  for (const auto* info : *metadata->topics()) {
    if (info->topic() != topic)
      continue;
    if (info->err() == RdKafka::ERR_UNKNOWN_TOPIC_OR_PART)
      return failure("topic " + topic + " does not exist; create it (scripts/kafka-admin.py create " + topic
                     + ":3) or set the topic option");
    if (info->err() != RdKafka::ERR_NO_ERROR)
      return failure("topic " + topic + ": " + RdKafka::err2str(info->err()));
    return static_cast<int>(info->partitions()->size());
  }
  return failure("topic " + topic + " is not in the broker's metadata");
}

} // namespace kstream
