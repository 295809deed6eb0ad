// The changelog (vault/include/brankas/changelog.h): entry encoding, and the
// verification of a real vault's chain, intact and tampered with.
#include "brankas/changelog.h"

#include <gtest/gtest.h>

#include <map>
#include <random>

#include "brankas/codec.h"
#include "brankas/crypto.h"
#include "engine/case_record.h"
#include "engine/vault_test_util.h"

namespace brankas {
namespace {

using testing::VaultFixture;

ChangelogEntry SampleEntry() {
  ChangelogEntry e;
  e.generation = std::string(16, '\x11');
  e.seq = 42;
  e.time_us = 1'780'000'000'000'000;
  e.prev_hash = std::string(kHashSize, '\x22');
  e.mutations.push_back({Mutation::Kind::kPut, Column::kRecords, "m/KPG-A", "meta bytes"});
  e.mutations.push_back({Mutation::Kind::kDelete, Column::kIndex, "nik/tag/KPG-A", ""});
  e.mutations.push_back({Mutation::Kind::kPut, Column::kAudit, std::string("e\0\0\0\0\0\0\0\x01", 9),
                         std::string(300, '\xab')});
  e.mutations.push_back({Mutation::Kind::kPut, Column::kMeta, "", ""});
  e.hash = ComputeChangelogHash(e);
  return e;
}

void ExpectSameEntry(const ChangelogEntry& a, const ChangelogEntry& b) {
  EXPECT_EQ(a.generation, b.generation);
  EXPECT_EQ(a.seq, b.seq);
  EXPECT_EQ(a.time_us, b.time_us);
  EXPECT_EQ(a.prev_hash, b.prev_hash);
  EXPECT_EQ(a.hash, b.hash);
  ASSERT_EQ(a.mutations.size(), b.mutations.size());
  for (size_t i = 0; i < a.mutations.size(); ++i) {
    EXPECT_EQ(a.mutations[i].kind, b.mutations[i].kind) << i;
    EXPECT_EQ(a.mutations[i].column, b.mutations[i].column) << i;
    EXPECT_EQ(a.mutations[i].key, b.mutations[i].key) << i;
    EXPECT_EQ(a.mutations[i].value, b.mutations[i].value) << i;
  }
}

std::string SeqKey(uint64_t seq) {
  std::string k;
  PutBigEndian64(&k, seq);
  return k;
}

TEST(ChangelogEntryTest, RoundTrips) {
  ChangelogEntry e = SampleEntry();
  auto d = DecodeChangelogEntry(EncodeChangelogEntry(e));
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  ExpectSameEntry(e, *d);
  EXPECT_EQ(ComputeChangelogHash(*d), d->hash);

  ChangelogEntry empty = SampleEntry();
  empty.mutations.clear();
  empty.hash = ComputeChangelogHash(empty);
  auto de = DecodeChangelogEntry(EncodeChangelogEntry(empty));
  ASSERT_TRUE(de.ok()) << de.status().ToString();
  ExpectSameEntry(empty, *de);
}

TEST(ChangelogEntryTest, PutKeysAreReadWithoutDecodingValues) {
  ChangelogEntry e = SampleEntry();
  e.mutations.push_back({Mutation::Kind::kPut, Column::kRecords, "e/KPG-CASE/EV-1", "record"});
  e.mutations.push_back({Mutation::Kind::kDelete, Column::kRecords, "e/KPG-CASE/EV-2", ""});
  e.mutations.push_back({Mutation::Kind::kPut, Column::kAudit, "e/not-records", "x"});
  e.hash = ComputeChangelogHash(e);
  const std::string bytes = EncodeChangelogEntry(e);
  auto keys = ChangelogEntryPutKeys(bytes, Column::kRecords, "e/");
  ASSERT_TRUE(keys.ok());
  EXPECT_EQ(*keys, std::vector<std::string>{"e/KPG-CASE/EV-1"});
  for (size_t n = 0; n + 1 < bytes.size(); n += 7) {
    auto cut = ChangelogEntryPutKeys(bytes.substr(0, n), Column::kRecords, "e/");
    if (!cut.ok()) {
      EXPECT_EQ(cut.status().code(), Code::kCorruption);
    }
  }
}

TEST(ChangelogEntryTest, HashCoversEveryPart) {
  const ChangelogEntry base = SampleEntry();
  const std::string h = ComputeChangelogHash(base);
  EXPECT_EQ(h.size(), kHashSize);
  std::vector<ChangelogEntry> variants(8, base);
  variants[0].generation[0] = 'x';
  variants[1].seq += 1;
  variants[2].time_us += 1;
  variants[3].prev_hash[5] ^= 1;
  variants[4].mutations[0].value += "!";
  variants[5].mutations[1].kind = Mutation::Kind::kPut;
  variants[6].mutations[0].column = Column::kAcl;
  variants[7].mutations.pop_back();
  for (size_t i = 0; i < variants.size(); ++i) {
    EXPECT_NE(ComputeChangelogHash(variants[i]), h) << "variant " << i;
  }
  // The stored hash itself is not part of the hashed body.
  ChangelogEntry other_hash = base;
  other_hash.hash = std::string(kHashSize, '\0');
  EXPECT_EQ(ComputeChangelogHash(other_hash), h);
}

TEST(ChangelogEntryTest, MalformedEntriesAreCorruption) {
  ChangelogEntry e = SampleEntry();
  e.generation = "short";
  EXPECT_EQ(DecodeChangelogEntry(EncodeChangelogEntry(e)).status().code(), Code::kCorruption);
  e = SampleEntry();
  e.prev_hash.pop_back();
  EXPECT_EQ(DecodeChangelogEntry(EncodeChangelogEntry(e)).status().code(), Code::kCorruption);
  e = SampleEntry();
  e.hash = "";
  EXPECT_EQ(DecodeChangelogEntry(EncodeChangelogEntry(e)).status().code(), Code::kCorruption);
  const std::string good = EncodeChangelogEntry(SampleEntry());
  std::string wrong_format = good;
  wrong_format[0] = '\x07';
  EXPECT_EQ(DecodeChangelogEntry(wrong_format).status().code(), Code::kCorruption);
  EXPECT_EQ(DecodeChangelogEntry(good + '\0').status().code(), Code::kCorruption);
  EXPECT_EQ(DecodeChangelogEntry("").status().code(), Code::kCorruption);
}

TEST(ChangelogEntryTest, EveryTruncationIsCorruption) {
  const std::string good = EncodeChangelogEntry(SampleEntry());
  for (size_t n = 0; n < good.size(); ++n) {
    auto r = DecodeChangelogEntry(std::string_view(good).substr(0, n));
    ASSERT_FALSE(r.ok()) << "prefix of " << n << " bytes decoded";
    EXPECT_EQ(r.status().code(), Code::kCorruption) << n;
  }
}

TEST(ChangelogEntryTest, RandomBytesAndBitFlipsNeverCrash) {
  const std::string good = EncodeChangelogEntry(SampleEntry());
  std::mt19937_64 rng(41);
  auto check = [](const std::string& bytes) {
    auto r = DecodeChangelogEntry(bytes);
    if (!r.ok()) {
      EXPECT_EQ(r.status().code(), Code::kCorruption) << r.status().ToString();
      return;
    }
    EXPECT_EQ(r->generation.size(), 16u);
    EXPECT_EQ(r->prev_hash.size(), kHashSize);
    EXPECT_EQ(r->hash.size(), kHashSize);
    for (const auto& m : r->mutations) EXPECT_LT(static_cast<int>(m.column), kColumnCount);
  };
  for (size_t i = 0; i < good.size(); ++i) {
    std::string b = good;
    b[i] = static_cast<char>(b[i] ^ (1 << (rng() % 8)));
    check(b);
  }
  for (int round = 0; round < 3000; ++round) {
    std::string b;
    if (round % 3 == 0) {
      b = good;
      for (int k = 0; k < 4; ++k) b[rng() % b.size()] = static_cast<char>(rng());
    } else {
      b.resize(rng() % 400);
      for (char& c : b) c = static_cast<char>(rng());
      if (!b.empty() && round % 3 == 1) b[0] = '\x01';
    }
    check(b);
  }
  // A mutation count far beyond the input is refused before allocating.
  Writer w;
  w.U8(1);
  w.Bytes(std::string(16, 'g'));
  w.U64(1);
  w.I64(0);
  w.Bytes(std::string(kHashSize, 'p'));
  w.U32(0xFFFFFFFFu);
  EXPECT_EQ(DecodeChangelogEntry(w.Take()).status().code(), Code::kCorruption);
}

// A vault with some history: cases created, updated, read, a grant.
class ChangelogVaultTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fx.Init();
    fx.OpenUnsealed();
    auto rina = fx.Ctx("rina", Role::kCaseWorker);
    for (int i = 0; i < 4; ++i) {
      auto c = vault().CreateCase(rina, {{"name", "Siti Nur Aisyah"},
                                         {"nik", "537101450712000" + std::to_string(i)},
                                         {"narrative", "[DATA SINTETIS] kejadian nomor " + std::to_string(i)}});
      ASSERT_TRUE(c.ok()) << c.status().ToString();
      ASSERT_TRUE(vault().UpdateCase(rina, c->case_id, {{"alias", "Ais"}}, 1).ok());
      ASSERT_TRUE(vault().ReadCase(rina, c->case_id).ok());
      case_ids.push_back(c->case_id);
    }
    head = vault().changelog_head();
    ASSERT_GE(head.seq, 10u);
  }

