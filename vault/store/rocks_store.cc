// The RocksDB implementation of Store. rocksdb::Status is converted to our
// Status here and nowhere else.
#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/table.h>
#include <rocksdb/cache.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <memory>
#include <vector>

#include "brankas/store.h"

namespace brankas {
namespace {

Status FromRocks(const rocksdb::Status& s, const char* what) {
  if (s.ok()) return Status::Ok();
  std::string msg = std::string(what) + ": " + s.ToString();
  if (s.IsCorruption()) return Corruption(msg);
  if (s.IsNotFound()) return NotFound(msg);
  if (s.IsIOError() && s.subcode() == rocksdb::Status::kNoSpace) return Unavailable(msg);
  if (s.IsIOError() || s.IsBusy() || s.IsTimedOut() || s.IsTryAgain()) return Unavailable(msg);
  if (s.IsInvalidArgument()) return InvalidArgument(msg);
  return Internal(msg);
}

Result<std::optional<std::string>> GetAt(rocksdb::DB* db, const rocksdb::ReadOptions& ro,
                                         rocksdb::ColumnFamilyHandle* cf, std::string_view key) {
  if (cf == nullptr) return std::optional<std::string>();  // a column family this directory lacks
  std::string value;
  rocksdb::Status s = db->Get(ro, cf, rocksdb::Slice(key.data(), key.size()), &value);
  if (s.IsNotFound()) return std::optional<std::string>();
  if (!s.ok()) return FromRocks(s, "get");
  return std::optional<std::string>(std::move(value));
}

Status ScanAt(rocksdb::DB* db, const rocksdb::ReadOptions& ro, rocksdb::ColumnFamilyHandle* cf,
              std::string_view prefix, std::string_view start,
              const std::function<bool(std::string_view, std::string_view)>& fn) {
  if (cf == nullptr) return Status::Ok();
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(ro, cf));
  rocksdb::Slice seek = start.empty() ? rocksdb::Slice(prefix.data(), prefix.size())
                                      : rocksdb::Slice(start.data(), start.size());
  for (it->Seek(seek); it->Valid(); it->Next()) {
    rocksdb::Slice k = it->key();
    if (!k.starts_with(rocksdb::Slice(prefix.data(), prefix.size()))) break;
    if (!fn(std::string_view(k.data(), k.size()),
            std::string_view(it->value().data(), it->value().size()))) {
      return Status::Ok();
    }
  }
  return FromRocks(it->status(), "scan");
}

Status ScanReverseAt(rocksdb::DB* db, const rocksdb::ReadOptions& ro, rocksdb::ColumnFamilyHandle* cf,
                     std::string_view prefix,
                     const std::function<bool(std::string_view, std::string_view)>& fn) {
  if (cf == nullptr) return Status::Ok();
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(ro, cf));
  // Position on the last key of the prefix range: seek to the first key past
  // the range (the prefix with its last non-0xff byte incremented) and step back.
  std::string upper(prefix);
  bool has_upper = false;
  while (!upper.empty()) {
    unsigned char last = static_cast<unsigned char>(upper.back());
    if (last != 0xff) {
      upper.back() = static_cast<char>(last + 1);
      has_upper = true;
      break;
    }
    upper.pop_back();
  }
  if (has_upper) {
    it->SeekForPrev(upper);
    if (it->Valid() && it->key() == rocksdb::Slice(upper)) it->Prev();
  } else {
    it->SeekToLast();
  }
  for (; it->Valid(); it->Prev()) {
    rocksdb::Slice k = it->key();
    if (!k.starts_with(rocksdb::Slice(prefix.data(), prefix.size()))) break;
    if (!fn(std::string_view(k.data(), k.size()),
            std::string_view(it->value().data(), it->value().size()))) {
      return Status::Ok();
    }
  }
  return FromRocks(it->status(), "scan");
}

// Reads through a RocksDB snapshot; released when dropped.
class SnapshotStore final : public Store {
 public:
  SnapshotStore(rocksdb::DB* db, std::vector<rocksdb::ColumnFamilyHandle*>* handles)
      : db_(db), handles_(handles), snapshot_(db->GetSnapshot()) {}
  ~SnapshotStore() override { db_->ReleaseSnapshot(snapshot_); }

