#pragma once

// A scripted record_sink for the producer actor's tests: it keeps what was written per
// transaction like Kafka would (read_committed sees committed transactions only), reports
// deliveries on poll() and flush(), and fails, refuses or errs where a test tells it to.

#include "core/ports/record_sink.hpp"

#include <chrono>
#include <deque>
#include <iterator>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace kstream::testing {

class scripted_record_sink : public record_sink {
public:
  struct written {
    bool dead_letter = false;
    bool unwritable = false;
    std::int32_t partition = -1;
    std::int64_t offset = -1;
    bool null_value = false;
    std::string value;
    std::string reason;
    std::vector<record_header> headers;
    std::uint64_t tag = 0;
    std::int64_t timestamp = -1;
    std::string code; // a dead letter's kstream.error.code
  };

  // --- the script ---
  std::set<std::int64_t> refuse_output;      // source offsets produce_output() refuses
  std::set<std::int64_t> refuse_dead_letter; // source offsets produce_dead_letter() refuses
  std::set<std::int64_t> refuse_unwritable;  // source offsets even produce_unwritable() refuses
  std::set<std::int64_t> fail_delivery;      // source offsets whose delivery report fails
  /// Source offsets the output topic's broker refuses for a reason of their own: as Kafka
  /// does, the whole report (the batch they are in) of their partition fails with it, the
  /// innocent too.
  std::set<std::int64_t> refuse_at_broker;
  int flushes = 0;
  std::deque<step> commit_script; // outcomes of the next commit_transaction() calls
  std::deque<step> send_offsets_script;
  bool deliver_on_poll = true; // false: deliveries only on flush()
  /// A slow output (0: no limit): poll() delivers nothing, and flush() delivers the oldest
  /// records that this rate (value bytes per second) lets through within its timeout, moving
  /// `elapsed` (the tests' clock) on by the time that took.
  std::uint64_t bytes_per_second = 0;
  std::shared_ptr<std::chrono::steady_clock::duration> elapsed = std::make_shared<std::chrono::steady_clock::duration>(
    std::chrono::steady_clock::duration::zero());
  std::vector<std::size_t> flushed_per_commit; // records each successful commit held

  // --- what happened ---
  std::vector<written> unacknowledged;
  std::vector<written> open_transaction; // delivered in the open transaction
  std::vector<written> committed;        // visible to read_committed readers
  std::vector<std::vector<std::pair<std::int32_t, std::int64_t>>> committed_offsets;
  std::vector<std::pair<std::int32_t, std::int64_t>> pending_offsets;
  std::vector<std::int32_t> offset_generations; // the group generation of every send_offsets()
  int begun = 0, commits = 0, aborts = 0;
  bool transactional = true; // false: delivered records are visible at once (at_least_once)

  void set_listener(listener* target) override {
    listener_ = target;
  }

  produce_result produce_output(std::int32_t partition, const output_record& record, std::uint64_t tag) override {
    if (refuse_output.count(record.offset) != 0)
      return {take::refused, "scripted: output too large"};
    unacknowledged.push_back(
      {false, false, partition, record.offset, false, record.value, {}, record.headers, tag, record.timestamp, {}});
    return {};
  }

  produce_result produce_dead_letter(std::int32_t partition, const dead_letter& letter, std::uint64_t tag) override {
    if (refuse_dead_letter.count(letter.source.offset) != 0)
      return {take::refused, "scripted: dead letter too large"};
    unacknowledged.push_back({true, false, partition, letter.source.offset, !letter.source.has_value,
                              letter.source.value, domain::reason_text(letter.reason, letter.detail),
                              letter.source.headers, tag, letter.source.timestamp, domain::code_of(letter.reason)});
    return {};
  }

  produce_result produce_unwritable(std::int32_t partition, const dead_letter& letter, const std::string& refusal,
                                    std::uint64_t tag) override {
    if (refuse_unwritable.count(letter.source.offset) != 0)
      return {take::refused, "scripted: nothing at all can be written"};
    unacknowledged.push_back({true,
                              true,
                              partition,
                              letter.source.offset,
                              false,
                              "",
                              domain::reason_text(letter.reason, letter.detail) + " / " + refusal,
                              {},
                              tag,
                              letter.source.timestamp,
                              domain::code_of(letter.reason)});
    return {};
  }

