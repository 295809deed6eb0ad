// Evidence attachments from the command line, run as real processes against a
// real `brankasd --dev`: `brankas evidence add|list|get` with a 20 MiB file of
// pseudo-random bytes (streamed both ways, hashes checked), the refusals, and a
// download cut short or corrupted on the way by the fault proxy (exit 3,
// nothing left behind). Below, HttpsClient's streaming calls at the level of
// the client, against the same server.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "https_client.h"
#include "integration/fault_proxy.h"
#include "integration/server_process.h"
#include "cli_env.h"
#include "testing/run_process.h"
#include "testing/temp_dir.h"

extern char** environ;

namespace brankas {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;
using testing::DevServer;
using testing::FaultProxy;
using testing::ReadFile;
using testing::RunProcess;
using testing::RunResult;
using testing::TempDir;

constexpr size_t kBigFile = 20u << 20;  // 20 MiB

// `size` pseudo-random bytes (fixed seed) in `path`.
std::string WriteRandomFile(const std::string& path, size_t size, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::string bytes(size, '\0');
  for (size_t i = 0; i < size; i += 8) {
    uint64_t v = rng();
    std::memcpy(&bytes[i], &v, std::min<size_t>(8, size - i));
  }
  std::ofstream(path, std::ios::binary | std::ios::trunc).write(bytes.data(), static_cast<std::streamsize>(size));
  return bytes;
}



RunResult RunBrankas(const std::vector<std::string>& args, const std::vector<std::string>& env_extra) {
  std::vector<std::string> argv = {BRANKAS_CLI};
  argv.insert(argv.end(), args.begin(), args.end());
  const std::vector<std::string> env = testing::CliEnvironment(env_extra);
  return RunProcess(std::move(argv), &env);
}

bool Exists(const std::string& path) {
  struct stat st{};
  return lstat(path.c_str(), &st) == 0;
}

class CliEvidence : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(fs::create_directory(dir_.Sub("server")));
    ASSERT_TRUE(server_.Start(dir_.Sub("server"))) << server_.process.Logs();
    for (const char* role : {"case_worker", "intake"}) {
      const std::string file = dir_.Sub(std::string("password-") + role);
      std::ofstream(file) << server_.Password(role) << "\n";
      ASSERT_EQ(chmod(file.c_str(), 0600), 0);
    }
  }
  void TearDown() override { server_.process.Stop(); }

  std::string Home(const std::string& role) const { return dir_.Sub("home-" + role); }

  RunResult As(const std::string& role, const std::vector<std::string>& args) {
    RunResult r = RunBrankas(args, {"HOME=" + Home(role), "XDG_CONFIG_HOME=" + Home(role) + "/config"});
    EXPECT_EQ(r.all().find(server_.Password(role)), std::string::npos);
    return r;
  }

  RunResult Login(const std::string& role, const std::string& url) {
    return As(role, {"login", "--server", url, "--ca", server_.ca, "--user", server_.User(role), "--password-file",
                     dir_.Sub("password-" + role)});
  }

  // One of the dev server's cases assigned to the case worker.
  std::string AssignedCase() {
    RunResult r = As("case_worker", {"case", "list", "--mine", "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.all();
    Json cases = testing::ParseCliJson(r)["cases"];
    if (!cases.is_array() || cases.empty()) return "";
    return cases[0].value("case_id", std::string());
  }

  TempDir dir_;
  DevServer server_;  // after dir_: stopped before the directory goes
};

TEST_F(CliEvidence, AddListGetA20MiBFile) {
  ASSERT_EQ(Login("case_worker", server_.url).exit_code, 0);
  const std::string case_id = AssignedCase();
  ASSERT_FALSE(case_id.empty());
  const std::string original = WriteRandomFile(dir_.Sub("scan.bin"), kBigFile, 42);

  RunResult add = As("case_worker", {"evidence", "add", case_id, dir_.Sub("scan.bin"), "--type", "image/tiff",
                                     "--json"});
  ASSERT_EQ(add.exit_code, 0) << add.all();
  Json stored = testing::ParseCliJson(add);
  const std::string evidence_id = stored.value("evidence_id", std::string());
  ASSERT_FALSE(evidence_id.empty()) << add.out;
  EXPECT_EQ(stored["case_id"], case_id);
  EXPECT_EQ(stored["size"], kBigFile);
  EXPECT_EQ(stored["name"], "scan.bin");
  EXPECT_EQ(stored["content_type"], "image/tiff");
  EXPECT_EQ(stored["added_by"], server_.User("case_worker"));
  const std::string sha = stored.value("sha256", std::string());
  EXPECT_EQ(sha.size(), 64u);

  // A second, small one in human form, named explicitly.
  WriteRandomFile(dir_.Sub("note.txt"), 1000, 7);
  RunResult human = As("case_worker", {"evidence", "add", case_id, dir_.Sub("note.txt"), "--name", "catatan polisi"});
  ASSERT_EQ(human.exit_code, 0) << human.all();
  EXPECT_NE(human.out.find("1000 bytes"), std::string::npos) << human.out;
  EXPECT_NE(human.out.find("matches"), std::string::npos) << human.out;

  RunResult list = As("case_worker", {"evidence", "list", case_id, "--json"});
  ASSERT_EQ(list.exit_code, 0) << list.all();
  Json items = testing::ParseCliJson(list)["evidence"];
  ASSERT_TRUE(items.is_array()) << list.out;
  ASSERT_EQ(items.size(), 2u) << list.out;
  bool listed = false;
  for (const Json& e : items) listed = listed || (e["evidence_id"] == evidence_id && e["sha256"] == sha);
  EXPECT_TRUE(listed) << list.out;
  RunResult table = As("case_worker", {"evidence", "list", case_id});
  ASSERT_EQ(table.exit_code, 0) << table.all();
  EXPECT_NE(table.out.find(evidence_id), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("20.0 MiB"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("catatan polisi"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("2 attachments"), std::string::npos) << table.out;

  const std::string out = dir_.Sub("back.bin");
  RunResult get = As("case_worker", {"evidence", "get", case_id, evidence_id, "--out", out, "--json"});
  ASSERT_EQ(get.exit_code, 0) << get.all();
  Json got = testing::ParseCliJson(get);
  EXPECT_EQ(got["sha256"], sha);
  EXPECT_EQ(got["size"], kBigFile);
  EXPECT_EQ(got["verified"], true);
  EXPECT_TRUE(ReadFile(out) == original) << "the downloaded bytes differ";
  struct stat st{};
  ASSERT_EQ(stat(out.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_FALSE(Exists(out + ".partial"));
  EXPECT_EQ(get.all().find(original.substr(0, 16)), std::string::npos);

  // An existing file is not replaced, and the server is not even asked...
  RunResult again = As("case_worker", {"evidence", "get", case_id, evidence_id, "--out", out});
  EXPECT_EQ(again.exit_code, 2) << again.all();
  EXPECT_NE(again.err.find("--force"), std::string::npos) << again.err;
  EXPECT_FALSE(Exists(out + ".partial"));
  // ...unless --force says so.
  std::ofstream(out, std::ios::trunc) << "stale";
  RunResult forced = As("case_worker", {"evidence", "get", case_id, evidence_id, "--out", out, "--force"});
  ASSERT_EQ(forced.exit_code, 0) << forced.all();
  EXPECT_NE(forced.out.find("verified"), std::string::npos) << forced.out;
  EXPECT_TRUE(ReadFile(out) == original);

  // A wrong evidence id is the server's refusal, and leaves no file.
  RunResult wrong = As("case_worker", {"evidence", "get", case_id, "no-such-evidence", "--out", dir_.Sub("none")});
  EXPECT_EQ(wrong.exit_code, 1) << wrong.all();
  EXPECT_NE(wrong.err.find("not_found"), std::string::npos) << wrong.err;
  EXPECT_FALSE(Exists(dir_.Sub("none")));
  EXPECT_FALSE(Exists(dir_.Sub("none.partial")));

  // Intake may not touch legal evidence: not list, not get, not add.
  ASSERT_EQ(Login("intake", server_.url).exit_code, 0);
  RunResult denied = As("intake", {"evidence", "get", case_id, evidence_id, "--out", dir_.Sub("intake.bin")});
  EXPECT_EQ(denied.exit_code, 1) << denied.all();
  EXPECT_NE(denied.err.find("permission_denied"), std::string::npos) << denied.err;
  EXPECT_FALSE(Exists(dir_.Sub("intake.bin")));
  EXPECT_FALSE(Exists(dir_.Sub("intake.bin.partial")));
  RunResult denied_list = As("intake", {"evidence", "list", case_id});
  EXPECT_EQ(denied_list.exit_code, 1) << denied_list.all();
  EXPECT_NE(denied_list.err.find("permission_denied"), std::string::npos) << denied_list.err;
  RunResult denied_add = As("intake", {"evidence", "add", case_id, dir_.Sub("note.txt")});
  EXPECT_EQ(denied_add.exit_code, 1) << denied_add.all();
  EXPECT_NE(denied_add.err.find("permission_denied"), std::string::npos) << denied_add.err;

  // Usage errors never reach the server.
  EXPECT_EQ(As("case_worker", {"evidence", "add", case_id, dir_.Sub("missing")}).exit_code, 2);
  EXPECT_EQ(As("case_worker", {"evidence", "add", case_id, dir_.path()}).exit_code, 2);  // not a regular file
  EXPECT_EQ(As("case_worker", {"evidence", "get", "../x", evidence_id, "--out", dir_.Sub("y")}).exit_code, 2);
  EXPECT_EQ(As("case_worker", {"evidence", "get", case_id, evidence_id}).exit_code, 2);  // no --out
}

// The server's signal for a stored copy it found damaged is a connection
// closed before Content-Length bytes; a proxy cutting (or flipping a byte of)
// the download must be caught the same way: exit 3, no file, no partial file.
TEST_F(CliEvidence, ADownloadCutShortOrCorruptedIsRefusedAndRemoved) {
  ASSERT_EQ(Login("case_worker", server_.url).exit_code, 0);
  const std::string case_id = AssignedCase();
  ASSERT_FALSE(case_id.empty());
  const size_t size = 3u << 20;
  WriteRandomFile(dir_.Sub("photo.bin"), size, 3);
  RunResult add = As("case_worker", {"evidence", "add", case_id, dir_.Sub("photo.bin"), "--json"});
  ASSERT_EQ(add.exit_code, 0) << add.all();
  const std::string evidence_id = testing::ParseCliJson(add).value("evidence_id", std::string());
  ASSERT_FALSE(evidence_id.empty());

  const std::string port = server_.url.substr(server_.url.rfind(':') + 1);
  auto proxy = FaultProxy::Start("127.0.0.1", static_cast<uint16_t>(std::stoi(port)));
  ASSERT_NE(proxy, nullptr);
  const std::string via = "https://127.0.0.1:" + std::to_string(proxy->port());
  ASSERT_EQ(Login("case_worker", via).exit_code, 0);

  proxy->TruncateNextAfter(size / 2, /*upstream=*/false);
  const std::string out = dir_.Sub("cut.bin");
  RunResult cut = As("case_worker", {"evidence", "get", case_id, evidence_id, "--out", out});
  EXPECT_EQ(cut.exit_code, 3) << cut.all();
  EXPECT_NE(cut.err.find("incomplete"), std::string::npos) << cut.err;
  EXPECT_FALSE(Exists(out));
  EXPECT_FALSE(Exists(out + ".partial"));

  proxy->Clear();
  proxy->CorruptNextAfter(size / 3, /*upstream=*/false);
  RunResult flipped = As("case_worker", {"evidence", "get", case_id, evidence_id, "--out", out});
  EXPECT_EQ(flipped.exit_code, 3) << flipped.all();
  EXPECT_FALSE(Exists(out));
  EXPECT_FALSE(Exists(out + ".partial"));

  // Unharmed, the same path works.
  proxy->Clear();
  RunResult whole = As("case_worker", {"evidence", "get", case_id, evidence_id, "--out", out});
  EXPECT_EQ(whole.exit_code, 0) << whole.all();
  EXPECT_TRUE(ReadFile(out) == ReadFile(dir_.Sub("photo.bin")));

  // An upload cut on the way stores nothing.
  proxy->TruncateNextAfter(size / 2, /*upstream=*/true);
  RunResult upload = As("case_worker", {"evidence", "add", case_id, dir_.Sub("photo.bin")});
  EXPECT_EQ(upload.exit_code, 2) << upload.all();
  proxy->Clear();
  RunResult list = As("case_worker", {"evidence", "list", case_id, "--json"});
  ASSERT_EQ(list.exit_code, 0) << list.all();
  EXPECT_EQ(testing::ParseCliJson(list)["evidence"].size(), 1u) << list.out;
}

TEST(CliEvidenceHelp, EveryVerbHasHelp) {
  TempDir dir;
  for (std::vector<std::string> args : std::vector<std::vector<std::string>>{
           {"evidence"}, {"evidence", "add"}, {"evidence", "list"}, {"evidence", "get"}}) {
    args.push_back("--help");
    RunResult r = RunBrankas(args, {"HOME=" + dir.path()});
    EXPECT_EQ(r.exit_code, 0) << r.all();
    EXPECT_NE(r.out.find("Usage"), std::string::npos) << r.out;
  }
}

// --- HttpsClient::Upload and ::Download over existing JSON routes --------------

class StreamingClient : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server_.Start(dir_.path())) << server_.process.Logs();
    auto c = tools::HttpsClient::Connect(tools::ClientOptions{server_.url, server_.ca, 30'000});
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    client_ = std::move(*c);
    testing::ApiClient api(server_.url, server_.ca);
    token_ = api.Login(server_.User("case_worker"), server_.Password("case_worker"));
    ASSERT_FALSE(token_.empty());
  }

  // A source handing out `text` in pieces of at most `piece` bytes.
  static tools::UploadSource Source(const std::string& text, size_t piece, size_t* calls) {
    auto at = std::make_shared<size_t>(0);
    return [text, piece, calls, at](char* buffer, size_t size) -> Result<size_t> {
      ++*calls;
      size_t n = std::min({size, piece, text.size() - *at});
      std::memcpy(buffer, text.data() + *at, n);
      *at += n;
      return n;
    };
  }

  TempDir dir_;
  DevServer server_;
  std::unique_ptr<tools::HttpsClient> client_;
  std::string token_;
};

TEST_F(StreamingClient, UploadSendsTheBodyInPiecesAndReadsTheAnswer) {
  const std::string body = R"({"fields":{"name":"Streamed Sintetis"}})";
  size_t calls = 0;
  auto r = client_->Upload("POST", "/v1/cases", token_, body.size(), "application/json", Source(body, 5, &calls));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 201) << r->body;
  EXPECT_GT(calls, body.size() / 5);
  Json created = Json::parse(r->body, nullptr, false);
  ASSERT_TRUE(created.is_object()) << r->body;
  const std::string id = created.value("case_id", std::string());
  ASSERT_FALSE(id.empty());

  // The keep-alive connection is still good for an ordinary request.
  auto read = client_->Request("GET", "/v1/cases/" + id, {}, token_);
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(read->status, 200);

  // A source that ends early completes nothing.
  calls = 0;
  auto short_body = client_->Upload("POST", "/v1/cases", token_, body.size() + 10, "application/json",
                                    Source(body, 1 << 20, &calls));
  EXPECT_FALSE(short_body.ok());
  EXPECT_EQ(short_body.status().code(), Code::kInvalidArgument) << short_body.status().ToString();
  // A source error is handed back as it is.
  auto failing = client_->Upload("POST", "/v1/cases", token_, 100, "application/json",
                                 [](char*, size_t) -> Result<size_t> { return NotFound("source gone"); });
  EXPECT_EQ(failing.status().code(), Code::kNotFound);
  // And the client goes on working.
  auto after = client_->Request("GET", "/v1/cases/" + id, {}, token_);
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  EXPECT_EQ(after->status, 200);
}

TEST_F(StreamingClient, AnAnswerBeforeTheWholeBodyIsStillRead) {
  // Far above the JSON body limit: the server refuses on the header and
  // closes; the refusal is what comes back (or, if the kernel dropped it, a
  // transport error, never a hang).
  const uint64_t length = uint64_t{64} << 20;
  std::string zeros(tools::kStreamBufferBytes, ' ');
  auto r = client_->Upload("POST", "/v1/cases", token_, length, "application/json",
                           [&](char* buffer, size_t size) -> Result<size_t> {
                             size_t n = std::min(size, zeros.size());
                             std::memcpy(buffer, zeros.data(), n);
                             return n;
                           });
  RecordProperty("answer", r.ok() ? "HTTP " + std::to_string(r->status) : r.status().ToString());
  if (r.ok()) {
    EXPECT_EQ(r->status, 413) << r->body;
  } else {
    EXPECT_EQ(r.status().code(), Code::kUnavailable) << r.status().ToString();
  }
}

TEST_F(StreamingClient, DownloadHandsTheBodyToTheSink) {
  std::string received;
  size_t pieces = 0;
  auto r = client_->Download("/v1/cases?assigned=me", token_, [&](const char* data, size_t size) {
    received.append(data, size);
    ++pieces;
    return Status::Ok();
  });
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 200);
  ASSERT_TRUE(r->content_length.has_value());
  EXPECT_EQ(*r->content_length, received.size());
  EXPECT_EQ(r->body_bytes, received.size());
  EXPECT_GE(pieces, 1u);
  EXPECT_TRUE(r->body.empty());
  EXPECT_TRUE(Json::parse(received, nullptr, false).is_object()) << received;

  // A refusal: the JSON error in body, the sink untouched.
  received.clear();
  auto refused = client_->Download("/v1/cases/no-such-case", token_, [&](const char* data, size_t size) {
    received.append(data, size);
    return Status::Ok();
  });
  ASSERT_TRUE(refused.ok()) << refused.status().ToString();
  EXPECT_GE(refused->status, 400);
  EXPECT_TRUE(received.empty());
  Json error = Json::parse(refused->body, nullptr, false);
  EXPECT_TRUE(error.is_object() && error.contains("error")) << refused->body;
  EXPECT_FALSE(refused->request_id.empty());

  // A sink error stops it and comes back unchanged; the next call works.
  auto stopped = client_->Download("/v1/cases", token_, [](const char*, size_t) { return Conflict("disk full"); });
  EXPECT_EQ(stopped.status().code(), Code::kConflict);
  auto again = client_->Request("GET", "/v1/cases", {}, token_);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->status, 200);
}


// An ordinary request to a server that took the connection and then went
// silent ends after the client's deadline with kUnavailable, for a GET (not
// retried: a slow server is not a closed connection) and a POST alike; and the
// same client works again once the link does.
TEST_F(StreamingClient, ARequestToASilentServerEndsAtTheDeadline) {
  const std::string port = server_.url.substr(server_.url.rfind(':') + 1);
  auto proxy = FaultProxy::Start("127.0.0.1", static_cast<uint16_t>(std::stoi(port)));
  ASSERT_NE(proxy, nullptr);
  constexpr int64_t kTimeoutMs = 700;
  auto c = tools::HttpsClient::Connect(
      tools::ClientOptions{"https://127.0.0.1:" + std::to_string(proxy->port()), server_.ca, kTimeoutMs});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  auto& client = **c;
  auto first = client.Request("GET", "/v1/cases?assigned=me", {}, token_);  // opens the connection
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  ASSERT_EQ(first->status, 200);

  proxy->SetBlackhole(true);
  for (const char* method : {"GET", "POST"}) {
    const auto start = std::chrono::steady_clock::now();
    auto r = method == std::string("GET")
                 ? client.Request("GET", "/v1/cases?assigned=me", {}, token_)
                 : client.Request("POST", "/v1/cases", R"({"fields":{"name":"Sunyi Sintetis"}})", token_);
    const auto took = std::chrono::steady_clock::now() - start;
    ASSERT_FALSE(r.ok()) << method << " answered HTTP " << r->status;
    EXPECT_EQ(r.status().code(), Code::kUnavailable) << r.status().ToString();
    EXPECT_GE(took, std::chrono::milliseconds(kTimeoutMs - 50)) << method;
    // One deadline (the POST also connects and shakes hands on a new
    // connection, each under its own deadline), never a hang.
    EXPECT_LT(took, std::chrono::milliseconds(4 * kTimeoutMs + 1000)) << method;
  }

  proxy->Clear();
  auto again = client.Request("GET", "/v1/cases?assigned=me", {}, token_);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->status, 200);
}

