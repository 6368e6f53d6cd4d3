#pragma once

// The progress line of long runs: in, out, dead-lettered, rate, in flight, lag.

#include "core/pipeline_metrics.hpp"
#include "messages/control.hpp"

#include <caf/stateful_actor.hpp>
#include <caf/typed_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include <chrono>
#include <cstdint>

namespace kstream {

using progress_reporter_actor = caf::typed_actor<caf::reacts_to<tick_atom>>;

struct progress_reporter_state {
  static inline const char* name = "progress_reporter";
  const metrics_registry* metrics = nullptr;
  std::chrono::milliseconds interval{5000};
  std::uint64_t last_consumed = 0; // at the last line, for the rate
  std::chrono::steady_clock::time_point last_at = std::chrono::steady_clock::now();

  void report();
};

/// Logs a progress line at a fixed interval.
progress_reporter_actor::behavior_type progress_reporter(
  progress_reporter_actor::stateful_pointer<progress_reporter_state> self, const metrics_registry* metrics,
  std::chrono::milliseconds interval);

} // namespace kstream
