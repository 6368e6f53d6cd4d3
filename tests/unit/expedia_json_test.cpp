// The Expedia JSON mapping: fields read, values kept byte for byte, the enriched value.
#include "domain/expedia_json.hpp"

#include <catch2/catch.hpp>

#include <set>

using namespace kstream::domain;

namespace {

expedia_fields fields_of(std::string_view json) {
  static expedia_value_parser parser;
  auto result = parser.parse(json);
  REQUIRE(std::holds_alternative<expedia_fields>(result));
  return std::get<expedia_fields>(result);
}

value_error error_of(std::string_view json) {
  expedia_value_parser parser;
  auto result = parser.parse(json);
  REQUIRE(std::holds_alternative<value_error>(result));
  return std::get<value_error>(result);
}

dead_letter_reason reason_of(std::string_view json) {
  return error_of(json).reason;
}

} // namespace

TEST_CASE("the fields the job reads", "[domain][json]") {
  auto fields = fields_of(
    R"({"id":4,"srch_ci":"2017-08-22","srch_co":"2017-08-23","hotel_id":970662608899,"orig_destination_distance":66.7913})");
  CHECK(fields.check_in == "2017-08-22");
  CHECK(fields.check_out == "2017-08-23");
  CHECK(fields.hotel_id == 970662608899);
}

TEST_CASE("null, missing and non-string dates read as absent", "[domain][json]") {
  auto fields = fields_of(R"({"srch_ci":null,"srch_co":20170823,"hotel_id":null})");
  CHECK_FALSE(fields.check_in);
  CHECK_FALSE(fields.check_out);
  CHECK_FALSE(fields.hotel_id);
  auto empty = fields_of("{}");
  CHECK_FALSE(empty.check_in);
  CHECK_FALSE(empty.hotel_id);
  CHECK(fields_of(R"({"srch_ci":""})").check_in == "");
}

TEST_CASE("values that are not JSON objects are refused with a reason", "[domain][json]") {
  CHECK(reason_of("not json") == dead_letter_reason::not_json);
  CHECK(reason_of("") == dead_letter_reason::not_json);
  CHECK(reason_of(R"({"a":1)") == dead_letter_reason::not_json);
  CHECK(reason_of(R"({"a":1} trailing)") == dead_letter_reason::not_json);
  CHECK_FALSE(error_of("not json").detail.empty()); // the parser's words
  CHECK(reason_of("[1,2]") == dead_letter_reason::not_an_object);
  CHECK(reason_of("\"text\"") == dead_letter_reason::not_an_object);
  CHECK(reason_of("42") == dead_letter_reason::not_an_object);
  CHECK(reason_of("null") == dead_letter_reason::not_an_object);
  CHECK(error_of("[1,2]").detail == "an array");
  CHECK(error_of("null").detail == "null");
}

TEST_CASE("enrichment keeps every original byte and appends two fields", "[domain][json]") {
  const std::string original =
    R"({"id":4,"date_time":"0000-00-00 00:00:00","posa_container":null,"orig_destination_distance":66.7913,)"
    R"("x":1.0E2,"big":9007199254740993,"name":"Z\u00fcrich \"quoted\" \u2603","nested":{"a":[1,2]},)"
    R"("srch_ci":"2017-08-22","srch_co":"2017-08-23","hotel_id":970662608899})";
  auto out = enrich_value(original, 1, stay_category::short_stay);
  CHECK(out == original.substr(0, original.size() - 1) + R"(,"stay_duration":1,"stay_category":"Short stay"})");
}

TEST_CASE("enrichment of edge shapes", "[domain][json]") {
  CHECK(enrich_value("{}", std::nullopt, stay_category::erroneous_data)
        == R"({"stay_duration":null,"stay_category":"Erroneous data"})");
  CHECK(enrich_value("{ }\n", std::nullopt, stay_category::erroneous_data)
        == R"({ "stay_duration":null,"stay_category":"Erroneous data"})");
  CHECK(enrich_value("{\"a\":1}  \r\n", -3, stay_category::erroneous_data)
        == R"({"a":1,"stay_duration":-3,"stay_category":"Erroneous data"})");
  CHECK(enrich_value(R"({"a":{}})", 15, stay_category::long_stay)
        == R"({"a":{},"stay_duration":15,"stay_category":"Long stay"})");
}

