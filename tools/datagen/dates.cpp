// Date arithmetic and stay classification of the generator's own copy (dates.hpp).
#include "dates.hpp"

#include <cstdio>

namespace datagen {

// Howard Hinnant's public-domain algorithms for the proleptic Gregorian calendar.
std::int64_t days_from_civil(Ymd date) {
  const std::int64_t y = static_cast<std::int64_t>(date.year) - (date.month <= 2 ? 1 : 0);
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned m = date.month;
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + date.day - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

Ymd civil_from_days(std::int64_t z) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return Ymd{static_cast<int>(y + (m <= 2 ? 1 : 0)), m, d};
}

unsigned days_in_month(int year, unsigned month) {
  static const unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month == 2) {
    const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return leap ? 29 : 28;
  }
  return kDays[month - 1];
}

std::string format_date(std::int64_t days) {
  const Ymd d = civil_from_days(days);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", d.year, d.month, d.day);
  return buf;
}

std::string format_date_time(std::int64_t days, unsigned seconds_of_day) {
  const Ymd d = civil_from_days(days);
  char buf[48];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u %02u:%02u:%02u", d.year, d.month, d.day, seconds_of_day / 3600,
                seconds_of_day / 60 % 60, seconds_of_day % 60);
  return buf;
}

std::optional<std::int64_t> parse_date(std::string_view text) {
  // The contract's form: "YYYY-MM-DD" or "YYYY-MM-DD HH:MM:SS" (a real clock time, ignored).
  if (text.size() != 10 && text.size() != 19)
    return std::nullopt;
  auto digit = [&](std::size_t i) { return text[i] >= '0' && text[i] <= '9'; };
  for (std::size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (!digit(i))
      return std::nullopt;
  }
  if (text[4] != '-' || text[7] != '-')
    return std::nullopt;
  auto num = [&](std::size_t from, std::size_t len) {
    int v = 0;
    for (std::size_t i = from; i < from + len; ++i)
      v = v * 10 + (text[i] - '0');
    return v;
  };
  if (text.size() == 19) {
    if (text[10] != ' ' || text[13] != ':' || text[16] != ':')
      return std::nullopt;
    for (std::size_t i : {11, 12, 14, 15, 17, 18}) {
      if (!digit(i))
        return std::nullopt;
    }
    if (num(11, 2) >= 24 || num(14, 2) >= 60 || num(17, 2) >= 61)
      return std::nullopt;
  }
  // Year 0000 is not a date (decided once with the job and the Python oracle): year < 1 below.
  const int year = num(0, 4);
  const int month = num(5, 2);
  const int day = num(8, 2);
  if (year < 1 || month < 1 || month > 12 || day < 1)
    return std::nullopt;
  if (static_cast<unsigned>(day) > days_in_month(year, static_cast<unsigned>(month)))
    return std::nullopt;
  return days_from_civil(Ymd{year, static_cast<unsigned>(month), static_cast<unsigned>(day)});
}

const char* category_name(int category) {
  switch (category) {
    case kShort:
      return "Short stay";
    case kStandard:
      return "Standard stay";
    case kExtended:
      return "Standard extended stay";
    case kLong:
      return "Long stay";
    default:
      return "Erroneous data";
  }
}

int category_of_days(std::int64_t days) {
  if (days <= 0)
    return kErroneous;
  if (days <= 4)
    return kShort;
  if (days <= 10)
    return kStandard;
  if (days <= 14)
    return kExtended;
  return kLong;
}

int classify(const std::optional<std::string>& check_in, const std::optional<std::string>& check_out) {
  if (!check_in || !check_out)
    return kErroneous;
  const auto ci = parse_date(*check_in);
  const auto co = parse_date(*check_out);
  if (!ci || !co)
    return kErroneous;
  return category_of_days(*co - *ci);
}

} // namespace datagen
