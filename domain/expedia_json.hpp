#pragma once

#include "domain/stay.hpp"

#include <boost/json/parser.hpp>

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
  std::string reason;
};

using parse_result = std::variant<expedia_fields, value_error>;

/// Parses record values (JSON objects). Reuses its buffers across calls, so keep one per
/// thread or actor; it is not thread-safe.
class expedia_value_parser {
public:
  expedia_value_parser();
  parse_result parse(std::string_view value);

private:
  unsigned char parser_scratch_[4096];
  std::unique_ptr<unsigned char[]> value_arena_;
  boost::json::parser parser_;
};

/// The enriched output value: `original` (a JSON object, as parsed) with every byte kept and
/// `"stay_duration":<days|null>,"stay_category":"<category>"` appended as its last members.
std::string enrich_value(std::string_view original, std::optional<std::int64_t> stay_days,
                         stay_category category);

} // namespace kstream::domain
