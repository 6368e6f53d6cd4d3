// Calendar dates: leap years, month and year ends, invalid dates.
#include "domain/civil_date.hpp"

#include <catch2/catch.hpp>

using namespace kstream::domain;

TEST_CASE("leap years follow the Gregorian rules", "[domain][date]") {
  CHECK(is_leap_year(2016));
  CHECK(is_leap_year(2000));
  CHECK_FALSE(is_leap_year(2017));
  CHECK_FALSE(is_leap_year(1900));
  CHECK_FALSE(is_leap_year(2100));
  CHECK(days_in_month(2016, 2) == 29);
  CHECK(days_in_month(2017, 2) == 28);
  CHECK(days_in_month(2017, 4) == 30);
  CHECK(days_in_month(2017, 12) == 31);
}

TEST_CASE("valid dates parse, with or without a time of day", "[domain][date]") {
  auto date = parse_civil_date("2017-08-22");
  REQUIRE(date);
  CHECK(date->year == 2017);
  CHECK(date->month == 8u);
  CHECK(date->day == 22u);
  CHECK(parse_civil_date("2016-02-29"));
  CHECK(parse_civil_date("2000-02-29"));
  CHECK(parse_civil_date("2017-12-31"));
  CHECK(parse_civil_date("2017-01-01 00:00:00"));
  CHECK(parse_civil_date("2015-06-30 23:59:59"));
}

TEST_CASE("impossible or malformed dates are rejected", "[domain][date]") {
  for (const char* text : {"2017-02-30",
                           "2017-02-29",
                           "1900-02-29",
                           "2017-13-01",
                           "2017-00-10",
                           "2017-04-31",
                           "2017-01-00",
                           "2017-8-2",
                           "2017-08-2",
                           "17-08-22",
                           "2017/08/22",
                           "20170822",
                           "",
                           "not a date",
                           "2017-08-22T10:00:00",
                           "2017-08-22 25:00:00",
                           "2017-08-22 10:00",
                           "2017-08-22 garbage",
                           "2017-08-22 ",
                           " 2017-08-22",
                           "2017-0a-22",
                           "0000-00-00 00:00:00"}) {
    INFO(text);
    CHECK_FALSE(parse_civil_date(text));
  }
}

TEST_CASE("days since the epoch are exact across month, year and leap-day boundaries", "[domain][date]") {
  auto days = [](const char* text) { return days_since_epoch(*parse_civil_date(text)); };
  CHECK(days("1970-01-01") == 0);
  CHECK(days("1970-01-02") == 1);
  CHECK(days("1969-12-31") == -1);
  CHECK(days("2000-03-01") - days("2000-02-28") == 2);
  CHECK(days("2017-03-01") - days("2017-02-28") == 1);
  CHECK(days("2018-01-01") - days("2017-12-31") == 1);
  CHECK(days("2017-01-01") - days("2016-01-01") == 366);
  CHECK(days("2018-01-01") - days("2017-01-01") == 365);
  CHECK(days("2017-08-22") == 17400);
}
