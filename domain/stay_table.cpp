// The per-category table of records and distinct hotels (domain/stay_table.hpp).
#include "domain/stay_table.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <algorithm>

namespace kstream::domain {

namespace {

std::size_t index_of(stay_category category) noexcept {
  return static_cast<std::size_t>(category);
}

std::string pad_right(std::string_view text, std::size_t width) {
  std::string out{text};
  if (out.size() < width)
    out.append(width - out.size(), ' ');
  return out;
}

std::string pad_left(std::string_view text, std::size_t width) {
  std::string out;
  if (text.size() < width)
    out.append(width - text.size(), ' ');
  out += text;
  return out;
}

} // namespace

stay_fields_parser::stay_fields_parser() : reader_({"stay_category", "hotel_id"}) {
}

stay_fields stay_fields_parser::parse(std::string_view value) {
  stay_fields out;
  if (reader_.read(value) != json_root::object)
    return out;
  if (const auto& category = reader_.member(0); category.kind == json_member::type::string)
    out.category = parse_stay_category(category.text);
  if (const auto& hotel = reader_.member(1); hotel.kind == json_member::type::integer)
    out.hotel_id = hotel.integer;
  return out;
}

bool operator==(const stay_row& a, const stay_row& b) noexcept {
  return a.category == b.category && a.records == b.records && a.distinct_hotels == b.distinct_hotels
         && a.records_without_hotel == b.records_without_hotel;
}

std::uint64_t stay_snapshot::total_records() const noexcept {
  std::uint64_t sum = 0;
  for (const auto& row : rows)
    sum += row.records;
  return sum;
}

const stay_row& stay_snapshot::row(stay_category category) const noexcept {
  return rows[index_of(category)];
}

void stay_table::add(const stay_fields& fields) {
  ++total_records_;
  if (!fields.category) {
    ++unknown_records_;
    return;
  }
  auto& state = categories_[index_of(*fields.category)];
  ++state.records;
  if (fields.hotel_id)
    state.hotels.insert(*fields.hotel_id);
  else
    ++state.without_hotel;
}

stay_snapshot stay_table::snapshot() const {
  stay_snapshot out;
  for (auto category : all_stay_categories) {
    const auto& state = categories_[index_of(category)];
    auto& row = out.rows[index_of(category)];
    row.category = category;
    row.records = state.records;
    row.distinct_hotels = state.hotels.size();
    row.records_without_hotel = state.without_hotel;
  }
  out.unknown_records = unknown_records_;
  return out;
}

boost::json::object to_json(const stay_snapshot& snapshot) {
  boost::json::array rows;
  for (const auto& row : snapshot.rows) {
    boost::json::object item;
    item["stay_category"] = to_string(row.category);
    item["records"] = row.records;
    item["distinct_hotels"] = row.distinct_hotels;
    item["records_without_hotel"] = row.records_without_hotel;
    rows.push_back(std::move(item));
  }
  boost::json::object out;
  out["rows"] = std::move(rows);
  out["total_records"] = snapshot.total_records();
  out["unknown_records"] = snapshot.unknown_records;
  return out;
}

std::string changelog_value(const stay_row& row) {
  boost::json::object item;
  item["stay_category"] = to_string(row.category);
  item["records"] = row.records;
  item["distinct_hotels"] = row.distinct_hotels;
  return boost::json::serialize(item);
}

std::string render_text(const stay_snapshot& snapshot) {
  constexpr std::size_t name_width = 24;
  constexpr std::size_t number_width = 17;
  const std::string rule = "+" + std::string(name_width, '-') + "+" + std::string(number_width, '-') + "+"
                           + std::string(number_width, '-') + "+\n";
  auto line = [&](std::string_view name, std::string_view records, std::string_view hotels, bool numbers) {
    if (numbers)
      return "|" + pad_right(name, name_width) + "|" + pad_left(records, number_width - 1) + " |"
             + pad_left(hotels, number_width - 1) + " |\n";
    return "|" + pad_right(name, name_width) + "|" + pad_right(records, number_width) + "|"
           + pad_right(hotels, number_width) + "|\n";
  };
  std::string out = rule + line("STAY_CATEGORY", "RECORDS", "DISTINCT_HOTELS", false) + rule;
  for (const auto& row : snapshot.rows)
    out += line(to_string(row.category), std::to_string(row.records), std::to_string(row.distinct_hotels), true);
  out += rule;
  out += line("all categories", std::to_string(snapshot.total_records()), "", true);
  out += rule;
  if (snapshot.unknown_records > 0)
    out += "unknown (not JSON, or stay_category missing/unknown): " + std::to_string(snapshot.unknown_records)
           + " records, not in the table\n";
  return out;
}

} // namespace kstream::domain
