// The producer actor under CAF's deterministic test coordinator, writing through a scripted
// record sink: credit, transactions with their offsets, hand-overs, and every failure path
// (refused records, failed deliveries, abort and rewind, stale epochs, commit errors).

#include "actor_fixture.hpp"
#include "scripted_record_sink.hpp"

#include "actors/producer.hpp"

#include <catch2/catch.hpp>

#include <optional>

using namespace kstream;
using namespace kstream::testing;

namespace {

/// What reached the consumer from the producer.
struct consumer_log {
  std::vector<batch_delivered> credit;
  std::vector<rewind_request> rewinds;
  std::uint64_t next_epoch = 10; // what the stand-in answers a rewind with
};

/// Stands in for the consumer: records credit, answers rewinds with new epochs.
consumer_actor::behavior_type consumer_stand_in(consumer_actor::pointer, std::shared_ptr<consumer_log> log) {
  return {
    [=](batch_delivered& ack) { log->credit.push_back(ack); },
    [=](rewind_request& request) -> rewind_done {
      log->rewinds.push_back(request);
      rewind_done done;
      for (auto p : request.partitions) {
        done.partitions.push_back(p);
        done.epochs.push_back(log->next_epoch);
      }
      return done;
    },
    [=](poll_atom) {},
    [=](stop_atom) {},
  };
}

output_record output(std::int64_t offset) {
  output_record record;
  record.offset = offset;
  record.value = R"({"id":)" + std::to_string(offset) + R"(,"stay_duration":1,"stay_category":"Short stay"})";
  record.headers = {{"trace", true, "t" + std::to_string(offset)}};
  record.timestamp = 1500000000000 + offset;
  return record;
}

dead_letter letter(std::int64_t offset, bool null_value = false) {
  dead_letter out;
  out.source.offset = offset;
  out.source.has_value = !null_value;
  out.source.value = null_value ? "" : "not json " + std::to_string(offset);
  out.source.timestamp = 1500000000000 + offset;
  out.reason = domain::dead_letter_reason::not_json;
  return out;
}

/// A batch of output records at `offsets` and dead letters at `letters`.
enriched_batch batch(std::int32_t partition, std::uint64_t epoch, std::vector<std::int64_t> offsets,
                     std::vector<std::int64_t> letters = {}) {
  enriched_batch out;
  out.partition = partition;
  out.epoch = epoch;
  for (auto o : offsets) {
    out.records.push_back(output(o));
    out.last_offset = std::max(out.last_offset, o);
  }
  for (auto o : letters) {
    out.dead_letters.push_back(letter(o));
    out.last_offset = std::max(out.last_offset, o);
  }
  return out;
}

/// A hand-over request as the consumer sends it.
handover_request hand_over_of(std::vector<std::int32_t> partitions, std::vector<std::uint64_t> epochs,
                              std::vector<std::int64_t> next_offsets, std::int32_t generation,
                              std::vector<std::int32_t> retained = {}, bool lost = false, bool closing = false) {
  handover_request request;
  request.partitions = std::move(partitions);
  request.epochs = std::move(epochs);
  request.next_offsets = std::move(next_offsets);
  request.generation = generation;
  request.retained = std::move(retained);
  request.lost = lost;
  request.closing = closing;
  return request;
}

struct producer_fixture : actor_fixture {
  std::shared_ptr<scripted_record_sink> sink = std::make_shared<scripted_record_sink>();
  std::shared_ptr<consumer_log> log = std::make_shared<consumer_log>();
  metrics_registry metrics;
  consumer_actor consumer_handle;
  producer_actor subject;
  caf::error exit_reason;
  bool down = false;
  /// The consumer group generation the producer reads when it sends offsets.
  std::shared_ptr<std::int32_t> generation = std::make_shared<std::int32_t>(1);
  /// How long a periodic commit waits for the consumer to confirm a new generation.
  std::uint64_t generation_wait_ms = 60000;
  std::uint64_t commit_interval_ms = 0; // commit on every tick
  std::chrono::milliseconds transaction_timeout{1000};
  std::uint64_t initial_transaction_bytes = producer_config{}.initial_transaction_bytes;
  /// The producer's clock moves only as the scripted sink spends time (its slow output).
  bool clock_of_the_sink = false;

