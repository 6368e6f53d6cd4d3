// What the job reads of its topics at start-up (declared in adapters/kafka_clients.hpp): the
// partition count through the C++ API's metadata call, max.message.bytes through the C API's
// DescribeConfigs (the C++ API has no admin calls).
#include "adapters/kafka_clients.hpp"

#include "adapters/kafka_admin_request.hpp"

#include "messages/errors.hpp"

#include <librdkafka/rdkafka.h>

#include <cstdlib>

namespace kstream {

namespace {

caf::error failure(std::string what) {
  return make_error(job_error::kafka_setup, std::move(what));
}

} // namespace

caf::expected<int> partition_count(RdKafka::Handle& client, const std::string& topic, int timeout_ms) {
  std::string err;
  std::unique_ptr<RdKafka::Topic> handle{RdKafka::Topic::create(&client, topic, nullptr, err)};
  if (!handle)
    return failure("topic " + topic + ": " + err);
  RdKafka::Metadata* raw = nullptr;
  auto code = client.metadata(false, handle.get(), &raw, timeout_ms);
  std::unique_ptr<RdKafka::Metadata> metadata{raw};
  if (code != RdKafka::ERR_NO_ERROR)
    return failure("cannot read metadata of topic " + topic + " (is the broker reachable?): " + RdKafka::err2str(code));
  for (const auto* info : *metadata->topics()) {
    if (info->topic() != topic)
      continue;
    if (info->err() == RdKafka::ERR_UNKNOWN_TOPIC_OR_PART)
      return failure("topic " + topic + " does not exist; create it (scripts/kafka-admin.py create " + topic
                     + ":3) or set the topic option");
    if (info->err() == RdKafka::ERR_TOPIC_AUTHORIZATION_FAILED)
      return failure("topic " + topic + ": " + RdKafka::err2str(info->err())
                     + acl_hint("Describe (implied by Read or Write)", "topic " + topic));
    if (info->err() != RdKafka::ERR_NO_ERROR)
      return failure("topic " + topic + ": " + RdKafka::err2str(info->err()));
    return static_cast<int>(info->partitions()->size());
  }
  return failure("topic " + topic + " is not in the broker's metadata");
}

caf::expected<std::size_t> topic_max_message_bytes(RdKafka::Handle& client, const std::string& topic, int timeout_ms) {
  std::unique_ptr<rd_kafka_ConfigResource_t, void (*)(rd_kafka_ConfigResource_t*)> resource{
    rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, topic.c_str()), &rd_kafka_ConfigResource_destroy};
  auto answer = admin_request(client, RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS, timeout_ms,
                              "cannot read the configuration of topic " + topic,
                              [&](rd_kafka_AdminOptions_t* options, rd_kafka_queue_t* queue) {
                                char errstr[256];
                                rd_kafka_AdminOptions_set_request_timeout(options, timeout_ms, errstr, sizeof(errstr));
                                auto* one = resource.get();
                                rd_kafka_DescribeConfigs(client.c_ptr(), &one, 1, options, queue);
                              });
  if (!answer)
    return std::move(answer.error());
  const auto* described = rd_kafka_event_DescribeConfigs_result(answer->get());
  size_t count = 0;
  const rd_kafka_ConfigResource_t** resources = described != nullptr
                                                  ? rd_kafka_DescribeConfigs_result_resources(described, &count)
                                                  : nullptr;
  for (size_t i = 0; i < count; ++i) {
    if (auto code = rd_kafka_ConfigResource_error(resources[i]); code != RD_KAFKA_RESP_ERR_NO_ERROR) {
      const char* reason = rd_kafka_ConfigResource_error_string(resources[i]);
      return failure("cannot read the configuration of topic " + topic + ": "
                     + (reason != nullptr && *reason != '\0' ? reason : rd_kafka_err2str(code))
                     + (code == RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED
                          ? acl_hint("DescribeConfigs", "topic " + topic)
                          : std::string{}));
    }
    size_t entries = 0;
    const rd_kafka_ConfigEntry_t** configs = rd_kafka_ConfigResource_configs(resources[i], &entries);
    for (size_t j = 0; j < entries; ++j) {
      const char* value = rd_kafka_ConfigEntry_value(configs[j]);
      if (std::string{rd_kafka_ConfigEntry_name(configs[j])} == "max.message.bytes" && value != nullptr)
        return static_cast<std::size_t>(std::strtoull(value, nullptr, 10));
    }
  }
  return failure("topic " + topic + ": the broker's configuration of it has no max.message.bytes");
}

} // namespace kstream
