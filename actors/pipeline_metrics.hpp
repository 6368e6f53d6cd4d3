#pragma once

// The pipeline's counters: the actors update them with relaxed atomics on their hot paths;
// the HTTP endpoints (adapters/prometheus), the progress line and the final log line read them.

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace kstream {

/// Counters of one input partition.
struct partition_metrics {
  std::atomic<std::uint64_t> consumed{0};
  std::atomic<std::uint64_t> produced{0};
  std::atomic<std::uint64_t> dead_lettered{0};
  std::atomic<std::int64_t> in_flight{0};
  std::atomic<std::int64_t> in_flight_bytes{0}; // the consumer's byte credit in use
  std::atomic<std::int64_t> lag{-1}; // -1: unknown yet
  /// Read to its end (read_committed: the last stable offset) and every record read handed
  /// on: stored after in_flight, so that a reader that sees it (acquire) sees in_flight too.
  std::atomic<bool> at_end{false};
  std::atomic<bool> assigned{false};
  std::atomic<bool> paused{false};
  std::atomic<std::uint64_t> pauses{0};  // times backpressure paused the partition
  std::atomic<std::uint64_t> rewinds{0}; // times the partition was read again after a failure
};

/// Process-wide metrics, shared by the actors (like a Prometheus client registry).
class metrics_registry {
public:
  /// The counters of `partition`, created on first use; the reference stays valid.
  partition_metrics& partition(std::int32_t partition);

  std::atomic<std::uint64_t> transactions_committed{0};
  std::atomic<std::uint64_t> transactions_aborted{0};
  std::atomic<std::uint64_t> rebalances{0};
  /// Records that neither the output nor the dead-letter topic took whole: the dead-letter
  /// topic got their coordinates and the reason with an empty value.
  std::atomic<std::uint64_t> records_unwritable{0};
  /// Records the broker refused for a reason of its own (too large, invalid timestamp,
  /// corrupt ...): found out, they went to the dead-letter topic with the broker's reason.
  std::atomic<std::uint64_t> records_refused_by_broker{0};
  /// job.max-in-flight-bytes, for /metrics beside the bytes in flight.
  std::atomic<std::int64_t> in_flight_bytes_limit{0};
  std::atomic<bool> consuming{false};   // the consumer is polling with a live assignment
  std::atomic<bool> input_reachable{true};  // false while the consumer's brokers are down
  std::atomic<bool> output_reachable{true}; // false while the producer's brokers are down

  struct totals {
    std::uint64_t consumed = 0, produced = 0, dead_lettered = 0;
    std::int64_t in_flight = 0, in_flight_bytes = 0, lag = 0;
    std::uint64_t pauses = 0, rewinds = 0;
    std::size_t assigned = 0;
  };
  totals sum() const;

  /// Calls `visit` for every partition's counters in partition order (under the map's lock).
  void for_each_partition(const std::function<void(std::int32_t, const partition_metrics&)>& visit) const;

private:
  mutable std::mutex mutex_; // guards the map's shape, not the counters
  std::map<std::int32_t, std::unique_ptr<partition_metrics>> partitions_;
};

} // namespace kstream
