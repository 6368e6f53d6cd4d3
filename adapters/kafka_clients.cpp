// The Kafka clients of both binaries (adapters/kafka_clients.hpp).
#include "adapters/kafka_clients.hpp"

#include "messages/errors.hpp"

#include <librdkafka/rdkafka.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdlib>

namespace kstream {

namespace {

caf::error failure(std::string what) {
  return make_error(job_error::kafka_setup, std::move(what));
}

/// `text` with every occurrence of `value` replaced: librdkafka quotes an invalid value in its
/// message ("Invalid value \"...\" for configuration property"). A short value is replaced
/// only where it stands quoted, so that it does not mangle the rest of the message.
std::string without_value(std::string text, const std::string& value) {
  constexpr std::size_t short_value = 6;
  if (value.empty())
    return text;
  const std::string needle = value.size() < short_value ? "\"" + value + "\"" : value;
  const std::string hidden = value.size() < short_value ? "\"(value not shown)\"" : "(value not shown)";
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + hidden.size()))
    text.replace(at, needle.size(), hidden);
  return text;
}

std::string environment_name_of(const std::string& property) {
  std::string name = "KSTREAM_RDKAFKA_";
  for (char c : property)
    name += c == '.' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return name;
}

extern "C" void forward_rdkafka_log(const rd_kafka_t* client, int level, const char* facility, const char* text) {
  log_rdkafka_line(level, client != nullptr ? rd_kafka_name(client) : "", facility, text);
}

} // namespace

void log_rdkafka_line(int syslog_level, const std::string& client, const std::string& facility,
                      const std::string& text) {
  // syslog levels: 0-2 emergency..critical, 3 error, 4 warning, 5 notice, 6 info, 7 debug.
  auto level = syslog_level <= 2   ? spdlog::level::critical
               : syslog_level == 3 ? spdlog::level::err
               : syslog_level == 4 ? spdlog::level::warn
               : syslog_level <= 6 ? spdlog::level::info
                                   : spdlog::level::debug;
  if (client.empty())
    spdlog::log(level, "rdkafka: {}: {}", facility, text);
  else
    spdlog::log(level, "rdkafka: {} {}: {}", client, facility, text);
}

std::string acl_hint(const std::string& operation, const std::string& resource) {
  return "; the client's principal needs " + operation + (resource.empty() ? "" : " on " + resource)
         + " (the ACLs are listed in README.md, section Security)";
}

std::string access_refusal(int code, const std::string& detail, const std::string& resource) {
  // librdkafka's texts end with a full stop or not; ours go on after them.
  const std::string what = !detail.empty() && detail.back() == '.' ? detail.substr(0, detail.size() - 1) : detail;
  switch (static_cast<RdKafka::ErrorCode>(code)) {
    case RdKafka::ERR__AUTHENTICATION:
      return "authentication failed (" + what
             + "); check sasl.mechanisms, sasl.username and the password (KSTREAM_RDKAFKA_SASL_PASSWORD), or the "
               "client certificate";
    case RdKafka::ERR__SSL:
      return "TLS failed (" + what
             + "); check ssl.ca.location (the CA that signed the brokers' certificates), that the brokers' "
               "certificates name the host in bootstrap-servers, and the client certificate and key";
    case RdKafka::ERR_TOPIC_AUTHORIZATION_FAILED:
    case RdKafka::ERR_GROUP_AUTHORIZATION_FAILED:
    case RdKafka::ERR_CLUSTER_AUTHORIZATION_FAILED:
    case RdKafka::ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED:
      return "not authorized (" + what + ")" + acl_hint(resource.empty() ? "an ACL" : resource, "");
    default:
      return {};
  }
}

client_events::client_events(const char* client) : client_(client) {
}

void client_events::event_cb(RdKafka::Event& event) {
  switch (event.type()) {
    case RdKafka::Event::EVENT_ERROR: {
      spdlog::warn("{}: {} ({})", client_, event.str(), RdKafka::err2str(event.err()));
      std::lock_guard<std::mutex> guard{mutex_};
      last_code_ = event.err();
      last_text_ = event.str();
      break;
    }
    case RdKafka::Event::EVENT_LOG:
      log_rdkafka_line(event.severity(), client_, event.fac(), event.str());
      break;
    default:
      break;
  }
}

std::pair<RdKafka::ErrorCode, std::string> client_events::last_error() const {
  std::lock_guard<std::mutex> guard{mutex_};
  return {last_code_, last_text_};
}

