// The auditor's tools (issue #5: "prove who touched which child's file") as
// real `brankas` processes against a real `brankasd --dev`, with anomalies
// planted in synthetic traffic: the supervisor reading every case of the unit
// (bulk reads), a prosecutor refused again and again without a grant
// (repeated denials), everything at a time the configured working hours
// exclude (outside hours: the window is set, through --anomaly-config, to
// hours that do not hold "now"), a shelter location read, and a break-glass
// that the review queue shows until an auditor reviews it. "touched" answers
// for an actor, a grant and a window. Every use is audited; other roles are
// refused.
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "integration/server_process.h"
#include "testing/run_process.h"
#include "testing/temp_dir.h"

namespace brankas {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;
using testing::RunResult;

constexpr char kShelter[] = "Rumah Aman Sintetis Nomor Tujuh";  // a synthetic value
constexpr char kNote[] = "Catatan sintetis: anak dalam bahaya malam itu";  // a synthetic review note

std::string TwoDigits(int v) { return (v < 10 ? "0" : "") + std::to_string(v); }

// Working hours (WIB) that do not hold the present moment: a one-hour window
// starting two hours from now.
std::string HoursExcludingNow() {
  const int64_t now_s =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  const int local = static_cast<int>((now_s / 60 + 7 * 60) % (24 * 60));
  const int start = (local + 120) % (24 * 60);
  const int end = (start + 60) % (24 * 60);
  return TwoDigits(start / 60) + ":" + TwoDigits(start % 60) + "-" + TwoDigits(end / 60) + ":" + TwoDigits(end % 60);
}

const Json* FindingOf(const Json& report, const std::string& kind, const std::string& actor) {
  for (const Json& f : report["findings"]) {
    if (f["kind"] == kind && f["actor"] == actor) return &f;
  }
  return nullptr;
}

class CliAuditTools : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::create_directories(dir_.Sub("server"));
    const std::string config = dir_.Sub("anomaly.toml");
    {
      std::ofstream out(config);
      out << "[anomaly]\n"
          << "bulk_reads_per_hour = 3\n"
          << "denials_threshold = 3\n"
          << "denials_window_minutes = 10\n"
          << "working_hours = \"" << HoursExcludingNow() << "\"\n"
          << "utc_offset = \"WIB\"\n";
    }
    ASSERT_TRUE(server_.Start(dir_.Sub("server"), {"--anomaly-config", config})) << server_.process.Logs();
    testing::ApiClient api(server_.url, server_.ca);
    ASSERT_TRUE(api.ok());
    for (const char* role : {"intake", "case_worker", "supervisor", "legal", "auditor"}) {
      tokens_[role] = api.Login(server_.User(role), server_.Password(role));
      ASSERT_FALSE(tokens_[role].empty()) << role;
    }

    // Intake registers a case with a shelter location and reads it back.
    auto created = api.Call("POST", "/v1/cases", Json{{"fields", {{"shelter_location", kShelter}}}}, tokens_["intake"]);
    ASSERT_EQ(created.status, 201) << created.body;
    shelter_case_ = created.json.value("case_id", "");
    ASSERT_EQ(api.Call("GET", "/v1/cases/" + shelter_case_ + "?fields=shelter_location", nullptr, tokens_["intake"]).status,
              200);

