// The de-identified statistics export (issue #5: "the statistics export
// containing no count below the threshold and no identifying value") on a
// real `brankasd --dev` (threshold 5 through --statistics-threshold), over
// HTTPS and through `brankas stats export` (table, --json, --csv). Synthetic
// cases with names, NIKs, addresses and regencies from the project's
// generator: some cells above the threshold, some below. No published number
// is below it, suppressed cells are marked, no identifying value and no case
// id appears in any export (nor in the server's log); a case worker is
// refused and the refusal is audited.
#include <filesystem>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "brankas/synth.h"
#include "integration/server_process.h"
#include "testing/run_process.h"
#include "testing/temp_dir.h"

namespace brankas {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;
using testing::RunResult;

constexpr int kThreshold = 5;

struct Planned {
  std::string sex, age_years, report_date, place, violence;
  std::optional<bool> consent;
};

class CliStatistics : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::create_directories(dir_.Sub("server"));
    ASSERT_TRUE(server_.Start(dir_.Sub("server"),
                              {"--cases", "0", "--statistics-threshold", std::to_string(kThreshold)}))
        << server_.process.Logs();
    testing::ApiClient api(server_.url, server_.ca);
    ASSERT_TRUE(api.ok());
    for (const char* role : {"case_worker", "supervisor", "auditor", "admin"}) {
      tokens_[role] = api.Login(server_.User(role), server_.Password(role));
      ASSERT_FALSE(tokens_[role].empty()) << role;
    }
    std::vector<Planned> plan;
    // March: 9 girls of 14 and 2 boys of 8 (11 cases): the boys' 2 is
    // suppressed, and the girls' 9 with it (11 - 9 would give it away).
    for (int i = 0; i < 9; ++i) plan.push_back({"female", "14", "2026-03-1" + std::to_string(i), i < 6 ? "household" : "school", i < 3 ? "physical,sexual" : "physical", true});
    for (int i = 0; i < 2; ++i) plan.push_back({"male", "8", "2026-03-2" + std::to_string(i), "school", "physical", std::nullopt});
    // April: 3 cases: everything of April is suppressed.
    for (int i = 0; i < 3; ++i) plan.push_back({"female", "16", "2026-04-0" + std::to_string(i + 1), "online", "online_sexual_exploitation", true});
    // May: 6 cases, and 2 whose consent to de-identified reporting is refused.
    for (int i = 0; i < 6; ++i) plan.push_back({"female", "30", "2026-05-0" + std::to_string(i + 1), "workplace", "exploitation", true});
    for (int i = 0; i < 2; ++i) plan.push_back({"female", "30", "2026-05-1" + std::to_string(i), "workplace", "trafficking", false});

    SyntheticGenerator gen(20260522);
    for (const Planned& p : plan) {
      Json fields = {{"name", gen.Name()},
                     {"alias", gen.GivenName()},
                     {"nik", gen.Nik()},
                     {"kk_number", gen.KkNumber()},
                     {"address", gen.Address()},
                     {"regency", gen.Regency()},
                     {"phone", gen.Phone()},
                     {"guardian_name", gen.Name()},
                     {"shelter_location", "Rumah Aman " + gen.FamilyName()},
                     {"sex", p.sex},
                     {"age_years", p.age_years},
                     {"report_date", p.report_date},
                     {"module", "anak"},
                     {"incident_place", p.place},
                     {"violence_types", p.violence},
                     {"perpetrator_relationship", "neighbour"},
                     {"perpetrator_name", gen.Name()},
                     {"narrative", gen.Narrative()}};
      if (p.consent) fields["consent_deidentified_reporting"] = *p.consent ? "true" : "false";
      for (const char* identifying : {"name", "alias", "nik", "kk_number", "address", "regency", "phone",
                                      "guardian_name", "shelter_location", "perpetrator_name"}) {
        identifying_.insert(fields[identifying].get<std::string>());
      }
      auto created = api.Call("POST", "/v1/cases", Json{{"fields", fields}}, tokens_["case_worker"]);
      ASSERT_EQ(created.status, 201) << created.body;
      case_ids_.push_back(created.json.value("case_id", ""));
    }
    // A later update of the services alone (no identity field in it).
    auto read = api.Call("GET", "/v1/cases/" + case_ids_[0], nullptr, tokens_["case_worker"]);
    ASSERT_EQ(read.status, 200) << read.body;
    auto updated = api.Call("PATCH", "/v1/cases/" + case_ids_[0],
                            Json{{"fields", {{"services_provided", "complaint,case_management"}}},
                                 {"expected_version", read.json["version"]}},
                            tokens_["case_worker"]);
    ASSERT_EQ(updated.status, 200) << updated.body;
  }

  RunResult Brankas(const std::vector<std::string>& args, const std::string& role) {
    std::vector<std::string> argv = {BRANKAS_CLI};
    argv.insert(argv.end(), args.begin(), args.end());
    const std::vector<std::string> env = {"HOME=" + dir_.path(), "XDG_CONFIG_HOME=" + dir_.Sub("config"),
                                          "BRANKAS_SERVER=" + server_.url, "BRANKAS_CA=" + server_.ca,
                                          "BRANKAS_TOKEN=" + tokens_[role]};
    return testing::RunProcess(std::move(argv), &env);
  }

  // No identifying value of any created case, and no case id, in `text`.
  void ExpectNothingIdentifying(const std::string& text, const std::string& what) {
    for (const std::string& v : identifying_) EXPECT_EQ(text.find(v), std::string::npos) << what << " holds " << v;
    for (const std::string& id : case_ids_) EXPECT_EQ(text.find(id), std::string::npos) << what << " holds " << id;
  }

  testing::TempDir dir_;
  testing::DevServer server_;  // after dir_: stopped before the directory goes
  std::map<std::string, std::string> tokens_;
  std::set<std::string> identifying_;
  std::vector<std::string> case_ids_;
};

