// The consumer's flow control at actor level, with an in-memory record source; and the job's
// whole pipeline as the binary wires it (wiring/job_pipeline.hpp), over in-memory ports.

#include "actor_fixture.hpp"
#include "memory_record_source.hpp"
#include "scripted_record_sink.hpp"

#include "actors/consumer.hpp"
#include "adapters/prometheus.hpp"
#include "messages/errors.hpp"
#include "wiring/job_pipeline.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <optional>
#include <set>

using namespace kstream;
using namespace kstream::testing;

namespace {

std::vector<std::string> values(int count, int partition) {
  std::vector<std::string> out;
  for (int i = 0; i < count; ++i)
    out.push_back(R"({"p":)" + std::to_string(partition) + R"(,"i":)" + std::to_string(i)
                  + R"(,"srch_ci":"2017-08-01","srch_co":"2017-08-0)" + std::to_string(2 + i % 8) + "\"}");
  return out;
}

/// A last stage that acknowledges every batch at once, as the producer does after delivery.
batch_stage_actor::behavior_type acking_stage(batch_stage_actor::pointer self,
                                              std::shared_ptr<collected<consumed_batch>> seen) {
  return {
    [=](consumed_batch& batch) {
      auto next = batch.records.back().offset + 1;
      auto credit = caf::actor_cast<credit_actor>(self->current_sender());
      self->send(credit, batch_delivered{batch.partition, batch.epoch, batch.records.size(), next});
      seen->batches.push_back(std::move(batch));
    },
  };
}

std::size_t record_count(const collected<consumed_batch>& c) {
  std::size_t n = 0;
  for (auto& b : c.batches)
    n += b.records.size();
  return n;
}

/// A consumer over an in-memory source. Every partition's batches go to `stage`: a collector
/// that never acknowledges unless a test puts another stage there. Tests fill the source and
/// adjust hooks and settings, then start().
struct consumer_fixture : actor_fixture {
  std::shared_ptr<memory_record_source> source = std::make_shared<memory_record_source>();
  std::shared_ptr<collected<consumed_batch>> seen = std::make_shared<collected<consumed_batch>>();
  batch_stage_actor stage = sys.spawn(collector<batch_stage_actor, consumed_batch>, seen);
  consumer_hooks hooks;
  consumer_settings settings;
  metrics_registry metrics;

  consumer_fixture() {
    hooks.spawn_stage = [this](std::int32_t) { return stage; };
  }

  /// Spawns the consumer and sends it its first poll (it runs on the next run_steps).
  consumer_actor start() {
    auto subject = sys.spawn(consumer, source, hooks, settings, &metrics);
    self->send(subject, poll_atom::value);
    return subject;
  }
};

} // namespace

TEST_CASE_METHOD(consumer_fixture, "consumer: exhausted credit stops demand, acks resume it", "[actors][consumer]") {
  source->partitions[0] = values(100, 0);
  settings.batch_size = 5;
  settings.max_in_flight = 10;
  auto subject = start();
  run_steps(100);
  // Two batches of five fill the credit; then the partition is paused and nothing more is read.
  CHECK(record_count(*seen) == 10);
  CHECK(source->pause_calls == 1);
  CHECK(source->paused.count(0) == 1);
  CHECK(metrics.partition(0).in_flight == 10);
  CHECK(metrics.partition(0).paused);
  // An ack below the bound is not enough to resume (hysteresis: resume at half the bound) ...
  self->send(subject, batch_delivered{0, seen->batches[0].epoch, 4, 4});
  run_steps(100);
  CHECK(record_count(*seen) == 10);
  CHECK(source->resume_calls == 0);
  // ... a second one is: reading resumes until the credit is used up again.
  self->send(subject, batch_delivered{0, seen->batches[0].epoch, 1, 5});
  run_steps(100);
  CHECK(source->resume_calls == 1);
  CHECK(record_count(*seen) == 15);
  CHECK(source->pause_calls == 2);
  CHECK(metrics.partition(0).in_flight == 10);
  // Acks of another epoch (a revoked or rewound assignment) give no credit.
  self->send(subject, batch_delivered{0, seen->batches[0].epoch + 1, 10, 15});
  run_steps(100);
  CHECK(record_count(*seen) == 15);
  CHECK(metrics.partition(0).in_flight == 10);
  self->send_exit(subject, caf::exit_reason::user_shutdown);
  run_steps(100);
}

