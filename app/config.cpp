#include "app/config.hpp"

#include <caf/config_value.hpp>
#include <caf/settings.hpp>
#include <caf/sec.hpp>

#include <unistd.h>

extern char** environ;

#include <algorithm>
#include <cctype>
#include <iterator>
#include <set>
#include <sstream>

namespace kstream {

const char* to_string(delivery_guarantee guarantee) noexcept {
  return guarantee == delivery_guarantee::exactly_once ? "exactly_once" : "at_least_once";
}

namespace {

// Every option of the job: section, name, kind (for the type check) and description.
enum class option_kind { string, integer, boolean, string_list };

struct option_spec {
  const char* section;
  const char* name;
  option_kind kind;
  const char* description;
};

constexpr option_spec job_options[] = {
  {"kafka", "bootstrap-servers", option_kind::string, "Kafka bootstrap servers, host:port[,host:port]"},
  {"kafka", "group-id", option_kind::string, "consumer group id"},
  {"kafka", "input-topic", option_kind::string, "topic to read"},
  {"kafka", "output-topic", option_kind::string, "topic for enriched records"},
  {"kafka", "dlq-topic", option_kind::string, "dead-letter topic for values that are not JSON objects"},
  {"kafka", "transactional-id", option_kind::string, "transactional.id (default <group-id>-<hostname>)"},
  {"kafka", "static-membership", option_kind::boolean,
   "join as <group-id>-<hostname> (group.instance.id): a restart gets its partitions back at once"},
  {"kafka", "properties", option_kind::string_list, "extra librdkafka properties, [\"name=value\", ...]"},
  {"job", "guarantee", option_kind::string, "exactly_once or at_least_once"},
  {"job", "max-in-flight", option_kind::integer, "records in flight per partition before it is paused"},
  {"job", "batch-size", option_kind::integer, "records per batch between actors"},
  {"job", "commit-interval-ms", option_kind::integer, "transaction / offset commit interval"},
  {"job", "drain", option_kind::boolean, "exit once all partitions are at their end and committed"},
  {"job", "shutdown-timeout-ms", option_kind::integer, "bound on a graceful stop"},
  {"http", "port", option_kind::integer, "HTTP port for /healthz /readyz /metrics (0 = off)"},
  {"http", "bind-address", option_kind::string, "HTTP bind address"},
  {"log", "level", option_kind::string, "trace, debug, info, warn or error"},
  {"log", "progress-interval-ms", option_kind::integer, "progress line interval (0 = off)"},
};

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

caf::error invalid(const std::string& what) {
  return caf::make_error(caf::sec::invalid_argument, what);
}

std::string hostname() {
  char name[256] = {};
  if (gethostname(name, sizeof(name) - 1) != 0 || name[0] == '\0')
    return "localhost";
  return name;
}

} // namespace

app_config::app_config() {
  for (const auto& spec : job_options) {
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

std::string describe_error(const caf::error& error) {
  if (error.context().match_elements<std::string>())
    return error.context().get_as<std::string>(0);
  return caf::to_string(error);
}

std::vector<std::pair<std::string, std::string>> rdkafka_properties_from_environment(char** env) {
  static constexpr std::string_view prefix = "KSTREAM_RDKAFKA_";
  std::vector<std::pair<std::string, std::string>> result;
  for (; env != nullptr && *env != nullptr; ++env) {
    std::string_view entry{*env};
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

caf::error app_config::parse_checked(std::vector<std::string> args, std::istream& ini) {
  std::string text{std::istreambuf_iterator<char>{ini}, std::istreambuf_iterator<char>{}};
  std::istringstream raw_in{text};
  auto raw = caf::actor_system_config::parse_config(raw_in);
  if (!raw)
    return raw.error();
  raw_file_ = std::move(*raw);
  std::istringstream in{text};
  return parse(std::move(args), in);
}

namespace {

// Checks one parsed dictionary (CAF's content, or the file as written) for values of the
// wrong type and for unknown options in the job's sections.
caf::error check_options(const caf::settings& parsed) {
  static const std::set<std::string> known_sections = {"kafka", "job", "http", "log"};
  for (const auto& [section_name, section] : parsed) {
    if (known_sections.count(section_name) == 0)
      continue;
    auto dict = caf::get_if<caf::settings>(&section);
    if (dict == nullptr)
      continue;
    for (const auto& [name, value] : *dict) {
      auto spec = std::find_if(std::begin(job_options), std::end(job_options), [&](const option_spec& candidate) {
        return section_name == candidate.section && name == candidate.name;
      });
      if (spec == std::end(job_options))
        return invalid("unknown option " + section_name + "." + name + " (see app/caf-application.ini for the options)");
      if (!has_kind(value, spec->kind))
        return invalid("option " + section_name + "." + name + " = " + caf::to_string(value) + " is not "
                       + kind_name(spec->kind) + " (" + spec->description + ")");
    }
  }
  return caf::none;
}

} // namespace

caf::expected<job_settings> app_config::validate() const {
  job_settings out;
  // A wrongly typed value would otherwise be dropped without a word, and a misspelt
  // option (kafka.bootstrap-server) would leave the default in place.
  for (const auto* parsed : {&raw_file_, &content})
    if (auto err = check_options(*parsed))
      return err;
  auto str = [&](const char* key, std::string fallback) { return caf::get_or(*this, key, fallback); };
  auto num = [&](const char* key, caf::config_value::integer fallback) {
    return caf::get_or(*this, key, fallback);
  };
  out.bootstrap_servers = str("kafka.bootstrap-servers", out.bootstrap_servers);
  out.group_id = str("kafka.group-id", out.group_id);
  out.input_topic = str("kafka.input-topic", out.input_topic);
  out.output_topic = str("kafka.output-topic", out.output_topic);
  out.dlq_topic = str("kafka.dlq-topic", out.dlq_topic);
  out.transactional_id = str("kafka.transactional-id", "");
  for (const char* key : {"kafka.bootstrap-servers", "kafka.group-id", "kafka.input-topic", "kafka.output-topic",
                          "kafka.dlq-topic"})
    if (str(key, "unset").empty())
      return invalid(std::string{"option "} + key + " must not be empty");
  if (out.input_topic == out.output_topic || out.input_topic == out.dlq_topic || out.output_topic == out.dlq_topic)
    return invalid("kafka.input-topic, kafka.output-topic and kafka.dlq-topic must be three different topics (got \""
                   + out.input_topic + "\", \"" + out.output_topic + "\", \"" + out.dlq_topic + "\")");
  for (const auto& item : caf::get_or(*this, "kafka.properties", std::vector<std::string>{})) {
    auto eq = item.find('=');
    if (eq == std::string::npos || eq == 0)
      return invalid("kafka.properties entry \"" + item + "\" is not of the form \"name=value\"");
    out.extra_properties.emplace_back(item.substr(0, eq), item.substr(eq + 1));
  }
  auto guarantee = str("job.guarantee", "exactly_once");
  if (guarantee == "exactly_once")
    out.guarantee = delivery_guarantee::exactly_once;
  else if (guarantee == "at_least_once")
    out.guarantee = delivery_guarantee::at_least_once;
  else
    return invalid("job.guarantee = \"" + guarantee + "\" is not one of \"exactly_once\", \"at_least_once\"");
  auto positive = [&](const char* key, caf::config_value::integer fallback, caf::config_value::integer min,
                      caf::config_value::integer max, auto& field) -> caf::error {
    auto value = num(key, fallback);
    if (value < min || value > max)
      return invalid(std::string{"option "} + key + " = " + std::to_string(value) + " is out of range ["
                     + std::to_string(min) + ", " + std::to_string(max) + "]");
    field = static_cast<std::remove_reference_t<decltype(field)>>(value);
    return caf::none;
  };
  if (auto err = positive("job.max-in-flight", 20000, 1, 10'000'000, out.max_in_flight))
    return err;
  if (auto err = positive("job.batch-size", 1000, 1, 1'000'000, out.batch_size))
    return err;
  if (auto err = positive("job.commit-interval-ms", 1000, 10, 3'600'000, out.commit_interval_ms))
    return err;
  if (auto err = positive("job.shutdown-timeout-ms", 30000, 100, 3'600'000, out.shutdown_timeout_ms))
    return err;
  if (auto err = positive("http.port", 8080, 0, 65535, out.http_port))
    return err;
  if (auto err = positive("log.progress-interval-ms", 5000, 0, 3'600'000, out.progress_interval_ms))
    return err;
  out.drain = caf::get_or(*this, "job.drain", false);
  out.http_bind_address = str("http.bind-address", out.http_bind_address);
  out.log_level = str("log.level", out.log_level);
  static const std::set<std::string> levels = {"trace", "debug", "info", "warn", "error"};
  if (levels.count(out.log_level) == 0)
    return invalid("log.level = \"" + out.log_level + "\" is not one of trace, debug, info, warn, error");
  if (out.batch_size > out.max_in_flight)
    return invalid("job.batch-size (" + std::to_string(out.batch_size) + ") must not exceed job.max-in-flight ("
                   + std::to_string(out.max_in_flight) + ")");
  // Secrets come from the environment, after the file, so that they win.
  for (auto& property : rdkafka_properties_from_environment(environ))
    out.extra_properties.push_back(std::move(property));
  const auto instance_name = out.group_id + "-" + hostname();
  if (out.guarantee == delivery_guarantee::exactly_once && out.transactional_id.empty())
    out.transactional_id = instance_name;
  if (caf::get_or(*this, "kafka.static-membership", false))
    out.group_instance_id = instance_name;
  return out;
}

} // namespace kstream
