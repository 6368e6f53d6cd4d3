#include "app/stats_config.hpp"

#include "app/config.hpp"

#include <caf/config_value.hpp>
#include <caf/sec.hpp>
#include <caf/settings.hpp>

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <set>

extern char** environ;

namespace kstream {

namespace {

enum class kind { string, integer, boolean, string_list };

struct spec {
  const char* section;
  const char* name;
  kind type;
  const char* description;
};

constexpr spec stats_options[] = {
  {"kafka", "bootstrap-servers", kind::string, "Kafka bootstrap servers, host:port[,host:port]"},
  {"kafka", "group-id", kind::string, "prefix of the view's consumer group: each process joins <prefix>-<host>-<pid>"},
  {"kafka", "input-topic", kind::string, "topic of enriched records to count"},
  {"kafka", "stats-topic", kind::string, "compacted changelog topic for the table (\"\" = off)"},
  {"kafka", "properties", kind::string_list, "extra librdkafka properties, [\"name=value\", ...]"},
  {"job", "batch-size", kind::integer, "records per batch from the consumer to the aggregator"},
  {"job", "max-in-flight", kind::integer, "records in flight per partition"},
  {"job", "drain", kind::boolean, "print the final table and exit once every partition is at its end"},
  {"job", "shutdown-timeout-ms", kind::integer, "bound on a graceful stop"},
  {"job", "publish-interval-ms", kind::integer, "changelog publication interval"},
  {"http", "port", kind::integer, "HTTP port for / (page), /stats, /healthz, /readyz, /metrics (0 = off)"},
  {"http", "bind-address", kind::string, "HTTP bind address"},
  {"view", "terminal", kind::string, "\"auto\" (live when stdout is a terminal), \"live\" or \"plain\""},
  {"view", "refresh-ms", kind::integer, "live view redraw interval"},
  {"log", "level", kind::string, "trace, debug, info, warn or error"},
};

bool has_kind(const caf::config_value& value, kind type) {
  switch (type) {
    case kind::string:
      return caf::holds_alternative<std::string>(value);
    case kind::integer:
      return caf::holds_alternative<caf::config_value::integer>(value);
    case kind::boolean:
      return caf::holds_alternative<bool>(value);
    case kind::string_list: {
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

} // namespace

stats_config::stats_config() {
  opt_group{custom_options_, "global"}.add(
    expect_manifest, "expect-manifest",
    "with --job.drain: a generator manifest.json (or its folder) the final table must equal; exit 1 if not");
  for (const auto& option : stats_options) {
    opt_group group{custom_options_, option.section};
    switch (option.type) {
      case kind::string:
        group.add<std::string>(option.name, option.description);
        break;
      case kind::integer:
        group.add<caf::config_value::integer>(option.name, option.description);
        break;
      case kind::boolean:
        group.add<bool>(option.name, option.description);
        break;
      case kind::string_list:
        group.add<std::vector<std::string>>(option.name, option.description);
        break;
    }
  }
}

caf::expected<stats_settings> stats_config::validate() const {
  stats_settings out;
  const std::set<std::string> sections = {"kafka", "job", "http", "view", "log"};
  for (const auto& section_name : sections) {
    auto section = content.find(section_name);
    if (section == content.end())
      continue;
    auto dict = caf::get_if<caf::settings>(&section->second);
    if (dict == nullptr)
      continue;
    for (const auto& [name, value] : *dict) {
      auto it = std::find_if(std::begin(stats_options), std::end(stats_options), [&](const spec& option) {
        return section_name == option.section && name == option.name;
      });
      if (it == std::end(stats_options))
        return invalid("unknown option " + section_name + "." + name + " (see app/kstream-stats.ini for the options)");
      if (!has_kind(value, it->type))
        return invalid("option " + section_name + "." + name + " = " + caf::to_string(value) + " has the wrong type ("
                       + it->description + ")");
    }
  }
  auto str = [&](const char* key, const std::string& fallback) { return caf::get_or(*this, key, fallback); };
  out.bootstrap_servers = str("kafka.bootstrap-servers", out.bootstrap_servers);
  out.group_id = str("kafka.group-id", out.group_id);
  out.input_topic = str("kafka.input-topic", out.input_topic);
  out.stats_topic = str("kafka.stats-topic", out.stats_topic);
  for (const char* key : {"kafka.bootstrap-servers", "kafka.group-id", "kafka.input-topic"})
    if (str(key, "unset").empty())
      return invalid(std::string{"option "} + key + " must not be empty");
  // The view commits nothing and re-reads everything on each start, so a shared group buys
  // nothing and costs correctness: two views in one group would split the partitions and
  // each show part of the table. Every process gets a group of its own under the prefix.
  {
    char host[256] = {};
    if (gethostname(host, sizeof(host) - 1) != 0 || host[0] == '\0')
      std::snprintf(host, sizeof(host), "localhost");
    out.group_id += "-" + std::string{host} + "-" + std::to_string(getpid());
  }
  if (out.stats_topic == out.input_topic)
    return invalid("kafka.stats-topic must differ from kafka.input-topic (\"" + out.input_topic + "\")");
  for (const auto& item : caf::get_or(*this, "kafka.properties", std::vector<std::string>{})) {
    auto eq = item.find('=');
    if (eq == std::string::npos || eq == 0)
      return invalid("kafka.properties entry \"" + item + "\" is not of the form \"name=value\"");
    out.extra_properties.emplace_back(item.substr(0, eq), item.substr(eq + 1));
  }
  for (auto& property : rdkafka_properties_from_environment(environ))
    out.extra_properties.push_back(std::move(property));
  auto ranged = [&](const char* key, caf::config_value::integer fallback, caf::config_value::integer min,
                    caf::config_value::integer max, auto& field) -> caf::error {
    auto value = caf::get_or(*this, key, fallback);
    if (value < min || value > max)
      return invalid(std::string{"option "} + key + " = " + std::to_string(value) + " is out of range ["
                     + std::to_string(min) + ", " + std::to_string(max) + "]");
    field = static_cast<std::remove_reference_t<decltype(field)>>(value);
    return caf::none;
  };
  if (auto err = ranged("job.batch-size", 1000, 1, 1'000'000, out.batch_size))
    return err;
  if (auto err = ranged("job.max-in-flight", 20000, 1, 10'000'000, out.max_in_flight))
    return err;
  if (auto err = ranged("job.shutdown-timeout-ms", 30000, 100, 3'600'000, out.shutdown_timeout_ms))
    return err;
  if (auto err = ranged("job.publish-interval-ms", 1000, 10, 3'600'000, out.publish_interval_ms))
    return err;
  if (auto err = ranged("http.port", 8090, 0, 65535, out.http_port))
    return err;
  if (auto err = ranged("view.refresh-ms", 250, 20, 60'000, out.refresh_ms))
    return err;
  if (out.batch_size > out.max_in_flight)
    return invalid("job.batch-size must not exceed job.max-in-flight");
  out.drain = caf::get_or(*this, "job.drain", false);
  out.expect_manifest = expect_manifest;
  if (!out.expect_manifest.empty() && !out.drain)
    return invalid("--expect-manifest needs --job.drain (the table is compared once it is final)");
  out.http_bind_address = str("http.bind-address", out.http_bind_address);
  auto terminal = str("view.terminal", "auto");
  if (terminal == "auto")
    out.terminal = terminal_mode::automatic;
  else if (terminal == "live")
    out.terminal = terminal_mode::live;
  else if (terminal == "plain")
    out.terminal = terminal_mode::plain;
  else
    return invalid("view.terminal = \"" + terminal + "\" is not one of \"auto\", \"live\", \"plain\"");
  out.log_level_given = static_cast<bool>(caf::get_if<std::string>(this, "log.level"));
  out.log_level = str("log.level", out.log_level);
  static const std::set<std::string> levels = {"trace", "debug", "info", "warn", "error"};
  if (levels.count(out.log_level) == 0)
    return invalid("log.level = \"" + out.log_level + "\" is not one of trace, debug, info, warn, error");
  return out;
}

} // namespace kstream