TEST_CASE_METHOD(consumer_fixture, "consumer: the in-flight bound is the instance's, shared by its partitions",
                 "[actors][consumer]") {
  for (int p = 0; p < 4; ++p)
    source->partitions[p] = values(100, p);
  settings.batch_size = 5;
  std::size_t share = 0;
  SECTION("each partition gets the bound / partitions") {
    settings.max_in_flight = 40; // 10 each: two batches
    share = 10;
  }
  SECTION("but never less than one batch") {
    settings.max_in_flight = 8; // 2 each would never fill a batch
    share = 5;
  }
  auto subject = start();
  run_steps(200);
  std::map<std::int32_t, std::size_t> per_partition;
  for (auto& batch : seen->batches)
    per_partition[batch.partition] += batch.records.size();
  // A poll reads round-robin and its records are dispatched at its end, so a partition is
  // paused once it has reached its share, and is then past it by less than one batch.
  for (int p = 0; p < 4; ++p) {
    INFO("partition " << p);
    CHECK(per_partition[p] >= share);
    CHECK(per_partition[p] < share + settings.batch_size);
    CHECK(source->paused.count(p) == 1);
    CHECK(metrics.partition(p).in_flight == static_cast<std::int64_t>(per_partition[p]));
  }
  self->send_exit(subject, caf::exit_reason::user_shutdown);
  run_steps(100);
}

namespace {

/// Offsets 0 .. count-1 without those in `except`.
std::vector<std::int64_t> offsets_but(std::int64_t count, std::set<std::int64_t> except = {}) {
  std::vector<std::int64_t> out;
  for (std::int64_t o = 0; o < count; ++o)
    if (except.count(o) == 0)
      out.push_back(o);
  return out;
}

} // namespace