    // The supervisor reads every case of the unit: more than 3 in an hour.
    auto list = api.Call("GET", "/v1/cases", nullptr, tokens_["supervisor"]);
    ASSERT_EQ(list.status, 200) << list.body;
    for (const Json& c : list.json["cases"]) cases_.push_back(c["case_id"]);
    ASSERT_GE(cases_.size(), 5u);
    for (const std::string& id : cases_) {
      ASSERT_EQ(api.Call("GET", "/v1/cases/" + id, nullptr, tokens_["supervisor"]).status, 200) << id;
    }
    // The prosecutor tries a case four times without a grant.
    denied_case_ = cases_[0];
    for (int i = 0; i < 4; ++i) {
      ASSERT_EQ(api.Call("GET", "/v1/cases/" + denied_case_, nullptr, tokens_["legal"]).status, 403);
    }
    // Ordinary work: the case worker reads one of their cases.
    auto mine = api.Call("GET", "/v1/cases?assigned=me", nullptr, tokens_["case_worker"]);
    ASSERT_EQ(mine.status, 200) << mine.body;
    ASSERT_FALSE(mine.json["cases"].empty());
    const std::string own = mine.json["cases"][0]["case_id"];
    ASSERT_EQ(api.Call("GET", "/v1/cases/" + own, nullptr, tokens_["case_worker"]).status, 200);
    // The supervisor breaks the glass on a case.
    glass_case_ = cases_[2];
    auto glass = api.Call("POST", "/v1/cases/" + glass_case_ + "/break-glass",
                          Json{{"reason", "synthetic emergency: the child is missing tonight"}}, tokens_["supervisor"]);
    ASSERT_EQ(glass.status, 201) << glass.body;
    glass_grant_ = glass.json.value("grant_id", "");
    ASSERT_FALSE(glass_grant_.empty());
  }

  RunResult Brankas(const std::vector<std::string>& args, const std::string& role) {
    std::vector<std::string> argv = {BRANKAS_CLI};
    argv.insert(argv.end(), args.begin(), args.end());
    const std::vector<std::string> env = {"HOME=" + dir_.path(), "XDG_CONFIG_HOME=" + dir_.Sub("config"),
                                          "BRANKAS_SERVER=" + server_.url, "BRANKAS_CA=" + server_.ca,
                                          "BRANKAS_TOKEN=" + tokens_[role]};
    return testing::RunProcess(std::move(argv), &env);
  }

  Json JsonOf(const RunResult& r) {
    Json j = Json::parse(r.out, nullptr, false);
    EXPECT_TRUE(j.is_object()) << r.all();
    return j;
  }

  testing::TempDir dir_;
  testing::DevServer server_;  // after dir_: stopped before the directory goes
  std::map<std::string, std::string> tokens_;
  std::vector<std::string> cases_;
  std::string shelter_case_, denied_case_, glass_case_, glass_grant_;
};

