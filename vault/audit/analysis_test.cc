// The auditor's tools (brankas/audit_analysis.h): each anomaly planted in
// synthetic entries is found, ordinary traffic is not flagged, "who touched
// what" counts per case, field and class, the review queue, and the bounded
// paging over a real store.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "brankas/audit_analysis.h"
#include "brankas/crypto.h"
#include "brankas/store.h"
#include "testing/temp_dir.h"

namespace brankas {
namespace {

constexpr int64_t kMinute = 60'000'000;
constexpr int64_t kHour = 60 * kMinute;
// 2024-05-06 00:00:00 UTC (a Monday) = 07:00 WIB.
constexpr int64_t kDay = 1'714'953'600LL * 1'000'000;
// A time of that day in WIB (UTC+7).
int64_t Wib(int hour, int minute = 0) { return kDay + (hour - 7) * kHour + minute * kMinute; }

class Trail {
 public:
  AuditEntry& Add(std::string actor, std::string action, std::string case_id, std::string decision, int64_t t,
                  std::vector<std::string> fields = {"registration_number", "name"}) {
    AuditEntry e;
    e.seq = ++seq_;
    e.time_us = t;
    e.actor = std::move(actor);
    e.role = "case_worker";
    e.action = std::move(action);
    e.case_id = std::move(case_id);
    e.decision = std::move(decision);
    e.fields = std::move(fields);
    e.request_id = "req" + std::to_string(seq_);
    e.client = "10.0.0.5:4000";
    entries_.push_back(std::move(e));
    return entries_.back();
  }
  AuditEntry& Read(const std::string& actor, const std::string& case_id, int64_t t,
                   std::vector<std::string> fields = {"registration_number", "name"}) {
    return Add(actor, "case.read", case_id, "allow", t, std::move(fields));
  }
  const std::vector<AuditEntry>& entries() const { return entries_; }