  Vault& vault() { return fx.vault(); }
  Store& store() { return vault().store(); }

  ChangelogReport Verify() {
    auto r = VerifyChangelog(store());
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : ChangelogReport{};
  }

  // As stored in the outbox (large case versions by reference).
  std::string StoredBytes(uint64_t seq) {
    auto v = store().Get(Column::kChangelog, SeqKey(seq));
    EXPECT_TRUE(v.ok() && v->has_value()) << seq;
    return v.ok() && v->has_value() ? **v : std::string();
  }
  // As shipped: the full entry.
  std::string EntryBytes(uint64_t seq) {
    auto full = MaterializeChangelogEntry(store(), StoredBytes(seq));
    EXPECT_TRUE(full.ok()) << seq << ": " << full.status().ToString();
    return full.ok() ? *full : std::string();
  }
  // The entry (seq > after) that puts `key` in the records column.
  uint64_t EntryPutting(uint64_t after, const std::string& key) {
    for (uint64_t seq = after + 1; seq <= vault().changelog_head().seq; ++seq) {
      auto e = DecodeChangelogEntry(EntryBytes(seq));
      if (!e.ok()) continue;
      for (const auto& m : e->mutations) {
        if (m.kind == Mutation::Kind::kPut && m.column == Column::kRecords && m.key == key) return seq;
      }
    }
    return 0;
  }

