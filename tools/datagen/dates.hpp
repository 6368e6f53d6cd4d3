// Civil-calendar date arithmetic and the stay classification of the project's contract.
// Own copy for the generator (it must not depend on the job's domain library).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace datagen {

struct Ymd {
  int year;
  unsigned month; // 1..12
  unsigned day;   // 1..31
};

// Days since 1970-01-01 (proleptic Gregorian), and back.
std::int64_t days_from_civil(Ymd date);
Ymd civil_from_days(std::int64_t days);
unsigned days_in_month(int year, unsigned month);

// "YYYY-MM-DD"
std::string format_date(std::int64_t days);
// "YYYY-MM-DD HH:MM:SS"
std::string format_date_time(std::int64_t days, unsigned seconds_of_day);

// Strict "YYYY-MM-DD", optionally " HH:MM:SS" (a real clock time, ignored); nullopt unless a
// real date of years 0001-9999 (year 0000 is not one), as the job's domain/civil_date.
std::optional<std::int64_t> parse_date(std::string_view text);

enum Category : int {
  kShort = 0,
  kStandard = 1,
  kExtended = 2,
  kLong = 3,
  kErroneous = 4,
};
inline constexpr int kCategories = 5;
const char* category_name(int category);

// The contract: days = calendar days from check-in to check-out; null, empty, not a real date,
// or days <= 0 -> Erroneous; 1-4 Short; 5-10 Standard; 11-14 Standard extended; 15+ Long.
int classify(const std::optional<std::string>& check_in, const std::optional<std::string>& check_out);
int category_of_days(std::int64_t days);

} // namespace datagen
