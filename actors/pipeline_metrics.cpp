// The pipeline's counters (actors/pipeline_metrics.hpp).
#include "actors/pipeline_metrics.hpp"

#include <algorithm>

namespace kstream {

partition_metrics& metrics_registry::partition(std::int32_t partition) {
  std::lock_guard<std::mutex> guard{mutex_};
  auto& slot = partitions_[partition];
  if (!slot)
    slot = std::make_unique<partition_metrics>();
  return *slot;
}

metrics_registry::totals metrics_registry::sum() const {
  std::lock_guard<std::mutex> guard{mutex_};
  totals result;
  for (const auto& [id, m] : partitions_) {
    result.consumed += m->consumed.load(std::memory_order_relaxed);
    result.produced += m->produced.load(std::memory_order_relaxed);
    result.dead_lettered += m->dead_lettered.load(std::memory_order_relaxed);
    result.pauses += m->pauses.load(std::memory_order_relaxed);
    result.rewinds += m->rewinds.load(std::memory_order_relaxed);
    if (m->assigned.load(std::memory_order_relaxed)) {
      ++result.assigned;
      result.in_flight += m->in_flight.load(std::memory_order_relaxed);
      result.in_flight_bytes += m->in_flight_bytes.load(std::memory_order_relaxed);
      result.lag += std::max<std::int64_t>(0, m->lag.load(std::memory_order_relaxed));
    }
  }
  return result;
}

void metrics_registry::for_each_partition(
  const std::function<void(std::int32_t, const partition_metrics&)>& visit) const {
  std::lock_guard<std::mutex> guard{mutex_};
  for (const auto& [id, m] : partitions_)
    visit(id, *m);
}

} // namespace kstream
