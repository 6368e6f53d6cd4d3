#pragma once

// Stay length in days from check-in to check-out, and its category.
//
// This is the job's rule. Other copies of it exist on purpose, each written independently so
// that a mistake in one shows as a disagreement with the others, never as a shared blind spot:
// - tools/datagen/dates.cpp: the data generator's copy; it writes the expected table into each
//   data set's manifest.json, so the manifest must not be computed by the code it checks.
// - tests/lib/stay_rules.py: the Python oracle the integration, stats and benchmark checks
//   compare the job's output with.
// - bench/faust/agent.py and bench/kafka-streams/.../EnrichApp.java: the benchmark's peers (the
//   seed's faust agent and Kafka Streams) must do the same work as the job to be compared.
// tests/lib/stay_cases.json is the table of date cases all of them are held to
// (tests/unit/stay_cases_test.cpp for this file and the generator, tests/lib/test_stay_rules.py
// for the oracle); bench/kbench/checks.py holds every peer's output to the oracle.

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace kstream::domain {

/// The stay categories of the job, in the order the answer table lists them.
enum class stay_category : std::uint8_t {
  short_stay,
  standard_stay,
  standard_extended_stay,
  long_stay,
  erroneous_data,
};

inline constexpr std::array<stay_category, 5> all_stay_categories = {
  stay_category::short_stay, stay_category::standard_stay,  stay_category::standard_extended_stay,
  stay_category::long_stay,  stay_category::erroneous_data,
};

/// The exact text written to `stay_category` ("Short stay", ..., "Erroneous data").
std::string_view to_string(stay_category category) noexcept;

/// Inverse of to_string(); nullopt for any other text.
std::optional<stay_category> parse_stay_category(std::string_view text) noexcept;

/// Days from check-in to check-out, or nullopt when either date is missing or invalid.
std::optional<std::int64_t> stay_days(std::optional<std::string_view> check_in,
                                      std::optional<std::string_view> check_out) noexcept;

/// null or <= 0 days: Erroneous data; 1-4 Short; 5-10 Standard; 11-14 Standard extended; 15+ Long.
stay_category classify_stay(std::optional<std::int64_t> days) noexcept;

} // namespace kstream::domain
