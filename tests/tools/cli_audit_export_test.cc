// `brankas audit export` and `brankas audit verify --export` as real processes
// against a real `brankasd --dev` (API.md, issue #5 "Auditor tools"): the
// auditor exports the trail page by page, the file verifies offline, one byte
// changed in an entry is named by its sequence, no field value is in the file;
// other roles, bad parameters and an existing file are refused.
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
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

constexpr char kName[] = "Sentinel Ekspor Sintetis";  // synthetic values of a case
constexpr char kNik[] = "3171999988887777";

class CliAuditExport : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::create_directories(dir_.Sub("server"));
    ASSERT_TRUE(server_.Start(dir_.Sub("server"))) << server_.process.Logs();
    testing::ApiClient api(server_.url, server_.ca);
    ASSERT_TRUE(api.ok());
    worker_token_ = api.Login(server_.User("case_worker"), server_.Password("case_worker"));
    auditor_token_ = api.Login(server_.User("auditor"), server_.Password("auditor"));
    ASSERT_FALSE(worker_token_.empty());
    ASSERT_FALSE(auditor_token_.empty());
    // A case with values that must never reach the audit trail, read back.
    auto created = api.Call("POST", "/v1/cases", Json{{"fields", {{"name", kName}, {"nik", kNik}}}}, worker_token_);
    ASSERT_EQ(created.status, 201) << created.body;
    const std::string id = created.json.value("case_id", "");
    ASSERT_EQ(api.Call("GET", "/v1/cases/" + id, nullptr, worker_token_).status, 200);
  }

  // `brankas args...` with the token of `token` and nothing from the caller's environment.
  RunResult Brankas(const std::vector<std::string>& args, const std::string& token) {
    std::vector<std::string> argv = {BRANKAS_CLI};
    argv.insert(argv.end(), args.begin(), args.end());
    const std::vector<std::string> env = {"HOME=" + dir_.path(), "XDG_CONFIG_HOME=" + dir_.Sub("config"),
                                          "BRANKAS_SERVER=" + server_.url, "BRANKAS_CA=" + server_.ca,
                                          "BRANKAS_TOKEN=" + token};
    return testing::RunProcess(std::move(argv), &env);
  }

  std::vector<std::string> Lines(const std::string& path) {
    std::vector<std::string> out;
    std::ifstream in(path);
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
  }

  testing::TempDir dir_;
  testing::DevServer server_;  // after dir_: stopped before the directory goes
  std::string worker_token_, auditor_token_;
};

