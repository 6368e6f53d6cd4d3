// The names of the job's own errors (messages/errors.hpp).
#include "messages/errors.hpp"

namespace kstream {

const char* to_string(job_error code) noexcept {
  switch (code) {
    case job_error::invalid_option:
      return "invalid_option";
    case job_error::kafka_setup:
      return "kafka_setup";
    case job_error::fatal_kafka_error:
      return "fatal_kafka_error";
    case job_error::transaction_failed:
      return "transaction_failed";
    case job_error::rewind_failed:
      return "rewind_failed";
    case job_error::record_unwritable:
      return "record_unwritable";
    case job_error::repeated_failure:
      return "repeated_failure";
    case job_error::internal:
      return "internal";
  }
  return "unknown";
}

std::string describe_error(const caf::error& error) {
  if (error.context().match_elements<std::string>())
    return error.context().get_as<std::string>(0);
  return caf::to_string(error);
}

} // namespace kstream
