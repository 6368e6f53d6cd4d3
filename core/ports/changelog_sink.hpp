#pragma once

// The stats publisher's view of its output, the table's changelog: a compacted Kafka topic
// in production (adapters/kafka_changelog_sink), a recording sink in tests.

#include <chrono>
#include <cstdint>
#include <string>

namespace kstream {

class changelog_sink {
public:
  virtual ~changelog_sink() = default;
  /// Queues the latest value of `key`; false (with `error`) when it was not taken, so that
  /// the next publication tries again.
  virtual bool publish(const std::string& key, const std::string& value, std::string& error) = 0;
  /// Serves delivery reports without waiting.
  virtual void poll() = 0;
  /// Waits up to `timeout` for every queued value; false when some are still unacknowledged.
  virtual bool flush(std::chrono::milliseconds timeout) = 0;
  virtual std::uint64_t delivered() const = 0;
  virtual std::uint64_t failed() const = 0;
  /// Where the values go, for log lines.
  virtual std::string destination() const = 0;
};

} // namespace kstream
