// Log line formats (adapters/log_format.hpp).
#include "adapters/log_format.hpp"

#include <spdlog/pattern_formatter.h>

#include <cctype>
#include <cstdio>
#include <ctime>
#include <optional>

namespace kstream {

namespace {

void append_json_string(std::string& out, std::string_view text) {
  out += '"';
  for (unsigned char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          char escaped[8];
          std::snprintf(escaped, sizeof(escaped), "\\u%04x", c);
          out += escaped;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
}

bool is_word_start(std::string_view text, std::size_t at) {
  return at == 0 || !std::isalnum(static_cast<unsigned char>(text[at - 1]));
}

/// The digits right after `word ` as a number, where `word` stands as a word of its own.
std::optional<std::string_view> number_after(std::string_view text, std::string_view word) {
  for (auto at = text.find(word); at != std::string_view::npos; at = text.find(word, at + 1)) {
    auto digits = at + word.size();
    if (!is_word_start(text, at) || digits >= text.size() || text[digits] != ' ')
      continue;
    auto end = ++digits;
    if (end < text.size() && text[end] == '-')
      ++end;
    while (end < text.size() && std::isdigit(static_cast<unsigned char>(text[end])))
      ++end;
    if (end > digits && std::isdigit(static_cast<unsigned char>(text[end - 1])))
      return text.substr(digits, end - digits);
  }
  return std::nullopt;
}

/// "partitions [0, 2]" as the JSON array [0,2].
std::optional<std::string> partition_list_after(std::string_view text) {
  for (auto at = text.find("partitions ["); at != std::string_view::npos; at = text.find("partitions [", at + 1)) {
    if (!is_word_start(text, at))
      continue;
    auto close = text.find(']', at);
    if (close == std::string_view::npos)
      return std::nullopt;
    std::string out = "[";
    bool number = false;
    for (auto c : text.substr(at + 12, close - at - 12)) {
      if (std::isdigit(static_cast<unsigned char>(c))) {
        out += c;
        number = true;
      } else if (c == ',' && number) {
        out += ',';
        number = false;
      } else if (c != ' ') {
        return std::nullopt; // not a list of partition numbers
      }
    }
    return out + "]";
  }
  return std::nullopt;
}

class json_formatter : public spdlog::formatter {
public:
  explicit json_formatter(std::string program) : program_(std::move(program)) {
  }

  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    auto level = spdlog::level::to_string_view(msg.level);
    auto line = json_log_line(msg.time, {level.data(), level.size()}, program_,
                              {msg.payload.data(), msg.payload.size()});
    line += '\n';
    dest.append(line.data(), line.data() + line.size());
  }

  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<json_formatter>(program_);
  }

private:
  std::string program_;
};

} // namespace

std::string json_log_line(std::chrono::system_clock::time_point at, std::string_view level, std::string_view program,
                          std::string_view message) {
  auto seconds = std::chrono::system_clock::to_time_t(at);
  auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(at.time_since_epoch()).count() % 1000;
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char stamp[40];
  auto length = std::strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &utc);
  std::snprintf(stamp + length, sizeof(stamp) - length, ".%03dZ",
                static_cast<int>(millis < 0 ? millis + 1000 : millis));

  std::string_view component = program;
  auto colon = message.find(": ");
  if (colon != std::string_view::npos && colon > 0) {
    auto name = message.substr(0, colon);
    bool word = std::isalpha(static_cast<unsigned char>(name[0]));
    for (char c : name)
      word = word
             && (std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '-'
                 || c == '_');
    if (word) {
      component = name;
      message.remove_prefix(colon + 2);
    }
  }
  std::string out = "{\"ts\":\"";
  out += stamp;
  out += "\",\"level\":";
  append_json_string(out, level);
  out += ",\"component\":";
  append_json_string(out, component);
  out += ",\"message\":";
  append_json_string(out, message);
  if (auto partition = number_after(message, "partition")) {
    out += ",\"partition\":";
    out += *partition;
  }
  if (auto offset = number_after(message, "offset")) {
    out += ",\"offset\":";
    out += *offset;
  }
  if (auto partitions = partition_list_after(message)) {
    out += ",\"partitions\":";
    out += *partitions;
  }
  out += '}';
  return out;
}

std::unique_ptr<spdlog::formatter> make_log_formatter(log_format format, std::string program) {
  if (format == log_format::json)
    return std::make_unique<json_formatter>(std::move(program));
  return std::make_unique<spdlog::pattern_formatter>("%Y-%m-%dT%H:%M:%S.%eZ %^%l%$ %v", spdlog::pattern_time_type::utc);
}

} // namespace kstream
