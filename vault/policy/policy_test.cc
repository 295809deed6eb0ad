// Tests of brankas::Policy. The expected matrix below is written out by hand from
// ../shared/DOMAIN.md ("Roles and default access") with the project's decided
// departures (auditor and admin never read or write a field value; legal reads
// consent under any active grant). It is NOT computed from the policy.
#include "brankas/policy.h"
#include "testing/source_dir.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

namespace brankas {
namespace {

using Operation = Policy::Operation;

// ---- The expected default matrix ---------------------------------------------
// One character per class, in this order:
//   administrative identity contact incident perpetrator medical psychological
//   legal_evidence services consent
// '-' never   'A' assigned   'U' unit   'M' unit, masked (read only)
// 'G' grant   'Y' any_grant  'O' own (entries the user wrote, on assigned cases)
struct ExpectedRow {
  Role role;
  const char* read;
  const char* write;
};
//                                      aicipmplsc         aicipmplsc
constexpr ExpectedRow kExpected[] = {
    {Role::kIntake,       /* read  */ "AAAAA---AA", /* write */ "AAAAA---AA"},
    {Role::kCaseWorker,   /* read  */ "AAAAAAAAAA", /* write */ "AAAAA--AAA"},
    {Role::kSupervisor,   /* read  */ "UMMUUUUUUU", /* write */ "U---------"},
    {Role::kPsychologist, /* read  */ "AA-A--A-OA", /* write */ "------A-O-"},
    {Role::kMedical,      /* read  */ "AA-A-A--OA", /* write */ "-----A--O-"},
    {Role::kLegal,        /* read  */ "-GGGGGGG-Y", /* write */ "----------"},
    {Role::kAuditor,      /* read  */ "----------", /* write */ "----------"},
    {Role::kAdmin,        /* read  */ "----------", /* write */ "----------"},
};

char ExpectedCell(Role r, FieldClass c, Action a) {
  for (const ExpectedRow& row : kExpected) {
    if (row.role == r) {
      return (a == Action::kRead ? row.read : row.write)[static_cast<size_t>(c)];
    }
  }
  ADD_FAILURE() << "no expected row for " << RoleName(r);
  return '-';
}

Scope ScopeOf(char code) {
  switch (code) {
    case 'A': return Scope::kAssigned;
    case 'U': case 'M': return Scope::kUnit;
    case 'G': return Scope::kGrant;
    case 'Y': return Scope::kAnyGrant;
    case 'O': return Scope::kOwn;
    case 'L': return Scope::kAll;
    case 'W': return Scope::kOwner;
    default: return Scope::kNever;
  }
}

// ---- Fixtures -------------------------------------------------------------------
constexpr int64_t kNow = 1'700'000'000;

Principal Alice(Role r) { return Principal{"alice", r, "unit-a"}; }

// alice is assigned (not owner).
CaseContext AssignedCase() { return CaseContext{"case-1", "unit-a", "bob", {"bob", "alice"}}; }
// alice's unit, alice not assigned.
CaseContext UnassignedCase() { return CaseContext{"case-2", "unit-a", "bob", {"bob"}}; }
// another unit; alice's user name is even listed there, which must not help.
CaseContext OtherUnitCase() { return CaseContext{"case-3", "unit-b", "zed", {"zed", "alice"}}; }
// alice owns it.
CaseContext OwnedCase() { return CaseContext{"case-4", "unit-a", "alice", {"alice"}}; }

std::string Rule(Role r, FieldClass c, std::string_view action, std::string_view scope) {
  return "matrix:" + std::string(RoleName(r)) + ":" + std::string(FieldClassName(c)) + ":" +
         std::string(action) + ":" + std::string(scope);
}

using testing::SourceDir;

// ---- Every cell of the default matrix ------------------------------------------
struct CellParam {
  Role role;
  FieldClass cls;
  Action action;
};

std::vector<CellParam> AllCells() {
  std::vector<CellParam> cells;
  for (Role r : kAllRoles)
    for (FieldClass c : kAllFieldClasses)
      for (Action a : {Action::kRead, Action::kWrite}) cells.push_back({r, c, a});
  return cells;
}

class MatrixCellTest : public ::testing::TestWithParam<CellParam> {};

TEST_P(MatrixCellTest, AssignedUnassignedOtherUnit) {
  const auto [role, cls, action] = GetParam();
  const Policy policy = Policy::Default();
  const char code = ExpectedCell(role, cls, action);
  const Principal p = Alice(role);
  const std::string_view act = ActionName(action);
  SCOPED_TRACE(std::string(RoleName(role)) + " " + std::string(FieldClassName(cls)) + " " +
               std::string(act) + " expected '" + code + "'");

  EXPECT_EQ(policy.FieldScope(role, cls, action), ScopeOf(code));
  EXPECT_EQ(policy.Masked(role, cls), ExpectedCell(role, cls, Action::kRead) == 'M');

  struct Context {
    const char* name;
    CaseContext ctx;
    bool assigned, same_unit;
  };
  const Context contexts[] = {{"assigned", AssignedCase(), true, true},
                              {"unassigned same unit", UnassignedCase(), false, true},
                              {"other unit", OtherUnitCase(), false, false}};
  for (const Context& c : contexts) {
    SCOPED_TRACE(c.name);
    // own: a field alice wrote; for the others the writer does not matter.
    const Decision d = policy.Decide(p, action, cls, c.ctx, {}, kNow, "alice");
    bool expect_allowed = false;
    switch (code) {
      case 'A': case 'O': expect_allowed = c.assigned; break;
      case 'U': case 'M': expect_allowed = c.same_unit; break;
      default: expect_allowed = false;  // never; grant scopes without a grant
    }
    EXPECT_EQ(d.allowed, expect_allowed);
    EXPECT_EQ(d.masked, expect_allowed && code == 'M');
    EXPECT_FALSE(d.break_glass);
    EXPECT_TRUE(d.grant_id.empty());
    if (expect_allowed) {
      EXPECT_EQ(d.rule, Rule(role, cls, act, ScopeName(ScopeOf(code))));
    } else {
      EXPECT_EQ(d.rule, "default_deny");
    }
    // own: someone else's entry is never readable or writable.
    if (code == 'O') {
      EXPECT_FALSE(policy.Decide(p, action, cls, c.ctx, {}, kNow, "carol").allowed);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(DefaultMatrix, MatrixCellTest, ::testing::ValuesIn(AllCells()),
                         [](const ::testing::TestParamInfo<CellParam>& info) {
                           return std::string(RoleName(info.param.role)) + "_" +
                                  std::string(FieldClassName(info.param.cls)) + "_" +
                                  std::string(ActionName(info.param.action));
                         });

TEST(PolicyTest, EmptyUserOrUnitGetsNothing) {
  const Policy policy = Policy::Default();
  EXPECT_FALSE(policy.Decide(Principal{"", Role::kCaseWorker, "unit-a"}, Action::kRead,
                             FieldClass::kAdministrative, CaseContext{"c", "unit-a", "", {""}}, {},
                             kNow)
                   .allowed);
  EXPECT_FALSE(policy.Decide(Principal{"alice", Role::kSupervisor, ""}, Action::kRead,
                             FieldClass::kIncident, CaseContext{"c", "", "x", {}}, {}, kNow)
                   .allowed);
}

TEST(PolicyTest, OwnerCountsAsAssigned) {
  const Policy policy = Policy::Default();
  EXPECT_TRUE(policy.Decide(Alice(Role::kCaseWorker), Action::kWrite, FieldClass::kIdentity,
                            CaseContext{"c", "unit-a", "alice", {}}, {}, kNow)
                  .allowed);
}

// ---- own ---------------------------------------------------------------------------
TEST(PolicyTest, OwnScope) {
  const Policy policy = Policy::Default();
  for (Role r : {Role::kPsychologist, Role::kMedical}) {
    const Principal p = Alice(r);
    SCOPED_TRACE(std::string(RoleName(r)));
    const Decision mine = policy.Decide(p, Action::kRead, FieldClass::kServices, AssignedCase(), {},
                                        kNow, "alice");
    EXPECT_TRUE(mine.allowed);
    EXPECT_EQ(mine.rule, Rule(r, FieldClass::kServices, "read", "own"));
    EXPECT_FALSE(policy.Decide(p, Action::kRead, FieldClass::kServices, AssignedCase(), {}, kNow,
                               "carol")
                     .allowed);
    EXPECT_TRUE(policy.Decide(p, Action::kWrite, FieldClass::kServices, AssignedCase(), {}, kNow,
                              "alice")
                    .allowed);
    EXPECT_FALSE(policy.Decide(p, Action::kWrite, FieldClass::kServices, AssignedCase(), {}, kNow,
                               "carol")
                     .allowed);
    // Unset field: a new entry may be written, there is nothing of one's own to read.
    EXPECT_TRUE(
        policy.Decide(p, Action::kWrite, FieldClass::kServices, AssignedCase(), {}, kNow, "")
            .allowed);
    EXPECT_FALSE(
        policy.Decide(p, Action::kRead, FieldClass::kServices, AssignedCase(), {}, kNow, "")
            .allowed);
    // Own entries on a case no longer assigned, or of another unit: no.
    EXPECT_FALSE(policy.Decide(p, Action::kRead, FieldClass::kServices, UnassignedCase(), {},
                               kNow, "alice")
                     .allowed);
    EXPECT_FALSE(policy.Decide(p, Action::kWrite, FieldClass::kServices, OtherUnitCase(), {},
                               kNow, "alice")
                     .allowed);
  }
}

// ---- Grants -------------------------------------------------------------------------
constexpr int64_t kStart = kNow;
constexpr int64_t kEnd = kNow + 7 * 86400;

Principal Lena() { return Principal{"lena", Role::kLegal, "polres-1"}; }

Grant LegalGrant() {
  Grant g;
  g.id = "G123";
  g.case_id = "case-1";
  g.grantee = "lena";
  g.classes = {FieldClass::kIdentity, FieldClass::kIncident};
  g.not_before = kStart;
  g.expires_at = kEnd;
  g.legal_basis = "request_letter:B/123/V/2024/Reskrim";
  g.requested_by = "bob";
  g.approvers = {"sam"};
  g.required_approvals = 1;
  return g;
}

bool LenaReads(const Policy& policy, FieldClass c, const std::vector<Grant>& grants, int64_t now,
               const CaseContext& ctx = AssignedCase(), const Principal& p = Lena()) {
  return policy.Decide(p, Action::kRead, c, ctx, grants, now).allowed;
}

TEST(GrantTest, ActiveWindow) {
  const Policy policy = Policy::Default();
  const std::vector<Grant> grants = {LegalGrant()};
  EXPECT_FALSE(LenaReads(policy, FieldClass::kIdentity, grants, kStart - 1));
  const Decision d = policy.Decide(Lena(), Action::kRead, FieldClass::kIdentity, AssignedCase(),
                                   grants, kStart);
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.rule, "grant:G123");
  EXPECT_EQ(d.grant_id, "G123");
  EXPECT_FALSE(d.masked);
  EXPECT_FALSE(d.break_glass);
  EXPECT_TRUE(LenaReads(policy, FieldClass::kIncident, grants, kEnd - 1));
  EXPECT_FALSE(LenaReads(policy, FieldClass::kIdentity, grants, kEnd));
  EXPECT_FALSE(LenaReads(policy, FieldClass::kIdentity, grants, kEnd + 3600));
}

TEST(GrantTest, RevokedGrantDenies) {
  const Policy policy = Policy::Default();
  Grant g = LegalGrant();
  g.revoked = true;
  g.revoked_at = kStart + 10;
  g.revoked_by = "sam";
  EXPECT_FALSE(LenaReads(policy, FieldClass::kIdentity, {g}, kStart + 20));
  EXPECT_FALSE(LenaReads(policy, FieldClass::kConsent, {g}, kStart + 20));
}

TEST(GrantTest, OtherCaseOtherUserOtherClass) {
  const Policy policy = Policy::Default();
  const std::vector<Grant> grants = {LegalGrant()};
  EXPECT_FALSE(LenaReads(policy, FieldClass::kIdentity, grants, kStart, UnassignedCase()));
  EXPECT_FALSE(LenaReads(policy, FieldClass::kIdentity, grants, kStart, AssignedCase(),
                         Principal{"leo", Role::kLegal, "polres-1"}));
  EXPECT_FALSE(LenaReads(policy, FieldClass::kMedical, grants, kStart));
  EXPECT_FALSE(LenaReads(policy, FieldClass::kLegalEvidence, grants, kStart));
  // A class the role never gets, even if a grant names it.
  Grant g = LegalGrant();
  g.classes.push_back(FieldClass::kServices);
  g.classes.push_back(FieldClass::kAdministrative);
  EXPECT_FALSE(LenaReads(policy, FieldClass::kServices, {g}, kStart));
  EXPECT_FALSE(LenaReads(policy, FieldClass::kAdministrative, {g}, kStart));
}

TEST(GrantTest, GrantsAreReadOnly) {
  const Policy policy = Policy::Default();
  EXPECT_FALSE(policy.Decide(Lena(), Action::kWrite, FieldClass::kIdentity, AssignedCase(),
                             {LegalGrant()}, kStart)
                   .allowed);
}

TEST(GrantTest, ConsentUnderAnyGrant) {
  const Policy policy = Policy::Default();
  const Decision d = policy.Decide(Lena(), Action::kRead, FieldClass::kConsent, AssignedCase(),
                                   {LegalGrant()}, kStart + 1);
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.grant_id, "G123");
  EXPECT_FALSE(LenaReads(policy, FieldClass::kConsent, {}, kStart + 1));
  EXPECT_FALSE(LenaReads(policy, FieldClass::kConsent, {LegalGrant()}, kEnd));
  EXPECT_FALSE(LenaReads(policy, FieldClass::kConsent, {LegalGrant()}, kStart, UnassignedCase()));
}

TEST(GrantTest, SecondApproverRequired) {
  const Policy policy = Policy::Default();
  Grant g = LegalGrant();
  g.classes = {FieldClass::kLegalEvidence, FieldClass::kIncident};
  g.required_approvals = 1;  // understated by the caller: the policy still asks two
  g.approvers = {"sam"};
  EXPECT_FALSE(LenaReads(policy, FieldClass::kLegalEvidence, {g}, kStart));
  EXPECT_FALSE(LenaReads(policy, FieldClass::kIncident, {g}, kStart));  // the whole grant waits
  g.approvers = {"sam", "sam"};  // not distinct
  EXPECT_FALSE(LenaReads(policy, FieldClass::kLegalEvidence, {g}, kStart));
  g.approvers = {"sam", "lena"};  // the grantee does not count
  EXPECT_FALSE(LenaReads(policy, FieldClass::kLegalEvidence, {g}, kStart));
  g.approvers = {"sam", "bob"};  // nor the requester
  EXPECT_FALSE(LenaReads(policy, FieldClass::kLegalEvidence, {g}, kStart));
  g.approvers = {"sam", "siti"};
  EXPECT_TRUE(LenaReads(policy, FieldClass::kLegalEvidence, {g}, kStart));

  // The grant's own required_approvals also holds.
  Grant h = LegalGrant();
  h.required_approvals = 2;
  EXPECT_FALSE(h.ActiveAt(kStart));
  EXPECT_FALSE(LenaReads(policy, FieldClass::kIdentity, {h}, kStart));
  h.approvers = {"sam", "siti"};
  EXPECT_TRUE(h.ActiveAt(kStart));
  EXPECT_TRUE(LenaReads(policy, FieldClass::kIdentity, {h}, kStart));
  // Unapproved.
  Grant u = LegalGrant();
  u.approvers.clear();
  EXPECT_FALSE(LenaReads(policy, FieldClass::kIdentity, {u}, kStart));
}

TEST(GrantTest, PicksAnActiveGrantAmongSeveral) {
  const Policy policy = Policy::Default();
  Grant expired = LegalGrant();
  expired.id = "G-old";
  expired.expires_at = kStart - 1;
  expired.not_before = kStart - 100;
  Grant other = LegalGrant();
  other.id = "G-other";
  other.grantee = "leo";
  Grant good = LegalGrant();
  good.id = "G-good";
  const Decision d = policy.Decide(Lena(), Action::kRead, FieldClass::kIdentity, AssignedCase(),
                                   {expired, other, good}, kStart);
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.grant_id, "G-good");
}

TEST(GrantTest, GrantWithoutLegalBasisOrIdIsIgnored) {
  const Policy policy = Policy::Default();
  Grant g = LegalGrant();
  g.legal_basis.clear();
  EXPECT_FALSE(LenaReads(policy, FieldClass::kIdentity, {g}, kStart));
  g = LegalGrant();
  g.id.clear();
  EXPECT_FALSE(LenaReads(policy, FieldClass::kIdentity, {g}, kStart));
}

TEST(GrantTest, OtherRolesGainNothingFromGrants) {
  const Policy policy = Policy::Default();
  for (Role r : {Role::kPsychologist, Role::kMedical, Role::kIntake, Role::kAuditor, Role::kAdmin}) {
    Grant g = LegalGrant();
    g.grantee = "alice";
    g.classes = {FieldClass::kContact, FieldClass::kLegalEvidence, FieldClass::kPerpetrator};
    g.approvers = {"sam", "siti"};
    for (FieldClass c : g.classes) {
      EXPECT_FALSE(policy.Decide(Alice(r), Action::kRead, c, OtherUnitCase(), {g}, kStart).allowed)
          << RoleName(r);
    }
  }
}

// ---- Break-glass -----------------------------------------------------------------------
Principal Sam() { return Principal{"sam", Role::kSupervisor, "unit-a"}; }

Grant BreakGlass() {
  Grant g;
  g.id = "BG9";
  g.case_id = "case-2";
  g.grantee = "sam";
  g.break_glass = true;
  g.reason = "synthetic: child missing from shelter, contact needed";
  g.not_before = kStart;
  g.expires_at = kStart + 60 * 60;
  g.required_approvals = 0;
  return g;
}

TEST(BreakGlassTest, UnmaskedFlaggedWithinWindow) {
  const Policy policy = Policy::Default();
  const std::vector<Grant> grants = {BreakGlass()};
  for (FieldClass c : {FieldClass::kIdentity, FieldClass::kContact}) {
    const Decision d =
        policy.Decide(Sam(), Action::kRead, c, UnassignedCase(), grants, kStart + 30 * 60);
    EXPECT_TRUE(d.allowed);
    EXPECT_FALSE(d.masked);
    EXPECT_TRUE(d.break_glass);
    EXPECT_EQ(d.rule, "break_glass:BG9");
    EXPECT_EQ(d.grant_id, "BG9");
    const Decision u = policy.DecideUnmask(Sam(), c, UnassignedCase(), grants, kStart);
    EXPECT_TRUE(u.allowed);
  }
  // Classes the matrix already opens stay plain matrix reads.
  const Decision inc =
      policy.Decide(Sam(), Action::kRead, FieldClass::kIncident, UnassignedCase(), grants, kStart);
  EXPECT_TRUE(inc.allowed);
  EXPECT_FALSE(inc.break_glass);
  // Read-only.
  EXPECT_FALSE(
      policy.Decide(Sam(), Action::kWrite, FieldClass::kContact, UnassignedCase(), grants, kStart)
          .allowed);
}

TEST(BreakGlassTest, AfterWindowBackToMasked) {
  const Policy policy = Policy::Default();
  const std::vector<Grant> grants = {BreakGlass()};
  for (int64_t t : {kStart - 1, kStart + 60 * 60, kStart + 2 * 60 * 60}) {
    const Decision d =
        policy.Decide(Sam(), Action::kRead, FieldClass::kContact, UnassignedCase(), grants, t);
    EXPECT_TRUE(d.allowed) << t;
    EXPECT_TRUE(d.masked) << t;
    EXPECT_FALSE(d.break_glass) << t;
    EXPECT_EQ(d.rule, "matrix:supervisor:contact:read:unit");
  }
}

TEST(BreakGlassTest, InvalidBreakGlassIsIgnored) {
  const Policy policy = Policy::Default();
  auto flagged = [&](const Grant& g, const Principal& p, const CaseContext& ctx) {
    return policy.Decide(p, Action::kRead, FieldClass::kContact, ctx, {g}, kStart + 1).break_glass;
  };
  Grant no_reason = BreakGlass();
  no_reason.reason.clear();
  EXPECT_FALSE(flagged(no_reason, Sam(), UnassignedCase()));
  Grant too_long = BreakGlass();
  too_long.expires_at = kStart + 61 * 60;
  EXPECT_FALSE(flagged(too_long, Sam(), UnassignedCase()));
  Grant revoked = BreakGlass();
  revoked.revoked = true;
  EXPECT_FALSE(flagged(revoked, Sam(), UnassignedCase()));
  EXPECT_FALSE(flagged(BreakGlass(), Sam(), AssignedCase()));  // another case
  // A supervisor of another unit.
  Grant other = BreakGlass();
  other.case_id = "case-3";
  EXPECT_FALSE(flagged(other, Sam(), OtherUnitCase()));
  EXPECT_FALSE(
      policy.Decide(Sam(), Action::kRead, FieldClass::kContact, OtherUnitCase(), {other}, kStart)
          .allowed);
  // Roles without break_glass.
  for (Role r : {Role::kCaseWorker, Role::kLegal, Role::kAuditor, Role::kAdmin}) {
    Grant g = BreakGlass();
    g.grantee = "alice";
    EXPECT_FALSE(policy.Decide(Alice(r), Action::kRead, FieldClass::kMedical, UnassignedCase(),
                               {g}, kStart + 1)
                     .allowed)
        << RoleName(r);
  }
}

TEST(UnmaskTest, SupervisorUnmaskIsItsOwnRule) {
  const Policy policy = Policy::Default();
  EXPECT_EQ(policy.UnmaskScope(Role::kSupervisor, FieldClass::kIdentity), Scope::kUnit);
  const Decision d =
      policy.DecideUnmask(Sam(), FieldClass::kIdentity, UnassignedCase(), {}, kNow);
  EXPECT_TRUE(d.allowed);
  EXPECT_FALSE(d.masked);
  EXPECT_EQ(d.rule, "matrix:supervisor:identity:unmask:unit");
  EXPECT_FALSE(policy.DecideUnmask(Sam(), FieldClass::kIdentity, OtherUnitCase(), {}, kNow).allowed);
  // Unmasked classes: the read decides.
  EXPECT_TRUE(policy.DecideUnmask(Sam(), FieldClass::kIncident, UnassignedCase(), {}, kNow).allowed);
  EXPECT_FALSE(
      policy.DecideUnmask(Alice(Role::kAuditor), FieldClass::kIdentity, AssignedCase(), {}, kNow)
          .allowed);
}

// ---- Operations ------------------------------------------------------------------------
// One character per role, in this order:
//   intake case_worker supervisor psychologist medical legal auditor admin
// '-' never  'A' assigned  'W' owner  'U' unit  'Y' any_grant  'L' all (any unit)
struct ExpectedOperation {
  Operation op;
  const char* roles;
};
constexpr ExpectedOperation kExpectedOperations[] = {
    {Operation::kCreateCase, "UU------"},   {Operation::kAssign, "-WU-----"},
    {Operation::kChangeStage, "-AU-----"},  {Operation::kApproveStage, "--U-----"},
    {Operation::kClose, "--U-----"},        {Operation::kReopen, "--U-----"},
    {Operation::kRequestGrant, "-W------"}, {Operation::kApproveGrant, "--U-----"},
    {Operation::kRevokeGrant, "--U-----"},  {Operation::kBreakGlass, "--U-----"},
    {Operation::kAuditRead, "-WU---L-"},    {Operation::kListCases, "AAUAAYL-"},
    {Operation::kSearch, "AAUAA---"},
};

TEST(OperationTest, DefaultTable) {
  static_assert(std::size(kExpectedOperations) == Policy::kOperationCount);
  const Policy policy = Policy::Default();
  for (const ExpectedOperation& row : kExpectedOperations) {
    for (Role r : kAllRoles) {
      const char code = row.roles[static_cast<size_t>(r)];
      SCOPED_TRACE(std::string(Policy::OperationName(row.op)) + " " + std::string(RoleName(r)) +
                   " '" + code + "'");
      EXPECT_EQ(policy.OperationScope(r, row.op), ScopeOf(code));
      const Principal p = Alice(r);
      const CaseContext owned = OwnedCase(), assigned = AssignedCase(),
                        unassigned = UnassignedCase(), other = OtherUnitCase();
      auto allowed = [&](const CaseContext* ctx) {
        const Decision d = policy.DecideOperation(p, row.op, ctx);
        if (d.allowed) {
          EXPECT_EQ(d.rule, "operation:" + std::string(RoleName(r)) + ":" +
                                std::string(Policy::OperationName(row.op)) + ":" +
                                std::string(ScopeName(ScopeOf(code))));
        }
        return d.allowed;
      };
      const bool a = code == 'A', w = code == 'W', u = code == 'U', l = code == 'L';
      EXPECT_EQ(allowed(&owned), a || w || u || l);
      EXPECT_EQ(allowed(&assigned), a || u || l);
      EXPECT_EQ(allowed(&unassigned), u || l);
      EXPECT_EQ(allowed(&other), l);
      const bool caseless = row.op == Operation::kCreateCase || row.op == Operation::kListCases;
      EXPECT_EQ(allowed(nullptr), caseless && code != '-');
    }
  }
}

TEST(OperationTest, LegalListsCasesUnderGrant) {
  const Policy policy = Policy::Default();
  const CaseContext ctx = AssignedCase();
  EXPECT_TRUE(
      policy.DecideOperation(Lena(), Operation::kListCases, &ctx, {LegalGrant()}, kStart).allowed);
  EXPECT_FALSE(
      policy.DecideOperation(Lena(), Operation::kListCases, &ctx, {LegalGrant()}, kEnd).allowed);
  EXPECT_FALSE(policy.DecideOperation(Lena(), Operation::kSearch, &ctx, {LegalGrant()}, kStart)
                   .allowed);
}

TEST(OperationTest, NamesRoundTrip) {
  for (int i = 0; i < Policy::kOperationCount; ++i) {
    const auto op = static_cast<Operation>(i);
    EXPECT_EQ(Policy::ParseOperation(Policy::OperationName(op)), op);
  }
  EXPECT_FALSE(Policy::ParseOperation("read_history").has_value());
  for (int i = 0; i <= static_cast<int>(Scope::kAll); ++i) {
    EXPECT_EQ(ParseScope(ScopeName(static_cast<Scope>(i))), static_cast<Scope>(i));
  }
}

// ---- Grant validation --------------------------------------------------------------------
TEST(ValidateGrantTest, Requests) {
  const Policy policy = Policy::Default();
  EXPECT_TRUE(policy.ValidateGrantRequest(LegalGrant(), Role::kLegal).ok());

  auto invalid = [&](const Grant& g, Role r, std::string_view needle) {
    const Status s = policy.ValidateGrantRequest(g, r);
    EXPECT_EQ(s.code(), Code::kInvalidArgument) << needle;
    EXPECT_NE(s.message().find(needle), std::string::npos) << s.ToString();
  };
  Grant g = LegalGrant();
  g.classes.clear();
  invalid(g, Role::kLegal, "no field class");
  g = LegalGrant();
  g.classes.push_back(FieldClass::kServices);
  invalid(g, Role::kLegal, "services");
  g = LegalGrant();
  g.classes.push_back(FieldClass::kIdentity);
  invalid(g, Role::kLegal, "twice");
  invalid(LegalGrant(), Role::kPsychologist, "psychologist");
  invalid(LegalGrant(), Role::kAdmin, "admin");
  g = LegalGrant();
  g.expires_at = g.not_before + 91 * 86400;
  invalid(g, Role::kLegal, "90 days");
  g.expires_at = g.not_before + 90 * 86400;
  EXPECT_TRUE(policy.ValidateGrantRequest(g, Role::kLegal).ok());
  g = LegalGrant();
  g.expires_at = g.not_before;
  invalid(g, Role::kLegal, "not_before");
  g = LegalGrant();
  g.legal_basis = "letter:123";
  invalid(g, Role::kLegal, "legal basis kind");
  g.legal_basis = "court_order:";
  invalid(g, Role::kLegal, "KIND:REFERENCE");
  g.legal_basis = "court_order";
  invalid(g, Role::kLegal, "KIND:REFERENCE");
  for (const char* basis : {"court_order:12/Pid.Sus-Anak/2024", "lpsk_decision:A-1",
                            "consent:guardian-2024-05"}) {
    g.legal_basis = basis;
    EXPECT_TRUE(policy.ValidateGrantRequest(g, Role::kLegal).ok()) << basis;
  }
  g = LegalGrant();
  g.classes = {FieldClass::kLegalEvidence};
  invalid(g, Role::kLegal, "need 2 approvers");
  g.required_approvals = 2;
  EXPECT_TRUE(policy.ValidateGrantRequest(g, Role::kLegal).ok());
  g = LegalGrant();
  g.requested_by = "lena";
  invalid(g, Role::kLegal, "grantee");
  g = LegalGrant();
  g.approvers = {"sam", "sam"};
  invalid(g, Role::kLegal, "duplicate approver");
  g = LegalGrant();
  g.case_id.clear();
  invalid(g, Role::kLegal, "case_id");
}

TEST(ValidateGrantTest, BreakGlass) {
  const Policy policy = Policy::Default();
  EXPECT_EQ(policy.break_glass_minutes(), 60);
  EXPECT_TRUE(policy.ValidateGrantRequest(BreakGlass(), Role::kSupervisor).ok());
  Grant g = BreakGlass();
  g.reason.clear();
  EXPECT_EQ(policy.ValidateGrantRequest(g, Role::kSupervisor).code(), Code::kInvalidArgument);
  g = BreakGlass();
  g.expires_at = g.not_before + 61 * 60;
  EXPECT_EQ(policy.ValidateGrantRequest(g, Role::kSupervisor).code(), Code::kInvalidArgument);
  EXPECT_EQ(policy.ValidateGrantRequest(BreakGlass(), Role::kCaseWorker).code(),
            Code::kInvalidArgument);
  EXPECT_EQ(policy.ValidateGrantRequest(BreakGlass(), Role::kAdmin).code(),
            Code::kInvalidArgument);
}

// ---- Configuration -----------------------------------------------------------------------
void ExpectConfigError(std::string_view text, std::string_view key) {
  Result<Policy> r = Policy::Parse(text, "test-policy.toml");
  ASSERT_FALSE(r.ok()) << "accepted: " << text;
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  EXPECT_NE(r.status().message().find("test-policy.toml"), std::string::npos)
      << r.status().ToString();
  EXPECT_NE(r.status().message().find(key), std::string::npos) << r.status().ToString();
}

TEST(ConfigTest, Errors) {
  // Unknown keys.
  ExpectConfigError("colour = 1\n", "colour");
  ExpectConfigError("[roles.intake]\nidentity = { read = \"assigned\", reed = \"unit\" }\n",
                    "roles.intake.identity.reed");
  ExpectConfigError("[grants]\nmax_days = 3\n", "grants.max_days");
  // Unknown role / class / scope / operation.
  ExpectConfigError("[roles.janitor]\nidentity = { read = \"assigned\" }\n", "roles.janitor");
  ExpectConfigError("[operations.close]\njanitor = \"unit\"\n", "operations.close.janitor");
  ExpectConfigError("[roles.intake]\nnama = { read = \"assigned\" }\n", "roles.intake.nama");
  ExpectConfigError("[roles.intake]\nidentity = { read = \"asigned\" }\n",
                    "roles.intake.identity.read");
  ExpectConfigError("[roles.intake]\nidentity = { read = \"owner\" }\n",
                    "roles.intake.identity.read");
  ExpectConfigError("[operations.close]\nsupervisor = \"grant\"\n", "operations.close.supervisor");
  ExpectConfigError("[operations.delete_case]\nsupervisor = \"unit\"\n",
                    "operations.delete_case");
  ExpectConfigError("[grants]\nrequire_second_approver_for = [\"nama\"]\n",
                    "grants.require_second_approver_for");
  // Wrong types.
  ExpectConfigError("[roles.intake]\nidentity = { read = 3 }\n", "roles.intake.identity.read");
  ExpectConfigError("[roles.intake]\nidentity = \"assigned\"\n", "roles.intake.identity");
  ExpectConfigError("[roles.supervisor]\nidentity = { read = \"unit\", masked = \"yes\" }\n",
                    "roles.supervisor.identity.masked");
  ExpectConfigError("roles = 1\n", "roles");
  ExpectConfigError("[grants]\nmax_duration_days = \"90\"\n", "grants.max_duration_days");
  ExpectConfigError("[grants]\nrequire_second_approver_for = \"contact\"\n",
                    "grants.require_second_approver_for");
  // Impossible values.
  ExpectConfigError("[grants]\nmax_duration_days = 0\n", "grants.max_duration_days");
  ExpectConfigError("[grants]\nbreak_glass_minutes = 100000\n", "grants.break_glass_minutes");
  ExpectConfigError("[grants]\nlegal_basis_kinds = []\n", "grants.legal_basis_kinds");
  ExpectConfigError("[roles.auditor]\nconsent = { read = \"unit\" }\n", "roles.auditor.consent");
  ExpectConfigError("[roles.admin]\nidentity = { write = \"assigned\" }\n", "roles.admin.identity");
  ExpectConfigError("[roles.legal]\nidentity = { read = \"grant\", write = \"grant\" }\n",
                    "roles.legal.identity.write");
  ExpectConfigError("[roles.intake]\nidentity = { read = \"never\", masked = true }\n",
                    "roles.intake.identity.masked");
  ExpectConfigError("[roles.intake]\nidentity = { read = \"assigned\", unmask = \"unit\" }\n",
                    "roles.intake.identity.unmask");
  ExpectConfigError("[operations.break_glass]\nadmin = \"all\"\n", "operations.break_glass.admin");
  // TOML syntax: the file and the line.
  ExpectConfigError("[roles.intake\n", "TOML syntax");
}

TEST(ConfigTest, EmptyConfigDeniesEverything) {
  Result<Policy> r = Policy::Parse("", "empty.toml");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  for (Role role : kAllRoles) {
    for (FieldClass c : kAllFieldClasses) {
      for (Action a : {Action::kRead, Action::kWrite}) {
        EXPECT_FALSE(r->Decide(Alice(role), a, c, OwnedCase(), {}, kNow, "alice").allowed);
      }
    }
    for (int i = 0; i < Policy::kOperationCount; ++i) {
      const CaseContext ctx = OwnedCase();
      EXPECT_FALSE(r->DecideOperation(Alice(role), static_cast<Operation>(i), &ctx).allowed);
    }
  }
  EXPECT_EQ(r->max_grant_duration_days(), 90);
  EXPECT_EQ(r->break_glass_minutes(), 60);
}

TEST(ConfigTest, GrantSettings) {
  Result<Policy> r = Policy::Parse(
      "[grants]\nmax_duration_days = 30\nrequire_second_approver_for = []\n"
      "break_glass_minutes = 15\nlegal_basis_kinds = [\"court_order\"]\n",
      "g.toml");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->max_grant_duration_days(), 30);
  EXPECT_EQ(r->break_glass_minutes(), 15);
  EXPECT_EQ(r->RequiredApprovals({FieldClass::kLegalEvidence}), 1);
  EXPECT_EQ(r->legal_basis_kinds(), std::vector<std::string>{"court_order"});
}

class TempDir {
 public:
  TempDir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "brankas-policy-test-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) ADD_FAILURE() << "mkdtemp failed";
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

TEST(ConfigTest, LoadFileNamesTheFile) {
  TempDir dir;
  const std::string file = (dir.path() / "policy.toml").string();
  {
    std::ofstream out(file);
    out << "[roles.intake]\nidentity = { read = \"assigned\" }\n[roles.nobody]\n";
  }
  Result<Policy> r = Policy::LoadFile(file);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  EXPECT_NE(r.status().message().find(file + ":3:"), std::string::npos) << r.status().ToString();
  EXPECT_NE(r.status().message().find("roles.nobody"), std::string::npos);

  Result<Policy> missing = Policy::LoadFile((dir.path() / "absent.toml").string());
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), Code::kNotFound);
  EXPECT_NE(missing.status().message().find("absent.toml"), std::string::npos);
}

