// The `brankas` command line, run as a real process (API.md, "Offline
// commands"): exit codes, JSON output, refusals, and the offline audit
// verifier against a data directory tampered with in the ways an attacker
// with disk access could: a changed byte, a removed entry, a reordered pair,
// a truncated tail, a foreign public key.
//
// Tampering edits the RocksDB store of a copy of a demo's data directory
// directly (no process has it open), through the key layout of
// brankas/audit.h.
#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "brankas/audit.h"
#include "brankas/store.h"
#include "brankas/vault.h"
#include "testing/source_dir.h"
#include "testing/run_process.h"
#include "testing/temp_dir.h"

extern char** environ;

namespace brankas {
namespace {

namespace fs = std::filesystem;
using testing::ReadFile;
using testing::RunProcess;
using testing::RunResult;
using testing::TempDir;

constexpr char kPassphrase[] = "synthetic-cli-test-passphrase-7Qm2";

// Runs the brankas binary with `args`, stdin from /dev/null, and collects its
// exit code and output.
RunResult RunBrankas(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {BRANKAS_CLI};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunProcess(std::move(argv));
}

void WriteFile(const std::string& path, const std::string& text, mode_t mode) {
  {
    std::ofstream out(path, std::ios::trunc);
    out << text;
  }
  ASSERT_EQ(chmod(path.c_str(), mode), 0);
}

std::vector<std::string> InitArgs(const std::string& dir, const std::string& passphrase_file) {
  return {"init", "--data-dir", dir, "--unit", "KPG", "--passphrase-file", passphrase_file,
          "--shares", "5", "--threshold", "3", "--insecure-fast-kdf", "--json"};
}

bool IsHex(const std::string& s) {
  return s.find_first_not_of("0123456789abcdef") == std::string::npos;
}

nlohmann::json ParseJson(const RunResult& r) {
  auto j = nlohmann::json::parse(r.out, nullptr, /*allow_exceptions=*/false);
  EXPECT_FALSE(j.is_discarded()) << "not JSON: " << r.out << r.err;
  return j;
}

// ---------------------------------------------------------------------------
// init

TEST(CliInit, JsonPrintsFiveSharesAndThePublicKey) {
  TempDir dir;
  WriteFile(dir.Sub("pass"), std::string(kPassphrase) + "\n", 0600);
  RunResult r = RunBrankas(InitArgs(dir.Sub("node"), dir.Sub("pass")));
  ASSERT_EQ(r.exit_code, 0) << r.all();
  nlohmann::json j = ParseJson(r);
  ASSERT_TRUE(j.is_object());
  EXPECT_EQ(j["unit"], "KPG");
  ASSERT_TRUE(j["shares"].is_array());
  EXPECT_EQ(j["shares"].size(), 5u);
  for (const auto& share : j["shares"]) EXPECT_EQ(share.get<std::string>().rfind("brankas-share-", 0), 0u);
  std::string key = j["node_public_key"];
  EXPECT_EQ(key.size(), 64u);
  EXPECT_TRUE(IsHex(key)) << key;
  EXPECT_EQ(r.all().find(kPassphrase), std::string::npos);
}

TEST(CliInit, RefusesAPassphraseFileReadableByOthers) {
  TempDir dir;
  WriteFile(dir.Sub("pass"), std::string(kPassphrase) + "\n", 0644);
  RunResult r = RunBrankas(InitArgs(dir.Sub("node"), dir.Sub("pass")));
  EXPECT_EQ(r.exit_code, 2) << r.all();
  EXPECT_NE(r.err.find("chmod 600"), std::string::npos) << r.err;
  EXPECT_EQ(r.all().find(kPassphrase), std::string::npos);
  EXPECT_FALSE(fs::exists(dir.Sub("node") + "/CURRENT"));
}

TEST(CliInit, RefusesASecondInitOfTheSameDirectory) {
  TempDir dir;
  WriteFile(dir.Sub("pass"), std::string(kPassphrase) + "\n", 0600);
  ASSERT_EQ(RunBrankas(InitArgs(dir.Sub("node"), dir.Sub("pass"))).exit_code, 0);
  RunResult again = RunBrankas(InitArgs(dir.Sub("node"), dir.Sub("pass")));
  EXPECT_EQ(again.exit_code, 2) << again.all();
  EXPECT_NE(again.err.find("already holds a node"), std::string::npos) << again.err;
  EXPECT_EQ(again.out.find("brankas-share-"), std::string::npos) << "no new shares for an existing node";
  EXPECT_EQ(again.all().find(kPassphrase), std::string::npos);
}

TEST(CliInit, RejectsImpossibleThresholds) {
  TempDir dir;
  WriteFile(dir.Sub("pass"), std::string(kPassphrase) + "\n", 0600);
  const std::vector<std::pair<std::string, std::string>> bad = {{"5", "6"}, {"5", "0"}, {"300", "2"}, {"0", "2"}};
  for (const auto& [shares, threshold] : bad) {
    RunResult r = RunBrankas({"init", "--data-dir", dir.Sub("node"), "--unit", "KPG", "--passphrase-file",
                              dir.Sub("pass"), "--shares", shares, "--threshold", threshold,
                              "--insecure-fast-kdf"});
    EXPECT_EQ(r.exit_code, 2) << shares << "/" << threshold << ": " << r.all();
    EXPECT_NE(r.err.find("threshold"), std::string::npos) << r.err;
    EXPECT_EQ(r.all().find(kPassphrase), std::string::npos);
  }
  EXPECT_FALSE(fs::exists(dir.Sub("node") + "/CURRENT"));
}

TEST(CliInit, RejectsABadUnitAndAShortPassphrase) {
  TempDir dir;
  WriteFile(dir.Sub("pass"), std::string(kPassphrase) + "\n", 0600);
  RunResult unit = RunBrankas({"init", "--data-dir", dir.Sub("node"), "--unit", "K P G", "--passphrase-file",
                               dir.Sub("pass"), "--insecure-fast-kdf"});
  EXPECT_EQ(unit.exit_code, 2) << unit.all();
  EXPECT_NE(unit.err.find("--unit"), std::string::npos) << unit.err;
  WriteFile(dir.Sub("short"), "short\n", 0600);
  RunResult shorter = RunBrankas({"init", "--data-dir", dir.Sub("node"), "--unit", "KPG", "--passphrase-file",
                                  dir.Sub("short"), "--insecure-fast-kdf"});
  EXPECT_EQ(shorter.exit_code, 2) << shorter.all();
  EXPECT_NE(shorter.err.find("12 characters"), std::string::npos) << shorter.err;
  EXPECT_FALSE(fs::exists(dir.Sub("node") + "/CURRENT"));
}

TEST(CliInit, WithoutATerminalOrFileItSaysHowToGiveThePassphrase) {
  TempDir dir;
  RunResult r = RunBrankas({"init", "--data-dir", dir.Sub("node"), "--unit", "KPG", "--insecure-fast-kdf"});
  EXPECT_EQ(r.exit_code, 2) << r.all();
  EXPECT_NE(r.err.find("--passphrase-file"), std::string::npos) << r.err;
}

TEST(CliInit, CreatesTheTlsIdentityBesideTheDataDirAndTheFirstAdministrator) {
  TempDir dir;
  constexpr char kAdminPassword[] = "synthetic-admin-password-4Tz";
  WriteFile(dir.Sub("pass"), std::string(kPassphrase) + "\n", 0600);
  WriteFile(dir.Sub("admin-pass"), std::string(kAdminPassword) + "\n", 0600);
  fs::create_directories(dir.Sub("node"));
  std::vector<std::string> args = InitArgs(dir.Sub("node/data"), dir.Sub("pass"));
  args.insert(args.end(), {"--admin", "kepala.admin", "--admin-password-file", dir.Sub("admin-pass")});
  RunResult r = RunBrankas(args);
  ASSERT_EQ(r.exit_code, 0) << r.all();
  EXPECT_EQ(r.all().find(kAdminPassword), std::string::npos);
  nlohmann::json j = ParseJson(r);
  ASSERT_TRUE(j.is_object());
  EXPECT_EQ(j["admin"], "kepala.admin");
  EXPECT_EQ(j["tls_created"], true);
  // Beside the data directory, as config/unit.toml expects.
  EXPECT_EQ(fs::path(j["tls_cert"].get<std::string>()), fs::path(dir.Sub("node/tls/cert.pem")));
  struct stat st{};
  ASSERT_EQ(stat(dir.Sub("node/tls/key.pem").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_NE(ReadFile(dir.Sub("node/tls/cert.pem")).find("BEGIN CERTIFICATE"), std::string::npos);

  // The account is real: the node unseals and the administrator logs in.
  {
    VaultOptions options;
    options.data_dir = dir.Sub("node/data");
    options.schema_path = testing::SourceDir() + "/config/schema.toml";
    auto vault = Vault::Open(std::move(options));
    ASSERT_TRUE(vault.ok()) << vault.status().ToString();
    RequestContext rc{Principal{"test", Role::kAdmin, "KPG"}, "test", "test"};
    ASSERT_TRUE((*vault)->UnsealWithPassphrase(rc, kPassphrase).ok());
    auto session = (*vault)->Login(rc, "kepala.admin", kAdminPassword);
    ASSERT_TRUE(session.ok()) << session.status().ToString();
    EXPECT_EQ(session->principal.role, Role::kAdmin);
  }

  // A second node given the same --tls-dir keeps the existing pair.
  const std::string key = ReadFile(dir.Sub("node/tls/key.pem"));
  fs::create_directories(dir.Sub("other"));
  std::vector<std::string> second = InitArgs(dir.Sub("other/data"), dir.Sub("pass"));
  second.insert(second.end(), {"--tls-dir", dir.Sub("node/tls")});
  RunResult again = RunBrankas(second);
  ASSERT_EQ(again.exit_code, 0) << again.all();
  nlohmann::json k = ParseJson(again);
  ASSERT_TRUE(k.is_object());
  EXPECT_EQ(k["tls_created"], false);
  EXPECT_TRUE(k["admin"].is_null());
  EXPECT_EQ(ReadFile(dir.Sub("node/tls/key.pem")), key);
}

TEST(CliInit, AnAdministratorWithoutAUsablePasswordStopsBeforeTheNodeIsMade) {
  TempDir dir;
  WriteFile(dir.Sub("pass"), std::string(kPassphrase) + "\n", 0600);
  WriteFile(dir.Sub("short"), "short\n", 0600);
  std::vector<std::string> no_source = InitArgs(dir.Sub("node"), dir.Sub("pass"));
  no_source.insert(no_source.end(), {"--admin", "kepala.admin"});
  RunResult r = RunBrankas(no_source);
  EXPECT_EQ(r.exit_code, 2) << r.all();
  EXPECT_NE(r.err.find("--admin-password-file"), std::string::npos) << r.err;
  std::vector<std::string> shorter = InitArgs(dir.Sub("node"), dir.Sub("pass"));
  shorter.insert(shorter.end(), {"--admin", "kepala.admin", "--admin-password-file", dir.Sub("short")});
  RunResult s = RunBrankas(shorter);
  EXPECT_EQ(s.exit_code, 2) << s.all();
  EXPECT_NE(s.err.find("12 characters"), std::string::npos) << s.err;
  EXPECT_FALSE(fs::exists(dir.Sub("node") + "/CURRENT"));
  EXPECT_FALSE(fs::exists(dir.Sub("tls")));
}

TEST(CliInit, WithoutAdminItSaysNoAccountExistsYet) {
  TempDir dir;
  WriteFile(dir.Sub("pass"), std::string(kPassphrase) + "\n", 0600);
  RunResult r = RunBrankas({"init", "--data-dir", dir.Sub("node"), "--unit", "KPG", "--passphrase-file",
                            dir.Sub("pass"), "--insecure-fast-kdf"});
  ASSERT_EQ(r.exit_code, 0) << r.all();
  EXPECT_NE(r.out.find("--admin"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(dir.Sub("tls/cert.pem")), std::string::npos) << r.out;
}

// ---------------------------------------------------------------------------
// demo, and audit verify on what it leaves

// One initialized node with the demo run on it, shared by the tests below;
// each tampering test works on its own copy.
class CliDemo : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    WriteFile(dir_->Sub("pass"), std::string(kPassphrase) + "\n", 0600);
    init_ = new RunResult(RunBrankas(InitArgs(Node(), dir_->Sub("pass"))));
    demo_ = new RunResult(RunBrankas({"demo", "--data-dir", Node(), "--passphrase-file", dir_->Sub("pass")}));
  }
  static void TearDownTestSuite() {
    delete demo_;
    delete init_;
    delete dir_;
  }
  void SetUp() override {
    ASSERT_EQ(init_->exit_code, 0) << init_->all();
    ASSERT_EQ(demo_->exit_code, 0) << demo_->all();
  }
  static std::string Node() { return dir_->Sub("node"); }

  // A copy of the demo's data directory in `dir`.
  static std::string CopyNode(const TempDir& dir) {
    std::string copy = dir.Sub("node");
    fs::copy(Node(), copy, fs::copy_options::recursive);
    return copy;
  }

  static RunResult Verify(const std::string& node, std::vector<std::string> extra = {"--json"}) {
    std::vector<std::string> args = {"audit", "verify", "--data-dir", node};
    args.insert(args.end(), extra.begin(), extra.end());
    return RunBrankas(args);
  }

  // Opens the store of `node` read-write and lets `edit` change it.
  static void EditStore(const std::string& node, const std::function<void(Store&)>& edit) {
    auto store = OpenRocksStore(node, {});
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    edit(**store);
  }

  static uint64_t HeadSeq(Store& store) {
    auto bytes = store.Get(Column::kMeta, kAuditHeadKey);
    EXPECT_TRUE(bytes.ok() && bytes->has_value());
    if (!bytes.ok() || !bytes->has_value()) return 0;
    auto head = DecodeAuditHead(**bytes);
    EXPECT_TRUE(head.ok());
    return head.ok() ? head->seq : 0;
  }

  static std::string EntryOf(Store& store, uint64_t seq) {
    auto bytes = store.Get(Column::kAudit, AuditEntryKey(seq));
    EXPECT_TRUE(bytes.ok() && bytes->has_value()) << "no entry " << seq;
    return bytes.ok() && bytes->has_value() ? **bytes : std::string();
  }

  static void Put(Store& store, Column c, std::string key, std::string value) {
    Batch b;
    b.Put(c, std::move(key), std::move(value));
    ASSERT_TRUE(store.Write(b, Durability::kSync).ok());
  }

  static void Delete(Store& store, Column c, std::string key) {
    Batch b;
    b.Delete(c, std::move(key));
    ASSERT_TRUE(store.Write(b, Durability::kSync).ok());
  }

  // The last entry's seq of the untouched demo directory.
  static uint64_t DemoHeadSeq() {
    TempDir dir;
    std::string node = CopyNode(dir);
    uint64_t seq = 0;
    EditStore(node, [&](Store& s) { seq = HeadSeq(s); });
    return seq;
  }

  // Runs the verifier (JSON) on `node` and expects tampering found at `seq`.
  static void ExpectBrokenAt(const std::string& node, uint64_t seq, const std::string& what) {
    RunResult r = Verify(node);
    EXPECT_EQ(r.exit_code, 3) << what << ": " << r.all();
    nlohmann::json j = ParseJson(r);
    if (!j.is_object()) return;
    EXPECT_EQ(j["intact"], false) << what;
    ASSERT_TRUE(j.contains("first_bad_seq")) << what << ": " << r.out;
    EXPECT_EQ(j["first_bad_seq"].get<uint64_t>(), seq) << what << ": " << j["problem"];
  }

  static TempDir* dir_;
  static RunResult* init_;
  static RunResult* demo_;
};

TempDir* CliDemo::dir_ = nullptr;
RunResult* CliDemo::init_ = nullptr;
RunResult* CliDemo::demo_ = nullptr;

TEST_F(CliDemo, DemoOnAFreshNodeSucceedsAndEndsIntact) {
  EXPECT_NE(demo_->out.find("intact"), std::string::npos) << demo_->out;
  EXPECT_NE(demo_->out.find("permission_denied"), std::string::npos);
  EXPECT_NE(demo_->out.find("brankas audit verify --data-dir " + Node()), std::string::npos);
  EXPECT_EQ(demo_->all().find(kPassphrase), std::string::npos);
  EXPECT_TRUE(demo_->err.empty()) << demo_->err;
}

TEST_F(CliDemo, DemoInitializesAnEmptyDirectoryWithAGeneratedPassphrase) {
  TempDir dir;
  const std::string node = dir.Sub("fresh");
  RunResult first = RunBrankas({"demo", "--data-dir", node, "--insecure-fast-kdf", "--seed", "42"});
  ASSERT_EQ(first.exit_code, 0) << first.all();
  const std::string pass_file = node + "/demo-passphrase";
  struct stat st{};
  ASSERT_EQ(stat(pass_file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_NE(first.out.find("demo-passphrase"), std::string::npos) << first.out;
  std::string passphrase = ReadFile(pass_file);
  while (!passphrase.empty() && passphrase.back() == '\n') passphrase.pop_back();
  ASSERT_GE(passphrase.size(), 12u);
  EXPECT_EQ(first.all().find(passphrase), std::string::npos) << "the generated passphrase was printed";
  // Again on the same directory: it unseals with the generated file.
  RunResult second = RunBrankas({"demo", "--data-dir", node});
  EXPECT_EQ(second.exit_code, 0) << second.all();
  EXPECT_EQ(second.all().find(passphrase), std::string::npos);
  EXPECT_EQ(Verify(node).exit_code, 0);
}

TEST_F(CliDemo, DemoWithTheWrongPassphraseFails) {
  TempDir dir;
  std::string node = CopyNode(dir);
  WriteFile(dir.Sub("wrong"), "not-the-right-passphrase\n", 0600);
  RunResult r = RunBrankas({"demo", "--data-dir", node, "--passphrase-file", dir.Sub("wrong")});
  EXPECT_EQ(r.exit_code, 2) << r.all();
  EXPECT_NE(r.err.find("permission_denied"), std::string::npos) << r.err;
  EXPECT_EQ(r.all().find("not-the-right-passphrase"), std::string::npos);
}

TEST_F(CliDemo, DemoOnANodeWithoutAPassphraseFileSaysWhatToGive) {
  TempDir dir;
  std::string node = CopyNode(dir);
  RunResult r = RunBrankas({"demo", "--data-dir", node});
  EXPECT_EQ(r.exit_code, 2) << r.all();
  EXPECT_NE(r.err.find("--passphrase-file"), std::string::npos) << r.err;
}

TEST_F(CliDemo, VerifyReportsTheDemoTrailIntact) {
  RunResult human = Verify(Node(), {});
  EXPECT_EQ(human.exit_code, 0) << human.all();
  EXPECT_NE(human.out.find("intact"), std::string::npos) << human.out;
  RunResult json = Verify(Node());
  ASSERT_EQ(json.exit_code, 0) << json.all();
  nlohmann::json j = ParseJson(json);
  ASSERT_TRUE(j.is_object());
  EXPECT_EQ(j["intact"], true);
  EXPECT_EQ(j["entries"].get<uint64_t>(), DemoHeadSeq());
  EXPECT_GT(j["entries"].get<uint64_t>(), 20u);
  EXPECT_FALSE(j.contains("first_bad_seq"));
  EXPECT_EQ(human.all().find(kPassphrase), std::string::npos);
  EXPECT_EQ(json.all().find(kPassphrase), std::string::npos);
}

TEST_F(CliDemo, VerifyWithThePinnedKeyOfTheNodeIsIntact) {
  nlohmann::json j = ParseJson(Verify(Node()));
  ASSERT_TRUE(j.is_object());
  RunResult pinned = Verify(Node(), {"--json", "--public-key", j["node_public_key"].get<std::string>()});
  EXPECT_EQ(pinned.exit_code, 0) << pinned.all();
  EXPECT_EQ(pinned.out, Verify(Node()).out);
  nlohmann::json init = nlohmann::json::parse(init_->out, nullptr, false);
  EXPECT_EQ(j["node_public_key"], init["node_public_key"]);
}

TEST_F(CliDemo, ChangedByteInAnEntryIsFoundAtItsSequence) {
  const uint64_t target = DemoHeadSeq() / 2;
  ASSERT_GT(target, 1u);
  size_t size = 0;
  {
    TempDir dir;
    std::string node = CopyNode(dir);
    EditStore(node, [&](Store& s) { size = EntryOf(s, target).size(); });
  }
  ASSERT_GT(size, 100u);
  // Version byte, the seq, the time, the node, the middle, the prev hash, the hash.
  for (size_t pos : {size_t{0}, size_t{1}, size_t{9}, size_t{18}, size / 2, size - 40, size - 1}) {
    TempDir dir;
    std::string node = CopyNode(dir);
    EditStore(node, [&](Store& s) {
      std::string entry = EntryOf(s, target);
      entry[pos] = static_cast<char>(entry[pos] ^ 0x01);
      Put(s, Column::kAudit, AuditEntryKey(target), entry);
    });
    ExpectBrokenAt(node, target, "byte " + std::to_string(pos) + " of entry " + std::to_string(target));
  }
}

TEST_F(CliDemo, HumanOutputNamesTheBrokenSequence) {
  const uint64_t target = DemoHeadSeq() / 2;
  TempDir dir;
  std::string node = CopyNode(dir);
  EditStore(node, [&](Store& s) {
    std::string entry = EntryOf(s, target);
    entry[entry.size() / 2] = static_cast<char>(entry[entry.size() / 2] ^ 0x20);
    Put(s, Column::kAudit, AuditEntryKey(target), entry);
  });
  RunResult r = Verify(node, {});
  EXPECT_EQ(r.exit_code, 3) << r.all();
  EXPECT_NE(r.out.find("BROKEN at sequence " + std::to_string(target)), std::string::npos) << r.out;
}

TEST_F(CliDemo, RemovedMiddleEntryIsFound) {
  const uint64_t target = DemoHeadSeq() / 2;
  TempDir dir;
  std::string node = CopyNode(dir);
  EditStore(node, [&](Store& s) { Delete(s, Column::kAudit, AuditEntryKey(target)); });
  ExpectBrokenAt(node, target, "removed entry");
}

TEST_F(CliDemo, SwappedPairIsFound) {
  const uint64_t target = DemoHeadSeq() / 2;
  TempDir dir;
  std::string node = CopyNode(dir);
  EditStore(node, [&](Store& s) {
    std::string a = EntryOf(s, target), b = EntryOf(s, target + 1);
    Batch batch;
    batch.Put(Column::kAudit, AuditEntryKey(target), b);
    batch.Put(Column::kAudit, AuditEntryKey(target + 1), a);
    ASSERT_TRUE(s.Write(batch, Durability::kSync).ok());
  });
  ExpectBrokenAt(node, target, "swapped pair");
}

TEST_F(CliDemo, TruncatedTailNamesTheFirstMissingSequence) {
  const uint64_t head = DemoHeadSeq();
  TempDir dir;
  std::string node = CopyNode(dir);
  EditStore(node, [&](Store& s) {
    Batch batch;
    for (uint64_t seq = head - 2; seq <= head; ++seq) batch.Delete(Column::kAudit, AuditEntryKey(seq));
    ASSERT_TRUE(s.Write(batch, Durability::kSync).ok());
  });
  ExpectBrokenAt(node, head - 2, "truncated tail");
}

TEST_F(CliDemo, RemovedHeadIsFound) {
  TempDir dir;
  std::string node = CopyNode(dir);
  EditStore(node, [&](Store& s) { Delete(s, Column::kMeta, std::string(kAuditHeadKey)); });
  RunResult r = Verify(node);
  EXPECT_EQ(r.exit_code, 3) << r.all();
}

TEST_F(CliDemo, AForeignPublicKeyFailsVerification) {
  const std::string foreign(64, 'a');
  RunResult r = Verify(Node(), {"--json", "--public-key", foreign});
  EXPECT_EQ(r.exit_code, 3) << r.all();
  nlohmann::json j = ParseJson(r);
  if (j.is_object()) {
    EXPECT_EQ(j["intact"], false);
  }
  RunResult human = Verify(Node(), {"--public-key", foreign});
  EXPECT_EQ(human.exit_code, 3) << human.all();
  EXPECT_NE(human.out.find("BROKEN at sequence"), std::string::npos) << human.out;
}

TEST_F(CliDemo, AMalformedPublicKeyIsAUsageError) {
  RunResult r = Verify(Node(), {"--json", "--public-key", "abc"});
  EXPECT_EQ(r.exit_code, 2) << r.all();
}

TEST(CliVerify, ANonexistentDirectoryIsAUsageError) {
  TempDir dir;
  RunResult human = RunBrankas({"audit", "verify", "--data-dir", dir.Sub("absent")});
  EXPECT_EQ(human.exit_code, 2) << human.all();
  EXPECT_FALSE(human.err.empty());
  RunResult json = RunBrankas({"audit", "verify", "--data-dir", dir.Sub("absent"), "--json"});
  EXPECT_EQ(json.exit_code, 2) << json.all();
  nlohmann::json j = ParseJson(json);
  if (j.is_object()) {
    EXPECT_EQ(j["intact"], false);
    EXPECT_TRUE(j.contains("error"));
  }
  EXPECT_FALSE(fs::exists(dir.Sub("absent"))) << "verification must not create anything";
}

TEST(CliVerify, WithoutADataDirectoryIsAUsageError) {
  // Without --data-dir, `audit verify` asks a server (the online verbs): with
  // no server configured anywhere, that is a usage error. A login cache or
  // BRANKAS_SERVER of whoever runs the tests must not count.
  TempDir home;
  setenv("HOME", home.path().c_str(), 1);
  for (const char* name : {"XDG_CONFIG_HOME", "BRANKAS_SERVER", "BRANKAS_CA", "BRANKAS_TOKEN"}) unsetenv(name);
  RunResult r = RunBrankas({"audit", "verify"});
  EXPECT_EQ(r.exit_code, 2) << r.all();
  EXPECT_NE(r.err.find("--server"), std::string::npos) << r.err;
}

TEST(CliUsage, UnknownCommandsAndMissingOptionsExitTwo) {
  EXPECT_EQ(RunBrankas({"no-such-command"}).exit_code, 2);
  EXPECT_EQ(RunBrankas({"demo"}).exit_code, 2);
  EXPECT_EQ(RunBrankas({"init", "--unit", "KPG"}).exit_code, 2);
  EXPECT_EQ(RunBrankas({"--help"}).exit_code, 0);
}

}  // namespace
}  // namespace brankas