  void start(delivery_guarantee guarantee = delivery_guarantee::exactly_once, int max_failures = 5,
             std::shared_ptr<refused_records> refused = nullptr, std::size_t max_refused = 100) {
    sink->transactional = guarantee == delivery_guarantee::exactly_once;
    producer_config config;
    config.refused = std::move(refused);
    config.max_refused_records = max_refused;
    config.pipeline.guarantee = guarantee;
    config.pipeline.commit_interval_ms = commit_interval_ms;
    config.pipeline.shutdown_timeout_ms = generation_wait_ms;
    config.pipeline.transaction_timeout_ms = static_cast<std::uint64_t>(transaction_timeout.count());
    config.initial_transaction_bytes = initial_transaction_bytes;
    if (clock_of_the_sink)
      config.clock = [elapsed = sink->elapsed, base = std::chrono::steady_clock::now()] { return base + *elapsed; };
    config.max_failures_in_a_row = max_failures;
    config.tick_interval = std::chrono::milliseconds(0); // the test ticks
    consumer_handle = sys.spawn(consumer_stand_in, log);
    subject = sys.spawn(producer, config, sink, consumer_handle, &metrics, [generation = generation] {
      return group_membership{group_metadata{}, *generation};
    });
    self->monitor(subject);
    self->send(subject, group_assignment{1, {0, 1, 2}});
    run();
  }

  void start_with_refused(std::shared_ptr<refused_records> refused, std::size_t max_refused = 100) {
    start(delivery_guarantee::exactly_once, 5, std::move(refused), max_refused);
  }

  void tick() {
    self->send(subject, tick_atom::value);
    run();
  }

  /// Stops the producer and checks that it quit with an error, nothing committed.
  void stop_with_error_exit() {
    self->send(subject, stop_atom::value);
    run();
    check_down();
    REQUIRE(down);
    CHECK(exit_reason);
    CHECK(sink->committed.empty());
  }

  /// Delivered work of partitions 0 (offsets 0, 1) and 1 (offset 10) in the open transaction.
  void work_on_partitions_0_and_1() {
    self->send(subject, batch(0, 1, {0, 1}));
    self->send(subject, batch(1, 1, {10}));
    run();
  }

  /// Asks the producer for a hand-over and runs it for one tick; the answer (nullopt: an error).
  std::optional<handover_result> hand_over(handover_request request) {
    auto pending = self->request(subject, caf::infinite, std::move(request));
    run();
    tick(); // deliveries and the commit come with the producer's next tick
    std::optional<handover_result> answer;
    // The answer is in the mailbox by now: receive() takes it without blocking.
    pending.receive([&](handover_result& result) { answer = std::move(result); }, [&](caf::error&) {});
    return answer;
  }

  /// Collects the producer's down message, if it went down.
  void check_down() {
    self->receive(
      [&](caf::down_msg& msg) {
        down = true;
        exit_reason = msg.reason;
      },
      caf::after(std::chrono::seconds(0)) >> [] {});
  }

  ~producer_fixture() {
    if (!down) {
      self->send_exit(subject, caf::exit_reason::user_shutdown);
      run();
    }
  }
};

} // namespace

TEST_CASE_METHOD(producer_fixture, "producer: output and offsets commit together, credit follows delivery",
                 "[actors][producer]") {
  start();
  self->send(subject, batch(0, 1, {0, 1, 2}, {3}));
  run();
  // Delivered at once by the scripted sink: credit comes back before the commit ...
  REQUIRE(log->credit.size() == 1);
  CHECK(log->credit[0].records == 4);
  CHECK(log->credit[0].next_offset == 4);
  CHECK(sink->committed.empty()); // ... but nothing is visible before the transaction commits
  tick();
  CHECK(sink->commits == 1);
  CHECK(sink->committed_offsets_of(0, false) == std::vector<std::int64_t>{0, 1, 2});
  CHECK(sink->committed_offsets_of(0, true) == std::vector<std::int64_t>{3});
  REQUIRE(sink->committed_offsets.size() == 1);
  CHECK(sink->committed_offsets[0] == std::vector<std::pair<std::int32_t, std::int64_t>>{{0, 4}});
  CHECK(metrics.partition(0).produced == 3);
  CHECK(metrics.partition(0).dead_lettered == 1);
  CHECK(metrics.transactions_committed == 1);
  // Headers and timestamps travel with the record, to either topic.
  REQUIRE(sink->committed[0].headers.size() == 1);
  CHECK(sink->committed[0].headers[0].value == "t0");
  for (const auto& record : sink->committed)
    CHECK(record.timestamp == 1500000000000 + record.offset);
}

TEST_CASE_METHOD(producer_fixture, "producer: a tombstone stays null in the dead-letter topic", "[actors][producer]") {
  start();
  auto work = batch(0, 1, {});
  work.dead_letters.push_back(letter(0, true));
  work.last_offset = 0;
  self->send(subject, std::move(work));
  run();
  tick();
  REQUIRE(sink->committed.size() == 1);
  CHECK(sink->committed[0].null_value);
}

