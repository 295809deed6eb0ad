// Role journeys through the Vault API: who reads and writes which classes of
// a case, under assignment, masking, grants and break-glass, and what the
// audit trail records of it (DOMAIN.md, "Roles and default access";
// config/policy.toml). All values are synthetic.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "engine/case_record.h"
#include "engine/vault_test_util.h"

namespace brankas {
namespace {

using testing::VaultFixture;
using ClassSet = std::set<FieldClass>;

// What the intake officer records (every class intake may write).
FieldValues IntakeFields() {
  return {{"registration_number", "PPA/5371/2026/000042"},
          {"module", "anak"},
          {"name", "Siti Nur Aisyah"},
          {"nik", "5371014507120003"},
          {"birth_date", "2012-07-05"},
          {"address", "Jl. Kenanga 7, RT 03/RW 02, Oesapa"},
          {"shelter_location", "Rumah Aman Melati, Kelurahan Oebobo"},
          {"phone", "081234567890"},
          {"incident_date", "2026-03-14"},
          {"narrative", "[DATA SINTETIS] Anak melapor ke guru BK tentang kekerasan oleh tetangga."},
          {"perpetrator_name", "Yohanes Bili Ndolu"},
          {"perpetrator_relationship", "neighbour"},
          {"services_provided", "complaint,outreach"},
          {"consent_basis", "child_assent_and_guardian"}};
}
FieldValues CaseWorkerFields() {
  return {{"police_report_number", "LP/B/123/III/2026/SPKT/POLDA NTT"},
          {"court_stage", "investigation"},
          {"case_plan", "[DATA SINTETIS] Pendampingan ke kepolisian dan konseling mingguan."}};
}
FieldValues PsychologistFields() {
  return {{"risk_level", "high"},
          {"counselling_notes", "[DATA SINTETIS] Sesi pertama: anak menunjukkan gejala cemas."}};
}
FieldValues MedicalFields() {
  return {{"visum_number", "VER/045/III/2026/RSUD"},
          {"examination_findings", "[DATA SINTETIS] Memar pada lengan kiri, tidak ada luka lain."}};
}

std::vector<std::string> Sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

bool Contains(const std::vector<std::string>& v, std::string_view s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

// A case recorded by intake, handed to case worker rina (owner) with
// psychologist dewi and medical yudi, each of whom wrote their own class.
class VaultAccessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fx.Init();
    fx.OpenUnsealed();
    auto created = vault().CreateCase(Intake(), IntakeFields());
    ASSERT_TRUE(created.ok()) << created.status().ToString();
    case_id = created->case_id;
    version = created->version;
    auto assigned = vault().AssignCase(Supervisor(), case_id, {"rina", "dewi", "yudi"}, "rina");
    ASSERT_TRUE(assigned.ok()) << assigned.status().ToString();
    version = assigned->version;
    Write(Rina(), CaseWorkerFields());
    Write(Dewi(), PsychologistFields());
    Write(Yudi(), MedicalFields());
    for (const auto& f : {IntakeFields(), CaseWorkerFields(), PsychologistFields(), MedicalFields()}) {
      all.insert(f.begin(), f.end());
    }
  }

  Vault& vault() { return fx.vault(); }
  RequestContext Intake() { return fx.Ctx("ina", Role::kIntake); }
  RequestContext Rina() { return fx.Ctx("rina", Role::kCaseWorker); }
  RequestContext Agus() { return fx.Ctx("agus", Role::kCaseWorker); }
  RequestContext Dewi() { return fx.Ctx("dewi", Role::kPsychologist); }
  RequestContext Yudi() { return fx.Ctx("yudi", Role::kMedical); }
  RequestContext Supervisor() { return fx.Ctx("sri", Role::kSupervisor); }
  RequestContext Supervisor2() { return fx.Ctx("tono", Role::kSupervisor); }
  RequestContext Legal(const std::string& user = "polisi1") { return fx.Ctx(user, Role::kLegal); }
  RequestContext Auditor() { return fx.Ctx("audit1", Role::kAuditor); }
  RequestContext Admin() { return fx.Ctx("admin", Role::kAdmin); }
  static RequestContext OtherUnit(const std::string& user, Role role) {
    return RequestContext{Principal{user, role, "SLM"}, "req-slm", "10.0.0.9"};
  }

  void Write(const RequestContext& rc, const FieldValues& fields) {
    auto u = vault().UpdateCase(rc, case_id, fields, version);
    ASSERT_TRUE(u.ok()) << rc.principal.user << ": " << u.status().ToString();
    version = u->version;
  }

  // The fields of the case whose class is in `classes`.
  FieldValues Only(const ClassSet& classes) {
    FieldValues out;
    for (const auto& [name, value] : all) {
      if (classes.count(vault().schema().Find(name)->cls)) out[name] = value;
    }
    return out;
  }
  std::vector<std::string> NamesNotIn(const ClassSet& classes) {
    std::vector<std::string> out;
    for (const auto& [name, value] : all) {
      if (!classes.count(vault().schema().Find(name)->cls)) out.push_back(name);
    }
    return out;
  }

  // The audit trail, oldest first, read straight from the store.
  std::vector<AuditEntry> Audit(const std::string& actor = "", const std::string& action = "",
                                const std::string& decision = "") {
    AuditFilter f;
    f.case_id = case_id;
    f.actor = actor;
    f.action = action;
    f.decision = decision;
    f.limit = kMaxAuditQueryLimit;
    auto r = QueryAudit(vault().store(), f);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : std::vector<AuditEntry>{};
  }

  // No value of the case in any audit entry (short enum-like values excepted).
  void ExpectNoValuesIn(const std::vector<AuditEntry>& entries) {
    for (const auto& e : entries) {
      std::string encoded = EncodeAuditEntry(e);
      for (const auto& [name, value] : all) {
        if (value.size() < 6) continue;
        EXPECT_EQ(encoded.find(value), std::string::npos) << name << " in " << e.action;
      }
    }
  }

  // The request is refused with `code` and nothing of the case changed.
  static const Status& StatusOf(const Status& s) { return s; }
  template <typename T>
  static const Status& StatusOf(const Result<T>& r) { return r.status(); }
  template <typename R>
  void ExpectRefused(const R& r, Code code, const std::string& what) {
    ASSERT_FALSE(r.ok()) << what;
    EXPECT_EQ(StatusOf(r).code(), code) << what << ": " << StatusOf(r).ToString();
  }

