// The audit trail: a hash chain of every access to a case, allowed or denied,
// with signed heads and signed checkpoints.
//
// Each AuditEntry holds metadata only: who, what, which case, which field NAMES,
// the decision and the rule. Never a field value. Entry n carries the hash of
// entry n-1, and its own hash is
//   BLAKE2b-256(prev_hash || canonical(entry without hash))
// where canonical() is the stored encoding without its trailing hash field.
//
// Stored layout (all written in the committer's one WriteBatch per group):
//   Column::kAudit  "e" + be64(seq)   EncodeAuditEntry(entry)     seq 1, 2, 3, ...
//   Column::kAudit  "c" + be64(seq)   EncodeCheckpoint(cp)        every N entries or T µs
//   Column::kMeta   "audit/head"      EncodeAuditHead(head)       rewritten every group
// The signed head (seq, hash, time, node, signature) is written with every group,
// so removing the newest entries is detectable even between checkpoints.
//
// Formats: each starts with its own version byte (1). Little-endian fixed-width
// integers, u32-length-prefixed byte strings (brankas/codec.h).
//   entry:      u8 1 | u64 seq | i64 time_us | node | actor | role | action | case_id |
//               u32 n, n * field name | decision | rule | grant_id | request_id | client |
//               detail | u8 flagged (0/1) | prev_hash (32) | hash (32)
//   checkpoint: u8 1 | u64 seq | hash (32) | i64 time_us | node | signature (64)
//   head:       u8 1 | u64 seq | hash (32) | i64 time_us | node | signature (64)
// Signed messages (Ed25519 with the node key):
//   checkpoint: "brankas-checkpoint-v1" | u64 seq | hash | i64 time_us | node
//   head:       "brankas-audit-head-v1" | u64 seq | hash | i64 time_us | node
// (the same integer and byte-string encodings as above, no version byte).
//
// Thread-safety: the free functions are thread-safe. AuditChain is NOT: it is
// owned and used by the single committer thread only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "brankas/status.h"
#include "brankas/store.h"

namespace brankas {

inline constexpr uint8_t kAuditEntryVersion = 1;
inline constexpr uint8_t kCheckpointVersion = 1;
inline constexpr uint8_t kAuditHeadVersion = 1;

// Key layout (see above).
inline constexpr std::string_view kAuditEntryPrefix = "e";       // Column::kAudit
inline constexpr std::string_view kAuditCheckpointPrefix = "c";  // Column::kAudit
inline constexpr std::string_view kAuditHeadKey = "audit/head";  // Column::kMeta
std::string AuditEntryKey(uint64_t seq);                         // "e" + be64(seq)
std::string AuditCheckpointKey(uint64_t seq);                    // "c" + be64(seq)

struct AuditEntry {
  uint64_t seq = 0;      // assigned by the chain, 1-based, contiguous
  int64_t time_us = 0;   // unix microseconds
  std::string node{};    // unit code / node id; set by the chain
  std::string actor{};   // user name
  std::string role{};    // role name
  std::string action{};  // "case.create", "case.read", "grant.approve", "login", ...
  std::string case_id{};
  std::vector<std::string> fields{};  // field NAMES only, never values
  std::string decision{};             // "allow" | "deny" | "error"
  std::string rule{};                 // the rule that decided
  std::string grant_id{};
  std::string request_id{};
  std::string client{};     // client address
  std::string detail{};     // short non-sensitive detail, e.g. "invalid_argument"
  bool flagged = false;     // break-glass, anomalies
  std::string prev_hash{};  // 32 bytes; set by the chain
  std::string hash{};       // 32 bytes; set by the chain

  bool operator==(const AuditEntry&) const = default;
};

// The stored form, version byte and hash included.
std::string EncodeAuditEntry(const AuditEntry& entry);
// kCorruption on any malformation: wrong version, truncation, trailing bytes,
// seq 0, hashes not 32 bytes, a bool not 0/1, more than 4096 field names.
// Allocations are bounded by the input size.
Result<AuditEntry> DecodeAuditEntry(std::string_view bytes);
// BLAKE2b-256(prev_hash || canonical(entry without hash)); entry.hash is ignored.
std::string ComputeEntryHash(const AuditEntry& entry);

// A signed (seq, hash) of the chain, kept forever; the central node countersigns these.
struct Checkpoint {
  uint64_t seq = 0;
  std::string hash{};  // 32 bytes: the hash of entry `seq`
  int64_t time_us = 0;
  std::string node{};
  std::string signature{};  // 64 bytes, Ed25519 over CheckpointMessage()

