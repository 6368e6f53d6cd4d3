#pragma once

// kstream-stats' end: the final table on stdout, the summary line, and the checks that turn a
// finished run into a failed one (rows the changelog or the state topic refused, a table that
// differs from the generator's manifest given with --expect-manifest).

#include "actors/aggregator.hpp"
#include "core/ports/changelog_sink.hpp"
#include "domain/stay_table.hpp"
#include "wiring/settings.hpp"

#include <string>
#include <vector>

namespace kstream {

/// Differences between the final table and a generator manifest ({"records":N,"categories":
/// [{"stay_category","records","distinct_hotels"},..]}) at `path` (a file, or a folder with
/// manifest.json); empty when they are equal.
std::vector<std::string> manifest_differences(const domain::stay_snapshot& table, std::string path);

/// Reports the final view (the table on stdout unless the live view drew it) and returns
/// whether the run failed: `failed` already, or rows the sinks (null: none) could not write,
/// or a table that differs from settings.expect_manifest.
bool report_stats_run(const stats_settings& settings, const stats_view& final_view, const changelog_sink* changelog,
                      const changelog_sink* state, bool live_view, bool failed);

} // namespace kstream
