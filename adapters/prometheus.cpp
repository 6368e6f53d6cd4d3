// The pipeline's counters as Prometheus text (adapters/prometheus.hpp).
#include "adapters/prometheus.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <sstream>
#include <vector>

namespace kstream {

namespace {

void family(std::ostringstream& out, const char* name, const char* type, const char* help) {
  out << "# HELP " << name << ' ' << help << "\n# TYPE " << name << ' ' << type << '\n';
}

void histogram_family(std::ostringstream& out, const char* name, const char* help, const histogram& h) {
  family(out, name, "histogram", help);
  auto snapshot = h.read();
  for (std::size_t i = 0; i < snapshot.upper_bounds.size(); ++i)
    out << name << "_bucket{le=\"" << snapshot.upper_bounds[i] << "\"} " << snapshot.cumulative[i] << '\n';
  out << name << "_bucket{le=\"+Inf\"} " << snapshot.cumulative.back() << '\n';
  out << name << "_sum " << snapshot.sum << '\n';
  out << name << "_count " << snapshot.cumulative.back() << '\n';
}

std::string read_text(const char* path) {
  std::ifstream in{path};
  return {std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
}

} // namespace

std::string escape_label_value(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '\\' || c == '"')
      out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

namespace {

/// The families with one series per input partition (`job`: with the producer's).
void partition_families(std::ostringstream& out, const metrics_registry& metrics, bool job) {
  const auto topic = escape_label_value(metrics.topic);
  // Counters keep every partition this instance ever had; gauges only the assigned ones
  // (a revoked partition's value belongs to another instance now: summed, it would mislead).
  auto per_partition = [&](const char* name, const char* type, const char* help, auto read) {
    family(out, name, type, help);
    metrics.for_each_partition([&](std::int32_t id, const partition_metrics& m) {
      if (auto value = read(m))
        out << name << "{topic=\"" << topic << "\",partition=\"" << id << "\"} " << *value << '\n';
    });
  };
  auto always = [](auto value) { return std::optional<decltype(value)>{value}; };
  auto if_assigned = [](const partition_metrics& m, auto value) {
    return m.assigned.load() ? std::optional<decltype(value)>{value} : std::nullopt;
  };
  per_partition("kstream_records_consumed_total", "counter", "Records read from the input topic.",
                [&](const partition_metrics& m) { return always(m.consumed.load()); });
  if (job) {
    per_partition("kstream_records_produced_total", "counter",
                  "Enriched records of the input partition acknowledged by the output topic.",
                  [&](const partition_metrics& m) { return always(m.produced.load()); });
    per_partition("kstream_records_dead_lettered_total", "counter",
                  "Records of the input partition acknowledged by the dead-letter topic.",
                  [&](const partition_metrics& m) { return always(m.dead_lettered.load()); });
  }
  per_partition("kstream_records_in_flight", "gauge",
                "Records consumed and not yet acknowledged (assigned partitions).",
                [&](const partition_metrics& m) { return if_assigned(m, m.in_flight.load()); });
  per_partition("kstream_consumer_lag_records", "gauge",
                "High watermark minus position, for the partitions assigned now whose lag is known.",
                [&](const partition_metrics& m) {
                  auto lag = m.lag.load();
                  return lag >= 0 ? if_assigned(m, lag) : std::nullopt;
                });
  per_partition("kstream_partition_paused", "gauge", "1 while backpressure pauses the partition (assigned partitions).",
                [&](const partition_metrics& m) { return if_assigned(m, m.paused.load() ? 1 : 0); });
  per_partition("kstream_partition_pauses_total", "counter", "Times backpressure paused the partition.",
                [&](const partition_metrics& m) { return always(m.pauses.load()); });
  if (job)
    per_partition("kstream_partition_rewinds_total", "counter",
                  "Times the partition was read again from its committed offset after a failure.",
                  [&](const partition_metrics& m) { return always(m.rewinds.load()); });
}

/// The instance's own series (`job`: with the producer's).
void instance_families(std::ostringstream& out, const metrics_registry& metrics, bool job) {
  auto single = [&](const char* name, const char* type, const char* help, auto value) {
    family(out, name, type, help);
    out << name << ' ' << value << '\n';
  };
  single("kstream_partitions_assigned", "gauge", "Partitions assigned to this instance now.", metrics.sum().assigned);
  if (job) {
    single("kstream_transactions_committed_total", "counter", "Kafka transactions committed.",
           metrics.transactions_committed.load());
    single("kstream_transactions_aborted_total", "counter", "Kafka transactions aborted.",
           metrics.transactions_aborted.load());
    single("kstream_transactions_aborted_slow_output_total", "counter",
           "Transactions the job aborted itself because the output had not taken their records by the commit deadline.",
           metrics.transactions_aborted_slow_output.load());
    single("kstream_transaction_budget_bytes", "gauge",
           "Bytes one transaction may hold now: what the output delivers in a fifth of the transaction timeout.",
           metrics.transaction_budget_bytes.load());
  }
  single("kstream_rebalances_total", "counter", "Partition assignments and revocations seen.",
         metrics.rebalances.load());
  if (job) {
    single("kstream_records_unwritable_total", "counter",
           "Records neither topic took whole: the dead-letter topic got their coordinates and reason only.",
           metrics.records_unwritable.load());
    single("kstream_records_refused_by_broker_total", "counter",
           "Records the broker refused for a reason of its own; they went to the dead-letter topic with it.",
           metrics.records_refused_by_broker.load());
    single("kstream_kafka_reachable", "gauge", "1 while both the consumer and the producer reach their brokers.",
           metrics.input_reachable.load() && metrics.output_reachable.load() ? 1 : 0);
    histogram_family(out, "kstream_end_to_end_latency_seconds",
                     "Per record, from its input timestamp to the commit that made its output visible.",
                     metrics.end_to_end_latency);
    histogram_family(out, "kstream_commit_duration_seconds",
                     "One transaction commit (exactly_once) or offset commit call (at_least_once).",
                     metrics.commit_duration);
  } else {
    single("kstream_kafka_reachable", "gauge", "1 while the consumer reaches its brokers.",
           metrics.input_reachable.load() ? 1 : 0);
  }
  single("kstream_in_flight_bytes", "gauge",
         "Bytes of the records consumed and not yet acknowledged (the byte credit in use).",
         metrics.sum().in_flight_bytes);
  single("kstream_in_flight_bytes_limit", "gauge", "job.max-in-flight-bytes: the bound on kstream_in_flight_bytes.",
         metrics.in_flight_bytes_limit.load());
  family(out, "kstream_last_progress_timestamp_seconds", "gauge",
         "Unix time of the last batch Kafka acknowledged (the process start until the first).");
  out << "kstream_last_progress_timestamp_seconds " << static_cast<double>(metrics.last_progress_unix_ms()) / 1000.0
      << '\n';
}

} // namespace

std::string prometheus_text(const metrics_registry& metrics, const build_info& build, exporter kind) {
  std::ostringstream out;
  out.precision(15);
  family(out, "kstream_build_info", "gauge", "The build: always 1, with its version and git revision.");
  out << "kstream_build_info{version=\"" << escape_label_value(build.version) << "\",revision=\""
      << escape_label_value(build.revision) << "\"} 1\n";
  partition_families(out, metrics, kind == exporter::job);
  instance_families(out, metrics, kind == exporter::job);
  return out.str() + process_metrics_text();
}

std::string process_metrics_text() {
  std::ostringstream out;
  out.precision(15);
  // /proc/self/stat: the fields after the command name (which may hold spaces and parentheses).
  auto stat = read_text("/proc/self/stat");
  auto close = stat.rfind(')');
  if (close != std::string::npos) {
    std::istringstream fields{stat.substr(close + 2)};
    std::vector<std::string> f{std::istream_iterator<std::string>{fields}, std::istream_iterator<std::string>{}};
    // f[0] is field 3 (state): field n is f[n - 3].
    if (f.size() > 21) {
      const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
      const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
      const double cpu = (std::stod(f[14 - 3]) + std::stod(f[15 - 3])) / ticks;
      family(out, "process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.");
      out << "process_cpu_seconds_total " << cpu << '\n';
      family(out, "process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.");
      out << "process_virtual_memory_bytes " << std::stod(f[23 - 3]) << '\n';
      family(out, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.");
      out << "process_resident_memory_bytes " << std::stod(f[24 - 3]) * page << '\n';
      // The start, in ticks since boot, plus the boot time (btime in /proc/stat).
      std::istringstream system{read_text("/proc/stat")};
      for (std::string line; std::getline(system, line);) {
        if (line.rfind("btime ", 0) == 0) {
          family(out, "process_start_time_seconds", "gauge", "Start time of the process since unix epoch in seconds.");
          out << "process_start_time_seconds " << std::stod(line.substr(6)) + std::stod(f[22 - 3]) / ticks << '\n';
        }
      }
    }
  }
  std::error_code ec;
  std::size_t fds = 0;
  for (auto it = std::filesystem::directory_iterator{"/proc/self/fd", ec};
       !ec && it != std::filesystem::directory_iterator{}; it.increment(ec))
    ++fds;
  if (!ec) {
    family(out, "process_open_fds", "gauge", "Number of open file descriptors.");
    out << "process_open_fds " << fds << '\n';
  }
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0) {
    family(out, "process_max_fds", "gauge", "Maximum number of open file descriptors.");
    out << "process_max_fds " << static_cast<double>(limit.rlim_cur) << '\n';
  }
  return out.str();
}

std::string stats_prometheus_text(const stats_view& view) {
  std::ostringstream out;
  family(out, "kstream_stats_records", "gauge", "Records per stay category in the input topic");
  for (const auto& row : view.table.rows)
    out << "kstream_stats_records{stay_category=\"" << domain::to_string(row.category) << "\"} " << row.records << '\n';
  family(out, "kstream_stats_distinct_hotels", "gauge", "Distinct hotel_ids per stay category");
  for (const auto& row : view.table.rows)
    out << "kstream_stats_distinct_hotels{stay_category=\"" << domain::to_string(row.category) << "\"} "
        << row.distinct_hotels << '\n';
  family(out, "kstream_stats_unknown_records", "gauge", "Records with a missing or unknown stay_category");
  out << "kstream_stats_unknown_records " << view.table.unknown_records << '\n';
  return out.str();
}

} // namespace kstream
