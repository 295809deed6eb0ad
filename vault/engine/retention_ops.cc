// Retention (issue #5): which closed cases have outlived their retention
// period, and their crypto-shredding with a signed receipt each; and, for a
// case not yet due whole, which of its field classes have outlived their own
// period (data minimisation: Vault::ShredClasses). Periods come from
// VaultOptions::retention (the unit config's [retention]).
#include <algorithm>

#include "brankas/crypto.h"
#include "engine/vault_impl.h"

namespace brankas {
namespace {

constexpr std::string_view kReviewAction = "retention.review";
constexpr int64_t kSecondsPerYear = 31'557'600;  // 365.25 days
constexpr size_t kMaxCasesScanned = 1'000'000;
constexpr size_t kMaxShredPerRun = 1'000;

// The current value of an administrative field of the case, or "" when unset.
Result<std::string> AdministrativeValue(Vault::Impl& impl, const CaseMeta& m, std::string_view name) {
  const FieldDef* def = impl.schema.Find(name);
  auto state = m.fields.find(std::string(name));
  if (def == nullptr || state == m.fields.end()) return std::string();
  BRANKAS_ASSIGN_OR_RETURN(auto bytes, impl.store->Get(Column::kRecords, VersionKey(m.case_id, state->second.version)));
  if (!bytes) return Corruption("a version of the case is missing from the store");
  BRANKAS_ASSIGN_OR_RETURN(auto fields, DecodeSealedFieldViews(*bytes));
  for (const auto& [field, sealed] : fields) {
    if (field == name) return impl.OpenField(m, *def, state->second.version, sealed);
  }
  return Corruption("a field is missing from its version record");
}

}  // namespace

Result<std::vector<RetentionItem>> Vault::ReviewRetention(const RequestContext& rc, bool shred) {
  Impl& impl = *impl_;
  BRANKAS_RETURN_IF_ERROR(impl.RequireUnsealed());
  if (rc.principal.role != Role::kSupervisor || rc.principal.unit != impl.unit) {
    return impl.Refuse(rc, kReviewAction, "", PermissionDenied("only a supervisor of the unit reviews retention"), {},
                       "role:supervisor");
  }
  const RetentionPolicy& policy = impl.retention;
  const int64_t now_s = impl.NowSeconds();
  std::vector<CaseMeta> closed;
  size_t scanned = 0;
  Status bad = Status::Ok();
  BRANKAS_RETURN_IF_ERROR(impl.store->Scan(Column::kRecords, "m/", {}, [&](std::string_view, std::string_view v) {
    auto m = DecodeCaseMeta(v);
    if (!m.ok()) {
      bad = m.status();
      return false;
    }
    if (m->closed && !m->shredded && m->unit == impl.unit) closed.push_back(std::move(*m));
    return ++scanned < kMaxCasesScanned;
  }));
  if (!bad.ok()) return impl.Refuse(rc, kReviewAction, "", bad);

  std::vector<RetentionItem> due;
  for (const CaseMeta& m : closed) {
    // The supervisor reads administrative fields unit-wide; the sweep reads
    // only these two, and the review itself is the audited read.
    if (!impl.policy.Decide(rc.principal, Action::kRead, FieldClass::kAdministrative, impl.ContextOf(m), {}, now_s)
             .allowed) {
      continue;
    }
    RetentionItem item;
    item.case_id = m.case_id;
    item.legal_hold = m.legal_hold;
    item.closed_since = m.updated_us / 1'000'000;
    auto cls = AdministrativeValue(impl, m, "retention_class");
    auto module = AdministrativeValue(impl, m, "module");
    if (!cls.ok() || !module.ok()) {
      return impl.Refuse(rc, kReviewAction, m.case_id, !cls.ok() ? cls.status() : module.status());
    }
    item.retention_class = cls->empty() ? "standard" : *cls;
    item.module = *module;
    auto years = policy.years_by_class.find(item.retention_class);
    if (years == policy.years_by_class.end() || years->second <= 0) continue;  // kept until reclassified
    int period = years->second;
    if (auto min = policy.min_years_by_module.find(item.module); min != policy.min_years_by_module.end()) {
      period = std::max(period, min->second);
    }
    item.due_at = item.closed_since + period * kSecondsPerYear;
    if (item.due_at <= now_s) {
      due.push_back(std::move(item));
      continue;
    }
    // Not due whole: the field classes past their own (shorter) period.
    int64_t first_due = 0;
    for (const auto& [field_class, class_years] : policy.years_by_field_class) {
      const uint32_t bit = 1u << static_cast<unsigned>(field_class);
      if (class_years <= 0 || field_class == FieldClass::kAdministrative || (m.shredded_classes & bit) != 0) continue;
      const int64_t at = item.closed_since + class_years * kSecondsPerYear;
      if (at > now_s) continue;
      item.classes.emplace_back(FieldClassName(field_class));
      first_due = first_due == 0 ? at : std::min(first_due, at);
    }
    if (!item.classes.empty()) {
      item.due_at = first_due;
      due.push_back(std::move(item));
    }
  }

  size_t shredded = 0, held = 0;
  for (RetentionItem& item : due) {
    if (item.legal_hold) {
      ++held;
      continue;
    }
    if (!shred || shredded >= kMaxShredPerRun) continue;
    std::string receipt;
    Status s;
    if (item.classes.empty()) {
      s = ShredCase(rc, item.case_id, "retention:" + item.retention_class, &receipt);
    } else {
      std::vector<FieldClass> classes;
      for (const std::string& name : item.classes) classes.push_back(*ParseFieldClass(name));
      s = ShredClasses(rc, item.case_id, classes, "retention:field_classes", &receipt);
    }
    if (!s.ok()) {
      item.problem = CodeName(s.code());
      continue;
    }
    Sha256 sha;
    sha.Update(receipt);
    item.receipt_sha256 = ToHex(sha.Finish());
    item.shredded = true;
    ++shredded;
  }
  AuditEntry e = impl.Entry(rc, kReviewAction, "", "allow");
  e.rule = "role:supervisor";
  e.detail = "closed=" + std::to_string(closed.size()) + " due=" + std::to_string(due.size()) +
             " held=" + std::to_string(held) + " shredded=" + std::to_string(shredded) +
             (scanned >= kMaxCasesScanned ? " capped" : "");
  BRANKAS_RETURN_IF_ERROR(impl.AuditOnly({std::move(e)}));
  return due;
}

}  // namespace brankas
