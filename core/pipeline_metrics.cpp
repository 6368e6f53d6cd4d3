// The pipeline's counters (core/pipeline_metrics.hpp).
#include "core/pipeline_metrics.hpp"

#include <algorithm>

namespace kstream {

namespace {

std::int64_t steady_ns(std::chrono::steady_clock::time_point at) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(at.time_since_epoch()).count();
}

std::int64_t unix_ms(std::chrono::system_clock::time_point at) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(at.time_since_epoch()).count();
}

} // namespace

histogram::histogram(std::vector<double> upper_bounds)
  : bounds_(std::move(upper_bounds)), buckets_(new std::atomic<std::uint64_t>[bounds_.size() + 1]) {
  for (std::size_t i = 0; i <= bounds_.size(); ++i)
    buckets_[i] = 0;
}

void histogram::observe(double value, std::uint64_t count) {
  if (count == 0)
    return;
  // Prometheus' buckets are "less than or equal": the first bound not below the value.
  auto index = static_cast<std::size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin());
  buckets_[index].fetch_add(count, std::memory_order_relaxed);
  auto sum = sum_.load(std::memory_order_relaxed);
  while (!sum_.compare_exchange_weak(sum, sum + value * static_cast<double>(count), std::memory_order_relaxed)) {
  }
}

histogram::snapshot histogram::read() const {
  snapshot out;
  out.upper_bounds = bounds_;
  std::uint64_t running = 0;
  for (std::size_t i = 0; i <= bounds_.size(); ++i) {
    running += buckets_[i].load(std::memory_order_relaxed);
    out.cumulative.push_back(running);
  }
  out.sum = sum_.load(std::memory_order_relaxed);
  return out;
}

std::vector<double> latency_buckets() {
  // From a commit interval's worth (the default is 1 s) up to an hour of backlog.
  return {0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600};
}

std::vector<double> commit_duration_buckets() {
  return {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
}

metrics_registry::metrics_registry()
  : last_progress_unix_ms_(unix_ms(std::chrono::system_clock::now())),
    last_progress_steady_ns_(steady_ns(std::chrono::steady_clock::now())) {
}

partition_metrics& metrics_registry::partition(std::int32_t partition) {
  std::lock_guard<std::mutex> guard{mutex_};
  auto& slot = partitions_[partition];
  if (!slot)
    slot = std::make_unique<partition_metrics>();
  return *slot;
}

void metrics_registry::note_progress() {
  last_progress_unix_ms_.store(unix_ms(std::chrono::system_clock::now()), std::memory_order_relaxed);
  last_progress_steady_ns_.store(steady_ns(std::chrono::steady_clock::now()), std::memory_order_relaxed);
}

pipeline_health metrics_registry::health(std::chrono::milliseconds stall_timeout,
                                         std::chrono::steady_clock::time_point now) const {
  if (stall_timeout.count() <= 0)
    return {};
  const auto idle = std::chrono::nanoseconds(steady_ns(now) - last_progress_steady_ns_.load(std::memory_order_relaxed));
  if (idle < stall_timeout)
    return {};
  if (!input_reachable.load() || !output_reachable.load())
    return {}; // a broker outage: /readyz says so, and a restart would not help
  auto totals = sum();
  if (totals.in_flight <= 0 && totals.lag <= 0)
    return {}; // idle, with nothing to do
  const auto idle_ms = std::chrono::duration_cast<std::chrono::milliseconds>(idle).count();
  return {false, "stalled: nothing acknowledged for " + std::to_string(idle_ms) + " ms (job.stall-timeout-ms "
                   + std::to_string(stall_timeout.count()) + ") with " + std::to_string(totals.in_flight)
                   + " records in flight and a lag of " + std::to_string(totals.lag) + " records\n"};
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

void visibility_tracker::writing(const enriched_batch& batch) {
  batch_times times{batch.epoch, {}};
  times.timestamps.reserve(batch.records.size() + batch.dead_letters.size());
  for (const auto& record : batch.records)
    times.timestamps.push_back(record.timestamp);
  for (const auto& letter : batch.dead_letters)
    times.timestamps.push_back(letter.source.timestamp);
  writing_[batch.partition].push_back(std::move(times));
}

void visibility_tracker::delivered(std::int32_t partition, std::uint64_t epoch) {
  auto it = writing_.find(partition);
  if (it == writing_.end())
    return;
  auto& queue = it->second;
  while (!queue.empty() && queue.front().epoch < epoch)
    queue.pop_front();
  if (queue.empty() || queue.front().epoch != epoch)
    return;
  auto& out = delivered_[partition];
  out.insert(out.end(), queue.front().timestamps.begin(), queue.front().timestamps.end());
  queue.pop_front();
}

void visibility_tracker::visible(std::chrono::system_clock::time_point now) {
  const auto now_ms = unix_ms(now);
  for (auto& [partition, timestamps] : delivered_) {
    // Records of one batch mostly share their millisecond: observe runs of equal values at once.
    std::sort(timestamps.begin(), timestamps.end());
    for (std::size_t i = 0; i < timestamps.size();) {
      auto j = i;
      while (j < timestamps.size() && timestamps[j] == timestamps[i])
        ++j;
      if (timestamps[i] >= 0)
        latency_->observe(static_cast<double>(std::max<std::int64_t>(0, now_ms - timestamps[i])) / 1000.0, j - i);
      i = j;
    }
  }
  delivered_.clear();
}

void visibility_tracker::forget(const std::set<std::int32_t>& partitions) {
  for (auto partition : partitions) {
    writing_.erase(partition);
    delivered_.erase(partition);
  }
}

} // namespace kstream
