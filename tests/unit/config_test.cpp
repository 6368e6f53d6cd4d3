// The options of both binaries: defaults, sample files, checking (app/config, app/stats_config).
#include "adapters/kafka_clients.hpp"
#include "adapters/kafka_record_sink.hpp"
#include "app/config.hpp"
#include "app/stats_config.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <set>
#include <sstream>

using namespace kstream;

namespace {

caf::expected<job_settings> settings_from(const std::string& ini, std::vector<std::string> args = {}) {
  app_config cfg;
  std::istringstream in{ini};
  if (auto err = cfg.parse_checked(std::move(args), in))
    return err;
  return cfg.validate();
}

std::string error_of(const std::string& ini, std::vector<std::string> args = {}) {
  auto result = settings_from(ini, std::move(args));
  REQUIRE_FALSE(result);
  return describe_error(result.error());
}

} // namespace

TEST_CASE("defaults are the documented ones", "[config]") {
  auto settings = settings_from("");
  REQUIRE(settings);
  CHECK(settings->bootstrap_servers == "127.0.0.1:9092");
  CHECK(settings->input_topic == "expedia");
  CHECK(settings->output_topic == "expedia_ext");
  CHECK(settings->dlq_topic == "expedia_dlq");
  CHECK(settings->guarantee == delivery_guarantee::exactly_once);
  CHECK(settings->transactional_id.rfind("kstream-app-", 0) == 0);
  CHECK(settings->http_port == 8080);
}

TEST_CASE("the sample config file is valid and complete", "[config]") {
  std::ifstream file{KSTREAM_SOURCE_DIR "/app/caf-application.ini"};
  REQUIRE(file);
  std::stringstream text;
  text << file.rdbuf();
  auto settings = settings_from(text.str());
  REQUIRE(settings);
  CHECK(settings->max_in_flight == 60000);
  CHECK(settings->batch_size == 1000);
}

TEST_CASE("file values and command-line flags", "[config]") {
  auto settings = settings_from("[kafka]\ngroup-id=\"g1\"\nproperties=[\"linger.ms=20\"]\n[job]\n"
                                "guarantee=\"at_least_once\"\nmax-in-flight=500\n",
                                {"--kafka.group-id=g2", "--job.batch-size=50"});
  REQUIRE(settings);
  CHECK(settings->group_id == "g2"); // the command line wins
  CHECK(settings->guarantee == delivery_guarantee::at_least_once);
  CHECK(settings->max_in_flight == 500u);
  CHECK(settings->batch_size == 50u);
  CHECK(settings->transactional_id.empty()); // only exactly_once needs one
  REQUIRE(settings->extra_properties.size() >= 1);
  CHECK(settings->extra_properties.front() == std::pair<std::string, std::string>{"linger.ms", "20"});
}

TEST_CASE("the instance name gives the transactional id and the static member's id", "[config]") {
  auto named = settings_from("[kafka]\ngroup-id=\"g\"\ninstance-name=\"kstream-app-2\"\nstatic-membership=true\n");
  REQUIRE(named);
  CHECK(named->transactional_id == "g-kstream-app-2");
  CHECK(named->group_instance_id == "g-kstream-app-2");
  auto unnamed = settings_from("[kafka]\ngroup-id=\"g\"\ninstance-name=\"\"\n");
  REQUIRE(unnamed);
  CHECK(unnamed->transactional_id == "g-" + host_name());
  CHECK(unnamed->group_instance_id.empty());
}

TEST_CASE("the transaction timeout: 10 s unless set, checked against the commit interval and the stop", "[config]") {
  auto defaults = settings_from("");
  REQUIRE(defaults);
  CHECK(defaults->transaction_timeout_ms == 10000);
  auto set = settings_from("[job]\ntransaction-timeout-ms=20000\n");
  REQUIRE(set);
  CHECK(set->transaction_timeout_ms == 20000);
  CHECK(
    error_of("[job]\ncommit-interval-ms=6000\n")
    == "job.transaction-timeout-ms (10000) must be at least twice job.commit-interval-ms (6000): a transaction stays "
       "open a commit interval plus its flush and commit, and the broker aborts one that outlives the timeout; raise "
       "the timeout or shorten the interval");
  CHECK(error_of("[job]\nshutdown-timeout-ms=5000\n")
          .find("job.shutdown-timeout-ms (5000) must be at least "
                "job.transaction-timeout-ms (10000)")
        == 0);
  CHECK(error_of("[job]\ntransaction-timeout-ms=500\n")
        == "option job.transaction-timeout-ms = 500 is out of range [1000, 900000]");
  CHECK(
    error_of("[kafka]\nproperties=[\"transaction.timeout.ms=60000\"]\n").find("set job.transaction-timeout-ms instead")
    != std::string::npos);
  // at_least_once has no transaction: the intervals are not tied to it
  CHECK(settings_from("[job]\nguarantee=\"at_least_once\"\ncommit-interval-ms=6000\nshutdown-timeout-ms=5000\n"));
}

