// The engine end to end, in process: records, encryption, audit, durability.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "brankas/changelog.h"
#include "brankas/fault_store.h"
#include "brankas/synth.h"
#include "engine/case_record.h"
#include "engine/vault_test_util.h"

namespace brankas {
namespace {

using testing::VaultFixture;

FieldValues SmallCase() {
  return {{"name", "Siti Rahma Lestari"},
          {"nik", "5371014507120003"},
          {"shelter_location", "Rumah Aman Melati, Jl. Kenanga 7"},
          {"narrative", "[DATA SINTETIS] Kejadian di rumah; anak melapor ke guru."},
          {"registration_number", "PPA/5371/2026/000001"}};
}

// Every audit entry, oldest first.
std::vector<AuditEntry> AllAudit(Vault& v) {
  AuditFilter f;
  f.limit = kMaxAuditQueryLimit;
  auto r = QueryAudit(v.store(), f);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : std::vector<AuditEntry>{};
}

class VaultTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fx.Init();
    fx.OpenUnsealed();
  }
  Vault& vault() { return fx.vault(); }
  RequestContext worker() { return fx.Ctx("rina", Role::kCaseWorker); }
  VaultFixture fx;
};

TEST_F(VaultTest, CreateThenReadReturnsEveryFieldToTheOwner) {
  auto c = vault().CreateCase(worker(), SmallCase());
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->case_id.rfind("KPG-", 0), 0u);
  EXPECT_EQ(c->version, 1u);
  auto v = vault().ReadCase(worker(), c->case_id);
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(v->fields, SmallCase());
  EXPECT_TRUE(v->withheld.empty());
  // Both the create and the read are in the audit trail, with names only.
  auto audit = AllAudit(vault());
  ASSERT_GE(audit.size(), 3u);
  EXPECT_EQ(audit[audit.size() - 2].action, "case.create");
  EXPECT_EQ(audit.back().action, "case.read");
  EXPECT_EQ(audit.back().decision, "allow");
  EXPECT_EQ(audit.back().fields.size(), SmallCase().size());
}

TEST_F(VaultTest, CaseIdsAreRandomAndUnitPrefixed) {
  std::set<std::string> ids;
  for (int i = 0; i < 20; ++i) {
    auto c = vault().CreateCase(worker(), {{"name", "Budi"}});
    ASSERT_TRUE(c.ok());
    EXPECT_TRUE(ids.insert(c->case_id).second);
    EXPECT_EQ(c->case_id.size(), 4u + 20u);
  }
}

TEST_F(VaultTest, UpdateKeepsHistoryAndRejectsStaleVersions) {
  auto c = vault().CreateCase(worker(), SmallCase());
  ASSERT_TRUE(c.ok());
  auto u = vault().UpdateCase(worker(), c->case_id, {{"name", "Siti Rahma"}}, 1);
  ASSERT_TRUE(u.ok()) << u.status().ToString();
  EXPECT_EQ(u->version, 2u);
  auto stale = vault().UpdateCase(worker(), c->case_id, {{"name", "Other"}}, 1);
  ASSERT_FALSE(stale.ok());
  EXPECT_EQ(stale.status().code(), Code::kConflict);
  auto h = vault().FieldHistory(worker(), c->case_id, "name");
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  ASSERT_EQ(h->size(), 2u);
  EXPECT_EQ((*h)[0].value, "Siti Rahma Lestari");
  EXPECT_EQ((*h)[1].value, "Siti Rahma");
  EXPECT_EQ((*h)[1].writer, worker().principal.user);  // the current version knows its writer
  EXPECT_GT((*h)[1].time_us, 0);
  auto v = vault().ReadCase(worker(), c->case_id, {.fields = {"name"}});
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->fields.at("name"), "Siti Rahma");
}

