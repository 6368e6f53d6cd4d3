#pragma once

// The record sink over a Kafka producer (the producer actor's port core/ports/record_sink.hpp):
// enriched records to the output topic, dead letters to the dead-letter topic, transactions.

#include "core/ports/record_sink.hpp"
#include "domain/expedia_json.hpp"
#include "domain/record_size_budget.hpp"

#include <librdkafka/rdkafkacpp.h>

#include <caf/error.hpp>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

namespace kstream {

/// The topics a sink writes, as read from the broker at start-up.
struct sink_topics {
  std::string input; // named in dead letters' headers
  std::string output;
  std::string dlq;
  std::int32_t input_partitions = 0;
  std::int32_t output_partitions = 0;
  std::int32_t dlq_partitions = 0;
  /// The topics' max.message.bytes go in `limit`. The output's reserve is the enrichment: the
  /// classifier checks records before it appends the two members, the sink after.
  domain::record_size_budget output_budget{0, domain::kafka_record_framing, domain::enrichment_reserve};
  domain::record_size_budget dlq_budget{};
};

class kafka_record_sink : public record_sink, public RdKafka::DeliveryReportCb, public RdKafka::EventCb {
public:
  /// `reachable` (the /readyz flag) is kept up to date from librdkafka's callbacks, which run
  /// inside poll(), flush() and the transaction calls: also while a commit waits out an outage.
  kafka_record_sink(sink_topics topics, std::atomic<bool>* reachable);
  ~kafka_record_sink() override;

  /// Takes the producer (created with this object as its dr_cb and event_cb) and opens the
  /// topics; under exactly_once, initialises transactions, which fences an earlier instance
  /// with the same transactional.id and aborts its open transaction.
  caf::error start(std::unique_ptr<RdKafka::Producer> producer, bool transactional, int timeout_ms);

  void set_listener(listener* target) override;
  produce_result produce_output(std::int32_t source_partition, const output_record& record, std::uint64_t tag) override;
  produce_result produce_dead_letter(std::int32_t source_partition, const dead_letter& letter,
                                     std::uint64_t tag) override;
  produce_result produce_unwritable(std::int32_t source_partition, const dead_letter& letter,
                                    const std::string& refusal, std::uint64_t tag) override;
  void poll(std::chrono::milliseconds timeout) override;
  bool flush(std::chrono::milliseconds timeout) override;
  void probe_connection() override;
  step_result begin_transaction() override;
  step_result send_offsets(const std::vector<std::pair<std::int32_t, std::int64_t>>& offsets,
                           const group_membership& group, std::chrono::milliseconds timeout) override;
  step_result commit_transaction(std::chrono::milliseconds timeout) override;
  step_result abort_transaction(std::chrono::milliseconds timeout) override;

  void dr_cb(RdKafka::Message& message) override;
  /// librdkafka's errors and log lines: "all brokers down" marks the sink unreachable.
  void event_cb(RdKafka::Event& event) override;

private:
  struct header_view;
  /// `key` and `value` null: a null key or value. Nothing is copied before librdkafka does.
  produce_result produce(bool dead_letter, std::int32_t partition, const std::string* key, const std::string* value,
                         std::int64_t timestamp, const std::vector<header_view>& headers, std::uint64_t tag);

  sink_topics topics_;
  std::unique_ptr<RdKafka::Producer> producer_;
  std::unique_ptr<RdKafka::Topic> output_;
  std::unique_ptr<RdKafka::Topic> dlq_;
  listener* listener_ = nullptr;
  std::atomic<bool>* reachable_;
  std::chrono::steady_clock::time_point last_probe_{};
  /// Why librdkafka failed the current transaction (its TXNERR log line), if it did: a later
  /// step's error ("invalid state") does not say it. Written on librdkafka's threads.
  std::mutex transaction_failure_mutex_;
  std::string transaction_failure_;
  /// `result` with the transaction's first failure added when that is not its own text.
  step_result with_transaction_failure(step_result result);
};

} // namespace kstream