TEST_CASE("bad values are refused with the option's name", "[config]") {
  CHECK(error_of("[job]\nguarantee=\"twice\"\n")
        == R"(job.guarantee = "twice" is not one of "exactly_once", "at_least_once")");
  CHECK(error_of("[job]\nmax-in-flight=0\n") == "option job.max-in-flight = 0 is out of range [1, 10000000]");
  CHECK(error_of("[job]\nmax-in-flight-bytes=1000\n")
        == "option job.max-in-flight-bytes = 1000 is out of range [1048576, 68719476736]");
  CHECK(error_of("[job]\nmax-in-flight=\"many\"\n").find("job.max-in-flight") != std::string::npos);
  CHECK(error_of("[http]\nport=70000\n") == "option http.port = 70000 is out of range [0, 65535]");
  CHECK(error_of("[http]\nmax-connections=0\n") == "option http.max-connections = 0 is out of range [1, 10000]");
  CHECK(error_of("[http]\nidle-timeout-ms=5\n") == "option http.idle-timeout-ms = 5 is out of range [100, 3600000]");
  CHECK(error_of("[log]\nlevel=\"loud\"\n").find("log.level") != std::string::npos);
  // A malformed entry is named by its position, never shown: it may hold a secret.
  CHECK(error_of("[kafka]\nproperties=[\"linger.ms=5\", \"sasl.password:hunter22\"]\n")
        == "kafka.properties entry 2 is not of the form \"name=value\" (its text is not shown: it may hold a secret)");
  CHECK(error_of("[log]\nformat=\"xml\"\n") == R"(log.format = "xml" is not one of "text", "json")");
  CHECK(error_of("[job]\nstall-timeout-ms=-1\n") == "option job.stall-timeout-ms = -1 is out of range [0, 86400000]");
  CHECK(error_of("[kafka]\noutput-topic=\"expedia\"\n").find("three different topics") != std::string::npos);
  CHECK(error_of("[kafka]\ngroup-id=\"\"\n") == "option kafka.group-id must not be empty");
  CHECK(error_of("[job]\nbatch-size=100\nmax-in-flight=10\n").find("must not exceed") != std::string::npos);
}

TEST_CASE("unknown options in the job's sections are refused", "[config]") {
  auto result = settings_from("[kafka]\nbootstrap-server=\"x:1\"\n");
  // CAF itself may already refuse it; either way it must not run on defaults.
  if (result) {
    FAIL("an unknown option was accepted");
  } else {
    CHECK(describe_error(result.error()).find("bootstrap-server") != std::string::npos);
  }
}

TEST_CASE("librdkafka properties from the environment", "[config]") {
  char a[] = "KSTREAM_RDKAFKA_SASL_PASSWORD=secret";
  char b[] = "PATH=/bin";
  char c[] = "KSTREAM_RDKAFKA_SECURITY_PROTOCOL=SASL_SSL";
  char* env[] = {a, b, c, nullptr};
  auto props = rdkafka_properties_from_environment(env);
  REQUIRE(props.size() == 2);
  CHECK(props[0] == std::pair<std::string, std::string>{"sasl.password", "secret"});
  CHECK(props[1] == std::pair<std::string, std::string>{"security.protocol", "SASL_SSL"});
}

TEST_CASE("a refused librdkafka property is named, its value never shown", "[config][security]") {
  // A mistyped secret property: the variable KSTREAM_RDKAFKA_SASL_PASSWROD=...
  auto unknown = make_rdkafka_conf({}, {{"sasl.passwrod", "hunter2-secret"}});
  REQUIRE_FALSE(unknown);
  auto text = describe_error(unknown.error());
  CHECK(text.find("sasl.passwrod") != std::string::npos);
  CHECK(text.find("KSTREAM_RDKAFKA_SASL_PASSWROD") != std::string::npos);
  CHECK(text.find("enableServiceLinks") != std::string::npos);
  CHECK(text.find("hunter2") == std::string::npos);
  // librdkafka's own message quotes an invalid value: it is taken out, long or short.
  for (std::string value : {"hunter2-secret", "abc"}) {
    auto invalid = make_rdkafka_conf({}, {{"enable.idempotence", value}});
    REQUIRE_FALSE(invalid);
    text = describe_error(invalid.error());
    INFO(text);
    CHECK(text.find("enable.idempotence") != std::string::npos);
    CHECK(text.find(value) == std::string::npos);
  }
}