TEST_CASE_METHOD(producer_fixture, "producer: a record the output refuses becomes an unwritable dead letter",
                 "[actors][producer][dlq]") {
  start();
  sink->refuse_output = {1};
  sink->refuse_dead_letter = {3};
  self->send(subject, batch(0, 1, {0, 1, 2}, {3}));
  run();
  tick();
  // Nothing stops: every record is accounted for, the two refused ones by their coordinates.
  CHECK(sink->aborts == 0);
  CHECK(sink->committed_offsets_of(0, false) == std::vector<std::int64_t>{0, 2});
  CHECK(sink->committed_offsets_of(0, true) == std::vector<std::int64_t>{1, 3});
  for (const auto& record : sink->committed)
    if (record.dead_letter)
      CHECK(record.unwritable);
  // The refused output record by the code that says so, the refused dead letter by its own.
  for (const auto& record : sink->committed)
    if (record.dead_letter)
      CHECK(record.code == (record.offset == 1 ? "output_refused" : "not_json"));
  CHECK(metrics.records_unwritable == 2);
  REQUIRE(log->credit.size() == 1);
  CHECK(log->credit[0].records == 4);
  CHECK(log->rewinds.empty());
}

TEST_CASE_METHOD(producer_fixture, "producer: a record nothing takes is fatal, with the reason",
                 "[actors][producer][dlq]") {
  start();
  sink->refuse_dead_letter = {3};
  sink->refuse_unwritable = {3};
  self->send(subject, batch(0, 1, {0}, {3}));
  run();
  check_down();
  REQUIRE(down);
  CHECK(is_job_error(exit_reason, job_error::record_unwritable));
  CHECK(describe_error(exit_reason).find("offset 3") != std::string::npos);
  CHECK(sink->commits == 0);
}

TEST_CASE_METHOD(producer_fixture,
                 "producer: a failed delivery aborts and rewinds only the partitions in the transaction",
                 "[actors][producer][rewind]") {
  start();
  // Partition 2's work commits first; then 0 and 1 share a transaction that fails on 0.
  self->send(subject, batch(2, 1, {0, 1}));
  run();
  tick();
  REQUIRE(sink->commits == 1);
  sink->fail_delivery = {5};
  self->send(subject, batch(0, 1, {4, 5, 6}));
  self->send(subject, batch(1, 1, {0, 1}));
  run();
  tick();
  CHECK(sink->aborts == 1);
  CHECK(metrics.transactions_aborted == 1);
  REQUIRE(log->rewinds.size() == 1);
  CHECK(log->rewinds[0].partitions == std::vector<std::int32_t>{0, 1}); // never partition 2
  CHECK(log->rewinds[0].reason.find("scripted: broker refused the record") != std::string::npos);
  CHECK(metrics.partition(0).rewinds == 1);
  CHECK(metrics.partition(2).rewinds == 0);
  // Nothing of the aborted transaction is visible.
  CHECK(sink->committed_offsets_of(0, false).empty());
  CHECK(sink->committed_offsets_of(1, false).empty());
  // Work read before the rewind is dropped, work of the epoch the consumer answered is taken.
  sink->fail_delivery.clear();
  self->send(subject, batch(0, 1, {4, 5, 6}));
  self->send(subject, batch(0, log->next_epoch, {4, 5, 6}));
  self->send(subject, batch(2, 1, {2}));
  run();
  tick();
  CHECK(sink->committed_offsets_of(0, false) == std::vector<std::int64_t>{4, 5, 6});
  CHECK(sink->committed_offsets_of(2, false) == std::vector<std::int64_t>{0, 1, 2});
  CHECK(sink->committed_offsets.back() == std::vector<std::pair<std::int32_t, std::int64_t>>{{0, 7}, {2, 3}});
}

TEST_CASE_METHOD(producer_fixture, "producer: at_least_once rewinds just the failed partition",
                 "[actors][producer][rewind]") {
  start(delivery_guarantee::at_least_once);
  sink->fail_delivery = {1};
  self->send(subject, batch(0, 1, {0, 1}));
  self->send(subject, batch(1, 1, {10, 11}));
  run();
  tick();
  REQUIRE(log->rewinds.size() == 1);
  CHECK(log->rewinds[0].partitions == std::vector<std::int32_t>{0});
  // Partition 1's batch was delivered and credited; partition 0's never is.
  REQUIRE(log->credit.size() == 1);
  CHECK(log->credit[0].partition == 1);
}

