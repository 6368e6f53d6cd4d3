#pragma once

#include "app/metrics.hpp"
#include "app/settings.hpp"
#include "messages/interfaces.hpp"

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafkacpp.h>

#include <caf/typed_response_promise.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <unordered_map>
#include <vector>

namespace kstream {

class producer_state;

/// librdkafka calls this from inside poll()/flush(), i.e. on the producer actor's own thread.
class delivery_reporter : public RdKafka::DeliveryReportCb {
public:
  void dr_cb(RdKafka::Message& message) override;
  producer_state* target = nullptr;
};

/// What the producer actor needs besides its settings; built (and transactions initialised)
/// by main before the actor starts, so that start-up errors are reported before anything runs.
struct producer_resources {
  std::unique_ptr<delivery_reporter> reporter = std::make_unique<delivery_reporter>();
  std::unique_ptr<RdKafka::Producer> producer;
  std::int32_t output_partitions = 0; // of the output topic
  std::int32_t dlq_partitions = 0;
  std::int32_t input_partitions = 0;
  metrics_registry* metrics = nullptr;
  /// Called on an error that the job cannot recover from (fenced, fatal producer error).
  std::function<void(const std::string&)> on_fatal;
};

/// All records of one batch, tracked until Kafka has acknowledged each of them.
struct batch_tracker {
  std::int32_t partition = -1;
  std::uint64_t epoch = 0;
  std::int64_t last_offset = -1;
  std::uint64_t records = 0;   // output + dead letters
  std::uint64_t remaining = 0; // not yet acknowledged
  std::uint64_t produced = 0;  // acknowledged by the output topic
  std::uint64_t dead_lettered = 0;
};

struct pending_drain {
  drain_request request;
  caf::typed_response_promise<drain_result> promise;
};

class producer_state {
public:
  static inline const char* name = "producer";

  producer_actor::pointer self = nullptr;
  job_settings settings;
  producer_resources resources;
  consumer_actor consumer; // receives credit (batch_delivered) and rewinds
  std::unique_ptr<RdKafka::Topic> output_topic; // handle of settings.output_topic

  /// Batches in production, by id (the id is the message opaque: a late delivery report of
  /// a forgotten batch finds nothing instead of freed memory).
  std::unordered_map<std::uint64_t, batch_tracker> trackers;
  std::map<std::int32_t, std::deque<std::uint64_t>> in_order; // per partition, oldest first
  std::uint64_t next_batch_id = 1;
  /// Per partition: the offset after the last batch fully delivered.
  std::map<std::int32_t, std::int64_t> delivered_next;
  /// Per partition: offsets delivered in the open transaction, to send with it.
  std::map<std::int32_t, std::int64_t> transaction_offsets;

  std::uint64_t first_valid_epoch = 0; // batches below it belong to aborted work
  std::uint64_t highest_epoch = 0;
  bool transaction_open = false;
  std::chrono::steady_clock::time_point transaction_started;
  std::string failure; // set by a delivery error: abort (exactly_once) or rewind
  std::shared_ptr<RdKafka::ConsumerGroupMetadata> group;
  std::vector<pending_drain> drains;
  bool stopping = false;

  void produce(enriched_batch& batch);
  void on_delivery(RdKafka::Message& message);
  /// Acks every batch at the head of a partition that is fully delivered.
  void complete_batches();
  /// Commits the open transaction with the offsets it covers; false (and a rewind) on failure.
  bool commit_transaction();
  void rewind(const std::string& reason);
  void answer_drains();
  void tick();
};

producer_actor::behavior_type producer(producer_actor::stateful_pointer<producer_state> self, job_settings settings,
                                       std::shared_ptr<producer_resources> resources, consumer_actor consumer);

} // namespace kstream
