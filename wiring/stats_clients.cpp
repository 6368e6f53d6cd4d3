// kstream-stats' Kafka clients (wiring/stats_clients.hpp).
#include "wiring/stats_clients.hpp"

#include "adapters/kafka_clients.hpp"
#include "adapters/kafka_state_store.hpp"
#include "messages/errors.hpp"

#include <spdlog/spdlog.h>

#include <map>
#include <string>
#include <utility>

namespace kstream {

namespace {

constexpr int startup_timeout_ms = 15000;
constexpr int restore_timeout_ms = 60000;
constexpr std::size_t max_checkpoint_bytes = 8 * 1024 * 1024;

caf::error with_hint(const caf::error& err, const std::string& hint) {
  return make_error(job_error::kafka_setup, describe_error(err) + hint);
}

/// A client that cannot be created from the options is a configuration error.
caf::error usage(const caf::error& err) {
  return make_error(job_error::invalid_option, describe_error(err));
}

/// The saved checkpoint when it is one of this input as it is now; nullopt (logged) when it
/// cannot be used: another topic, partitions the topic does not have, or positions past its
/// end (the topic was deleted and created again).
std::optional<domain::stay_checkpoint> usable_checkpoint(const std::string& saved, const stats_settings& settings,
                                                         const std::map<std::int32_t, std::int64_t>& ends) {
  std::string error;
  auto checkpoint = domain::checkpoint_from_json(saved, error);
  if (!checkpoint) {
    spdlog::warn("the checkpoint in {} cannot be read ({}): reading {} from the beginning", settings.state_topic, error,
                 settings.input_topic);
    return std::nullopt;
  }
  if (checkpoint->input_topic != settings.input_topic)
    error = "it is of topic " + checkpoint->input_topic;
  for (const auto& [partition, position] : checkpoint->positions) {
    auto end = ends.find(partition);
    if (end == ends.end())
      error = "the topic has no partition " + std::to_string(partition);
    else if (position > end->second)
      error = "its position " + std::to_string(position) + " in partition " + std::to_string(partition)
              + " is past the end of the topic (" + std::to_string(end->second) + "): the topic was created again";
  }
  if (!error.empty()) {
    spdlog::warn("the checkpoint in {} does not fit {} ({}): reading it from the beginning", settings.state_topic,
                 settings.input_topic, error);
    return std::nullopt;
  }
  return checkpoint;
}

/// The changelog's producer, checked against its topic (kafka.stats-topic).
caf::expected<std::shared_ptr<kafka_changelog_sink>> connect_changelog(const stats_settings& settings) {
  auto changelog = std::make_shared<kafka_changelog_sink>(settings.stats_topic);
  auto producer = make_keyed_producer(settings.bootstrap_servers, "kstream-stats-publisher", {},
                                      settings.extra_properties, changelog.get());
  if (!producer)
    return usage(producer.error());
  auto partitions = partition_count(**producer, settings.stats_topic, startup_timeout_ms);
  if (!partitions)
    return with_hint(partitions.error(), " (kafka.stats-topic; \"\" turns the changelog off)");
  changelog->start(std::move(*producer));
  return changelog;
}

/// The state topic's producer (the topic created when missing), and the last checkpoint when
/// it fits the input; `source` then starts at its positions.
caf::error connect_state(const stats_settings& settings, const kafka_settings& reader, RdKafka::KafkaConsumer& consumer,
                         kafka_record_source& source, stats_clients& out) {
  out.state = std::make_shared<kafka_changelog_sink>(settings.state_topic);
  // A checkpoint holds every hotel id: compressed, ~5 bytes an id; the topic takes 8 MB.
  auto producer = make_keyed_producer(settings.bootstrap_servers, "kstream-stats-checkpoints",
                                      {{"compression.type", "zstd"},
                                       {"message.max.bytes", std::to_string(max_checkpoint_bytes)}},
                                      settings.extra_properties, out.state.get());
  if (!producer)
    return usage(producer.error());
  if (auto err = ensure_state_topic(**producer, settings.state_topic, max_checkpoint_bytes, startup_timeout_ms))
    return err;
  out.state->start(std::move(*producer));
  auto saved = read_latest_value(reader, settings.state_topic, settings.input_topic, restore_timeout_ms);
  if (!saved)
    return with_hint(saved.error(), " (kafka.state-topic; \"\" reads the input from the beginning instead)");
  auto ends = end_offsets(consumer, settings.input_topic, out.partitions, startup_timeout_ms);
  if (!ends)
    return ends.error();
  if (*saved)
    out.restored = usable_checkpoint(**saved, settings, *ends);
  if (out.restored) {
    spdlog::info("restored the table of {} records from {}: reading {} on from its positions",
                 out.restored->table.records(), settings.state_topic, settings.input_topic);
    source.start_at(out.restored->positions);
  } else {
    spdlog::info("no checkpoint of {} in {}: reading it from the beginning", settings.input_topic,
                 settings.state_topic);
  }
  return caf::none;
}

/// The input's partition count, through a metadata client that is closed again.
caf::expected<int> read_partition_count(const kafka_settings& reader, const stats_settings& settings,
                                        client_events& events) {
  auto probe = make_metadata_consumer(reader, &events);
  if (!probe)
    return usage(probe.error());
  return read_through_metadata_consumer(**probe, events, settings.bootstrap_servers, startup_timeout_ms,
                                        [&](RdKafka::KafkaConsumer& client) -> caf::expected<int> {
                                          auto count = partition_count(client, settings.input_topic,
                                                                       startup_timeout_ms);
                                          if (!count)
                                            return with_hint(count.error(), " (bootstrap servers: "
                                                                              + settings.bootstrap_servers + ")");
                                          return count;
                                        });
}

} // namespace

caf::expected<stats_clients> connect_stats_clients(const stats_settings& settings) {
  kafka_settings reader;
  reader.bootstrap_servers = settings.bootstrap_servers;
  reader.group_id = settings.group_id;
  reader.extra_properties = {{"client.id", "kstream-stats-consumer"}};
  for (const auto& property : settings.extra_properties)
    reader.extra_properties.push_back(property);
  stats_clients out;
  out.source = std::make_shared<kafka_record_source>(settings.input_topic);
  // As the job's (wiring/job_clients.cpp): the prefetch follows the input's partition count,
  // read by a metadata client first.
  auto partitions = read_partition_count(reader, settings, out.source->events());
  if (!partitions)
    return partitions.error();
  auto consumer = make_job_consumer(reader, out.source.get(),
                                    prefetch_for(pipeline_settings{}.max_in_flight_bytes, *partitions),
                                    &out.source->events());
  if (!consumer)
    return usage(consumer.error());
  out.partitions = *partitions;
  if (!settings.stats_topic.empty()) {
    auto changelog = connect_changelog(settings);
    if (!changelog)
      return changelog.error();
    out.changelog = std::move(*changelog);
  }
  if (!settings.state_topic.empty())
    if (auto err = connect_state(settings, reader, **consumer, *out.source, out))
      return err;
  if (auto err = out.source->start(std::move(*consumer)))
    return err;
  return out;
}

} // namespace kstream
