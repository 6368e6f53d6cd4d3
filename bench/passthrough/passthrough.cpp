// bench-passthrough: the "limit" contenders of the benchmarks. Copies every record of the
// input topic to the same partition of the output topic (key, value and timestamp as they
// are, no parsing), committing the consumed offsets:
//   --mode=alo     pipelined at-least-once: offsets of *delivered* records (delivery reports)
//                  committed asynchronously every commit interval; nothing waits on the hot path
//   --mode=eos     one transaction per commit interval with the offsets inside (exactly-once)
//   --mode=ingest  the broker's ingest ceiling: reads the whole input into memory first, then
//                  produces it (same partitions, keys, timestamps) as fast as the broker takes
//                  it; prints "BENCH_TIMED {json}" with the wall and CPU seconds of that phase
// The clients are tuned like kstream-app's (adapters/kafka_clients.cpp at the default
// job.max-in-flight-bytes of 128 MiB): the same fetch and prefetch bounds, an idempotent
// acks=all producer with the same batching; --linger-ms (default: the job's exactly_once rule).
// With --drain it exits 0 once every input partition is at its end and all is committed.
#include "../rdkafka_tool.hpp"

#include <librdkafka/rdkafkacpp.h>
#include <sys/resource.h>

#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace {

volatile std::sig_atomic_t stop_requested = 0;
void on_signal(int) {
  stop_requested = 1;
}

struct options {
  std::string bootstrap = "127.0.0.1:9092";
  std::string input = "expedia";
  std::string output = "expedia_ext";
  std::string group = "bench-passthrough";
  std::string mode = "alo";
  bool drain = false;
  int commit_ms = 1000;
  int linger_ms = -1; // -1: the job's rule (200 under transactions of >= 250 ms, else 5)
};

using bench_tool::die;
using bench_tool::set;

void check(RdKafka::ErrorCode err, const char* what) {
  if (err != RdKafka::ERR_NO_ERROR)
    die(std::string(what) + ": " + RdKafka::err2str(err));
}

void check(RdKafka::Error* error, const char* what) {
  if (error != nullptr) {
    std::string text = std::string(what) + ": " + error->str();
    delete error;
    die(text);
  }
}

options parse(int argc, char** argv) {
  options o;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&](const char* prefix) -> const char* {
      auto n = std::strlen(prefix);
      return arg.compare(0, n, prefix) == 0 ? argv[i] + n : nullptr;
    };
    if (auto v = value("--bootstrap="))
      o.bootstrap = v;
    else if (auto v = value("--input="))
      o.input = v;
    else if (auto v = value("--output="))
      o.output = v;
    else if (auto v = value("--group="))
      o.group = v;
    else if (auto v = value("--mode="))
      o.mode = v;
    else if (auto v = value("--commit-ms="))
      o.commit_ms = std::atoi(v);
    else if (auto v = value("--linger-ms="))
      o.linger_ms = std::atoi(v);
    else if (arg == "--drain")
      o.drain = true;
    else
      die("unknown argument " + arg
          + " (--bootstrap= --input= --output= --group= --mode=alo|eos|ingest --commit-ms= --linger-ms= --drain)");
  }
  if (o.mode != "alo" && o.mode != "eos" && o.mode != "ingest")
    die("--mode must be alo, eos or ingest");
  if (o.linger_ms < 0)
    o.linger_ms = o.commit_ms >= 250 ? 200 : 5;
  return o;
}

// Fails on any delivery error; remembers, per partition, the offset after the last input
// record whose copy the broker acknowledged (the input offset rides in the message opaque;
// the output partition is the input's, and the idempotent producer keeps their order).
class delivery_reports : public RdKafka::DeliveryReportCb {
public:
  std::vector<std::int64_t> delivered;
  void dr_cb(RdKafka::Message& message) override {
    if (message.err() != RdKafka::ERR_NO_ERROR)
      die("delivery failed: " + message.errstr());
    const auto p = static_cast<std::size_t>(message.partition());
    const auto next = reinterpret_cast<std::intptr_t>(message.msg_opaque()) + 1;
    if (p < delivered.size() && next > delivered[p])
      delivered[p] = next;
  }
};

double cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec)
         + static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

// The job's consumer settings at job.max-in-flight-bytes = 128 MiB (adapters/kafka_clients.cpp).
void tune_consumer(RdKafka::Conf& conf) {
  set(conf, "queued.max.messages.kbytes", "2048");
  set(conf, "fetch.max.bytes", std::to_string(16 << 20));
  set(conf, "max.partition.fetch.bytes", std::to_string(1 << 20));
  set(conf, "fetch.wait.max.ms", "100");
}

// The job's producer settings (same batching; its in-flight bound as the queue's caps).
void tune_producer(RdKafka::Conf& conf, const options& o) {
  set(conf, "enable.idempotence", "true");
  set(conf, "acks", "all");
  set(conf, "linger.ms", std::to_string(o.linger_ms));
  set(conf, "batch.num.messages", "10000");
  set(conf, "batch.size", "1000000");
  set(conf, "queue.buffering.max.kbytes", std::to_string((134217728 + 2000000) / 1024));
  set(conf, "queue.buffering.max.messages", "121000");
}

// The job's wake-up for librdkafka 2.0.2's fetcher (kafka_record_source::wake_starved_fetchers):
// with the job's small prefetch, a partition whose queue filled up is not fetched again for up
// to a second unless a request to its leader wakes the broker thread; a watermark query does.
// Called after a poll that brought nothing, at most every 5 ms per partition.
void wake_starved_fetchers(RdKafka::KafkaConsumer& consumer, const std::string& topic, const std::vector<bool>& at_end,
                           std::chrono::steady_clock::time_point& last_wake) {
  const auto now = std::chrono::steady_clock::now();
  if (now - last_wake < std::chrono::milliseconds(5))
    return;
  last_wake = now;
  for (std::size_t p = 0; p < at_end.size(); ++p) {
    std::int64_t low = 0, high = 0;
    if (!at_end[p])
      consumer.query_watermark_offsets(topic, static_cast<int>(p), &low, &high, 100);
  }
}

struct held_record {
  std::size_t at, len;
  std::int32_t partition;
  std::int64_t timestamp;
};

// --mode=ingest: the whole input into memory (consumer as above), then produced, timed alone.
int ingest(const options& opt, RdKafka::KafkaConsumer& consumer, RdKafka::Producer& producer, int partitions) {
  std::string arena;
  std::vector<held_record> records;
  std::vector<bool> at_end(partitions, false);
  int ends = 0;
  auto last_wake = std::chrono::steady_clock::now();
  while (ends < partitions && !stop_requested) {
    std::unique_ptr<RdKafka::Message> msg(consumer.consume(10));
    if (msg->err() == RdKafka::ERR__TIMED_OUT)
      wake_starved_fetchers(consumer, opt.input, at_end, last_wake);
    if (msg->err() == RdKafka::ERR_NO_ERROR) {
      records.push_back({arena.size(), msg->len(), msg->partition(), msg->timestamp().timestamp});
      arena.append(static_cast<const char*>(msg->payload()), msg->len());
    } else if (msg->err() == RdKafka::ERR__PARTITION_EOF && !at_end[msg->partition()]) {
      at_end[msg->partition()] = true;
      ++ends;
    } else if (msg->err() != RdKafka::ERR__TIMED_OUT && msg->err() != RdKafka::ERR__PARTITION_EOF) {
      die("consume: " + msg->errstr());
    }
  }
  std::fprintf(stderr, "bench-passthrough: %zu records (%zu bytes) in memory, producing\n", records.size(),
               arena.size());
  const auto t0 = std::chrono::steady_clock::now();
  const double cpu0 = cpu_seconds();
  for (const auto& r : records) {
    for (;;) {
      auto rc = producer.produce(opt.output, r.partition, 0, arena.data() + r.at, r.len, nullptr, 0, r.timestamp,
                                 nullptr);
      if (rc == RdKafka::ERR_NO_ERROR)
        break;
      if (rc != RdKafka::ERR__QUEUE_FULL)
        check(rc, "produce");
      producer.poll(10);
    }
    producer.poll(0);
  }
  check(producer.flush(120000), "flush");
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("BENCH_TIMED {\"wall_s\": %.3f, \"cpu_s\": %.3f, \"records\": %zu}\n", wall, cpu_seconds() - cpu0,
              records.size());
  std::fflush(stdout);
  consumer.close();
  return 0;
}