TEST_CASE_METHOD(producer_fixture, "producer: failures that repeat are fatal, not retried forever",
                 "[actors][producer][rewind]") {
  start(delivery_guarantee::exactly_once, 2);
  sink->fail_delivery = {0};
  std::uint64_t epoch = 1;
  for (int round = 0; round < 3 && !down; ++round) {
    self->send(subject, batch(0, epoch, {0}));
    run();
    tick();
    check_down();
    epoch = log->next_epoch++; // what the rewind was answered with
  }
  REQUIRE(down);
  CHECK(is_job_error(exit_reason, job_error::repeated_failure));
  CHECK(sink->aborts == 2);
  CHECK(sink->committed.empty());
}

TEST_CASE_METHOD(producer_fixture, "producer: a retriable commit error is retried, an abortable one rewinds",
                 "[actors][producer][commit]") {
  start();
  sink->commit_script = {record_sink::step::retriable, record_sink::step::retriable};
  self->send(subject, batch(0, 1, {0, 1}));
  run();
  tick();
  CHECK(sink->commits == 1);
  CHECK(sink->aborts == 0);
  CHECK(sink->committed_offsets_of(0, false) == std::vector<std::int64_t>{0, 1});
  sink->commit_script = {record_sink::step::abortable};
  self->send(subject, batch(0, 1, {2}));
  run();
  tick();
  CHECK(sink->aborts == 1);
  REQUIRE(log->rewinds.size() == 1);
  CHECK(log->rewinds[0].partitions == std::vector<std::int32_t>{0});
  CHECK(sink->committed_offsets_of(0, false) == std::vector<std::int64_t>{0, 1});
}

TEST_CASE_METHOD(producer_fixture, "producer: a fatal commit error (fenced) stops the producer with an error",
                 "[actors][producer][commit]") {
  start();
  sink->commit_script = {record_sink::step::fatal};
  self->send(subject, batch(0, 1, {0}));
  run();
  tick();
  check_down();
  REQUIRE(down);
  CHECK(is_job_error(exit_reason, job_error::transaction_failed));
  CHECK(sink->committed.empty());
}

TEST_CASE_METHOD(producer_fixture, "producer: a hand-over is answered once delivered and committed",
                 "[actors][producer][handover]") {
  start();
  sink->deliver_on_poll = false; // deliveries come with the commit's flush
  self->send(subject, batch(0, 3, {0, 1, 2}));
  run();
  auto answer = hand_over(hand_over_of({0}, {3}, {3}, 1));
  REQUIRE(answer);
  CHECK(answer->ok);
  CHECK(answer->next_offsets == std::vector<std::int64_t>{3});
  CHECK(sink->committed_offsets_of(0, false) == std::vector<std::int64_t>{0, 1, 2});
  // Late work of the handed-over epoch is dropped.
  self->send(subject, batch(0, 3, {3}));
  run();
  tick();
  CHECK(sink->committed_offsets_of(0, false) == std::vector<std::int64_t>{0, 1, 2});
}

TEST_CASE_METHOD(producer_fixture, "producer: stop commits what is left, a failed final commit is an error exit",
                 "[actors][producer][shutdown]") {
  SECTION("committed") {
    start();
    self->send(subject, batch(0, 1, {0, 1}));
    self->send(subject, stop_atom::value);
    run();
    check_down();
    REQUIRE(down);
    CHECK_FALSE(exit_reason);
    CHECK(sink->committed_offsets_of(0, false) == std::vector<std::int64_t>{0, 1});
  }
  SECTION("the final commit fails") {
    start();
    sink->commit_script = {record_sink::step::abortable};
    self->send(subject, batch(0, 1, {0, 1}));
    stop_with_error_exit();
  }
}

// --- issue 24: every hand-over ends in a commit or an abort; the group generation --------------

namespace {

/// Asks for a hand-over and runs until the producer answered it, without a tick.
std::optional<handover_result> ask_hand_over(producer_fixture& fx, handover_request request) {
  auto pending = fx.self->request(fx.subject, caf::infinite, std::move(request));
  fx.run();
  std::optional<handover_result> answer;
  pending.receive([&](handover_result& result) { answer = std::move(result); }, [&](caf::error&) {});
  return answer;
}

} // namespace

TEST_CASE_METHOD(producer_fixture,
                 "producer: a hand-over with rewound work fails for it, and commits the others' work at once",
                 "[actors][producer][handover]") {
  start();
  sink->fail_delivery = {5};
  self->send(subject, batch(0, 1, {4, 5}));
  run();
  tick(); // abort and rewind of partition 0
  REQUIRE(sink->aborts == 1);
  self->send(subject, batch(1, 1, {10, 11})); // delivered, in the open transaction
  run();
  auto answer = ask_hand_over(*this, hand_over_of({0, 1}, {1, 1}, {6, 12}, 1));
  REQUIRE(answer);
  CHECK_FALSE(answer->ok); // partition 0's records will be read again
  CHECK(answer->error.find("rewound") != std::string::npos);
  // Partition 1's work is committed by the hand-over itself, not left in the open
  // transaction for a later commit under another generation.
  CHECK(sink->committed_offsets_of(1, false) == std::vector<std::int64_t>{10, 11});
  CHECK(answer->next_offsets == std::vector<std::int64_t>{-1, 12});
  CHECK(sink->open_transaction.empty());
  *generation = 2;
  const auto commits = sink->commits;
  tick();
  CHECK(sink->commits == commits);
}