  Grant RequestGrantFor(const std::string& grantee, std::vector<FieldClass> classes,
                        int64_t not_before, int64_t expires_at) {
    GrantRequest req;
    req.case_id = case_id;
    req.grantee = grantee;
    req.grantee_role = Role::kLegal;
    req.classes = std::move(classes);
    req.not_before = not_before;
    req.expires_at = expires_at;
    req.legal_basis = "court_order:No. 12/Pid.Sus-Anak/2026/PN Kpg";
    auto g = vault().RequestGrant(Rina(), req);
    EXPECT_TRUE(g.ok()) << g.status().ToString();
    return g.ok() ? *g : Grant{};
  }

  VaultFixture fx;
  std::string case_id;
  uint64_t version = 0;
  FieldValues all;
};

const ClassSet kPsychologistReads = {FieldClass::kAdministrative, FieldClass::kIdentity,
                                     FieldClass::kIncident, FieldClass::kPsychological,
                                     FieldClass::kConsent};
const ClassSet kMedicalReads = {FieldClass::kAdministrative, FieldClass::kIdentity,
                                FieldClass::kIncident, FieldClass::kMedical, FieldClass::kConsent};
const ClassSet kMaskedForSupervisor = {FieldClass::kIdentity, FieldClass::kContact};

TEST_F(VaultAccessTest, IntakeCreatorIsOwnerAndAssignedUntilReassigned) {
  auto c = vault().CreateCase(Intake(), IntakeFields());
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->owner, "ina");
  EXPECT_EQ(c->assigned, std::vector<std::string>{"ina"});
  EXPECT_EQ(c->stage, Stage::kIdentification);
  auto v = vault().ReadCase(Intake(), c->case_id);
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(v->fields, IntakeFields());
  EXPECT_TRUE(v->withheld.empty());
  // Intake never writes medical, psychological or legal evidence.
  ExpectRefused(vault().CreateCase(Intake(), {{"name", "Budi"}, {"risk_level", "low"}}),
                Code::kPermissionDenied, "intake writes psychological");
  ExpectRefused(vault().UpdateCase(Intake(), c->case_id, {{"visum_number", "VER/1"}}, c->version),
                Code::kPermissionDenied, "intake writes medical");

  // The shared case was reassigned: rina owns it; intake is off it.
  auto summary = vault().ReadCase(Rina(), case_id, {.fields = {"module"}});
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ(summary->summary.owner, "rina");
  EXPECT_EQ(Sorted(summary->summary.assigned), Sorted({"rina", "dewi", "yudi"}));
  ExpectRefused(vault().ReadCase(Intake(), case_id), Code::kPermissionDenied, "intake after reassign");
  auto assign_audit = Audit("sri", "case.assign");
  ASSERT_EQ(assign_audit.size(), 1u);
  EXPECT_EQ(assign_audit[0].decision, "allow");
  EXPECT_EQ(assign_audit[0].detail, "assignees=3");
}

TEST_F(VaultAccessTest, OwnerReadsEverythingAnotherCaseWorkerNothing) {
  auto v = vault().ReadCase(Rina(), case_id);
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(v->fields, all);
  EXPECT_TRUE(v->withheld.empty());
  EXPECT_TRUE(v->masked.empty());
  EXPECT_EQ(v->summary.version, version);

  ExpectRefused(vault().ReadCase(Agus(), case_id), Code::kPermissionDenied, "agus reads");
  ExpectRefused(vault().ReadCase(Agus(), case_id, {.fields = {"name"}}), Code::kPermissionDenied,
                "agus reads name");
  ExpectRefused(vault().FieldHistory(Agus(), case_id, "name"), Code::kPermissionDenied, "agus history");
  ExpectRefused(vault().UpdateCase(Agus(), case_id, {{"alias", "Ais"}}, version), Code::kPermissionDenied,
                "agus writes");
  ExpectRefused(vault().ChangeStage(Agus(), case_id, Stage::kAssessment), Code::kPermissionDenied,
                "agus stage");

  // The auditor sees agus's denied read, with field names and no values.
  AuditFilter f;
  f.case_id = case_id;
  f.actor = "agus";
  f.action = "case.read";
  auto denied = vault().QueryAudit(Auditor(), f);
  ASSERT_TRUE(denied.ok()) << denied.status().ToString();
  ASSERT_EQ(denied->size(), 2u);
  for (const auto& e : *denied) {
    EXPECT_EQ(e.decision, "deny");
    EXPECT_EQ(e.role, "case_worker");
    EXPECT_EQ(e.case_id, case_id);
    EXPECT_FALSE(e.fields.empty());
    for (const auto& name : e.fields) EXPECT_TRUE(all.count(name)) << name;
  }
  EXPECT_EQ((*denied)[0].fields.size(), all.size());
  EXPECT_EQ((*denied)[1].fields, std::vector<std::string>{"name"});
  ExpectNoValuesIn(*denied);
  // Nothing changed.
  EXPECT_EQ(vault().ReadCase(Rina(), case_id)->summary.version, version);
}

// A caller who may read nothing of a case must learn nothing of it either:
// not its summary (owner, workers, stage), nor which fields are set.
TEST_F(VaultAccessTest, UnsetFieldsDoNotOpenACaseToOutsiders) {
  for (const auto& rc : {Agus(), Legal(), Auditor(), Admin(), OtherUnit("rina", Role::kCaseWorker)}) {
    // pregnancy_status is not set on the case; visum_number is.
    ExpectRefused(vault().ReadCase(rc, case_id, {.fields = {"pregnancy_status"}}), Code::kPermissionDenied,
                  rc.principal.user + " probes an unset field");
  }
}