  bool operator==(const Checkpoint&) const = default;
};
std::string EncodeCheckpoint(const Checkpoint& checkpoint);
Result<Checkpoint> DecodeCheckpoint(std::string_view bytes);  // kCorruption when malformed
// The signed bytes (signature excluded).
std::string CheckpointMessage(const Checkpoint& checkpoint);

// The signed head of the chain, overwritten with every group (meta "audit/head").
struct AuditHead {
  uint64_t seq = 0;
  std::string hash{};  // 32 bytes: the hash of entry `seq`
  int64_t time_us = 0;
  std::string node{};
  std::string signature{};  // 64 bytes, Ed25519 over AuditHeadMessage()

  bool operator==(const AuditHead&) const = default;
};
std::string EncodeAuditHead(const AuditHead& head);
Result<AuditHead> DecodeAuditHead(std::string_view bytes);  // kCorruption when malformed
// The signed bytes (signature excluded); a different domain from checkpoints.
std::string AuditHeadMessage(const AuditHead& head);

// Signs a message with the node key; must return a 64-byte Ed25519 signature.
using AuditSigner = std::function<Result<std::string>(std::string_view message)>;

struct AuditChainOptions {
  // A checkpoint when at least this many entries were appended since the last one.
  // 0 disables this trigger. Default: 1000.
  uint64_t checkpoint_every_entries = 1000;
  // A checkpoint when at least this long passed since the last one (and there is
  // something new). <= 0 disables this trigger. Default: 10 s.
  int64_t checkpoint_every_us = 10'000'000;
};

// The live chain. NOT thread-safe: owned by the single committer thread.
// It does not keep the Store: Open reads the head once, then Append and SealGroup
// only add mutations to the caller's Batch. The caller writes the batch.
//
// One commit group:
//   AuditChain::GroupMark mark = chain->Mark();
//   for each request: chain->Append(&entry, &batch);
//   Status s = chain->SealGroup(sign, now_us, &batch);
//   if (s.ok()) s = store.Write(batch, Durability::kSync);
//   if (!s.ok()) { chain->Rollback(mark); fail every request of the group; }
class AuditChain {
 public:
  // The in-memory state at a point; only AuditChain reads it.
  class GroupMark {
   private:
    friend class AuditChain;
    uint64_t head_seq = 0;
    std::string head_hash;
    uint64_t sealed_seq = 0;
    uint64_t checkpoint_seq = 0;
    int64_t checkpoint_time_us = 0;
    bool checkpoint_time_known = false;
  };

  // Reads the head from the store (meta "audit/head"), or starts empty (seq 0,
  // prev hash = 32 zero bytes). kCorruption if the head or the last checkpoint is
  // malformed, or the head does not match the last stored entry (entries without
  // a head, a head without its entry, a different hash). kFailedPrecondition if the
  // head belongs to another node. kInvalidArgument if node is empty.
  static Result<std::unique_ptr<AuditChain>> Open(Store& store, std::string node,
                                                  AuditChainOptions options = {});

  AuditChain(const AuditChain&) = delete;
  AuditChain& operator=(const AuditChain&) = delete;

  // The state to return to if the group about to start fails. Take it before
  // the group's first Append.
  GroupMark Mark() const;

  // Assigns entry->seq, node, prev_hash and hash; adds Put(kAudit, "e"+be64(seq))
  // to *batch. Does not touch the store. REQUIRES: entry, batch not null.
  void Append(AuditEntry* entry, Batch* batch);