TEST_CASE_METHOD(producer_fixture,
                 "producer: a hand-over whose commit aborts rewinds every partition, the retained ones too",
                 "[actors][producer][handover]") {
  start();
  work_on_partitions_0_and_1();
  sink->commit_script = {record_sink::step::abortable};
  auto answer = ask_hand_over(*this, hand_over_of({0}, {1}, {2}, 1, {1, 2}));
  REQUIRE(answer);
  CHECK_FALSE(answer->ok);
  CHECK(sink->aborts == 1);
  REQUIRE(log->rewinds.size() == 1);
  CHECK(log->rewinds[0].partitions == std::vector<std::int32_t>{0, 1});
  CHECK(sink->committed.empty());
  CHECK(answer->next_offsets == std::vector<std::int64_t>{-1});
}

TEST_CASE_METHOD(producer_fixture, "producer: a lost assignment aborts the open transaction instead of committing it",
                 "[actors][producer][handover]") {
  start();
  work_on_partitions_0_and_1();
  *generation = -1; // what librdkafka reports once the membership is gone
  auto answer = ask_hand_over(*this, hand_over_of({0, 1, 2}, {1, 1, 1}, {2, 11, -1}, -1, {}, true));
  REQUIRE(answer);
  CHECK_FALSE(answer->ok);
  CHECK(answer->error.find("lost") != std::string::npos);
  CHECK(sink->commits == 0);
  CHECK(sink->aborts == 1);
  CHECK(sink->committed.empty());
  CHECK(metrics.transactions_aborted == 1);
  // Late work of the lost epoch is dropped.
  self->send(subject, batch(0, 1, {2}));
  run();
  tick();
  CHECK(sink->committed.empty());
}

TEST_CASE_METHOD(producer_fixture,
                 "producer: a cooperative hand-over commits under the new generation and aborts nothing",
                 "[actors][producer][handover][generation]") {
  start();
  self->send(subject, batch(0, 1, {0}));
  self->send(subject, batch(1, 1, {10}));
  self->send(subject, batch(2, 1, {20}));
  run();
  *generation = 2; // a member joined: partition 2 goes to it, 0 and 1 stay here
  tick();          // a periodic commit meanwhile waits for the consumer's word
  CHECK(sink->commits == 0);
  CHECK(sink->aborts == 0);
  auto answer = ask_hand_over(*this, hand_over_of({2}, {1}, {21}, 2, {0, 1}));
  REQUIRE(answer);
  CHECK(answer->ok);
  CHECK(sink->aborts == 0);
  REQUIRE(sink->commits == 1);
  CHECK(sink->offset_generations.back() == 2);
  CHECK(sink->committed_offsets[0] == std::vector<std::pair<std::int32_t, std::int64_t>>{{0, 1}, {1, 11}, {2, 21}});
  // The rejoin that follows: generation 3, the kept partitions confirmed by the consumer.
  self->send(subject, batch(0, 1, {1}));
  run();
  *generation = 3;
  tick();
  CHECK(sink->commits == 1);
  self->send(subject, group_assignment{3, {0, 1}});
  run();
  tick();
  CHECK(sink->commits == 2);
  CHECK(sink->offset_generations.back() == 3);
  CHECK(sink->aborts == 0);
  CHECK(metrics.transactions_aborted == 0);
  CHECK(log->rewinds.empty());
}

TEST_CASE_METHOD(producer_fixture, "producer: a transaction is not committed under a generation it did not begin in",
                 "[actors][producer][generation]") {
  SECTION("the consumer never confirms: aborted after the wait") {
    generation_wait_ms = 0;
    start();
    self->send(subject, batch(0, 1, {0, 1}));
    run();
    *generation = 2;
    tick();
  }
  SECTION("the membership is gone") {
    start();
    self->send(subject, batch(0, 1, {0, 1}));
    run();
    *generation = -1;
    tick();
  }
  SECTION("the new generation does not include the transaction's partition") {
    start();
    self->send(subject, batch(0, 1, {0, 1}));
    run();
    *generation = 2;
    self->send(subject, group_assignment{2, {1, 2}});
    run();
  }
  SECTION("a hand-over in one generation, the metadata already in the next") {
    start();
    self->send(subject, batch(0, 1, {0, 1}));
    run();
    *generation = 3;
    auto answer = ask_hand_over(*this, hand_over_of({0}, {1}, {2}, 2));
    REQUIRE(answer);
    CHECK_FALSE(answer->ok);
  }
  CHECK(sink->commits == 0);
  CHECK(sink->aborts == 1);
  CHECK(sink->committed.empty());
  REQUIRE(log->rewinds.size() == 1);
  CHECK(log->rewinds[0].partitions == std::vector<std::int32_t>{0});
}

