#include "engine/statistics_facet.h"

#include <cstdio>
#include <ctime>

#include "brankas/codec.h"
#include "brankas/statistics.h"

namespace brankas {
namespace {

constexpr uint8_t kFacetFormat = 1;
constexpr uint32_t kMaxListItems = 64;

std::vector<std::string> SplitList(const std::string& value) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= value.size() && out.size() < kMaxListItems) {
    size_t comma = value.find(',', start);
    if (comma == std::string::npos) comma = value.size();
    if (comma > start) out.push_back(value.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

// "YYYY-MM-DD" (the schema's normalized date) into its parts; false if not.
bool ParseDate(std::string_view d, int* y, int* m, int* day) {
  if (d.size() != 10 || d[4] != '-' || d[7] != '-') return false;
  auto num = [&](size_t at, size_t n, int* out) {
    int v = 0;
    for (size_t i = at; i < at + n; ++i) {
      if (d[i] < '0' || d[i] > '9') return false;
      v = v * 10 + (d[i] - '0');
    }
    *out = v;
    return true;
  };
  return num(0, 4, y) && num(5, 2, m) && num(8, 2, day);
}

std::string_view BandBetween(std::string_view birth, std::string_view reference) {
  int by = 0, bm = 0, bd = 0, ry = 0, rm = 0, rd = 0;
  if (!ParseDate(birth, &by, &bm, &bd) || !ParseDate(reference, &ry, &rm, &rd)) return "unknown";
  int years = ry - by - ((rm < bm || (rm == bm && rd < bd)) ? 1 : 0);
  return AgeBandOf(years);
}

std::string UtcDate(int64_t unix_us) {
  std::time_t t = static_cast<std::time_t>(unix_us / 1'000'000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[48];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
  return buf;
}

}  // namespace

void ApplyWrite(StatisticsFacet* f, const std::vector<std::pair<const FieldDef*, std::string>>& written,
                int64_t created_us) {
  const std::string* birth = nullptr;
  const std::string* age_years = nullptr;
  for (const auto& [def, value] : written) {
    const std::string& name = def->name;
    if (name == "sex") {
      f->sex = value;
    } else if (name == "module") {
      f->module = value;
    } else if (name == "incident_place") {
      f->incident_place = value;
    } else if (name == "perpetrator_relationship") {
      f->perpetrator_relationship = value;
    } else if (name == "violence_types") {
      f->violence_types = SplitList(value);
    } else if (name == "services_provided") {
      f->services = SplitList(value);
    } else if (name == "referrals") {
      f->referrals = SplitList(value);
    } else if (name == "consent_deidentified_reporting") {
      f->consent = value == "true";
    } else if (name == "birth_date") {
      birth = &value;
    } else if (name == "age_years") {
      age_years = &value;
    } else if (name == "report_date" && value.size() == 10) {
      f->month = value.substr(0, 7);
      f->reference_date = value;
      f->month_from_report = true;
    }
  }
  if (f->month.empty()) {
    f->reference_date = UtcDate(created_us);
    f->month = f->reference_date.substr(0, 7);
  }
  if (birth != nullptr) {
    f->age_source = 2;
    f->age_band = std::string(BandBetween(*birth, f->reference_date));
  } else if (age_years != nullptr && f->age_source != 2) {
    f->age_source = 1;
    int64_t years = -1;
    if (!age_years->empty() && age_years->size() <= 3) {
      years = 0;
      for (char c : *age_years) years = (c >= '0' && c <= '9' && years >= 0) ? years * 10 + (c - '0') : -1;
    }
    f->age_band = std::string(AgeBandOf(years));
  }
  if (f->age_band == "unknown") f->age_band.clear();
}

std::string EncodeFacet(const StatisticsFacet& f) {
  Writer w;
  w.U8(kFacetFormat);
  w.Bytes(f.unit);
  w.Bytes(f.month);
  w.Bytes(f.reference_date);
  w.Bool(f.month_from_report);
  w.U8(f.age_source);
  for (const std::string* s : {&f.sex, &f.age_band, &f.module, &f.incident_place, &f.perpetrator_relationship}) {
    w.Bytes(*s);
  }
  w.StringList(f.violence_types);
  w.StringList(f.services);
  w.StringList(f.referrals);
  w.U8(!f.consent.has_value() ? 0 : *f.consent ? 2 : 1);
  return w.Take();
}

Result<StatisticsFacet> DecodeFacet(std::string_view bytes) {
  Reader r(bytes);
  uint8_t format = 0, consent = 0;
  StatisticsFacet f;
  r.U8(&format);
  if (r.ok() && format != kFacetFormat) return Corruption("unknown statistics facet format");
  r.Bytes(&f.unit);
  r.Bytes(&f.month);
  r.Bytes(&f.reference_date);
  r.Bool(&f.month_from_report);
  r.U8(&f.age_source);
  for (std::string* s : {&f.sex, &f.age_band, &f.module, &f.incident_place, &f.perpetrator_relationship}) {
    r.Bytes(s);
  }
  r.StringList(&f.violence_types, kMaxListItems);
  r.StringList(&f.services, kMaxListItems);
  r.StringList(&f.referrals, kMaxListItems);
  r.U8(&consent);
  if (!r.Done() || consent > 2) return Corruption("malformed statistics facet");
  if (consent != 0) f.consent = consent == 2;
  return f;
}

std::string FacetKey(std::string_view case_id) { return std::string(kFacetPrefix) + std::string(case_id); }

std::string FacetAd(std::string_view unit, std::string_view case_id) {
  Writer w;
  w.Bytes("brankas/statistics-facet/v1");
  w.Bytes(unit);
  w.Bytes(case_id);
  return w.Take();
}

}  // namespace brankas
