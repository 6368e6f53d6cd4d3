// Calendar dates without a time zone (domain/civil_date.hpp).
#include "domain/civil_date.hpp"

namespace kstream::domain {

namespace {

bool is_digit(char c) noexcept {
  return c >= '0' && c <= '9';
}

// Reads exactly `count` digits at `pos`; false if any of them is not a digit.
bool read_digits(std::string_view text, std::size_t pos, std::size_t count, unsigned& out) noexcept {
  out = 0;
  for (std::size_t i = pos; i < pos + count; ++i) {
    if (!is_digit(text[i]))
      return false;
    out = out * 10 + static_cast<unsigned>(text[i] - '0');
  }
  return true;
}

// " HH:MM:SS" with a plausible clock time; the time itself does not change the day count.
bool is_time_suffix(std::string_view suffix) noexcept {
  unsigned hours = 0, minutes = 0, seconds = 0;
  return suffix.size() == 9 && suffix[0] == ' ' && suffix[3] == ':' && suffix[6] == ':'
         && read_digits(suffix, 1, 2, hours) && read_digits(suffix, 4, 2, minutes) && read_digits(suffix, 7, 2, seconds)
         && hours < 24 && minutes < 60 && seconds < 61;
}

} // namespace

bool is_leap_year(int year) noexcept {
  return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

unsigned days_in_month(int year, unsigned month) noexcept {
  static constexpr unsigned lengths[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month < 1 || month > 12)
    return 0;
  return month == 2 && is_leap_year(year) ? 29 : lengths[month - 1];
}

std::optional<civil_date> parse_civil_date(std::string_view text) noexcept {
  if (text.size() < 10 || text[4] != '-' || text[7] != '-')
    return std::nullopt;
  if (text.size() > 10 && !is_time_suffix(text.substr(10)))
    return std::nullopt;
  unsigned year = 0, month = 0, day = 0;
  if (!read_digits(text, 0, 4, year) || !read_digits(text, 5, 2, month) || !read_digits(text, 8, 2, day))
    return std::nullopt;
  // Year 0000 is decided once for the job, the Python oracle (tests/lib/stay_rules.py) and the
  // generator: not a real date. ISO 8601 allows it only "by mutual agreement", Python's
  // datetime and most tools start at year 1, and in data like Expedia's it is a placeholder
  // for "unknown" (0000-00-00 00:00:00), so a stay from it is Erroneous data.
  if (year == 0)
    return std::nullopt;
  const auto y = static_cast<int>(year);
  if (month < 1 || month > 12 || day < 1 || day > days_in_month(y, month))
    return std::nullopt;
  return civil_date{y, month, day};
}

std::int64_t days_since_epoch(const civil_date& date) noexcept {
  // Count in "March-based" years so that the leap day is the last day of the year;
  // then whole 400-year eras (146097 days each) keep the arithmetic exact and branch-free.
  const std::int64_t y = date.year - (date.month <= 2 ? 1 : 0);
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const std::int64_t year_of_era = y - era * 400;                                   // [0, 399]
  const std::int64_t month_from_march = (date.month + 9) % 12;                      // Mar=0 .. Feb=11
  const std::int64_t day_of_year = (153 * month_from_march + 2) / 5 + date.day - 1; // [0, 365]
  const std::int64_t day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return era * 146097 + day_of_era - 719468; // 719468: days from 0000-03-01 to 1970-01-01
}

} // namespace kstream::domain
