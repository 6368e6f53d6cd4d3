// libFuzzer target: the job's JSON member reader and enrichment (domain/json_members,
// domain/expedia_json) against boost::json::parse of the same bytes. For any input:
//   - the reader and the DOM parser give the same verdict (valid or not, too deep or not, the
//     same kind of root), and the reader's members are the DOM's top-level members;
//   - for an object, the enriched value is strict JSON, keeps the input's bytes up to its
//     closing brace, and parses to the input object plus stay_duration and stay_category
//     (the day count and category the stay rules give for the members read).
// Any disagreement aborts, which libFuzzer reports as a crash with the input saved.
#include "domain/expedia_json.hpp"
#include "domain/json_members.hpp"
#include "domain/stay.hpp"

// Boost.JSON compiled into this target, so that its parser is instrumented for coverage too.
#include <boost/json/src.hpp>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace json = boost::json;
using namespace kstream::domain;

namespace {

[[noreturn]] void fail(const char* what, std::string_view input) {
  std::fprintf(stderr, "json_enrichment_fuzz: %s (input of %zu bytes)\n", what, input.size());
  std::abort();
}

void check(bool condition, const char* what, std::string_view input) {
  if (!condition)
    fail(what, input);
}

json_root root_of(const json::value& v) {
  switch (v.kind()) {
    case json::kind::object:
      return json_root::object;
    case json::kind::array:
      return json_root::array;
    case json::kind::string:
      return json_root::string;
    case json::kind::int64:
    case json::kind::uint64:
    case json::kind::double_:
      return json_root::number;
    case json::kind::bool_:
      return json_root::boolean;
    case json::kind::null:
      return json_root::null;
  }
  return json_root::invalid;
}

// What the reader must have made of a top-level member, from the DOM.
bool same_member(const json_member& member, const json::object& object, std::string_view name) {
  auto it = object.find(json::string_view(name.data(), name.size()));
  if (it == object.end())
    return member.kind == json_member::type::missing;
  const auto& v = it->value();
  if (v.is_string())
    return member.kind == json_member::type::string && member.text == std::string_view(v.get_string());
  if (v.is_int64())
    return member.kind == json_member::type::integer && member.integer == v.get_int64();
  if (v.is_uint64() && v.get_uint64() <= static_cast<std::uint64_t>(INT64_MAX))
    return member.kind == json_member::type::integer && member.integer == static_cast<std::int64_t>(v.get_uint64());
  return member.kind == json_member::type::other;
}

// Two doubles Boost.JSON read from the same digits. Its 1.81 number reader is not exact and not
// even repeatable: the same digits can come out one unit in the last place apart depending on
// what follows them in the buffer ({"h":-926.254778979323846} alone or followed by more
// members), and it reads some valid numbers as NaN (0e309: zero times an overflowed power of
// ten). The job never converts numbers (it keeps the input's bytes, checked separately), so
// a few units in the last place and NaN == NaN count as the same number here.
bool same_double(double x, double y) {
  if (std::isnan(x) || std::isnan(y))
    return std::isnan(x) && std::isnan(y);
  for (int step = 0; step < 4 && x != y; ++step)
    x = std::nextafter(x, y);
  return x == y;
}

// Deep equality, with numbers compared by same_double().
bool same(const json::value& a, const json::value& b) {
  if (a.is_double() && b.is_double())
    return same_double(a.get_double(), b.get_double());
  if (a.is_object() && b.is_object()) {
    const auto& x = a.get_object();
    const auto& y = b.get_object();
    if (x.size() != y.size())
      return false;
    for (const auto& member : x) {
      auto it = y.find(member.key());
      if (it == y.end() || !same(member.value(), it->value()))
        return false;
    }
    return true;
  }
  if (a.is_array() && b.is_array()) {
    const auto& x = a.get_array();
    const auto& y = b.get_array();
    if (x.size() != y.size())
      return false;
    for (std::size_t i = 0; i < x.size(); ++i)
      if (!same(x[i], y[i]))
        return false;
    return true;
  }
  return a == b;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  static const char* const names[] = {"srch_ci", "srch_co", "hotel_id"};
  static json_member_reader reader({names[0], names[1], names[2]}); // reused, as the job does
  static expedia_value_parser parser;

  json::parse_options options; // strict JSON, with the job's depth limit
  options.max_depth = json_max_depth;
  json::error_code ec;
  const json::value dom = json::parse(json::string_view(input.data(), input.size()), ec, {}, options);

  const json_root root = reader.read(input);
  check((root == json_root::invalid) == bool(ec), "the reader and boost::json::parse disagree on validity", input);
  check(reader.too_deep() == (ec == json::error::too_deep), "the reader and boost::json::parse disagree on depth",
        input);
  const parse_result parsed = parser.parse(input);
  if (ec) {
    check(std::holds_alternative<value_error>(parsed), "invalid JSON was not refused", input);
    return 0;
  }
  check(root == root_of(dom), "the reader and boost::json::parse disagree on the root", input);
  if (root != json_root::object) {
    check(std::holds_alternative<value_error>(parsed), "a value that is not an object was not refused", input);
    return 0;
  }
  const auto& object = dom.get_object();
  for (std::size_t i = 0; i < 3; ++i)
    check(same_member(reader.member(i), object, names[i]), "a member differs from boost::json::parse's", input);

  check(std::holds_alternative<expedia_fields>(parsed), "an object was refused", input);
  const auto& fields = std::get<expedia_fields>(parsed);
  const auto days = stay_days(fields.check_in, fields.check_out);
  const auto category = classify_stay(days);
  const std::string enriched = enrich_value(input, days, category);
  std::string in_place(input);
  enrich_in_place(in_place, days, category);
  check(in_place == enriched, "enrich_in_place differs from enrich_value", input);

  // Every byte of the input up to its closing brace is kept.
  const auto close = input.find_last_of('}');
  check(close != std::string_view::npos && enriched.compare(0, close, input.substr(0, close)) == 0,
        "the enriched value does not start with the input", input);

  const json::value out = json::parse(json::string_view(enriched.data(), enriched.size()), ec, {}, options);
  check(!ec, "the enriched value is not valid JSON", input);
  check(out.is_object(), "the enriched value is not an object", input);
  json::object expected = object;
  expected["stay_duration"] = days ? json::value(*days) : json::value(nullptr);
  const auto text = to_string(category);
  expected["stay_category"] = json::string_view(text.data(), text.size());
  if (!same(out, expected)) {
    std::fprintf(stderr, "enriched: %s\nexpected: %s\n", json::serialize(out).c_str(),
                 json::serialize(expected).c_str());
    fail("the enriched value is not the input plus the two members", input);
  }
  return 0;
}
