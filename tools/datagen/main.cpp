// kstream-datagen: writes a synthetic Expedia data set in the real one's layout and schema.
//
//   kstream-datagen [--records N] [--seed S] [--partitions P] [--out DIR] [--force] [--quiet]
//   kstream-datagen --plan-only [--records N]   print the table a data set of N records will have
//
// Output: DIR/topics/expedia/partition=K/expedia+K+0000000000.avro (Avro object container files,
// deflate) and DIR/manifest.json (the expected per-category table). DIR defaults to
// ${KSTREAM_CACHE:-$HOME/.cache/kstream-app}/data/seed-S-records-N; an existing complete data
// set there is reused unless --force. The data set is written to DIR.tmp-PID first and renamed
// when complete, so a failed or interrupted run leaves nothing half-written under DIR.
// The last line on stdout is DIR.
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "avro_file.hpp"
#include "dates.hpp"
#include "plan.hpp"
#include "record.hpp"
#include "rng.hpp"
#include "schema.hpp"

namespace fs = std::filesystem;
using namespace datagen;

namespace {

// Bumped whenever the generator's output for a given seed and size changes: a cached data set of
// another version is regenerated (the version is in DIR/.datagen-version, beside the manifest).
constexpr const char* kDataVersion = "2";

bool cached_version_matches(const fs::path& dir) {
  std::ifstream in(dir / ".datagen-version");
  std::string version;
  return fs::exists(dir / "manifest.json") && std::getline(in, version) && version == kDataVersion;
}

struct Options {
  std::uint64_t records = kPublishedTotal;
  std::uint64_t seed = 42;
  std::uint64_t partitions = 3;
  std::string out;
  bool force = false;
  bool quiet = false;
  bool plan_only = false;
};

[[noreturn]] void usage(int code) {
  (code == 0 ? std::cout : std::cerr)
    << "usage: kstream-datagen [--records N] [--seed S] [--partitions P] [--out DIR] [--force] [--quiet]\n"
       "  --records N     records to write (default 2189130, the real data set's size); a smaller N\n"
       "                  keeps the real stay-category proportions\n"
       "  --seed S        random seed (default 42); the same seed and size give the same bytes\n"
       "  --partitions P  Avro files / Kafka partitions (default 3)\n"
       "  --out DIR       output folder (default ${KSTREAM_CACHE:-~/.cache/kstream-app}/data/seed-S-records-N)\n"
       "  --force         regenerate even if DIR already holds a complete data set\n"
       "  --quiet         no progress on stderr\n"
       "  --plan-only     only print the manifest a data set of this size will have (no files)\n";
  std::exit(code);
}

std::uint64_t parse_count(const std::string& flag, const char* text, std::uint64_t min, std::uint64_t max) {
  try {
    std::size_t used = 0;
    const std::string s(text);
    if (s.empty() || s[0] == '-')
      throw std::invalid_argument(s);
    const unsigned long long v = std::stoull(s, &used, 10);
    if (used != s.size() || v < min || v > max)
      throw std::out_of_range(s);
    return v;
  } catch (const std::exception&) {
    std::cerr << "kstream-datagen: " << flag << " needs a whole number in [" << min << ", " << max << "], got '" << text
              << "'\n";
    std::exit(2);
  }
}

Options parse_args(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> const char* {
      if (i + 1 >= argc) {
        std::cerr << "kstream-datagen: " << a << " needs a value\n";
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--records")
      o.records = parse_count(a, value(), 1, 100000000);
    else if (a == "--seed")
      o.seed = parse_count(a, value(), 0, UINT64_MAX);
    else if (a == "--partitions")
      o.partitions = parse_count(a, value(), 1, 64);
    else if (a == "--out")
      o.out = value();
    else if (a == "--force")
      o.force = true;
    else if (a == "--quiet")
      o.quiet = true;
    else if (a == "--plan-only")
      o.plan_only = true;
    else if (a == "--help" || a == "-h")
      usage(0);
    else {
      std::cerr << "kstream-datagen: unknown argument '" << a << "'\n";
      usage(2);
    }
  }
  if (o.out.empty()) {
    const char* cache = std::getenv("KSTREAM_CACHE");
    const char* home = std::getenv("HOME");
    const std::string base = cache && *cache ? cache : std::string(home ? home : ".") + "/.cache/kstream-app";
    o.out = base + "/data/seed-" + std::to_string(o.seed) + "-records-" + std::to_string(o.records);
  }
  return o;
}

std::string manifest_json(const Options& o, const std::vector<std::uint64_t>& per_partition,
                          const std::array<std::uint64_t, kCategories>& records,
                          const std::array<std::uint64_t, kCategories>& hotels) {
  std::ostringstream j;
  j << "{\"seed\": " << o.seed << ", \"records\": " << o.records << ", \"partitions\": " << o.partitions
    << ", \"per_partition\": [";
  for (std::size_t p = 0; p < per_partition.size(); ++p)
    j << (p ? ", " : "") << per_partition[p];
  j << "],\n \"categories\": [";
  for (int c = 0; c < kCategories; ++c) {
    j << (c ? ",\n   " : "\n   ") << "{\"stay_category\": \"" << category_name(c) << "\", \"records\": " << records[c]
      << ", \"distinct_hotels\": " << hotels[c] << "}";
  }
  j << "\n ]}\n";
  return j.str();
}

std::string avro_path(const fs::path& dir, std::uint64_t p) {
  const std::string ps = std::to_string(p);
  return (dir / "topics" / "expedia" / ("partition=" + ps) / ("expedia+" + ps + "+0000000000.avro")).string();
}

} // namespace

int main(int argc, char** argv) {
  const Options o = parse_args(argc, argv);
  const fs::path final_dir(o.out);
  const auto log = [&](const std::string& line) {
    if (!o.quiet)
      std::cerr << "kstream-datagen: " << line << std::endl;
  };
  const auto started = std::chrono::steady_clock::now();
  const auto seconds = [&]() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  };

