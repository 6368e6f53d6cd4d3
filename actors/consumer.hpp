#pragma once

// The consumer actor: reads through a record_source, dispatches batches per partition with
// bounded credit, hands partitions over before revocation and rewinds them on request.

#include "core/pipeline_metrics.hpp"
#include "core/pipeline_settings.hpp"
#include "core/ports/record_source.hpp"
#include "messages/interfaces.hpp"

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

namespace kstream {

/// How the consumer is wired into the rest of the application.
struct consumer_hooks {
  /// The first stage of a new partition's pipeline (spawned on assignment).
  std::function<batch_stage_actor(std::int32_t partition)> spawn_stage;
  /// Blocks until everything dispatched for the partitions is delivered (and, under
  /// exactly_once, committed); nullopt when no answer came within its bound. Empty: nothing
  /// to wait for.
  std::function<std::optional<handover_result>(handover_request)> hand_over;
  /// A hand-over got no answer in time: the partitions' work may still be in an open
  /// transaction, so they must not be let go. Stops the process at once (exit code 1) with
  /// `reason`; the consumer quits with an error should it return (as in tests).
  std::function<void(const std::string& reason)> abandon;
  /// After each assignment: the partitions this member owns in which group generation.
  std::function<void(group_assignment)> on_assignment;
  /// After the consumer has closed: stop whatever is downstream.
  std::function<void()> on_closed;
};

struct consumer_settings {
  std::size_t batch_size = pipeline_settings{}.batch_size;
  std::int64_t max_in_flight = static_cast<std::int64_t>(pipeline_settings{}.max_in_flight);
  /// The same bound in bytes (what the records hold in memory), shared the same way.
  std::int64_t max_in_flight_bytes = static_cast<std::int64_t>(pipeline_settings{}.max_in_flight_bytes);
  /// Commit offsets from delivery acks (at_least_once); under exactly_once the producer does.
  bool commit_acked_offsets = false;
  std::chrono::milliseconds commit_interval{pipeline_settings{}.commit_interval_ms};
  /// Finish once every assigned partition is at its end and nothing is in flight.
  bool drain = false;
  std::chrono::milliseconds idle_poll_timeout{100};
  std::chrono::milliseconds busy_poll_timeout{2};
};

struct partition_flow {
  batch_stage_actor stage;
  std::uint64_t epoch = 0;          // batches and acks of other epochs are stale
  std::int64_t in_flight = 0;       // records dispatched, not yet acknowledged
  std::int64_t in_flight_bytes = 0; // their bytes (consumed_batch::bytes)
  bool paused = false;
  bool at_end = false;               // read everything committed so far (caught up)
  bool at_log_end = false;           // and nothing held back by an open transaction (drain mode)
  std::int64_t dispatched_next = -1; // offset after the last record dispatched
  std::int64_t acked_next = -1;      // offset after the last record acknowledged
  std::int64_t committed_next = -1;  // what was committed last (at_least_once)
  std::vector<kafka_record> pending; // read in this poll, not yet dispatched
  std::uint64_t pending_bytes = 0;
};

class consumer_state : public record_source::listener {
public:
  static inline const char* name = "consumer";

  consumer_actor::pointer self = nullptr;
  std::shared_ptr<record_source> source;
  consumer_hooks hooks;
  consumer_settings settings;
  metrics_registry* metrics = nullptr;

  std::map<std::int32_t, partition_flow> partitions;
  std::uint64_t epoch = 1;
  bool ever_assigned = false;
  bool closed = false;
  bool closing = false;
  /// Why the last hand-over of a closing consumer was not committed; set: the consumer quits
  /// with an error, so that the job does not exit 0 with consumed work uncommitted.
  std::optional<std::string> unfinished;
  /// Set by the source when the consumer cannot go on; acted on after the poll.
  std::optional<std::string> fatal;
  std::chrono::steady_clock::time_point last_commit = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point last_lag_update;

  void on_assigned(const std::vector<std::int32_t>& partitions) override;
  void on_revoked(const std::vector<std::int32_t>& partitions, bool lost) override;
  void on_record(std::int32_t partition, kafka_record&& record) override;
  void on_end_of_partition(std::int32_t partition, bool log_end) override;
  void on_fatal_error(const std::string& reason) override;

  void poll_once();
  void dispatch_pending();
  /// The records a partition may have in flight: its share of the instance's bound.
  std::int64_t partition_credit() const;
  /// The bytes a partition may have in flight: its share of max_in_flight_bytes. A record
  /// larger than the share still goes, alone.
  std::int64_t partition_byte_credit() const;
  /// Sends the partition's pending records as one batch.
  void send_pending(std::int32_t partition, partition_flow& flow);
  /// Pauses the partition once its records or bytes in flight reach its share.
  void pause_when_out_of_credit(std::int32_t partition, partition_flow& flow);
  void on_delivered(const batch_delivered& ack);
  /// Seeks the requested partitions back to their committed offsets under new epochs; an
  /// error when a partition could not be repositioned (records would be skipped).
  caf::expected<rewind_done> on_rewind(const rewind_request& request);
  void commit_acked(bool synchronous);
  bool drained() const;
  /// Leaves the group (handing over what is in flight) and ends the actor, with `reason`
  /// when it fails (or with an error when the last records consumed were not committed).
  void close(caf::error reason = caf::none);
  /// Stops at once, without handing anything over or committing: the pipeline stages are
  /// stopped and the actor quits with `error` (the producer aborts its open transaction).
  void fail(caf::error error);
};

/// Owns the record source (the Kafka consumer). Dispatches each partition's records in
/// batches to that partition's pipeline, keeps at most `max_in_flight` records and about
/// `max_in_flight_bytes` bytes in flight in all, shared evenly by the assigned partitions
/// (pausing a partition at its share of either, resuming when acks give credit back), and hands partitions over before they are revoked. Spawn it
/// detached: the source blocks. It starts polling on the first poll_atom, once the caller has
/// wired everything; stop_atom closes it.
consumer_actor::behavior_type consumer(consumer_actor::stateful_pointer<consumer_state> self,
                                       std::shared_ptr<record_source> source, consumer_hooks hooks,
                                       consumer_settings settings, metrics_registry* metrics);

} // namespace kstream
