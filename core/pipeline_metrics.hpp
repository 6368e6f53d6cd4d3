#pragma once

// The pipeline's counters: the actors update them with relaxed atomics on their hot paths;
// the HTTP endpoints (adapters/prometheus), the progress line and the final log line read them.

#include "messages/records.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

namespace kstream {

/// Counters of one input partition.
struct partition_metrics {
  std::atomic<std::uint64_t> consumed{0};
  std::atomic<std::uint64_t> produced{0};
  std::atomic<std::uint64_t> dead_lettered{0};
  std::atomic<std::int64_t> in_flight{0};
  std::atomic<std::int64_t> in_flight_bytes{0}; // the consumer's byte credit in use
  std::atomic<std::int64_t> lag{-1};            // -1: unknown (not exported)
  /// Read to its end (read_committed: the last stable offset) and every record read handed
  /// on: stored after in_flight, so that a reader that sees it (acquire) sees in_flight too.
  std::atomic<bool> at_end{false};
  std::atomic<bool> assigned{false};
  std::atomic<bool> paused{false};
  std::atomic<std::uint64_t> pauses{0};  // times backpressure paused the partition
  std::atomic<std::uint64_t> rewinds{0}; // times the partition was read again after a failure

  /// The partition was assigned to this instance (`now_assigned`) or taken from it: nothing
  /// of it in flight, at its end or paused, its lag unknown (assigned: until the next lag
  /// update; unassigned: its lag series goes away).
  void reset_flow(bool now_assigned) {
    assigned = now_assigned;
    in_flight = 0;
    in_flight_bytes = 0;
    at_end = false;
    paused = false;
    lag = -1;
  }
};

/// A Prometheus histogram with fixed upper bounds: observed from one thread or several,
/// read by the /metrics endpoint at any time.
class histogram {
public:
  explicit histogram(std::vector<double> upper_bounds);

  void observe(double value) {
    observe(value, 1);
  }
  /// `count` observations of `value`.
  void observe(double value, std::uint64_t count);

  struct snapshot {
    std::vector<double> upper_bounds;
    std::vector<std::uint64_t> cumulative; // per bound, then +Inf (= count)
    double sum = 0;
  };
  snapshot read() const;

private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> buckets_; // per bound, then +Inf; not cumulative
  std::atomic<double> sum_{0};
};

/// Upper bounds of kstream_end_to_end_latency_seconds and kstream_commit_duration_seconds.
std::vector<double> latency_buckets();
std::vector<double> commit_duration_buckets();

/// Whether the pipeline moves: the verdict of /healthz.
struct pipeline_health {
  bool healthy = true;
  std::string reason; // why not, for the 503's body
};

/// Process-wide metrics, shared by the actors (like a Prometheus client registry).
class metrics_registry {
public:
  metrics_registry();

  /// The input topic: the `topic` label of the per-partition series. Set before the actors run.
  std::string topic;

  /// The counters of `partition`, created on first use; the reference stays valid.
  partition_metrics& partition(std::int32_t partition);

  std::atomic<std::uint64_t> transactions_committed{0};
  std::atomic<std::uint64_t> transactions_aborted{0};
  /// Of those, aborted by the job itself because the output had not taken the transaction's
  /// records by its commit deadline (a slow output): the next transactions are made smaller.
  std::atomic<std::uint64_t> transactions_aborted_slow_output{0};
  /// The bytes one transaction may hold now (adapted to the output's delivery rate).
  std::atomic<std::uint64_t> transaction_budget_bytes{0};
  std::atomic<std::uint64_t> rebalances{0};
  /// Records that neither the output nor the dead-letter topic took whole: the dead-letter
  /// topic got their coordinates and the reason with an empty value.
  std::atomic<std::uint64_t> records_unwritable{0};
  /// Records the broker refused for a reason of its own (too large, invalid timestamp,
  /// corrupt ...): found out, they went to the dead-letter topic with the broker's reason.
  std::atomic<std::uint64_t> records_refused_by_broker{0};
  /// job.max-in-flight-bytes, for /metrics beside the bytes in flight.
  std::atomic<std::int64_t> in_flight_bytes_limit{0};
  std::atomic<bool> consuming{false};       // the consumer is polling with a live assignment
  std::atomic<bool> input_reachable{true};  // false while the consumer's brokers are down
  std::atomic<bool> output_reachable{true}; // false while the producer's brokers are down

  /// Input record timestamp to the commit that made the record's output visible.
  histogram end_to_end_latency{latency_buckets()};
  /// One transaction commit (exactly_once) or offset commit call (at_least_once).
  histogram commit_duration{commit_duration_buckets()};

  /// Kafka acknowledged work of the pipeline (a batch delivered): it moves.
  void note_progress();
  /// Unix time in milliseconds of the last progress (the registry's creation until the first).
  std::int64_t last_progress_unix_ms() const {
    return last_progress_unix_ms_.load(std::memory_order_relaxed);
  }

  /// Stalled: no progress for `stall_timeout` (0: never stalled) while records are in
  /// flight or an assigned partition has lag, with the brokers reachable (an outage is
  /// /readyz's business, and a restart would not cure it).
  pipeline_health health(std::chrono::milliseconds stall_timeout,
                         std::chrono::steady_clock::time_point now = std::chrono::steady_clock::now()) const;

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
  std::atomic<std::int64_t> last_progress_unix_ms_;
  std::atomic<std::int64_t> last_progress_steady_ns_;
};

/// The producer's side of kstream_end_to_end_latency_seconds: the input timestamps of the
/// records being written, per partition and consumer epoch in input order, until the commit
/// that makes them visible observes them (or a rewind forgets them). One thread only.
class visibility_tracker {
public:
  explicit visibility_tracker(histogram* latency) : latency_(latency) {
  }

  /// The batch's records and dead letters are being written.
  void writing(const enriched_batch& batch);
  /// The partition's oldest batch of `epoch` being written is acknowledged (batches complete
  /// in input order); older epochs' batches are stale (rewound, handed over) and forgotten.
  void delivered(std::int32_t partition, std::uint64_t epoch);
  /// What was delivered is visible now (a committed transaction; at_least_once: the ack).
  void visible(std::chrono::system_clock::time_point now = std::chrono::system_clock::now());
  /// The work of `partitions` is lost (aborted, failed): it will be read and timed again.
  void forget(const std::set<std::int32_t>& partitions);

private:
  struct batch_times {
    std::uint64_t epoch = 0;
    std::vector<std::int64_t> timestamps; // milliseconds since the Unix epoch; -1: none
  };
  histogram* latency_;
  std::map<std::int32_t, std::deque<batch_times>> writing_;
  std::map<std::int32_t, std::vector<std::int64_t>> delivered_;
};

} // namespace kstream