  Status Write(const Batch&, Durability) override {
    return FailedPrecondition("a snapshot is read-only");
  }
  Result<std::optional<std::string>> Get(Column c, std::string_view key) override {
    return GetAt(db_, Options(), Handle(c), key);
  }
  Status Scan(Column c, std::string_view prefix, std::string_view start,
              const std::function<bool(std::string_view, std::string_view)>& fn) override {
    return ScanAt(db_, Options(), Handle(c), prefix, start, fn);
  }
  Status ScanReverse(Column c, std::string_view prefix,
                     const std::function<bool(std::string_view, std::string_view)>& fn) override {
    return ScanReverseAt(db_, Options(), Handle(c), prefix, fn);
  }
  Status Flush() override { return Status::Ok(); }
  Result<std::unique_ptr<Store>> Snapshot() override {
    return FailedPrecondition("a snapshot of a snapshot is not supported");
  }

 private:
  rocksdb::ReadOptions Options() const {
    rocksdb::ReadOptions ro;
    ro.snapshot = snapshot_;
    return ro;
  }
  rocksdb::ColumnFamilyHandle* Handle(Column c) { return handles_->at(static_cast<size_t>(c) + 1); }
  rocksdb::DB* db_;
  std::vector<rocksdb::ColumnFamilyHandle*>* handles_;
  const rocksdb::Snapshot* snapshot_;
};

class RocksStore final : public Store {
 public:
  RocksStore(std::unique_ptr<rocksdb::DB> db, std::vector<rocksdb::ColumnFamilyHandle*> handles)
      : db_(std::move(db)), handles_(std::move(handles)) {}

  ~RocksStore() override {
    for (auto* h : handles_) {
      if (h != nullptr) db_->DestroyColumnFamilyHandle(h).PermitUncheckedError();
    }
    db_->Close().PermitUncheckedError();
  }

  Status Write(const Batch& batch, Durability durability) override {
    rocksdb::WriteBatch wb(Reservation(batch));
    BRANKAS_RETURN_IF_ERROR(Build(batch, &wb));
    return WriteRocks(&wb, durability);
  }

  std::unique_ptr<EncodedBatch> Encode(Batch batch) override {
    auto encoded = std::make_unique<RocksEncodedBatch>(Reservation(batch));
    encoded->status = Build(batch, &encoded->wb);
    return encoded;
  }

  Status WriteEncoded(const std::vector<EncodedBatch*>& batches, Durability durability) override {
    std::vector<RocksEncodedBatch*> own;
    own.reserve(batches.size());
    for (EncodedBatch* b : batches) {
      auto* r = dynamic_cast<RocksEncodedBatch*>(b);
      if (r == nullptr) return InvalidArgument("a batch encoded by another store");
      BRANKAS_RETURN_IF_ERROR(r->status);
      own.push_back(r);
    }
    if (own.empty()) return Status::Ok();
    if (own.size() == 1) return WriteRocks(&own[0]->wb, durability);
    // Several groups in one write: their records concatenated under one
    // header (WriteBatch's rep: fixed64 sequence, fixed32 count, records),
    // each group's records still in its own (column, key) order and the
    // groups in the order given, so a key written by two keeps the later.
    size_t bytes = kWriteBatchHeader;
    uint64_t count = 0;
    for (const RocksEncodedBatch* r : own) {
      if (r->wb.GetDataSize() < kWriteBatchHeader) return Internal("an encoded batch without its header");
      bytes += r->wb.GetDataSize() - kWriteBatchHeader;
      count += r->wb.Count();
    }
    if (count > UINT32_MAX) return InvalidArgument("too many mutations for one write");
    std::string rep;
    rep.reserve(bytes);
    rep.append(kWriteBatchHeader, '\0');
    for (const RocksEncodedBatch* r : own) rep.append(r->wb.Data(), kWriteBatchHeader);
    for (int i = 0; i < 4; ++i) rep[8 + i] = static_cast<char>(count >> (8 * i));  // little-endian
    rocksdb::WriteBatch merged(std::move(rep));
    return WriteRocks(&merged, durability);
  }

