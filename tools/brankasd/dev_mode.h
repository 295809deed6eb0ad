// brankasd --dev: a development unit server in the spirit of Vault's dev mode
// (API.md). Never for production: its unseal passphrase and every demo
// password are written into the data directory.
#pragma once

#include <string>
#include <vector>

namespace brankas::tools {

struct DevOptions {
  std::string data_dir;                  // empty: a fresh temporary directory
  std::string listen = "127.0.0.1:0";    // HOST:PORT; port 0 picks a free one
  std::string unit = "DEV";              // the unit code of a new data directory
  std::string schema_path, policy_path;  // from the config directory
  int synthetic_cases = 6;
  bool access_log = true;
  int workers = 32;
  int io_threads = 2;
  // Replication to a central node (HOST:PORT and its key pin); empty: none.
  // The dev TLS identity (DATA_DIR/tls) is the unit's client identity.
  std::string central, central_pin;
  // A TOML file holding only an [anomaly] table (config/unit.toml documents
  // it): the auditor tools' thresholds. Empty: the defaults.
  std::string anomaly_config;
  // [statistics] suppression_threshold of the statistics export (2..1000).
  int statistics_threshold = 10;
  // Referral peers, "CODE=HEX" (the peer's node_key from its dev-credentials.json).
  std::vector<std::string> referral_peers;
};

// Serves until SIGTERM or SIGINT; returns the process exit code.
int RunDevServer(const DevOptions& options);

}  // namespace brankas::tools