TEST_F(VaultAccessTest, PsychologistReadsHerClassesAndWritesOnlyPsychological) {
  auto v = vault().ReadCase(Dewi(), case_id);
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(v->fields, Only(kPsychologistReads));
  EXPECT_EQ(Sorted(v->withheld), Sorted(NamesNotIn(kPsychologistReads)));
  EXPECT_TRUE(v->masked.empty());
  // Withheld by name only: none of their values is anywhere in the answer.
  for (const auto& name : v->withheld) {
    EXPECT_EQ(v->fields.count(name), 0u) << name;
    for (const auto& [n, value] : v->fields) EXPECT_NE(value, all.at(name)) << name;
  }
  EXPECT_TRUE(Contains(v->withheld, "shelter_location"));
  EXPECT_TRUE(Contains(v->withheld, "police_report_number"));
  EXPECT_TRUE(Contains(v->withheld, "examination_findings"));
  // services written by intake and by rina are not hers.
  EXPECT_TRUE(Contains(v->withheld, "services_provided"));
  EXPECT_TRUE(Contains(v->withheld, "case_plan"));
  // The read and the withholding are both audited.
  auto reads = Audit("dewi", "case.read");
  ASSERT_EQ(reads.size(), 2u);
  EXPECT_EQ(reads[0].decision, "allow");
  EXPECT_EQ(Sorted(reads[0].fields), Sorted([&] {
              std::vector<std::string> n;
              for (const auto& [k, x] : Only(kPsychologistReads)) n.push_back(k);
              return n;
            }()));
  EXPECT_EQ(reads[1].decision, "deny");
  EXPECT_EQ(Sorted(reads[1].fields), Sorted(v->withheld));

  // Writes: psychological yes; identity, medical and others' services no.
  Write(Dewi(), {{"risk_level", "critical"}, {"safety_plan", "[DATA SINTETIS] Tinggal di rumah aman."}});
  ExpectRefused(vault().UpdateCase(Dewi(), case_id, {{"name", "Siti"}}, version), Code::kPermissionDenied,
                "dewi writes identity");
  ExpectRefused(vault().UpdateCase(Dewi(), case_id, {{"risk_level", "low"}, {"alias", "Ais"}}, version),
                Code::kPermissionDenied, "dewi writes psychological and identity at once");
  ExpectRefused(vault().UpdateCase(Dewi(), case_id, {{"visum_number", "VER/9"}}, version),
                Code::kPermissionDenied, "dewi writes medical");
  ExpectRefused(vault().UpdateCase(Dewi(), case_id, {{"case_plan", "[DATA SINTETIS] x"}}, version),
                Code::kPermissionDenied, "dewi overwrites rina's service entry");
  // A service entry of her own she writes and reads back.
  Write(Dewi(), {{"next_follow_up_date", "2026-04-01"}});
  auto again = vault().ReadCase(Dewi(), case_id);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->fields.at("next_follow_up_date"), "2026-04-01");
  EXPECT_EQ(again->fields.at("risk_level"), "critical");
  EXPECT_EQ(again->fields.at("name"), "Siti Nur Aisyah");
  EXPECT_TRUE(Contains(again->withheld, "case_plan"));
  // Refused writes changed nothing.
  EXPECT_EQ(again->summary.version, version);
  EXPECT_EQ(vault().ReadCase(Rina(), case_id)->fields.at("case_plan"), all.at("case_plan"));
}

TEST_F(VaultAccessTest, MedicalReadsHerClassesAndWritesOnlyMedical) {
  auto v = vault().ReadCase(Yudi(), case_id);
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(v->fields, Only(kMedicalReads));
  EXPECT_EQ(Sorted(v->withheld), Sorted(NamesNotIn(kMedicalReads)));
  EXPECT_TRUE(Contains(v->withheld, "counselling_notes"));
  EXPECT_TRUE(Contains(v->withheld, "address"));
  Write(Yudi(), {{"pregnancy_status", "not_pregnant"}, {"visum_date", "2026-03-15"}});
  ExpectRefused(vault().UpdateCase(Yudi(), case_id, {{"risk_level", "low"}}, version),
                Code::kPermissionDenied, "yudi writes psychological");
  ExpectRefused(vault().UpdateCase(Yudi(), case_id, {{"nik", "5371014507120009"}}, version),
                Code::kPermissionDenied, "yudi writes identity");
  ExpectRefused(vault().ReadCase(Yudi(), case_id, {.fields = {"counselling_notes"}}),
                Code::kPermissionDenied, "yudi reads psychological only");
  Write(Yudi(), {{"health_referral", "RSUD Prof. Dr. W. Z. Johannes"}, {"next_follow_up_date", "2026-04-02"}});
  ExpectRefused(vault().UpdateCase(Yudi(), case_id, {{"services_provided", "complaint"}}, version),
                Code::kPermissionDenied, "yudi overwrites intake's service entry");
  auto again = vault().ReadCase(Yudi(), case_id);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->fields.at("pregnancy_status"), "not_pregnant");
  EXPECT_EQ(again->fields.at("health_referral"), "RSUD Prof. Dr. W. Z. Johannes");
  EXPECT_EQ(again->fields.at("next_follow_up_date"), "2026-04-02");
  EXPECT_TRUE(Contains(again->withheld, "case_plan"));
  // The psychologist does not see what medical wrote, and the other way round.
  auto dewi = vault().ReadCase(Dewi(), case_id);
  ASSERT_TRUE(dewi.ok());
  EXPECT_EQ(dewi->fields.count("pregnancy_status"), 0u);
  EXPECT_TRUE(Contains(dewi->withheld, "pregnancy_status"));
  EXPECT_TRUE(Contains(dewi->withheld, "health_referral"));
  EXPECT_TRUE(Contains(dewi->withheld, "next_follow_up_date"));  // a service entry yudi wrote
}

