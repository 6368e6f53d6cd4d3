// bench-passthrough: the "limit" contender of the benchmarks. Copies every record of the
// input topic to the same partition of the output topic (key, value and timestamp as they
// are, no parsing), committing the consumed offsets:
//   --mode=alo  flush the producer, then commit the offsets (at-least-once)
//   --mode=eos  one transaction per commit interval with the offsets inside (exactly-once)
// With --drain it exits 0 once every input partition is at its end and all is committed.
#include <librdkafka/rdkafkacpp.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace {

volatile std::sig_atomic_t stop_requested = 0;
void on_signal(int) { stop_requested = 1; }

struct options {
  std::string bootstrap = "127.0.0.1:9092";
  std::string input = "expedia";
  std::string output = "expedia_ext";
  std::string group = "bench-passthrough";
  std::string mode = "alo";
  bool drain = false;
  int commit_ms = 1000;
};

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "bench-passthrough: %s\n", what.c_str());
  std::exit(1);
}

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

void set(RdKafka::Conf& conf, const std::string& name, const std::string& value) {
  std::string err;
  if (conf.set(name, value, err) != RdKafka::Conf::CONF_OK)
    die("config " + name + ": " + err);
}

options parse(int argc, char** argv) {
  options o;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&](const char* prefix) -> const char* {
      auto n = std::strlen(prefix);
      return arg.compare(0, n, prefix) == 0 ? argv[i] + n : nullptr;
    };
    if (auto v = value("--bootstrap=")) o.bootstrap = v;
    else if (auto v = value("--input=")) o.input = v;
    else if (auto v = value("--output=")) o.output = v;
    else if (auto v = value("--group=")) o.group = v;
    else if (auto v = value("--mode=")) o.mode = v;
    else if (auto v = value("--commit-ms=")) o.commit_ms = std::atoi(v);
    else if (arg == "--drain") o.drain = true;
    else die("unknown argument " + arg +
             " (--bootstrap= --input= --output= --group= --mode=alo|eos --commit-ms= --drain)");
  }
  if (o.mode != "alo" && o.mode != "eos")
    die("--mode must be alo or eos");
  return o;
}

class delivery_errors : public RdKafka::DeliveryReportCb {
public:
  void dr_cb(RdKafka::Message& message) override {
    if (message.err() != RdKafka::ERR_NO_ERROR)
      die("delivery failed: " + message.errstr());
  }
};

} // namespace

int main(int argc, char** argv) {
  const options opt = parse(argc, argv);
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  const bool eos = opt.mode == "eos";

  std::unique_ptr<RdKafka::Conf> cconf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  set(*cconf, "bootstrap.servers", opt.bootstrap);
  set(*cconf, "group.id", opt.group);
  set(*cconf, "enable.auto.commit", "false");
  set(*cconf, "auto.offset.reset", "earliest");
  set(*cconf, "enable.partition.eof", "true");
  set(*cconf, "isolation.level", "read_committed");
  std::string err;
  std::unique_ptr<RdKafka::KafkaConsumer> consumer(RdKafka::KafkaConsumer::create(cconf.get(), err));
  if (!consumer)
    die("consumer: " + err);

  delivery_errors dr;
  std::unique_ptr<RdKafka::Conf> pconf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  set(*pconf, "bootstrap.servers", opt.bootstrap);
  set(*pconf, "enable.idempotence", "true");
  set(*pconf, "linger.ms", "5");
  if (eos)
    set(*pconf, "transactional.id", opt.group + "-passthrough");
  if (pconf->set("dr_cb", &dr, err) != RdKafka::Conf::CONF_OK)
    die("dr_cb: " + err);
  std::unique_ptr<RdKafka::Producer> producer(RdKafka::Producer::create(pconf.get(), err));
  if (!producer)
    die("producer: " + err);

  // Every partition of the input topic, from the committed offset (else the beginning).
  RdKafka::Metadata* raw_md = nullptr;
  std::unique_ptr<RdKafka::Topic> md_topic(RdKafka::Topic::create(producer.get(), opt.input, nullptr, err));
  check(producer->metadata(false, md_topic.get(), &raw_md, 10000), "metadata");
  std::unique_ptr<RdKafka::Metadata> md(raw_md);
  if (md->topics()->empty() || md->topics()->at(0)->err() != RdKafka::ERR_NO_ERROR)
    die("input topic " + opt.input + " not found");
  const int partitions = static_cast<int>(md->topics()->at(0)->partitions()->size());
  std::vector<RdKafka::TopicPartition*> assignment;
  for (int p = 0; p < partitions; ++p)
    assignment.push_back(RdKafka::TopicPartition::create(opt.input, p, RdKafka::Topic::OFFSET_STORED));
  check(consumer->assign(assignment), "assign");
  RdKafka::TopicPartition::destroy(assignment);

  if (eos) {
    check(producer->init_transactions(30000), "init_transactions");
    check(producer->begin_transaction(), "begin_transaction");
  }

  std::vector<std::int64_t> next_offset(partitions, -1);
  std::vector<bool> at_end(partitions, false);
  bool dirty = false;
  auto last_commit = std::chrono::steady_clock::now();

  auto commit = [&] {
    std::vector<RdKafka::TopicPartition*> offsets;
    for (int p = 0; p < partitions; ++p)
      if (next_offset[p] >= 0)
        offsets.push_back(RdKafka::TopicPartition::create(opt.input, p, next_offset[p]));
    if (eos) {
      std::unique_ptr<RdKafka::ConsumerGroupMetadata> gmd(consumer->groupMetadata());
      if (!offsets.empty())
        check(producer->send_offsets_to_transaction(offsets, gmd.get(), 30000), "send_offsets_to_transaction");
      check(producer->commit_transaction(60000), "commit_transaction");
      check(producer->begin_transaction(), "begin_transaction");
    } else {
      check(producer->flush(60000), "flush");
      if (!offsets.empty())
        check(consumer->commitSync(offsets), "commit");
    }
    RdKafka::TopicPartition::destroy(offsets);
    dirty = false;
    last_commit = std::chrono::steady_clock::now();
  };

  const std::string& out = opt.output;
  while (!stop_requested) {
    std::unique_ptr<RdKafka::Message> msg(consumer->consume(100));
    switch (msg->err()) {
    case RdKafka::ERR_NO_ERROR: {
      const int p = msg->partition();
      for (;;) {
        auto rc = producer->produce(out, p, RdKafka::Producer::RK_MSG_COPY, msg->payload(), msg->len(),
                                    msg->key_pointer(), msg->key_len(), msg->timestamp().timestamp, nullptr);
        if (rc == RdKafka::ERR_NO_ERROR)
          break;
        if (rc != RdKafka::ERR__QUEUE_FULL)
          check(rc, "produce");
        producer->poll(10);
      }
      next_offset[p] = msg->offset() + 1;
      at_end[p] = false;
      dirty = true;
      break;
    }
    case RdKafka::ERR__PARTITION_EOF:
      at_end[msg->partition()] = true;
      break;
    case RdKafka::ERR__TIMED_OUT:
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
  commit();
  if (eos)
    check(producer->abort_transaction(10000), "abort empty transaction");
  consumer->close();
  return 0;
}
