#pragma once

#include "app/metrics.hpp"

#include <caf/event_based_actor.hpp>

#include <chrono>

namespace kstream {

/// Logs a progress line (in, out, dead-lettered, rate, in flight, lag) at a fixed interval.
caf::behavior progress_reporter(caf::event_based_actor* self, const metrics_registry* metrics,
                                std::chrono::milliseconds interval);

} // namespace kstream
