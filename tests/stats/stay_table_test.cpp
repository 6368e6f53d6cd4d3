// domain/stay_table: the counting rules of the answer table, without actors or Kafka.
#include "domain/stay_table.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <catch2/catch.hpp>

using namespace kstream::domain;

namespace {

std::string enriched(std::string_view category, std::string_view hotel) {
  return std::string{R"({"id":1,"srch_ci":"2017-08-22","srch_co":"2017-08-23","hotel_id":)"} + std::string{hotel}
         + R"(,"stay_duration":1,"stay_category":")" + std::string{category} + "\"}";
}

} // namespace

TEST_CASE("stay_fields_parser reads stay_category and an integer hotel_id") {
  stay_fields_parser parser;
  auto fields = parser.parse(enriched("Long stay", "2001454759938"));
  REQUIRE(fields.category == stay_category::long_stay);
  REQUIRE(fields.hotel_id == 2001454759938);
}

TEST_CASE("a null, missing or non-integer hotel_id is a record without a hotel") {
  stay_fields_parser parser;
  CHECK_FALSE(parser.parse(enriched("Short stay", "null")).hotel_id);
  CHECK_FALSE(parser.parse(enriched("Short stay", "\"970662608899\"")).hotel_id);
  CHECK_FALSE(parser.parse(enriched("Short stay", "12.5")).hotel_id);
  CHECK_FALSE(parser.parse(R"({"stay_category":"Short stay"})").hotel_id);
  CHECK(parser.parse(R"({"stay_category":"Short stay"})").category == stay_category::short_stay);
}

TEST_CASE("a missing, non-string or unknown stay_category, or a value that is not an object, is unknown") {
  stay_fields_parser parser;
  CHECK_FALSE(parser.parse(R"({"hotel_id":1})").category);
  CHECK_FALSE(parser.parse(R"({"hotel_id":1,"stay_category":null})").category);
  CHECK_FALSE(parser.parse(R"({"hotel_id":1,"stay_category":3})").category);
  CHECK_FALSE(parser.parse(R"({"hotel_id":1,"stay_category":"short stay"})").category);
  CHECK_FALSE(parser.parse("not json").category);
  CHECK_FALSE(parser.parse("[1,2]").category);
  CHECK_FALSE(parser.parse("").category);
}

TEST_CASE("the table counts records and distinct hotels per category exactly") {
  stay_fields_parser parser;
  stay_table table;
  table.add_value(parser, enriched("Short stay", "1"));
  table.add_value(parser, enriched("Short stay", "1"));
  table.add_value(parser, enriched("Short stay", "2"));
  table.add_value(parser, enriched("Short stay", "null"));
  table.add_value(parser, enriched("Standard stay", "1"));
  table.add_value(parser, enriched("Erroneous data", "null"));
  table.add_value(parser, R"({"hotel_id":7,"stay_category":"Bogus"})");
  table.add_value(parser, "garbage");
  auto snap = table.snapshot();
  CHECK(snap.row(stay_category::short_stay) == stay_row{stay_category::short_stay, 4, 2, 1});
  CHECK(snap.row(stay_category::standard_stay) == stay_row{stay_category::standard_stay, 1, 1, 0});
  CHECK(snap.row(stay_category::standard_extended_stay) == stay_row{stay_category::standard_extended_stay, 0, 0, 0});
  CHECK(snap.row(stay_category::long_stay) == stay_row{stay_category::long_stay, 0, 0, 0});
  CHECK(snap.row(stay_category::erroneous_data) == stay_row{stay_category::erroneous_data, 1, 0, 1});
  CHECK(snap.unknown_records == 2);
  CHECK(snap.total_records() == 6);
  CHECK(table.records() == 8);
}

TEST_CASE("an empty snapshot lists every category in order") {
  stay_snapshot snap;
  for (std::size_t i = 0; i < all_stay_categories.size(); ++i) {
    CHECK(snap.rows[i].category == all_stay_categories[i]);
    CHECK(snap.rows[i].records == 0);
  }
}

