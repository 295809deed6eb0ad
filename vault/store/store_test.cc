#include <gtest/gtest.h>

#include <filesystem>

#include "brankas/fault_store.h"
#include "brankas/store.h"
#include "testing/temp_dir.h"

namespace brankas {
namespace {

TEST(StoreTest, PutGetDeleteAcrossColumns) {
  testing::TempDir dir;
  auto store = OpenRocksStore(dir.path(), {.create_if_missing = true});
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  Batch b;
  b.Put(Column::kAudit, "k", "audit-value");
  b.Put(Column::kRecords, "k", "record-value");
  ASSERT_TRUE((*store)->Write(b, Durability::kSync).ok());
  auto a = (*store)->Get(Column::kAudit, "k");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(**a, "audit-value");
  auto r = (*store)->Get(Column::kRecords, "k");
  EXPECT_EQ(**r, "record-value");
  EXPECT_FALSE((*(*store)->Get(Column::kMeta, "k")).has_value());
  Batch d;
  d.Delete(Column::kAudit, "k");
  ASSERT_TRUE((*store)->Write(d, Durability::kSync).ok());
  EXPECT_FALSE((*(*store)->Get(Column::kAudit, "k")).has_value());
}

TEST(StoreTest, ScanRespectsPrefixAndOrder) {
  testing::TempDir dir;
  auto store = OpenRocksStore(dir.path(), {.create_if_missing = true});
  ASSERT_TRUE(store.ok());
  Batch b;
  for (uint64_t i = 0; i < 50; ++i) {
    std::string k = "e";
    PutBigEndian64(&k, i);
    b.Put(Column::kAudit, k, std::to_string(i));
  }
  b.Put(Column::kAudit, "f", "other");
  b.Put(Column::kAudit, "d", "other");
  ASSERT_TRUE((*store)->Write(b, Durability::kSync).ok());
  std::vector<uint64_t> seen;
  ASSERT_TRUE((*store)->Scan(Column::kAudit, "e", {}, [&](std::string_view k, std::string_view) {
    seen.push_back(GetBigEndian64(k.substr(1)));
    return true;
  }).ok());
  ASSERT_EQ(seen.size(), 50u);
  for (uint64_t i = 0; i < 50; ++i) EXPECT_EQ(seen[i], i);
  seen.clear();
  ASSERT_TRUE((*store)->ScanReverse(Column::kAudit, "e", [&](std::string_view k, std::string_view) {
    seen.push_back(GetBigEndian64(k.substr(1)));
    return seen.size() < 3;
  }).ok());
  EXPECT_EQ(seen, (std::vector<uint64_t>{49, 48, 47}));
}

TEST(StoreTest, ReopenKeepsSyncedWrites) {
  testing::TempDir dir;
  {
    auto store = OpenRocksStore(dir.path(), {.create_if_missing = true});
    ASSERT_TRUE(store.ok());
    Batch b;
    b.Put(Column::kMeta, "x", "1");
    ASSERT_TRUE((*store)->Write(b, Durability::kSync).ok());
  }
  auto store = OpenRocksStore(dir.path(), {});
  ASSERT_TRUE(store.ok());
  EXPECT_EQ(**(*store)->Get(Column::kMeta, "x"), "1");
  auto ro = OpenRocksStore(dir.path(), {.read_only = true});
  EXPECT_TRUE(ro.ok()) << ro.status().ToString();
}

TEST(StoreTest, EncodedBatchesAreWrittenAsOneInTheirOrder) {
  testing::TempDir dir;
  {
    auto store = OpenRocksStore(dir.path(), {.create_if_missing = true});
    ASSERT_TRUE(store.ok());
    Batch b1, b2, b3;
    b1.Put(Column::kRecords, "k", "1");
    b1.Put(Column::kRecords, "a", "from the first");
    b2.Put(Column::kRecords, "k", "2");
    b2.Delete(Column::kRecords, "a");
    b2.Put(Column::kAudit, "e", "entry");
    b3.Put(Column::kRecords, "k", "3");
    b3.Put(Column::kRecords, "b", "from the third");
    auto e1 = (*store)->Encode(std::move(b1));
    auto e2 = (*store)->Encode(std::move(b2));
    auto e3 = (*store)->Encode(std::move(b3));
    ASSERT_TRUE((*store)->WriteEncoded({e1.get(), e2.get(), e3.get()}, Durability::kSync).ok());
    Batch alone;
    alone.Put(Column::kMeta, "m", "alone");
    auto e4 = (*store)->Encode(std::move(alone));
    ASSERT_TRUE((*store)->WriteEncoded({e4.get()}, Durability::kSync).ok());
    EXPECT_TRUE((*store)->WriteEncoded({}, Durability::kSync).ok());
  }
  auto store = OpenRocksStore(dir.path(), {});  // from the WAL: they were synced
  ASSERT_TRUE(store.ok());
  EXPECT_EQ(**(*store)->Get(Column::kRecords, "k"), "3");
  EXPECT_FALSE((*(*store)->Get(Column::kRecords, "a")).has_value());
  EXPECT_EQ(**(*store)->Get(Column::kRecords, "b"), "from the third");
  EXPECT_EQ(**(*store)->Get(Column::kAudit, "e"), "entry");
  EXPECT_EQ(**(*store)->Get(Column::kMeta, "m"), "alone");
}

TEST(StoreTest, ABatchEncodedElsewhereIsRefusedAndNothingIsWritten) {
  testing::TempDir dir;
  auto store = OpenRocksStore(dir.path(), {.create_if_missing = true});
  ASSERT_TRUE(store.ok());
  struct Foreign final : EncodedBatch {};
  Foreign foreign;
  Batch b;
  b.Put(Column::kRecords, "k", "v");
  auto own = (*store)->Encode(std::move(b));
  Status s = (*store)->WriteEncoded({own.get(), &foreign}, Durability::kSync);
  EXPECT_EQ(s.code(), Code::kInvalidArgument);
  EXPECT_FALSE((*(*store)->Get(Column::kRecords, "k")).has_value());
}

TEST(StoreTest, MissingDirectoryIsAClearError) {
  testing::TempDir dir;
  auto store = OpenRocksStore(dir.path() + "/absent", {});
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), Code::kFailedPrecondition);
}

