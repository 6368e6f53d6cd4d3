#pragma once

// The Kafka clients of both binaries, configured in one place: the job's consumer and
// producer, and what they read of the topics at start-up (partition counts, size limits).

#include "actors/pipeline_settings.hpp"
#include "adapters/kafka_settings.hpp"

#include <librdkafka/rdkafkacpp.h>

#include <caf/expected.hpp>

#include <cstddef>
#include <memory>
#include <string>

namespace kstream {

/// One librdkafka log line (syslog level 0-7, the client's name, facility, text) through
/// spdlog, as "rdkafka: <client> <facility>: <text>" (component rdkafka in JSON logs).
void log_rdkafka_line(int syslog_level, const std::string& client, const std::string& facility,
                      const std::string& text);

/// A librdkafka configuration (its log lines go through spdlog) from `defaults`, then `overrides` (the user's properties win).
/// The error names the property and librdkafka's reason.
caf::expected<std::unique_ptr<RdKafka::Conf>> make_rdkafka_conf(const property_list& defaults,
                                                                const property_list& overrides);

/// The stream job's consumer: manual offsets, partition EOF events, read_committed.
caf::expected<std::unique_ptr<RdKafka::KafkaConsumer>> make_job_consumer(const kafka_settings& settings,
                                                                         RdKafka::RebalanceCb* rebalance_cb);

/// The stream job's producer: idempotent, transactional under exactly_once; it takes records
/// of up to `max_message_bytes` (librdkafka's message.max.bytes; 0: librdkafka's default).
caf::expected<std::unique_ptr<RdKafka::Producer>> make_job_producer(const kafka_settings& settings,
                                                                    const pipeline_settings& pipeline,
                                                                    std::size_t max_message_bytes,
                                                                    RdKafka::DeliveryReportCb* delivery_cb,
                                                                    RdKafka::EventCb* event_cb = nullptr);

/// Partition count of `topic`, or an error naming the topic and the broker.
caf::expected<int> partition_count(RdKafka::Handle& client, const std::string& topic, int timeout_ms);

/// The topic's max.message.bytes (the broker's limit for one record batch), read from the
/// broker's topic configuration.
caf::expected<std::size_t> topic_max_message_bytes(RdKafka::Handle& client, const std::string& topic, int timeout_ms);

} // namespace kstream
