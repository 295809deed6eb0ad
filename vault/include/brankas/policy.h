// Policy: who may read or write which field class of which case, and who may
// perform which case-level operation. The data is config/policy.toml (the
// matrix of ../shared/DOMAIN.md, "Roles and default access"); the file's header
// comment documents every key and its default.
//
// Decisions are default deny. A Decision names the rule that decided it, for the
// audit trail: "matrix:ROLE:CLASS:ACTION:SCOPE", "matrix:ROLE:CLASS:unmask:SCOPE",
// "grant:ID", "break_glass:ID", "operation:ROLE:OP:SCOPE" or "default_deny".
//
// Field access, in order:
//   1. the matrix cell of (role, class, action) with scope assigned / unit / own
//      and no mask: allowed;
//   2. a read with an active break-glass grant of this user on this case (the
//      role must hold the break_glass operation for the case): allowed,
//      unmasked, every class, break_glass = true;
//   3. a masked matrix read: allowed with masked = true;
//   4. a read with scope grant / any_grant and an active grant: allowed, grant_id set;
//   5. otherwise denied.
// A principal of another unit never gets assigned / unit / own. The case owner
// counts as assigned. Grants are read-only. A grant counts only if it is for this
// case and this user, is ActiveAt(now), has a legal basis, and has as many
// distinct approvers (other than its grantee and requester) as both its own
// required_approvals and the policy ask (two for the classes in
// [grants].require_second_approver_for). A break-glass grant counts only with a
// reason and a window no longer than break_glass_minutes.
//
// Thread-safety: a Policy is immutable after load; all methods are const and may
// be called concurrently. Copying is cheap enough to hold one per request.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "brankas/status.h"
#include "brankas/types.h"

namespace brankas {

// kNever..kAnyGrant are field scopes; kOwner and kAll are operation scopes only
// (kAssigned, kUnit, kAnyGrant and kNever are valid in both).
enum class Scope : uint8_t { kNever = 0, kAssigned, kUnit, kGrant, kOwn, kAnyGrant, kOwner, kAll };
std::string_view ScopeName(Scope s);  // "any_grant"
std::optional<Scope> ParseScope(std::string_view name);

// Who asks. `unit` is the user's UPTD PPA unit; empty user or unit gets nothing
// that depends on them.
struct Principal {
  std::string user;
  Role role = Role::kAdmin;
  std::string unit;
};

// The case being accessed. The owner is implicitly assigned.
struct CaseContext {
  std::string case_id;
  std::string unit;
  std::string owner;
  std::vector<std::string> assigned;
};

// A time-limited, read-only authorization of one user on named classes of one
// case, or (break_glass = true) a supervisor's emergency access to the whole case.
struct Grant {
  std::string id, case_id, grantee;
  std::vector<FieldClass> classes;          // ignored for break-glass (all classes)
  int64_t not_before = 0, expires_at = 0;   // unix seconds, [not_before, expires_at)
  std::string legal_basis;                  // "KIND:REFERENCE", KIND in [grants].legal_basis_kinds
  std::string requested_by;
  std::vector<std::string> approvers;       // distinct supervisors
  int required_approvals = 1;               // break-glass: 0
  bool revoked = false;
  int64_t revoked_at = 0;
  std::string revoked_by;
  bool break_glass = false;
  std::string reason;                       // break-glass: the written reason

  // Distinct non-empty approvers other than the grantee and the requester.
  int ApprovalCount() const;
  // ApprovalCount() >= required_approvals, not revoked, not_before <= now < expires_at.
  bool ActiveAt(int64_t now) const;
};

struct Decision {
  bool allowed = false;
  bool masked = false;       // allowed, initials only
  std::string rule = "default_deny";
  std::string grant_id;      // the grant used, if any (also for break-glass)
  bool break_glass = false;  // flagged for review
};

class Policy {
 public:
  enum class Operation : uint8_t {
    kCreateCase = 0,
    kAssign,
    kChangeStage,
    kApproveStage,  // leaving assessment, leaving planning, entering closure
    kClose,
    kReopen,
    kRequestGrant,
    kApproveGrant,
    kRevokeGrant,
    kBreakGlass,
    kAuditRead,
    kListCases,
    kSearch,
  };
  static constexpr int kOperationCount = 13;
  static std::string_view OperationName(Operation op);  // "approve_grant"
  static std::optional<Operation> ParseOperation(std::string_view name);