TEST_F(VaultAccessTest, SupervisorSeesIdentityAndContactMaskedAndUnmasksAudited) {
  auto v = vault().ReadCase(Supervisor(), case_id);
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_TRUE(v->withheld.empty());
  std::vector<std::string> expected_masked;
  for (const auto& [name, value] : Only(kMaskedForSupervisor)) expected_masked.push_back(name);
  EXPECT_EQ(Sorted(v->masked), Sorted(expected_masked));
  for (const auto& [name, value] : all) {
    ASSERT_TRUE(v->fields.count(name)) << name;
    if (Contains(expected_masked, name)) {
      EXPECT_NE(v->fields.at(name), value) << name;
      EXPECT_EQ(v->fields.at(name), MaskValue(value)) << name;
    } else {
      EXPECT_EQ(v->fields.at(name), value) << name;
    }
  }
  EXPECT_EQ(v->fields.at("name"), "S. N. A.");
  EXPECT_EQ(v->fields.at("nik"), std::string(16, '*'));
  EXPECT_TRUE(Audit("sri", "case.unmask").empty());
  // Field history is masked the same way.
  auto history = vault().FieldHistory(Supervisor(), case_id, "name");
  ASSERT_TRUE(history.ok()) << history.status().ToString();
  ASSERT_EQ(history->size(), 1u);
  EXPECT_EQ((*history)[0].value, "S. N. A.");

  auto clear = vault().ReadCase(Supervisor(), case_id, {.fields = {}, .unmask = true});
  ASSERT_TRUE(clear.ok()) << clear.status().ToString();
  EXPECT_EQ(clear->fields, all);
  EXPECT_TRUE(clear->masked.empty());
  auto unmasks = Audit("sri", "case.unmask");
  ASSERT_EQ(unmasks.size(), 1u);
  EXPECT_EQ(unmasks[0].decision, "allow");
  EXPECT_TRUE(unmasks[0].flagged);
  EXPECT_EQ(Sorted(unmasks[0].fields), Sorted(expected_masked));
  ExpectNoValuesIn(unmasks);

  // Supervisors never write identity.
  ExpectRefused(vault().UpdateCase(Supervisor(), case_id, {{"name", "X"}}, version), Code::kPermissionDenied,
                "supervisor writes identity");
  // The case worker's unmask request is a plain read: nothing to unmask, nothing flagged.
  ASSERT_TRUE(vault().ReadCase(Rina(), case_id, {.fields = {}, .unmask = true}).ok());
  EXPECT_TRUE(Audit("rina", "case.unmask").empty());
}

TEST_F(VaultAccessTest, LegalReadsExactlyTheGrantedClassesInsideTheWindow) {
  ExpectRefused(vault().ReadCase(Legal(), case_id), Code::kPermissionDenied, "legal before any grant");
  auto listed = vault().ListCases(Legal(), false, std::nullopt, 100);
  ASSERT_TRUE(listed.ok());
  EXPECT_TRUE(listed->empty());

  const int64_t now = fx.NowSeconds();
  Grant g = RequestGrantFor("polisi1", {FieldClass::kIdentity, FieldClass::kIncident, FieldClass::kLegalEvidence},
                            now + 60, now + 86400);
  ASSERT_FALSE(g.id.empty());
  EXPECT_EQ(g.required_approvals, 2);  // legal_evidence asks for a second approver
  EXPECT_TRUE(g.approvers.empty());
  EXPECT_EQ(g.requested_by, "rina");
  ExpectRefused(vault().ReadCase(Legal(), case_id), Code::kPermissionDenied, "legal, grant not approved");

  // Neither the requester nor the grantee may approve, whatever role they hold.
  ExpectRefused(vault().ApproveGrant(Rina(), g.id), Code::kPermissionDenied, "requester approves");
  ExpectRefused(vault().ApproveGrant(fx.Ctx("rina", Role::kSupervisor), g.id), Code::kPermissionDenied,
                "requester approves as supervisor");
  ExpectRefused(vault().ApproveGrant(fx.Ctx("polisi1", Role::kSupervisor), g.id), Code::kPermissionDenied,
                "grantee approves");
  ExpectRefused(vault().ApproveGrant(Legal(), g.id), Code::kPermissionDenied, "legal approves");

  auto first = vault().ApproveGrant(Supervisor(), g.id);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->approvers, std::vector<std::string>{"sri"});
  ExpectRefused(vault().ApproveGrant(Supervisor(), g.id), Code::kConflict, "second approval by the same");
  ExpectRefused(vault().ReadCase(Legal(), case_id), Code::kPermissionDenied, "legal, one approval");
  auto second = vault().ApproveGrant(Supervisor2(), g.id);
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ(second->approvers, (std::vector<std::string>{"sri", "tono"}));
  // Approved, but before not_before.
  ExpectRefused(vault().ReadCase(Legal(), case_id), Code::kPermissionDenied, "legal, before the window");

  fx.AdvanceSeconds(61);
  auto v = vault().ReadCase(Legal(), case_id);
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  // The granted classes, plus consent, which legal reads under any active
  // grant on the case (policy.toml: consent = any_grant).
  const ClassSet granted = {FieldClass::kIdentity, FieldClass::kIncident, FieldClass::kLegalEvidence};
  ClassSet readable = granted;
  readable.insert(FieldClass::kConsent);
  EXPECT_EQ(v->fields, Only(readable));
  EXPECT_EQ(Sorted(v->withheld), Sorted(NamesNotIn(readable)));
  EXPECT_TRUE(v->masked.empty());
  EXPECT_EQ(v->fields.at("police_report_number"), all.at("police_report_number"));
  EXPECT_TRUE(Contains(v->withheld, "shelter_location"));
  EXPECT_TRUE(Contains(v->withheld, "registration_number"));
  EXPECT_TRUE(Contains(v->withheld, "counselling_notes"));
  auto reads = Audit("polisi1", "case.read", "allow");
  ASSERT_EQ(reads.size(), 1u);
  EXPECT_EQ(reads[0].grant_id, g.id);
  EXPECT_EQ(reads[0].rule, "grant:" + g.id);
  // Only the fields read under the grant (and consent) are listed.
  for (const auto& name : reads[0].fields) EXPECT_TRUE(v->fields.count(name)) << name;
  EXPECT_TRUE(Contains(reads[0].fields, "nik"));
  ExpectNoValuesIn(reads);

  // The grant makes the case listable for the grantee, and never writable.
  listed = vault().ListCases(Legal(), false, std::nullopt, 100);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].case_id, case_id);
  ExpectRefused(vault().UpdateCase(Legal(), case_id, {{"court_stage", "trial"}}, version),
                Code::kPermissionDenied, "legal writes under a grant");
  // Another legal user gets nothing from polisi1's grant.
  ExpectRefused(vault().ReadCase(Legal("jaksa1"), case_id), Code::kPermissionDenied, "another legal user");

  // Expired: nothing again.
  fx.AdvanceSeconds(86400);
  ExpectRefused(vault().ReadCase(Legal(), case_id), Code::kPermissionDenied, "legal after expiry");
  ExpectRefused(vault().FieldHistory(Legal(), case_id, "name"), Code::kPermissionDenied,
                "legal history after expiry");
}

