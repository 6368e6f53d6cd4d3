// The record source over Kafka (adapters/kafka_record_source.hpp).
#include "adapters/kafka_record_source.hpp"

#include "adapters/kafka_group_metadata.hpp"
#include "messages/errors.hpp"

#include <librdkafka/rdkafka.h>
#include <spdlog/spdlog.h>

#include <cstring>
#include <optional>

namespace kstream {

namespace {

constexpr int committed_timeout_ms = 10000;
constexpr int wake_timeout_ms = 100;
constexpr auto min_wake_interval = std::chrono::milliseconds(5);

// librdkafka 2.0 has no getter for the generation of a consumer group metadata, but its
// serialised form has it: "CGMDv2:", then the generation as a native int32 (rdkafka_cgrp.c).
// start() checks that this librdkafka writes it so.
constexpr char metadata_magic[] = {'C', 'G', 'M', 'D', 'v', '2', ':'};
constexpr std::int32_t probe_generation = 1234567;

std::optional<std::int32_t> generation_of(const rd_kafka_consumer_group_metadata_t* metadata) {
  void* buffer = nullptr;
  size_t size = 0;
  if (rd_kafka_error_t* error = rd_kafka_consumer_group_metadata_write(metadata, &buffer, &size)) {
    rd_kafka_error_destroy(error);
    return std::nullopt;
  }
  std::optional<std::int32_t> generation;
  if (size >= sizeof(metadata_magic) + sizeof(std::int32_t)
      && std::memcmp(buffer, metadata_magic, sizeof(metadata_magic)) == 0) {
    std::int32_t value = 0;
    std::memcpy(&value, static_cast<const char*>(buffer) + sizeof(metadata_magic), sizeof(value));
    generation = value;
  }
  rd_kafka_mem_free(nullptr, buffer);
  return generation;
}

std::string fatal_reason(RdKafka::ErrorCode code, const std::string& detail) {
  std::string reason = std::string{"the Kafka consumer cannot go on: "}
                       + rd_kafka_err2name(static_cast<rd_kafka_resp_err_t>(code)) + " (" + detail + ")";
  if (code == RdKafka::ERR_FENCED_INSTANCE_ID)
    reason += "; another instance joined the group with the same group.instance.id: give every instance its own "
              "(kafka.static-membership derives it from the host name)";
  return reason;
}

std::vector<std::int32_t> ids_of(const std::vector<RdKafka::TopicPartition*>& partitions) {
  std::vector<std::int32_t> ids;
  for (const auto* tp : partitions)
    ids.push_back(tp->partition());
  return ids;
}

} // namespace

kafka_record_source::kafka_record_source(std::string topic, std::size_t value_headroom)
  : topic_(std::move(topic)), value_headroom_(value_headroom) {
}

kafka_record_source::~kafka_record_source() {
  if (consumer_ && !closed_) {
    listener_ = nullptr; // no one left to drain for
    consumer_->close();
  }
}

caf::error kafka_record_source::start(std::unique_ptr<RdKafka::KafkaConsumer> consumer) {
  std::unique_ptr<rd_kafka_consumer_group_metadata_t, decltype(&rd_kafka_consumer_group_metadata_destroy)> probe{
    rd_kafka_consumer_group_metadata_new_with_genid("probe", probe_generation, "member", nullptr),
    &rd_kafka_consumer_group_metadata_destroy};
  if (generation_of(probe.get()) != probe_generation)
    return make_error(job_error::kafka_setup, "librdkafka " + RdKafka::version_str()
                                                + " does not write the consumer group metadata as 2.0 does (CGMDv2): "
                                                  "the job cannot check its transactions against the group generation");
  consumer_ = std::move(consumer);
  auto code = consumer_->subscribe({topic_});
  if (code != RdKafka::ERR_NO_ERROR)
    return make_error(job_error::kafka_setup, "cannot subscribe to " + topic_ + ": " + RdKafka::err2str(code));
  return caf::none;
}

void kafka_record_source::set_listener(listener* target) {
  listener_ = target;
}

bool kafka_record_source::handle(RdKafka::Message& message) {
  switch (message.err()) {
    case RdKafka::ERR_NO_ERROR: {
      kafka_record record;
      record.offset = message.offset();
      auto ts = message.timestamp();
      record.timestamp = ts.type == RdKafka::MessageTimestamp::MSG_TIMESTAMP_NOT_AVAILABLE ? -1 : ts.timestamp;
      if (message.key_pointer() != nullptr) {
        record.has_key = true;
        record.key.assign(static_cast<const char*>(message.key_pointer()), message.key_len());
      }
      if (message.payload() != nullptr) {
        record.value.reserve(message.len() + value_headroom_);
        record.value.assign(static_cast<const char*>(message.payload()), message.len());
      } else {
        record.has_value = false; // a tombstone
      }
      if (auto* headers = message.headers()) {
        for (const auto& header : headers->get_all()) {
          record_header copy;
          copy.name = header.key();
          copy.has_value = header.value() != nullptr;
          if (copy.has_value)
            copy.value.assign(static_cast<const char*>(header.value()), header.value_size());
          record.headers.push_back(std::move(copy));
        }
      }
      brokers_down_ = false;
      partitions_[message.partition()].at_end = false;
      if (listener_ != nullptr)
        listener_->on_record(message.partition(), std::move(record));
      return true;
    }
    case RdKafka::ERR__TIMED_OUT:
      return false;
    case RdKafka::ERR__PARTITION_EOF:
      brokers_down_ = false;
      end_of_partition(message.partition(), message.offset());
      return false;
    case RdKafka::ERR__FATAL: {
      std::string detail;
      auto code = consumer_->fatal_error(detail);
      if (listener_ != nullptr)
        listener_->on_fatal_error(fatal_reason(code, detail));
      return false;
    }
    case RdKafka::ERR__ALL_BROKERS_DOWN:
    case RdKafka::ERR__TRANSPORT:
      brokers_down_ = true;
      spdlog::warn("consumer: {} (topic {}); librdkafka reconnects by itself", message.errstr(), topic_);
      return false;
    case RdKafka::ERR_TOPIC_AUTHORIZATION_FAILED:
    case RdKafka::ERR_GROUP_AUTHORIZATION_FAILED:
    case RdKafka::ERR_CLUSTER_AUTHORIZATION_FAILED:
      // The broker's answer to this principal, not a passing state: librdkafka would retry
      // forever. (Authentication errors come as events, and only at start-up are they
      // final: a broker restarting can cut a handshake short.)
      if (!failure_)
        failure_ = make_error(job_error::kafka_setup,
                              "the consumer of " + topic_ + " was refused: "
                                + access_refusal(message.err(), message.errstr(),
                                                 message.err() == RdKafka::ERR_GROUP_AUTHORIZATION_FAILED
                                                   ? "Read on the consumer group"
                                                 : message.err() == RdKafka::ERR_TOPIC_AUTHORIZATION_FAILED
                                                   ? "Read on topic " + topic_
                                                   : "an ACL on the cluster"));
      return false;
    default:
      // librdkafka retries transient errors by itself; say what happened and go on.
      spdlog::warn("consumer: {} (topic {}, partition {})", message.errstr(), topic_, message.partition());
      return false;
  }
}

void kafka_record_source::poll(std::size_t max_records, std::chrono::milliseconds timeout) {
  std::unique_ptr<RdKafka::Message> first{consumer_->consume(static_cast<int>(timeout.count()))};
  if (first->err() == RdKafka::ERR__TIMED_OUT)
    wake_starved_fetchers();
  if (!handle(*first))
    return;
  for (std::size_t taken = 1; taken < max_records; ++taken) {
    std::unique_ptr<RdKafka::Message> next{consumer_->consume(0)};
    if (!handle(*next))
      return;
  }
}

void kafka_record_source::pause_or_resume(std::int32_t partition, bool pause) {
  std::vector<RdKafka::TopicPartition*> tps{RdKafka::TopicPartition::create(topic_, partition)};
  auto code = pause ? consumer_->pause(tps) : consumer_->resume(tps);
  if (code != RdKafka::ERR_NO_ERROR)
    spdlog::warn("consumer: cannot {} partition {}: {}", pause ? "pause" : "resume", partition, RdKafka::err2str(code));
  RdKafka::TopicPartition::destroy(tps);
}

void kafka_record_source::end_of_partition(std::int32_t partition, std::int64_t offset) {
  auto& state = partitions_[partition];
  state.at_end = true; // nothing to fetch until the log moves: no wake-ups for it
  // A read_committed consumer's end is the last stable offset. Short of the log's end it is
  // held back by a transaction still open, or committed a moment ago with its markers not yet
  // written: records may still come, and a drain that stopped there would leave committed
  // records behind. librdkafka reports the end again once the transaction is resolved. (Debug:
  // a job reading a transactional input as it is written meets this at every commit.)
  std::int64_t low = 0, high = -1;
  const bool log_end = consumer_->get_watermark_offsets(topic_, partition, &low, &high) != RdKafka::ERR_NO_ERROR
                       || offset >= high;
  if (!log_end && state.held_at != offset)
    spdlog::debug("consumer: {} [{}] is read to offset {}, its log goes on to {}: a transaction there is still open "
                  "or its markers are on their way; a drain waits for it to commit or abort",
                  topic_, partition, offset, high);
  state.held_at = log_end ? -1 : offset;
  if (listener_ != nullptr)
    listener_->on_end_of_partition(partition, log_end);
}

void kafka_record_source::wake_starved_fetchers() {
  // librdkafka 2.0.2 stops fetching a partition whose prefetch queue reached
  // queued.max.messages.kbytes and only looks at it again when its broker thread next wakes
  // up, up to a second later, even once the queue is empty (2.2.0's fetch.queue.backoff.ms
  // fixed this). With a small prefetch that stalled the job for most of its run (94-98 s
  // instead of 12-17 s on the full set). Any request to the partition's leader wakes that
  // thread; a watermark query is a cheap one and has no side effects.
  const auto now = std::chrono::steady_clock::now();
  for (auto& [partition, state] : partitions_) {
    if (state.paused || state.at_end || now - state.last_wake < min_wake_interval)
      continue;
    state.last_wake = now;
    std::int64_t low = 0, high = 0;
    consumer_->query_watermark_offsets(topic_, partition, &low, &high, wake_timeout_ms);
  }
}

void kafka_record_source::pause(std::int32_t partition) {
  partitions_[partition].paused = true;
  pause_or_resume(partition, true);
}

void kafka_record_source::resume(std::int32_t partition) {
  partitions_[partition].paused = false;
  pause_or_resume(partition, false);
  // librdkafka 2.0 applies a resume only when its fetcher next wakes up, up to a second
  // later (measured: a 200-record bound ran at 1/30 of the speed). A seek to the current
  // position, the next record not yet consumed, wakes it at once and changes nothing else.
  std::vector<RdKafka::TopicPartition*> tps{RdKafka::TopicPartition::create(topic_, partition)};
  if (consumer_->position(tps) == RdKafka::ERR_NO_ERROR && tps[0]->offset() >= 0)
    consumer_->seek(*tps[0], 0);
  RdKafka::TopicPartition::destroy(tps);
}

caf::error kafka_record_source::rewind(const std::vector<std::int32_t>& partitions) {
  std::vector<RdKafka::TopicPartition*> tps;
  for (auto p : partitions) {
    tps.push_back(RdKafka::TopicPartition::create(topic_, p));
    partitions_[p].at_end = false;
  }
  caf::error result;
  // Without the committed offsets there is no safe place to go back to: going to the start
  // would repeat the topic, staying would skip the lost records.
  auto code = consumer_->committed(tps, committed_timeout_ms);
  if (code != RdKafka::ERR_NO_ERROR)
    result = make_error(job_error::rewind_failed,
                        "cannot read the committed offsets of " + topic_ + " to rewind: " + RdKafka::err2str(code));
  for (auto* tp : tps) {
    if (result)
      break;
    if (tp->err() != RdKafka::ERR_NO_ERROR) {
      result = make_error(job_error::rewind_failed, "cannot read the committed offset of " + topic_ + " partition "
                                                      + std::to_string(tp->partition()) + ": "
                                                      + RdKafka::err2str(tp->err()));
      break;
    }
    // No commit yet: start over from the beginning, as a new consumer group would. The
    // beginning as an absolute offset (the low watermark), not librdkafka's logical
    // OFFSET_BEGINNING, which it resolves later with a request of its own while the pipeline
    // already pauses and resumes the partition (whose resume seeks to the position): a run of
    // faults.limits lost the first record of a partition rewound that way.
    if (tp->offset() < 0) {
      std::int64_t low = 0;
      std::int64_t high = 0;
      auto watermark_code = consumer_->query_watermark_offsets(topic_, tp->partition(), &low, &high,
                                                               committed_timeout_ms);
      if (watermark_code != RdKafka::ERR_NO_ERROR) {
        result = make_error(job_error::rewind_failed, "cannot read where " + topic_ + " partition "
                                                        + std::to_string(tp->partition())
                                                        + " begins, to rewind it: " + RdKafka::err2str(watermark_code));
        break;
      }
      tp->set_offset(low);
    }
    auto seek_code = consumer_->seek(*tp, committed_timeout_ms);
    if (seek_code != RdKafka::ERR_NO_ERROR)
      result = make_error(job_error::rewind_failed,
                          "cannot seek " + topic_ + " partition " + std::to_string(tp->partition()) + " back to offset "
                            + std::to_string(tp->offset()) + ": " + RdKafka::err2str(seek_code));
  }
  RdKafka::TopicPartition::destroy(tps);
  return result;
}

void kafka_record_source::commit(const std::vector<std::pair<std::int32_t, std::int64_t>>& offsets, bool synchronous) {
  std::vector<RdKafka::TopicPartition*> tps;
  for (auto [partition, next] : offsets)
    tps.push_back(RdKafka::TopicPartition::create(topic_, partition, next));
  auto code = synchronous ? consumer_->commitSync(tps) : consumer_->commitAsync(tps);
  if (code != RdKafka::ERR_NO_ERROR)
    spdlog::warn("consumer: offset commit failed: {} (the records will be read again)", RdKafka::err2str(code));
  RdKafka::TopicPartition::destroy(tps);
}

group_membership kafka_record_source::membership() {
  group_membership out;
  // Thread-safe: librdkafka answers it from its own thread.
  rd_kafka_consumer_group_metadata_t* metadata = rd_kafka_consumer_group_metadata(consumer_->c_ptr());
  if (metadata == nullptr)
    return out;
  out.generation = generation_of(metadata).value_or(-1);
  out.metadata = kafka_group_metadata::wrap(metadata);
  return out;
}

std::int64_t kafka_record_source::lag(std::int32_t partition) {
  std::vector<RdKafka::TopicPartition*> tps{RdKafka::TopicPartition::create(topic_, partition)};
  std::int64_t result = -1;
  std::int64_t low = 0, high = 0;
  if (consumer_->position(tps) == RdKafka::ERR_NO_ERROR
      && consumer_->get_watermark_offsets(topic_, partition, &low, &high) == RdKafka::ERR_NO_ERROR
      && tps[0]->offset() >= 0 && high >= 0)
    result = std::max<std::int64_t>(0, high - tps[0]->offset());
  RdKafka::TopicPartition::destroy(tps);
  return result;
}

bool kafka_record_source::reachable() {
  if (!brokers_down_ || partitions_.empty())
    return !brokers_down_;
  // Idle partitions bring no record to clear the flag: ask a broker now and then.
  const auto now = std::chrono::steady_clock::now();
  if (now - last_reachability_probe_ >= std::chrono::seconds(1)) {
    last_reachability_probe_ = now;
    std::int64_t low = 0, high = 0;
    if (consumer_->query_watermark_offsets(topic_, partitions_.begin()->first, &low, &high, wake_timeout_ms)
        == RdKafka::ERR_NO_ERROR)
      brokers_down_ = false;
  }
  return !brokers_down_;
}

caf::error kafka_record_source::failure() {
  return failure_;
}

void kafka_record_source::close() {
  if (closed_)
    return;
  closed_ = true;
  consumer_->close();
}

void kafka_record_source::rebalance_cb(RdKafka::KafkaConsumer* consumer, RdKafka::ErrorCode err,
                                       std::vector<RdKafka::TopicPartition*>& partitions) {
  const bool cooperative = consumer->rebalance_protocol() == "COOPERATIVE";
  if (err == RdKafka::ERR__ASSIGN_PARTITIONS) {
    for (auto* tp : partitions)
      if (auto start = start_offsets_.find(tp->partition()); start != start_offsets_.end())
        tp->set_offset(start->second);
    if (cooperative) {
      std::unique_ptr<RdKafka::Error> error{consumer->incremental_assign(partitions)};
      if (error)
        spdlog::error("consumer: incremental assign failed: {}", error->str());
    } else {
      consumer->assign(partitions);
    }
    for (auto p : ids_of(partitions))
      partitions_[p] = partition_state{};
    if (listener_ != nullptr)
      listener_->on_assigned(ids_of(partitions));
    return;
  }
  // Revocation (or a lost assignment): drain first, then let the partitions go.
  if (listener_ != nullptr)
    listener_->on_revoked(ids_of(partitions), consumer->assignment_lost());
  for (auto p : ids_of(partitions))
    partitions_.erase(p);
  if (cooperative) {
    std::unique_ptr<RdKafka::Error> error{consumer->incremental_unassign(partitions)};
    if (error)
      spdlog::error("consumer: incremental unassign failed: {}", error->str());
  } else {
    consumer->unassign();
  }
}

} // namespace kstream
