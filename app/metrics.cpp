#include "app/metrics.hpp"

#include <sstream>

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
    if (m->assigned.load(std::memory_order_relaxed)) {
      ++result.assigned;
      result.in_flight += m->in_flight.load(std::memory_order_relaxed);
      result.lag += std::max<std::int64_t>(0, m->lag.load(std::memory_order_relaxed));
    }
  }
  return result;
}

std::string metrics_registry::prometheus_text() const {
  std::ostringstream out;
  auto family = [&](const char* name, const char* type, const char* help) {
    out << "# HELP " << name << ' ' << help << "\n# TYPE " << name << ' ' << type << '\n';
  };
  std::lock_guard<std::mutex> guard{mutex_};
  auto per_partition = [&](const char* name, const char* type, const char* help, auto read) {
    family(name, type, help);
    for (const auto& [id, m] : partitions_)
      out << name << "{partition=\"" << id << "\"} " << read(*m) << '\n';
  };
  per_partition("kstream_records_consumed_total", "counter", "Records read from the input topic.",
                [](const partition_metrics& m) { return m.consumed.load(); });
  per_partition("kstream_records_produced_total", "counter", "Enriched records acknowledged by the output topic.",
                [](const partition_metrics& m) { return m.produced.load(); });
  per_partition("kstream_records_dead_lettered_total", "counter",
                "Records acknowledged by the dead-letter topic.",
                [](const partition_metrics& m) { return m.dead_lettered.load(); });
  per_partition("kstream_records_in_flight", "gauge", "Records consumed and not yet acknowledged.",
                [](const partition_metrics& m) { return m.in_flight.load(); });
  per_partition("kstream_consumer_lag", "gauge", "High watermark minus position (-1: unknown).",
                [](const partition_metrics& m) { return m.lag.load(); });
  per_partition("kstream_partition_paused", "gauge", "1 while the partition is paused by backpressure.",
                [](const partition_metrics& m) { return m.paused.load() ? 1 : 0; });
  per_partition("kstream_partition_pauses_total", "counter", "Times backpressure paused the partition.",
                [](const partition_metrics& m) { return m.pauses.load(); });
  family("kstream_transactions_committed_total", "counter", "Kafka transactions committed.");
  out << "kstream_transactions_committed_total " << transactions_committed.load() << '\n';
  family("kstream_transactions_aborted_total", "counter", "Kafka transactions aborted.");
  out << "kstream_transactions_aborted_total " << transactions_aborted.load() << '\n';
  family("kstream_rebalances_total", "counter", "Partition assignments and revocations seen.");
  out << "kstream_rebalances_total " << rebalances.load() << '\n';
  return out.str();
}

} // namespace kstream
