// Replication across real processes on 127.0.0.1: a central brankasd
// (role = "central") and unit servers (brankasd --dev --central ...), real TLS,
// real data directories, and a TCP fault proxy between each unit and the
// central node. After every fault the central copy of each unit must equal the
// unit's own (changelog head and a digest over every replicated key and value),
// the copy's audit chain must verify, and no acknowledged create may be missing.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <thread>

#include "brankas/changelog.h"
#include "brankas/server.h"
#include "brankas/store.h"
#include "integration/fault_proxy.h"
#include "integration/server_process.h"
#include "replication/central.h"
#include "replication/wire.h"
#include "testing/run_process.h"
#include "testing/temp_dir.h"

namespace brankas::testing {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using namespace std::chrono_literals;

std::string Pin(const std::string& cert) {
  auto p = PinOfCertificateFile(cert);
  return p.ok() ? *p : "";
}

// A unit server: brankasd --dev with a pre-made TLS identity (so the central
// node can pin it before the unit first starts), replicating through `proxy`.
struct Unit {
  std::string code, dir, pin;
  DevServer server;
  std::unique_ptr<FaultProxy> proxy;
  std::string admin, intake;
  std::vector<std::string> more_args;  // e.g. --referral-peer

  bool Start(const std::string& central_pin) {
    std::vector<std::string> extra = {"--unit", code, "--cases", "2", "--central",
                                      "127.0.0.1:" + std::to_string(proxy->port()), "--central-pin", central_pin};
    extra.insert(extra.end(), more_args.begin(), more_args.end());
    if (!server.Start(dir, extra)) return false;
    ApiClient c(server.url, server.ca);
    admin = c.Login(server.User("admin"), server.Password("admin"));
    intake = c.Login(server.User("intake"), server.Password("intake"));
    return !admin.empty() && !intake.empty();
  }

