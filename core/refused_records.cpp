// Input records the broker refused (core/refused_records.hpp).
#include "core/refused_records.hpp"

namespace kstream {

bool refused_records::suspect(std::int32_t partition, std::int64_t first, std::int64_t last) {
  std::lock_guard<std::mutex> guard{mutex_};
  auto& known = records_[partition];
  bool learnt = false;
  for (auto offset = first; offset >= 0 && offset <= last; ++offset)
    learnt = known.emplace(offset, entry{}).second || learnt;
  recount();
  return learnt;
}

bool refused_records::confirm(std::int32_t partition, std::int64_t offset, bool dead_letter,
                              const std::string& reason) {
  std::lock_guard<std::mutex> guard{mutex_};
  auto [it, added] = records_[partition].emplace(offset, entry{});
  auto& known = it->second;
  const auto state = dead_letter ? verdict::refused_by_dead_letter : verdict::refused_by_output;
  if (!added && known.state == state)
    return false;
  if (known.state == verdict::suspect)
    ++confirmed_;
  known = entry{state, reason};
  recount();
  return true;
}

void refused_records::clear(std::int32_t partition, std::int64_t offset) {
  std::lock_guard<std::mutex> guard{mutex_};
  auto it = records_.find(partition);
  if (it == records_.end())
    return;
  auto record = it->second.find(offset);
  if (record != it->second.end() && record->second.state == verdict::suspect) {
    it->second.erase(record);
    recount();
  }
}

std::optional<refused_records::entry> refused_records::find(std::int32_t partition, std::int64_t offset) const {
  if (size_.load(std::memory_order_acquire) == 0)
    return std::nullopt;
  std::lock_guard<std::mutex> guard{mutex_};
  auto it = records_.find(partition);
  if (it == records_.end())
    return std::nullopt;
  auto record = it->second.find(offset);
  if (record == it->second.end())
    return std::nullopt;
  return record->second;
}

void refused_records::recount() {
  std::size_t size = 0;
  for (const auto& [partition, offsets] : records_)
    size += offsets.size();
  size_.store(size, std::memory_order_release);
}

std::size_t refused_records::confirmed() const {
  std::lock_guard<std::mutex> guard{mutex_};
  return confirmed_;
}

} // namespace kstream
