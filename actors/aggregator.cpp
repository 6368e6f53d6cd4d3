// The stats view's aggregator actor and its board (actors/aggregator.hpp).
#include "actors/aggregator.hpp"

#include <caf/actor_cast.hpp>
#include <caf/exit_reason.hpp>
#include <caf/typed_event_based_actor.hpp>

namespace kstream {

stats_board::stats_board() : latest_(std::make_shared<const stats_view>()) {
}

std::shared_ptr<const stats_view> stats_board::latest() const {
  std::lock_guard<std::mutex> guard{mutex_};
  return latest_;
}

void stats_board::publish(std::shared_ptr<const stats_view> view) {
  std::lock_guard<std::mutex> guard{mutex_};
  latest_ = std::move(view);
}

void aggregator_state::publish(stats_board* board, bool checkpoint) {
  auto view = std::make_shared<stats_view>(counters);
  view->table = table.snapshot();
  view->updated_at = std::chrono::system_clock::now();
  if (checkpoint) {
    counters.checkpoint = std::make_shared<const std::string>(
      domain::checkpoint_json(settings.input_topic, counters.next_offsets, table));
    view->checkpoint = counters.checkpoint;
    changed_since_checkpoint = false;
  }
  board->publish(std::move(view));
}

aggregator_actor::behavior_type aggregator(aggregator_actor::stateful_pointer<aggregator_state> self,
                                           stats_board* board, aggregator_settings settings) {
  self->set_exit_handler([self](caf::exit_msg& msg) {
    if (msg.reason != caf::exit_reason::user_shutdown)
      self->quit(msg.reason);
  });
  auto& st = self->state;
  st.settings = std::move(settings);
  if (st.settings.restored) {
    st.table = std::move(st.settings.restored->table);
    st.counters.next_offsets = st.settings.restored->positions;
    st.counters.restored_records = st.table.records();
    st.settings.restored.reset();
    st.publish(board, false);
  }
  if (st.settings.checkpoint_interval.count() > 0)
    self->delayed_send(self, st.settings.checkpoint_interval, tick_atom::value);
  return {
    [=](consumed_batch& batch) {
      auto& st = self->state;
      auto& counters = st.counters;
      auto next = counters.next_offsets.find(batch.partition);
      std::int64_t counted_up_to = next == counters.next_offsets.end() ? -1 : next->second;
      std::int64_t last_offset = -1;
      bool changed = false;
      for (const auto& record : batch.records) {
        ++counters.records_read;
        last_offset = std::max(last_offset, record.offset);
        if (record.offset < counted_up_to) {
          ++counters.duplicates_skipped;
          continue;
        }
        st.table.add_value(st.parser, record.value);
        counted_up_to = record.offset + 1;
        changed = true;
      }
      if (counted_up_to >= 0)
        counters.next_offsets[batch.partition] = counted_up_to;
      if (changed) {
        ++counters.sequence;
        st.changed_since_checkpoint = true;
      }
      st.publish(board, false);
      // Credit back to the consumer: everything of this batch is accounted for.
      if (auto sender = self->current_sender())
        self->send(caf::actor_cast<credit_actor>(sender),
                   batch_delivered{batch.partition, batch.epoch, batch.records.size(), last_offset + 1, batch.bytes});
    },
    [=](tick_atom) {
      auto& st = self->state;
      if (st.changed_since_checkpoint)
        st.publish(board, true);
      self->delayed_send(self, st.settings.checkpoint_interval, tick_atom::value);
    },
    [=](stop_atom) {
      // The last checkpoint covers everything counted: the next start reads on from there.
      auto& st = self->state;
      if (st.changed_since_checkpoint || !st.counters.checkpoint)
        st.publish(board, true);
      self->quit();
    },
  };
}

} // namespace kstream
