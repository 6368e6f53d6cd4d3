#pragma once

// The one place librdkafka's consumer group metadata goes into and comes out of the project's
// opaque handle (core/ports/group_membership.hpp): the record source wraps what the consumer
// reports, the record sink unwraps it to send a transaction's offsets (KIP-447 fencing).

#include "core/ports/group_membership.hpp"

#include <librdkafka/rdkafka.h>

#include <memory>

namespace kstream {

struct kafka_group_metadata {
  /// Takes ownership of `metadata` (destroyed with the last copy of the handle); null: empty.
  static group_metadata wrap(rd_kafka_consumer_group_metadata_t* metadata) {
    if (metadata == nullptr)
      return {};
    return group_metadata{std::shared_ptr<void>(metadata, [](void* raw) {
      rd_kafka_consumer_group_metadata_destroy(static_cast<rd_kafka_consumer_group_metadata_t*>(raw));
    })};
  }
  /// What wrap() was given (null for an empty handle); the handle keeps owning it.
  static rd_kafka_consumer_group_metadata_t* unwrap(const group_metadata& handle) {
    return static_cast<rd_kafka_consumer_group_metadata_t*>(handle.handle_.get());
  }
};

} // namespace kstream
