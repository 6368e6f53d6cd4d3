// bench-loadlat: end-to-end latency under load, for bench/latency_load.py (`make bench-latency`).
// Produces template records into --input at a fixed --rate, each with "id" = its produce time in
// microseconds since the epoch, while a read_committed consumer of --output takes now - id for
// every record of the measured phase. Phases: a trickle (one record per 200 ms) until the first
// output shows that the contender runs; --ramp-s at the rate, not measured (JIT, batching, the
// first commits); --seconds at the rate, measured; then up to --tail-s for the measured records
// to come out. Prints one line of JSON: counts, the rate achieved, p50 / p99 / p99.9 / max in ms.
// The generator and the reader run on the machine under test: their CPU is in the figures.
#include "../rdkafka_tool.hpp"

#include <librdkafka/rdkafkacpp.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace {

struct options {
  std::string bootstrap = "127.0.0.1:9092", input, output, templates;
  double rate = 1000, seconds = 20, ramp_s = 5, ready_s = 180, tail_s = 60;
  int partitions = 3;
};

using bench_tool::die;
using bench_tool::set;

options parse(int argc, char** argv) {
  options o;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const auto eq = arg.find('=');
    const std::string name = arg.substr(0, eq), v = eq == std::string::npos ? "" : arg.substr(eq + 1);
    if (name == "--bootstrap")
      o.bootstrap = v;
    else if (name == "--input")
      o.input = v;
    else if (name == "--output")
      o.output = v;
    else if (name == "--templates")
      o.templates = v;
    else if (name == "--rate")
      o.rate = std::atof(v.c_str());
    else if (name == "--seconds")
      o.seconds = std::atof(v.c_str());
    else if (name == "--ramp-s")
      o.ramp_s = std::atof(v.c_str());
    else if (name == "--ready-s")
      o.ready_s = std::atof(v.c_str());
    else if (name == "--tail-s")
      o.tail_s = std::atof(v.c_str());
    else if (name == "--partitions")
      o.partitions = std::atoi(v.c_str());
    else
      die("unknown argument " + arg
          + " (--bootstrap= --input= --output= --templates= --rate= --seconds= "
            "--ramp-s= --ready-s= --tail-s= --partitions=)");
  }
  if (o.input.empty() || o.output.empty() || o.templates.empty() || o.rate <= 0 || o.partitions <= 0)
    die("--input, --output, --templates, a positive --rate and --partitions are required");
  return o;
}

std::int64_t now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
    .count();
}

// A JSON record split around the digits of its "id" member.
struct record_template {
  std::string before, after;
};

std::vector<record_template> read_templates(const std::string& path) {
  std::ifstream in(path);
  std::vector<record_template> out;
  for (std::string line; std::getline(in, line);) {
    const auto at = line.find("\"id\":");
    if (at == std::string::npos)
      continue;
    auto begin = at + 5, end = begin;
    while (end < line.size() && line[end] >= '0' && line[end] <= '9')
      ++end;
    out.push_back({line.substr(0, begin), line.substr(end)});
  }
  if (out.empty())
    die("no record with a numeric \"id\" in " + path);
  return out;
}

// The id of an output record (its produce time), or -1.
std::int64_t id_of(const char* value, std::size_t len) {
  static const char key[] = "\"id\":";
  const void* at = memmem(value, len, key, sizeof key - 1);
  if (at == nullptr)
    return -1;
  const char* p = static_cast<const char*>(at) + sizeof key - 1;
  const char* end = value + len;
  while (p < end && *p == ' ')
    ++p;
  std::int64_t id = 0;
  bool any = false;
  for (; p < end && *p >= '0' && *p <= '9'; ++p, any = true)
    id = id * 10 + (*p - '0');
  return any ? id : -1;
}

struct shared_state {
  std::atomic<bool> output_seen{false}, stop{false};
  std::atomic<std::int64_t> measure_from{INT64_MAX}, measure_to{INT64_MAX}, measured_seen{0};
};

void read_output(const options& o, shared_state& st, std::vector<std::int64_t>& latencies_us) {
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  set(*conf, "bootstrap.servers", o.bootstrap);
  set(*conf, "group.id", "bench-loadlat");
  set(*conf, "enable.auto.commit", "false");
  set(*conf, "isolation.level", "read_committed");
  set(*conf, "fetch.wait.max.ms", "10");
  std::string err;
  std::unique_ptr<RdKafka::KafkaConsumer> c(RdKafka::KafkaConsumer::create(conf.get(), err));
  if (!c)
    die("consumer: " + err);
  std::vector<RdKafka::TopicPartition*> parts;
  for (int p = 0; p < o.partitions; ++p)
    parts.push_back(RdKafka::TopicPartition::create(o.output, p, RdKafka::Topic::OFFSET_BEGINNING));
  if (c->assign(parts) != RdKafka::ERR_NO_ERROR)
    die("assign " + o.output);
  RdKafka::TopicPartition::destroy(parts);
  while (!st.stop) {
    std::unique_ptr<RdKafka::Message> m(c->consume(50));
    if (m->err() != RdKafka::ERR_NO_ERROR)
      continue;
    const auto now = now_us();
    st.output_seen = true;
    const auto id = id_of(static_cast<const char*>(m->payload()), m->len());
    if (id >= st.measure_from && id <= st.measure_to) {
      latencies_us.push_back(now - id);
      ++st.measured_seen;
    }
  }
  c->close();
}

