#pragma once

// The Kafka clients of both binaries, configured in one place: the job's consumer and
// producer, kstream-stats' keyed producers, and what they read of the topics at start-up
// (partition counts, size limits).

#include "adapters/kafka_settings.hpp"
#include "core/pipeline_settings.hpp"
#include "domain/record_size_budget.hpp"

#include <librdkafka/rdkafkacpp.h>

#include <caf/expected.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

namespace kstream {

/// One librdkafka log line (syslog level 0-7, the client's name, facility, text) through
/// spdlog, as "rdkafka: <client> <facility>: <text>" (component rdkafka in JSON logs).
void log_rdkafka_line(int syslog_level, const std::string& client, const std::string& facility,
                      const std::string& text);

/// librdkafka's events of one client (its event_cb): log lines through spdlog, and errors,
/// the last one kept, so that start-up can say why no broker answers.
class client_events : public RdKafka::EventCb {
public:
  explicit client_events(const char* client);
  void event_cb(RdKafka::Event& event) override;
  /// The last error librdkafka reported: its code (ERR_NO_ERROR: none yet) and text.
  std::pair<RdKafka::ErrorCode, std::string> last_error() const;

private:
  const char* client_;
  mutable std::mutex mutex_;
  RdKafka::ErrorCode last_code_ = RdKafka::ERR_NO_ERROR;
  std::string last_text_;
};

/// A librdkafka configuration (its log lines go through spdlog) from `defaults`, then `overrides` (the user's
/// properties win).
/// The error names the property and librdkafka's reason.
caf::expected<std::unique_ptr<RdKafka::Conf>> make_rdkafka_conf(const property_list& defaults,
                                                                const property_list& overrides);

/// How much librdkafka's consumer fetches ahead of the job (its prefetch), outside the records in
/// flight: the local queue's cap and one fetch response's, in total and per partition.
struct consumer_prefetch {
  std::uint64_t queued_kbytes = 0;         ///< queued.max.messages.kbytes
  std::uint64_t fetch_bytes = 0;           ///< fetch.max.bytes
  std::uint64_t partition_fetch_bytes = 0; ///< max.partition.fetch.bytes
};

/// The prefetch for an instance with byte bound `max_in_flight_bytes` reading a topic of
/// `partitions` partitions: a fixed small part of the bound however many partitions there are.
consumer_prefetch prefetch_for(std::uint64_t max_in_flight_bytes, int partitions);

/// The stream job's consumer: manual offsets, partition EOF events, read_committed, its prefetch
/// as given (prefetch_for). `event_cb`: its errors and log lines (client_events).
caf::expected<std::unique_ptr<RdKafka::KafkaConsumer>> make_job_consumer(const kafka_settings& settings,
                                                                         RdKafka::RebalanceCb* rebalance_cb,
                                                                         const consumer_prefetch& prefetch,
                                                                         RdKafka::EventCb* event_cb = nullptr);

/// A consumer of the job's settings that only reads metadata (it never subscribes): it proves
/// the brokers answer and reads the topics (partition_count, topic_max_message_bytes) before the
/// job's own consumer is made, whose prefetch follows the input's partition count. Close it
/// before making that one.
caf::expected<std::unique_ptr<RdKafka::KafkaConsumer>> make_metadata_consumer(const kafka_settings& settings,
                                                                              RdKafka::EventCb* event_cb);

/// What the producer's records and batches may weigh, from the topics' max.message.bytes.
struct producer_limits {
  /// The largest record of either topic (librdkafka's message.max.bytes; 0: its default).
  std::size_t max_message_bytes = 0;
  /// The largest batch of several records (librdkafka's batch.size; 0: its default): one
  /// batch of one partition goes in one request, so it must fit the smaller topic's limit.
  std::size_t max_batch_bytes = 0;
};

/// The smaller of the two topics' limits less the batch framing, at most librdkafka's default
/// batch.size: a batch of several records then fits either topic. A single record larger than
/// that still goes, alone in its batch (librdkafka's batch.size semantics), and each record is
/// checked against its own topic's budget before it is produced.
producer_limits producer_limits_for(const domain::record_size_budget& output, const domain::record_size_budget& dlq);

/// The stream job's producer: idempotent, transactional under exactly_once; records and
/// batches within `limits`; its queue sized from the pipeline's bounds (every record in it is
/// in flight, which the consumer's credit bounds).
caf::expected<std::unique_ptr<RdKafka::Producer>> make_job_producer(const kafka_settings& settings,
                                                                    const pipeline_settings& pipeline,
                                                                    producer_limits limits,
                                                                    RdKafka::DeliveryReportCb* delivery_cb,
                                                                    RdKafka::EventCb* event_cb = nullptr);

/// kstream-stats' producers of keyed records (the changelog's rows, the state topic's
/// checkpoints): idempotent, acks=all, Java's partitioner; `more` after those defaults, the
/// user's `overrides` last. The error names the property or librdkafka's reason.
caf::expected<std::unique_ptr<RdKafka::Producer>> make_keyed_producer(const std::string& bootstrap_servers,
                                                                      const char* client_id, const property_list& more,
                                                                      const property_list& overrides,
                                                                      RdKafka::DeliveryReportCb* delivery_cb);

/// Waits until a broker answers `client`, up to `timeout_ms`. An authentication or TLS
/// failure among `events` (the client's event_cb) ends the wait at once; the error names the
/// cause and what to check, never a secret.
caf::error await_broker(RdKafka::KafkaConsumer& client, const client_events& events,
                        const std::string& bootstrap_servers, int timeout_ms);

/// `read(probe)` (what the caller needs of the topics) once a broker answers `probe`, a
/// metadata consumer (make_metadata_consumer), which is closed afterwards either way, so that
/// the job's own consumer can be made next. An error of the wait or of `read` is returned.
template <class Read>
auto read_through_metadata_consumer(RdKafka::KafkaConsumer& probe, const client_events& events,
                                    const std::string& bootstrap_servers, int timeout_ms, Read&& read)
  -> decltype(read(probe)) {
  using result = decltype(read(probe));
  auto out = [&]() -> result {
    if (auto err = await_broker(probe, events, bootstrap_servers, timeout_ms))
      return err;
    return read(probe);
  }();
  probe.close();
  return out;
}

/// For an error code that means the brokers refuse this client (authentication, TLS,
/// authorization): the cause, librdkafka's `detail` and what to check (`resource`: what an
/// authorization error is about, e.g. "Read on the consumer group g"); empty otherwise.
std::string access_refusal(int code, const std::string& detail, const std::string& resource = {});

/// What an authorization error means for the operator: "; the client's principal needs
/// `operation` on `resource`", and where the ACLs are listed.
std::string acl_hint(const std::string& operation, const std::string& resource);

/// Partition count of `topic`, or an error naming the topic and the broker
/// (adapters/kafka_topic_metadata.cpp, as the next).
caf::expected<int> partition_count(RdKafka::Handle& client, const std::string& topic, int timeout_ms);

/// The topic's max.message.bytes (the broker's limit for one record batch), read from the
/// broker's topic configuration.
caf::expected<std::size_t> topic_max_message_bytes(RdKafka::Handle& client, const std::string& topic, int timeout_ms);

} // namespace kstream
