#pragma once

// Everything each binary needs to run: app/config.cpp and app/stats_config.cpp read and check
// the options into these, the wiring (this folder) builds the clients and actors from them.
// The defaults are the member initialisers here and in the structs these are made of.

#include "adapters/http.hpp"
#include "adapters/kafka_settings.hpp"
#include "adapters/log_format.hpp"
#include "core/pipeline_settings.hpp"

#include <cstdint>
#include <string>

namespace kstream {

/// kstream-app: [kafka], [job], [http] and [log].
struct job_settings : kafka_settings, pipeline_settings, http_settings {
  std::string log_level = "info";
  log_format log_line_format = log_format::text;
  std::uint64_t progress_interval_ms = 5000;
  /// /healthz fails after this long without progress while there is work (0: never).
  std::uint64_t stall_timeout_ms = 120000;
};

enum class terminal_mode { automatic, live, plain };

/// kstream-stats: its own defaults for the options it shares with the job.
struct stats_settings : http_settings {
  stats_settings() {
    http_port = 8090;
  }
  // [kafka]
  std::string bootstrap_servers = kafka_settings{}.bootstrap_servers;
  std::string group_id = "kstream-stats"; // resolved: <kafka.group-id>-<host>-<pid>
  std::string input_topic = kafka_settings{}.output_topic;
  std::string stats_topic = "expedia_stay_stats"; // empty: no changelog
  /// Compacted topic of the table's checkpoints (key = input topic), created when missing;
  /// empty: every start reads the input from the beginning.
  std::string state_topic = "expedia_stay_stats_state";
  property_list extra_properties;
  // [job]
  std::uint64_t batch_size = pipeline_settings{}.batch_size;
  std::uint64_t max_in_flight = 60000; // per instance; the aggregator acks at once: a larger window costs nothing
  bool drain = false;
  std::uint64_t shutdown_timeout_ms = pipeline_settings{}.shutdown_timeout_ms;
  std::uint64_t publish_interval_ms = 1000;
  std::uint64_t checkpoint_interval_ms = 5000; // while the table changes; and on stop
  std::uint64_t stall_timeout_ms = job_settings{}.stall_timeout_ms;
  // [view]
  terminal_mode terminal = terminal_mode::automatic;
  std::uint64_t refresh_ms = 250;
  // top level
  std::string expect_manifest; // a generator manifest the final table must equal (drain mode)
  // [log]
  std::string log_level = "info";
  bool log_level_given = false;
  log_format log_line_format = log_format::text;
};

} // namespace kstream
