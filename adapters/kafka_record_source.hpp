#pragma once

// The record source over Kafka (the consumer actor's port core/ports/record_source.hpp).

#include "adapters/kafka_clients.hpp"
#include "core/ports/record_source.hpp"

#include <librdkafka/rdkafkacpp.h>

#include <caf/error.hpp>

#include <chrono>
#include <map>
#include <memory>
#include <string>

namespace kstream {

/// The record source over an rdkafka KafkaConsumer subscribed to one topic. Its rebalance
/// callback runs inside poll()/close() and forwards to the listener synchronously.
class kafka_record_source : public record_source, public RdKafka::RebalanceCb {
public:
  /// `value_headroom`: spare capacity given to every value copied out of librdkafka, so that
  /// a stage that appends to the value (the job's enrichment) does so without reallocating.
  explicit kafka_record_source(std::string topic, std::size_t value_headroom = 0);
  ~kafka_record_source() override;

  /// Takes the consumer (created with this object as its rebalance callback) and subscribes;
  /// an error when this librdkafka's group metadata does not show its generation.
  caf::error start(std::unique_ptr<RdKafka::KafkaConsumer> consumer);
  /// Where assigned partitions start (kstream-stats' restored positions) instead of their
  /// committed offsets; call before start().
  void start_at(std::map<std::int32_t, std::int64_t> offsets) {
    start_offsets_ = std::move(offsets);
  }

  void set_listener(listener* target) override;
  void poll(std::size_t max_records, std::chrono::milliseconds timeout) override;
  void pause(std::int32_t partition) override;
  void resume(std::int32_t partition) override;
  caf::error rewind(const std::vector<std::int32_t>& partitions) override;
  void commit(const std::vector<std::pair<std::int32_t, std::int64_t>>& offsets, bool synchronous) override;
  group_membership membership() override;
  std::int64_t lag(std::int32_t partition) override;
  bool reachable() override;
  caf::error failure() override;
  void close() override;

  void rebalance_cb(RdKafka::KafkaConsumer* consumer, RdKafka::ErrorCode err,
                    std::vector<RdKafka::TopicPartition*>& partitions) override;

  /// The consumer's event callback (give it to make_job_consumer with this object).
  client_events& events() {
    return events_;
  }

private:
  /// Handles one message; false when it was not a record (timeout, EOF, error).
  bool handle(RdKafka::Message& message);
  /// librdkafka reached the partition's end at `offset`: tells the listener, unless the log
  /// goes on past it (held back by a transaction).
  void end_of_partition(std::int32_t partition, std::int64_t offset);
  void pause_or_resume(std::int32_t partition, bool pause);
  /// After a poll that brought nothing: wakes librdkafka's fetcher for every partition that
  /// should be fetching (assigned, not paused, not at its end).
  void wake_starved_fetchers();

  /// What the source knows of an assigned partition, for wake_starved_fetchers().
  struct partition_state {
    bool paused = false;
    bool at_end = false;
    /// The end last reported short of the log's end (-1: none), so that it is logged once.
    std::int64_t held_at = -1;
    std::chrono::steady_clock::time_point last_wake{};
  };

  std::string topic_;
  std::size_t value_headroom_;
  std::unique_ptr<RdKafka::KafkaConsumer> consumer_;
  listener* listener_ = nullptr;
  /// Set when librdkafka reports every broker down or a transport failure; cleared by the
  /// next record, end of partition or successful broker round trip.
  bool brokers_down_ = false;
  std::chrono::steady_clock::time_point last_reachability_probe_{};
  std::map<std::int32_t, partition_state> partitions_;
  std::map<std::int32_t, std::int64_t> start_offsets_;
  bool closed_ = false;
  /// The first error that ends the source (see failure()).
  caf::error failure_;
  client_events events_{"consumer"};
};

} // namespace kstream
