// The option machinery both binaries share (app/options.hpp).
#include "app/options.hpp"

#include <caf/config_value.hpp>
#include <caf/sec.hpp>
#include <caf/settings.hpp>

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <csignal>
#include <fstream>
#include <iostream>
#include <iterator>
#include <set>
#include <sstream>

namespace kstream {

namespace {

std::atomic<bool> stop_flag{false};

extern "C" void on_stop_signal(int) {
  stop_flag.store(true);
}

const char* kind_name(option_kind kind) {
  switch (kind) {
    case option_kind::string:
      return "a quoted string";
    case option_kind::integer:
      return "an integer";
    case option_kind::boolean:
      return "true or false";
    case option_kind::string_list:
      return "a list of quoted strings";
  }
  return "?";
}

bool has_kind(const caf::config_value& value, option_kind kind) {
  switch (kind) {
    case option_kind::string:
      return caf::holds_alternative<std::string>(value);
    case option_kind::integer:
      return caf::holds_alternative<caf::config_value::integer>(value);
    case option_kind::boolean:
      return caf::holds_alternative<bool>(value);
    case option_kind::string_list: {
      auto list = caf::get_if<caf::config_value::list>(&value);
      return list != nullptr && std::all_of(list->begin(), list->end(), [](const caf::config_value& item) {
               return caf::holds_alternative<std::string>(item);
             });
    }
  }
  return false;
}

} // namespace

std::vector<option_spec> with_http_limits(std::vector<option_spec> options) {
  options.push_back(
    {"http", "idle-timeout-ms", option_kind::integer, "a connection that sends nothing for this long is closed (408)"});
  options.push_back({"http", "request-timeout-ms", option_kind::integer,
                     "a request head must be complete this long after the connection opened (408 otherwise)"});
  options.push_back({"http", "max-connections", option_kind::integer,
                     "open connections at most; a new one beyond it closes the oldest (503)"});
  return options;
}

caf::error invalid_option(std::string what) {
  return make_error(job_error::invalid_option, std::move(what));
}

std::string host_name() {
  char name[256] = {};
  if (gethostname(name, sizeof(name) - 1) != 0 || name[0] == '\0')
    return "localhost";
  return name;
}

std::vector<std::pair<std::string, std::string>> rdkafka_properties_from_environment(char** environment) {
  static constexpr std::string_view prefix = "KSTREAM_RDKAFKA_";
  std::vector<std::pair<std::string, std::string>> result;
  for (; environment != nullptr && *environment != nullptr; ++environment) {
    std::string_view entry{*environment};
    auto eq = entry.find('=');
    if (entry.substr(0, prefix.size()) != prefix || eq == std::string_view::npos)
      continue;
    std::string name{entry.substr(prefix.size(), eq - prefix.size())};
    for (auto& c : name)
      c = c == '_' ? '.' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    result.emplace_back(std::move(name), std::string{entry.substr(eq + 1)});
  }
  return result;
}

checked_config::checked_config(const std::vector<option_spec>& options, std::string sample_file)
  : options_(options), sample_file_(std::move(sample_file)) {
  for (const auto& spec : options_) {
    opt_group group{custom_options_, spec.section};
    switch (spec.kind) {
      case option_kind::string:
        group.add<std::string>(spec.name, spec.description);
        break;
      case option_kind::integer:
        group.add<caf::config_value::integer>(spec.name, spec.description);
        break;
      case option_kind::boolean:
        group.add<bool>(spec.name, spec.description);
        break;
      case option_kind::string_list:
        group.add<std::vector<std::string>>(spec.name, spec.description);
        break;
    }
  }
}

caf::error checked_config::parse_checked(std::vector<std::string> args, std::istream& ini) {
  std::string text{std::istreambuf_iterator<char>{ini}, std::istreambuf_iterator<char>{}};
  std::istringstream raw_in{text};
  auto raw = caf::actor_system_config::parse_config(raw_in);
  if (!raw)
    return raw.error();
  raw_file_ = std::move(*raw);
  std::istringstream in{text};
  return parse(std::move(args), in);
}

caf::error checked_config::check_options() const {
  std::set<std::string> sections;
  for (const auto& spec : options_)
    sections.insert(spec.section);
  for (const auto* parsed : {&raw_file_, &content}) {
    for (const auto& [section_name, section] : *parsed) {
      auto dict = caf::get_if<caf::settings>(&section);
      if (sections.count(section_name) == 0 || dict == nullptr)
        continue;
      for (const auto& [name, value] : *dict) {
        auto spec = std::find_if(options_.begin(), options_.end(), [&](const option_spec& candidate) {
          return section_name == candidate.section && name == candidate.name;
        });
        if (spec == options_.end())
          return invalid_option("unknown option " + section_name + "." + name + " (see " + sample_file_
                                + " for the options)");
        // The value of kafka.properties is not shown: it may hold a secret.
        if (!has_kind(value, spec->kind))
          return invalid_option("option " + section_name + "." + name
                                + (spec->kind == option_kind::string_list ? "" : " = " + caf::to_string(value))
                                + " is not " + kind_name(spec->kind) + " (" + spec->description + ")");
      }
    }
  }
  return caf::none;
}

std::string checked_config::string_option(const char* key, const std::string& fallback) const {
  return caf::get_or(*this, key, fallback);
}

caf::expected<std::int64_t> checked_config::ranged_option(const char* key, std::int64_t fallback, std::int64_t min,
                                                          std::int64_t max) const {
  auto value = caf::get_or(*this, key, static_cast<caf::config_value::integer>(fallback));
  if (value < min || value > max)
    return invalid_option(std::string{"option "} + key + " = " + std::to_string(value) + " is out of range ["
                          + std::to_string(min) + ", " + std::to_string(max) + "]");
  return value;
}

caf::error checked_config::read_http_limits(http_settings& out) const {
  const http_settings defaults;
  for (auto err :
       {read_ranged("http.idle-timeout-ms", defaults.http_idle_timeout_ms, 100, 3'600'000, out.http_idle_timeout_ms),
        read_ranged("http.request-timeout-ms", defaults.http_request_timeout_ms, 100, 3'600'000,
                    out.http_request_timeout_ms),
        read_ranged("http.max-connections", defaults.http_max_connections, 1, 10'000, out.http_max_connections)})
    if (err)
      return err;
  return caf::none;
}

caf::error checked_config::require_non_empty(std::initializer_list<const char*> keys) const {
  for (const char* key : keys)
    if (string_option(key, "unset").empty())
      return invalid_option(std::string{"option "} + key + " must not be empty");
  return caf::none;
}

caf::expected<std::vector<std::pair<std::string, std::string>>> checked_config::rdkafka_properties() const {
  std::vector<std::pair<std::string, std::string>> out;
  std::size_t position = 0;
  for (const auto& item : caf::get_or(*this, "kafka.properties", std::vector<std::string>{})) {
    ++position;
    auto eq = item.find('=');
    // Not the entry itself: "sasl.password:..." would print the secret.
    if (eq == std::string::npos || eq == 0)
      return invalid_option("kafka.properties entry " + std::to_string(position)
                            + " is not of the form \"name=value\" (its text is not shown: it may hold a secret)");
    out.emplace_back(item.substr(0, eq), item.substr(eq + 1));
  }
  // Secrets come from the environment, after the file, so that they win.
  for (auto& property : rdkafka_properties_from_environment(environ))
    out.push_back(std::move(property));
  return out;
}

caf::expected<std::string> checked_config::log_level(const std::string& fallback) const {
  static const std::set<std::string> levels = {"trace", "debug", "info", "warn", "error"};
  auto level = string_option("log.level", fallback);
  if (levels.count(level) == 0)
    return invalid_option("log.level = \"" + level + "\" is not one of trace, debug, info, warn, error");
  return level;
}

caf::expected<log_format> checked_config::log_line_format(log_format fallback) const {
  auto format = string_option("log.format", fallback == log_format::json ? "json" : "text");
  if (format == "text")
    return log_format::text;
  if (format == "json")
    return log_format::json;
  return invalid_option("log.format = \"" + format + "\" is not one of \"text\", \"json\"");
}

std::optional<int> parse_command_line(checked_config& cfg, int argc, char** argv, const char* program,
                                      const char* default_file) {
  auto usage_error = [program](const std::string& message) {
    std::cerr << program << ": " << message << "\nRun " << program << " --help for the options.\n";
    return exit_usage;
  };
  std::vector<std::string> args{argv + 1, argv + argc};
  std::string config_path = default_file;
  bool explicit_path = false;
  for (auto it = args.begin(); it != args.end();) {
    auto& arg = *it;
    // CAF's --help lists only its global options; the program's are in the long help.
    if (arg == "--help" || arg == "-h" || arg == "-?")
      arg = "--long-help";
    if (arg.rfind("--config-file=", 0) == 0) {
      config_path = arg.substr(14);
      explicit_path = true;
    }
    // CAF takes boolean flags bare (--job.drain): accept the explicit =true / =false too.
    auto eq = arg.find('=');
    if (arg.rfind("--", 0) == 0 && eq != std::string::npos) {
      auto key = arg.substr(2, eq - 2);
      auto value = arg.substr(eq + 1);
      bool boolean = std::any_of(cfg.options().begin(), cfg.options().end(), [&](const option_spec& spec) {
        return spec.kind == option_kind::boolean && key == std::string{spec.section} + "." + spec.name;
      });
      if (boolean && value == "true") {
        arg = "--" + key;
      } else if (boolean && value == "false") {
        it = args.erase(it);
        continue;
      } else if (value.empty()) {
        arg += "\"\""; // --kafka.stats-topic= (an empty string): CAF wants it quoted
      }
    }
    ++it;
  }
  std::ifstream file{config_path};
  if (!file && explicit_path)
    return usage_error("cannot read config file " + config_path);
  std::istringstream no_file;
  std::istream& ini = file ? static_cast<std::istream&>(file) : no_file;
  if (auto err = cfg.parse_checked(std::move(args), ini))
    return usage_error("bad configuration in " + config_path + " or the command line: " + caf::to_string(err));
  if (cfg.cli_helptext_printed)
    return exit_ok;
  if (!cfg.remainder.empty())
    return usage_error("unexpected argument " + cfg.remainder.front());
  if (auto err = cfg.check_options())
    return usage_error(describe_error(err));
  return std::nullopt;
}

void install_stop_signals() {
  std::signal(SIGINT, on_stop_signal);
  std::signal(SIGTERM, on_stop_signal);
}

const std::atomic<bool>& stop_requested() {
  return stop_flag;
}

void request_stop() {
  stop_flag.store(true);
}

} // namespace kstream
