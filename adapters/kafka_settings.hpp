#pragma once

// How the Kafka clients connect, and their defaults: the one place a default of the [kafka]
// options is written (app/config.cpp's option table, the sample .ini files and the chart's
// values are checked against these).

#include <string>
#include <utility>
#include <vector>

namespace kstream {

using property_list = std::vector<std::pair<std::string, std::string>>;

struct kafka_settings {
  std::string bootstrap_servers = "127.0.0.1:9092";
  std::string group_id = "kstream-app";
  std::string input_topic = "expedia";
  std::string output_topic = "expedia_ext";
  std::string dlq_topic = "expedia_dlq";
  std::string transactional_id; // resolved: never empty under exactly_once
  /// group.instance.id (static membership); empty: dynamic membership.
  std::string group_instance_id;
  /// librdkafka properties from [kafka] properties and KSTREAM_RDKAFKA_* variables.
  property_list extra_properties;
};

} // namespace kstream
