// The producer's bookkeeping (core/batch_ledger.hpp).
#include "core/batch_ledger.hpp"

#include <algorithm>

namespace kstream {

bool batch_ledger::accepts(std::int32_t partition, std::uint64_t epoch) const {
  auto it = partitions_.find(partition);
  if (it == partitions_.end())
    return true;
  return !it->second.rewinding && epoch >= it->second.first_valid_epoch;
}

std::uint64_t batch_ledger::open(std::int32_t partition, std::uint64_t epoch, std::int64_t last_offset,
                                 std::uint64_t records, std::uint64_t bytes, std::int64_t first_offset) {
  const auto id = next_id_++;
  batches_[id] = batch{partition, epoch, last_offset, records, records, 0, 0, bytes, first_offset};
  partitions_[partition].in_order.push_back(id);
  return id;
}

void batch_ledger::acknowledge(std::uint64_t id, bool dead_letter) {
  auto it = batches_.find(id);
  if (it == batches_.end() || it->second.remaining == 0)
    return;
  --it->second.remaining;
  ++(dead_letter ? it->second.dead_lettered : it->second.produced);
}

std::optional<std::int32_t> batch_ledger::partition_of(std::uint64_t id) const {
  auto it = batches_.find(id);
  if (it == batches_.end())
    return std::nullopt;
  return it->second.partition;
}

std::optional<std::pair<std::int64_t, std::int64_t>> batch_ledger::offsets_of(std::uint64_t id) const {
  auto it = batches_.find(id);
  if (it == batches_.end())
    return std::nullopt;
  return std::pair{it->second.first_offset, it->second.last_offset};
}

std::vector<batch_ledger::completed_batch> batch_ledger::take_completed() {
  std::vector<completed_batch> out;
  for (auto& [partition, book] : partitions_) {
    while (!book.in_order.empty()) {
      auto it = batches_.find(book.in_order.front());
      if (it->second.remaining > 0)
        break;
      const auto& done = it->second;
      const auto next = done.last_offset >= 0 ? done.last_offset + 1 : -1;
      if (next >= 0) {
        book.delivered_next = next;
        transaction_offsets_[partition] = next;
      }
      out.push_back(
        completed_batch{partition, done.epoch, done.records, done.produced, done.dead_lettered, next, done.bytes});
      batches_.erase(it);
      book.in_order.pop_front();
    }
  }
  return out;
}

void batch_ledger::transaction_committed() {
  transaction_offsets_.clear();
}

std::set<std::int32_t> batch_ledger::partitions_in_transaction() const {
  std::set<std::int32_t> out;
  for (const auto& [partition, next] : transaction_offsets_)
    out.insert(partition);
  for (const auto& [partition, book] : partitions_)
    if (!book.in_order.empty())
      out.insert(partition);
  return out;
}

void batch_ledger::begin_rewind(const std::set<std::int32_t>& partitions) {
  for (auto partition : partitions) {
    auto& book = partitions_[partition];
    for (auto id : book.in_order)
      batches_.erase(id);
    book.in_order.clear();
    book.delivered_next = -1;
    book.rewinding = true;
    transaction_offsets_.erase(partition);
  }
}

void batch_ledger::rewound(std::int32_t partition, std::uint64_t epoch) {
  auto& book = partitions_[partition];
  book.rewinding = false;
  book.first_valid_epoch = std::max(book.first_valid_epoch, epoch);
}

bool batch_ledger::rewinding(std::int32_t partition) const {
  auto it = partitions_.find(partition);
  return it != partitions_.end() && it->second.rewinding;
}

bool batch_ledger::delivered_up_to(std::int32_t partition, std::uint64_t epoch, std::int64_t next_offset) const {
  if (!accepts(partition, epoch))
    return false;
  if (next_offset < 0)
    return true;
  return delivered_next(partition) >= next_offset;
}

std::int64_t batch_ledger::delivered_next(std::int32_t partition) const {
  auto it = partitions_.find(partition);
  return it == partitions_.end() ? -1 : it->second.delivered_next;
}

void batch_ledger::hand_over(std::int32_t partition, std::uint64_t epoch) {
  // Nothing of the partition is left in the open transaction: the producer committed it, or
  // aborted the transaction (begin_rewind) before handing it over.
  auto& book = partitions_[partition];
  book.delivered_next = -1;
  book.first_valid_epoch = std::max(book.first_valid_epoch, epoch + 1);
}

} // namespace kstream
