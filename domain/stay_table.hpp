#pragma once

// The answer table of the seed: per stay category, the number of records and the number of
// distinct hotel_ids in `expedia_ext`. Plain functions and one value type: no actors, no Kafka.
//
// Counting rules (the same as the ksqlDB statements in ksql/stay_counts.sql):
//   * every record whose stay_category is one of the five texts counts in that category's
//     `records`, whatever its hotel_id;
//   * its hotel_id counts towards `distinct_hotels` only when it is a JSON integer; a null,
//     missing or non-integer hotel_id is a record without a hotel (`records_without_hotel`);
//   * a value that is not a JSON object, or whose stay_category is missing, not a string or
//     not one of the five texts, is never dropped silently: it counts in the `unknown` tally.

#include "domain/json_members.hpp"
#include "domain/stay.hpp"

#include <boost/json/object.hpp>

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace kstream::domain {

/// What the table needs from one enriched value.
struct stay_fields {
  /// nullopt: not a JSON object, or stay_category missing / not a string / not a known text.
  std::optional<stay_category> category;
  /// hotel_id when it is a JSON integer (that fits in int64); nullopt otherwise.
  std::optional<std::int64_t> hotel_id;
};

/// Reads stay_category and hotel_id from enriched values (JSON objects). Reuses its buffers
/// across calls: keep one per actor; not thread-safe.
class stay_fields_parser {
public:
  stay_fields_parser();
  stay_fields parse(std::string_view value);

private:
  json_member_reader reader_;
};

/// One row of the answer.
struct stay_row {
  stay_category category = stay_category::short_stay;
  std::uint64_t records = 0;
  std::uint64_t distinct_hotels = 0;
  std::uint64_t records_without_hotel = 0; // null / missing / non-integer hotel_id
};

bool operator==(const stay_row& a, const stay_row& b) noexcept;
inline bool operator!=(const stay_row& a, const stay_row& b) noexcept {
  return !(a == b);
}

/// The table at one moment, cheap to copy: rows in all_stay_categories order.
struct stay_snapshot {
  using row_array = std::array<stay_row, all_stay_categories.size()>;
  /// Every category with zero counts, in all_stay_categories order.
  static row_array empty_rows() noexcept {
    row_array out{};
    for (std::size_t i = 0; i < out.size(); ++i)
      out[i].category = all_stay_categories[i];
    return out;
  }

  row_array rows = empty_rows();
  std::uint64_t unknown_records = 0; // not counted in any row (see above)

  std::uint64_t total_records() const noexcept; // rows only, unknown excluded
  const stay_row& row(stay_category category) const noexcept;
};

/// The exact table: record counts and the set of distinct hotels per category.
class stay_table {
public:
  void add(const stay_fields& fields);
  /// Adds the enriched value (parsed with `parser`).
  void add_value(stay_fields_parser& parser, std::string_view value) {
    add(parser.parse(value));
  }
  stay_snapshot snapshot() const;
  std::uint64_t records() const noexcept {
    return total_records_;
  }

  /// Everything the table knows, hotel sets included, as a JSON object:
  /// {"categories":[{"records":..,"without_hotel":..,"hotels":[..]},..],"unknown":..}
  /// (categories in all_stay_categories order), so that a restored table counts on exactly.
  boost::json::object state() const;
  /// The table saved by state(); nullopt (with `error`) when `saved` is not such an object.
  static std::optional<stay_table> from_state(const boost::json::value& saved, std::string& error);

private:
  struct category_state {
    std::uint64_t records = 0;
    std::uint64_t without_hotel = 0;
    std::unordered_set<std::int64_t> hotels;
  };
  std::array<category_state, all_stay_categories.size()> categories_;
  std::uint64_t unknown_records_ = 0;
  std::uint64_t total_records_ = 0; // everything added, unknown included
};

/// {"rows":[{"stay_category":..,"records":..,"distinct_hotels":..,"records_without_hotel":..},..],
///  "total_records":..,"unknown_records":..}
boost::json::object to_json(const stay_snapshot& snapshot);

/// The value of a changelog record for one category (key = the category text):
/// {"stay_category":"Short stay","records":N,"distinct_hotels":M}
std::string changelog_value(const stay_row& row);

/// A table with the input positions it covers: the records below `positions` (per partition,
/// the offset after the last counted record) and no other. What kstream-stats saves to its
/// state topic and restores from, instead of reading its input again from the beginning.
struct stay_checkpoint {
  std::string input_topic;
  std::map<std::int32_t, std::int64_t> positions;
  stay_table table;
};

/// {"format":1,"input_topic":..,"positions":{"0":N,..},"table":<stay_table::state()>}
std::string checkpoint_json(std::string_view input_topic, const std::map<std::int32_t, std::int64_t>& positions,
                            const stay_table& table);
/// Parses to_json()'s text; nullopt with `error` saying what is wrong.
std::optional<stay_checkpoint> checkpoint_from_json(std::string_view text, std::string& error);

/// The table as text, in the style of ksqlDB's console:
///   +------------------------+-----------+-----------------+
///   |STAY_CATEGORY           |RECORDS    |DISTINCT_HOTELS  |
///   ...
/// followed by a total line and, when non-zero, the unknown tally.
std::string render_text(const stay_snapshot& snapshot);

} // namespace kstream::domain
