#pragma once

// An in-memory record_source for actor tests: partitions are vectors of values, pause and
// resume are honoured exactly as a Kafka consumer would (no records of a paused partition).

#include "core/ports/record_source.hpp"

#include <caf/sec.hpp>

#include <deque>
#include <map>
#include <set>
#include <string>

namespace kstream::testing {

class memory_record_source : public record_source {
public:
  std::map<std::int32_t, std::vector<std::string>> partitions; // values per partition
  std::map<std::int32_t, std::size_t> position;
  std::set<std::int32_t> paused;
  std::vector<std::pair<std::int32_t, std::int64_t>> commits;
  int pause_calls = 0;
  int resume_calls = 0;
  bool closed = false;

  void set_listener(listener* target) override {
    listener_ = target;
  }

  void poll(std::size_t max_records, std::chrono::milliseconds) override {
    if (!fatal_error.empty()) {
      listener_->on_fatal_error(fatal_error);
      return;
    }
    if (!assigned_) {
      assigned_ = true;
      std::vector<std::int32_t> ids;
      for (auto& [id, values] : partitions)
        ids.push_back(id);
      listener_->on_assigned(ids);
    } else if (!rebalances.empty()) {
      auto next = rebalances.front();
      rebalances.pop_front();
      generation = next.generation;
      if (!next.revoked.empty())
        listener_->on_revoked(next.revoked, next.lost);
      for (auto id : next.revoked)
        revoked_.insert(id);
      for (auto id : next.added)
        revoked_.erase(id);
      listener_->on_assigned(next.added);
    }
    // Round-robin over the partitions, one record at a time, like a fetch of several.
    std::size_t taken = 0;
    bool progress = true;
    while (taken < max_records && progress) {
      progress = false;
      for (auto& [id, values] : partitions) {
        auto& pos = position[id];
        if (paused.count(id) != 0 || revoked_.count(id) != 0 || taken >= max_records)
          continue;
        if (pos >= values.size()) {
          listener_->on_end_of_partition(id, true);
          continue;
        }
        kafka_record record;
        record.offset = static_cast<std::int64_t>(pos);
        record.value = values[pos++];
        listener_->on_record(id, std::move(record));
        ++taken;
        progress = true;
      }
    }
  }

  void pause(std::int32_t partition) override {
    ++pause_calls;
    paused.insert(partition);
  }

  void resume(std::int32_t partition) override {
    ++resume_calls;
    paused.erase(partition);
  }

  /// Set to make the next rewind fail, as a failed committed() or seek would.
  bool fail_rewind = false;
  std::vector<std::vector<std::int32_t>> rewinds;

  caf::error rewind(const std::vector<std::int32_t>& ids) override {
    rewinds.push_back(ids);
    if (fail_rewind)
      return caf::make_error(caf::sec::runtime_error, "cannot read the committed offsets (scripted)");
    for (auto id : ids) {
      std::int64_t next = 0;
      for (auto& [partition, offset] : commits)
        if (partition == id)
          next = offset;
      position[id] = static_cast<std::size_t>(next);
    }
    return caf::none;
  }

  void commit(const std::vector<std::pair<std::int32_t, std::int64_t>>& offsets, bool) override {
    commits.insert(commits.end(), offsets.begin(), offsets.end());
  }

  /// The group generation membership() reports.
  std::int32_t generation = 1;

  group_membership membership() override {
    return {group_metadata{}, generation};
  }

  /// A rebalance as librdkafka delivers it inside a poll: `revoked` first (lost: the
  /// assignment was lost), then `added`, in generation `generation` (a cooperative rebalance
  /// keeps the other partitions).
  struct scripted_rebalance {
    std::int32_t generation = 1;
    std::vector<std::int32_t> revoked;
    std::vector<std::int32_t> added;
    bool lost = false;
  };
  std::deque<scripted_rebalance> rebalances; // one per poll, after the first assignment

  /// Makes the next poll() report a fatal consumer error.
  std::string fatal_error;

  std::int64_t lag(std::int32_t partition) override {
    return static_cast<std::int64_t>(partitions[partition].size() - position[partition]);
  }

  bool reachable() override {
    return true;
  }

  /// Set to make the source report a failure after the next poll, as a refused client would.
  caf::error scripted_failure;

  caf::error failure() override {
    return scripted_failure;
  }

  void close() override {
    closed = true;
    std::vector<std::int32_t> ids;
    for (auto& [id, values] : partitions)
      if (revoked_.count(id) == 0)
        ids.push_back(id);
    listener_->on_revoked(ids, false);
  }

private:
  listener* listener_ = nullptr;
  bool assigned_ = false;
  std::set<std::int32_t> revoked_;
};

} // namespace kstream::testing
