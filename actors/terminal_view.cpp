// The live terminal view actor (actors/terminal_view.hpp).
#include "actors/terminal_view.hpp"

#include "messages/control.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <memory>

namespace kstream {

namespace {

constexpr const char* clear_to_end_of_line = "\x1b[K";

/// Columns of the terminal behind `out`; 0 when it is not a terminal.
std::size_t terminal_columns(std::FILE* out) {
  winsize size{};
  if (ioctl(fileno(out), TIOCGWINSZ, &size) != 0)
    return 0;
  return size.ws_col;
}
constexpr const char* clear_to_end_of_screen = "\x1b[J";

} // namespace

std::string terminal_frame(const stats_view& view, const std::string& status_line) {
  return status_line + "\n\n" + domain::render_text(view.table);
}

void terminal_view_state::draw() {
  auto view = board->latest();
  auto frame = terminal_frame(*view, settings.status_line ? settings.status_line() : std::string{});
  if (frame == last_frame)
    return;
  last_frame = frame;
  // Back to the first line of the previous frame (relative, so that whatever the terminal
  // showed above the table, such as the output of `make demo`'s earlier steps, stays).
  std::string out = lines == 0 ? std::string{} : "\r\x1b[" + std::to_string(lines) + "A";
  lines = 0;
  // Clear each line's old tail: a shorter number must not leave digits behind.
  // A line wider than the terminal would wrap and throw the line count off: cut it.
  auto columns = terminal_columns(settings.out);
  std::size_t start = 0;
  while (start < frame.size()) {
    auto end = frame.find('\n', start);
    if (end == std::string::npos)
      end = frame.size();
    auto length = end - start;
    if (columns > 1 && length >= columns)
      length = columns - 1;
    out.append(frame, start, length);
    out += clear_to_end_of_line;
    out += '\n';
    ++lines;
    start = end + 1;
  }
  out += clear_to_end_of_screen;
  std::fwrite(out.data(), 1, out.size(), settings.out);
  std::fflush(settings.out);
}

terminal_view_actor::behavior_type terminal_view(terminal_view_actor::stateful_pointer<terminal_view_state> self,
                                                 const stats_board* board, terminal_view_settings settings) {
  self->state.board = board;
  self->state.settings = std::move(settings);
  self->send(self, tick_atom::value);
  return {
    [=](tick_atom) {
      self->state.draw();
      self->delayed_send(self, self->state.settings.interval, tick_atom::value);
    },
    [=](stop_atom) {
      self->state.draw();
      self->quit();
    },
  };
}

} // namespace kstream
