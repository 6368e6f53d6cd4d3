// The stream job's options (app/config.hpp).
#include "app/config.hpp"

namespace kstream {

namespace {

const std::vector<option_spec> job_options = with_http_limits({
  {"kafka", "bootstrap-servers", option_kind::string, "Kafka bootstrap servers, host:port[,host:port]"},
  {"kafka", "group-id", option_kind::string, "consumer group id"},
  {"kafka", "input-topic", option_kind::string, "topic to read"},
  {"kafka", "output-topic", option_kind::string, "topic for enriched records"},
  {"kafka", "dlq-topic", option_kind::string, "dead-letter topic for values that are not JSON objects"},
  {"kafka", "instance-name", option_kind::string,
   "this instance's name in the default transactional id and group.instance.id (default: the host name)"},
  {"kafka", "transactional-id", option_kind::string, "transactional.id (default <group-id>-<instance-name>)"},
  {"kafka", "static-membership", option_kind::boolean,
   "join as <group-id>-<instance-name> (group.instance.id): a restart gets its partitions back at once"},
  {"kafka", "properties", option_kind::string_list, "extra librdkafka properties, [\"name=value\", ...]"},
  {"job", "guarantee", option_kind::string, "exactly_once or at_least_once"},
  {"job", "max-in-flight", option_kind::integer,
   "records in flight per instance, shared evenly by its partitions; a partition is paused at its share"},
  {"job", "max-in-flight-bytes", option_kind::integer,
   "bytes of records in flight per instance, shared like max-in-flight; sizes librdkafka's queues too"},
  {"job", "batch-size", option_kind::integer, "records per batch between actors"},
  {"job", "commit-interval-ms", option_kind::integer, "transaction / offset commit interval"},
  {"job", "drain", option_kind::boolean, "exit once all partitions are at their end and committed"},
  {"job", "shutdown-timeout-ms", option_kind::integer, "bound on a graceful stop"},
  {"job", "transaction-timeout-ms", option_kind::integer,
   "transaction.timeout.ms (exactly_once): how long a crashed instance's open transaction can hold read_committed readers back"},
  {"job", "stall-timeout-ms", option_kind::integer,
   "/healthz fails after this long without progress while records wait (0 = never)"},
  {"http", "port", option_kind::integer, "HTTP port for /healthz /readyz /metrics (0 = off)"},
  {"http", "bind-address", option_kind::string, "HTTP bind address"},
  {"log", "level", option_kind::string, "trace, debug, info, warn or error"},
  {"log", "format", option_kind::string, "text or json (one object a line); UTC timestamps in both"},
  {"log", "progress-interval-ms", option_kind::integer, "progress line interval (0 = off)"},
});

/// The transaction timeout against the intervals it must cover; one setting for it.
caf::error check_transaction_timeout(const job_settings& s) {
  for (const auto& [name, value] : s.extra_properties)
    if (name == "transaction.timeout.ms")
      return invalid_option(
        "transaction.timeout.ms=" + value
        + " in kafka.properties (or KSTREAM_RDKAFKA_TRANSACTION_TIMEOUT_MS): "
          "set job.transaction-timeout-ms instead, which the job also checks and uses for its retries");
  if (s.guarantee != delivery_guarantee::exactly_once)
    return {};
  const auto timeout = std::to_string(s.transaction_timeout_ms);
  // A transaction stays open for a commit interval plus the flush and the commit; the broker
  // aborts one that outlives the timeout, and every commit would fail.
  if (s.transaction_timeout_ms < 2 * s.commit_interval_ms)
    return invalid_option("job.transaction-timeout-ms (" + timeout + ") must be at least twice job.commit-interval-ms ("
                          + std::to_string(s.commit_interval_ms)
                          + "): a transaction stays open a commit interval plus its flush and commit, and the broker "
                            "aborts one that outlives the timeout; raise the timeout or shorten the interval");
  // A graceful stop ends with a commit that is retried for up to the transaction timeout:
  // a shorter stop would give up on a commit that could still succeed (exit 1, the work redone).
  if (s.shutdown_timeout_ms < s.transaction_timeout_ms)
    return invalid_option("job.shutdown-timeout-ms (" + std::to_string(s.shutdown_timeout_ms)
                          + ") must be at least job.transaction-timeout-ms (" + timeout
                          + "): a graceful stop ends with a commit retried for up to the transaction timeout; "
                            "raise the shutdown timeout or lower the transaction timeout");
  return {};
}

} // namespace

app_config::app_config() : checked_config(job_options, "app/caf-application.ini") {
  // CAF 0.17's work-stealing workers poll for work (nanosleep loops of 50 us) instead of
  // blocking: on a small machine that shares its cores with librdkafka's threads (and often
  // the broker) they took a third of the job's CPU in context switches. The sharing policy's
  // workers block on a condition variable: the job's CPU and wall time on the full set are in
  // bench/README.md ("Scheduler, prefetch and producer"). caf-application.ini or
  // --scheduler.policy overrides it.
  set("scheduler.policy", caf::atom("sharing"));
}

caf::expected<job_settings> app_config::validate() const {
  if (auto err = check_options())
    return err;
  const job_settings defaults;
  job_settings out;
  out.bootstrap_servers = string_option("kafka.bootstrap-servers", out.bootstrap_servers);
  out.group_id = string_option("kafka.group-id", out.group_id);
  out.input_topic = string_option("kafka.input-topic", out.input_topic);
  out.output_topic = string_option("kafka.output-topic", out.output_topic);
  out.dlq_topic = string_option("kafka.dlq-topic", out.dlq_topic);
  out.transactional_id = string_option("kafka.transactional-id", defaults.transactional_id);
  if (auto err = require_non_empty(
        {"kafka.bootstrap-servers", "kafka.group-id", "kafka.input-topic", "kafka.output-topic", "kafka.dlq-topic"}))
    return err;
  if (out.input_topic == out.output_topic || out.input_topic == out.dlq_topic || out.output_topic == out.dlq_topic)
    return invalid_option("kafka.input-topic, kafka.output-topic and kafka.dlq-topic must be three different topics "
                          "(got \""
                          + out.input_topic + "\", \"" + out.output_topic + "\", \"" + out.dlq_topic + "\")");
  auto guarantee = string_option("job.guarantee", to_string(defaults.guarantee));
  if (guarantee == "exactly_once")
    out.guarantee = delivery_guarantee::exactly_once;
  else if (guarantee == "at_least_once")
    out.guarantee = delivery_guarantee::at_least_once;
  else
    return invalid_option("job.guarantee = \"" + guarantee + "\" is not one of \"exactly_once\", \"at_least_once\"");
  for (auto err :
       {read_ranged("job.max-in-flight", defaults.max_in_flight, 1, 10'000'000, out.max_in_flight),
        read_ranged("job.max-in-flight-bytes", static_cast<std::int64_t>(defaults.max_in_flight_bytes),
                    std::int64_t{1} << 20, std::int64_t{64} << 30, out.max_in_flight_bytes),
        read_ranged("job.batch-size", defaults.batch_size, 1, 1'000'000, out.batch_size),
        read_ranged("job.commit-interval-ms", defaults.commit_interval_ms, 10, 3'600'000, out.commit_interval_ms),
        read_ranged("job.shutdown-timeout-ms", defaults.shutdown_timeout_ms, 100, 3'600'000, out.shutdown_timeout_ms),
        // librdkafka's own range; the broker caps it at transaction.max.timeout.ms (15 min)
        read_ranged("job.transaction-timeout-ms", defaults.transaction_timeout_ms, 1000, 900'000,
                    out.transaction_timeout_ms),
        read_ranged("job.stall-timeout-ms", defaults.stall_timeout_ms, 0, 86'400'000, out.stall_timeout_ms),
        read_ranged("http.port", defaults.http_port, 0, 65535, out.http_port),
        read_ranged("log.progress-interval-ms", defaults.progress_interval_ms, 0, 3'600'000, out.progress_interval_ms)})
    if (err)
      return err;
  if (out.batch_size > out.max_in_flight)
    return invalid_option("job.batch-size (" + std::to_string(out.batch_size) + ") must not exceed job.max-in-flight ("
                          + std::to_string(out.max_in_flight) + ")");
  out.drain = caf::get_or(*this, "job.drain", defaults.drain);
  out.http_bind_address = string_option("http.bind-address", out.http_bind_address);
  if (auto err = read_http_limits(out))
    return err;
  auto level = log_level(out.log_level);
  if (!level)
    return level.error();
  out.log_level = *level;
  auto format = log_line_format(defaults.log_line_format);
  if (!format)
    return format.error();
  out.log_line_format = *format;
  auto properties = rdkafka_properties();
  if (!properties)
    return properties.error();
  out.extra_properties = std::move(*properties);
  if (auto err = check_transaction_timeout(out))
    return err;
  // A pod's name where the host name is not the instance's (a hostNetwork pod has the node's).
  auto instance = string_option("kafka.instance-name", "");
  const auto instance_name = out.group_id + "-" + (instance.empty() ? host_name() : instance);
  if (out.guarantee == delivery_guarantee::exactly_once && out.transactional_id.empty())
    out.transactional_id = instance_name;
  if (caf::get_or(*this, "kafka.static-membership", !defaults.group_instance_id.empty()))
    out.group_instance_id = instance_name;
  return out;
}

} // namespace kstream