// ---- Default() == config/policy.toml -------------------------------------------------------
TEST(ConfigTest, DefaultEqualsShippedFile) {
  const std::string path = SourceDir() + "/config/policy.toml";
  Result<Policy> loaded = Policy::LoadFile(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  const Policy def = Policy::Default();
  const Policy& file = *loaded;

  const std::vector<CaseContext> contexts = {OwnedCase(), AssignedCase(), UnassignedCase(),
                                             OtherUnitCase()};
  Grant approved_all = LegalGrant();
  approved_all.grantee = "alice";
  approved_all.classes.assign(kAllFieldClasses.begin(), kAllFieldClasses.end());
  approved_all.approvers = {"sam", "siti"};
  approved_all.required_approvals = 2;
  Grant bg = BreakGlass();
  bg.grantee = "alice";
  bg.case_id = "case-1";
  const std::vector<std::vector<Grant>> grant_sets = {{}, {approved_all}, {bg}};
  auto same = [](const Decision& x, const Decision& y) {
    return x.allowed == y.allowed && x.masked == y.masked && x.rule == y.rule &&
           x.grant_id == y.grant_id && x.break_glass == y.break_glass;
  };
  int compared = 0;
  for (Role r : kAllRoles) {
    const Principal p = Alice(r);
    for (FieldClass c : kAllFieldClasses) {
      EXPECT_EQ(def.Masked(r, c), file.Masked(r, c));
      EXPECT_EQ(def.UnmaskScope(r, c), file.UnmaskScope(r, c));
      for (Action a : {Action::kRead, Action::kWrite}) {
        EXPECT_EQ(def.FieldScope(r, c, a), file.FieldScope(r, c, a));
        for (const CaseContext& ctx : contexts) {
          for (const auto& grants : grant_sets) {
            for (std::string_view writer : {"", "alice", "carol"}) {
              EXPECT_TRUE(same(def.Decide(p, a, c, ctx, grants, kStart + 1, writer),
                               file.Decide(p, a, c, ctx, grants, kStart + 1, writer)))
                  << RoleName(r) << " " << FieldClassName(c) << " " << ActionName(a);
              ++compared;
            }
          }
          EXPECT_TRUE(same(def.DecideUnmask(p, c, ctx, {}, kNow), file.DecideUnmask(p, c, ctx, {}, kNow)));
        }
      }
    }
    for (int i = 0; i < Policy::kOperationCount; ++i) {
      const auto op = static_cast<Operation>(i);
      EXPECT_EQ(def.OperationScope(r, op), file.OperationScope(r, op));
      EXPECT_TRUE(same(def.DecideOperation(p, op, nullptr), file.DecideOperation(p, op, nullptr)));
      for (const CaseContext& ctx : contexts) {
        EXPECT_TRUE(same(def.DecideOperation(p, op, &ctx), file.DecideOperation(p, op, &ctx)));
      }
    }
  }
  EXPECT_EQ(compared, kRoleCount * kFieldClassCount * 2 * 4 * 3 * 3);
  EXPECT_EQ(def.max_grant_duration_days(), file.max_grant_duration_days());
  EXPECT_EQ(def.break_glass_minutes(), file.break_glass_minutes());
  EXPECT_EQ(def.legal_basis_kinds(), file.legal_basis_kinds());
  for (FieldClass c : kAllFieldClasses) {
    EXPECT_EQ(def.RequiredApprovals({c}), file.RequiredApprovals({c}));
  }
  EXPECT_EQ(def.max_grant_duration_days(), 90);
  EXPECT_EQ(def.RequiredApprovals({FieldClass::kLegalEvidence}), 2);
  EXPECT_EQ(def.RequiredApprovals({FieldClass::kIdentity}), 1);
}

TEST(PolicyTest, ConcurrentDecisions) {
  const Policy policy = Policy::Default();
  std::vector<std::thread> threads;
  std::vector<int> allowed(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 2000; ++i) {
        if (policy.Decide(Alice(Role::kCaseWorker), Action::kRead, FieldClass::kIdentity,
                          AssignedCase(), {LegalGrant()}, kNow)
                .allowed) {
          ++allowed[t];
        }
      }
    });
  }
  for (std::thread& th : threads) th.join();
  for (int n : allowed) EXPECT_EQ(n, 2000);
}

}  // namespace
}  // namespace brankas
