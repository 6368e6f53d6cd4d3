#pragma once

// The HTTP server of /healthz, /readyz, /metrics (and the stats page): a CAF io broker.

#include "adapters/http.hpp"

#include <caf/actor_system.hpp>
#include <caf/expected.hpp>
#include <caf/io/broker.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

namespace kstream {

/// What one client may hold of the server (http_settings has the documented defaults).
struct http_limits {
  std::chrono::milliseconds idle_timeout;
  std::chrono::milliseconds request_timeout;
  std::size_t max_connections;
};

/// A small HTTP/1.1 server as a CAF io broker: one forked worker per connection, one
/// request per connection, answered by `router`. Used for /healthz, /readyz, /metrics.
/// A connection silent for `idle_timeout`, or without a complete request head after
/// `request_timeout`, gets a 408 and is closed; a new connection beyond `max_connections`
/// closes the oldest open one (503).
caf::behavior http_server(caf::io::broker* self, http_router router, http_limits limits);

/// Binds `bind_address:port` and starts an http_server on it; the error says why the port
/// could not be had. `bound_port`, when given, receives the port bound (for port 0).
caf::expected<caf::actor> start_http_server(caf::actor_system& sys, std::uint16_t port, const std::string& bind_address,
                                            http_router router, http_limits limits,
                                            std::uint16_t* bound_port = nullptr);

} // namespace kstream
