// HTTP request heads and responses (adapters/http.hpp).
#include "adapters/http.hpp"

namespace kstream {

namespace {

const char* reason_phrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 503:
      return "Service Unavailable";
    default:
      return "Unknown";
  }
}

} // namespace

std::optional<http_request> parse_http_request_head(std::string_view head) {
  auto line_end = head.find("\r\n");
  if (line_end == std::string_view::npos)
    return std::nullopt;
  auto line = head.substr(0, line_end);
  auto first_space = line.find(' ');
  auto second_space = line.rfind(' ');
  if (first_space == std::string_view::npos || second_space == first_space
      || line.substr(second_space + 1, 5) != "HTTP/")
    return std::nullopt;
  http_request request;
  request.method = std::string{line.substr(0, first_space)};
  auto target = line.substr(first_space + 1, second_space - first_space - 1);
  request.path = std::string{target.substr(0, target.find('?'))};
  return request;
}

std::string format_http_response(const http_response& response) {
  std::string out = "HTTP/1.1 " + std::to_string(response.status) + " " + reason_phrase(response.status) + "\r\n";
  out += "Content-Type: " + response.content_type + "\r\n";
  out += "Content-Length: " + std::to_string(response.body.size()) + "\r\n";
  // nosniff: a browser never reads a body as another type than the one declared.
  out += "Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n";
  out += response.body;
  return out;
}

} // namespace kstream