  Result<std::optional<std::string>> Get(Column c, std::string_view key) override {
    rocksdb::ReadOptions ro;
    // Attachment chunks are authenticated by their own AEAD (secretstream),
    // which a damaged blob fails: the blob file's CRC32C, which Debian's
    // portable RocksDB build computes without the CPU's instruction (a fifth
    // of a download's time), would check the same bytes again.
    if (c == Column::kEvidence) ro.verify_checksums = false;
    return GetAt(db_.get(), ro, handle(c), key);
  }
  Status Scan(Column c, std::string_view prefix, std::string_view start,
              const std::function<bool(std::string_view, std::string_view)>& fn) override {
    return ScanAt(db_.get(), rocksdb::ReadOptions(), handle(c), prefix, start, fn);
  }
  Status ScanReverse(Column c, std::string_view prefix,
                     const std::function<bool(std::string_view, std::string_view)>& fn) override {
    return ScanReverseAt(db_.get(), rocksdb::ReadOptions(), handle(c), prefix, fn);
  }
  Result<std::unique_ptr<Store>> Snapshot() override {
    return std::unique_ptr<Store>(new SnapshotStore(db_.get(), &handles_));
  }

  Status FlushColumn(Column c) override {
    auto* cf = handle(c);
    if (cf == nullptr) return FailedPrecondition("the store is open read-only");
    rocksdb::FlushOptions fo;
    fo.wait = true;
    fo.allow_write_stall = true;
    return FromRocks(db_->Flush(fo, cf), "flush");
  }

  Status Flush() override {
    rocksdb::FlushOptions fo;
    std::vector<rocksdb::ColumnFamilyHandle*> open;
    for (auto* h : handles_) {
      if (h != nullptr) open.push_back(h);
    }
    return FromRocks(db_->Flush(fo, open), "flush");
  }

 private:
  static constexpr size_t kWriteBatchHeader = 12;

  struct RocksEncodedBatch final : EncodedBatch {
    explicit RocksEncodedBatch(size_t reserved) : wb(reserved) {}
    rocksdb::WriteBatch wb;
    Status status;  // why it could not be built; written as this failure
  };

  // A WriteBatch sized up front: a group's batch is hundreds of KiB, and
  // growing the buffer by doubling copied it several times. Each record costs
  // a tag, a column family id and two varint lengths on top of key and value.
  static size_t Reservation(const Batch& batch) {
    return kWriteBatchHeader + batch.ByteSize() + 8 * batch.mutations().size();
  }

  // Appends the batch to the empty *wb in RocksDB's form.
  Status Build(const Batch& batch, rocksdb::WriteBatch* wb) {
    // Handed to RocksDB in (column, key) order: each memtable is a skip list
    // that remembers where its last insert went, and a group's keys land at
    // random places (case ids, blind-index tags), so in arrival order every
    // insert searched from the top; sorted, each search starts near the last.
    // The sort is stable and a batch holds only puts and point deletes, so
    // two writes of one key keep their order and the batch means the same.
    std::vector<const Mutation*> order;
    order.reserve(batch.mutations().size());
    for (const auto& m : batch.mutations()) order.push_back(&m);
    std::stable_sort(order.begin(), order.end(), [](const Mutation* a, const Mutation* b) {
      if (a->column != b->column) return a->column < b->column;
      return a->key < b->key;
    });
    for (const Mutation* mp : order) {
      const Mutation& m = *mp;
      auto* cf = handle(m.column);
      if (cf == nullptr) return FailedPrecondition("the store is open read-only");
      rocksdb::Status s = m.kind == Mutation::Kind::kPut ? wb->Put(cf, m.key, m.value)
                                                          : wb->Delete(cf, m.key);
      if (!s.ok()) return FromRocks(s, "batch");
    }
    return Status::Ok();
  }

  Status WriteRocks(rocksdb::WriteBatch* wb, Durability durability) {
    rocksdb::WriteOptions wo;
    wo.sync = durability == Durability::kSync;
    wo.disableWAL = durability == Durability::kUnlogged;
    return FromRocks(db_->Write(wo, wb), "write");
  }

  rocksdb::ColumnFamilyHandle* handle(Column c) { return handles_.at(static_cast<size_t>(c) + 1); }

  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;  // [0] default, then by Column
};

}  // namespace

