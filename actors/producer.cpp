#include "actors/producer.hpp"

#include <spdlog/spdlog.h>

namespace kstream {

namespace {

constexpr auto tick_interval = std::chrono::milliseconds(10);
constexpr int blocking_call_timeout_ms = 30000;

// A delivery report carries the batch id and whether the record went to the dead-letter topic
// in its opaque: no topic name has to be built and compared per report.
void* as_opaque(std::uint64_t id, bool dead_letter) {
  return reinterpret_cast<void*>(static_cast<std::uintptr_t>((id << 1) | (dead_letter ? 1U : 0U)));
}

std::uint64_t batch_of(void* opaque) {
  return static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(opaque)) >> 1;
}

bool is_dead_letter(void* opaque) {
  return (reinterpret_cast<std::uintptr_t>(opaque) & 1U) != 0;
}

std::string describe(const RdKafka::Error& error) {
  return error.name() + ": " + error.str();
}

} // namespace

void delivery_reporter::dr_cb(RdKafka::Message& message) {
  if (target != nullptr)
    target->on_delivery(message);
}

void producer_state::produce(enriched_batch& batch) {
  if (batch.epoch < first_valid_epoch)
    return; // work of an aborted transaction: the consumer reads it again
  if (!output_topic)
    return; // the output topic could not be opened: on_fatal() is stopping the job
  highest_epoch = std::max(highest_epoch, batch.epoch);
  auto& producer = *resources.producer;
  if (settings.guarantee == delivery_guarantee::exactly_once && !transaction_open) {
    if (auto error = std::unique_ptr<RdKafka::Error>(producer.begin_transaction())) {
      resources.on_fatal("cannot begin a transaction: " + describe(*error));
      return;
    }
    transaction_open = true;
    transaction_started = std::chrono::steady_clock::now();
  }
  const auto id = next_batch_id++;
  auto& tracker = trackers[id];
  tracker.partition = batch.partition;
  tracker.epoch = batch.epoch;
  tracker.last_offset = batch.last_offset;
  tracker.records = batch.records.size() + batch.dead_letters.size();
  tracker.remaining = tracker.records;
  in_order[batch.partition].push_back(id);
  // Same partition count: keep the record in its partition, so per-partition order and
  // locality carry over. Otherwise let the partitioner hash the key.
  const auto output_partition = resources.output_partitions == resources.input_partitions
                                  ? batch.partition
                                  : RdKafka::Topic::PARTITION_UA;
  const auto dlq_partition = resources.dlq_partitions == resources.input_partitions ? batch.partition
                                                                                    : RdKafka::Topic::PARTITION_UA;
  // Calls `produce_once` until librdkafka takes the record; true when it did.
  auto produce_retrying = [&](const std::string& topic, auto&& produce_once) {
    for (;;) {
      auto code = produce_once();
      if (code == RdKafka::ERR_NO_ERROR)
        return true;
      if (code == RdKafka::ERR__QUEUE_FULL) {
        // librdkafka's queue is full: serve delivery reports until there is room again.
        producer.poll(10);
        continue;
      }
      --trackers[id].remaining;
      failure = "cannot produce to " + topic + ": " + RdKafka::err2str(code);
      return false;
    }
  };
  // Output records go through the C API with the topic handle: the C++ produce() that takes a
  // timestamp wants the topic by name, which costs a string copy and a topic lookup per record.
  rd_kafka_t* handle = producer.c_ptr();
  rd_kafka_topic_t* output = output_topic->c_ptr();
  for (auto& record : batch.records)
    produce_retrying(settings.output_topic, [&] {
      return static_cast<RdKafka::ErrorCode>(rd_kafka_producev(
        handle, RD_KAFKA_V_RKT(output), RD_KAFKA_V_PARTITION(output_partition), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
        RD_KAFKA_V_VALUE(record.value.data(), record.value.size()),
        RD_KAFKA_V_KEY(record.has_key ? record.key.data() : nullptr, record.has_key ? record.key.size() : 0),
        RD_KAFKA_V_TIMESTAMP(record.timestamp > 0 ? record.timestamp : 0), RD_KAFKA_V_OPAQUE(as_opaque(id, false)),
        RD_KAFKA_V_END));
    });
  for (auto& letter : batch.dead_letters) {
    auto* headers = RdKafka::Headers::create();
    headers->add("kstream.error.reason", letter.reason);
    headers->add("kstream.source.topic", settings.input_topic);
    headers->add("kstream.source.partition", std::to_string(batch.partition));
    headers->add("kstream.source.offset", std::to_string(letter.source.offset));
    const auto& source = letter.source;
    const bool taken = produce_retrying(settings.dlq_topic, [&] {
      return producer.produce(settings.dlq_topic, dlq_partition, RdKafka::Producer::RK_MSG_COPY,
                              const_cast<char*>(source.value.data()), source.value.size(),
                              source.has_key ? source.key.data() : nullptr, source.has_key ? source.key.size() : 0,
                              source.timestamp > 0 ? source.timestamp : 0, headers, as_opaque(id, true));
    });
    if (!taken)
      delete headers; // not taken over on failure
  }
  producer.poll(0);
  complete_batches();
}

