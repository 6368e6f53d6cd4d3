#pragma once

// The HTTP routes of both binaries: the job's /healthz, /readyz and /metrics; kstream-stats'
// the same plus its page (/) and the table as JSON (/stats).

#include "adapters/kafka_broker_watch.hpp"
#include "app/service.hpp"
#include "wiring/settings.hpp"
#include "wiring/stats_pipeline.hpp"

#include <chrono>
#include <memory>
#include <string>

namespace kstream {

/// The job's: ready once assigned, consuming and every broker connection answers.
health_routes job_routes(const job_settings& settings, metrics_registry& metrics,
                         std::shared_ptr<kafka_broker_watch> watch);

/// kstream-stats': ready once assigned and consuming (or done).
health_routes stats_routes(const stats_settings& settings, view_shared& shared);

/// `at` as ISO 8601 UTC to the second ("2017-08-01T12:00:00Z"); empty for the epoch (never).
std::string iso_time(std::chrono::system_clock::time_point at);

/// The /stats document: the table (domain::to_json) and a "status" object with the view's
/// progress.
std::string stats_json(const stats_view& view, const stats_settings& settings, view_shared& shared);

} // namespace kstream