std::unique_ptr<RdKafka::Producer> make_producer(const options& o) {
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  set(*conf, "bootstrap.servers", o.bootstrap);
  set(*conf, "enable.idempotence", "true");
  set(*conf, "linger.ms", "5");
  set(*conf, "queue.buffering.max.messages", "1000000");
  std::string err;
  std::unique_ptr<RdKafka::Producer> producer(RdKafka::Producer::create(conf.get(), err));
  if (!producer)
    die("producer: " + err);
  return producer;
}

/// The result as one JSON line: the rate asked and achieved, the latency percentiles of the
/// measured records (`latencies_us` sorted).
void print_summary(const options& o, const std::vector<std::int64_t>& latencies_us, std::uint64_t measured,
                   double measured_s) {
  auto pct = [&](double q) {
    if (latencies_us.empty())
      return -1.0;
    const auto i = std::min(latencies_us.size() - 1, static_cast<std::size_t>(q * latencies_us.size()));
    return latencies_us[i] / 1000.0;
  };
  std::printf("{\"rate\": %.0f, \"seconds\": %.1f, \"sent\": %llu, \"seen\": %zu, \"achieved_rate\": %.0f, "
              "\"p50_ms\": %.1f, \"p99_ms\": %.1f, \"p999_ms\": %.1f, \"max_ms\": %.1f}\n",
              o.rate, o.seconds, static_cast<unsigned long long>(measured), latencies_us.size(),
              measured / std::max(1e-9, measured_s), pct(0.5), pct(0.99), pct(0.999),
              latencies_us.empty() ? -1.0 : latencies_us.back() / 1000.0);
}

} // namespace

int main(int argc, char** argv) {
  const options o = parse(argc, argv);
  const auto templates = read_templates(o.templates);
  std::unique_ptr<RdKafka::Producer> producer = make_producer(o);
  std::string err;
  std::unique_ptr<RdKafka::Topic> topic(RdKafka::Topic::create(producer.get(), o.input, nullptr, err));
  if (!topic)
    die("topic: " + err);

  shared_state st;
  std::vector<std::int64_t> latencies_us;
  latencies_us.reserve(static_cast<std::size_t>(o.rate * o.seconds * 1.1) + 16);
  std::thread reader([&] { read_output(o, st, latencies_us); });

  std::uint64_t seq = 0;
  std::string value;
  auto send = [&] {
    const auto& t = templates[seq % templates.size()];
    value.assign(t.before).append(std::to_string(now_us())).append(t.after);
    const int partition = static_cast<int>(seq % static_cast<std::uint64_t>(o.partitions));
    for (;;) {
      const auto rc = producer->produce(topic.get(), partition, RdKafka::Producer::RK_MSG_COPY, value.data(),
                                        value.size(), nullptr, nullptr);
      if (rc == RdKafka::ERR_NO_ERROR)
        break;
      if (rc != RdKafka::ERR__QUEUE_FULL)
        die("produce: " + RdKafka::err2str(rc));
      producer->poll(1);
    }
    ++seq;
  };
  using clock = std::chrono::steady_clock;
  const auto start = clock::now();
  while (!st.output_seen) { // the trickle: is the contender up?
    if (clock::now() - start > std::chrono::duration<double>(o.ready_s))
      die("no output within --ready-s: the contender did not come up");
    send();
    producer->poll(0);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  // at the rate: the ramp, then the measured phase (ids from its first produce call on)
  std::uint64_t sent_at_rate = 0, measured = 0;
  const auto t0 = clock::now();
  const double total_s = o.ramp_s + o.seconds;
  bool measuring = false;
  for (;;) {
    const double elapsed = std::chrono::duration<double>(clock::now() - t0).count();
    if (!measuring && elapsed >= o.ramp_s) {
      measuring = true;
      st.measure_from = now_us();
    }
    if (elapsed >= total_s)
      break;
    const auto due = static_cast<std::uint64_t>(elapsed * o.rate) + 1;
    while (sent_at_rate < due) {
      send();
      ++sent_at_rate;
      measured += measuring ? 1 : 0;
    }
    producer->poll(0);
    std::this_thread::sleep_for(std::chrono::microseconds(500));
  }
  st.measure_to = now_us();
  const double measured_s = std::chrono::duration<double>(clock::now() - t0).count() - o.ramp_s;
  if (producer->flush(60000) != RdKafka::ERR_NO_ERROR)
    die("flush: the input did not take the records");
  const auto tail_start = clock::now();
  while (st.measured_seen < static_cast<std::int64_t>(measured)
         && clock::now() - tail_start < std::chrono::duration<double>(o.tail_s))
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  st.stop = true;
  reader.join();
  std::sort(latencies_us.begin(), latencies_us.end());
  print_summary(o, latencies_us, measured, measured_s);
  return latencies_us.size() >= measured ? 0 : 2;
}
