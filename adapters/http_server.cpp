// The HTTP server as a CAF io broker (adapters/http_server.hpp).
#include "adapters/http_server.hpp"

#include <caf/io/all.hpp>

#include <memory>
#include <string>

namespace kstream {

namespace {

// Request heads larger than this are refused rather than buffered without bound.
constexpr std::size_t max_head_size = 16 * 1024;

void answer(caf::io::broker* self, caf::io::connection_handle handle, const http_response& response) {
  auto bytes = format_http_response(response);
  self->write(handle, bytes.size(), bytes.data());
  self->flush(handle);
  self->close(handle);
  self->quit();
}

caf::behavior connection_worker(caf::io::broker* self, caf::io::connection_handle handle, http_router router) {
  auto head = std::make_shared<std::string>();
  self->configure_read(handle, caf::io::receive_policy::at_most(4096));
  return {
    [=](const caf::io::new_data_msg& msg) {
      head->append(msg.buf.begin(), msg.buf.end());
      if (head->find("\r\n\r\n") == std::string::npos) {
        if (head->size() > max_head_size)
          answer(self, handle, http_response{400, "text/plain; charset=utf-8", "request head too large\n"});
        return;
      }
      auto request = parse_http_request_head(*head);
      if (!request) {
        answer(self, handle, http_response{400, "text/plain; charset=utf-8", "not an HTTP request\n"});
        return;
      }
      if (request->method != "GET" && request->method != "HEAD") {
        answer(self, handle, http_response{405, "text/plain; charset=utf-8", "only GET is served\n"});
        return;
      }
      auto response = router(*request);
      if (request->method == "HEAD")
        response.body.clear();
      answer(self, handle, response);
    },
    [=](const caf::io::connection_closed_msg&) { self->quit(); },
  };
}

} // namespace

caf::expected<caf::actor> start_http_server(caf::actor_system& sys, std::uint16_t port,
                                            const std::string& bind_address, http_router router) {
  auto& mm = sys.middleman();
  auto doorman = mm.backend().new_tcp_doorman(port, bind_address.c_str(), true);
  if (!doorman)
    return doorman.error();
  // The router travels as a spawn argument: CAF 0.17 dereferences a null argument tuple
  // when a broker function takes no arguments besides `self` (UBSan reports it).
  return mm.spawn_broker(
    [ptr = std::move(*doorman)](caf::io::broker* self, http_router routes) mutable {
      self->add_doorman(std::move(ptr));
      return http_server(self, std::move(routes));
    },
    std::move(router));
}

caf::behavior http_server(caf::io::broker* self, http_router router) {
  return {
    [=](const caf::io::new_connection_msg& msg) { self->fork(connection_worker, msg.handle, router); },
    [=](const caf::io::acceptor_closed_msg&) { self->quit(); },
  };
}

} // namespace kstream
