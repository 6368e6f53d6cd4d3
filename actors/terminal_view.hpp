#pragma once

// The live table in a terminal, redrawn in place like ksqlDB's `EMIT CHANGES` console view.

#include "actors/aggregator.hpp"

#include <caf/event_based_actor.hpp>

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

/// Redraws the table whenever the board's view or the status line changed, at most once per
/// interval: the cursor goes back up to the previous frame's first line, each line is written
/// over (clearing its old tail), then the rest of the screen is cleared. What the terminal
/// showed above the table stays. On stop_atom it draws a last time (the final table stays on
/// screen) and quits.
caf::behavior terminal_view(caf::event_based_actor* self, const stats_board* board, terminal_view_settings settings);

/// The frame the view draws: status line, blank line, the table.
std::string terminal_frame(const stats_view& view, const std::string& status_line);

} // namespace kstream