caf::error await_broker(RdKafka::KafkaConsumer& client, const client_events& events,
                        const std::string& bootstrap_servers, int timeout_ms) {
  constexpr int step_ms = 500;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    RdKafka::Metadata* raw = nullptr;
    auto code = client.metadata(false, nullptr, &raw, step_ms);
    delete raw;
    if (code == RdKafka::ERR_NO_ERROR)
      return caf::none;
    // Serves the queue, so that the error events reach `events` (before subscribe() it holds
    // no records).
    std::unique_ptr<RdKafka::Message>{client.consume(0)};
    // An authentication or TLS failure will not heal by waiting. A broker that refuses the
    // client's certificate does so after TLS 1.3's handshake: the client reads its alert as a
    // transport failure ("SSL alert number 46").
    auto [last_code, last_text] = events.last_error();
    if (last_code == RdKafka::ERR__TRANSPORT && last_text.find("SSL alert number") != std::string::npos)
      last_code = RdKafka::ERR__SSL;
    if (last_code == RdKafka::ERR__AUTHENTICATION || last_code == RdKafka::ERR__SSL)
      return failure("the brokers (" + bootstrap_servers
                     + ") refused the connection: " + access_refusal(last_code, last_text));
    if (std::chrono::steady_clock::now() >= deadline)
      return failure("no broker of " + bootstrap_servers + " answered within " + std::to_string(timeout_ms)
                     + " ms; is the broker reachable?"
                     + (last_code == RdKafka::ERR_NO_ERROR ? std::string{} : " The last error: " + last_text));
  }
}

caf::expected<std::unique_ptr<RdKafka::Conf>> make_rdkafka_conf(const property_list& defaults,
                                                                const property_list& overrides) {
  std::unique_ptr<RdKafka::Conf> conf{RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL)};
  // librdkafka's own lines (an authentication failure, a refused connection) through spdlog,
  // in the job's format, instead of librdkafka's on stderr. Called on librdkafka's threads
  // (spdlog's default logger is thread-safe). A client with an event_cb gets its log lines
  // there instead (the C++ API's trampoline): kafka_record_sink forwards them the same way.
  rd_kafka_conf_set_log_cb(conf->c_ptr_global(), forward_rdkafka_log);
  std::string err;
  for (const auto* list : {&defaults, &overrides}) {
    for (const auto& [name, value] : *list) {
      auto result = conf->set(name, value, err);
      if (result == RdKafka::Conf::CONF_OK)
        continue;
      // Never the value: a mistyped secret property (sasl.passwrod) holds the secret, and
      // librdkafka's own text quotes an invalid value.
      std::string what = "librdkafka property " + name + " (from kafka.properties or the environment variable "
                         + environment_name_of(name) + "; its value is not shown): " + without_value(err, value);
      if (result == RdKafka::Conf::CONF_UNKNOWN)
        what += "; check the spelling (a Kubernetes service-link variable of a Service whose name starts with "
                "\"kstream-rdkafka\" lands here too: set enableServiceLinks: false on the pod)";
      return make_error(job_error::invalid_option, what);
    }
  }
  return conf;
}

consumer_prefetch prefetch_for(std::uint64_t max_in_flight_bytes, int partitions) {
  // librdkafka decompresses each fetched batch into buffers that stay until their last record
  // is consumed, and a paused partition's prefetch is thrown away and fetched again on resume:
  // a fetch response costs several times its (compressed) size. So one response is kept to a
  // thirty-second of the bound (4 MiB at the default 128 MiB), and each partition's part of it
  // shrinks as the partitions grow, so that a response weighs the same at 3 partitions or 96.
  // Measured (full set, 128 MiB bound, lz4 input): with 16 MiB responses and 1 MiB per
  // partition, peak RSS was 204 MiB at 48 and at 96 partitions; with these, 90 and 64 MiB, and
  // no slower (bench/README.md, "Peak RSS and the partition count"). A record larger than a
  // partition's part still comes, alone (KIP-74). The local queue takes a sixteenth of the
  // bound (at most 2 MiB): librdkafka 2.0.2 checks it against the one consumer queue, so it
  // does not grow with the partitions.
  constexpr std::uint64_t kib = 1 << 10;
  constexpr std::uint64_t mib = 1 << 20;
  consumer_prefetch prefetch;
  prefetch.queued_kbytes = std::clamp<std::uint64_t>(max_in_flight_bytes / 16 / kib, 1, 2048);
  prefetch.fetch_bytes = std::clamp<std::uint64_t>(max_in_flight_bytes / 32, mib, 16 * mib);
  prefetch.partition_fetch_bytes = std::clamp<std::uint64_t>(prefetch.fetch_bytes
                                                               / static_cast<std::uint64_t>(std::max(1, partitions)),
                                                             64 * kib, mib);
  return prefetch;
}

