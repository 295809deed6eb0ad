// Keys (rotation, crypto-shredding) and the audit trail's own operations.
#include <algorithm>

#include "brankas/evidence_bundle.h"
#include "engine/vault_impl.h"

namespace brankas {

Status Vault::RotateKek(const RequestContext& rc, FieldClass cls) {
  Impl& impl = *impl_;
  BRANKAS_RETURN_IF_ERROR(impl.RequireUnsealed());
  constexpr std::string_view kAction = "key.rotate";
  if (rc.principal.role != Role::kAdmin) {
    return impl.Refuse(rc, kAction, "", PermissionDenied("only an administrator may rotate keys"), {},
                       "role:admin");
  }
  BRANKAS_ASSIGN_OR_RETURN(auto rotation, impl.keys->PrepareKekRotation(cls));
  CommitRequest req;
  req.batch = rotation.batch;
  AuditEntry e = impl.Entry(rc, kAction, "", "allow");
  e.rule = "role:admin";
  e.detail = "class=" + std::string(FieldClassName(cls)) + " version=" + std::to_string(rotation.version);
  req.audit.push_back(std::move(e));
  auto committed = impl.committer->Commit(std::move(req));
  if (!committed.ok()) return committed.status();
  impl.keys->ActivateKekRotation(std::move(rotation));
  return Status::Ok();
}

bool IsValidShredReason(std::string_view reason) {
  static constexpr std::string_view kKinds[] = {"lawful_request", "retention", "consent_withdrawn", "court_order",
                                                "data_subject_request"};
  if (reason.size() > 512 || !IsValidUtf8(reason)) return false;
  std::string_view kind = reason.substr(0, reason.find(':'));
  if (std::find(std::begin(kKinds), std::end(kKinds), kind) == std::end(kKinds)) return false;
  return std::none_of(reason.begin(), reason.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20; });
}

Result<ShredCheck> CheckShred(Vault::Impl& impl, const RequestContext& rc, std::string_view action,
                              std::string_view case_id, std::string_view reason, std::string_view what) {
  auto meta = impl.LoadCase(case_id);
  if (!meta.ok()) return impl.Refuse(rc, action, case_id, meta.status());
  CaseContext ctx = impl.ContextOf(*meta);
  Decision d = impl.policy.DecideOperation(rc.principal, Policy::Operation::kClose, &ctx);
  if (!d.allowed || rc.principal.role != Role::kSupervisor) {
    return impl.Refuse(rc, action, case_id,
                       PermissionDenied("only a supervisor of the unit may shred " + std::string(what)), {}, d.rule);
  }
  if (meta->legal_hold) return impl.Refuse(rc, action, case_id, FailedPrecondition("the case is under legal hold"));
  if (meta->shredded) return impl.Refuse(rc, action, case_id, FailedPrecondition("the case was crypto-shredded"));
  if (!reason.empty() && !IsValidShredReason(reason)) {
    return impl.Refuse(rc, action, case_id,
                       InvalidArgument("the reason is KIND or KIND:REFERENCE, KIND one of lawful_request, retention, "
                                       "consent_withdrawn, court_order, data_subject_request"));
  }
  return ShredCheck{std::move(*meta), std::move(d)};
}

namespace {

std::string ReceiptKey(std::string_view case_id) { return "d/" + std::string(case_id); }

}  // namespace

