#pragma once

// Reads a few top-level members of a JSON value without building a DOM. The whole value is
// still parsed and validated by Boost.JSON (its SAX-style basic_parser), so a value is
// accepted or refused exactly as boost::json::parse would, but nothing is allocated for the
// members nobody asked for: the job reads three of about twenty members per record, and
// building the DOM was most of its parsing time.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace kstream::domain {

/// A top-level member as its last occurrence had it (duplicate names: the last one wins, as
/// in Boost.JSON's DOM).
struct json_member {
  enum class type { missing, string, integer, other };
  type kind = type::missing;
  std::string text;         // kind == string: the unescaped text
  std::int64_t integer = 0; // kind == integer: a JSON integer that fits in int64
};

/// How deeply a value may nest (objects and arrays) before it is refused. Boost.JSON's
/// default, 32, refuses valid documents users do send; its parser recurses once per level, so
/// the limit also bounds the stack a hostile "[[[[..." value can take: 1000 levels needed less
/// than 128 KB in the release build and 512 KB under ASan at -O0 (measured), far below a
/// thread's default 8 MB.
inline constexpr std::size_t json_max_depth = 1000;

/// What the root of a value is; `invalid` when the value is not JSON at all.
enum class json_root { invalid, object, array, string, number, boolean, null };

/// "an array", "a string", ... for messages; "invalid JSON" for json_root::invalid.
const char* describe(json_root root) noexcept;

/// Reads the top-level members named at construction. Reuses its buffers across calls: keep
/// one per actor; not thread-safe.
class json_member_reader {
public:
  explicit json_member_reader(std::vector<std::string> names);
  ~json_member_reader();
  json_member_reader(const json_member_reader&) = delete;
  json_member_reader& operator=(const json_member_reader&) = delete;

  /// Parses `value` whole (trailing bytes other than white space are an error). For an
  /// object, member(i) then holds the i-th name's member; for any other root every member
  /// is `missing`; for invalid JSON, error() says why.
  json_root read(std::string_view value);
  const json_member& member(std::size_t index) const noexcept {
    return members_[index];
  }
  const std::string& error() const noexcept {
    return error_;
  }
  /// The last read() refused a value only because it nests deeper than json_max_depth.
  bool too_deep() const noexcept {
    return too_deep_;
  }

private:
  class handler;
  struct parser;
  std::vector<std::string> names_;
  std::vector<json_member> members_;
  std::string error_;
  bool too_deep_ = false;
  std::unique_ptr<parser> parser_;
};

} // namespace kstream::domain
