// Committer: the one writer (DESIGN.md, "One writer, group commit").
//
// Request threads validate, authorize and encrypt in parallel, then Submit a
// CommitRequest and wait on its future. One committer thread takes everything
// pending, checks each request's expectation (optimistic concurrency), extends
// the audit hash chain, and appends one changelog entry for the group: the
// group's batch holds data + audit + changelog. One writer thread writes the
// batches with sync = true, in the order they were prepared; only then are
// the requests answered, by an answering thread (each answer wakes a waiting
// request thread, a system call, kept off the writer's path to its next write).
//
// Pipelined: while group N is being written (memtable, WAL, fsync), the
// committer prepares group N+1 against an overlay holding the versions that
// in-flight groups write. Groups that are ready when the writer comes back are
// written together in one batch (still one atomic, synced write). If a write
// (or a group's audit signature) fails, that group and every group prepared
// after it fail with kUnavailable (they were chained onto it), the in-memory
// chain heads roll back to the failed group's marks, and the committer reports
// degraded until a later group succeeds. A group is never written unless every
// group before it was.
//
// Thread-safety: Submit may be called from any thread. The chain, the
// changelog writer and the overlay are owned by the committer thread.
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
  // Seal a checkpoint at the head of the chain with this group, due or not.
  bool checkpoint = false;
};

struct CommitResult {
  uint64_t last_audit_seq = 0;
};

uint64_t VersionOfRecord(std::string_view value);  // 0 if malformed

class Committer {
 public:
  struct Options {
    size_t max_group_size = 1024;
    // Groups prepared but not yet durable (being written or waiting for the
    // writer); the committer waits when this many are in flight. 2: one being
    // written while the next is prepared (deeper made groups smaller and
    // cost more CPU per request: a signature and a changelog entry per group).
    size_t max_groups_in_flight = 2;
    // While idle, the committer wakes this often (0: never) and, when the
    // chain's checkpoint has fell due (AuditChain::CheckpointDue), commits a
    // group with no requests that seals it.
    int64_t idle_tick_us = 1'000'000;
    std::function<Result<std::string>(std::string_view)> sign;  // node key
    std::function<int64_t()> now_us;
  };

  Committer(Store& store, AuditChain& chain, ChangelogWriter& changelog, Options options);
  ~Committer();  // drains what is pending (and in flight), then stops

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
  // A group whose batch is complete (data, audit, changelog), waiting for or
  // in its write.
  struct Prepared {
    uint64_t id = 0;     // increasing, in preparation order
    uint64_t epoch = 0;  // failure epoch at preparation (see epoch_)
    Batch batch;                            // until encoded, at the end of Prepare
    std::unique_ptr<EncodedBatch> encoded;  // the batch, in the store's write format
    std::vector<Pending> requests;
    std::vector<std::optional<Status>> outcome;  // set: answered with this instead
    std::vector<uint64_t> last_seq;
    AuditChain::GroupMark chain_mark;     // the chain before this group
    ChangelogWriter::Head changelog_mark;
  };
  struct Overlaid {
    uint64_t version = 0;
    uint64_t group = 0;  // the Prepared::id that writes it
  };
  using Overlay = std::unordered_map<std::string, Overlaid>;

  void Run();        // the committer thread
  void RunWriter();  // the writer thread
  void RunAnswerer();  // the answering thread
  // Expectations, audit, seal and changelog of one group. On a signing
  // failure the group is answered here and nullopt returned.
  std::optional<Prepared> Prepare(std::vector<Pending> group, uint64_t epoch);
  Result<uint64_t> CurrentVersion(const Expectation& e, const std::string& overlay_key,
                                  const Overlay& local);
  void Answer(Prepared& p, const Status& written);
  void Fail(std::vector<Pending>& requests, const Status& failure);

  Store& store_;
  AuditChain& chain_;
  ChangelogWriter& changelog_;
  const Options options_;

  // Committer thread only.
  Overlay overlay_;  // versions written by groups not yet known to be in the store
  uint64_t next_id_ = 1;

  mutable std::mutex mu_;
  std::condition_variable cv_;         // the committer waits on it
  std::condition_variable writer_cv_;  // the writer waits on it
  std::deque<Pending> queue_;          // guarded by mu_
  std::deque<Prepared> ready_;         // guarded by mu_: prepared, not yet taken by the writer
  size_t in_write_ = 0;                // guarded by mu_: groups in the current write
  std::vector<uint64_t> written_;      // guarded by mu_: ids written since the committer looked
  // Bumped by the writer when a write fails: groups prepared in an older epoch
  // were chained onto the failed one and must fail too.
  uint64_t epoch_ = 0;                                     // guarded by mu_
  std::optional<AuditChain::GroupMark> rollback_chain_;    // guarded by mu_
  std::optional<ChangelogWriter::Head> rollback_changelog_;  // guarded by mu_
  bool stopping_ = false;        // guarded by mu_
  bool committer_done_ = false;  // guarded by mu_
  Stats stats_;                  // guarded by mu_
  std::atomic<bool> degraded_{false};

  // Written (or failed) groups, from the writer to the answering thread.
  struct Written {
    std::vector<Prepared> groups;
    Status status;
  };
  std::mutex answer_mu_;
  std::condition_variable answer_cv_;
  std::deque<Written> answers_;  // guarded by answer_mu_
  bool writer_done_ = false;     // guarded by answer_mu_

  std::thread thread_;
  std::thread writer_;
  std::thread answerer_;
};

}  // namespace brankas
