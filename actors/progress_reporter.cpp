// The progress line actor (actors/progress_reporter.hpp).
#include "actors/progress_reporter.hpp"

#include <spdlog/spdlog.h>

namespace kstream {

void progress_reporter_state::report() {
  auto totals = metrics->sum();
  auto now = std::chrono::steady_clock::now();
  auto seconds = std::chrono::duration<double>(now - last_at).count();
  auto rate = seconds > 0 ? static_cast<double>(totals.consumed - last_consumed) / seconds : 0.0;
  last_consumed = totals.consumed;
  last_at = now;
  spdlog::info("progress: in {} | out {} | dead-lettered {} | {:.0f} records/s | in flight {} | lag {} | "
               "partitions {} | transactions {}",
               totals.consumed, totals.produced, totals.dead_lettered, rate, totals.in_flight, totals.lag,
               totals.assigned, metrics->transactions_committed.load());
}

progress_reporter_actor::behavior_type progress_reporter(
  progress_reporter_actor::stateful_pointer<progress_reporter_state> self, const metrics_registry* metrics,
  std::chrono::milliseconds interval) {
  self->state.metrics = metrics;
  self->state.interval = interval;
  self->delayed_send(self, interval, tick_atom::value);
  return {
    [=](tick_atom) {
      self->state.report();
      self->delayed_send(self, self->state.interval, tick_atom::value);
    },
  };
}

} // namespace kstream
