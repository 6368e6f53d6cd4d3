#pragma once

// Control messages between the consumer and the producer: handing partitions over before
// they are revoked, rewinding partitions after an aborted transaction (the names follow
// librdkafka's examples/transactions.c: abort the transaction, rewind the consumer), and the
// partitions this member owns in each consumer group generation, which exactly-once commits
// are checked against.

#include <caf/atom.hpp>
#include <caf/meta/type_name.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace kstream {

using poll_atom = caf::atom_constant<caf::atom("poll")>;
using tick_atom = caf::atom_constant<caf::atom("tick")>;
using stop_atom = caf::atom_constant<caf::atom("stop")>;

/// Consumer -> producer before partitions are revoked or the consumer closes: answer once
/// everything dispatched for them (up to `next_offsets`, exclusive, in `epochs`) is
/// delivered and, under exactly_once, committed in a transaction together with those offsets.
/// Afterwards the producer drops any late work of these partitions and epochs. A hand-over
/// that does not end in a commit aborts the open transaction and rewinds every partition in it.
struct handover_request {
  std::vector<std::int32_t> partitions;
  std::vector<std::uint64_t> epochs;      // per partition: the consumer's epoch of the work
  std::vector<std::int64_t> next_offsets; // per partition; -1: nothing dispatched
  /// The consumer group generation the consumer is in while it hands over (-1: none).
  std::int32_t generation = -1;
  /// The partitions it keeps (a cooperative rebalance): their work stays valid in `generation`.
  std::vector<std::int32_t> retained;
  /// The assignment was lost (session expired, fenced): others may own the partitions
  /// already, so nothing of the open transaction may be committed.
  bool lost = false;
  /// The consumer is closing: the job ends after this hand-over.
  bool closing = false;
};

struct handover_result {
  bool ok = false;
  std::string error;
  std::vector<std::int32_t> partitions;
  std::vector<std::int64_t> next_offsets; // what to commit under at_least_once
};

/// Producer -> consumer after an aborted transaction or a failed delivery: seek these
/// partitions back to their committed offsets and read them again. The producer drops all
/// work of these partitions until the consumer answers with their new epochs.
struct rewind_request {
  std::vector<std::int32_t> partitions;
  std::string reason;
};

/// Consumer -> producer: the rewind is done; work of `partitions[i]` is valid again from
/// `epochs[i]` on (for a partition no longer assigned: whatever a later assignment brings).
struct rewind_done {
  std::vector<std::int32_t> partitions;
  std::vector<std::uint64_t> epochs;
};

/// Consumer -> producer after every assignment: the partitions this member owns in consumer
/// group `generation`. An open transaction whose partitions are all among them stays valid
/// into that generation (a cooperative rebalance that left them here); the group metadata
/// itself is read from the consumer when the offsets are sent (KIP-447 fencing).
struct group_assignment {
  std::int32_t generation = -1;
  std::vector<std::int32_t> partitions;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, handover_request& x) {
  return f(caf::meta::type_name("handover_request"), x.partitions, x.epochs, x.next_offsets, x.generation, x.retained,
           x.lost, x.closing);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, handover_result& x) {
  return f(caf::meta::type_name("handover_result"), x.ok, x.error, x.partitions, x.next_offsets);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, rewind_request& x) {
  return f(caf::meta::type_name("rewind_request"), x.partitions, x.reason);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, rewind_done& x) {
  return f(caf::meta::type_name("rewind_done"), x.partitions, x.epochs);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, group_assignment& x) {
  return f(caf::meta::type_name("group_assignment"), x.generation, x.partitions);
}

} // namespace kstream
