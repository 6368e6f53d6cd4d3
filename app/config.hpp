#pragma once

#include "app/settings.hpp"

#include <caf/actor_system_config.hpp>
#include <caf/expected.hpp>

#include <istream>
#include <string>
#include <vector>

namespace kstream {

/// CAF's configuration with the job's options. CAF reads caf-application.ini (or
/// --config-file=) and the command line (--kafka.group-id=...) into it.
class app_config : public caf::actor_system_config {
public:
  app_config();

  /// Parses the command line and the config file text. Use this rather than parse(): it also
  /// keeps the file's raw values, so that validate() can report a value of the wrong type.
  caf::error parse_checked(std::vector<std::string> args, std::istream& ini);

  /// Checks every option after parsing and resolves defaults; the error message names the
  /// option, the value given and what would be accepted. CAF silently ignores a value of
  /// the wrong type for a declared option, so the raw parsed content is checked too.
  caf::expected<job_settings> validate() const;

private:
  caf::settings raw_file_; // the config file as written, before CAF's type filtering
};

/// The human-readable text of an error: the message of errors the job made itself,
/// CAF's rendering otherwise.
std::string describe_error(const caf::error& error);

/// Environment variables KSTREAM_RDKAFKA_<NAME> as librdkafka properties ("_" read as ".").
std::vector<std::pair<std::string, std::string>> rdkafka_properties_from_environment(char** environ_);

} // namespace kstream
