// Retention per field class (data minimisation): Vault::ShredClasses and the
// class-level items of Vault::ReviewRetention.
#include <gtest/gtest.h>

#include <algorithm>

#include "brankas/audit.h"
#include "brankas/evidence_bundle.h"
#include "engine/vault_test_util.h"
#include "keys/key_format.h"

namespace brankas {
namespace {

using testing::VaultFixture;

constexpr int64_t kYear = 31'557'600;

class ClassShredTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fx.Init();
    Reopen();
  }

  // Opens the vault again with five years for medical and psychological data.
  void Reopen() {
    fx.vault_ptr().reset();
    VaultOptions o = fx.Options();
    o.retention.years_by_field_class = {{FieldClass::kMedical, 5}, {FieldClass::kPsychological, 5}};
    auto v = Vault::Open(std::move(o));
    ASSERT_TRUE(v.ok()) << v.status().ToString();
    fx.vault_ptr() = std::move(*v);
    ASSERT_TRUE(vault().UnsealWithPassphrase(fx.Ctx("admin", Role::kAdmin), testing::kTestPassphrase).ok());
  }

  Vault& vault() { return fx.vault(); }
  RequestContext Rina() { return fx.Ctx("rina", Role::kCaseWorker); }
  RequestContext Supervisor() { return fx.Ctx("sri", Role::kSupervisor); }
  RequestContext Psychologist() { return fx.Ctx("psi", Role::kPsychologist); }
  RequestContext Doctor() { return fx.Ctx("dok", Role::kMedical); }

  // A case by Rina, with notes by the psychologist and the doctor assigned to it.
  std::string Create(FieldValues extra = {}) {
    FieldValues fields = {{"module", "perempuan"},
                          {"retention_class", "standard"},
                          {"name", "Siti Nur Aisyah"},
                          {"nik", "5371014507120003"},
                          {"narrative", "kronologi sintetis"}};
    for (auto& [k, v] : extra) fields[k] = v;
    auto c = vault().CreateCase(Rina(), fields, {"psi", "dok"});
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    if (!c.ok()) return "";
    auto u = vault().UpdateCase(Psychologist(), c->case_id,
                                {{"risk_level", "high"}, {"counselling_notes", "catatan konseling sintetis"}},
                                c->version);
    EXPECT_TRUE(u.ok()) << u.status().ToString();
    if (!u.ok()) return "";
    u = vault().UpdateCase(Doctor(), c->case_id, {{"visum_number", "VER/123/2026"}}, u->version);
    EXPECT_TRUE(u.ok()) << u.status().ToString();
    return c->case_id;
  }

  void Close(const std::string& id) {
    for (Stage s : {Stage::kAssessment, Stage::kPlanning, Stage::kImplementation, Stage::kMonitoring, Stage::kClosure}) {
      auto moved =
          vault().ChangeStage(s == Stage::kAssessment || s == Stage::kMonitoring ? Rina() : Supervisor(), id, s);
      ASSERT_TRUE(moved.ok()) << moved.status().ToString();
    }
  }

  // The class receipts stored for a case ("dc/" case_id "/" be64(version)).
  std::vector<std::string> ClassReceipts(const std::string& id) {
    std::vector<std::string> out;
    EXPECT_TRUE(vault()
                    .store()
                    .Scan(Column::kRecords, "dc/" + id + "/", {},
                          [&](std::string_view, std::string_view v) {
                            out.emplace_back(v);
                            return true;
                          })
                    .ok());
    return out;
  }

  // Which classes still hold a wrapped data key in the case's key record.
  std::vector<bool> WrappedKeys(const std::string& id) {
    auto stored = vault().store().Get(Column::kKeys, keys_internal::DataKeyKey(id));
    EXPECT_TRUE(stored.ok() && stored->has_value());
    std::vector<bool> out(kFieldClassCount, false);
    if (!stored.ok() || !stored->has_value()) return out;
    auto record = keys_internal::DecodeCaseKeysRecord(**stored);
    EXPECT_TRUE(record.ok());
    for (size_t c = 0; record.ok() && c < out.size(); ++c) out[c] = (*record)[c].kek_version != 0;
    return out;
  }

