#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace kstream {

/// Counters of one input partition. Actors update them with relaxed atomics on their hot
/// paths; the HTTP endpoint and the progress line read them.
struct partition_metrics {
  std::atomic<std::uint64_t> consumed{0};
  std::atomic<std::uint64_t> produced{0};
  std::atomic<std::uint64_t> dead_lettered{0};
  std::atomic<std::int64_t> in_flight{0};
  std::atomic<std::int64_t> lag{-1}; // -1: unknown yet
  std::atomic<bool> assigned{false};
  std::atomic<bool> paused{false};
  std::atomic<std::uint64_t> pauses{0}; // times backpressure paused the partition
};

/// Process-wide metrics, shared by the actors (like a Prometheus client registry).
class metrics_registry {
public:
  /// The counters of `partition`, created on first use; the reference stays valid.
  partition_metrics& partition(std::int32_t partition);

  std::atomic<std::uint64_t> transactions_committed{0};
  std::atomic<std::uint64_t> transactions_aborted{0};
  std::atomic<std::uint64_t> rebalances{0};
  std::atomic<bool> consuming{false}; // the consumer is polling with a live assignment

  struct totals {
    std::uint64_t consumed = 0, produced = 0, dead_lettered = 0;
    std::int64_t in_flight = 0, lag = 0;
    std::uint64_t pauses = 0;
    std::size_t assigned = 0;
  };
  totals sum() const;

  /// Prometheus text exposition format (version 0.0.4).
  std::string prometheus_text() const;

private:
  mutable std::mutex mutex_; // guards the map's shape, not the counters
  std::map<std::int32_t, std::unique_ptr<partition_metrics>> partitions_;
};

} // namespace kstream