// The job's own wiring (wiring/job_pipeline.cpp: the stages it spawns per partition, the
// producer's hooks, the credit and rewind paths between producer and consumer) over in-memory
// ports: what kstream-app runs, less Kafka. The stop path's hand-over blocks on the producer's
// answer, which this single-threaded coordinator cannot give: the broker tests cover it.
TEST_CASE_METHOD(consumer_fixture,
                 "pipeline: the job's wiring delivers every record exactly once, in order, through a rewind",
                 "[actors][consumer][order][wiring]") {
  for (int p = 0; p < 3; ++p)
    source->partitions[p] = values(40, p);
  source->partitions[1][13] = "not json";
  source->partitions[2][21] = R"({"srch_ci":"2017-08-01","srch_co":"2017-08-03","pad":")" + std::string(300, 'x')
                              + "\"}";
  auto sink = std::make_shared<scripted_record_sink>();
  sink->fail_delivery = {27}; // in every partition: one failed delivery, aborted and read again
  job_settings job;
  job.batch_size = 7;
  job.max_in_flight = 60;     // 20 a partition: the producer's credit must come back to go on
  job.commit_interval_ms = 0; // a commit on every tick of the producer
  job.progress_interval_ms = 0;
  // An output topic that takes 150 bytes a record besides the framing: the padded record does not fit.
  const domain::record_size_budget output{150 + domain::kafka_record_framing, domain::kafka_record_framing, 0};
  auto pipeline = spawn_job_pipeline(sys, job, {source, sink, output}, metrics, port_threads::scheduler);
  self->send(pipeline.consumer, poll_atom::value);
  for (int round = 0; round < 200 && sink->committed.size() < 120; ++round) {
    run_steps(20);
    sched.trigger_timeouts(); // the producer's tick: delivery reports, then a commit or an abort
    run_steps(20);
    if (sink->aborts > 0)
      sink->fail_delivery.clear();
    // What Kafka would do: offsets sent in a committed transaction are the group's committed ones.
    source->commits.clear();
    for (const auto& offsets : sink->committed_offsets)
      source->commits.insert(source->commits.end(), offsets.begin(), offsets.end());
  }
  CHECK(sink->aborts >= 1);
  CHECK(source->rewinds.size() >= 1);
  for (std::int32_t p = 0; p < 3; ++p) {
    INFO("partition " << p);
    const std::set<std::int64_t> letters = p == 1   ? std::set<std::int64_t>{13}
                                           : p == 2 ? std::set<std::int64_t>{21}
                                                    : std::set<std::int64_t>{};
    CHECK(sink->committed_offsets_of(p, false) == offsets_but(40, letters)); // all, none twice, in order
    CHECK(sink->committed_offsets_of(p, true) == std::vector<std::int64_t>(letters.begin(), letters.end()));
    CHECK(metrics.partition(p).in_flight == 0);
  }
  for (const auto& record : sink->committed) {
    if (!record.dead_letter) {
      CHECK(record.value.find("\"p\":" + std::to_string(record.partition) + ",") != std::string::npos);
      CHECK(record.value.find(",\"stay_category\":\"") != std::string::npos);
    }
  }
  // The offsets went with the group generation the consumer told the producer about.
  REQUIRE_FALSE(sink->offset_generations.empty());
  CHECK(std::all_of(sink->offset_generations.begin(), sink->offset_generations.end(), [](auto g) { return g == 1; }));
  // Ended without a stop (see above): the producer, which ticks by itself, too.
  self->send_exit(pipeline.consumer, caf::exit_reason::user_shutdown);
  self->send_exit(pipeline.producer, caf::exit_reason::user_shutdown);
  run_steps(20);
}

TEST_CASE_METHOD(consumer_fixture, "consumer: drain mode finishes once everything is at its end and acknowledged",
                 "[actors][consumer][drain]") {
  source->partitions[0] = values(23, 0);
  source->partitions[1] = values(0, 1);
  stage = sys.spawn(acking_stage, seen);
  bool closed = false;
  std::vector<std::int32_t> drained;
  hooks.hand_over = [&](handover_request request) {
    drained = request.partitions;
    CHECK(request.next_offsets == std::vector<std::int64_t>{23, -1});
    return handover_result{true, "", request.partitions, request.next_offsets};
  };
  hooks.on_closed = [&] { closed = true; };
  settings.batch_size = 10;
  settings.max_in_flight = 10;
  settings.drain = true;
  settings.commit_acked_offsets = true;
  start();
  run_steps(500);
  CHECK(record_count(*seen) == 23);
  CHECK(closed);
  CHECK(source->closed);
  CHECK(drained == std::vector<std::int32_t>{0, 1});
  // at_least_once: the acknowledged offset is what gets committed
  REQUIRE_FALSE(source->commits.empty());
  CHECK(source->commits.back() == std::pair<std::int32_t, std::int64_t>{0, 23});
}

namespace {

/// Asks `subject` to rewind `partitions` and runs until it answered.
std::optional<rewind_done> rewind(actor_fixture& fx, const consumer_actor& subject,
                                  std::vector<std::int32_t> partitions) {
  auto pending = fx.self->request(subject, caf::infinite, rewind_request{std::move(partitions), "test"});
  fx.run_steps(5);
  std::optional<rewind_done> answer;
  pending.receive([&](rewind_done& done) { answer = std::move(done); }, [&](caf::error&) {});
  return answer;
}

std::uint64_t last_epoch_of(const collected<consumed_batch>& seen, std::int32_t partition) {
  std::uint64_t epoch = 0;
  for (const auto& batch : seen.batches)
    if (batch.partition == partition)
      epoch = batch.epoch;
  return epoch;
}

} // namespace

