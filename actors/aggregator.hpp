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

namespace kstream {

/// What the aggregator has counted, as of one moment.
struct stats_view {
  domain::stay_snapshot table;
  std::uint64_t sequence = 0;           // bumped whenever the table changes
  std::uint64_t records_read = 0;       // every record received, duplicates included
  std::uint64_t duplicates_skipped = 0; // offsets seen before (a partition read again)
  std::map<std::int32_t, std::int64_t> next_offsets; // per partition: offset after the last counted
  std::chrono::system_clock::time_point updated_at{};
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
using aggregator_actor = caf::typed_actor<caf::reacts_to<consumed_batch>, caf::reacts_to<stop_atom>>;

struct aggregator_state {
  static inline const char* name = "aggregator";
  domain::stay_fields_parser parser;
  domain::stay_table table;
  stats_view counters; // the non-table fields, copied into each published view
};

/// Counts each record once: a record at an offset below the partition's next counted offset
/// was counted before (the partition was revoked and assigned again and, as the view commits
/// no offsets, read from the start) and is skipped. Replies to the sender of each batch
/// (the consumer) with batch_delivered{partition, epoch, records, last offset + 1}.
aggregator_actor::behavior_type aggregator(aggregator_actor::stateful_pointer<aggregator_state> self,
                                           stats_board* board);

} // namespace kstream
