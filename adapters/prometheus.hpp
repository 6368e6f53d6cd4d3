#pragma once

// The pipeline's counters (and kstream-stats' table) in Prometheus' text exposition format
// (version 0.0.4), for /metrics, with the standard process metrics read from /proc
// (docs/metrics.md lists them all).

#include "actors/aggregator.hpp"
#include "core/pipeline_metrics.hpp"

#include <string>

namespace kstream {

/// What kstream_build_info says.
struct build_info {
  std::string version;
  std::string revision;
};

/// Which binary exports: the view (kstream-stats) has a consumer and no producer, so it
/// leaves out what only the job's producer counts (produced, dead letters, transactions,
/// rewinds, unwritable records, commit and latency histograms).
enum class exporter { job, view };

std::string prometheus_text(const metrics_registry& metrics, const build_info& build, exporter kind = exporter::job);

/// kstream-stats' table: records and distinct hotels per stay category, unknown records.
std::string stats_prometheus_text(const stats_view& view);

/// process_resident_memory_bytes, process_virtual_memory_bytes, process_cpu_seconds_total,
/// process_start_time_seconds, process_open_fds, process_max_fds, as Prometheus' client
/// libraries export them; whatever /proc does not give is left out.
std::string process_metrics_text();

/// `text` as a label value: backslash, double quote and newline escaped.
std::string escape_label_value(const std::string& text);

} // namespace kstream