  void Put(uint64_t seq, const std::string& bytes) {
    Batch b;
    b.Put(Column::kChangelog, SeqKey(seq), bytes);
    ASSERT_TRUE(store().Write(b, Durability::kSync).ok());
  }

  void Delete(uint64_t first, uint64_t last) {
    Batch b;
    for (uint64_t s = first; s <= last; ++s) b.Delete(Column::kChangelog, SeqKey(s));
    ASSERT_TRUE(store().Write(b, Durability::kSync).ok());
  }

  VaultFixture fx;
  std::vector<std::string> case_ids;
  Vault::ChangelogHead head;
};

TEST_F(ChangelogVaultTest, RealChainIsIntactAndMatchesTheHead) {
  ChangelogReport r = Verify();
  EXPECT_TRUE(r.intact) << r.problem;
  EXPECT_TRUE(r.problem.empty());
  EXPECT_EQ(r.first, 1u);
  EXPECT_EQ(r.last, head.seq);
  EXPECT_EQ(head.generation.size(), 16u);
  EXPECT_EQ(head.hash.size(), kHashSize);
  auto last = DecodeChangelogEntry(EntryBytes(head.seq));
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(last->hash, head.hash);
  EXPECT_EQ(last->generation, head.generation);

  // More writes keep it intact and move the head on.
  ASSERT_TRUE(vault().ChangeStage(fx.Ctx("rina", Role::kCaseWorker), case_ids[0], Stage::kAssessment).ok());
  r = Verify();
  EXPECT_TRUE(r.intact) << r.problem;
  EXPECT_GT(vault().changelog_head().seq, head.seq);
  EXPECT_EQ(r.last, vault().changelog_head().seq);
  // And across a restart.
  fx.OpenUnsealed();
  r = Verify();
  EXPECT_TRUE(r.intact) << r.problem;
}

