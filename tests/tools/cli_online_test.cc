// The online verbs of `brankas`, run as real processes against a real
// `brankasd --dev` (API.md, "The command line mirrors these"): the login cache
// and its file modes, cases with optimistic concurrency, search, a legal user
// denied and then granted, the audit trail, accounts, seal/unseal, logout,
// exit codes, and `--help` on every verb.
//
// Each test starts its own dev server on a free port in its own temporary
// directory (about half a second), and gives every user their own HOME and
// XDG_CONFIG_HOME there, so that login caches never meet.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "testing/source_dir.h"
#include "cli_env.h"
#include "testing/run_process.h"
#include "testing/temp_dir.h"

extern char** environ;

namespace brankas {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;
using testing::ReadFile;
using testing::RunProcess;
using testing::RunResult;
using testing::TempDir;

constexpr auto kReadyTimeout = std::chrono::seconds(30);
constexpr auto kStopTimeout = std::chrono::seconds(15);
constexpr char kNik[] = "3171234567890123";  // synthetic


void WriteFile(const std::string& path, const std::string& text, mode_t mode) {
  {
    std::ofstream out(path, std::ios::trunc);
    out << text;
  }
  ASSERT_EQ(chmod(path.c_str(), mode), 0);
}



std::vector<char*> Pointers(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// Runs the brankas binary with `args` and `env`, stdin from /dev/null.
RunResult RunBrankas(const std::vector<std::string>& args, const std::vector<std::string>& env_extra) {
  std::vector<std::string> argv = {BRANKAS_CLI};
  argv.insert(argv.end(), args.begin(), args.end());
  const std::vector<std::string> env = testing::CliEnvironment(env_extra);
  return RunProcess(std::move(argv), &env);
}

// A `brankasd --dev` child process: started in a directory, ready when it has
// printed "ready URL", stopped with SIGTERM (SIGKILL after kStopTimeout).
class DevServer {
 public:
  ~DevServer() { Stop(); }

  // Empty on success, else what went wrong.
  std::string Start(const std::string& dir, const std::string& log_path) {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) return "pipe failed";
    std::vector<std::string> argv_storage = {BRANKAS_SERVER_BIN, "--dev", "--data-dir", dir, "--listen", "127.0.0.1:0",
                                             "--cases", "3"};
    std::vector<std::string> env_storage = testing::CliEnvironment({"BRANKAS_CONFIG_DIR=" + testing::SourceDir() + "/config"});
    auto argv = Pointers(argv_storage);
    auto envp = Pointers(env_storage);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
    posix_spawn_file_actions_addopen(&actions, 2, log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int spawned = posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    close(fds[1]);
    stdout_fd_ = fds[0];
    if (spawned != 0) {
      pid_ = -1;
      return "cannot start " + std::string(BRANKAS_SERVER_BIN);
    }
    // Wait, bounded, for the "ready URL" line.
    std::string seen;
    const auto deadline = std::chrono::steady_clock::now() + kReadyTimeout;
    while (std::chrono::steady_clock::now() < deadline) {
      size_t nl = seen.find('\n');
      if (nl != std::string::npos && seen.rfind("ready ", 0) == 0) {
        url_ = seen.substr(6, nl - 6);
        return "";
      }
      pollfd p{stdout_fd_, POLLIN, 0};
      int left = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                      deadline - std::chrono::steady_clock::now())
                                      .count());
      if (poll(&p, 1, std::max(left, 1)) <= 0) continue;
      char buf[512];
      ssize_t n = read(stdout_fd_, buf, sizeof(buf));
      if (n <= 0) return "brankasd exited before it was ready: " + ReadFile(log_path);
      seen.append(buf, static_cast<size_t>(n));
    }
    return "brankasd was not ready within the timeout: " + ReadFile(log_path);
  }