TEST_F(VaultTest, ConcurrentUpdatesOfOneVersionLetExactlyOneWin) {
  auto c = vault().CreateCase(worker(), SmallCase());
  ASSERT_TRUE(c.ok());
  std::atomic<int> ok{0}, conflict{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      auto r = vault().UpdateCase(worker(), c->case_id, {{"alias", "A" + std::to_string(i)}}, 1);
      (r.ok() ? ok : conflict)++;
      if (!r.ok()) {
        EXPECT_EQ(r.status().code(), Code::kConflict);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 1);
  EXPECT_EQ(conflict.load(), 7);
}

TEST_F(VaultTest, BadInputIsRefusedChangesNothingAndIsAudited) {
  auto c = vault().CreateCase(worker(), SmallCase());
  ASSERT_TRUE(c.ok());
  size_t audit_before = AllAudit(vault()).size();
  struct Bad { FieldValues fields; Code code; };
  std::vector<Bad> bad = {
      {{{"no_such_field", "x"}}, Code::kInvalidArgument},
      {{{"nik", "12345"}}, Code::kInvalidArgument},
      {{{"name", std::string("\xC0\x80", 2)}}, Code::kInvalidArgument},
      {{{"name", std::string("Siti\xED\xA0\x80", 7)}}, Code::kInvalidArgument},
      {{{"narrative", std::string(100000, 'a')}}, Code::kTooLarge},
      {{{"sex", "unknown-value"}}, Code::kInvalidArgument},
      {{}, Code::kInvalidArgument},
  };
  for (const auto& b : bad) {
    auto u = vault().UpdateCase(worker(), c->case_id, b.fields, 1);
    ASSERT_FALSE(u.ok());
    EXPECT_EQ(u.status().code(), b.code) << u.status().ToString();
    auto created = vault().CreateCase(worker(), b.fields);
    ASSERT_FALSE(created.ok());
  }
  auto v = vault().ReadCase(worker(), c->case_id);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->summary.version, 1u);
  EXPECT_EQ(v->fields, SmallCase());
  auto audit = AllAudit(vault());
  // Two refusals per bad input, then the read.
  ASSERT_EQ(audit.size(), audit_before + 2 * bad.size() + 1);
  for (size_t i = audit_before; i < audit_before + 2 * bad.size(); ++i) {
    EXPECT_NE(audit[i].decision, "allow") << audit[i].action;
  }
  auto listed = vault().ListCases(worker(), true, std::nullopt, 100);
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->size(), 1u);
}

TEST_F(VaultTest, MalformedIdsAreRefused) {
  for (const std::string& id : std::vector<std::string>{"../../etc/passwd", "", "KPG-AAAA' OR 1=1", std::string(500, 'A'),
                         std::string("KPG\0x", 5)}) {
    auto r = vault().ReadCase(worker(), id);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  }
  auto missing = vault().ReadCase(worker(), "KPG-AAAAAAAAAAAAAAAAAAAA");
  EXPECT_EQ(missing.status().code(), Code::kNotFound);
}

TEST_F(VaultTest, CiphertextMovedToAnotherFieldOrCaseFailsToDecrypt) {
  auto a = vault().CreateCase(worker(), SmallCase());
  auto b = vault().CreateCase(worker(), SmallCase());
  ASSERT_TRUE(a.ok() && b.ok());
  Store& store = vault().store();
  // Move case A's name ciphertext into A's nik slot, and into B's name slot.
  auto record_a = DecodeSealedFields(**store.Get(Column::kRecords, VersionKey(a->case_id, 1)));
  auto record_b = DecodeSealedFields(**store.Get(Column::kRecords, VersionKey(b->case_id, 1)));
  ASSERT_TRUE(record_a.ok() && record_b.ok());
  (*record_b)["name"] = record_a->at("name");
  (*record_a)["nik"] = record_a->at("name");
  Batch moves;
  moves.Put(Column::kRecords, VersionKey(b->case_id, 1), EncodeSealedFields(*record_b));
  moves.Put(Column::kRecords, VersionKey(a->case_id, 1), EncodeSealedFields(*record_a));
  ASSERT_TRUE(store.Write(moves, Durability::kSync).ok());
  auto rb = vault().ReadCase(worker(), b->case_id, {.fields = {"name"}});
  ASSERT_FALSE(rb.ok());
  EXPECT_EQ(rb.status().code(), Code::kCorruption);
  auto ra = vault().ReadCase(worker(), a->case_id, {.fields = {"nik"}});
  ASSERT_FALSE(ra.ok());
  EXPECT_EQ(ra.status().code(), Code::kCorruption);
  // The untouched field still reads.
  auto ok = vault().ReadCase(worker(), a->case_id, {.fields = {"name"}});
  ASSERT_TRUE(ok.ok());
}

