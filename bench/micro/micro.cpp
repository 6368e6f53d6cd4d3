// bench-micro: CPU cost per record of the job's domain work, the issue-5 target being
// parse + classify + serialize <= 1.5 us per record. Records are Expedia-shaped JSON values
// with varied dates (the category mix of the real data: mostly short stays, some invalid).
#include "domain/expedia_json.hpp"
#include "domain/stay.hpp"

#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace {

using namespace kstream::domain;

std::vector<std::string> make_records(std::size_t n) {
  std::vector<std::string> out;
  out.reserve(n);
  std::uint64_t s = 42;
  auto rnd = [&s](std::uint64_t m) {
    s = s * 6364136223846793005ULL + 1442695040888963407ULL;
    return (s >> 33) % m;
  };
  char buf[640];
  for (std::size_t i = 0; i < n; ++i) {
    unsigned month = 1 + static_cast<unsigned>(rnd(12));
    unsigned day = 1 + static_cast<unsigned>(rnd(18));
    auto r = rnd(1000);
    unsigned stay = r < 891   ? 1 + static_cast<unsigned>(rnd(4))
                    : r < 990 ? 5 + static_cast<unsigned>(rnd(6))
                              : 11 + static_cast<unsigned>(rnd(8));
    const char* co_fmt = r == 999 ? "\"2017-02-30\"" : nullptr;
    char co[32];
    if (co_fmt != nullptr)
      std::snprintf(co, sizeof co, "%s", co_fmt);
    else
      std::snprintf(co, sizeof co, "\"2017-%02u-%02u\"", month, day + stay > 28 ? 28 : day + stay);
    std::snprintf(buf, sizeof buf,
                  "{\"id\":%zu,\"date_time\":\"2017-%02u-%02u 12:34:56\",\"site_name\":%u,\"posa_container\":%s,"
                  "\"user_location_country\":%u,\"user_location_region\":%u,\"user_location_city\":%u,"
                  "\"orig_destination_distance\":%u.%04u,\"user_id\":%u,\"is_mobile\":%u,\"is_package\":%u,"
                  "\"channel\":%u,\"srch_ci\":\"2017-%02u-%02u\",\"srch_co\":%s,\"srch_adults_cnt\":%u,"
                  "\"srch_children_cnt\":%u,\"srch_rm_cnt\":%u,\"srch_destination_id\":%u,"
                  "\"srch_destination_type_id\":%u,\"hotel_id\":%llu}",
                  i, month, day, static_cast<unsigned>(rnd(50)), rnd(4) == 0 ? "null" : "2",
                  static_cast<unsigned>(rnd(230)), static_cast<unsigned>(rnd(1000)), static_cast<unsigned>(rnd(60000)),
                  static_cast<unsigned>(rnd(9000)), static_cast<unsigned>(rnd(10000)),
                  static_cast<unsigned>(rnd(1200000)), static_cast<unsigned>(rnd(2)), static_cast<unsigned>(rnd(2)),
                  static_cast<unsigned>(rnd(10)), month, day, co, 1 + static_cast<unsigned>(rnd(4)),
                  static_cast<unsigned>(rnd(3)), 1 + static_cast<unsigned>(rnd(3)), static_cast<unsigned>(rnd(60000)),
                  1 + static_cast<unsigned>(rnd(9)), static_cast<unsigned long long>(100000000000ULL + rnd(2500)));
    out.emplace_back(buf);
  }
  return out;
}

const std::vector<std::string>& records() {
  static const std::vector<std::string> r = make_records(4096);
  return r;
}

std::optional<std::string_view> view(const std::optional<std::string>& s) {
  return s ? std::optional<std::string_view>(*s) : std::nullopt;
}

void BM_parse(benchmark::State& state) {
  expedia_value_parser parser;
  const auto& recs = records();
  std::size_t i = 0;
  for (auto _ : state) {
    auto r = parser.parse(recs[i++ % recs.size()]);
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_classify(benchmark::State& state) {
  const std::string_view ci = "2017-08-22", co = "2017-08-26";
  for (auto _ : state) {
    auto days = stay_days(ci, co);
    auto cat = classify_stay(days);
    benchmark::DoNotOptimize(cat);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_enrich(benchmark::State& state) {
  const auto& recs = records();
  std::size_t i = 0;
  for (auto _ : state) {
    auto out = enrich_value(recs[i++ % recs.size()], 4, stay_category::short_stay);
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(state.iterations());
}

// The whole per-record work of the job: parse, compute the stay, classify, serialize.
void BM_pipeline(benchmark::State& state) {
  expedia_value_parser parser;
  const auto& recs = records();
  std::size_t i = 0;
  for (auto _ : state) {
    const std::string& value = recs[i++ % recs.size()];
    auto parsed = parser.parse(value);
    if (auto* f = std::get_if<expedia_fields>(&parsed)) {
      auto days = stay_days(view(f->check_in), view(f->check_out));
      auto out = enrich_value(value, days, classify_stay(days));
      benchmark::DoNotOptimize(out);
    }
  }
  state.SetItemsProcessed(state.iterations());
}

BENCHMARK(BM_parse);
BENCHMARK(BM_classify);
BENCHMARK(BM_enrich);
BENCHMARK(BM_pipeline);

} // namespace

BENCHMARK_MAIN();
