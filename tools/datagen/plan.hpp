// The data set's plan: how many records and distinct hotels each stay category gets, the hotel
// pool, and which (category, hotel) every record has. The record values themselves come from
// record.hpp, one record at a time, derived from (seed, record index).
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "dates.hpp"

namespace datagen {

// The published table of the real data set (Short, Standard, Standard extended, Long, Erroneous).
inline constexpr std::array<std::uint64_t, kCategories> kPublishedRecords = {1951037, 217710, 11844, 5044, 3495};
inline constexpr std::array<std::uint64_t, kCategories> kPublishedHotels = {2494, 2422, 2452, 2158, 1856};
inline constexpr std::uint64_t kPublishedTotal = 2189130;
// The real data set has about 2,500 distinct hotels over all categories.
inline constexpr std::uint64_t kHotelPool = 2500;

struct Targets {
  std::array<std::uint64_t, kCategories> records{};
  std::array<std::uint64_t, kCategories> hotels{};
};

// Records per category: the published proportions scaled to n (largest remainder, exact at the
// published size). Distinct hotels: exact at the published size; for a smaller n, what a uniform
// thinning of the real data would keep: D * (1 - (1 - n/N)^(R/D)), within [1, records].
Targets scale_targets(std::uint64_t n);

struct Hotel {
  std::int64_t id;          // 9 to 13 digits
  std::int32_t destination; // srch_destination_id of the hotel's destination
  std::int32_t destination_type;
};

struct Plan {
  Targets targets;
  std::vector<Hotel> hotels;
  // One entry per record, in record-id order: category << 24 | hotel index.
  std::vector<std::uint32_t> slots;

  static int category_of(std::uint32_t slot) {
    return static_cast<int>(slot >> 24);
  }
  static std::uint32_t hotel_of(std::uint32_t slot) {
    return slot & 0xFFFFFFu;
  }
};

Plan make_plan(std::uint64_t seed, std::uint64_t n);

} // namespace datagen
