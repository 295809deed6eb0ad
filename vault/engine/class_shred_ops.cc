// Crypto-shredding of some field classes of a case (data minimisation, UU PDP
// art. 42-44): the data keys of the classes go from the case's key record, the
// fields of the classes from the case, and a signed receipt of format /2
// (brankas/evidence_bundle.h) is stored with them, all in one committed batch
// (so the changelog carries it to the central node).
#include <algorithm>

#include "brankas/evidence_bundle.h"
#include "engine/vault_impl.h"

namespace brankas {
namespace {

constexpr std::string_view kShredClassesAction = "case.shred_classes";

std::string ClassReceiptKey(std::string_view case_id, uint64_t version) {
  std::string k = "dc/" + std::string(case_id) + "/";
  PutBigEndian64(&k, version);
  return k;
}

}  // namespace

Status Vault::ShredClasses(const RequestContext& rc, std::string_view case_id,
                           const std::vector<FieldClass>& classes, std::string_view reason,
                           std::string* receipt_out) {
  Impl& impl = *impl_;
  BRANKAS_RETURN_IF_ERROR(impl.RequireUnsealed());
  BRANKAS_ASSIGN_OR_RETURN(ShredCheck checked, CheckShred(impl, rc, kShredClassesAction, case_id, reason, "classes of a case"));
  CaseMeta* meta = &checked.meta;
  const Decision& d = checked.decision;
  uint32_t mask = 0;
  for (FieldClass cls : classes) {
    if (cls == FieldClass::kAdministrative) {
      return impl.Refuse(rc, kShredClassesAction, case_id,
                         InvalidArgument("the administrative class is destroyed only with the whole case"));
    }
    mask |= 1u << static_cast<unsigned>(cls);
  }
  if (mask == 0) return impl.Refuse(rc, kShredClassesAction, case_id, InvalidArgument("name at least one field class"));
  if ((mask & meta->shredded_classes) != 0) {
    return impl.Refuse(rc, kShredClassesAction, case_id, FailedPrecondition("a named class was already shredded"));
  }

  CommitRequest req;
  BRANKAS_RETURN_IF_ERROR(impl.keys->ShredClasses(case_id, mask, &req.batch));
  // The fields of the classes leave the case: reads, history and search no
  // longer see them. Their old ciphertexts stay in the version records (they
  // hold other classes' fields too), unreadable without the keys.
  uint64_t fields = 0, index_entries = 0;
  for (auto it = meta->fields.begin(); it != meta->fields.end();) {
    const FieldDef* def = impl.schema.Find(it->first);
    if (def == nullptr || (mask & (1u << static_cast<unsigned>(def->cls))) == 0) {
      ++it;
      continue;
    }
    if (!it->second.blind_tag.empty()) {
      req.batch.Delete(Column::kIndex, IndexKey(it->first, it->second.blind_tag, case_id));
      ++index_entries;
    }
    ++fields;
    it = meta->fields.erase(it);
  }
  EvidenceShredCounts evidence;
  if ((mask & (1u << static_cast<unsigned>(FieldClass::kLegalEvidence))) != 0) {
    BRANKAS_RETURN_IF_ERROR(StageEvidenceShred(impl, case_id, &req.batch, &evidence));
  }
  uint64_t referrals_revoked = 0;
  BRANKAS_RETURN_IF_ERROR(StageReferralRevocations(impl, case_id, mask, &req, &referrals_revoked));
  const uint64_t base = meta->version;
  meta->version = base + 1;
  meta->shredded_classes |= mask;
  // updated_us stays: a class shred does not restart the retention clock.
  req.batch.Put(Column::kRecords, CaseMetaKey(case_id), EncodeCaseMeta(*meta));
  req.expectations.push_back({Column::kRecords, CaseMetaKey(case_id), base, meta->version});

  nlohmann::json names = nlohmann::json::array();
  for (FieldClass cls : kAllFieldClasses) {
    if ((mask & (1u << static_cast<unsigned>(cls))) != 0) names.push_back(std::string(FieldClassName(cls)));
  }
  nlohmann::json r{{"format", kClassDestructionReceiptFormat},
                   {"unit", impl.unit},
                   {"case_id", std::string(case_id)},
                   {"case_kept", true},
                   {"classes", names},
                   {"shredded_at", impl.NowSeconds()},
                   {"shredded_by", rc.principal.user},
                   {"role", std::string(RoleName(rc.principal.role))},
                   {"reason", reason.empty() ? std::string("unspecified") : std::string(reason)},
                   {"legal_hold", false},
                   {"destroyed",
                    {{"data_keys", names.size()},
                     {"fields", fields},
                     {"index_entries", index_entries},
                     {"attachments", evidence.attachments},
                     {"attachment_chunks", evidence.chunks}}},
                   {"node_public_key", ToHex(impl.node_public_key)}};
  BRANKAS_ASSIGN_OR_RETURN(std::string signature, impl.keys->Sign(DestructionReceiptMessage(r)));
  const std::string receipt = nlohmann::json{{"receipt", r}, {"signature", ToHex(signature)}}.dump();
  req.batch.Put(Column::kRecords, ClassReceiptKey(case_id, meta->version), receipt);

  AuditEntry e = impl.Entry(rc, kShredClassesAction, case_id, "allow");
  e.rule = d.rule;
  e.flagged = true;
  Sha256 sha;
  sha.Update(receipt);
  const std::string_view kind = reason.empty() ? std::string_view("unspecified") : reason.substr(0, reason.find(':'));
  std::string class_list;
  for (const auto& n : names) class_list += (class_list.empty() ? "" : ",") + n.get<std::string>();
  e.detail = "classes=" + class_list + " reason=" + std::string(kind) + " receipt_sha256=" + ToHex(sha.Finish());
  if (referrals_revoked > 0) e.detail += " referrals_revoked=" + std::to_string(referrals_revoked);
  req.audit.push_back(std::move(e));
  auto committed = impl.committer->Commit(std::move(req));
  if (!committed.ok()) return committed.status();
  if (receipt_out != nullptr) *receipt_out = receipt;
  return Status::Ok();
}

}  // namespace brankas