TEST_CASE("the parser can be reused for values larger than its arena", "[domain][json]") {
  std::string big = R"({"srch_ci":"2017-01-01","srch_co":"2017-01-05","pad":")" + std::string(200000, 'x') + "\"}";
  expedia_value_parser parser;
  for (int i = 0; i < 3; ++i) {
    auto result = parser.parse(big);
    REQUIRE(std::holds_alternative<expedia_fields>(result));
    CHECK(std::get<expedia_fields>(result).check_out == "2017-01-05");
    CHECK(std::holds_alternative<value_error>(parser.parse("[")));
  }
}

TEST_CASE("what Kafka Connect's JsonConverter writes parses and is kept verbatim", "[domain][json]") {
  // Jackson escapes characters outside the BMP as surrogate pairs and writes doubles in Java's
  // exponent form; both must parse, and both must reach the output byte for byte.
  const std::string original =
    R"({"emoji":"\uD83D\uDE00","d":1.0E-5,"big":-9223372036854775808,"srch_ci":"2017-08-22","srch_co":"2017-08-23"})";
  auto fields = fields_of(original);
  CHECK(fields.check_in == "2017-08-22");
  CHECK(enrich_value(original, 1, stay_category::short_stay)
        == original.substr(0, original.size() - 1) + R"(,"stay_duration":1,"stay_category":"Short stay"})");
}

TEST_CASE("enrichment in place equals the copying form and fits the reserved headroom", "[domain][json]") {
  const std::string original = R"({"id":1,"srch_ci":"2017-08-22"}  )";
  for (auto category : all_stay_categories) {
    std::string value;
    value.reserve(original.size() + enrichment_reserve);
    value = original;
    const auto capacity = value.capacity();
    enrich_in_place(value, INT64_MIN, category); // the longest day count there is
    CHECK(value == enrich_value(original, INT64_MIN, category));
    CHECK(value.capacity() == capacity); // no reallocation
  }
}

TEST_CASE("a value nested deeper than the job's limit is refused with that reason", "[domain][json]") {
  auto objects = [](std::size_t depth) { // {"a":{"a":{...{}...}}}: `depth` objects
    std::string out;
    for (std::size_t i = 1; i < depth; ++i)
      out += "{\"a\":";
    return out + "{}" + std::string(depth - 1, '}');
  };
  CHECK(std::holds_alternative<expedia_fields>(expedia_value_parser{}.parse(objects(json_max_depth))));
  CHECK(reason_of(objects(json_max_depth + 1)) == dead_letter_reason::too_deep);
  CHECK(error_of(objects(json_max_depth + 1)).detail == std::to_string(json_max_depth) + " levels");
}

TEST_CASE("every dead-letter reason has its own stable code and a description", "[domain][dlq]") {
  std::set<std::string> codes;
  for (auto reason : all_dead_letter_reasons) {
    const std::string code = code_of(reason);
    CHECK(codes.insert(code).second);
    CHECK(code.find_first_not_of("abcdefghijklmnopqrstuvwxyz_") == std::string::npos);
    CHECK(dead_letter_reason_of(code) == reason);
    CHECK(std::string{describe(reason)}.size() > 10);
  }
  CHECK(codes.size() == 7);
  // The codes are an interface (DLQ consumers filter on them): these never change.
  CHECK(codes
        == std::set<std::string>{"tombstone", "not_json", "too_deep", "not_an_object", "too_large", "refused_by_broker",
                                 "output_refused"});
  CHECK_FALSE(dead_letter_reason_of("value is not valid JSON"));
  CHECK(reason_text(dead_letter_reason::not_json, "") == "the value is not valid JSON");
  CHECK(reason_text(dead_letter_reason::not_an_object, "an array")
        == "the value is valid JSON but not an object: an array");
}
