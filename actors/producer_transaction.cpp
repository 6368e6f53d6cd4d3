// The producer actor's transactions (actors/producer.hpp): commits with the offsets they
// cover, fenced with the consumer's group membership, the byte budget each commit adapts, and
// aborts that rewind the partitions whose work was lost (librdkafka's examples/transactions.c).
#include "actors/producer.hpp"

#include "core/partition_list.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <thread>
#include <utility>

namespace kstream {

template <class Step>
record_sink::step_result producer_state::retry_step(Step&& step, std::optional<std::chrono::milliseconds> bound) {
  const auto deadline = std::chrono::steady_clock::now() + bound.value_or(transaction_timeout);
  for (;;) {
    auto remaining = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    auto result = step(std::max(remaining, std::chrono::milliseconds(1)));
    if (result.outcome != record_sink::step::retriable)
      return result;
    if (std::chrono::steady_clock::now() >= deadline) {
      // By now the broker has aborted the transaction itself (transaction.timeout.ms).
      result.outcome = record_sink::step::abortable;
      result.message += " (still failing after the transaction timeout)";
      return result;
    }
    spdlog::warn("producer: {}; retrying", result.message);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

bool producer_state::adapt_budget(std::uint64_t acked, std::chrono::steady_clock::duration took, bool in_time) {
  const auto before = budget.adapt(acked, took, in_time, fill_window());
  metrics->transaction_budget_bytes.store(budget.limit(), std::memory_order_relaxed);
  if (budget.limit() != before)
    spdlog::debug("producer: a transaction holds at most {} bytes now (was {}): {} bytes acknowledged in {:.3f} s",
                  budget.limit(), before, acked, std::chrono::duration<double>(took).count());
  return budget.limit() < before;
}

bool producer_state::commit_transaction(bool may_wait) {
  if (!transaction_open || failed)
    return !failed;
  const auto commit_started = now();
  const auto acked_before = budget.acknowledged();
  // Everything produced in this transaction must be acknowledged before its offsets go in,
  // and before the commit deadline: what is not by then is aborted by the job itself.
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(budget.started() + flush_deadline()
                                                                          - commit_started);
  sink->flush(std::clamp(left, std::chrono::milliseconds(0), transaction_timeout));
  complete_batches();
  const auto took = now() - commit_started;
  if (failure) {
    auto lost = *failure;
    abort_and_rewind(lost.reason, lost.partitions);
    return false;
  }
  const bool delivered = ledger.idle();
  budget_shrank = adapt_budget(budget.acknowledged() - acked_before, took, delivered);
  if (!delivered) {
    metrics->transactions_aborted_slow_output.fetch_add(1, std::memory_order_relaxed);
    const auto age = std::chrono::duration<double>(now() - budget.started()).count();
    abort_and_rewind(fmt::format("the output had acknowledged {} of the transaction's {} bytes {:.1f} s after it "
                                 "began (the commit deadline: half of the transaction timeout, {} ms): aborted before "
                                 "the broker would abort it and fence the producer; transactions hold at most {} "
                                 "from now on (what the output delivered in a fifth of the timeout)",
                                 budget.acknowledged(), budget.written(), age, transaction_timeout.count(),
                                 budget.limit() > 1 ? std::to_string(budget.limit()) + " bytes" : "one batch"),
                     ledger.partitions_in_transaction());
    return false;
  }
  budget_shrank = false;
  if (!send_transaction_offsets(may_wait))
    return false;
  auto committed = retry_step([&](std::chrono::milliseconds timeout) { return sink->commit_transaction(timeout); });
  if (!committed.ok()) {
    if (committed.outcome == record_sink::step::abortable)
      abort_and_rewind("the transaction commit failed: " + committed.message, ledger.partitions_in_transaction());
    else
      fail(job_error::transaction_failed, "the transaction commit failed: " + committed.message);
    return false;
  }
  transaction_open = false;
  for (const auto& [partition, next] : ledger.transaction_offsets())
    aborted_work.erase(partition);
  ledger.transaction_committed();
  failures_in_a_row = 0;
  metrics->transactions_committed.fetch_add(1, std::memory_order_relaxed);
  metrics->commit_duration.observe(
    std::chrono::duration<double>(std::chrono::steady_clock::now() - commit_started).count());
  visibility.visible();
  return true;
}

bool producer_state::send_transaction_offsets(bool may_wait) {
  const auto& offsets_map = ledger.transaction_offsets();
  if (offsets_map.empty())
    return true;
  // The membership now, not as it was at the assignment: the broker fences the offsets with
  // it, and a generation other than the transaction's means partitions may have moved.
  auto group = read_membership ? read_membership() : group_membership{};
  if (group.generation < 0 || group.generation != transaction_generation) {
    const auto now = std::chrono::steady_clock::now();
    if (may_wait && transaction_generation >= 0 && group.generation > transaction_generation) {
      // A rebalance under way: the consumer confirms (or hands over) in a moment.
      if (!generation_wait_since)
        generation_wait_since = now;
      if (now - *generation_wait_since < std::chrono::milliseconds(config.pipeline.shutdown_timeout_ms))
        return false;
    }
    abort_and_rewind(group.generation < 0
                       ? "this instance is no longer a member of the consumer group's generation "
                           + std::to_string(transaction_generation) + ", which the transaction began in"
                       : "the consumer group moved from generation " + std::to_string(transaction_generation)
                           + ", which the transaction began in, to " + std::to_string(group.generation)
                           + " without the consumer confirming that this instance kept the transaction's partitions",
                     {});
    return false;
  }
  generation_wait_since.reset();
  std::vector<std::pair<std::int32_t, std::int64_t>> offsets{offsets_map.begin(), offsets_map.end()};
  auto sent = retry_step(
    [&](std::chrono::milliseconds timeout) { return sink->send_offsets(offsets, group, timeout); });
  if (sent.ok())
    return true;
  if (sent.outcome == record_sink::step::abortable) {
    abort_and_rewind("sending the offsets to the transaction failed: " + sent.message,
                     ledger.partitions_in_transaction());
  } else {
    fail(job_error::transaction_failed, "sending the offsets to the transaction failed: " + sent.message);
  }
  return false;
}

void producer_state::abort_and_rewind(const std::string& reason, std::set<std::int32_t> partitions) {
  failure.reset();
  generation_wait_since.reset();
  // An output slower than the transaction's size allowed: the smaller transactions that
  // follow are progress, unless the budget is already down to one batch.
  const bool adapting = std::exchange(budget_shrank, false);
  // A failure that found out refused records is progress (each suspect is written alone
  // once): only the same failure again counts towards giving up. So is the one right after it:
  // with librdkafka 2.0.2 the first records of the transaction after an abort for a refused
  // batch came back "Purged in queue" (tests/faults/test_limits.py, once per refused record).
  if (adapting) {
    // not counted
  } else if (learnt_from_refusal) {
    learnt_from_refusal = false;
    excuse_next_failure = true;
  } else if (excuse_next_failure) {
    excuse_next_failure = false;
  } else if (++failures_in_a_row > config.max_failures_in_a_row) {
    fail(job_error::repeated_failure, "giving up after " + std::to_string(failures_in_a_row)
                                        + " failures in a row without a successful commit; the last one: " + reason);
    return;
  }
  if (config.pipeline.guarantee == delivery_guarantee::exactly_once && transaction_open) {
    // Everything the transaction wrote is discarded: every partition with work in it is read again.
    for (auto p : ledger.partitions_in_transaction())
      partitions.insert(p);
    // An abort may outlast the transaction timeout, up to the shutdown timeout: with the
    // brokers unreachable (an outage) it can only complete once they are back, and it may then
    // still reach the coordinator before that aborts the transaction itself and fences the
    // producer (the coordinator checks for timed-out transactions every 10 s by default).
    auto aborted = retry_step([&](std::chrono::milliseconds timeout) { return sink->abort_transaction(timeout); },
                              stopping ? transaction_timeout // already within the shutdown timeout
                                       : std::max(transaction_timeout,
                                                  std::chrono::milliseconds(config.pipeline.shutdown_timeout_ms)));
    if (!aborted.ok()) {
      fail(job_error::transaction_failed, "cannot abort the transaction (" + aborted.message + ") after: " + reason);
      return;
    }
    transaction_open = false;
    metrics->transactions_aborted.fetch_add(1, std::memory_order_relaxed);
  }
  spdlog::warn("producer: {}; rewinding partitions [{}] to their committed offsets", reason,
               partition_list(partitions));
  if (config.pipeline.guarantee == delivery_guarantee::exactly_once)
    for (auto p : partitions)
      if (owned_partitions.count(p) != 0)
        aborted_work.insert(p);
  ledger.begin_rewind(partitions);
  visibility.forget(partitions);
  // Batches of rewound partitions waiting for the next transaction are read again too.
  deferred.erase(std::remove_if(deferred.begin(), deferred.end(),
                                [&](const enriched_batch& b) { return partitions.count(b.partition) != 0; }),
                 deferred.end());
  // abort_transaction() serves the delivery reports of what it purged ("Purged in queue"):
  // that work is given up with this rewind, not a new failure to abort and rewind for again.
  failure.reset();
  for (auto p : partitions)
    metrics->partition(p).rewinds.fetch_add(1, std::memory_order_relaxed);
  // Hand-overs of rewound partitions cannot be answered from delivered offsets any more.
  answer_handovers();
  if (partitions.empty())
    return;
  rewind_request request{{partitions.begin(), partitions.end()}, reason};
  self->request(consumer, caf::infinite, std::move(request))
    .then(
      [this](rewind_done& done) {
        for (std::size_t i = 0; i < done.partitions.size(); ++i)
          ledger.rewound(done.partitions[i], done.epochs[i]);
      },
      [this](caf::error& err) {
        // The consumer is gone (stopping or failed): nothing will be read again anyway.
        if (!stopping)
          fail(job_error::rewind_failed, "the consumer did not rewind: " + to_string(err));
      });
}

} // namespace kstream
