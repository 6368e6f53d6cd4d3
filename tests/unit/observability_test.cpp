// What operators read: the /metrics text, the histograms, the end-to-end latency bookkeeping,
// the /healthz verdict and the log line formats (core/pipeline_metrics, adapters/prometheus,
// adapters/log_format).
#include "adapters/log_format.hpp"
#include "adapters/prometheus.hpp"
#include "core/pipeline_metrics.hpp"

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <sstream>

using namespace kstream;

namespace {

bool has_line(const std::string& text, const std::string& line) {
  return ("\n" + text).find("\n" + line + "\n") != std::string::npos;
}

bool mentions(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

/// The value of a sample line `series value`; -1 when there is none.
double sample(const std::string& text, const std::string& series) {
  auto at = ("\n" + text).find("\n" + series + " ");
  if (at == std::string::npos)
    return -1;
  return std::stod(text.substr(at + series.size() + 1));
}

const build_info test_build{"1.2.3", "abc\"def"};

} // namespace

TEST_CASE("metrics: per-partition series carry the input topic, gauges only for assigned partitions", "[metrics]") {
  metrics_registry metrics;
  metrics.topic = "expedia";
  auto& p0 = metrics.partition(0);
  p0.assigned = true;
  p0.consumed = 7;
  p0.produced = 5;
  p0.dead_lettered = 1;
  p0.in_flight = 1;
  p0.lag = 12;
  p0.paused = true;
  auto& p1 = metrics.partition(1); // assigned, lag not known yet
  p1.assigned = true;
  auto& p2 = metrics.partition(2); // revoked: counters stay, gauges go
  p2.consumed = 3;
  p2.lag = 4;
  p2.in_flight = 2;
  p2.rewinds = 1;
  metrics.transactions_committed = 2;
  auto text = prometheus_text(metrics, test_build);

  for (const char* line : {
         "# TYPE kstream_records_consumed_total counter",
         R"(kstream_records_consumed_total{topic="expedia",partition="0"} 7)",
         R"(kstream_records_consumed_total{topic="expedia",partition="2"} 3)",
         R"(kstream_records_produced_total{topic="expedia",partition="0"} 5)",
         R"(kstream_records_dead_lettered_total{topic="expedia",partition="0"} 1)",
         R"(kstream_partition_rewinds_total{topic="expedia",partition="2"} 1)",
         "# TYPE kstream_consumer_lag_records gauge",
         R"(kstream_consumer_lag_records{topic="expedia",partition="0"} 12)",
         R"(kstream_records_in_flight{topic="expedia",partition="0"} 1)",
         R"(kstream_partition_paused{topic="expedia",partition="0"} 1)",
         R"(kstream_partition_paused{topic="expedia",partition="1"} 0)",
         "kstream_partitions_assigned 2",
         "kstream_transactions_committed_total 2",
       })
    CHECK(has_line(text, line));
  // Unknown lag and a revoked partition's gauges are absent, never -1 or a stale value.
  for (const char* absent : {
         R"(kstream_consumer_lag_records{topic="expedia",partition="1"})",
         R"(kstream_consumer_lag_records{topic="expedia",partition="2"})",
         " -1\n",
         "kstream_consumer_lag{",
         R"(kstream_records_in_flight{topic="expedia",partition="2"})",
         R"(kstream_partition_paused{topic="expedia",partition="2"})",
       })
    CHECK_FALSE(mentions(text, absent));
  CHECK(metrics.sum().consumed == 10);
  // Every sample of a per-partition family names the topic.
  std::istringstream lines{text};
  for (std::string line; std::getline(lines, line);)
    if (mentions(line, "partition=\""))
      CHECK(mentions(line, "{topic=\"expedia\",partition=\""));
}

TEST_CASE("metrics: build info, histograms, last progress and the process", "[metrics]") {
  metrics_registry metrics;
  metrics.topic = "in";
  metrics.commit_duration.observe(0.003);
  metrics.commit_duration.observe(0.2);
  metrics.commit_duration.observe(100); // above every bound: only +Inf
  auto text = prometheus_text(metrics, test_build);
  CHECK(has_line(text, "# TYPE kstream_build_info gauge"));
  CHECK(has_line(text, R"(kstream_build_info{version="1.2.3",revision="abc\"def"} 1)"));
  CHECK(has_line(text, "# TYPE kstream_commit_duration_seconds histogram"));
  CHECK(has_line(text, R"(kstream_commit_duration_seconds_bucket{le="0.001"} 0)"));
  CHECK(has_line(text, R"(kstream_commit_duration_seconds_bucket{le="0.005"} 1)"));
  CHECK(has_line(text, R"(kstream_commit_duration_seconds_bucket{le="0.25"} 2)"));
  CHECK(has_line(text, R"(kstream_commit_duration_seconds_bucket{le="60"} 2)"));
  CHECK(has_line(text, R"(kstream_commit_duration_seconds_bucket{le="+Inf"} 3)"));
  CHECK(has_line(text, "kstream_commit_duration_seconds_count 3"));
  CHECK(sample(text, "kstream_commit_duration_seconds_sum") == Approx(100.203));
  CHECK(has_line(text, "# TYPE kstream_end_to_end_latency_seconds histogram"));
  CHECK(has_line(text, "kstream_end_to_end_latency_seconds_count 0"));
  // The registry's creation until the first progress: now, give or take the test's run time.
  auto now = static_cast<double>(std::time(nullptr));
  CHECK(sample(text, "kstream_last_progress_timestamp_seconds") == Approx(now).margin(60));
  CHECK(sample(text, "process_resident_memory_bytes") > 1e6);
  CHECK(sample(text, "process_virtual_memory_bytes") > 1e6);
  CHECK(sample(text, "process_cpu_seconds_total") >= 0);
  CHECK(sample(text, "process_start_time_seconds") == Approx(now).margin(3600));
  CHECK(sample(text, "process_start_time_seconds") <= now + 1);
  CHECK(sample(text, "process_open_fds") >= 3);
  CHECK(sample(text, "process_max_fds") >= sample(text, "process_open_fds"));
  CHECK(has_line(text, "# TYPE process_start_time_seconds gauge"));
}

TEST_CASE("metrics: kstream-stats exports only what its own consumer counts", "[metrics]") {
  metrics_registry metrics;
  metrics.topic = "expedia_ext";
  metrics.partition(0).assigned = true;
  metrics.partition(0).consumed = 9;
  auto text = prometheus_text(metrics, test_build, exporter::view);
  CHECK(has_line(text, R"(kstream_records_consumed_total{topic="expedia_ext",partition="0"} 9)"));
  CHECK(mentions(text, "kstream_build_info{"));
  CHECK(mentions(text, "kstream_last_progress_timestamp_seconds "));
  CHECK(mentions(text, "process_resident_memory_bytes "));
  for (const char* job_only : {"kstream_transactions_", "kstream_records_produced_total",
                               "kstream_records_dead_lettered", "kstream_records_unwritable",
                               "kstream_partition_rewinds", "kstream_commit_duration", "kstream_end_to_end_latency"})
    CHECK_FALSE(mentions(text, job_only));
}

TEST_CASE("end-to-end latency: from the record's timestamp to the commit that made it visible", "[metrics]") {
  histogram latency{latency_buckets()};
  visibility_tracker tracker{&latency};
  const auto commit = std::chrono::system_clock::time_point{std::chrono::milliseconds(1'000'000)};
  auto batch = [](std::int32_t partition, std::uint64_t epoch, std::vector<std::int64_t> timestamps) {
    enriched_batch out;
    out.partition = partition;
    out.epoch = epoch;
    for (std::size_t i = 0; i + 1 < timestamps.size(); ++i)
      out.records.push_back(output_record{static_cast<std::int64_t>(i), timestamps[i], false, "", "{}", {}});
    dead_letter letter;
    letter.source.timestamp = timestamps.back(); // dead letters count too
    out.dead_letters.push_back(letter);
    return out;
  };
  // Partition 0: 0.5 s, 0.5 s, 2 s old at the commit; the record without a timestamp is left out.
  tracker.writing(batch(0, 1, {999'500, 998'000, -1, 999'500}));
  // Partition 1: an epoch-1 batch never delivered (rewound), then the epoch-2 one, 20 s old.
  tracker.writing(batch(1, 1, {900'000, 900'000}));
  tracker.writing(batch(1, 2, {980'000, 980'000}));
  // Partition 2: delivered, then lost to an aborted transaction: never observed.
  tracker.writing(batch(2, 1, {999'000, 999'000}));
  tracker.delivered(0, 1);
  tracker.delivered(1, 2);
  tracker.delivered(2, 1);
  tracker.forget({2});
  tracker.visible(commit);
  auto seen = latency.read();
  const auto& le = seen.upper_bounds;
  auto cumulative_at = [&](double bound) {
    return seen.cumulative[static_cast<std::size_t>(std::find(le.begin(), le.end(), bound) - le.begin())];
  };
  CHECK(cumulative_at(0.25) == 0);
  CHECK(cumulative_at(0.5) == 2);
  CHECK(cumulative_at(2.5) == 3);
  CHECK(cumulative_at(10) == 3);
  CHECK(cumulative_at(30) == 5);
  CHECK(seen.cumulative.back() == 5);
  CHECK(seen.sum == Approx(0.5 + 0.5 + 2 + 20 + 20));
  // Observed once: a second commit with nothing delivered since adds nothing.
  tracker.visible(commit + std::chrono::seconds(5));
  CHECK(latency.read().cumulative.back() == 5);
}

TEST_CASE("healthz: unhealthy only when nothing moves while there is work and the brokers answer",
          "[metrics][health]") {
  metrics_registry metrics;
  const auto timeout = std::chrono::milliseconds(1000);
  const auto later = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  auto& p = metrics.partition(0);
  p.assigned = true;
  p.lag = 0;
  CHECK(metrics.health(timeout, later).healthy); // idle: nothing to do
  p.lag = 50;
  auto stalled = metrics.health(timeout, later);
  CHECK_FALSE(stalled.healthy);
  CHECK(mentions(stalled.reason, "stalled"));
  CHECK(mentions(stalled.reason, "lag of 50 records"));
  CHECK(mentions(stalled.reason, "job.stall-timeout-ms 1000"));
  CHECK(metrics.health(std::chrono::minutes(1)).healthy);             // not stalled long enough yet
  CHECK(metrics.health(std::chrono::milliseconds(0), later).healthy); // the check is off
  p.lag = 0;
  p.in_flight = 10; // records waiting for acks count as work too
  CHECK_FALSE(metrics.health(timeout, later).healthy);
  metrics.output_reachable = false; // an outage: /readyz's business
  CHECK(metrics.health(timeout, later).healthy);
  metrics.output_reachable = true;
  p.assigned = false; // a revoked partition's leftovers are not this instance's work
  CHECK(metrics.health(timeout, later).healthy);
  p.assigned = true;
  metrics.note_progress();
  CHECK(metrics.health(timeout, std::chrono::steady_clock::now()).healthy);
  CHECK_FALSE(metrics.health(timeout, std::chrono::steady_clock::now() + std::chrono::seconds(2)).healthy);
}

TEST_CASE("logs: a JSON line has UTC time, level, component, message and the partition and offset named", "[logs]") {
  const auto at = std::chrono::system_clock::time_point{std::chrono::milliseconds(1'764'959'497'042)};
  auto line = json_log_line(at, "error", "kstream-app",
                            "producer: partition 2 offset 17 could not be written (\"too large\"\t)");
  auto parsed = boost::json::parse(line).as_object();
  CHECK(parsed.at("ts").as_string() == "2025-12-05T18:31:37.042Z");
  CHECK(parsed.at("level").as_string() == "error");
  CHECK(parsed.at("component").as_string() == "producer");
  CHECK(parsed.at("message").as_string() == "partition 2 offset 17 could not be written (\"too large\"\t)");
  CHECK(parsed.at("partition").as_int64() == 2);
  CHECK(parsed.at("offset").as_int64() == 17);

  auto listed = boost::json::parse(json_log_line(at, "info", "kstream-app", "consumer: revoked partitions [0,2]"))
                  .as_object();
  CHECK(listed.at("component").as_string() == "consumer");
  CHECK(listed.at("partitions") == boost::json::parse("[0,2]"));
  CHECK_FALSE(listed.contains("partition"));

  // No leading "name: ": the program is the component; words that only contain "partition"
  // or "offset" are not taken for them.
  auto plain = boost::json::parse(json_log_line(at, "info", "kstream-app",
                                                "HTTP on 0.0.0.0:8080 (repartition 3, "
                                                "offsets 4)"))
                 .as_object();
  CHECK(plain.at("component").as_string() == "kstream-app");
  CHECK_FALSE(plain.contains("partition"));
  CHECK_FALSE(plain.contains("offset"));
  auto control = boost::json::parse(json_log_line(at, "info", "p", std::string{"a\x01z"})).as_object();
  CHECK(control.at("message").as_string() == "a\x01z");
}

TEST_CASE("logs: both formats through spdlog, timestamps in UTC ending in Z", "[logs]") {
  std::ostringstream text_out, json_out;
  auto text_sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(text_out);
  auto json_sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(json_out);
  spdlog::logger text_logger{"text", text_sink}, json_logger{"json", json_sink};
  text_logger.set_formatter(make_log_formatter(log_format::text, "kstream-app"));
  json_logger.set_formatter(make_log_formatter(log_format::json, "kstream-app"));
  const auto before = std::chrono::system_clock::now();
  for (auto* logger : {&text_logger, &json_logger}) {
    logger->warn("consumer: rewinding partitions [1] to their committed offsets (reason)");
    logger->info("rdkafka: kstream-app-consumer#consumer-1 FAIL: Connect to ipv4#127.0.0.1:1 failed");
  }
  // Text: "2026-12-05T18:51:37.123Z warning consumer: ..." with the UTC date and hour of now.
  auto utc = std::chrono::system_clock::to_time_t(before);
  std::tm parts{};
  gmtime_r(&utc, &parts);
  char hour[20];
  std::strftime(hour, sizeof(hour), "%Y-%m-%dT%H:", &parts);
  std::istringstream text_lines{text_out.str()};
  std::string line;
  REQUIRE(std::getline(text_lines, line));
  CHECK(line.rfind(hour, 0) == 0);
  CHECK(line.substr(23, 2) == "Z ");
  CHECK(mentions(line, "Z warning consumer: rewinding partitions [1]"));
  std::istringstream json_lines{json_out.str()};
  int count = 0;
  for (std::string json; std::getline(json_lines, json); ++count) {
    auto object = boost::json::parse(json).as_object();
    auto ts = std::string{object.at("ts").as_string()};
    CHECK(ts.rfind(hour, 0) == 0);
    CHECK(ts.back() == 'Z');
    CHECK(object.contains("level"));
    CHECK(object.contains("message"));
    CHECK(object.at("component").as_string() == (count == 0 ? "consumer" : "rdkafka"));
  }
  CHECK(count == 2);
}