TEST_CASE_METHOD(consumer_fixture,
                 "consumer: a rewind gives only its partitions a new epoch, credit and the committed offset",
                 "[actors][consumer][rewind]") {
  source->partitions[0] = values(100, 0);
  source->partitions[1] = values(100, 1);
  source->commits = {{0, 5}}; // what the last transaction committed for partition 0
  settings.batch_size = 5;
  settings.max_in_flight = 20; // 10 per partition
  auto subject = start();
  run_steps(100);
  REQUIRE(source->paused == std::set<std::int32_t>{0, 1}); // both out of credit
  const auto old_epoch_0 = last_epoch_of(*seen, 0);
  const auto old_epoch_1 = last_epoch_of(*seen, 1);
  seen->batches.clear();
  auto done = rewind(*this, subject, {0});
  REQUIRE(done);
  REQUIRE(done->partitions == std::vector<std::int32_t>{0});
  CHECK(done->epochs[0] > old_epoch_0);
  CHECK(source->rewinds == std::vector<std::vector<std::int32_t>>{{0}});
  run_steps(100);
  // Partition 0 reads again from its committed offset under the new epoch, with fresh credit;
  // partition 1 stays paused in its old epoch.
  REQUIRE_FALSE(seen->batches.empty());
  for (const auto& batch : seen->batches) {
    CHECK(batch.partition == 0);
    CHECK(batch.epoch == done->epochs[0]);
  }
  CHECK(seen->batches.front().records.front().offset == 5);
  CHECK(metrics.partition(0).in_flight == 10);
  CHECK(source->paused.count(1) == 1);
  // Credit of the epoch before the rewind counts for nothing.
  self->send(subject, batch_delivered{0, old_epoch_0, 10, 10});
  run_steps(10);
  CHECK(metrics.partition(0).in_flight == 10);
  // Partition 1's own credit still works: it reads on, in its old epoch.
  seen->batches.clear();
  self->send(subject, batch_delivered{1, old_epoch_1, 10, 10});
  run_steps(10);
  REQUIRE_FALSE(seen->batches.empty());
  CHECK(seen->batches.front().partition == 1);
  CHECK(seen->batches.front().epoch == old_epoch_1);
  CHECK(seen->batches.front().records.front().offset >= 10); // where it was, not rewound
  CHECK(metrics.partition(0).rewinds == 0);                  // counted by the producer, which asks for rewinds
  self->send_exit(subject, caf::exit_reason::user_shutdown);
  run_steps(10);
}

TEST_CASE_METHOD(consumer_fixture, "consumer: a rewind that cannot reposition stops it with the error",
                 "[actors][consumer][rewind]") {
  source->partitions[0] = values(10, 0);
  source->fail_rewind = true;
  auto subject = start();
  self->monitor(subject);
  run_steps(10);
  CHECK_FALSE(rewind(*this, subject, {0}));
  caf::error reason;
  self->receive([&](caf::down_msg& down) { reason = down.reason; }, caf::after(std::chrono::seconds(0)) >> [] {});
  REQUIRE(reason);
  CHECK(describe_error(reason).find("committed offsets") != std::string::npos);
}

TEST_CASE_METHOD(consumer_fixture, "consumer: a source the brokers refuse closes it and stops it with the reason",
                 "[actors][consumer][security]") {
  source->partitions[0] = values(5, 0);
  bool closed = false;
  hooks.on_closed = [&] { closed = true; };
  auto subject = start();
  self->monitor(subject);
  run_steps(10);
  REQUIRE_FALSE(closed); // polling on: nothing wrong yet
  source->scripted_failure = make_error(job_error::kafka_setup, "not authorized: Group authorization failed");
  run_steps(10);
  CHECK(closed);         // downstream told to stop: what is in flight is committed
  CHECK(source->closed); // the group is left
  caf::error reason;
  self->receive([&](caf::down_msg& down) { reason = down.reason; }, caf::after(std::chrono::seconds(0)) >> [] {});
  REQUIRE(reason);
  CHECK(describe_error(reason) == "not authorized: Group authorization failed");
}