namespace {

std::string read_file(const std::string& path) {
  std::ifstream file{path};
  REQUIRE(file);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

/// Every declared option is written in the sample file, as "name=" in its section.
void check_every_option_in(const checked_config& cfg, const std::string& sample) {
  std::string section;
  std::set<std::string> written;
  std::istringstream lines{sample};
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind('[', 0) == 0)
      section = line.substr(1, line.find(']') - 1);
    auto eq = line.find('=');
    if (!line.empty() && line[0] != ';' && line[0] != '[' && eq != std::string::npos)
      written.insert(section + "." + line.substr(0, eq));
  }
  for (const auto& spec : cfg.options()) {
    INFO("option " << spec.section << "." << spec.name);
    CHECK(written.count(std::string{spec.section} + "." + spec.name) == 1);
  }
}

} // namespace

TEST_CASE("the job's sample file writes every option with the settings structs' defaults", "[config][defaults]") {
  auto sample = read_file(KSTREAM_SOURCE_DIR "/app/caf-application.ini");
  check_every_option_in(app_config{}, sample);
  auto from_sample = settings_from(sample);
  auto from_nothing = settings_from("");
  REQUIRE(from_sample);
  REQUIRE(from_nothing);
  const job_settings defaults;
  for (const auto* s : {&*from_sample, &*from_nothing}) {
    CHECK(s->bootstrap_servers == defaults.bootstrap_servers);
    CHECK(s->group_id == defaults.group_id);
    CHECK(s->input_topic == defaults.input_topic);
    CHECK(s->output_topic == defaults.output_topic);
    CHECK(s->dlq_topic == defaults.dlq_topic);
    CHECK(s->group_instance_id == defaults.group_instance_id);
    CHECK(s->extra_properties.empty());
    CHECK(s->guarantee == defaults.guarantee);
    CHECK(s->max_in_flight == defaults.max_in_flight);
    CHECK(s->max_in_flight_bytes == defaults.max_in_flight_bytes);
    CHECK(s->batch_size == defaults.batch_size);
    CHECK(s->commit_interval_ms == defaults.commit_interval_ms);
    CHECK(s->drain == defaults.drain);
    CHECK(s->shutdown_timeout_ms == defaults.shutdown_timeout_ms);
    CHECK(s->transaction_timeout_ms == defaults.transaction_timeout_ms);
    CHECK(s->http_port == defaults.http_port);
    CHECK(s->http_bind_address == defaults.http_bind_address);
    CHECK(s->http_idle_timeout_ms == defaults.http_idle_timeout_ms);
    CHECK(s->http_request_timeout_ms == defaults.http_request_timeout_ms);
    CHECK(s->http_max_connections == defaults.http_max_connections);
    CHECK(s->log_level == defaults.log_level);
    CHECK(s->progress_interval_ms == defaults.progress_interval_ms);
    CHECK(s->log_line_format == defaults.log_line_format);
    CHECK(s->stall_timeout_ms == defaults.stall_timeout_ms);
  }
  CHECK(from_sample->transactional_id == from_nothing->transactional_id);
}

TEST_CASE("kstream-stats' sample file writes every option with the settings structs' defaults", "[config][defaults]") {
  auto sample = read_file(KSTREAM_SOURCE_DIR "/app/kstream-stats.ini");
  check_every_option_in(stats_config{}, sample);
  const stats_settings defaults;
  for (const std::string& ini : {sample, std::string{}}) {
    stats_config cfg;
    std::istringstream in{ini};
    REQUIRE_FALSE(cfg.parse_checked({}, in));
    auto s = cfg.validate();
    REQUIRE(s);
    CHECK(s->bootstrap_servers == defaults.bootstrap_servers);
    CHECK(s->group_id.rfind(defaults.group_id + "-", 0) == 0);
    CHECK(s->input_topic == defaults.input_topic);
    CHECK(s->stats_topic == defaults.stats_topic);
    CHECK(s->batch_size == defaults.batch_size);
    CHECK(s->max_in_flight == defaults.max_in_flight);
    CHECK(s->drain == defaults.drain);
    CHECK(s->shutdown_timeout_ms == defaults.shutdown_timeout_ms);
    CHECK(s->publish_interval_ms == defaults.publish_interval_ms);
    CHECK(s->state_topic == defaults.state_topic);
    CHECK(s->checkpoint_interval_ms == defaults.checkpoint_interval_ms);
    CHECK(s->http_port == defaults.http_port);
    CHECK(s->http_bind_address == defaults.http_bind_address);
    CHECK(s->http_idle_timeout_ms == defaults.http_idle_timeout_ms);
    CHECK(s->http_request_timeout_ms == defaults.http_request_timeout_ms);
    CHECK(s->http_max_connections == defaults.http_max_connections);
    CHECK(s->terminal == defaults.terminal);
    CHECK(s->refresh_ms == defaults.refresh_ms);
    CHECK(s->log_level == defaults.log_level);
    CHECK(s->log_line_format == defaults.log_line_format);
    CHECK(s->stall_timeout_ms == defaults.stall_timeout_ms);
  }
}

