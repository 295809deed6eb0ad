// /v1/audit/review, /v1/audit/anomalies, /v1/audit/touched (server/api_audit_tools.h).
#include "server/api_audit_tools.h"

#include <chrono>
#include <mutex>
#include <string>

#include "brankas/crypto.h"
#include "brankas/schema.h"

namespace brankas::server {
namespace {

constexpr std::string_view kQueueAction = "audit.review_queue";
constexpr std::string_view kAnomaliesAction = "audit.anomalies";
constexpr std::string_view kTouchedAction = "audit.touched";
constexpr size_t kMaxNoteBytes = 4096;
constexpr int64_t kDefaultAnomalyWindowUs = 24LL * 3600 * 1'000'000;
// Entry times follow their seq up to the commit delay; a window's scan starts
// and ends this much beyond it, and filters exactly.
constexpr int64_t kSlackUs = 5LL * 60 * 1'000'000;
constexpr size_t kMaxTouchedCases = 2000;

// A decimal number of at most 19 digits (fits in int64_t).
Result<std::optional<int64_t>> ParseNumber(const std::string* s, std::string_view name) {
  if (s == nullptr) return std::optional<int64_t>();
  const auto bad = InvalidArgument("\"" + std::string(name) + "\" is not a number");
  if (s->empty() || s->size() > 18) return bad;
  int64_t v = 0;
  for (char c : *s) {
    if (c < '0' || c > '9') return bad;
    v = v * 10 + (c - '0');
  }
  return std::optional<int64_t>(v);
}

// A user name as Vault::CreateUser accepts it: [a-z0-9_.-]{1,64}.
bool IsUserName(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
    if (!ok) return false;
  }
  return true;
}

// A grant id: [A-Za-z0-9_-]{1,64}.
bool IsIdText(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

Status OnlyParams(const Target& target, std::initializer_list<std::string_view> allowed) {
  for (const auto& [name, value] : target.query) {
    bool known = false;
    for (std::string_view a : allowed) known = known || name == a;
    if (!known) return InvalidArgument("unknown parameter");
  }
  return Status::Ok();
}

Json ScanJson(const AuditScanResult& scan, uint64_t head_seq) {
  return Json{{"scanned", scan.scanned},
              {"scanned_from_seq", scan.first_seq},
              {"scanned_to_seq", scan.last_seq},
              {"head_seq", head_seq},
              {"capped", scan.capped}};
}

Json CountsJson(const TouchCounts& c) {
  return Json{{"reads", c.reads},       {"writes", c.writes},     {"denies", c.denies},
              {"other", c.other},       {"first_us", c.first_us}, {"last_us", c.last_us}};
}

// Who may do what: the audit_read scope of the caller's role.
bool MayReadWholeTrail(Vault& vault, const RequestContext& rc) {
  return vault.policy().OperationScope(rc.principal.role, Policy::Operation::kAuditRead) == Scope::kAll;
}
bool MayReadUnitTrail(Vault& vault, const RequestContext& rc) {
  Scope s = vault.policy().OperationScope(rc.principal.role, Policy::Operation::kAuditRead);
  return s == Scope::kAll || (s == Scope::kUnit && !rc.principal.unit.empty() && rc.principal.unit == vault.unit());
}

class Handler {
 public:
  Handler(Vault& vault, const RequestContext& rc, std::string_view action)
      : vault_(vault), rc_(rc), action_(action) {}

  // A refusal, audited "deny" with the error code.
  Status Refuse(const Status& s, std::string_view case_id = {}) {
    vault_.AuditAttempt(rc_, action_, case_id, "deny", Api::ApiCode(s.code())).IgnoreError();
    return s;
  }
  // A failure of the store, audited "error".
  Status Fail(const Status& s) {
    vault_.AuditAttempt(rc_, action_, "", "error", Api::ApiCode(s.code())).IgnoreError();
    return s;
  }
  // Nothing is answered unless it is audited.
  Status Allow(const std::string& detail, std::string_view case_id = {}) {
    return vault_.AuditAttempt(rc_, action_, case_id, "allow", detail);
  }

 private:
  Vault& vault_;
  const RequestContext& rc_;
  std::string_view action_;
};

// The entries (after, head], newest `cap` when `from_us` is 0, else from a
// little before from_us; entries at or past to_us + slack end the scan.
// `visit` sees only entries in [from_us, to_us) (0: open).
Result<AuditScanResult> ScanWindow(Store& snapshot, uint64_t head, int64_t from_us, int64_t to_us, size_t cap,
                                   const std::function<void(const AuditEntry&)>& visit) {
  uint64_t after = head > cap ? head - cap : 0;
  if (from_us > 0) {
    BRANKAS_ASSIGN_OR_RETURN(after, LastSeqBefore(snapshot, from_us - kSlackUs, head));
  }
  return ScanAudit(snapshot, after, head, cap, [&](const AuditEntry& e) {
    if (to_us > 0 && e.time_us >= to_us + kSlackUs) return false;
    if ((from_us == 0 || e.time_us >= from_us) && (to_us == 0 || e.time_us < to_us)) visit(e);
    return true;
  });
}

// Reads the window parameters "from" and "to" (unix seconds).
struct Window {
  int64_t from_us = 0, to_us = 0;
};
Result<Window> ParseWindow(const Target& target, const AnomalyOptions& options, bool required_both,
                           int64_t default_length_us) {
  BRANKAS_ASSIGN_OR_RETURN(auto from, ParseNumber(target.Param("from"), "from"));
  BRANKAS_ASSIGN_OR_RETURN(auto to, ParseNumber(target.Param("to"), "to"));
  Window w;
  if (required_both && (!from || !to)) return InvalidArgument("give both \"from\" and \"to\" (unix seconds)");
  if (!from && !to && default_length_us == 0) return w;
  w.to_us = to ? *to * 1'000'000 : SystemNowUs();
  w.from_us = from ? *from * 1'000'000 : w.to_us - (default_length_us > 0 ? default_length_us : kDefaultAnomalyWindowUs);
  if (w.from_us <= 0) w.from_us = 1;
  if (w.from_us >= w.to_us) return InvalidArgument("\"from\" must be before \"to\"");
  const int64_t max_us = static_cast<int64_t>(options.max_window_days) * 24 * 3600 * 1'000'000;
  if (w.to_us - w.from_us > max_us) {
    return InvalidArgument("the window is longer than " + std::to_string(options.max_window_days) +
                           " days ([anomaly] max_window_days)");
  }
  return w;
}

// --- GET /v1/audit/review ------------------------------------------------------------
Result<AuditToolAnswer> ReviewQueueAnswer(Vault& vault, const RequestContext& rc, const Target& target,
                                          const AnomalyOptions& options) {
  Handler h(vault, rc, kQueueAction);
  if (Status s = OnlyParams(target, {}); !s.ok()) return h.Refuse(s);
  if (!MayReadUnitTrail(vault, rc)) {
    return h.Refuse(PermissionDenied("the review queue is for auditors and the unit's supervisors"));
  }
  auto snapshot = vault.store().Snapshot();
  if (!snapshot.ok()) return h.Fail(snapshot.status());
  auto head = AuditHeadSeq(**snapshot);
  if (!head.ok()) return h.Fail(head.status());
  ReviewQueue queue;
  // The newest entries: a review always follows what it reviews, so the queue
  // is exact over the scanned range.
  auto scan = ScanWindow(**snapshot, *head, 0, 0, options.max_scan_entries, [&](const AuditEntry& e) { queue.Add(e); });
  if (!scan.ok()) return h.Fail(scan.status());
  const bool capped = scan->first_seq > 1;
  std::vector<AuditEntry> pending = queue.Pending();
  BRANKAS_RETURN_IF_ERROR(h.Allow("pending=" + std::to_string(pending.size()) + " scanned=" +
                                  std::to_string(scan->scanned) + (capped ? " capped" : "")));
  Json items = Json::array();
  for (const AuditEntry& e : pending) {
    Json j = ToJson(e);
    j.erase("prev_hash");
    j.erase("hash");
    items.push_back(std::move(j));
  }
  AuditToolAnswer a;
  a.body = Json{{"unit", vault.unit()}, {"pending", items}, {"flagged", queue.flagged()}, {"reviewed", queue.reviewed()}};
  a.body.update(ScanJson(*scan, *head));
  a.body["capped"] = capped;
  if (capped) {
    a.body["note"] = "entries before seq " + std::to_string(scan->first_seq) +
                     " were not scanned ([anomaly] max_scan_entries); flagged entries there are not listed";
  }
  return a;
}

// --- POST /v1/audit/review/{seq} -------------------------------------------------------
std::mutex& ReviewMutex() {
  static std::mutex mu;
  return mu;
}

Result<AuditToolAnswer> ReviewAnswer(Vault& vault, const RequestContext& rc, const HttpRequest& req,
                                     const std::string& seq_text, int max_json_depth, const AnomalyOptions& options) {
  Handler h(vault, rc, kAuditReviewAction);
  auto seq = ParseNumber(&seq_text, "seq");
  if (!seq.ok()) return h.Refuse(seq.status());
  if (**seq <= 0) return h.Refuse(InvalidArgument("\"seq\" must be positive"));
  if (!req.content_type.empty() && req.content_type.rfind("application/json", 0) != 0) {
    return h.Refuse(InvalidArgument("the body must be application/json"));
  }
  auto body = ParseJsonObject(req.body, max_json_depth);
  if (!body.ok()) return h.Refuse(body.status());
  if (Status s = OnlyKeys(*body, {"outcome", "note"}); !s.ok()) return h.Refuse(s);
  auto outcome_text = RequiredString(*body, "outcome", 64);
  if (!outcome_text.ok()) return h.Refuse(outcome_text.status());
  auto outcome = ParseReviewOutcome(*outcome_text);
  if (!outcome) return h.Refuse(InvalidArgument("\"outcome\" is \"justified\" or \"unjustified\""));
  auto note = OptionalString(*body, "note", kMaxNoteBytes);
  if (!note.ok()) return h.Refuse(note.status());
  // Only the note's length is kept: its text may hold case data.
  const size_t note_bytes = note->has_value() ? (*note)->size() : 0;
  if (note->has_value()) WipeString(**note);
  if (!MayReadWholeTrail(vault, rc)) return h.Refuse(PermissionDenied("only an auditor may review flagged entries"));

  // One review at a time: the check for an earlier review and the new one
  // must not interleave with another's.
  std::lock_guard<std::mutex> lock(ReviewMutex());
  auto snapshot = vault.store().Snapshot();
  if (!snapshot.ok()) return h.Fail(snapshot.status());
  const uint64_t reviewed_seq = static_cast<uint64_t>(**seq);
  auto bytes = (*snapshot)->Get(Column::kAudit, AuditEntryKey(reviewed_seq));
  if (!bytes.ok()) return h.Fail(bytes.status());
  if (!bytes->has_value()) return h.Refuse(NotFound("no audit entry " + std::to_string(reviewed_seq)));
  auto entry = DecodeAuditEntry(**bytes);
  if (!entry.ok()) return h.Fail(entry.status());
  if (!entry->flagged) {
    return h.Refuse(FailedPrecondition("audit entry " + std::to_string(reviewed_seq) + " is not flagged"),
                    entry->case_id);
  }
  if (entry->actor == rc.principal.user) {
    return h.Refuse(PermissionDenied("nobody reviews their own flagged access"), entry->case_id);
  }
  auto head = AuditHeadSeq(**snapshot);
  if (!head.ok()) return h.Fail(head.status());
  uint64_t earlier = 0;
  auto scan = ScanAudit(**snapshot, reviewed_seq, *head, options.max_scan_entries, [&](const AuditEntry& e) {
    if (e.action == kAuditReviewAction && e.decision == "allow") {
      auto parsed = ParseReviewDetail(e.detail);
      if (parsed && parsed->first == reviewed_seq) {
        earlier = e.seq;
        return false;
      }
    }
    return true;
  });
  if (!scan.ok()) return h.Fail(scan.status());
  if (earlier != 0) {
    return h.Refuse(FailedPrecondition("audit entry " + std::to_string(reviewed_seq) + " was reviewed already (seq " +
                                       std::to_string(earlier) + ")"),
                    entry->case_id);
  }
  BRANKAS_RETURN_IF_ERROR(h.Allow(ReviewDetail(reviewed_seq, *outcome, note_bytes), entry->case_id));
  AuditToolAnswer a;
  a.status = 201;
  a.body = Json{{"reviewed_seq", reviewed_seq},
                {"outcome", std::string(ReviewOutcomeName(*outcome))},
                {"case_id", entry->case_id},
                {"action", entry->action},
                {"actor", entry->actor},
                {"note_bytes", note_bytes},
                {"note_stored", false}};
  return a;
}

// --- GET /v1/audit/anomalies --------------------------------------------------------------
Result<AuditToolAnswer> AnomaliesAnswer(Vault& vault, const RequestContext& rc, const Target& target,
                                        const AnomalyOptions& options) {
  Handler h(vault, rc, kAnomaliesAction);
  if (Status s = OnlyParams(target, {"from", "to"}); !s.ok()) return h.Refuse(s);
  auto window = ParseWindow(target, options, false, kDefaultAnomalyWindowUs);
  if (!window.ok()) return h.Refuse(window.status());
  if (!MayReadWholeTrail(vault, rc)) return h.Refuse(PermissionDenied("only an auditor may run the anomaly report"));
  auto snapshot = vault.store().Snapshot();
  if (!snapshot.ok()) return h.Fail(snapshot.status());
  auto head = AuditHeadSeq(**snapshot);
  if (!head.ok()) return h.Fail(head.status());
  AnomalyDetector detector(options);
  int64_t analyzed_to_us = 0;
  auto scan = ScanWindow(**snapshot, *head, window->from_us, window->to_us, options.max_scan_entries,
                         [&](const AuditEntry& e) {
                           detector.Add(e);
                           analyzed_to_us = std::max(analyzed_to_us, e.time_us);
                         });
  if (!scan.ok()) return h.Fail(scan.status());
  std::vector<AnomalyFinding> findings = detector.Finish();
  BRANKAS_RETURN_IF_ERROR(h.Allow("from=" + std::to_string(window->from_us / 1'000'000) + " to=" +
                                  std::to_string(window->to_us / 1'000'000) + " findings=" +
                                  std::to_string(findings.size()) + " scanned=" + std::to_string(scan->scanned) +
                                  (scan->capped ? " capped" : "")));
  Json list = Json::array();
  for (const AnomalyFinding& f : findings) {
    Json j{{"kind", f.kind},
           {"actor", f.actor},
           {"count", f.count},
           {"cases", f.cases},
           {"first_us", f.first_us},
           {"last_us", f.last_us},
           {"case_ids", f.case_ids},
           {"example_seqs", f.example_seqs}};
    if (!f.client.empty()) j["client"] = f.client;
    list.push_back(std::move(j));
  }
  AuditToolAnswer a;
  a.body = Json{{"unit", vault.unit()},
                {"from", window->from_us / 1'000'000},
                {"to", window->to_us / 1'000'000},
                {"thresholds",
                 {{"bulk_reads_per_hour", options.bulk_reads_per_hour},
                  {"working_hours", FormatWorkingHours(options.working_start_minute, options.working_end_minute)},
                  {"utc_offset", FormatUtcOffset(options.utc_offset_minutes)},
                  {"denials_threshold", options.denials_threshold},
                  {"denials_window_minutes", options.denials_window_minutes},
                  {"shelter_fields", options.shelter_fields}}},
                {"findings", list}};
  a.body.update(ScanJson(*scan, *head));
  if (scan->capped) {
    a.body["analyzed_to_us"] = analyzed_to_us;
    a.body["note"] = "the window holds more than " + std::to_string(options.max_scan_entries) +
                     " entries ([anomaly] max_scan_entries): only entries up to analyzed_to_us were analyzed";
  }
  return a;
}

// --- GET /v1/audit/touched ------------------------------------------------------------------
Result<AuditToolAnswer> TouchedAnswer(Vault& vault, const RequestContext& rc, const Target& target,
                                      const AnomalyOptions& options) {
  Handler h(vault, rc, kTouchedAction);
  if (Status s = OnlyParams(target, {"actor", "grant", "from", "to"}); !s.ok()) return h.Refuse(s);
  TouchedQuery q;
  if (const std::string* actor = target.Param("actor"); actor != nullptr) {
    if (!IsUserName(*actor)) return h.Refuse(InvalidArgument("\"actor\" is not a user name"));
    q.actor = *actor;
  }
  if (const std::string* grant = target.Param("grant"); grant != nullptr) {
    if (!IsIdText(*grant)) return h.Refuse(InvalidArgument("\"grant\" is not a grant id"));
    q.grant_id = *grant;
  }
  const bool has_time = target.Param("from") != nullptr || target.Param("to") != nullptr;
  if (q.actor.empty() && q.grant_id.empty() && !has_time) {
    return h.Refuse(InvalidArgument("give \"actor\", \"grant\" or a window \"from\" and \"to\""));
  }
  auto window = ParseWindow(target, options, q.actor.empty() && q.grant_id.empty(), 0);
  if (!window.ok()) return h.Refuse(window.status());
  q.from_us = window->from_us;
  q.to_us = window->to_us;
  if (!MayReadWholeTrail(vault, rc)) return h.Refuse(PermissionDenied("only an auditor may ask who touched what"));
  auto snapshot = vault.store().Snapshot();
  if (!snapshot.ok()) return h.Fail(snapshot.status());
  auto head = AuditHeadSeq(**snapshot);
  if (!head.ok()) return h.Fail(head.status());
  const Schema& schema = vault.schema();
  TouchedCollector collector(q, [&schema](std::string_view field) -> std::string {
    const FieldDef* def = schema.Find(field);
    return def == nullptr ? std::string() : std::string(FieldClassName(def->cls));
  });
  auto scan = ScanWindow(**snapshot, *head, q.from_us, q.to_us, options.max_scan_entries,
                         [&](const AuditEntry& e) { collector.Add(e); });
  if (!scan.ok()) return h.Fail(scan.status());
  TouchedReport report = collector.Finish(kMaxTouchedCases);
  std::string detail;
  if (!q.actor.empty()) detail += "actor=" + q.actor + " ";
  if (!q.grant_id.empty()) detail += "grant=" + q.grant_id + " ";
  if (q.from_us != 0) detail += "from=" + std::to_string(q.from_us / 1'000'000) + " to=" + std::to_string(q.to_us / 1'000'000) + " ";
  detail += "cases=" + std::to_string(report.total_cases) + " scanned=" + std::to_string(scan->scanned) +
            (scan->capped || (q.from_us == 0 && scan->first_seq > 1) ? " capped" : "");
  BRANKAS_RETURN_IF_ERROR(h.Allow(detail));

  Json cases = Json::array();
  for (const CaseTouch& c : report.cases) {
    Json fields = Json::array();
    for (const FieldTouch& f : c.fields) {
      Json fj = CountsJson(f.counts);
      fj["field"] = f.field;
      fj["class"] = f.cls;
      fields.push_back(std::move(fj));
    }
    Json cj = CountsJson(c.counts);
    cj["case_id"] = c.case_id;
    cj["actors"] = c.actors;
    cj["classes"] = c.classes;
    cj["fields"] = std::move(fields);
    cases.push_back(std::move(cj));
  }
  Json classes = Json::array();
  for (const ClassTouch& c : report.classes) {
    classes.push_back(Json{{"class", c.cls}, {"cases", c.cases}, {"reads", c.reads}, {"writes", c.writes}, {"denies", c.denies}});
  }
  AuditToolAnswer a;
  a.body = Json{{"unit", vault.unit()},
                {"entries", report.entries},
                {"total_cases", report.total_cases},
                {"cases", cases},
                {"classes", classes}};
  if (!q.actor.empty()) a.body["actor"] = q.actor;
  if (!q.grant_id.empty()) a.body["grant"] = q.grant_id;
  if (q.from_us != 0) {
    a.body["from"] = q.from_us / 1'000'000;
    a.body["to"] = q.to_us / 1'000'000;
  }
  a.body.update(ScanJson(*scan, *head));
  // Without a window only the newest entries are scanned.
  const bool older_unscanned = q.from_us == 0 && scan->first_seq > 1;
  a.body["capped"] = scan->capped || older_unscanned;
  if (scan->capped || older_unscanned) {
    a.body["note"] = "not every entry was scanned ([anomaly] max_scan_entries): see scanned_from_seq and "
                     "scanned_to_seq; narrow the window";
  }
  if (report.cases.size() < report.total_cases) a.body["cases_truncated"] = true;
  return a;
}

}  // namespace

bool IsAuditToolPath(const Target& target) {
  const auto& s = target.segments;
  return s.size() >= 3 && s[0] == "v1" && s[1] == "audit" &&
         (s[2] == "review" || s[2] == "anomalies" || s[2] == "touched");
}

Result<AuditToolAnswer> AuditTools(Vault& vault, const RequestContext& rc, const HttpRequest& request,
                                   const Target& target, int max_json_depth, const AnomalyOptions& options) {
  if (vault.health() == Health::kSealed) {
    return Sealed("the vault is sealed: unseal it with the passphrase or recovery shares");
  }
  const auto& s = target.segments;
  const std::string& m = request.method;
  if (s.size() == 3 && s[2] == "review" && m == "GET") return ReviewQueueAnswer(vault, rc, target, options);
  if (s.size() == 4 && s[2] == "review" && m == "POST") {
    return ReviewAnswer(vault, rc, request, s[3], max_json_depth, options);
  }
  if (s.size() == 3 && s[2] == "anomalies" && m == "GET") return AnomaliesAnswer(vault, rc, target, options);
  if (s.size() == 3 && s[2] == "touched" && m == "GET") return TouchedAnswer(vault, rc, target, options);
  Status nf = NotFound("no such route");
  vault.AuditAttempt(rc, "api.audit." + s[2], "", "deny", Api::ApiCode(nf.code())).IgnoreError();
  return nf;
}

}  // namespace brankas::server