std::unique_ptr<RdKafka::KafkaConsumer> make_consumer(const options& opt) {
  std::unique_ptr<RdKafka::Conf> cconf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  set(*cconf, "bootstrap.servers", opt.bootstrap);
  set(*cconf, "group.id", opt.group);
  set(*cconf, "enable.auto.commit", "false");
  set(*cconf, "auto.offset.reset", "earliest");
  set(*cconf, "enable.partition.eof", "true");
  set(*cconf, "isolation.level", "read_committed");
  tune_consumer(*cconf);
  std::string err;
  std::unique_ptr<RdKafka::KafkaConsumer> consumer(RdKafka::KafkaConsumer::create(cconf.get(), err));
  if (!consumer)
    die("consumer: " + err);
  return consumer;
}

std::unique_ptr<RdKafka::Producer> make_producer(const options& opt, delivery_reports& dr, bool eos) {
  std::string err;
  std::unique_ptr<RdKafka::Conf> pconf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  set(*pconf, "bootstrap.servers", opt.bootstrap);
  tune_producer(*pconf, opt);
  if (eos)
    set(*pconf, "transactional.id", opt.group + "-passthrough");
  if (pconf->set("dr_cb", &dr, err) != RdKafka::Conf::CONF_OK)
    die("dr_cb: " + err);
  std::unique_ptr<RdKafka::Producer> producer(RdKafka::Producer::create(pconf.get(), err));
  if (!producer)
    die("producer: " + err);
  return producer;
}

// Every partition of the input topic, from the committed offset (else the beginning); returns
// how many there are.
int assign_every_partition(const options& opt, RdKafka::KafkaConsumer& consumer, RdKafka::Producer& producer) {
  std::string err;
  RdKafka::Metadata* raw_md = nullptr;
  std::unique_ptr<RdKafka::Topic> md_topic(RdKafka::Topic::create(&producer, opt.input, nullptr, err));
  check(producer.metadata(false, md_topic.get(), &raw_md, 10000), "metadata");
  std::unique_ptr<RdKafka::Metadata> md(raw_md);
  if (md->topics()->empty() || md->topics()->at(0)->err() != RdKafka::ERR_NO_ERROR)
    die("input topic " + opt.input + " not found");
  const int partitions = static_cast<int>(md->topics()->at(0)->partitions()->size());
  std::vector<RdKafka::TopicPartition*> assignment;
  for (int p = 0; p < partitions; ++p)
    assignment.push_back(RdKafka::TopicPartition::create(opt.input, p, RdKafka::Topic::OFFSET_STORED));
  check(consumer.assign(assignment), "assign");
  RdKafka::TopicPartition::destroy(assignment);
  return partitions;
}

// Commits `upto` (per partition the next offset, -1: none): under eos with the open transaction,
// which is committed and followed by the next; else asynchronously, what changed since `committed`.
void commit_offsets(const options& opt, RdKafka::KafkaConsumer& consumer, RdKafka::Producer& producer, bool eos,
                    const std::vector<std::int64_t>& upto, std::vector<std::int64_t>& committed) {
  std::vector<RdKafka::TopicPartition*> offsets;
  for (int p = 0; p < static_cast<int>(upto.size()); ++p)
    if (upto[p] >= 0 && (eos || upto[p] != committed[p])) {
      offsets.push_back(RdKafka::TopicPartition::create(opt.input, p, upto[p]));
      committed[p] = upto[p];
    }
  if (eos) {
    std::unique_ptr<RdKafka::ConsumerGroupMetadata> gmd(consumer.groupMetadata());
    if (!offsets.empty())
      check(producer.send_offsets_to_transaction(offsets, gmd.get(), 30000), "send_offsets_to_transaction");
    check(producer.commit_transaction(60000), "commit_transaction");
    check(producer.begin_transaction(), "begin_transaction");
  } else if (!offsets.empty()) {
    check(consumer.commitAsync(offsets), "commit");
  }
  RdKafka::TopicPartition::destroy(offsets);
}