// Every cell of the JSON export: no number from 1 to threshold - 1, a
// suppressed cell is null. Returns (published non-zero, suppressed) counts.
std::pair<int, int> CheckCells(const Json& answer) {
  int published = 0, suppressed = 0;
  auto check = [&](const Json& row, const char* count, const char* flag) {
    EXPECT_TRUE(row.contains(flag)) << row.dump();
    if (row.value(flag, false)) {
      EXPECT_TRUE(row[count].is_null()) << row.dump();
      ++suppressed;
      return;
    }
    ASSERT_TRUE(row[count].is_number_unsigned()) << row.dump();
    const uint64_t n = row[count];
    EXPECT_TRUE(n == 0 || n >= static_cast<uint64_t>(kThreshold)) << row.dump();
    published += n > 0;
  };
  for (const auto& [table, rows] : answer["tables"].items()) {
    for (const Json& row : rows) {
      if (table == "cases") {
        check(row, "cases", "suppressed");
        check(row, "withheld_by_consent", "withheld_suppressed");
      } else {
        check(row, "cases", "suppressed");
      }
    }
  }
  return {published, suppressed};
}

const Json& Row(const Json& answer, const std::string& table, const std::string& month, const std::string& category) {
  for (const Json& row : answer["tables"][table]) {
    if (row["month"] == month && (table == "cases" || row["category"] == category)) return row;
  }
  ADD_FAILURE() << "no row " << table << " " << month << " " << category;
  static const Json kNone = Json::object();
  return kNone;
}

TEST_F(CliStatistics, ExportHasNoSmallCountAndNoIdentifyingValue) {
  testing::ApiClient api(server_.url, server_.ca);
  ASSERT_TRUE(api.ok());
  auto r = api.Call("GET", "/v1/statistics?from=2026-02&to=2026-05", nullptr, tokens_["supervisor"]);
  ASSERT_EQ(r.status, 200) << r.body;
  const Json& a = r.json;
  EXPECT_EQ(a["suppression"]["threshold"], kThreshold);
  EXPECT_EQ(a["tables"]["cases"].size(), 4u);  // February to May
  auto [published, suppressed] = CheckCells(a);
  EXPECT_GT(published, 5);
  EXPECT_GT(suppressed, 5);
  ExpectNothingIdentifying(r.body, "the JSON export");

  EXPECT_EQ(Row(a, "cases", "2026-02", "")["cases"], 0);
  EXPECT_EQ(Row(a, "cases", "2026-03", "")["cases"], 11);
  EXPECT_EQ(Row(a, "sex", "2026-03", "male")["suppressed"], true);
  EXPECT_EQ(Row(a, "sex", "2026-03", "female")["suppressed"], true);  // secondary
  EXPECT_EQ(Row(a, "incident_place", "2026-03", "school")["cases"], 5);
  EXPECT_EQ(Row(a, "incident_place", "2026-03", "household")["cases"], 6);
  // sexual 3 is suppressed; physical 11 goes with it (multi-valued rows are
  // treated as conservatively as single-valued ones).
  EXPECT_EQ(Row(a, "violence_type", "2026-03", "sexual")["suppressed"], true);
  EXPECT_EQ(Row(a, "violence_type", "2026-03", "physical")["suppressed"], true);
  EXPECT_EQ(Row(a, "violence_type", "2026-03", "trafficking")["cases"], 0);
  EXPECT_EQ(Row(a, "perpetrator_relationship", "2026-03", "neighbour")["cases"], 11);
  EXPECT_EQ(Row(a, "module", "2026-03", "anak")["cases"], 11);
  EXPECT_EQ(Row(a, "cases", "2026-04", "")["suppressed"], true);
  EXPECT_EQ(Row(a, "age_band", "2026-04", "13-17")["suppressed"], true);
  EXPECT_EQ(Row(a, "cases", "2026-05", "")["cases"], 6);
  EXPECT_EQ(Row(a, "cases", "2026-05", "")["withheld_suppressed"], true);
  EXPECT_EQ(Row(a, "age_band", "2026-05", "25-44")["cases"], 6);
  EXPECT_EQ(Row(a, "violence_type", "2026-05", "trafficking")["cases"], 0);  // refused consent: left out

  // The command line: table, --json (an auditor) and --csv (a supervisor).
  RunResult table = Brankas({"stats", "export", "--from", "2026-02", "--to", "2026-05"}, "supervisor");
  ASSERT_EQ(table.exit_code, 0) << table.all();
  EXPECT_NE(table.out.find("incident_place"), std::string::npos) << table.out;
  ExpectNothingIdentifying(table.all(), "the table");
  RunResult json = Brankas({"stats", "export", "--from", "2026-02", "--to", "2026-05", "--json"}, "auditor");
  ASSERT_EQ(json.exit_code, 0) << json.all();
  Json parsed = Json::parse(json.out, nullptr, false);
  ASSERT_TRUE(parsed.is_object()) << json.out;
  CheckCells(parsed);
  RunResult csv = Brankas({"stats", "export", "--from", "2026-02", "--to", "2026-05", "--csv"}, "supervisor");
  ASSERT_EQ(csv.exit_code, 0) << csv.all();
  ExpectNothingIdentifying(csv.all(), "the CSV");
  std::istringstream lines(csv.out);
  std::string line;
  std::getline(lines, line);
  EXPECT_EQ(line, "table,unit,month,category,cases,suppressed");
  int rows = 0, hidden = 0;
  while (std::getline(lines, line)) {
    ++rows;
    std::vector<std::string> cols;
    std::stringstream ss(line);
    for (std::string col; std::getline(ss, col, ',');) cols.push_back(col);
    if (line.back() == ',') cols.emplace_back();
    ASSERT_EQ(cols.size(), 6u) << line;
    if (cols[5] == "true") {
      EXPECT_TRUE(cols[4].empty()) << line;
      ++hidden;
    } else {
      EXPECT_EQ(cols[5], "false") << line;
      const long n = std::stol(cols[4]);
      EXPECT_TRUE(n == 0 || n >= kThreshold) << line;
    }
  }
  EXPECT_GT(rows, 100);
  EXPECT_GT(hidden, 5);
  ExpectNothingIdentifying(server_.process.Logs(), "the server log");
}