TEST_F(VaultAccessTest, OneApprovalOpensNothingOfAGrantThatNeedsTwo) {
  const int64_t now = fx.NowSeconds();
  // Identity alone would need one approval; with legal_evidence the whole
  // grant needs two, and until then not even identity is readable.
  Grant two = RequestGrantFor("polisi1", {FieldClass::kIdentity, FieldClass::kLegalEvidence}, now, now + 3600);
  Grant one = RequestGrantFor("jaksa1", {FieldClass::kIdentity, FieldClass::kIncident}, now, now + 3600);
  EXPECT_EQ(two.required_approvals, 2);
  EXPECT_EQ(one.required_approvals, 1);
  ASSERT_TRUE(vault().ApproveGrant(Supervisor(), two.id).ok());
  ASSERT_TRUE(vault().ApproveGrant(Supervisor(), one.id).ok());
  ExpectRefused(vault().ReadCase(Legal("polisi1"), case_id), Code::kPermissionDenied, "one of two approvals");
  ExpectRefused(vault().ReadCase(Legal("polisi1"), case_id, {.fields = {"name"}}), Code::kPermissionDenied,
                "identity under one of two approvals");
  auto jaksa = vault().ReadCase(Legal("jaksa1"), case_id);
  ASSERT_TRUE(jaksa.ok()) << jaksa.status().ToString();
  EXPECT_EQ(jaksa->fields,
            Only({FieldClass::kIdentity, FieldClass::kIncident, FieldClass::kConsent}));
  ASSERT_TRUE(vault().ApproveGrant(Supervisor2(), two.id).ok());
  auto polisi = vault().ReadCase(Legal("polisi1"), case_id);
  ASSERT_TRUE(polisi.ok()) << polisi.status().ToString();
  EXPECT_EQ(polisi->fields,
            Only({FieldClass::kIdentity, FieldClass::kLegalEvidence, FieldClass::kConsent}));
}

TEST_F(VaultAccessTest, RevokedGrantStopsAccess) {
  const int64_t now = fx.NowSeconds();
  Grant g = RequestGrantFor("polisi1", {FieldClass::kIdentity, FieldClass::kIncident}, now, now + 86400);
  ASSERT_TRUE(vault().ApproveGrant(Supervisor(), g.id).ok());
  ASSERT_TRUE(vault().ReadCase(Legal(), case_id).ok());
  ExpectRefused(vault().RevokeGrant(Rina(), g.id), Code::kPermissionDenied, "case worker revokes");
  ExpectRefused(vault().RevokeGrant(Legal(), g.id), Code::kPermissionDenied, "grantee revokes");
  auto revoked = vault().RevokeGrant(Supervisor2(), g.id);
  ASSERT_TRUE(revoked.ok()) << revoked.status().ToString();
  EXPECT_TRUE(revoked->revoked);
  EXPECT_EQ(revoked->revoked_by, "tono");
  EXPECT_EQ(revoked->revoked_at, fx.NowSeconds());
  ExpectRefused(vault().ReadCase(Legal(), case_id), Code::kPermissionDenied, "after revocation");
  ExpectRefused(vault().RevokeGrant(Supervisor(), g.id), Code::kFailedPrecondition, "revoked twice");
  ExpectRefused(vault().ApproveGrant(Supervisor2(), g.id), Code::kFailedPrecondition, "approve revoked");
  EXPECT_TRUE(vault().ListCases(Legal(), false, std::nullopt, 100)->empty());
  auto revokes = Audit("tono", "grant.revoke", "allow");
  ASSERT_EQ(revokes.size(), 1u);
  EXPECT_EQ(revokes[0].grant_id, g.id);
}

TEST_F(VaultAccessTest, GrantListsShowEachPersonTheGrantsTheyHandle) {
  const int64_t now = fx.NowSeconds();
  Grant g = RequestGrantFor("polisi1", {FieldClass::kIncident}, now, now + 3600);
  auto ids = [](const Result<std::vector<Grant>>& r) {
    std::vector<std::string> out;
    if (r.ok()) {
      for (const Grant& x : *r) out.push_back(x.id);
    }
    return out;
  };
  const std::vector<std::string> just_g = {g.id};
  EXPECT_EQ(ids(vault().ListGrants(Rina(), case_id)), just_g);        // the owner, by case
  EXPECT_EQ(ids(vault().ListGrants(Rina(), "")), just_g);             // ... and as requester
  EXPECT_EQ(ids(vault().ListGrants(Supervisor(), case_id)), just_g);  // who approves
  EXPECT_EQ(ids(vault().ListGrants(Legal(), "")), just_g);            // the grantee's own
  EXPECT_EQ(ids(vault().ListGrants(Legal(), case_id)), just_g);
  EXPECT_TRUE(vault().ListGrants(Supervisor(), "")->empty());         // none of his own
  ExpectRefused(vault().ListGrants(Agus(), case_id), Code::kPermissionDenied, "another case worker");
  EXPECT_EQ(Audit("rina", "grant.list", "allow").size(), 1u);  // by case (Audit() filters on it)
  EXPECT_EQ(Audit("agus", "grant.list", "deny").size(), 1u);
}

