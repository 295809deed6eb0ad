// The audit export: a part of the audit trail in a file that an auditor can
// verify offline, with no access to the node (issue #5, API.md
// "brankas audit export", "brankas audit verify --export FILE").
//
// Format "brankas-audit-export/1": JSON Lines, UTF-8, one object per line:
//   line 1   {"format":"brankas-audit-export/1","unit":U,"node_public_key":HEX,
//             "first_seq":F,"last_seq":L,"exported_at":UNIX_SECONDS}
//            (may carry trailing spaces before the closing brace: the writer
//            rewrites it in place once L is known)
//   then, in sequence order, for every seq F..L:
//            {"entry":{...}}        every field of the AuditEntry (AuditEntryToJson)
//            {"checkpoint":{...}}   the signed checkpoint at that seq, if there is one,
//                                   on the line right after its entry
//   last     {"head":{...}}         optional: the signed head, when it was at L
// A JSON string that is not valid UTF-8 (the engine never writes one, but the
// stored form allows it) is written as {"hex":"..."} instead of a string.
//
// What the verifier proves: every entry hash recomputes (ComputeEntryHash, the
// chain's own canonical encoding), every entry continues the previous one's
// hash (entry 1 the zero hash), every checkpoint and the head carry a valid
// Ed25519 signature of the node key over the hash of the entry at their seq, the
// entries and signatures belong to the header's unit, and every entry is
// followed by such a signature (the tail is covered). The header itself is not
// signed: `exported_at` is the exporter's word, and without a pinned key the
// node key is the file's own (trust on first use). An export that starts after
// seq 1 proves its first entry only through the signatures, not by linking it to
// entries it does not hold.
#pragma once

#include <cstddef>
#include <cstdint>
#include <istream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "brankas/audit.h"
#include "brankas/status.h"
#include "brankas/store.h"

namespace brankas {

inline constexpr std::string_view kAuditExportFormat = "brankas-audit-export/1";
// The most entries one page of GET /v1/audit/export returns, and its default.
inline constexpr size_t kMaxAuditExportPage = 5000;
inline constexpr size_t kDefaultAuditExportPage = 1000;
// A longer line is malformed (an entry holds at most 4096 field names).
inline constexpr size_t kMaxAuditExportLineBytes = 4 << 20;

// --- JSON forms: the endpoint's page and the file's lines share them. ---------
// From*: kInvalidArgument naming the member when a member is missing, unknown,
// of the wrong type, or a hash/signature is not lower-case hex of the right size.
nlohmann::json AuditEntryToJson(const AuditEntry& entry);
Result<AuditEntry> AuditEntryFromJson(const nlohmann::json& object);
nlohmann::json CheckpointToJson(const Checkpoint& checkpoint);
Result<Checkpoint> CheckpointFromJson(const nlohmann::json& object);
nlohmann::json AuditHeadToJson(const AuditHead& head);
Result<AuditHead> AuditHeadFromJson(const nlohmann::json& object);

// --- One page, read from a consistent view of the store. ----------------------
struct AuditExportPage {
  // seq > after_seq, at most `limit`, in seq order as stored (a gap in the
  // store stays a gap, for the verifier to name).
  std::vector<AuditEntry> entries;
  // The checkpoints at the seq of a returned entry, then the first checkpoint
  // after the last returned entry (after `after_seq` when none), if there is one,
  // in seq order: the exporter continues to it so a signature covers its tail.
  std::vector<Checkpoint> checkpoints;
  std::optional<AuditHead> head;  // the signed head of `snapshot`
  uint64_t head_seq = 0;          // the last stored entry's seq (0: none)
  // Not read from the store: the server fills them in.
  std::string unit;
  std::string node_public_key;  // 32 bytes
};
// `snapshot` should be Store::Snapshot() so entries, checkpoints and head agree.
// limit 0 means kDefaultAuditExportPage; capped at kMaxAuditExportPage.
// kCorruption when an entry or checkpoint in the range, or the head, cannot be
// decoded (it has no JSON form; `brankas audit verify` names the damage).
Result<AuditExportPage> ReadAuditExportPage(Store& snapshot, uint64_t after_seq, size_t limit);

// The endpoint's answer: {"unit","node_public_key":HEX,"head_seq","entries":[...],
// "checkpoints":[...]} and "head" when there is one. FromJson: kInvalidArgument
// naming what is malformed.
nlohmann::json AuditExportPageToJson(const AuditExportPage& page);
Result<AuditExportPage> AuditExportPageFromJson(const nlohmann::json& object);

// --- Lines of the file (each ends with '\n'). --------------------------------
struct AuditExportHeader {
  std::string unit;
  std::string node_public_key;  // 32 bytes
  uint64_t first_seq = 1;
  uint64_t last_seq = 0;        // first_seq - 1 for an empty export
  int64_t exported_at = 0;      // unix seconds
};
// Padded with spaces before its '}' to kAuditExportHeaderBytes - 1 plus '\n',
// whatever the numbers, so the writer can rewrite it in place. The unit is at
// most 64 bytes (kInvalidArgument otherwise, and for a key that is not 32 bytes).
inline constexpr size_t kAuditExportHeaderBytes = 320;
Result<std::string> AuditExportHeaderLine(const AuditExportHeader& header);
std::string AuditExportEntryLine(const AuditEntry& entry);
std::string AuditExportCheckpointLine(const Checkpoint& checkpoint);
std::string AuditExportHeadLine(const AuditHead& head);

// --- Building an export page by page. ----------------------------------------
// What to ask for next, and the lines of each page, so that the export ends
// covered by a signature: without `to_seq` it runs to the chain's head (whose
// signed head is its last line); with it, through `to_seq` and on to the first
// checkpoint at or after it (or, when there is none yet, to the head).
// Memory: one page. Not thread-safe.
//
//   AuditExportBuilder b(after, to, page_size);
//   while (auto req = b.Next()) { page = fetch(req->after_seq, req->limit); b.Add(page, &lines); write lines; }
//   header = b.Header(now)
class AuditExportBuilder {
 public:
  // to_seq 0: to the head. page_size 0: kDefaultAuditExportPage (capped at
  // kMaxAuditExportPage).
  AuditExportBuilder(uint64_t after_seq, uint64_t to_seq, size_t page_size);