TEST_F(CliAuditTools, AnomalyReportFindsEachPlantedAnomaly) {
  RunResult run = Brankas({"audit", "anomalies", "--json"}, "auditor");
  ASSERT_EQ(run.exit_code, 0) << run.all();
  Json report = JsonOf(run);
  EXPECT_EQ(report["capped"], false);
  EXPECT_EQ(report["thresholds"]["bulk_reads_per_hour"], 3);
  EXPECT_EQ(report["thresholds"]["utc_offset"], "+07:00");

  const std::string supervisor = server_.User("supervisor");
  const Json* bulk = FindingOf(report, "bulk_reads", supervisor);
  ASSERT_NE(bulk, nullptr) << report.dump(2);
  EXPECT_EQ((*bulk)["cases"], cases_.size());
  std::set<std::string> listed;
  for (const Json& id : (*bulk)["case_ids"]) listed.insert(id.get<std::string>());
  for (const std::string& id : cases_) EXPECT_EQ(listed.count(id), 1u) << id;
  EXPECT_FALSE((*bulk)["example_seqs"].empty());
  EXPECT_LE((*bulk)["first_us"].get<int64_t>(), (*bulk)["last_us"].get<int64_t>());
  // One case read by the case worker is no bulk read.
  EXPECT_EQ(FindingOf(report, "bulk_reads", server_.User("case_worker")), nullptr);

  const Json* denials = FindingOf(report, "repeated_denials", server_.User("legal"));
  ASSERT_NE(denials, nullptr) << report.dump(2);
  EXPECT_EQ((*denials)["count"], 4);
  EXPECT_EQ((*denials)["case_ids"], Json::array({denied_case_}));

  // Everything happened outside the configured hours.
  const Json* outside = FindingOf(report, "outside_hours", supervisor);
  ASSERT_NE(outside, nullptr) << report.dump(2);
  EXPECT_GE((*outside)["count"].get<size_t>(), cases_.size());
  EXPECT_NE(FindingOf(report, "outside_hours", server_.User("case_worker")), nullptr);

  const Json* shelter = FindingOf(report, "shelter_reads", server_.User("intake"));
  ASSERT_NE(shelter, nullptr) << report.dump(2);
  EXPECT_EQ((*shelter)["case_ids"], Json::array({shelter_case_}));
  EXPECT_EQ(run.out.find(kShelter), std::string::npos);  // names, never values

  // The table names them too.
  RunResult table = Brankas({"audit", "anomalies", "--from", "2020-01-01", "--to", "2038-01-01"}, "auditor");
  EXPECT_EQ(table.exit_code, 1) << table.all();  // longer than max_window_days
  EXPECT_NE(table.err.find("max_window_days"), std::string::npos) << table.all();
  table = Brankas({"audit", "anomalies"}, "auditor");
  ASSERT_EQ(table.exit_code, 0) << table.all();
  for (const std::string& s : {std::string("bulk reads"), std::string("repeated denials"), std::string("outside hours"),
                               std::string("shelter reads"), supervisor, server_.User("legal"), denied_case_}) {
    EXPECT_NE(table.out.find(s), std::string::npos) << s << "\n" << table.out;
  }

  // Only auditors; bad input is a usage error before any request.
  RunResult worker = Brankas({"audit", "anomalies"}, "case_worker");
  EXPECT_EQ(worker.exit_code, 1) << worker.all();
  EXPECT_NE(worker.err.find("permission_denied"), std::string::npos) << worker.all();
  EXPECT_EQ(Brankas({"audit", "anomalies", "--from", "yesterday"}, "auditor").exit_code, 2);

  // Every use is in the trail: the auditor's reports allowed, the worker's refused.
  RunResult trail = Brankas({"audit", "query", "--action", "audit.anomalies", "--json"}, "auditor");
  ASSERT_EQ(trail.exit_code, 0) << trail.all();
  Json entries = JsonOf(trail)["entries"];
  int allowed = 0, denied = 0;
  for (const Json& e : entries) {
    if (e["decision"] == "allow" && e["actor"] == server_.User("auditor")) ++allowed;
    if (e["decision"] == "deny" && e["actor"] == server_.User("case_worker")) ++denied;
  }
  EXPECT_EQ(allowed, 2);
  EXPECT_EQ(denied, 1);
}

