#pragma once

// What a record may weigh to fit a topic's max.message.bytes: the one budget the classifier
// (which dead-letters a record that would not fit the output topic once enriched), the record
// sink (which checks every record before it is produced) and the producer's configuration
// (message.max.bytes, batch.size) all use, computed once at start-up from the topics' limits.

#include <algorithm>
#include <cstddef>

namespace kstream::domain {

/// Bytes of a record batch's framing that count against max.message.bytes besides the
/// record's key, value and headers (batch header, record varints; generous).
inline constexpr std::size_t kafka_record_framing = 512;

struct record_size_budget {
  /// The topic's max.message.bytes (the broker's limit for one record batch); 0: not known,
  /// every record fits.
  std::size_t limit = 0;
  /// Counted against the limit besides the record's own bytes.
  std::size_t framing = kafka_record_framing;
  /// Bytes the job adds to a record after it is checked (the enrichment's two members).
  std::size_t reserve = 0;

  /// A record of `payload` bytes (key, value, header names and values) as read, with `reserve`
  /// bytes still to come.
  bool fits(std::size_t payload) const noexcept {
    return limit == 0 || payload + reserve + framing <= limit;
  }

  /// A record of `payload` bytes as it is written, nothing more to come.
  bool fits_as_written(std::size_t payload) const noexcept {
    return limit == 0 || payload + framing <= limit;
  }

  /// The largest batch of several records that fits: the limit less the framing (half the
  /// limit when the framing would take more than that).
  std::size_t batch_bytes() const noexcept {
    return limit > 2 * framing ? limit - framing : limit / 2;
  }
};

} // namespace kstream::domain