TEST_F(VaultTest, CorruptStoredMetadataIsReportedNotCrashed) {
  auto c = vault().CreateCase(worker(), SmallCase());
  ASSERT_TRUE(c.ok());
  Store& store = vault().store();
  auto meta = store.Get(Column::kRecords, CaseMetaKey(c->case_id));
  ASSERT_TRUE(meta.ok() && meta->has_value());
  std::vector<std::string> bad = {"", "\x01", (**meta).substr(0, (**meta).size() / 2),
                                  std::string(1, '\x09') + (**meta).substr(1), std::string(300, '\xff')};
  for (const auto& b : bad) {
    Batch w;
    w.Put(Column::kRecords, CaseMetaKey(c->case_id), b);
    ASSERT_TRUE(store.Write(w, Durability::kSync).ok());
    auto r = vault().ReadCase(worker(), c->case_id);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), Code::kCorruption) << r.status().ToString();
  }
}

TEST_F(VaultTest, NoValueReachesAuditEntriesOrTheDiskInClear) {
  SyntheticGenerator gen(7);
  std::vector<std::string> secrets;
  std::vector<std::string> ids;
  for (int i = 0; i < 20; ++i) {
    FieldValues f = gen.NewCase();
    FieldValues writable;
    for (const auto& [k, v] : f) {
      const FieldDef* def = vault().schema().Find(k);
      if (def->cls == FieldClass::kMedical || def->cls == FieldClass::kPsychological) continue;
      writable[k] = v;
      if (v.size() >= 8 && (k == "name" || k == "nik" || k == "narrative" || k == "address" ||
                            k == "shelter_location" || k == "perpetrator_name" || k == "phone")) {
        secrets.push_back(v);
      }
    }
    auto c = vault().CreateCase(worker(), writable);
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    ids.push_back(c->case_id);
    ASSERT_TRUE(vault().ReadCase(worker(), c->case_id).ok());
    auto s = vault().Search(worker(), "nik", writable["nik"]);
    ASSERT_TRUE(s.ok());
  }
  ASSERT_GT(secrets.size(), 60u);
  for (const auto& e : AllAudit(vault())) {
    std::string encoded = EncodeAuditEntry(e);
    for (const auto& s : secrets) ASSERT_EQ(encoded.find(s), std::string::npos) << e.action;
  }
  // Every byte the vault wrote to disk: WAL, SST files, manifests.
  ASSERT_TRUE(vault().store().Flush().ok());
  fx.vault_ptr().reset();
  size_t files = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(fx.data_dir())) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    ++files;
    for (const auto& s : secrets) {
      ASSERT_EQ(bytes.find(s), std::string::npos) << "a value in clear in " << entry.path();
    }
  }
  EXPECT_GT(files, 3u);
}

TEST_F(VaultTest, BlindIndexFindsExactMatchesOnly) {
  auto a = vault().CreateCase(worker(), SmallCase());
  auto b = vault().CreateCase(worker(), {{"name", "Budi Santoso"}, {"nik", "5371010101100001"}});
  ASSERT_TRUE(a.ok() && b.ok());
  auto by_nik = vault().Search(worker(), "nik", "5371014507120003");
  ASSERT_TRUE(by_nik.ok());
  EXPECT_EQ(*by_nik, std::vector<std::string>{a->case_id});
  auto by_name = vault().Search(worker(), "name", "  budi   SANTOSO ");
  ASSERT_TRUE(by_name.ok());
  EXPECT_EQ(*by_name, std::vector<std::string>{b->case_id});
  auto none = vault().Search(worker(), "name", "Budi");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  // After an update the old value no longer matches.
  ASSERT_TRUE(vault().UpdateCase(worker(), b->case_id, {{"name", "Budi Wibowo"}}, 1).ok());
  EXPECT_TRUE(vault().Search(worker(), "name", "Budi Santoso")->empty());
  EXPECT_EQ(vault().Search(worker(), "name", "budi wibowo")->size(), 1u);
  // Another worker's search does not reveal cases they may not read.
  auto other = vault().Search(fx.Ctx("agus", Role::kCaseWorker), "nik", "5371014507120003");
  ASSERT_TRUE(other.ok());
  EXPECT_TRUE(other->empty());
  // Not an indexed field.
  EXPECT_FALSE(vault().Search(worker(), "narrative", "x").ok());
}