void producer_state::on_delivery(RdKafka::Message& message) {
  auto it = trackers.find(batch_of(message.msg_opaque()));
  if (it == trackers.end())
    return; // a batch given up by a rewind
  auto& tracker = it->second;
  if (message.err() != RdKafka::ERR_NO_ERROR) {
    if (failure.empty())
      failure = "delivery to " + message.topic_name() + " failed: " + message.errstr();
    return; // the batch stays incomplete; the failure rewinds it
  }
  --tracker.remaining;
  if (is_dead_letter(message.msg_opaque()))
    ++tracker.dead_lettered;
  else
    ++tracker.produced;
}

void producer_state::complete_batches() {
  for (auto& [partition, ids] : in_order) {
    while (!ids.empty()) {
      auto it = trackers.find(ids.front());
      if (it->second.remaining > 0)
        break;
      auto tracker = it->second;
      trackers.erase(it);
      ids.pop_front();
      if (tracker.last_offset >= 0) {
        delivered_next[partition] = tracker.last_offset + 1;
        transaction_offsets[partition] = tracker.last_offset + 1;
      }
      auto& m = resources.metrics->partition(partition);
      m.produced.fetch_add(tracker.produced, std::memory_order_relaxed);
      m.dead_lettered.fetch_add(tracker.dead_lettered, std::memory_order_relaxed);
      self->send(consumer, batch_delivered{partition, tracker.epoch, tracker.records, tracker.last_offset + 1});
    }
  }
}

bool producer_state::commit_transaction() {
  if (!transaction_open)
    return true;
  auto& producer = *resources.producer;
  // Everything produced in this transaction must be acknowledged before its offsets go in.
  producer.flush(blocking_call_timeout_ms);
  complete_batches();
  if (!failure.empty() || !trackers.empty()) {
    rewind(failure.empty() ? "records still unacknowledged at commit time" : failure);
    return false;
  }
  std::unique_ptr<RdKafka::Error> error;
  if (!transaction_offsets.empty()) {
    std::vector<RdKafka::TopicPartition*> offsets;
    for (auto& [partition, next] : transaction_offsets)
      offsets.push_back(RdKafka::TopicPartition::create(settings.input_topic, partition, next));
    if (!group) {
      resources.on_fatal("internal error: no consumer group metadata for the transaction");
      return false;
    }
    error.reset(producer.send_offsets_to_transaction(offsets, group.get(), blocking_call_timeout_ms));
    RdKafka::TopicPartition::destroy(offsets);
  }
  if (!error)
    error.reset(producer.commit_transaction(blocking_call_timeout_ms));
  if (error) {
    if (error->is_fatal()) {
      resources.on_fatal("transaction commit failed fatally: " + describe(*error));
      return false;
    }
    rewind("transaction commit failed: " + describe(*error));
    return false;
  }
  transaction_open = false;
  transaction_offsets.clear();
  resources.metrics->transactions_committed.fetch_add(1, std::memory_order_relaxed);
  return true;
}

