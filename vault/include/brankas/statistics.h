// The de-identified national statistics export (issue #5; Permen PPPA 2/2022,
// SIMFONI PPA): cases per unit and month, and per unit and month broken down
// by sex, age band, module, violence type, place, perpetrator relationship,
// services and referrals, with small counts suppressed.
//
// What it is built from: a statistics facet per case (engine/statistics_facet.h)
// that the engine derives from the values a case write carries, seals under
// the unit's statistics key (KeyRing::SealStatistics) and stores in the same
// batch as the write. The export opens only those facets: never an identity,
// contact or any other field of a case, and never a data key of a case.
//
// Suppression (every table):
//   primary    a cell with 0 < count < threshold is suppressed: `count` is
//              empty (the API sends null and "suppressed": true), never the number;
//   secondary  in a breakdown row (one unit, month and dimension) whose total
//              (the "cases" cell of the unit and month) is published, a lone
//              suppressed cell would follow from the total minus the others,
//              so the smallest other non-zero cell is suppressed with it.
// Zero cells are published as 0. No total over months or units is published
// (only per unit and month), so exports of overlapping ranges agree cell by
// cell and their difference reveals nothing new.
//
// Cases whose consent_deidentified_reporting is false are left out of every
// table; their number per unit and month is `withheld_by_consent`, itself
// suppressed under the threshold. Cases without the field are counted (a
// policy choice: the field records a refusal; README "Statistics export").
//
// Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace brankas {

// The unit config's [statistics].
struct StatisticsOptions {
  // Counts 1..threshold-1 are suppressed. Default 10; 2..1000.
  int suppression_threshold = 10;
};

// The SIMFONI age bands of the victim (from birth_date relative to the report
// date, else age_years), in table order; "unknown" when neither is set.
inline constexpr std::string_view kAgeBands[] = {"0-5",   "6-12",  "13-17", "18-24",
                                                 "25-44", "45-59", "60+",   "unknown"};
std::string_view AgeBandOf(int64_t years);  // "unknown" for a negative age

// "YYYY-MM" (year 1900..2100, month 01..12) as months since year 0, or -1.
int ParseStatisticsMonth(std::string_view month);
std::string FormatStatisticsMonth(int index);
// The most months one export may span.
inline constexpr int kMaxStatisticsMonths = 120;

struct StatisticsCell {
  std::string category;
  std::optional<uint64_t> count;  // empty: suppressed
  bool suppressed() const { return !count.has_value(); }
};

// One dimension of one unit and month: a cell per category of the dimension
// (every value the schema allows, then "unknown"), in schema order.
struct StatisticsBreakdown {
  std::string dimension;  // "sex", "age_band", "module", "violence_type", ...
  std::vector<StatisticsCell> cells;
};

struct StatisticsRow {
  std::string unit, month;
  std::optional<uint64_t> cases;                // empty: suppressed
  std::optional<uint64_t> withheld_by_consent;  // empty: suppressed
  std::vector<StatisticsBreakdown> breakdowns;  // in kStatisticsDimensions order
};

// The dimensions, in table order. violence_type, service and referral are
// multi-valued: a case counts once under each of its values.
inline constexpr std::string_view kStatisticsDimensions[] = {
    "sex", "age_band", "module", "violence_type", "incident_place", "perpetrator_relationship", "service", "referral"};

struct StatisticsReport {
  std::string unit;
  std::string from_month, to_month;  // inclusive
  int threshold = 0;
  std::vector<StatisticsRow> rows;  // one per month of the range, oldest first
  uint64_t suppressed_primary = 0, suppressed_secondary = 0;
};

}  // namespace brankas