  // Errors: kNotFound (no file), kInvalidArgument naming the file and the key
  // (TOML syntax, unknown key, wrong type, unknown role/class/scope/operation,
  // impossible value).
  static Result<Policy> LoadFile(const std::string& path);
  static Result<Policy> Parse(std::string_view toml_text, std::string_view source_name);
  // config/policy.toml as it was at build time (embedded).
  static Policy Default();

  // Field access. `grants`: what the caller found for this case and principal;
  // Decide itself filters by grantee, case, class and activity at `now`.
  // `field_writer`: the writer of the field's current version (scope own), empty
  // if unset.
  Decision Decide(const Principal& p, Action a, FieldClass c, const CaseContext& ctx,
                  const std::vector<Grant>& grants, int64_t now,
                  std::string_view field_writer = {}) const;
  // An explicit unmask of a masked class (the cell's `unmask` scope), or an
  // active break-glass. Audited as its own read.
  Decision DecideUnmask(const Principal& p, FieldClass c, const CaseContext& ctx,
                        const std::vector<Grant>& grants, int64_t now) const;

  // Case-level operations. `ctx` may be null for kCreateCase and kListCases (and
  // then any scope but never allows); for the others a null ctx is denied.
  // `grants`/`now` serve the any_grant scope (legal's list_cases).
  Decision DecideOperation(const Principal& p, Operation op, const CaseContext* ctx,
                           const std::vector<Grant>& grants = {}, int64_t now = 0) const;

  // Checks a grant (or break-glass) request against [grants] and the matrix:
  // non-empty ids, classes non-empty without duplicates and each one a `grant`
  // scope read of the grantee's role, not_before < expires_at within
  // max_duration_days, legal basis "KIND:REF" with a known kind,
  // required_approvals at least the policy's, grantee neither requester nor
  // approver. Break-glass: the role holds break_glass, a reason, a window of at
  // most break_glass_minutes. kInvalidArgument with a message naming the problem.
  Status ValidateGrantRequest(const Grant& g, Role grantee_role) const;

  // Read-only views of the configuration.
  Scope FieldScope(Role r, FieldClass c, Action a) const;
  bool Masked(Role r, FieldClass c) const;
  Scope UnmaskScope(Role r, FieldClass c) const;
  Scope OperationScope(Role r, Operation op) const;
  // Approvals the policy asks of a grant on these classes (1 or 2).
  int RequiredApprovals(const std::vector<FieldClass>& classes) const;
  int max_grant_duration_days() const { return max_duration_days_; }
  int break_glass_minutes() const { return break_glass_minutes_; }
  const std::vector<std::string>& legal_basis_kinds() const { return legal_basis_kinds_; }

 private:
  struct Cell {
    Scope read = Scope::kNever;
    Scope write = Scope::kNever;
    bool masked = false;
    Scope unmask = Scope::kNever;
  };
  friend class PolicyParser;

  Policy() = default;

  // The first break-glass grant usable by p on ctx at now, or null.
  const Grant* ActiveBreakGlass(const Principal& p, const CaseContext& ctx,
                                const std::vector<Grant>& grants, int64_t now) const;
  // True if g is a usable (non-break-glass) grant of p on ctx at now.
  bool UsableGrant(const Grant& g, const Principal& p, const CaseContext& ctx, int64_t now) const;

  // Constant after construction.
  std::array<std::array<Cell, kFieldClassCount>, kRoleCount> matrix_{};
  std::array<std::array<Scope, kRoleCount>, kOperationCount> operations_{};
  int max_duration_days_ = 90;
  std::vector<FieldClass> second_approver_classes_ = {FieldClass::kContact,
                                                      FieldClass::kLegalEvidence};
  int break_glass_minutes_ = 60;
  std::vector<std::string> legal_basis_kinds_ = {"request_letter", "court_order",
                                                 "lpsk_decision", "consent"};
};

}  // namespace brankas