TEST_F(VaultTest, FailedWritesFailClosedAndReportDegraded) {
  fx.vault_ptr().reset();
  auto base = OpenRocksStore(fx.data_dir(), {});
  ASSERT_TRUE(base.ok());
  auto fault = std::make_unique<FaultStore>(std::move(*base));
  FaultStore* faults = fault.get();
  fx.OpenUnsealed(std::move(fault));
  auto c = vault().CreateCase(worker(), SmallCase());
  ASSERT_TRUE(c.ok());
  faults->fail_writes = true;
  auto failed = vault().CreateCase(worker(), SmallCase());
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.status().code(), Code::kUnavailable);
  // A read cannot be audited, so it returns nothing.
  auto read = vault().ReadCase(worker(), c->case_id);
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(vault().health(), Health::kDegraded);
  faults->fail_writes = false;
  auto again = vault().ReadCase(worker(), c->case_id);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(vault().health(), Health::kOk);
  auto report = VerifyAuditChain(vault().store(), vault().node_public_key());
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->intact) << report->problem;
  auto listed = vault().ListCases(worker(), true, std::nullopt, 100);
  EXPECT_EQ(listed->size(), 1u);
}

TEST_F(VaultTest, SealedVaultRefusesEverythingAndUnsealsAgain) {
  auto c = vault().CreateCase(worker(), SmallCase());
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(vault().Seal(worker()).code(), Code::kPermissionDenied);
  ASSERT_TRUE(vault().Seal(fx.Ctx("admin", Role::kAdmin)).ok());
  EXPECT_EQ(vault().health(), Health::kSealed);
  EXPECT_EQ(vault().ReadCase(worker(), c->case_id).status().code(), Code::kSealed);
  EXPECT_EQ(vault().CreateCase(worker(), SmallCase()).status().code(), Code::kSealed);
  Status wrong = vault().UnsealWithPassphrase(fx.Ctx("admin", Role::kAdmin), "wrong passphrase");
  EXPECT_FALSE(wrong.ok());
  EXPECT_EQ(vault().health(), Health::kSealed);
  ASSERT_TRUE(vault().UnsealWithPassphrase(fx.Ctx("admin", Role::kAdmin), testing::kTestPassphrase).ok());
  EXPECT_TRUE(vault().ReadCase(worker(), c->case_id).ok());
  auto audit = AllAudit(vault());
  bool saw_failed_count = false;
  for (const auto& e : audit) {
    if (e.action == "sys.unseal" && e.detail == "failed_attempts=1") saw_failed_count = true;
  }
  EXPECT_TRUE(saw_failed_count);
}

TEST_F(VaultTest, KekRotationKeepsOldDataReadableAcrossRestart) {
  auto c = vault().CreateCase(worker(), SmallCase());
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(vault().RotateKek(worker(), FieldClass::kIdentity).code(), Code::kPermissionDenied);
  ASSERT_TRUE(vault().RotateKek(fx.Ctx("admin", Role::kAdmin), FieldClass::kIdentity).ok());
  auto d = vault().CreateCase(worker(), SmallCase());
  ASSERT_TRUE(d.ok());
  fx.OpenUnsealed();
  EXPECT_EQ(vault().ReadCase(worker(), c->case_id)->fields, SmallCase());
  EXPECT_EQ(vault().ReadCase(worker(), d->case_id)->fields, SmallCase());
}

