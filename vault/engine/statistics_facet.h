// The statistics facet of a case: the few coarse, de-identified attributes
// the national statistics export counts (brankas/statistics.h), kept apart
// from the case's fields so that the export never opens a field.
//
//   records "st/" case_id -> v1 | bytes AeadSeal(statistics key, EncodeFacet, FacetAd)
//
// The engine derives it at every create and update from the values being
// written and the case's previous facet (ApplyWrite), never by opening a
// stored field, and puts it into the write's batch (atomic with the case). A
// crypto-shred deletes it with the case. The statistics key is the unit's
// (KeyRing::SealStatistics), not a data key of the case: shredding a case's
// keys leaves nothing of it readable, and its facet is deleted too.
//
// What a facet holds is already coarse: the month (not the date) of the
// report, an age band (not the age or birth date), enum values. The date the
// age band was computed against is kept (`reference_date`) so a birth date
// written after the report date is banded against it.
//
// Thread-safety: plain values and pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "brankas/schema.h"
#include "brankas/status.h"

namespace brankas {

struct StatisticsFacet {
  std::string unit;
  std::string month;             // "YYYY-MM": of report_date, else of the case's creation (UTC)
  std::string reference_date;    // "YYYY-MM-DD" the age band is computed against
  bool month_from_report = false;
  uint8_t age_source = 0;        // 0 none, 1 age_years, 2 birth_date (wins over age_years)
  std::string sex, age_band, module, incident_place, perpetrator_relationship;  // "" = unknown
  std::vector<std::string> violence_types, services, referrals;                 // sorted
  std::optional<bool> consent;   // consent_deidentified_reporting; unset = not refused
};

// Updates `facet` from one write's validated values (normalized by the
// schema: dates YYYY-MM-DD, lists comma-joined and sorted, bools
// "true"/"false"). `created_us` is the case's creation time (the month when
// no report_date was ever written). Fields the facet does not use are ignored.
void ApplyWrite(StatisticsFacet* facet, const std::vector<std::pair<const FieldDef*, std::string>>& written,
                int64_t created_us);

std::string EncodeFacet(const StatisticsFacet& facet);
Result<StatisticsFacet> DecodeFacet(std::string_view bytes);

std::string FacetKey(std::string_view case_id);
inline constexpr std::string_view kFacetPrefix = "st/";
// Associated data of a facet's seal: binds unit and case.
std::string FacetAd(std::string_view unit, std::string_view case_id);

}  // namespace brankas
