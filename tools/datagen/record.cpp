// One generated Expedia record (record.hpp).
#include "record.hpp"

#include "dates.hpp"
#include "rng.hpp"

namespace datagen {

namespace {

const std::int64_t kFirstDay = days_from_civil(Ymd{2015, 1, 1});
const std::int64_t kLastDay = days_from_civil(Ymd{2017, 12, 31});

// Days between the search and the check-in: mostly within weeks, a long tail up to a year.
std::int64_t lead_days(Rng& rng) {
  switch (rng.pick({12, 30, 30, 18, 10})) {
    case 0:
      return rng.between(1, 2);
    case 1:
      return rng.between(3, 21);
    case 2:
      return rng.between(22, 75);
    case 3:
      return rng.between(76, 180);
    default:
      return rng.between(181, 400);
  }
}

std::int64_t stay_days(Rng& rng, int category) {
  switch (category) {
    case kShort:
      return 1 + rng.pick({46, 27, 16, 11});
    case kStandard:
      return 5 + rng.pick({26, 17, 31, 9, 7, 10});
    case kExtended:
      return 11 + rng.pick({24, 20, 16, 40});
    default: // kLong
      switch (rng.pick({55, 30, 12, 3})) {
        case 0:
          return rng.between(15, 21);
        case 1:
          return rng.between(22, 31);
        case 2:
          return rng.between(32, 90);
        default:
          return rng.between(91, 365);
      }
  }
}

// Strings that look like dates but are not (each is Erroneous under the contract).
const char* const kNotDates[] = {"2017-02-30", "2016-13-01", "2017-8-2", "0000-00-00", "2016-00-10",
                                 "2015-06-31", "N/A",        "null",     "2016/08/15", "20160815",
                                 "15-08-2016", "2017-02-29", "tomorrow"};

// Check-in/check-out of an Erroneous record: nulls, empty (missing) values, check-out on or
// before check-in, and strings that are not dates.
void erroneous_dates(Rng& rng, std::int64_t ci, Record& r) {
  const std::string ci_text = format_date(ci);
  switch (rng.pick({18, 8, 8, 10, 6, 20, 16, 14})) {
    case 0: // both missing
      r.srch_ci.reset();
      r.srch_co.reset();
      break;
    case 1:
      r.srch_ci.reset();
      r.srch_co = format_date(ci + rng.between(1, 7));
      break;
    case 2:
      r.srch_ci = ci_text;
      r.srch_co.reset();
      break;
    case 3: // an empty string where the date was missing
      r.srch_ci = rng.chance(1, 2) ? std::string() : ci_text;
      r.srch_co = r.srch_ci->empty() ? format_date(ci + rng.between(1, 7)) : std::string();
      break;
    case 4:
      r.srch_ci = std::string();
      r.srch_co.reset();
      break;
    case 5: // same day
      r.srch_ci = ci_text;
      r.srch_co = ci_text;
      break;
    case 6: // check-out before check-in
      r.srch_ci = ci_text;
      r.srch_co = format_date(ci - rng.between(1, 30));
      break;
    default: { // not a date
      const std::string bad = kNotDates[rng.below(sizeof kNotDates / sizeof kNotDates[0])];
      if (rng.chance(1, 2)) {
        r.srch_ci = bad;
        r.srch_co = format_date(ci + rng.between(1, 7));
      } else {
        r.srch_ci = ci_text;
        r.srch_co = bad;
      }
    }
  }
}

} // namespace

Record make_record(std::uint64_t seed, std::uint64_t index, int category, const Hotel& hotel) {
  Rng rng(mix(seed, 0x5265636f7264ULL, index)); // "Record"
  Record r;
  r.id = static_cast<std::int64_t>(index);
  const std::int64_t search_day = rng.between(kFirstDay, kLastDay);
  r.date_time = format_date_time(search_day, static_cast<unsigned>(rng.below(86400)));
  r.site_name = rng.chance(62, 100) ? 2 : static_cast<std::int32_t>(rng.between(1, 53));
  if (rng.chance(6, 100)) {
    r.posa_container.reset();
  } else {
    static const int kPosa[] = {3, 1, 2, 4, 0};
    r.posa_container = kPosa[rng.pick({70, 12, 10, 6, 2})];
  }
  r.user_location_country = rng.chance(58, 100) ? 66 : static_cast<std::int32_t>(rng.between(0, 239));
  r.user_location_region = static_cast<std::int32_t>(rng.between(0, 1027));
  r.user_location_city = static_cast<std::int32_t>(rng.between(0, 56507));
  if (rng.chance(36, 100)) {
    r.orig_destination_distance.reset();
  } else {
    // Kilometres with 4 decimals; a few very short ones (JSON writers print those in E notation).
    std::int64_t ten_thousandths;
    switch (rng.pick({2, 18, 45, 30, 5})) {
      case 0:
        ten_thousandths = rng.between(56, 9999);
        break;
      case 1:
        ten_thousandths = rng.between(10000, 999999);
        break;
      case 2:
        ten_thousandths = rng.between(1000000, 9999999);
        break;
      case 3:
        ten_thousandths = rng.between(10000000, 49999999);
        break;
      default:
        ten_thousandths = rng.between(50000000, 120000000);
        break;
    }
    r.orig_destination_distance = static_cast<double>(ten_thousandths) / 10000.0;
  }
  r.user_id = static_cast<std::int32_t>(rng.between(0, 1198785));
  r.is_mobile = rng.chance(13, 100) ? 1 : 0;
  r.is_package = rng.chance(25, 100) ? 1 : 0;
  r.channel = rng.chance(60, 100) ? 9 : static_cast<std::int32_t>(rng.between(0, 10));
  r.srch_adults_cnt = static_cast<std::int32_t>(1 + rng.pick({20, 65, 5, 6, 1, 1, 1, 1, 0}));
  r.srch_children_cnt = static_cast<std::int32_t>(rng.pick({78, 11, 9, 1, 1}));
  r.srch_rm_cnt = static_cast<std::int32_t>(1 + rng.pick({91, 7, 1, 1}));
  r.srch_destination_id = hotel.destination;
  r.srch_destination_type_id = hotel.destination_type;
  r.hotel_id = hotel.id;

  const std::int64_t check_in = search_day + lead_days(rng);
  if (category == kErroneous) {
    erroneous_dates(rng, check_in, r);
  } else {
    r.srch_ci = format_date(check_in);
    r.srch_co = format_date(check_in + stay_days(rng, category));
  }
  return r;
}

} // namespace datagen
