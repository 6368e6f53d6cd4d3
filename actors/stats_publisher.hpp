#pragma once

// The table as a changelog: one record per changed category in a compacted topic
// (key = the category text, value = {"stay_category":..,"records":..,"distinct_hotels":..}),
// so that other tools read the latest value of each category like a ksqlDB table's topic.

#include "actors/aggregator.hpp"

#include <librdkafka/rdkafkacpp.h>

#include <caf/event_based_actor.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>

namespace kstream {

struct stats_publisher_resources : RdKafka::DeliveryReportCb {
  std::unique_ptr<RdKafka::Producer> producer; // created with this object as its dr_cb
  std::string topic;
  std::atomic<std::uint64_t> delivered{0};
  std::atomic<std::uint64_t> failed{0};

  void dr_cb(RdKafka::Message& message) override;
};

struct stats_publisher_settings {
  std::chrono::milliseconds interval{1000};
  std::chrono::milliseconds flush_timeout{10000};
};

/// Every interval (and once more on stop_atom) produces the rows whose numbers changed since
/// the last publication; rows without records are not published (like a ksqlDB table, a
/// category appears with its first record). On stop_atom it waits for Kafka's acks (bounded
/// by flush_timeout) and quits. Spawn it detached: flushing blocks.
caf::behavior stats_publisher(caf::event_based_actor* self, const stats_board* board,
                              std::shared_ptr<stats_publisher_resources> resources,
                              stats_publisher_settings settings);

} // namespace kstream