caf::expected<std::unique_ptr<RdKafka::KafkaConsumer>> make_job_consumer(const kafka_settings& settings,
                                                                         RdKafka::RebalanceCb* rebalance_cb,
                                                                         const consumer_prefetch& prefetch,
                                                                         RdKafka::EventCb* event_cb) {
  property_list defaults = {
    {"bootstrap.servers", settings.bootstrap_servers},
    {"group.id", settings.group_id},
    {"client.id", "kstream-app-consumer"},
    // Offsets are committed by the job: in the transaction (exactly_once) or after
    // delivery acks (at_least_once), never on a timer behind its back.
    {"enable.auto.commit", "false"},
    {"enable.auto.offset.store", "false"},
    {"auto.offset.reset", "earliest"},
    {"enable.partition.eof", "true"},
    // A crashed instance's partitions move on after 10 s instead of Kafka's 45 s default.
    {"session.timeout.ms", "10000"},
    {"heartbeat.interval.ms", "2000"},
    {"isolation.level", "read_committed"},
    // Bounds librdkafka's prefetch so that memory stays small however large the backlog and
    // however many the partitions (prefetch_for). A prefetch that fills up stops librdkafka
    // 2.0.2's fetcher for up to a second, which kafka_record_source undoes (see
    // wake_starved_fetchers).
    {"queued.max.messages.kbytes", std::to_string(prefetch.queued_kbytes)},
    {"fetch.max.bytes", std::to_string(prefetch.fetch_bytes)},
    {"max.partition.fetch.bytes", std::to_string(prefetch.partition_fetch_bytes)},
    // librdkafka keeps one Fetch request in flight per broker, and the broker holds a Fetch for
    // partitions that have nothing new for up to fetch.wait.max.ms. A partition resumed after
    // backpressure waits behind that held Fetch: at the default 500 ms the job's input sat idle
    // twice as long as at 100 ms (bench/README.md, "Changed: the consumer's fetch.wait.max.ms").
    // An idle consumer then asks ten times a second instead of twice, which costs nothing.
    {"fetch.wait.max.ms", "100"},
  };
  if (!settings.group_instance_id.empty())
    defaults.emplace_back("group.instance.id", settings.group_instance_id);
  auto conf = make_rdkafka_conf(defaults, settings.extra_properties);
  if (!conf)
    return conf.error();
  std::string err;
  if (rebalance_cb != nullptr && (*conf)->set("rebalance_cb", rebalance_cb, err) != RdKafka::Conf::CONF_OK)
    return failure("rebalance callback: " + err);
  if (event_cb != nullptr && (*conf)->set("event_cb", event_cb, err) != RdKafka::Conf::CONF_OK)
    return failure("event callback: " + err);
  std::unique_ptr<RdKafka::KafkaConsumer> consumer{RdKafka::KafkaConsumer::create(conf->get(), err)};
  if (!consumer)
    return failure("cannot create the Kafka consumer: " + err);
  return consumer;
}

caf::expected<std::unique_ptr<RdKafka::KafkaConsumer>> make_metadata_consumer(const kafka_settings& settings,
                                                                              RdKafka::EventCb* event_cb) {
  // The smallest prefetch: it never fetches a record.
  return make_job_consumer(settings, nullptr, prefetch_for(0, 1), event_cb);
}

producer_limits producer_limits_for(const domain::record_size_budget& output, const domain::record_size_budget& dlq) {
  constexpr std::size_t librdkafka_batch_size = 1000000; // batch.size's default
  producer_limits limits;
  limits.max_message_bytes = std::max(output.limit, dlq.limit);
  const auto& smaller = output.limit < dlq.limit ? output : dlq;
  if (smaller.limit > 0)
    limits.max_batch_bytes = std::min(librdkafka_batch_size, smaller.batch_bytes());
  return limits;
}

