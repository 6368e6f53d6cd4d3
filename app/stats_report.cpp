// kstream-stats' end (app/stats_report.hpp).
#include "app/stats_report.hpp"

#include <boost/json/parse.hpp>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <utility>

namespace kstream {

namespace {

using counts = std::pair<std::int64_t, std::int64_t>; // records, distinct hotels

/// The manifest's rows by category name; an error message when it is not a manifest.
std::optional<std::string> read_manifest(const std::string& path, std::map<std::string, counts>& rows) {
  std::ifstream in{path};
  if (!in)
    return "cannot read the manifest " + path;
  std::stringstream text;
  text << in.rdbuf();
  boost::system::error_code parse_error;
  auto manifest = boost::json::parse(text.str(), parse_error);
  if (parse_error || !manifest.is_object() || !manifest.as_object().contains("categories"))
    return "the manifest " + path + " is not a generator manifest (no \"categories\")";
  try {
    for (const auto& item : manifest.at("categories").as_array()) {
      const auto& row = item.as_object();
      rows[std::string{row.at("stay_category").as_string()}] = {row.at("records").to_number<std::int64_t>(),
                                                                row.at("distinct_hotels").to_number<std::int64_t>()};
    }
  } catch (const std::exception& e) {
    return "the manifest " + path + " has an unexpected shape: " + e.what();
  }
  return std::nullopt;
}

/// Compares the table with the manifest on stdout; false when they differ.
bool check_manifest(const stats_settings& settings, const domain::stay_snapshot& table) {
  auto differences = manifest_differences(table, settings.expect_manifest);
  if (differences.empty()) {
    std::cout << "The table equals the generator's manifest (" << settings.expect_manifest
              << "): " << table.total_records() << " records in every row and column.\n"
              << std::flush;
    return true;
  }
  std::cout << "The table DIFFERS from the generator's manifest (" << settings.expect_manifest << "):\n";
  for (const auto& line : differences)
    std::cout << "  " << line << '\n';
  std::cout << std::flush;
  return false;
}

} // namespace

std::vector<std::string> manifest_differences(const domain::stay_snapshot& table, std::string path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::is_directory(path, ec))
    path = (fs::path{path} / "manifest.json").string();
  std::map<std::string, counts> expected;
  if (auto error = read_manifest(path, expected))
    return {*error};
  std::vector<std::string> out;
  for (const auto& row : table.rows) {
    std::string name{domain::to_string(row.category)};
    auto it = expected.find(name);
    counts want = it == expected.end() ? counts{0, 0} : it->second;
    if (it != expected.end())
      expected.erase(it);
    counts got{static_cast<std::int64_t>(row.records), static_cast<std::int64_t>(row.distinct_hotels)};
    if (got != want)
      out.push_back(name + ": " + std::to_string(got.first) + " records, " + std::to_string(got.second)
                    + " distinct hotels; the manifest says " + std::to_string(want.first) + " and "
                    + std::to_string(want.second));
  }
  for (const auto& [name, row] : expected)
    out.push_back("the manifest has a category \"" + name + "\" that the table does not");
  if (table.unknown_records > 0)
    out.push_back(std::to_string(table.unknown_records) + " records with a missing or unknown stay_category");
  return out;
}

bool report_stats_run(const stats_settings& settings, const stats_view& final_view, const changelog_sink* changelog,
                      const changelog_sink* state, bool live_view, bool failed) {
  if (!live_view)
    std::cout << domain::render_text(final_view.table) << std::flush;
  spdlog::info("kstream-stats: done: {} records read from {}, {} counted in the table ({} of them restored from a "
               "checkpoint), {} unknown, {} duplicates skipped",
               final_view.records_read, settings.input_topic, final_view.table.total_records(),
               final_view.restored_records, final_view.table.unknown_records, final_view.duplicates_skipped);
  if (changelog != nullptr && changelog->failed() > 0)
    failed = true;
  // A checkpoint the state topic refused (e.g. no Write ACL on it) is a failure too: the next
  // start would restore an older table, or none, without anyone being told.
  if (state != nullptr && state->failed() > 0) {
    spdlog::critical("{} checkpoints were not written to the state topic {} (see the warnings above); "
                     "kafka.state-topic=\"\" turns checkpoints off",
                     state->failed(), settings.state_topic);
    failed = true;
  }
  if (!settings.expect_manifest.empty() && !failed && !check_manifest(settings, final_view.table))
    failed = true;
  return failed;
}

} // namespace kstream