TEST_CASE_METHOD(consumer_fixture, "consumer: a revocation hands records in flight over with their epoch and offsets",
                 "[actors][consumer][handover]") {
  source->partitions[0] = values(23, 0);
  source->partitions[1] = values(4, 1);
  std::optional<handover_request> handed_over;
  bool closed = false;
  hooks.hand_over = [&](handover_request request) {
    handed_over = request;
    return handover_result{true, "", request.partitions, request.next_offsets};
  };
  hooks.on_closed = [&] { closed = true; };
  settings.batch_size = 10;
  settings.max_in_flight = 100;
  auto subject = start();
  run_steps(20);
  REQUIRE(metrics.partition(0).in_flight == 23);
  self->send(subject, stop_atom::value);
  run_steps(20);
  REQUIRE(handed_over);
  CHECK(handed_over->partitions == std::vector<std::int32_t>{0, 1});
  CHECK(handed_over->next_offsets == std::vector<std::int64_t>{23, 4});
  CHECK(handed_over->epochs == std::vector<std::uint64_t>{last_epoch_of(*seen, 0), last_epoch_of(*seen, 1)});
  CHECK(closed);
  CHECK(source->closed);
  CHECK_FALSE(metrics.partition(0).assigned);
}

// --- issue 24: hand-overs that carry the group generation, lost assignments, honest exits ------

namespace {

/// Records every hand-over and answers it as `answer` says (nullopt: no answer in time).
struct handover_script {
  std::vector<handover_request> requests;
  std::vector<group_assignment> assignments;
  std::function<std::optional<handover_result>(const handover_request&)> answer = [](const handover_request& r) {
    return std::optional<handover_result>{handover_result{true, "", r.partitions, r.next_offsets}};
  };
};

/// Watches `subject` and returns its exit reason once it is down (none: still running).
std::optional<caf::error> exit_of(actor_fixture& fx, const consumer_actor& subject) {
  std::optional<caf::error> reason;
  fx.self->receive(
    [&](caf::down_msg& down) {
      if (down.source == subject.address())
        reason = down.reason;
    },
    caf::after(std::chrono::seconds(0)) >> [] {});
  return reason;
}

} // namespace

TEST_CASE_METHOD(consumer_fixture,
                 "consumer: a hand-over carries the generation, the retained partitions and a lost assignment",
                 "[actors][consumer][handover][generation]") {
  for (int p = 0; p < 3; ++p)
    source->partitions[p] = values(20, p);
  auto script = std::make_shared<handover_script>();
  hooks.hand_over = [script](handover_request request) {
    script->requests.push_back(request);
    return script->answer(request);
  };
  hooks.on_assignment = [script](group_assignment owned) { script->assignments.push_back(std::move(owned)); };
  settings.batch_size = 5;
  // A cooperative rebalance in generation 2 takes partition 2 away; then the assignment is lost.
  source->rebalances = {{2, {2}, {}, false}, {2, {}, {}, false}, {3, {0, 1}, {}, true}};
  auto subject = start();
  run_steps(10);
  REQUIRE(script->requests.size() == 2);
  const auto& cooperative = script->requests[0];
  CHECK(cooperative.partitions == std::vector<std::int32_t>{2});
  CHECK(cooperative.retained == std::vector<std::int32_t>{0, 1});
  CHECK(cooperative.generation == 2);
  CHECK_FALSE(cooperative.lost);
  CHECK_FALSE(cooperative.closing);
  CHECK(script->requests[1].partitions == std::vector<std::int32_t>{0, 1});
  CHECK(script->requests[1].lost);
  // Every assignment tells the producer what this member owns in which generation.
  REQUIRE(script->assignments.size() >= 3);
  CHECK(script->assignments[0].generation == 1);
  CHECK(script->assignments[0].partitions == std::vector<std::int32_t>{0, 1, 2});
  CHECK(script->assignments[1].generation == 2);
  CHECK(script->assignments[1].partitions == std::vector<std::int32_t>{0, 1});
  self->send_exit(subject, caf::exit_reason::user_shutdown);
  run_steps(10);
}

