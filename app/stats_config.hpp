#pragma once

// kstream-stats' options: the same CAF INI machinery as the job's (app/config.hpp), its own
// option set. See app/kstream-stats.ini.

#include "app/options.hpp"
#include "wiring/settings.hpp"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace kstream {

class stats_config : public checked_config {
public:
  stats_config();
  /// --expect-manifest=PATH (a top-level option, bound here by CAF).
  std::string expect_manifest;
  /// Checks every option and resolves defaults.
  caf::expected<stats_settings> validate() const;
};

} // namespace kstream
