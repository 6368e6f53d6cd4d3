#pragma once

// The HTTP server of /healthz, /readyz, /metrics (and the stats page): a CAF io broker.

#include "adapters/http.hpp"

#include <caf/actor_system.hpp>
#include <caf/expected.hpp>
#include <caf/io/broker.hpp>

#include <cstdint>
#include <string>

namespace kstream {

/// A small HTTP/1.1 server as a CAF io broker: one forked worker per connection, one
/// request per connection, answered by `router`. Used for /healthz, /readyz, /metrics.
caf::behavior http_server(caf::io::broker* self, http_router router);

/// Binds `bind_address:port` and starts an http_server on it; the error says why the port
/// could not be had.
caf::expected<caf::actor> start_http_server(caf::actor_system& sys, std::uint16_t port,
                                            const std::string& bind_address, http_router router);

} // namespace kstream
