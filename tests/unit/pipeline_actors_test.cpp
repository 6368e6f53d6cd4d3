// Parser and classifier at actor level, under CAF's deterministic scheduler.

#include "actor_fixture.hpp"

#include "actors/classifier.hpp"
#include "actors/parser.hpp"

#include <catch2/catch.hpp>

using namespace kstream;
using namespace kstream::testing;

namespace {

kafka_record record(std::int64_t offset, std::string value, std::string key = "") {
  kafka_record out;
  out.offset = offset;
  out.timestamp = 1000 + offset;
  out.has_key = !key.empty();
  out.key = std::move(key);
  out.value = std::move(value);
  return out;
}

} // namespace

TEST_CASE_METHOD(actor_fixture, "parser: objects become typed records, anything else dead letters",
                 "[actors][parser]") {
  auto sink = std::make_shared<collected<parsed_batch>>();
  auto probe = sys.spawn(collector<classifier_actor, parsed_batch>, sink);
  auto subject = sys.spawn(parser, probe);
  consumed_batch batch{2, 7, {}};
  batch.records.push_back(record(10, R"({"srch_ci":"2017-08-22","srch_co":"2017-08-23","hotel_id":5})", "k"));
  batch.records.push_back(record(11, "not json"));
  batch.records.push_back(record(12, R"({"srch_ci":null})"));
  batch.records.push_back(record(13, "[1]"));
  self->send(subject, std::move(batch));
  sched.run();
  REQUIRE(sink->batches.size() == 1);
  auto& out = sink->batches.front();
  CHECK(out.partition == 2);
  CHECK(out.epoch == 7u);
  CHECK(out.last_offset == 13);
  REQUIRE(out.records.size() == 2);
  CHECK(out.records[0].source.offset == 10);
  CHECK(out.records[0].source.key == "k");
  CHECK(out.records[0].has_check_in);
  CHECK(out.records[0].check_in == "2017-08-22");
  CHECK(out.records[0].check_out == "2017-08-23");
  CHECK(out.records[1].source.offset == 12);
  CHECK_FALSE(out.records[1].has_check_in);
  CHECK_FALSE(out.records[1].has_check_out);
  REQUIRE(out.dead_letters.size() == 2);
  CHECK(out.dead_letters[0].source.offset == 11);
  CHECK(out.dead_letters[0].source.value == "not json");
  CHECK(out.dead_letters[0].reason == domain::dead_letter_reason::not_json);
  CHECK(out.dead_letters[1].reason == domain::dead_letter_reason::not_an_object);
  CHECK(out.dead_letters[1].detail == "an array");
}

TEST_CASE_METHOD(actor_fixture, "classifier: stay days, category and the enriched value", "[actors][classifier]") {
  auto sink = std::make_shared<collected<enriched_batch>>();
  auto probe = sys.spawn(collector<batch_sink_actor, enriched_batch>, sink);
  auto subject = sys.spawn(classifier, probe, unlimited_output, std::shared_ptr<const refused_records>{});
  parsed_batch batch{1, 3, 21, {}, {}};
  auto add = [&](std::int64_t offset, const char* in, const char* out, const std::string& value) {
    parsed_record r;
    r.source = record(offset, value);
    r.has_check_in = in != nullptr;
    r.check_in = in ? in : "";
    r.has_check_out = out != nullptr;
    r.check_out = out ? out : "";
    batch.records.push_back(std::move(r));
  };
  add(15, "2017-08-22", "2017-08-26", R"({"n":1})"); // 4: short
  add(16, "2017-08-22", "2017-08-27", R"({"n":2})"); // 5: standard
  add(17, "2017-08-22", "2017-09-02", R"({"n":3})"); // 11: extended
  add(18, "2017-08-22", "2017-09-06", R"({"n":4})"); // 15: long
  add(19, nullptr, "2017-09-06", R"({"n":5})");      // null: erroneous
  add(20, "2017-08-22", "2017-08-22", R"({"n":6})"); // 0: erroneous
  batch.dead_letters.push_back(dead_letter{record(21, "x"), domain::dead_letter_reason::not_json, "bad"});
  self->send(subject, std::move(batch));
  sched.run();
  REQUIRE(sink->batches.size() == 1);
  auto& out = sink->batches.front();
  CHECK(out.partition == 1);
  CHECK(out.epoch == 3u);
  CHECK(out.last_offset == 21);
  REQUIRE(out.records.size() == 6);
  CHECK(out.records[0].value == R"({"n":1,"stay_duration":4,"stay_category":"Short stay"})");
  CHECK(out.records[1].value == R"({"n":2,"stay_duration":5,"stay_category":"Standard stay"})");
  CHECK(out.records[2].value == R"({"n":3,"stay_duration":11,"stay_category":"Standard extended stay"})");
  CHECK(out.records[3].value == R"({"n":4,"stay_duration":15,"stay_category":"Long stay"})");
  CHECK(out.records[4].value == R"({"n":5,"stay_duration":null,"stay_category":"Erroneous data"})");
  CHECK(out.records[5].value == R"({"n":6,"stay_duration":0,"stay_category":"Erroneous data"})");
  CHECK(out.records[0].offset == 15);
  CHECK(out.records[0].timestamp == 1015);
  REQUIRE(out.dead_letters.size() == 1);
  CHECK(out.dead_letters[0].reason == domain::dead_letter_reason::not_json);
  CHECK(out.dead_letters[0].detail == "bad");
}

