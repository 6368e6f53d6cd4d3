// Dead-letter reasons: codes and descriptions (domain/dead_letter_reason.hpp).
#include "domain/dead_letter_reason.hpp"

#include <iterator>

namespace kstream::domain {

namespace {

struct reason_entry {
  dead_letter_reason reason;
  const char* code;
  const char* description;
};

// In the enum's order: a reason is its own index.
constexpr reason_entry entries[] = {
  {dead_letter_reason::tombstone, "tombstone", "the value is null (a tombstone), not a JSON object"},
  {dead_letter_reason::not_json, "not_json", "the value is not valid JSON"},
  {dead_letter_reason::too_deep, "too_deep", "the value is nested deeper than the job's limit"},
  {dead_letter_reason::not_an_object, "not_an_object", "the value is valid JSON but not an object"},
  {dead_letter_reason::too_large, "too_large", "the enriched record would exceed the output topic's max.message.bytes"},
  {dead_letter_reason::refused_by_broker, "refused_by_broker", "the output topic's broker refused the record"},
  {dead_letter_reason::output_refused, "output_refused", "the output topic refused the enriched record"},
};

constexpr bool in_enum_order() {
  for (std::size_t i = 0; i < std::size(entries); ++i)
    if (static_cast<std::size_t>(entries[i].reason) != i || all_dead_letter_reasons[i] != entries[i].reason)
      return false;
  return true;
}

static_assert(std::size(entries) == std::size(all_dead_letter_reasons) && in_enum_order(),
              "one entry per dead_letter_reason, in the enum's order");

const reason_entry& entry_of(dead_letter_reason reason) noexcept {
  return entries[static_cast<std::size_t>(reason)];
}

} // namespace

const char* code_of(dead_letter_reason reason) noexcept {
  return entry_of(reason).code;
}

std::optional<dead_letter_reason> dead_letter_reason_of(std::string_view code) noexcept {
  for (const auto& entry : entries)
    if (code == entry.code)
      return entry.reason;
  return std::nullopt;
}

const char* describe(dead_letter_reason reason) noexcept {
  return entry_of(reason).description;
}

std::string reason_text(dead_letter_reason reason, std::string_view detail) {
  std::string text = describe(reason);
  if (!detail.empty()) {
    text += ": ";
    text += detail;
  }
  return text;
}

} // namespace kstream::domain
