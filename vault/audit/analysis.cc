// The auditor's tools over the audit trail (brankas/audit_analysis.h).
#include "brankas/audit_analysis.h"

#include <algorithm>
#include <charconv>
#include <unordered_set>

namespace brankas {
namespace {

constexpr int64_t kMinuteUs = 60'000'000;
constexpr int64_t kHourUs = 60 * kMinuteUs;
constexpr size_t kRecentAllows = 64;

bool ParseTwoDigits(std::string_view s, int* out) {
  if (s.size() != 2 || s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9') return false;
  *out = (s[0] - '0') * 10 + (s[1] - '0');
  return true;
}

// "HH:MM" -> minutes; 24:00 only when allow_24.
bool ParseClock(std::string_view s, bool allow_24, int* minutes) {
  if (s.size() != 5 || s[2] != ':') return false;
  int h = 0, m = 0;
  if (!ParseTwoDigits(s.substr(0, 2), &h) || !ParseTwoDigits(s.substr(3, 2), &m)) return false;
  if (m > 59) return false;
  if (h == 24 && m == 0 && allow_24) {
    *minutes = 24 * 60;
    return true;
  }
  if (h > 23) return false;
  *minutes = h * 60 + m;
  return true;
}

std::string TwoDigits(int v) {
  std::string s = std::to_string(v);
  return s.size() < 2 ? "0" + s : s;
}

bool IsCaseId(const std::string& id) { return !id.empty() && id != "(malformed)"; }

// The comma-separated grant ids of an entry hold `grant`.
bool HoldsGrant(std::string_view list, std::string_view grant) {
  size_t start = 0;
  while (start <= list.size()) {
    size_t comma = list.find(',', start);
    if (comma == std::string_view::npos) comma = list.size();
    if (list.substr(start, comma - start) == grant) return true;
    start = comma + 1;
  }
  return false;
}

void Widen(TouchCounts* c, int64_t t) {
  if (c->first_us == 0 && c->last_us == 0 && c->reads + c->writes + c->denies + c->other == 0) {
    c->first_us = c->last_us = t;
    return;
  }
  c->first_us = std::min(c->first_us, t);
  c->last_us = std::max(c->last_us, t);
}

template <typename Event>
AnomalyFinding FindingOf(std::string kind, const std::string& actor, const std::vector<Event>& events, size_t begin,
                         size_t end) {
  AnomalyFinding f;
  f.kind = std::move(kind);
  f.actor = actor;
  std::set<std::string> cases;
  std::vector<uint64_t> seqs;
  f.first_us = events[begin].time_us;
  f.last_us = events[begin].time_us;
  for (size_t i = begin; i <= end; ++i) {
    const Event& e = events[i];
    ++f.count;
    if (IsCaseId(e.case_id)) cases.insert(e.case_id);
    f.first_us = std::min(f.first_us, e.time_us);
    f.last_us = std::max(f.last_us, e.time_us);
    seqs.push_back(e.seq);
  }
  std::sort(seqs.begin(), seqs.end());
  seqs.resize(std::min(seqs.size(), kMaxExampleSeqs));
  f.example_seqs = std::move(seqs);
  f.cases = cases.size();
  for (const std::string& c : cases) {
    if (f.case_ids.size() >= kMaxListedCases) break;
    f.case_ids.push_back(c);
  }
  return f;
}

// Index ranges [i, j] of `events` (sorted by time) that qualify, merged where
// they overlap.
std::vector<std::pair<size_t, size_t>> Merge(std::vector<std::pair<size_t, size_t>> ranges) {
  std::vector<std::pair<size_t, size_t>> out;
  for (const auto& r : ranges) {  // produced with ascending j and ascending i
    if (!out.empty() && r.first <= out.back().second) {
      out.back().first = std::min(out.back().first, r.first);
      out.back().second = std::max(out.back().second, r.second);
    } else {
      out.push_back(r);
    }
  }
  return out;
}

int KindOrder(const std::string& kind) {
  if (kind == "bulk_reads") return 0;
  if (kind == "outside_hours") return 1;
  if (kind == "repeated_denials") return 2;
  return 3;
}

}  // namespace

// --- Options ---------------------------------------------------------------------

Status ParseWorkingHours(std::string_view text, int* start_minute, int* end_minute) {
  const Status bad = InvalidArgument("working hours are \"HH:MM-HH:MM\" (e.g. \"07:00-18:00\") with start != end");
  if (text.size() != 11 || text[5] != '-') return bad;
  int start = 0, end = 0;
  if (!ParseClock(text.substr(0, 5), false, &start) || !ParseClock(text.substr(6, 5), true, &end)) return bad;
  if (start == end || (end == 24 * 60 && start == 0)) return bad;  // an empty or whole-day window
  *start_minute = start;
  *end_minute = end == 24 * 60 ? 0 : end;
  if (*start_minute == *end_minute) return bad;
  return Status::Ok();
}

std::string FormatWorkingHours(int start_minute, int end_minute) {
  return TwoDigits(start_minute / 60) + ":" + TwoDigits(start_minute % 60) + "-" + TwoDigits(end_minute / 60) + ":" +
         TwoDigits(end_minute % 60);
}

Status ParseUtcOffset(std::string_view text, int* minutes) {
  const Status bad =
      InvalidArgument("the UTC offset is \"+HH:MM\" or \"-HH:MM\" (-12:00 to +14:00), \"UTC\", \"WIB\", \"WITA\" or \"WIT\"");
  if (text == "UTC" || text == "Z") return *minutes = 0, Status::Ok();
  if (text == "WIB") return *minutes = 7 * 60, Status::Ok();
  if (text == "WITA") return *minutes = 8 * 60, Status::Ok();
  if (text == "WIT") return *minutes = 9 * 60, Status::Ok();
  if (text.size() < 2 || (text[0] != '+' && text[0] != '-')) return bad;
  const int sign = text[0] == '-' ? -1 : 1;
  std::string_view rest = text.substr(1);
  int h = 0, m = 0;
  if (rest.size() == 5 && rest[2] == ':') {
    if (!ParseTwoDigits(rest.substr(0, 2), &h) || !ParseTwoDigits(rest.substr(3, 2), &m)) return bad;
  } else if (rest.size() == 1 && rest[0] >= '0' && rest[0] <= '9') {
    h = rest[0] - '0';
  } else if (rest.size() == 2) {
    if (!ParseTwoDigits(rest, &h)) return bad;
  } else {
    return bad;
  }
  if (m > 59) return bad;
  const int total = sign * (h * 60 + m);
  if (total < -12 * 60 || total > 14 * 60) return bad;
  *minutes = total;
  return Status::Ok();
}

std::string FormatUtcOffset(int minutes) {
  const int a = minutes < 0 ? -minutes : minutes;
  return std::string(minutes < 0 ? "-" : "+") + TwoDigits(a / 60) + ":" + TwoDigits(a % 60);
}

AccessKind ClassifyAction(std::string_view action) {
  static const std::unordered_set<std::string_view> kReads = {"case.read",     "case.unmask",   "case.history",
                                                              "evidence.get",  "evidence.list", "evidence.bundle"};
  static const std::unordered_set<std::string_view> kWrites = {"case.create", "case.update", "evidence.add"};
  if (kReads.count(action) != 0) return AccessKind::kRead;
  if (kWrites.count(action) != 0) return AccessKind::kWrite;
  return AccessKind::kOther;
}

// --- Anomalies -------------------------------------------------------------------

void AnomalyDetector::Aggregate::Add(const AuditEntry& e) {
  if (count == 0) {
    first_us = last_us = e.time_us;
  } else {
    first_us = std::min(first_us, e.time_us);
    last_us = std::max(last_us, e.time_us);
  }
  ++count;
  if (IsCaseId(e.case_id) && (cases.size() < 100'000 || cases.count(e.case_id) != 0)) cases.insert(e.case_id);
  if (examples.size() < kMaxExampleSeqs) examples.push_back(e.seq);
}

AnomalyFinding AnomalyDetector::Aggregate::Finding(std::string kind, const std::string& actor) const {
  AnomalyFinding f;
  f.kind = std::move(kind);
  f.actor = actor;
  f.count = count;
  f.cases = cases.size();
  f.first_us = first_us;
  f.last_us = last_us;
  for (const std::string& c : cases) {
    if (f.case_ids.size() >= kMaxListedCases) break;
    f.case_ids.push_back(c);
  }
  f.example_seqs = examples;
  return f;
}

AnomalyDetector::AnomalyDetector(AnomalyOptions options) : options_(std::move(options)) {}

bool AnomalyDetector::OutsideHours(int64_t time_us) const {
  // Floor division: times before 1970 stay on the right day.
  int64_t minutes = time_us / kMinuteUs - (time_us % kMinuteUs < 0 ? 1 : 0);
  int64_t local = (minutes + options_.utc_offset_minutes) % (24 * 60);
  if (local < 0) local += 24 * 60;
  const int start = options_.working_start_minute, end = options_.working_end_minute;
  const bool inside = start < end ? (local >= start && local < end) : (local >= start || local < end);
  return !inside;
}

void AnomalyDetector::Add(const AuditEntry& e) {
  if (e.decision == "allow") {
    if (!e.request_id.empty()) {
      recent_allow_requests_.push_back(e.request_id);
      if (recent_allow_requests_.size() > kRecentAllows) recent_allow_requests_.pop_front();
    }
    if (ClassifyAction(e.action) != AccessKind::kRead || e.actor.empty()) return;
    if (IsCaseId(e.case_id)) reads_[e.actor].push_back(Event{e.seq, e.time_us, e.case_id});
    if (OutsideHours(e.time_us)) outside_hours_[e.actor].Add(e);
    for (const std::string& f : e.fields) {
      if (std::find(options_.shelter_fields.begin(), options_.shelter_fields.end(), f) !=
          options_.shelter_fields.end()) {
        shelter_[e.actor].Add(e);
        break;
      }
    }
    return;
  }
  if (e.decision != "deny") return;
  // The withheld part of a read that was otherwise allowed (same request).
  if (!e.request_id.empty() &&
      std::find(recent_allow_requests_.begin(), recent_allow_requests_.end(), e.request_id) !=
          recent_allow_requests_.end()) {
    return;
  }
  denials_[{e.actor, e.actor.empty() ? e.client : std::string()}].push_back(Event{e.seq, e.time_us, e.case_id});
}

std::vector<AnomalyFinding> AnomalyDetector::Finish() const {
  std::vector<AnomalyFinding> out;
  auto by_time = [](const Event& a, const Event& b) {
    return a.time_us != b.time_us ? a.time_us < b.time_us : a.seq < b.seq;
  };

  // Bulk reads: a sliding hour over each actor's reads, counting distinct cases.
  const size_t bulk = static_cast<size_t>(std::max(options_.bulk_reads_per_hour, 0));
  for (const auto& [actor, unsorted] : reads_) {
    std::vector<Event> events = unsorted;
    std::sort(events.begin(), events.end(), by_time);
    std::unordered_map<std::string_view, size_t> in_window;
    std::vector<std::pair<size_t, size_t>> ranges;
    size_t i = 0;
    for (size_t j = 0; j < events.size(); ++j) {
      ++in_window[events[j].case_id];
      while (events[j].time_us - events[i].time_us >= kHourUs) {
        auto it = in_window.find(events[i].case_id);
        if (--it->second == 0) in_window.erase(it);
        ++i;
      }
      if (in_window.size() > bulk) ranges.emplace_back(i, j);
    }
    for (const auto& [b, e] : Merge(std::move(ranges))) out.push_back(FindingOf("bulk_reads", actor, events, b, e));
  }

  for (const auto& [actor, agg] : outside_hours_) out.push_back(agg.Finding("outside_hours", actor));

  // Repeated denials: at least `threshold` within the window.
  const size_t threshold = static_cast<size_t>(std::max(options_.denials_threshold, 1));
  const int64_t window = static_cast<int64_t>(options_.denials_window_minutes) * kMinuteUs;
  for (const auto& [who, unsorted] : denials_) {
    if (unsorted.size() < threshold) continue;
    std::vector<Event> events = unsorted;
    std::sort(events.begin(), events.end(), by_time);
    std::vector<std::pair<size_t, size_t>> ranges;
    size_t i = 0;
    for (size_t j = 0; j < events.size(); ++j) {
      while (events[j].time_us - events[i].time_us >= window) ++i;
      if (j - i + 1 >= threshold) ranges.emplace_back(i, j);
    }
    for (const auto& [b, e] : Merge(std::move(ranges))) {
      AnomalyFinding f = FindingOf("repeated_denials", who.first, events, b, e);
      f.client = who.second;
      out.push_back(std::move(f));
    }
  }

  for (const auto& [actor, agg] : shelter_) out.push_back(agg.Finding("shelter_reads", actor));

  std::stable_sort(out.begin(), out.end(), [](const AnomalyFinding& a, const AnomalyFinding& b) {
    if (KindOrder(a.kind) != KindOrder(b.kind)) return KindOrder(a.kind) < KindOrder(b.kind);
    if (a.first_us != b.first_us) return a.first_us < b.first_us;
    return a.actor < b.actor;
  });
  return out;
}

std::vector<AnomalyFinding> FindAnomalies(const std::vector<AuditEntry>& entries, const AnomalyOptions& options) {
  AnomalyDetector d(options);
  for (const AuditEntry& e : entries) d.Add(e);
  return d.Finish();
}

// --- Who touched what ------------------------------------------------------------

bool TouchedMatches(const AuditEntry& e, const TouchedQuery& q) {
  if (!IsCaseId(e.case_id)) return false;
  if (!q.actor.empty() && e.actor != q.actor) return false;
  if (!q.grant_id.empty() && !HoldsGrant(e.grant_id, q.grant_id)) return false;
  if (q.from_us != 0 && e.time_us < q.from_us) return false;
  if (q.to_us != 0 && e.time_us >= q.to_us) return false;
  return e.decision == "allow" || e.decision == "deny";
}

TouchedCollector::TouchedCollector(TouchedQuery query, FieldClassOf class_of)
    : query_(std::move(query)), class_of_(std::move(class_of)) {}

void TouchedCollector::Add(const AuditEntry& e) {
  if (!TouchedMatches(e, query_)) return;
  ++entries_;
  auto [it, fresh] = cases_.try_emplace(e.case_id);
  CaseAgg& c = it->second;
  if (fresh) c.order = entries_;
  const bool deny = e.decision == "deny";
  const AccessKind kind = ClassifyAction(e.action);
  auto count = [&](TouchCounts* t) {
    Widen(t, e.time_us);
    if (deny) {
      ++t->denies;
    } else if (kind == AccessKind::kRead) {
      ++t->reads;
    } else if (kind == AccessKind::kWrite) {
      ++t->writes;
    } else {
      ++t->other;
    }
  };
  count(&c.counts);
  if (!e.actor.empty() && c.actors.size() < 64) c.actors.insert(e.actor);
  if (deny || kind != AccessKind::kOther) {
    for (const std::string& f : e.fields) {
      if (c.fields.size() >= 4096 && c.fields.count(f) == 0) break;
      count(&c.fields[f]);
    }
  }
}

TouchedReport TouchedCollector::Finish(size_t max_cases) const {
  TouchedReport r;
  r.entries = entries_;
  r.total_cases = cases_.size();
  std::vector<std::pair<uint64_t, const std::string*>> order;
  order.reserve(cases_.size());
  for (const auto& [id, agg] : cases_) order.emplace_back(agg.order, &id);
  std::sort(order.begin(), order.end());
  std::map<std::string, ClassTouch> classes;
  std::map<std::string, std::string> class_memo;
  auto class_of = [&](const std::string& field) -> const std::string& {
    auto it = class_memo.find(field);
    if (it != class_memo.end()) return it->second;
    std::string cls;
    if (field.rfind("evidence=", 0) == 0) {
      cls = "legal_evidence";
    } else if (class_of_) {
      cls = class_of_(field);
    }
    return class_memo.emplace(field, std::move(cls)).first->second;
  };
  for (const auto& [unused, id] : order) {
    const CaseAgg& agg = cases_.at(*id);
    CaseTouch ct;
    ct.case_id = *id;
    ct.counts = agg.counts;
    ct.actors.assign(agg.actors.begin(), agg.actors.end());
    std::set<std::string> case_classes;
    for (const auto& [name, counts] : agg.fields) {
      FieldTouch ft{name, class_of(name), counts};
      if (!ft.cls.empty()) {
        ClassTouch& cl = classes[ft.cls];
        cl.cls = ft.cls;
        cl.reads += counts.reads;
        cl.writes += counts.writes;
        cl.denies += counts.denies;
        if (counts.reads + counts.writes > 0) case_classes.insert(ft.cls);
      }
      ct.fields.push_back(std::move(ft));
    }
    for (const std::string& cls : case_classes) ++classes[cls].cases;
    ct.classes.assign(case_classes.begin(), case_classes.end());
    if (r.cases.size() < max_cases) r.cases.push_back(std::move(ct));
  }
  for (auto& [name, cl] : classes) r.classes.push_back(std::move(cl));
  return r;
}

// --- Break-glass review ------------------------------------------------------------

std::optional<ReviewOutcome> ParseReviewOutcome(std::string_view text) {
  if (text == "justified") return ReviewOutcome::kJustified;
  if (text == "unjustified") return ReviewOutcome::kUnjustified;
  return std::nullopt;
}

std::string_view ReviewOutcomeName(ReviewOutcome outcome) {
  return outcome == ReviewOutcome::kJustified ? "justified" : "unjustified";
}

std::string ReviewDetail(uint64_t reviewed_seq, ReviewOutcome outcome, size_t note_bytes) {
  return "reviewed_seq=" + std::to_string(reviewed_seq) + " outcome=" + std::string(ReviewOutcomeName(outcome)) +
         " note_bytes=" + std::to_string(note_bytes);
}

std::optional<std::pair<uint64_t, ReviewOutcome>> ParseReviewDetail(std::string_view detail) {
  constexpr std::string_view kSeq = "reviewed_seq=";
  constexpr std::string_view kOutcome = " outcome=";
  if (detail.substr(0, kSeq.size()) != kSeq) return std::nullopt;
  detail.remove_prefix(kSeq.size());
  uint64_t seq = 0;
  auto [end, ec] = std::from_chars(detail.data(), detail.data() + detail.size(), seq);
  if (ec != std::errc() || seq == 0) return std::nullopt;
  detail.remove_prefix(static_cast<size_t>(end - detail.data()));
  if (detail.substr(0, kOutcome.size()) != kOutcome) return std::nullopt;
  detail.remove_prefix(kOutcome.size());
  std::string_view word = detail.substr(0, detail.find(' '));
  auto outcome = ParseReviewOutcome(word);
  if (!outcome) return std::nullopt;
  return std::make_pair(seq, *outcome);
}

void ReviewQueue::Add(const AuditEntry& e) {
  if (e.action == kAuditReviewAction && e.decision == "allow") {
    auto parsed = ParseReviewDetail(e.detail);
    if (parsed && parsed->first < e.seq) {
      ++reviewed_;
      pending_.erase(parsed->first);
    }
    return;
  }
  if (!e.flagged) return;
  ++flagged_;
  AuditEntry copy = e;
  copy.prev_hash.clear();
  copy.hash.clear();
  pending_.emplace(e.seq, std::move(copy));
}

std::vector<AuditEntry> ReviewQueue::Pending() const {
  std::vector<AuditEntry> out;
  out.reserve(pending_.size());
  for (const auto& [seq, e] : pending_) out.push_back(e);
  return out;
}

// --- Bounded reads -----------------------------------------------------------------

Result<uint64_t> AuditHeadSeq(Store& store) {
  BRANKAS_ASSIGN_OR_RETURN(auto bytes, store.Get(Column::kMeta, kAuditHeadKey));
  if (!bytes) return uint64_t{0};
  BRANKAS_ASSIGN_OR_RETURN(AuditHead head, DecodeAuditHead(*bytes));
  return head.seq;
}

Result<uint64_t> LastSeqBefore(Store& store, int64_t time_us, uint64_t head_seq) {
  uint64_t lo = 0, hi = head_seq;
  while (lo < hi) {
    const uint64_t mid = lo + (hi - lo + 1) / 2;
    BRANKAS_ASSIGN_OR_RETURN(auto bytes, store.Get(Column::kAudit, AuditEntryKey(mid)));
    if (!bytes) return Corruption("audit entry " + std::to_string(mid) + " is missing");
    BRANKAS_ASSIGN_OR_RETURN(AuditEntry e, DecodeAuditEntry(*bytes));
    if (e.time_us < time_us) {
      lo = mid;
    } else {
      hi = mid - 1;
    }
  }
  return lo;
}

Result<AuditScanResult> ScanAudit(Store& store, uint64_t after_seq, uint64_t to_seq, size_t max_entries,
                                  const std::function<bool(const AuditEntry&)>& visit) {
  AuditScanResult r;
  uint64_t after = after_seq;
  while (after < to_seq) {
    if (r.scanned >= max_entries) {
      r.capped = true;
      break;
    }
    AuditFilter f;
    f.after_seq = after;
    f.limit = static_cast<size_t>(
        std::min<uint64_t>({kMaxAuditQueryLimit, max_entries - r.scanned, to_seq - after}));
    BRANKAS_ASSIGN_OR_RETURN(auto page, QueryAudit(store, f));
    if (page.empty()) break;
    for (const AuditEntry& e : page) {
      if (e.seq > to_seq) return r;
      ++r.scanned;
      if (r.first_seq == 0) r.first_seq = e.seq;
      r.last_seq = e.seq;
      if (!visit(e)) return r;
    }
    after = page.back().seq;
  }
  return r;
}

}  // namespace brankas
