// brankasd: the Brankas server.
//   brankasd --config FILE          a unit node (starts sealed unless the config names an
//                                   unseal passphrase file), or a central node (role = "central")
//   brankasd --dev [--data-dir D] [--listen 127.0.0.1:PORT] [--unit CODE] [--cases N]
//                  [--central HOST:PORT --central-pin PIN] [--anomaly-config FILE]
//                  [--statistics-threshold N]
//                                   a development unit server (API.md), never for production
//   brankasd --check --config FILE  validates the configuration and exits
// Exit codes: 0 stopped cleanly, 1 failed while running, 2 configuration or start-up error.
#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <iostream>

#include "brankas/config.h"
#include "brankas/server.h"
#include "brankas/vault.h"
#include "dev_mode.h"
#include "paths.h"
#include "secret_input.h"
#include "replication/central.h"
#include "replication/shipper.h"
#include "serve.h"

namespace brankas::tools {
namespace {

constexpr int kExitOk = 0, kExitStart = 2;

int Fail(const std::string& what, const Status& s) {
  std::cerr << "brankasd: " << what << ": " << s.ToString() << "\n";
  return kExitStart;
}

// role = "central": the replication receiver until SIGTERM.
int RunCentral(const NodeConfig& config) {
  auto central = repl::CentralNode::Start(config.data_dir, config.central);
  if (!central.ok()) return Fail("starting the central node", central.status());
  const std::string where = config.central.listen_host + ":" + std::to_string((*central)->port());
  spdlog::info("central node: {} unit(s) pinned; receipts signed by {}", config.central.units.size(),
               ToHex((*central)->public_key()));
  std::cout << "ready " << where << std::endl;
  spdlog::info("ready {}", where);
  int sig = WaitForStopSignal();
  spdlog::info("signal {} received: stopping", sig);
  (*central)->Stop();
  central->reset();
  spdlog::info("stopped");
  return kExitOk;
}

int RunConfigured(const std::string& config_path, bool check_only) {
  auto config = LoadNodeConfig(config_path);
  if (!config.ok()) return Fail("configuration", config.status());
  if (check_only) {
    std::cout << config_path << ": ok\n";
    return kExitOk;
  }
  if (Status s = SetUpLogging(config->log_level, config->log_file); !s.ok()) return Fail("logging", s);
  if (config->role == "central") return RunCentral(*config);
  auto vault = Vault::Open(config->ToVaultOptions());
  if (!vault.ok()) return Fail("opening " + config->data_dir, vault.status());
  if (!config->unseal_passphrase_file.empty()) {
    auto passphrase = ReadSecretFile(config->unseal_passphrase_file);
    if (!passphrase.ok()) return Fail("unseal passphrase", passphrase.status());
    RequestContext rc{Principal{"brankasd", Role::kAdmin, (*vault)->unit()}, "startup-unseal", "local"};
    Status s = (*vault)->UnsealWithPassphrase(rc, *passphrase);
    WipeString(*passphrase);
    if (!s.ok()) return Fail("unsealing with " + config->unseal_passphrase_file, s);
  }
  // Replication ships ciphertext only: it runs sealed or not.
  std::unique_ptr<repl::Shipper> shipper;
  ServerOptions api = config->api;
  if (!config->replication.central.empty()) {
    Vault* v = vault->get();
    if (!config->referral_peers.empty()) {
      config->replication.on_referrals = [v](const std::vector<ReferralDelivery>& d) { return v->ReceiveReferrals(d); };
    }
    auto started = repl::Shipper::Start(&(*vault)->store(), (*vault)->unit(), config->replication);
    if (!started.ok()) return Fail("replication", started.status());
    shipper = std::move(*started);
    repl::Shipper* raw = shipper.get();
    api.replication_status = [raw] { return raw->status(); };
    spdlog::info("replicating to {}", config->replication.central);
  }
  auto server = ApiServer::Start(vault->get(), api);
  if (!server.ok()) return Fail("starting the API", server.status());
  spdlog::info("serving unit={} url=https://{}:{} state={}", (*vault)->unit(), config->api.listen_host,
               (*server)->port(), (*vault)->health() == Health::kSealed ? "sealed" : "unsealed");
  int sig = WaitForStopSignal();
  spdlog::info("signal {} received: draining", sig);
  (*server)->Stop();
  server->reset();
  FinalCheckpoint(**vault);
  if (shipper) shipper->Stop(config->api.drain_timeout_ms);  // ship what the last requests wrote
  shipper.reset();
  vault->reset();  // seals: keys zeroed
  spdlog::info("stopped");
  return kExitOk;
}

}  // namespace
}  // namespace brankas::tools

int main(int argc, char** argv) {
  using namespace brankas::tools;
  // No core dumps: they would hold keys and field values.
  rlimit no_core{0, 0};
  setrlimit(RLIMIT_CORE, &no_core);
  BlockStopSignals();

  CLI::App app{"brankasd — the Brankas server (HTTPS JSON API).\n"
               "Exit codes: 0 stopped cleanly, 1 failed while running, 2 configuration or start-up error."};
  std::string config_path;
  bool dev = false, check = false;
  DevOptions dev_options;
  app.add_option("--config", config_path, "the node's TOML configuration (config/unit.toml documents every key)");
  app.add_flag("--dev", dev, "development mode: a self-contained, unsealed unit server with demo users (never for production)");
  app.add_option("--data-dir", dev_options.data_dir, "--dev: the data directory (default: a fresh temporary one)");
  app.add_option("--listen", dev_options.listen, "--dev: HOST:PORT to listen on (port 0: a free port)");
  app.add_option("--unit", dev_options.unit, "--dev: the unit code of a new data directory (default DEV)");
  app.add_option("--cases", dev_options.synthetic_cases, "--dev: synthetic cases created in a new data directory")
      ->check(CLI::Range(0, 10000));
  bool no_access_log = false;
  app.add_option("--workers", dev_options.workers, "--dev: request worker threads (default 32)")->check(CLI::Range(1, 4096));
  app.add_option("--io-threads", dev_options.io_threads, "--dev: network threads (TLS, HTTP) (default 2)")
      ->check(CLI::Range(1, 64));
  app.add_flag("--no-access-log", no_access_log, "--dev: no log line per request");
  app.add_option("--central", dev_options.central, "--dev: replicate to the central node at HOST:PORT");
  app.add_option("--central-pin", dev_options.central_pin, "--dev: the central node's key pin (sha256:...)");
  app.add_option("--anomaly-config", dev_options.anomaly_config,
                 "--dev: a TOML file with an [anomaly] table (the auditor tools' thresholds, config/unit.toml)");
  app.add_option("--statistics-threshold", dev_options.statistics_threshold,
                 "--dev: the statistics export's suppression threshold (default 10; [statistics] in config/unit.toml)")
      ->check(CLI::Range(2, 1000));
  app.add_option("--referral-peer", dev_options.referral_peers,
                 "--dev: CODE=NODE_KEY_HEX of a unit to refer cases to and accept referrals from (repeatable; "
                 "[referral.peers] in config/unit.toml)");
  app.add_flag("--check", check, "with --config: validate the configuration and exit");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  if (dev == !config_path.empty()) {
    std::cerr << "brankasd: give exactly one of --config FILE or --dev (see --help)\n";
    return 2;
  }
  if (dev) {
    dev_options.schema_path = brankas::tools::DefaultSchemaPath();
    dev_options.policy_path = brankas::tools::ConfigDir() + "/policy.toml";
    dev_options.access_log = !no_access_log;
    return RunDevServer(dev_options);
  }
  return RunConfigured(config_path, check);
}
