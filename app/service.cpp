// The start-up and shutdown skeleton both binaries share (app/service.hpp).
#include "app/service.hpp"

#include "adapters/http_server.hpp"
#include "messages/control.hpp"

#include <caf/all.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <optional>

namespace kstream {

namespace {

constexpr auto wait_step = std::chrono::milliseconds(200);
/// What a graceful stop may take beyond the shutdown timeout (the last commit, leaving the group).
constexpr auto stop_grace = std::chrono::milliseconds(5000);

} // namespace

caf::expected<caf::actor> start_health_server(caf::actor_system& sys, const http_settings& settings,
                                              health_routes routes, const std::string& paths) {
  if (settings.http_port == 0)
    return caf::actor{};
  http_router router = [routes = std::move(routes)](const http_request& request) -> http_response {
    if (request.path == "/healthz") {
      auto health = routes.health ? routes.health() : pipeline_health{};
      return {health.healthy ? 200 : 503, "text/plain; charset=utf-8", health.healthy ? "ok\n" : health.reason};
    }
    if (request.path == "/readyz") {
      bool ready = routes.ready && routes.ready();
      return {ready ? 200 : 503, "text/plain; charset=utf-8", ready ? "ready\n" : routes.not_ready_text};
    }
    if (request.path == "/metrics" && routes.metrics)
      return {200, "text/plain; version=0.0.4; charset=utf-8", routes.metrics()};
    if (routes.extra)
      return routes.extra(request);
    return {404, "text/plain; charset=utf-8", "not found: " + request.path + "\n"};
  };
  http_limits limits{std::chrono::milliseconds(settings.http_idle_timeout_ms),
                     std::chrono::milliseconds(settings.http_request_timeout_ms),
                     static_cast<std::size_t>(settings.http_max_connections)};
  auto server = start_http_server(sys, settings.http_port, settings.http_bind_address, std::move(router), limits);
  if (!server)
    return make_error(job_error::invalid_option,
                      "cannot listen on " + settings.http_bind_address + ":" + std::to_string(settings.http_port)
                        + " for HTTP (" + describe_error(server.error()) + "); set http.port to a free port or 0");
  spdlog::info("HTTP on {}:{} ({})", settings.http_bind_address, settings.http_port, paths);
  return server;
}

service_runner::service_runner(caf::actor_system& sys, std::chrono::milliseconds shutdown_timeout)
  : shutdown_timeout_(shutdown_timeout), waiter_(sys) {
}

void service_runner::watch(const caf::actor& handle) {
  waiter_->monitor(handle);
  ++watched_;
}

void service_runner::stop_with(caf::actor handle) {
  stop_target_ = std::move(handle);
}

void service_runner::on_idle(std::function<void()> action) {
  idle_ = std::move(action);
}

bool service_runner::run() {
  bool failed = false;
  bool stop_sent = false;
  std::optional<std::chrono::steady_clock::time_point> deadline;
  while (watched_ > 0) {
    waiter_->receive(
      [&](caf::down_msg& down) {
        --watched_;
        if (down.reason && down.reason != caf::exit_reason::user_shutdown) {
          spdlog::critical("{} stopped: {}", to_string(down.source), describe_error(down.reason));
          failed = true;
          request_stop(); // the rest stops gracefully
        }
      },
      caf::after(wait_step) >>
        [&] {
          if (idle_)
            idle_();
        });
    if (!stop_requested().load())
      continue;
    auto now = std::chrono::steady_clock::now();
    if (!stop_sent) {
      stop_sent = true;
      deadline = now + shutdown_timeout_ + stop_grace;
      if (stop_target_)
        caf::anon_send(stop_target_, stop_atom::value);
    } else if (now > *deadline) {
      spdlog::critical("graceful stop did not finish within {} ms; exiting", (shutdown_timeout_ + stop_grace).count());
      std::_Exit(exit_failure);
    }
  }
  return !failed;
}

void service_runner::stop_and_wait(const caf::actor& handle) {
  if (!handle)
    return;
  waiter_->monitor(handle);
  waiter_->send(handle, stop_atom::value);
  waiter_->receive([](caf::down_msg&) {}, caf::after(shutdown_timeout_) >>
                                            [&] {
                                              spdlog::warn("{} did not stop within {} ms", to_string(handle),
                                                           shutdown_timeout_.count());
                                              caf::anon_send_exit(handle, caf::exit_reason::kill);
                                            });
}

void service_runner::finish(const std::vector<caf::actor>& auxiliary) {
  for (const auto& handle : auxiliary)
    if (handle)
      caf::anon_send_exit(handle, caf::exit_reason::user_shutdown);
}

void set_up_logging(const std::string& level, log_format format, bool to_stderr, const char* program) {
  if (to_stderr)
    spdlog::set_default_logger(spdlog::stderr_color_mt(program));
  spdlog::set_level(spdlog::level::from_str(level));
  spdlog::set_formatter(make_log_formatter(format, program));
}

build_info this_build() {
  return {KSTREAM_VERSION, KSTREAM_REVISION};
}

} // namespace kstream
