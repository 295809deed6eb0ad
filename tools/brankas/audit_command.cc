// brankas audit verify --data-dir D [--json] [--public-key HEX]
// Exit 0 intact, 3 tampered or broken (naming the first bad sequence), 2 usage
// or I/O error. With --json one object on stdout:
//   {"intact", "entries", "checkpoints", "node_public_key"[, "first_bad_seq", "problem"]}
// or, on an error, {"intact": false, "error": "..."}.
//
// brankas audit verify --export FILE [--node-key HEX | --node-key-file F] [--json]
// checks an audit export offline (audit_export_command.cc, which also has
// `audit export`).
//
// Without --data-dir (and --export), `audit verify` asks a running server to
// verify its live chain (GET /v1/audit/verify, online_audit.cc), with the
// online verbs' --server, --ca and login; `audit query` is online too.
#include <iostream>

#include <nlohmann/json.hpp>

#include "brankas/audit.h"
#include "brankas/crypto.h"
#include "brankas/keys.h"
#include "brankas/store.h"
#include "audit_export.h"
#include "offline_commands.h"
#include "online_commands.h"

namespace brankas::tools {
namespace {

struct VerifyArgs {
  std::string data_dir;
  std::string export_file;
  std::string public_key_hex;
  std::string node_key_hex, node_key_file;  // --export
  bool json = false;
  CommonArgs online;  // --server, --ca (the online verification)
};

int Fail(const VerifyArgs& a, int code, const std::string& message) {
  if (a.json) {
    std::cout << nlohmann::json{{"intact", false}, {"error", message}}.dump() << "\n";
  } else {
    std::cerr << "brankas audit verify: " << message << "\n";
  }
  return code;
}

int RunVerify(const VerifyArgs& a) {
  if (!InitCrypto().ok()) return Fail(a, kExitFailure, "libsodium failed to initialize");
  if (!a.export_file.empty()) {
    if (!a.public_key_hex.empty() && !a.node_key_hex.empty()) {
      return Fail(a, kExitUsage, "--public-key and --node-key say the same; give one");
    }
    return RunAuditExportVerify({.file = a.export_file,
                                 .node_key_hex = a.node_key_hex.empty() ? a.public_key_hex : a.node_key_hex,
                                 .node_key_file = a.node_key_file,
                                 .json = a.json});
  }
  if (!a.node_key_hex.empty() || !a.node_key_file.empty()) {
    return Fail(a, kExitUsage, "--node-key and --node-key-file need --export (with --data-dir: --public-key)");
  }
  if (a.data_dir.empty()) {
    if (!a.public_key_hex.empty()) return Fail(a, kExitUsage, "--public-key needs --data-dir");
    CommonArgs online = a.online;
    online.json = a.json;
    return RunOnlineAuditVerify(online);
  }
  auto store = OpenRocksStore(a.data_dir, {.read_only = true});
  if (!store.ok()) {
    // A database that does not even open is broken, not a usage error.
    int code = store.status().code() == Code::kCorruption ? kExitTampered : kExitUsage;
    return Fail(a, code, store.status().ToString());
  }
  std::string public_key;
  if (!a.public_key_hex.empty()) {
    if (!FromHex(a.public_key_hex, &public_key) || public_key.size() != kSignPublicKeySize) {
      return Fail(a, kExitUsage, "--public-key must be 64 hex digits");
    }
  } else {
    auto stored = LoadNodePublicKey(**store);
    if (!stored.ok()) {
      int code = stored.status().code() == Code::kCorruption ? kExitTampered : kExitUsage;
      return Fail(a, code, stored.status().ToString());
    }
    public_key = *stored;
  }
  auto report = VerifyAuditChain(**store, public_key);
  if (!report.ok()) {
    int code = report.status().code() == Code::kCorruption ? kExitTampered : kExitUsage;
    return Fail(a, code, report.status().ToString());
  }
  if (a.json) {
    nlohmann::json j = {{"intact", report->intact},
                        {"entries", report->entries},
                        {"checkpoints", report->checkpoints},
                        {"node_public_key", ToHex(public_key)}};
    if (!report->intact) {
      j["first_bad_seq"] = report->first_bad_seq;
      j["problem"] = report->problem;
    }
    std::cout << j.dump() << "\n";
  } else if (report->intact) {
    std::cout << "audit trail intact: " << report->entries << " entries, " << report->checkpoints
              << " signed checkpoints, signed head verified (key " << ToHex(public_key).substr(0, 16)
              << "…)\n";
  } else {
    std::cout << "audit trail BROKEN at sequence " << report->first_bad_seq << ": " << report->problem
              << "\n";
  }
  return report->intact ? kExitOk : kExitTampered;
}

}  // namespace

void AddAuditCommand(CLI::App& app, int* exit_code) {
  CLI::App* audit = app.add_subcommand("audit", "Audit trail tools");
  audit->require_subcommand(1);
  auto args = std::make_shared<VerifyArgs>();
  CLI::App* verify = audit->add_subcommand(
      "verify",
      "Walk the whole audit chain and every signature (exit 0 intact, 3 tampered, 2 error): offline on "
      "--data-dir or an --export file, else the server's live chain (GET /v1/audit/verify)");
  CLI::Option* dir = verify->add_option("--data-dir", args->data_dir,
                                        "A stopped node's data directory (opened read-only)");
  CLI::Option* file =
      verify->add_option("--export", args->export_file, "An audit export file (`brankas audit export`), offline")
          ->excludes(dir);
  CLI::Option* node_key =
      verify->add_option("--node-key", args->node_key_hex,
                         "With --export: the node's signing key (hex) to pin; without it the file's own key is "
                         "used (trust on first use)")
          ->needs(file);
  verify->add_option("--node-key-file", args->node_key_file, "With --export: a file holding the node key (hex)")
      ->needs(file)
      ->excludes(node_key);
  verify->add_option("--server", args->online.server,
                     "Online: https://HOST:PORT (default: $BRANKAS_SERVER, else the login)")
      ->excludes(dir)
      ->excludes(file);
  verify->add_option("--ca", args->online.ca,
                     "Online: PEM file of the server's CA (default: $BRANKAS_CA, else the login's)")
      ->excludes(dir)
      ->excludes(file);
  verify->add_option("--public-key", args->public_key_hex,
                     "Pin the node's signing key (hex) instead of trusting the one stored beside the chain");
  verify->add_flag("--json", args->json, "Machine-readable output");
  verify->callback([args, exit_code] { *exit_code = RunVerify(*args); });
  AddAuditQueryVerb(audit, exit_code);
  AddAuditExportVerb(audit, exit_code);
  AddAuditToolVerbs(audit, exit_code);
}

}  // namespace brankas::tools
