// Committer: the one writer (DESIGN.md, "One writer, group commit").
//
// Request threads validate, authorize and encrypt in parallel, then Submit a
// CommitRequest and wait on its future. One committer thread takes everything
// pending, checks each request's expectation (optimistic concurrency), extends
// the audit hash chain, appends one changelog entry for the group, and writes
// data + audit + changelog in one batch with sync = true. Only then are the
// requests answered. If the write (or the audit signature) fails, every
// request of the group fails with kUnavailable, the in-memory chain heads roll
// back, and the committer reports degraded until a later group succeeds.
//
// Thread-safety: Submit may be called from any thread. Everything else in the
// class is owned by the committer thread.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>

#include "brankas/audit.h"
#include "brankas/changelog.h"
#include "brankas/store.h"

namespace brankas {

// A request's precondition: the versioned record at (column, key) must be at
// `version` (0: must not exist). Versioned records start with a format byte
// followed by a little-endian u64 version.
struct Expectation {
  Column column = Column::kRecords;
  std::string key;
  uint64_t version = 0;
  uint64_t new_version = 0;  // the version the request writes (tracked within a group)
};

struct CommitRequest {
  Batch batch;                          // data mutations; empty for audit-only requests
  std::vector<AuditEntry> audit;        // completed by the chain (seq, hashes)
  std::vector<Expectation> expectations;
};

struct CommitResult {
  uint64_t last_audit_seq = 0;
};

uint64_t VersionOfRecord(std::string_view value);  // 0 if malformed

class Committer {
 public:
  struct Options {
    size_t max_group_size = 1024;
    std::function<Result<std::string>(std::string_view)> sign;  // node key
    std::function<int64_t()> now_us;
  };

  Committer(Store& store, AuditChain& chain, ChangelogWriter& changelog, Options options);
  ~Committer();  // drains what is pending, then stops

  // Answers once the request is durable (or failed). kConflict when an
  // expectation does not hold: the data is not written, the audit entries are
  // (with decision "deny" and detail "conflict").
  std::future<Result<CommitResult>> Submit(CommitRequest request);
  // Convenience: Submit and wait.
  Result<CommitResult> Commit(CommitRequest request);

  bool degraded() const { return degraded_.load(); }
  struct Stats { uint64_t groups = 0, requests = 0, max_group = 0, failed_groups = 0; };
  Stats stats() const;

 private:
  struct Pending {
    CommitRequest request;
    std::promise<Result<CommitResult>> promise;
  };
  void Run();
  void CommitGroup(std::vector<Pending>& group);
  Result<uint64_t> CurrentVersion(const Expectation& e,
                                  const std::unordered_map<std::string, uint64_t>& overlay);

  Store& store_;
  AuditChain& chain_;
  ChangelogWriter& changelog_;
  const Options options_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Pending> queue_;  // guarded by mu_
  bool stopping_ = false;      // guarded by mu_
  Stats stats_;                // guarded by mu_
  std::atomic<bool> degraded_{false};
  std::thread thread_;
};

}  // namespace brankas
