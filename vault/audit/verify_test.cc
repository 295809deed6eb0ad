// VerifyAuditChain against a real chain of 2500 entries and every kind of tampering.
//
// One chain is built per suite (groups of 100, checkpoints at 1000 and 2000, the
// signed head at 2500); every test tampers with its own copy and verifies with the
// database opened read-only, as the offline verifier does.
#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <string>

#include "brankas/audit.h"
#include "brankas/crypto.h"
#include "brankas/store.h"
#include "testing/temp_dir.h"

namespace brankas {
namespace {

constexpr int64_t kT0 = 1'700'000'000'000'000;
constexpr uint64_t kEntries = 2500;
constexpr int kGroup = 100;
const char kNode[] = "PPA-JKT-01";

AuditEntry Entry(uint64_t i) {
  static const char* kActions[] = {"case.read", "case.update", "case.create", "login"};
  AuditEntry e;
  e.time_us = kT0 + static_cast<int64_t>(i) * 1000;
  e.actor = "user" + std::to_string(i % 7);
  e.role = i % 3 == 0 ? "supervisor" : "case_worker";
  e.action = kActions[i % 4];
  e.case_id = "JKT-" + std::to_string(1000 + i % 37);
  e.fields = {"nama", "nik", "alamat"};
  e.decision = i % 5 == 0 ? "deny" : "allow";
  e.rule = "identity.read.assigned";
  e.request_id = "req-" + std::to_string(i);
  e.client = "10.0.0." + std::to_string(i % 250);
  e.flagged = i % 97 == 0;
  return e;
}

class AuditVerifyTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ASSERT_TRUE(InitCrypto().ok());
    golden_ = new testing::TempDir();
    keys_ = new SigningKeyPair(GenerateSigningKey());
    auto store = OpenRocksStore(golden_->Sub("db"), {.create_if_missing = true});
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    auto chain = AuditChain::Open(**store, kNode, {.checkpoint_every_entries = 1000});
    ASSERT_TRUE(chain.ok()) << chain.status().ToString();
    for (uint64_t i = 0; i < kEntries;) {
      Batch batch;
      for (int k = 0; k < kGroup; ++k, ++i) {
        AuditEntry e = Entry(i);
        (*chain)->Append(&e, &batch);
      }
      ASSERT_TRUE((*chain)->SealGroup(Signer(), kT0 + static_cast<int64_t>(i) * 1000, &batch).ok());
      ASSERT_TRUE((*store)->Write(batch, Durability::kSync).ok());
    }
  }

  static void TearDownTestSuite() {
    delete golden_;
    delete keys_;
    golden_ = nullptr;
    keys_ = nullptr;
  }

  static AuditSigner Signer() {
    return [](std::string_view m) -> Result<std::string> { return Sign(keys_->secret_key, m); };
  }

  void SetUp() override {
    std::filesystem::copy(golden_->Sub("db"), dir_.Sub("db"),
                          std::filesystem::copy_options::recursive);
    auto store = OpenRocksStore(dir_.Sub("db"), {});
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(store).value();
  }

  std::string Value(Column c, std::string_view key) {
    auto v = store_->Get(c, key);
    EXPECT_TRUE(v.ok() && v->has_value());
    return v.ok() && v->has_value() ? **v : std::string();
  }
  void Put(Column c, std::string key, std::string value) {
    Batch b;
    b.Put(c, std::move(key), std::move(value));
    ASSERT_TRUE(store_->Write(b, Durability::kNoSync).ok());
  }
  void Delete(Column c, std::string key) {
    Batch b;
    b.Delete(c, std::move(key));
    ASSERT_TRUE(store_->Write(b, Durability::kNoSync).ok());
  }
  void DeleteEntriesFrom(uint64_t first) {
    Batch b;
    for (uint64_t s = first; s <= kEntries; ++s) b.Delete(Column::kAudit, AuditEntryKey(s));
    ASSERT_TRUE(store_->Write(b, Durability::kSync).ok());
  }

  // Verifies on the live (writable) store: quick, for many tampers in a row.
  VerifyReport VerifyLive() {
    auto report = VerifyAuditChain(*store_, keys_->public_key);
    EXPECT_TRUE(report.ok()) << report.status().ToString();
    return report.ok() ? *report : VerifyReport{};
  }

  // Closes the store and verifies it opened read-only, as `brankas audit verify` does.
  VerifyReport VerifyReadOnly() {
    store_.reset();
    auto store = OpenRocksStore(dir_.Sub("db"), {.read_only = true});
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    if (!store.ok()) return {};
    auto report = VerifyAuditChain(**store, keys_->public_key);
    EXPECT_TRUE(report.ok()) << report.status().ToString();
    return report.ok() ? *report : VerifyReport{};
  }

  static testing::TempDir* golden_;
  static SigningKeyPair* keys_;
  testing::TempDir dir_;
  std::unique_ptr<Store> store_;
};

testing::TempDir* AuditVerifyTest::golden_ = nullptr;
SigningKeyPair* AuditVerifyTest::keys_ = nullptr;

