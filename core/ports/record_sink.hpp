#pragma once

// The producer actor's view of its output: Kafka in production (adapters/kafka_record_sink),
// a scripted sink in actor tests. Every call happens on the producer actor's thread;
// delivery reports reach the listener from inside poll() and flush().

#include "core/ports/group_membership.hpp"
#include "messages/records.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace kstream {

class record_sink {
public:
  /// Receives the delivery report of every record the sink took. `tag` is what produce_*()
  /// was given; `dead_letter` says which topic the record went to; `refused`: the broker
  /// refused the record's batch for a reason of the records' own (too large, invalid
  /// timestamp, invalid or corrupt record), not for a state of the producer or the cluster.
  class listener {
  public:
    virtual ~listener() = default;
    virtual void on_delivered(std::uint64_t tag, bool dead_letter) = 0;
    virtual void on_delivery_failed(std::uint64_t tag, bool dead_letter, const std::string& reason, bool refused) = 0;
  };

  /// What produce_*() did with a record: took it; has no room now (serve delivery reports
  /// and try again); refused this record for good (too large, invalid: a per-record
  /// failure); or failed for a reason that is not the record's (the producer is in a failed
  /// state: abort and rewind).
  enum class take { taken, queue_full, refused, failed };

  struct produce_result {
    take outcome = take::taken;
    std::string reason;
  };

  /// The outcome of a transaction step, as librdkafka classifies errors (transactions.c):
  /// retriable (try the same step again), abortable (abort, rewind, go on), fatal (stop).
  enum class step { ok, retriable, abortable, fatal };

  struct step_result {
    step outcome = step::ok;
    std::string message;
    bool ok() const {
      return outcome == step::ok;
    }
  };

  virtual ~record_sink() = default;
  virtual void set_listener(listener* target) = 0;
  /// An enriched record of input partition `source_partition` to the output topic.
  virtual produce_result produce_output(std::int32_t source_partition, const output_record& record,
                                        std::uint64_t tag) = 0;
  /// A record that could not be processed, byte for byte, with the reason in its headers.
  virtual produce_result produce_dead_letter(std::int32_t source_partition, const dead_letter& letter,
                                             std::uint64_t tag) = 0;
  /// The last resort for a dead letter that the dead-letter topic refused too: a record with an
  /// empty value and the source coordinates and both reasons in headers.
  virtual produce_result produce_unwritable(std::int32_t source_partition, const dead_letter& letter,
                                            const std::string& refusal, std::uint64_t tag) = 0;
  /// Serves delivery reports, waiting up to `timeout` for one.
  virtual void poll(std::chrono::milliseconds timeout) = 0;
  /// Waits up to `timeout` for every record taken to be reported; false when some are not.
  virtual bool flush(std::chrono::milliseconds timeout) = 0;
  /// While the output's brokers are known to be down, asks one whether it answers again (at
  /// most once a second, briefly). The sink keeps its reachability where /readyz reads it.
  virtual void probe_connection() = 0;

  virtual step_result begin_transaction() = 0;
  /// Adds the consumer's offsets (partition, next offset) to the open transaction, fenced
  /// with the consumer's group membership `group`.
  virtual step_result send_offsets(const std::vector<std::pair<std::int32_t, std::int64_t>>& offsets,
                                   const group_membership& group, std::chrono::milliseconds timeout) = 0;
  virtual step_result commit_transaction(std::chrono::milliseconds timeout) = 0;
  virtual step_result abort_transaction(std::chrono::milliseconds timeout) = 0;
};

} // namespace kstream
