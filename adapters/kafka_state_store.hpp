#pragma once

// kstream-stats' state topic: a compacted topic holding, per input topic (the key), the
// latest checkpoint of its table (domain::stay_checkpoint), so that a restart reads on from
// there instead of reading the whole input again.

#include "adapters/kafka_settings.hpp"

#include <caf/expected.hpp>

#include <librdkafka/rdkafkacpp.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace kstream {

/// Creates `topic` (compacted, one partition, the broker's replication factor, records up to
/// `max_message_bytes`) unless it exists. An error names the topic and what to do.
caf::error ensure_state_topic(RdKafka::Handle& client, const std::string& topic, std::size_t max_message_bytes,
                              int timeout_ms);

/// The latest value of `key` in `topic`, read from the beginning to the end the topic had
/// when the call started; nullopt when the key has none (or its latest is a tombstone).
caf::expected<std::optional<std::string>> read_latest_value(const kafka_settings& settings, const std::string& topic,
                                                            const std::string& key, int timeout_ms);

/// Per partition of `topic`: the offset after its last record (the high watermark).
caf::expected<std::map<std::int32_t, std::int64_t>> end_offsets(RdKafka::Handle& client, const std::string& topic,
                                                                int partitions, int timeout_ms);

} // namespace kstream