// The record to the output's same partition, its input offset as the delivery report's opaque.
void forward(RdKafka::Producer& producer, const std::string& out, RdKafka::Message& msg) {
  for (;;) {
    auto rc = producer.produce(out, msg.partition(), RdKafka::Producer::RK_MSG_COPY, msg.payload(), msg.len(),
                               msg.key_pointer(), msg.key_len(), msg.timestamp().timestamp,
                               reinterpret_cast<void*>(static_cast<std::intptr_t>(msg.offset())));
    if (rc == RdKafka::ERR_NO_ERROR)
      break;
    if (rc != RdKafka::ERR__QUEUE_FULL)
      check(rc, "produce");
    producer.poll(10);
  }
}

// The end of an at-least-once drain: waits for the last deliveries, then commits their offsets
// synchronously.
void commit_delivered(const options& opt, RdKafka::KafkaConsumer& consumer, RdKafka::Producer& producer,
                      const std::vector<std::int64_t>& delivered) {
  check(producer.flush(60000), "flush");
  std::vector<RdKafka::TopicPartition*> offsets;
  for (int p = 0; p < static_cast<int>(delivered.size()); ++p)
    if (delivered[p] >= 0)
      offsets.push_back(RdKafka::TopicPartition::create(opt.input, p, delivered[p]));
  if (!offsets.empty())
    check(consumer.commitSync(offsets), "commit");
  RdKafka::TopicPartition::destroy(offsets);
}

} // namespace

int main(int argc, char** argv) {
  const options opt = parse(argc, argv);
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  const bool eos = opt.mode == "eos";
  std::unique_ptr<RdKafka::KafkaConsumer> consumer = make_consumer(opt);
  delivery_reports dr;
  std::unique_ptr<RdKafka::Producer> producer = make_producer(opt, dr, eos);
  const int partitions = assign_every_partition(opt, *consumer, *producer);
  if (opt.mode == "ingest")
    return ingest(opt, *consumer, *producer, partitions);
  dr.delivered.assign(partitions, -1);

  if (eos) {
    check(producer->init_transactions(30000), "init_transactions");
    check(producer->begin_transaction(), "begin_transaction");
  }

  std::vector<std::int64_t> next_offset(partitions, -1);
  std::vector<bool> at_end(partitions, false);
  bool dirty = false;
  auto last_commit = std::chrono::steady_clock::now();

  std::vector<std::int64_t> committed(partitions, -1);
  auto commit = [&] {
    commit_offsets(opt, *consumer, *producer, eos, eos ? next_offset : dr.delivered, committed);
    dirty = false;
    last_commit = std::chrono::steady_clock::now();
  };

  const std::string& out = opt.output;
  auto last_wake = std::chrono::steady_clock::now();
  while (!stop_requested) {
    std::unique_ptr<RdKafka::Message> msg(consumer->consume(10));
    switch (msg->err()) {
      case RdKafka::ERR_NO_ERROR: {
        const int p = msg->partition();
        forward(*producer, out, *msg);
        next_offset[p] = msg->offset() + 1;
        at_end[p] = false;
        dirty = true;
        break;
      }
      case RdKafka::ERR__PARTITION_EOF:
        at_end[msg->partition()] = true;
        break;
      case RdKafka::ERR__TIMED_OUT:
        wake_starved_fetchers(*consumer, opt.input, at_end, last_wake);
        break;
      default:
        die("consume: " + msg->errstr());
    }
    producer->poll(0);
    const auto now = std::chrono::steady_clock::now();
    if (dirty && now - last_commit >= std::chrono::milliseconds(opt.commit_ms))
      commit();
    if (opt.drain) {
      bool all = true;
      for (bool e : at_end)
        all = all && e;
      if (all)
        break;
    }
  }
  if (!eos) {
    commit_delivered(opt, *consumer, *producer, dr.delivered);
  } else {
    commit();
    check(producer->abort_transaction(10000), "abort empty transaction");
  }
  consumer->close();
  return 0;
}