namespace brankas {

Result<std::vector<std::string>> Vault::ClassDestructionReceipts(const RequestContext& rc,
                                                                 std::string_view case_id) {
  Impl& impl = *impl_;
  BRANKAS_RETURN_IF_ERROR(impl.RequireUnsealed());
  constexpr std::string_view kReceiptsAction = "case.receipt";
  auto meta = impl.LoadCase(case_id);
  if (!meta.ok()) return impl.Refuse(rc, kReceiptsAction, case_id, meta.status());
  // Who may read them: as DestructionReceipt (auditors; supervisors who may shred).
  CaseContext ctx = impl.ContextOf(*meta);
  Decision d = impl.policy.DecideOperation(rc.principal, Policy::Operation::kAuditRead, &ctx);
  if (!d.allowed) d = impl.policy.DecideOperation(rc.principal, Policy::Operation::kClose, &ctx);
  if (!d.allowed) {
    return impl.Refuse(rc, kReceiptsAction, case_id,
                       PermissionDenied("you may not read this case's destruction receipts"), {}, d.rule);
  }
  std::vector<std::string> receipts;
  Status scanned = impl.store->Scan(Column::kRecords, "dc/" + std::string(case_id) + "/", {},
                                    [&](std::string_view, std::string_view v) {
                                      receipts.emplace_back(v);
                                      return receipts.size() < static_cast<size_t>(kFieldClassCount);
                                    });
  if (!scanned.ok()) return impl.Refuse(rc, kReceiptsAction, case_id, scanned);
  if (receipts.empty()) return impl.Refuse(rc, kReceiptsAction, case_id, NotFound("no class of the case was shredded"));
  AuditEntry e = impl.Entry(rc, kReceiptsAction, case_id, "allow");
  e.rule = d.rule;
  e.detail = "class_receipts=" + std::to_string(receipts.size());
  BRANKAS_RETURN_IF_ERROR(impl.AuditOnly({std::move(e)}));
  return receipts;
}

}  // namespace brankas
