#pragma once

// The producer actor: writes each partition's enriched batches through its record sink,
// gives credit back to the consumer once Kafka acknowledged a batch, commits (exactly_once:
// the output and the input offsets in one transaction), hands partitions over before they
// are revoked, and after a failure aborts the transaction and has the consumer rewind just
// the partitions whose work was lost (librdkafka's examples/transactions.c). One actor in
// three files by concern: producer.cpp (the behaviour, ticks, hand-overs, stopping),
// producer_output.cpp (the write path and delivery reports), producer_transaction.cpp
// (commits, aborts, the byte budget).

#include "core/batch_ledger.hpp"
#include "core/pipeline_metrics.hpp"
#include "core/pipeline_settings.hpp"
#include "core/ports/group_membership.hpp"
#include "core/ports/record_sink.hpp"
#include "core/refused_records.hpp"
#include "core/transaction_budget.hpp"
#include "messages/errors.hpp"
#include "messages/interfaces.hpp"

#include <caf/typed_response_promise.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace kstream {

struct producer_config {
  /// Its transaction_timeout_ms (librdkafka's transaction.timeout.ms) is also how long a
  /// retriable transaction error is retried.
  pipeline_settings pipeline;
  /// Failures (aborts, failed deliveries) without a successful commit in between before the
  /// job gives up: the same failure again and again is not retried forever.
  int max_failures_in_a_row = 5;
  /// How often the producer serves delivery reports and looks at the commit interval; 0: it
  /// does not tick by itself (its owner sends tick_atom, as the actor tests do).
  std::chrono::milliseconds tick_interval{10};
  /// Records the broker refused, shared with the classifiers (null: the producer keeps its own).
  std::shared_ptr<refused_records> refused;
  /// More records refused by the broker than this in one run is a fatal error: a topic that
  /// refuses everything is a configuration to fix, not thousands of dead letters to write.
  std::size_t max_refused_records = 100;
  /// The bytes the first transaction may hold before the output's delivery rate is measured;
  /// later transactions hold what the output delivers in a fifth of the transaction timeout.
  std::uint64_t initial_transaction_bytes = 4ULL << 20;
  /// The clock the transaction deadlines are measured with (empty: steady_clock; the actor
  /// tests move a clock of their own as their scripted output spends time).
  std::function<std::chrono::steady_clock::time_point()> clock;
};

struct pending_handover {
  handover_request request;
  caf::typed_response_promise<handover_result> promise;
};

class producer_state : public record_sink::listener {
public:
  static inline const char* name = "producer";

  producer_actor::pointer self = nullptr;
  producer_config config;
  std::shared_ptr<record_sink> sink;
  consumer_actor consumer; // receives credit (batch_delivered) and rewind requests
  metrics_registry* metrics = nullptr;
  batch_ledger ledger;
  visibility_tracker visibility{nullptr}; // end-to-end latency: set up with `metrics`

  bool transaction_open = false;
  /// config.pipeline's transaction timeout; a stop bounds it by the shutdown timeout.
  std::chrono::milliseconds transaction_timeout{0};
  /// Keeping each transaction committable within transaction.timeout.ms on a slow output: its
  /// start, the bytes written into it and acknowledged, how many it may hold (adapted to the
  /// measured delivery rate, see adapt_budget()), and whether it is full.
  transaction_budget budget;
  /// Once the open transaction is full (its budget or its fill window used) it commits at the
  /// next tick, and the batches that came since wait here, in order, for the next one. They
  /// hold the consumer's credit, so this queue is bounded by job.max-in-flight-bytes.
  std::deque<enriched_batch> deferred;
  /// Reads the consumer's group membership when the offsets are sent.
  membership_reader read_membership;
  /// The group generation the open transaction's work is valid in: the one it began in, moved
  /// on only when the consumer confirms that this member kept all of its partitions.
  std::int32_t transaction_generation = -1;
  /// The last generation the consumer confirmed this member's partitions in, and those.
  std::int32_t owned_generation = -1;
  std::set<std::int32_t> owned_partitions;
  /// Since when a due commit waits for the consumer to confirm a new generation.
  std::optional<std::chrono::steady_clock::time_point> generation_wait_since;
  /// Partitions whose consumed work was aborted and has not been committed since, nor handed
  /// over in a rebalance (its new owner reads it again): a stop with any is not a clean one.
  std::set<std::int32_t> aborted_work;
  std::vector<pending_handover> handovers;
  int failures_in_a_row = 0;
  bool stopping = false;
  bool failed = false; // a fatal error: the actor is quitting

  /// A failed delivery, acted on at the next tick: the partitions whose work it lost.
  struct delivery_failure {
    std::string reason;
    std::set<std::int32_t> partitions;
  };
  std::optional<delivery_failure> failure;

  /// Writing a suspect record alone (refused_records): the broker's reason when it refused it.
  bool isolating = false;
  std::optional<std::string> isolated_refusal;
  /// A refusal taught something since the last abort (new suspects, a record confirmed): the
  /// abort it causes is progress, not the same failure again.
  bool learnt_from_refusal = false;
  bool excuse_next_failure = false; // the failure after such an abort (see abort_and_rewind)
  /// The commit deadline was missed and the budget made smaller: that abort is not counted.
  bool budget_shrank = false;

