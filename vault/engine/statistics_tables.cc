#include "engine/statistics_tables.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <iterator>

namespace brankas {
namespace {

constexpr size_t kDimensionCount = std::size(kStatisticsDimensions);
// The schema field behind each dimension (age_band has none: kAgeBands).
constexpr std::array<std::string_view, kDimensionCount> kDimensionFields = {
    "sex", "", "module", "violence_types", "incident_place", "perpetrator_relationship", "services_provided",
    "referrals"};

// The facet's values under dimension `d`; empty: unknown.
std::vector<std::string_view> ValuesOf(const StatisticsFacet& f, size_t d) {
  auto one = [](const std::string& v) {
    return v.empty() ? std::vector<std::string_view>{} : std::vector<std::string_view>{v};
  };
  auto many = [](const std::vector<std::string>& list) {
    return std::vector<std::string_view>(list.begin(), list.end());
  };
  switch (d) {
    case 0: return one(f.sex);
    case 1: return one(f.age_band);
    case 2: return one(f.module);
    case 3: return many(f.violence_types);
    case 4: return one(f.incident_place);
    case 5: return one(f.perpetrator_relationship);
    case 6: return many(f.services);
    default: return many(f.referrals);
  }
}

}  // namespace

std::string_view AgeBandOf(int64_t years) {
  if (years < 0) return "unknown";
  if (years <= 5) return "0-5";
  if (years <= 12) return "6-12";
  if (years <= 17) return "13-17";
  if (years <= 24) return "18-24";
  if (years <= 44) return "25-44";
  if (years <= 59) return "45-59";
  return "60+";
}

int ParseStatisticsMonth(std::string_view m) {
  if (m.size() != 7 || m[4] != '-') return -1;
  int year = 0, month = 0;
  for (size_t i = 0; i < 7; ++i) {
    if (i == 4) continue;
    if (m[i] < '0' || m[i] > '9') return -1;
    (i < 4 ? year : month) = (i < 4 ? year : month) * 10 + (m[i] - '0');
  }
  if (year < 1900 || year > 2100 || month < 1 || month > 12) return -1;
  return year * 12 + (month - 1);
}

std::string FormatStatisticsMonth(int index) {
  char buf[48];
  std::snprintf(buf, sizeof(buf), "%04d-%02d", index / 12, index % 12 + 1);
  return buf;
}

StatisticsCategories CategoriesFrom(const Schema& schema) {
  StatisticsCategories c;
  for (size_t d = 0; d < kDimensionCount; ++d) {
    std::vector<std::string> values;
    if (kDimensionFields[d].empty()) {
      for (std::string_view band : kAgeBands) values.emplace_back(band);
    } else {
      if (const FieldDef* def = schema.Find(kDimensionFields[d]); def != nullptr) values = def->values;
      values.erase(std::remove(values.begin(), values.end(), "unknown"), values.end());
      values.emplace_back("unknown");
    }
    c.by_dimension.push_back(std::move(values));
  }
  return c;
}

StatisticsReport BuildStatisticsReport(const std::vector<StatisticsFacet>& facets, const std::string& unit,
                                       int from_month, int to_month, int threshold,
                                       const StatisticsCategories& categories) {
  struct Counts {
    uint64_t cases = 0, withheld = 0;
    std::vector<std::vector<uint64_t>> cells;  // [dimension][category]
  };
  const size_t months = static_cast<size_t>(to_month - from_month + 1);
  std::vector<Counts> counts(months);
  for (Counts& c : counts) {
    for (const auto& cats : categories.by_dimension) c.cells.emplace_back(cats.size(), 0);
  }
  for (const StatisticsFacet& f : facets) {
    const int m = ParseStatisticsMonth(f.month);
    if (f.unit != unit || m < from_month || m > to_month) continue;
    Counts& c = counts[static_cast<size_t>(m - from_month)];
    if (f.consent.has_value() && !*f.consent) {
      ++c.withheld;
      continue;
    }
    ++c.cases;
    for (size_t d = 0; d < categories.by_dimension.size(); ++d) {
      const auto& cats = categories.by_dimension[d];
      std::vector<size_t> hit;
      for (std::string_view v : ValuesOf(f, d)) {
        auto at = std::find(cats.begin(), cats.end(), v);
        hit.push_back(at == cats.end() ? cats.size() - 1 : static_cast<size_t>(at - cats.begin()));
      }
      if (hit.empty()) hit.push_back(cats.size() - 1);  // "unknown" is last
      std::sort(hit.begin(), hit.end());
      hit.erase(std::unique(hit.begin(), hit.end()), hit.end());  // a case counts once per category
      for (size_t i : hit) ++c.cells[d][i];
    }
  }

  StatisticsReport report;
  report.unit = unit;
  report.from_month = FormatStatisticsMonth(from_month);
  report.to_month = FormatStatisticsMonth(to_month);
  report.threshold = threshold;
  const auto t = static_cast<uint64_t>(threshold);
  auto primary = [&](uint64_t n) -> std::optional<uint64_t> {
    if (n > 0 && n < t) {
      ++report.suppressed_primary;
      return std::nullopt;
    }
    return n;
  };
  for (size_t i = 0; i < months; ++i) {
    const Counts& c = counts[i];
    StatisticsRow row;
    row.unit = unit;
    row.month = FormatStatisticsMonth(from_month + static_cast<int>(i));
    row.cases = primary(c.cases);
    row.withheld_by_consent = primary(c.withheld);
    for (size_t d = 0; d < categories.by_dimension.size(); ++d) {
      StatisticsBreakdown b;
      b.dimension = std::string(kStatisticsDimensions[d]);
      size_t suppressed = 0;
      for (size_t k = 0; k < c.cells[d].size(); ++k) {
        StatisticsCell cell{categories.by_dimension[d][k], primary(c.cells[d][k])};
        suppressed += cell.suppressed();
        b.cells.push_back(std::move(cell));
      }
      // Secondary: with the row's total published, one suppressed cell would
      // be the total minus the others; the smallest other non-zero cell goes too.
      if (suppressed == 1 && row.cases.has_value()) {
        StatisticsCell* smallest = nullptr;
        for (StatisticsCell& cell : b.cells) {
          if (cell.count.value_or(0) > 0 && (smallest == nullptr || *cell.count < *smallest->count)) smallest = &cell;
        }
        if (smallest != nullptr) {
          smallest->count.reset();
          ++report.suppressed_secondary;
        }
      }
      row.breakdowns.push_back(std::move(b));
    }
    report.rows.push_back(std::move(row));
  }
  return report;
}

}  // namespace brankas
