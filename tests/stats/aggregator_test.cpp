// The aggregator and the terminal view at actor level, on CAF's deterministic test coordinator.
#include "actors/aggregator.hpp"
#include "actors/terminal_view.hpp"

#include <caf/test/dsl.hpp>
#include <catch2/catch.hpp>

#include <cstdio>

using namespace kstream;
using domain::stay_category;

namespace {

std::string enriched(std::string_view category, std::optional<std::int64_t> hotel) {
  return R"({"id":1,"hotel_id":)" + (hotel ? std::to_string(*hotel) : std::string{"null"})
         + R"(,"stay_duration":2,"stay_category":")" + std::string{category} + "\"}";
}

kafka_record record_at(std::int64_t offset, std::string value) {
  kafka_record out;
  out.offset = offset;
  out.value = std::move(value);
  return out;
}

struct fixture : test_coordinator_fixture<> {
  stats_board board;
  aggregator_actor agg = sys.spawn(aggregator, &board, aggregator_settings{"expedia_ext", std::nullopt, {}});

  /// Sends a batch as the consumer would (from `self`), runs the actors, returns the ack.
  batch_delivered deliver(consumed_batch batch) {
    self->send(agg, std::move(batch));
    sched.run();
    batch_delivered ack;
    bool got = false;
    self->receive(
      [&](batch_delivered& x) {
        ack = x;
        got = true;
      },
      caf::after(std::chrono::seconds(0)) >> [] {});
    REQUIRE(got);
    return ack;
  }

  ~fixture() override {
    caf::anon_send(agg, stop_atom::value);
    sched.run();
  }
};

} // namespace

TEST_CASE_METHOD(fixture, "the aggregator counts records and distinct hotels and acks each batch at once") {
  consumed_batch batch{1, 7, {}};
  batch.records.push_back(record_at(10, enriched("Short stay", 100)));
  batch.records.push_back(record_at(11, enriched("Short stay", 100)));
  batch.records.push_back(record_at(12, enriched("Short stay", std::nullopt)));
  batch.records.push_back(record_at(13, enriched("Long stay", 100)));
  batch.records.push_back(record_at(14, "not json"));
  auto ack = deliver(std::move(batch));
  CHECK(ack.partition == 1);
  CHECK(ack.epoch == 7);
  CHECK(ack.records == 5);
  CHECK(ack.next_offset == 15);
  auto view = board.latest();
  CHECK(view->table.row(stay_category::short_stay).records == 3);
  CHECK(view->table.row(stay_category::short_stay).distinct_hotels == 1);
  CHECK(view->table.row(stay_category::short_stay).records_without_hotel == 1);
  CHECK(view->table.row(stay_category::long_stay).records == 1);
  CHECK(view->table.row(stay_category::long_stay).distinct_hotels == 1);
  CHECK(view->table.unknown_records == 1);
  CHECK(view->records_read == 5);
  CHECK(view->sequence == 1);
  CHECK(view->next_offsets.at(1) == 15);
}

TEST_CASE_METHOD(fixture, "hotels are distinct across partitions and batches") {
  for (std::int32_t partition = 0; partition < 3; ++partition) {
    consumed_batch batch{partition, 1, {}};
    for (std::int64_t i = 0; i < 10; ++i)
      batch.records.push_back(record_at(i, enriched("Standard stay", i % 4)));
    deliver(std::move(batch));
  }
  auto row = board.latest()->table.row(stay_category::standard_stay);
  CHECK(row.records == 30);
  CHECK(row.distinct_hotels == 4);
}

TEST_CASE_METHOD(fixture, "a partition read again from the start is not counted twice") {
  consumed_batch first{0, 1, {}};
  for (std::int64_t i = 0; i < 5; ++i)
    first.records.push_back(record_at(i, enriched("Short stay", i)));
  deliver(std::move(first));
  // Revoked and assigned again: the consumer reads from offset 0 in a new epoch.
  consumed_batch again{0, 2, {}};
  for (std::int64_t i = 0; i < 8; ++i)
    again.records.push_back(record_at(i, enriched("Short stay", i)));
  auto ack = deliver(std::move(again));
  CHECK(ack.epoch == 2);
  CHECK(ack.records == 8); // every record of the batch is accounted for
  CHECK(ack.next_offset == 8);
  auto view = board.latest();
  CHECK(view->table.row(stay_category::short_stay).records == 8);
  CHECK(view->table.row(stay_category::short_stay).distinct_hotels == 8);
  CHECK(view->duplicates_skipped == 5);
  CHECK(view->records_read == 13);
}

