#pragma once

// Whether the cluster answers, for /readyz. A client of its own, so that the answer never waits
// for a pipeline actor that is blocked in a long Kafka call (a commit during an outage), and
// never comes from callbacks that such a call holds back.

#include "adapters/kafka_settings.hpp"

#include <librdkafka/rdkafkacpp.h>

#include <caf/expected.hpp>

#include <chrono>
#include <memory>
#include <mutex>

namespace kstream {

class kafka_broker_watch {
public:
  static caf::expected<std::unique_ptr<kafka_broker_watch>> create(const kafka_settings& settings);

  /// Whether a broker answered a metadata request within the last second (asked now, for up to
  /// half a second, when the last answer is older). Safe from any thread.
  bool reachable();

private:
  explicit kafka_broker_watch(std::unique_ptr<RdKafka::Producer> client);

  std::unique_ptr<RdKafka::Producer> client_;
  std::mutex mutex_;
  std::chrono::steady_clock::time_point checked_at_{};
  bool reachable_ = true;
};

} // namespace kstream