#define EXPECT_BROKEN_AT(report_expr, seq)                                           \
  do {                                                                               \
    const VerifyReport report_ = (report_expr);                                      \
    EXPECT_FALSE(report_.intact);                                                    \
    EXPECT_EQ(report_.first_bad_seq, static_cast<uint64_t>(seq)) << report_.problem; \
    EXPECT_FALSE(report_.problem.empty());                                           \
  } while (0)

TEST_F(AuditVerifyTest, IntactChainVerifiesReadOnly) {
  VerifyReport r = VerifyReadOnly();
  EXPECT_TRUE(r.intact) << r.problem;
  EXPECT_EQ(r.entries, kEntries);
  EXPECT_EQ(r.checkpoints, 2u);
  EXPECT_EQ(r.first_bad_seq, 0u);
}

TEST_F(AuditVerifyTest, WrongPublicKeyFailsTheSignatures) {
  SigningKeyPair other = GenerateSigningKey();
  auto r = VerifyAuditChain(*store_, other.public_key);
  ASSERT_TRUE(r.ok());
  EXPECT_BROKEN_AT(*r, 1);  // nothing is covered by a valid signature
  auto bad = VerifyAuditChain(*store_, "short");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), Code::kInvalidArgument);
}

TEST_F(AuditVerifyTest, EveryByteFlipOfOneEntryIsDetected) {
  const uint64_t seq = 1234;
  const std::string key = AuditEntryKey(seq);
  const std::string original = Value(Column::kAudit, key);
  ASSERT_FALSE(original.empty());
  for (size_t pos = 0; pos < original.size(); ++pos) {
    for (unsigned char mask : {0x01, 0x80, 0xff}) {
      std::string tampered = original;
      tampered[pos] = static_cast<char>(tampered[pos] ^ mask);
      Put(Column::kAudit, key, tampered);
      VerifyReport r = VerifyLive();
      ASSERT_FALSE(r.intact) << "byte " << pos << " mask " << int(mask);
      ASSERT_EQ(r.first_bad_seq, seq) << "byte " << pos << ": " << r.problem;
    }
  }
  Put(Column::kAudit, key, original);
  EXPECT_TRUE(VerifyLive().intact);
}

TEST_F(AuditVerifyTest, ByteFlipsAcrossTheChainAreDetected) {
  for (uint64_t seq : {1ull, 2ull, 999ull, 1000ull, 1001ull, 2000ull, 2499ull, 2500ull}) {
    const std::string key = AuditEntryKey(seq);
    const std::string original = Value(Column::kAudit, key);
    for (size_t pos :
         {size_t{0}, size_t{5}, original.size() / 2, original.size() - 40, original.size() - 1}) {
      std::string tampered = original;
      tampered[pos] = static_cast<char>(tampered[pos] ^ 0x04);
      Put(Column::kAudit, key, tampered);
      VerifyReport r = VerifyLive();
      EXPECT_BROKEN_AT(r, seq);
    }
    Put(Column::kAudit, key, original);
  }
  EXPECT_TRUE(VerifyReadOnly().intact);
}

TEST_F(AuditVerifyTest, DeletedEntryInTheMiddle) {
  Delete(Column::kAudit, AuditEntryKey(1500));
  VerifyReport r = VerifyReadOnly();
  EXPECT_BROKEN_AT(r, 1500);
  EXPECT_EQ(r.entries, kEntries - 1);
}

TEST_F(AuditVerifyTest, DeletedFirstEntry) {
  Delete(Column::kAudit, AuditEntryKey(1));
  EXPECT_BROKEN_AT(VerifyReadOnly(), 1);
}

TEST_F(AuditVerifyTest, SwappedAdjacentEntries) {
  const std::string a = Value(Column::kAudit, AuditEntryKey(1700));
  const std::string b = Value(Column::kAudit, AuditEntryKey(1701));
  Batch swap;
  swap.Put(Column::kAudit, AuditEntryKey(1700), b);
  swap.Put(Column::kAudit, AuditEntryKey(1701), a);
  ASSERT_TRUE(store_->Write(swap, Durability::kSync).ok());
  EXPECT_BROKEN_AT(VerifyReadOnly(), 1700);
}

TEST_F(AuditVerifyTest, TruncatedTailWithTheHeadLeftAsIs) {
  DeleteEntriesFrom(2464);  // the last 37 entries
  VerifyReport r = VerifyReadOnly();
  EXPECT_BROKEN_AT(r, 2464);
  EXPECT_EQ(r.entries, 2463u);
}

TEST_F(AuditVerifyTest, TruncatedPastACheckpoint) {
  DeleteEntriesFrom(1901);  // removes the entry the checkpoint at 2000 signs
  EXPECT_BROKEN_AT(VerifyReadOnly(), 1901);
}

TEST_F(AuditVerifyTest, TruncatedTailWithAForgedHead) {
  DeleteEntriesFrom(2451);
  auto last = DecodeAuditEntry(Value(Column::kAudit, AuditEntryKey(2450)));
  ASSERT_TRUE(last.ok());
  AuditHead head{2450, last->hash, kT0, kNode, RandomBytes(kSignatureSize)};
  Put(Column::kMeta, std::string(kAuditHeadKey), EncodeAuditHead(head));
  // Entries after the last valid checkpoint (2000) are covered by no valid signature.
  VerifyReport r = VerifyReadOnly();
  EXPECT_BROKEN_AT(r, 2001);
}

