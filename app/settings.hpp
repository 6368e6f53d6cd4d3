#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace kstream {

enum class delivery_guarantee { exactly_once, at_least_once };

const char* to_string(delivery_guarantee guarantee) noexcept;

/// Everything the job needs to run, validated (see app_config::validate()).
struct job_settings {
  // [kafka]
  std::string bootstrap_servers = "127.0.0.1:9092";
  std::string group_id = "kstream-app";
  std::string input_topic = "expedia";
  std::string output_topic = "expedia_ext";
  std::string dlq_topic = "expedia_dlq";
  std::string transactional_id; // resolved: never empty under exactly_once
  /// group.instance.id (static membership); empty: dynamic membership.
  std::string group_instance_id;
  /// librdkafka properties from [kafka] properties and KSTREAM_RDKAFKA_* variables.
  std::vector<std::pair<std::string, std::string>> extra_properties;
  // [job]
  delivery_guarantee guarantee = delivery_guarantee::exactly_once;
  std::uint64_t max_in_flight = 10000;
  std::uint64_t batch_size = 1000;
  std::uint64_t commit_interval_ms = 1000;
  bool drain = false;
  std::uint64_t shutdown_timeout_ms = 30000;
  // [http]
  std::uint16_t http_port = 8080;
  std::string http_bind_address = "0.0.0.0";
  // [log]
  std::string log_level = "info";
  std::uint64_t progress_interval_ms = 5000;
};

} // namespace kstream