  // Once per commit group, after its appends: adds the signed head (meta
  // "audit/head") and, when due, a signed checkpoint at the head ("c"+be64(seq))
  // to *batch. With nothing appended since the last seal, adds only a
  // checkpoint that fell due since (CheckpointDue: an idle node's tail gets
  // its checkpoint from a group with no entries), else nothing.
  // When `sign` fails (or returns something that is not a 64-byte signature) the
  // error is returned and the in-memory chain is unchanged by this call; the
  // caller must then discard the batch, fail the whole group and Rollback(mark).
  // force: a checkpoint at the head whenever entries are past the last one,
  // due or not (a node shutting down covers its tail).
  Status SealGroup(const AuditSigner& sign, int64_t now_us, Batch* batch, bool force_checkpoint = false);

  // After the group's batch failed to commit (or SealGroup failed): returns the
  // in-memory head to `mark`, so nothing of the group is acknowledged and the next
  // group continues the chain as it is on disk.
  // REQUIRES: mark was taken from this chain before the failed group, and no
  // group after it was committed.
  void Rollback(const GroupMark& mark);

  uint64_t head_seq() const { return head_seq_; }
  const std::string& head_hash() const { return head_hash_; }
  const std::string& node() const { return node_; }
  uint64_t last_checkpoint_seq() const { return checkpoint_seq_; }
  // True when entries exist past the last checkpoint and one is due at now_us
  // (every N entries or T since the last checkpoint).
  bool CheckpointDue(int64_t now_us) const;

 private:
  AuditChain(std::string node, AuditChainOptions options);

  // Constant after construction.
  const std::string node_;
  const AuditChainOptions options_;

  // Owned by the committer thread.
  uint64_t head_seq_ = 0;
  std::string head_hash_;        // 32 bytes; zeros for the empty chain
  uint64_t sealed_seq_ = 0;      // head_seq_ at the last SealGroup
  uint64_t checkpoint_seq_ = 0;  // seq of the last checkpoint, 0 if none
  int64_t checkpoint_time_us_ = 0;
  bool checkpoint_time_known_ = false;  // false until a checkpoint or a head exists
};

// Offline or live verification of the whole chain. Opening the store read-only
// is enough.
struct VerifyReport {
  bool intact = false;
  uint64_t entries = 0;      // entry records found
  uint64_t checkpoints = 0;  // checkpoint records found
  // When !intact: the first sequence that is bad or that cannot be vouched for:
  //  - a bad entry (missing, undecodable, stored under another seq, wrong
  //    prev_hash, hash does not recompute): its seq;
  //  - a checkpoint that is undecodable or whose signature fails: its seq;
  //  - a checkpoint or a signed head beyond the last entry (truncated tail):
  //    the first missing seq;
  //  - a validly signed checkpoint or head that disagrees with the entry at its seq
  //    (history rewritten and re-chained): the first seq after the previous valid
  //    checkpoint;
  //  - a missing, undecodable or badly signed head: the first seq after the last
  //    valid checkpoint (what follows is covered by no valid signature);
  //  - entries after a validly signed head: the first one.
  // The earliest of all problems found is reported.
  uint64_t first_bad_seq = 0;
  std::string problem;  // human text naming what failed; no values
};
// kInvalidArgument if the public key is not 32 bytes; a store error if the store
// cannot be read. Tampering is reported in the VerifyReport, not as an error.
// Not detectable locally: replacing the head with an older genuinely signed head
// after removing the newer entries and checkpoints. The central node's copy and
// its countersigned receipts catch that.
Result<VerifyReport> VerifyAuditChain(Store& store, std::string_view node_public_key);

// Query (the auditor API): filters are ANDed; an empty string or 0 means any.
inline constexpr size_t kMaxAuditQueryLimit = 10'000;
struct AuditFilter {
  std::string case_id{};
  std::string actor{};
  std::string action{};
  std::string decision{};
  int64_t from_us = 0;     // time_us >= from_us (when non-zero)
  int64_t to_us = 0;       // time_us < to_us (when non-zero)
  uint64_t after_seq = 0;  // only seq > after_seq (for paging)
  size_t limit = 100;      // at most this many, in seq order; 0 means 100; capped at 10000
};
// kCorruption if a scanned entry cannot be decoded.
Result<std::vector<AuditEntry>> QueryAudit(Store& store, const AuditFilter& filter);

}  // namespace brankas
