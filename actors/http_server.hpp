#pragma once

#include "app/http.hpp"

#include <caf/io/broker.hpp>

namespace kstream {

/// A small HTTP/1.1 server as a CAF io broker: one forked worker per connection, one
/// request per connection, answered by `router`. Used for /healthz, /readyz, /metrics.
caf::behavior http_server(caf::io::broker* self, http_router router);

} // namespace kstream