TEST_CASE_METHOD(consumer_fixture,
                 "consumer: a hand-over without an answer stops the job without letting the partitions go",
                 "[actors][consumer][handover]") {
  source->partitions[0] = values(20, 0);
  source->partitions[1] = values(20, 1);
  auto script = std::make_shared<handover_script>();
  script->answer = [](const handover_request&) { return std::optional<handover_result>{}; };
  hooks.hand_over = [script](handover_request request) {
    script->requests.push_back(request);
    return script->answer(request);
  };
  std::vector<std::string> abandoned;
  bool closed = false;
  hooks.abandon = [&](const std::string& reason) { abandoned.push_back(reason); };
  hooks.on_closed = [&] { closed = true; };
  settings.batch_size = 5;
  source->rebalances = {{2, {1}, {}, false}};
  auto subject = start();
  self->monitor(subject);
  run_steps(10);
  REQUIRE(abandoned.size() == 1);
  CHECK(abandoned[0].find("no answer") != std::string::npos);
  auto reason = exit_of(*this, subject);
  REQUIRE(reason);
  CHECK(is_job_error(*reason, job_error::transaction_failed));
  CHECK_FALSE(closed); // no graceful stop: the producer must not commit after this
  CHECK(script->requests.size() == 1);
  CHECK_FALSE(metrics.consuming);
}

TEST_CASE_METHOD(consumer_fixture, "consumer: a stop whose last hand-over was not committed is an error exit",
                 "[actors][consumer][shutdown]") {
  source->partitions[0] = values(20, 0);
  bool closed = false;
  bool committed = true;
  SECTION("committed") {
  }
  SECTION("not committed") {
    committed = false;
  }
  hooks.hand_over = [&](handover_request request) {
    CHECK(request.closing); // the producer knows that the job ends after this one
    return std::optional<handover_result>{
      handover_result{committed, committed ? "" : "scripted: the transaction could not be committed",
                      request.partitions, request.next_offsets}};
  };
  hooks.on_closed = [&] { closed = true; };
  auto subject = start();
  self->monitor(subject);
  run_steps(10);
  self->send(subject, stop_atom::value);
  run_steps(10);
  auto reason = exit_of(*this, subject);
  REQUIRE(reason);
  CHECK(closed); // the producer is stopped either way
  if (committed) {
    CHECK_FALSE(*reason);
  } else {
    REQUIRE(*reason);
    CHECK(describe_error(*reason).find("not committed") != std::string::npos);
  }
}

TEST_CASE_METHOD(consumer_fixture, "consumer: a fatal consumer error stops it with the reason, nothing handed over",
                 "[actors][consumer][fatal]") {
  source->partitions[0] = values(20, 0);
  int handovers = 0;
  bool closed = false;
  hooks.hand_over = [&](handover_request request) {
    ++handovers;
    return std::optional<handover_result>{handover_result{true, "", request.partitions, request.next_offsets}};
  };
  hooks.on_closed = [&] { closed = true; };
  auto subject = start();
  self->monitor(subject);
  run_steps(5);
  REQUIRE(metrics.consuming);
  source->fatal_error = "the Kafka consumer cannot go on: FENCED_INSTANCE_ID (scripted)";
  run_steps(5);
  auto reason = exit_of(*this, subject);
  REQUIRE(reason);
  CHECK(is_job_error(*reason, job_error::fatal_kafka_error));
  CHECK(describe_error(*reason).find("FENCED_INSTANCE_ID") != std::string::npos);
  CHECK(handovers == 0);
  CHECK_FALSE(closed);
  CHECK_FALSE(metrics.consuming);
}

