// Policy decisions: field access, unmask, case operations, grant validation.
#include "brankas/policy.h"

#include <algorithm>
#include <set>

namespace brankas {
namespace {

constexpr std::array<std::string_view, 8> kScopeNames = {
    "never", "assigned", "unit", "grant", "own", "any_grant", "owner", "all"};

constexpr std::array<std::string_view, Policy::kOperationCount> kOperationNames = {
    "create_case",   "assign",        "change_stage", "approve_stage", "close",
    "reopen",        "request_grant", "approve_grant", "revoke_grant", "break_glass",
    "audit_read",    "list_cases",    "search"};

bool Contains(const std::vector<std::string>& list, std::string_view item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

bool SameUnit(const Principal& p, const CaseContext& ctx) {
  return !p.unit.empty() && p.unit == ctx.unit;
}

// The owner counts as assigned; never across units.
bool IsAssigned(const Principal& p, const CaseContext& ctx) {
  return !p.user.empty() && SameUnit(p, ctx) &&
         (p.user == ctx.owner || Contains(ctx.assigned, p.user));
}

bool IsOwner(const Principal& p, const CaseContext& ctx) {
  return !p.user.empty() && SameUnit(p, ctx) && p.user == ctx.owner;
}

std::string MatrixRule(Role r, FieldClass c, std::string_view action, Scope s) {
  std::string rule = "matrix:";
  rule += RoleName(r);
  rule += ':';
  rule += FieldClassName(c);
  rule += ':';
  rule += action;
  rule += ':';
  rule += ScopeName(s);
  return rule;
}

Decision Allow(std::string rule) {
  Decision d;
  d.allowed = true;
  d.rule = std::move(rule);
  return d;
}

}  // namespace

std::string_view ScopeName(Scope s) { return kScopeNames.at(static_cast<size_t>(s)); }

std::optional<Scope> ParseScope(std::string_view name) {
  for (size_t i = 0; i < kScopeNames.size(); ++i) {
    if (kScopeNames[i] == name) return static_cast<Scope>(i);
  }
  return std::nullopt;
}

std::string_view Policy::OperationName(Operation op) {
  return kOperationNames.at(static_cast<size_t>(op));
}

std::optional<Policy::Operation> Policy::ParseOperation(std::string_view name) {
  for (size_t i = 0; i < kOperationNames.size(); ++i) {
    if (kOperationNames[i] == name) return static_cast<Operation>(i);
  }
  return std::nullopt;
}

int Grant::ApprovalCount() const {
  std::set<std::string_view> distinct;
  for (const std::string& a : approvers) {
    if (a.empty() || a == grantee || a == requested_by) continue;
    distinct.insert(a);
  }
  return static_cast<int>(distinct.size());
}

bool Grant::ActiveAt(int64_t now) const {
  return ApprovalCount() >= required_approvals && !revoked && not_before <= now &&
         now < expires_at;
}

Scope Policy::FieldScope(Role r, FieldClass c, Action a) const {
  const Cell& cell = matrix_[static_cast<size_t>(r)][static_cast<size_t>(c)];
  return a == Action::kRead ? cell.read : cell.write;
}

bool Policy::Masked(Role r, FieldClass c) const {
  return matrix_[static_cast<size_t>(r)][static_cast<size_t>(c)].masked;
}

Scope Policy::UnmaskScope(Role r, FieldClass c) const {
  return matrix_[static_cast<size_t>(r)][static_cast<size_t>(c)].unmask;
}

Scope Policy::OperationScope(Role r, Operation op) const {
  return operations_[static_cast<size_t>(op)][static_cast<size_t>(r)];
}

int Policy::RequiredApprovals(const std::vector<FieldClass>& classes) const {
  for (FieldClass c : classes) {
    if (std::find(second_approver_classes_.begin(), second_approver_classes_.end(), c) !=
        second_approver_classes_.end()) {
      return 2;
    }
  }
  return 1;
}

bool Policy::UsableGrant(const Grant& g, const Principal& p, const CaseContext& ctx,
                         int64_t now) const {
  if (g.break_glass || g.id.empty() || p.user.empty() || ctx.case_id.empty()) return false;
  if (g.grantee != p.user || g.case_id != ctx.case_id) return false;
  if (g.legal_basis.empty() || !g.ActiveAt(now)) return false;
  return g.ApprovalCount() >= std::max(1, RequiredApprovals(g.classes));
}

const Grant* Policy::ActiveBreakGlass(const Principal& p, const CaseContext& ctx,
                                      const std::vector<Grant>& grants, int64_t now) const {
  const Scope scope = OperationScope(p.role, Operation::kBreakGlass);
  const bool holds = (scope == Scope::kUnit && SameUnit(p, ctx)) ||
                     (scope == Scope::kAssigned && IsAssigned(p, ctx)) ||
                     (scope == Scope::kOwner && IsOwner(p, ctx)) || scope == Scope::kAll;
  if (!holds || p.user.empty() || ctx.case_id.empty()) return nullptr;
  const int64_t max_window = int64_t{break_glass_minutes_} * 60;
  for (const Grant& g : grants) {
    if (!g.break_glass || g.id.empty() || g.grantee != p.user || g.case_id != ctx.case_id) continue;
    if (g.reason.empty() || g.expires_at - g.not_before > max_window) continue;
    if (!g.ActiveAt(now)) continue;
    return &g;
  }
  return nullptr;
}

Decision Policy::Decide(const Principal& p, Action a, FieldClass c, const CaseContext& ctx,
                        const std::vector<Grant>& grants, int64_t now,
                        std::string_view field_writer) const {
  if (p.user.empty()) return Decision{};
  const Cell& cell = matrix_[static_cast<size_t>(p.role)][static_cast<size_t>(c)];
  const Scope scope = a == Action::kRead ? cell.read : cell.write;
  const std::string_view action = ActionName(a);

  bool matrix_ok = false;
  switch (scope) {
    case Scope::kAssigned: matrix_ok = IsAssigned(p, ctx); break;
    case Scope::kUnit: matrix_ok = SameUnit(p, ctx); break;
    case Scope::kOwn:
      matrix_ok = IsAssigned(p, ctx) &&
                  (field_writer == p.user || (a == Action::kWrite && field_writer.empty()));
      break;
    default: break;  // never; grant scopes below
  }
  const bool masked = a == Action::kRead && cell.masked;
  if (matrix_ok && !masked) return Allow(MatrixRule(p.role, c, action, scope));

  if (a == Action::kRead) {
    if (const Grant* bg = ActiveBreakGlass(p, ctx, grants, now)) {
      Decision d = Allow("break_glass:" + bg->id);
      d.grant_id = bg->id;
      d.break_glass = true;
      return d;
    }
  }
  if (matrix_ok) {  // masked read
    Decision d = Allow(MatrixRule(p.role, c, action, scope));
    d.masked = true;
    return d;
  }
  if (a == Action::kRead && (scope == Scope::kGrant || scope == Scope::kAnyGrant)) {
    for (const Grant& g : grants) {
      if (!UsableGrant(g, p, ctx, now)) continue;
      if (scope == Scope::kGrant &&
          std::find(g.classes.begin(), g.classes.end(), c) == g.classes.end()) {
        continue;
      }
      Decision d = Allow("grant:" + g.id);
      d.grant_id = g.id;
      return d;
    }
  }
  return Decision{};
}

Decision Policy::DecideUnmask(const Principal& p, FieldClass c, const CaseContext& ctx,
                              const std::vector<Grant>& grants, int64_t now) const {
  if (p.user.empty()) return Decision{};
  const Cell& cell = matrix_[static_cast<size_t>(p.role)][static_cast<size_t>(c)];
  if (!cell.masked) {
    // Nothing to unmask: the plain read decides (a grant read is never masked).
    Decision d = Decide(p, Action::kRead, c, ctx, grants, now);
    return d.masked ? Decision{} : d;
  }
  bool ok = false;
  switch (cell.unmask) {
    case Scope::kAssigned: ok = IsAssigned(p, ctx); break;
    case Scope::kUnit: ok = SameUnit(p, ctx); break;
    default: break;
  }
  if (ok) return Allow(MatrixRule(p.role, c, "unmask", cell.unmask));
  if (const Grant* bg = ActiveBreakGlass(p, ctx, grants, now)) {
    Decision d = Allow("break_glass:" + bg->id);
    d.grant_id = bg->id;
    d.break_glass = true;
    return d;
  }
  return Decision{};
}

Decision Policy::DecideOperation(const Principal& p, Operation op, const CaseContext* ctx,
                                 const std::vector<Grant>& grants, int64_t now) const {
  if (p.user.empty()) return Decision{};
  const Scope scope = OperationScope(p.role, op);
  if (scope == Scope::kNever) return Decision{};
  bool ok = false;
  if (ctx == nullptr) {
    ok = op == Operation::kCreateCase || op == Operation::kListCases;
  } else {
    switch (scope) {
      case Scope::kAssigned: ok = IsAssigned(p, *ctx); break;
      case Scope::kOwner: ok = IsOwner(p, *ctx); break;
      case Scope::kUnit: ok = SameUnit(p, *ctx); break;
      case Scope::kAll: ok = true; break;
      case Scope::kAnyGrant:
        ok = std::any_of(grants.begin(), grants.end(),
                         [&](const Grant& g) { return UsableGrant(g, p, *ctx, now); });
        break;
      default: break;
    }
  }
  if (!ok) return Decision{};
  std::string rule = "operation:";
  rule += RoleName(p.role);
  rule += ':';
  rule += OperationName(op);
  rule += ':';
  rule += ScopeName(scope);
  return Allow(std::move(rule));
}

Status Policy::ValidateGrantRequest(const Grant& g, Role grantee_role) const {
  const std::string role(RoleName(grantee_role));
  if (g.case_id.empty()) return InvalidArgument("grant: case_id is empty");
  if (g.grantee.empty()) return InvalidArgument("grant: grantee is empty");
  if (g.not_before < 0) return InvalidArgument("grant: not_before is negative");
  if (g.not_before >= g.expires_at) {
    return InvalidArgument("grant: not_before must be before expires_at");
  }
  if (g.revoked) return InvalidArgument("grant: a new grant cannot be revoked");
  for (size_t i = 0; i < g.approvers.size(); ++i) {
    if (g.approvers[i].empty()) return InvalidArgument("grant: empty approver");
    if (g.approvers[i] == g.grantee) return InvalidArgument("grant: the grantee cannot approve");
    if (!g.requested_by.empty() && g.approvers[i] == g.requested_by) {
      return InvalidArgument("grant: the requester cannot approve");
    }
    for (size_t j = 0; j < i; ++j) {
      if (g.approvers[j] == g.approvers[i]) return InvalidArgument("grant: duplicate approver");
    }
  }

  if (g.break_glass) {
    if (OperationScope(grantee_role, Operation::kBreakGlass) == Scope::kNever) {
      return InvalidArgument("break-glass: role " + role + " may not break the glass");
    }
    if (g.reason.empty()) return InvalidArgument("break-glass: a written reason is required");
    if (g.expires_at - g.not_before > int64_t{break_glass_minutes_} * 60) {
      return InvalidArgument("break-glass: window longer than " +
                             std::to_string(break_glass_minutes_) + " minutes");
    }
    return Status::Ok();
  }

  if (g.requested_by.empty()) return InvalidArgument("grant: requested_by is empty");
  if (g.requested_by == g.grantee) return InvalidArgument("grant: the grantee cannot request it");
  if (g.classes.empty()) return InvalidArgument("grant: no field class named");
  std::set<FieldClass> seen;
  for (FieldClass c : g.classes) {
    if (!seen.insert(c).second) {
      return InvalidArgument("grant: class " + std::string(FieldClassName(c)) + " named twice");
    }
    if (FieldScope(grantee_role, c, Action::kRead) != Scope::kGrant) {
      return InvalidArgument("grant: role " + role + " cannot receive a grant for class " +
                             std::string(FieldClassName(c)));
    }
  }
  if (g.expires_at - g.not_before > int64_t{max_duration_days_} * 86400) {
    return InvalidArgument("grant: longer than " + std::to_string(max_duration_days_) + " days");
  }
  const size_t colon = g.legal_basis.find(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == g.legal_basis.size()) {
    return InvalidArgument("grant: legal_basis must be KIND:REFERENCE");
  }
  const std::string kind = g.legal_basis.substr(0, colon);
  if (!Contains(legal_basis_kinds_, kind)) {
    std::string known;
    for (const std::string& k : legal_basis_kinds_) known += (known.empty() ? "" : ", ") + k;
    return InvalidArgument("grant: unknown legal basis kind \"" + EchoableName(kind) + "\" (expected " + known +
                           ")");
  }
  const int needed = RequiredApprovals(g.classes);
  if (g.required_approvals < needed) {
    return InvalidArgument("grant: these classes need " + std::to_string(needed) +
                           " approvers, required_approvals is " +
                           std::to_string(g.required_approvals));
  }
  if (g.required_approvals > 5) return InvalidArgument("grant: required_approvals above 5");
  return Status::Ok();
}

}  // namespace brankas
