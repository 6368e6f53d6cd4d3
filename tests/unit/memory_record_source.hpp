#pragma once

// An in-memory record_source for actor tests: partitions are vectors of values, pause and
// resume are honoured exactly as a Kafka consumer would (no records of a paused partition).

#include "actors/record_source.hpp"

#include <caf/sec.hpp>

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
  /// Partitions the next poll revokes, as a rebalance would; they are not read any more.
  std::vector<std::int32_t> revoke_next;
  std::set<std::int32_t> revoked;

  void set_listener(listener* target) override {
    listener_ = target;
  }

  void poll(std::size_t max_records, std::chrono::milliseconds) override {
    if (!assigned_) {
      assigned_ = true;
      std::vector<std::int32_t> ids;
      for (auto& [id, values] : partitions)
        ids.push_back(id);
      listener_->on_assigned(ids);
    }
    if (!revoke_next.empty()) {
      listener_->on_revoked(revoke_next);
      revoked.insert(revoke_next.begin(), revoke_next.end());
      revoke_next.clear();
    }
    // Round-robin over the partitions, one record at a time, like a fetch of several.
    std::size_t taken = 0;
    bool progress = true;
    while (taken < max_records && progress) {
      progress = false;
      for (auto& [id, values] : partitions) {
        auto& pos = position[id];
        if (paused.count(id) != 0 || revoked.count(id) != 0 || taken >= max_records)
          continue;
        if (pos >= values.size()) {
          listener_->on_end_of_partition(id);
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

  std::shared_ptr<RdKafka::ConsumerGroupMetadata> group_metadata() override {
    return nullptr;
  }

  std::int64_t lag(std::int32_t partition) override {
    return static_cast<std::int64_t>(partitions[partition].size() - position[partition]);
  }

  bool reachable() override {
    return true;
  }

  void close() override {
    closed = true;
    std::vector<std::int32_t> ids;
    for (auto& [id, values] : partitions)
      ids.push_back(id);
    listener_->on_revoked(ids);
  }

private:
  listener* listener_ = nullptr;
  bool assigned_ = false;
};

} // namespace kstream::testing
