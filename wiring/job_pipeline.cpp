// The stream job's actors, wired (wiring/job_pipeline.hpp).
#include "wiring/job_pipeline.hpp"

#include "actors/classifier.hpp"
#include "actors/parser.hpp"
#include "core/refused_records.hpp"
#include "messages/errors.hpp"

#include <caf/scoped_actor.hpp>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdlib>
#include <optional>
#include <utility>

namespace kstream {

namespace {

/// The producer's handle, filled in once it is spawned: the producer needs the consumer's
/// handle and the consumer's hooks the producer's, so the consumer is spawned first.
using producer_slot = std::shared_ptr<producer_actor>;

/// Asks the producer to finish the partitions' work, up to the shutdown timeout; nullopt when
/// it did not answer in time (the consumer then stops the job rather than let them go).
std::optional<handover_result> hand_over(caf::actor_system& sys, const producer_actor& producer,
                                         std::chrono::milliseconds timeout, handover_request request) {
  caf::scoped_actor self{sys};
  std::optional<handover_result> result = handover_result{};
  self->request(producer, timeout, std::move(request))
    .receive([&](handover_result& answer) { result = std::move(answer); },
             [&](caf::error& err) {
               if (err == caf::sec::request_timeout)
                 result.reset();
               else
                 result->error = describe_error(err);
             });
  return result;
}

consumer_hooks job_consumer_hooks(caf::actor_system& sys, const job_settings& settings, producer_slot producer,
                                  std::shared_ptr<refused_records> refused, domain::record_size_budget output_budget) {
  consumer_hooks hooks;
  // What the broker refused: the producer finds it out, the classifiers dead-letter it when read again.
  hooks.spawn_stage = [&sys, producer, output_budget, refused](std::int32_t) -> batch_stage_actor {
    auto next = sys.spawn(classifier, caf::actor_cast<batch_sink_actor>(*producer), output_budget,
                          std::shared_ptr<const refused_records>{refused});
    return sys.spawn(parser, next);
  };
  hooks.hand_over = [&sys, producer, timeout = std::chrono::milliseconds(settings.shutdown_timeout_ms)](
                      handover_request request) { return hand_over(sys, *producer, timeout, std::move(request)); };
  hooks.abandon = [timeout = settings.shutdown_timeout_ms](const std::string& reason) {
    // Not a graceful stop: that would let the partitions go (and the producer, which did not
    // answer, cannot abort its transaction either). The broker aborts the open transaction
    // after transaction.timeout.ms, or at once when the restarted instance, under the same
    // transactional id, fences it.
    spdlog::critical("consumer: {} (after {} ms); exiting", reason, timeout);
    spdlog::shutdown();
    std::_Exit(EXIT_FAILURE); // 1, as app/options.hpp's exit_failure
  };
  hooks.on_assignment = [producer](group_assignment owned) { caf::anon_send(*producer, std::move(owned)); };
  hooks.on_closed = [producer] { caf::anon_send(*producer, stop_atom::value); };
  return hooks;
}

consumer_settings job_consumer_settings(const job_settings& settings) {
  consumer_settings flow;
  flow.batch_size = settings.batch_size;
  flow.max_in_flight = static_cast<std::int64_t>(settings.max_in_flight);
  flow.max_in_flight_bytes = static_cast<std::int64_t>(settings.max_in_flight_bytes);
  flow.commit_acked_offsets = settings.guarantee == delivery_guarantee::at_least_once;
  flow.commit_interval = std::chrono::milliseconds(settings.commit_interval_ms);
  flow.drain = settings.drain;
  return flow;
}

} // namespace

job_pipeline spawn_job_pipeline(caf::actor_system& sys, const job_settings& settings, job_ports ports,
                                metrics_registry& metrics, port_threads threads) {
  auto slot = std::make_shared<producer_actor>();
  auto refused = std::make_shared<refused_records>();
  auto hooks = job_consumer_hooks(sys, settings, slot, refused, ports.output_budget);
  producer_config producing;
  producing.pipeline = settings;
  producing.refused = refused;
  auto membership = [source = ports.source] { return source->membership(); };
  job_pipeline out;
  if (threads == port_threads::own) {
    out.consumer = sys.spawn<caf::detached>(consumer, ports.source, std::move(hooks), job_consumer_settings(settings),
                                            &metrics);
    out.producer = sys.spawn<caf::detached>(kstream::producer, producing, ports.sink, out.consumer, &metrics,
                                            membership);
  } else {
    out.consumer = sys.spawn(consumer, ports.source, std::move(hooks), job_consumer_settings(settings), &metrics);
    out.producer = sys.spawn(kstream::producer, producing, ports.sink, out.consumer, &metrics, membership);
  }
  *slot = out.producer;
  if (settings.progress_interval_ms > 0)
    out.progress = sys.spawn(progress_reporter, &metrics, std::chrono::milliseconds(settings.progress_interval_ms));
  return out;
}

} // namespace kstream
