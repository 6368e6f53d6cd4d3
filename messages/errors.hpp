#pragma once

// The job's own errors: one enum for every failure the two binaries report themselves
// (CAF's and librdkafka's own errors keep their categories). Each error carries a message
// that names the input and the fix; describe_error() returns it.

#include <caf/atom.hpp>
#include <caf/error.hpp>
#include <caf/make_message.hpp>

#include <cstdint>
#include <string>

namespace kstream {

enum class job_error : std::uint8_t {
  invalid_option = 1, // a configuration value: exit code 2, nothing connected yet
  kafka_setup,        // a Kafka client, topic or the broker at start-up
  fatal_kafka_error,  // librdkafka says the client cannot go on (fenced, fatal idempotence error)
  transaction_failed, // a transaction step failed beyond its retries
  rewind_failed,      // the consumer could not reposition a partition: records would be skipped
  record_unwritable,  // a record that neither the output nor the dead-letter topic takes
  repeated_failure,   // the same failure again and again: retrying would run forever
  internal,           // a broken invariant of the job itself
};

/// The CAF error category of job_error (at most 10 characters, as all atoms).
inline constexpr caf::atom_value job_error_category = caf::atom("kstream");

const char* to_string(job_error code) noexcept;

/// Whether `error` is the job's own error `code`.
inline bool is_job_error(const caf::error& error, job_error code) {
  return error.category() == job_error_category && error.code() == static_cast<std::uint8_t>(code);
}

/// The human-readable text of an error: the message of the job's own errors (and of CAF
/// errors made with a message), CAF's rendering otherwise.
std::string describe_error(const caf::error& error);

inline caf::error make_error(job_error code, std::string message) {
  return caf::error{static_cast<std::uint8_t>(code), job_error_category, caf::make_message(std::move(message))};
}

} // namespace kstream