TEST_CASE_METHOD(actor_fixture, "classifier: a record the output's broker refused becomes a dead letter, unchanged",
                 "[actors][classifier][refused]") {
  auto sink = std::make_shared<collected<enriched_batch>>();
  auto probe = sys.spawn(collector<batch_sink_actor, enriched_batch>, sink);
  auto refused = std::make_shared<refused_records>();
  refused->suspect(4, 30, 32);
  refused->confirm(4, 31, false, "expedia_ext: Broker: Invalid timestamp");
  auto subject = sys.spawn(classifier, probe, unlimited_output, std::shared_ptr<const refused_records>{refused});
  parsed_batch batch{4, 1, 32, {}, {}};
  for (std::int64_t offset = 30; offset <= 32; ++offset) {
    parsed_record r;
    r.source = record(offset, R"({"n":)" + std::to_string(offset) + "}");
    batch.records.push_back(std::move(r));
  }
  batch.bytes = 777;
  self->send(subject, std::move(batch));
  sched.run();
  REQUIRE(sink->batches.size() == 1);
  auto& out = sink->batches.front();
  CHECK(out.bytes == 777u);
  // Suspects (30, 32) still go to the output: the producer writes them alone to find out.
  REQUIRE(out.records.size() == 2);
  CHECK(out.records[0].offset == 30);
  CHECK(out.records[1].offset == 32);
  REQUIRE(out.dead_letters.size() == 1);
  CHECK(out.dead_letters[0].source.offset == 31);
  CHECK(out.dead_letters[0].source.value == R"({"n":31})");
  CHECK(out.dead_letters[0].reason == domain::dead_letter_reason::refused_by_broker);
  CHECK(out.dead_letters[0].detail == "expedia_ext: Broker: Invalid timestamp");
}

TEST_CASE_METHOD(actor_fixture, "parser: a tombstone is a dead letter with its own code", "[actors][parser]") {
  auto sink = std::make_shared<collected<parsed_batch>>();
  auto probe = sys.spawn(collector<classifier_actor, parsed_batch>, sink);
  auto subject = sys.spawn(parser, probe);
  consumed_batch batch{0, 1, {}};
  batch.records.push_back(record(5, ""));
  batch.records.back().has_value = false;
  batch.records.push_back(record(6, ""));
  self->send(subject, std::move(batch));
  sched.run();
  REQUIRE(sink->batches.size() == 1);
  auto& out = sink->batches.front();
  REQUIRE(out.dead_letters.size() == 2);
  CHECK(out.dead_letters[0].reason == domain::dead_letter_reason::tombstone);
  CHECK_FALSE(out.dead_letters[0].source.has_value);
  CHECK(out.dead_letters[1].reason == domain::dead_letter_reason::not_json); // empty is not null
}

TEST_CASE_METHOD(actor_fixture, "classifier: a record too large for the output once enriched is a dead letter",
                 "[actors][classifier]") {
  auto sink = std::make_shared<collected<enriched_batch>>();
  auto probe = sys.spawn(collector<batch_sink_actor, enriched_batch>, sink);
  // 20 bytes of key, value and headers fit: 20 + the reserve 80 + the framing 100 = the limit.
  const domain::record_size_budget budget{200, 100, 80};
  auto subject = sys.spawn(classifier, probe, budget, std::shared_ptr<const refused_records>{});
  parsed_batch batch{0, 1, 41, {}, {}};
  for (auto [offset, value] : {std::pair{40, R"({"n":"0123456789ab"})"}, std::pair{41, R"({"n":"0123456789abc"})"}}) {
    parsed_record r;
    r.source = record(offset, value);
    batch.records.push_back(std::move(r));
  }
  REQUIRE(batch.records[0].source.value.size() == 20);
  self->send(subject, std::move(batch));
  sched.run();
  REQUIRE(sink->batches.size() == 1);
  auto& out = sink->batches.front();
  REQUIRE(out.records.size() == 1);
  CHECK(out.records[0].offset == 40);
  REQUIRE(out.dead_letters.size() == 1);
  CHECK(out.dead_letters[0].source.offset == 41);
  CHECK(out.dead_letters[0].source.value == R"({"n":"0123456789abc"})"); // unchanged
  CHECK(out.dead_letters[0].reason == domain::dead_letter_reason::too_large);
  CHECK(out.dead_letters[0].detail == "up to 201 bytes, the limit is 200");
}
