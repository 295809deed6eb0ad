// FaultStore: a Store wrapper for tests (leveldb's SpecialEnv in spirit).
// Forwards to a real Store and, on demand, fails writes (as a full or broken
// disk would), fails reads, or corrupts values on the way out.
//
// Thread-safe: the switches are atomics and may be flipped while in use.
#pragma once

#include <atomic>
#include <memory>

#include "brankas/store.h"

namespace brankas {

class FaultStore final : public Store {
 public:
  explicit FaultStore(std::unique_ptr<Store> base) : base_(std::move(base)) {}

  // Every write fails with kUnavailable ("no space left") while set.
  std::atomic<bool> fail_writes{false};
  // Writes succeed until this many more have been done, then fail (negative: off).
  std::atomic<int> writes_before_failure{-1};
  // Every read (Get and Scan) fails with kUnavailable while set.
  std::atomic<bool> fail_reads{false};
  // Values read back have one bit flipped while set.
  std::atomic<bool> corrupt_reads{false};
  std::atomic<uint64_t> writes_done{0};

  Status Write(const Batch& batch, Durability durability) override;
  // Encoded by the base store; written through the same switches as Write.
  std::unique_ptr<EncodedBatch> Encode(Batch batch) override { return base_->Encode(std::move(batch)); }
  Status WriteEncoded(const std::vector<EncodedBatch*>& batches, Durability durability) override;
  Result<std::optional<std::string>> Get(Column c, std::string_view key) override;
  Status Scan(Column c, std::string_view prefix, std::string_view start,
              const std::function<bool(std::string_view, std::string_view)>& fn) override;
  Status ScanReverse(Column c, std::string_view prefix,
                     const std::function<bool(std::string_view, std::string_view)>& fn) override;
  Status Flush() override { return base_->Flush(); }
  Status FlushColumn(Column c) override { return base_->FlushColumn(c); }
  Result<std::unique_ptr<Store>> Snapshot() override { return base_->Snapshot(); }

  Store& base() { return *base_; }

 private:
  Status InjectedWriteFailure();  // the write switches, counted as one write

  std::unique_ptr<Store> base_;
};

}  // namespace brankas
