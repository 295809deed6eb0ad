// Referral between two units' vaults, the relay taken out (the central node's
// part is in replication/replication_test.cc): what the receiving unit may
// read, under its own policy; signatures and pins; revocation and expiry;
// the audit trail on both sides, without values.
#include <gtest/gtest.h>

#include "brankas/referral.h"
#include "engine/vault_test_util.h"

namespace brankas {
namespace {

using testing::VaultFixture;

const FieldValues kCase = {
    {"name", "Sari Wulandari Sintetis"},   {"nik", "3374015507120003"},
    {"sex", "female"},                     {"age_years", "12"},
    {"narrative", "[DATA SINTETIS] kejadian rujukan uji"},
    {"incident_place", "household"},       {"violence_types", "physical,psychological"},
};

class ReferralTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(InitCrypto().ok());
    kpg.Init();
    slm.Init();
    kpg.OpenUnsealed();
    slm.OpenUnsealed();
    kpg.referral_peers["SLM"] = slm.vault().node_public_key();
    slm.referral_peers["KPG"] = kpg.vault().node_public_key();
    kpg.OpenUnsealed();
    slm.OpenUnsealed();
    auto c = kpg.vault().CreateCase(Citra(), kCase, {});
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    case_id = c->case_id;
  }

  RequestContext Citra() { return kpg.Ctx("citra", Role::kCaseWorker); }
  RequestContext Budi() { return slm.Ctx("budi", Role::kSupervisor); }
  RequestContext Dewi() { return slm.Ctx("dewi", Role::kCaseWorker); }

  // What the central node would relay: the sending unit's record, as stored.
  ReferralDelivery Relay(const std::string& id) {
    auto bytes = kpg.vault().store().Get(Column::kRecords, std::string(kOutgoingReferralPrefix) + "SLM/" + id);
    EXPECT_TRUE(bytes.ok() && bytes->has_value());
    return ReferralDelivery{"KPG", id, bytes.ok() && *bytes ? **bytes : ""};
  }

  std::vector<AuditEntry> Audit(VaultFixture& fx, const std::string& action) {
    AuditFilter f;
    f.action = action;
    f.limit = kMaxAuditQueryLimit;
    auto r = fx.vault().QueryAudit(fx.Ctx("audit", Role::kAuditor), f);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : std::vector<AuditEntry>{};
  }

  VaultFixture kpg{"KPG"}, slm{"SLM"};
  std::string case_id;
};

TEST_F(ReferralTest, TheReceivingUnitReadsTheSharedClassesUnderItsOwnPolicy) {
  auto ref = kpg.vault().CreateReferral(Citra(), {case_id, "SLM", {FieldClass::kIdentity, FieldClass::kIncident}, 0});
  ASSERT_TRUE(ref.ok()) << ref.status().ToString();
  EXPECT_EQ(ref->fields, 7u);  // name, nik, sex, age_years, narrative, incident_place, violence_types
  ASSERT_TRUE(slm.vault().ReceiveReferrals({Relay(ref->referral_id)}).ok());

  // The supervisor sees it, identity masked as SLM's policy says.
  auto list = slm.vault().ListReferrals(Budi());
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  ASSERT_EQ(list->size(), 1u);
  EXPECT_TRUE((*list)[0].incoming);
  EXPECT_EQ((*list)[0].case_id, case_id);
  auto sup = slm.vault().ReadReferral(Budi(), ref->referral_id);
  ASSERT_TRUE(sup.ok()) << sup.status().ToString();
  EXPECT_EQ(sup->fields.at("narrative"), kCase.at("narrative"));
  EXPECT_NE(sup->fields.at("name"), kCase.at("name"));  // masked

  // A worker of SLM reads nothing until a supervisor of SLM assigns them.
  EXPECT_EQ(slm.vault().ReadReferral(Dewi(), ref->referral_id).status().code(), Code::kPermissionDenied);
  EXPECT_EQ(slm.vault().AssignReferral(Dewi(), ref->referral_id, {"dewi"}).status().code(),
            Code::kPermissionDenied);
  ASSERT_TRUE(slm.vault().AssignReferral(Budi(), ref->referral_id, {"dewi"}).ok());
  auto worker = slm.vault().ReadReferral(Dewi(), ref->referral_id);
  ASSERT_TRUE(worker.ok()) << worker.status().ToString();
  EXPECT_EQ(worker->fields.at("name"), kCase.at("name"));
  EXPECT_EQ(worker->fields.at("nik"), kCase.at("nik"));
  EXPECT_EQ(worker->summary.unit, "KPG");

  // Nobody on the sending side reads through the referral; the case stays theirs.
  EXPECT_EQ(kpg.vault().ReadReferral(Citra(), ref->referral_id).status().code(), Code::kFailedPrecondition);

  // Audited on both sides, never with a value.
  EXPECT_EQ(Audit(kpg, "referral.create").size(), 1u);
  EXPECT_EQ(Audit(slm, "referral.receive").size(), 1u);
  EXPECT_EQ(Audit(slm, "referral.assign").size(), 2u);  // dewi refused, budi
  EXPECT_GE(Audit(slm, "referral.read").size(), 3u);  // budi, dewi refused, dewi
  for (auto* fx : {&kpg, &slm}) {
    for (const char* action : {"referral.create", "referral.receive", "referral.read", "referral.assign"}) {
      for (const AuditEntry& e : Audit(*fx, action)) {
        if (e.decision == "allow") {
          EXPECT_EQ(e.grant_id, ref->referral_id) << action;
        }
        std::string all = e.detail + e.rule + e.case_id;
        for (const auto& f : e.fields) all += f;
        for (const auto& [name, value] : kCase) EXPECT_EQ(all.find(value), std::string::npos) << action;
      }
    }
  }
}

