// The replication verbs of the `brankas` command line, run as a real process:
// `repl pin`, `repl drill` and `restore`, against a real in-process central
// node (mutual TLS on 127.0.0.1 with generated identities) that holds the copy
// of a real unit vault shipped by a real Shipper. `repl status` needs a running
// brankasd (the integration tests cover it); here only its --help.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "brankas/audit.h"
#include "brankas/changelog.h"
#include "brankas/crypto.h"
#include "brankas/replication.h"
#include "brankas/server.h"
#include "brankas/store.h"
#include "brankas/synth.h"
#include "brankas/vault.h"
#include "engine/vault_test_util.h"
#include "replication/central.h"
#include "replication/shipper.h"
#include "testing/run_process.h"
#include "testing/temp_dir.h"
#include "replication/replication_fixture.h"

namespace brankas {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using testing::RunProcess;
using testing::RunResult;
using testing::TempDir;

RunResult RunBrankas(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {BRANKAS_CLI};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunProcess(std::move(argv));
}

nlohmann::json ParseJson(const RunResult& r) {
  auto j = nlohmann::json::parse(r.out, nullptr, /*allow_exceptions=*/false);
  EXPECT_TRUE(j.is_object()) << "not a JSON object: " << r.out << r.err;
  return j;
}

using testing::Identity;
using testing::MakeIdentity;
using testing::WaitFor;

// Names in `dir` that start with `prefix`.
std::vector<std::string> EntriesStartingWith(const std::string& dir, const std::string& prefix) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    if (name.rfind(prefix, 0) == 0) out.push_back(name);
  }
  return out;
}

class CliReplTest : public testing::ReplicationFixture {
 protected:
  void SetUp() override {
    ReplicationFixture::SetUp();
    StartCentral();
    case_ids_ = CreateCases(12);
    ASSERT_EQ(case_ids_.size(), 12u);
    ShipUntilCaughtUp();
    node_key_ = ToHex(unit_.vault().node_public_key());
  }

  std::string CentralDir() const { return dir_.Sub("central"); }
  std::string From() const { return "127.0.0.1:" + std::to_string(central_->port()); }

  std::vector<std::string> RestoreArgs(const std::string& data_dir, const std::string& pin) const {
    return {"restore",      "--from", From(),        "--unit", "KPG",        "--data-dir", data_dir,
            "--central-pin", pin,     "--cert",      unit_id_.cert, "--key", unit_id_.key, "--json"};
  }

  // Opens `data_dir` as the unit's vault and unseals it with the fixture's passphrase.
  Result<std::unique_ptr<Vault>> OpenAndUnseal(const std::string& data_dir) {
    VaultOptions o = unit_.Options();
    o.data_dir = data_dir;
    BRANKAS_ASSIGN_OR_RETURN(auto vault, Vault::Open(std::move(o)));
    BRANKAS_RETURN_IF_ERROR(vault->UnsealWithPassphrase(unit_.Ctx("admin", Role::kAdmin), testing::kTestPassphrase));
    return vault;
  }

  std::vector<std::string> case_ids_;
  std::string node_key_;
};

TEST_F(CliReplTest, HelpOfEveryVerb) {
  for (const std::vector<std::string>& verb : std::vector<std::vector<std::string>>{
           {"repl", "status"}, {"repl", "pin"}, {"repl", "drill"}, {"restore"}}) {
    std::vector<std::string> args = verb;
    args.push_back("--help");
    RunResult r = RunBrankas(args);
    EXPECT_EQ(r.exit_code, 0) << verb.back() << ": " << r.all();
    EXPECT_NE(r.out.find("xit "), std::string::npos) << verb.back() << ": " << r.out;
  }
  RunResult status = RunBrankas({"repl", "status", "--help"});
  EXPECT_NE(status.out.find("--json"), std::string::npos);
  EXPECT_NE(status.out.find("--server"), std::string::npos);
  RunResult top = RunBrankas({"--help"});
  EXPECT_EQ(top.exit_code, 0);
  EXPECT_NE(top.out.find("repl"), std::string::npos);
  EXPECT_NE(top.out.find("restore"), std::string::npos);
  // Missing required flags are usage errors.
  EXPECT_EQ(RunBrankas({"restore", "--unit", "KPG"}).exit_code, 2);
  EXPECT_EQ(RunBrankas({"repl", "drill", "--unit", "KPG"}).exit_code, 2);
}