TEST_F(ChangelogVaultTest, CaseVersionsAreStoredByReferenceAndShippedInFull) {
  const uint64_t before = vault().changelog_head().seq;
  auto c = vault().CreateCase(fx.Ctx("rina", Role::kCaseWorker),
                              {{"name", "Dewi Lestari"}, {"narrative", "[DATA SINTETIS] " + std::string(1500, 'k')}});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  auto version = store().Get(Column::kRecords, VersionKey(c->case_id, 1));
  ASSERT_TRUE(version.ok() && version->has_value());
  const uint64_t seq = EntryPutting(before, VersionKey(c->case_id, 1));
  ASSERT_NE(seq, 0u);
  const std::string stored = StoredBytes(seq);
  const std::string full = EntryBytes(seq);
  // The outbox holds the version once, in the records column.
  EXPECT_EQ(stored.find(**version), std::string::npos);
  EXPECT_GE(full.size(), stored.size() + (*version)->size());
  // The stored form is not what is shipped or hashed; the full form is.
  EXPECT_FALSE(DecodeChangelogEntry(stored).ok());
  auto e = DecodeChangelogEntry(full);
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_TRUE(EncodedChangelogEntryHashMatches(full, e->hash));
  EXPECT_EQ(EncodeChangelogEntry(*e), full);
  EXPECT_EQ(ChangelogEntryTimeUs(stored), e->time_us);
  bool shipped = false;
  for (const auto& m : e->mutations) shipped |= m.key == VersionKey(c->case_id, 1) && m.value == **version;
  EXPECT_TRUE(shipped);
  EXPECT_TRUE(Verify().intact);
}

TEST_F(ChangelogVaultTest, ShreddingKeepsReferredVersionsUntilTheShredIsAcknowledged) {
  const uint64_t before = vault().changelog_head().seq;
  auto c = vault().CreateCase(fx.Ctx("rina", Role::kCaseWorker),
                              {{"name", "Dewi Lestari"}, {"narrative", "[DATA SINTETIS] " + std::string(1500, 'k')}});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  const uint64_t created = EntryPutting(before, VersionKey(c->case_id, 1));
  ASSERT_NE(created, 0u);
  const std::string shipped_before = EntryBytes(created);
  ASSERT_TRUE(vault().ShredCase(fx.Ctx("sri", Role::kSupervisor), c->case_id, "lawful_request:TEST-1").ok());
  const uint64_t shredded = vault().changelog_head().seq;
  auto gone = store().Get(Column::kRecords, VersionKey(c->case_id, 1));
  ASSERT_TRUE(gone.ok());
  EXPECT_FALSE(gone->has_value());
  // An entry not yet shipped still ships exactly as it was hashed.
  EXPECT_EQ(EntryBytes(created), shipped_before);
  EXPECT_TRUE(Verify().intact);
  // Kept (node-local, never shipped) until the shredding entry is acknowledged.
  Batch early;
  ASSERT_TRUE(PruneChangelogStash(store(), shredded - 1, &early).ok());
  EXPECT_TRUE(early.empty());
  Batch acked;
  ASSERT_TRUE(PruneChangelogStash(store(), shredded, &acked).ok());
  ASSERT_FALSE(acked.empty());
  for (const auto& m : acked.mutations()) EXPECT_TRUE(IsNodeLocal(m));
  ASSERT_TRUE(store().Write(acked, Durability::kSync).ok());
  // Read again after that (it never is: the outbox is pruned to the same
  // point), the entry is corruption, named, not a crash.
  auto lost = MaterializeChangelogEntry(store(), StoredBytes(created));
  ASSERT_FALSE(lost.ok());
  EXPECT_EQ(lost.status().code(), Code::kCorruption);
  EXPECT_NE(lost.status().message().find("entry " + std::to_string(created)), std::string::npos);
}

TEST_F(ChangelogVaultTest, HostileStoredEntriesAreCorruptionNeverACrash) {
  const std::string stored = StoredBytes(head.seq);
  std::mt19937 rng(7);
  for (size_t n = 0; n < stored.size(); ++n) {
    auto r = MaterializeChangelogEntry(store(), stored.substr(0, n));
    if (n > 0) {
      EXPECT_FALSE(r.ok()) << n;
    }
  }
  for (int i = 0; i < 2000; ++i) {
    std::string bytes = stored;
    bytes[rng() % bytes.size()] ^= static_cast<char>(1u << (rng() % 8));
    (void)MaterializeChangelogEntry(store(), bytes);  // an error or other bytes; never a crash
  }
  // A reference to a record that is not write-once is refused.
  std::string forged;
  forged.push_back(2);
  Writer w;
  w.Bytes(std::string(16, 'g'));
  w.U64(1);
  w.I64(0);
  w.Bytes(std::string(kHashSize, 'h'));
  w.U32(1);
  w.U8(2);
  w.U8(static_cast<uint8_t>(Column::kRecords));
  w.Bytes(CaseMetaKey(case_ids[0]));
  w.Bytes(std::string(kHashSize, 'h'));
  forged += w.str();
  auto r = MaterializeChangelogEntry(store(), forged);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kCorruption);
}

