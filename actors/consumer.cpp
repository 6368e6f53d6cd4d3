// The consumer actor (actors/consumer.hpp).
#include "actors/consumer.hpp"

#include "core/partition_list.hpp"
#include "messages/errors.hpp"

#include <spdlog/spdlog.h>

#include <caf/event_based_actor.hpp>

#include <algorithm>

namespace kstream {

namespace {

constexpr auto lag_update_interval = std::chrono::seconds(1);

} // namespace

void consumer_state::on_assigned(const std::vector<std::int32_t>& assigned) {
  if (closed)
    return; // failed: nothing is read any more
  ever_assigned = true;
  metrics->rebalances.fetch_add(1, std::memory_order_relaxed);
  for (auto partition : assigned) {
    auto& flow = partitions[partition];
    flow = partition_flow{};
    flow.stage = hooks.spawn_stage(partition);
    flow.epoch = epoch;
    metrics->partition(partition).reset_flow(true);
  }
  spdlog::info("consumer: assigned partitions [{}]", partition_list(assigned));
  if (hooks.on_assignment) {
    // Sent before any batch of the new partitions, so the producer knows them first. Under
    // cooperative rebalancing the partitions kept from before are in the list: their work
    // stays valid in the new generation.
    group_assignment owned{source->membership().generation, {}};
    for (const auto& [partition, flow] : partitions)
      owned.partitions.push_back(partition);
    hooks.on_assignment(std::move(owned));
  }
}

void consumer_state::on_revoked(const std::vector<std::int32_t>& revoked, bool lost) {
  metrics->rebalances.fetch_add(1, std::memory_order_relaxed);
  dispatch_pending();
  // Finish what is in flight for these partitions before another instance takes them over:
  // under exactly_once their output and offsets are committed together in one transaction.
  // A lost assignment is not finished but aborted (librdkafka's examples/transactions.c).
  handover_request request;
  request.lost = lost;
  request.closing = closing;
  for (auto partition : revoked) {
    auto it = partitions.find(partition);
    if (it == partitions.end())
      continue;
    request.partitions.push_back(partition);
    request.epochs.push_back(it->second.epoch);
    request.next_offsets.push_back(it->second.dispatched_next);
  }
  if (hooks.hand_over && !request.partitions.empty()) {
    request.generation = source->membership().generation;
    for (const auto& [partition, flow] : partitions)
      if (std::find(revoked.begin(), revoked.end(), partition) == revoked.end())
        request.retained.push_back(partition);
    auto result = hooks.hand_over(request);
    if (!result) {
      // Letting the partitions go now would leave their work in a transaction that may still
      // commit after their new owner has read the same records again.
      auto reason = "handing partitions [" + partition_list(request.partitions)
                    + "] over got no answer in time (job.shutdown-timeout-ms): stopping without letting them go, "
                      "so that their open transaction cannot commit after another instance took them over";
      if (hooks.abandon)
        hooks.abandon(reason);
      fail(make_error(job_error::transaction_failed, reason));
      return;
    }
    if (!result->ok) {
      spdlog::warn("consumer: handing partitions [{}] over failed ({}); their uncommitted records will be read again",
                   partition_list(request.partitions), result->error);
      if (closing)
        unfinished = result->error;
    } else if (settings.commit_acked_offsets) {
      std::vector<std::pair<std::int32_t, std::int64_t>> offsets;
      for (std::size_t i = 0; i < result->partitions.size(); ++i)
        if (result->next_offsets[i] >= 0)
          offsets.emplace_back(result->partitions[i], result->next_offsets[i]);
      if (!offsets.empty())
        source->commit(offsets, true);
    }
  }
  for (auto partition : revoked) {
    auto it = partitions.find(partition);
    if (it == partitions.end())
      continue;
    self->send_exit(it->second.stage, caf::exit_reason::user_shutdown);
    partitions.erase(it);
    metrics->partition(partition).reset_flow(false);
  }
  // Acks still on their way for the revoked partitions must not count for a later assignment.
  ++epoch;
  spdlog::info("consumer: revoked partitions [{}]", partition_list(revoked));
}

void consumer_state::on_record(std::int32_t partition, kafka_record&& record) {
  auto it = partitions.find(partition);
  if (it == partitions.end())
    return;
  auto& flow = it->second;
  flow.at_end = false;
  flow.at_log_end = false;
  flow.dispatched_next = record.offset + 1;
  flow.pending_bytes += payload_bytes(record.key, record.value, record.headers) + record_memory_overhead;
  flow.pending.push_back(std::move(record));
  // Keep batches at the configured size even when one poll brings more, and at a quarter of
  // the partition's byte share: a batch is briefly in memory twice while the producer copies
  // it into librdkafka. With large records, stop reading the partition as soon as its bytes
  // are used, not at the end of the poll: one poll of a thousand 1 MB records is a gigabyte.
  const auto byte_credit = partition_byte_credit();
  const auto pending_bytes = static_cast<std::int64_t>(flow.pending_bytes);
  if (flow.pending.size() >= settings.batch_size || pending_bytes >= byte_credit / 4
      || flow.in_flight_bytes + pending_bytes >= byte_credit) {
    send_pending(partition, flow);
    pause_when_out_of_credit(partition, flow);
  }
}

void consumer_state::send_pending(std::int32_t partition, partition_flow& flow) {
  if (flow.pending.empty())
    return;
  consumed_batch batch{partition, flow.epoch, std::move(flow.pending), flow.pending_bytes};
  flow.pending = {};
  flow.pending_bytes = 0;
  flow.in_flight += static_cast<std::int64_t>(batch.records.size());
  flow.in_flight_bytes += static_cast<std::int64_t>(batch.bytes);
  auto& m = metrics->partition(partition);
  m.consumed.fetch_add(batch.records.size(), std::memory_order_relaxed);
  m.in_flight.store(flow.in_flight, std::memory_order_relaxed);
  m.in_flight_bytes.store(flow.in_flight_bytes, std::memory_order_relaxed);
  self->send(flow.stage, std::move(batch));
}

void consumer_state::pause_when_out_of_credit(std::int32_t partition, partition_flow& flow) {
  if (flow.paused || (flow.in_flight < partition_credit() && flow.in_flight_bytes < partition_byte_credit()))
    return;
  // Out of credit: stop fetching this partition until acks come back.
  source->pause(partition);
  flow.paused = true;
  auto& m = metrics->partition(partition);
  m.paused = true;
  m.pauses.fetch_add(1, std::memory_order_relaxed);
}

void consumer_state::on_end_of_partition(std::int32_t partition, bool log_end) {
  auto it = partitions.find(partition);
  if (it != partitions.end()) {
    it->second.at_end = true;
    it->second.at_log_end = log_end;
  }
}

void consumer_state::on_fatal_error(const std::string& reason) {
  if (!fatal)
    fatal = reason;
}

std::int64_t consumer_state::partition_credit() const {
  // At least one batch, or a partition of a widely spread assignment could never be read.
  const auto share = settings.max_in_flight / std::max<std::int64_t>(1, static_cast<std::int64_t>(partitions.size()));
  return std::max(share, static_cast<std::int64_t>(settings.batch_size));
}

std::int64_t consumer_state::partition_byte_credit() const {
  return std::max<std::int64_t>(1, settings.max_in_flight_bytes
                                     / std::max<std::int64_t>(1, static_cast<std::int64_t>(partitions.size())));
}

void consumer_state::dispatch_pending() {
  for (auto& [partition, flow] : partitions) {
    send_pending(partition, flow);
    pause_when_out_of_credit(partition, flow);
    metrics->partition(partition).at_end.store(flow.at_end, std::memory_order_release);
  }
}

void consumer_state::on_delivered(const batch_delivered& ack) {
  auto it = partitions.find(ack.partition);
  if (it == partitions.end() || it->second.epoch != ack.epoch)
    return; // stale: the partition was revoked or rewound since
  auto& flow = it->second;
  metrics->note_progress();
  flow.in_flight -= static_cast<std::int64_t>(ack.records);
  flow.in_flight_bytes = std::max<std::int64_t>(0, flow.in_flight_bytes - static_cast<std::int64_t>(ack.bytes));
  flow.acked_next = std::max(flow.acked_next, ack.next_offset);
  auto& m = metrics->partition(ack.partition);
  m.in_flight.store(flow.in_flight, std::memory_order_relaxed);
  m.in_flight_bytes.store(flow.in_flight_bytes, std::memory_order_relaxed);
  // Resume at half the bounds, not at the bounds: fewer pause/resume round trips.
  if (flow.paused && flow.in_flight <= partition_credit() / 2 && flow.in_flight_bytes <= partition_byte_credit() / 2) {
    source->resume(ack.partition);
    flow.paused = false;
    m.paused = false;
  }
}

caf::expected<rewind_done> consumer_state::on_rewind(const rewind_request& request) {
  rewind_done done;
  std::vector<std::int32_t> ids;
  for (auto partition : request.partitions) {
    done.partitions.push_back(partition);
    auto it = partitions.find(partition);
    if (it == partitions.end()) {
      // Revoked since: a later assignment starts at the current epoch or above.
      done.epochs.push_back(epoch);
      continue;
    }
    auto& flow = it->second;
    flow.epoch = ++epoch;
    flow.in_flight = 0;
    flow.in_flight_bytes = 0;
    flow.pending.clear();
    flow.pending_bytes = 0;
    flow.at_end = false;
    flow.at_log_end = false;
    flow.dispatched_next = -1;
    if (flow.paused) {
      source->resume(partition);
      flow.paused = false;
    }
    auto& m = metrics->partition(partition);
    m.in_flight = 0;
    m.in_flight_bytes = 0;
    m.at_end = false;
    m.paused = false;
    done.epochs.push_back(flow.epoch);
    ids.push_back(partition);
  }
  if (ids.empty())
    return done;
  spdlog::warn("consumer: rewinding partitions [{}] to their committed offsets ({})", partition_list(ids),
               request.reason);
  // Under at_least_once what was acknowledged is safe: commit it first, so that the rewind
  // repeats as little as possible.
  if (settings.commit_acked_offsets)
    commit_acked(true);
  if (auto err = source->rewind(ids))
    return err;
  return done;
}

void consumer_state::commit_acked(bool synchronous) {
  std::vector<std::pair<std::int32_t, std::int64_t>> offsets;
  for (auto& [partition, flow] : partitions) {
    if (flow.acked_next > flow.committed_next) {
      offsets.emplace_back(partition, flow.acked_next);
      flow.committed_next = flow.acked_next;
    }
  }
  if (!offsets.empty()) {
    const auto started = std::chrono::steady_clock::now();
    source->commit(offsets, synchronous);
    metrics->commit_duration.observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  }
  last_commit = std::chrono::steady_clock::now();
}

bool consumer_state::drained() const {
  if (!ever_assigned || partitions.empty())
    return false;
  for (const auto& [partition, flow] : partitions)
    if (!flow.at_log_end || flow.in_flight > 0 || !flow.pending.empty())
      return false;
  return true;
}

void consumer_state::poll_once() {
  bool busy = false;
  for (const auto& [partition, flow] : partitions)
    busy = busy || flow.in_flight > 0;
  source->poll(settings.batch_size, busy ? settings.busy_poll_timeout : settings.idle_poll_timeout);
  dispatch_pending();
  auto now = std::chrono::steady_clock::now();
  if (settings.commit_acked_offsets && now - last_commit >= settings.commit_interval)
    commit_acked(false);
  if (now - last_lag_update >= lag_update_interval) {
    last_lag_update = now;
    for (const auto& [partition, flow] : partitions)
      metrics->partition(partition).lag.store(source->lag(partition), std::memory_order_relaxed);
  }
  metrics->consuming = !partitions.empty();
  metrics->input_reachable = source->reachable();
}

void consumer_state::close(caf::error reason) {
  if (closed)
    return;
  closing = true;
  metrics->consuming = false;
  if (settings.commit_acked_offsets)
    commit_acked(true);
  // Leaving the group revokes every partition: on_revoked() drains and commits them.
  source->close();
  if (closed)
    return; // the hand-over failed the consumer
  closed = true;
  for (auto& [partition, flow] : partitions)
    self->send_exit(flow.stage, caf::exit_reason::user_shutdown);
  partitions.clear();
  if (hooks.on_closed)
    hooks.on_closed();
  if (reason) {
    // The brokers refused the consumer: the reason says more than what it left uncommitted.
    self->quit(std::move(reason));
    return;
  }
  if (unfinished) {
    // Exit code 0 says that everything consumed is committed: it is not.
    self->quit(make_error(job_error::transaction_failed, "the last records consumed were not committed (" + *unfinished
                                                           + "); they will be read again on the next start"));
    return;
  }
  self->quit();
}

void consumer_state::fail(caf::error error) {
  if (closed)
    return;
  closed = true;
  metrics->consuming = false;
  for (auto& [partition, flow] : partitions) {
    self->send_exit(flow.stage, caf::exit_reason::user_shutdown);
    metrics->partition(partition).assigned = false;
  }
  partitions.clear();
  spdlog::critical("consumer: {}", describe_error(error));
  self->quit(std::move(error));
}

consumer_actor::behavior_type consumer(consumer_actor::stateful_pointer<consumer_state> self,
                                       std::shared_ptr<record_source> source, consumer_hooks hooks,
                                       consumer_settings settings, metrics_registry* metrics) {
  auto& st = self->state;
  st.self = self;
  st.source = std::move(source);
  st.hooks = std::move(hooks);
  st.settings = settings;
  st.metrics = metrics;
  st.metrics->in_flight_bytes_limit = settings.max_in_flight_bytes;
  st.source->set_listener(&st);
  return {
    [=](poll_atom) {
      auto& st = self->state;
      if (st.closed)
        return;
      st.poll_once();
      if (st.fatal) {
        st.fail(make_error(job_error::fatal_kafka_error, *st.fatal));
        return;
      }
      if (st.closed)
        return; // a hand-over failed the consumer
      if (auto failure = st.source->failure()) {
        // The brokers refuse the consumer: what is in flight is still handed over and
        // committed, then the job stops with the reason.
        spdlog::critical("consumer: {}", describe_error(failure));
        st.close(std::move(failure));
        return;
      }
      if (st.settings.drain && st.drained()) {
        spdlog::info("consumer: every assigned partition is at its end and fully acknowledged");
        st.close();
        return;
      }
      self->send(self, poll_atom::value);
    },
    [=](batch_delivered& ack) { self->state.on_delivered(ack); },
    [=](rewind_request& request) -> caf::result<rewind_done> {
      auto done = self->state.on_rewind(request);
      if (!done) {
        // A partition that cannot be repositioned would skip or repeat records: stop the job.
        spdlog::critical("consumer: {}", describe_error(done.error()));
        self->quit(done.error());
        return done.error();
      }
      return std::move(*done);
    },
    [=](stop_atom) {
      if (self->state.closed)
        return;
      spdlog::info("consumer: stopping: finishing and committing what is in flight");
      self->state.close();
    },
  };
}

} // namespace kstream
