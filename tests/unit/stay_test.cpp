// Stay days and every category boundary.
#include "domain/stay.hpp"

#include <catch2/catch.hpp>

using namespace kstream::domain;

TEST_CASE("every category boundary", "[domain][stay]") {
  CHECK(classify_stay(std::nullopt) == stay_category::erroneous_data);
  CHECK(classify_stay(-30) == stay_category::erroneous_data);
  CHECK(classify_stay(-1) == stay_category::erroneous_data);
  CHECK(classify_stay(0) == stay_category::erroneous_data);
  CHECK(classify_stay(1) == stay_category::short_stay);
  CHECK(classify_stay(4) == stay_category::short_stay);
  CHECK(classify_stay(5) == stay_category::standard_stay);
  CHECK(classify_stay(10) == stay_category::standard_stay);
  CHECK(classify_stay(11) == stay_category::standard_extended_stay);
  CHECK(classify_stay(14) == stay_category::standard_extended_stay);
  CHECK(classify_stay(15) == stay_category::long_stay);
  CHECK(classify_stay(400) == stay_category::long_stay);
}

TEST_CASE("category names are the published ones and round-trip", "[domain][stay]") {
  CHECK(to_string(stay_category::short_stay) == "Short stay");
  CHECK(to_string(stay_category::standard_stay) == "Standard stay");
  CHECK(to_string(stay_category::standard_extended_stay) == "Standard extended stay");
  CHECK(to_string(stay_category::long_stay) == "Long stay");
  CHECK(to_string(stay_category::erroneous_data) == "Erroneous data");
  for (auto category : all_stay_categories)
    CHECK(parse_stay_category(to_string(category)) == category);
  CHECK_FALSE(parse_stay_category("short stay"));
}

TEST_CASE("stay days from check-in to check-out", "[domain][stay]") {
  CHECK(stay_days("2017-08-22", "2017-08-23") == 1);
  CHECK(stay_days("2017-08-22", "2017-08-22") == 0);
  CHECK(stay_days("2017-08-23", "2017-08-22") == -1);
  CHECK(stay_days("2016-02-28", "2016-03-01") == 2); // leap year
  CHECK(stay_days("2017-02-28", "2017-03-01") == 1);
  CHECK(stay_days("2017-12-30", "2018-01-03") == 4); // year end
  CHECK(stay_days("2017-01-31", "2017-02-01") == 1); // month end
  CHECK(stay_days("2017-08-22 00:00:00", "2017-08-27") == 5);
  CHECK_FALSE(stay_days(std::nullopt, "2017-08-22"));
  CHECK_FALSE(stay_days("2017-08-22", std::nullopt));
  CHECK_FALSE(stay_days("", "2017-08-22"));
  CHECK_FALSE(stay_days("2017-02-30", "2017-03-02"));
  CHECK_FALSE(stay_days("2017-8-2", "2017-8-5"));
}
