// kstream-stats: the seed's answer table, computed locally and live. For each stay category,
// the number of records and of distinct hotel_ids in `expedia_ext` (committed data only).
//
//   consumer (detached; own group, read_committed, commits nothing: every start re-reads
//             the topic from the beginning, so the in-memory table is exact)
//     -> aggregator (one actor for every partition; acks each batch at once)
//          -> stats_board (the latest table) <- HTTP (/, /stats, /metrics), terminal view,
//                                                 changelog publisher (compacted topic)
//
// With --job.drain it prints the final table and exits 0 once every partition is at its end.

#include "actors/aggregator.hpp"
#include "actors/consumer.hpp"
#include "actors/stats_publisher.hpp"
#include "actors/terminal_view.hpp"
#include "adapters/kafka_changelog_sink.hpp"
#include "adapters/kafka_clients.hpp"
#include "adapters/kafka_record_source.hpp"
#include "adapters/kafka_state_store.hpp"
#include "adapters/prometheus.hpp"
#include "app/service.hpp"
#include "app/stats_config.hpp"
#include "app/stats_page.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <caf/all.hpp>
#include <caf/io/all.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <unistd.h>

#include <atomic>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>

namespace {

using kstream::exit_failure;
using kstream::exit_ok;
using kstream::exit_usage;

constexpr int startup_timeout_ms = 15000;
constexpr int restore_timeout_ms = 60000;
constexpr std::size_t max_checkpoint_bytes = 8 * 1024 * 1024;

/// The saved checkpoint when it is one of this input as it is now; nullopt (logged) when it
/// cannot be used: another topic, partitions the topic does not have, or positions past its
/// end (the topic was deleted and created again).
std::optional<kstream::domain::stay_checkpoint> usable_checkpoint(const std::string& saved,
                                                                  const kstream::stats_settings& settings,
                                                                  const std::map<std::int32_t, std::int64_t>& ends) {
  std::string error;
  auto checkpoint = kstream::domain::checkpoint_from_json(saved, error);
  if (!checkpoint) {
    spdlog::warn("the checkpoint in {} cannot be read ({}): reading {} from the beginning", settings.state_topic, error,
                 settings.input_topic);
    return std::nullopt;
  }
  if (checkpoint->input_topic != settings.input_topic)
    error = "it is of topic " + checkpoint->input_topic;
  for (const auto& [partition, position] : checkpoint->positions) {
    auto end = ends.find(partition);
    if (end == ends.end())
      error = "the topic has no partition " + std::to_string(partition);
    else if (position > end->second)
      error = "its position " + std::to_string(position) + " in partition " + std::to_string(partition)
              + " is past the end of the topic (" + std::to_string(end->second) + "): the topic was created again";
  }
  if (!error.empty()) {
    spdlog::warn("the checkpoint in {} does not fit {} ({}): reading it from the beginning", settings.state_topic,
                 settings.input_topic, error);
    return std::nullopt;
  }
  return checkpoint;
}

std::string iso_time(std::chrono::system_clock::time_point at) {
  if (at.time_since_epoch().count() == 0)
    return "";
  auto seconds = std::chrono::system_clock::to_time_t(at);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[32];
  std::strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

/// What the view knows about its progress, beside the table.
struct view_status {
  const kstream::stats_settings* settings = nullptr;
  const kstream::metrics_registry* metrics = nullptr;
  int partitions = 0;
  std::atomic<bool> done{false};
  std::atomic<bool> drained{false}; // --job.drain ended with every partition at its end

  /// Every partition read to an end it had after the start (read_committed: its last stable
  /// offset, so also while a producer keeps a transaction open) and every record before it
  /// counted (none in flight to the aggregator): the table covers the input up to that end.
  bool caught_up(kstream::metrics_registry& registry) const {
    if (!registry.consuming.load() || partitions == 0)
      return false;
    for (int p = 0; p < partitions; ++p) {
      auto& m = registry.partition(p);
      if (!m.assigned.load() || !m.at_end.load(std::memory_order_acquire) || m.in_flight.load() != 0)
        return false;
    }
    return true;
  }
};

std::string stats_json(const kstream::stats_view& view, view_status& status, kstream::metrics_registry& metrics) {
  auto out = kstream::domain::to_json(view.table);
  boost::json::object st;
  st["input_topic"] = status.settings->input_topic;
  st["group_id"] = status.settings->group_id;
  st["stats_topic"] = status.settings->stats_topic;
  st["records_read"] = view.records_read;
  st["restored_records"] = view.restored_records;
  st["duplicates_skipped"] = view.duplicates_skipped;
  st["sequence"] = view.sequence;
  st["lag"] = metrics.sum().lag;
  st["partitions"] = status.partitions;
  st["caught_up"] = status.done.load() || status.caught_up(metrics);
  st["done"] = status.done.load();
  st["updated_at"] = iso_time(view.updated_at);
  boost::json::object offsets;
  for (const auto& [partition, next] : view.next_offsets)
    offsets[std::to_string(partition)] = next;
  st["next_offsets"] = std::move(offsets);
  out["status"] = std::move(st);
  return boost::json::serialize(out) + "\n";
}

std::string stats_prometheus(const kstream::stats_view& view) {
  std::ostringstream out;
  out << "# HELP kstream_stats_records Records per stay category in the input topic\n"
         "# TYPE kstream_stats_records gauge\n";
  for (const auto& row : view.table.rows)
    out << "kstream_stats_records{stay_category=\"" << kstream::domain::to_string(row.category) << "\"} " << row.records
        << '\n';
  out << "# HELP kstream_stats_distinct_hotels Distinct hotel_ids per stay category\n"
         "# TYPE kstream_stats_distinct_hotels gauge\n";
  for (const auto& row : view.table.rows)
    out << "kstream_stats_distinct_hotels{stay_category=\"" << kstream::domain::to_string(row.category) << "\"} "
        << row.distinct_hotels << '\n';
  out << "# HELP kstream_stats_unknown_records Records with a missing or unknown stay_category\n"
         "# TYPE kstream_stats_unknown_records gauge\n"
      << "kstream_stats_unknown_records " << view.table.unknown_records << '\n';
  return out.str();
}

/// Differences between the final table and a generator manifest ({"records":N,"categories":
/// [{"stay_category","records","distinct_hotels"},..]}); empty when they are equal.
std::vector<std::string> manifest_differences(const kstream::domain::stay_snapshot& table, std::string path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::is_directory(path, ec))
    path = (fs::path{path} / "manifest.json").string();
  std::ifstream in{path};
  if (!in)
    return {"cannot read the manifest " + path};
  std::stringstream text;
  text << in.rdbuf();
  boost::system::error_code parse_error;
  auto manifest = boost::json::parse(text.str(), parse_error);
  if (parse_error || !manifest.is_object() || !manifest.as_object().contains("categories"))
    return {"the manifest " + path + " is not a generator manifest (no \"categories\")"};
  std::vector<std::string> out;
  std::map<std::string, std::pair<std::int64_t, std::int64_t>> expected;
  try {
    for (const auto& item : manifest.at("categories").as_array()) {
      const auto& row = item.as_object();
      expected[std::string{row.at("stay_category").as_string()}] = {row.at("records").to_number<std::int64_t>(),
                                                                  row.at("distinct_hotels").to_number<std::int64_t>()};
    }
  } catch (const std::exception& e) {
    return {"the manifest " + path + " has an unexpected shape: " + e.what()};
  }
  for (const auto& row : table.rows) {
    std::string name{kstream::domain::to_string(row.category)};
    auto it = expected.find(name);
    std::pair<std::int64_t, std::int64_t> want = it == expected.end() ? std::pair<std::int64_t, std::int64_t>{0, 0}
                                                                      : it->second;
    if (it != expected.end())
      expected.erase(it);
    auto got = std::pair<std::int64_t, std::int64_t>{static_cast<std::int64_t>(row.records),
                                                     static_cast<std::int64_t>(row.distinct_hotels)};
    if (got != want)
      out.push_back(name + ": " + std::to_string(got.first) + " records, " + std::to_string(got.second)
                    + " distinct hotels; the manifest says " + std::to_string(want.first) + " and "
                    + std::to_string(want.second));
  }
  for (const auto& [name, counts] : expected)
    out.push_back("the manifest has a category \"" + name + "\" that the table does not");
  if (table.unknown_records > 0)
    out.push_back(std::to_string(table.unknown_records) + " records with a missing or unknown stay_category");
  return out;
}

/// What the view's actors, its HTTP routes and main() share; it outlives the actor system.
struct view_shared {
  kstream::metrics_registry metrics;
  kstream::stats_board board;
  view_status status;
};

int run(caf::actor_system& sys, const kstream::stats_settings& settings, bool live_view, view_shared& shared) {
  using namespace kstream;
  auto& metrics = shared.metrics;
  auto& board = shared.board;
  auto& status = shared.status;
  status.settings = &settings;
  status.metrics = &metrics;
  metrics.topic = settings.input_topic;

  // --- Kafka clients, checked before any actor runs ----------------------------------------
  kafka_settings client_settings;
  client_settings.bootstrap_servers = settings.bootstrap_servers;
  client_settings.group_id = settings.group_id;
  client_settings.extra_properties = {{"client.id", "kstream-stats-consumer"}};
  for (const auto& property : settings.extra_properties)
    client_settings.extra_properties.push_back(property);
  auto source = std::make_shared<kafka_record_source>(settings.input_topic);
  auto consumer_client =
    make_job_consumer(client_settings, source.get(), pipeline_settings{}.max_in_flight_bytes, &source->events());
  if (!consumer_client) {
    spdlog::critical("{}", describe_error(consumer_client.error()));
    return exit_usage;
  }
  if (auto err = await_broker(**consumer_client, source->events(), settings.bootstrap_servers, startup_timeout_ms)) {
    spdlog::critical("{}", describe_error(err));
    return exit_failure;
  }
  auto partitions = partition_count(**consumer_client, settings.input_topic, startup_timeout_ms);
  if (!partitions) {
    spdlog::critical("{} (bootstrap servers: {})", describe_error(partitions.error()), settings.bootstrap_servers);
    return exit_failure;
  }
  status.partitions = *partitions;

  // A producer of keyed records (the changelog's rows, the state topic's checkpoints).
  auto make_producer = [&settings](kafka_changelog_sink& sink, const char* client_id,
                                   property_list more) -> std::unique_ptr<RdKafka::Producer> {
    property_list defaults = {
      {"bootstrap.servers", settings.bootstrap_servers},
      {"client.id", client_id},
      {"enable.idempotence", "true"},
      {"acks", "all"},
      {"linger.ms", "20"},
      // The key decides the partition the way Java clients do, so that any producer of the
      // same key (another instance, a Kafka Streams app) lands on the same partition.
      {"partitioner", "murmur2_random"},
    };
    defaults.insert(defaults.end(), more.begin(), more.end());
    auto conf = make_rdkafka_conf(defaults, settings.extra_properties);
    if (!conf) {
      spdlog::critical("{}", describe_error(conf.error()));
      return nullptr;
    }
    std::string err;
    (*conf)->set("dr_cb", static_cast<RdKafka::DeliveryReportCb*>(&sink), err);
    std::unique_ptr<RdKafka::Producer> producer{RdKafka::Producer::create(conf->get(), err)};
    if (!producer)
      spdlog::critical("cannot create the {} producer: {}", client_id, err);
    return producer;
  };

  std::shared_ptr<kafka_changelog_sink> changelog;
  if (!settings.stats_topic.empty()) {
    changelog = std::make_shared<kafka_changelog_sink>(settings.stats_topic);
    auto producer = make_producer(*changelog, "kstream-stats-publisher", {});
    if (!producer)
      return exit_usage;
    auto stats_partitions = partition_count(*producer, settings.stats_topic, startup_timeout_ms);
    if (!stats_partitions) {
      spdlog::critical("{} (kafka.stats-topic; \"\" turns the changelog off)", describe_error(stats_partitions.error()));
      return exit_failure;
    }
    changelog->start(std::move(producer));
  }

  // --- the state topic: the last checkpoint, restored when it fits this input -----------------
  std::shared_ptr<kafka_changelog_sink> state;
  std::optional<domain::stay_checkpoint> restored;
  if (!settings.state_topic.empty()) {
    state = std::make_shared<kafka_changelog_sink>(settings.state_topic);
    // A checkpoint holds every hotel id: compressed, ~5 bytes an id; the topic takes 8 MB.
    auto producer = make_producer(*state, "kstream-stats-checkpoints",
                                  {{"compression.type", "zstd"}, {"message.max.bytes", std::to_string(max_checkpoint_bytes)}});
    if (!producer)
      return exit_usage;
    if (auto err = ensure_state_topic(*producer, settings.state_topic, max_checkpoint_bytes, startup_timeout_ms)) {
      spdlog::critical("{}", describe_error(err));
      return exit_failure;
    }
    state->start(std::move(producer));
    auto saved = read_latest_value(client_settings, settings.state_topic, settings.input_topic, restore_timeout_ms);
    if (!saved) {
      spdlog::critical("{} (kafka.state-topic; \"\" reads the input from the beginning instead)",
                       describe_error(saved.error()));
      return exit_failure;
    }
    auto ends = end_offsets(**consumer_client, settings.input_topic, *partitions, startup_timeout_ms);
    if (!ends) {
      spdlog::critical("{}", describe_error(ends.error()));
      return exit_failure;
    }
    if (*saved)
      restored = usable_checkpoint(**saved, settings, *ends);
    if (restored) {
      spdlog::info("restored the table of {} records from {}: reading {} on from its positions", restored->table.records(),
                   settings.state_topic, settings.input_topic);
      source->start_at(restored->positions);
    } else {
      spdlog::info("no checkpoint of {} in {}: reading it from the beginning", settings.input_topic, settings.state_topic);
    }
  }
  if (auto err = source->start(std::move(*consumer_client))) {
    spdlog::critical("{}", describe_error(err));
    return exit_failure;
  }

  // --- HTTP, bound before any actor runs (a taken port fails the start) -------------------
  auto http = start_health_server(
    sys, settings,
    health_routes{[&status, &metrics] {
                    return status.done.load() || (metrics.consuming.load() && metrics.sum().assigned > 0);
                  },
                  "not assigned yet\n",
                  [&metrics, &board, build = this_build()] {
                    return prometheus_text(metrics, build, exporter::view) + stats_prometheus(*board.latest());
                  },
                  [&board, &status, &metrics](const http_request& request) -> http_response {
                    if (request.path == "/" || request.path == "/index.html")
                      return {200, "text/html; charset=utf-8", stats_page_html};
                    if (request.path == "/stats")
                      return {200, "application/json", stats_json(*board.latest(), status, metrics)};
                    return {404, "text/plain; charset=utf-8", "not found: " + request.path + "\n"};
                  },
                  [&metrics, &status, stall = std::chrono::milliseconds(settings.stall_timeout_ms)] {
                    return status.done.load() ? pipeline_health{} : metrics.health(stall);
                  }},
    "/ (page), /stats, /healthz, /readyz, /metrics");
  if (!http) {
    spdlog::critical("{}", describe_error(http.error()));
    return exit_failure;
  }

  // --- actors ---------------------------------------------------------------------------------
  auto counter = sys.spawn(aggregator, &board,
                           aggregator_settings{settings.input_topic, std::move(restored),
                                               state ? std::chrono::milliseconds(settings.checkpoint_interval_ms)
                                                     : std::chrono::milliseconds(0)});
  consumer_hooks hooks;
  hooks.spawn_stage = [counter](std::int32_t) -> batch_stage_actor { return counter; };
  consumer_settings flow;
  flow.batch_size = settings.batch_size;
  flow.max_in_flight = static_cast<std::int64_t>(settings.max_in_flight);
  flow.commit_acked_offsets = false; // the view re-reads from the start: nothing to commit
  flow.drain = settings.drain;
  auto consumer_handle = sys.spawn<caf::detached>(consumer, source, std::move(hooks), flow, &metrics);

  // The changelog gets the table only once it has caught up with the input (read to an end
  // the input had after this start): before, a restarted view's table may be lower than what
  // it published before. A drained run has caught up by definition.
  stats_publisher_actor publisher;
  if (changelog || state) {
    stats_publisher_settings publishing;
    publishing.interval = std::chrono::milliseconds(settings.publish_interval_ms);
    publishing.caught_up = [&status, &metrics] { return status.drained.load() || status.caught_up(metrics); };
    publishing.state_sink = state;
    publishing.state_key = settings.input_topic;
    publisher = sys.spawn<caf::detached>(stats_publisher, &board, changelog, std::move(publishing));
  }

  auto status_line = [&settings, &metrics, &status, &board]() {
    auto view = board.latest();
    std::string state = status.done.load() ? "final" : status.caught_up(metrics) ? "live, caught up" : "live, reading";
    return "kstream-stats  " + settings.input_topic + " (group " + settings.group_id + ")  " + state + "  |  "
           + std::to_string(view->records_read) + " records read, lag " + std::to_string(metrics.sum().lag)
           + (status.done.load() ? "" : "  |  Ctrl-C to stop");
  };
  terminal_view_actor view;
  if (live_view)
    view = sys.spawn(terminal_view, &board,
                     terminal_view_settings{std::chrono::milliseconds(settings.refresh_ms), status_line, stdout});

  // --- wait for the consumer (drained, or stopped by a signal) ----------------------------------
  service_runner runner{sys, std::chrono::milliseconds(settings.shutdown_timeout_ms)};
  runner.watch(caf::actor_cast<caf::actor>(consumer_handle));
  runner.stop_with(caf::actor_cast<caf::actor>(consumer_handle));
  auto last_progress = std::chrono::steady_clock::now();
  runner.on_idle([&] {
    auto now = std::chrono::steady_clock::now();
    if (live_view || now - last_progress < std::chrono::seconds(5))
      return;
    last_progress = now;
    auto latest = board.latest();
    spdlog::info("stats: {} records read, {} counted, lag {}", latest->records_read,
                 latest->table.total_records() + latest->table.unknown_records, metrics.sum().lag);
  });
  caf::anon_send(consumer_handle, poll_atom::value);
  bool failed = !runner.run();
  status.done = !failed;
  status.drained = !failed && settings.drain;

  // --- the final table: last checkpoint, changelog flushed, last redraw, then stdout ------------
  runner.stop_and_wait(caf::actor_cast<caf::actor>(counter));
  runner.stop_and_wait(caf::actor_cast<caf::actor>(publisher));
  runner.stop_and_wait(caf::actor_cast<caf::actor>(view));
  runner.finish({*http});
  auto final_view = board.latest();
  if (!live_view) {
    std::cout << domain::render_text(final_view->table) << std::flush;
  }
  spdlog::info("kstream-stats: done: {} records read from {}, {} counted in the table ({} of them restored from a "
               "checkpoint), {} unknown, {} duplicates skipped",
               final_view->records_read, settings.input_topic, final_view->table.total_records(),
               final_view->restored_records, final_view->table.unknown_records, final_view->duplicates_skipped);
  if (changelog && changelog->failed() > 0)
    failed = true;
  // A checkpoint the state topic refused (e.g. no Write ACL on it) is a failure too: the next
  // start would restore an older table, or none, without anyone being told.
  if (state && state->failed() > 0) {
    spdlog::critical("{} checkpoints were not written to the state topic {} (see the warnings above); "
                     "kafka.state-topic=\"\" turns checkpoints off",
                     state->failed(), settings.state_topic);
    failed = true;
  }
  if (!settings.expect_manifest.empty() && !failed) {
    auto differences = manifest_differences(final_view->table, settings.expect_manifest);
    if (differences.empty()) {
      std::cout << "The table equals the generator's manifest (" << settings.expect_manifest << "): "
                << final_view->table.total_records() << " records in every row and column.\n"
                << std::flush;
    } else {
      std::cout << "The table DIFFERS from the generator's manifest (" << settings.expect_manifest << "):\n";
      for (const auto& line : differences)
        std::cout << "  " << line << '\n';
      std::cout << std::flush;
      failed = true;
    }
  }
  return failed ? exit_failure : exit_ok;
}

} // namespace

