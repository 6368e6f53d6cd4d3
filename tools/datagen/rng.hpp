// Deterministic pseudo-random numbers for the generator.
// Everything here is integer arithmetic (SplitMix64 seeding, xoshiro256**), so a seed gives the
// same data on every machine and compiler; no std:: distributions (their output is
// implementation-defined) and no libm functions in the per-record path.
#pragma once

#include <cstdint>
#include <initializer_list>

namespace datagen {

inline std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// Mixes several 64-bit words into one seed (for per-record and per-purpose streams).
inline std::uint64_t mix(std::uint64_t a, std::uint64_t b, std::uint64_t c = 0) {
  std::uint64_t s = a ^ 0x6A09E667F3BCC908ULL;
  std::uint64_t r = splitmix64(s);
  s ^= b + 0x3C6EF372FE94F82BULL;
  r ^= splitmix64(s);
  s ^= c + 0xA54FF53A5F1D36F1ULL;
  return r ^ splitmix64(s);
}

class Rng {
public:
  explicit Rng(std::uint64_t seed) {
    for (auto& word : s_)
      word = splitmix64(seed);
  }

  std::uint64_t next() {
    const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }

  // Uniform in [0, n), n > 0 (Lemire's multiply-shift with rejection: unbiased).
  std::uint64_t below(std::uint64_t n) {
    unsigned __int128 m = static_cast<unsigned __int128>(next()) * n;
    auto low = static_cast<std::uint64_t>(m);
    if (low < n) {
      const std::uint64_t threshold = (0 - n) % n;
      while (low < threshold) {
        m = static_cast<unsigned __int128>(next()) * n;
        low = static_cast<std::uint64_t>(m);
      }
    }
    return static_cast<std::uint64_t>(m >> 64);
  }

  // Uniform in [lo, hi] (inclusive).
  std::int64_t between(std::int64_t lo, std::int64_t hi) {
    return lo + static_cast<std::int64_t>(below(static_cast<std::uint64_t>(hi - lo) + 1));
  }

  // true with probability num/den.
  bool chance(std::uint64_t num, std::uint64_t den) {
    return below(den) < num;
  }

  // Index of a weighted choice among integer weights.
  int pick(std::initializer_list<unsigned> weights) {
    std::uint64_t total = 0;
    for (unsigned w : weights)
      total += w;
    std::uint64_t x = below(total);
    int index = 0;
    for (unsigned w : weights) {
      if (x < w)
        return index;
      x -= w;
      ++index;
    }
    return index - 1;
  }

private:
  static std::uint64_t rotl(std::uint64_t x, int k) {
    return (x << k) | (x >> (64 - k));
  }
  std::uint64_t s_[4];
};

} // namespace datagen
