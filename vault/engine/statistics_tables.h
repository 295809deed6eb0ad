// The tables of the statistics export (brankas/statistics.h) from a set of
// statistics facets: counting, primary and secondary suppression. Pure: no
// store, no keys (engine/statistics_ops.cc reads and opens the facets).
//
// Thread-safety: plain values and pure functions.
#pragma once

#include <string>
#include <vector>

#include "brankas/schema.h"
#include "brankas/statistics.h"
#include "engine/statistics_facet.h"

namespace brankas {

// The categories of each dimension (kStatisticsDimensions order): the values
// the schema allows for the field behind it, in schema order, then "unknown".
// A value a facet holds but the schema no longer lists counts as "unknown".
struct StatisticsCategories {
  std::vector<std::vector<std::string>> by_dimension;
};
StatisticsCategories CategoriesFrom(const Schema& schema);

// REQUIRES: from_month <= to_month (ParseStatisticsMonth indexes), at most
// kMaxStatisticsMonths apart; threshold >= 2. Facets of another unit or
// outside the range are not counted.
StatisticsReport BuildStatisticsReport(const std::vector<StatisticsFacet>& facets, const std::string& unit,
                                       int from_month, int to_month, int threshold,
                                       const StatisticsCategories& categories);

}  // namespace brankas
