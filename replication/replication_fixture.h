// The common ground of the replication tests: a unit vault "KPG", TLS
// identities for a central node, the unit and a stranger, an in-process
// central node on 127.0.0.1:0, shipper options with short deadlines, and
// synthetic cases registered by intake.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "brankas/synth.h"
#include "engine/vault_test_util.h"
#include "replication/central.h"
#include "replication/shipper.h"
#include "replication/wire.h"
#include "testing/temp_dir.h"
#include "testing/tls_identity.h"
#include "testing/wait_for.h"

namespace brankas::testing {

class ReplicationFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(InitCrypto().ok());
    central_id_ = MakeIdentity(dir_, "central");
    unit_id_ = MakeIdentity(dir_, "unit");
    stranger_id_ = MakeIdentity(dir_, "stranger");
    unit_.Init();
    unit_.OpenUnsealed();
  }

  CentralOptions CentralOpts() {
    CentralOptions o;
    o.listen_port = 0;
    o.tls_cert = central_id_.cert;
    o.tls_key = central_id_.key;
    o.signing_key_file = dir_.Sub("central-signing.key");
    o.handshake_timeout_ms = 2000;
    o.io_timeout_ms = 5000;
    o.units.push_back({"KPG", unit_id_.pin, ""});
    return o;
  }

  void StartCentral() {
    auto c = repl::CentralNode::Start(dir_.Sub("central"), CentralOpts());
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    central_ = std::move(*c);
    central_port_ = central_->port();
  }

  ShipperOptions ShipperOpts(const Identity& id) {
    ShipperOptions o;
    o.central = "127.0.0.1:" + std::to_string(central_port_);
    o.central_pin = central_id_.pin;
    o.tls_cert = id.cert;
    o.tls_key = id.key;
    o.backoff_min_ms = 20;
    o.backoff_max_ms = 200;
    o.connect_timeout_ms = 2000;
    o.io_timeout_ms = 5000;
    o.batch_max_wait_ms = 5;
    return o;
  }

  std::vector<std::string> CreateCases(int n, std::vector<std::string>* values = nullptr) {
    SyntheticGenerator gen(static_cast<uint64_t>(n) * 7919 + cases_made_);
    std::vector<std::string> ids;
    for (int i = 0; i < n; ++i) {
      // Only the fields intake may write (policy.toml), as intake registers a case.
      const RequestContext intake = unit_.Ctx("ina", Role::kIntake);
      const CaseContext own{"", "KPG", "ina", {}};
      FieldValues fields;
      for (auto& [name, value] : gen.NewCase()) {
        const FieldDef* def = unit_.vault().schema().Find(name);
        if (def == nullptr || !unit_.vault().policy().Decide(intake.principal, Action::kWrite, def->cls, own, {}, 0).allowed) {
          continue;
        }
        // Identifying values (names, NIK, addresses, narratives), not enum words
        // that also name things such as field classes.
        if (values != nullptr && value.size() >= 12 && value.find_first_of(" 0123456789") != std::string::npos) {
          values->push_back(value);
        }
        fields.emplace(name, std::move(value));
      }
      auto r = unit_.vault().CreateCase(intake, fields, {"citra"});
      EXPECT_TRUE(r.ok()) << r.status().ToString();
      if (r.ok()) ids.push_back(r->case_id);
    }
    cases_made_ += n;
    return ids;
  }

  bool CaughtUp(repl::Shipper& s) {
    auto st = s.status();
    return st.acked_seq == unit_.vault().changelog_head().seq && st.acked_seq > 0;
  }

  std::string UnitDigest() {
    auto snap = unit_.vault().store().Snapshot();
    EXPECT_TRUE(snap.ok());
    auto d = repl::ReplicatedDigest(**snap, "");
    EXPECT_TRUE(d.ok());
    return d.ok() ? d->digest : "";
  }

  // Ships with a fresh shipper until the central node holds everything, then stops it.
  void ShipUntilCaughtUp() {
    auto shipper = repl::Shipper::Start(&unit_.vault().store(), "KPG", ShipperOpts(unit_id_));
    ASSERT_TRUE(shipper.ok()) << shipper.status().ToString();
    ASSERT_TRUE(WaitFor([&] { return CaughtUp(**shipper); })) << (*shipper)->status().last_error;
    (*shipper)->Stop();
  }

  TempDir dir_;
  Identity central_id_, unit_id_, stranger_id_;
  VaultFixture unit_{"KPG"};
  std::unique_ptr<repl::CentralNode> central_;
  uint16_t central_port_ = 0;
  int cases_made_ = 0;
};

}  // namespace brankas::testing
