#pragma once

// The start-up and shutdown skeleton both binaries share: the command line and config file,
// logging, the HTTP health routes, stop signals turned into messages, one deadline for a
// graceful stop, and waiting for every actor before the state they share goes away.
// Each main only builds its clients and wires its actors.

#include "adapters/http.hpp"
#include "adapters/log_format.hpp"
#include "adapters/prometheus.hpp"
#include "app/options.hpp"

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/expected.hpp>
#include <caf/scoped_actor.hpp>

#include <chrono>
#include <functional>
#include <string>
#include <vector>

namespace kstream {

/// The health routes of a service; `extra` answers every other path (nullptr: 404).
struct health_routes {
  std::function<bool()> ready;
  std::string not_ready_text = "not assigned yet\n";
  std::function<std::string()> metrics;
  http_router extra;
  /// The /healthz verdict (nullptr: always healthy).
  std::function<pipeline_health()> health;
};

/// Starts the HTTP server with /healthz, /readyz, /metrics and `routes.extra` when
/// settings.http_port is not 0 (a null actor otherwise); the error says which address could
/// not be had and how to fix it. `paths` is named in the log line.
caf::expected<caf::actor> start_health_server(caf::actor_system& sys, const http_settings& settings,
                                              health_routes routes, const std::string& paths);

/// Waits for a service's actors. A stop signal (SIGINT, SIGTERM, request_stop()) becomes one
/// stop_atom to the actor given to stop_with(); from then on one deadline, the shutdown
/// timeout plus a grace period, bounds the stop: past it the process exits 1.
class service_runner {
public:
  service_runner(caf::actor_system& sys, std::chrono::milliseconds shutdown_timeout);

  /// Watches `handle`: run() returns once every watched actor is down.
  void watch(const caf::actor& handle);
  /// Who receives stop_atom when a stop is requested (the consumer: it hands everything over).
  void stop_with(caf::actor handle);
  /// Called every 200 ms while waiting (progress lines).
  void on_idle(std::function<void()> action);

  /// Waits; false when a watched actor went down with an error (logged).
  bool run();

  /// Sends stop_atom to an auxiliary actor and waits for it, up to the shutdown timeout.
  void stop_and_wait(const caf::actor& handle);

  /// Ends the auxiliary actors that have no stop message. The actor system's destructor
  /// then waits for every actor: what the actors share (metrics, boards) is declared before
  /// the system in main(), so that it outlives them all.
  void finish(const std::vector<caf::actor>& auxiliary);

private:
  std::chrono::milliseconds shutdown_timeout_;
  caf::scoped_actor waiter_;
  std::size_t watched_ = 0;
  caf::actor stop_target_;
  std::function<void()> idle_;
};

/// The front of both main()s: parses the command line and `default_file` into `cfg`, checks
/// it into settings, sets up logging (`to_stderr`: log to stderr, keeping stdout for results)
/// and the stop signals. Returns an exit code when main() should stop here.
template <class Config, class Settings>
std::optional<int> prepare_service(Config& cfg, int argc, char** argv, const char* program, const char* default_file,
                                   Settings& out);

/// Logging as both binaries do it: `level`, text or JSON lines with UTC timestamps, to stdout
/// or stderr; librdkafka's lines come through the same logger (adapters/kafka_clients).
void set_up_logging(const std::string& level, log_format format, bool to_stderr, const char* program);

/// The build's version and git revision (kstream_build_info).
build_info this_build();

} // namespace kstream

#include "app/service_impl.hpp"
