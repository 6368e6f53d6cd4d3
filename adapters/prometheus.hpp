#pragma once

// The pipeline's counters in Prometheus' text exposition format (version 0.0.4), for /metrics.

#include "actors/pipeline_metrics.hpp"

#include <string>

namespace kstream {

std::string prometheus_text(const metrics_registry& metrics);

} // namespace kstream