  json Status() {
    ApiClient c(server.url, server.ca);
    auto r = c.Call("GET", "/v1/replication/status", nullptr, admin);
    return r.status == 200 ? r.json : json();
  }
};

class ReplicationFaultTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(InitCrypto().ok());
    central_cert_ = dir_.Sub("central-cert.pem");
    ASSERT_TRUE(GenerateSelfSignedIdentity(central_cert_, dir_.Sub("central-key.pem"), "central").ok());
    central_pin_ = Pin(central_cert_);
    for (const char* code : {"KPG", "SLM"}) {
      auto u = std::make_unique<Unit>();
      u->code = code;
      u->dir = dir_.Sub(code);
      fs::create_directories(u->dir + "/tls");
      ASSERT_TRUE(GenerateSelfSignedIdentity(u->dir + "/tls/cert.pem", u->dir + "/tls/key.pem", code).ok());
      u->pin = Pin(u->dir + "/tls/cert.pem");
      units_.push_back(std::move(u));
    }
  }

  void TearDown() override {
    stop_load_ = true;
    for (auto& t : load_) t.join();
  }

  void WriteCentralConfig(uint16_t port) {
    std::ofstream f(dir_.Sub("central.toml"));
    f << "role = \"central\"\ndata_dir = \"" << dir_.Sub("central/data") << "\"\n"
      << "[central]\nlisten = \"127.0.0.1:" << port << "\"\n"
      << "tls_cert = \"" << central_cert_ << "\"\ntls_key = \"" << dir_.Sub("central-key.pem") << "\"\n"
      << "handshake_timeout_ms = 2000\nio_timeout_ms = 5000\n";
    for (const auto& u : units_) f << "[[units]]\ncode = \"" << u->code << "\"\npin = \"" << u->pin << "\"\n";
  }

  // Starts (or restarts, on the same port) the central node.
  bool StartCentral() {
    WriteCentralConfig(central_port_);
    fs::create_directories(dir_.Sub("central"));
    if (!central_.Spawn({BRANKAS_SERVER_BIN, "--config", dir_.Sub("central.toml")}, dir_.Sub("central/brankasd"))) {
      return false;
    }
    std::string line = central_.WaitFor("ready 127.0.0.1:");
    if (line.empty()) return false;
    central_port_ = static_cast<uint16_t>(std::stoi(line.substr(line.rfind(':') + 1)));
    return true;
  }

  bool StartAll() {
    if (!StartCentral()) return false;
    for (auto& u : units_) {
      u->proxy = FaultProxy::Start("127.0.0.1", central_port_);
      if (!u->proxy || !u->Start(central_pin_)) return false;
    }
    return true;
  }

  // Creates cases on `unit` from a background thread until stopped; the ids of
  // acknowledged (201) creates are kept.
  void StartLoad(Unit& unit) {
    load_.emplace_back([this, &unit] {
      ApiClient c(unit.server.url, unit.server.ca);
      const std::string worker = unit.server.User("case_worker");
      for (int i = 0; i < 100'000 && !stop_load_; ++i) {
        json fields = {{"name", "Uji Replikasi " + std::to_string(i)},
                       {"narrative", "[DATA SINTETIS] beban replikasi nomor " + std::to_string(i)}};
        auto r = c.Call("POST", "/v1/cases", {{"fields", fields}, {"assign_to", {worker}}}, unit.intake);
        if (r.status == 201) {
          std::lock_guard<std::mutex> lock(acked_mu_);
          acked_[unit.code].push_back(r.json.value("case_id", ""));
        } else if (r.status < 0) {
          std::this_thread::sleep_for(50ms);  // the unit itself is down (killed in a test)
          c = ApiClient(unit.server.url, unit.server.ca);
        }
      }
    });
  }
  void StopLoad() {
    stop_load_ = true;
    for (auto& t : load_) t.join();
    load_.clear();
    stop_load_ = false;
  }

  // Waits (bounded) until the unit reports everything acknowledged.
  bool Converged(Unit& u, std::chrono::seconds limit = 45s) {
    const auto until = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < until) {
      json s = u.Status();
      if (s.is_object() && !s["peers"].empty()) {
        const json& p = s["peers"][0];
        if (p["acked_seq"] == p["local_seq"] && p["lag_entries"] == 0 && p["acked_seq"].get<uint64_t>() > 0) {
          return true;
        }
      }
      std::this_thread::sleep_for(100ms);
    }
    return false;
  }

  // Stops everything, then compares each unit's store with the central copy.
  void ExpectCopiesEqual() {
    for (auto& u : units_) EXPECT_EQ(u->server.process.Stop(), 0) << u->code;
    EXPECT_EQ(central_.Stop(), 0) << central_.Logs();
    // No field value the load wrote, and no token, in any log of any process.
    std::vector<std::string> secrets = {"Uji Replikasi", "beban replikasi"};
    for (auto& u : units_) {
      secrets.push_back(u->admin);
      secrets.push_back(u->intake);
    }
    std::vector<std::string> logs = {central_.Logs()};
    for (auto& u : units_) logs.push_back(u->server.process.Logs());
    for (const std::string& log : logs) {
      ASSERT_FALSE(log.empty());
      for (const std::string& secret : secrets) {
        if (!secret.empty()) {
          EXPECT_EQ(log.find(secret), std::string::npos) << "a value or token is in a log";
        }
      }
    }
    for (auto& u : units_) {
      StoreOptions ro;
      ro.read_only = true;
      auto store = OpenRocksStore(u->dir + "/data", ro);
      ASSERT_TRUE(store.ok()) << store.status().ToString();
      auto digest = repl::ReplicatedDigest(**store, "");
      ASSERT_TRUE(digest.ok());
      auto drill = repl::DrillOffline(dir_.Sub("central/data"), u->code, "");
      ASSERT_TRUE(drill.ok()) << drill.status().ToString();
      EXPECT_TRUE(drill->ok) << u->code << ": " << drill->problem;
      EXPECT_EQ(drill->digest, digest->digest) << u->code << ": the central copy differs from the unit";
      EXPECT_EQ(drill->records, digest->count) << u->code;
      auto head = ChangelogWriter::Open(**store);
      ASSERT_TRUE(head.ok());
      EXPECT_EQ(drill->cursor.seq, (*head)->head().seq) << u->code;
      EXPECT_EQ(drill->cursor.hash, (*head)->head().hash) << u->code;
      // Every acknowledged create is in the central copy.
      std::lock_guard<std::mutex> lock(acked_mu_);
      StoreOptions cro;
      cro.read_only = true;
      auto central = OpenRocksStore(dir_.Sub("central/data"), cro);
      ASSERT_TRUE(central.ok());
      uint64_t missing = 0;
      for (const std::string& id : acked_[u->code]) {
        bool found = false;
        ASSERT_TRUE((*central)->Scan(Column::kRecords, repl::UnitPrefix(u->code), "", [&](std::string_view k, std::string_view) {
          found = k.find(id) != std::string_view::npos;
          return !found;
        }).ok());
        if (!found) ++missing;
        if (missing > 0) break;
      }
      EXPECT_EQ(missing, 0u) << u->code << ": an acknowledged case is not in the central copy";
    }
  }

  TempDir dir_;
  std::string central_cert_, central_pin_;
  uint16_t central_port_ = 0;
  ServerProcess central_;
  std::vector<std::unique_ptr<Unit>> units_;
  std::vector<std::thread> load_;
  std::atomic<bool> stop_load_{false};
  std::mutex acked_mu_;
  std::map<std::string, std::vector<std::string>> acked_;
};

