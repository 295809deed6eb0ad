// Store: the small interface the engine keeps between itself and RocksDB.
//
// One database per node with a fixed set of column families. Writes go through
// a Batch, applied atomically; with Durability::kSync the call returns only once
// the batch is on stable storage (fsync'd WAL). Reads see the latest committed
// state. Implementations are thread-safe.
//
// Real implementation: OpenRocksStore(). For tests: FaultStore (store_fault.h)
// wraps any Store and fails or corrupts on demand.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "brankas/status.h"

namespace brankas {

enum class Column : uint8_t {
  kRecords = 0,  // "records": case metadata and encrypted field versions
  kKeys,         // "keys": wrapped KEKs and data keys
  kIndex,        // "index": blind indexes
  kAudit,        // "audit": audit entries and checkpoints
  kChangelog,    // "changelog": the replication outbox
  kAcl,          // "acl": users, grants, break-glass
  kMeta,         // "meta": node identity, sealed root key, chain heads
  kEvidence,     // "evidence": sealed attachment chunks (values in blob files)
};
inline constexpr int kColumnCount = 8;
const char* ColumnName(Column c);

struct Mutation {
  enum class Kind : uint8_t { kPut = 0, kDelete = 1 };
  Kind kind = Kind::kPut;
  Column column = Column::kRecords;
  std::string key;
  std::string value;  // empty for kDelete
};

// An ordered list of mutations, applied all or nothing.
class Batch {
 public:
  void Put(Column c, std::string key, std::string value) {
    mutations_.push_back({Mutation::Kind::kPut, c, std::move(key), std::move(value)});
  }
  void Delete(Column c, std::string key) {
    mutations_.push_back({Mutation::Kind::kDelete, c, std::move(key), {}});
  }
  void Append(const Batch& other) {
    mutations_.insert(mutations_.end(), other.mutations_.begin(), other.mutations_.end());
  }
  void Append(Batch&& other) {
    if (mutations_.empty()) {
      mutations_ = std::move(other.mutations_);
    } else {
      mutations_.insert(mutations_.end(), std::make_move_iterator(other.mutations_.begin()),
                        std::make_move_iterator(other.mutations_.end()));
    }
    other.mutations_.clear();
  }
  const std::vector<Mutation>& mutations() const { return mutations_; }
  std::vector<Mutation>& mutable_mutations() { return mutations_; }
  bool empty() const { return mutations_.empty(); }
  size_t ByteSize() const;

 private:
  std::vector<Mutation> mutations_;
};

// kSync: on stable storage (fsync'd WAL) when Write returns. kNoSync: in the
// WAL, made durable by the next kSync write. kUnlogged: not in the WAL at all
// (bulk data written once: attachment chunks): lost on a crash until
// FlushColumn of its column returns; whatever refers to it is committed only
// after that flush.
enum class Durability { kSync, kNoSync, kUnlogged };

// A Batch already in a store's own write format (Store::Encode): the copying
// and sorting done ahead of the write, off the path of the one thread that
// writes every group. Opaque; written by the store that made it.
class EncodedBatch {
 public:
  virtual ~EncodedBatch() = default;
};

class Store {
 public:
  virtual ~Store() = default;

  virtual Status Write(const Batch& batch, Durability durability) = 0;
  // Encode, then WriteEncoded, mean the same as Write of the batches
  // concatenated in order: one atomic write. By default the encoded form
  // keeps the Batch and WriteEncoded calls Write; RocksStore makes its
  // WriteBatch in Encode. Encode may be called from any thread.
  virtual std::unique_ptr<EncodedBatch> Encode(Batch batch);
  virtual Status WriteEncoded(const std::vector<EncodedBatch*>& batches, Durability durability);
  // nullopt when absent.
  virtual Result<std::optional<std::string>> Get(Column c, std::string_view key) = 0;
  // Calls fn for every key with the prefix, in key order, starting at `start`
  // (if non-empty; must itself begin with prefix). fn returns false to stop.
  virtual Status Scan(Column c, std::string_view prefix, std::string_view start,
                      const std::function<bool(std::string_view key, std::string_view value)>& fn) = 0;
  // Reverse order from the greatest key with the prefix.
  virtual Status ScanReverse(Column c, std::string_view prefix,
                             const std::function<bool(std::string_view key, std::string_view value)>& fn) = 0;
  // Flushes memtables (used before offline copies; not needed for durability).
  virtual Status Flush() = 0;
  // Flushes one column's memtable to fsync'd files and waits: what was written
  // kUnlogged to it is durable when this returns.
  virtual Status FlushColumn(Column) { return Flush(); }
  // A consistent, read-only view of everything committed so far (writes to it
  // fail). Verifiers use it so that concurrent commits cannot make a sound
  // chain look broken. The view must not outlive this store.
  virtual Result<std::unique_ptr<Store>> Snapshot() = 0;
};

struct StoreOptions {
  // Create the database if it does not exist. Default: false (open fails).
  bool create_if_missing = false;
  // Open for reading only (offline verifiers). Default: false.
  bool read_only = false;
  // Memtable size per column family (up to four per family). Default: 16 MiB:
  // a create inserts about eight keys at random places of the records, index
  // and keys memtables, and on this project's 2-core VM (costly TLB misses)
  // each insert into a 64 MiB skip list took ~6 us, 12% of a create's CPU, in
  // the one thread that writes every group (docs/BENCHMARKS.md: 1.05x creates
  // over 25 s, 1.07x reads, against 64 MiB).
  size_t write_buffer_size = 16u << 20;
  // Block cache shared by all column families. Default: 128 MiB.
  size_t block_cache_size = 128u << 20;
};

Result<std::unique_ptr<Store>> OpenRocksStore(const std::string& path, const StoreOptions& options);

// Big-endian fixed-width encoding, so numeric keys sort in order.
void PutBigEndian64(std::string* out, uint64_t v);
uint64_t GetBigEndian64(std::string_view in);  // REQUIRES: in.size() >= 8

}  // namespace brankas
