// HTTP request heads, responses and the Prometheus text.
#include "adapters/http.hpp"
#include "adapters/prometheus.hpp"

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
  CHECK(text == "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n"
                "Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\nno\n");
}

TEST_CASE("metrics in Prometheus text format", "[http][metrics]") {
  metrics_registry metrics;
  metrics.partition(1).consumed = 7;
  metrics.partition(1).assigned = true;
  metrics.partition(0).produced = 3;
  metrics.transactions_committed = 2;
  auto text = prometheus_text(metrics);
  CHECK(text.find("# TYPE kstream_records_consumed_total counter\n") != std::string::npos);
  CHECK(text.find("kstream_records_consumed_total{partition=\"1\"} 7\n") != std::string::npos);
  CHECK(text.find("kstream_records_produced_total{partition=\"0\"} 3\n") != std::string::npos);
  CHECK(text.find("kstream_transactions_committed_total 2\n") != std::string::npos);
  auto totals = metrics.sum();
  CHECK(totals.consumed == 7u);
  CHECK(totals.assigned == 1u);
}
