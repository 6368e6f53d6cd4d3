// HTTP request heads and responses (the Prometheus text: observability_test.cpp).
#include "adapters/http.hpp"

#include <catch2/catch.hpp>

using namespace kstream;

TEST_CASE("request heads", "[http]") {
  auto request = parse_http_request_head("GET /metrics?x=1 HTTP/1.1\r\nHost: a\r\n\r\n");
  REQUIRE(request);
  CHECK(request->method == "GET");
  CHECK(request->path == "/metrics");
  CHECK_FALSE(parse_http_request_head("GET /metrics HTTP/1.1"));
  CHECK_FALSE(parse_http_request_head("garbage\r\n\r\n"));
}

TEST_CASE("responses carry their length and close the connection", "[http]") {
  auto text = format_http_response({503, "text/plain", "no\n"});
  CHECK(text
        == "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n"
           "Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\nno\n");
}
