// brankas init --data-dir D --unit CODE [--shares N --threshold K]
//              [--passphrase-file F | --no-passphrase] [--tls-dir DIR]
//              [--admin USER [--admin-password-file F]] [--json]
//
// Creates the node (root key, signing key, recovery shares), then its TLS
// identity (a self-signed pair in --tls-dir, by default a `tls` directory
// beside the data directory, as config/unit.toml expects; an existing pair is
// kept), then, with --admin, the first administrator account: the new vault is
// opened, unsealed with the passphrase (or the shares just made) and the
// account created as the bootstrap principal "brankas-init".
//
// Everything that can be refused is checked, and every secret obtained, before
// the node is created. If the TLS identity or the administrator fails after
// that, the shares are still printed (they exist only here) and the exit code
// is 1 with the reason on stderr.
#include <unistd.h>

#include <filesystem>
#include <iostream>

#include "brankas/crypto.h"
#include "brankas/keys.h"
#include "brankas/server.h"
#include "brankas/vault.h"
#include "offline_commands.h"
#include "online_client.h"
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
  std::string tls_dir;  // default: DefaultTlsDir(data_dir)
  std::string admin, admin_password_file;
};

// What happened after the node was created.
struct InitOutcome {
  std::string tls_cert, tls_key;
  bool tls_created = false;
  std::string tls_note;   // why the pair was not made (kept, or failed)
  std::string admin;      // created administrator, or empty
};

constexpr size_t kMinPasswordChars = 12;

namespace fs = std::filesystem;

// `<parent of D>/tls`: /var/lib/brankas/data -> /var/lib/brankas/tls.
std::string DefaultTlsDir(const std::string& data_dir) {
  fs::path d = fs::absolute(fs::path(data_dir)).lexically_normal();
  if (!d.has_filename()) d = d.parent_path();  // a trailing slash
  return (d.parent_path() / "tls").string();
}

// The rule of the engine's user names: [a-z0-9_.-]{1,64}.
bool IsValidUserName(const std::string& user) {
  if (user.empty() || user.size() > 64) return false;
  for (char c : user) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
    if (!ok) return false;
  }
  return true;
}

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
void PrintJson(const InitArgs& a, const InitResult& result, const InitOutcome& outcome) {
  std::cout << "{\"unit\":\"" << a.unit << "\",\"node_public_key\":\"" << ToHex(result.node_public_key)
            << "\",\"shares\":[";
  for (size_t i = 0; i < result.shares.size(); ++i) {
    std::cout << (i ? "," : "") << "\"" << result.shares[i] << "\"";
  }
  std::string tail = "],\"tls_cert\":";
  AppendJsonString(&tail, outcome.tls_cert);
  tail += ",\"tls_key\":";
  AppendJsonString(&tail, outcome.tls_key);
  tail += std::string(",\"tls_created\":") + (outcome.tls_created ? "true" : "false") + ",\"admin\":";
  if (outcome.admin.empty()) {
    tail += "null";
  } else {
    AppendJsonString(&tail, outcome.admin);
  }
  std::cout << tail << "}\n";
}

void PrintHuman(const InitArgs& a, const InitResult& result, const InitOutcome& outcome) {
  std::cout << "Initialized unit " << a.unit << " in " << a.data_dir << "\n"
            << "Node signing key (pin it on the central node): " << ToHex(result.node_public_key) << "\n";
  if (!result.shares.empty()) {
    std::cout << "\nRecovery shares (" << a.threshold << " of " << a.shares
              << " unseal the vault). They are shown ONCE: hand each to a different custodian.\n";
    for (size_t i = 0; i < result.shares.size(); ++i) {
      std::cout << "  share " << (i + 1) << ": " << result.shares[i] << "\n";
    }
  }
  std::cout << "\n";
  if (outcome.tls_created) {
    std::cout << "TLS identity (self-signed; replace it with your own if you have a CA):\n"
              << "  certificate " << outcome.tls_cert << "  (give it to clients: brankas --ca)\n"
              << "  private key " << outcome.tls_key << "\n";
  } else if (!outcome.tls_note.empty()) {
    std::cout << "TLS identity: " << outcome.tls_note << "\n";
  }
  if (!outcome.admin.empty()) {
    std::cout << "Administrator account: " << outcome.admin << "\n";
  } else if (a.admin.empty()) {
    std::cout << "No user account exists yet: give --admin USER to create the first administrator.\n";
  }
  std::cout << "\nThe vault starts sealed; unseal it with the passphrase"
            << (result.shares.empty() ? "" : " or the recovery shares") << ".\n";
}

// The administrator's password: the file, else asked twice on a terminal.
Result<std::string> ObtainAdminPassword(const InitArgs& a) {
  if (a.admin_password_file.empty() && !isatty(STDIN_FILENO)) {
    return FailedPrecondition("no terminal to ask for the administrator's password on (use --admin-password-file)");
  }
  BRANKAS_ASSIGN_OR_RETURN(std::string password, ObtainSecret(a.admin_password_file, "Password for the administrator " + a.admin,
                                                              "--admin-password-file", true));
  size_t chars = 0;
  for (unsigned char c : password) chars += (c & 0xC0) != 0x80;
  if (chars < kMinPasswordChars) {
    WipeString(password);
    return InvalidArgument("the administrator's password must be at least 12 characters");
  }
  return password;
}

