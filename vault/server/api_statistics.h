// The statistics export of issue #5 over HTTPS (brankas/statistics.h):
//
//   GET /v1/statistics?from=YYYY-MM&to=YYYY-MM
//
// Both parameters are required; any other parameter, a malformed month,
// from after to or a span over kMaxStatisticsMonths is 400 invalid_argument.
// The unit's supervisors and auditors; others 403. The vault audits every
// call ("statistics.export"); refusals made here are audited by the caller
// (api.cc) as "api.statistics". Answer:
//
//   {"unit", "from", "to", "dimensions": [the tables below "cases", in order],
//    "suppression": {"threshold", "primary", "secondary",
//                    "suppressed_primary", "suppressed_secondary"},
//    "tables": {
//      "cases": [{"unit", "month", "cases", "suppressed",
//                 "withheld_by_consent", "withheld_suppressed"}, ...],
//      "<dimension>": [{"unit", "month", "category", "cases", "suppressed"}, ...],
//      ...}}
//
// A suppressed count is null with "suppressed": true; the number never
// leaves the engine. Dimensions: kStatisticsDimensions. Thread-safe.
#pragma once

#include "brankas/statistics.h"
#include "brankas/status.h"
#include "brankas/vault.h"
#include "server/api.h"
#include "server/json_io.h"

namespace brankas::server {

// kInvalidArgument for parameters the export does not take (not audited here).
Status CheckStatisticsParams(const Target& target);
// REQUIRES: CheckStatisticsParams(target) is ok. The answer body, or the
// vault's error (which the vault audited).
Result<Json> StatisticsAnswer(Vault& vault, const RequestContext& rc, const Target& target);
Json ToJson(const StatisticsReport& report);

}  // namespace brankas::server