  struct Request {
    uint64_t after_seq = 0;
    size_t limit = 0;
  };
  // The next page to fetch; nullopt when the export is complete.
  std::optional<Request> Next() const;
  // Appends the lines of `page` (the answer to Next()) to *lines.
  // kFailedPrecondition when the page does not continue the export: another
  // unit or node key than the first page, entries not after the last one.
  Status Add(const AuditExportPage& page, std::string* lines);

  // The header of what was added so far (once complete: of the export).
  AuditExportHeader Header(int64_t exported_at) const;
  uint64_t entries() const { return entries_; }
  uint64_t checkpoints() const { return checkpoints_; }
  bool head() const { return head_; }
  // The export ran past `to_seq` to reach a signature.
  bool extended() const { return to_seq_ != 0 && cursor_ > to_seq_; }

 private:
  const uint64_t after_seq_;
  const uint64_t to_seq_;
  const size_t page_size_;
  std::optional<uint64_t> stop_at_;  // export through this seq; nullopt: to the head
  uint64_t cursor_;                  // the last seq exported (after_seq_ at first)
  uint64_t signed_through_;          // the last seq a written checkpoint or head is at
  bool done_ = false;
  bool started_ = false;
  std::string unit_, node_public_key_;
  uint64_t entries_ = 0, checkpoints_ = 0;
  bool head_ = false;
};

// --- Offline verification. ----------------------------------------------------
struct AuditExportReport {
  bool intact = false;
  uint64_t entries = 0;       // entry lines read
  uint64_t checkpoints = 0;   // checkpoint lines read
  bool head = false;          // a head line was read
  uint64_t first_seq = 0, last_seq = 0;  // from the header (0, 0 when unreadable)
  std::string unit;
  std::string node_public_key;  // 32 bytes: the key the signatures were checked with
  bool key_pinned = false;      // false: the key is the file's own (trust on first use)
  // The last seq that a valid signature in the file vouches for (0: none), and
  // whether that reaches last_seq (every entry covered).
  uint64_t signed_through = 0;
  bool tail_covered = false;
  // When !intact: the earliest bad sequence, the line that showed it (1-based;
  // 0 when the problem is at the end of the file), what failed, and a short
  // machine name of it: "malformed", "sequence", "entry_hash", "chain_link",
  // "node", "checkpoint_signature", "checkpoint_hash", "head_signature",
  // "head_hash", "key", "header", "uncovered_tail".
  uint64_t first_bad_seq = 0;
  uint64_t bad_line = 0;
  std::string failure;
  std::string problem;  // human text; never a field value (an export holds none)
};
// Reads `in` line by line (memory bounded by kMaxAuditExportLineBytes).
// `pinned_public_key`: 32 bytes, or empty to use the header's key.
// Tampering and malformation are reported in the AuditExportReport; a Status
// only for a pinned key that is not 32 bytes (kInvalidArgument) or a read
// error (kUnavailable).
Result<AuditExportReport> VerifyAuditExport(std::istream& in, std::string_view pinned_public_key);

}  // namespace brankas
