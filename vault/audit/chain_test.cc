// AuditChain: appends, sealing, checkpoints cadence, reopen, rollback.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "brankas/audit.h"
#include "brankas/crypto.h"
#include "brankas/fault_store.h"
#include "brankas/store.h"
#include "testing/temp_dir.h"

namespace brankas {
namespace {

constexpr int64_t kT0 = 1'700'000'000'000'000;
const char kNode[] = "PPA-JKT-01";

AuditEntry Entry(int i) {
  AuditEntry e;
  e.time_us = kT0 + i;
  e.actor = "user" + std::to_string(i % 5);
  e.role = "case_worker";
  e.action = "case.read";
  e.case_id = "JKT-" + std::to_string(i % 9);
  e.fields = {"nama", "nik"};
  e.decision = "allow";
  e.rule = "identity.read.assigned";
  e.request_id = "req-" + std::to_string(i);
  e.client = "10.0.0.1";
  return e;
}

class AuditChainTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(InitCrypto().ok());
    keys_ = GenerateSigningKey();
    signer_ = [this](std::string_view m) -> Result<std::string> {
      return Sign(keys_.secret_key, m);
    };
    Reopen();
  }

  void Reopen() {
    store_.reset();
    auto store = OpenRocksStore(dir_.path(), {.create_if_missing = true});
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(store).value();
  }

  std::unique_ptr<AuditChain> OpenChain(AuditChainOptions options = {}) {
    auto chain = AuditChain::Open(*store_, kNode, options);
    EXPECT_TRUE(chain.ok()) << chain.status().ToString();
    return chain.ok() ? std::move(chain).value() : nullptr;
  }

  // Appends `n` entries as one group and commits it.
  void CommitGroup(AuditChain& chain, int n, int64_t now_us) {
    Batch batch;
    for (int i = 0; i < n; ++i) {
      AuditEntry e = Entry(next_++);
      chain.Append(&e, &batch);
    }
    ASSERT_TRUE(chain.SealGroup(signer_, now_us, &batch).ok());
    ASSERT_TRUE(store_->Write(batch, Durability::kSync).ok());
  }

  std::vector<uint64_t> CheckpointSeqs() {
    std::vector<uint64_t> seqs;
    Status s = store_->Scan(Column::kAudit, kAuditCheckpointPrefix, {},
                            [&](std::string_view key, std::string_view) {
                              seqs.push_back(GetBigEndian64(key.substr(1)));
                              return true;
                            });
    EXPECT_TRUE(s.ok());
    return seqs;
  }

  void ExpectIntact(uint64_t entries) {
    auto report = VerifyAuditChain(*store_, keys_.public_key);
    ASSERT_TRUE(report.ok()) << report.status().ToString();
    EXPECT_TRUE(report->intact) << report->problem;
    EXPECT_EQ(report->entries, entries);
  }

  testing::TempDir dir_;
  std::unique_ptr<Store> store_;
  SigningKeyPair keys_;
  AuditSigner signer_;
  int next_ = 0;
};

TEST_F(AuditChainTest, StartsEmpty) {
  auto chain = OpenChain();
  ASSERT_NE(chain, nullptr);
  EXPECT_EQ(chain->head_seq(), 0u);
  EXPECT_EQ(chain->head_hash(), std::string(kHashSize, '\0'));
  EXPECT_EQ(chain->node(), kNode);
  ExpectIntact(0);
}

