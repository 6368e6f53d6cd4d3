// The HTTP server as a CAF io broker (adapters/http_server.hpp).
#include "adapters/http_server.hpp"

#include <caf/after.hpp>
#include <caf/io/all.hpp>

#include <algorithm>
#include <chrono>
#include <deque>
#include <memory>
#include <string>

namespace kstream {

namespace {

// Request heads larger than this are refused rather than buffered without bound.
constexpr std::size_t max_head_size = 16 * 1024;

using evict_atom = caf::atom_constant<caf::atom("httpevict")>;

using clock = std::chrono::steady_clock;

void answer(caf::io::broker* self, caf::io::connection_handle handle, const http_response& response) {
  auto bytes = format_http_response(response);
  self->write(handle, bytes.size(), bytes.data());
  self->flush(handle);
  self->close(handle);
  self->quit();
}

http_response plain(int status, std::string text) {
  return http_response{status, "text/plain; charset=utf-8", std::move(text)};
}

caf::behavior connection_worker(caf::io::broker* self, caf::io::connection_handle handle, http_router router,
                                http_limits limits) {
  auto head = std::make_shared<std::string>();
  const auto opened = clock::now();
  self->configure_read(handle, caf::io::receive_policy::at_most(4096));
  auto request_overdue = [=] { return clock::now() - opened >= limits.request_timeout; };
  auto refuse_overdue = [=] {
    answer(self, handle,
           plain(408, "request not complete within " + std::to_string(limits.request_timeout.count()) + " ms\n"));
  };
  // Both limits without timers of our own: CAF's receive timeout (`after`) fires once the
  // worker got no message for the shorter of the two, and is cancelled when the worker quits;
  // the request deadline is also checked on every piece of data, so a client trickling bytes
  // meets it too. (A delayed_send to itself per connection kept every finished worker in
  // memory until the message came due: thousands at a time under a scraper, reported as
  // leaks when the process ended before they did.)
  const auto quiet_limit = std::min(limits.idle_timeout, limits.request_timeout);
  return {
    [=](const caf::io::new_data_msg& msg) {
      if (request_overdue()) {
        refuse_overdue();
        return;
      }
      head->append(msg.buf.begin(), msg.buf.end());
      if (head->find("\r\n\r\n") == std::string::npos) {
        if (head->size() > max_head_size)
          answer(self, handle, plain(400, "request head too large\n"));
        return;
      }
      auto request = parse_http_request_head(*head);
      if (!request) {
        answer(self, handle, plain(400, "not an HTTP request\n"));
        return;
      }
      if (request->method != "GET" && request->method != "HEAD") {
        answer(self, handle, plain(405, "only GET is served\n"));
        return;
      }
      auto response = router(*request);
      if (request->method == "HEAD")
        response.body.clear();
      answer(self, handle, response);
    },
    [=](evict_atom) { answer(self, handle, plain(503, "too many connections\n")); },
    [=](const caf::io::connection_closed_msg&) { self->quit(); },
    caf::after(quiet_limit) >>
      [=] {
        if (request_overdue())
          refuse_overdue();
        else
          answer(self, handle, plain(408, "no data for " + std::to_string(limits.idle_timeout.count()) + " ms\n"));
      },
  };
}

} // namespace

caf::expected<caf::actor> start_http_server(caf::actor_system& sys, std::uint16_t port, const std::string& bind_address,
                                            http_router router, http_limits limits, std::uint16_t* bound_port) {
  auto& mm = sys.middleman();
  auto doorman = mm.backend().new_tcp_doorman(port, bind_address.c_str(), true);
  if (!doorman)
    return doorman.error();
  if (bound_port != nullptr)
    *bound_port = (*doorman)->port();
  // The router travels as a spawn argument: CAF 0.17 dereferences a null argument tuple
  // when a broker function takes no arguments besides `self` (UBSan reports it).
  return mm.spawn_broker(
    [ptr = std::move(*doorman)](caf::io::broker* self, http_router routes, http_limits bounds) mutable {
      self->add_doorman(std::move(ptr));
      return http_server(self, std::move(routes), bounds);
    },
    std::move(router), limits);
}

caf::behavior http_server(caf::io::broker* self, http_router router, http_limits limits) {
  // The open connections' workers, oldest first.
  auto open = std::make_shared<std::deque<caf::actor>>();
  self->set_down_handler([open](caf::down_msg& down) {
    auto it = std::find_if(open->begin(), open->end(),
                           [&](const caf::actor& worker) { return worker.address() == down.source; });
    if (it != open->end())
      open->erase(it);
  });
  return {
    [=](const caf::io::new_connection_msg& msg) {
      // At the cap the oldest connection makes room: a request is answered as soon as its
      // head is in, so the oldest is the one most likely idle or trickling.
      while (!open->empty() && open->size() >= limits.max_connections) {
        self->send(open->front(), evict_atom::value);
        open->pop_front();
      }
      auto worker = self->fork(connection_worker, msg.handle, router, limits);
      self->monitor(worker);
      open->push_back(worker);
    },
    [=](const caf::io::acceptor_closed_msg&) { self->quit(); },
  };
}

} // namespace kstream
