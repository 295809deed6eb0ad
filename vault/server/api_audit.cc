// GET /v1/audit/export (server/api_audit.h).
#include "server/api_audit.h"

#include <string>

#include "brankas/audit_export.h"

namespace brankas::server {
namespace {

constexpr std::string_view kAction = "audit.export";

// A decimal number of at most 20 digits that fits in a uint64_t.
Result<uint64_t> ParseSeq(const std::string* s, std::string_view name, uint64_t fallback) {
  if (s == nullptr) return fallback;
  const auto bad = InvalidArgument("\"" + std::string(name) + "\" is not a number");
  if (s->empty() || s->size() > 20) return bad;
  uint64_t v = 0;
  for (char c : *s) {
    if (c < '0' || c > '9') return bad;
    const uint64_t digit = static_cast<uint64_t>(c - '0');
    if (v > (UINT64_MAX - digit) / 10) return bad;
    v = v * 10 + digit;
  }
  return v;
}

}  // namespace

Result<Json> AuditExportPage(Vault& vault, const RequestContext& rc, const Target& target) {
  if (vault.health() == Health::kSealed) {
    return Sealed("the vault is sealed: unseal it with the passphrase or recovery shares");
  }
  auto refuse = [&](const Status& s) -> Status {
    vault.AuditAttempt(rc, kAction, "", "deny", Api::ApiCode(s.code())).IgnoreError();
    return s;
  };
  for (const auto& [name, value] : target.query) {
    if (name != "after" && name != "limit") return refuse(InvalidArgument("unknown parameter"));
  }
  auto after = ParseSeq(target.Param("after"), "after", 0);
  if (!after.ok()) return refuse(after.status());
  auto limit = ParseSeq(target.Param("limit"), "limit", kDefaultAuditExportPage);
  if (!limit.ok()) return refuse(limit.status());
  if (*limit == 0 || *limit > kMaxAuditExportPage) {
    return refuse(InvalidArgument("\"limit\" is 1 to " + std::to_string(kMaxAuditExportPage)));
  }
  // The whole trail: only a role whose audit_read scope is "all", as for a query of it.
  if (vault.policy().OperationScope(rc.principal.role, Policy::Operation::kAuditRead) != Scope::kAll) {
    return refuse(PermissionDenied("only an auditor may export the audit trail"));
  }

  auto fail = [&](const Status& s) -> Status {
    vault.AuditAttempt(rc, kAction, "", "error", Api::ApiCode(s.code())).IgnoreError();
    return s;
  };
  auto snapshot = vault.store().Snapshot();
  if (!snapshot.ok()) return fail(snapshot.status());
  auto page = ReadAuditExportPage(**snapshot, *after, static_cast<size_t>(*limit));
  if (!page.ok()) return fail(page.status());
  page->unit = vault.unit();
  page->node_public_key = vault.node_public_key();

  // Nothing is answered unless it is audited.
  std::string detail = "after=" + std::to_string(*after) + " results=" + std::to_string(page->entries.size());
  BRANKAS_RETURN_IF_ERROR(vault.AuditAttempt(rc, kAction, "", "allow", detail));
  return AuditExportPageToJson(*page);
}

}  // namespace brankas::server
