#pragma once

// Control messages between the consumer and the producer: draining partitions before they
// are given up, rewinding after an aborted transaction, and the consumer group metadata that
// exactly-once commits need.

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>
#include <caf/meta/type_name.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace RdKafka {
class ConsumerGroupMetadata;
}

namespace kstream {

using poll_atom = caf::atom_constant<caf::atom("poll")>;
using tick_atom = caf::atom_constant<caf::atom("tick")>;
using stop_atom = caf::atom_constant<caf::atom("stop")>;

/// Consumer -> producer before partitions are revoked or the consumer closes: answer once
/// everything dispatched for them (up to `next_offsets`, exclusive) is delivered and, under
/// exactly_once, committed in a transaction together with those offsets.
struct drain_request {
  std::vector<std::int32_t> partitions;
  std::vector<std::int64_t> next_offsets; // per partition; -1: nothing dispatched
};

struct drain_result {
  bool ok = false;
  std::string error;
  std::vector<std::int32_t> partitions;
  std::vector<std::int64_t> next_offsets; // what to commit under at_least_once
};

/// Producer -> consumer after a failed transaction or delivery: everything of an epoch below
/// `first_valid_epoch` is dropped; seek back to the committed offsets and read again.
struct rewind_request {
  std::uint64_t first_valid_epoch = 0;
  std::string reason;
};

/// Consumer -> producer after every assignment: the group generation that transactional
/// offset commits are fenced with (KIP-447).
struct group_metadata {
  std::shared_ptr<RdKafka::ConsumerGroupMetadata> metadata;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, drain_request& x) {
  return f(caf::meta::type_name("drain_request"), x.partitions, x.next_offsets);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, drain_result& x) {
  return f(caf::meta::type_name("drain_result"), x.ok, x.error, x.partitions, x.next_offsets);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, rewind_request& x) {
  return f(caf::meta::type_name("rewind_request"), x.first_valid_epoch, x.reason);
}

} // namespace kstream

// Group metadata is an opaque librdkafka handle that never leaves the process.
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(kstream::group_metadata)