TEST_CASE_METHOD(fixture, "on stop the aggregator checkpoints the table with the positions it covers") {
  consumed_batch batch{1, 1, {}};
  batch.records.push_back(record_at(4, enriched("Short stay", 100)));
  batch.records.push_back(record_at(6, enriched("Short stay", 101))); // 5: a transaction marker
  deliver(std::move(batch));
  CHECK_FALSE(board.latest()->checkpoint); // only every checkpoint interval (0 here: none) and on stop
  caf::anon_send(agg, stop_atom::value);
  sched.run();
  auto saved = board.latest()->checkpoint;
  REQUIRE(saved);
  std::string error;
  auto checkpoint = domain::checkpoint_from_json(*saved, error);
  REQUIRE(checkpoint);
  CHECK(checkpoint->input_topic == "expedia_ext");
  CHECK(checkpoint->positions == std::map<std::int32_t, std::int64_t>{{1, 7}});
  CHECK(checkpoint->table.snapshot().row(stay_category::short_stay).distinct_hotels == 2);
}

TEST_CASE_METHOD(fixture, "a restored aggregator counts on from the checkpoint and skips what it covers") {
  domain::stay_fields_parser parser;
  domain::stay_table table;
  table.add_value(parser, enriched("Short stay", 100));
  table.add_value(parser, enriched("Short stay", 101));
  std::string error;
  auto checkpoint = domain::checkpoint_from_json(domain::checkpoint_json("expedia_ext", {{0, 2}}, table), error);
  REQUIRE(checkpoint);
  stats_board restored_board;
  auto restored = sys.spawn(aggregator, &restored_board, aggregator_settings{"expedia_ext", std::move(checkpoint), {}});
  sched.run();
  CHECK(restored_board.latest()->restored_records == 2);
  CHECK(restored_board.latest()->table.row(stay_category::short_stay).records == 2);
  // The consumer starts at the positions; a rebalance may still deliver older offsets again.
  consumed_batch batch{0, 1, {}};
  batch.records.push_back(record_at(1, enriched("Short stay", 101)));
  batch.records.push_back(record_at(2, enriched("Short stay", 101)));
  batch.records.push_back(record_at(3, enriched("Short stay", 102)));
  self->send(restored, std::move(batch));
  sched.run();
  auto view = restored_board.latest();
  CHECK(view->table.row(stay_category::short_stay).records == 4);
  CHECK(view->table.row(stay_category::short_stay).distinct_hotels == 3);
  CHECK(view->duplicates_skipped == 1);
  CHECK(view->next_offsets.at(0) == 4);
  caf::anon_send(restored, stop_atom::value);
  sched.run();
}

TEST_CASE_METHOD(fixture, "the aggregator outlives the consumer's exit(user_shutdown) and ends on stop") {
  self->send_exit(agg, caf::exit_reason::user_shutdown); // what the consumer sends on revocation
  sched.run();
  consumed_batch batch{2, 1, {}};
  batch.records.push_back(record_at(0, enriched("Erroneous data", 5)));
  deliver(std::move(batch));
  CHECK(board.latest()->table.row(stay_category::erroneous_data).records == 1);
  self->monitor(agg);
  caf::anon_send(agg, stop_atom::value);
  sched.run();
  bool down = false;
  self->receive([&](caf::down_msg&) { down = true; }, caf::after(std::chrono::seconds(0)) >> [] {});
  CHECK(down);
}

TEST_CASE_METHOD(fixture, "the terminal view redraws in place and draws a last time on stop") {
  consumed_batch batch{0, 1, {}};
  batch.records.push_back(record_at(0, enriched("Long stay", 9)));
  deliver(std::move(batch));
  std::FILE* out = std::tmpfile();
  REQUIRE(out != nullptr);
  auto view = sys.spawn(terminal_view, &board,
                        terminal_view_settings{std::chrono::milliseconds(250), [] { return std::string{"status"}; },
                                               out});
  // The first tick draws. No timeouts are triggered here, so the delayed re-arm never fires;
  // further ticks are sent by hand.
  sched.run_once();
  caf::anon_send(view, tick_atom::value);
  sched.run_once(); // unchanged: nothing drawn
  consumed_batch more{0, 1, {}};
  more.records.push_back(record_at(1, enriched("Long stay", 10)));
  deliver(std::move(more));
  caf::anon_send(view, tick_atom::value);
  sched.run_once(); // changed: the second frame
  caf::anon_send(view, stop_atom::value);
  while (sched.try_run_once()) {
  }
  std::rewind(out);
  std::string text;
  char buffer[4096];
  for (std::size_t n; (n = std::fread(buffer, 1, sizeof(buffer), out)) > 0;)
    text.append(buffer, n);
  std::fclose(out);
  // First frame: where the cursor is, never clearing what the terminal showed before.
  CHECK(text.rfind("status\x1b[K\n", 0) == 0);
  CHECK(text.find("\x1b[2J") == std::string::npos);
  // Second frame: back up over the 13 lines of the first (status, blank, 11 table lines).
  auto second = text.find("\r\x1b[13A");
  REQUIRE(second != std::string::npos);
  CHECK(text.find("\r\x1b[", second + 1) == std::string::npos); // the stop drew nothing new
  CHECK(text.substr(0, second).find("|Long stay               |" + std::string(15, ' ') + "1 |") != std::string::npos);
  CHECK(text.substr(second).find("|Long stay               |" + std::string(15, ' ') + "2 |") != std::string::npos);
}
