#pragma once

// The typed messages that flow down the pipeline, consumer -> parser -> classifier -> producer,
// one batch per partition at a time. A batch carries the partition and the consumer's epoch
// (bumped on every rewind and revocation) so that stale work can be recognised and dropped.

#include "domain/dead_letter_reason.hpp"

#include <caf/meta/type_name.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace kstream {

/// A Kafka record header; a header value may be null, as a key may.
struct record_header {
  std::string name;
  bool has_value = false;
  std::string value;
};

/// A record as read from Kafka; key, value and header bytes are owned copies.
struct kafka_record {
  std::int64_t offset = -1;
  std::int64_t timestamp = -1; // milliseconds since the epoch; -1 when the broker gave none
  bool has_key = false;        // a null key and an empty key are different things in Kafka
  std::string key;
  bool has_value = true; // false: a tombstone (null value), which is not an empty value
  std::string value;
  std::vector<record_header> headers; // in the order the record had them
};

/// The bytes of a record that count against Kafka's message size limits: key, value and
/// header names and values (the record's framing comes on top).
inline std::size_t payload_bytes(const std::string& key, const std::string& value,
                                 const std::vector<record_header>& headers) {
  auto total = key.size() + value.size();
  for (const auto& header : headers)
    total += header.name.size() + header.value.size();
  return total;
}

/// What a record read from Kafka holds in memory while in flight: its bytes, the room kept
/// for the enrichment, and a fixed allowance for the record's structure and allocations. The
/// consumer's byte credit (job.max-in-flight-bytes) counts this.
inline constexpr std::size_t record_memory_overhead = 160;

/// Consumer -> first stage of a partition's pipeline. `bytes` is the batch's share of the
/// consumer's byte credit; it travels with the batch and comes back in its ack.
struct consumed_batch {
  std::int32_t partition = -1;
  std::uint64_t epoch = 0;
  std::vector<kafka_record> records;
  std::uint64_t bytes = 0;
};

/// A value that parsed as a JSON object; the dates as the record had them.
struct parsed_record {
  kafka_record source;
  bool has_check_in = false; // srch_ci present and a JSON string
  std::string check_in;
  bool has_check_out = false;
  std::string check_out;
};

/// A record that cannot be processed; it goes to the dead-letter topic unchanged, with the
/// reason's code and its prose (the description and the detail) in headers.
struct dead_letter {
  kafka_record source;
  domain::dead_letter_reason reason = domain::dead_letter_reason::not_json;
  std::string detail; // what the description leaves out: the parser's error, sizes, the broker's words
};

/// Parser -> classifier. `last_offset` is the highest source offset of the batch, dead
/// letters included, so that offsets can be committed per batch.
struct parsed_batch {
  std::int32_t partition = -1;
  std::uint64_t epoch = 0;
  std::int64_t last_offset = -1;
  std::vector<parsed_record> records;
  std::vector<dead_letter> dead_letters;
  std::uint64_t bytes = 0; // the consumed batch's byte credit, passed on
};

/// A record ready for the output topic.
struct output_record {
  std::int64_t offset = -1; // source offset
  std::int64_t timestamp = -1;
  bool has_key = false;
  std::string key;
  std::string value;                  // the enriched JSON
  std::vector<record_header> headers; // the source record's, carried over
};

/// Classifier -> producer.
struct enriched_batch {
  std::int32_t partition = -1;
  std::uint64_t epoch = 0;
  std::int64_t last_offset = -1;
  std::vector<output_record> records;
  std::vector<dead_letter> dead_letters;
  std::uint64_t bytes = 0; // the consumed batch's byte credit, passed on
};

/// Producer -> consumer, once every record of a batch (output and dead letters) is
/// acknowledged by Kafka: gives `records` and `bytes` of credit back to the partition;
/// `next_offset` is the offset to commit for it under at_least_once.
struct batch_delivered {
  std::int32_t partition = -1;
  std::uint64_t epoch = 0;
  std::uint64_t records = 0;
  std::int64_t next_offset = -1;
  std::uint64_t bytes = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, record_header& x) {
  return f(caf::meta::type_name("record_header"), x.name, x.has_value, x.value);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, kafka_record& x) {
  return f(caf::meta::type_name("kafka_record"), x.offset, x.timestamp, x.has_key, x.key, x.has_value, x.value,
           x.headers);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, consumed_batch& x) {
  return f(caf::meta::type_name("consumed_batch"), x.partition, x.epoch, x.records, x.bytes);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, parsed_record& x) {
  return f(caf::meta::type_name("parsed_record"), x.source, x.has_check_in, x.check_in, x.has_check_out, x.check_out);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, dead_letter& x) {
  return f(caf::meta::type_name("dead_letter"), x.source, x.reason, x.detail);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, parsed_batch& x) {
  return f(caf::meta::type_name("parsed_batch"), x.partition, x.epoch, x.last_offset, x.records, x.dead_letters,
           x.bytes);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, output_record& x) {
  return f(caf::meta::type_name("output_record"), x.offset, x.timestamp, x.has_key, x.key, x.value, x.headers);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, enriched_batch& x) {
  return f(caf::meta::type_name("enriched_batch"), x.partition, x.epoch, x.last_offset, x.records, x.dead_letters,
           x.bytes);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, batch_delivered& x) {
  return f(caf::meta::type_name("batch_delivered"), x.partition, x.epoch, x.records, x.next_offset, x.bytes);
}

} // namespace kstream
