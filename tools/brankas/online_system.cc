// The node itself:
//   brankas unseal [--passphrase-file F | --share-file F | --share]   POST /v1/sys/unseal (no login)
//     The passphrase, or one recovery share per run (each custodian runs it
//     with their own); progress is printed until the threshold is reached.
//   brankas seal                                                      POST /v1/sys/seal
//   brankas health                                                    GET  /v1/health (no login)
//     Exit 0 when "ok", 1 when "sealed" or "degraded" (HTTP 503).
#include <iostream>

#include "brankas/crypto.h"
#include "offline_commands.h"
#include "online_commands.h"

namespace brankas::tools {
namespace {

struct UnsealArgs {
  CommonArgs common;
  std::string passphrase_file, share_file;
  bool share = false;
};

int RunUnseal(const UnsealArgs& a) {
  int code = kExitOk;
  auto conn = Connection::Open("unseal", a.common, Auth::kNone, &code);
  if (!conn) return code;
  const bool by_share = a.share || !a.share_file.empty();
  auto secret = by_share ? ObtainSecret(a.share_file, "Recovery share", "--share-file", false)
                         : ObtainSecret(a.passphrase_file, "Unit passphrase", "--passphrase-file", false);
  if (!secret.ok()) return conn->Fail(kExitUsage, secret.status().message());
  std::string body = by_share ? "{\"share\":" : "{\"passphrase\":";
  AppendJsonString(&body, *secret);
  body += "}";
  WipeString(*secret);
  Reply reply;
  code = conn->Call("POST", "/v1/sys/unseal", body, &reply);
  WipeString(body);
  if (code != kExitOk) return code;
  if (conn->json()) return conn->PrintRaw(reply);
  if (!reply.json.value("sealed", true)) {
    std::cout << "Unsealed " << conn->server() << ".\n";
  } else {
    const int64_t have = reply.json.value("shares", int64_t{0});
    const int64_t need = reply.json.value("threshold", int64_t{0});
    std::cout << "Share accepted: " << have << " of " << need << "; the vault stays sealed until "
              << (need - have) << " more " << (need - have == 1 ? "share is" : "shares are")
              << " given (brankas unseal --share).\n";
  }
  return kExitOk;
}

int RunSeal(const CommonArgs& a) {
  int code = kExitOk;
  auto conn = Connection::Open("seal", a, Auth::kToken, &code);
  if (!conn) return code;
  Reply reply;
  code = conn->Call("POST", "/v1/sys/seal", {}, &reply);
  if (code != kExitOk) return code;
  if (conn->json()) return conn->PrintRaw(reply);
  std::cout << "Sealed " << conn->server() << ": its keys are wiped from memory; `brankas unseal` opens it again.\n";
  return kExitOk;
}

int RunHealth(const CommonArgs& a) {
  int code = kExitOk;
  auto conn = Connection::Open("health", a, Auth::kNone, &code);
  if (!conn) return code;
  Reply reply;
  code = conn->CallAllowingErrors("GET", "/v1/health", &reply);
  if (!reply.json.is_object()) return code;
  if (reply.json.contains("error")) return conn->ReportError(reply);
  if (conn->json()) {
    conn->PrintRaw(reply);
  } else {
    std::cout << conn->server() << ": " << Text(reply.json, "status");
    if (!Text(reply.json, "unit").empty()) std::cout << " (unit " << Text(reply.json, "unit") << ")";
    std::cout << "\n";
  }
  return code;
}

}  // namespace

void AddSystemCommands(CLI::App& app, int* exit_code) {
  auto unseal = std::make_shared<UnsealArgs>();
  CLI::App* u = app.add_subcommand("unseal", "Unseal the server with the passphrase or one recovery share");
  AddCommonOptions(u, &unseal->common);
  CLI::Option* pass = u->add_option("--passphrase-file", unseal->passphrase_file,
                                    "Read the passphrase from the first line of this file (mode 0600)");
  CLI::Option* share_file = u->add_option("--share-file", unseal->share_file,
                                          "Read one recovery share from the first line of this file (mode 0600)")
                                ->excludes(pass);
  u->add_flag("--share", unseal->share, "Ask for a recovery share instead of the passphrase")
      ->excludes(pass)
      ->excludes(share_file);
  u->callback([unseal, exit_code] { *exit_code = RunUnseal(*unseal); });

  auto seal = std::make_shared<CommonArgs>();
  CLI::App* s = app.add_subcommand("seal", "Seal the server: zero its keys in memory (an administrator)");
  AddCommonOptions(s, seal.get());
  s->callback([seal, exit_code] { *exit_code = RunSeal(*seal); });

  auto health = std::make_shared<CommonArgs>();
  CLI::App* h = app.add_subcommand("health", "The server's state: ok, sealed or degraded (exit 1 unless ok)");
  AddCommonOptions(h, health.get());
  h->callback([health, exit_code] { *exit_code = RunHealth(*health); });
}

}  // namespace brankas::tools