TEST_F(CliAuditExport, ExportVerifiesAndATamperedByteIsNamed) {
  const std::string file = dir_.Sub("audit.jsonl");
  RunResult exported = Brankas({"audit", "export", "--out", file, "--page-size", "7", "--json"}, auditor_token_);
  ASSERT_EQ(exported.exit_code, 0) << exported.all();
  Json summary = Json::parse(exported.out, nullptr, false);
  ASSERT_TRUE(summary.is_object()) << exported.out;
  EXPECT_EQ(summary["first_seq"], 1);
  EXPECT_GT(summary["entries"].get<int>(), 10);  // the dev server's start-up, the logins, the case, pages
  EXPECT_TRUE(summary["head"].get<bool>());
  const std::string key = summary["node_public_key"];

  // Written privately and whole: mode 0600, nothing left beside it.
  struct stat st{};
  ASSERT_EQ(stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  for (const auto& entry : fs::directory_iterator(dir_.path())) {
    EXPECT_EQ(entry.path().filename().string().find(".partial"), std::string::npos) << entry.path();
  }

  // Metadata only: no field value, no password, no token.
  const std::string text = testing::ReadFile(file);
  EXPECT_NE(text.find("\"case.create\""), std::string::npos);
  EXPECT_EQ(text.find(kName), std::string::npos);
  EXPECT_EQ(text.find(kNik), std::string::npos);
  EXPECT_EQ(text.find("Sentinel"), std::string::npos);
  for (const auto& [role, account] : server_.users.items()) {
    EXPECT_EQ(text.find(account["password"].get<std::string>()), std::string::npos) << role;
  }
  EXPECT_EQ(text.find(auditor_token_), std::string::npos);
  EXPECT_EQ(text.find(worker_token_), std::string::npos);

  // Offline: intact, with the pinned key and on first use.
  RunResult pinned = Brankas({"audit", "verify", "--export", file, "--node-key", key}, "");
  EXPECT_EQ(pinned.exit_code, 0) << pinned.all();
  EXPECT_NE(pinned.out.find("intact"), std::string::npos) << pinned.out;
  EXPECT_NE(pinned.out.find("pinned"), std::string::npos) << pinned.out;
  RunResult tofu = Brankas({"audit", "verify", "--export", file, "--json"}, "");
  EXPECT_EQ(tofu.exit_code, 0) << tofu.all();
  Json report = Json::parse(tofu.out, nullptr, false);
  EXPECT_EQ(report["intact"], true) << tofu.out;
  EXPECT_EQ(report["key"], "file") << tofu.out;
  EXPECT_EQ(report["entries"], summary["entries"]);
  EXPECT_EQ(report["tail_covered"], true);

  // One byte of entry 5's action changed: exit 3, sequence 5 named.
  std::vector<std::string> lines = Lines(file);
  ASSERT_GT(lines.size(), 6u);
  size_t index = 0;
  while (index < lines.size() &&
         (lines[index].rfind("{\"entry\":", 0) != 0 || lines[index].find("\"seq\":5,") == std::string::npos)) {
    ++index;
  }
  ASSERT_LT(index, lines.size());
  std::string& line = lines[index];
  const size_t at = line.find("\"action\":\"") + 10;
  line[at] = static_cast<char>(line[at] ^ 0x01);
  const std::string tampered = dir_.Sub("tampered.jsonl");
  {
    std::ofstream out(tampered);
    for (const std::string& l : lines) out << l << "\n";
  }
  RunResult broken = Brankas({"audit", "verify", "--export", tampered}, "");
  EXPECT_EQ(broken.exit_code, 3) << broken.all();
  EXPECT_NE(broken.out.find("BROKEN at sequence 5"), std::string::npos) << broken.out;
  EXPECT_NE(broken.out.find("entry_hash"), std::string::npos) << broken.out;
  RunResult broken_json = Brankas({"audit", "verify", "--export", tampered, "--json", "--node-key", key}, "");
  EXPECT_EQ(broken_json.exit_code, 3) << broken_json.all();
  Json bad = Json::parse(broken_json.out, nullptr, false);
  EXPECT_EQ(bad["first_bad_seq"], 5) << broken_json.out;
  EXPECT_EQ(bad["failure"], "entry_hash") << broken_json.out;

  // Another node's key: exit 3.
  RunResult wrong_key = Brankas({"audit", "verify", "--export", file, "--node-key", std::string(64, 'a')}, "");
  EXPECT_EQ(wrong_key.exit_code, 3) << wrong_key.all();
  // Usage and I/O: exit 2.
  EXPECT_EQ(Brankas({"audit", "verify", "--export", file, "--node-key", "abc"}, "").exit_code, 2);
  EXPECT_EQ(Brankas({"audit", "verify", "--export", dir_.Sub("missing.jsonl")}, "").exit_code, 2);
  RunResult again = Brankas({"audit", "export", "--out", file}, auditor_token_);
  EXPECT_EQ(again.exit_code, 2) << again.all();
  EXPECT_NE(again.err.find("exists"), std::string::npos) << again.err;
  EXPECT_EQ(Brankas({"audit", "export", "--out", dir_.Sub("x.jsonl"), "--after", "5", "--to", "5"}, auditor_token_)
                .exit_code,
            2);
}

TEST_F(CliAuditExport, ARangeEndsCoveredBySignature) {
  const std::string file = dir_.Sub("range.jsonl");
  RunResult exported =
      Brankas({"audit", "export", "--out", file, "--after", "3", "--to", "6", "--page-size", "2", "--json"},
              auditor_token_);
  ASSERT_EQ(exported.exit_code, 0) << exported.all();
  Json summary = Json::parse(exported.out, nullptr, false);
  EXPECT_EQ(summary["first_seq"], 4);
  EXPECT_GE(summary["last_seq"].get<int>(), 6);  // on to the next signature
  RunResult verified = Brankas({"audit", "verify", "--export", file, "--json"}, "");
  EXPECT_EQ(verified.exit_code, 0) << verified.all();
  Json report = Json::parse(verified.out, nullptr, false);
  EXPECT_EQ(report["first_seq"], 4);
  EXPECT_EQ(report["tail_covered"], true);
}

TEST_F(CliAuditExport, OnlyTheAuditorAndOnlyGoodParameters) {
  const std::string file = dir_.Sub("worker.jsonl");
  RunResult worker = Brankas({"audit", "export", "--out", file}, worker_token_);
  EXPECT_EQ(worker.exit_code, 1) << worker.all();
  EXPECT_NE(worker.err.find("permission_denied"), std::string::npos) << worker.err;
  EXPECT_FALSE(fs::exists(file));
  for (const auto& entry : fs::directory_iterator(dir_.path())) {
    EXPECT_EQ(entry.path().filename().string().find(".partial"), std::string::npos) << entry.path();
  }

  testing::ApiClient api(server_.url, server_.ca);
  ASSERT_TRUE(api.ok());
  for (const char* query : {"limit=0", "limit=5001", "after=x", "after=-1", "after=99999999999999999999",
                                   "other=1"}) {
    auto r = api.Call("GET", std::string("/v1/audit/export?") + query, nullptr, auditor_token_);
    EXPECT_EQ(r.status, 400) << query << ": " << r.body;
  }
  auto page = api.Call("GET", "/v1/audit/export?after=0&limit=5000", nullptr, auditor_token_);
  ASSERT_EQ(page.status, 200) << page.body;
  EXPECT_EQ(page.json["unit"], "DEV");
  EXPECT_EQ(page.json["node_public_key"].get<std::string>().size(), 64u);
  EXPECT_FALSE(page.json["entries"].empty());
  EXPECT_EQ(page.json["head_seq"], page.json["entries"].back()["seq"]);
  EXPECT_EQ(page.json["head"]["seq"], page.json["head_seq"]);
  EXPECT_EQ(api.Call("GET", "/v1/audit/export", nullptr, "").status, 401);

  // Every export is audited, allowed or refused.
  auto denied = api.Call("GET", "/v1/audit?action=audit.export&decision=deny", nullptr, auditor_token_);
  ASSERT_EQ(denied.status, 200) << denied.body;
  EXPECT_GE(denied.json["entries"].size(), 7u) << denied.body;
  auto allowed = api.Call("GET", "/v1/audit?action=audit.export&decision=allow", nullptr, auditor_token_);
  ASSERT_EQ(allowed.status, 200) << allowed.body;
  ASSERT_GE(allowed.json["entries"].size(), 1u) << allowed.body;
  EXPECT_EQ(allowed.json["entries"][0]["actor"], server_.User("auditor"));
}

TEST(CliAuditExportHelp, BothVerbsExplainThemselves) {
  for (const std::vector<std::string>& verb :
       {std::vector<std::string>{"audit", "export", "--help"}, {"audit", "verify", "--help"}}) {
    std::vector<std::string> argv = {BRANKAS_CLI};
    argv.insert(argv.end(), verb.begin(), verb.end());
    RunResult r = testing::RunProcess(argv);
    EXPECT_EQ(r.exit_code, 0) << r.all();
    EXPECT_NE(r.out.find(verb[1] == "export" ? "--out" : "--node-key"), std::string::npos) << r.out;
  }
}

}  // namespace
}  // namespace brankas
