// The data set's plan: records and distinct hotels per stay category (plan.hpp).
#include "plan.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>
#include <unordered_set>

#include "rng.hpp"

namespace datagen {

Targets scale_targets(std::uint64_t n) {
  Targets t;
  // Largest remainder: floor shares, then the leftover records to the largest remainders.
  std::array<unsigned __int128, kCategories> remainder{};
  std::uint64_t assigned = 0;
  for (int c = 0; c < kCategories; ++c) {
    const unsigned __int128 scaled = static_cast<unsigned __int128>(kPublishedRecords[c]) * n;
    t.records[c] = static_cast<std::uint64_t>(scaled / kPublishedTotal);
    remainder[c] = scaled % kPublishedTotal;
    assigned += t.records[c];
  }
  std::array<int, kCategories> order{};
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return remainder[a] > remainder[b]; });
  for (int i = 0; assigned < n; i = (i + 1) % kCategories, ++assigned)
    t.records[order[i]] += 1;

  for (int c = 0; c < kCategories; ++c) {
    const std::uint64_t r = t.records[c];
    std::uint64_t d;
    if (n >= kPublishedTotal) {
      d = kPublishedHotels[c];
    } else {
      const double p = static_cast<double>(n) / static_cast<double>(kPublishedTotal);
      const double per_hotel = static_cast<double>(kPublishedRecords[c]) / static_cast<double>(kPublishedHotels[c]);
      const double expected = static_cast<double>(kPublishedHotels[c]) * (1.0 - std::pow(1.0 - p, per_hotel));
      d = static_cast<std::uint64_t>(std::llround(expected));
    }
    d = std::min(d, r);
    if (r > 0 && d == 0)
      d = 1;
    t.hotels[c] = d;
  }
  return t;
}

namespace {

std::vector<Hotel> make_hotels(std::uint64_t seed, std::uint64_t count) {
  Rng rng(mix(seed, 0x486f74656c73ULL)); // "Hotels"
  std::vector<Hotel> hotels;
  hotels.reserve(count);
  std::unordered_set<std::int64_t> seen;
  static const std::int64_t kPow10[] = {1,           10,           100,           1000,          10000,
                                        100000,      1000000,      10000000,      100000000,     1000000000,
                                        10000000000, 100000000000, 1000000000000, 10000000000000};
  while (hotels.size() < count) {
    const int digits = 9 + rng.pick({5, 10, 20, 35, 30}); // 9..13 digits, mostly 12-13 as in the real data
    const std::int64_t id = rng.between(kPow10[digits - 1], kPow10[digits] - 1);
    if (!seen.insert(id).second)
      continue;
    Hotel h{};
    h.id = id;
    h.destination = static_cast<std::int32_t>(rng.between(1, 65107));
    static const int kTypes[] = {1, 6, 3, 4, 5, 7, 8, 9};
    h.destination_type = kTypes[rng.pick({65, 15, 10, 3, 3, 2, 1, 1})];
    hotels.push_back(h);
  }
  return hotels;
}

} // namespace

Plan make_plan(std::uint64_t seed, std::uint64_t n) {
  if (n == 0)
    throw std::invalid_argument("the number of records must be positive");
  Plan plan;
  plan.targets = scale_targets(n);
  const std::uint64_t max_hotels = *std::max_element(plan.targets.hotels.begin(), plan.targets.hotels.end());
  const std::uint64_t pool = std::max(kHotelPool, max_hotels);
  if (pool > 0xFFFFFFu)
    throw std::invalid_argument("too many hotels");
  plan.hotels = make_hotels(seed, pool);

  // Popularity: a Zipf-like integer weight by a random rank (popular hotels are popular in every category).
  Rng rng(mix(seed, 0x506c616eULL)); // "Plan"
  std::vector<std::uint32_t> rank(pool);
  std::iota(rank.begin(), rank.end(), 0u);
  for (std::uint64_t i = pool - 1; i > 0; --i)
    std::swap(rank[i], rank[rng.below(i + 1)]);
  std::vector<std::uint64_t> weight(pool);
  for (std::uint64_t h = 0; h < pool; ++h)
    weight[h] = 1000000000ULL / (rank[h] + 40ULL);

  plan.slots.reserve(n);
  std::vector<std::uint32_t> order(pool);
  for (int c = 0; c < kCategories; ++c) {
    const std::uint64_t records = plan.targets.records[c];
    const std::uint64_t distinct = plan.targets.hotels[c];
    if (records == 0)
      continue;
    // The category's hotels: a random subset of the pool of the planned size.
    std::iota(order.begin(), order.end(), 0u);
    for (std::uint64_t i = 0; i < distinct; ++i)
      std::swap(order[i], order[i + rng.below(pool - i)]);
    std::vector<std::uint64_t> cumulative(distinct);
    std::uint64_t total = 0;
    for (std::uint64_t i = 0; i < distinct; ++i)
      cumulative[i] = (total += weight[order[i]]);
    const auto tag = static_cast<std::uint32_t>(c) << 24;
    // Every hotel of the subset once (so the distinct count is exact), the rest by popularity.
    for (std::uint64_t i = 0; i < distinct; ++i)
      plan.slots.push_back(tag | order[i]);
    for (std::uint64_t i = distinct; i < records; ++i) {
      const std::uint64_t x = rng.below(total);
      const auto it = std::upper_bound(cumulative.begin(), cumulative.end(), x);
      plan.slots.push_back(tag | order[static_cast<std::size_t>(it - cumulative.begin())]);
    }
  }
  // Records of all categories interleaved in id order.
  for (std::uint64_t i = plan.slots.size() - 1; i > 0; --i)
    std::swap(plan.slots[i], plan.slots[rng.below(i + 1)]);
  return plan;
}

} // namespace datagen