TEST_F(VaultAccessTest, GrantRequestsAreCheckedAndOnlyTheOwnerRequests) {
  const int64_t now = fx.NowSeconds();
  GrantRequest req;
  req.case_id = case_id;
  req.grantee = "polisi1";
  req.classes = {FieldClass::kIdentity};
  req.not_before = now;
  req.expires_at = now + 3600;
  req.legal_basis = "court_order:No. 12/Pid.Sus-Anak/2026/PN Kpg";
  ExpectRefused(vault().RequestGrant(Agus(), req), Code::kPermissionDenied, "not the owner");
  ExpectRefused(vault().RequestGrant(Dewi(), req), Code::kPermissionDenied, "psychologist");
  ExpectRefused(vault().RequestGrant(Supervisor(), req), Code::kPermissionDenied, "supervisor");
  auto bad = [&](auto mutate, const std::string& what) {
    GrantRequest r = req;
    mutate(r);
    ExpectRefused(vault().RequestGrant(Rina(), r), Code::kInvalidArgument, what);
  };
  bad([](GrantRequest& r) { r.legal_basis = "because"; }, "no kind");
  bad([](GrantRequest& r) { r.legal_basis = "rumour:heard it"; }, "unknown kind");
  bad([](GrantRequest& r) { r.classes = {FieldClass::kAdministrative}; }, "class legal never reads");
  bad([](GrantRequest& r) { r.classes = {FieldClass::kServices}; }, "services");
  bad([](GrantRequest& r) { r.classes = {}; }, "no class");
  bad([](GrantRequest& r) { r.classes = {FieldClass::kIdentity, FieldClass::kIdentity}; }, "twice");
  bad([&](GrantRequest& r) { r.expires_at = r.not_before; }, "empty window");
  bad([&](GrantRequest& r) { r.expires_at = r.not_before + 91 * 86400; }, "longer than 90 days");
  bad([](GrantRequest& r) { r.grantee = "rina"; }, "grantee is the requester");
  bad([](GrantRequest& r) { r.grantee = "../x"; }, "malformed grantee");
  bad([](GrantRequest& r) { r.grantee_role = Role::kCaseWorker; }, "grantee role without grant scope");
  ASSERT_TRUE(vault().RequestGrant(Rina(), req).ok());
}

TEST_F(VaultAccessTest, BreakGlassUnmasksForAnHourAndIsFlagged) {
  ExpectRefused(vault().BreakGlass(Supervisor(), case_id, "darurat!!"), Code::kInvalidArgument,
                "reason of 9 bytes");
  ExpectRefused(vault().BreakGlass(Supervisor(), case_id, ""), Code::kInvalidArgument, "no reason");
  ExpectRefused(vault().BreakGlass(Rina(), case_id, "Anak hilang dari rumah aman"), Code::kPermissionDenied,
                "case worker");
  ExpectRefused(vault().BreakGlass(Auditor(), case_id, "Anak hilang dari rumah aman"),
                Code::kPermissionDenied, "auditor");
  auto bg = vault().BreakGlass(Supervisor(), case_id, "Anak hilang dari rumah aman; hubungi wali segera");
  ASSERT_TRUE(bg.ok()) << bg.status().ToString();
  EXPECT_TRUE(bg->break_glass);
  EXPECT_EQ(bg->grantee, "sri");
  EXPECT_EQ(bg->expires_at - bg->not_before, 60 * 60);
  auto opened = Audit("sri", "case.break_glass", "allow");
  ASSERT_EQ(opened.size(), 1u);
  EXPECT_TRUE(opened[0].flagged);
  EXPECT_EQ(opened[0].grant_id, bg->id);
  ExpectNoValuesIn(opened);  // the reason is not a field value, but no value either

  auto v = vault().ReadCase(Supervisor(), case_id);
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(v->fields, all);
  EXPECT_TRUE(v->masked.empty());
  auto reads = Audit("sri", "case.read", "allow");
  ASSERT_EQ(reads.size(), 1u);
  EXPECT_TRUE(reads[0].flagged);
  EXPECT_EQ(reads[0].grant_id, bg->id);
  // Another supervisor does not share sri's break-glass.
  auto other = vault().ReadCase(Supervisor2(), case_id);
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(other->fields.at("name"), "S. N. A.");

  fx.AdvanceSeconds(61 * 60);
  auto after = vault().ReadCase(Supervisor(), case_id);
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  EXPECT_EQ(after->fields.at("name"), "S. N. A.");
  EXPECT_FALSE(after->masked.empty());
  reads = Audit("sri", "case.read", "allow");
  ASSERT_EQ(reads.size(), 2u);
  EXPECT_FALSE(reads[1].flagged);
  EXPECT_TRUE(reads[1].grant_id.empty());
}

TEST_F(VaultAccessTest, AuditorAndAdminNeverReadValues) {
  for (const auto& rc : {Auditor(), Admin()}) {
    const std::string who = rc.principal.user;
    ExpectRefused(vault().ReadCase(rc, case_id), Code::kPermissionDenied, who + " reads");
    ExpectRefused(vault().ReadCase(rc, case_id, {.fields = {"registration_number", "consent_basis"}}),
                  Code::kPermissionDenied, who + " reads administrative and consent");
    ExpectRefused(vault().FieldHistory(rc, case_id, "registration_number"), Code::kPermissionDenied,
                  who + " history");
    ExpectRefused(vault().UpdateCase(rc, case_id, {{"status", "closed"}}, version), Code::kPermissionDenied,
                  who + " writes");
    auto found = vault().Search(rc, "nik", all.at("nik"));
    EXPECT_TRUE(!found.ok() || found->empty()) << who << " finds the case by NIK";
  }
  AuditFilter everything;
  everything.limit = kMaxAuditQueryLimit;
  // The auditor reads the case's trail, and no value is in it.
  AuditFilter of_case;
  of_case.case_id = case_id;
  of_case.limit = kMaxAuditQueryLimit;
  auto case_trail = vault().QueryAudit(Auditor(), of_case);
  ASSERT_TRUE(case_trail.ok()) << case_trail.status().ToString();
  std::set<std::string> actions;
  for (const auto& e : *case_trail) {
    EXPECT_EQ(e.case_id, case_id);
    actions.insert(e.action);
  }
  for (const char* a : {"case.create", "case.assign", "case.update", "case.read"}) {
    EXPECT_TRUE(actions.count(a)) << a;
  }
  EXPECT_GT(case_trail->size(), 8u);
  ExpectNoValuesIn(*case_trail);
  // The denied reads of auditor and admin are in the trail.
  EXPECT_FALSE(Audit("audit1", "case.read", "deny").empty());
  EXPECT_FALSE(Audit("admin", "case.read", "deny").empty());

  // The administrator does not read case audit trails.
  ExpectRefused(vault().QueryAudit(Admin(), everything), Code::kPermissionDenied, "admin, whole trail");
  ExpectRefused(vault().QueryAudit(Admin(), of_case), Code::kPermissionDenied, "admin, case trail");
  // The owner reads her case's trail; another worker does not; the supervisor does.
  EXPECT_TRUE(vault().QueryAudit(Rina(), of_case).ok());
  ExpectRefused(vault().QueryAudit(Rina(), everything), Code::kPermissionDenied, "owner, whole trail");
  ExpectRefused(vault().QueryAudit(Agus(), of_case), Code::kPermissionDenied, "other worker, case trail");
  ExpectRefused(vault().QueryAudit(Dewi(), of_case), Code::kPermissionDenied, "psychologist, case trail");
  EXPECT_TRUE(vault().QueryAudit(Supervisor(), of_case).ok());
  // Only an auditor verifies the chain.
  ExpectRefused(vault().VerifyAudit(Admin()), Code::kPermissionDenied, "admin verifies");
  auto verified = vault().VerifyAudit(Auditor());
  ASSERT_TRUE(verified.ok());
  EXPECT_TRUE(verified->intact) << verified->problem;
}

