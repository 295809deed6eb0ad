// Case lifecycle: assignment, stages (with supervisor approval where DOMAIN.md
// asks for it), legal hold.
#include <algorithm>

#include "engine/user_record.h"
#include "engine/vault_impl.h"

namespace brankas {
namespace {

// Commits a metadata-only change of the case guarded by its version.
Result<CaseSummary> CommitMetaChange(Vault::Impl& impl, const RequestContext& rc, std::string_view action,
                                     CaseMeta meta, const Decision& d, std::string detail) {
  CommitRequest req;
  uint64_t base = meta.version;
  meta.version = base + 1;
  meta.updated_us = impl.now_us();
  req.batch.Put(Column::kRecords, CaseMetaKey(meta.case_id), EncodeCaseMeta(meta));
  req.expectations.push_back({Column::kRecords, CaseMetaKey(meta.case_id), base, meta.version});
  AuditEntry e = impl.Entry(rc, action, meta.case_id, "allow");
  e.rule = d.rule;
  e.detail = std::move(detail);
  req.audit.push_back(std::move(e));
  auto committed = impl.committer->Commit(std::move(req));
  if (!committed.ok()) return committed.status();
  return impl.Summarize(meta);
}

}  // namespace

Result<CaseSummary> Vault::AssignCase(const RequestContext& rc, std::string_view case_id,
                                      const std::vector<std::string>& users, std::string_view owner) {
  Impl& impl = *impl_;
  BRANKAS_RETURN_IF_ERROR(impl.RequireUnsealed());
  constexpr std::string_view kAction = "case.assign";
  auto meta = impl.LoadCase(case_id);
  if (!meta.ok()) return impl.Refuse(rc, kAction, case_id, meta.status());
  CaseContext ctx = impl.ContextOf(*meta);
  Decision d = impl.policy.DecideOperation(rc.principal, Policy::Operation::kAssign, &ctx);
  if (!d.allowed) {
    return impl.Refuse(rc, kAction, case_id, PermissionDenied("you may not assign this case"), {}, d.rule);
  }
  if (users.size() > 32) return impl.Refuse(rc, kAction, case_id, InvalidArgument("too many assignees"));
  for (const auto& u : users) {
    if (!IsValidUserName(u)) return impl.Refuse(rc, kAction, case_id, InvalidArgument("malformed user name"));
  }
  if (!owner.empty() && !IsValidUserName(owner)) {
    return impl.Refuse(rc, kAction, case_id, InvalidArgument("malformed owner name"));
  }
  std::vector<std::string> assigned;
  for (const auto& u : users) {
    if (std::find(assigned.begin(), assigned.end(), u) == assigned.end()) assigned.push_back(u);
  }
  if (!owner.empty()) {
    meta->owner = std::string(owner);
    if (std::find(assigned.begin(), assigned.end(), meta->owner) == assigned.end()) {
      assigned.push_back(meta->owner);
    }
  }
  std::string detail = "assignees=" + std::to_string(assigned.size());
  meta->assigned = std::move(assigned);
  return CommitMetaChange(impl, rc, kAction, std::move(*meta), d, std::move(detail));
}

Result<CaseSummary> Vault::ChangeStage(const RequestContext& rc, std::string_view case_id, Stage stage) {
  Impl& impl = *impl_;
  BRANKAS_RETURN_IF_ERROR(impl.RequireUnsealed());
  constexpr std::string_view kAction = "case.stage";
  auto meta = impl.LoadCase(case_id);
  if (!meta.ok()) return impl.Refuse(rc, kAction, case_id, meta.status());
  CaseContext ctx = impl.ContextOf(*meta);
  const Stage from = meta->stage;
  using Op = Policy::Operation;
  // Which operation the transition is: close, reopen, or a step forward (one
  // stage, or straight to monitoring from implementation). Leaving assessment
  // or planning needs a supervisor's approval (DOMAIN.md).
  Op op;
  if (stage == Stage::kClosure) {
    op = Op::kClose;
  } else if (from == Stage::kClosure) {
    if (stage != Stage::kAssessment && stage != Stage::kMonitoring) {
      return impl.Refuse(rc, kAction, case_id, InvalidArgument("a closed case reopens to assessment or monitoring"));
    }
    op = Op::kReopen;
  } else if (static_cast<int>(stage) == static_cast<int>(from) + 1) {
    op = (from == Stage::kAssessment || from == Stage::kPlanning) ? Op::kApproveStage : Op::kChangeStage;
  } else {
    return impl.Refuse(rc, kAction, case_id,
                       InvalidArgument(std::string("a case moves from ") + std::string(StageName(from)) +
                                       " only to the next stage or to closure"));
  }
  Decision d = impl.policy.DecideOperation(rc.principal, op, &ctx);
  if (!d.allowed) {
    return impl.Refuse(rc, kAction, case_id,
                       PermissionDenied("this stage change needs " +
                                        std::string(op == Op::kChangeStage ? "the case's worker" : "a supervisor")),
                       {}, d.rule);
  }
  meta->stage = stage;
  meta->closed = stage == Stage::kClosure;
  return CommitMetaChange(impl, rc, kAction, std::move(*meta), d,
                          std::string(StageName(from)) + "->" + std::string(StageName(stage)));
}

Result<CaseSummary> Vault::SetLegalHold(const RequestContext& rc, std::string_view case_id, bool hold) {
  Impl& impl = *impl_;
  BRANKAS_RETURN_IF_ERROR(impl.RequireUnsealed());
  constexpr std::string_view kAction = "case.legal_hold";
  auto meta = impl.LoadCase(case_id);
  if (!meta.ok()) return impl.Refuse(rc, kAction, case_id, meta.status());
  CaseContext ctx = impl.ContextOf(*meta);
  // Legal hold is decided like closing: a supervisor of the unit.
  Decision d = impl.policy.DecideOperation(rc.principal, Policy::Operation::kClose, &ctx);
  if (!d.allowed) {
    return impl.Refuse(rc, kAction, case_id, PermissionDenied("only a supervisor may set a legal hold"), {},
                       d.rule);
  }
  meta->legal_hold = hold;
  return CommitMetaChange(impl, rc, kAction, std::move(*meta), d, hold ? "hold=on" : "hold=off");
}

}  // namespace brankas