TEST_F(AuditChainTest, AppendAssignsSequenceAndLinksHashes) {
  auto chain = OpenChain();
  ASSERT_NE(chain, nullptr);
  Batch batch;
  std::vector<AuditEntry> entries;
  for (int i = 0; i < 3; ++i) {
    AuditEntry e = Entry(i);
    e.node = "someone-else";  // the chain's node wins
    chain->Append(&e, &batch);
    entries.push_back(e);
  }
  EXPECT_EQ(entries[0].seq, 1u);
  EXPECT_EQ(entries[2].seq, 3u);
  EXPECT_EQ(entries[0].prev_hash, std::string(kHashSize, '\0'));
  EXPECT_EQ(entries[1].prev_hash, entries[0].hash);
  EXPECT_EQ(entries[2].prev_hash, entries[1].hash);
  EXPECT_EQ(entries[1].node, kNode);
  EXPECT_EQ(entries[2].hash, ComputeEntryHash(entries[2]));
  EXPECT_EQ(chain->head_seq(), 3u);
  EXPECT_EQ(chain->head_hash(), entries[2].hash);
  // Append only fills the batch.
  EXPECT_EQ(batch.mutations().size(), 3u);
  EXPECT_FALSE((*store_->Get(Column::kAudit, AuditEntryKey(1))).has_value());

  ASSERT_TRUE(chain->SealGroup(signer_, kT0, &batch).ok());
  ASSERT_TRUE(store_->Write(batch, Durability::kSync).ok());
  auto stored = store_->Get(Column::kAudit, AuditEntryKey(2));
  ASSERT_TRUE(stored.ok() && stored->has_value());
  auto decoded = DecodeAuditEntry(**stored);
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(*decoded, entries[1]);

  auto head_bytes = store_->Get(Column::kMeta, kAuditHeadKey);
  ASSERT_TRUE(head_bytes.ok() && head_bytes->has_value());
  auto head = DecodeAuditHead(**head_bytes);
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(head->seq, 3u);
  EXPECT_EQ(head->hash, entries[2].hash);
  EXPECT_EQ(head->time_us, kT0);
  EXPECT_EQ(head->node, kNode);
  EXPECT_TRUE(VerifySignature(keys_.public_key, AuditHeadMessage(*head), head->signature));
  ExpectIntact(3);
}

TEST_F(AuditChainTest, SealWithNothingNewWritesNothing) {
  auto chain = OpenChain();
  ASSERT_NE(chain, nullptr);
  Batch batch;
  int calls = 0;
  AuditSigner counting = [&](std::string_view m) -> Result<std::string> {
    ++calls;
    return Sign(keys_.secret_key, m);
  };
  ASSERT_TRUE(chain->SealGroup(counting, kT0, &batch).ok());
  EXPECT_TRUE(batch.empty());
  EXPECT_EQ(calls, 0);
}

TEST_F(AuditChainTest, CheckpointsEveryNEntries) {
  auto chain = OpenChain({.checkpoint_every_entries = 10, .checkpoint_every_us = 0});
  ASSERT_NE(chain, nullptr);
  for (int g = 0; g < 10; ++g) CommitGroup(*chain, 3, kT0 + g);
  // Groups end at 3, 6, ..., 30: the first group end at least 10 past the last.
  EXPECT_EQ(CheckpointSeqs(), (std::vector<uint64_t>{12, 24}));
  EXPECT_EQ(chain->last_checkpoint_seq(), 24u);
  ExpectIntact(30);
}

TEST_F(AuditChainTest, CheckpointsEveryTInterval) {
  auto chain = OpenChain({.checkpoint_every_entries = 0, .checkpoint_every_us = 1000});
  ASSERT_NE(chain, nullptr);
  // The first group starts the clock; then one every 1000 µs.
  for (int g = 0; g < 6; ++g) CommitGroup(*chain, 1, kT0 + 600 * g);
  // Groups at 0, 600, 1200 (cp), 1800, 2400 (cp), 3000.
  EXPECT_EQ(CheckpointSeqs(), (std::vector<uint64_t>{3, 5}));
  ExpectIntact(6);
}

