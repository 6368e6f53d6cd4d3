// The stats publisher actor (actors/stats_publisher.hpp).
#include "actors/stats_publisher.hpp"

#include "messages/control.hpp"

#include <spdlog/spdlog.h>

namespace kstream {

void stats_publisher_state::publish() {
  // caught_up() first, then the view: a view taken after the table caught up covers it.
  if (!caught_up && (!settings.caught_up || settings.caught_up())) {
    caught_up = true;
    spdlog::info("stats publisher: caught up with the input{}",
                 sink ? "; publishing the table to " + sink->destination() : "");
  }
  auto view = board->latest();
  if (settings.state_sink && view->checkpoint && view->checkpoint != checkpoint_written) {
    std::string error;
    if (settings.state_sink->publish(settings.state_key, *view->checkpoint, error))
      checkpoint_written = view->checkpoint;
    else
      spdlog::warn("stats publisher: cannot write the checkpoint ({} bytes) to {}: {}", view->checkpoint->size(),
                   settings.state_sink->destination(), error);
    settings.state_sink->poll();
  }
  if (!caught_up || !sink)
    return;
  for (std::size_t i = 0; i < view->table.rows.size(); ++i) {
    const auto& row = view->table.rows[i];
    if (row.records == 0 || published[i] == row)
      continue;
    std::string error;
    if (!sink->publish(std::string{domain::to_string(row.category)}, domain::changelog_value(row), error)) {
      // Not remembered as published: the next round tries again.
      spdlog::warn("stats publisher: cannot produce to {}: {}", sink->destination(), error);
      continue;
    }
    published[i] = row;
  }
  sink->poll();
}

stats_publisher_actor::behavior_type stats_publisher(stats_publisher_actor::stateful_pointer<stats_publisher_state> self,
                                                     const stats_board* board, std::shared_ptr<changelog_sink> sink,
                                                     stats_publisher_settings settings) {
  auto& st = self->state;
  st.board = board;
  st.sink = std::move(sink);
  st.settings = settings;
  self->send(self, tick_atom::value);
  return {
    [=](tick_atom) {
      self->state.publish();
      self->delayed_send(self, self->state.settings.interval, tick_atom::value);
    },
    [=](stop_atom) {
      auto& st = self->state;
      st.publish();
      if (st.sink) {
        st.sink->flush(st.settings.flush_timeout);
        spdlog::info("stats publisher: {} changelog records delivered to {}, {} failed", st.sink->delivered(),
                     st.sink->destination(), st.sink->failed());
      }
      if (st.settings.state_sink) {
        st.settings.state_sink->flush(st.settings.flush_timeout);
        spdlog::info("stats publisher: {} checkpoints delivered to {}, {} failed", st.settings.state_sink->delivered(),
                     st.settings.state_sink->destination(), st.settings.state_sink->failed());
      }
      self->quit();
    },
  };
}

} // namespace kstream
