#pragma once

// The stream job's options: the declared table, reading and checking them into job_settings.

#include "app/options.hpp"
#include "wiring/settings.hpp"

namespace kstream {

/// The stream job's options (see app/caf-application.ini). CAF reads caf-application.ini
/// (or --config-file=) and the command line (--kafka.group-id=...) into it.
class app_config : public checked_config {
public:
  app_config();

  /// Checks every option and resolves defaults; the error message names the option, the
  /// value given and what would be accepted.
  caf::expected<job_settings> validate() const;
};

} // namespace kstream
