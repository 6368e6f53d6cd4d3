// kstream-app: reads `expedia`, adds stay_duration and stay_category to every record,
// writes `expedia_ext` (and records that cannot be processed to `expedia_dlq`).
//
//   consumer (detached, reads through a kafka_record_source)
//     -> per partition: parser -> classifier
//     -> producer (detached, writes through a kafka_record_sink, owns the transactions)
//     -> credit back to the consumer; rewinds of failed partitions too

#include "actors/classifier.hpp"
#include "actors/consumer.hpp"
#include "actors/parser.hpp"
#include "actors/producer.hpp"
#include "actors/progress_reporter.hpp"
#include "adapters/kafka_broker_watch.hpp"
#include "adapters/kafka_clients.hpp"
#include "adapters/kafka_record_sink.hpp"
#include "adapters/kafka_record_source.hpp"
#include "adapters/prometheus.hpp"
#include "app/config.hpp"
#include "app/service.hpp"
#include "domain/expedia_json.hpp"

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include <malloc.h>

#include <cstdlib>
#include <optional>

namespace {

using namespace kstream;

constexpr int startup_timeout_ms = 15000;

/// The Kafka clients, checked against the broker before any actor runs.
struct job_clients {
  std::shared_ptr<kafka_record_source> source;
  std::shared_ptr<kafka_record_sink> sink;
  std::shared_ptr<kafka_broker_watch> watch; // for /readyz
  domain::record_size_budget output_budget; // what the classifier lets through to the output topic
};

caf::expected<job_clients> connect(const job_settings& settings, metrics_registry& metrics) {
  job_clients clients;
  // Headroom: the classifier appends the two stay members to each value in place.
  clients.source = std::make_shared<kafka_record_source>(settings.input_topic, domain::enrichment_reserve);
  auto consumer = make_job_consumer(settings, clients.source.get(), settings.max_in_flight_bytes,
                                    &clients.source->events());
  if (!consumer)
    return consumer.error();
  // The topics, read through the consumer's connection before the producer exists: the
  // producer's message.max.bytes follows the topics' own limit.
  if (auto err = await_broker(**consumer, clients.source->events(), settings.bootstrap_servers, startup_timeout_ms))
    return err;
  sink_topics topics{settings.input_topic, settings.output_topic, settings.dlq_topic};
  for (auto [topic, count] : {std::pair{&settings.input_topic, &topics.input_partitions},
                              std::pair{&settings.output_topic, &topics.output_partitions},
                              std::pair{&settings.dlq_topic, &topics.dlq_partitions}}) {
    auto partitions = partition_count(**consumer, *topic, startup_timeout_ms);
    if (!partitions)
      return make_error(job_error::kafka_setup, describe_error(partitions.error()) + " (bootstrap servers: "
                                                  + settings.bootstrap_servers + ")");
    *count = *partitions;
  }
  for (auto [topic, limit] : {std::pair{&settings.output_topic, &topics.output_budget.limit},
                              std::pair{&settings.dlq_topic, &topics.dlq_budget.limit}}) {
    auto bytes = topic_max_message_bytes(**consumer, *topic, startup_timeout_ms);
    if (!bytes)
      return bytes.error();
    *limit = *bytes;
  }
  if (topics.output_partitions != topics.input_partitions)
    spdlog::warn("{} has {} partitions, {} has {}: output partitions follow the key, not the input partition",
                 settings.output_topic, topics.output_partitions, settings.input_topic, topics.input_partitions);
  clients.output_budget = topics.output_budget;
  clients.sink = std::make_shared<kafka_record_sink>(topics, &metrics.output_reachable);
  const auto limits = producer_limits_for(topics.output_budget, topics.dlq_budget);
  spdlog::info("producer: records up to {} bytes (each within its own topic's limit), batches up to {} bytes "
               "({} max.message.bytes {}, {} {})",
               limits.max_message_bytes, limits.max_batch_bytes, settings.output_topic, topics.output_budget.limit,
               settings.dlq_topic, topics.dlq_budget.limit);
  auto producer = make_job_producer(settings, settings, limits, clients.sink.get(), clients.sink.get());
  if (!producer)
    return producer.error();
  if (auto err = clients.sink->start(std::move(*producer), settings.guarantee == delivery_guarantee::exactly_once,
                                     startup_timeout_ms * 2))
    return make_error(job_error::kafka_setup, describe_error(err) + " (transactional.id "
                                                + settings.transactional_id + ")");
  if (auto err = clients.source->start(std::move(*consumer)))
    return err;
  auto watch = kafka_broker_watch::create(settings);
  if (!watch)
    return watch.error();
  clients.watch = std::move(*watch);
  return clients;
}

int run(caf::actor_system& sys, const job_settings& settings, metrics_registry& metrics) {
  auto clients = connect(settings, metrics);
  if (!clients) {
    spdlog::critical("{}", describe_error(clients.error()));
    return is_job_error(clients.error(), job_error::invalid_option) ? exit_usage : exit_failure;
  }
  auto http = start_health_server(
    sys, settings,
    health_routes{[&metrics, watch = clients->watch] {
                    return metrics.consuming.load() && metrics.input_reachable.load()
                           && metrics.output_reachable.load() && metrics.sum().assigned > 0 && watch->reachable();
                  },
                  "not assigned yet, or the brokers are unreachable\n",
                  [&metrics, build = this_build()] { return prometheus_text(metrics, build); },
                  nullptr,
                  [&metrics, stall = std::chrono::milliseconds(settings.stall_timeout_ms)] {
                    return metrics.health(stall);
                  }},
    "/healthz /readyz /metrics");
  if (!http) {
    spdlog::critical("{}", describe_error(http.error()));
    return exit_failure;
  }

  // --- actors: the producer needs the consumer's handle and the consumer's hooks the
  // producer's, so the consumer is spawned first and reaches the producer through a slot.
  auto producer_slot = std::make_shared<producer_actor>();
  consumer_hooks hooks;
  // What the broker refused: the producer finds it out, the classifiers dead-letter it when read again.
  auto refused = std::make_shared<refused_records>();
  hooks.spawn_stage = [&sys, producer_slot, budget = clients->output_budget,
                       refused](std::int32_t) -> batch_stage_actor {
    auto next = sys.spawn(classifier, caf::actor_cast<batch_sink_actor>(*producer_slot), budget,
                          std::shared_ptr<const refused_records>{refused});
    return sys.spawn(parser, next);
  };
  hooks.hand_over = [&sys, producer_slot, timeout = settings.shutdown_timeout_ms](handover_request request) {
    caf::scoped_actor self{sys};
    std::optional<handover_result> result = handover_result{};
    self->request(*producer_slot, std::chrono::milliseconds(timeout), std::move(request))
      .receive([&](handover_result& answer) { result = std::move(answer); },
               [&](caf::error& err) {
                 if (err == caf::sec::request_timeout)
                   result.reset(); // the consumer stops the job rather than let the partitions go
                 else
                   result->error = describe_error(err);
               });
    return result;
  };
  hooks.abandon = [timeout = settings.shutdown_timeout_ms](const std::string& reason) {
    // Not a graceful stop: that would let the partitions go (and the producer, which did not
    // answer, cannot abort its transaction either). The broker aborts the open transaction
    // after transaction.timeout.ms, or at once when the restarted instance, under the same
    // transactional id, fences it.
    spdlog::critical("consumer: {} (after {} ms); exiting", reason, timeout);
    spdlog::shutdown();
    std::_Exit(exit_failure);
  };
  hooks.on_assignment = [producer_slot](group_assignment owned) { caf::anon_send(*producer_slot, std::move(owned)); };
  hooks.on_closed = [producer_slot] { caf::anon_send(*producer_slot, stop_atom::value); };
  consumer_settings flow;
  flow.batch_size = settings.batch_size;
  flow.max_in_flight = static_cast<std::int64_t>(settings.max_in_flight);
  flow.max_in_flight_bytes = static_cast<std::int64_t>(settings.max_in_flight_bytes);
  flow.commit_acked_offsets = settings.guarantee == delivery_guarantee::at_least_once;
  flow.commit_interval = std::chrono::milliseconds(settings.commit_interval_ms);
  flow.drain = settings.drain;
  auto consumer_handle = sys.spawn<caf::detached>(consumer, clients->source, std::move(hooks), flow, &metrics);
  producer_config producing;
  producing.pipeline = settings;
  producing.refused = refused;
  *producer_slot = sys.spawn<caf::detached>(producer, producing, clients->sink, consumer_handle, &metrics,
                                            [source = clients->source] { return source->membership(); });
  progress_reporter_actor progress;
  if (settings.progress_interval_ms > 0)
    progress = sys.spawn(progress_reporter, &metrics, std::chrono::milliseconds(settings.progress_interval_ms));

  service_runner runner{sys, std::chrono::milliseconds(settings.shutdown_timeout_ms)};
  runner.watch(caf::actor_cast<caf::actor>(consumer_handle));
  runner.watch(caf::actor_cast<caf::actor>(*producer_slot));
  runner.stop_with(caf::actor_cast<caf::actor>(consumer_handle));
  caf::anon_send(consumer_handle, poll_atom::value);
  const bool ok = runner.run();
  runner.finish({*http, caf::actor_cast<caf::actor>(progress)});
  auto totals = metrics.sum();
  spdlog::info("kstream-app: done: in {} | out {} | dead-lettered {} | unwritable {} | refused by the broker {} | "
               "transactions committed {} aborted {} | rewinds {} | backpressure pauses {}",
               totals.consumed, totals.produced, totals.dead_lettered, metrics.records_unwritable.load(),
               metrics.records_refused_by_broker.load(),
               metrics.transactions_committed.load(), metrics.transactions_aborted.load(), totals.rewinds,
               totals.pauses);
  return ok ? exit_ok : exit_failure;
}

} // namespace

int main(int argc, char** argv) {
  // Records are allocated on the consumer's thread and freed on the producer's; with glibc's
  // default of 8 arenas per core each thread keeps its own half-empty arena. Two arenas took
  // peak RSS on the full 2.19M-record set from 92-108 MB to 69 MB at the same speed.
  mallopt(M_ARENA_MAX, 2);
  kstream::app_config cfg;
  kstream::job_settings settings;
  if (auto code = kstream::prepare_service(cfg, argc, argv, "kstream-app", "caf-application.ini", settings))
    return *code;
  kstream::set_up_logging(settings.log_level, settings.log_line_format, false, "kstream-app");
  spdlog::info("kstream-app: {} -> {} (dead letters: {}), group {}, {}, bootstrap {}", settings.input_topic,
               settings.output_topic, settings.dlq_topic, settings.group_id, to_string(settings.guarantee),
               settings.bootstrap_servers);
  // The actors' shared counters outlive the actor system, whose destructor waits for every actor.
  kstream::metrics_registry metrics;
  metrics.topic = settings.input_topic;
  caf::actor_system sys{cfg};
  return run(sys, settings, metrics);
}
