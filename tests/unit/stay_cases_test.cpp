// The job and the generator against the shared table of date cases (tests/lib/stay_cases.json),
// which the Python oracle is checked against too (tests/lib/test_stay_rules.py): the three
// implementations of the stay rules agree, year 0000 included.
#include "domain/stay.hpp"
#include "tools/datagen/dates.hpp"

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include <fstream>
#include <optional>
#include <sstream>
#include <string>

using namespace kstream::domain;

namespace {

boost::json::array shared_cases() {
  std::ifstream in(KSTREAM_SOURCE_DIR "/tests/lib/stay_cases.json");
  REQUIRE(in);
  std::stringstream text;
  text << in.rdbuf();
  return boost::json::parse(text.str()).as_object().at("cases").as_array();
}

std::optional<std::string> text_of(const boost::json::value& v) {
  if (v.is_null())
    return std::nullopt;
  return std::string(v.as_string());
}

} // namespace

TEST_CASE("the job and the generator give every shared date case its stay", "[domain][date]") {
  auto cases = shared_cases();
  REQUIRE(cases.size() >= 30);
  for (const auto& entry : cases) {
    const auto& row = entry.as_array();
    const auto check_in = text_of(row.at(0));
    const auto check_out = text_of(row.at(1));
    const std::optional<std::int64_t> expected = row.at(2).is_null()
                                                   ? std::nullopt
                                                   : std::optional<std::int64_t>{row.at(2).as_int64()};
    INFO("check-in " << check_in.value_or("null") << ", check-out " << check_out.value_or("null"));
    CHECK(stay_days(check_in, check_out) == expected);
    const auto job_category = classify_stay(stay_days(check_in, check_out));
    CHECK(std::string(to_string(job_category)) == datagen::category_name(datagen::classify(check_in, check_out)));
  }
}

TEST_CASE("year 0000 is not a date, year 0001 is", "[domain][date]") {
  CHECK_FALSE(stay_days("0000-01-01", "0000-01-05"));
  CHECK(classify_stay(stay_days("0000-12-31", "0001-01-02")) == stay_category::erroneous_data);
  CHECK(stay_days("0001-01-01", "0001-01-05") == 4);
  CHECK_FALSE(datagen::parse_date("0000-01-01"));
  CHECK(datagen::parse_date("0001-01-01"));
}