TEST_F(ChangelogVaultTest, EntriesHoldTheCommittedMutationsAsCiphertext) {
  // The newest case's metadata record was shipped exactly as stored.
  auto meta = store().Get(Column::kRecords, CaseMetaKey(case_ids.back()));
  ASSERT_TRUE(meta.ok() && meta->has_value());
  bool found = false;
  for (uint64_t seq = 1; seq <= head.seq; ++seq) {
    auto e = DecodeChangelogEntry(EntryBytes(seq));
    ASSERT_TRUE(e.ok()) << seq;
    EXPECT_EQ(e->seq, seq);
    for (const auto& m : e->mutations) {
      // The head of the changelog is node-local and never shipped.
      EXPECT_FALSE(m.column == Column::kMeta && m.key == kChangelogHeadKey) << seq;
      EXPECT_FALSE(m.column == Column::kChangelog) << seq;
      // Values leave the node as ciphertext only.
      EXPECT_EQ(m.value.find("Siti Nur Aisyah"), std::string::npos) << seq;
      EXPECT_EQ(m.value.find("[DATA SINTETIS]"), std::string::npos) << seq;
      if (m.column == Column::kRecords && m.key == CaseMetaKey(case_ids.back()) &&
          m.value == **meta) {
        found = true;
      }
    }
  }
  EXPECT_TRUE(found) << "the last metadata write is not in the changelog";
}

TEST_F(ChangelogVaultTest, ReplayingTheChangelogRebuildsTheRecords) {
  std::map<std::string, std::string> replayed;
  for (uint64_t seq = 1; seq <= head.seq; ++seq) {
    auto e = DecodeChangelogEntry(EntryBytes(seq));
    ASSERT_TRUE(e.ok()) << seq;
    for (const auto& m : e->mutations) {
      if (m.column != Column::kRecords) continue;
      if (m.kind == Mutation::Kind::kPut) {
        replayed[m.key] = m.value;
      } else {
        replayed.erase(m.key);
      }
    }
  }
  std::map<std::string, std::string> stored;
  ASSERT_TRUE(store().Scan(Column::kRecords, "", {}, [&](std::string_view k, std::string_view v) {
    stored.emplace(std::string(k), std::string(v));
    return true;
  }).ok());
  EXPECT_FALSE(stored.empty());
  EXPECT_TRUE(replayed == stored) << "replayed " << replayed.size() << " records, stored " << stored.size();
}

TEST_F(ChangelogVaultTest, FlippedByteIsDetected) {
  const uint64_t target = head.seq / 2;
  const std::string original = EntryBytes(target);
  // Flip a byte from the middle on (inside a mutation) where decoding still
  // succeeds, so that only the hash can tell.
  std::string bytes;
  for (size_t at = original.size() / 2; at < original.size(); ++at) {
    bytes = original;
    bytes[at] = static_cast<char>(bytes[at] ^ 0x40);
    if (DecodeChangelogEntry(bytes).ok()) break;
  }
  ASSERT_NE(bytes, original);
  ASSERT_TRUE(DecodeChangelogEntry(bytes).ok());
  Put(target, bytes);
  ChangelogReport r = Verify();
  EXPECT_FALSE(r.intact);
  EXPECT_NE(r.problem.find("entry " + std::to_string(target) + " does not match its hash"),
            std::string::npos)
      << r.problem;
}

TEST_F(ChangelogVaultTest, UndecodableEntryIsDetected) {
  Put(3, "garbage");
  ChangelogReport r = Verify();
  EXPECT_FALSE(r.intact);
  EXPECT_NE(r.problem.find("corrupt"), std::string::npos) << r.problem;
}

TEST_F(ChangelogVaultTest, DeletedMiddleEntryIsAGap) {
  const uint64_t gone = head.seq / 2;
  Delete(gone, gone);
  ChangelogReport r = Verify();
  EXPECT_FALSE(r.intact);
  EXPECT_NE(r.problem.find("gap"), std::string::npos) << r.problem;
  EXPECT_NE(r.problem.find(std::to_string(gone - 1)), std::string::npos) << r.problem;
}

TEST_F(ChangelogVaultTest, DeletedTailWithTheHeadKeptIsTruncation) {
  Delete(head.seq - 2, head.seq);
  ChangelogReport r = Verify();
  EXPECT_FALSE(r.intact);
  EXPECT_EQ(r.last, head.seq - 3);
  EXPECT_NE(r.problem.find("head"), std::string::npos) << r.problem;
}