void producer_state::rewind(const std::string& reason) {
  spdlog::warn("producer: {}; aborting and rewinding to the last committed offsets", reason);
  if (settings.guarantee == delivery_guarantee::exactly_once && transaction_open) {
    std::unique_ptr<RdKafka::Error> error{resources.producer->abort_transaction(blocking_call_timeout_ms)};
    if (error) {
      resources.on_fatal("cannot abort the transaction: " + describe(*error));
      return;
    }
    transaction_open = false;
    resources.metrics->transactions_aborted.fetch_add(1, std::memory_order_relaxed);
  }
  trackers.clear();
  in_order.clear();
  transaction_offsets.clear();
  failure.clear();
  first_valid_epoch = highest_epoch + 1;
  for (auto& drain : drains)
    drain.promise.deliver(drain_result{false, "rewound: " + reason, {}, {}});
  drains.clear();
  self->send(consumer, rewind_request{first_valid_epoch, reason});
}

void producer_state::answer_drains() {
  auto reached = [&](const drain_request& request) {
    for (std::size_t i = 0; i < request.partitions.size(); ++i) {
      auto target = request.next_offsets[i];
      if (target < 0)
        continue;
      auto it = delivered_next.find(request.partitions[i]);
      if (it == delivered_next.end() || it->second < target)
        return false;
    }
    return true;
  };
  for (auto it = drains.begin(); it != drains.end();) {
    if (!reached(it->request)) {
      ++it;
      continue;
    }
    auto drain = std::move(*it);
    it = drains.erase(it);
    drain_result result;
    result.ok = settings.guarantee != delivery_guarantee::exactly_once || commit_transaction();
    if (!result.ok) {
      result.error = "the transaction could not be committed";
      drain.promise.deliver(std::move(result));
      return; // commit_transaction() rewound and answered the others
    }
    for (auto partition : drain.request.partitions) {
      auto next = delivered_next.find(partition);
      result.partitions.push_back(partition);
      result.next_offsets.push_back(next == delivered_next.end() ? -1 : next->second);
      delivered_next.erase(partition); // the partition leaves this instance
    }
    drain.promise.deliver(std::move(result));
  }
}

void producer_state::tick() {
  resources.producer->poll(0);
  complete_batches();
  if (!failure.empty()) {
    rewind(failure);
    return;
  }
  answer_drains();
  if (transaction_open
      && std::chrono::steady_clock::now() - transaction_started
           >= std::chrono::milliseconds(settings.commit_interval_ms))
    commit_transaction();
}

producer_actor::behavior_type producer(producer_actor::stateful_pointer<producer_state> self, job_settings settings,
                                       std::shared_ptr<producer_resources> resources, consumer_actor consumer) {
  auto& st = self->state;
  st.self = self;
  st.settings = std::move(settings);
  st.resources = std::move(*resources);
  st.resources.reporter->target = &st;
  st.consumer = std::move(consumer);
  std::string error;
  st.output_topic.reset(RdKafka::Topic::create(st.resources.producer.get(), st.settings.output_topic, nullptr, error));
  if (!st.output_topic)
    st.resources.on_fatal("cannot open the output topic " + st.settings.output_topic + ": " + error);
  self->delayed_send(self, tick_interval, tick_atom::value);
  return {
    [=](enriched_batch& batch) { self->state.produce(batch); },
    [=](group_metadata& metadata) { self->state.group = std::move(metadata.metadata); },
    [=](drain_request& request) -> caf::result<drain_result> {
      auto promise = self->make_response_promise<drain_result>();
      self->state.drains.push_back(pending_drain{std::move(request), promise});
      self->state.answer_drains();
      return promise;
    },
    [=](tick_atom) {
      if (self->state.stopping)
        return;
      self->state.tick();
      self->delayed_send(self, tick_interval, tick_atom::value);
    },
    [=](stop_atom) {
      // The consumer has drained and closed: commit what is left, then flush and leave.
      auto& st = self->state;
      st.stopping = true;
      if (st.settings.guarantee == delivery_guarantee::exactly_once)
        st.commit_transaction();
      st.resources.producer->flush(static_cast<int>(st.settings.shutdown_timeout_ms));
      st.complete_batches();
      st.resources.reporter->target = nullptr;
      self->quit();
    },
  };
}

} // namespace kstream
