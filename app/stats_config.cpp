// kstream-stats' options (app/stats_config.hpp).
#include "app/stats_config.hpp"

#include <unistd.h>

#include <set>

namespace kstream {

namespace {

const std::vector<option_spec> stats_options = with_http_limits({
  {"kafka", "bootstrap-servers", option_kind::string, "Kafka bootstrap servers, host:port[,host:port]"},
  {"kafka", "group-id", option_kind::string,
   "prefix of the view's consumer group: each process joins <prefix>-<host>-<pid>"},
  {"kafka", "input-topic", option_kind::string, "topic of enriched records to count"},
  {"kafka", "stats-topic", option_kind::string, "compacted changelog topic for the table (\"\" = off)"},
  {"kafka", "state-topic", option_kind::string,
   "compacted topic of the table's checkpoints, a restart reads on from the last (\"\" = re-read everything)"},
  {"kafka", "properties", option_kind::string_list, "extra librdkafka properties, [\"name=value\", ...]"},
  {"job", "batch-size", option_kind::integer, "records per batch from the consumer to the aggregator"},
  {"job", "max-in-flight", option_kind::integer, "records in flight per instance, shared evenly by its partitions"},
  {"job", "drain", option_kind::boolean, "print the final table and exit once every partition is at its end"},
  {"job", "shutdown-timeout-ms", option_kind::integer, "bound on a graceful stop"},
  {"job", "publish-interval-ms", option_kind::integer, "changelog publication interval"},
  {"job", "checkpoint-interval-ms", option_kind::integer, "checkpoint interval (state topic) while the table changes"},
  {"job", "stall-timeout-ms", option_kind::integer,
   "/healthz fails after this long without progress while records wait (0 = never)"},
  {"http", "port", option_kind::integer, "HTTP port for / (page), /stats, /healthz, /readyz, /metrics (0 = off)"},
  {"http", "bind-address", option_kind::string, "HTTP bind address"},
  {"view", "terminal", option_kind::string, "\"auto\" (live when stdout is a terminal), \"live\" or \"plain\""},
  {"view", "refresh-ms", option_kind::integer, "live view redraw interval"},
  {"log", "level", option_kind::string, "trace, debug, info, warn or error"},
  {"log", "format", option_kind::string, "text or json (one object a line); UTC timestamps in both"},
});

} // namespace

stats_config::stats_config() : checked_config(stats_options, "app/kstream-stats.ini") {
  opt_group{custom_options_, "global"}.add(
    expect_manifest, "expect-manifest",
    "with --job.drain: a generator manifest.json (or its folder) the final table must equal; exit 1 if not");
}

caf::expected<stats_settings> stats_config::validate() const {
  if (auto err = check_options())
    return err;
  const stats_settings defaults;
  stats_settings out;
  auto str = [&](const char* key, const std::string& fallback) { return string_option(key, fallback); };
  out.bootstrap_servers = str("kafka.bootstrap-servers", out.bootstrap_servers);
  out.group_id = str("kafka.group-id", out.group_id);
  out.input_topic = str("kafka.input-topic", out.input_topic);
  out.stats_topic = str("kafka.stats-topic", out.stats_topic);
  out.state_topic = str("kafka.state-topic", out.state_topic);
  if (auto err = require_non_empty({"kafka.bootstrap-servers", "kafka.group-id", "kafka.input-topic"}))
    return err;
  // The view commits nothing and re-reads everything on each start, so a shared group buys
  // nothing and costs correctness: two views in one group would split the partitions and
  // each show part of the table. Every process gets a group of its own under the prefix.
  out.group_id += "-" + host_name() + "-" + std::to_string(getpid());
  if (out.stats_topic == out.input_topic)
    return invalid_option("kafka.stats-topic must differ from kafka.input-topic (\"" + out.input_topic + "\")");
  if (!out.state_topic.empty() && (out.state_topic == out.input_topic || out.state_topic == out.stats_topic))
    return invalid_option("kafka.state-topic (\"" + out.state_topic
                          + "\") must differ from kafka.input-topic and kafka.stats-topic");
  auto properties = rdkafka_properties();
  if (!properties)
    return properties.error();
  out.extra_properties = std::move(*properties);
  for (auto err :
       {read_ranged("job.batch-size", defaults.batch_size, 1, 1'000'000, out.batch_size),
        read_ranged("job.max-in-flight", defaults.max_in_flight, 1, 10'000'000, out.max_in_flight),
        read_ranged("job.shutdown-timeout-ms", defaults.shutdown_timeout_ms, 100, 3'600'000, out.shutdown_timeout_ms),
        read_ranged("job.publish-interval-ms", defaults.publish_interval_ms, 10, 3'600'000, out.publish_interval_ms),
        read_ranged("job.checkpoint-interval-ms", defaults.checkpoint_interval_ms, 10, 3'600'000,
                    out.checkpoint_interval_ms),
        read_ranged("job.stall-timeout-ms", defaults.stall_timeout_ms, 0, 86'400'000, out.stall_timeout_ms),
        read_ranged("http.port", defaults.http_port, 0, 65535, out.http_port),
        read_ranged("view.refresh-ms", defaults.refresh_ms, 20, 60'000, out.refresh_ms)})
    if (err)
      return err;
  if (out.batch_size > out.max_in_flight)
    return invalid_option("job.batch-size must not exceed job.max-in-flight");
  out.drain = caf::get_or(*this, "job.drain", defaults.drain);
  out.expect_manifest = expect_manifest;
  if (!out.expect_manifest.empty() && !out.drain)
    return invalid_option("--expect-manifest needs --job.drain (the table is compared once it is final)");
  out.http_bind_address = str("http.bind-address", out.http_bind_address);
  if (auto err = read_http_limits(out))
    return err;
  auto terminal = str("view.terminal", "auto");
  if (terminal == "auto")
    out.terminal = terminal_mode::automatic;
  else if (terminal == "live")
    out.terminal = terminal_mode::live;
  else if (terminal == "plain")
    out.terminal = terminal_mode::plain;
  else
    return invalid_option("view.terminal = \"" + terminal + "\" is not one of \"auto\", \"live\", \"plain\"");
  out.log_level_given = static_cast<bool>(caf::get_if<std::string>(this, "log.level"));
  auto level = log_level(out.log_level);
  if (!level)
    return level.error();
  out.log_level = *level;
  auto format = log_line_format(defaults.log_line_format);
  if (!format)
    return format.error();
  out.log_line_format = *format;
  return out;
}

} // namespace kstream