// An idle node: a seal with no new entries writes the checkpoint that fell
// due since (and only it: the signed head is already the newest), once.
TEST_F(AuditChainTest, ASealWithNothingNewWritesACheckpointThatFellDue) {
  auto chain = OpenChain({.checkpoint_every_entries = 100, .checkpoint_every_us = 1000});
  ASSERT_NE(chain, nullptr);
  CommitGroup(*chain, 2, kT0);        // starts the clock: no checkpoint
  CommitGroup(*chain, 1, kT0 + 400);  // entry 3, no checkpoint yet
  EXPECT_TRUE(CheckpointSeqs().empty());
  EXPECT_FALSE(chain->CheckpointDue(kT0 + 999));
  Batch early;
  ASSERT_TRUE(chain->SealGroup(signer_, kT0 + 999, &early).ok());
  EXPECT_TRUE(early.empty());

  EXPECT_TRUE(chain->CheckpointDue(kT0 + 1000));
  Batch due;
  ASSERT_TRUE(chain->SealGroup(signer_, kT0 + 1000, &due).ok());
  ASSERT_EQ(due.mutations().size(), 1u);
  EXPECT_EQ(due.mutations()[0].column, Column::kAudit);
  ASSERT_TRUE(store_->Write(due, Durability::kSync).ok());
  EXPECT_EQ(CheckpointSeqs(), (std::vector<uint64_t>{3}));
  EXPECT_EQ(chain->last_checkpoint_seq(), 3u);

  // Covered now: however long it stays idle, nothing more.
  EXPECT_FALSE(chain->CheckpointDue(kT0 + 1'000'000));
  Batch later;
  ASSERT_TRUE(chain->SealGroup(signer_, kT0 + 1'000'000, &later).ok());
  EXPECT_TRUE(later.empty());
  ExpectIntact(3);
}

TEST_F(AuditChainTest, ReopenContinuesTheChain) {
  {
    auto chain = OpenChain({.checkpoint_every_entries = 50});
    ASSERT_NE(chain, nullptr);
    for (int g = 0; g < 6; ++g) CommitGroup(*chain, 20, kT0 + g);
  }
  Reopen();
  auto chain = OpenChain({.checkpoint_every_entries = 50});
  ASSERT_NE(chain, nullptr);
  EXPECT_EQ(chain->head_seq(), 120u);
  EXPECT_EQ(chain->last_checkpoint_seq(), 120u);
  for (int g = 0; g < 3; ++g) CommitGroup(*chain, 20, kT0 + 10 + g);
  EXPECT_EQ(CheckpointSeqs(), (std::vector<uint64_t>{60, 120, 180}));
  ExpectIntact(180);
}

TEST_F(AuditChainTest, RollbackAfterFailedWriteKeepsChainConsistent) {
  auto fault = std::make_unique<FaultStore>(std::move(store_));
  FaultStore* faulty = fault.get();
  store_ = std::move(fault);
  auto chain = OpenChain({.checkpoint_every_entries = 10});
  ASSERT_NE(chain, nullptr);
  CommitGroup(*chain, 8, kT0);
  const std::string hash_before = chain->head_hash();

  // This group would take a checkpoint (8 + 5 >= 10) but the disk fails.
  AuditChain::GroupMark mark = chain->Mark();
  Batch batch;
  for (int i = 0; i < 5; ++i) {
    AuditEntry e = Entry(100 + i);
    chain->Append(&e, &batch);
  }
  ASSERT_TRUE(chain->SealGroup(signer_, kT0 + 1, &batch).ok());
  EXPECT_EQ(chain->last_checkpoint_seq(), 13u);
  faulty->fail_writes = true;
  ASSERT_FALSE(store_->Write(batch, Durability::kSync).ok());
  faulty->fail_writes = false;
  chain->Rollback(mark);
  EXPECT_EQ(chain->head_seq(), 8u);
  EXPECT_EQ(chain->head_hash(), hash_before);
  EXPECT_EQ(chain->last_checkpoint_seq(), 0u);
  ExpectIntact(8);

  // The next group continues from the durable head, and the checkpoint comes again.
  CommitGroup(*chain, 5, kT0 + 2);
  EXPECT_EQ(chain->head_seq(), 13u);
  EXPECT_EQ(CheckpointSeqs(), (std::vector<uint64_t>{13}));
  ExpectIntact(13);

  // And a reopened chain agrees.
  auto reopened = AuditChain::Open(*store_, kNode, {});
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  EXPECT_EQ((*reopened)->head_seq(), 13u);
  EXPECT_EQ((*reopened)->head_hash(), chain->head_hash());
}