TEST_CASE_METHOD(producer_fixture, "producer: a stop after an aborted last transaction is an error exit",
                 "[actors][producer][shutdown]") {
  start();
  self->send(subject, batch(0, 1, {0, 1}));
  run();
  sink->commit_script = {record_sink::step::abortable};
  SECTION("the closing consumer's last hand-over aborted") {
    auto answer = ask_hand_over(*this, hand_over_of({0}, {1}, {2}, 1, {}, false, true));
    REQUIRE(answer);
    CHECK_FALSE(answer->ok);
    stop_with_error_exit();
  }
  SECTION("aborted, rewound, and not read again before the stop") {
    tick();
    REQUIRE(sink->aborts == 1);
    stop_with_error_exit();
  }
  SECTION("aborted, then handed over in a rebalance: its new owner reads it again") {
    tick();
    REQUIRE(sink->aborts == 1);
    auto answer = ask_hand_over(*this, hand_over_of({0}, {1}, {2}, 1, {1, 2}));
    REQUIRE(answer);
    self->send(subject, stop_atom::value);
    run();
    check_down();
    REQUIRE(down);
    CHECK_FALSE(exit_reason);
  }
}

TEST_CASE_METHOD(producer_fixture, "producer: a consumer that fails has the open transaction aborted",
                 "[actors][producer][shutdown]") {
  start();
  self->send(subject, batch(0, 1, {0, 1}));
  run();
  self->send_exit(consumer_handle, make_error(job_error::fatal_kafka_error, "scripted: fenced"));
  run();
  check_down();
  REQUIRE(down);
  CHECK(sink->aborts == 1);
  CHECK(sink->commits == 0);
  CHECK(sink->committed.empty());
  CHECK(metrics.transactions_aborted == 1);
}

TEST_CASE_METHOD(producer_fixture, "producer: acks carry the batch's byte credit back", "[actors][producer][bytes]") {
  start();
  auto work = batch(0, 1, {0, 1, 2});
  work.bytes = 12345;
  self->send(subject, std::move(work));
  run();
  tick();
  REQUIRE(log->credit.size() == 1);
  CHECK(log->credit[0].records == 3);
  CHECK(log->credit[0].bytes == 12345u);
}

TEST_CASE_METHOD(producer_fixture,
                 "producer: a record the broker refuses is found out alone and dead-lettered, the rest exactly once",
                 "[actors][producer][refused]") {
  auto refused = std::make_shared<refused_records>();
  start_with_refused(refused);
  // The broker refuses offset 2, and with it the whole batch it is in (as Kafka does).
  sink->refuse_at_broker = {2};
  self->send(subject, batch(0, 1, {0, 1, 2, 3, 4}));
  run();
  tick(); // the failed report: its batch's records become suspects
  tick(); // abort and rewind
  CHECK(sink->aborts == 1);
  REQUIRE(log->rewinds.size() == 1);
  CHECK(log->rewinds[0].reason.find("Invalid timestamp") != std::string::npos);
  for (std::int64_t offset = 0; offset <= 4; ++offset) {
    auto known = refused->find(0, offset);
    REQUIRE(known);
    CHECK(known->state == refused_records::verdict::suspect);
  }
  // Read again: each suspect is written alone (flushed before and after), so the refusal
  // names the one to blame; 0 and 1 went through alone and are cleared. The failure aborts.
  const auto flushes_before = sink->flushes;
  self->send(subject, batch(0, log->next_epoch, {0, 1, 2, 3, 4}));
  run();
  CHECK(sink->flushes - flushes_before >= 5);
  CHECK_FALSE(refused->find(0, 0));
  CHECK_FALSE(refused->find(0, 1));
  REQUIRE(refused->find(0, 2));
  CHECK(refused->find(0, 2)->state == refused_records::verdict::refused_by_output);
  CHECK(refused->find(0, 2)->reason.find("Invalid timestamp") != std::string::npos);
  CHECK(metrics.records_refused_by_broker == 1);
  tick();
  CHECK(sink->aborts == 2);
  REQUIRE(log->rewinds.size() == 2);
  // Read again, the classifier makes offset 2 a dead letter (actor test of the classifier);
  // 3 and 4 are still suspects, written alone and cleared; everything commits.
  self->send(subject, batch(0, log->next_epoch, {0, 1, 3, 4}, {2}));
  run();
  tick();
  CHECK(sink->commits == 1);
  CHECK(sink->committed_offsets_of(0, false) == std::vector<std::int64_t>{0, 1, 3, 4});
  CHECK(sink->committed_offsets_of(0, true) == std::vector<std::int64_t>{2});
  CHECK(sink->committed_offsets.back() == std::vector<std::pair<std::int32_t, std::int64_t>>{{0, 5}});
  CHECK_FALSE(refused->find(0, 3));
  // Finding out was progress, not the same failure again: the producer is alive, its count reset.
  check_down();
  CHECK_FALSE(down);
  CHECK(metrics.transactions_aborted == 2);
}