TEST_F(CliReplTest, PinIsThatOfTheLibrary) {
  for (const Identity* id : {&central_id_, &unit_id_}) {
    RunResult r = RunBrankas({"repl", "pin", "--cert", id->cert});
    ASSERT_EQ(r.exit_code, 0) << r.all();
    EXPECT_EQ(r.out, id->pin + "\n");
    EXPECT_TRUE(ValidatePin(r.out.substr(0, r.out.size() - 1)).ok());
  }
  RunResult json = RunBrankas({"repl", "pin", "--cert", central_id_.cert, "--json"});
  ASSERT_EQ(json.exit_code, 0) << json.all();
  EXPECT_EQ(ParseJson(json).value("pin", ""), central_id_.pin);

  RunResult missing = RunBrankas({"repl", "pin", "--cert", dir_.Sub("no-such.pem")});
  EXPECT_EQ(missing.exit_code, 2) << missing.all();
  EXPECT_TRUE(missing.out.empty());
  EXPECT_FALSE(missing.err.empty());
}

TEST_F(CliReplTest, IdentityMakesAKeyOnceAndPrintsItsPin) {
  const std::string cert = dir_.Sub("new-cert.pem"), key = dir_.Sub("new-key.pem");
  RunResult made = RunBrankas({"repl", "identity", "--cert", cert, "--key", key, "--name", "central"});
  ASSERT_EQ(made.exit_code, 0) << made.all();
  auto pin = PinOfCertificateFile(cert);
  ASSERT_TRUE(pin.ok());
  EXPECT_EQ(made.out, *pin + "\n");
  struct stat st {};
  ASSERT_EQ(stat(key.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  // An existing key is never overwritten.
  RunResult again = RunBrankas({"repl", "identity", "--cert", cert, "--key", key});
  EXPECT_EQ(again.exit_code, 2) << again.all();
  EXPECT_EQ(*PinOfCertificateFile(cert), *pin);
}

TEST_F(CliReplTest, DrillOnTheCentralCopySaysOk) {
  // While the central node runs (the drill opens its store read-only)...
  RunResult live = RunBrankas({"repl", "drill", "--data-dir", CentralDir(), "--unit", "KPG", "--json"});
  ASSERT_EQ(live.exit_code, 0) << live.all();
  nlohmann::json j = ParseJson(live);
  EXPECT_TRUE(j.value("ok", false)) << live.out;
  EXPECT_EQ(j.value("cursor_seq", uint64_t{0}), unit_.vault().changelog_head().seq);
  EXPECT_GT(j.value("records", uint64_t{0}), 0u);
  EXPECT_TRUE(j.value("audit_intact", false));
  EXPECT_GT(j.value("audit_entries", uint64_t{0}), 0u);
  EXPECT_EQ(j.value("digest", "").size(), 64u);
  EXPECT_EQ(j.value("receipts_valid", uint64_t{1}), j.value("receipts", uint64_t{0}));

  // ...and once it is stopped, human output, with the unit's node key pinned.
  central_.reset();
  RunResult r = RunBrankas({"repl", "drill", "--data-dir", CentralDir(), "--unit", "KPG", "--node-key", node_key_});
  ASSERT_EQ(r.exit_code, 0) << r.all();
  EXPECT_NE(r.out.find("OK"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("seq " + std::to_string(unit_.vault().changelog_head().seq)), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(j.value("digest", "")), std::string::npos) << r.out;

  // A unit the central node holds nothing for; a directory that is not one.
  RunResult unknown = RunBrankas({"repl", "drill", "--data-dir", CentralDir(), "--unit", "XYZ"});
  EXPECT_EQ(unknown.exit_code, 1) << unknown.all();
  EXPECT_NE(unknown.err.find("XYZ"), std::string::npos) << unknown.err;
  RunResult nowhere = RunBrankas({"repl", "drill", "--data-dir", dir_.Sub("nowhere"), "--unit", "KPG"});
  EXPECT_EQ(nowhere.exit_code, 2) << nowhere.all();
  RunResult bad_key = RunBrankas({"repl", "drill", "--data-dir", CentralDir(), "--unit", "KPG", "--node-key", "abc"});
  EXPECT_EQ(bad_key.exit_code, 2) << bad_key.all();
}

TEST_F(CliReplTest, DrillFindsATamperedCopy) {
  central_.reset();
  {
    auto store = OpenRocksStore(CentralDir(), StoreOptions{});
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    const std::string prefix = repl::UnitPrefix("KPG");
    std::string key, value;
    ASSERT_TRUE((*store)->Scan(Column::kAudit, prefix + AuditEntryKey(2), "", [&](std::string_view k, std::string_view v) {
      key = std::string(k);
      value = std::string(v);
      return false;
    }).ok());
    ASSERT_FALSE(key.empty());
    value[value.size() / 2] ^= 0x01;
    Batch b;
    b.Put(Column::kAudit, key, value);
    ASSERT_TRUE((*store)->Write(b, Durability::kSync).ok());
  }
  RunResult r = RunBrankas({"repl", "drill", "--data-dir", CentralDir(), "--unit", "KPG"});
  EXPECT_EQ(r.exit_code, 3) << r.all();
  EXPECT_NE(r.out.find("PROBLEM"), std::string::npos) << r.out;
  RunResult j = RunBrankas({"repl", "drill", "--data-dir", CentralDir(), "--unit", "KPG", "--json"});
  EXPECT_EQ(j.exit_code, 3) << j.all();
  nlohmann::json parsed = ParseJson(j);
  EXPECT_FALSE(parsed.value("ok", true));
  EXPECT_FALSE(parsed.value("problem", "").empty());
}

TEST_F(CliReplTest, RestoreIntoAFreshDirectoryOpensAndUnseals) {
  const std::string target = dir_.Sub("restored");
  std::vector<std::string> args = RestoreArgs(target, central_id_.pin);
  args.insert(args.end(), {"--node-key", node_key_});
  RunResult r = RunBrankas(args);
  ASSERT_EQ(r.exit_code, 0) << r.all();
  nlohmann::json j = ParseJson(r);
  EXPECT_TRUE(j.value("ok", false));
  EXPECT_GT(j.value("records", uint64_t{0}), 0u);
  EXPECT_GT(j.value("bytes", uint64_t{0}), 0u);
  EXPECT_GT(j.value("audit_entries", uint64_t{0}), 0u);
  EXPECT_EQ(j.value("central_seq", uint64_t{0}), unit_.vault().changelog_head().seq);
  EXPECT_EQ(j.value("old_generation", "").size(), 32u);
  EXPECT_EQ(j.value("new_generation", "").size(), 32u);
  EXPECT_NE(j.value("old_generation", ""), j.value("new_generation", ""));
  EXPECT_EQ(j.value("moved_aside", "x"), "");
  EXPECT_NE(j.value("next", "").find("brankas unseal"), std::string::npos);
  // Not a terminal: no progress line.
  EXPECT_TRUE(r.err.empty()) << r.err;

  auto vault = OpenAndUnseal(target);
  ASSERT_TRUE(vault.ok()) << vault.status().ToString();
  for (const std::string& id : case_ids_) {
    auto c = (*vault)->ReadCase(unit_.Ctx("citra", Role::kCaseWorker), id);
    EXPECT_TRUE(c.ok()) << id << ": " << c.status().ToString();
  }
  auto generation = (*vault)->store().Get(Column::kMeta, kGenerationKey);
  ASSERT_TRUE(generation.ok() && *generation);
  EXPECT_EQ(ToHex(**generation), j.value("new_generation", ""));

  // While the restored node is open, a restore into its directory is refused.
  RunResult busy = RunBrankas(RestoreArgs(target, central_id_.pin));
  EXPECT_EQ(busy.exit_code, 2) << busy.all();
  EXPECT_NE(busy.err.find("in use"), std::string::npos) << busy.err;
  EXPECT_TRUE(EntriesStartingWith(dir_.path(), "restored.").empty());
  vault->reset();

  // Restored again over it (human output): the existing directory is moved aside, not deleted.
  std::vector<std::string> human = RestoreArgs(target, central_id_.pin);
  human.pop_back();  // --json
  RunResult again = RunBrankas(human);
  ASSERT_EQ(again.exit_code, 0) << again.all();
  EXPECT_NE(again.out.find("Restored unit KPG"), std::string::npos) << again.out;
  EXPECT_NE(again.out.find("moved aside"), std::string::npos) << again.out;
  EXPECT_NE(again.out.find("brankas unseal"), std::string::npos) << again.out;
  EXPECT_NE(again.out.find(j.value("new_generation", "") + " → "), std::string::npos) << again.out;
  const auto aside = EntriesStartingWith(dir_.path(), "restored.replaced-");
  ASSERT_EQ(aside.size(), 1u);
  EXPECT_NE(again.out.find(aside[0]), std::string::npos);
  EXPECT_TRUE(fs::exists(dir_.Sub(aside[0]) + "/CURRENT"));
  auto reopened = OpenAndUnseal(target);
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
}

TEST_F(CliReplTest, RestoreWithAWrongPinFailsAndCreatesNothing) {
  const std::string target = dir_.Sub("restored");
  RunResult r = RunBrankas(RestoreArgs(target, stranger_id_.pin));
  EXPECT_EQ(r.exit_code, 1) << r.all();
  EXPECT_NE(r.err.find("pin"), std::string::npos) << r.err;
  EXPECT_FALSE(ParseJson(r).value("ok", true));
  EXPECT_FALSE(fs::exists(target));
  EXPECT_TRUE(EntriesStartingWith(dir_.path(), "restored").empty());

  // A pin that is not one at all is a usage error.
  RunResult malformed = RunBrankas(RestoreArgs(target, "sha256:1234"));
  EXPECT_EQ(malformed.exit_code, 2) << malformed.all();
  EXPECT_NE(malformed.err.find("--central-pin"), std::string::npos) << malformed.err;
  EXPECT_FALSE(fs::exists(target));
}

TEST_F(CliReplTest, RestoreWithAnotherNodeKeyIsRefusedAsCorrupt) {
  const std::string target = dir_.Sub("restored");
  std::vector<std::string> args = RestoreArgs(target, central_id_.pin);
  args.insert(args.end(), {"--node-key", std::string(64, 'a')});
  RunResult r = RunBrankas(args);
  EXPECT_EQ(r.exit_code, 3) << r.all();
  EXPECT_NE(r.err.find("node key"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(target));
  EXPECT_TRUE(EntriesStartingWith(dir_.path(), "restored").empty());
}

TEST_F(CliReplTest, ABadFromGivesAClearError) {
  const std::string target = dir_.Sub("restored");
  std::vector<std::string> args = RestoreArgs(target, central_id_.pin);
  args[2] = "central.example";  // no port
  RunResult no_port = RunBrankas(args);
  EXPECT_EQ(no_port.exit_code, 2) << no_port.all();
  EXPECT_NE(no_port.err.find("--from must be HOST:PORT"), std::string::npos) << no_port.err;

  // A port nothing listens on: bound, then closed again.
  const uint16_t port = central_->port();
  central_.reset();
  args[2] = "127.0.0.1:" + std::to_string(port);
  RunResult refused = RunBrankas(args);
  EXPECT_EQ(refused.exit_code, 2) << refused.all();
  EXPECT_NE(refused.err.find("central node"), std::string::npos) << refused.err;
  EXPECT_FALSE(fs::exists(target));
  EXPECT_TRUE(EntriesStartingWith(dir_.path(), "restored").empty());
}

}  // namespace
}  // namespace brankas
