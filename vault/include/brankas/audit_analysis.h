// The auditor's tools over the audit trail (issue #5: "prove who touched which
// child's file"): the break-glass review queue, the anomaly report and the
// "who touched what" answer of a breach notice (UU PDP art. 46).
//
// The analysis is pure: each tool is a collector fed AuditEntry values in
// sequence order (Add) that answers with Finish(); nothing here reads a clock,
// the store or a field value (the trail holds none). The server pages through
// a snapshot of the store with ScanAudit and feeds the collectors
// (vault/server/api_audit_tools.cc).
//
// Which actions are what (ClassifyAction):
//   read   case.read, case.unmask, case.history, evidence.get, evidence.list,
//          evidence.bundle
//   write  case.create, case.update, evidence.add
//   other  everything else (assign, stage, break-glass, grants, shred, ...)
// An evidence entry names the attachment in `fields` as "evidence=ID"; its
// class is legal_evidence (attachments are authorized on that class).
//
// Thread-safety: the free functions are thread-safe; a collector is not (one
// per request).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "brankas/audit.h"
#include "brankas/status.h"
#include "brankas/store.h"

namespace brankas {

// --- Options: the [anomaly] section of unit.toml (every key documented there). --
struct AnomalyOptions {
  // Bulk reads: more than this many distinct cases read by one actor within
  // any 60 minutes.
  int bulk_reads_per_hour = 20;
  // Working hours, local time of day in minutes [start, end); end < start is a
  // window across midnight (a night shift). "07:00-18:00" by default.
  int working_start_minute = 7 * 60;
  int working_end_minute = 18 * 60;
  // The unit's offset from UTC in minutes: WIB +420 (the default), WITA +480, WIT +540.
  int utc_offset_minutes = 7 * 60;
  // Repeated denials: at least this many "deny" entries by one actor within
  // denials_window_minutes.
  int denials_threshold = 5;
  int denials_window_minutes = 10;
  // Field names whose reads are reported (the most dangerous field of the vault).
  std::vector<std::string> shelter_fields = {"shelter_location"};
  // Bounds of one request: the longest window an anomaly or touched report
  // covers, and the most entries one request of any of these tools decodes.
  int max_window_days = 31;
  size_t max_scan_entries = 200'000;
};

// "07:00-18:00" -> (420, 1080). HH 00-23 (or 24:00 as an end), MM 00-59;
// start and end differ. kInvalidArgument otherwise.
Status ParseWorkingHours(std::string_view text, int* start_minute, int* end_minute);
std::string FormatWorkingHours(int start_minute, int end_minute);  // "07:00-18:00"
// "+07:00", "-03:30", "+7", "UTC", "WIB" (+07:00), "WITA" (+08:00), "WIT"
// (+09:00); -12:00 to +14:00. kInvalidArgument otherwise.
Status ParseUtcOffset(std::string_view text, int* minutes);
std::string FormatUtcOffset(int minutes);  // "+07:00"

// --- What an entry did. ----------------------------------------------------------
enum class AccessKind { kRead, kWrite, kOther };
AccessKind ClassifyAction(std::string_view action);
// The field class of an entry's field name: "legal_evidence" for "evidence=ID",
// else class_of(name) (the schema), "" when unknown.
using FieldClassOf = std::function<std::string(std::string_view field)>;

// Limits of what one finding or case lists (the counts stay exact).
inline constexpr size_t kMaxListedCases = 100;
inline constexpr size_t kMaxExampleSeqs = 5;

// --- Anomalies. ------------------------------------------------------------------
// kind:
//   "bulk_reads"        > bulk_reads_per_hour distinct cases read (allowed) by one
//                       actor within 60 minutes; one finding per burst (windows
//                       that overlap are merged)
//   "outside_hours"     allowed reads outside the working hours; one finding per actor
//   "repeated_denials"  >= denials_threshold denials by one actor within the
//                       window; one finding per burst. An entry without a user
//                       (a request with no valid token, an unknown login name)
//                       counts for its client address instead (actor "").
//                       The "deny" entry a partly withheld read writes beside its
//                       "allow" (same request id) is not a denial of the request.
//   "shelter_reads"     allowed reads whose fields include a shelter field; one
//                       finding per actor
struct AnomalyFinding {
  std::string kind;
  std::string actor;
  std::string client;                 // repeated_denials without an actor only
  uint64_t count = 0;                 // entries
  uint64_t cases = 0;                 // distinct case ids (bulk_reads: what crossed the threshold)
  int64_t first_us = 0, last_us = 0;  // time of the first and last entry
  std::vector<std::string> case_ids;  // sorted; at most kMaxListedCases
  std::vector<uint64_t> example_seqs; // the first kMaxExampleSeqs, ascending
};

class AnomalyDetector {
 public:
  explicit AnomalyDetector(AnomalyOptions options);
  // Entries in sequence order; times need not be monotonic.
  void Add(const AuditEntry& entry);
  // Sorted by kind (as listed above), then first time, then actor.
  std::vector<AnomalyFinding> Finish() const;

 private:
  struct Event {
    uint64_t seq;
    int64_t time_us;
    std::string case_id;
  };
  struct Aggregate {
    uint64_t count = 0;
    int64_t first_us = 0, last_us = 0;
    std::set<std::string> cases;
    std::vector<uint64_t> examples;
    void Add(const AuditEntry& e);
    AnomalyFinding Finding(std::string kind, const std::string& actor) const;
  };
  bool OutsideHours(int64_t time_us) const;