  std::vector<AuditEntry> Audit(const std::string& id, const std::string& action) {
    AuditFilter f;
    f.case_id = id;
    f.action = action;
    f.limit = kMaxAuditQueryLimit;
    auto r = QueryAudit(vault().store(), f);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : std::vector<AuditEntry>{};
  }

  VaultFixture fx;
};

TEST_F(ClassShredTest, ClassesPastTheirPeriodAreShreddedAndTheRestOfTheCaseStaysReadable) {
  const std::string id = Create();
  Close(id);
  fx.AdvanceSeconds(4 * kYear);
  auto review = vault().ReviewRetention(Supervisor(), false);
  ASSERT_TRUE(review.ok()) << review.status().ToString();
  EXPECT_TRUE(review->empty()) << "four years: nothing due";

  fx.AdvanceSeconds(2 * kYear);  // six years: medical and psychological due, the case (10) not
  review = vault().ReviewRetention(Supervisor(), false);
  ASSERT_TRUE(review.ok());
  ASSERT_EQ(review->size(), 1u);
  EXPECT_EQ(review->front().case_id, id);
  EXPECT_EQ(review->front().classes, (std::vector<std::string>{"medical", "psychological"}));
  EXPECT_FALSE(review->front().legal_hold);
  EXPECT_LE(review->front().due_at, fx.NowSeconds());
  EXPECT_FALSE(review->front().shredded);
  ASSERT_TRUE(vault().ReadCase(Rina(), id)->fields.count("risk_level")) << "a review alone shreds nothing";

  auto run = vault().ReviewRetention(Supervisor(), true);
  ASSERT_TRUE(run.ok());
  ASSERT_EQ(run->size(), 1u);
  EXPECT_TRUE(run->front().shredded) << run->front().problem;
  EXPECT_FALSE(run->front().receipt_sha256.empty());

  auto view = vault().ReadCase(Rina(), id);
  ASSERT_TRUE(view.ok()) << view.status().ToString();
  EXPECT_EQ(view->fields.at("name"), "Siti Nur Aisyah");
  EXPECT_EQ(view->fields.at("narrative"), "kronologi sintetis");
  for (const char* gone : {"risk_level", "counselling_notes", "visum_number"}) EXPECT_FALSE(view->fields.count(gone));
  EXPECT_EQ(view->summary.shredded_classes, (std::vector<std::string>{"medical", "psychological"}));
  auto asked = vault().ReadCase(Rina(), id, {.fields = {"risk_level", "name"}});
  ASSERT_TRUE(asked.ok());
  EXPECT_FALSE(asked->fields.count("risk_level"));
  EXPECT_EQ(vault().FieldHistory(Rina(), id, "risk_level").status().code(), Code::kNotFound);
  EXPECT_EQ(vault().FieldHistory(Rina(), id, "visum_number").status().code(), Code::kNotFound);
  EXPECT_TRUE(vault().FieldHistory(Rina(), id, "narrative").ok());
  auto found = vault().Search(Rina(), "nik", "5371014507120003");
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(*found, std::vector<std::string>{id}) << "identity is kept";

  // The key record holds no wrapped key of the shredded classes, the others stay.
  std::vector<bool> wrapped = WrappedKeys(id);
  EXPECT_FALSE(wrapped[static_cast<size_t>(FieldClass::kMedical)]);
  EXPECT_FALSE(wrapped[static_cast<size_t>(FieldClass::kPsychological)]);
  EXPECT_TRUE(wrapped[static_cast<size_t>(FieldClass::kIdentity)]);
  EXPECT_TRUE(wrapped[static_cast<size_t>(FieldClass::kAdministrative)]);

  // The receipt: stored, signed, named in the audit trail, and a changed byte fails it.
  auto receipts = ClassReceipts(id);
  ASSERT_EQ(receipts.size(), 1u);
  auto report = VerifyDestructionReceipt(receipts[0], vault().node_public_key());
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->valid) << report->problem;
  EXPECT_TRUE(report->key_pinned);
  EXPECT_EQ(report->case_id, id);
  EXPECT_EQ(report->classes, (std::vector<std::string>{"medical", "psychological"}));
  auto parsed = nlohmann::json::parse(receipts[0]);
  EXPECT_EQ(parsed["receipt"]["format"], kClassDestructionReceiptFormat);
  EXPECT_EQ(parsed["receipt"]["reason"], "retention:field_classes");
  EXPECT_EQ(parsed["receipt"]["destroyed"]["fields"], 3);
  for (size_t i = 0; i < receipts[0].size(); i += 7) {
    std::string changed = receipts[0];
    changed[i] = static_cast<char>(changed[i] ^ 0x01);
    auto bad = VerifyDestructionReceipt(changed, vault().node_public_key());
    ASSERT_TRUE(bad.ok());
    EXPECT_FALSE(bad->valid) << "byte " << i;
  }
  auto audit = Audit(id, "case.shred_classes");
  ASSERT_EQ(audit.size(), 1u);
  EXPECT_TRUE(audit[0].flagged);
  EXPECT_NE(audit[0].detail.find("classes=medical,psychological"), std::string::npos);
  EXPECT_NE(audit[0].detail.find(run->front().receipt_sha256), std::string::npos);
  EXPECT_EQ(audit[0].detail.find("Siti"), std::string::npos);

  // Nothing more is due by class; after a restart the classes stay gone.
  review = vault().ReviewRetention(Supervisor(), false);
  ASSERT_TRUE(review.ok());
  EXPECT_TRUE(review->empty());
  Reopen();
  view = vault().ReadCase(Rina(), id);
  ASSERT_TRUE(view.ok());
  EXPECT_FALSE(view->fields.count("risk_level"));
  EXPECT_EQ(view->fields.at("name"), "Siti Nur Aisyah");
  EXPECT_EQ(view->summary.shredded_classes.size(), 2u);

  // The whole case later: still shredded by its own period, with its own receipt.
  fx.AdvanceSeconds(5 * kYear);
  run = vault().ReviewRetention(Supervisor(), true);
  ASSERT_TRUE(run.ok());
  ASSERT_EQ(run->size(), 1u);
  EXPECT_TRUE(run->front().classes.empty());
  EXPECT_TRUE(run->front().shredded) << run->front().problem;
  EXPECT_EQ(vault().ReadCase(Rina(), id).status().code(), Code::kNotFound);
  auto whole = vault().DestructionReceipt(Supervisor(), id);
  ASSERT_TRUE(whole.ok());
  auto whole_report = VerifyDestructionReceipt(*whole, vault().node_public_key());
  ASSERT_TRUE(whole_report.ok());
  EXPECT_TRUE(whole_report->valid) << whole_report->problem;
  EXPECT_TRUE(whole_report->classes.empty());
  EXPECT_EQ(ClassReceipts(id).size(), 1u) << "the class receipt stays as evidence";
}

