#pragma once

// kstream-stats' options: the same CAF INI machinery as the job's (app/config.hpp), its own
// option set. See app/kstream-stats.ini.

#include "app/options.hpp"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace kstream {

enum class terminal_mode { automatic, live, plain };

struct stats_settings {
  // [kafka]
  std::string bootstrap_servers = "127.0.0.1:9092";
  std::string group_id = "kstream-stats"; // resolved: <kafka.group-id>-<host>-<pid>
  std::string input_topic = "expedia_ext";
  std::string stats_topic = "expedia_stay_stats"; // empty: no changelog
  std::vector<std::pair<std::string, std::string>> extra_properties;
  // [job]
  std::uint64_t batch_size = 1000;
  std::uint64_t max_in_flight = 20000;
  bool drain = false;
  std::uint64_t shutdown_timeout_ms = 30000;
  std::uint64_t publish_interval_ms = 1000;
  // [http]
  std::uint16_t http_port = 8090;
  std::string http_bind_address = "0.0.0.0";
  // [view]
  terminal_mode terminal = terminal_mode::automatic;
  std::uint64_t refresh_ms = 250;
  // top level
  std::string expect_manifest; // a generator manifest the final table must equal (drain mode)
  // [log]
  std::string log_level = "info";
  bool log_level_given = false;
};

class stats_config : public checked_config {
public:
  stats_config();
  /// --expect-manifest=PATH (a top-level option, bound here by CAF).
  std::string expect_manifest;
  /// Checks every option and resolves defaults.
  caf::expected<stats_settings> validate() const;
};

} // namespace kstream
