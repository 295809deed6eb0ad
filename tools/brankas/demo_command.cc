// brankas demo --data-dir D [--passphrase-file F] [--seed N]
// Opens (or first initializes) a node's data directory, unseals it and walks
// the main journeys with synthetic data, printing what each user sees.
#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <iostream>

#include "brankas/crypto.h"
#include "brankas/vault.h"
#include "demo.h"
#include "offline_commands.h"
#include "paths.h"
#include "secret_input.h"

namespace brankas::tools {
namespace {

constexpr char kDemoUnit[] = "DEMO";
constexpr char kPassphraseFileName[] = "demo-passphrase";
constexpr size_t kMinPassphrase = 12;

struct DemoArgs {
  std::string data_dir, passphrase_file;
  uint64_t seed = 0;
  bool fast_kdf = false;
};

int Fail(int code, const Status& status) {
  std::cerr << "brankas demo: " << status.ToString() << "\n";
  return code;
}

std::string GeneratedPassphraseFile(const DemoArgs& a) {
  return (std::filesystem::path(a.data_dir) / kPassphraseFileName).string();
}

// RocksDB keeps a CURRENT file in every database directory.
bool HoldsDatabase(const std::string& dir) {
  std::error_code ec;
  return std::filesystem::exists(std::filesystem::path(dir) / "CURRENT", ec);
}

// Writes a fresh random passphrase to `path` (mode 0600, never overwriting).
Result<std::string> WriteGeneratedPassphrase(const std::string& path) {
  std::string passphrase = "demo-" + ToHex(RandomBytes(16));
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return Unavailable("cannot create " + path);
  std::string line = passphrase + "\n";
  bool written = write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) && fsync(fd) == 0;
  WipeString(line);
  close(fd);
  if (!written) {
    WipeString(passphrase);
    return Unavailable("cannot write " + path);
  }
  return passphrase;
}

// The passphrase for a new node: the given file, else a leftover generated
// file from an interrupted run, else a newly generated one.
Result<std::string> NewNodePassphrase(const DemoArgs& a, bool* generated) {
  *generated = false;
  if (!a.passphrase_file.empty()) return ReadSecretFile(a.passphrase_file);
  const std::string path = GeneratedPassphraseFile(a);
  std::error_code ec;
  if (std::filesystem::exists(path, ec)) return ReadSecretFile(path);
  std::filesystem::create_directories(a.data_dir, ec);
  if (ec) return Unavailable("cannot create " + a.data_dir);
  *generated = true;
  return WriteGeneratedPassphrase(path);
}

// Initializes a node in an empty data directory; returns an exit code.
int InitializeNode(const DemoArgs& a, std::string* passphrase) {
  bool generated = false;
  auto obtained = NewNodePassphrase(a, &generated);
  if (!obtained.ok()) return Fail(kExitUsage, obtained.status());
  *passphrase = std::move(*obtained);
  if (passphrase->size() < kMinPassphrase) {
    return Fail(kExitUsage, InvalidArgument("the passphrase must be at least 12 characters"));
  }
  InitOptions init;
  init.unit = kDemoUnit;
  init.passphrase = *passphrase;
  if (a.fast_kdf) {
    init.argon.ops_limit = 1;
    init.argon.mem_limit = 8192;
  }
  VaultOptions options;
  options.data_dir = a.data_dir;
  auto result = Vault::Initialize(std::move(options), init);
  WipeString(*init.passphrase);
  if (!result.ok()) return Fail(kExitFailure, demo::Context(result.status(), "initializing " + a.data_dir));
  for (auto& share : result->shares) WipeString(share);
  std::cout << "No node in " << a.data_dir << ": initialized unit " << kDemoUnit << " there.\n";
  if (generated) {
    std::cout << "A generated passphrase was written to " << GeneratedPassphraseFile(a)
              << " (mode 0600); the demo uses it to unseal this vault again.\n";
  }
  return kExitOk;
}

// The passphrase of an existing node: --passphrase-file, else the demo's own file.
Result<std::string> ExistingNodePassphrase(const DemoArgs& a) {
  if (!a.passphrase_file.empty()) return ReadSecretFile(a.passphrase_file);
  const std::string path = GeneratedPassphraseFile(a);
  std::error_code ec;
  if (std::filesystem::exists(path, ec)) return ReadSecretFile(path);
  return InvalidArgument(a.data_dir + " holds a node: give its passphrase with --passphrase-file");
}

int RunJourneys(Vault& vault, const DemoArgs& a) {
  demo::DemoContext ctx{vault, std::cout, a.data_dir, a.seed, {}, 0};
  std::cout << "Unit " << vault.unit() << ", unsealed. Every value below is SYNTHETIC (seed " << a.seed
            << "); every step is authorized, encrypted and audited by the engine.\n";
  for (auto* step : {demo::RegisterCases, demo::OwnerReads, demo::PsychologistReads, demo::SupervisorReads,
                     demo::OtherWorkerDenied, demo::LegalGrantJourney, demo::SearchByNik, demo::AuditorReview}) {
    Status s = step(ctx);
    if (!s.ok()) return Fail(kExitFailure, s);
  }
  demo::WhatNext(ctx);
  return kExitOk;
}

int RunDemo(DemoArgs a) {
  if (!InitCrypto().ok()) return Fail(kExitFailure, Internal("libsodium failed to initialize"));
  if (a.seed == 0) a.seed = 1 + GetBigEndian64(RandomBytes(8)) % 1'000'000;
  std::string passphrase;
  if (!HoldsDatabase(a.data_dir)) {
    int code = InitializeNode(a, &passphrase);
    if (code != kExitOk) {
      WipeString(passphrase);
      return code;
    }
  } else {
    auto existing = ExistingNodePassphrase(a);
    if (!existing.ok()) return Fail(kExitUsage, existing.status());
    passphrase = std::move(*existing);
  }
  VaultOptions options;
  options.data_dir = a.data_dir;
  options.schema_path = DefaultSchemaPath();
  auto vault = Vault::Open(std::move(options));
  if (!vault.ok()) {
    WipeString(passphrase);
    return Fail(kExitFailure, demo::Context(vault.status(), "opening " + a.data_dir));
  }
  RequestContext admin{Principal{"demo-admin", Role::kAdmin, (*vault)->unit()}, "demo-unseal", "brankas-demo"};
  Status unsealed = (*vault)->UnsealWithPassphrase(admin, passphrase);
  WipeString(passphrase);
  if (!unsealed.ok()) {
    int code = unsealed.code() == Code::kPermissionDenied ? kExitUsage : kExitFailure;
    return Fail(code, demo::Context(unsealed, "unsealing " + a.data_dir));
  }
  return RunJourneys(**vault, a);
}

}  // namespace

void AddDemoCommand(CLI::App& app, int* exit_code) {
  auto args = std::make_shared<DemoArgs>();
  CLI::App* cmd = app.add_subcommand(
      "demo", "Walk the main journeys on a data directory with synthetic cases (initializes it if empty)");
  cmd->add_option("--data-dir", args->data_dir,
                  "Data directory of a stopped node; an empty or missing one is initialized as unit DEMO")
      ->required();
  cmd->add_option("--passphrase-file", args->passphrase_file,
                  "The node's passphrase (mode 0600). Default: DIR/" + std::string(kPassphraseFileName) +
                      ", generated when the demo initializes the node");
  cmd->add_option("--seed", args->seed, "Seed of the synthetic data (default: random)");
  cmd->add_flag("--insecure-fast-kdf", args->fast_kdf,
                "When initializing: minimal Argon2id cost, for tests only")
      ->group("");
  cmd->callback([args, exit_code] { *exit_code = RunDemo(*args); });
}

}  // namespace brankas::tools
