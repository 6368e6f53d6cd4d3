#pragma once

#include "app/settings.hpp"

#include <librdkafka/rdkafkacpp.h>

#include <caf/expected.hpp>

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace kstream {

using property_list = std::vector<std::pair<std::string, std::string>>;

/// A librdkafka configuration from `defaults`, then `overrides` (the user's properties win).
/// The error names the property and librdkafka's reason.
caf::expected<std::unique_ptr<RdKafka::Conf>> make_rdkafka_conf(const property_list& defaults,
                                                                const property_list& overrides);

/// The stream job's consumer: manual offsets, partition EOF events, read_committed.
caf::expected<std::unique_ptr<RdKafka::KafkaConsumer>>
make_job_consumer(const job_settings& settings, RdKafka::RebalanceCb* rebalance_cb);

/// The stream job's producer: idempotent, transactional under exactly_once.
caf::expected<std::unique_ptr<RdKafka::Producer>> make_job_producer(const job_settings& settings,
                                                                    RdKafka::DeliveryReportCb* delivery_cb);

/// Partition count of `topic`, or an error naming the topic and the broker.
caf::expected<int> partition_count(RdKafka::Handle& client, const std::string& topic, int timeout_ms);

} // namespace kstream
