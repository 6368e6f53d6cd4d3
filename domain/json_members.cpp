// Reading selected top-level members of a JSON object (domain/json_members.hpp).
#include "domain/json_members.hpp"

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/error.hpp>

#include <climits>
#include <string>

namespace kstream::domain {

const char* describe(json_root root) noexcept {
  switch (root) {
    case json_root::invalid:
      return "invalid JSON";
    case json_root::object:
      return "an object";
    case json_root::array:
      return "an array";
    case json_root::string:
      return "a string";
    case json_root::number:
      return "a number";
    case json_root::boolean:
      return "a boolean";
    case json_root::null:
      return "null";
  }
  return "unknown";
}

// Boost.JSON's SAX interface. `depth` counts the containers open around the current event:
// the root object's own members are at depth 1. `current` is the index of the wanted member
// whose value comes next, or -1.
class json_member_reader::handler {
public:
  static constexpr std::size_t max_object_size = std::size_t(-1);
  static constexpr std::size_t max_array_size = std::size_t(-1);
  static constexpr std::size_t max_key_size = std::size_t(-1);
  static constexpr std::size_t max_string_size = std::size_t(-1);

  explicit handler(json_member_reader* owner) : owner_(owner) {
  }

  void start() {
    depth_ = 0;
    current_ = -1;
    root_ = json_root::invalid;
    key_.clear();
    string_started_ = false;
  }
  json_root root() const noexcept {
    return root_;
  }

  bool on_document_begin(boost::json::error_code&) {
    return true;
  }
  bool on_document_end(boost::json::error_code&) {
    return true;
  }
  bool on_object_begin(boost::json::error_code&) {
    open(json_root::object);
    return true;
  }
  bool on_object_end(std::size_t, boost::json::error_code&) {
    --depth_;
    return true;
  }
  bool on_array_begin(boost::json::error_code&) {
    open(json_root::array);
    return true;
  }
  bool on_array_end(std::size_t, boost::json::error_code&) {
    --depth_;
    return true;
  }
  bool on_key_part(boost::json::string_view part, std::size_t, boost::json::error_code&) {
    if (depth_ == 1)
      key_.append(part.data(), part.size());
    return true;
  }
  bool on_key(boost::json::string_view last, std::size_t, boost::json::error_code&) {
    if (depth_ != 1)
      return true;
    std::string_view name{last.data(), last.size()};
    if (!key_.empty()) {
      key_.append(last.data(), last.size());
      name = key_;
    }
    current_ = -1;
    const auto& names = owner_->names_;
    for (std::size_t i = 0; i < names.size(); ++i)
      if (names[i] == name) {
        current_ = static_cast<int>(i);
        break;
      }
    key_.clear();
    return true;
  }
  bool on_string_part(boost::json::string_view part, std::size_t, boost::json::error_code&) {
    if (depth_ == 0)
      root_ = json_root::string;
    else if (auto* member = wanted()) {
      if (!string_started_)
        member->text.clear();
      string_started_ = true;
      member->text.append(part.data(), part.size());
    }
    return true;
  }
  bool on_string(boost::json::string_view last, std::size_t, boost::json::error_code&) {
    if (depth_ == 0)
      root_ = json_root::string;
    else if (auto* member = wanted()) {
      if (string_started_)
        member->text.append(last.data(), last.size());
      else
        member->text.assign(last.data(), last.size());
      string_started_ = false;
      member->kind = json_member::type::string;
      current_ = -1;
    }
    return true;
  }
  bool on_number_part(boost::json::string_view, boost::json::error_code&) {
    return true;
  }
  bool on_int64(std::int64_t value, boost::json::string_view, boost::json::error_code&) {
    integer(true, value);
    return true;
  }
  bool on_uint64(std::uint64_t value, boost::json::string_view, boost::json::error_code&) {
    const bool fits = value <= static_cast<std::uint64_t>(INT64_MAX);
    integer(fits, fits ? static_cast<std::int64_t>(value) : 0);
    return true;
  }
  bool on_double(double, boost::json::string_view, boost::json::error_code&) {
    scalar(json_root::number);
    return true;
  }
  bool on_bool(bool, boost::json::error_code&) {
    scalar(json_root::boolean);
    return true;
  }
  bool on_null(boost::json::error_code&) {
    scalar(json_root::null);
    return true;
  }
  bool on_comment_part(boost::json::string_view, boost::json::error_code&) {
    return true;
  }
  bool on_comment(boost::json::string_view, boost::json::error_code&) {
    return true;
  }

private:
  json_member* wanted() {
    return depth_ == 1 && current_ >= 0 ? &owner_->members_[static_cast<std::size_t>(current_)] : nullptr;
  }
  // A value that is neither a string nor an int64 integer.
  void scalar(json_root kind) {
    if (depth_ == 0)
      root_ = kind;
    else if (auto* member = wanted()) {
      member->kind = json_member::type::other;
      current_ = -1;
    }
  }
  void integer(bool fits, std::int64_t value) {
    if (depth_ == 0)
      root_ = json_root::number;
    else if (auto* member = wanted()) {
      member->kind = fits ? json_member::type::integer : json_member::type::other;
      member->integer = value;
      current_ = -1;
    }
  }
  void open(json_root kind) {
    scalar(kind); // a container as a wanted member's value is "other"
    ++depth_;
  }

  json_member_reader* owner_;
  int depth_ = 0;
  int current_ = -1;
  json_root root_ = json_root::invalid;
  std::string key_;             // a key that arrived in parts
  bool string_started_ = false; // a wanted string that arrived in parts
};

struct json_member_reader::parser {
  explicit parser(json_member_reader* owner) : sax(options(), owner) {
  }
  static boost::json::parse_options options() {
    boost::json::parse_options opt; // strict JSON, as boost::json::parse's defaults
    opt.max_depth = json_max_depth;
    return opt;
  }
  boost::json::basic_parser<handler> sax;
};

json_member_reader::json_member_reader(std::vector<std::string> names)
  : names_(std::move(names)), members_(names_.size()), parser_(std::make_unique<parser>(this)) {
}

json_member_reader::~json_member_reader() = default;

json_root json_member_reader::read(std::string_view value) {
  auto forget_members = [this] {
    for (auto& member : members_)
      member.kind = json_member::type::missing;
  };
  forget_members();
  error_.clear();
  too_deep_ = false;
  auto& sax = parser_->sax;
  sax.reset();
  sax.handler().start();
  boost::json::error_code ec;
  auto used = sax.write_some(false, value.data(), value.size(), ec);
  if (!ec && used < value.size())
    ec = boost::json::error::extra_data; // as boost::json::parser::write does
  if (ec) {
    forget_members(); // a value that failed half-way reports nothing it saw
    too_deep_ = ec == boost::json::error::too_deep;
    error_ = too_deep_ ? "nested deeper than " + std::to_string(json_max_depth) + " levels" : ec.message();
    return json_root::invalid;
  }
  auto root = sax.handler().root();
  if (root != json_root::object)
    forget_members();
  return root;
}

} // namespace kstream::domain