TEST_F(ClassShredTest, LegalHoldBlocksClassShredding) {
  const std::string id = Create();
  Close(id);
  ASSERT_TRUE(vault().SetLegalHold(Supervisor(), id, true).ok());
  fx.AdvanceSeconds(6 * kYear);
  auto run = vault().ReviewRetention(Supervisor(), true);
  ASSERT_TRUE(run.ok());
  ASSERT_EQ(run->size(), 1u);
  EXPECT_TRUE(run->front().legal_hold);
  EXPECT_FALSE(run->front().shredded);
  EXPECT_EQ(run->front().classes, (std::vector<std::string>{"medical", "psychological"}));
  EXPECT_EQ(vault().ShredClasses(Supervisor(), id, {FieldClass::kMedical}, "lawful_request").code(),
            Code::kFailedPrecondition);
  auto view = vault().ReadCase(Rina(), id);
  ASSERT_TRUE(view.ok());
  EXPECT_EQ(view->fields.at("risk_level"), "high");
  EXPECT_TRUE(view->summary.shredded_classes.empty());
  EXPECT_TRUE(ClassReceipts(id).empty());
  EXPECT_TRUE(WrappedKeys(id)[static_cast<size_t>(FieldClass::kMedical)]);
}

TEST_F(ClassShredTest, ALawfulRequestShredsAClassOfAnOpenCaseAndItsWritesAreRefused) {
  const std::string id = Create();
  EXPECT_EQ(vault().ShredClasses(Rina(), id, {FieldClass::kIdentity}, "data_subject_request").code(),
            Code::kPermissionDenied);
  EXPECT_EQ(vault().ShredClasses(Supervisor(), id, {FieldClass::kAdministrative}).code(), Code::kInvalidArgument);
  EXPECT_EQ(vault().ShredClasses(Supervisor(), id, {}).code(), Code::kInvalidArgument);
  EXPECT_EQ(vault().ShredClasses(Supervisor(), id, {FieldClass::kIdentity}, "because").code(),
            Code::kInvalidArgument);
  std::string receipt;
  ASSERT_TRUE(vault().ShredClasses(Supervisor(), id, {FieldClass::kIdentity}, "data_subject_request:REQ-9", &receipt)
                  .ok());
  EXPECT_EQ(vault().ShredClasses(Supervisor(), id, {FieldClass::kIdentity, FieldClass::kMedical}).code(),
            Code::kFailedPrecondition);

  auto found = vault().Search(Rina(), "nik", "5371014507120003");
  ASSERT_TRUE(found.ok());
  EXPECT_TRUE(found->empty()) << "the identity's index entries went with it";
  auto view = vault().ReadCase(Rina(), id);
  ASSERT_TRUE(view.ok());
  EXPECT_FALSE(view->fields.count("name"));
  EXPECT_EQ(view->fields.at("risk_level"), "high");
  auto updated = vault().UpdateCase(Rina(), id, {{"name", "Nama Baru"}}, view->summary.version);
  EXPECT_EQ(updated.status().code(), Code::kFailedPrecondition);
  updated = vault().UpdateCase(Psychologist(), id, {{"risk_level", "medium"}}, view->summary.version);
  ASSERT_TRUE(updated.ok()) << updated.status().ToString();
  EXPECT_EQ(vault().ReadCase(Rina(), id)->fields.at("risk_level"), "medium");
  auto report = VerifyDestructionReceipt(receipt, vault().node_public_key());
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->valid) << report->problem;
  EXPECT_EQ(report->classes, std::vector<std::string>{"identity"});
}