TEST_F(VaultTest, ShreddingMakesACaseUnreadableUnlessUnderLegalHold) {
  auto c = vault().CreateCase(worker(), SmallCase());
  ASSERT_TRUE(c.ok());
  auto supervisor = fx.Ctx("sri", Role::kSupervisor);
  EXPECT_EQ(vault().ShredCase(worker(), c->case_id).code(), Code::kPermissionDenied);
  ASSERT_TRUE(vault().SetLegalHold(supervisor, c->case_id, true).ok());
  EXPECT_EQ(vault().ShredCase(supervisor, c->case_id).code(), Code::kFailedPrecondition);
  ASSERT_TRUE(vault().SetLegalHold(supervisor, c->case_id, false).ok());
  ASSERT_TRUE(vault().ShredCase(supervisor, c->case_id).ok());
  EXPECT_EQ(vault().ReadCase(worker(), c->case_id).status().code(), Code::kNotFound);
  EXPECT_TRUE(vault().Search(worker(), "nik", "5371014507120003")->empty());
  // No data key of the case is left anywhere in the store.
  int keys_left = 0;
  ASSERT_TRUE(vault().store().Scan(Column::kKeys, "", {}, [&](std::string_view k, std::string_view) {
    if (k.find(c->case_id) != std::string_view::npos) ++keys_left;
    return true;
  }).ok());
  EXPECT_EQ(keys_left, 0);
  // And after a restart too.
  fx.OpenUnsealed();
  EXPECT_EQ(vault().ReadCase(worker(), c->case_id).status().code(), Code::kNotFound);
}