TEST_F(AuditChainTest, SignerFailureFailsTheGroupClosed) {
  auto chain = OpenChain({.checkpoint_every_entries = 4});
  ASSERT_NE(chain, nullptr);
  CommitGroup(*chain, 2, kT0);

  AuditChain::GroupMark mark = chain->Mark();
  Batch batch;
  for (int i = 0; i < 3; ++i) {
    AuditEntry e = Entry(200 + i);
    chain->Append(&e, &batch);
  }
  // The head signature succeeds, the checkpoint's fails.
  int calls = 0;
  AuditSigner flaky = [&](std::string_view m) -> Result<std::string> {
    if (++calls == 2) return Unavailable("key provider down");
    return Sign(keys_.secret_key, m);
  };
  Status s = chain->SealGroup(flaky, kT0 + 1, &batch);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), Code::kUnavailable);
  chain->Rollback(mark);  // the committer drops the batch and the group
  EXPECT_EQ(chain->head_seq(), 2u);

  CommitGroup(*chain, 3, kT0 + 2);
  EXPECT_EQ(chain->head_seq(), 5u);
  EXPECT_EQ(CheckpointSeqs(), (std::vector<uint64_t>{5}));
  ExpectIntact(5);
}

TEST_F(AuditChainTest, MalformedSignatureFromSignerIsAnError) {
  auto chain = OpenChain();
  ASSERT_NE(chain, nullptr);
  Batch batch;
  AuditEntry e = Entry(0);
  chain->Append(&e, &batch);
  AuditSigner bad = [](std::string_view) -> Result<std::string> { return std::string("sig"); };
  EXPECT_FALSE(chain->SealGroup(bad, kT0, &batch).ok());
  EXPECT_FALSE(chain->SealGroup(AuditSigner(), kT0, &batch).ok());
}

TEST_F(AuditChainTest, OpenRejectsMalformedHead) {
  Batch batch;
  batch.Put(Column::kMeta, std::string(kAuditHeadKey), "\x01garbage");
  ASSERT_TRUE(store_->Write(batch, Durability::kSync).ok());
  auto chain = AuditChain::Open(*store_, kNode, {});
  ASSERT_FALSE(chain.ok());
  EXPECT_EQ(chain.status().code(), Code::kCorruption);
}

TEST_F(AuditChainTest, OpenRejectsHeadThatDoesNotMatchTheEntries) {
  {
    auto chain = OpenChain();
    ASSERT_NE(chain, nullptr);
    CommitGroup(*chain, 5, kT0);
  }
  Batch drop;
  drop.Delete(Column::kAudit, AuditEntryKey(5));
  ASSERT_TRUE(store_->Write(drop, Durability::kSync).ok());
  auto chain = AuditChain::Open(*store_, kNode, {});
  ASSERT_FALSE(chain.ok());
  EXPECT_EQ(chain.status().code(), Code::kCorruption);

  Batch no_head;
  no_head.Delete(Column::kMeta, std::string(kAuditHeadKey));
  ASSERT_TRUE(store_->Write(no_head, Durability::kSync).ok());
  chain = AuditChain::Open(*store_, kNode, {});
  ASSERT_FALSE(chain.ok());
  EXPECT_EQ(chain.status().code(), Code::kCorruption);
}

TEST_F(AuditChainTest, OpenRejectsAnotherNodesChainAndAnEmptyNode) {
  {
    auto chain = OpenChain();
    ASSERT_NE(chain, nullptr);
    CommitGroup(*chain, 2, kT0);
  }
  auto other = AuditChain::Open(*store_, "PPA-SBY-02", {});
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.status().code(), Code::kFailedPrecondition);
  auto empty = AuditChain::Open(*store_, "", {});
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.status().code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace brankas