TEST_F(AuditVerifyTest, TruncatedTailWithAHeadSignedByAnotherKey) {
  DeleteEntriesFrom(2101);
  auto last = DecodeAuditEntry(Value(Column::kAudit, AuditEntryKey(2100)));
  ASSERT_TRUE(last.ok());
  SigningKeyPair attacker = GenerateSigningKey();
  AuditHead head{2100, last->hash, kT0, kNode, {}};
  head.signature = Sign(attacker.secret_key, AuditHeadMessage(head));
  Put(Column::kMeta, std::string(kAuditHeadKey), EncodeAuditHead(head));
  EXPECT_BROKEN_AT(VerifyReadOnly(), 2001);
}

TEST_F(AuditVerifyTest, MissingHead) {
  Delete(Column::kMeta, std::string(kAuditHeadKey));
  EXPECT_BROKEN_AT(VerifyReadOnly(), 2001);
}

TEST_F(AuditVerifyTest, MalformedHead) {
  Put(Column::kMeta, std::string(kAuditHeadKey), "\x01\x02");
  EXPECT_BROKEN_AT(VerifyReadOnly(), 2001);
}

TEST_F(AuditVerifyTest, ForgedCheckpointSignature) {
  const std::string key = AuditCheckpointKey(1000);
  auto cp = DecodeCheckpoint(Value(Column::kAudit, key));
  ASSERT_TRUE(cp.ok());
  cp->signature[10] ^= 0x20;
  Put(Column::kAudit, key, EncodeCheckpoint(*cp));
  VerifyReport r = VerifyReadOnly();
  EXPECT_BROKEN_AT(r, 1000);
  EXPECT_NE(r.problem.find("checkpoint"), std::string::npos) << r.problem;
}

TEST_F(AuditVerifyTest, InventedCheckpoint) {
  auto e = DecodeAuditEntry(Value(Column::kAudit, AuditEntryKey(1500)));
  ASSERT_TRUE(e.ok());
  Checkpoint cp{1500, e->hash, kT0, kNode, RandomBytes(kSignatureSize)};
  Put(Column::kAudit, AuditCheckpointKey(1500), EncodeCheckpoint(cp));
  EXPECT_BROKEN_AT(VerifyReadOnly(), 1500);
}

TEST_F(AuditVerifyTest, CorruptCheckpointRecord) {
  Put(Column::kAudit, AuditCheckpointKey(2000), "\x01junk");
  EXPECT_BROKEN_AT(VerifyReadOnly(), 2000);
}

// An administrator without the node key rewrites entry 1500 and re-chains every
// hash after it: each entry is self-consistent, but the signed checkpoint at 2000
// and the signed head disagree. Entries after the last valid checkpoint (1000)
// are all suspect.
TEST_F(AuditVerifyTest, RewrittenAndRechainedHistory) {
  auto prev = DecodeAuditEntry(Value(Column::kAudit, AuditEntryKey(1499)));
  ASSERT_TRUE(prev.ok());
  std::string prev_hash = prev->hash;
  Batch batch;
  for (uint64_t seq = 1500; seq <= kEntries; ++seq) {
    auto e = DecodeAuditEntry(Value(Column::kAudit, AuditEntryKey(seq)));
    ASSERT_TRUE(e.ok());
    if (seq == 1500) {
      e->decision = "allow";
      e->actor = "someone-else";
    }
    e->prev_hash = prev_hash;
    e->hash = ComputeEntryHash(*e);
    prev_hash = e->hash;
    batch.Put(Column::kAudit, AuditEntryKey(seq), EncodeAuditEntry(*e));
  }
  ASSERT_TRUE(store_->Write(batch, Durability::kSync).ok());
  EXPECT_BROKEN_AT(VerifyReadOnly(), 1001);
}

TEST_F(AuditVerifyTest, UnsignedEntriesAfterTheHead) {
  auto last = DecodeAuditEntry(Value(Column::kAudit, AuditEntryKey(kEntries)));
  ASSERT_TRUE(last.ok());
  AuditEntry extra = Entry(9999);
  extra.seq = kEntries + 1;
  extra.node = kNode;
  extra.prev_hash = last->hash;
  extra.hash = ComputeEntryHash(extra);
  Put(Column::kAudit, AuditEntryKey(extra.seq), EncodeAuditEntry(extra));
  EXPECT_BROKEN_AT(VerifyReadOnly(), kEntries + 1);
}

TEST_F(AuditVerifyTest, EmptyStoreIsIntact) {
  testing::TempDir empty;
  auto store = OpenRocksStore(empty.Sub("db"), {.create_if_missing = true});
  ASSERT_TRUE(store.ok());
  auto r = VerifyAuditChain(**store, keys_->public_key);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->intact) << r->problem;
  EXPECT_EQ(r->entries, 0u);
}

}  // namespace
}  // namespace brankas
