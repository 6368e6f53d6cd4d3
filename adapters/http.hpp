#pragma once

// HTTP/1.1 request heads and responses as plain functions (the server is adapters/http_server),
// and the HTTP settings with their defaults.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace kstream {

struct http_settings {
  std::uint16_t http_port = 8080; // 0: no HTTP server
  std::string http_bind_address = "0.0.0.0";
  /// A connection that sends nothing for this long is closed (408).
  std::uint64_t http_idle_timeout_ms = 5000;
  /// A request head that is not complete this long after the connection opened is refused
  /// (408), however slowly its bytes trickle in.
  std::uint64_t http_request_timeout_ms = 10000;
  /// Open connections at most; a new one beyond it closes the oldest (503), so that idle
  /// connections cannot lock the probes out.
  std::uint64_t http_max_connections = 64;
};

struct http_request {
  std::string method;
  std::string path; // without the query string
};

struct http_response {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

using http_router = std::function<http_response(const http_request&)>;

/// The request line of a complete request head ("GET /path?x HTTP/1.1\r\n..."); nullopt
/// when the head is not complete yet or is not HTTP.
std::optional<http_request> parse_http_request_head(std::string_view head);

/// A complete HTTP/1.1 response that closes the connection.
std::string format_http_response(const http_response& response);

} // namespace kstream