  void on_delivered(std::uint64_t tag, bool dead_letter) override;
  void on_delivery_failed(std::uint64_t tag, bool dead_letter, const std::string& reason, bool refused) override;
  /// Before a suspect record: everything earlier is flushed, so that the record goes alone.
  /// False when an earlier record failed (the batch stays incomplete; the tick rewinds).
  bool begin_isolated();
  /// After the suspect record was produced (`taken`): flushes it and notes the verdict. False
  /// when it was refused or failed (the batch stays incomplete; the tick rewinds).
  bool end_isolated(std::int32_t partition, std::int64_t offset, bool dead_letter, bool taken);
  /// Records a failure that loses the work of `partition`; the next tick aborts and rewinds.
  void note_failure(std::string reason, std::int32_t partition);

  /// Writes the batch into the open transaction, or keeps it for the next one (deferred)
  /// when this one is full.
  void produce(enriched_batch& batch);
  void write_batch(enriched_batch& batch);
  /// Begins the transaction the next batch goes into; false when it could not (failing).
  bool open_transaction();
  /// Each record of a batch, through the sink (`id`: the batch's in the ledger); false when
  /// the rest of the batch is not to be written (a failure, noted for the tick or fatal).
  bool write_output(std::int32_t partition, const output_record& record, std::uint64_t id);
  bool write_dead_letter(std::int32_t partition, const dead_letter& letter, std::uint64_t id);
  /// The last resort for a record that no topic takes: its coordinates and `refusal` in an
  /// empty dead letter; false (and failing) when not even that could be written.
  bool write_unwritable(std::int32_t partition, const dead_letter& letter, const std::string& refusal,
                        std::uint64_t id);
  /// Writes deferred batches while the (new) transaction has room for them.
  void write_deferred();
  /// Whether the open transaction may take `bytes` more and still be delivered in time.
  bool has_room_for(std::uint64_t bytes);
  /// After a commit's flush: `acked` bytes were acknowledged in `took`, all of it (`in_time`)
  /// or not before the deadline. Sets the next transactions' byte budget from that delivery
  /// rate; returns whether the budget shrank.
  bool adapt_budget(std::uint64_t acked, std::chrono::steady_clock::duration took, bool in_time);
  std::chrono::steady_clock::time_point now() const;
  /// The fill window (a transaction holds what the output delivers in it) and the commit
  /// deadline (past it, a commit still flushing is aborted by the job itself, before the
  /// broker aborts it and fences the producer), both from the transaction's start.
  std::chrono::milliseconds fill_window() const;
  std::chrono::milliseconds flush_deadline() const;
  /// Gives credit back for every batch the ledger completed.
  void complete_batches();
  /// Commits the open transaction with the offsets it covers; false when it could not be
  /// committed (the work was aborted and rewound, or the actor is failing). With `may_wait`
  /// (a periodic commit) a transaction whose group generation moved on, but which the
  /// consumer has not confirmed yet, stays open for a later try (bounded by the shutdown
  /// timeout) instead of being aborted.
  bool commit_transaction(bool may_wait = false);
  /// Adds the offsets the open transaction covers, fenced with the consumer's membership now;
  /// false when the commit cannot go on (the generation moved: waiting for the consumer under
  /// `may_wait`, else aborted; or the offsets could not be sent).
  bool send_transaction_offsets(bool may_wait);
  void abort_and_rewind(const std::string& reason, std::set<std::int32_t> partitions);
  /// The consumer says this member owns `partitions` in `generation`: an open transaction
  /// whose partitions are all among them is valid in that generation; one with a partition
  /// that left without a hand-over is aborted.
  void on_assignment(std::int32_t generation, const std::set<std::int32_t>& partitions);
  /// The consumer stopped with an error: abort the open transaction (nothing more may be
  /// committed) and quit.
  void on_consumer_down(const caf::error& reason);
  void answer_handovers();
  void tick();
  void stop();
  /// A failure the job cannot go on from: every pending hand-over is refused and the actor
  /// quits with `code`, which makes main() stop the job with exit code 1.
  void fail(job_error code, const std::string& message);

private:
  /// Retries a transaction step while it is retriable, within `bound` (default: the
  /// transaction timeout).
  template <class Step>
  record_sink::step_result retry_step(Step&& step, std::optional<std::chrono::milliseconds> bound = std::nullopt);
  /// Calls `produce_once` until the sink takes the record or says why it will not, serving
  /// delivery reports while its queue is full.
  template <class ProduceOnce>
  record_sink::produce_result write_until_taken(ProduceOnce&& produce_once);
};

/// Spawn it detached: the sink blocks (flush, transaction calls).
/// `read_membership` gives the consumer's group membership (exactly_once offsets are sent
/// with it); the producer watches `consumer` and aborts its transaction when it fails.
producer_actor::behavior_type producer(producer_actor::stateful_pointer<producer_state> self, producer_config config,
                                       std::shared_ptr<record_sink> sink, consumer_actor consumer,
                                       metrics_registry* metrics, membership_reader read_membership);

} // namespace kstream