TEST(StoreTest, GarbageInsteadOfADatabaseIsReportedNotCrashed) {
  testing::TempDir dir;
  {
    auto store = OpenRocksStore(dir.path(), {.create_if_missing = true});
    ASSERT_TRUE(store.ok());
  }
  for (const auto& e : std::filesystem::directory_iterator(dir.path())) {
    if (e.path().filename().string().rfind("MANIFEST", 0) == 0) {
      FILE* f = fopen(e.path().c_str(), "r+b");
      ASSERT_NE(f, nullptr);
      const char junk[] = "this is not a manifest at all, just junk bytes";
      fwrite(junk, 1, sizeof(junk), f);
      fclose(f);
    }
  }
  auto store = OpenRocksStore(dir.path(), {});
  EXPECT_FALSE(store.ok());
}

TEST(FaultStoreTest, InjectsWriteFailuresAndCorruption) {
  testing::TempDir dir;
  auto base = OpenRocksStore(dir.path(), {.create_if_missing = true});
  ASSERT_TRUE(base.ok());
  FaultStore store(std::move(*base));
  Batch b;
  b.Put(Column::kRecords, "a", "value");
  ASSERT_TRUE(store.Write(b, Durability::kSync).ok());
  store.fail_writes = true;
  Status s = store.Write(b, Durability::kSync);
  EXPECT_EQ(s.code(), Code::kUnavailable);
  store.fail_writes = false;
  store.writes_before_failure = 1;
  EXPECT_TRUE(store.Write(b, Durability::kSync).ok());
  EXPECT_FALSE(store.Write(b, Durability::kSync).ok());
  store.writes_before_failure = -1;
  store.corrupt_reads = true;
  EXPECT_NE(**store.Get(Column::kRecords, "a"), "value");
  store.corrupt_reads = false;

  // Encoded batches go through the same switches: the committer writes them.
  Batch c;
  c.Put(Column::kRecords, "c", "encoded");
  auto encoded = store.Encode(std::move(c));
  store.fail_writes = true;
  EXPECT_EQ(store.WriteEncoded({encoded.get()}, Durability::kSync).code(), Code::kUnavailable);
  EXPECT_FALSE((*store.Get(Column::kRecords, "c")).has_value());
  store.fail_writes = false;
  const uint64_t done = store.writes_done.load();
  EXPECT_TRUE(store.WriteEncoded({encoded.get()}, Durability::kSync).ok());
  EXPECT_EQ(store.writes_done.load(), done + 1);
  EXPECT_EQ(**store.Get(Column::kRecords, "c"), "encoded");
}

}  // namespace
}  // namespace brankas

namespace brankas {
namespace {

TEST(StoreTest, SnapshotDoesNotSeeLaterWrites) {
  testing::TempDir dir;
  auto store = OpenRocksStore(dir.path(), {.create_if_missing = true});
  ASSERT_TRUE(store.ok());
  Batch a;
  a.Put(Column::kAudit, "e1", "one");
  ASSERT_TRUE((*store)->Write(a, Durability::kSync).ok());
  auto snap = (*store)->Snapshot();
  ASSERT_TRUE(snap.ok());
  Batch b;
  b.Put(Column::kAudit, "e2", "two");
  b.Put(Column::kAudit, "e1", "changed");
  ASSERT_TRUE((*store)->Write(b, Durability::kSync).ok());
  EXPECT_EQ(**(*snap)->Get(Column::kAudit, "e1"), "one");
  int n = 0;
  ASSERT_TRUE((*snap)->Scan(Column::kAudit, "e", {}, [&](std::string_view, std::string_view) {
    ++n;
    return true;
  }).ok());
  EXPECT_EQ(n, 1);
  EXPECT_FALSE((*snap)->Write(b, Durability::kSync).ok());
}

}  // namespace
}  // namespace brankas