  if (o.plan_only) {
    const Targets t = scale_targets(o.records);
    std::vector<std::uint64_t> per_partition(o.partitions, o.records / o.partitions);
    for (std::uint64_t p = 0; p < o.records % o.partitions; ++p)
      per_partition[p] += 1;
    std::cout << manifest_json(o, per_partition, t.records, t.hotels);
    return 0;
  }

  if (!o.force && cached_version_matches(final_dir)) {
    log("reusing " + final_dir.string() + " (seed " + std::to_string(o.seed) + ", " + std::to_string(o.records)
        + " records)");
    std::cout << final_dir.string() << std::endl;
    return 0;
  }

  const fs::path tmp_dir = final_dir.string() + ".tmp-" + std::to_string(::getpid());
  try {
    std::error_code ec;
    fs::remove_all(tmp_dir, ec);
    fs::create_directories(tmp_dir, ec);
    if (ec)
      throw std::runtime_error("cannot create the output folder " + tmp_dir.string() + ": " + ec.message());

    log("planning " + std::to_string(o.records) + " records, seed " + std::to_string(o.seed));
    const Plan plan = make_plan(o.seed, o.records);

    std::array<std::uint64_t, kCategories> records{};
    std::array<std::vector<bool>, kCategories> seen;
    for (auto& s : seen)
      s.assign(plan.hotels.size(), false);
    std::vector<std::uint64_t> per_partition(o.partitions, 0);
    std::uint64_t written = 0;
    const std::uint64_t report_every = std::max<std::uint64_t>(o.records / 10, 1);
    std::uint64_t next_report = report_every;

    for (std::uint64_t p = 0; p < o.partitions; ++p) {
      const std::string path = avro_path(tmp_dir, p);
      fs::create_directories(fs::path(path).parent_path());
      AvroFileWriter writer(path, kExpediaSchema);
      // Record ids are interleaved over the partitions: id i goes to partition i mod P.
      for (std::uint64_t i = p; i < o.records; i += o.partitions) {
        const std::uint32_t slot = plan.slots[i];
        const int category = Plan::category_of(slot);
        const std::uint32_t hotel = Plan::hotel_of(slot);
        const Record r = make_record(o.seed, i, category, plan.hotels[hotel]);
        // Check every record against the contract's classification, independent of the plan.
        const int actual = classify(r.srch_ci, r.srch_co);
        if (actual != category) {
          throw std::logic_error("record " + std::to_string(i) + " was planned as " + category_name(category)
                                 + " but classifies as " + category_name(actual));
        }
        records[actual] += 1;
        seen[actual][hotel] = true;
        writer.append(r);
        ++per_partition[p];
        if (++written >= next_report) {
          std::ostringstream line;
          line.setf(std::ios::fixed);
          line.precision(0);
          line << "partition " << p << ": " << written << "/" << o.records << " records ("
               << 100.0 * static_cast<double>(written) / static_cast<double>(o.records) << "%, " << seconds() << " s)";
          log(line.str());
          next_report += report_every;
        }
      }
      writer.close();
      std::array<unsigned char, 16> marker{};
      Rng sync_rng(mix(o.seed, 0x53796e63ULL, p)); // "Sync"
      for (auto& byte : marker)
        byte = static_cast<unsigned char>(sync_rng.below(256));
      finish_container(path, kExpediaSchema, marker);
    }

    std::array<std::uint64_t, kCategories> hotels{};
    for (int c = 0; c < kCategories; ++c) {
      for (bool b : seen[c])
        hotels[c] += b ? 1 : 0;
      if (records[c] != plan.targets.records[c] || hotels[c] != plan.targets.hotels[c]) {
        throw std::logic_error(std::string("category ") + category_name(c) + " came out with "
                               + std::to_string(records[c]) + " records / " + std::to_string(hotels[c])
                               + " hotels, planned " + std::to_string(plan.targets.records[c]) + " / "
                               + std::to_string(plan.targets.hotels[c]));
      }
    }
    {
      std::ofstream m(tmp_dir / "manifest.json");
      m << manifest_json(o, per_partition, records, hotels);
      m.close();
      if (!m)
        throw std::runtime_error("cannot write " + (tmp_dir / "manifest.json").string());
      std::ofstream v(tmp_dir / ".datagen-version");
      v << kDataVersion << "\n";
      v.close();
      if (!v)
        throw std::runtime_error("cannot write " + (tmp_dir / ".datagen-version").string());
    }
    if (fs::exists(final_dir))
      fs::remove_all(final_dir);
    fs::rename(tmp_dir, final_dir);
  } catch (const std::exception& e) {
    std::cerr << "kstream-datagen: error: " << e.what() << "\n";
    std::error_code ignored;
    fs::remove_all(tmp_dir, ignored);
    return 1;
  }

  std::ostringstream done;
  done.setf(std::ios::fixed);
  done.precision(1);
  done << "wrote " << o.records << " records in " << o.partitions << " partitions to " << final_dir.string() << " in "
       << seconds() << " s";
  log(done.str());
  std::cout << final_dir.string() << std::endl;
  return 0;
}