Status Vault::ShredCase(const RequestContext& rc, std::string_view case_id, std::string_view reason,
                        std::string* receipt_out) {
  Impl& impl = *impl_;
  BRANKAS_RETURN_IF_ERROR(impl.RequireUnsealed());
  constexpr std::string_view kAction = "case.shred";
  BRANKAS_ASSIGN_OR_RETURN(ShredCheck checked, CheckShred(impl, rc, kAction, case_id, reason, "a case"));
  CaseMeta* meta = &checked.meta;
  const Decision& d = checked.decision;
  CommitRequest req;
  BRANKAS_RETURN_IF_ERROR(impl.keys->ShredCase(case_id, &req.batch));
  // The ciphertexts are unreadable without the data keys; drop them and the
  // index entries too, so nothing of the case stays but its tombstone.
  uint64_t versions = 0, index_entries = 0;
  BRANKAS_RETURN_IF_ERROR(impl.store->Scan(Column::kRecords, VersionPrefix(case_id), {},
                                           [&](std::string_view k, std::string_view) {
                                             req.batch.Delete(Column::kRecords, std::string(k));
                                             ++versions;
                                             return true;
                                           }));
  for (auto& [name, state] : meta->fields) {
    if (!state.blind_tag.empty()) {
      req.batch.Delete(Column::kIndex, IndexKey(name, state.blind_tag, case_id));
      ++index_entries;
    }
  }
  EvidenceShredCounts evidence;
  BRANKAS_RETURN_IF_ERROR(StageEvidenceShred(impl, case_id, &req.batch, &evidence));
  StageStatisticsFacetDelete(case_id, &req.batch);
  uint64_t referrals_revoked = 0;
  BRANKAS_RETURN_IF_ERROR(
      StageReferralRevocations(impl, case_id, (1u << kFieldClassCount) - 1, &req, &referrals_revoked));
  uint64_t base = meta->version;
  meta->version = base + 1;
  meta->shredded = true;
  meta->fields.clear();
  meta->updated_us = impl.now_us();
  req.batch.Put(Column::kRecords, CaseMetaKey(case_id), EncodeCaseMeta(*meta));
  req.expectations.push_back({Column::kRecords, CaseMetaKey(case_id), base, meta->version});

  // The signed destruction receipt (brankas/evidence_bundle.h): stored with
  // the shred (and so replicated), its hash in the shred's audit entry.
  nlohmann::json r{{"format", kDestructionReceiptFormat},
                   {"unit", impl.unit},
                   {"case_id", std::string(case_id)},
                   {"shredded_at", meta->updated_us / 1'000'000},
                   {"shredded_by", rc.principal.user},
                   {"role", std::string(RoleName(rc.principal.role))},
                   {"reason", reason.empty() ? std::string("unspecified") : std::string(reason)},
                   {"legal_hold", false},
                   {"destroyed",
                    {{"data_keys", kFieldClassCount},
                     {"versions", versions},
                     {"index_entries", index_entries},
                     {"attachments", evidence.attachments},
                     {"attachment_chunks", evidence.chunks}}},
                   {"node_public_key", ToHex(impl.node_public_key)}};
  BRANKAS_ASSIGN_OR_RETURN(std::string signature, impl.keys->Sign(DestructionReceiptMessage(r)));
  const std::string receipt = nlohmann::json{{"receipt", r}, {"signature", ToHex(signature)}}.dump();
  req.batch.Put(Column::kRecords, ReceiptKey(case_id), receipt);
  AuditEntry e = impl.Entry(rc, kAction, case_id, "allow");
  e.rule = d.rule;
  e.flagged = true;
  Sha256 sha;
  sha.Update(receipt);
  const std::string_view kind = reason.empty() ? std::string_view("unspecified") : reason.substr(0, reason.find(':'));
  e.detail = "reason=" + std::string(kind) + " receipt_sha256=" + ToHex(sha.Finish());
  if (referrals_revoked > 0) e.detail += " referrals_revoked=" + std::to_string(referrals_revoked);
  req.audit.push_back(std::move(e));
  auto committed = impl.committer->Commit(std::move(req));
  if (!committed.ok()) return committed.status();
  if (receipt_out != nullptr) *receipt_out = receipt;
  return Status::Ok();
}