  AnomalyOptions options_;
  std::map<std::string, std::vector<Event>> reads_;    // actor -> allowed reads of a case
  std::map<std::pair<std::string, std::string>, std::vector<Event>> denials_;  // (actor, client)
  std::map<std::string, Aggregate> outside_hours_;     // actor
  std::map<std::string, Aggregate> shelter_;           // actor
  std::deque<std::string> recent_allow_requests_;      // request ids of the last allows
};

std::vector<AnomalyFinding> FindAnomalies(const std::vector<AuditEntry>& entries, const AnomalyOptions& options);

// --- Who touched what. -------------------------------------------------------------
// Entries about a case (case_id set) that match every given filter: the actor,
// a grant (one of the entry's comma-separated grant ids), and the window
// [from_us, to_us) (0: open). Decisions: allow of a read or write counts as
// such, allow of anything else as `other`, deny as `denies`; "error" entries
// touched nothing and are skipped.
struct TouchedQuery {
  std::string actor{};
  std::string grant_id{};
  int64_t from_us = 0, to_us = 0;
};
bool TouchedMatches(const AuditEntry& entry, const TouchedQuery& query);

struct TouchCounts {
  uint64_t reads = 0, writes = 0, denies = 0, other = 0;
  int64_t first_us = 0, last_us = 0;
};
struct FieldTouch {
  std::string field;
  std::string cls;  // "" when the schema does not know the name
  TouchCounts counts;
};
struct CaseTouch {
  std::string case_id;
  TouchCounts counts;
  std::vector<std::string> actors;   // sorted
  std::vector<FieldTouch> fields;    // sorted by name
  std::vector<std::string> classes;  // sorted: the classes of the fields read or written
};
struct ClassTouch {
  std::string cls;
  uint64_t cases = 0;  // distinct cases whose fields of this class were read or written
  uint64_t reads = 0, writes = 0, denies = 0;
};
struct TouchedReport {
  uint64_t entries = 0;               // matching entries
  uint64_t total_cases = 0;           // distinct cases (cases may list fewer)
  std::vector<CaseTouch> cases;       // by first touch; at most max_cases
  std::vector<ClassTouch> classes;    // by class name
};

class TouchedCollector {
 public:
  TouchedCollector(TouchedQuery query, FieldClassOf class_of);
  void Add(const AuditEntry& entry);
  TouchedReport Finish(size_t max_cases = 2000) const;

 private:
  struct CaseAgg {
    uint64_t order = 0;
    TouchCounts counts;
    std::set<std::string> actors;
    std::map<std::string, TouchCounts> fields;
  };
  TouchedQuery query_;
  FieldClassOf class_of_;
  uint64_t entries_ = 0;
  std::unordered_map<std::string, CaseAgg> cases_;
};

// --- Break-glass review. ------------------------------------------------------------
// A review is itself an audit entry: action "audit.review", decision "allow",
// the reviewed entry's case id, and detail "reviewed_seq=N outcome=O
// note_bytes=K" (the note's length only: its text may hold case data and is
// never stored). The queue: flagged entries without such a review.
inline constexpr std::string_view kAuditReviewAction = "audit.review";
enum class ReviewOutcome { kJustified, kUnjustified };
std::optional<ReviewOutcome> ParseReviewOutcome(std::string_view text);
std::string_view ReviewOutcomeName(ReviewOutcome outcome);
std::string ReviewDetail(uint64_t reviewed_seq, ReviewOutcome outcome, size_t note_bytes);
// The reviewed seq and outcome of a review entry's detail; nullopt when malformed.
std::optional<std::pair<uint64_t, ReviewOutcome>> ParseReviewDetail(std::string_view detail);

class ReviewQueue {
 public:
  // Entries in sequence order.
  void Add(const AuditEntry& entry);
  // Flagged entries seen and not reviewed by a later review seen, in seq order
  // (prev_hash and hash cleared).
  std::vector<AuditEntry> Pending() const;
  uint64_t flagged() const { return flagged_; }
  uint64_t reviewed() const { return reviewed_; }

 private:
  std::map<uint64_t, AuditEntry> pending_;
  uint64_t flagged_ = 0, reviewed_ = 0;
};

// --- Bounded reads of the trail (the server's side). ----------------------------------
// The seq of the signed head (meta "audit/head"), 0 for an empty trail.
Result<uint64_t> AuditHeadSeq(Store& store);
// The largest seq s in [0, head_seq] such that every entry <= s is older than
// time_us as far as a binary search over entry times can tell (entry times
// follow seq up to the commit delay; the caller leaves slack). 0 when none.
Result<uint64_t> LastSeqBefore(Store& store, int64_t time_us, uint64_t head_seq);
struct AuditScanResult {
  uint64_t scanned = 0;        // entries decoded
  uint64_t first_seq = 0;      // first and last seq decoded (0 when none)
  uint64_t last_seq = 0;
  bool capped = false;         // stopped at max_entries before the end
};
// Pages through (after_seq, to_seq] with QueryAudit, at most max_entries in
// total, calling visit(entry) in seq order; visit returns false to stop (not
// counted as capped).
Result<AuditScanResult> ScanAudit(Store& store, uint64_t after_seq, uint64_t to_seq, size_t max_entries,
                                  const std::function<bool(const AuditEntry&)>& visit);

}  // namespace brankas