TEST_F(VaultTest, ConcurrentWritersKeepTheChainsIntact) {
  constexpr int kThreads = 16, kPerThread = 30;
  std::vector<std::thread> threads;
  std::atomic<int> created{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      SyntheticGenerator gen(100 + t);
      for (int i = 0; i < kPerThread; ++i) {
        auto c = vault().CreateCase(worker(), {{"name", gen.Name()}, {"nik", gen.Nik()}});
        if (c.ok()) {
          created++;
          EXPECT_TRUE(vault().ReadCase(worker(), c->case_id).ok());
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(created.load(), kThreads * kPerThread);
  auto stats = vault().commit_stats();
  EXPECT_GT(stats.max_group, 1u) << "group commit never grouped anything";
  auto report = VerifyAuditChain(vault().store(), vault().node_public_key());
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->intact) << report->problem;
  EXPECT_GE(report->entries, static_cast<uint64_t>(2 * kThreads * kPerThread));
  EXPECT_GT(report->checkpoints, 0u);
  auto changelog = VerifyChangelog(vault().store());
  ASSERT_TRUE(changelog.ok());
  EXPECT_TRUE(changelog->intact) << changelog->problem;
}

// Entries after the last checkpoint get one when the interval has passed, with
// no further access; it is in the changelog (the central node countersigns
// checkpoints it receives). An idle node with nothing uncovered writes nothing.
TEST_F(VaultTest, AnIdleNodeCheckpointsItsNewestEntries) {
  auto checkpoints = [&] {
    std::vector<uint64_t> seqs;
    EXPECT_TRUE(vault().store().Scan(Column::kAudit, kAuditCheckpointPrefix, {},
                                     [&](std::string_view key, std::string_view) {
                                       seqs.push_back(GetBigEndian64(key.substr(1)));
                                       return true;
                                     }).ok());
    return seqs;
  };
  auto changelog_last = [&] {
    auto r = VerifyChangelog(vault().store());
    EXPECT_TRUE(r.ok() && r->intact);
    return r.ok() ? r->last : 0;
  };
  auto c = vault().CreateCase(worker(), SmallCase());
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ASSERT_TRUE(vault().ReadCase(worker(), c->case_id).ok());
  auto report = VerifyAuditChain(vault().store(), vault().node_public_key());
  ASSERT_TRUE(report.ok() && report->intact);
  const uint64_t head = report->entries;
  const auto before = checkpoints();
  ASSERT_TRUE(before.empty() || before.back() < head) << "the test needs an uncovered tail";
  const uint64_t entries_before = changelog_last();

  // Not due yet (the fixture's interval is 10 s of its clock): an idle
  // second and a half writes nothing.
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  EXPECT_EQ(checkpoints(), before);
  EXPECT_EQ(changelog_last(), entries_before);

  fx.AdvanceSeconds(11);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (checkpoints() == before && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  auto after = checkpoints();
  ASSERT_FALSE(after.empty());
  EXPECT_EQ(after.back(), head);
  EXPECT_EQ(changelog_last(), entries_before + 1);
  auto verified = VerifyAuditChain(vault().store(), vault().node_public_key());
  ASSERT_TRUE(verified.ok());
  EXPECT_TRUE(verified->intact) << verified->problem;
  EXPECT_EQ(verified->entries, head);

  // Covered: idle on, nothing more.
  fx.AdvanceSeconds(60);
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  EXPECT_EQ(checkpoints(), after);
  EXPECT_EQ(changelog_last(), entries_before + 1);
}

// What brankasd does on its way out: the tail gets a checkpoint whether due
// or not; with nothing uncovered, a second call writes nothing.
TEST_F(VaultTest, CheckpointAuditCoversTheTailOnce) {
  auto c = vault().CreateCase(worker(), SmallCase());
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  auto report = VerifyAuditChain(vault().store(), vault().node_public_key());
  ASSERT_TRUE(report.ok() && report->intact);
  const uint64_t head = report->entries;
  const uint64_t entries_before = vault().changelog_head().seq;

  ASSERT_TRUE(vault().CheckpointAudit().ok());
  auto got = vault().store().Get(Column::kAudit, AuditCheckpointKey(head));
  ASSERT_TRUE(got.ok());
  ASSERT_TRUE(got->has_value()) << "no checkpoint at the head";
  EXPECT_EQ(vault().changelog_head().seq, entries_before + 1);

  ASSERT_TRUE(vault().CheckpointAudit().ok());
  EXPECT_EQ(vault().changelog_head().seq, entries_before + 1);
  auto verified = VerifyAuditChain(vault().store(), vault().node_public_key());
  ASSERT_TRUE(verified.ok());
  EXPECT_TRUE(verified->intact) << verified->problem;
}

TEST(VaultInitTest, SecondInitIsRefusedAndUninitializedOpenIsClear) {
  testing::VaultFixture fx;
  auto missing = Vault::Open(fx.Options());
  ASSERT_FALSE(missing.ok());
  fx.Init();
  InitOptions init;
  init.unit = "KPG";
  init.passphrase = "another passphrase";
  init.argon = testing::FastArgon();
  auto again = Vault::Initialize(fx.Options(), init);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), Code::kFailedPrecondition);
}

TEST(VaultInitTest, RecoverySharesUnsealAndFewerDoNot) {
  testing::VaultFixture fx;
  InitOptions init;
  init.unit = "SLM";
  init.shares = 5;
  init.threshold = 3;
  auto r = Vault::Initialize(fx.Options(), init);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->shares.size(), 5u);
  auto v = Vault::Open(fx.Options());
  ASSERT_TRUE(v.ok());
  auto admin = fx.Ctx("admin", Role::kAdmin);
  auto p1 = (*v)->UnsealWithShare(admin, r->shares[4]);
  ASSERT_TRUE(p1.ok());
  EXPECT_FALSE(p1->unsealed);
  auto p2 = (*v)->UnsealWithShare(admin, r->shares[1]);
  ASSERT_TRUE(p2.ok());
  EXPECT_FALSE(p2->unsealed);
  EXPECT_EQ((*v)->health(), Health::kSealed);
  auto p3 = (*v)->UnsealWithShare(admin, r->shares[2]);
  ASSERT_TRUE(p3.ok()) << p3.status().ToString();
  EXPECT_TRUE(p3->unsealed);
  EXPECT_EQ((*v)->health(), Health::kOk);
}

}  // namespace
}  // namespace brankas