TEST_CASE_METHOD(consumer_fixture, "consumer: a revoked partition's lag series disappears, its counters stay",
                 "[actors][consumer][metrics]") {
  source->partitions[0] = values(30, 0);
  source->partitions[1] = values(50, 1);
  settings.batch_size = 10;
  metrics.topic = "in";
  auto subject = start();
  run_steps(1); // the first poll: assigned, 5 records of each read, the lag taken
  auto text = prometheus_text(metrics, {"v", "r"});
  CHECK(text.find("kstream_consumer_lag_records{topic=\"in\",partition=\"0\"} 25\n") != std::string::npos);
  CHECK(text.find("kstream_consumer_lag_records{topic=\"in\",partition=\"1\"} 45\n") != std::string::npos);
  source->rebalances = {{2, {1}, {}, false}}; // a cooperative rebalance takes partition 1 away
  run_steps(1);
  text = prometheus_text(metrics, {"v", "r"});
  CHECK(text.find("kstream_consumer_lag_records{topic=\"in\",partition=\"0\"}") != std::string::npos);
  CHECK(text.find("kstream_consumer_lag_records{topic=\"in\",partition=\"1\"}") == std::string::npos);
  CHECK(text.find("kstream_records_in_flight{topic=\"in\",partition=\"1\"}") == std::string::npos);
  CHECK(text.find("kstream_partition_paused{topic=\"in\",partition=\"1\"}") == std::string::npos);
  CHECK(text.find("kstream_records_consumed_total{topic=\"in\",partition=\"1\"} 5\n") != std::string::npos);
  CHECK(text.find("kstream_partitions_assigned 1\n") != std::string::npos);
  // Summed over replicas, a revoked partition no longer counts twice.
  CHECK(metrics.sum().lag == metrics.partition(0).lag.load());
  self->send_exit(subject, caf::exit_reason::user_shutdown);
  run_steps(5);
}

TEST_CASE_METHOD(consumer_fixture, "consumer: no acknowledgement while records wait is a stall, acks are progress",
                 "[actors][consumer][health]") {
  source->partitions[0] = values(30, 0);
  settings.batch_size = 10;
  settings.max_in_flight = 20;
  const auto timeout = std::chrono::milliseconds(1000);
  auto subject = start();
  run_steps(5); // the collector never acknowledges: 20 in flight, 10 behind
  REQUIRE(metrics.partition(0).in_flight == 20);
  const auto stuck_since = std::chrono::steady_clock::now();
  auto verdict = metrics.health(timeout, stuck_since + std::chrono::seconds(5));
  CHECK_FALSE(verdict.healthy);
  CHECK(verdict.reason.find("20 records in flight") != std::string::npos);
  // An acknowledgement of the current epoch is progress.
  self->send(subject, batch_delivered{0, seen->batches.front().epoch, 10, 10});
  run_steps(2);
  CHECK(metrics.health(timeout, std::chrono::steady_clock::now()).healthy);
  self->send_exit(subject, caf::exit_reason::user_shutdown);
  run_steps(5);
}

