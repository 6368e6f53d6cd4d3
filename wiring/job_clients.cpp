// The stream job's Kafka clients (wiring/job_clients.hpp).
#include "wiring/job_clients.hpp"

#include "adapters/kafka_clients.hpp"
#include "domain/expedia_json.hpp"
#include "messages/errors.hpp"

#include <spdlog/spdlog.h>

#include <utility>

namespace kstream {

namespace {

constexpr int startup_timeout_ms = 15000;

/// The three topics' partition counts and the two output topics' max.message.bytes, read
/// through the consumer's connection before the producer exists: the producer's
/// message.max.bytes follows the topics' own limit.
caf::expected<sink_topics> read_topics(RdKafka::KafkaConsumer& consumer, const job_settings& settings) {
  sink_topics topics{settings.input_topic, settings.output_topic, settings.dlq_topic};
  for (auto [topic, count] : {std::pair{&settings.input_topic, &topics.input_partitions},
                              std::pair{&settings.output_topic, &topics.output_partitions},
                              std::pair{&settings.dlq_topic, &topics.dlq_partitions}}) {
    auto partitions = partition_count(consumer, *topic, startup_timeout_ms);
    if (!partitions)
      return make_error(job_error::kafka_setup, describe_error(partitions.error())
                                                  + " (bootstrap servers: " + settings.bootstrap_servers + ")");
    *count = *partitions;
  }
  for (auto [topic, limit] : {std::pair{&settings.output_topic, &topics.output_budget.limit},
                              std::pair{&settings.dlq_topic, &topics.dlq_budget.limit}}) {
    auto bytes = topic_max_message_bytes(consumer, *topic, startup_timeout_ms);
    if (!bytes)
      return bytes.error();
    *limit = *bytes;
  }
  if (topics.output_partitions != topics.input_partitions)
    spdlog::warn("{} has {} partitions, {} has {}: output partitions follow the key, not the input partition",
                 settings.output_topic, topics.output_partitions, settings.input_topic, topics.input_partitions);
  return topics;
}

/// The topics as read_topics reads them, through a metadata client that is closed again.
caf::expected<sink_topics> read_topics_once(const job_settings& settings, client_events& events) {
  auto probe = make_metadata_consumer(settings, &events);
  if (!probe)
    return probe.error();
  return read_through_metadata_consumer(**probe, events, settings.bootstrap_servers, startup_timeout_ms,
                                        [&](RdKafka::KafkaConsumer& client) { return read_topics(client, settings); });
}

/// The producer, within the topics' limits, its transactions initialised (exactly_once).
caf::error start_sink(kafka_record_sink& sink, const sink_topics& topics, const job_settings& settings) {
  const auto limits = producer_limits_for(topics.output_budget, topics.dlq_budget);
  spdlog::info("producer: records up to {} bytes (each within its own topic's limit), batches up to {} bytes "
               "({} max.message.bytes {}, {} {})",
               limits.max_message_bytes, limits.max_batch_bytes, settings.output_topic, topics.output_budget.limit,
               settings.dlq_topic, topics.dlq_budget.limit);
  auto producer = make_job_producer(settings, settings, limits, &sink, &sink);
  if (!producer)
    return producer.error();
  if (auto err = sink.start(std::move(*producer), settings.guarantee == delivery_guarantee::exactly_once,
                            startup_timeout_ms * 2))
    return make_error(job_error::kafka_setup,
                      describe_error(err) + " (transactional.id " + settings.transactional_id + ")");
  return caf::none;
}

} // namespace

caf::expected<job_clients> connect_job_clients(const job_settings& settings, metrics_registry& metrics) {
  job_clients clients;
  // Headroom: the classifier appends the two stay members to each value in place.
  clients.source = std::make_shared<kafka_record_source>(settings.input_topic, domain::enrichment_reserve);
  // The consumer's prefetch follows the input's partition count, which librdkafka takes only
  // when the client is made: a metadata client reads the topics first.
  auto topics = read_topics_once(settings, clients.source->events());
  if (!topics)
    return topics.error();
  const auto prefetch = prefetch_for(settings.max_in_flight_bytes, topics->input_partitions);
  spdlog::info("consumer: prefetch up to {} KiB queued, fetch responses up to {} bytes ({} per partition of {})",
               prefetch.queued_kbytes, prefetch.fetch_bytes, prefetch.partition_fetch_bytes, topics->input_partitions);
  auto consumer = make_job_consumer(settings, clients.source.get(), prefetch, &clients.source->events());
  if (!consumer)
    return consumer.error();
  clients.output_budget = topics->output_budget;
  clients.sink = std::make_shared<kafka_record_sink>(*topics, &metrics.output_reachable);
  if (auto err = start_sink(*clients.sink, *topics, settings))
    return err;
  if (auto err = clients.source->start(std::move(*consumer)))
    return err;
  auto watch = kafka_broker_watch::create(settings);
  if (!watch)
    return watch.error();
  clients.watch = std::move(*watch);
  return clients;
}

} // namespace kstream
