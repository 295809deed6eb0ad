#include "dev_mode.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "brankas/config.h"
#include "brankas/crypto.h"
#include "brankas/types.h"
#include "brankas/server.h"
#include "brankas/synth.h"
#include "brankas/vault.h"
#include "replication/shipper.h"
#include "secret_input.h"
#include "serve.h"

namespace brankas::tools {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

// One demo account per role of DOMAIN.md (API.md fixes the role keys).
struct DevUser {
  Role role;
  const char* name;
};
constexpr DevUser kDevUsers[] = {
    {Role::kIntake, "ina.intake"},         {Role::kCaseWorker, "citra.pendamping"},
    {Role::kSupervisor, "sari.kepala"},    {Role::kPsychologist, "putri.psikolog"},
    {Role::kMedical, "maya.dokter"},       {Role::kLegal, "rudi.jaksa"},
    {Role::kAuditor, "dewi.auditor"},      {Role::kAdmin, "adi.admin"},
};

// Development only: cheap Argon2id so that a dev server starts in a second.
Argon2Params DevArgon() {
  Argon2Params p;
  p.ops_limit = 1;
  p.mem_limit = 16ull << 20;
  return p;
}

int DevFail(const std::string& what, const Status& s) {
  std::cerr << "brankasd --dev: " << what << ": " << s.ToString() << "\n";
  return 2;
}

// Writes `text` to `path` with mode 0600, durably, replacing it atomically.
Status WritePrivateFile(const fs::path& path, const std::string& text) {
  const std::string tmp = path.string() + ".tmp";
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return Unavailable("cannot create " + tmp);
  bool ok = write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && fsync(fd) == 0;
  close(fd);
  if (!ok || rename(tmp.c_str(), path.c_str()) != 0) return Unavailable("cannot write " + path.string());
  return Status::Ok();
}

std::string RandomPassword() { return "dev-" + ToHex(RandomBytes(12)); }

struct DevNode {
  std::unique_ptr<Vault> vault;
  Json users;  // role -> {user, password}
};

RequestContext Ctx(const std::string& user, Role role, const std::string& unit, const std::string& what) {
  return RequestContext{Principal{user, role, unit}, "dev-" + what, "brankasd-dev"};
}

// A new node: init, TLS identity, demo users and synthetic cases.
Result<DevNode> CreateNode(const DevOptions& o, const fs::path& dir, VaultOptions vopt) {
  std::string passphrase = "dev-" + ToHex(RandomBytes(16));
  BRANKAS_RETURN_IF_ERROR(WritePrivateFile(dir / "dev-passphrase", passphrase + "\n"));
  InitOptions init;
  init.unit = o.unit;
  init.passphrase = passphrase;
  init.argon = DevArgon();
  VaultOptions init_opt;
  init_opt.data_dir = vopt.data_dir;
  init_opt.schema_path = vopt.schema_path;
  init_opt.policy_path = vopt.policy_path;
  BRANKAS_RETURN_IF_ERROR(Vault::Initialize(std::move(init_opt), init).status());
  fs::create_directories(dir / "tls");
  std::error_code ec;
  if (!fs::exists(dir / "tls/key.pem", ec)) {  // a test may have placed an identity to pin beforehand
    BRANKAS_RETURN_IF_ERROR(GenerateSelfSignedIdentity((dir / "tls/cert.pem").string(),
                                                       (dir / "tls/key.pem").string(), "brankas-dev-" + o.unit));
  }
  DevNode node;
  BRANKAS_ASSIGN_OR_RETURN(node.vault, Vault::Open(std::move(vopt)));
  BRANKAS_RETURN_IF_ERROR(node.vault->UnsealWithPassphrase(Ctx("brankasd-dev", Role::kAdmin, o.unit, "unseal"), passphrase));
  WipeString(passphrase);
  const RequestContext admin = Ctx("brankasd-dev", Role::kAdmin, o.unit, "setup");
  for (const DevUser& u : kDevUsers) {
    UserInfo info;
    info.user = u.name;
    info.role = u.role;
    std::string password = RandomPassword();
    BRANKAS_RETURN_IF_ERROR(node.vault->CreateUser(admin, info, password).status());
    node.users[std::string(RoleName(u.role))] = Json{{"user", u.name}, {"password", password}};
  }
  // Synthetic cases, registered by intake and assigned to the case worker.
  SyntheticGenerator gen(static_cast<uint64_t>(time(nullptr)));
  const RequestContext intake = Ctx("ina.intake", Role::kIntake, o.unit, "setup");
  for (int i = 0; i < o.synthetic_cases; ++i) {
    FieldValues fields;
    for (auto& [name, value] : gen.NewCase()) {
      const FieldDef* def = node.vault->schema().Find(name);
      const CaseContext own{"", o.unit, "ina.intake", {}};
      if (def == nullptr || !node.vault->policy().Decide(intake.principal, Action::kWrite, def->cls, own, {}, 0).allowed) {
        continue;
      }
      fields.emplace(name, std::move(value));
    }
    BRANKAS_RETURN_IF_ERROR(node.vault->CreateCase(intake, fields, {"citra.pendamping"}).status());
  }
  return node;
}

// An existing dev node: reopen and unseal with the passphrase it keeps.
Result<DevNode> ReopenNode(const fs::path& dir, VaultOptions vopt) {
  std::ifstream creds(dir / "dev-credentials.json");
  if (!creds) return FailedPrecondition(dir.string() + " holds a node that was not made by brankasd --dev");
  DevNode node;
  try {
    node.users = Json::parse(creds).at("users");
  } catch (const Json::exception&) {
    return Corruption((dir / "dev-credentials.json").string() + " is damaged");
  }
  BRANKAS_ASSIGN_OR_RETURN(std::string passphrase, ReadSecretFile((dir / "dev-passphrase").string()));
  BRANKAS_ASSIGN_OR_RETURN(node.vault, Vault::Open(std::move(vopt)));
  BRANKAS_RETURN_IF_ERROR(
      node.vault->UnsealWithPassphrase(Ctx("brankasd-dev", Role::kAdmin, node.vault->unit(), "unseal"), passphrase));
  WipeString(passphrase);
  return node;
}

}  // namespace