  void Stop() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      int status = 0;
      const auto deadline = std::chrono::steady_clock::now() + kStopTimeout;
      while (waitpid(pid_, &status, WNOHANG) == 0) {
        if (std::chrono::steady_clock::now() > deadline) {
          kill(pid_, SIGKILL);
          waitpid(pid_, &status, 0);
          break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
      pid_ = -1;
    }
    if (stdout_fd_ >= 0) {
      close(stdout_fd_);
      stdout_fd_ = -1;
    }
  }

  const std::string& url() const { return url_; }

 private:
  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  std::string url_;
};

// One dev server per test, and a home directory per user.
class CliOnline : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string error = server_.Start(dir_.Sub("server"), dir_.Sub("server.log"));
    ASSERT_EQ(error, "");
    creds_ = Json::parse(ReadFile(dir_.Sub("server/dev-credentials.json")), nullptr, false);
    ASSERT_TRUE(creds_.is_object());
    ASSERT_EQ(creds_["url"], server_.url());
    ca_ = creds_["ca_cert"].get<std::string>();
    for (auto& [role, account] : creds_["users"].items()) {
      ASSERT_NO_FATAL_FAILURE(WriteFile(PasswordFile(role), account["password"].get<std::string>() + "\n", 0600));
    }
  }

  void TearDown() override { server_.Stop(); }

  std::string User(const std::string& role) const { return creds_["users"][role]["user"].get<std::string>(); }
  std::string Password(const std::string& role) const {
    return creds_["users"][role]["password"].get<std::string>();
  }
  std::string PasswordFile(const std::string& role) const { return dir_.Sub("password-" + role); }
  std::string Home(const std::string& role) const { return dir_.Sub("home-" + role); }
  std::string CachePath(const std::string& role) const { return Home(role) + "/config/brankas/session.json"; }

  // `brankas args...` as the person holding `role` (their HOME, their cache).
  RunResult As(const std::string& role, const std::vector<std::string>& args,
               const std::vector<std::string>& env = {}) {
    std::vector<std::string> e = {"HOME=" + Home(role), "XDG_CONFIG_HOME=" + Home(role) + "/config"};
    e.insert(e.end(), env.begin(), env.end());
    RunResult r = RunBrankas(args, e);
    ExpectNoSecrets(r);
    return r;
  }

  RunResult Login(const std::string& role) {
    return As(role, {"login", "--server", server_.url(), "--ca", ca_, "--user", User(role), "--password-file",
                     PasswordFile(role)});
  }

  std::string CachedToken(const std::string& role) {
    Json j = Json::parse(ReadFile(CachePath(role)), nullptr, false);
    return j.is_object() && j.contains("token") ? j["token"].get<std::string>() : "";
  }

  // No password of any account, and no token of any login cache, is ever printed.
  void ExpectNoSecrets(const RunResult& r) {
    for (auto& [role, account] : creds_["users"].items()) {
      EXPECT_EQ(r.all().find(account["password"].get<std::string>()), std::string::npos) << "password of " << role;
      std::error_code ec;
      if (fs::exists(CachePath(role), ec)) {
        std::string token = CachedToken(role);
        if (!token.empty()) {
          EXPECT_EQ(r.all().find(token), std::string::npos) << "token of " << role;
        }
      }
    }
  }

  // A new case of the case worker (who is then its owner), returning its id.
  std::string CreateCase(const std::string& name) {
    RunResult r = As("case_worker", {"case", "create", "--field", std::string("nik=") + kNik, "--field", "name=" + name,
                                     "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.all();
    Json j = testing::ParseCliJson(r);
    EXPECT_EQ(j.value("version", 0), 1) << r.out;
    return j.value("case_id", std::string());
  }

  TempDir dir_;
  DevServer server_;  // after dir_: stopped before the directory goes
  Json creds_;
  std::string ca_;
};

TEST_F(CliOnline, LoginKeepsTheTokenInAPrivateCacheOnly) {
  RunResult r = Login("case_worker");
  ASSERT_EQ(r.exit_code, 0) << r.all();
  EXPECT_NE(r.out.find(User("case_worker")), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("case_worker"), std::string::npos) << r.out;
  struct stat st{};
  ASSERT_EQ(stat(CachePath("case_worker").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(stat(fs::path(CachePath("case_worker")).parent_path().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  Json cache = Json::parse(ReadFile(CachePath("case_worker")), nullptr, false);
  ASSERT_TRUE(cache.is_object());
  EXPECT_EQ(cache["server"], server_.url());
  EXPECT_EQ(cache["ca"], ca_);
  EXPECT_EQ(cache["user"], User("case_worker"));
  EXPECT_EQ(cache["token"].get<std::string>().size(), 64u);
  EXPECT_GT(cache["expires_at"].get<int64_t>(), time(nullptr));
  // No stray temporary files beside it.
  size_t files = 0;
  for (const auto& entry : fs::directory_iterator(fs::path(CachePath("case_worker")).parent_path())) {
    (void)entry;
    ++files;
  }
  EXPECT_EQ(files, 1u);

  // --json: the user, role and expiry, never the token.
  RunResult json = As("case_worker", {"login", "--user", User("case_worker"), "--password-file",
                                      PasswordFile("case_worker"), "--json"});
  ASSERT_EQ(json.exit_code, 0) << json.all();
  Json j = testing::ParseCliJson(json);
  EXPECT_EQ(j["user"], User("case_worker"));
  EXPECT_EQ(j["role"], "case_worker");
  EXPECT_TRUE(j["expires_at"].is_number_integer());
  EXPECT_FALSE(j.contains("token"));
}

TEST_F(CliOnline, LoginRefusals) {
  RunResult wrong = As("case_worker", {"login", "--server", server_.url(), "--ca", ca_, "--user", User("case_worker"),
                                       "--password-file", PasswordFile("legal")});
  EXPECT_EQ(wrong.exit_code, 1) << wrong.all();
  EXPECT_NE(wrong.err.find("unauthenticated"), std::string::npos) << wrong.err;
  EXPECT_NE(wrong.err.find("request id"), std::string::npos) << wrong.err;
  EXPECT_FALSE(fs::exists(CachePath("case_worker")));

  ASSERT_EQ(chmod(PasswordFile("case_worker").c_str(), 0644), 0);
  RunResult open_file = Login("case_worker");
  EXPECT_EQ(open_file.exit_code, 2) << open_file.all();
  EXPECT_NE(open_file.err.find("chmod 600"), std::string::npos) << open_file.err;

  // Without a terminal or a file there is nobody to ask.
  RunResult no_tty = As("case_worker", {"login", "--server", server_.url(), "--ca", ca_, "--user", "x"});
  EXPECT_EQ(no_tty.exit_code, 2) << no_tty.all();
  EXPECT_NE(no_tty.err.find("--password-file"), std::string::npos) << no_tty.err;

  // A CA file that is not one, and no CA (the system's roots do not know
  // the dev server's self-signed certificate): nothing is sent.
  WriteFile(dir_.Sub("not-a-ca.pem"), "not a certificate\n", 0600);
  RunResult bad_ca = As("case_worker", {"health", "--server", server_.url(), "--ca", dir_.Sub("not-a-ca.pem")});
  EXPECT_EQ(bad_ca.exit_code, 2) << bad_ca.all();
  RunResult no_ca = As("case_worker", {"health", "--server", server_.url()});
  EXPECT_EQ(no_ca.exit_code, 2) << no_ca.all();
  EXPECT_NE(no_ca.err.find("TLS"), std::string::npos) << no_ca.err;
}

TEST_F(CliOnline, CasesListGetCreateAndUpdateWithVersions) {
  ASSERT_EQ(Login("case_worker").exit_code, 0);
  RunResult list = As("case_worker", {"case", "list", "--json"});
  ASSERT_EQ(list.exit_code, 0) << list.all();
  Json cases = testing::ParseCliJson(list)["cases"];
  ASSERT_TRUE(cases.is_array());
  ASSERT_EQ(cases.size(), 3u) << list.out;  // the dev server's synthetic cases
  RunResult human_list = As("case_worker", {"case", "list", "--mine", "--stage", "identification"});
  EXPECT_EQ(human_list.exit_code, 0) << human_list.all();
  EXPECT_NE(human_list.out.find(cases[0]["case_id"].get<std::string>()), std::string::npos) << human_list.out;

  const std::string existing = cases[0]["case_id"];
  RunResult get = As("case_worker", {"case", "get", existing});
  EXPECT_EQ(get.exit_code, 0) << get.all();
  EXPECT_NE(get.out.find("stage identification"), std::string::npos) << get.out;
  RunResult get_json = As("case_worker", {"case", "get", existing, "--fields", "nik,name", "--json"});
  ASSERT_EQ(get_json.exit_code, 0) << get_json.all();
  Json view = testing::ParseCliJson(get_json);
  EXPECT_EQ(view["case_id"], existing);
  EXPECT_TRUE(view["fields"].is_object());
  EXPECT_TRUE(view["withheld"].is_array());

  const std::string id = CreateCase("Rina Sintetis");
  ASSERT_FALSE(id.empty());
  RunResult update = As("case_worker", {"case", "update", id, "--expected-version", "1", "--field",
                                        "name=Rina S. Sintetis", "--json"});
  ASSERT_EQ(update.exit_code, 0) << update.all();
  EXPECT_EQ(testing::ParseCliJson(update)["version"], 2);
  // The same expected version again is stale.
  RunResult stale = As("case_worker", {"case", "update", id, "--expected-version", "1", "--field", "name=Stale"});
  EXPECT_EQ(stale.exit_code, 1) << stale.all();
  EXPECT_NE(stale.err.find("conflict"), std::string::npos) << stale.err;
  EXPECT_NE(stale.err.find("request id"), std::string::npos) << stale.err;
  // A fields file works too, and the value is read back.
  WriteFile(dir_.Sub("fields.json"), R"({"alias": "Ina"})", 0600);
  RunResult from_file = As("case_worker", {"case", "update", id, "--expected-version", "2", "--fields-file",
                                           dir_.Sub("fields.json")});
  EXPECT_EQ(from_file.exit_code, 0) << from_file.all();
  RunResult after = As("case_worker", {"case", "get", id, "--json"});
  Json fields = testing::ParseCliJson(after)["fields"];
  EXPECT_EQ(fields["name"], "Rina S. Sintetis");
  EXPECT_EQ(fields["alias"], "Ina");
  EXPECT_EQ(testing::ParseCliJson(after)["version"], 3);

  RunResult history = As("case_worker", {"case", "history", id, "name", "--json"});
  ASSERT_EQ(history.exit_code, 0) << history.all();
  EXPECT_EQ(testing::ParseCliJson(history)["versions"].size(), 2u) << history.out;

  // Usage errors never reach the server.
  EXPECT_EQ(As("case_worker", {"case", "get", "../etc"}).exit_code, 2);
  EXPECT_EQ(As("case_worker", {"case", "update", id, "--field", "name=x"}).exit_code, 2);  // no version
  EXPECT_EQ(As("case_worker", {"case", "create", "--field", "novalue"}).exit_code, 2);
  // An unknown field is the server's refusal.
  RunResult unknown = As("case_worker", {"case", "create", "--field", "no_such_field=1"});
  EXPECT_EQ(unknown.exit_code, 1) << unknown.all();
  EXPECT_NE(unknown.err.find("invalid_argument"), std::string::npos) << unknown.err;
}

TEST_F(CliOnline, SearchSendsTheValueInTheBodyOnly) {
  ASSERT_EQ(Login("case_worker").exit_code, 0);
  const std::string id = CreateCase("Search Sintetis");
  RunResult found = As("case_worker", {"search", "--field", "nik", "--value", kNik, "--json"});
  ASSERT_EQ(found.exit_code, 0) << found.all();
  Json ids = testing::ParseCliJson(found)["case_ids"];
  EXPECT_NE(std::find(ids.begin(), ids.end(), id), ids.end()) << found.out;
  WriteFile(dir_.Sub("nik"), std::string(kNik) + "\n", 0600);
  RunResult from_file = As("case_worker", {"search", "--field", "nik", "--value-file", dir_.Sub("nik")});
  EXPECT_EQ(from_file.exit_code, 0) << from_file.all();
  EXPECT_NE(from_file.out.find(id), std::string::npos) << from_file.out;
  // The server's log (access lines with every request target) never saw it.
  EXPECT_EQ(ReadFile(dir_.Sub("server.log")).find(kNik), std::string::npos);
}

TEST_F(CliOnline, LegalUserIsDeniedUntilASupervisorApprovesAGrant) {
  for (const char* role : {"case_worker", "legal", "supervisor"}) ASSERT_EQ(Login(role).exit_code, 0) << role;
  const std::string id = CreateCase("Hukum Sintetis");
  ASSERT_FALSE(id.empty());

  RunResult denied = As("legal", {"case", "get", id});
  EXPECT_EQ(denied.exit_code, 1) << denied.all();
  EXPECT_NE(denied.err.find("permission_denied"), std::string::npos) << denied.err;

  RunResult request = As("case_worker", {"grant", "request", "--case", id, "--grantee", User("legal"), "--classes",
                                         "identity,incident", "--hours", "24", "--legal-basis",
                                         "court_order:SINTETIS-1/2024", "--json"});
  ASSERT_EQ(request.exit_code, 0) << request.all();
  Json grant = testing::ParseCliJson(request);
  const std::string grant_id = grant.value("grant_id", std::string());
  ASSERT_FALSE(grant_id.empty()) << request.out;
  EXPECT_EQ(grant["approved"], false);
  // The case worker may not approve it; requested but unapproved opens nothing.
  EXPECT_EQ(As("case_worker", {"grant", "approve", grant_id}).exit_code, 1);
  EXPECT_EQ(As("legal", {"case", "get", id}).exit_code, 1);

  RunResult approve = As("supervisor", {"grant", "approve", grant_id});
  ASSERT_EQ(approve.exit_code, 0) << approve.all();
  EXPECT_NE(approve.out.find("approved"), std::string::npos) << approve.out;
  RunResult granted = As("legal", {"case", "get", id, "--json"});
  ASSERT_EQ(granted.exit_code, 0) << granted.all();
  EXPECT_EQ(testing::ParseCliJson(granted)["fields"]["name"], "Hukum Sintetis");

  RunResult revoke = As("supervisor", {"grant", "revoke", grant_id, "--json"});
  ASSERT_EQ(revoke.exit_code, 0) << revoke.all();
  EXPECT_EQ(testing::ParseCliJson(revoke)["revoked"], true);
  EXPECT_EQ(As("legal", {"case", "get", id}).exit_code, 1);
}

TEST_F(CliOnline, AuditorQueriesAndVerifiesTheTrail) {
  ASSERT_EQ(Login("case_worker").exit_code, 0);
  const std::string id = CreateCase("Audit Sintetis");
  ASSERT_EQ(Login("auditor").exit_code, 0);

  RunResult one_case = As("auditor", {"audit", "query", "--case", id, "--json"});
  ASSERT_EQ(one_case.exit_code, 0) << one_case.all();
  Json entries = testing::ParseCliJson(one_case)["entries"];
  ASSERT_FALSE(entries.empty());
  EXPECT_EQ(entries[0]["action"], "case.create");
  EXPECT_EQ(entries[0]["actor"], User("case_worker"));
  EXPECT_EQ(one_case.out.find("Audit Sintetis"), std::string::npos) << "no field values in the audit trail";

  RunResult human = As("auditor", {"audit", "query", "--actor", User("case_worker"), "--limit", "1"});
  EXPECT_EQ(human.exit_code, 0) << human.all();
  EXPECT_NE(human.out.find("auth.login"), std::string::npos) << human.out;
  EXPECT_NE(human.out.find("--after"), std::string::npos) << human.out;

  // --all pages through (5 a page) to the end, as one JSON object.
  RunResult all = As("auditor", {"audit", "query", "--all", "--limit", "5", "--json"});
  ASSERT_EQ(all.exit_code, 0) << all.all();
  Json every = testing::ParseCliJson(all)["entries"];
  ASSERT_GT(every.size(), 10u);
  for (size_t i = 1; i < every.size(); ++i) {
    ASSERT_EQ(every[i]["seq"].get<uint64_t>(), every[i - 1]["seq"].get<uint64_t>() + 1) << i;
  }
  RunResult single = As("auditor", {"audit", "query", "--limit", "10000", "--json"});
  EXPECT_GE(testing::ParseCliJson(single)["entries"].size(), every.size());

  RunResult verify = As("auditor", {"audit", "verify"});
  EXPECT_EQ(verify.exit_code, 0) << verify.all();
  EXPECT_NE(verify.out.find("intact"), std::string::npos) << verify.out;
  RunResult verify_json = As("auditor", {"audit", "verify", "--json"});
  EXPECT_EQ(verify_json.exit_code, 0) << verify_json.all();
  EXPECT_EQ(testing::ParseCliJson(verify_json)["intact"], true);

  // A case worker may not read the whole trail.
  RunResult worker = As("case_worker", {"audit", "query"});
  EXPECT_EQ(worker.exit_code, 1) << worker.all();
}

TEST_F(CliOnline, AdministratorManagesAccounts) {
  ASSERT_EQ(Login("admin").exit_code, 0);
  WriteFile(dir_.Sub("new-password"), "a-synthetic-password-9\n", 0600);
  RunResult add = As("admin", {"user", "add", "baru.pendamping", "--role", "case_worker", "--password-file",
                               dir_.Sub("new-password")});
  ASSERT_EQ(add.exit_code, 0) << add.all();
  EXPECT_NE(add.out.find("baru.pendamping"), std::string::npos) << add.out;
  RunResult again = As("admin", {"user", "add", "baru.pendamping", "--role", "case_worker", "--password-file",
                                 dir_.Sub("new-password")});
  EXPECT_EQ(again.exit_code, 1) << again.all();
  EXPECT_NE(again.err.find("conflict"), std::string::npos) << again.err;

  RunResult list = As("admin", {"user", "list", "--json"});
  ASSERT_EQ(list.exit_code, 0) << list.all();
  bool listed = false;
  const Json users = testing::ParseCliJson(list)["users"];
  for (const Json& u : users) listed = listed || u["user"] == "baru.pendamping";
  EXPECT_TRUE(listed) << list.out;

  // The new account logs in; disabled, it cannot.
  RunResult login = As("new", {"login", "--server", server_.url(), "--ca", ca_, "--user", "baru.pendamping",
                               "--password-file", dir_.Sub("new-password")});
  EXPECT_EQ(login.exit_code, 0) << login.all();
  EXPECT_EQ(As("admin", {"user", "disable", "baru.pendamping"}).exit_code, 0);
  RunResult after = As("new", {"case", "list"});
  EXPECT_EQ(after.exit_code, 1) << after.all();
  EXPECT_NE(after.err.find("unauthenticated"), std::string::npos) << after.err;
  EXPECT_NE(after.err.find("log in again"), std::string::npos) << after.err;

  // Not an administrator: refused.
  ASSERT_EQ(Login("case_worker").exit_code, 0);
  EXPECT_EQ(As("case_worker", {"user", "list"}).exit_code, 1);
}

TEST_F(CliOnline, SealHealthAndUnseal) {
  ASSERT_EQ(Login("admin").exit_code, 0);
  RunResult healthy = As("admin", {"health"});
  EXPECT_EQ(healthy.exit_code, 0) << healthy.all();
  EXPECT_NE(healthy.out.find("ok"), std::string::npos) << healthy.out;
  ASSERT_EQ(As("admin", {"seal"}).exit_code, 0);
  RunResult sealed = As("admin", {"health", "--json"});
  EXPECT_EQ(sealed.exit_code, 1) << sealed.all();
  EXPECT_EQ(testing::ParseCliJson(sealed)["status"], "sealed");
  ASSERT_EQ(Login("case_worker").exit_code, 1) << "no logins while sealed";

  const std::string passphrase = dir_.Sub("server/dev-passphrase");
  RunResult unseal = As("admin", {"unseal", "--passphrase-file", passphrase});
  ASSERT_EQ(unseal.exit_code, 0) << unseal.all();
  EXPECT_EQ(unseal.all().find(ReadFile(passphrase).substr(0, 20)), std::string::npos);
  EXPECT_EQ(As("admin", {"health"}).exit_code, 0);
  EXPECT_EQ(Login("case_worker").exit_code, 0);
}

TEST_F(CliOnline, LifecycleVerbs) {
  ASSERT_EQ(Login("case_worker").exit_code, 0);
  ASSERT_EQ(Login("supervisor").exit_code, 0);
  const std::string id = CreateCase("Siklus Sintetis");
  EXPECT_EQ(As("case_worker", {"case", "stage", id, "assessment"}).exit_code, 0);
  RunResult hold = As("supervisor", {"case", "hold", id, "on", "--json"});
  ASSERT_EQ(hold.exit_code, 0) << hold.all();
  EXPECT_EQ(testing::ParseCliJson(hold)["legal_hold"], true);
  RunResult shred = As("supervisor", {"case", "shred", id, "--yes"});
  EXPECT_EQ(shred.exit_code, 1) << shred.all();
  EXPECT_NE(shred.err.find("legal hold"), std::string::npos) << shred.err;
  // Without a terminal, shredding needs --yes.
  EXPECT_EQ(As("supervisor", {"case", "shred", id}).exit_code, 2);
  EXPECT_EQ(As("supervisor", {"case", "close", id}).exit_code, 0);
  RunResult reopened = As("supervisor", {"case", "reopen", id, "--json"});
  ASSERT_EQ(reopened.exit_code, 0) << reopened.all();
  EXPECT_EQ(testing::ParseCliJson(reopened)["stage"], "assessment");
  RunResult glass = As("supervisor", {"case", "break-glass", id, "--reason", "synthetic emergency", "--json"});
  ASSERT_EQ(glass.exit_code, 0) << glass.all();
  EXPECT_EQ(testing::ParseCliJson(glass)["break_glass"], true);
}

TEST_F(CliOnline, LogoutEndsTheSession) {
  ASSERT_EQ(Login("case_worker").exit_code, 0);
  const std::string token = CachedToken("case_worker");
  ASSERT_EQ(token.size(), 64u);
  RunResult logout = As("case_worker", {"logout"});
  ASSERT_EQ(logout.exit_code, 0) << logout.all();
  EXPECT_FALSE(fs::exists(CachePath("case_worker")));

  // Nothing cached: the server is known from the environment, the login is not.
  RunResult after = As("case_worker", {"case", "list"}, {"BRANKAS_SERVER=" + server_.url(), "BRANKAS_CA=" + ca_});
  EXPECT_EQ(after.exit_code, 1) << after.all();
  EXPECT_NE(after.err.find("not logged in"), std::string::npos) << after.err;
  EXPECT_NE(after.err.find("brankas login"), std::string::npos) << after.err;
  // The old token was revoked on the server, not just forgotten.
  RunResult old = As("case_worker", {"case", "list", "--server", server_.url(), "--ca", ca_},
                     {"BRANKAS_TOKEN=" + token});
  EXPECT_EQ(old.exit_code, 1) << old.all();
  EXPECT_NE(old.err.find("unauthenticated"), std::string::npos) << old.err;
  EXPECT_EQ(old.all().find(token), std::string::npos);
  // And no server at all is a usage error.
  RunResult nowhere = As("case_worker", {"case", "list"});
  EXPECT_EQ(nowhere.exit_code, 2) << nowhere.all();
  EXPECT_NE(nowhere.err.find("--server"), std::string::npos) << nowhere.err;
  // Logging out twice is harmless.
  EXPECT_EQ(As("case_worker", {"logout"}).exit_code, 0);
}

TEST_F(CliOnline, AnExpiredOrExposedCacheIsNotUsed) {
  ASSERT_EQ(Login("case_worker").exit_code, 0);
  Json cache = Json::parse(ReadFile(CachePath("case_worker")));
  cache["expires_at"] = 1000;
  WriteFile(CachePath("case_worker"), cache.dump(), 0600);
  RunResult expired = As("case_worker", {"case", "list"});
  EXPECT_EQ(expired.exit_code, 1) << expired.all();
  EXPECT_NE(expired.err.find("expired"), std::string::npos) << expired.err;
  EXPECT_NE(expired.err.find("log in again"), std::string::npos) << expired.err;

  ASSERT_EQ(Login("case_worker").exit_code, 0);
  ASSERT_EQ(chmod(CachePath("case_worker").c_str(), 0644), 0);
  RunResult exposed = As("case_worker", {"case", "list"});
  EXPECT_EQ(exposed.exit_code, 2) << exposed.all();
  EXPECT_NE(exposed.err.find("readable by others"), std::string::npos) << exposed.err;
}

TEST(CliOnlineOffline, AnUnreachableServerExitsTwo) {
  TempDir dir;
  RunResult r = RunBrankas({"health", "--server", "https://127.0.0.1:1"}, {"HOME=" + dir.path()});
  EXPECT_EQ(r.exit_code, 2) << r.all();
  RunResult not_https = RunBrankas({"health", "--server", "http://127.0.0.1:1"}, {"HOME=" + dir.path()});
  EXPECT_EQ(not_https.exit_code, 2) << not_https.all();
  EXPECT_NE(not_https.err.find("https://"), std::string::npos) << not_https.err;
}

TEST(CliOnlineOffline, HelpWorksOnEveryVerb) {
  TempDir dir;
  const std::vector<std::vector<std::string>> verbs = {
      {},
      {"login"},
      {"logout"},
      {"case"},
      {"case", "create"},
      {"case", "get"},
      {"case", "update"},
      {"case", "list"},
      {"case", "history"},
      {"case", "assign"},
      {"case", "stage"},
      {"case", "close"},
      {"case", "reopen"},
      {"case", "hold"},
      {"case", "break-glass"},
      {"case", "shred"},
      {"search"},
      {"grant"},
      {"grant", "request"},
      {"grant", "approve"},
      {"grant", "revoke"},
      {"audit"},
      {"audit", "query"},
      {"audit", "verify"},
      {"user"},
      {"user", "add"},
      {"user", "list"},
      {"user", "disable"},
      {"user", "passwd"},
      {"unseal"},
      {"seal"},
      {"health"},
      {"init"},
      {"demo"},
  };
  for (std::vector<std::string> args : verbs) {
    std::string name;
    for (const auto& a : args) name += a + " ";
    args.push_back("--help");
    RunResult r = RunBrankas(args, {"HOME=" + dir.path()});
    EXPECT_EQ(r.exit_code, 0) << name << r.all();
    EXPECT_NE(r.out.find("Usage"), std::string::npos) << name << r.out;
  }
  RunResult top = RunBrankas({"--help"}, {"HOME=" + dir.path()});
  EXPECT_NE(top.out.find("Exit codes"), std::string::npos) << top.out;
}

}  // namespace
}  // namespace brankas
