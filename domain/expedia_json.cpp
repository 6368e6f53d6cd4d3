// The Expedia record's JSON: the fields the job reads and the enriched value (domain/expedia_json.hpp).
#include "domain/expedia_json.hpp"

#include <charconv>

namespace kstream::domain {

namespace {

// The members the job reads, in this order.
enum member_index : std::size_t { check_in_member, check_out_member, hotel_id_member };

std::optional<std::string> string_of(const json_member& member) {
  if (member.kind != json_member::type::string)
    return std::nullopt;
  return member.text;
}

} // namespace

expedia_value_parser::expedia_value_parser() : reader_({"srch_ci", "srch_co", "hotel_id"}) {
}

parse_result expedia_value_parser::parse(std::string_view value) {
  auto root = reader_.read(value);
  if (root == json_root::invalid && reader_.too_deep())
    return value_error{dead_letter_reason::too_deep, std::to_string(json_max_depth) + " levels"};
  if (root == json_root::invalid)
    return value_error{dead_letter_reason::not_json, reader_.error()};
  if (root != json_root::object)
    return value_error{dead_letter_reason::not_an_object, describe(root)};
  const auto& hotel = reader_.member(hotel_id_member);
  return expedia_fields{string_of(reader_.member(check_in_member)), string_of(reader_.member(check_out_member)),
                        hotel.kind == json_member::type::integer ? std::optional<std::int64_t>{hotel.integer}
                                                                 : std::nullopt};
}

void enrich_in_place(std::string& value, std::optional<std::int64_t> stay_days, stay_category category) {
  // The value parsed as an object, so its last non-space byte is the closing brace: cut it
  // (and any white space after it), then append the two members and a new brace.
  auto close = value.find_last_not_of(" \t\r\n");
  value.resize(close == std::string::npos ? 0 : close);
  auto last = value.find_last_not_of(" \t\r\n");
  const bool empty_object = last != std::string::npos && value[last] == '{';
  value.append(empty_object ? "\"stay_duration\":" : ",\"stay_duration\":");
  if (stay_days) {
    char digits[24];
    auto res = std::to_chars(digits, digits + sizeof(digits), *stay_days);
    value.append(digits, res.ptr);
  } else {
    value.append("null");
  }
  value.append(",\"stay_category\":\"");
  value.append(to_string(category));
  value.append("\"}");
}

std::string enrich_value(std::string_view original, std::optional<std::int64_t> stay_days, stay_category category) {
  std::string out;
  out.reserve(original.size() + enrichment_reserve);
  out.append(original);
  enrich_in_place(out, stay_days, category);
  return out;
}

} // namespace kstream::domain
