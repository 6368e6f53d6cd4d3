#pragma once

// Calendar dates ("YYYY-MM-DD") parsed strictly, and days between two of them.

#include <cstdint>
#include <optional>
#include <string_view>

namespace kstream::domain {

/// A calendar date, validated on construction by parse_civil_date().
struct civil_date {
  int year;
  unsigned month; // 1..12
  unsigned day;   // 1..days_in_month(year, month)
};

bool is_leap_year(int year) noexcept;
unsigned days_in_month(int year, unsigned month) noexcept;

/// Parses "YYYY-MM-DD", optionally followed by " HH:MM:SS" (ignored). Anything else —
/// one-digit months or days (2017-8-2), impossible dates (2017-02-30, 2017-13-01),
/// trailing garbage — and year 0000 yields nullopt. Years 0001-9999 are proleptic Gregorian.
std::optional<civil_date> parse_civil_date(std::string_view text) noexcept;

/// Days since 1970-01-01 of a valid date (proleptic Gregorian calendar).
std::int64_t days_since_epoch(const civil_date& date) noexcept;

} // namespace kstream::domain
