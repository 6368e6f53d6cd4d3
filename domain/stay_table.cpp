// The per-category table of records and distinct hotels (domain/stay_table.hpp).
#include "domain/stay_table.hpp"

#include <boost/json/parse.hpp>
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

boost::json::object stay_table::state() const {
  boost::json::array categories;
  for (const auto& state : categories_) {
    boost::json::array hotels;
    hotels.reserve(state.hotels.size());
    for (auto hotel : state.hotels)
      hotels.push_back(hotel);
    boost::json::object item;
    item["records"] = state.records;
    item["without_hotel"] = state.without_hotel;
    item["hotels"] = std::move(hotels);
    categories.push_back(std::move(item));
  }
  boost::json::object out;
  out["categories"] = std::move(categories);
  out["unknown"] = unknown_records_;
  return out;
}

std::optional<stay_table> stay_table::from_state(const boost::json::value& saved, std::string& error) {
  try {
    const auto& object = saved.as_object();
    const auto& categories = object.at("categories").as_array();
    if (categories.size() != all_stay_categories.size()) {
      error = "the saved table has " + std::to_string(categories.size()) + " categories, not "
              + std::to_string(all_stay_categories.size());
      return std::nullopt;
    }
    stay_table out;
    out.unknown_records_ = object.at("unknown").to_number<std::uint64_t>();
    out.total_records_ = out.unknown_records_;
    for (std::size_t i = 0; i < categories.size(); ++i) {
      const auto& item = categories[i].as_object();
      auto& state = out.categories_[i];
      state.records = item.at("records").to_number<std::uint64_t>();
      state.without_hotel = item.at("without_hotel").to_number<std::uint64_t>();
      const auto& hotels = item.at("hotels").as_array();
      state.hotels.reserve(hotels.size());
      for (const auto& hotel : hotels)
        state.hotels.insert(hotel.to_number<std::int64_t>());
      if (state.hotels.size() != hotels.size() || state.without_hotel > state.records
          || state.hotels.size() > state.records - state.without_hotel) {
        error = "the saved table's category " + std::to_string(i) + " is inconsistent";
        return std::nullopt;
      }
      out.total_records_ += state.records;
    }
    return out;
  } catch (const std::exception& e) {
    error = std::string{"the saved table has an unexpected shape: "} + e.what();
    return std::nullopt;
  }
}

std::string checkpoint_json(std::string_view input_topic, const std::map<std::int32_t, std::int64_t>& positions,
                            const stay_table& table) {
  boost::json::object saved_positions;
  for (const auto& [partition, next] : positions)
    saved_positions[std::to_string(partition)] = next;
  boost::json::object out;
  out["format"] = 1;
  out["input_topic"] = input_topic;
  out["positions"] = std::move(saved_positions);
  out["table"] = table.state();
  return boost::json::serialize(out);
}

std::optional<stay_checkpoint> checkpoint_from_json(std::string_view text, std::string& error) {
  boost::system::error_code parse_error;
  auto saved = boost::json::parse(text, parse_error);
  if (parse_error || !saved.is_object()) {
    error = "not a JSON object";
    return std::nullopt;
  }
  try {
    const auto& object = saved.as_object();
    if (object.at("format").to_number<int>() != 1) {
      error = "unknown format " + boost::json::serialize(object.at("format"));
      return std::nullopt;
    }
    stay_checkpoint out;
    out.input_topic = std::string{object.at("input_topic").as_string()};
    for (const auto& position : object.at("positions").as_object()) {
      const std::string partition{position.key()};
      std::size_t used = 0;
      auto id = std::stoi(partition, &used);
      auto offset = position.value().to_number<std::int64_t>();
      if (used != partition.size() || id < 0 || offset < 0) {
        error = "a bad position \"" + partition + "\": " + std::to_string(offset);
        return std::nullopt;
      }
      out.positions[id] = offset;
    }
    auto table = stay_table::from_state(object.at("table"), error);
    if (!table)
      return std::nullopt;
    out.table = std::move(*table);
    return out;
  } catch (const std::exception& e) {
    error = std::string{"unexpected shape: "} + e.what();
    return std::nullopt;
  }
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