caf::expected<std::unique_ptr<RdKafka::Producer>> make_job_producer(const kafka_settings& settings,
                                                                    const pipeline_settings& pipeline,
                                                                    producer_limits limits,
                                                                    RdKafka::DeliveryReportCb* delivery_cb,
                                                                    RdKafka::EventCb* event_cb) {
  property_list defaults = {
    {"bootstrap.servers", settings.bootstrap_servers},
    {"client.id", "kstream-app-producer"},
    // Idempotence keeps per-partition order and drops retried duplicates.
    {"enable.idempotence", "true"},
    {"acks", "all"},
    // librdkafka 2.0.2's idempotent producer sends one request per partition at a time and,
    // once the next batch has waited linger.ms, its broker thread spins until the response is
    // in (up to a core). Under exactly_once the records become visible only when the
    // transaction commits, and the commit flushes, so a long linger costs no latency there.
    // Below a 250 ms commit interval the linger shows in the latency after all (bench/README.md,
    // the latency sweep: p99 at a 100 ms interval), so short intervals keep it short.
    {"linger.ms",
     pipeline.guarantee == delivery_guarantee::exactly_once && pipeline.commit_interval_ms >= 250 ? "200" : "5"},
    {"batch.num.messages", "10000"},
  };
  // Every record in librdkafka's queue is in flight, which the consumer's credit bounds (in
  // records and bytes): the queue's own caps sit above those bounds plus one record, so that
  // they never are the tighter bound (and a record larger than the queue could never go).
  const std::uint64_t largest = limits.max_message_bytes > 0 ? limits.max_message_bytes : 1000000;
  defaults.emplace_back("queue.buffering.max.kbytes",
                        std::to_string(
                          std::min<std::uint64_t>((pipeline.max_in_flight_bytes + 2 * largest) / 1024, 2147483647)));
  defaults.emplace_back("queue.buffering.max.messages",
                        std::to_string(
                          std::min<std::uint64_t>(2 * pipeline.max_in_flight + pipeline.batch_size, 10000000)));
  // Records up to the larger topic's own limit (max.message.bytes): what is larger for its own
  // topic is refused at produce() time, record by record, before it can fail a whole
  // transaction at the broker. Batches of several records within the smaller one.
  if (limits.max_message_bytes > 0)
    defaults.emplace_back("message.max.bytes", std::to_string(limits.max_message_bytes));
  if (limits.max_batch_bytes > 0)
    defaults.emplace_back("batch.size", std::to_string(limits.max_batch_bytes));
  if (pipeline.guarantee == delivery_guarantee::exactly_once) {
    defaults.emplace_back("transactional.id", settings.transactional_id);
    defaults.emplace_back("transaction.timeout.ms", std::to_string(pipeline.transaction_timeout_ms));
  }
  auto conf = make_rdkafka_conf(defaults, settings.extra_properties);
  if (!conf)
    return conf.error();
  std::string err;
  if ((*conf)->set("dr_cb", delivery_cb, err) != RdKafka::Conf::CONF_OK)
    return failure("delivery callback: " + err);
  if (event_cb != nullptr && (*conf)->set("event_cb", event_cb, err) != RdKafka::Conf::CONF_OK)
    return failure("event callback: " + err);
  std::unique_ptr<RdKafka::Producer> producer{RdKafka::Producer::create(conf->get(), err)};
  if (!producer)
    return failure("cannot create the Kafka producer: " + err);
  return producer;
}

caf::expected<std::unique_ptr<RdKafka::Producer>> make_keyed_producer(const std::string& bootstrap_servers,
                                                                      const char* client_id, const property_list& more,
                                                                      const property_list& overrides,
                                                                      RdKafka::DeliveryReportCb* delivery_cb) {
  property_list defaults = {
    {"bootstrap.servers", bootstrap_servers},
    {"client.id", client_id},
    {"enable.idempotence", "true"},
    {"acks", "all"},
    {"linger.ms", "20"},
    // The key decides the partition the way Java clients do, so that any producer of the
    // same key (another instance, a Kafka Streams app) lands on the same partition.
    {"partitioner", "murmur2_random"},
  };
  defaults.insert(defaults.end(), more.begin(), more.end());
  auto conf = make_rdkafka_conf(defaults, overrides);
  if (!conf)
    return conf.error();
  std::string err;
  (*conf)->set("dr_cb", delivery_cb, err);
  std::unique_ptr<RdKafka::Producer> producer{RdKafka::Producer::create(conf->get(), err)};
  if (!producer)
    return failure("cannot create the " + std::string{client_id} + " producer: " + err);
  return producer;
}

} // namespace kstream
