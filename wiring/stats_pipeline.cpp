// kstream-stats' actors, wired (wiring/stats_pipeline.hpp).
#include "wiring/stats_pipeline.hpp"

#include <chrono>
#include <functional>
#include <string>
#include <utility>

namespace kstream {

bool view_status::caught_up(metrics_registry& registry) const {
  if (!registry.consuming.load() || partitions == 0)
    return false;
  for (int p = 0; p < partitions; ++p) {
    auto& m = registry.partition(p);
    if (!m.assigned.load() || !m.at_end.load(std::memory_order_acquire) || m.in_flight.load() != 0)
      return false;
  }
  return true;
}

namespace {

consumer_settings view_consumer_settings(const stats_settings& settings) {
  consumer_settings flow;
  flow.batch_size = settings.batch_size;
  flow.max_in_flight = static_cast<std::int64_t>(settings.max_in_flight);
  flow.commit_acked_offsets = false; // the view re-reads from the start: nothing to commit
  flow.drain = settings.drain;
  return flow;
}

/// The live view's line above the table.
std::function<std::string()> status_line(const stats_settings& settings, view_shared& shared) {
  return [&settings, &shared] {
    auto view = shared.board.latest();
    const bool done = shared.status.done.load();
    std::string state = done ? "final" : shared.status.caught_up(shared.metrics) ? "live, caught up" : "live, reading";
    return "kstream-stats  " + settings.input_topic + " (group " + settings.group_id + ")  " + state + "  |  "
           + std::to_string(view->records_read) + " records read, lag " + std::to_string(shared.metrics.sum().lag)
           + (done ? "" : "  |  Ctrl-C to stop");
  };
}

} // namespace

stats_pipeline spawn_stats_pipeline(caf::actor_system& sys, const stats_settings& settings, stats_ports ports,
                                    view_shared& shared, bool live_view, port_threads threads) {
  stats_pipeline out;
  out.aggregator = sys.spawn(aggregator, &shared.board,
                             aggregator_settings{settings.input_topic, std::move(ports.restored),
                                                 ports.state
                                                   ? std::chrono::milliseconds(settings.checkpoint_interval_ms)
                                                   : std::chrono::milliseconds(0)});
  consumer_hooks hooks;
  hooks.spawn_stage = [counter = out.aggregator](std::int32_t) -> batch_stage_actor { return counter; };
  if (threads == port_threads::own)
    out.consumer = sys.spawn<caf::detached>(consumer, ports.source, std::move(hooks), view_consumer_settings(settings),
                                            &shared.metrics);
  else
    out.consumer = sys.spawn(consumer, ports.source, std::move(hooks), view_consumer_settings(settings),
                             &shared.metrics);
  // The changelog gets the table only once it has caught up with the input (read to an end
  // the input had after this start): before, a restarted view's table may be lower than what
  // it published before. A drained run has caught up by definition.
  if (ports.changelog || ports.state) {
    stats_publisher_settings publishing;
    publishing.interval = std::chrono::milliseconds(settings.publish_interval_ms);
    publishing.caught_up = [&shared] {
      return shared.status.drained.load() || shared.status.caught_up(shared.metrics);
    };
    publishing.state_sink = ports.state;
    publishing.state_key = settings.input_topic;
    out.publisher = threads == port_threads::own
                      ? sys.spawn<caf::detached>(stats_publisher, &shared.board, ports.changelog, std::move(publishing))
                      : sys.spawn(stats_publisher, &shared.board, ports.changelog, std::move(publishing));
  }
  if (live_view)
    out.view = sys.spawn(terminal_view, &shared.board,
                         terminal_view_settings{std::chrono::milliseconds(settings.refresh_ms),
                                                status_line(settings, shared), stdout});
  return out;
}

} // namespace kstream
