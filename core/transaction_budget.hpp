#pragma once

// How many bytes an exactly_once transaction may hold, so that it stays committable within
// transaction.timeout.ms on a slow output: the producer fills a transaction with what the
// output delivers in its fill window (a fifth of the timeout) and must have it acknowledged
// by the flush deadline (half of it), measured from the transaction's start. The limit
// follows the delivery rate each commit measures. Knows no actor and no Kafka: the producer
// owns one and reports its limit (tests/unit/transaction_budget_test.cpp tests it directly).

#include <chrono>
#include <cstdint>

namespace kstream {

class transaction_budget {
public:
  using clock = std::chrono::steady_clock;

  /// The limit of the first transaction, before any delivery rate is measured (at least 1).
  explicit transaction_budget(std::uint64_t initial_bytes = 1);

  /// A transaction holds what the output delivers in this window from its start.
  static std::chrono::milliseconds fill_window(std::chrono::milliseconds transaction_timeout);
  /// Past this, a commit still flushing is aborted by the job itself, before the broker
  /// aborts the transaction and fences the producer.
  static std::chrono::milliseconds flush_deadline(std::chrono::milliseconds transaction_timeout);

  /// A transaction began at `now`: nothing written, nothing acknowledged, not full.
  void begin(clock::time_point now);
  void wrote(std::uint64_t bytes) {
    written_ += bytes;
  }
  void acknowledged(std::uint64_t bytes) {
    acknowledged_ += bytes;
  }
  /// Whether the transaction (`open`: one is) may take `bytes` more at `now` and still be
  /// delivered in time; once it may not, it is full until the next begin().
  bool has_room_for(bool open, std::uint64_t bytes, clock::time_point now, std::chrono::milliseconds window);
  /// After a commit's flush: `acked` bytes were acknowledged in `took`, all of it (`in_time`)
  /// or not by the deadline. Sets the next transactions' limit from that delivery rate and
  /// returns the limit before.
  std::uint64_t adapt(std::uint64_t acked, clock::duration took, bool in_time, std::chrono::milliseconds window);

  bool full() const {
    return full_;
  }
  std::uint64_t limit() const {
    return limit_;
  }
  std::uint64_t written() const {
    return written_;
  }
  std::uint64_t acknowledged() const {
    return acknowledged_;
  }
  clock::time_point started() const {
    return started_;
  }

private:
  std::uint64_t limit_;
  std::uint64_t written_ = 0;
  std::uint64_t acknowledged_ = 0;
  bool full_ = false;
  clock::time_point started_;
};

} // namespace kstream
