// The HTTP server over real sockets (adapters/http_server): idle and slow connections, the
// connection cap, the headers of every response. A real CAF actor system with its
// middleman, a server on an ephemeral port of 127.0.0.1, plain POSIX sockets as clients.
#include "adapters/http_server.hpp"

#include <caf/all.hpp>
#include <caf/io/all.hpp>
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

using namespace kstream;
using namespace std::chrono_literals;

namespace {

/// A client socket, closed when it goes.
class client {
public:
  explicit client(std::uint16_t port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    REQUIRE(fd_ >= 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0);
  }
  client(const client&) = delete;
  client& operator=(const client&) = delete;
  ~client() {
    ::close(fd_);
  }

  /// False once the server has closed the connection (the write then fails).
  bool send(const std::string& text) {
    return ::send(fd_, text.data(), text.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(text.size());
  }

  /// Whether bytes or the end of the stream are waiting, without blocking.
  bool readable() {
    pollfd p{fd_, POLLIN, 0};
    return ::poll(&p, 1, 0) == 1;
  }

  /// Everything up to the server's close, waiting at most `bound` in all (a bound against a
  /// hanging test, not a measurement). `closed` says whether the stream ended.
  std::string read_to_end(std::chrono::milliseconds bound, bool* closed = nullptr) {
    std::string out;
    auto deadline = std::chrono::steady_clock::now() + bound;
    for (;;) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      pollfd p{fd_, POLLIN, 0};
      if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) != 1)
        break;
      char buffer[4096];
      auto got = ::recv(fd_, buffer, sizeof(buffer), 0);
      if (got <= 0) {
        if (closed != nullptr)
          *closed = true;
        return out;
      }
      out.append(buffer, static_cast<std::size_t>(got));
    }
    if (closed != nullptr)
      *closed = false;
    return out;
  }

private:
  int fd_;
};

/// An actor system with its middleman and one server answering every path with "ok".
struct http_fixture {
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  caf::actor server;
  std::uint16_t port = 0;

  explicit http_fixture(http_limits limits) {
    cfg.load<caf::io::middleman>();
    sys = std::make_unique<caf::actor_system>(cfg);
    auto started = start_http_server(
      *sys, 0, "127.0.0.1",
      [](const http_request& request) {
        return http_response{200, "text/plain; charset=utf-8", request.path + " ok\n"};
      },
      limits, &port);
    REQUIRE(started);
    server = *started;
    REQUIRE(port != 0);
  }

  ~http_fixture() {
    caf::anon_send_exit(server, caf::exit_reason::user_shutdown);
  }

  std::string get(const std::string& path) {
    client c{port};
    REQUIRE(c.send("GET " + path + " HTTP/1.1\r\nHost: test\r\n\r\n"));
    return c.read_to_end(10s);
  }
};

bool has_status(const std::string& response, int status) {
  return response.rfind("HTTP/1.1 " + std::to_string(status) + " ", 0) == 0;
}

} // namespace

TEST_CASE("every response says nosniff, answered or refused", "[http][server][security]") {
  http_fixture f{{60s, 60s, 8}};
  auto ok = f.get("/healthz");
  CHECK(has_status(ok, 200));
  CHECK(ok.find("\r\nX-Content-Type-Options: nosniff\r\n") != std::string::npos);
  client bad{f.port};
  REQUIRE(bad.send("POST /healthz HTTP/1.1\r\n\r\n"));
  auto refused = bad.read_to_end(10s);
  CHECK(has_status(refused, 405));
  CHECK(refused.find("\r\nX-Content-Type-Options: nosniff\r\n") != std::string::npos);
}

TEST_CASE("idle connections beyond the cap do not lock /healthz out", "[http][server][security]") {
  constexpr std::size_t cap = 8;
  constexpr std::size_t idle = 40;
  http_fixture f{{60s, 60s, cap}}; // no timeout helps here: only the cap
  std::vector<std::unique_ptr<client>> held;
  for (std::size_t i = 0; i < idle; ++i)
    held.push_back(std::make_unique<client>(f.port));
  auto answer = f.get("/healthz");
  CHECK(has_status(answer, 200));
  CHECK(answer.find("/healthz ok\n") != std::string::npos);
  // 41 connections, 8 open at most: the 33 oldest were closed with a 503, oldest first; the
  // 7 newest idle ones are still open (the probe's own connection took the 8th place).
  const std::size_t evicted = idle + 1 - cap;
  for (std::size_t i = 0; i < evicted; ++i) {
    INFO("connection " << i);
    bool closed = false;
    auto text = held[i]->read_to_end(10s, &closed);
    CHECK(has_status(text, 503));
    CHECK(closed);
  }
  for (std::size_t i = evicted; i < idle; ++i) {
    INFO("connection " << i);
    CHECK_FALSE(held[i]->readable());
  }
  // And the server still serves.
  CHECK(has_status(f.get("/metrics"), 200));
}

TEST_CASE("a silent connection is closed after the idle timeout", "[http][server][security]") {
  http_fixture f{{300ms, 60s, 8}};
  client silent{f.port};
  bool closed = false;
  auto text = silent.read_to_end(30s, &closed);
  CHECK(has_status(text, 408));
  CHECK(text.find("no data for 300 ms") != std::string::npos);
  CHECK(closed);
}

TEST_CASE("a request that trickles in is cut off at the request timeout", "[http][server][security]") {
  // A byte every 50 ms keeps the idle timeout (2 s) from ever firing: only the request
  // timeout can end this (slowloris).
  http_fixture f{{2s, 500ms, 8}};
  client slow{f.port};
  REQUIRE(slow.send("GET /healthz HTTP/1.1\r\n"));
  bool cut_off = false;
  for (int i = 0; i < 600 && !cut_off; ++i) { // at most 30 s: a bound, not a measurement
    std::this_thread::sleep_for(50ms);
    cut_off = slow.readable() || !slow.send("X");
  }
  REQUIRE(cut_off);
  bool closed = false;
  auto text = slow.read_to_end(10s, &closed);
  CHECK(has_status(text, 408));
  CHECK(text.find("request not complete within 500 ms") != std::string::npos);
  CHECK(closed);
}
