// One librdkafka admin request and its answer. The C++ API has no admin calls, so they go
// through the C handle; the topic-configuration read (kafka_topic_metadata.cpp) and
// kstream-stats' state-topic creation (kafka_state_store.cpp) differ only in the request and in
// what they read of the answer, so the queue, the wait and the request's own error live here.
#pragma once

#include "messages/errors.hpp"

#include <caf/expected.hpp>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafkacpp.h>

#include <memory>
#include <string>

namespace kstream {

struct admin_answer_release {
  void operator()(rd_kafka_event_t* event) const noexcept {
    rd_kafka_event_destroy(event);
  }
};

/// An admin request's answer; what the caller reads of it (the result's resources, topics)
/// lives inside it.
using admin_answer = std::unique_ptr<rd_kafka_event_t, admin_answer_release>;

/// Sends one admin request of kind `op` on a queue of its own, `send(options, queue)` (which
/// also sets the timeouts the request takes), and waits `timeout_ms` and a second more for the
/// answer. The answer, or an error that begins with `what`: no answer in time, or the
/// request's own error (its resources' errors are the caller's to read).
template <class Send>
caf::expected<admin_answer> admin_request(RdKafka::Handle& client, rd_kafka_admin_op_t op, int timeout_ms,
                                          const std::string& what, Send&& send) {
  rd_kafka_t* handle = client.c_ptr();
  std::unique_ptr<rd_kafka_queue_t, void (*)(rd_kafka_queue_t*)> queue{rd_kafka_queue_new(handle),
                                                                       &rd_kafka_queue_destroy};
  std::unique_ptr<rd_kafka_AdminOptions_t, void (*)(rd_kafka_AdminOptions_t*)> options{rd_kafka_AdminOptions_new(handle,
                                                                                                                 op),
                                                                                       &rd_kafka_AdminOptions_destroy};
  send(options.get(), queue.get());
  admin_answer answer{rd_kafka_queue_poll(queue.get(), timeout_ms + 1000)};
  if (!answer)
    return make_error(job_error::kafka_setup,
                      what + " (is the broker reachable?): no answer within " + std::to_string(timeout_ms) + " ms");
  if (rd_kafka_event_error(answer.get()) != RD_KAFKA_RESP_ERR_NO_ERROR)
    return make_error(job_error::kafka_setup, what + ": " + rd_kafka_event_error_string(answer.get()));
  return answer;
}

} // namespace kstream
