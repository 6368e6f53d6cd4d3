// The record sink over a Kafka producer (adapters/kafka_record_sink.hpp).
#include "adapters/kafka_record_sink.hpp"

#include "adapters/kafka_clients.hpp"
#include "adapters/kafka_group_metadata.hpp"
#include "messages/errors.hpp"

#include <librdkafka/rdkafka.h>
#include <spdlog/spdlog.h>

namespace kstream {

namespace {

// A delivery report carries the tag and whether the record went to the dead-letter topic in
// its opaque: no topic name has to be built and compared per report.
void* as_opaque(std::uint64_t tag, bool dead_letter) {
  return reinterpret_cast<void*>(static_cast<std::uintptr_t>((tag << 1) | (dead_letter ? 1U : 0U)));
}

std::uint64_t tag_of(void* opaque) {
  return static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(opaque)) >> 1;
}

bool is_dead_letter(void* opaque) {
  return (reinterpret_cast<std::uintptr_t>(opaque) & 1U) != 0;
}

/// The broker's errors that say something about the records of the refused batch, not about
/// the producer, the transaction or the cluster: writing the same records again fails again.
bool refused_for_its_records(RdKafka::ErrorCode code) {
  switch (code) {
    case RdKafka::ERR_MSG_SIZE_TOO_LARGE:
    case RdKafka::ERR_INVALID_RECORD:
    case RdKafka::ERR_INVALID_TIMESTAMP:
    case RdKafka::ERR_INVALID_MSG: // CORRUPT_MESSAGE
    case RdKafka::ERR_INVALID_MSG_SIZE:
    case RdKafka::ERR_RECORD_LIST_TOO_LARGE:
      return true;
    default:
      return false;
  }
}

// Through the C API: send_offsets_to_transaction takes the consumer's group metadata as the
// C handle that core/ports/group_membership.hpp carries (adapters/kafka_group_metadata.hpp).
record_sink::step_result classify(rd_kafka_error_t* raw) {
  std::unique_ptr<rd_kafka_error_t, decltype(&rd_kafka_error_destroy)> error{raw, &rd_kafka_error_destroy};
  if (!error)
    return {};
  record_sink::step outcome = record_sink::step::fatal;
  if (rd_kafka_error_is_retriable(error.get()))
    outcome = record_sink::step::retriable;
  else if (rd_kafka_error_txn_requires_abort(error.get()))
    outcome = record_sink::step::abortable;
  return {outcome, std::string{rd_kafka_error_name(error.get())} + ": " + rd_kafka_error_string(error.get())};
}

} // namespace

/// A header as it goes out: its value may be null.
struct kafka_record_sink::header_view {
  const std::string* name;
  const std::string* value; // null: a null value
};

kafka_record_sink::kafka_record_sink(sink_topics topics, std::atomic<bool>* reachable)
  : topics_(std::move(topics)), reachable_(reachable) {
}

