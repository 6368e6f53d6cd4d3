#pragma once

// Why a record goes to the dead-letter topic: one code per cause, each with a stable name
// (the `kstream.error.code` header, which DLQ consumers and scripts/dlq.py filter on) and one
// description (the start of the prose `kstream.error.reason` header). README.md lists them.

#include <optional>
#include <string>
#include <string_view>

namespace kstream::domain {

enum class dead_letter_reason {
  /// The value is null (a tombstone), not a JSON object.
  tombstone,
  /// The value is not valid (strict) JSON.
  not_json,
  /// The value is JSON nested deeper than json_max_depth levels.
  too_deep,
  /// The value is valid JSON but not an object (an array, a string, a number, ...).
  not_an_object,
  /// The enriched record would exceed the output topic's max.message.bytes.
  too_large,
  /// The output topic's broker refused the record for a reason of its own (say its timestamp)
  /// when it was written alone; read again, it goes to the dead-letter topic.
  refused_by_broker,
  /// The output topic refused the enriched record when it was produced; only its coordinates
  /// reach the dead-letter topic (an empty value, the refusal in `kstream.error.refusal`).
  output_refused,
};

/// Every reason, in the order of the enum (for the README's table and the tests).
inline constexpr dead_letter_reason all_dead_letter_reasons[] = {
  dead_letter_reason::tombstone,      dead_letter_reason::not_json,  dead_letter_reason::too_deep,
  dead_letter_reason::not_an_object,  dead_letter_reason::too_large, dead_letter_reason::refused_by_broker,
  dead_letter_reason::output_refused,
};

/// The stable code: the enumerator's name, e.g. "not_json". Never changed once released.
const char* code_of(dead_letter_reason reason) noexcept;

/// The code's reason, or nullopt for an unknown code.
std::optional<dead_letter_reason> dead_letter_reason_of(std::string_view code) noexcept;

/// One sentence for people, e.g. "the value is not valid JSON".
const char* describe(dead_letter_reason reason) noexcept;

/// The prose reason: the description, then ": <detail>" when there is one (the parser's
/// error, the sizes, the broker's words).
std::string reason_text(dead_letter_reason reason, std::string_view detail);

/// For CAF's to_string of messages that carry a reason.
inline std::string to_string(dead_letter_reason reason) {
  return code_of(reason);
}

} // namespace kstream::domain
