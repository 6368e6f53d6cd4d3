#pragma once

// The live table in a terminal, redrawn in place like ksqlDB's `EMIT CHANGES` console view.

#include "actors/aggregator.hpp"

#include <caf/stateful_actor.hpp>
#include <caf/typed_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include <chrono>
#include <cstdio>
#include <functional>
#include <string>

namespace kstream {

struct terminal_view_settings {
  std::chrono::milliseconds interval{250};
  /// One status line above the table (topic, lag, ...); called on the actor's thread.
  std::function<std::string()> status_line;
  std::FILE* out = stdout;
};

using terminal_view_actor = caf::typed_actor<caf::reacts_to<tick_atom>, caf::reacts_to<stop_atom>>;

struct terminal_view_state {
  static inline const char* name = "terminal_view";
  const stats_board* board = nullptr;
  terminal_view_settings settings;
  std::string last_frame;
  std::size_t lines = 0; // lines of the last frame on screen

  void draw();
};

/// Redraws the table whenever the board's view or the status line changed, at most once per
/// interval: the cursor goes back up to the previous frame's first line, each line is written
/// over (clearing its old tail), then the rest of the screen is cleared. What the terminal
/// showed above the table stays. On stop_atom it draws a last time (the final table stays on
/// screen) and quits.
terminal_view_actor::behavior_type terminal_view(terminal_view_actor::stateful_pointer<terminal_view_state> self,
                                                 const stats_board* board, terminal_view_settings settings);

/// The frame the view draws: status line, blank line, the table.
std::string terminal_frame(const stats_view& view, const std::string& status_line);

} // namespace kstream
