#pragma once

// The table as a changelog: one record per changed category (key = the category text, value =
// {"stay_category":..,"records":..,"distinct_hotels":..}), so that other tools read the latest
// value of each category like a ksqlDB table's topic.

#include "actors/aggregator.hpp"
#include "core/ports/changelog_sink.hpp"

#include <caf/stateful_actor.hpp>
#include <caf/typed_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include <array>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace kstream {

struct stats_publisher_settings {
  std::chrono::milliseconds interval{1000};
  std::chrono::milliseconds flush_timeout{10000};
  /// True once the table covers everything its input held at some moment after the start
  /// (every partition read to its end). Until then the table may be lower than what an
  /// earlier run published, so no row goes out. Empty: always true.
  std::function<bool()> caught_up;
  /// Where the table's checkpoints go (kstream-stats' state topic, key `state_key`); null:
  /// nowhere.
  std::shared_ptr<changelog_sink> state_sink;
  std::string state_key;
};

using stats_publisher_actor = caf::typed_actor<caf::reacts_to<tick_atom>, caf::reacts_to<stop_atom>>;

struct stats_publisher_state {
  static inline const char* name = "stats_publisher";
  const stats_board* board = nullptr;
  std::shared_ptr<changelog_sink> sink;
  stats_publisher_settings settings;
  /// What was published last per category, so that only changed rows go out.
  std::array<std::optional<domain::stay_row>, domain::all_stay_categories.size()> published;
  /// Set once caught_up() said so: from then on the table only grows.
  bool caught_up = false;
  /// The checkpoint written last (the aggregator makes a new one when the table changed).
  std::shared_ptr<const std::string> checkpoint_written;

  void publish();
};

/// `sink` (the changelog) may be null when only checkpoints are written.
/// Every interval (and once more on stop_atom) publishes the rows whose numbers changed since
/// the last publication, once the table has caught up (never a value lower than one published
/// before, by this run or an earlier one); rows without records are not published (like a
/// ksqlDB table, a category appears with its first record). Each new checkpoint of the table
/// goes to the state sink, caught up or not. On stop_atom it waits for the acks (bounded by
/// flush_timeout) and quits. Spawn it detached: flushing blocks.
stats_publisher_actor::behavior_type stats_publisher(stats_publisher_actor::stateful_pointer<stats_publisher_state> self,
                                                     const stats_board* board, std::shared_ptr<changelog_sink> sink,
                                                     stats_publisher_settings settings);

} // namespace kstream
