#pragma once

// kstream-stats' Kafka clients, set up from its settings and checked against the brokers
// before any actor runs: the input's consumer, the changelog's producer, and the state topic
// with the last checkpoint, restored when it fits the input as it is now.

#include "adapters/kafka_changelog_sink.hpp"
#include "adapters/kafka_record_source.hpp"
#include "domain/stay_table.hpp"
#include "wiring/settings.hpp"

#include <caf/expected.hpp>

#include <memory>
#include <optional>

namespace kstream {

/// kstream-stats' clients, connected; the source positioned at the restored checkpoint's
/// offsets when there is one.
struct stats_clients {
  std::shared_ptr<kafka_record_source> source;
  std::shared_ptr<kafka_changelog_sink> changelog; // null: kafka.stats-topic=""
  std::shared_ptr<kafka_changelog_sink> state;     // null: kafka.state-topic=""
  std::optional<domain::stay_checkpoint> restored;
  int partitions = 0; // of the input topic
};

/// Connects them; the error names the option, topic or broker (a job_error::invalid_option
/// when a client cannot be created from the options: exit code 2).
caf::expected<stats_clients> connect_stats_clients(const stats_settings& settings);

} // namespace kstream