  void poll(std::chrono::milliseconds) override {
    if (deliver_on_poll && bytes_per_second == 0)
      report(unacknowledged.size());
  }

  bool flush(std::chrono::milliseconds timeout) override {
    ++flushes;
    if (bytes_per_second == 0) {
      report(unacknowledged.size());
      return true;
    }
    const double allowed = std::chrono::duration<double>(timeout).count();
    double spent = 0;
    std::size_t fits = 0;
    for (; fits < unacknowledged.size(); ++fits) {
      const double takes = static_cast<double>(unacknowledged[fits].value.size())
                           / static_cast<double>(bytes_per_second);
      if (spent + takes > allowed)
        break;
      spent += takes;
    }
    const bool all = fits == unacknowledged.size();
    *elapsed += std::chrono::duration_cast<std::chrono::steady_clock::duration>(
      all ? std::chrono::duration<double>(spent) : std::chrono::duration<double>(allowed));
    report(fits);
    return all;
  }

  void probe_connection() override {
  }

  step_result begin_transaction() override {
    ++begun;
    return {};
  }

  step_result send_offsets(const std::vector<std::pair<std::int32_t, std::int64_t>>& offsets,
                           const group_membership& group, std::chrono::milliseconds) override {
    offset_generations.push_back(group.generation);
    auto outcome = next(send_offsets_script);
    if (outcome == step::ok)
      pending_offsets = offsets;
    return {outcome, outcome == step::ok ? "" : "scripted send_offsets failure"};
  }

  step_result commit_transaction(std::chrono::milliseconds) override {
    auto outcome = next(commit_script);
    if (outcome != step::ok)
      return {outcome, "scripted commit failure"};
    ++commits;
    flushed_per_commit.push_back(open_transaction.size());
    committed.insert(committed.end(), open_transaction.begin(), open_transaction.end());
    open_transaction.clear();
    committed_offsets.push_back(std::move(pending_offsets));
    pending_offsets.clear();
    return {};
  }

  step_result abort_transaction(std::chrono::milliseconds) override {
    ++aborts;
    open_transaction.clear();
    unacknowledged.clear(); // purged with the transaction
    pending_offsets.clear();
    return {};
  }

  /// Source offsets of the committed records of `partition` that went to the given topic.
  std::vector<std::int64_t> committed_offsets_of(std::int32_t partition, bool dead_letter) const {
    std::vector<std::int64_t> out;
    for (const auto& record : committed)
      if (record.partition == partition && record.dead_letter == dead_letter)
        out.push_back(record.offset);
    return out;
  }

private:
  static step next(std::deque<step>& script) {
    if (script.empty())
      return step::ok;
    auto outcome = script.front();
    script.pop_front();
    return outcome;
  }

  /// Reports the `count` oldest records written and not yet acknowledged.
  void report(std::size_t count) {
    std::vector<written> batch(std::make_move_iterator(unacknowledged.begin()),
                               std::make_move_iterator(unacknowledged.begin() + static_cast<std::ptrdiff_t>(count)));
    unacknowledged.erase(unacknowledged.begin(), unacknowledged.begin() + static_cast<std::ptrdiff_t>(count));
    std::set<std::int32_t> refused_partitions;
    for (auto& record : batch)
      if (!record.dead_letter && refuse_at_broker.count(record.offset) != 0)
        refused_partitions.insert(record.partition);
    for (auto& record : batch) {
      if (listener_ == nullptr)
        continue;
      if (refused_partitions.count(record.partition) != 0) {
        listener_->on_delivery_failed(record.tag, record.dead_letter, "scripted: Broker: Invalid timestamp", true);
        continue;
      }
      if (fail_delivery.count(record.offset) != 0) {
        listener_->on_delivery_failed(record.tag, record.dead_letter, "scripted: broker refused the record", false);
        continue;
      }
      (transactional ? open_transaction : committed).push_back(record);
      listener_->on_delivered(record.tag, record.dead_letter);
    }
  }

  listener* listener_ = nullptr;
};

} // namespace kstream::testing
