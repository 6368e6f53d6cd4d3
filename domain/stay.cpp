// Stay length and category (domain/stay.hpp).
#include "domain/stay.hpp"

#include "domain/civil_date.hpp"

namespace kstream::domain {

std::string_view to_string(stay_category category) noexcept {
  switch (category) {
    case stay_category::short_stay:
      return "Short stay";
    case stay_category::standard_stay:
      return "Standard stay";
    case stay_category::standard_extended_stay:
      return "Standard extended stay";
    case stay_category::long_stay:
      return "Long stay";
    case stay_category::erroneous_data:
      break;
  }
  return "Erroneous data";
}

std::optional<stay_category> parse_stay_category(std::string_view text) noexcept {
  for (auto category : all_stay_categories)
    if (to_string(category) == text)
      return category;
  return std::nullopt;
}

std::optional<std::int64_t> stay_days(std::optional<std::string_view> check_in,
                                      std::optional<std::string_view> check_out) noexcept {
  if (!check_in || !check_out)
    return std::nullopt;
  auto from = parse_civil_date(*check_in);
  auto to = parse_civil_date(*check_out);
  if (!from || !to)
    return std::nullopt;
  return days_since_epoch(*to) - days_since_epoch(*from);
}

stay_category classify_stay(std::optional<std::int64_t> days) noexcept {
  if (!days || *days <= 0)
    return stay_category::erroneous_data;
  if (*days <= 4)
    return stay_category::short_stay;
  if (*days <= 10)
    return stay_category::standard_stay;
  if (*days <= 14)
    return stay_category::standard_extended_stay;
  return stay_category::long_stay;
}

} // namespace kstream::domain
