// The producer actor's write path (actors/producer.hpp): each batch into the open
// transaction or the next one, record by record through the sink, suspects of a refused batch
// written alone, and the delivery reports that complete the batches and give credit back.
#include "actors/producer.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
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

bool producer_state::has_room_for(std::uint64_t bytes) {
  return budget.has_room_for(transaction_open, bytes, now(), fill_window());
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

bool producer_state::open_transaction() {
  auto begun = sink->begin_transaction();
  if (!begun.ok()) {
    fail(job_error::transaction_failed, "cannot begin a transaction: " + begun.message);
    return false;
  }
  transaction_open = true;
  transaction_generation = owned_generation;
  budget.begin(now());
  return true;
}

void producer_state::write_batch(enriched_batch& batch) {
  if (config.pipeline.guarantee == delivery_guarantee::exactly_once && !transaction_open && !open_transaction())
    return;
  budget.wrote(batch.bytes);
  std::int64_t first_offset = batch.last_offset;
  for (const auto& record : batch.records)
    first_offset = std::min(first_offset, record.offset);
  for (const auto& letter : batch.dead_letters)
    first_offset = std::min(first_offset, letter.source.offset);
  const auto id = ledger.open(batch.partition, batch.epoch, batch.last_offset,
                              batch.records.size() + batch.dead_letters.size(), batch.bytes, first_offset);
  visibility.writing(batch);
  for (auto& record : batch.records)
    if (!write_output(batch.partition, record, id))
      return;
  for (auto& letter : batch.dead_letters)
    if (!write_dead_letter(batch.partition, letter, id))
      return;
  sink->poll(std::chrono::milliseconds(0));
  complete_batches();
}

template <class ProduceOnce>
record_sink::produce_result producer_state::write_until_taken(ProduceOnce&& produce_once) {
  // A full queue empties as Kafka acknowledges (or, with the broker gone, as librdkafka's
  // message timeout fails the records), so this wait is bounded.
  for (;;) {
    auto result = produce_once();
    if (result.outcome != record_sink::take::queue_full)
      return result;
    sink->poll(queue_full_wait);
  }
}

bool producer_state::write_unwritable(std::int32_t partition, const dead_letter& letter, const std::string& refusal,
                                      std::uint64_t id) {
  auto last_resort = write_until_taken([&] { return sink->produce_unwritable(partition, letter, refusal, id); });
  if (last_resort.outcome != record_sink::take::taken) {
    fail(job_error::record_unwritable, "partition " + std::to_string(partition) + " offset "
                                         + std::to_string(letter.source.offset)
                                         + ": not even an empty dead letter could be written: " + last_resort.reason);
    return false;
  }
  metrics->records_unwritable.fetch_add(1, std::memory_order_relaxed);
  spdlog::error("producer: partition {} offset {} could not be written ({}); the dead-letter topic got its "
                "coordinates and the reason with an empty value",
                partition, letter.source.offset, refusal);
  return true;
}

bool producer_state::write_output(std::int32_t partition, const output_record& record, std::uint64_t id) {
  const auto verdict_of = config.refused->find(partition, record.offset);
  const bool suspect = verdict_of && verdict_of->state == refused_records::verdict::suspect;
  if (suspect && !begin_isolated())
    return false;
  auto result = write_until_taken([&] { return sink->produce_output(partition, record, id); });
  if (suspect && !end_isolated(partition, record.offset, false, result.outcome == record_sink::take::taken))
    return false;
  if (result.outcome == record_sink::take::refused) {
    dead_letter letter;
    letter.source.offset = record.offset;
    letter.source.timestamp = record.timestamp;
    letter.source.has_key = record.has_key;
    letter.source.key = record.key;
    letter.reason = domain::dead_letter_reason::output_refused;
    return write_unwritable(partition, letter, result.reason, id);
  }
  if (result.outcome != record_sink::take::taken) {
    note_failure("cannot produce to the output topic: " + result.reason, partition);
    return false; // the batch stays incomplete; the failure rewinds its partition
  }
  return true;
}

bool producer_state::write_dead_letter(std::int32_t partition, const dead_letter& letter, std::uint64_t id) {
  using verdict = refused_records::verdict;
  const auto verdict_of = config.refused->find(partition, letter.source.offset);
  if (verdict_of && verdict_of->state == verdict::refused_by_dead_letter)
    return write_unwritable(partition, letter,
                            "the dead-letter topic's broker refused the record: " + verdict_of->reason, id);
  const bool suspect = verdict_of && verdict_of->state == verdict::suspect;
  if (suspect && !begin_isolated())
    return false;
  auto result = write_until_taken([&] { return sink->produce_dead_letter(partition, letter, id); });
  if (suspect && !end_isolated(partition, letter.source.offset, true, result.outcome == record_sink::take::taken))
    return false;
  if (result.outcome == record_sink::take::refused)
    return write_unwritable(partition, letter, result.reason, id);
  if (result.outcome != record_sink::take::taken) {
    note_failure("cannot produce to the dead-letter topic: " + result.reason, partition);
    return false;
  }
  return true;
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
    budget.acknowledged(done.bytes);
    auto& m = metrics->partition(done.partition);
    m.produced.fetch_add(done.produced, std::memory_order_relaxed);
    m.dead_lettered.fetch_add(done.dead_lettered, std::memory_order_relaxed);
    visibility.delivered(done.partition, done.epoch);
    self->send(consumer, batch_delivered{done.partition, done.epoch, done.records, done.next_offset, done.bytes});
  }
  if (config.pipeline.guarantee == delivery_guarantee::at_least_once)
    visibility.visible(); // an acknowledged record is visible to every reader
}

} // namespace kstream
