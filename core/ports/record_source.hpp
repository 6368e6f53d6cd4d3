#pragma once

// The consumer actor's view of its input: Kafka in production (adapters/kafka_record_source),
// an in-memory source in actor tests. Every call happens on the consumer actor's thread.

#include "core/ports/group_membership.hpp"
#include "messages/records.hpp"

#include <caf/error.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace kstream {

class record_source {
public:
  /// Receives what a poll() or close() brings. Assignment changes arrive synchronously
  /// (inside poll or close), so the listener may block to drain before a revocation ends.
  class listener {
  public:
    virtual ~listener() = default;
    virtual void on_assigned(const std::vector<std::int32_t>& partitions) = 0;
    /// `lost`: the assignment was lost (session expired, fenced), not given up in a rebalance:
    /// others may own these partitions already.
    virtual void on_revoked(const std::vector<std::int32_t>& partitions, bool lost) = 0;
    virtual void on_record(std::int32_t partition, kafka_record&& record) = 0;
    /// Everything committed so far is read. `log_end`: and nothing after it is held back by a
    /// transaction still open (or committed a moment ago, its markers on their way): only
    /// there does a drain end, or it would leave committed records behind.
    virtual void on_end_of_partition(std::int32_t partition, bool log_end) = 0;
    /// The consumer cannot go on (e.g. FENCED_INSTANCE_ID: another instance took its
    /// group.instance.id); `reason` names the error and the fix.
    virtual void on_fatal_error(const std::string& reason) = 0;
  };

  virtual ~record_source() = default;
  virtual void set_listener(listener* target) = 0;
  /// Waits up to `timeout` for the first record, then takes what is ready, up to `max_records`.
  virtual void poll(std::size_t max_records, std::chrono::milliseconds timeout) = 0;
  virtual void pause(std::int32_t partition) = 0;
  virtual void resume(std::int32_t partition) = 0;
  /// Positions the partitions at their committed offsets (or the start, if none); an error
  /// when the committed offsets cannot be read or a seek fails (nothing may be skipped).
  virtual caf::error rewind(const std::vector<std::int32_t>& partitions) = 0;
  /// Commits offsets (partition, next offset to read).
  virtual void commit(const std::vector<std::pair<std::int32_t, std::int64_t>>& offsets, bool synchronous) = 0;
  /// The consumer's group membership now (thread-safe: the producer reads it when it commits).
  virtual group_membership membership() = 0;
  /// High watermark minus position; -1 when unknown.
  virtual std::int64_t lag(std::int32_t partition) = 0;
  /// False while the source has lost its brokers (for /readyz).
  virtual bool reachable() = 0;
  /// Why the source cannot go on (the brokers refuse its principal: authorization), set by a
  /// poll(); none while it can. Waiting would not help: the consumer stops.
  virtual caf::error failure() = 0;
  /// Leaves the group; the final revocation reaches the listener before this returns.
  virtual void close() = 0;
};

} // namespace kstream