TEST_F(CliStatistics, OthersAreRefusedBadMonthsAre400AndEveryCallIsAudited) {
  testing::ApiClient api(server_.url, server_.ca);
  ASSERT_TRUE(api.ok());
  for (const char* role : {"case_worker", "admin"}) {
    auto r = api.Call("GET", "/v1/statistics?from=2026-03&to=2026-03", nullptr, tokens_[role]);
    EXPECT_EQ(r.status, 403) << role << r.body;
    EXPECT_EQ(r.error(), "permission_denied") << r.body;
  }
  RunResult worker = Brankas({"stats", "export", "--from", "2026-03", "--to", "2026-03"}, "case_worker");
  EXPECT_EQ(worker.exit_code, 1) << worker.all();
  EXPECT_NE(worker.err.find("permission_denied"), std::string::npos) << worker.err;
  for (const char* target : {"/v1/statistics?from=2026-13&to=2026-03", "/v1/statistics?from=2026-03",
                             "/v1/statistics?from=2026-04&to=2026-03", "/v1/statistics?from=2000-01&to=2026-03",
                             "/v1/statistics?from=2026-03&to=2026-03&unit=SLM"}) {
    auto r = api.Call("GET", target, nullptr, tokens_["supervisor"]);
    EXPECT_EQ(r.status, 400) << target << r.body;
    EXPECT_EQ(r.error(), "invalid_argument") << r.body;
  }
  EXPECT_EQ(Brankas({"stats", "export", "--from", "2026-03"}, "supervisor").exit_code, 2);
  RunResult help = Brankas({"stats", "export", "--help"}, "supervisor");
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("--csv"), std::string::npos) << help.out;
  ASSERT_EQ(api.Call("GET", "/v1/statistics?from=2026-03&to=2026-03", nullptr, tokens_["auditor"]).status, 200);

  auto audit = api.Call("GET", "/v1/audit?action=statistics.export&limit=1000", nullptr, tokens_["auditor"]);
  ASSERT_EQ(audit.status, 200) << audit.body;
  int allowed = 0, worker_denied = 0;
  for (const Json& e : audit.json["entries"]) {
    if (e["decision"] == "allow") ++allowed;
    if (e["decision"] == "deny" && e["actor"] == server_.User("case_worker")) ++worker_denied;
  }
  EXPECT_EQ(allowed, 1);
  EXPECT_EQ(worker_denied, 2);  // over HTTPS and through the CLI
  ExpectNothingIdentifying(audit.body, "the audit trail");
}

}  // namespace
}  // namespace brankas