TEST_F(VaultAccessTest, ListCasesIsScopedAndPseudonymousForAuditors) {
  auto other = vault().CreateCase(Agus(), {{"name", "Budi Santoso"}});
  ASSERT_TRUE(other.ok());
  auto ids_of = [&](const RequestContext& rc) {
    auto l = vault().ListCases(rc, false, std::nullopt, 100);
    EXPECT_TRUE(l.ok()) << rc.principal.user << ": " << l.status().ToString();
    std::vector<std::string> ids;
    if (l.ok()) {
      for (const auto& s : *l) ids.push_back(s.case_id);
    }
    return Sorted(ids);
  };
  EXPECT_EQ(ids_of(Rina()), std::vector<std::string>{case_id});
  EXPECT_EQ(ids_of(Agus()), std::vector<std::string>{other->case_id});
  EXPECT_EQ(ids_of(Dewi()), std::vector<std::string>{case_id});
  EXPECT_EQ(ids_of(Yudi()), std::vector<std::string>{case_id});
  EXPECT_EQ(ids_of(Supervisor()), Sorted({case_id, other->case_id}));
  EXPECT_TRUE(ids_of(Intake()).empty());  // reassigned away from intake
  EXPECT_TRUE(ids_of(Admin()).empty());
  EXPECT_TRUE(ids_of(Legal()).empty());
  // Stage filter and assigned_to_me.
  auto mine = vault().ListCases(Supervisor(), true, std::nullopt, 100);
  ASSERT_TRUE(mine.ok());
  EXPECT_TRUE(mine->empty());
  auto assessing = vault().ListCases(Rina(), false, Stage::kAssessment, 100);
  ASSERT_TRUE(assessing.ok());
  EXPECT_TRUE(assessing->empty());

  auto audited = vault().ListCases(Auditor(), false, std::nullopt, 100);
  ASSERT_TRUE(audited.ok()) << audited.status().ToString();
  ASSERT_EQ(audited->size(), 2u);
  std::set<std::string> pseudonyms;
  for (const auto& s : *audited) {
    EXPECT_EQ(s.case_id.rfind("P-", 0), 0u) << s.case_id;
    EXPECT_NE(s.case_id, case_id);
    EXPECT_NE(s.case_id, other->case_id);
    EXPECT_EQ(s.case_id.find(case_id.substr(4)), std::string::npos);
    EXPECT_TRUE(s.owner.empty());
    EXPECT_TRUE(s.assigned.empty());
    pseudonyms.insert(s.case_id);
  }
  EXPECT_EQ(pseudonyms.size(), 2u);
  // Stable: the same case has the same pseudonym every time.
  auto again = vault().ListCases(Auditor(), false, std::nullopt, 100);
  ASSERT_TRUE(again.ok());
  std::set<std::string> pseudonyms_again;
  for (const auto& s : *again) pseudonyms_again.insert(s.case_id);
  EXPECT_EQ(pseudonyms, pseudonyms_again);
}

TEST_F(VaultAccessTest, StagesMoveOneStepWithSupervisorApprovalWhereNeeded) {
  auto stage_of = [&] { return vault().ReadCase(Rina(), case_id, {.fields = {"module"}})->summary.stage; };
  auto c = vault().ChangeStage(Rina(), case_id, Stage::kAssessment);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->stage, Stage::kAssessment);
  EXPECT_GT(c->version, version);
  // Leaving assessment needs a supervisor.
  ExpectRefused(vault().ChangeStage(Rina(), case_id, Stage::kPlanning), Code::kPermissionDenied,
                "rina leaves assessment");
  EXPECT_EQ(stage_of(), Stage::kAssessment);
  ExpectRefused(vault().ChangeStage(Dewi(), case_id, Stage::kPlanning), Code::kPermissionDenied,
                "psychologist moves stage");
  ASSERT_TRUE(vault().ChangeStage(Supervisor(), case_id, Stage::kPlanning).ok());
  // Two stages at once, or backwards: refused for everyone.
  ExpectRefused(vault().ChangeStage(Rina(), case_id, Stage::kMonitoring), Code::kInvalidArgument,
                "rina jumps two stages");
  ExpectRefused(vault().ChangeStage(Supervisor(), case_id, Stage::kMonitoring), Code::kInvalidArgument,
                "supervisor jumps two stages");
  ExpectRefused(vault().ChangeStage(Supervisor(), case_id, Stage::kAssessment), Code::kInvalidArgument,
                "backwards");
  ExpectRefused(vault().ChangeStage(Supervisor(), case_id, Stage::kPlanning), Code::kInvalidArgument,
                "to the same stage");
  // Leaving planning needs a supervisor too.
  ExpectRefused(vault().ChangeStage(Rina(), case_id, Stage::kImplementation), Code::kPermissionDenied,
                "rina leaves planning");
  ASSERT_TRUE(vault().ChangeStage(Supervisor(), case_id, Stage::kImplementation).ok());
  ASSERT_TRUE(vault().ChangeStage(Rina(), case_id, Stage::kMonitoring).ok());
  // Closing is a supervisor's.
  ExpectRefused(vault().ChangeStage(Rina(), case_id, Stage::kClosure), Code::kPermissionDenied, "rina closes");
  auto closed = vault().ChangeStage(Supervisor(), case_id, Stage::kClosure);
  ASSERT_TRUE(closed.ok()) << closed.status().ToString();
  EXPECT_TRUE(closed->closed);
  ExpectRefused(vault().UpdateCase(Rina(), case_id, {{"closure_reason", "completed"}}, closed->version),
                Code::kFailedPrecondition, "update of a closed case");
  // A closed case is still readable by its team.
  EXPECT_TRUE(vault().ReadCase(Rina(), case_id).ok());
  // Reopening: a supervisor's, to assessment or monitoring only.
  ExpectRefused(vault().ChangeStage(Rina(), case_id, Stage::kAssessment), Code::kPermissionDenied,
                "rina reopens");
  ExpectRefused(vault().ChangeStage(Supervisor(), case_id, Stage::kPlanning), Code::kInvalidArgument,
                "reopen to planning");
  auto reopened = vault().ChangeStage(Supervisor(), case_id, Stage::kAssessment);
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  EXPECT_FALSE(reopened->closed);
  EXPECT_EQ(reopened->stage, Stage::kAssessment);
  auto updated = vault().UpdateCase(Rina(), case_id, {{"status", "reopened"}}, reopened->version);
  ASSERT_TRUE(updated.ok()) << updated.status().ToString();

  // Each transition is in the trail.
  std::vector<std::string> details;
  for (const auto& e : Audit("", "case.stage", "allow")) details.push_back(e.detail);
  EXPECT_EQ(details, (std::vector<std::string>{"identification->assessment", "assessment->planning",
                                               "planning->implementation", "implementation->monitoring",
                                               "monitoring->closure", "closure->assessment"}));
  EXPECT_EQ(Audit("rina", "case.stage", "deny").size(), 4u);
}

