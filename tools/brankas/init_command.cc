// brankas init --data-dir D --unit CODE [--shares N --threshold K]
//              [--passphrase-file F | --no-passphrase] [--json]
#include <filesystem>
#include <iostream>

#include "brankas/crypto.h"
#include "brankas/keys.h"
#include "brankas/vault.h"
#include "offline_commands.h"
#include "paths.h"
#include "secret_input.h"

namespace brankas::tools {
namespace {

struct InitArgs {
  std::string data_dir, unit, passphrase_file;
  int shares = 0, threshold = 0;
  bool no_passphrase = false;
  bool fast_kdf = false;
  bool json = false;
};

// The rule Vault::Initialize applies, checked before asking for a passphrase.
bool IsValidUnitCode(const std::string& unit) {
  if (unit.empty() || unit.size() > 16) return false;
  for (char c : unit) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
              c == '_';
    if (!ok) return false;
  }
  return true;
}

// True if dir already holds an initialized node (checked read-only, before the
// passphrase is asked for; Vault::Initialize checks again).
bool HoldsNode(const std::string& dir) {
  std::error_code ec;
  if (!std::filesystem::exists(std::filesystem::path(dir) / "CURRENT", ec)) return false;
  auto store = OpenRocksStore(dir, {.read_only = true});
  return store.ok() && LoadNodePublicKey(**store).ok();
}

Result<std::optional<std::string>> ObtainPassphrase(const InitArgs& a) {
  if (a.no_passphrase) return std::optional<std::string>();
  if (!a.passphrase_file.empty()) {
    BRANKAS_ASSIGN_OR_RETURN(std::string p, ReadSecretFile(a.passphrase_file));
    return std::optional<std::string>(std::move(p));
  }
  auto prompted = PromptSecret("New unit passphrase: ");
  if (!prompted.ok()) {
    return Status(prompted.status().code(), prompted.status().message() + " (use --passphrase-file)");
  }
  std::string first = std::move(*prompted);
  auto again = PromptSecret("Repeat the passphrase: ");
  if (!again.ok()) {
    WipeString(first);
    return again.status();
  }
  std::string second = std::move(*again);
  bool same = ConstantTimeEqual(first, second);
  WipeString(second);
  if (!same) {
    WipeString(first);
    return InvalidArgument("the two passphrases differ");
  }
  return std::optional<std::string>(std::move(first));
}

// Written by hand rather than through a JSON library, so that no unwiped copy
// of a share is left on the heap. Nothing needs escaping: the unit code is
// checked, the key is hex and shares are "brankas-share-" + hex.
void PrintJson(const InitArgs& a, const InitResult& result) {
  std::cout << "{\"unit\":\"" << a.unit << "\",\"node_public_key\":\"" << ToHex(result.node_public_key)
            << "\",\"shares\":[";
  for (size_t i = 0; i < result.shares.size(); ++i) {
    std::cout << (i ? "," : "") << "\"" << result.shares[i] << "\"";
  }
  std::cout << "]}\n";
}

void PrintHuman(const InitArgs& a, const InitResult& result) {
  std::cout << "Initialized unit " << a.unit << " in " << a.data_dir << "\n"
            << "Node signing key (pin it on the central node): " << ToHex(result.node_public_key) << "\n";
  if (!result.shares.empty()) {
    std::cout << "\nRecovery shares (" << a.threshold << " of " << a.shares
              << " unseal the vault). They are shown ONCE: hand each to a different custodian.\n";
    for (size_t i = 0; i < result.shares.size(); ++i) {
      std::cout << "  share " << (i + 1) << ": " << result.shares[i] << "\n";
    }
  }
  std::cout << "\nThe vault starts sealed; unseal it with the passphrase"
            << (result.shares.empty() ? "" : " or the recovery shares") << ".\n";
}

// Usage and I/O problems exit 2, anything else 1.
int ExitCodeOf(const Status& s) {
  switch (s.code()) {
    case Code::kInvalidArgument:
    case Code::kFailedPrecondition:
    case Code::kNotFound:
    case Code::kUnavailable:
      return kExitUsage;
    default:
      return kExitFailure;
  }
}

int RunInit(const InitArgs& a) {
  if (!IsValidUnitCode(a.unit)) {
    std::cerr << "brankas init: --unit must be 1-16 letters, digits, '-' or '_'\n";
    return kExitUsage;
  }
  if (HoldsNode(a.data_dir)) {
    std::cerr << "brankas init: " << a.data_dir << " already holds a node\n";
    return kExitUsage;
  }
  if (a.shares != 0 || a.threshold != 0) {
    if (a.threshold < 1 || a.shares < a.threshold || a.shares > 255) {
      std::cerr << "brankas init: need 1 <= --threshold <= --shares <= 255\n";
      return kExitUsage;
    }
  }
  if (a.no_passphrase && a.shares == 0) {
    std::cerr << "brankas init: with --no-passphrase, recovery shares are required (--shares, --threshold)\n";
    return kExitUsage;
  }
  auto passphrase = ObtainPassphrase(a);
  if (!passphrase.ok()) {
    std::cerr << "brankas init: " << passphrase.status().message() << "\n";
    return kExitUsage;
  }
  InitOptions init;
  init.unit = a.unit;
  init.passphrase = std::move(*passphrase);
  if (init.passphrase && init.passphrase->size() < 12) {
    WipeString(*init.passphrase);
    std::cerr << "brankas init: the passphrase must be at least 12 characters\n";
    return kExitUsage;
  }
  init.shares = a.shares;
  init.threshold = a.threshold;
  if (a.fast_kdf) {
    init.argon.ops_limit = 1;
    init.argon.mem_limit = 8192;
  }
  VaultOptions options;
  options.data_dir = a.data_dir;
  auto result = Vault::Initialize(std::move(options), init);
  if (init.passphrase) WipeString(*init.passphrase);
  if (!result.ok()) {
    std::cerr << "brankas init: " << result.status().ToString() << "\n";
    return ExitCodeOf(result.status());
  }
  if (a.json) {
    PrintJson(a, *result);
  } else {
    PrintHuman(a, *result);
  }
  std::cout.flush();
  for (auto& s : result->shares) WipeString(s);
  return kExitOk;
}

}  // namespace

void AddInitCommand(CLI::App& app, int* exit_code) {
  auto args = std::make_shared<InitArgs>();
  CLI::App* cmd = app.add_subcommand("init", "Create a new node: root key, signing key, recovery shares");
  cmd->add_option("--data-dir", args->data_dir, "Data directory (must not hold a node)")->required();
  cmd->add_option("--unit", args->unit, "Unit code, e.g. KPG (letters, digits, '-', '_'; at most 16)")
      ->required();
  cmd->add_option("--shares", args->shares, "Split the root key into N recovery shares");
  cmd->add_option("--threshold", args->threshold, "Shares needed to unseal (K of N)");
  CLI::Option* file = cmd->add_option("--passphrase-file", args->passphrase_file,
                                      "Read the passphrase (at least 12 characters) from the first line "
                                      "of this file (mode 0600) instead of asking");
  cmd->add_flag("--no-passphrase", args->no_passphrase, "Seal by recovery shares only")->excludes(file);
  cmd->add_flag("--insecure-fast-kdf", args->fast_kdf,
                "Minimal Argon2id cost: for tests and benchmarks only, never for real data")
      ->group("");
  cmd->add_flag("--json", args->json, "Machine-readable output");
  cmd->callback([args, exit_code] { *exit_code = RunInit(*args); });
}

}  // namespace brankas::tools