// The TLS identity beside the node; an existing pair is kept.
Status MakeTlsIdentity(const InitArgs& a, InitOutcome* outcome) {
  const fs::path dir = a.tls_dir.empty() ? fs::path(DefaultTlsDir(a.data_dir)) : fs::path(a.tls_dir);
  outcome->tls_cert = (dir / "cert.pem").string();
  outcome->tls_key = (dir / "key.pem").string();
  std::error_code ec;
  const bool has_cert = fs::exists(outcome->tls_cert, ec), has_key = fs::exists(outcome->tls_key, ec);
  if (has_cert || has_key) {
    outcome->tls_note = "kept the existing " + (has_key ? outcome->tls_key : outcome->tls_cert) + " (nothing generated)";
    return Status::Ok();
  }
  fs::create_directories(dir, ec);
  if (ec) return Unavailable("cannot create " + dir.string());
  fs::permissions(dir, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec, fs::perm_options::replace, ec);
  Status s = GenerateSelfSignedIdentity(outcome->tls_cert, outcome->tls_key, "brankas-" + a.unit);
  if (!s.ok()) return s;
  outcome->tls_created = true;
  return Status::Ok();
}

// Opens the new vault, unseals it and creates the first administrator.
Status CreateAdministrator(const InitArgs& a, const std::optional<std::string>& passphrase,
                           const std::vector<std::string>& shares, const std::string& password) {
  VaultOptions options;
  options.data_dir = a.data_dir;
  options.schema_path = DefaultSchemaPath();
  if (a.fast_kdf) {
    options.password_argon.ops_limit = 1;
    options.password_argon.mem_limit = 8192;
  }
  BRANKAS_ASSIGN_OR_RETURN(std::unique_ptr<Vault> vault, Vault::Open(std::move(options)));
  const RequestContext bootstrap{Principal{"brankas-init", Role::kAdmin, a.unit}, "init-admin", "brankas-init"};
  if (passphrase) {
    BRANKAS_RETURN_IF_ERROR(vault->UnsealWithPassphrase(bootstrap, *passphrase));
  } else {
    for (size_t i = 0; i < shares.size() && vault->health() == Health::kSealed; ++i) {
      BRANKAS_RETURN_IF_ERROR(vault->UnsealWithShare(bootstrap, shares[i]).status());
    }
  }
  UserInfo info;
  info.user = a.admin;
  info.role = Role::kAdmin;
  info.unit = a.unit;
  return vault->CreateUser(bootstrap, info, password).status();
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
  if (!a.admin.empty() && !IsValidUserName(a.admin)) {
    std::cerr << "brankas init: --admin must be 1-64 of a-z, 0-9, '.', '_', '-'\n";
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
  std::string admin_password;
  if (!a.admin.empty()) {
    auto obtained = ObtainAdminPassword(a);
    if (!obtained.ok()) {
      if (init.passphrase) WipeString(*init.passphrase);
      std::cerr << "brankas init: " << obtained.status().message() << "\n";
      return kExitUsage;
    }
    admin_password = std::move(*obtained);
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
  if (!result.ok()) {
    if (init.passphrase) WipeString(*init.passphrase);
    WipeString(admin_password);
    std::cerr << "brankas init: " << result.status().ToString() << "\n";
    return ExitCodeOf(result.status());
  }
  // The node exists: from here on, the shares are printed whatever happens.
  InitOutcome outcome;
  int code = kExitOk;
  if (Status tls = MakeTlsIdentity(a, &outcome); !tls.ok()) {
    outcome.tls_note = "not created: " + tls.message();
    std::cerr << "brankas init: the TLS identity was not created: " << tls.ToString() << "\n";
    code = kExitFailure;
  }
  if (!a.admin.empty()) {
    Status admin = CreateAdministrator(a, init.passphrase, result->shares, admin_password);
    if (admin.ok()) {
      outcome.admin = a.admin;
    } else {
      std::cerr << "brankas init: the administrator " << a.admin << " was not created: " << admin.ToString() << "\n";
      code = kExitFailure;
    }
  }
  if (init.passphrase) WipeString(*init.passphrase);
  WipeString(admin_password);
  if (a.json) {
    PrintJson(a, *result, outcome);
  } else {
    PrintHuman(a, *result, outcome);
  }
  std::cout.flush();
  for (auto& s : result->shares) WipeString(s);
  return code;
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
  cmd->add_option("--tls-dir", args->tls_dir,
                  "Where to write the self-signed TLS identity cert.pem and key.pem (default: a `tls` "
                  "directory beside the data directory); an existing pair is kept");
  CLI::Option* admin =
      cmd->add_option("--admin", args->admin, "Create the first administrator account with this user name");
  cmd->add_option("--admin-password-file", args->admin_password_file,
                  "Read the administrator's password (at least 12 characters) from the first line of this "
                  "file (mode 0600) instead of asking twice")
      ->needs(admin);
  cmd->add_flag("--json", args->json, "Machine-readable output");
  cmd->callback([args, exit_code] { *exit_code = RunInit(*args); });
}

}  // namespace brankas::tools