TEST_F(ReferralTest, OnlyTheOwnerRefersAndOnlyWhatTheyMayReadToAPinnedPeer) {
  // Another unit's worker, an unassigned worker, an unpinned unit, a class the
  // owner cannot read in full: each refused and audited, nothing stored.
  EXPECT_EQ(kpg.vault().CreateReferral(kpg.Ctx("agus", Role::kCaseWorker),
                                       {case_id, "SLM", {FieldClass::kIncident}, 0}).status().code(),
            Code::kPermissionDenied);
  EXPECT_EQ(kpg.vault().CreateReferral(Citra(), {case_id, "XYZ", {FieldClass::kIncident}, 0}).status().code(),
            Code::kInvalidArgument);
  EXPECT_EQ(kpg.vault().CreateReferral(Citra(), {case_id, "KPG", {FieldClass::kIncident}, 0}).status().code(),
            Code::kInvalidArgument);
  EXPECT_EQ(kpg.vault().CreateReferral(Citra(), {case_id, "SLM", {}, 0}).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(kpg.vault().CreateReferral(Citra(), {case_id, "SLM", {FieldClass::kIncident}, kpg.NowSeconds() - 1})
                .status().code(),
            Code::kInvalidArgument);
  EXPECT_EQ(Audit(kpg, "referral.create").size(), 5u);
  for (const AuditEntry& e : Audit(kpg, "referral.create")) EXPECT_NE(e.decision, "allow");
  auto list = kpg.vault().ListReferrals(Citra());
  ASSERT_TRUE(list.ok());
  EXPECT_TRUE(list->empty());
}

TEST_F(ReferralTest, ForgedAlteredOrUnpinnedPackagesAreRefusedAndAudited) {
  auto ref = kpg.vault().CreateReferral(Citra(), {case_id, "SLM", {FieldClass::kIncident}, 0});
  ASSERT_TRUE(ref.ok()) << ref.status().ToString();
  ReferralDelivery good = Relay(ref->referral_id);
  std::vector<ReferralDelivery> bad;
  for (size_t at : {good.record.size() / 2, good.record.size() - 3}) {  // a value byte, a signature byte
    ReferralDelivery d = good;
    d.record[at] = static_cast<char>(d.record[at] ^ 0x20);
    bad.push_back(d);
  }
  ReferralDelivery wrong_sender = good;
  wrong_sender.from_unit = "XYZ";
  bad.push_back(wrong_sender);
  bad.push_back(ReferralDelivery{"KPG", ref->referral_id, "garbage"});
  ASSERT_TRUE(slm.vault().ReceiveReferrals(bad).ok());
  auto denied = Audit(slm, "referral.receive");
  ASSERT_EQ(denied.size(), 4u);
  for (const AuditEntry& e : denied) {
    EXPECT_EQ(e.decision, "deny");
    EXPECT_TRUE(e.flagged);
  }
  EXPECT_EQ(slm.vault().ReadReferral(Budi(), ref->referral_id).status().code(), Code::kNotFound);

  // A unit that does not pin KPG believes nothing from it.
  slm.referral_peers.clear();
  slm.OpenUnsealed();
  ASSERT_TRUE(slm.vault().ReceiveReferrals({good}).ok());
  EXPECT_EQ(slm.vault().ReadReferral(Budi(), ref->referral_id).status().code(), Code::kNotFound);
}

TEST_F(ReferralTest, RevocationAndExpiryEndTheReceivingUnitsAccess) {
  auto ref = kpg.vault().CreateReferral(Citra(), {case_id, "SLM", {FieldClass::kIncident}, 0});
  ASSERT_TRUE(ref.ok()) << ref.status().ToString();
  ASSERT_TRUE(slm.vault().ReceiveReferrals({Relay(ref->referral_id)}).ok());
  ASSERT_TRUE(slm.vault().ReadReferral(Budi(), ref->referral_id).ok());
  const ReferralDelivery before = Relay(ref->referral_id);

  EXPECT_EQ(kpg.vault().RevokeReferral(kpg.Ctx("agus", Role::kCaseWorker), ref->referral_id).status().code(),
            Code::kPermissionDenied);
  auto revoked = kpg.vault().RevokeReferral(Citra(), ref->referral_id);
  ASSERT_TRUE(revoked.ok()) << revoked.status().ToString();
  EXPECT_TRUE(revoked->revoked);
  // Until its next contact SLM still reads; then nothing, and a replay of the
  // old package does not bring it back.
  ASSERT_TRUE(slm.vault().ReadReferral(Budi(), ref->referral_id).ok());
  ASSERT_TRUE(slm.vault().ReceiveReferrals({Relay(ref->referral_id)}).ok());
  EXPECT_EQ(slm.vault().ReadReferral(Budi(), ref->referral_id).status().code(), Code::kPermissionDenied);
  ASSERT_TRUE(slm.vault().ReceiveReferrals({before}).ok());
  EXPECT_EQ(slm.vault().ReadReferral(Budi(), ref->referral_id).status().code(), Code::kPermissionDenied);
  EXPECT_EQ(Audit(slm, "referral.revoked").size(), 1u);
  EXPECT_EQ(Audit(kpg, "referral.revoke").size(), 2u);  // agus refused, citra

  // Expiry: readable inside the window, not after it.
  auto timed = kpg.vault().CreateReferral(Citra(), {case_id, "SLM", {FieldClass::kIncident}, kpg.NowSeconds() + 3600});
  ASSERT_TRUE(timed.ok()) << timed.status().ToString();
  ASSERT_TRUE(slm.vault().ReceiveReferrals({Relay(timed->referral_id)}).ok());
  ASSERT_TRUE(slm.vault().ReadReferral(Budi(), timed->referral_id).ok());
  slm.AdvanceSeconds(3601);
  EXPECT_EQ(slm.vault().ReadReferral(Budi(), timed->referral_id).status().code(), Code::kPermissionDenied);
}

TEST_F(ReferralTest, ShreddingASharedClassOrTheCaseRevokesItsReferrals) {
  // Erasure must reach the unit holding copies of the keys.
  auto incident = kpg.vault().CreateReferral(Citra(), {case_id, "SLM", {FieldClass::kIncident}, 0});
  auto identity = kpg.vault().CreateReferral(Citra(), {case_id, "SLM", {FieldClass::kIdentity}, 0});
  ASSERT_TRUE(incident.ok() && identity.ok());
  auto relay_both = [&] {
    ASSERT_TRUE(slm.vault().ReceiveReferrals({Relay(incident->referral_id), Relay(identity->referral_id)}).ok());
  };
  relay_both();
  ASSERT_TRUE(slm.vault().ReadReferral(Budi(), incident->referral_id).ok());
  ASSERT_TRUE(slm.vault().ReadReferral(Budi(), identity->referral_id).ok());

  const RequestContext sri = kpg.Ctx("sri", Role::kSupervisor);
  std::string receipt;
  ASSERT_TRUE(kpg.vault().ShredClasses(sri, case_id, {FieldClass::kIncident}, "data_subject_request", &receipt).ok());
  relay_both();
  EXPECT_EQ(slm.vault().ReadReferral(Budi(), incident->referral_id).status().code(), Code::kPermissionDenied);
  EXPECT_TRUE(slm.vault().ReadReferral(Budi(), identity->referral_id).ok());

  ASSERT_TRUE(kpg.vault().ShredCase(sri, case_id, "lawful_request", &receipt).ok());
  relay_both();
  EXPECT_EQ(slm.vault().ReadReferral(Budi(), identity->referral_id).status().code(), Code::kPermissionDenied);
  auto shreds = Audit(kpg, "case.shred");
  ASSERT_EQ(shreds.size(), 1u);
  EXPECT_NE(shreds[0].detail.find("referrals_revoked=1"), std::string::npos) << shreds[0].detail;
  EXPECT_EQ(Audit(slm, "referral.revoked").size(), 2u);
}

}  // namespace
}  // namespace brankas
