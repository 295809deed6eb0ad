// Grants (time-limited, scoped, approved access for legal teams) and
// break-glass (a supervisor's flagged emergency access).
#include <algorithm>

#include "brankas/codec.h"
#include "engine/user_record.h"
#include "engine/vault_impl.h"

namespace brankas {
namespace {

constexpr uint8_t kGrantFormat = 1;

std::string ClassList(const std::vector<FieldClass>& classes) {
  std::string out = "classes=";
  for (size_t i = 0; i < classes.size(); ++i) {
    if (i) out += ",";
    out += FieldClassName(classes[i]);
  }
  return out;
}

std::string NewGrantId() {
  static constexpr char kAlphabet[] = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
  std::string random = RandomBytes(16);
  std::string id = "G-";
  for (unsigned char c : random) id.push_back(kAlphabet[c & 31]);
  return id;
}

Result<Grant> CommitGrant(Vault::Impl& impl, const RequestContext& rc, std::string_view action,
                          const Grant& g, uint64_t base_version, const std::string& rule,
                          bool flagged) {
  CommitRequest req;
  req.batch.Put(Column::kAcl, GrantKey(g.id), EncodeGrant(g, base_version + 1));
  if (base_version == 0) req.batch.Put(Column::kAcl, GrantByCasePrefix(g.case_id) + g.id, "");
  req.expectations.push_back({Column::kAcl, GrantKey(g.id), base_version, base_version + 1});
  AuditEntry e = impl.Entry(rc, action, g.case_id, "allow");
  e.grant_id = g.id;
  e.rule = rule;
  e.flagged = flagged;
  e.detail = g.break_glass ? "break_glass" : ClassList(g.classes);
  req.audit.push_back(std::move(e));
  auto committed = impl.committer->Commit(std::move(req));
  if (!committed.ok()) return committed.status();
  return g;
}

// Loads a grant and its case and decides `op` on that case; every refusal is
// audited. On success *version is the grant's stored version.
Result<Grant> LoadGrantFor(Vault::Impl& impl, const RequestContext& rc, std::string_view action,
                           std::string_view grant_id, Policy::Operation op, uint64_t* version,
                           Decision* decision) {
  auto g = impl.LoadGrant(grant_id, version);
  if (!g.ok()) return impl.Refuse(rc, action, "", g.status());
  auto meta = impl.LoadCase(g->case_id);
  if (!meta.ok()) return impl.Refuse(rc, action, g->case_id, meta.status());
  CaseContext ctx = impl.ContextOf(*meta);
  *decision = impl.policy.DecideOperation(rc.principal, op, &ctx);
  if (!decision->allowed) {
    return impl.Refuse(rc, action, g->case_id,
                       PermissionDenied("only a supervisor of the case's unit may approve or revoke its grants"),
                       {}, decision->rule);
  }
  return g;
}

}  // namespace

std::string GrantKey(std::string_view grant_id) { return "g/" + std::string(grant_id); }
std::string GrantByCasePrefix(std::string_view case_id) { return "gc/" + std::string(case_id) + "/"; }

std::string EncodeGrant(const Grant& g, uint64_t version) {
  Writer w;
  w.U8(kGrantFormat);
  w.U64(version);
  w.Bytes(g.id);
  w.Bytes(g.case_id);
  w.Bytes(g.grantee);
  w.U32(static_cast<uint32_t>(g.classes.size()));
  for (FieldClass c : g.classes) w.U8(static_cast<uint8_t>(c));
  w.I64(g.not_before);
  w.I64(g.expires_at);
  w.Bytes(g.legal_basis);
  w.Bytes(g.requested_by);
  w.StringList(g.approvers);
  w.U32(static_cast<uint32_t>(g.required_approvals));
  w.Bool(g.revoked);
  w.I64(g.revoked_at);
  w.Bytes(g.revoked_by);
  w.Bool(g.break_glass);
  w.Bytes(g.reason);
  return w.Take();
}

Result<Grant> DecodeGrant(std::string_view bytes, uint64_t* version) {
  Reader r(bytes);
  Grant g;
  uint8_t format = 0;
  uint32_t classes = 0, required = 0;
  if (!r.U8(&format) || format != kGrantFormat) return Corruption("grant: unknown format");
  r.U64(version);
  r.Bytes(&g.id);
  r.Bytes(&g.case_id);
  r.Bytes(&g.grantee);
  if (!r.U32(&classes) || classes > kFieldClassCount) return Corruption("grant: malformed");
  for (uint32_t i = 0; i < classes; ++i) {
    uint8_t c = 0;
    if (!r.U8(&c) || c >= kFieldClassCount) return Corruption("grant: malformed class");
    g.classes.push_back(static_cast<FieldClass>(c));
  }
  r.I64(&g.not_before);
  r.I64(&g.expires_at);
  r.Bytes(&g.legal_basis);
  r.Bytes(&g.requested_by);
  r.StringList(&g.approvers, 16);
  r.U32(&required);
  r.Bool(&g.revoked);
  r.I64(&g.revoked_at);
  r.Bytes(&g.revoked_by);
  r.Bool(&g.break_glass);
  r.Bytes(&g.reason);
  if (!r.Done() || required > 16) return Corruption("grant: malformed");
  g.required_approvals = static_cast<int>(required);
  return g;
}

Result<std::vector<Grant>> Vault::ListGrants(const RequestContext& rc, std::string_view case_id) {
  Impl& impl = *impl_;
  BRANKAS_RETURN_IF_ERROR(impl.RequireUnsealed());
  constexpr std::string_view kAction = "grant.list";
  constexpr size_t kMaxScanned = 200'000;
  const std::string& me = rc.principal.user;
  auto mine = [&](const Grant& g) { return g.grantee == me || g.requested_by == me; };
  std::vector<Grant> out;
  if (!case_id.empty()) {
    // A case's grants: for those who request or approve them there (its owner,
    // a supervisor of its unit); anyone else sees only their own.
    auto meta = impl.LoadCase(case_id);
    if (!meta.ok()) return impl.Refuse(rc, kAction, case_id, meta.status());
    CaseContext ctx = impl.ContextOf(*meta);
    const bool handles =
        impl.policy.DecideOperation(rc.principal, Policy::Operation::kRequestGrant, &ctx).allowed ||
        impl.policy.DecideOperation(rc.principal, Policy::Operation::kApproveGrant, &ctx).allowed;
    auto grants = impl.GrantsOf(case_id);
    if (!grants.ok()) return impl.Refuse(rc, kAction, case_id, grants.status());
    for (Grant& g : *grants) {
      if (handles || mine(g)) out.push_back(std::move(g));
    }
    if (!handles && out.empty()) {
      return impl.Refuse(rc, kAction, case_id, PermissionDenied("you handle no grant of this case"));
    }
  } else {
    size_t scanned = 0;
    Status bad = Status::Ok();
    BRANKAS_RETURN_IF_ERROR(impl.store->Scan(Column::kAcl, "g/", {}, [&](std::string_view, std::string_view v) {
      uint64_t version = 0;
      auto g = DecodeGrant(v, &version);
      if (!g.ok()) {
        bad = g.status();
        return false;
      }
      if (mine(*g)) out.push_back(std::move(*g));
      return ++scanned < kMaxScanned && out.size() < 10'000;
    }));
    if (!bad.ok()) return impl.Refuse(rc, kAction, "", bad);
  }
  AuditEntry e = impl.Entry(rc, kAction, case_id, "allow");
  e.detail = "grants=" + std::to_string(out.size());
  BRANKAS_RETURN_IF_ERROR(impl.AuditOnly({std::move(e)}));
  return out;
}

Result<std::vector<Grant>> Vault::Impl::GrantsOf(std::string_view case_id) {
  std::vector<std::string> ids;
  const std::string prefix = GrantByCasePrefix(case_id);
  BRANKAS_RETURN_IF_ERROR(store->Scan(Column::kAcl, prefix, {}, [&](std::string_view k, std::string_view) {
    ids.emplace_back(k.substr(prefix.size()));
    return ids.size() < 10000;
  }));
  std::vector<Grant> grants;
  for (const auto& id : ids) {
    uint64_t version = 0;
    BRANKAS_ASSIGN_OR_RETURN(Grant g, LoadGrant(id, &version));
    grants.push_back(std::move(g));
  }
  return grants;
}

Result<Grant> Vault::Impl::LoadGrant(std::string_view grant_id, uint64_t* version) {
  if (!IsWellFormedId(grant_id)) return InvalidArgument("malformed grant id");
  BRANKAS_ASSIGN_OR_RETURN(auto bytes, store->Get(Column::kAcl, GrantKey(grant_id)));
  if (!bytes) return NotFound("no such grant");
  return DecodeGrant(*bytes, version);
}

Result<Grant> Vault::RequestGrant(const RequestContext& rc, const GrantRequest& request) {
  Impl& impl = *impl_;
  BRANKAS_RETURN_IF_ERROR(impl.RequireUnsealed());
  constexpr std::string_view kAction = "grant.request";
  auto meta = impl.LoadCase(request.case_id);
  if (!meta.ok()) return impl.Refuse(rc, kAction, request.case_id, meta.status());
  CaseContext ctx = impl.ContextOf(*meta);
  Decision d = impl.policy.DecideOperation(rc.principal, Policy::Operation::kRequestGrant, &ctx);
  if (!d.allowed) {
    return impl.Refuse(rc, kAction, request.case_id,
                       PermissionDenied("only the case owner may request a grant"), {}, d.rule);
  }
  if (!IsValidUserName(request.grantee)) {
    return impl.Refuse(rc, kAction, request.case_id, InvalidArgument("malformed grantee"));
  }
  if (request.legal_basis.size() > 512 || !IsValidUtf8(request.legal_basis)) {
    return impl.Refuse(rc, kAction, request.case_id, InvalidArgument("legal basis must be valid UTF-8 of at most 512 bytes"));
  }
  Grant g;
  g.id = NewGrantId();
  g.case_id = request.case_id;
  g.grantee = request.grantee;
  g.classes = request.classes;
  g.not_before = request.not_before;
  g.expires_at = request.expires_at;
  g.legal_basis = request.legal_basis;
  g.requested_by = rc.principal.user;
  g.required_approvals = impl.policy.RequiredApprovals(request.classes);
  Status valid = impl.policy.ValidateGrantRequest(g, request.grantee_role);
  if (!valid.ok()) return impl.Refuse(rc, kAction, request.case_id, valid);
  return CommitGrant(impl, rc, kAction, g, 0, d.rule, false);
}

Result<Grant> Vault::ApproveGrant(const RequestContext& rc, std::string_view grant_id) {
  Impl& impl = *impl_;
  BRANKAS_RETURN_IF_ERROR(impl.RequireUnsealed());
  constexpr std::string_view kAction = "grant.approve";
  uint64_t version = 0;
  Decision d;
  auto g = LoadGrantFor(impl, rc, kAction, grant_id, Policy::Operation::kApproveGrant, &version, &d);
  if (!g.ok()) return g.status();
  const std::string& me = rc.principal.user;
  if (g->revoked) return impl.Refuse(rc, kAction, g->case_id, FailedPrecondition("the grant was revoked"));
  if (me == g->requested_by || me == g->grantee) {
    return impl.Refuse(rc, kAction, g->case_id, PermissionDenied("a grant cannot be approved by its requester or grantee"));
  }
  if (std::find(g->approvers.begin(), g->approvers.end(), me) != g->approvers.end()) {
    return impl.Refuse(rc, kAction, g->case_id, Conflict("you already approved this grant"));
  }
  g->approvers.push_back(me);
  return CommitGrant(impl, rc, kAction, *g, version, d.rule, false);
}

Result<Grant> Vault::RevokeGrant(const RequestContext& rc, std::string_view grant_id) {
  Impl& impl = *impl_;
  BRANKAS_RETURN_IF_ERROR(impl.RequireUnsealed());
  constexpr std::string_view kAction = "grant.revoke";
  uint64_t version = 0;
  Decision d;
  auto g = LoadGrantFor(impl, rc, kAction, grant_id, Policy::Operation::kRevokeGrant, &version, &d);
  if (!g.ok()) return g.status();
  if (g->revoked) return impl.Refuse(rc, kAction, g->case_id, FailedPrecondition("the grant is already revoked"));
  g->revoked = true;
  g->revoked_at = impl.NowSeconds();
  g->revoked_by = rc.principal.user;
  return CommitGrant(impl, rc, kAction, *g, version, d.rule, false);
}

Result<Grant> Vault::BreakGlass(const RequestContext& rc, std::string_view case_id, std::string_view reason) {
  Impl& impl = *impl_;
  BRANKAS_RETURN_IF_ERROR(impl.RequireUnsealed());
  constexpr std::string_view kAction = "case.break_glass";
  auto meta = impl.LoadCase(case_id);
  if (!meta.ok()) return impl.Refuse(rc, kAction, case_id, meta.status());
  CaseContext ctx = impl.ContextOf(*meta);
  Decision d = impl.policy.DecideOperation(rc.principal, Policy::Operation::kBreakGlass, &ctx);
  if (!d.allowed) {
    return impl.Refuse(rc, kAction, case_id, PermissionDenied("you may not break the glass on this case"), {},
                       d.rule);
  }
  if (reason.size() < 10 || reason.size() > 2000 || !IsValidUtf8(reason)) {
    return impl.Refuse(rc, kAction, case_id,
                       InvalidArgument("break-glass needs a written reason of 10 to 2000 bytes of UTF-8"));
  }
  Grant g;
  g.id = NewGrantId();
  g.case_id = std::string(case_id);
  g.grantee = rc.principal.user;
  g.requested_by = rc.principal.user;
  g.classes.assign(kAllFieldClasses.begin(), kAllFieldClasses.end());
  g.not_before = impl.NowSeconds();
  g.expires_at = g.not_before + 60 * impl.policy.break_glass_minutes();
  g.required_approvals = 0;
  g.break_glass = true;
  g.reason = std::string(reason);
  Status valid = impl.policy.ValidateGrantRequest(g, rc.principal.role);
  if (!valid.ok()) return impl.Refuse(rc, kAction, case_id, valid);
  return CommitGrant(impl, rc, kAction, g, 0, d.rule, /*flagged=*/true);
}

}  // namespace brankas