Result<std::string> Vault::DestructionReceipt(const RequestContext& rc, std::string_view case_id) {
  Impl& impl = *impl_;
  BRANKAS_RETURN_IF_ERROR(impl.RequireUnsealed());
  constexpr std::string_view kAction = "case.receipt";
  auto meta = impl.LoadCase(case_id);
  if (!meta.ok()) return impl.Refuse(rc, kAction, case_id, meta.status());
  CaseContext ctx = impl.ContextOf(*meta);
  Decision d = impl.policy.DecideOperation(rc.principal, Policy::Operation::kAuditRead, &ctx);
  if (!d.allowed) {
    d = impl.policy.DecideOperation(rc.principal, Policy::Operation::kClose, &ctx);
  }
  if (!d.allowed) {
    return impl.Refuse(rc, kAction, case_id, PermissionDenied("you may not read this case's destruction receipt"), {},
                       d.rule);
  }
  auto receipt = impl.store->Get(Column::kRecords, ReceiptKey(case_id));
  if (!receipt.ok()) return impl.Refuse(rc, kAction, case_id, receipt.status());
  if (!*receipt) return impl.Refuse(rc, kAction, case_id, NotFound("the case was not shredded"));
  AuditEntry e = impl.Entry(rc, kAction, case_id, "allow");
  e.rule = d.rule;
  BRANKAS_RETURN_IF_ERROR(impl.AuditOnly({std::move(e)}));
  return std::move(**receipt);
}

Result<std::vector<AuditEntry>> Vault::QueryAudit(const RequestContext& rc, const AuditFilter& filter) {
  Impl& impl = *impl_;
  BRANKAS_RETURN_IF_ERROR(impl.RequireUnsealed());
  constexpr std::string_view kAction = "audit.query";
  // Auditors see everything; others only the trail of a case they may audit.
  Decision d;
  if (filter.case_id.empty()) {
    // The whole trail: only a role whose audit_read scope is "all".
    d.allowed = impl.policy.OperationScope(rc.principal.role, Policy::Operation::kAuditRead) == Scope::kAll;
    d.rule = "operation:" + std::string(RoleName(rc.principal.role)) + ":audit_read:all";
  } else {
    auto meta = impl.LoadCase(filter.case_id);
    if (!meta.ok()) return impl.Refuse(rc, kAction, filter.case_id, meta.status());
    CaseContext ctx = impl.ContextOf(*meta);
    d = impl.policy.DecideOperation(rc.principal, Policy::Operation::kAuditRead, &ctx);
  }
  if (!d.allowed) {
    return impl.Refuse(rc, kAction, filter.case_id, PermissionDenied("you may not read this audit trail"), {},
                       d.rule);
  }
  BRANKAS_ASSIGN_OR_RETURN(auto entries, brankas::QueryAudit(*impl.store, filter));
  AuditEntry e = impl.Entry(rc, kAction, filter.case_id, "allow");
  e.rule = d.rule;
  e.detail = "results=" + std::to_string(entries.size());
  BRANKAS_RETURN_IF_ERROR(impl.AuditOnly({std::move(e)}));
  return entries;
}

Result<VerifyReport> Vault::VerifyAudit(const RequestContext& rc) {
  Impl& impl = *impl_;
  BRANKAS_RETURN_IF_ERROR(impl.RequireUnsealed());
  constexpr std::string_view kAction = "audit.verify";
  if (rc.principal.role != Role::kAuditor) {
    return impl.Refuse(rc, kAction, "", PermissionDenied("only an auditor may verify the audit trail"));
  }
  BRANKAS_ASSIGN_OR_RETURN(auto snapshot, impl.store->Snapshot());
  BRANKAS_ASSIGN_OR_RETURN(auto report, VerifyAuditChain(*snapshot, impl.node_public_key));
  AuditEntry e = impl.Entry(rc, kAction, "", "allow");
  e.rule = "role:auditor";
  e.detail = report.intact ? "intact" : "broken";
  BRANKAS_RETURN_IF_ERROR(impl.AuditOnly({std::move(e)}));
  return report;
}

Status Vault::AuditAttempt(const RequestContext& rc, std::string_view action, std::string_view case_id,
                           std::string_view decision, std::string_view detail) {
  Impl& impl = *impl_;
  BRANKAS_RETURN_IF_ERROR(impl.RequireUnsealed());
  AuditEntry e = impl.Entry(rc, action, IsWellFormedId(case_id) ? case_id : std::string_view(),
                            decision);
  e.detail = std::string(detail.substr(0, 200));
  return impl.AuditOnly({std::move(e)});
}

}  // namespace brankas
