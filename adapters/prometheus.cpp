// The pipeline's counters as Prometheus text (adapters/prometheus.hpp).
#include "adapters/prometheus.hpp"

#include <sstream>

namespace kstream {

std::string prometheus_text(const metrics_registry& metrics) {
  std::ostringstream out;
  auto family = [&](const char* name, const char* type, const char* help) {
    out << "# HELP " << name << ' ' << help << "\n# TYPE " << name << ' ' << type << '\n';
  };
  auto per_partition = [&](const char* name, const char* type, const char* help, auto read) {
    family(name, type, help);
    metrics.for_each_partition([&](std::int32_t id, const partition_metrics& m) {
      out << name << "{partition=\"" << id << "\"} " << read(m) << '\n';
    });
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
  per_partition("kstream_partition_rewinds_total", "counter",
                "Times the partition was read again from its committed offset after a failure.",
                [](const partition_metrics& m) { return m.rewinds.load(); });
  auto single = [&](const char* name, const char* type, const char* help, auto value) {
    family(name, type, help);
    out << name << ' ' << value << '\n';
  };
  single("kstream_transactions_committed_total", "counter", "Kafka transactions committed.",
         metrics.transactions_committed.load());
  single("kstream_transactions_aborted_total", "counter", "Kafka transactions aborted.",
         metrics.transactions_aborted.load());
  single("kstream_rebalances_total", "counter", "Partition assignments and revocations seen.",
         metrics.rebalances.load());
  single("kstream_records_unwritable_total", "counter",
         "Records neither topic took whole: the dead-letter topic got their coordinates and reason only.",
         metrics.records_unwritable.load());
  single("kstream_records_refused_by_broker_total", "counter",
         "Records the broker refused for a reason of its own; they went to the dead-letter topic with it.",
         metrics.records_refused_by_broker.load());
  single("kstream_in_flight_bytes", "gauge",
         "Bytes of the records consumed and not yet acknowledged (the byte credit in use).", metrics.sum().in_flight_bytes);
  single("kstream_in_flight_bytes_limit", "gauge", "job.max-in-flight-bytes: the bound on kstream_in_flight_bytes.",
         metrics.in_flight_bytes_limit.load());
  single("kstream_kafka_reachable", "gauge", "1 while both the consumer and the producer reach their brokers.",
         metrics.input_reachable.load() && metrics.output_reachable.load() ? 1 : 0);
  return out.str();
}

} // namespace kstream