// --- The legal team's bundle and the destruction receipt, end to end --------

class CliBundleAndShred : public CliEvidence {
 protected:
  void SetUp() override {
    CliEvidence::SetUp();
    for (const char* role : {"supervisor", "legal", "admin"}) {
      const std::string file = dir_.Sub(std::string("password-") + role);
      std::ofstream(file) << server_.Password(role) << "\n";
      ASSERT_EQ(chmod(file.c_str(), 0600), 0);
    }
    node_key_ = Json::parse(ReadFile(dir_.Sub("server/dev-credentials.json")))["node_key"];
  }

  static void FlipByte(const std::string& path, int64_t from_end) {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(from_end, std::ios::end);
    char c = 0;
    f.get(c);
    f.seekp(from_end, std::ios::end);
    f.put(static_cast<char>(c ^ 0x01));
  }

  std::string node_key_;
};

TEST_F(CliBundleAndShred, LegalBundleVerifiesOfflineAndAShreddedCaseLeavesAVerifiableReceipt) {
  for (const char* role : {"case_worker", "supervisor", "legal", "admin"}) {
    ASSERT_EQ(Login(role, server_.url).exit_code, 0) << role;
  }
  const std::string id = AssignedCase();
  ASSERT_FALSE(id.empty());
  const std::string file = dir_.Sub("visum.pdf");
  WriteRandomFile(file, 3u << 20, 5);
  ASSERT_EQ(As("case_worker", {"evidence", "add", id, file, "--type", "application/pdf"}).exit_code, 0);
  const std::string worker = server_.User("case_worker"), legal = server_.User("legal");
  ASSERT_EQ(As("supervisor", {"case", "assign", id, "--user", worker, "--owner", worker}).exit_code, 0);

  // No grant: no bundle, and nothing saved.
  const std::string bundle = dir_.Sub("bundle.bin");
  RunResult refused = As("legal", {"evidence", "bundle", id, "--out", bundle});
  EXPECT_EQ(refused.exit_code, 1) << refused.all();
  EXPECT_FALSE(Exists(bundle));
  EXPECT_FALSE(Exists(bundle + ".partial"));

  // A grant on legal_evidence, approved by two supervisors.
  const std::string second = dir_.Sub("password-second");
  std::ofstream(second) << "kata-sandi-penyelia-kedua-2026\n";
  ASSERT_EQ(chmod(second.c_str(), 0600), 0);
  ASSERT_EQ(As("admin", {"user", "add", "penyelia.dua", "--role", "supervisor", "--password-file", second}).exit_code, 0);
  RunResult req = As("case_worker", {"grant", "request", "--case", id, "--grantee", legal, "--classes", "legal_evidence",
                                     "--hours", "2", "--legal-basis", "court_order:No. 12/Pid.Sus-Anak/2026/PN Kpg",
                                     "--json"});
  ASSERT_EQ(req.exit_code, 0) << req.all();
  const std::string grant = testing::ParseCliJson(req)["grant_id"];
  ASSERT_EQ(As("supervisor", {"grant", "approve", grant}).exit_code, 0);
  RunResult second_login = RunBrankas({"login", "--server", server_.url, "--ca", server_.ca, "--user", "penyelia.dua",
                                       "--password-file", second},
                                      {"HOME=" + Home("second"), "XDG_CONFIG_HOME=" + Home("second") + "/config"});
  ASSERT_EQ(second_login.exit_code, 0) << second_login.all();
  RunResult approved = RunBrankas({"grant", "approve", grant},
                                  {"HOME=" + Home("second"), "XDG_CONFIG_HOME=" + Home("second") + "/config"});
  ASSERT_EQ(approved.exit_code, 0) << approved.all();

  RunResult made = As("legal", {"evidence", "bundle", id, "--out", bundle, "--json"});
  ASSERT_EQ(made.exit_code, 0) << made.all();
  EXPECT_EQ(testing::ParseCliJson(made)["attachments"], 1);
  RunResult ok = RunBrankas({"evidence", "verify", bundle, "--node-key", node_key_}, {});
  EXPECT_EQ(ok.exit_code, 0) << ok.all();
  EXPECT_NE(ok.out.find("(pinned)"), std::string::npos);
  // One changed byte inside the attachment: exit 3, the attachment named.
  FlipByte(bundle, -1000);
  RunResult bad = RunBrankas({"evidence", "verify", bundle, "--node-key", node_key_, "--json"}, {});
  EXPECT_EQ(bad.exit_code, 3) << bad.all();
  Json report = testing::ParseCliJson(bad);
  EXPECT_EQ(report["failed_part"], "attachment");
  EXPECT_EQ(report["failed_item"].get<std::string>().rfind("EV-", 0), 0u);
  FlipByte(bundle, -1000);
  // The bundle is signed by this node and no other.
  EXPECT_EQ(RunBrankas({"evidence", "verify", bundle, "--node-key", std::string(64, 'a')}, {}).exit_code, 3);

  // A lawful request for one field class: that class goes, the rest of the
  // case stays readable; its receipt names the class and verifies offline.
  const std::string class_receipt = dir_.Sub("class-receipt.json");
  RunResult by_class = As("supervisor", {"case", "shred", id, "--yes", "--class", "psychological", "--reason",
                                         "data_subject_request:REQ-7"});
  ASSERT_EQ(by_class.exit_code, 0) << by_class.all();
  EXPECT_NE(by_class.out.find("Shredded the classes psychological of case"), std::string::npos) << by_class.out;
  EXPECT_EQ(As("case_worker", {"case", "get", id}).exit_code, 0) << "the rest of the case is kept";
  ASSERT_EQ(As("supervisor", {"case", "receipt", id, "--classes", "--out", class_receipt}).exit_code, 0);
  RunResult class_verified = RunBrankas({"case", "verify-receipt", class_receipt, "--node-key", node_key_}, {});
  EXPECT_EQ(class_verified.exit_code, 0) << class_verified.all();
  EXPECT_NE(class_verified.out.find("the classes psychological of case"), std::string::npos) << class_verified.out;
  FlipByte(class_receipt, -40);
  EXPECT_EQ(RunBrankas({"case", "verify-receipt", class_receipt, "--node-key", node_key_}, {}).exit_code, 3);
  EXPECT_EQ(As("supervisor", {"case", "shred", id, "--yes", "--class", "administrative"}).exit_code, 1);

  // Legal hold blocks shredding; lifted, the shred returns a signed receipt.
  const std::string receipt = dir_.Sub("receipt.json");
  ASSERT_EQ(As("supervisor", {"case", "hold", id, "on"}).exit_code, 0);
  RunResult held = As("supervisor", {"case", "shred", id, "--yes", "--reason", "lawful_request:Surat 7/2026"});
  EXPECT_EQ(held.exit_code, 1) << held.all();
  EXPECT_EQ(As("case_worker", {"case", "get", id}).exit_code, 0) << "a held case is untouched";
  ASSERT_EQ(As("supervisor", {"case", "hold", id, "off"}).exit_code, 0);
  RunResult shred = As("supervisor", {"case", "shred", id, "--yes", "--reason", "lawful_request:Surat 7/2026",
                                      "--receipt-out", receipt});
  ASSERT_EQ(shred.exit_code, 0) << shred.all();
  RunResult verified = RunBrankas({"case", "verify-receipt", receipt, "--node-key", node_key_}, {});
  EXPECT_EQ(verified.exit_code, 0) << verified.all();
  // Unreadable: the case, its attachment, a new bundle.
  EXPECT_EQ(As("case_worker", {"case", "get", id}).exit_code, 1);
  EXPECT_EQ(As("case_worker", {"evidence", "list", id}).exit_code, 1);
  EXPECT_EQ(As("legal", {"evidence", "bundle", id, "--out", dir_.Sub("again.bin")}).exit_code, 1);
  // The receipt can be fetched again, and a changed byte in it is caught.
  const std::string again = dir_.Sub("receipt-again.json");
  ASSERT_EQ(As("supervisor", {"case", "receipt", id, "--out", again}).exit_code, 0);
  EXPECT_EQ(RunBrankas({"case", "verify-receipt", again, "--node-key", node_key_}, {}).exit_code, 0);
  FlipByte(receipt, -40);
  EXPECT_EQ(RunBrankas({"case", "verify-receipt", receipt, "--node-key", node_key_}, {}).exit_code, 3);
}

}  // namespace
}  // namespace brankas
