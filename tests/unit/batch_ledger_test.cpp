// The producer's bookkeeping (core/batch_ledger) without an actor: completion in input
// order, offsets of the open transaction, rewinds and hand-overs making work stale.

#include "core/batch_ledger.hpp"

#include <catch2/catch.hpp>

using namespace kstream;

TEST_CASE("ledger: batches complete in input order, whatever order their acks come in", "[ledger]") {
  batch_ledger ledger;
  auto first = ledger.open(0, 1, 9, 2);
  auto second = ledger.open(0, 1, 19, 1);
  ledger.acknowledge(second, false);
  CHECK(ledger.take_completed().empty()); // the older batch is not done: nothing may count yet
  ledger.acknowledge(first, false);
  CHECK(ledger.take_completed().empty());
  ledger.acknowledge(first, true);
  auto done = ledger.take_completed();
  REQUIRE(done.size() == 2);
  CHECK(done[0].next_offset == 10);
  CHECK(done[0].produced == 1);
  CHECK(done[0].dead_lettered == 1);
  CHECK(done[1].next_offset == 20);
  CHECK(ledger.delivered_next(0) == 20);
  CHECK(ledger.transaction_offsets() == std::map<std::int32_t, std::int64_t>{{0, 20}});
  CHECK(ledger.idle());
  ledger.transaction_committed();
  CHECK(ledger.transaction_offsets().empty());
  CHECK(ledger.delivered_next(0) == 20); // delivered stays known for hand-overs
}

TEST_CASE("ledger: an ack beyond a batch's records or for a forgotten batch changes nothing", "[ledger]") {
  batch_ledger ledger;
  auto id = ledger.open(3, 1, 4, 1);
  ledger.acknowledge(id, false);
  ledger.acknowledge(id, false);
  ledger.acknowledge(12345, false);
  auto done = ledger.take_completed();
  REQUIRE(done.size() == 1);
  CHECK(done[0].produced == 1);
  CHECK(done[0].records == 1);
}

TEST_CASE("ledger: a rewind forgets the partition's work and refuses it until the new epoch", "[ledger][rewind]") {
  batch_ledger ledger;
  auto a = ledger.open(0, 1, 9, 1);
  auto b = ledger.open(1, 1, 9, 1);
  ledger.acknowledge(a, false);
  ledger.acknowledge(b, false);
  ledger.take_completed();
  ledger.open(0, 1, 19, 1);
  CHECK(ledger.partitions_in_transaction() == std::set<std::int32_t>{0, 1});
  ledger.begin_rewind({0});
  CHECK(ledger.rewinding(0));
  CHECK_FALSE(ledger.rewinding(1));
  CHECK(ledger.delivered_next(0) == -1); // a hand-over must not be answered from lost work
  CHECK(ledger.transaction_offsets() == std::map<std::int32_t, std::int64_t>{{1, 10}});
  CHECK(ledger.idle());
  CHECK_FALSE(ledger.accepts(0, 1));
  CHECK_FALSE(ledger.accepts(0, 5)); // not even a newer epoch before the consumer confirmed
  CHECK(ledger.accepts(1, 1));
  ledger.rewound(0, 4);
  CHECK_FALSE(ledger.accepts(0, 3)); // read before the rewind
  CHECK(ledger.accepts(0, 4));
  CHECK_FALSE(ledger.delivered_up_to(0, 3, -1));
  CHECK(ledger.delivered_up_to(0, 4, -1));
  CHECK_FALSE(ledger.delivered_up_to(0, 4, 1));
}

TEST_CASE("ledger: a hand-over refuses the partition's late work of that epoch", "[ledger][handover]") {
  batch_ledger ledger;
  auto id = ledger.open(2, 7, 99, 1);
  ledger.acknowledge(id, false);
  ledger.take_completed();
  CHECK(ledger.delivered_up_to(2, 7, 100));
  CHECK_FALSE(ledger.delivered_up_to(2, 7, 101));
  ledger.hand_over(2, 7);
  CHECK_FALSE(ledger.accepts(2, 7));
  CHECK(ledger.accepts(2, 8)); // a later assignment of the same partition
  CHECK(ledger.delivered_next(2) == -1);
}
