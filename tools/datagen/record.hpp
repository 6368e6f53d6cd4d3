// One Expedia search record, as in the real data set's schema (every field nullable).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "plan.hpp"

namespace datagen {

struct Record {
  std::optional<std::int64_t> id;
  std::optional<std::string> date_time;
  std::optional<std::int32_t> site_name;
  std::optional<std::int32_t> posa_container;
  std::optional<std::int32_t> user_location_country;
  std::optional<std::int32_t> user_location_region;
  std::optional<std::int32_t> user_location_city;
  std::optional<double> orig_destination_distance;
  std::optional<std::int32_t> user_id;
  std::optional<std::int32_t> is_mobile;
  std::optional<std::int32_t> is_package;
  std::optional<std::int32_t> channel;
  std::optional<std::string> srch_ci;
  std::optional<std::string> srch_co;
  std::optional<std::int32_t> srch_adults_cnt;
  std::optional<std::int32_t> srch_children_cnt;
  std::optional<std::int32_t> srch_rm_cnt;
  std::optional<std::int32_t> srch_destination_id;
  std::optional<std::int32_t> srch_destination_type_id;
  std::optional<std::int64_t> hotel_id;
};

// The record with id `index`, of stay category `category` at `hotel`; a pure function of its
// arguments (its random stream is derived from seed and index).
Record make_record(std::uint64_t seed, std::uint64_t index, int category, const Hotel& hotel);

} // namespace datagen