TEST_F(ClassShredTest, ShreddingLegalEvidenceMakesTheAttachmentsUnreadable) {
  const std::string id = Create({{"police_report_number", "LP/B/77/2026"}});
  auto up = vault().BeginEvidence(Rina(), id, "foto.jpg", "image/jpeg");
  ASSERT_TRUE(up.ok()) << up.status().ToString();
  ASSERT_TRUE((*up)->Append(std::string(300'000, 'x')).ok());
  auto info = (*up)->Finish();
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  ASSERT_TRUE(vault().OpenEvidence(Rina(), id, info->evidence_id).ok());

  std::string receipt;
  ASSERT_TRUE(vault().ShredClasses(Supervisor(), id, {FieldClass::kLegalEvidence}, "court_order:PN-1", &receipt).ok());
  EXPECT_EQ(vault().OpenEvidence(Rina(), id, info->evidence_id).status().code(), Code::kNotFound);
  EXPECT_EQ(vault().ListEvidence(Rina(), id).status().code(), Code::kNotFound);
  EXPECT_EQ(vault().BeginEvidence(Rina(), id, "lagi.jpg", "image/jpeg").status().code(), Code::kNotFound);
  EXPECT_FALSE(vault().ReadCase(Rina(), id)->fields.count("police_report_number"));
  auto parsed = nlohmann::json::parse(receipt);
  EXPECT_EQ(parsed["receipt"]["destroyed"]["attachments"], 1);
  EXPECT_GE(parsed["receipt"]["destroyed"]["attachment_chunks"], 1);
  EXPECT_FALSE(WrappedKeys(id)[static_cast<size_t>(FieldClass::kLegalEvidence)]);
}

}  // namespace
}  // namespace brankas
