// The producer actor (actors/producer.hpp): its behaviour, the tick that serves delivery
// reports and commits when due, hand-overs, a change of assignment, and stopping. The write
// path is in producer_output.cpp, the transactions in producer_transaction.cpp.
#include "actors/producer.hpp"

#include "core/partition_list.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <iterator>
#include <utility>

namespace kstream {

std::chrono::steady_clock::time_point producer_state::now() const {
  return config.clock ? config.clock() : std::chrono::steady_clock::now();
}

std::chrono::milliseconds producer_state::fill_window() const {
  return transaction_budget::fill_window(transaction_timeout);
}

std::chrono::milliseconds producer_state::flush_deadline() const {
  return transaction_budget::flush_deadline(transaction_timeout);
}

void producer_state::answer_handovers() {
  const bool transactional = config.pipeline.guarantee == delivery_guarantee::exactly_once;
  for (auto it = handovers.begin(); it != handovers.end();) {
    const auto& request = it->request;
    std::set<std::int32_t> stale; // rewound since: nothing of their work is left to commit
    bool reached = true;
    for (std::size_t i = 0; i < request.partitions.size(); ++i) {
      auto p = request.partitions[i];
      if (!ledger.accepts(p, request.epochs[i]))
        stale.insert(p);
      else if (!ledger.delivered_up_to(p, request.epochs[i], request.next_offsets[i]))
        reached = false;
    }
    if (!request.lost && !reached) {
      ++it;
      continue;
    }
    auto handover = std::move(*it);
    it = handovers.erase(it);
    const auto& done = handover.request;
    handover_result result;
    // Every hand-over ends in a commit or an abort: work of a partition that leaves must
    // never stay in the open transaction, whose next commit would be accepted under the new
    // generation after the partition's new owner has read the same records again.
    bool committed = !done.lost;
    if (done.lost) {
      result.error = "the assignment was lost; nothing of it was committed";
      if (transactional && transaction_open)
        abort_and_rewind("the assignment of partitions [" + partition_list(done.partitions)
                           + "] was lost (session expired or fenced)",
                         {});
    } else if (transactional && !commit_transaction()) {
      committed = false;
      result.error = "the transaction could not be committed";
    }
    result.ok = committed && stale.empty();
    if (committed && !stale.empty())
      result.error = "the work of partitions [" + partition_list(stale)
                     + "] was rewound; their uncommitted records will be read again";
    for (std::size_t i = 0; i < done.partitions.size(); ++i) {
      auto p = done.partitions[i];
      result.partitions.push_back(p);
      result.next_offsets.push_back(committed && stale.count(p) == 0 ? ledger.delivered_next(p) : -1);
      ledger.hand_over(p, done.epochs[i]);
      if (!done.closing)
        aborted_work.erase(p); // its next owner reads the aborted records again
    }
    handover.promise.deliver(std::move(result));
    // A commit may have rewound or failed, which changes the others: start over.
    it = handovers.begin();
  }
}

void producer_state::on_assignment(std::int32_t generation, const std::set<std::int32_t>& partitions) {
  owned_generation = generation;
  owned_partitions = partitions;
  // Aborted work of partitions that moved on is their new owners' to read again.
  for (auto it = aborted_work.begin(); it != aborted_work.end();)
    it = partitions.count(*it) == 0 ? aborted_work.erase(it) : std::next(it);
  if (failed || !transaction_open || config.pipeline.guarantee != delivery_guarantee::exactly_once)
    return;
  std::set<std::int32_t> gone;
  for (auto p : ledger.partitions_in_transaction())
    if (partitions.count(p) == 0)
      gone.insert(p);
  if (gone.empty()) {
    transaction_generation = generation; // kept all of its partitions: still valid
    return;
  }
  abort_and_rewind("partitions [" + partition_list(gone) + "] left this instance without a hand-over", {});
}

void producer_state::on_consumer_down(const caf::error& reason) {
  if (failed || !reason || reason == caf::exit_reason::user_shutdown)
    return; // a normal stop: the consumer sent stop_atom before it quit
  failed = true;
  spdlog::error("producer: the consumer stopped ({}): aborting the open transaction, nothing more is committed",
                describe_error(reason));
  if (config.pipeline.guarantee == delivery_guarantee::exactly_once && transaction_open) {
    auto aborted = sink->abort_transaction(
      std::min(transaction_timeout, std::chrono::milliseconds(config.pipeline.shutdown_timeout_ms)));
    transaction_open = false;
    if (aborted.ok())
      metrics->transactions_aborted.fetch_add(1, std::memory_order_relaxed);
    else
      spdlog::error("producer: cannot abort the transaction ({}); the broker aborts it after transaction.timeout.ms",
                    aborted.message);
  }
  for (auto& handover : handovers)
    handover.promise.deliver(handover_result{false, "the consumer stopped", {}, {}});
  handovers.clear();
  sink->set_listener(nullptr);
  // The consumer's error is the job's exit reason; this one adds nothing to it.
  self->quit(caf::exit_reason::user_shutdown);
}

void producer_state::tick() {
  sink->poll(std::chrono::milliseconds(0));
  complete_batches();
  sink->probe_connection();
  if (failure) {
    auto lost = *failure;
    abort_and_rewind(lost.reason, lost.partitions);
    if (failed)
      return;
  }
  // Due at the commit interval, or earlier: when full, or at the end of its fill window (a
  // commit interval longer than that would let the transaction outgrow the timeout).
  if (transaction_open
      && (budget.full()
          || now() - budget.started()
               >= std::min(std::chrono::milliseconds(config.pipeline.commit_interval_ms), fill_window())))
    commit_transaction(true);
  if (!failed && !transaction_open)
    write_deferred();
  if (!failed)
    answer_handovers();
}

void producer_state::stop() {
  // The consumer has handed every partition over and closed: commit what is left and leave.
  stopping = true;
  // Whatever the transaction allows, the stop is bounded by the shutdown timeout.
  transaction_timeout = std::min(transaction_timeout, std::chrono::milliseconds(config.pipeline.shutdown_timeout_ms));
  bool ok = true;
  if (config.pipeline.guarantee == delivery_guarantee::exactly_once) {
    // Not only the last commit: work aborted since the last successful one is consumed and
    // not committed either.
    ok = commit_transaction() && aborted_work.empty();
  } else {
    ok = sink->flush(std::chrono::milliseconds(config.pipeline.shutdown_timeout_ms));
    complete_batches();
    ok = ok && !failure && ledger.idle();
  }
  if (failed)
    return;
  sink->set_listener(nullptr);
  if (!ok) {
    spdlog::critical("producer: the last transaction was aborted or its commit failed: the last records consumed will "
                     "be read again on the next start");
    self->quit(make_error(job_error::transaction_failed, "the final commit failed"));
    return;
  }
  self->quit();
}

void producer_state::fail(job_error code, const std::string& message) {
  if (failed)
    return;
  failed = true;
  spdlog::critical("producer: {}", message);
  for (auto& handover : handovers)
    handover.promise.deliver(handover_result{false, message, {}, {}});
  handovers.clear();
  sink->set_listener(nullptr);
  self->quit(make_error(code, message));
}

producer_actor::behavior_type producer(producer_actor::stateful_pointer<producer_state> self, producer_config config,
                                       std::shared_ptr<record_sink> sink, consumer_actor consumer,
                                       metrics_registry* metrics, membership_reader read_membership) {
  auto& st = self->state;
  st.self = self;
  st.config = config;
  st.transaction_timeout = std::chrono::milliseconds(config.pipeline.transaction_timeout_ms);
  if (!st.config.refused)
    st.config.refused = std::make_shared<refused_records>();
  st.sink = std::move(sink);
  st.consumer = std::move(consumer);
  st.metrics = metrics;
  st.read_membership = std::move(read_membership);
  st.visibility = visibility_tracker{&metrics->end_to_end_latency};
  st.budget = transaction_budget{st.config.initial_transaction_bytes};
  metrics->transaction_budget_bytes.store(st.budget.limit(), std::memory_order_relaxed);
  st.sink->set_listener(&st);
  self->monitor(st.consumer);
  self->set_down_handler([self](caf::down_msg& down) {
    if (down.source == self->state.consumer.address())
      self->state.on_consumer_down(down.reason);
  });
  auto schedule_tick = [self] {
    if (self->state.config.tick_interval.count() > 0)
      self->delayed_send(self, self->state.config.tick_interval, tick_atom::value);
  };
  schedule_tick();
  return {
    [=](enriched_batch& batch) { self->state.produce(batch); },
    [=](group_assignment& assignment) {
      self->state.on_assignment(assignment.generation, {assignment.partitions.begin(), assignment.partitions.end()});
    },
    [=](handover_request& request) -> caf::result<handover_result> {
      if (!request.lost) {
        // The partitions handed over are this member's until the hand-over is answered, the
        // retained ones beyond: their work is valid in the consumer's generation.
        std::set<std::int32_t> owned{request.retained.begin(), request.retained.end()};
        owned.insert(request.partitions.begin(), request.partitions.end());
        self->state.on_assignment(request.generation, owned);
      }
      auto promise = self->make_response_promise<handover_result>();
      self->state.handovers.push_back(pending_handover{std::move(request), promise});
      self->state.answer_handovers();
      return promise;
    },
    [=](tick_atom) {
      if (self->state.stopping || self->state.failed)
        return;
      self->state.tick();
      schedule_tick();
    },
    [=](stop_atom) { self->state.stop(); },
  };
}

} // namespace kstream