TEST_F(ChangelogVaultTest, DeletingEverythingButTheHeadIsTruncation) {
  Delete(1, head.seq);
  ChangelogReport r = Verify();
  EXPECT_FALSE(r.intact);
  EXPECT_FALSE(r.problem.empty());
}

TEST_F(ChangelogVaultTest, ReChainedRewriteIsCaughtByTheNextEntryOrTheHead) {
  // A rewritten entry with a correct hash of its own breaks the link to the next one.
  const uint64_t target = head.seq / 2;
  auto e = DecodeChangelogEntry(EntryBytes(target));
  ASSERT_TRUE(e.ok());
  ASSERT_FALSE(e->mutations.empty());
  e->mutations.pop_back();
  e->hash = ComputeChangelogHash(*e);
  Put(target, EncodeChangelogEntry(*e));
  ChangelogReport r = Verify();
  EXPECT_FALSE(r.intact);
  EXPECT_NE(r.problem.find("chain"), std::string::npos) << r.problem;
  EXPECT_NE(r.problem.find(std::to_string(target + 1)), std::string::npos) << r.problem;
}

TEST_F(ChangelogVaultTest, ReChainedRewriteOfTheLastEntryDisagreesWithTheHead) {
  auto e = DecodeChangelogEntry(EntryBytes(head.seq));
  ASSERT_TRUE(e.ok());
  e->time_us += 1;
  e->hash = ComputeChangelogHash(*e);
  Put(head.seq, EncodeChangelogEntry(*e));
  ChangelogReport r = Verify();
  EXPECT_FALSE(r.intact);
  EXPECT_NE(r.problem.find("head"), std::string::npos) << r.problem;
}

TEST_F(ChangelogVaultTest, EntryUnderTheWrongKeyIsDetected) {
  // Entry 2 copied over entry 3's key.
  Put(3, EntryBytes(2));
  ChangelogReport r = Verify();
  EXPECT_FALSE(r.intact);
  EXPECT_NE(r.problem.find("wrong key"), std::string::npos) << r.problem;
}

TEST_F(ChangelogVaultTest, PrunedPrefixStillVerifies) {
  // The outbox is pruned from the front once central acknowledged it: what is
  // left must still verify, from its first retained entry.
  Delete(1, 4);
  ChangelogReport r = Verify();
  EXPECT_TRUE(r.intact) << r.problem;
  EXPECT_EQ(r.first, 5u);
  EXPECT_EQ(r.last, head.seq);
}

// Sessions are node-local (DESIGN.md: sessions are not replicated): a login
// writes them to the store but never into the changelog.
TEST_F(ChangelogVaultTest, SessionsAreNotShipped) {
  auto admin = fx.Ctx("admin", Role::kAdmin);
  ASSERT_TRUE(vault().CreateUser(admin, UserInfo{"rina", Role::kCaseWorker, "", false, 0},
                                 "a long synthetic passphrase").ok());
  auto session = vault().Login(RequestContext{}, "rina", "a long synthetic passphrase");
  ASSERT_TRUE(session.ok()) << session.status().ToString();
  int sessions_in_store = 0, sessions_shipped = 0, users_shipped = 0;
  ASSERT_TRUE(vault().store().Scan(Column::kAcl, "s/", {}, [&](std::string_view, std::string_view) {
    ++sessions_in_store;
    return true;
  }).ok());
  ASSERT_TRUE(vault().store().Scan(Column::kChangelog, "", {}, [&](std::string_view, std::string_view v) {
    auto full = MaterializeChangelogEntry(vault().store(), v);
    EXPECT_TRUE(full.ok());
    auto e = DecodeChangelogEntry(full.ok() ? *full : std::string());
    EXPECT_TRUE(e.ok());
    if (!e.ok()) return false;
    for (const auto& m : e->mutations) {
      if (m.column == Column::kAcl && (m.key.rfind("s/", 0) == 0 || m.key.rfind("su/", 0) == 0)) {
        ++sessions_shipped;
      }
      if (m.column == Column::kAcl && m.key.rfind("u/", 0) == 0) ++users_shipped;
      EXPECT_FALSE(IsNodeLocal(m));
    }
    return true;
  }).ok());
  EXPECT_EQ(sessions_in_store, 1);
  EXPECT_EQ(sessions_shipped, 0);
  EXPECT_GT(users_shipped, 0);
  auto report = VerifyChangelog(vault().store());
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->intact) << report->problem;
}

}  // namespace
}  // namespace brankas