 private:
  uint64_t seq_ = 0;
  std::vector<AuditEntry> entries_;
};

std::string Case(int i) { return "C" + std::to_string(1000 + i); }

std::vector<AnomalyFinding> OfKind(const std::vector<AnomalyFinding>& all, const std::string& kind) {
  std::vector<AnomalyFinding> out;
  for (const auto& f : all) {
    if (f.kind == kind) out.push_back(f);
  }
  return out;
}

// A working day of ordinary traffic: three case workers each reading and
// updating their own few cases during office hours, a supervisor's partly
// withheld reads (an allow and a deny of one request), a wrong password now
// and then, intake creating cases.
Trail OrdinaryDay() {
  Trail t;
  for (int w = 0; w < 3; ++w) {
    const std::string actor = "worker" + std::to_string(w);
    for (int k = 0; k < 12; ++k) {
      const int64_t at = Wib(8 + k / 2, (k % 2) * 30 + w);
      t.Read(actor, Case(w * 10 + k % 5), at);
      t.Add(actor, "case.update", Case(w * 10 + k % 5), "allow", at + kMinute, {"narrative"});
    }
  }
  for (int k = 0; k < 10; ++k) {
    AuditEntry& allow = t.Read("supervisor1", Case(k), Wib(13, k * 3), {"registration_number"});
    const std::string request = allow.request_id;
    AuditEntry& deny = t.Add("supervisor1", "case.read", Case(k), "deny", Wib(13, k * 3), {"counselling_notes"});
    deny.request_id = request;
    deny.rule = "field_read";
  }
  for (int k = 0; k < 3; ++k) t.Add("worker1", "auth.login", "", "deny", Wib(9 + k * 2));
  for (int k = 0; k < 5; ++k) t.Add("intake1", "case.create", Case(100 + k), "allow", Wib(10, k * 7));
  return t;
}

TEST(AnomalyOptionsTest, WorkingHoursAndOffsets) {
  int start = 0, end = 0;
  ASSERT_TRUE(ParseWorkingHours("07:00-18:00", &start, &end).ok());
  EXPECT_EQ(start, 420);
  EXPECT_EQ(end, 1080);
  EXPECT_EQ(FormatWorkingHours(start, end), "07:00-18:00");
  ASSERT_TRUE(ParseWorkingHours("22:00-06:30", &start, &end).ok());
  EXPECT_EQ(start, 1320);
  EXPECT_EQ(end, 390);
  ASSERT_TRUE(ParseWorkingHours("07:00-24:00", &start, &end).ok());
  EXPECT_EQ(end, 0);
  for (const char* bad : {"", "7:00-18:00", "07:00-07:00", "00:00-24:00", "07:60-18:00", "25:00-26:00",
                          "07:00 18:00", "07:00-18:00 ", "ab:cd-ef:gh"}) {
    EXPECT_FALSE(ParseWorkingHours(bad, &start, &end).ok()) << bad;
  }
  int offset = 0;
  for (auto [text, minutes] : std::vector<std::pair<const char*, int>>{
           {"WIB", 420}, {"WITA", 480}, {"WIT", 540}, {"UTC", 0}, {"+07:00", 420}, {"-03:30", -210}, {"+9", 540},
           {"+14:00", 840}, {"-12:00", -720}}) {
    ASSERT_TRUE(ParseUtcOffset(text, &offset).ok()) << text;
    EXPECT_EQ(offset, minutes) << text;
  }
  for (const char* bad : {"", "7", "+15:00", "-12:30", "+07:60", "+07:0", "CET", "+0700"}) {
    EXPECT_FALSE(ParseUtcOffset(bad, &offset).ok()) << bad;
  }
  EXPECT_EQ(FormatUtcOffset(-210), "-03:30");
  EXPECT_EQ(FormatUtcOffset(480), "+08:00");
}

TEST(AnomalyTest, OrdinaryTrafficIsNotFlagged) {
  auto findings = FindAnomalies(OrdinaryDay().entries(), AnomalyOptions{});
  for (const auto& f : findings) ADD_FAILURE() << f.kind << " " << f.actor << " count=" << f.count;
  EXPECT_TRUE(findings.empty());
}

TEST(AnomalyTest, BulkReadsByOneActor) {
  Trail t = OrdinaryDay();
  // 25 distinct cases within 40 minutes: above 20 per hour.
  for (int k = 0; k < 25; ++k) t.Read("snoop", Case(500 + k), Wib(14) + k * int64_t{100'000'000});
  // Exactly 20 distinct cases within an hour (and re-reads of them): not above.
  for (int k = 0; k < 40; ++k) t.Read("busy", Case(600 + k % 20), Wib(9) + k * kMinute);
  // 30 cases, 10 per hour, over three hours: not a burst.
  for (int k = 0; k < 30; ++k) t.Read("steady", Case(700 + k), Wib(8) + k * 6 * kMinute + kMinute);

  auto bulk = OfKind(FindAnomalies(t.entries(), AnomalyOptions{}), "bulk_reads");
  ASSERT_EQ(bulk.size(), 1u);
  EXPECT_EQ(bulk[0].actor, "snoop");
  EXPECT_EQ(bulk[0].cases, 25u);
  EXPECT_EQ(bulk[0].count, 25u);
  EXPECT_EQ(bulk[0].case_ids.size(), 25u);
  EXPECT_EQ(bulk[0].case_ids.front(), Case(500));
  EXPECT_EQ(bulk[0].first_us, Wib(14));
  EXPECT_EQ(bulk[0].last_us, Wib(14) + 24 * int64_t{100'000'000});
  EXPECT_EQ(bulk[0].example_seqs.size(), kMaxExampleSeqs);

  // A lower threshold catches "busy" too; two separate bursts stay two findings.
  AnomalyOptions low;
  low.bulk_reads_per_hour = 19;
  Trail two;
  for (int k = 0; k < 20; ++k) two.Read("snoop", Case(k), Wib(8) + k * kMinute);
  for (int k = 0; k < 20; ++k) two.Read("snoop", Case(50 + k), Wib(15) + k * kMinute);
  auto bursts = OfKind(FindAnomalies(two.entries(), low), "bulk_reads");
  ASSERT_EQ(bursts.size(), 2u);
  EXPECT_EQ(bursts[0].cases, 20u);
  EXPECT_LT(bursts[0].last_us, bursts[1].first_us);
}

TEST(AnomalyTest, AccessOutsideWorkingHours) {
  Trail t = OrdinaryDay();
  t.Read("nightowl", Case(1), Wib(2, 15));                                  // 02:15 WIB
  t.Add("nightowl", "evidence.get", Case(1), "allow", Wib(23), {"evidence=E-1"});
  t.Read("late", Case(2), Wib(18, 0));                                      // 18:00: outside ([07:00, 18:00))
  t.Read("ontime", Case(3), Wib(17, 59));                                   // inside
  t.Read("early", Case(4), Wib(7, 0));                                      // inside
  t.Add("nightowl", "case.read", Case(5), "deny", Wib(3));                  // a denial is not an access
  t.Add("nightowl", "case.update", Case(6), "allow", Wib(3), {"narrative"}); // not a read

  auto outside = OfKind(FindAnomalies(t.entries(), AnomalyOptions{}), "outside_hours");
  ASSERT_EQ(outside.size(), 2u);
  EXPECT_EQ(outside[0].actor, "nightowl");
  EXPECT_EQ(outside[0].count, 2u);
  EXPECT_EQ(outside[0].cases, 1u);
  EXPECT_EQ(outside[0].case_ids, std::vector<std::string>{Case(1)});
  EXPECT_EQ(outside[1].actor, "late");

  // The unit's own time zone: 17:30 WIB is 18:30 WITA.
  Trail wita;
  wita.Read("worker", Case(1), Wib(17, 30));
  AnomalyOptions o;
  EXPECT_TRUE(OfKind(FindAnomalies(wita.entries(), o), "outside_hours").empty());
  ASSERT_TRUE(ParseUtcOffset("WITA", &o.utc_offset_minutes).ok());
  EXPECT_EQ(OfKind(FindAnomalies(wita.entries(), o), "outside_hours").size(), 1u);

  // A night shift across midnight: 23:00 inside, 12:00 outside.
  Trail night;
  night.Read("nightshift", Case(1), Wib(23));
  night.Read("dayshift", Case(2), Wib(12));
  AnomalyOptions n;
  ASSERT_TRUE(ParseWorkingHours("22:00-06:00", &n.working_start_minute, &n.working_end_minute).ok());
  auto shifted = OfKind(FindAnomalies(night.entries(), n), "outside_hours");
  ASSERT_EQ(shifted.size(), 1u);
  EXPECT_EQ(shifted[0].actor, "dayshift");
}

TEST(AnomalyTest, RepeatedDenials) {
  Trail t = OrdinaryDay();
  // legal1 tries five cases in four minutes without a grant.
  for (int k = 0; k < 5; ++k) t.Add("legal1", "case.read", Case(k), "deny", Wib(10) + k * kMinute);
  // Four in four minutes: under the threshold.
  for (int k = 0; k < 4; ++k) t.Add("almost", "case.read", Case(k), "deny", Wib(11) + k * kMinute);
  // Five spread over an hour: never five within ten minutes.
  for (int k = 0; k < 5; ++k) t.Add("slow", "case.read", Case(k), "deny", Wib(12) + k * 15 * kMinute);
  // Requests without a valid token, from one address.
  for (int k = 0; k < 6; ++k) {
    AuditEntry& e = t.Add("", "api.cases", "", "deny", Wib(15) + k * int64_t{10'000'000});
    e.client = "192.0.2.7:5555";
  }

  auto denials = OfKind(FindAnomalies(t.entries(), AnomalyOptions{}), "repeated_denials");
  ASSERT_EQ(denials.size(), 2u);
  EXPECT_EQ(denials[0].actor, "legal1");
  EXPECT_EQ(denials[0].count, 5u);
  EXPECT_EQ(denials[0].cases, 5u);
  EXPECT_EQ(denials[0].first_us, Wib(10));
  EXPECT_EQ(denials[0].last_us, Wib(10) + 4 * kMinute);
  EXPECT_TRUE(denials[0].client.empty());
  EXPECT_EQ(denials[1].actor, "");
  EXPECT_EQ(denials[1].client, "192.0.2.7:5555");
  EXPECT_EQ(denials[1].count, 6u);

  AnomalyOptions strict;
  strict.denials_threshold = 4;
  strict.denials_window_minutes = 60;
  auto more = OfKind(FindAnomalies(t.entries(), strict), "repeated_denials");
  EXPECT_EQ(more.size(), 4u);  // legal1, almost, slow, the anonymous client
}

TEST(AnomalyTest, ShelterLocationReads) {
  Trail t = OrdinaryDay();
  t.Read("worker2", Case(20), Wib(10), {"name", "shelter_location"});
  t.Read("worker2", Case(21), Wib(11), {"shelter_location"});
  t.Add("worker2", "case.history", Case(21), "allow", Wib(12), {"shelter_location"});
  t.Add("legal1", "case.read", Case(22), "deny", Wib(12), {"shelter_location"});  // denied: not a read

  auto shelter = OfKind(FindAnomalies(t.entries(), AnomalyOptions{}), "shelter_reads");
  ASSERT_EQ(shelter.size(), 1u);
  EXPECT_EQ(shelter[0].actor, "worker2");
  EXPECT_EQ(shelter[0].count, 3u);
  EXPECT_EQ(shelter[0].cases, 2u);
  EXPECT_EQ(shelter[0].example_seqs.size(), 3u);

  AnomalyOptions other;
  other.shelter_fields = {"address"};
  EXPECT_TRUE(OfKind(FindAnomalies(t.entries(), other), "shelter_reads").empty());
}

TEST(TouchedTest, ByActorGrantAndWindow) {
  Trail t = OrdinaryDay();
  t.Read("legal1", Case(1), Wib(10), {"name", "nik"}).grant_id = "G-A";
  t.Read("legal1", Case(1), Wib(11), {"name"}).grant_id = "G-A,G-B";
  t.Add("legal1", "evidence.get", Case(1), "allow", Wib(11, 5), {"evidence=E-9"}).grant_id = "G-A";
  t.Add("legal1", "case.read", Case(2), "deny", Wib(12), {"counselling_notes"});
  t.Add("legal1", "case.read", Case(3), "error", Wib(12));  // touched nothing
  t.Add("legal1", "auth.login", "", "allow", Wib(9));        // no case

  auto class_of = [](std::string_view f) -> std::string {
    if (f == "name" || f == "nik") return "identity";
    if (f == "counselling_notes") return "psychological";
    return "";
  };
  TouchedCollector by_actor(TouchedQuery{.actor = "legal1"}, class_of);
  for (const auto& e : t.entries()) by_actor.Add(e);
  TouchedReport r = by_actor.Finish();
  EXPECT_EQ(r.entries, 4u);
  ASSERT_EQ(r.total_cases, 2u);
  ASSERT_EQ(r.cases.size(), 2u);
  const CaseTouch& c1 = r.cases[0];
  EXPECT_EQ(c1.case_id, Case(1));
  EXPECT_EQ(c1.counts.reads, 3u);
  EXPECT_EQ(c1.counts.first_us, Wib(10));
  EXPECT_EQ(c1.counts.last_us, Wib(11, 5));
  EXPECT_EQ(c1.actors, std::vector<std::string>{"legal1"});
  ASSERT_EQ(c1.fields.size(), 3u);
  EXPECT_EQ(c1.fields[0].field, "evidence=E-9");
  EXPECT_EQ(c1.fields[0].cls, "legal_evidence");
  EXPECT_EQ(c1.fields[1].field, "name");
  EXPECT_EQ(c1.fields[1].cls, "identity");
  EXPECT_EQ(c1.fields[1].counts.reads, 2u);
  EXPECT_EQ(c1.fields[2].field, "nik");
  EXPECT_EQ(c1.fields[2].counts.reads, 1u);
  EXPECT_EQ(c1.classes, (std::vector<std::string>{"identity", "legal_evidence"}));
  const CaseTouch& c2 = r.cases[1];
  EXPECT_EQ(c2.counts.denies, 1u);
  EXPECT_EQ(c2.counts.reads, 0u);
  EXPECT_TRUE(c2.classes.empty());  // a denial exposed nothing
  ASSERT_EQ(r.classes.size(), 3u);
  EXPECT_EQ(r.classes[0].cls, "identity");
  EXPECT_EQ(r.classes[0].cases, 1u);
  EXPECT_EQ(r.classes[0].reads, 3u);
  EXPECT_EQ(r.classes[2].cls, "psychological");
  EXPECT_EQ(r.classes[2].cases, 0u);
  EXPECT_EQ(r.classes[2].denies, 1u);

  TouchedCollector by_grant(TouchedQuery{.grant_id = "G-B"}, class_of);
  for (const auto& e : t.entries()) by_grant.Add(e);
  TouchedReport g = by_grant.Finish();
  EXPECT_EQ(g.entries, 1u);
  ASSERT_EQ(g.cases.size(), 1u);
  EXPECT_EQ(g.cases[0].fields.size(), 1u);

  // A window: everyone's touches of the supervisor's half hour (the workers'
  // last reads are at 13:00-13:03 and 13:30-13:33).
  TouchedCollector window(TouchedQuery{.from_us = Wib(13, 5), .to_us = Wib(13, 28)}, class_of);
  for (const auto& e : t.entries()) window.Add(e);
  TouchedReport w = window.Finish(3);
  EXPECT_EQ(w.total_cases, 8u);  // supervisor1 read cases 2-9 between 13:06 and 13:27
  EXPECT_EQ(w.cases.size(), 3u);
  for (const auto& c : w.cases) {
    EXPECT_EQ(c.counts.reads, 1u);
    EXPECT_EQ(c.counts.denies, 1u);  // the withheld part of each read
    EXPECT_EQ(c.actors, std::vector<std::string>{"supervisor1"});
  }
  TouchedCollector writes(TouchedQuery{.actor = "worker0"}, class_of);
  for (const auto& e : t.entries()) writes.Add(e);
  TouchedReport wr = writes.Finish();
  ASSERT_EQ(wr.total_cases, 5u);
  EXPECT_GT(wr.cases[0].counts.writes, 0u);
}

TEST(ReviewTest, DetailRoundTrip) {
  std::string d = ReviewDetail(42, ReviewOutcome::kUnjustified, 17);
  EXPECT_EQ(d, "reviewed_seq=42 outcome=unjustified note_bytes=17");
  auto p = ParseReviewDetail(d);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->first, 42u);
  EXPECT_EQ(p->second, ReviewOutcome::kUnjustified);
  for (const char* bad : {"", "reviewed_seq=0 outcome=justified", "reviewed_seq=x outcome=justified",
                          "reviewed_seq=4 outcome=fine", "seq=4 outcome=justified", "reviewed_seq=4"}) {
    EXPECT_FALSE(ParseReviewDetail(bad).has_value()) << bad;
  }
  EXPECT_EQ(ParseReviewOutcome("justified"), ReviewOutcome::kJustified);
  EXPECT_FALSE(ParseReviewOutcome("Justified").has_value());
}

TEST(ReviewTest, QueueIsFlaggedMinusReviewed) {
  Trail t = OrdinaryDay();
  AuditEntry& glass = t.Add("supervisor1", "case.break_glass", Case(7), "allow", Wib(14), {});
  glass.flagged = true;
  glass.grant_id = "G-BG";
  glass.hash = std::string(32, 'h');
  const uint64_t glass_seq = glass.seq;
  AuditEntry& read = t.Read("supervisor1", Case(7), Wib(14, 1), {"name"});
  read.flagged = true;
  const uint64_t read_seq = read.seq;
  // Not reviews: a denied attempt, a malformed detail, another action.
  t.Add("auditor1", "audit.review", Case(7), "deny", Wib(15)).detail = "permission_denied";
  t.Add("auditor1", "audit.review", Case(7), "allow", Wib(15)).detail = "reviewed_seq=abc outcome=justified";
  t.Add("auditor1", "audit.query", "", "allow", Wib(15)).detail = ReviewDetail(glass_seq, ReviewOutcome::kJustified, 0);

  ReviewQueue q;
  for (const auto& e : t.entries()) q.Add(e);
  auto pending = q.Pending();
  ASSERT_EQ(pending.size(), 2u);
  EXPECT_EQ(pending[0].seq, glass_seq);
  EXPECT_EQ(pending[0].action, "case.break_glass");
  EXPECT_TRUE(pending[0].hash.empty());
  EXPECT_EQ(pending[1].seq, read_seq);
  EXPECT_EQ(q.flagged(), 2u);
  EXPECT_EQ(q.reviewed(), 0u);

  t.Add("auditor1", "audit.review", Case(7), "allow", Wib(16)).detail =
      ReviewDetail(glass_seq, ReviewOutcome::kJustified, 12);
  ReviewQueue after;
  for (const auto& e : t.entries()) after.Add(e);
  ASSERT_EQ(after.Pending().size(), 1u);
  EXPECT_EQ(after.Pending()[0].seq, read_seq);
  EXPECT_EQ(after.reviewed(), 1u);

  // A "review" older than what it names reviews nothing.
  Trail odd;
  odd.Add("auditor1", "audit.review", "", "allow", Wib(8)).detail = ReviewDetail(2, ReviewOutcome::kJustified, 0);
  odd.Add("supervisor1", "case.unmask", Case(1), "allow", Wib(9)).flagged = true;
  ReviewQueue oq;
  for (const auto& e : odd.entries()) oq.Add(e);
  EXPECT_EQ(oq.Pending().size(), 1u);
}

// The paging helpers over a real chain in RocksDB.
class AuditScanTest : public ::testing::Test {
 protected:
  static constexpr int kEntries = 2500;
  void SetUp() override {
    ASSERT_TRUE(InitCrypto().ok());
    SigningKeyPair keys = GenerateSigningKey();
    auto store = OpenRocksStore(dir_.path(), {.create_if_missing = true});
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(store).value();
    auto chain = AuditChain::Open(*store_, "DEV", {});
    ASSERT_TRUE(chain.ok());
    AuditSigner sign = [&](std::string_view m) -> Result<std::string> { return Sign(keys.secret_key, m); };
    for (int i = 0; i < kEntries;) {
      Batch batch;
      for (int k = 0; k < 500; ++k, ++i) {
        AuditEntry e;
        e.time_us = kDay + int64_t{i} * kMinute;  // one a minute
        e.actor = "u" + std::to_string(i % 7);
        e.role = "case_worker";
        e.action = "case.read";
        e.case_id = Case(i % 50);
        e.decision = "allow";
        (*chain)->Append(&e, &batch);
      }
      ASSERT_TRUE((*chain)->SealGroup(sign, kDay, &batch).ok());
      ASSERT_TRUE(store_->Write(batch, Durability::kSync).ok());
    }
  }
  testing::TempDir dir_;
  std::unique_ptr<Store> store_;
};

TEST_F(AuditScanTest, HeadBinarySearchAndCappedPaging) {
  auto head = AuditHeadSeq(*store_);
  ASSERT_TRUE(head.ok()) << head.status().ToString();
  EXPECT_EQ(*head, static_cast<uint64_t>(kEntries));
  // Entry seq s has time kDay + (s-1) minutes.
  auto before = LastSeqBefore(*store_, kDay + 100 * kMinute, *head);
  ASSERT_TRUE(before.ok());
  EXPECT_EQ(*before, 100u);
  EXPECT_EQ(*LastSeqBefore(*store_, kDay, *head), 0u);
  EXPECT_EQ(*LastSeqBefore(*store_, kDay + 10 * kEntries * kMinute, *head), static_cast<uint64_t>(kEntries));

  uint64_t seen = 0, last = 0;
  auto all = ScanAudit(*store_, 0, *head, 1'000'000, [&](const AuditEntry& e) {
    EXPECT_EQ(e.seq, last + 1);
    last = e.seq;
    ++seen;
    return true;
  });
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(seen, static_cast<uint64_t>(kEntries));
  EXPECT_FALSE(all->capped);
  EXPECT_EQ(all->first_seq, 1u);
  EXPECT_EQ(all->last_seq, static_cast<uint64_t>(kEntries));

  auto capped = ScanAudit(*store_, 100, *head, 1000, [](const AuditEntry&) { return true; });
  ASSERT_TRUE(capped.ok());
  EXPECT_TRUE(capped->capped);
  EXPECT_EQ(capped->scanned, 1000u);
  EXPECT_EQ(capped->first_seq, 101u);
  EXPECT_EQ(capped->last_seq, 1100u);

  auto bounded = ScanAudit(*store_, 100, 300, 1000, [](const AuditEntry&) { return true; });
  ASSERT_TRUE(bounded.ok());
  EXPECT_FALSE(bounded->capped);
  EXPECT_EQ(bounded->scanned, 200u);

  auto stopped = ScanAudit(*store_, 0, *head, 1000, [](const AuditEntry& e) { return e.seq < 10; });
  ASSERT_TRUE(stopped.ok());
  EXPECT_FALSE(stopped->capped);
  EXPECT_EQ(stopped->last_seq, 10u);
}

}  // namespace
}  // namespace brankas
