// The byte budget of a transaction (core/transaction_budget.hpp).
#include "core/transaction_budget.hpp"

#include <algorithm>
#include <optional>

namespace kstream {

transaction_budget::transaction_budget(std::uint64_t initial_bytes)
  : limit_(std::max<std::uint64_t>(1, initial_bytes)) {
}

std::chrono::milliseconds transaction_budget::fill_window(std::chrono::milliseconds transaction_timeout) {
  return std::max(transaction_timeout / 5, std::chrono::milliseconds(1));
}

std::chrono::milliseconds transaction_budget::flush_deadline(std::chrono::milliseconds transaction_timeout) {
  // Half the timeout: the abort that follows a missed deadline needs time too (it waits for
  // the requests in flight), and it must reach the broker before the broker's own abort, which
  // fences the producer (a fatal error: exit 1, and the same again after every restart).
  return std::max(transaction_timeout / 2, std::chrono::milliseconds(1));
}

void transaction_budget::begin(clock::time_point now) {
  started_ = now;
  written_ = 0;
  acknowledged_ = 0;
  full_ = false;
}

bool transaction_budget::has_room_for(bool open, std::uint64_t bytes, clock::time_point now,
                                      std::chrono::milliseconds window) {
  if (!open || written_ == 0)
    return true; // a transaction takes at least one batch, however large, or nothing would move
  if (full_)
    return false;
  // Full by size (what the output delivers in the fill window) or by age (past the window the
  // transaction is due for its commit: what comes now could only make its flush longer).
  if (written_ + bytes > limit_ || now - started_ >= window)
    full_ = true;
  return !full_;
}

std::uint64_t transaction_budget::adapt(std::uint64_t acked, clock::duration took, bool in_time,
                                        std::chrono::milliseconds window) {
  constexpr std::uint64_t largest_limit = 1ULL << 40;
  const auto before = limit_;
  const double seconds = std::chrono::duration<double>(took).count();
  const double window_s = std::chrono::duration<double>(window).count();
  // A flush shorter than this measures linger and round trips rather than the output's rate.
  constexpr double shortest_sample_s = 0.02;
  std::optional<std::uint64_t> fits; // what the output delivers in the fill window at that rate
  if (acked > 0 && seconds >= shortest_sample_s)
    fits = static_cast<std::uint64_t>(
      std::min(static_cast<double>(acked) / seconds * window_s, static_cast<double>(largest_limit)));
  if (!in_time) {
    limit_ = std::max<std::uint64_t>(1, std::min(fits.value_or(0), before / 2));
  } else if (fits) {
    // At most twice the last limit: under a quota the broker lets bursts through and then
    // holds the producer back, so one flush can make the output look much faster than it is
    // (faults.limits saw a 3 MB budget jump to 68 MB, and that transaction miss its deadline).
    limit_ = std::max<std::uint64_t>(1, std::min(*fits, std::min(2 * before, largest_limit)));
  } else if (full_ && seconds < window_s / 2) {
    // A full transaction whose rest the output took at once: more fits.
    limit_ = std::min(2 * before, largest_limit);
  }
  return before;
}

} // namespace kstream
