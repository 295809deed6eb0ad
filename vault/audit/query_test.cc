// QueryAudit: filters, paging, limits, corruption.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "brankas/audit.h"
#include "brankas/crypto.h"
#include "brankas/store.h"
#include "testing/temp_dir.h"

namespace brankas {
namespace {

constexpr int64_t kT0 = 1'700'000'000'000'000;
constexpr int kEntries = 300;

// Entry i (seq i+1): actor user{i%3}, case C{i%10}, action read/update by parity,
// deny every 4th, time kT0 + i*10.
AuditEntry Entry(int i) {
  AuditEntry e;
  e.time_us = kT0 + i * 10;
  e.actor = "user" + std::to_string(i % 3);
  e.role = "case_worker";
  e.action = i % 2 == 0 ? "case.read" : "case.update";
  e.case_id = "C" + std::to_string(i % 10);
  e.fields = {"nama"};
  e.decision = i % 4 == 0 ? "deny" : "allow";
  e.rule = "r";
  return e;
}

class AuditQueryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(InitCrypto().ok());
    SigningKeyPair keys = GenerateSigningKey();
    auto store = OpenRocksStore(dir_.path(), {.create_if_missing = true});
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(store).value();
    auto chain = AuditChain::Open(*store_, "PPA-JKT-01", {});
    ASSERT_TRUE(chain.ok());
    AuditSigner sign = [&](std::string_view m) -> Result<std::string> {
      return Sign(keys.secret_key, m);
    };
    for (int i = 0; i < kEntries;) {
      Batch batch;
      for (int k = 0; k < 50; ++k, ++i) {
        AuditEntry e = Entry(i);
        (*chain)->Append(&e, &batch);
      }
      ASSERT_TRUE((*chain)->SealGroup(sign, kT0 + i, &batch).ok());
      ASSERT_TRUE(store_->Write(batch, Durability::kSync).ok());
    }
  }

  std::vector<AuditEntry> Query(const AuditFilter& f) {
    auto r = QueryAudit(*store_, f);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : std::vector<AuditEntry>{};
  }

  testing::TempDir dir_;
  std::unique_ptr<Store> store_;
};

TEST_F(AuditQueryTest, NoFilterReturnsTheFirstHundredInOrder) {
  auto all = Query({});
  ASSERT_EQ(all.size(), 100u);
  for (size_t i = 0; i < all.size(); ++i) EXPECT_EQ(all[i].seq, i + 1);
  EXPECT_EQ(Query({.limit = 0}).size(), 100u);
  EXPECT_EQ(Query({.limit = 1'000'000}).size(), static_cast<size_t>(kEntries));
}

TEST_F(AuditQueryTest, SingleFilters) {
  auto by_case = Query({.case_id = "C3", .limit = 1000});
  ASSERT_EQ(by_case.size(), 30u);
  for (const auto& e : by_case) EXPECT_EQ(e.case_id, "C3");

  auto by_actor = Query({.actor = "user1", .limit = 1000});
  ASSERT_EQ(by_actor.size(), 100u);
  for (const auto& e : by_actor) EXPECT_EQ(e.actor, "user1");

  auto by_action = Query({.action = "case.update", .limit = 1000});
  EXPECT_EQ(by_action.size(), 150u);

  auto denied = Query({.decision = "deny", .limit = 1000});
  ASSERT_EQ(denied.size(), 75u);
  for (const auto& e : denied) EXPECT_EQ(e.decision, "deny");

  EXPECT_TRUE(Query({.case_id = "nope"}).empty());
}

TEST_F(AuditQueryTest, TimeRangeIsHalfOpen) {
  // Entries 10..19 have time kT0+100 .. kT0+190.
  auto r = Query({.from_us = kT0 + 100, .to_us = kT0 + 200, .limit = 1000});
  ASSERT_EQ(r.size(), 10u);
  EXPECT_EQ(r.front().seq, 11u);
  EXPECT_EQ(r.back().seq, 20u);
}

TEST_F(AuditQueryTest, FiltersAreAnded) {
  // i % 10 == 4 (case C4) and i % 4 == 0 (deny): i % 20 == 4 -> 15 entries,
  // of which i % 3 == 1 (user1): i in {4, 64, 124, 184, 244} -> 5.
  auto r = Query({.case_id = "C4", .actor = "user1", .decision = "deny", .limit = 1000});
  ASSERT_EQ(r.size(), 5u);
  for (const auto& e : r) {
    EXPECT_EQ(e.case_id, "C4");
    EXPECT_EQ(e.actor, "user1");
    EXPECT_EQ(e.decision, "deny");
  }
  EXPECT_TRUE(Query({.case_id = "C4", .action = "case.update", .decision = "deny"}).empty());
}

TEST_F(AuditQueryTest, PagingWithAfterSeqAndLimit) {
  std::vector<uint64_t> seen;
  AuditFilter f{.case_id = "C7", .limit = 7};
  for (;;) {
    auto page = Query(f);
    if (page.empty()) break;
    ASSERT_LE(page.size(), 7u);
    for (const auto& e : page) seen.push_back(e.seq);
    f.after_seq = page.back().seq;
  }
  ASSERT_EQ(seen.size(), 30u);
  for (size_t i = 0; i < seen.size(); ++i) EXPECT_EQ(seen[i], 8 + 10 * i);
  EXPECT_TRUE(Query({.after_seq = ~uint64_t{0}}).empty());
}

TEST_F(AuditQueryTest, CorruptEntryIsAnError) {
  Batch b;
  b.Put(Column::kAudit, AuditEntryKey(5), "\x01garbage");
  ASSERT_TRUE(store_->Write(b, Durability::kSync).ok());
  auto r = QueryAudit(*store_, {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kCorruption);
  // A query that starts after it does not read it.
  EXPECT_TRUE(QueryAudit(*store_, {.after_seq = 5}).ok());
}

}  // namespace
}  // namespace brankas