TEST_CASE("JSON for /stats and the changelog value") {
  stay_fields_parser parser;
  stay_table table;
  table.add_value(parser, enriched("Standard extended stay", "42"));
  table.add_value(parser, "nope");
  auto snap = table.snapshot();
  auto json = to_json(snap);
  REQUIRE(json.at("rows").as_array().size() == 5);
  const auto& row = json.at("rows").as_array()[2].as_object();
  CHECK(row.at("stay_category").as_string() == "Standard extended stay");
  CHECK(row.at("records").to_number<std::uint64_t>() == 1);
  CHECK(row.at("distinct_hotels").to_number<std::uint64_t>() == 1);
  CHECK(json.at("total_records").to_number<std::uint64_t>() == 1);
  CHECK(json.at("unknown_records").to_number<std::uint64_t>() == 1);
  auto value = boost::json::parse(changelog_value(snap.row(stay_category::standard_extended_stay))).as_object();
  CHECK(value.at("stay_category").as_string() == "Standard extended stay");
  CHECK(value.at("records").to_number<std::uint64_t>() == 1);
  CHECK(value.at("distinct_hotels").to_number<std::uint64_t>() == 1);
  CHECK(value.size() == 3);
}

TEST_CASE("the text table shows every category, the total and the unknown tally") {
  stay_fields_parser parser;
  stay_table table;
  for (int i = 0; i < 1951037 % 1000; ++i)
    table.add_value(parser, enriched("Short stay", std::to_string(i % 7)));
  table.add_value(parser, "nope");
  auto text = render_text(table.snapshot());
  CHECK(text.find("|Short stay              |" + std::string(14, ' ') + "37 |" + std::string(15, ' ') + "7 |")
        != std::string::npos);
  CHECK(text.find("|Erroneous data          |" + std::string(15, ' ') + "0 |" + std::string(15, ' ') + "0 |")
        != std::string::npos);
  CHECK(text.find("|all categories          |" + std::string(14, ' ') + "37 |") != std::string::npos);
  CHECK(text.find("unknown (not JSON, or stay_category missing/unknown): 1 records") != std::string::npos);
  CHECK(text.find("STAY_CATEGORY") != std::string::npos);
}

TEST_CASE("a checkpoint restores the table exactly, hotel sets included, and counting goes on from it") {
  stay_fields_parser parser;
  stay_table table;
  table.add_value(parser, enriched("Short stay", "100"));
  table.add_value(parser, enriched("Short stay", "101"));
  table.add_value(parser, enriched("Short stay", "null"));
  table.add_value(parser, enriched("Long stay", "100"));
  table.add_value(parser, "not json");
  std::string error;
  auto text = checkpoint_json("expedia_ext", {{0, 12}, {2, 7}}, table);
  auto restored = checkpoint_from_json(text, error);
  REQUIRE(restored);
  CHECK(error.empty());
  CHECK(restored->input_topic == "expedia_ext");
  CHECK(restored->positions == std::map<std::int32_t, std::int64_t>{{0, 12}, {2, 7}});
  CHECK(restored->table.records() == table.records());
  auto before = table.snapshot();
  auto after = restored->table.snapshot();
  CHECK(after.rows == before.rows);
  CHECK(after.unknown_records == 1);
  // Counting on: a hotel already in the set is not counted again, a new one is.
  for (auto* t : {&table, &restored->table}) {
    t->add_value(parser, enriched("Short stay", "101"));
    t->add_value(parser, enriched("Short stay", "102"));
  }
  CHECK(restored->table.snapshot().rows == table.snapshot().rows);
  CHECK(restored->table.snapshot().row(stay_category::short_stay).distinct_hotels == 3);
}

TEST_CASE("a checkpoint that is not one is refused with the reason") {
  std::string error;
  CHECK_FALSE(checkpoint_from_json("nope", error));
  CHECK(error == "not a JSON object");
  CHECK_FALSE(checkpoint_from_json(R"({"format":2,"input_topic":"t","positions":{},"table":{}})", error));
  CHECK(error.find("unknown format") == 0);
  CHECK_FALSE(checkpoint_from_json(R"({"format":1,"input_topic":"t","positions":{"x":1},"table":{}})", error));
  CHECK_FALSE(checkpoint_from_json(R"({"format":1,"input_topic":"t","positions":{"0":-5},"table":{}})", error));
  CHECK_FALSE(
    checkpoint_from_json(R"({"format":1,"input_topic":"t","positions":{},"table":{"categories":[],"unknown":0}})",
                         error));
  CHECK(error.find("categories") != std::string::npos);
  // More distinct hotels than records with a hotel: not a table this program saved.
  stay_table table;
  auto saved = boost::json::parse(checkpoint_json("t", {}, table)).as_object();
  saved["table"].as_object()["categories"].as_array()[0].as_object()["hotels"] = boost::json::array{1, 2};
  CHECK_FALSE(checkpoint_from_json(boost::json::serialize(saved), error));
  CHECK(error.find("inconsistent") != std::string::npos);
}
