#pragma once

// The stats view's aggregator: one actor for every partition of `expedia_ext`. It takes the
// consumer's batches, keeps the exact per-category table (domain/stay_table) and acks each
// batch at once, so the consumer's credit never runs out. Readers (HTTP, the terminal view,
// the changelog publisher) see the table through a stats_board, never through the actor.

#include "domain/stay_table.hpp"
#include "messages/interfaces.hpp"

#include <caf/typed_actor.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

namespace kstream {

/// What the aggregator has counted, as of one moment.
struct stats_view {
  domain::stay_snapshot table;
  std::uint64_t sequence = 0;                        // bumped whenever the table changes
  std::uint64_t records_read = 0;                    // every record received, duplicates included
  std::uint64_t duplicates_skipped = 0;              // offsets seen before (a partition read again)
  std::map<std::int32_t, std::int64_t> next_offsets; // per partition: offset after the last counted
  std::uint64_t restored_records = 0;                // counted by a previous run, restored from its checkpoint
  std::chrono::system_clock::time_point updated_at{};
  /// The latest checkpoint (domain::checkpoint_json: the table with its hotel sets and the
  /// positions it covers), taken every checkpoint interval and on stop; null before the first.
  std::shared_ptr<const std::string> checkpoint;
};

/// The latest stats_view, written by the aggregator, read from any thread.
class stats_board {
public:
  stats_board();
  std::shared_ptr<const stats_view> latest() const;
  void publish(std::shared_ptr<const stats_view> view);

private:
  mutable std::mutex mutex_;
  std::shared_ptr<const stats_view> latest_;
};

/// batch_stage_actor plus a stop message. It survives the consumer's exit(user_shutdown),
/// which the consumer sends to a partition's stage on revocation: this one stage serves
/// every partition, so only stop_atom (or an exit with another reason) ends it.
using aggregator_actor =
  caf::typed_actor<caf::reacts_to<consumed_batch>, caf::reacts_to<tick_atom>, caf::reacts_to<stop_atom>>;

struct aggregator_settings {
  /// The input topic, named in checkpoints (a checkpoint of another topic is not restored).
  std::string input_topic;
  /// A previous run's table and positions to count on from (nullopt: from nothing).
  std::optional<domain::stay_checkpoint> restored;
  /// How often the table is checkpointed while it changes (0: only on stop).
  std::chrono::milliseconds checkpoint_interval{0};
};

struct aggregator_state {
  static inline const char* name = "aggregator";
  domain::stay_fields_parser parser;
  domain::stay_table table;
  stats_view counters; // the non-table fields, copied into each published view
  aggregator_settings settings;
  bool changed_since_checkpoint = false;

  /// Publishes the latest view to the board; with `checkpoint`, a new checkpoint with it.
  void publish(stats_board* board, bool checkpoint);
};

/// Counts each record once: a record at an offset below the partition's next counted offset
/// was counted before (the partition was revoked and assigned again and, as the view commits
/// no offsets, read from the start; or a restored checkpoint covers it) and is skipped.
/// Replies to the sender of each batch (the consumer) with batch_delivered{partition, epoch,
/// records, last offset + 1}. Checkpoints the table every checkpoint interval while it
/// changes, and on stop_atom before it quits.
aggregator_actor::behavior_type aggregator(aggregator_actor::stateful_pointer<aggregator_state> self,
                                           stats_board* board, aggregator_settings settings);

} // namespace kstream
