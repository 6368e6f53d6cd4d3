#pragma once

// The consumer's membership in its group, as exactly-once commits need it: librdkafka's group
// metadata, which the transaction's offsets are sent with (the broker fences them with it,
// KIP-447), and the generation it belongs to, which the producer checks its transaction
// against. Read from the consumer each time it is needed, never cached: a cached copy goes
// stale at the next rebalance (librdkafka's examples/transactions.c reads it at commit time).

#include <cstdint>
#include <functional>
#include <memory>

struct rd_kafka_consumer_group_metadata_s; // librdkafka's, opaque outside adapters/

namespace kstream {

struct group_membership {
  /// Null outside a group (tests, or a consumer that never joined).
  std::shared_ptr<rd_kafka_consumer_group_metadata_s> metadata;
  /// -1: not a member of any generation (not joined yet, or the membership was lost).
  std::int32_t generation = -1;
};

/// Reads the membership now; callable from any thread (librdkafka serves it on its own).
using membership_reader = std::function<group_membership()>;

} // namespace kstream