kafka_record_sink::~kafka_record_sink() {
  listener_ = nullptr;
  if (producer_)
    // What was not flushed is given up (the transaction, if any, is aborted by the broker or
    // by the next instance's init_transactions): do not wait for it.
    rd_kafka_purge(producer_->c_ptr(), RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
}

caf::error kafka_record_sink::start(std::unique_ptr<RdKafka::Producer> producer, bool transactional, int timeout_ms) {
  producer_ = std::move(producer);
  std::string err;
  output_.reset(RdKafka::Topic::create(producer_.get(), topics_.output, nullptr, err));
  if (!output_)
    return make_error(job_error::kafka_setup, "cannot open the output topic " + topics_.output + ": " + err);
  dlq_.reset(RdKafka::Topic::create(producer_.get(), topics_.dlq, nullptr, err));
  if (!dlq_)
    return make_error(job_error::kafka_setup, "cannot open the dead-letter topic " + topics_.dlq + ": " + err);
  if (transactional) {
    std::unique_ptr<RdKafka::Error> error{producer_->init_transactions(timeout_ms)};
    if (error)
      return make_error(job_error::kafka_setup,
                        "cannot initialise transactions: " + error->str()
                          + (error->code() == RdKafka::ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED
                               ? "; the client's principal needs Write on the TransactionalId (README.md, Security)"
                               : ""));
  }
  return caf::none;
}

void kafka_record_sink::set_listener(listener* target) {
  listener_ = target;
}

record_sink::produce_result kafka_record_sink::produce(bool dead_letter, std::int32_t partition, const std::string* key,
                                                       const std::string* value, std::int64_t timestamp,
                                                       const std::vector<header_view>& headers, std::uint64_t tag) {
  const auto& budget = dead_letter ? topics_.dlq_budget : topics_.output_budget;
  std::size_t bytes = (key ? key->size() : 0) + (value ? value->size() : 0);
  for (const auto& header : headers)
    bytes += header.name->size() + (header.value ? header.value->size() : 0);
  const auto& topic = dead_letter ? topics_.dlq : topics_.output;
  if (!budget.fits_as_written(bytes))
    return {take::refused, "the record (about " + std::to_string(bytes + budget.framing) + " bytes) exceeds " + topic
                             + "'s max.message.bytes of " + std::to_string(budget.limit)};
  rd_kafka_headers_t* out_headers = headers.empty() ? nullptr : rd_kafka_headers_new(headers.size());
  for (const auto& header : headers)
    rd_kafka_header_add(out_headers, header.name->data(), static_cast<ssize_t>(header.name->size()),
                        header.value ? header.value->data() : nullptr,
                        header.value ? static_cast<ssize_t>(header.value->size()) : 0);
  // Same partition count: keep the record in its partition, so per-partition order and
  // locality carry over. Otherwise let the partitioner hash the key.
  const auto partitions = dead_letter ? topics_.dlq_partitions : topics_.output_partitions;
  const std::int32_t target = partitions == topics_.input_partitions ? partition : RD_KAFKA_PARTITION_UA;
  rd_kafka_topic_t* handle = (dead_letter ? dlq_ : output_)->c_ptr();
  // Through the C API with the topic handle: the C++ produce() that takes a timestamp and
  // headers wants the topic by name, a string copy and a topic lookup per record.
  auto code = rd_kafka_producev(producer_->c_ptr(), RD_KAFKA_V_RKT(handle), RD_KAFKA_V_PARTITION(target),
                                RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                RD_KAFKA_V_VALUE(value ? const_cast<char*>(value->data()) : nullptr,
                                                 value ? value->size() : 0),
                                RD_KAFKA_V_KEY(key ? key->data() : nullptr, key ? key->size() : 0),
                                RD_KAFKA_V_TIMESTAMP(timestamp > 0 ? timestamp : 0), RD_KAFKA_V_HEADERS(out_headers),
                                RD_KAFKA_V_OPAQUE(as_opaque(tag, dead_letter)), RD_KAFKA_V_END);
  if (code == RD_KAFKA_RESP_ERR_NO_ERROR)
    return {}; // the headers belong to librdkafka now
  if (out_headers != nullptr)
    rd_kafka_headers_destroy(out_headers);
  switch (code) {
    case RD_KAFKA_RESP_ERR__QUEUE_FULL:
      return {take::queue_full, {}};
    case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
    case RD_KAFKA_RESP_ERR__INVALID_ARG:
      return {take::refused, topic + " refused the record: " + rd_kafka_err2str(code)};
    default:
      return {take::failed, "cannot produce to " + topic + ": " + rd_kafka_err2str(code)};
  }
}

record_sink::produce_result kafka_record_sink::produce_output(std::int32_t source_partition,
                                                              const output_record& record, std::uint64_t tag) {
  std::vector<header_view> headers;
  headers.reserve(record.headers.size());
  for (const auto& header : record.headers)
    headers.push_back({&header.name, header.has_value ? &header.value : nullptr});
  return produce(false, source_partition, record.has_key ? &record.key : nullptr, &record.value, record.timestamp,
                 headers, tag);
}

namespace {

const std::string code_header = "kstream.error.code"; // stable: domain/dead_letter_reason.hpp
const std::string reason_header = "kstream.error.reason";
const std::string topic_header = "kstream.source.topic";
const std::string partition_header = "kstream.source.partition";
const std::string offset_header = "kstream.source.offset";
const std::string refusal_header = "kstream.error.refusal";

} // namespace

record_sink::produce_result kafka_record_sink::produce_dead_letter(std::int32_t source_partition,
                                                                   const dead_letter& letter, std::uint64_t tag) {
  const auto partition_text = std::to_string(source_partition);
  const auto offset_text = std::to_string(letter.source.offset);
  const std::string code = domain::code_of(letter.reason);
  const auto reason = domain::reason_text(letter.reason, letter.detail);
  std::vector<header_view> headers;
  headers.reserve(letter.source.headers.size() + 5);
  for (const auto& header : letter.source.headers)
    headers.push_back({&header.name, header.has_value ? &header.value : nullptr});
  headers.push_back({&code_header, &code});
  headers.push_back({&reason_header, &reason});
  headers.push_back({&topic_header, &topics_.input});
  headers.push_back({&partition_header, &partition_text});
  headers.push_back({&offset_header, &offset_text});
  const auto& source = letter.source;
  return produce(true, source_partition, source.has_key ? &source.key : nullptr,
                 source.has_value ? &source.value : nullptr, source.timestamp, headers, tag);
}

record_sink::produce_result kafka_record_sink::produce_unwritable(std::int32_t source_partition,
                                                                  const dead_letter& letter, const std::string& refusal,
                                                                  std::uint64_t tag) {
  // Only what locates the record and says why: an empty value, no key, no source headers.
  const auto partition_text = std::to_string(source_partition);
  const auto offset_text = std::to_string(letter.source.offset);
  const std::string code = domain::code_of(letter.reason);
  const auto reason = domain::reason_text(letter.reason, letter.detail);
  const std::vector<header_view> headers = {{&code_header, &code},
                                            {&reason_header, &reason},
                                            {&refusal_header, &refusal},
                                            {&topic_header, &topics_.input},
                                            {&partition_header, &partition_text},
                                            {&offset_header, &offset_text}};
  const std::string empty;
  return produce(true, source_partition, nullptr, &empty, letter.source.timestamp, headers, tag);
}

void kafka_record_sink::poll(std::chrono::milliseconds timeout) {
  producer_->poll(static_cast<int>(timeout.count()));
}

bool kafka_record_sink::flush(std::chrono::milliseconds timeout) {
  return producer_->flush(static_cast<int>(timeout.count())) == RdKafka::ERR_NO_ERROR;
}

record_sink::step_result kafka_record_sink::with_transaction_failure(step_result result) {
  if (result.ok())
    return result;
  std::lock_guard<std::mutex> guard{transaction_failure_mutex_};
  if (!transaction_failure_.empty() && result.message.find(transaction_failure_) == std::string::npos)
    result.message += "; the transaction had failed: " + transaction_failure_;
  if (result.message.find("Topic authorization failed") != std::string::npos)
    result.message += "; the client's principal needs Write on " + topics_.output + " and " + topics_.dlq
                      + " (README.md, section Security)";
  return result;
}

record_sink::step_result kafka_record_sink::begin_transaction() {
  {
    std::lock_guard<std::mutex> guard{transaction_failure_mutex_};
    transaction_failure_.clear();
  }
  return classify(rd_kafka_begin_transaction(producer_->c_ptr()));
}

record_sink::step_result kafka_record_sink::send_offsets(
  const std::vector<std::pair<std::int32_t, std::int64_t>>& offsets, const group_membership& group,
  std::chrono::milliseconds timeout) {
  if (!group.metadata)
    return {step::fatal, "no consumer group membership to send the offsets with"};
  rd_kafka_topic_partition_list_t* partitions = rd_kafka_topic_partition_list_new(static_cast<int>(offsets.size()));
  for (auto [partition, next] : offsets)
    rd_kafka_topic_partition_list_add(partitions, topics_.input.c_str(), partition)->offset = next;
  auto result = with_transaction_failure(classify(
    rd_kafka_send_offsets_to_transaction(producer_->c_ptr(), partitions, kafka_group_metadata::unwrap(group.metadata),
                                         static_cast<int>(timeout.count()))));
  rd_kafka_topic_partition_list_destroy(partitions);
  return result;
}

record_sink::step_result kafka_record_sink::commit_transaction(std::chrono::milliseconds timeout) {
  return with_transaction_failure(
    classify(rd_kafka_commit_transaction(producer_->c_ptr(), static_cast<int>(timeout.count()))));
}

record_sink::step_result kafka_record_sink::abort_transaction(std::chrono::milliseconds timeout) {
  return with_transaction_failure(
    classify(rd_kafka_abort_transaction(producer_->c_ptr(), static_cast<int>(timeout.count()))));
}

void kafka_record_sink::probe_connection() {
  if (reachable_ == nullptr || reachable_->load())
    return;
  // Nothing says "up again" by itself while no record flows: ask for the output topic's
  // metadata, at most once a second.
  const auto now = std::chrono::steady_clock::now();
  if (now - last_probe_ >= std::chrono::seconds(1)) {
    last_probe_ = now;
    RdKafka::Metadata* raw = nullptr;
    if (producer_->metadata(false, output_.get(), &raw, 200) == RdKafka::ERR_NO_ERROR)
      reachable_->store(true);
    delete raw;
  }
}

void kafka_record_sink::event_cb(RdKafka::Event& event) {
  switch (event.type()) {
    case RdKafka::Event::EVENT_ERROR:
      // A lost connection counts too (with one broker, the graceful restart of it says no
      // more than that); the probe marks the sink reachable again within a second of a broker
      // answering.
      if ((event.err() == RdKafka::ERR__ALL_BROKERS_DOWN || event.err() == RdKafka::ERR__TRANSPORT)
          && reachable_ != nullptr)
        reachable_->store(false);
      spdlog::warn("producer: {} ({})", event.str(), RdKafka::err2str(event.err()));
      break;
    case RdKafka::Event::EVENT_LOG:
      if (event.fac() == "TXNERR") {
        std::lock_guard<std::mutex> guard{transaction_failure_mutex_};
        if (transaction_failure_.empty())
          transaction_failure_ = event.str();
      }
      log_rdkafka_line(event.severity(), "producer", event.fac(), event.str());
      break;
    default:
      break;
  }
}

void kafka_record_sink::dr_cb(RdKafka::Message& message) {
  if (message.err() == RdKafka::ERR_NO_ERROR && reachable_ != nullptr)
    reachable_->store(true);
  if (listener_ == nullptr)
    return;
  const auto tag = tag_of(message.msg_opaque());
  const bool dead_letter = is_dead_letter(message.msg_opaque());
  if (message.err() == RdKafka::ERR_NO_ERROR)
    listener_->on_delivered(tag, dead_letter);
  else
    listener_->on_delivery_failed(tag, dead_letter, message.topic_name() + ": " + message.errstr(),
                                  refused_for_its_records(message.err()));
}

} // namespace kstream
