#pragma once

// The pipeline's settings and their defaults: the one place a default of the job's [job]
// options is written (app/config.cpp's option table, the sample .ini files and the chart's
// values are checked against these).

#include <chrono>
#include <cstdint>

namespace kstream {

enum class delivery_guarantee { exactly_once, at_least_once };

const char* to_string(delivery_guarantee guarantee) noexcept;

/// How records flow through the actors of one instance.
struct pipeline_settings {
  delivery_guarantee guarantee = delivery_guarantee::exactly_once;
  /// Records in flight per instance (consumed, not yet acknowledged). Its assigned partitions
  /// share the bound evenly, each paused when its share is used up (backpressure), so memory
  /// stays the same however many partitions the instance is given. A share is never below
  /// one batch.
  std::uint64_t max_in_flight = 60000;
  /// The same bound in bytes: what the records in flight hold in memory (key, value, headers
  /// and a fixed allowance per record), shared and enforced the same way, so that memory stays
  /// bounded whatever the record size. librdkafka's queues are sized from it
  /// (adapters/kafka_clients.cpp); the job's peak RSS stays under about 64 MiB plus twice this
  /// (README "Sizing memory"; the chart's memorySizing checks its memory limit against it).
  std::uint64_t max_in_flight_bytes = 128ULL << 20;
  /// Records per batch between actors.
  std::uint64_t batch_size = 1000;
  /// Transaction commit interval (exactly_once), offset commit interval (at_least_once).
  std::uint64_t commit_interval_ms = 1000;
  /// Finish once every assigned partition is at its end and everything is committed.
  bool drain = false;
  /// Bound on a graceful stop, and on every blocking Kafka call made while stopping.
  std::uint64_t shutdown_timeout_ms = 30000;
  /// exactly_once: librdkafka's transaction.timeout.ms. The broker aborts a transaction left
  /// open this long, so it bounds how long a crashed instance's open transaction holds back
  /// what read_committed readers see when no successor with its transactional id fences it
  /// (Kafka's default, 60 s, would be a minute; Kafka Streams sets 10 s under exactly_once_v2).
  /// Also how long a retriable transaction error is retried.
  std::uint64_t transaction_timeout_ms = 10000;
};

} // namespace kstream
