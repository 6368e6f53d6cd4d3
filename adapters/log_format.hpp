#pragma once

// The log line formats of both binaries (log.format): text, or one JSON object a line;
// UTC timestamps in both. docs/metrics.md describes the fields.

#include <spdlog/formatter.h>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

namespace kstream {

enum class log_format { text, json };

/// One log line as a JSON object, without the newline: {"ts":"<UTC, ISO 8601, ms, Z>",
/// "level":…,"component":…,"message":…} plus "partition"/"offset" (numbers) and "partitions"
/// (an array) when the message names them ("partition 3", "offset 17", "partitions [0, 2]").
/// The component is the message's leading "name: " (the code's convention: "consumer: …",
/// "rdkafka: …"), which the message then goes without; otherwise `program`.
std::string json_log_line(std::chrono::system_clock::time_point at, std::string_view level, std::string_view program,
                          std::string_view message);

/// The formatter for spdlog: text ("2026-12-05T18:51:37.123Z info consumer: …") or JSON.
std::unique_ptr<spdlog::formatter> make_log_formatter(log_format format, std::string program);

} // namespace kstream
