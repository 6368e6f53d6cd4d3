#pragma once

// The producer's bookkeeping, knowing no actor and no Kafka: which batches are being
// written, which of their records the output has acknowledged, the offsets each partition
// has delivered (and those the open transaction covers), and which work is stale because
// its partition was rewound or handed over since. Tested directly (tests/unit).

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <unordered_map>
#include <utility>
#include <vector>

namespace kstream {

class batch_ledger {
public:
  /// A batch whose every record (output and dead letters) is acknowledged.
  struct completed_batch {
    std::int32_t partition = -1;
    std::uint64_t epoch = 0;
    std::uint64_t records = 0;
    std::uint64_t produced = 0;      // acknowledged by the output topic
    std::uint64_t dead_lettered = 0; // acknowledged by the dead-letter topic
    std::int64_t next_offset = -1;   // the input offset after the batch (-1: none)
    std::uint64_t bytes = 0;         // the consumer's byte credit it gives back
  };

  /// Whether work of `partition` from the consumer's `epoch` is current: not older than the
  /// partition's last rewind or hand-over, and no rewind of it is under way.
  bool accepts(std::int32_t partition, std::uint64_t epoch) const;

  /// Starts tracking a batch of `records` records (holding `bytes` of the consumer's byte
  /// credit; its input offsets from `first_offset`); returns its id, the tag of its records.
  std::uint64_t open(std::int32_t partition, std::uint64_t epoch, std::int64_t last_offset, std::uint64_t records,
                     std::uint64_t bytes = 0, std::int64_t first_offset = -1);

  /// The input offsets [first, last] of batch `id` while it is tracked.
  std::optional<std::pair<std::int64_t, std::int64_t>> offsets_of(std::uint64_t id) const;

  /// One record of batch `id` is acknowledged; a batch given up since is ignored.
  void acknowledge(std::uint64_t id, bool dead_letter);

  /// The partition of batch `id` while it is tracked.
  std::optional<std::int32_t> partition_of(std::uint64_t id) const;

  /// Takes, per partition in input order, the batches at the head that are complete: their
  /// offsets become the partition's delivered offset and part of the open transaction.
  std::vector<completed_batch> take_completed();

  /// No batch is being tracked.
  bool idle() const {
    return batches_.empty();
  }

  /// Per partition: the next input offset of what the open transaction delivered.
  const std::map<std::int32_t, std::int64_t>& transaction_offsets() const {
    return transaction_offsets_;
  }

  /// The open transaction committed: its offsets are no longer pending.
  void transaction_committed();

  /// Partitions with work in the open transaction: delivered, or still being written.
  std::set<std::int32_t> partitions_in_transaction() const;

  /// The work of `partitions` is lost (aborted transaction, failed delivery): forget their
  /// batches and offsets, and refuse their work until rewound() brings the new epoch.
  void begin_rewind(const std::set<std::int32_t>& partitions);

  /// The consumer has rewound `partition`: its work from `epoch` on is current again.
  void rewound(std::int32_t partition, std::uint64_t epoch);

  bool rewinding(std::int32_t partition) const;

  /// Whether the work of `partition` in `epoch`, up to `next_offset` (exclusive; -1: none),
  /// is all delivered. False for stale work, which will never be.
  bool delivered_up_to(std::int32_t partition, std::uint64_t epoch, std::int64_t next_offset) const;

  /// The partition's delivered offset; -1 when nothing of the current work is delivered.
  std::int64_t delivered_next(std::int32_t partition) const;

  /// The partition leaves this instance: forget its delivered offset and refuse its work of
  /// `epoch` and older that is still on its way.
  void hand_over(std::int32_t partition, std::uint64_t epoch);

private:
  struct batch {
    std::int32_t partition = -1;
    std::uint64_t epoch = 0;
    std::int64_t last_offset = -1;
    std::uint64_t records = 0;
    std::uint64_t remaining = 0;
    std::uint64_t produced = 0;
    std::uint64_t dead_lettered = 0;
    std::uint64_t bytes = 0;
    std::int64_t first_offset = -1;
  };

  struct partition_book {
    std::deque<std::uint64_t> in_order; // batch ids, oldest first
    std::int64_t delivered_next = -1;
    std::uint64_t first_valid_epoch = 0;
    bool rewinding = false;
  };

  std::unordered_map<std::uint64_t, batch> batches_;
  std::map<std::int32_t, partition_book> partitions_;
  std::map<std::int32_t, std::int64_t> transaction_offsets_;
  std::uint64_t next_id_ = 1;
};

} // namespace kstream