int RunDevServer(const DevOptions& o) {
  if (Status s = SetUpLogging("info", ""); !s.ok()) return DevFail("logging", s);
  spdlog::warn("DEVELOPMENT MODE: the unseal passphrase and every demo password are stored in the data "
               "directory. Never use --dev for real case data.");
  fs::path dir = o.data_dir;
  if (dir.empty()) {
    std::string tmpl = (fs::temp_directory_path() / "brankas-dev-XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr) return DevFail("data directory", Unavailable("cannot create a temporary directory"));
    dir = tmpl;
  }
  std::error_code ec;
  fs::create_directories(dir, ec);
  fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace, ec);
  dir = fs::absolute(dir);

  ServerOptions sopt;
  if (!ParseHostPort(o.listen, 0, &sopt.listen_host, &sopt.listen_port)) {
    return DevFail("--listen", InvalidArgument("expected HOST:PORT with a port from 0 to 65535"));
  }
  sopt.tls_cert_file = (dir / "tls/cert.pem").string();
  sopt.tls_key_file = (dir / "tls/key.pem").string();
  sopt.access_log = o.access_log;
  sopt.workers = o.workers;
  sopt.io_threads = o.io_threads;
  if (!o.anomaly_config.empty()) {
    std::ifstream in(o.anomaly_config, std::ios::binary);
    if (!in.is_open()) return DevFail("--anomaly-config", InvalidArgument("cannot read " + o.anomaly_config));
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto anomaly = ParseAnomalyConfig(text, o.anomaly_config);
    if (!anomaly.ok()) return DevFail("--anomaly-config", anomaly.status());
    sopt.anomaly = std::move(*anomaly);
  }

  VaultOptions vopt;
  vopt.data_dir = (dir / "data").string();
  vopt.schema_path = o.schema_path;
  vopt.policy_path = o.policy_path;
  vopt.password_argon = DevArgon();
  vopt.statistics.suppression_threshold = o.statistics_threshold;
  for (const std::string& peer : o.referral_peers) {
    const size_t eq = peer.find('=');
    std::string key;
    if (eq == std::string::npos || eq == 0 || !FromHex(peer.substr(eq + 1), &key) || key.size() != kSignPublicKeySize) {
      return DevFail("--referral-peer", InvalidArgument("expected CODE=NODE_KEY (64 hex digits)"));
    }
    vopt.referral_peers[peer.substr(0, eq)] = key;
  }
  const bool exists = fs::exists(dir / "data" / "CURRENT", ec);
  auto node = exists ? ReopenNode(dir, std::move(vopt)) : CreateNode(o, dir, std::move(vopt));
  if (!node.ok()) return DevFail("preparing " + dir.string(), node.status());

  std::unique_ptr<repl::Shipper> shipper;
  if (!o.central.empty()) {
    ShipperOptions ship;
    ship.central = o.central;
    ship.central_pin = o.central_pin;
    ship.tls_cert = sopt.tls_cert_file;
    ship.tls_key = sopt.tls_key_file;
    ship.backoff_min_ms = 100;
    ship.backoff_max_ms = 2000;
    ship.inbox_interval_ms = 1000;
    if (!o.referral_peers.empty()) {
      Vault* v = node->vault.get();
      ship.on_referrals = [v](const std::vector<ReferralDelivery>& d) { return v->ReceiveReferrals(d); };
    }
    auto started = repl::Shipper::Start(&node->vault->store(), node->vault->unit(), ship);
    if (!started.ok()) return DevFail("replication", started.status());
    shipper = std::move(*started);
    repl::Shipper* raw = shipper.get();
    sopt.replication_status = [raw] { return raw->status(); };
    spdlog::info("replicating to {}", o.central);
  }
  auto server = ApiServer::Start(node->vault.get(), sopt);
  if (!server.ok()) return DevFail("starting the API", server.status());
  const std::string url = "https://" + sopt.listen_host + ":" + std::to_string((*server)->port());
  Json creds{{"url", url},
             {"ca_cert", sopt.tls_cert_file},
             {"unit", node->vault->unit()},
             {"data_dir", dir.string()},
             {"users", node->users}};
  if (auto pin = PinOfCertificateFile(sopt.tls_cert_file); pin.ok()) creds["tls_pin"] = *pin;
  creds["node_key"] = ToHex(node->vault->node_public_key());
  if (Status s = WritePrivateFile(dir / "dev-credentials.json", creds.dump(2) + "\n"); !s.ok()) {
    return DevFail("credentials", s);
  }
  spdlog::info("dev credentials in {}", (dir / "dev-credentials.json").string());
  std::cout << "ready " << url << std::endl;
  spdlog::info("ready {}", url);
  int sig = WaitForStopSignal();
  spdlog::info("signal {} received: draining", sig);
  (*server)->Stop();
  server->reset();
  FinalCheckpoint(*node->vault);
  if (shipper) shipper->Stop(/*drain_ms=*/5000);  // ship what the last requests wrote
  shipper.reset();
  node->vault.reset();
  spdlog::info("stopped");
  return 0;
}

}  // namespace brankas::tools
