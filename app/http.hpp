#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace kstream {

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
