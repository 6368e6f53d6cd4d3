#include "actors/progress_reporter.hpp"

#include "messages/control.hpp"

#include <spdlog/spdlog.h>

#include <memory>

namespace kstream {

caf::behavior progress_reporter(caf::event_based_actor* self, const metrics_registry* metrics,
                                std::chrono::milliseconds interval) {
  struct previous_sample {
    std::uint64_t consumed = 0;
    std::chrono::steady_clock::time_point at = std::chrono::steady_clock::now();
  };
  auto previous = std::make_shared<previous_sample>();
  self->delayed_send(self, interval, tick_atom::value);
  return {
    [=](tick_atom) {
      auto totals = metrics->sum();
      auto now = std::chrono::steady_clock::now();
      auto seconds = std::chrono::duration<double>(now - previous->at).count();
      auto rate = seconds > 0 ? static_cast<double>(totals.consumed - previous->consumed) / seconds : 0.0;
      *previous = previous_sample{totals.consumed, now};
      spdlog::info("progress: in {} | out {} | dead-lettered {} | {:.0f} records/s | in flight {} | lag {} | "
                   "partitions {} | transactions {}",
                   totals.consumed, totals.produced, totals.dead_lettered, rate, totals.in_flight, totals.lag,
                   totals.assigned, metrics->transactions_committed.load());
      self->delayed_send(self, interval, tick_atom::value);
    },
  };
}

} // namespace kstream
