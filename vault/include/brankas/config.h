// A node's configuration: config/unit.toml or config/central.toml (TOML).
//
// Strict: an unknown key, a wrong type or an impossible value is
// kInvalidArgument with a message naming the key and the file, and the node
// does not start. Relative paths are relative to the file's directory. Every
// key and its default is documented in config/unit.toml (role "unit") and
// config/central.toml (role "central").
#pragma once

#include <string>

#include "brankas/replication.h"
#include "brankas/server.h"
#include "brankas/status.h"
#include "brankas/vault.h"

namespace brankas {

// A unit reads data_dir, schema, policy, unseal_passphrase_file, [api],
// [limits], [sessions], [audit], [commit], [replication], [anomaly] (into
// api.anomaly), [statistics] and [log]; a central
// node reads data_dir, [central], [[units]] and [log]. A key of the other role
// is an error naming it; its fields here keep their defaults.
struct NodeConfig {
  std::string source;             // the file it was read from
  std::string role = "unit";      // "unit" | "central"
  std::string data_dir;           // required
  std::string schema_path;        // unit; default: schema.toml beside the config file
  std::string policy_path;        // unit; default: policy.toml beside the config file
  // A file holding the unseal passphrase (mode 0600 or stricter). Empty: the
  // node starts sealed and waits for POST /v1/sys/unseal.
  std::string unseal_passphrase_file;
  ServerOptions api;              // [api], [limits] and [anomaly]
  // [replication] of a unit: where and how it ships its changelog. Empty
  // `central`: replication off. tls_cert/tls_key default to the [api] pair.
  ShipperOptions replication;
  // [central] and [[units]] of a central node: its listener, identity and the
  // units it accepts (code, pin, optional node key). signing_key_file default:
  // central-signing.key in the parent directory of data_dir.
  CentralOptions central;
  // [sessions], [audit], [commit]: copied into VaultOptions by ToVaultOptions().
  int64_t session_ttl_s = 15 * 60;
  int login_max_failures = 5;
  int64_t login_lockout_s = 15 * 60;
  uint64_t password_hash_ops = 3;
  uint64_t password_hash_memory_mib = 256;
  int password_hash_concurrency = 2;
  uint64_t checkpoint_every_entries = 1000;
  int64_t checkpoint_every_s = 10;
  size_t max_group_size = 1024;
  RetentionPolicy retention;      // [retention]
  StatisticsOptions statistics;   // [statistics]: suppression_threshold
  std::map<std::string, std::string> referral_peers;  // [referral.peers]: unit -> node key (32 bytes)
  std::string log_level = "info";  // trace, debug, info, warn, error
  std::string log_file;            // empty: standard error

  // The vault options this configuration asks for (data dir, schema, policy, limits).
  VaultOptions ToVaultOptions() const;
};

Result<NodeConfig> LoadNodeConfig(const std::string& path);
// A file holding only an [anomaly] table, read as strictly (brankasd --dev
// --anomaly-config FILE): the auditor tools' thresholds without a node config.
Result<AnomalyOptions> ParseAnomalyConfig(std::string_view text, const std::string& source);
// The same over text already read (tests); `source` names it in messages and
// anchors relative paths.
Result<NodeConfig> ParseNodeConfig(std::string_view text, const std::string& source);

}  // namespace brankas