TEST_CASE_METHOD(producer_fixture, "producer: a dead letter the dead-letter topic's broker refuses becomes unwritable",
                 "[actors][producer][refused]") {
  auto refused = std::make_shared<refused_records>();
  refused->confirm(0, 7, true, "expedia_dlq: Broker: Invalid timestamp");
  start_with_refused(refused);
  self->send(subject, batch(0, 1, {6}, {7}));
  run();
  tick();
  CHECK(sink->commits == 1);
  std::vector<scripted_record_sink::written> unwritable;
  for (const auto& w : sink->committed)
    if (w.unwritable)
      unwritable.push_back(w);
  REQUIRE(unwritable.size() == 1);
  CHECK(unwritable[0].offset == 7);
  CHECK(unwritable[0].reason.find("Invalid timestamp") != std::string::npos);
  CHECK(unwritable[0].code == "not_json"); // its own reason; the refusal comes beside it
}

TEST_CASE_METHOD(producer_fixture, "producer: a broker refusing record after record is fatal, with the reason",
                 "[actors][producer][refused]") {
  auto refused = std::make_shared<refused_records>();
  start_with_refused(refused, 1);
  sink->refuse_at_broker = {0, 1, 2, 3};
  self->send(subject, batch(0, 1, {0, 1, 2, 3}));
  run();
  tick();
  tick();
  self->send(subject, batch(0, log->next_epoch, {0, 1, 2, 3}));
  run();
  tick();
  self->send(subject, batch(0, log->next_epoch, {1, 2, 3}, {}));
  run();
  tick();
  check_down();
  REQUIRE(down);
  CHECK(to_string(exit_reason).find("refused more than 1 records") != std::string::npos);
}

TEST_CASE_METHOD(producer_fixture, "producer: the failure right after finding out a refusal is excused once, not twice",
                 "[actors][producer][refused]") {
  auto refused = std::make_shared<refused_records>();
  start(delivery_guarantee::exactly_once, 0, refused); // any counted failure is fatal
  sink->refuse_at_broker = {2};
  self->send(subject, batch(0, 1, {0, 1, 2}));
  run();
  tick(); // refused batch: suspects, abort (learnt: not counted)
  sink->refuse_at_broker.clear();
  sink->fail_delivery = {7}; // then a failure of another kind, as "Purged in queue" after the abort
  self->send(subject, batch(1, 1, {7}));
  run();
  tick();
  check_down();
  CHECK_FALSE(down); // excused: it followed the refusal's abort
  CHECK(sink->aborts == 2);
  self->send(subject, batch(1, log->next_epoch, {7}));
  run();
  tick();
  check_down();
  REQUIRE(down); // the same failure again counts
  CHECK(to_string(exit_reason).find("failures in a row") != std::string::npos);
}

namespace {

/// Batches of one record each, offsets [first, first + count) of `partition`, whose value (and
/// byte credit) is `bytes` long.
std::vector<enriched_batch> sized_batches(std::int32_t partition, std::uint64_t epoch, std::int64_t first, int count,
                                          std::size_t bytes) {
  std::vector<enriched_batch> out;
  for (int i = 0; i < count; ++i) {
    auto b = batch(partition, epoch, {first + i});
    b.records[0].value.resize(bytes, ' ');
    b.bytes = bytes;
    out.push_back(std::move(b));
  }
  return out;
}

} // namespace