TEST_F(CliAuditTools, ReviewQueueShowsTheBreakGlassUntilReviewed) {
  RunResult queue = Brankas({"audit", "review", "--json"}, "auditor");
  ASSERT_EQ(queue.exit_code, 0) << queue.all();
  Json q = JsonOf(queue);
  ASSERT_EQ(q["pending"].size(), 1u) << q.dump(2);
  const Json& item = q["pending"][0];
  EXPECT_EQ(item["action"], "case.break_glass");
  EXPECT_EQ(item["actor"], server_.User("supervisor"));
  EXPECT_EQ(item["case_id"], glass_case_);
  EXPECT_EQ(item["grant_id"], glass_grant_);
  EXPECT_EQ(item["flagged"], true);
  const std::string seq = std::to_string(item["seq"].get<uint64_t>());

  // The table, and the unit's supervisor may look but not review.
  RunResult table = Brankas({"audit", "review"}, "auditor");
  ASSERT_EQ(table.exit_code, 0) << table.all();
  EXPECT_NE(table.out.find(glass_case_), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("1 flagged entry waits"), std::string::npos) << table.out;
  EXPECT_EQ(Brankas({"audit", "review", "--json"}, "supervisor").exit_code, 0);
  RunResult self = Brankas({"audit", "review", seq, "--outcome", "justified"}, "supervisor");
  EXPECT_EQ(self.exit_code, 1) << self.all();
  EXPECT_NE(self.err.find("permission_denied"), std::string::npos) << self.all();
  EXPECT_EQ(Brankas({"audit", "review"}, "legal").exit_code, 1);
  // Usage: an outcome needs the seq, a seq needs an outcome; a missing note file.
  EXPECT_EQ(Brankas({"audit", "review", "--outcome", "justified"}, "auditor").exit_code, 2);
  EXPECT_EQ(Brankas({"audit", "review", seq}, "auditor").exit_code, 2);
  EXPECT_EQ(Brankas({"audit", "review", seq, "--outcome", "fine"}, "auditor").exit_code, 2);
  EXPECT_EQ(Brankas({"audit", "review", seq, "--outcome", "justified", "--note-file", dir_.Sub("none")}, "auditor")
                .exit_code,
            2);

  // The auditor reviews it, with a note whose text must not be kept.
  const std::string note = dir_.Sub("note.txt");
  {
    std::ofstream out(note);
    out << kNote;
  }
  RunResult review = Brankas({"audit", "review", seq, "--outcome", "justified", "--note-file", note}, "auditor");
  ASSERT_EQ(review.exit_code, 0) << review.all();
  EXPECT_NE(review.out.find("justified"), std::string::npos) << review.out;
  RunResult empty = Brankas({"audit", "review", "--json"}, "auditor");
  ASSERT_EQ(empty.exit_code, 0) << empty.all();
  Json after = JsonOf(empty);
  EXPECT_TRUE(after["pending"].empty()) << after.dump(2);
  EXPECT_EQ(after["reviewed"], 1);
  EXPECT_NE(Brankas({"audit", "review"}, "auditor").out.find("No flagged entries wait"), std::string::npos);

  // Once only; not of an entry that is not flagged.
  RunResult again = Brankas({"audit", "review", seq, "--outcome", "unjustified"}, "auditor");
  EXPECT_EQ(again.exit_code, 1) << again.all();
  EXPECT_NE(again.err.find("reviewed already"), std::string::npos) << again.all();
  EXPECT_EQ(Brankas({"audit", "review", "1", "--outcome", "justified"}, "auditor").exit_code, 1);

  // The review is an audit entry of its own: seq, outcome and the note's length, never its text.
  RunResult trail = Brankas({"audit", "query", "--action", "audit.review", "--json"}, "auditor");
  ASSERT_EQ(trail.exit_code, 0) << trail.all();
  EXPECT_EQ(trail.out.find("Catatan"), std::string::npos) << trail.out;
  int reviews = 0;
  const Json review_entries = JsonOf(trail)["entries"];
  for (const Json& e : review_entries) {
    if (e["decision"] != "allow") continue;
    ++reviews;
    EXPECT_EQ(e["case_id"], glass_case_);
    EXPECT_EQ(e["detail"], "reviewed_seq=" + seq + " outcome=justified note_bytes=" + std::to_string(sizeof(kNote) - 1));
  }
  EXPECT_EQ(reviews, 1);
  RunResult export_all = Brankas({"audit", "query", "--all", "--json"}, "auditor");
  ASSERT_EQ(export_all.exit_code, 0) << export_all.all();
  EXPECT_EQ(export_all.out.find("Catatan"), std::string::npos);
  EXPECT_NE(export_all.out.find("\"audit.review_queue\""), std::string::npos);
}