TEST_F(ReplicationFaultTest, SteadyReplicationThenTheCentralNodeIsKilledMidStream) {
  ASSERT_TRUE(StartAll());
  for (auto& u : units_) StartLoad(*u);
  std::this_thread::sleep_for(1500ms);
  central_.Kill();  // SIGKILL mid-stream
  std::this_thread::sleep_for(1000ms);  // the units keep taking writes meanwhile
  ASSERT_TRUE(StartCentral()) << central_.Logs();
  std::this_thread::sleep_for(1500ms);
  StopLoad();
  for (auto& u : units_) {
    ASSERT_TRUE(Converged(*u)) << u->code << ": " << u->Status().dump();
    EXPECT_TRUE(u->Status()["peers"][0]["alarms"].empty()) << u->Status().dump();
    EXPECT_GT(acked_[u->code].size(), 10u);
  }
  ExpectCopiesEqual();
}

TEST_F(ReplicationFaultTest, AUnitKilledMidStreamCatchesUpAfterRestart) {
  ASSERT_TRUE(StartAll());
  Unit& kpg = *units_[0];
  StartLoad(kpg);
  std::this_thread::sleep_for(1500ms);
  kpg.server.process.Kill();  // SIGKILL: acknowledged creates must survive it
  StopLoad();
  ASSERT_TRUE(kpg.Start(central_pin_)) << kpg.server.process.Logs();
  StartLoad(kpg);
  std::this_thread::sleep_for(1000ms);
  StopLoad();
  ASSERT_TRUE(Converged(kpg)) << kpg.Status().dump();
  ASSERT_TRUE(Converged(*units_[1]));
  ExpectCopiesEqual();
}

