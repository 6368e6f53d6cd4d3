#pragma once

// The option machinery both binaries share: a table of declared options on top of CAF's
// configuration, strict checking (CAF silently drops a value of the wrong type and ignores
// a misspelt option in a config file), and the command-line handling of main().

#include "adapters/http.hpp"
#include "adapters/log_format.hpp"
#include "messages/errors.hpp"

#include <caf/actor_system_config.hpp>
#include <caf/error.hpp>
#include <caf/expected.hpp>

#include <atomic>
#include <cstdint>
#include <istream>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace kstream {

enum class option_kind { string, integer, boolean, string_list };

struct option_spec {
  const char* section;
  const char* name;
  option_kind kind;
  const char* description;
};

/// `options` followed by the HTTP server's limits (http.idle-timeout-ms,
/// http.request-timeout-ms, http.max-connections), which both binaries share.
std::vector<option_spec> with_http_limits(std::vector<option_spec> options);

/// An error of a wrong option or value; describe_error() gives its text.
caf::error invalid_option(std::string what);

/// This machine's host name ("localhost" when it has none).
std::string host_name();

/// Environment variables KSTREAM_RDKAFKA_<NAME> as librdkafka properties ("_" read as ".").
std::vector<std::pair<std::string, std::string>> rdkafka_properties_from_environment(char** environment);

/// CAF's configuration with a declared table of options, checked strictly.
class checked_config : public caf::actor_system_config {
public:
  /// `options` must outlive the object (a static table); `sample_file` is named in errors.
  checked_config(const std::vector<option_spec>& options, std::string sample_file);

  /// Parses the command line and the config file text, keeping the file's raw values so
  /// that check_options() can report a value of the wrong type.
  caf::error parse_checked(std::vector<std::string> args, std::istream& ini);

  /// Unknown options in the declared sections, and values of the wrong type, in the file
  /// as written and in what CAF parsed.
  caf::error check_options() const;

  const std::vector<option_spec>& options() const {
    return options_;
  }

protected:
  std::string string_option(const char* key, const std::string& fallback) const;
  /// Reads the integer `key` within [min, max] into `field`; the error names the option
  /// and the range.
  template <class Field>
  caf::error read_ranged(const char* key, std::int64_t fallback, std::int64_t min, std::int64_t max,
                         Field& field) const {
    auto value = ranged_option(key, fallback, min, max);
    if (!value)
      return value.error();
    field = static_cast<Field>(*value);
    return caf::none;
  }
  /// The options of with_http_limits() into `out`, each within its range.
  caf::error read_http_limits(http_settings& out) const;
  /// Refuses an explicitly empty value for any of `keys`.
  caf::error require_non_empty(std::initializer_list<const char*> keys) const;
  /// kafka.properties ("name=value" each), then the KSTREAM_RDKAFKA_* environment (wins).
  caf::expected<std::vector<std::pair<std::string, std::string>>> rdkafka_properties() const;
  /// log.level, one of trace, debug, info, warn, error.
  caf::expected<std::string> log_level(const std::string& fallback) const;
  /// log.format: "text" or "json".
  caf::expected<log_format> log_line_format(log_format fallback) const;

private:
  caf::expected<std::int64_t> ranged_option(const char* key, std::int64_t fallback, std::int64_t min,
                                            std::int64_t max) const;

  const std::vector<option_spec>& options_;
  std::string sample_file_;
  caf::settings raw_file_; // the config file as written, before CAF's type filtering
};

/// Reads the command line into `cfg` (after the config file: --config-file=PATH, else
/// `default_file` in the working directory when it exists). Accepts --help for CAF's long
/// help, explicit --flag=true / --flag=false for boolean options, and --option= for an empty
/// string. Returns an exit code when main() should stop here (help printed, or an error
/// reported on stderr), nullopt when it should go on.
std::optional<int> parse_command_line(checked_config& cfg, int argc, char** argv, const char* program,
                                      const char* default_file);

/// Exit codes of both binaries.
inline constexpr int exit_ok = 0;
inline constexpr int exit_failure = 1; // a runtime failure
inline constexpr int exit_usage = 2;   // a configuration error, before anything connected

/// From here on SIGINT and SIGTERM set the stop flag (a graceful stop) instead of killing.
void install_stop_signals();

/// The stop flag: set by a stop signal or by request_stop().
const std::atomic<bool>& stop_requested();

/// Sets the stop flag as a signal would (fatal errors use it to stop gracefully).
void request_stop();

} // namespace kstream
