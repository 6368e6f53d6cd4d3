#pragma once

// The consumer's membership in its group, as exactly-once commits need it: librdkafka's group
// metadata, which the transaction's offsets are sent with (the broker fences them with it,
// KIP-447), and the generation it belongs to, which the producer checks its transaction
// against. Read from the consumer each time it is needed, never cached: a cached copy goes
// stale at the next rebalance (librdkafka's examples/transactions.c reads it at commit time).

#include <cstdint>
#include <functional>
#include <memory>

#include <utility>

namespace kstream {

/// The group metadata as the layers before adapters/ see it: a handle they can hold, copy and
/// pass on, but neither make nor look into. Only adapters/kafka_group_metadata.hpp wraps
/// librdkafka's metadata in one and unwraps it again, so that no header before adapters/ names
/// a librdkafka type (tools/check_layers.py fails on one).
class group_metadata {
public:
  group_metadata() = default;
  /// False outside a group (tests, or a consumer that never joined).
  explicit operator bool() const noexcept {
    return handle_ != nullptr;
  }

private:
  friend struct kafka_group_metadata;
  explicit group_metadata(std::shared_ptr<void> handle) : handle_(std::move(handle)) {
  }
  std::shared_ptr<void> handle_;
};

struct group_membership {
  /// Empty outside a group (tests, or a consumer that never joined).
  group_metadata metadata;
  /// -1: not a member of any generation (not joined yet, or the membership was lost).
  std::int32_t generation = -1;
};

/// Reads the membership now; callable from any thread (librdkafka serves it on its own).
using membership_reader = std::function<group_membership()>;

} // namespace kstream