TEST_CASE("the producer's batches fit the smaller topic limit, its records the larger", "[config][limits]") {
  using domain::kafka_record_framing;
  auto budget = [](std::size_t limit) { return domain::record_size_budget{limit}; };
  // An output topic of 256 KiB beside a dead-letter topic of Kafka's default (1 MB + 12 bytes).
  auto limits = producer_limits_for(budget(262144), budget(1048588));
  CHECK(limits.max_message_bytes == 1048588u);
  CHECK(limits.max_batch_bytes == 262144u - kafka_record_framing);
  // The other way round too: the smaller one bounds the batches, whichever topic it is.
  CHECK(producer_limits_for(budget(1048588), budget(100000)).max_batch_bytes == 100000u - kafka_record_framing);
  // Large limits: librdkafka's own batch.size default (1,000,000) stays.
  CHECK(producer_limits_for(budget(8388608), budget(8388608)).max_batch_bytes == 1000000u);
  // Unknown limits (0): librdkafka's defaults.
  CHECK(producer_limits_for(budget(0), budget(0)).max_batch_bytes == 0u);
}

TEST_CASE("the consumer's prefetch weighs the same however many the input partitions", "[config][limits]") {
  constexpr std::uint64_t kib = 1024, mib = kib * kib;
  // The default bound (128 MiB): a 4 MiB fetch response, 1 MiB per partition at 3 partitions,
  // a share of the 4 MiB at 12, the 64 KiB floor at 96 (the response's own cap still holds).
  const auto three = prefetch_for(128 * mib, 3);
  CHECK(three.fetch_bytes == 4 * mib);
  CHECK(three.partition_fetch_bytes == mib);
  CHECK(three.queued_kbytes == 2048u);
  CHECK(prefetch_for(128 * mib, 12).partition_fetch_bytes == 4 * mib / 12);
  CHECK(prefetch_for(128 * mib, 96).partition_fetch_bytes == 64 * kib);
  CHECK(prefetch_for(128 * mib, 96).fetch_bytes == 4 * mib);
  // Small bounds keep librdkafka's workable minimum, large ones its 16 MiB cap.
  CHECK(prefetch_for(0, 0).fetch_bytes == mib);
  CHECK(prefetch_for(0, 0).queued_kbytes == 1u);
  CHECK(prefetch_for(std::uint64_t{8} << 30, 1).fetch_bytes == 16 * mib);
  CHECK(prefetch_for(std::uint64_t{8} << 30, 1).partition_fetch_bytes == mib);
}

TEST_CASE("a record size budget: the limit less the framing, less the reserve still to come", "[config][limits]") {
  const domain::record_size_budget output{1000, 100, 80};
  CHECK(output.fits(820)); // 820 + 80 + 100 = 1000
  CHECK_FALSE(output.fits(821));
  CHECK(output.fits_as_written(900)); // enriched already: no reserve
  CHECK_FALSE(output.fits_as_written(901));
  CHECK(output.batch_bytes() == 900u);
  CHECK(domain::record_size_budget{150, 100, 0}.batch_bytes() == 75u); // framing above half: half the limit
  CHECK(domain::record_size_budget{}.fits(std::size_t{1} << 40));      // no limit known
  // The sink's output budget carries the enrichment as its reserve, the dead-letter one none.
  const sink_topics topics;
  CHECK(topics.output_budget.reserve == domain::enrichment_reserve);
  CHECK(topics.output_budget.framing == domain::kafka_record_framing);
  CHECK(topics.dlq_budget.reserve == 0u);
}
