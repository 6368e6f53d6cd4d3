// The producer actor (actors/producer.hpp).
#include "actors/producer.hpp"

#include "core/partition_list.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <iterator>
#include <thread>
#include <utility>

namespace kstream {

namespace {

constexpr auto queue_full_wait = std::chrono::milliseconds(10);

} // namespace

void producer_state::on_delivered(std::uint64_t tag, bool dead_letter) {
  ledger.acknowledge(tag, dead_letter);
}

void producer_state::on_delivery_failed(std::uint64_t tag, bool dead_letter, const std::string& reason, bool refused) {
  auto partition = ledger.partition_of(tag);
  if (!partition)
    return; // a batch given up by an earlier rewind
  if (refused && isolating) {
    isolated_refusal = reason;
  } else if (refused) {
    // The broker refused a whole batch: which of its records is to blame is found out by
    // writing each of them alone when they are read again.
    if (auto range = ledger.offsets_of(tag); range && config.refused->suspect(*partition, range->first, range->second))
      learnt_from_refusal = true;
  }
  note_failure(std::string{"delivery to the "} + (dead_letter ? "dead-letter" : "output") + " topic failed: " + reason,
               *partition);
}

void producer_state::note_failure(std::string reason, std::int32_t partition) {
  if (!failure)
    failure = delivery_failure{std::move(reason), {}}; // the first reason is the one reported
  failure->partitions.insert(partition);
}

std::chrono::steady_clock::time_point producer_state::now() const {
  return config.clock ? config.clock() : std::chrono::steady_clock::now();
}

std::chrono::milliseconds producer_state::fill_window() const {
  return std::max(transaction_timeout / 5, std::chrono::milliseconds(1));
}

std::chrono::milliseconds producer_state::flush_deadline() const {
  // Half the timeout: the abort that follows a missed deadline needs time too (it waits for
  // the requests in flight), and it must reach the broker before the broker's own abort, which
  // fences the producer (a fatal error: exit 1, and the same again after every restart).
  return std::max(transaction_timeout / 2, std::chrono::milliseconds(1));
}

bool producer_state::has_room_for(std::uint64_t bytes) {
  if (!transaction_open || transaction_bytes == 0)
    return true; // a transaction takes at least one batch, however large, or nothing would move
  if (transaction_full)
    return false;
  // Full by size (what the output delivers in the fill window) or by age (past the window the
  // transaction is due for its commit: what comes now could only make its flush longer).
  if (transaction_bytes + bytes > transaction_budget || now() - transaction_started >= fill_window())
    transaction_full = true;
  return !transaction_full;
}

void producer_state::produce(enriched_batch& batch) {
  if (failed || !ledger.accepts(batch.partition, batch.epoch))
    return; // stale: the partition was rewound or handed over since the batch was read
  if (config.pipeline.guarantee == delivery_guarantee::exactly_once
      && (!deferred.empty() || !has_room_for(batch.bytes))) {
    // The open transaction is full: this batch (and each after it, in order) goes into the
    // next one, which begins once this one is committed (tick).
    deferred.push_back(std::move(batch));
    return;
  }
  write_batch(batch);
}

void producer_state::write_deferred() {
  while (!deferred.empty() && !failed) {
    if (!ledger.accepts(deferred.front().partition, deferred.front().epoch)) {
      deferred.pop_front(); // rewound or handed over while it waited
      continue;
    }
    if (!has_room_for(deferred.front().bytes))
      return;
    auto batch = std::move(deferred.front());
    deferred.pop_front();
    write_batch(batch);
  }
}

bool producer_state::adapt_budget(std::uint64_t acked, std::chrono::steady_clock::duration took, bool in_time) {
  constexpr std::uint64_t largest_budget = 1ULL << 40;
  const auto before = transaction_budget;
  const double seconds = std::chrono::duration<double>(took).count();
  const double window = std::chrono::duration<double>(fill_window()).count();
  // A flush shorter than this measures linger and round trips rather than the output's rate.
  constexpr double shortest_sample_s = 0.02;
  std::optional<std::uint64_t> fits; // what the output delivers in the fill window at that rate
  if (acked > 0 && seconds >= shortest_sample_s)
    fits = static_cast<std::uint64_t>(
      std::min(static_cast<double>(acked) / seconds * window, static_cast<double>(largest_budget)));
  if (!in_time) {
    transaction_budget = std::max<std::uint64_t>(1, std::min(fits.value_or(0), before / 2));
  } else if (fits) {
    // At most twice the last budget: under a quota the broker lets bursts through and then
    // holds the producer back, so one flush can make the output look much faster than it is
    // (faults.limits saw a 3 MB budget jump to 68 MB, and that transaction miss its deadline).
    transaction_budget = std::max<std::uint64_t>(1, std::min(*fits, std::min(2 * before, largest_budget)));
  } else if (transaction_full && seconds < window / 2) {
    // A full transaction whose rest the output took at once: more fits.
    transaction_budget = std::min(2 * before, largest_budget);
  }
  metrics->transaction_budget_bytes.store(transaction_budget, std::memory_order_relaxed);
  if (transaction_budget != before)
    spdlog::debug("producer: a transaction holds at most {} bytes now (was {}): {} bytes acknowledged in {:.3f} s",
                  transaction_budget, before, acked, seconds);
  return transaction_budget < before;
}

void producer_state::write_batch(enriched_batch& batch) {
  if (config.pipeline.guarantee == delivery_guarantee::exactly_once && !transaction_open) {
    auto begun = sink->begin_transaction();
    if (!begun.ok()) {
      fail(job_error::transaction_failed, "cannot begin a transaction: " + begun.message);
      return;
    }
    transaction_open = true;
    transaction_started = now();
    transaction_generation = owned_generation;
    transaction_bytes = 0;
    transaction_acked_bytes = 0;
    transaction_full = false;
  }
  transaction_bytes += batch.bytes;
  std::int64_t first_offset = batch.last_offset;
  for (const auto& record : batch.records)
    first_offset = std::min(first_offset, record.offset);
  for (const auto& letter : batch.dead_letters)
    first_offset = std::min(first_offset, letter.source.offset);
  const auto id = ledger.open(batch.partition, batch.epoch, batch.last_offset,
                              batch.records.size() + batch.dead_letters.size(), batch.bytes, first_offset);
  visibility.writing(batch);
  // Calls `produce_once` until the sink takes the record or says why it will not. A full
  // queue empties as Kafka acknowledges (or, with the broker gone, as librdkafka's message
  // timeout fails the records), so this wait is bounded.
  auto write = [&](auto&& produce_once) {
    for (;;) {
      auto result = produce_once();
      if (result.outcome != record_sink::take::queue_full)
        return result;
      sink->poll(queue_full_wait);
    }
  };
  auto write_unwritable = [&](const dead_letter& letter, const std::string& refusal) {
    auto last_resort = write([&] { return sink->produce_unwritable(batch.partition, letter, refusal, id); });
    if (last_resort.outcome != record_sink::take::taken) {
      fail(job_error::record_unwritable, "partition " + std::to_string(batch.partition) + " offset "
                                           + std::to_string(letter.source.offset)
                                           + ": not even an empty dead letter could be written: " + last_resort.reason);
      return false;
    }
    metrics->records_unwritable.fetch_add(1, std::memory_order_relaxed);
    spdlog::error("producer: partition {} offset {} could not be written ({}); the dead-letter topic got its "
                  "coordinates and the reason with an empty value",
                  batch.partition, letter.source.offset, refusal);
    return true;
  };
  auto known = [&](std::int64_t offset) { return config.refused->find(batch.partition, offset); };
  using verdict = refused_records::verdict;
  for (auto& record : batch.records) {
    const auto verdict_of = known(record.offset);
    const bool suspect = verdict_of && verdict_of->state == verdict::suspect;
    if (suspect && !begin_isolated())
      return;
    auto result = write([&] { return sink->produce_output(batch.partition, record, id); });
    if (suspect && !end_isolated(batch.partition, record.offset, false, result.outcome == record_sink::take::taken))
      return;
    if (result.outcome == record_sink::take::refused) {
      dead_letter letter;
      letter.source.offset = record.offset;
      letter.source.timestamp = record.timestamp;
      letter.source.has_key = record.has_key;
      letter.source.key = record.key;
      letter.reason = domain::dead_letter_reason::output_refused;
      if (!write_unwritable(letter, result.reason))
        return;
    } else if (result.outcome != record_sink::take::taken) {
      note_failure("cannot produce to the output topic: " + result.reason, batch.partition);
      return; // the batch stays incomplete; the failure rewinds its partition
    }
  }
  for (auto& letter : batch.dead_letters) {
    const auto verdict_of = known(letter.source.offset);
    if (verdict_of && verdict_of->state == verdict::refused_by_dead_letter) {
      if (!write_unwritable(letter, "the dead-letter topic's broker refused the record: " + verdict_of->reason))
        return;
      continue;
    }
    const bool suspect = verdict_of && verdict_of->state == verdict::suspect;
    if (suspect && !begin_isolated())
      return;
    auto result = write([&] { return sink->produce_dead_letter(batch.partition, letter, id); });
    if (suspect
        && !end_isolated(batch.partition, letter.source.offset, true, result.outcome == record_sink::take::taken))
      return;
    if (result.outcome == record_sink::take::refused) {
      if (!write_unwritable(letter, result.reason))
        return;
    } else if (result.outcome != record_sink::take::taken) {
      note_failure("cannot produce to the dead-letter topic: " + result.reason, batch.partition);
      return;
    }
  }
  sink->poll(std::chrono::milliseconds(0));
  complete_batches();
}

bool producer_state::begin_isolated() {
  sink->flush(transaction_timeout);
  complete_batches();
  if (failure || failed)
    return false;
  isolating = true;
  isolated_refusal.reset();
  return true;
}

bool producer_state::end_isolated(std::int32_t partition, std::int64_t offset, bool dead_letter, bool taken) {
  if (taken)
    sink->flush(transaction_timeout);
  isolating = false;
  if (isolated_refusal) {
    // Alone in its batch and refused: the record is to blame. When read again (after the
    // abort and rewind this failure causes) it goes the dead-letter way with this reason.
    if (config.refused->confirm(partition, offset, dead_letter, *isolated_refusal)) {
      learnt_from_refusal = true;
      metrics->records_refused_by_broker.fetch_add(1, std::memory_order_relaxed);
      spdlog::warn("producer: partition {} offset {}: the {} topic's broker refused the record ({}); it goes to "
                   "the dead-letter topic when read again",
                   partition, offset, dead_letter ? "dead-letter" : "output", *isolated_refusal);
    }
    if (config.refused->confirmed() > config.max_refused_records)
      fail(job_error::record_unwritable,
           "the broker refused more than " + std::to_string(config.max_refused_records)
             + " records for reasons of their own, the last one: " + *isolated_refusal
             + "; check the topics' configuration (max.message.bytes, message.timestamp.*, cleanup.policy)");
    return false;
  }
  if (!taken)
    return true; // refused or failed before it was sent: produce() handles that as for any record
  if (failure)
    return false;
  config.refused->clear(partition, offset);
  return true;
}

void producer_state::complete_batches() {
  for (const auto& done : ledger.take_completed()) {
    transaction_acked_bytes += done.bytes;
    auto& m = metrics->partition(done.partition);
    m.produced.fetch_add(done.produced, std::memory_order_relaxed);
    m.dead_lettered.fetch_add(done.dead_lettered, std::memory_order_relaxed);
    visibility.delivered(done.partition, done.epoch);
    self->send(consumer, batch_delivered{done.partition, done.epoch, done.records, done.next_offset, done.bytes});
  }
  if (config.pipeline.guarantee == delivery_guarantee::at_least_once)
    visibility.visible(); // an acknowledged record is visible to every reader
}

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

bool producer_state::commit_transaction(bool may_wait) {
  if (!transaction_open || failed)
    return !failed;
  const auto commit_started = now();
  const auto acked_before = transaction_acked_bytes;
  // Everything produced in this transaction must be acknowledged before its offsets go in,
  // and before the commit deadline: what is not by then is aborted by the job itself.
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(transaction_started + flush_deadline()
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
  budget_shrank = adapt_budget(transaction_acked_bytes - acked_before, took, delivered);
  if (!delivered) {
    metrics->transactions_aborted_slow_output.fetch_add(1, std::memory_order_relaxed);
    const auto age = std::chrono::duration<double>(now() - transaction_started).count();
    abort_and_rewind(fmt::format("the output had acknowledged {} of the transaction's {} bytes {:.1f} s after it "
                                 "began (the commit deadline: half of the transaction timeout, {} ms): aborted before "
                                 "the broker would abort it and fence the producer; transactions hold at most {} "
                                 "from now on (what the output delivered in a fifth of the timeout)",
                                 transaction_acked_bytes, transaction_bytes, age, transaction_timeout.count(),
                                 transaction_budget > 1 ? std::to_string(transaction_budget) + " bytes" : "one batch"),
                     ledger.partitions_in_transaction());
    return false;
  }
  budget_shrank = false;
  const auto& offsets_map = ledger.transaction_offsets();
  if (!offsets_map.empty()) {
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
    if (!sent.ok()) {
      if (sent.outcome == record_sink::step::abortable) {
        abort_and_rewind("sending the offsets to the transaction failed: " + sent.message,
                         ledger.partitions_in_transaction());
      } else {
        fail(job_error::transaction_failed, "sending the offsets to the transaction failed: " + sent.message);
      }
      return false;
    }
  }
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
      && (transaction_full
          || now() - transaction_started
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
  st.transaction_budget = std::max<std::uint64_t>(1, st.config.initial_transaction_bytes);
  metrics->transaction_budget_bytes.store(st.transaction_budget, std::memory_order_relaxed);
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