int main(int argc, char** argv) {
  kstream::stats_config cfg;
  kstream::stats_settings settings;
  // Without --config-file the view reads ./kstream-stats.ini, never the job's caf-application.ini.
  if (auto code = kstream::prepare_service(cfg, argc, argv, "kstream-stats", "kstream-stats.ini", settings))
    return *code;
  bool live_view = settings.terminal == kstream::terminal_mode::live
                   || (settings.terminal == kstream::terminal_mode::automatic && isatty(STDOUT_FILENO) == 1);
  // stdout is the table's; logs go to stderr. Under the live view, only warnings and errors
  // (unless log.level says otherwise), so that log lines do not fight the redraw.
  kstream::set_up_logging(live_view && !settings.log_level_given ? "warn" : settings.log_level,
                          settings.log_line_format, true, "kstream-stats");
  spdlog::info("kstream-stats: {} (group {}, read_committed) -> table{}, bootstrap {}", settings.input_topic,
               settings.group_id, settings.stats_topic.empty() ? "" : ", changelog " + settings.stats_topic,
               settings.bootstrap_servers);
  // The actors' shared state outlives the actor system, whose destructor waits for every actor.
  view_shared shared;
  caf::actor_system sys{cfg};
  return run(sys, settings, live_view, shared);
}
