#pragma once

// The Expedia record's JSON: reading srch_ci/srch_co and writing the enriched value byte for byte.

#include "domain/dead_letter_reason.hpp"
#include "domain/json_members.hpp"
#include "domain/stay.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace kstream::domain {

/// The fields of an Expedia record that the job reads. Everything else in the value is
/// carried through as raw bytes, never re-serialized (Boost.JSON would rewrite doubles).
struct expedia_fields {
  /// srch_ci / srch_co when present and a JSON string; nullopt for null, missing or any
  /// other JSON type — all of which make the stay "Erroneous data".
  std::optional<std::string> check_in;
  std::optional<std::string> check_out;
  /// hotel_id when it is an integer; nullopt for null, missing or another type.
  std::optional<std::int64_t> hotel_id;
};

/// Why a value cannot be processed; it goes to the dead-letter topic with this reason.
struct value_error {
  dead_letter_reason reason;
  std::string detail; // the parser's error, or what the value is instead of an object
};

using parse_result = std::variant<expedia_fields, value_error>;

/// Parses record values (JSON objects). Reuses its buffers across calls, so keep one per
/// thread or actor; it is not thread-safe.
class expedia_value_parser {
public:
  expedia_value_parser();
  parse_result parse(std::string_view value);

private:
  json_member_reader reader_;
};

/// The enriched output value: `original` (a JSON object, as parsed) with every byte kept and
/// `"stay_duration":<days|null>,"stay_category":"<category>"` appended as its last members.
std::string enrich_value(std::string_view original, std::optional<std::int64_t> stay_days, stay_category category);

/// The same in place: `value` becomes the enriched value. Its bytes are not copied again,
/// and when its capacity has room for the two members (enrichment_reserve) nothing is
/// allocated either.
void enrich_in_place(std::string& value, std::optional<std::int64_t> stay_days, stay_category category);

/// Bytes that enrich_in_place() appends at most (a 20-character day count and the longest
/// category): reserve them when the value is first copied.
inline constexpr std::size_t enrichment_reserve = 80;

} // namespace kstream::domain