TEST_F(ReplicationFaultTest, DelaysCutsTruncationAndCorruptionOnTheLink) {
  ASSERT_TRUE(StartAll());
  Unit& kpg = *units_[0];
  StartLoad(kpg);
  FaultProxy& link = *kpg.proxy;
  link.SetDelay(150ms);
  // An attachment of 12 chunks added meanwhile: its chunks cross the same
  // faulty link beside the changelog, resuming where each cut left them.
  std::thread attach([&] {
    ApiClient c(kpg.server.url, kpg.server.ca);
    const std::string worker = c.Login(kpg.server.User("case_worker"), kpg.server.Password("case_worker"));
    auto cases = c.Call("GET", "/v1/cases?assigned=me", nullptr, worker);
    ASSERT_EQ(cases.status, 200) << cases.body;
    ASSERT_FALSE(cases.json["cases"].empty());
    const std::string case_id = cases.json["cases"][0]["case_id"];
    auto client = tools::HttpsClient::Connect(tools::ClientOptions{kpg.server.url, kpg.server.ca, 30'000});
    ASSERT_TRUE(client.ok()) << client.status().ToString();
    const uint64_t size = 12u << 20;
    uint64_t produced = 0;
    auto source = [&](char* buf, size_t cap) -> Result<size_t> {
      const size_t n = static_cast<size_t>(std::min<uint64_t>(cap, size - produced));
      for (size_t i = 0; i < n; ++i) buf[i] = static_cast<char>(((produced + i) * 2654435761u) >> 13);
      produced += n;
      return n;
    };
    auto answer = (*client)->Upload("POST", "/v1/cases/" + case_id + "/evidence?name=rekaman.mp4&type=video/mp4",
                                    worker, size, "application/octet-stream", source);
    ASSERT_TRUE(answer.ok()) << answer.status().ToString();
    EXPECT_EQ(answer->status, 201) << answer->body;
  });
  std::this_thread::sleep_for(1000ms);
  link.Clear();
  for (int i = 0; i < 3; ++i) {
    std::this_thread::sleep_for(400ms);
    link.CutAll();
  }
  link.TruncateNextAfter(3000);
  std::this_thread::sleep_for(800ms);
  link.CorruptNextAfter(2000);  // TLS refuses the record; the session restarts
  std::this_thread::sleep_for(800ms);
  link.CorruptNextAfter(500, /*upstream=*/false);
  std::this_thread::sleep_for(800ms);
  link.SetBlackhole(true);  // a hung link: the deadlines cut it
  std::this_thread::sleep_for(1500ms);
  link.Clear();
  link.RefuseNew(true);  // central unreachable for a while
  link.CutAll();
  std::this_thread::sleep_for(1000ms);
  link.Clear();
  attach.join();
  StopLoad();
  ASSERT_TRUE(Converged(kpg, 60s)) << kpg.Status().dump();
  json status = kpg.Status()["peers"][0];
  EXPECT_TRUE(status["alarms"].empty()) << status.dump();  // link faults are retried, not alarms
  EXPECT_EQ(status["consecutive_failures"], 0);
  EXPECT_GT(link.connections_accepted(), 1u);  // the session was re-established
  ExpectCopiesEqual();
}

// Referral (rujukan) between two unit servers through the central node, over
// the HTTPS API: KPG refers a class of a case to SLM, SLM's supervisor and an
// assigned worker read it, KPG revokes and SLM loses access at its next contact.
TEST_F(ReplicationFaultTest, AReferralTravelsBetweenUnitServersAndItsRevocationFollows) {
  ASSERT_TRUE(StartAll());
  Unit& kpg = *units_[0];
  Unit& slm = *units_[1];
  // Each unit pins the other's node key (from its dev credentials), then restarts.
  auto node_key = [](Unit& u) {
    return nlohmann::json::parse(ReadWholeFile(u.dir + "/dev-credentials.json")).at("node_key").get<std::string>();
  };
  kpg.more_args = {"--referral-peer", "SLM=" + node_key(slm)};
  slm.more_args = {"--referral-peer", "KPG=" + node_key(kpg)};
  for (Unit* u : {&kpg, &slm}) {
    ASSERT_EQ(u->server.process.Stop(), 0);
    ASSERT_TRUE(u->Start(central_pin_)) << u->server.process.Logs();
  }

  ApiClient k(kpg.server.url, kpg.server.ca);
  const std::string worker = k.Login(kpg.server.User("case_worker"), kpg.server.Password("case_worker"));
  const std::string narrative = "[DATA SINTETIS] rujukan antar unit 7731";
  auto created = k.Call("POST", "/v1/cases", {{"fields", {{"narrative", narrative}, {"incident_place", "online"}}}},
                        worker);
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string case_id = created.json["case_id"];
  auto bad = k.Call("POST", "/v1/referrals", {{"case_id", case_id}, {"to_unit", "XYZ"}, {"classes", {"incident"}}},
                    worker);
  EXPECT_EQ(bad.status, 400) << bad.body;
  auto ref = k.Call("POST", "/v1/referrals", {{"case_id", case_id}, {"to_unit", "SLM"}, {"classes", {"incident"}}},
                    worker);
  ASSERT_EQ(ref.status, 201) << ref.body;
  const std::string id = ref.json["referral_id"];
  EXPECT_EQ(ref.json["direction"], "outgoing");

  ApiClient s(slm.server.url, slm.server.ca);
  const std::string sup = s.Login(slm.server.User("supervisor"), slm.server.Password("supervisor"));
  const std::string slm_worker_name = slm.server.User("case_worker");
  const std::string slm_worker = s.Login(slm_worker_name, slm.server.Password("case_worker"));
  ApiClient::Reply read;
  for (int i = 0; i < 300; ++i) {  // bounded: 30 s
    read = s.Call("GET", "/v1/referrals/" + id, nullptr, sup);
    if (read.status == 200) break;
    std::this_thread::sleep_for(100ms);
  }
  ASSERT_EQ(read.status, 200) << read.body;
  EXPECT_EQ(read.json["fields"]["narrative"], narrative);
  EXPECT_EQ(read.json["from_unit"], "KPG");
  auto listed = s.Call("GET", "/v1/referrals", nullptr, sup);
  ASSERT_EQ(listed.status, 200) << listed.body;
  ASSERT_EQ(listed.json["referrals"].size(), 1u);
  EXPECT_EQ(listed.json["referrals"][0]["direction"], "incoming");
  EXPECT_EQ(s.Call("GET", "/v1/referrals/" + id, nullptr, slm_worker).status, 403);
  // The same through the command line: list and show at SLM, assign, revoke at KPG.
  auto cli = [&](Unit& u, const std::string& token, std::vector<std::string> args) {
    args.insert(args.begin(), BRANKAS_CLI);
    const std::vector<std::string> env = {"HOME=" + dir_.path(), "XDG_CONFIG_HOME=" + dir_.Sub("cli-config"),
                                          "BRANKAS_SERVER=" + u.server.url, "BRANKAS_CA=" + u.server.ca,
                                          "BRANKAS_TOKEN=" + token};
    return RunProcess(std::move(args), &env);
  };
  RunResult cli_list = cli(slm, sup, {"referral", "list"});
  EXPECT_EQ(cli_list.exit_code, 0) << cli_list.all();
  EXPECT_NE(cli_list.out.find(id), std::string::npos) << cli_list.out;
  EXPECT_NE(cli_list.out.find("incoming"), std::string::npos) << cli_list.out;
  RunResult cli_show = cli(slm, sup, {"referral", "show", id});
  EXPECT_EQ(cli_show.exit_code, 0) << cli_show.all();
  EXPECT_NE(cli_show.out.find(narrative), std::string::npos) << cli_show.out;
  RunResult cli_assign = cli(slm, sup, {"referral", "assign", id, "--users", slm_worker_name});
  ASSERT_EQ(cli_assign.exit_code, 0) << cli_assign.all();
  EXPECT_EQ(s.Call("GET", "/v1/referrals/" + id, nullptr, slm_worker).status, 200);
  RunResult cli_bad = cli(kpg, worker, {"referral", "create", "--case", case_id, "--to", "XYZ", "--classes", "incident"});
  EXPECT_EQ(cli_bad.exit_code, 1) << cli_bad.all();

  RunResult cli_revoke = cli(kpg, worker, {"referral", "revoke", id});
  ASSERT_EQ(cli_revoke.exit_code, 0) << cli_revoke.all();
  EXPECT_NE(cli_revoke.out.find("Revoked"), std::string::npos) << cli_revoke.out;
  int status = 0;
  for (int i = 0; i < 300 && status != 403; ++i) {  // bounded: 30 s
    status = s.Call("GET", "/v1/referrals/" + id, nullptr, slm_worker).status;
    if (status != 403) std::this_thread::sleep_for(100ms);
  }
  EXPECT_EQ(status, 403);
  for (Unit* u : {&kpg, &slm}) ASSERT_TRUE(Converged(*u));
  ExpectCopiesEqual();
  for (Unit* u : {&kpg, &slm}) {
    EXPECT_EQ(u->server.process.Logs().find(narrative), std::string::npos) << u->code;
  }
  EXPECT_EQ(central_.Logs().find(narrative), std::string::npos);
}

TEST_F(ReplicationFaultTest, AnUnpinnedUnitIsRefused) {
  // A third unit whose key the central node does not pin.
  auto stranger = std::make_unique<Unit>();
  stranger->code = "XYZ";
  stranger->dir = dir_.Sub("XYZ");
  fs::create_directories(stranger->dir);
  ASSERT_TRUE(StartAll());
  stranger->proxy = FaultProxy::Start("127.0.0.1", central_port_);
  ASSERT_TRUE(stranger->Start(central_pin_)) << stranger->server.process.Logs();
  const auto until = std::chrono::steady_clock::now() + 20s;
  json peer;
  while (std::chrono::steady_clock::now() < until) {
    peer = stranger->Status()["peers"][0];
    if (peer["consecutive_failures"].get<int>() >= 2) break;
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_GE(peer["consecutive_failures"].get<int>(), 2) << peer.dump();
  EXPECT_EQ(peer["acked_seq"], 0);
  EXPECT_FALSE(central_.WaitFor("refused a connection", 10s).empty());
  EXPECT_EQ(stranger->server.process.Stop(), 0);
  for (auto& u : units_) ASSERT_TRUE(Converged(*u));
  ExpectCopiesEqual();
}

}  // namespace
}  // namespace brankas::testing
