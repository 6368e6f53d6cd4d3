#pragma once

// Input records the broker refused for a reason of its own (too large, invalid timestamp,
// invalid or corrupt record), knowing no actor and no Kafka. Shared by the producer, which
// finds them out, and the classifiers, which send them to the dead-letter topic when they are
// read again. Tested directly and through the producer's tests (tests/unit).
//
// The broker refuses a whole request (one batch of one partition): every record of it fails
// with the same error. So a refusal first makes the records of the failed batches suspects;
// the producer writes each suspect alone (flushed before and after), which tells the guilty
// record from the innocent ones: a refused suspect is confirmed, an accepted one cleared.
// What is kept here lives as long as the process: see README "Refused records" for the limit.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace kstream {

class refused_records {
public:
  enum class verdict {
    suspect,                // in a batch the broker refused: write it alone to find out
    refused_by_output,      // the output topic refused it alone: a dead letter instead
    refused_by_dead_letter, // the dead-letter topic refused it too: an unwritable record
  };

  struct entry {
    verdict state = verdict::suspect;
    std::string reason; // the broker's, for the dead letter's reason header
  };

  /// The records at offsets [first, last] of `partition` were in a refused batch; true when
  /// one of them was not known yet (something was learnt). Confirmed ones stay confirmed.
  bool suspect(std::int32_t partition, std::int64_t first, std::int64_t last);

  /// The record was refused on its own by the output (`dead_letter` false) or the
  /// dead-letter topic; true when this is news.
  bool confirm(std::int32_t partition, std::int64_t offset, bool dead_letter, const std::string& reason);

  /// The suspect went through on its own: it is innocent.
  void clear(std::int32_t partition, std::int64_t offset);

  /// What is known of the record; nullopt for the vast majority (a lock-free check first).
  std::optional<entry> find(std::int32_t partition, std::int64_t offset) const;

  /// Records confirmed refused so far.
  std::size_t confirmed() const;

private:
  void recount(); // under the lock

  mutable std::mutex mutex_;
  std::map<std::int32_t, std::map<std::int64_t, entry>> records_;
  std::size_t confirmed_ = 0;
  std::atomic<std::size_t> size_{0};
};

} // namespace kstream