TEST_F(CliAuditTools, TouchedByActorGrantAndWindow) {
  const std::string supervisor = server_.User("supervisor");
  RunResult run = Brankas({"audit", "touched", "--actor", supervisor, "--json"}, "auditor");
  ASSERT_EQ(run.exit_code, 0) << run.all();
  Json t = JsonOf(run);
  EXPECT_EQ(t["actor"], supervisor);
  EXPECT_EQ(t["total_cases"], cases_.size());
  std::set<std::string> touched;
  const Json* glass = nullptr;
  const Json* shelter = nullptr;
  for (const Json& c : t["cases"]) {
    touched.insert(c["case_id"].get<std::string>());
    EXPECT_GE(c["reads"].get<int>(), 1) << c.dump();
    EXPECT_EQ(c["actors"], Json::array({supervisor}));
    if (c["case_id"] == glass_case_) glass = &c;
    if (c["case_id"] == shelter_case_) shelter = &c;
  }
  for (const std::string& id : cases_) EXPECT_EQ(touched.count(id), 1u) << id;
  ASSERT_NE(glass, nullptr);
  EXPECT_EQ((*glass)["other"], 1);  // the break-glass itself
  ASSERT_NE(shelter, nullptr);
  bool saw_shelter_field = false;
  for (const Json& f : (*shelter)["fields"]) {
    if (f["field"] == "shelter_location") {
      saw_shelter_field = true;
      EXPECT_EQ(f["class"], "contact");
      EXPECT_EQ(f["reads"], 1);
    }
  }
  EXPECT_TRUE(saw_shelter_field) << shelter->dump(2);
  bool contact_class = false;
  for (const Json& c : t["classes"]) contact_class = contact_class || (c["class"] == "contact" && c["cases"] >= 1);
  EXPECT_TRUE(contact_class) << t["classes"].dump();
  EXPECT_EQ(run.out.find(kShelter), std::string::npos);

  // The table: one line per case, field names under it.
  RunResult table = Brankas({"audit", "touched", "--actor", supervisor}, "auditor");
  ASSERT_EQ(table.exit_code, 0) << table.all();
  EXPECT_NE(table.out.find(glass_case_), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("shelter_location"), std::string::npos) << table.out;

  // The prosecutor touched one case, refused each time.
  Json legal = JsonOf(Brankas({"audit", "touched", "--actor", server_.User("legal"), "--json"}, "auditor"));
  ASSERT_EQ(legal["cases"].size(), 1u) << legal.dump(2);
  EXPECT_EQ(legal["cases"][0]["case_id"], denied_case_);
  EXPECT_EQ(legal["cases"][0]["denies"], 4);
  EXPECT_EQ(legal["cases"][0]["reads"], 0);
  EXPECT_TRUE(legal["cases"][0]["classes"].empty());

  // The break-glass grant: its one case.
  Json grant = JsonOf(Brankas({"audit", "touched", "--grant", glass_grant_, "--json"}, "auditor"));
  ASSERT_EQ(grant["cases"].size(), 1u) << grant.dump(2);
  EXPECT_EQ(grant["cases"][0]["case_id"], glass_case_);

  // A window around now: every case anyone touched, with who.
  const int64_t now =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  Json window = JsonOf(Brankas({"audit", "touched", "--from", std::to_string(now - 3600), "--to",
                                std::to_string(now + 60), "--json"},
                               "auditor"));
  EXPECT_GE(window["total_cases"].get<size_t>(), cases_.size()) << window.dump(2);

  // Usage and refusals.
  EXPECT_EQ(Brankas({"audit", "touched"}, "auditor").exit_code, 2);
  EXPECT_EQ(Brankas({"audit", "touched", "--from", std::to_string(now - 60)}, "auditor").exit_code, 2);
  RunResult bad_actor = Brankas({"audit", "touched", "--actor", "Not A User"}, "auditor");
  EXPECT_EQ(bad_actor.exit_code, 1) << bad_actor.all();
  EXPECT_NE(bad_actor.err.find("invalid_argument"), std::string::npos) << bad_actor.all();
  RunResult worker = Brankas({"audit", "touched", "--actor", supervisor}, "supervisor");
  EXPECT_EQ(worker.exit_code, 1) << worker.all();
  EXPECT_NE(worker.err.find("permission_denied"), std::string::npos);
}

}  // namespace
}  // namespace brankas