TEST_CASE_METHOD(consumer_fixture, "consumer: bytes in flight are bounded too, acks give byte credit back",
                 "[actors][consumer][bytes]") {
  // 40-byte values: 200 bytes a record with the fixed allowance (record_memory_overhead).
  const std::size_t record_bytes = 40 + record_memory_overhead;
  source->partitions[0] = std::vector<std::string>(100, std::string(40, 'v'));
  settings.batch_size = 100;
  settings.max_in_flight = 1000;                                               // the record bound never binds here
  settings.max_in_flight_bytes = static_cast<std::int64_t>(10 * record_bytes); // 2000 bytes: ten records
  auto subject = start();
  run_steps(100);
  // Batches are cut at a quarter of the share (3 records: 600 >= 500); the fourth batch
  // reaches the share exactly and the partition is paused within the poll.
  REQUIRE(seen->batches.size() == 4);
  CHECK(record_count(*seen) == 10);
  CHECK(seen->batches[0].bytes == 3 * record_bytes);
  CHECK(seen->batches[3].bytes == record_bytes);
  CHECK(source->paused.count(0) == 1);
  CHECK(source->pause_calls == 1);
  CHECK(metrics.partition(0).in_flight_bytes == static_cast<std::int64_t>(10 * record_bytes));
  CHECK(metrics.sum().in_flight_bytes == static_cast<std::int64_t>(10 * record_bytes));
  CHECK(metrics.in_flight_bytes_limit == static_cast<std::int64_t>(10 * record_bytes));
  const auto epoch = seen->batches[0].epoch;
  // An ack of records without their bytes gives no byte credit: still paused.
  self->send(subject, batch_delivered{0, epoch, 3, 3, 0});
  run_steps(100);
  CHECK(source->resume_calls == 0);
  // The bytes of one batch back: 1400 in flight, above half the share (1000): still paused ...
  self->send(subject, batch_delivered{0, epoch, 0, 3, 3 * record_bytes});
  run_steps(100);
  CHECK(source->resume_calls == 0);
  CHECK(metrics.partition(0).in_flight_bytes == static_cast<std::int64_t>(7 * record_bytes));
  // ... a second batch's bytes bring it to half: reading resumes until the share is used again.
  self->send(subject, batch_delivered{0, epoch, 3, 6, 3 * record_bytes});
  run_steps(100);
  CHECK(source->resume_calls == 1);
  CHECK(record_count(*seen) == 16);
  CHECK(source->pause_calls == 2);
  CHECK(metrics.partition(0).in_flight_bytes == static_cast<std::int64_t>(10 * record_bytes));
  // Byte credit of another epoch (a rewound or revoked assignment) counts for nothing.
  self->send(subject, batch_delivered{0, epoch + 1, 10, 16, 10 * record_bytes});
  run_steps(100);
  CHECK(metrics.partition(0).in_flight_bytes == static_cast<std::int64_t>(10 * record_bytes));
  self->send_exit(subject, caf::exit_reason::user_shutdown);
  run_steps(100);
}

TEST_CASE_METHOD(consumer_fixture, "consumer: the byte bound is shared, a record larger than a share goes alone",
                 "[actors][consumer][bytes]") {
  // Two partitions share 4000 bytes: 2000 each. Partition 0's records are 5000 bytes, larger
  // than its share: each goes alone and pauses its partition; partition 1's small ones flow.
  source->partitions[0] = std::vector<std::string>(5, std::string(5000, 'L'));
  source->partitions[1] = std::vector<std::string>(100, std::string(40, 's'));
  settings.batch_size = 100;
  settings.max_in_flight = 1000;
  settings.max_in_flight_bytes = 4000;
  auto subject = start();
  run_steps(100);
  std::size_t large = 0, small = 0;
  for (const auto& b : seen->batches)
    (b.partition == 0 ? large : small) += b.records.size();
  CHECK(large == 1);
  CHECK(small == 10); // 2000 / 200
  CHECK(source->paused == std::set<std::int32_t>{0, 1});
  CHECK(metrics.partition(0).in_flight_bytes == static_cast<std::int64_t>(5000 + record_memory_overhead));
  // The large record's ack brings the next one, alone again.
  const auto& first = *std::find_if(seen->batches.begin(), seen->batches.end(),
                                    [](const consumed_batch& b) { return b.partition == 0; });
  self->send(subject, batch_delivered{0, first.epoch, 1, 1, first.bytes});
  run_steps(100);
  large = 0;
  for (const auto& b : seen->batches)
    large += b.partition == 0 ? b.records.size() : 0;
  CHECK(large == 2);
  CHECK(source->paused.count(0) == 1);
  self->send_exit(subject, caf::exit_reason::user_shutdown);
  run_steps(100);
}