TEST_F(VaultAccessTest, PrincipalsOfAnotherUnitGetNothing) {
  const int64_t now = fx.NowSeconds();
  Grant pending = RequestGrantFor("polisi1", {FieldClass::kIdentity}, now, now + 3600);
  ASSERT_FALSE(pending.id.empty());
  // The same user names, in unit SLM.
  const auto rina = OtherUnit("rina", Role::kCaseWorker);
  const auto sri = OtherUnit("sri", Role::kSupervisor);
  const auto dewi = OtherUnit("dewi", Role::kPsychologist);
  const auto ina = OtherUnit("ina", Role::kIntake);
  for (const auto& rc : {rina, sri, dewi, ina}) {
    const std::string who = rc.principal.user + "@SLM";
    ExpectRefused(vault().ReadCase(rc, case_id), Code::kPermissionDenied, who + " reads");
    ExpectRefused(vault().ReadCase(rc, case_id, {.fields = {}, .unmask = true}), Code::kPermissionDenied,
                  who + " unmasks");
    ExpectRefused(vault().FieldHistory(rc, case_id, "name"), Code::kPermissionDenied, who + " history");
    ExpectRefused(vault().UpdateCase(rc, case_id, {{"alias", "Ais"}}, version), Code::kPermissionDenied,
                  who + " writes");
    ExpectRefused(vault().ChangeStage(rc, case_id, Stage::kAssessment), Code::kPermissionDenied,
                  who + " moves the stage");
    ExpectRefused(vault().ChangeStage(rc, case_id, Stage::kClosure), Code::kPermissionDenied, who + " closes");
    ExpectRefused(vault().AssignCase(rc, case_id, {"agus"}, "agus"), Code::kPermissionDenied, who + " assigns");
    ExpectRefused(vault().BreakGlass(rc, case_id, "Anak hilang dari rumah aman"), Code::kPermissionDenied,
                  who + " breaks the glass");
    ExpectRefused(vault().ApproveGrant(rc, pending.id), Code::kPermissionDenied, who + " approves");
    ExpectRefused(vault().RevokeGrant(rc, pending.id), Code::kPermissionDenied, who + " revokes");
    ExpectRefused(vault().SetLegalHold(rc, case_id, true), Code::kPermissionDenied, who + " holds");
    ExpectRefused(vault().ShredCase(rc, case_id), Code::kPermissionDenied, who + " shreds");
    AuditFilter f;
    f.case_id = case_id;
    ExpectRefused(vault().QueryAudit(rc, f), Code::kPermissionDenied, who + " reads the trail");
    auto listed = vault().ListCases(rc, false, std::nullopt, 100);
    EXPECT_TRUE(!listed.ok() || listed->empty()) << who << " lists";
    auto found = vault().Search(rc, "nik", all.at("nik"));
    EXPECT_TRUE(!found.ok() || found->empty()) << who << " finds the case by NIK";
  }
  GrantRequest req;
  req.case_id = case_id;
  req.grantee = "polisi1";
  req.classes = {FieldClass::kIdentity};
  req.not_before = now;
  req.expires_at = now + 3600;
  req.legal_basis = "request_letter:B/45/III/2026";
  ExpectRefused(vault().RequestGrant(rina, req), Code::kPermissionDenied, "rina@SLM requests a grant");
  ExpectRefused(vault().CreateCase(ina, IntakeFields()), Code::kPermissionDenied, "ina@SLM creates");
  // Nothing changed, and the grant is still unapproved.
  auto v = vault().ReadCase(Rina(), case_id);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->summary.version, version);
  EXPECT_EQ(v->fields, all);
  ExpectRefused(vault().ReadCase(Legal(), case_id), Code::kPermissionDenied, "grant still unapproved");
}

TEST_F(VaultAccessTest, AuditorQueriesTheWholeTrail) {
  AuditFilter everything;
  everything.limit = kMaxAuditQueryLimit;
  auto trail = vault().QueryAudit(Auditor(), everything);
  ASSERT_TRUE(trail.ok()) << trail.status().ToString();
  // node.init, sys.unseal, case.create, case.assign and the three writes.
  ASSERT_EQ(trail->size(), 7u);
  EXPECT_EQ(trail->front().action, "node.init");
  ExpectNoValuesIn(*trail);
  // The query itself is audited.
  auto again = vault().QueryAudit(Auditor(), everything);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->back().action, "audit.query");
  EXPECT_EQ(again->back().actor, "audit1");
}

}  // namespace
}  // namespace brankas
