// The byte budget of an exactly_once transaction (core/transaction_budget) without an actor:
// when a transaction is full, and how each commit's measured delivery rate sets the next limit.
// The producer's tests (producer_actor_test.cpp) check the same through the actor.

#include "core/transaction_budget.hpp"

#include <catch2/catch.hpp>

using namespace kstream;
using namespace std::chrono_literals;

namespace {

const transaction_budget::clock::time_point start{};

} // namespace

TEST_CASE("transaction budget: the windows are a fifth and a half of the timeout, never zero", "[budget]") {
  CHECK(transaction_budget::fill_window(10000ms) == 2000ms);
  CHECK(transaction_budget::flush_deadline(10000ms) == 5000ms);
  CHECK(transaction_budget::fill_window(0ms) == 1ms);
  CHECK(transaction_budget::flush_deadline(1ms) == 1ms);
  CHECK(transaction_budget{0}.limit() == 1);
}

TEST_CASE("transaction budget: a transaction is full by size or by age until the next begins", "[budget]") {
  transaction_budget budget{1000};
  CHECK(budget.has_room_for(false, 5000, start, 2000ms)); // no transaction open: anything goes
  budget.begin(start);
  CHECK(budget.has_room_for(true, 5000, start, 2000ms)); // the first batch, however large
  budget.wrote(600);
  CHECK(budget.has_room_for(true, 400, start + 1s, 2000ms));
  budget.wrote(400);
  CHECK_FALSE(budget.has_room_for(true, 1, start + 1s, 2000ms));
  CHECK(budget.full());
  CHECK_FALSE(budget.has_room_for(true, 0, start, 2000ms)); // full stays full
  budget.begin(start + 3s);
  CHECK_FALSE(budget.full());
  CHECK(budget.written() == 0);
  budget.wrote(10);
  CHECK(budget.has_room_for(true, 10, start + 4999ms, 2000ms));
  CHECK_FALSE(budget.has_room_for(true, 10, start + 5s, 2000ms)); // the fill window has passed
}

TEST_CASE("transaction budget: the limit follows the delivery rate, at most doubling", "[budget]") {
  transaction_budget budget{500};
  // 1000 bytes in a second fill a 2 s window twice over; the limit only doubles.
  CHECK(budget.adapt(1000, 1s, true, 2000ms) == 500);
  CHECK(budget.limit() == 1000);
  CHECK(budget.adapt(1000, 1s, true, 2000ms) == 1000);
  CHECK(budget.limit() == 2000);
  // A slower output: the limit comes down to what it delivers in the window.
  budget.adapt(500, 1s, true, 2000ms);
  CHECK(budget.limit() == 1000);
  // A flush too short to measure a rate leaves a transaction that was not full as it was.
  budget.adapt(1000, 10ms, true, 2000ms);
  CHECK(budget.limit() == 1000);
}

TEST_CASE("transaction budget: a full transaction delivered at once doubles the limit", "[budget]") {
  transaction_budget budget{100};
  budget.begin(start);
  budget.wrote(100);
  CHECK_FALSE(budget.has_room_for(true, 1, start, 2000ms));
  budget.adapt(0, 5ms, true, 2000ms);
  CHECK(budget.limit() == 200);
}

TEST_CASE("transaction budget: a missed deadline at least halves the limit, down to one batch", "[budget]") {
  transaction_budget budget{1000};
  budget.adapt(2000, 1s, false, 2000ms); // the rate would allow 4000: halved all the same
  CHECK(budget.limit() == 500);
  budget.adapt(100, 1s, false, 2000ms); // the rate allows less than half: the rate
  CHECK(budget.limit() == 200);
  budget.adapt(0, 1s, false, 2000ms); // nothing acknowledged: one batch
  CHECK(budget.limit() == 1);
  budget.adapt(0, 1s, false, 2000ms);
  CHECK(budget.limit() == 1);
}