TEST_CASE_METHOD(producer_fixture,
                 "producer: a transaction the slow output cannot take in time is aborted by the job before the broker's "
                 "timeout, and smaller transactions then carry everything exactly once",
                 "[actors][producer][slow_output]") {
  // 30 records of 1,000 bytes into an output that takes 1,000 bytes a second, with a 10 s
  // transaction timeout: the first transaction (30 s of output) cannot be delivered in time.
  // Before, its commit flushed for the whole timeout (the broker aborts the transaction and
  // fences the producer meanwhile) and the same transaction came again after every restart.
  transaction_timeout = std::chrono::milliseconds(10000);
  initial_transaction_bytes = 1 << 20;
  clock_of_the_sink = true;
  sink->bytes_per_second = 1000;
  start();
  for (auto& b : sized_batches(0, 1, 0, 30, 1000))
    self->send(subject, std::move(b));
  run();
  tick();
  // Aborted by the job at its commit deadline (half the timeout: 5 records delivered by then)
  REQUIRE(sink->aborts == 1);
  CHECK(sink->commits == 0);
  CHECK(*sink->elapsed <= std::chrono::seconds(5));
  CHECK(metrics.transactions_aborted_slow_output == 1);
  REQUIRE(log->rewinds.size() == 1);
  CHECK(log->rewinds[0].partitions == std::vector<std::int32_t>{0});
  // ... and the next transactions hold what the output delivers in a fifth of the timeout.
  CHECK(metrics.transaction_budget_bytes == 2000);
  // The consumer reads the partition again from its committed offset (none: 0).
  for (auto& b : sized_batches(0, log->next_epoch, 0, 30, 1000))
    self->send(subject, std::move(b));
  run();
  for (int i = 0; i < 100 && sink->committed.size() < 30; ++i)
    tick();
  check_down();
  CHECK_FALSE(down);
  CHECK(sink->aborts == 1);
  std::vector<std::int64_t> all(30);
  for (int i = 0; i < 30; ++i)
    all[static_cast<std::size_t>(i)] = i;
  CHECK(sink->committed_offsets_of(0, false) == all);
  for (auto records : sink->flushed_per_commit)
    CHECK(records <= 2);
  REQUIRE(!sink->committed_offsets.empty());
  CHECK(sink->committed_offsets.back() == std::vector<std::pair<std::int32_t, std::int64_t>>{{0, 30}});
}

TEST_CASE_METHOD(producer_fixture,
                 "producer: a full transaction commits before the commit interval, the batches after it wait in order",
                 "[actors][producer][slow_output]") {
  commit_interval_ms = 60000;
  initial_transaction_bytes = 2500;
  start();
  // Interleaved partitions: each keeps its order through the wait.
  for (int i = 0; i < 4; ++i) {
    for (auto& b : sized_batches(0, 1, i, 1, 1000))
      self->send(subject, std::move(b));
    for (auto& b : sized_batches(1, 1, 100 + i, 1, 1000))
      self->send(subject, std::move(b));
  }
  run();
  CHECK(sink->begun == 1);
  CHECK(sink->open_transaction.size() == 2); // 2,000 bytes: a third batch would be over 2,500
  tick(); // full: committed now, not in a minute; the waiting batches go into the next one
  CHECK(sink->commits == 1);
  for (int i = 0; i < 10 && sink->begun < 3; ++i)
    tick();
  CHECK(sink->commits == 2);             // the budget grew (the output kept up): 5 batches in the second
  self->send(subject, stop_atom::value); // commits the third
  run();
  check_down();
  REQUIRE(down);
  CHECK_FALSE(exit_reason);
  CHECK(sink->committed_offsets_of(0, false) == std::vector<std::int64_t>{0, 1, 2, 3});
  CHECK(sink->committed_offsets_of(1, false) == std::vector<std::int64_t>{100, 101, 102, 103});
  CHECK(sink->aborts == 0);
  CHECK(log->credit.size() == 8); // every batch's credit came back
}

TEST_CASE_METHOD(producer_fixture,
                 "producer: an output that takes nothing fails the job after repeated deadline aborts",
                 "[actors][producer][slow_output]") {
  transaction_timeout = std::chrono::milliseconds(10000);
  clock_of_the_sink = true;
  sink->bytes_per_second = 1; // a stall: 1,000 bytes take 1,000 s
  start(delivery_guarantee::exactly_once, 2);
  std::uint64_t epoch = 1;
  for (int round = 0; round < 10 && !down; ++round) {
    for (auto& b : sized_batches(0, epoch, 0, 3, 1000))
      self->send(subject, std::move(b));
    run();
    tick();
    epoch = log->next_epoch++;
    check_down();
  }
  REQUIRE(down);
  CHECK(exit_reason);
  CHECK(sink->committed.empty());
  // The first abort shrank the budget to one batch (not counted); the next ones count.
  CHECK(sink->aborts == 3);
  CHECK(metrics.transaction_budget_bytes == 1);
}
