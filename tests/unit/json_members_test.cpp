// The JSON member reader: selected members, escapes, duplicates, limits, errors.
#include "domain/json_members.hpp"

#include <catch2/catch.hpp>

#include <string>

using namespace kstream::domain;
using type = json_member::type;

TEST_CASE("top-level members are read by name, nested ones are not", "[domain][json]") {
  json_member_reader reader({"a", "b", "c", "d"});
  REQUIRE(reader.read(R"({"x":{"a":"inner","b":1},"a":"outer","list":[{"c":2}],"b":-7,"d":[1]})") == json_root::object);
  CHECK(reader.member(0).kind == type::string);
  CHECK(reader.member(0).text == "outer");
  CHECK(reader.member(1).kind == type::integer);
  CHECK(reader.member(1).integer == -7);
  CHECK(reader.member(2).kind == type::missing); // only inside an array
  CHECK(reader.member(3).kind == type::other);   // an array is neither string nor integer
}

TEST_CASE("a duplicate member: the last occurrence wins, as in Boost.JSON's DOM", "[domain][json]") {
  json_member_reader reader({"a"});
  REQUIRE(reader.read(R"({"a":"first","a":2})") == json_root::object);
  CHECK(reader.member(0).kind == type::integer);
  CHECK(reader.member(0).integer == 2);
  REQUIRE(reader.read(R"({"a":2,"a":null})") == json_root::object);
  CHECK(reader.member(0).kind == type::other);
  REQUIRE(reader.read(R"({"a":{"a":1},"a":"last"})") == json_root::object);
  CHECK(reader.member(0).text == "last");
}

TEST_CASE("escaped names and values are unescaped", "[domain][json]") {
  json_member_reader reader({"srch_ci", "name"});
  REQUIRE(reader.read(R"({"srch\u005fci":"2017-\u00308-22","name":"Z\u00fcrich \"q\" \uD83D\uDE00"})")
          == json_root::object);
  CHECK(reader.member(0).text == "2017-08-22");
  CHECK(reader.member(1).text == "Z\xc3\xbcrich \"q\" \xf0\x9f\x98\x80");
}

TEST_CASE("numbers: int64 range only counts as an integer", "[domain][json]") {
  json_member_reader reader({"n"});
  auto kind_of = [&](const std::string& number) {
    REQUIRE(reader.read("{\"n\":" + number + "}") == json_root::object);
    return reader.member(0).kind;
  };
  CHECK(kind_of("9223372036854775807") == type::integer);
  CHECK(reader.member(0).integer == INT64_MAX);
  CHECK(kind_of("-9223372036854775808") == type::integer);
  CHECK(kind_of("9223372036854775808") == type::other); // uint64 beyond int64
  CHECK(kind_of("1.0") == type::other);
  CHECK(kind_of("1e3") == type::other);
  CHECK(kind_of("true") == type::other);
}

TEST_CASE("roots other than an object, and invalid JSON", "[domain][json]") {
  json_member_reader reader({"a"});
  CHECK(reader.read(R"([{"a":1}])") == json_root::array);
  CHECK(reader.member(0).kind == type::missing);
  CHECK(reader.read(R"("a")") == json_root::string);
  CHECK(reader.read("12") == json_root::number);
  CHECK(reader.read("false") == json_root::boolean);
  CHECK(reader.read(" null ") == json_root::null);
  CHECK(reader.read(R"({"a":1} x)") == json_root::invalid);
  CHECK(reader.error() == "extra data");
  CHECK(reader.member(0).kind == type::missing);
  CHECK(reader.read(R"({"a":"x)") == json_root::invalid);
  CHECK_FALSE(reader.error().empty());
  CHECK(reader.read("") == json_root::invalid);
  // and it recovers for the next value
  REQUIRE(reader.read(R"({"a":"ok"})") == json_root::object);
  CHECK(reader.error().empty());
  CHECK(reader.member(0).text == "ok");
}

TEST_CASE("valid JSON nested deeper than Boost.JSON's default of 32 is read, beyond the job's limit refused",
          "[domain][json]") {
  json_member_reader reader({"srch_ci"});
  auto nested = [](std::size_t depth) { // `depth` levels of containers, the root object included
    return "{\"srch_ci\":\"2017-08-22\",\"deep\":" + std::string(depth - 1, '[') + std::string(depth - 1, ']') + "}";
  };
  REQUIRE(reader.read(nested(33)) == json_root::object);
  CHECK(reader.member(0).text == "2017-08-22");
  REQUIRE(reader.read(nested(json_max_depth)) == json_root::object);
  CHECK_FALSE(reader.too_deep());
  CHECK(reader.member(0).text == "2017-08-22");
  REQUIRE(reader.read(nested(json_max_depth + 1)) == json_root::invalid);
  CHECK(reader.too_deep());
  CHECK(reader.error() == "nested deeper than " + std::to_string(json_max_depth) + " levels");
  CHECK(reader.member(0).kind == type::missing);
  // a hostile value far deeper still is refused, without exhausting the stack
  REQUIRE(reader.read(std::string(500000, '[')) == json_root::invalid);
  CHECK(reader.too_deep());
  REQUIRE(reader.read(R"({"srch_ci":"x"})") == json_root::object);
  CHECK_FALSE(reader.too_deep());
}
