// kstream-stats' state topic (adapters/kafka_state_store.hpp).
#include "adapters/kafka_state_store.hpp"

#include "adapters/kafka_admin_request.hpp"
#include "adapters/kafka_clients.hpp"
#include "messages/errors.hpp"

#include <librdkafka/rdkafka.h>

#include <chrono>
#include <memory>
#include <vector>

namespace kstream {

namespace {

caf::error failure(std::string what) {
  return make_error(job_error::kafka_setup, std::move(what));
}

} // namespace

caf::error ensure_state_topic(RdKafka::Handle& client, const std::string& topic, std::size_t max_message_bytes,
                              int timeout_ms) {
  if (partition_count(client, topic, timeout_ms))
    return {};
  char errstr[512] = {};
  std::unique_ptr<rd_kafka_NewTopic_t, void (*)(rd_kafka_NewTopic_t*)> spec{
    rd_kafka_NewTopic_new(topic.c_str(), 1, -1, errstr, sizeof(errstr)), &rd_kafka_NewTopic_destroy};
  if (!spec)
    return failure("cannot describe the state topic " + topic + ": " + errstr);
  rd_kafka_NewTopic_set_config(spec.get(), "cleanup.policy", "compact");
  rd_kafka_NewTopic_set_config(spec.get(), "max.message.bytes", std::to_string(max_message_bytes).c_str());
  auto answer = admin_request(client, RD_KAFKA_ADMIN_OP_CREATETOPICS, timeout_ms,
                              "cannot create the state topic " + topic,
                              [&](rd_kafka_AdminOptions_t* options, rd_kafka_queue_t* queue) {
                                rd_kafka_AdminOptions_set_operation_timeout(options, timeout_ms, errstr,
                                                                            sizeof(errstr));
                                auto* one = spec.get();
                                rd_kafka_CreateTopics(client.c_ptr(), &one, 1, options, queue);
                              });
  if (!answer)
    return std::move(answer.error());
  const auto* created = rd_kafka_event_CreateTopics_result(answer->get());
  if (created == nullptr)
    return failure("cannot create the state topic " + topic + ": the broker's answer was not a CreateTopics result");
  size_t count = 0;
  const rd_kafka_topic_result_t** topics = rd_kafka_CreateTopics_result_topics(created, &count);
  for (size_t i = 0; i < count; ++i) {
    auto code = rd_kafka_topic_result_error(topics[i]);
    if (code != RD_KAFKA_RESP_ERR_NO_ERROR && code != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS)
      return failure("cannot create the state topic " + topic
                     + " (create it compacted, or set "
                       "kafka.state-topic=\"\" to read the input from the beginning on every start): "
                     + rd_kafka_topic_result_error_string(topics[i]));
  }
  return {};
}

caf::expected<std::map<std::int32_t, std::int64_t>> end_offsets(RdKafka::Handle& client, const std::string& topic,
                                                                int partitions, int timeout_ms) {
  std::map<std::int32_t, std::int64_t> out;
  for (std::int32_t p = 0; p < partitions; ++p) {
    std::int64_t low = 0, high = 0;
    auto code = client.query_watermark_offsets(topic, p, &low, &high, timeout_ms);
    if (code != RdKafka::ERR_NO_ERROR)
      return failure("cannot read the end of " + topic + " [" + std::to_string(p) + "]: " + RdKafka::err2str(code));
    out[p] = high;
  }
  return out;
}

caf::expected<std::optional<std::string>> read_latest_value(const kafka_settings& settings, const std::string& topic,
                                                            const std::string& key, int timeout_ms) {
  property_list defaults = {
    {"bootstrap.servers", settings.bootstrap_servers},
    {"group.id", settings.group_id + "-restore"}, // required by the API; nothing is committed
    {"client.id", "kstream-stats-restore"},
    {"enable.auto.commit", "false"},
    // The end of a partition, also when compaction removed its last offsets.
    {"enable.partition.eof", "true"},
    {"auto.offset.reset", "earliest"},
  };
  auto conf = make_rdkafka_conf(defaults, settings.extra_properties);
  if (!conf)
    return conf.error();
  std::string err;
  std::unique_ptr<RdKafka::KafkaConsumer> consumer{RdKafka::KafkaConsumer::create(conf->get(), err)};
  if (!consumer)
    return failure("cannot create a consumer for the state topic " + topic + ": " + err);
  auto partitions = partition_count(*consumer, topic, timeout_ms);
  if (!partitions)
    return partitions.error();
  auto ends = end_offsets(*consumer, topic, *partitions, timeout_ms);
  if (!ends)
    return ends.error();
  std::vector<RdKafka::TopicPartition*> assignment;
  std::map<std::int32_t, std::int64_t> remaining; // partitions not read to their end yet
  for (const auto& [p, end] : *ends)
    if (end > 0) {
      assignment.push_back(RdKafka::TopicPartition::create(topic, p, RdKafka::Topic::OFFSET_BEGINNING));
      remaining[p] = end;
    }
  std::optional<std::string> latest;
  caf::error error;
  if (!assignment.empty() && consumer->assign(assignment) != RdKafka::ERR_NO_ERROR)
    error = failure("cannot read the state topic " + topic);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (!error && !remaining.empty()) {
    if (std::chrono::steady_clock::now() >= deadline) {
      error = failure("the state topic " + topic + " was not read to its end within " + std::to_string(timeout_ms)
                      + " ms");
      break;
    }
    std::unique_ptr<RdKafka::Message> message{consumer->consume(100)};
    if (message->err() == RdKafka::ERR__TIMED_OUT)
      continue;
    if (message->err() == RdKafka::ERR__PARTITION_EOF) {
      remaining.erase(message->partition());
      continue;
    }
    if (message->err() != RdKafka::ERR_NO_ERROR) {
      error = failure("cannot read the state topic " + topic + ": " + message->errstr());
      break;
    }
    if (message->key() != nullptr && *message->key() == key) {
      if (message->payload() == nullptr)
        latest.reset();
      else
        latest = std::string{static_cast<const char*>(message->payload()), message->len()};
    }
    auto it = remaining.find(message->partition());
    if (it != remaining.end() && message->offset() + 1 >= it->second)
      remaining.erase(it);
  }
  RdKafka::TopicPartition::destroy(assignment);
  consumer->close();
  if (error)
    return error;
  return latest;
}

} // namespace kstream