Result<std::unique_ptr<Store>> OpenRocksStore(const std::string& path, const StoreOptions& options) {
  rocksdb::Options db_options;
  db_options.create_if_missing = options.create_if_missing;
  // A column family added by a newer version is created on the first
  // read-write open of an older data directory.
  db_options.create_missing_column_families = !options.read_only;
  db_options.paranoid_checks = true;
  db_options.max_background_jobs = 2;
  db_options.bytes_per_sync = 1 << 20;
  db_options.info_log_level = rocksdb::InfoLogLevel::WARN_LEVEL;
  db_options.keep_log_file_num = 4;

  auto cache = rocksdb::NewLRUCache(options.block_cache_size);
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = cache;
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  // XXH3 block checksums: Debian's portable RocksDB computes CRC32C without
  // the CPU's instruction, and flushes spent most of their time in it. The
  // checksum type is recorded per file, so older files still read.
  table.checksum = rocksdb::kXXH3;

  // RocksDB's default column family stays empty; each Column is a named one.
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  descriptors.emplace_back(rocksdb::kDefaultColumnFamilyName, rocksdb::ColumnFamilyOptions());
  for (int i = 0; i < kColumnCount; ++i) {
    rocksdb::ColumnFamilyOptions cf;
    cf.write_buffer_size = options.write_buffer_size;
    // Small memtables fill quickly: more of them may wait for a flush
    // before writes stall.
    cf.max_write_buffer_number = 4;
    // Level 0 is merged into level 1 once 8 files wait, not 4: keys land at
    // random (case ids), so each such compaction rewrites most of level 1,
    // and twice the input per rewrite halves that part. Creates for 30 s at
    // concurrency 64 wrote 28.7 instead of 36.0 KB to disk per create, p99
    // 36 instead of 40 ms; reads within the noise (docs/BENCHMARKS.md).
    cf.level0_file_num_compaction_trigger = 8;
    cf.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
    // Values are mostly ciphertext and hashes: compression buys nothing.
    cf.compression = rocksdb::kNoCompression;
    if (static_cast<Column>(i) == Column::kEvidence) {
      // Attachment chunks (1 MiB each) live in blob files: compactions move
      // small keys, not gigabytes of video.
      // Its own memtable size: it holds whole chunks until they are flushed
      // to a blob file, and the server's memory must stay bounded during a
      // multi-gigabyte upload (two of these at most, 64 MiB).
      cf.write_buffer_size = 32u << 20;
      cf.max_write_buffer_number = 2;
      cf.enable_blob_files = true;
      cf.min_blob_size = 4096;
      cf.blob_file_size = 256u << 20;
      cf.enable_blob_garbage_collection = true;
      cf.blob_compression_type = rocksdb::kNoCompression;
    }
    const char* name = ColumnName(static_cast<Column>(i));
    descriptors.emplace_back(name, cf);
  }
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s;
  if (options.read_only) {
    // A data directory written by an older version may lack a newer column
    // family: it is opened without it and reads of it find nothing.
    std::vector<std::string> existing;
    std::vector<bool> present(descriptors.size(), true);
    if (rocksdb::DB::ListColumnFamilies(db_options, path, &existing).ok()) {
      std::vector<rocksdb::ColumnFamilyDescriptor> kept;
      for (size_t i = 0; i < descriptors.size(); ++i) {
        present[i] = std::find(existing.begin(), existing.end(), descriptors[i].name) != existing.end();
        if (present[i]) kept.push_back(descriptors[i]);
      }
      descriptors = std::move(kept);
    }
    std::vector<rocksdb::ColumnFamilyHandle*> opened;
    s = rocksdb::DB::OpenForReadOnly(db_options, path, descriptors, &opened, &raw);
    if (s.ok()) {
      size_t next = 0;
      for (bool p : present) handles.push_back(p ? opened[next++] : nullptr);
    }
  } else {
    s = rocksdb::DB::Open(db_options, path, descriptors, &handles, &raw);
  }
  if (!s.ok()) {
    if (s.IsInvalidArgument() && !options.create_if_missing) {
      return FailedPrecondition("no vault data directory at " + path + " (" + s.ToString() + ")");
    }
    if (s.IsCorruption()) return Corruption("opening " + path + ": " + s.ToString());
    if (s.IsIOError()) return Unavailable("opening " + path + ": " + s.ToString());
    return Internal("opening " + path + ": " + s.ToString());
  }
  return std::unique_ptr<Store>(new RocksStore(std::unique_ptr<rocksdb::DB>(raw), std::move(handles)));
}

}  // namespace brankas
