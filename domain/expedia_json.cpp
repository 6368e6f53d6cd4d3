#include "domain/expedia_json.hpp"

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/value.hpp>

#include <charconv>

namespace kstream::domain {

namespace {

constexpr std::size_t value_arena_size = 64 * 1024;

std::optional<std::string> string_member(const boost::json::object& object, std::string_view name) {
  auto it = object.find(name);
  if (it == object.end() || !it->value().is_string())
    return std::nullopt;
  const auto& text = it->value().get_string();
  return std::string{text.data(), text.size()};
}

std::optional<std::int64_t> integer_member(const boost::json::object& object, std::string_view name) {
  auto it = object.find(name);
  if (it == object.end())
    return std::nullopt;
  const auto& value = it->value();
  if (value.is_int64())
    return value.get_int64();
  if (value.is_uint64() && value.get_uint64() <= static_cast<std::uint64_t>(INT64_MAX))
    return static_cast<std::int64_t>(value.get_uint64());
  return std::nullopt;
}

const char* kind_name(const boost::json::value& value) {
  switch (value.kind()) {
    case boost::json::kind::array:
      return "an array";
    case boost::json::kind::string:
      return "a string";
    case boost::json::kind::null:
      return "null";
    case boost::json::kind::bool_:
      return "a boolean";
    default:
      return "a number";
  }
}

} // namespace

expedia_value_parser::expedia_value_parser()
  : value_arena_(new unsigned char[value_arena_size]),
    parser_(boost::json::storage_ptr(), boost::json::parse_options{}, parser_scratch_, sizeof(parser_scratch_)) {
}

parse_result expedia_value_parser::parse(std::string_view value) {
  // Every value lives in a fresh arena over the same memory: no heap traffic per record
  // for ordinary sizes, and larger values spill to the heap transparently.
  boost::json::monotonic_resource arena(value_arena_.get(), value_arena_size);
  parser_.reset(&arena);
  boost::system::error_code ec;
  parser_.write(value.data(), value.size(), ec); // the whole value; trailing bytes are an error
  if (ec) {
    parser_.reset();
    return value_error{"value is not valid JSON: " + ec.message()};
  }
  auto root = parser_.release();
  if (!root.is_object())
    return value_error{std::string{"value is "} + kind_name(root) + ", not a JSON object"};
  const auto& object = root.get_object();
  return expedia_fields{string_member(object, "srch_ci"), string_member(object, "srch_co"),
                        integer_member(object, "hotel_id")};
}

std::string enrich_value(std::string_view original, std::optional<std::int64_t> stay_days,
                         stay_category category) {
  // The value parsed as an object, so its last non-space byte is the closing brace.
  auto close = original.find_last_not_of(" \t\r\n");
  auto body = original.substr(0, close);
  auto last = body.find_last_not_of(" \t\r\n");
  const bool empty_object = last != std::string_view::npos && body[last] == '{';
  auto name = to_string(category);
  std::string out;
  out.reserve(original.size() + 64);
  out.append(body);
  out.append(empty_object ? "\"stay_duration\":" : ",\"stay_duration\":");
  if (stay_days) {
    char digits[24];
    auto res = std::to_chars(digits, digits + sizeof(digits), *stay_days);
    out.append(digits, res.ptr);
  } else {
    out.append("null");
  }
  out.append(",\"stay_category\":\"");
  out.append(name);
  out.append("\"}");
  return out;
}

} // namespace kstream::domain
