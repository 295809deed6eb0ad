// The de-identified statistics export (brankas/statistics.h): the facets a
// case write stages (StageStatisticsFacet), and Vault::StatisticsExport, which
// reads only those facets.
#include <algorithm>
#include <string>

#include "brankas/codec.h"
#include "engine/statistics_facet.h"
#include "engine/statistics_tables.h"
#include "engine/vault_impl.h"

namespace brankas {
namespace {

constexpr std::string_view kAction = "statistics.export";
constexpr uint8_t kFacetRecordFormat = 1;

// The fields a facet is derived from: a write touching none leaves it alone.
bool ShapesFacet(std::string_view field) {
  static constexpr std::string_view kFields[] = {
      "sex",      "birth_date",     "age_years",         "report_date", "module",
      "violence_types", "incident_place", "perpetrator_relationship", "services_provided", "referrals",
      "consent_deidentified_reporting"};
  return std::find(std::begin(kFields), std::end(kFields), field) != std::end(kFields);
}

Result<StatisticsFacet> OpenFacetRecord(const Vault::Impl& impl, std::string_view case_id, std::string_view record) {
  Reader r(record);
  uint8_t format = 0;
  std::string_view sealed;
  r.U8(&format);
  r.BytesView(&sealed);
  if (!r.Done() || format != kFacetRecordFormat) return Corruption("malformed statistics facet record");
  BRANKAS_ASSIGN_OR_RETURN(std::string plain, impl.keys->OpenStatistics(sealed, FacetAd(impl.unit, case_id)));
  auto facet = DecodeFacet(plain);
  WipeString(plain);
  return facet;
}

}  // namespace

Status StageStatisticsFacet(Vault::Impl& impl, const CaseMeta& meta,
                            const std::vector<std::pair<const FieldDef*, std::string>>& written, bool new_case,
                            Batch* batch) {
  StatisticsFacet facet;
  if (!new_case) {
    if (std::none_of(written.begin(), written.end(), [](const auto& w) { return ShapesFacet(w.first->name); })) {
      return Status::Ok();
    }
    BRANKAS_ASSIGN_OR_RETURN(auto stored, impl.store->Get(Column::kRecords, FacetKey(meta.case_id)));
    // A case written before facets existed has none: it stays out of the
    // export rather than being counted from a part of its values.
    if (!stored) return Status::Ok();
    BRANKAS_ASSIGN_OR_RETURN(facet, OpenFacetRecord(impl, meta.case_id, *stored));
  }
  facet.unit = meta.unit;
  ApplyWrite(&facet, written, meta.created_us);
  std::string plain = EncodeFacet(facet);
  auto sealed = impl.keys->SealStatistics(plain, FacetAd(meta.unit, meta.case_id));
  WipeString(plain);
  if (!sealed.ok()) return sealed.status();
  Writer w;
  w.U8(kFacetRecordFormat);
  w.Bytes(*sealed);
  batch->Put(Column::kRecords, FacetKey(meta.case_id), w.Take());
  return Status::Ok();
}

void StageStatisticsFacetDelete(std::string_view case_id, Batch* batch) {
  batch->Delete(Column::kRecords, FacetKey(case_id));
}

Result<StatisticsReport> Vault::StatisticsExport(const RequestContext& rc, std::string_view from_month,
                                                 std::string_view to_month) {
  Impl& impl = *impl_;
  BRANKAS_RETURN_IF_ERROR(impl.RequireUnsealed());
  constexpr std::string_view kRule = "role:supervisor|auditor";
  const Role role = rc.principal.role;
  if (!(role == Role::kAuditor || (role == Role::kSupervisor && rc.principal.unit == impl.unit))) {
    return impl.Refuse(rc, kAction, "",
                       PermissionDenied("the statistics export is for the unit's supervisors and auditors"), {},
                       kRule);
  }
  const int from = ParseStatisticsMonth(from_month), to = ParseStatisticsMonth(to_month);
  if (from < 0 || to < 0) {
    return impl.Refuse(rc, kAction, "", InvalidArgument("\"from\" and \"to\" are months: YYYY-MM"), {}, kRule);
  }
  if (to < from) return impl.Refuse(rc, kAction, "", InvalidArgument("\"from\" is after \"to\""), {}, kRule);
  if (to - from + 1 > kMaxStatisticsMonths) {
    return impl.Refuse(rc, kAction, "",
                       InvalidArgument("an export spans at most " + std::to_string(kMaxStatisticsMonths) + " months"),
                       {}, kRule);
  }

  std::vector<StatisticsFacet> facets;
  Status bad = Status::Ok();
  Status scanned = impl.store->Scan(Column::kRecords, std::string(kFacetPrefix), {},
                                    [&](std::string_view key, std::string_view value) {
                                      auto facet = OpenFacetRecord(impl, key.substr(kFacetPrefix.size()), value);
                                      if (!facet.ok()) {
                                        bad = facet.status();
                                        return false;
                                      }
                                      const int m = ParseStatisticsMonth(facet->month);
                                      if (m >= from && m <= to) facets.push_back(std::move(*facet));
                                      return true;
                                    });
  if (!scanned.ok()) return impl.Refuse(rc, kAction, "", scanned, {}, kRule);
  if (!bad.ok()) return impl.Refuse(rc, kAction, "", bad, {}, kRule);
  StatisticsReport report = BuildStatisticsReport(facets, impl.unit, from, to, impl.statistics.suppression_threshold,
                                                  CategoriesFrom(impl.schema));
  // Months, threshold and how many cells were held back: never a count of cases.
  AuditEntry e = impl.Entry(rc, kAction, "", "allow");
  e.rule = std::string(kRule);
  e.detail = "from=" + report.from_month + " to=" + report.to_month +
             " threshold=" + std::to_string(report.threshold) + " suppressed=" + std::to_string(report.suppressed_primary) + "+" +
             std::to_string(report.suppressed_secondary);
  BRANKAS_RETURN_IF_ERROR(impl.AuditOnly({std::move(e)}));
  return report;
}

}  // namespace brankas
