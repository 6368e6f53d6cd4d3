// The HTTP routes of both binaries (app/routes.hpp).
#include "app/routes.hpp"

#include "app/stats_page.hpp"

#include <boost/json/serialize.hpp>

#include <ctime>

namespace kstream {

health_routes job_routes(const job_settings& settings, metrics_registry& metrics,
                         std::shared_ptr<kafka_broker_watch> watch) {
  return {[&metrics, watch = std::move(watch)] {
            return metrics.consuming.load() && metrics.input_reachable.load() && metrics.output_reachable.load()
                   && metrics.sum().assigned > 0 && watch->reachable();
          },
          "not assigned yet, or the brokers are unreachable\n",
          [&metrics, build = this_build()] { return prometheus_text(metrics, build); }, nullptr,
          [&metrics, stall = std::chrono::milliseconds(settings.stall_timeout_ms)] { return metrics.health(stall); }};
}

health_routes stats_routes(const stats_settings& settings, view_shared& shared) {
  return {[&shared] {
            return shared.status.done.load() || (shared.metrics.consuming.load() && shared.metrics.sum().assigned > 0);
          },
          "not assigned yet\n",
          [&shared, build = this_build()] {
            return prometheus_text(shared.metrics, build, exporter::view)
                   + stats_prometheus_text(*shared.board.latest());
          },
          [&settings, &shared](const http_request& request) -> http_response {
            if (request.path == "/" || request.path == "/index.html")
              return {200, "text/html; charset=utf-8", stats_page_html};
            if (request.path == "/stats")
              return {200, "application/json", stats_json(*shared.board.latest(), settings, shared)};
            return {404, "text/plain; charset=utf-8", "not found: " + request.path + "\n"};
          },
          [&shared, stall = std::chrono::milliseconds(settings.stall_timeout_ms)] {
            return shared.status.done.load() ? pipeline_health{} : shared.metrics.health(stall);
          }};
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

std::string stats_json(const stats_view& view, const stats_settings& settings, view_shared& shared) {
  auto out = domain::to_json(view.table);
  boost::json::object st;
  st["input_topic"] = settings.input_topic;
  st["group_id"] = settings.group_id;
  st["stats_topic"] = settings.stats_topic;
  st["records_read"] = view.records_read;
  st["restored_records"] = view.restored_records;
  st["duplicates_skipped"] = view.duplicates_skipped;
  st["sequence"] = view.sequence;
  st["lag"] = shared.metrics.sum().lag;
  st["partitions"] = shared.status.partitions;
  st["caught_up"] = shared.status.done.load() || shared.status.caught_up(shared.metrics);
  st["done"] = shared.status.done.load();
  st["updated_at"] = iso_time(view.updated_at);
  boost::json::object offsets;
  for (const auto& [partition, next] : view.next_offsets)
    offsets[std::to_string(partition)] = next;
  st["next_offsets"] = std::move(offsets);
  out["status"] = std::move(st);
  return boost::json::serialize(out) + "\n";
}

} // namespace kstream
