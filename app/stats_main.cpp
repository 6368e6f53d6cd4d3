// kstream-stats: the seed's answer table, computed locally and live. For each stay category,
// the number of records and of distinct hotel_ids in `expedia_ext` (committed data only).
//
// main() reads the settings; run() connects the Kafka clients (wiring/stats_clients.hpp),
// serves HTTP (app/routes.hpp), spawns the actors (wiring/stats_pipeline.hpp), waits for them
// (app/service.hpp) and reports the final table (app/stats_report.hpp). With --job.drain it
// prints the final table and exits 0 once every partition is at its end.

#include "app/routes.hpp"
#include "app/service.hpp"
#include "app/stats_config.hpp"
#include "app/stats_report.hpp"
#include "wiring/stats_clients.hpp"
#include "wiring/stats_pipeline.hpp"

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include <unistd.h>

namespace {

using namespace kstream;

int run(caf::actor_system& sys, const stats_settings& settings, bool live_view, view_shared& shared) {
  auto clients = connect_stats_clients(settings);
  if (!clients) {
    spdlog::critical("{}", describe_error(clients.error()));
    return is_job_error(clients.error(), job_error::invalid_option) ? exit_usage : exit_failure;
  }
  shared.status.partitions = clients->partitions;
  auto http = start_health_server(sys, settings, stats_routes(settings, shared),
                                  "/ (page), /stats, /healthz, /readyz, /metrics");
  if (!http) {
    spdlog::critical("{}", describe_error(http.error()));
    return exit_failure;
  }
  auto pipeline = spawn_stats_pipeline(sys, settings,
                                       {clients->source, clients->changelog, clients->state,
                                        std::move(clients->restored)},
                                       shared, live_view);

  // --- wait for the consumer (drained, or stopped by a signal) ----------------------------------
  service_runner runner{sys, std::chrono::milliseconds(settings.shutdown_timeout_ms)};
  runner.watch(caf::actor_cast<caf::actor>(pipeline.consumer));
  runner.stop_with(caf::actor_cast<caf::actor>(pipeline.consumer));
  auto last_progress = std::chrono::steady_clock::now();
  runner.on_idle([&] {
    auto now = std::chrono::steady_clock::now();
    if (live_view || now - last_progress < std::chrono::seconds(5))
      return;
    last_progress = now;
    auto latest = shared.board.latest();
    spdlog::info("stats: {} records read, {} counted, lag {}", latest->records_read,
                 latest->table.total_records() + latest->table.unknown_records, shared.metrics.sum().lag);
  });
  caf::anon_send(pipeline.consumer, poll_atom::value);
  const bool failed = !runner.run();
  shared.status.done = !failed;
  shared.status.drained = !failed && settings.drain;
  // The final table: last checkpoint, changelog flushed, last redraw, then stdout.
  runner.stop_and_wait(caf::actor_cast<caf::actor>(pipeline.aggregator));
  runner.stop_and_wait(caf::actor_cast<caf::actor>(pipeline.publisher));
  runner.stop_and_wait(caf::actor_cast<caf::actor>(pipeline.view));
  runner.finish({*http});
  return report_stats_run(settings, *shared.board.latest(), clients->changelog.get(), clients->state.get(), live_view,
                          failed)
           ? exit_failure
           : exit_ok;
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
  kstream::view_shared shared;
  shared.metrics.topic = settings.input_topic;
  caf::actor_system sys{cfg};
  return run(sys, settings, live_view, shared);
}
