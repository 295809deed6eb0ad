// brankas restore --from HOST:PORT --unit CODE --data-dir D --central-pin PIN
//                 --cert FILE --key FILE [--node-key HEX] [--json]
//
// Brings a destroyed unit back from the central node (repl::RestoreFromCentral,
// replication/restore.h): pulls the unit's namespace into a temporary
// directory beside D, checks the transfer digest, verifies the audit chain
// with the unit's node key, starts a new generation, has the central node
// retire the old one, then swaps the directory in. An existing D is moved
// aside, never deleted; on any failure nothing is swapped in. The restored node
// starts sealed.
//
// --cert/--key: an identity the central node pins for this unit (the unit's
// replication identity). --central-pin: the central node's key (`brankas repl
// pin --cert CENTRAL_CERT`). A progress line (records and MB received) goes to
// stderr when stderr is a terminal.
//
// Exit 0 restored; 1 refused (the central node's key does not match
// --central-pin, or the central node refused the request); 2 usage or I/O
// error, or the central node cannot be reached; 3 what arrived does not
// verify (corruption: nothing is swapped in). With --json one object on
// stdout: {"ok":true,"unit","from","data_dir","records","bytes","mb","seconds",
// "old_generation","new_generation","central_seq","audit_entries",
// "audit_checkpoints","moved_aside","next"} or {"ok":false,"error"}; the
// error is on stderr in either case.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <sstream>

#include "brankas/crypto.h"
#include "brankas/types.h"
#include "brankas/replication.h"
#include "offline_commands.h"
#include "online_client.h"
#include "repl_commands.h"
#include "replication/restore.h"
#include "replication/wire.h"

namespace brankas::tools {
namespace {

constexpr char kNextStep[] =
    "start brankasd and unseal with the unit's passphrase or recovery shares: brankas unseal";

struct RestoreArgs {
  std::string from, unit, data_dir, central_pin, cert, key, node_key;
  bool json = false;
};

bool IsUnitCode(const std::string& unit) {
  if (unit.empty() || unit.size() > 16) return false;
  for (char c : unit) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

std::string Megabytes(uint64_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.1f", static_cast<double>(bytes) / 1e6);
  return buf;
}

std::string SecondsText(double s) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.1f", s);
  return buf;
}

int Fail(const RestoreArgs& a, int code, const std::string& message) {
  if (a.json) {
    std::cout << Json{{"ok", false}, {"error", message}}.dump(-1, ' ', false, Json::error_handler_t::replace) << "\n";
  }
  std::cerr << "brankas restore: " << message << "\n";
  return code;
}

// Corruption is what verification found; bad input, I/O and an unreachable
// central node are exit 2; a refusal (a pin that does not match, the central
// node saying no) is 1.
int ExitCodeOf(const Status& s) {
  switch (s.code()) {
    case Code::kCorruption:
      return kExitTampered;
    case Code::kInvalidArgument:
    case Code::kNotFound:
    case Code::kUnavailable:
      return kExitUsage;
    default:
      return kExitFailure;
  }
}

std::string Explain(const Status& s) {
  std::string message = s.message();
  if (s.code() == Code::kPermissionDenied && message.find("pinned") != std::string::npos) {
    message +=
        "\n  the central node's key does not match --central-pin: take the pin from the central node's "
        "certificate with `brankas repl pin --cert CENTRAL_CERT`";
  } else if (s.code() == Code::kCorruption) {
    message += "\n  nothing was swapped in: the data directory is as it was";
  } else if (s.code() == Code::kUnavailable && message.find("handshake") != std::string::npos) {
    message +=
        "\n  if the central node is reachable, check that its [[units]] entry for this unit pins the key of "
        "--cert, and that --central-pin is its own key's pin";
  }
  return message;
}

// True when a running process (brankasd) holds the RocksDB lock of `dir`.
bool InUse(const std::string& dir) {
  const std::string lock = dir + "/LOCK";
  int fd = open(lock.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  struct flock fl {};
  fl.l_type = F_WRLCK;
  fl.l_whence = SEEK_SET;
  fl.l_start = 0;
  fl.l_len = 0;
  const bool held = fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK;
  close(fd);
  return held;
}

int RunRestore(const RestoreArgs& a) {
  std::string host;
  uint16_t port = 0;
  if (!ParseHostPort(a.from, 1, &host, &port)) {
    return Fail(a, kExitUsage, "--from must be HOST:PORT of the central node's replication listener, not \"" +
                                   Printable(a.from) + "\"");
  }
  if (!IsUnitCode(a.unit)) return Fail(a, kExitUsage, "--unit must be 1-16 letters, digits, '-' or '_'");
  if (Status pin = ValidatePin(a.central_pin); !pin.ok()) {
    return Fail(a, kExitUsage, "--central-pin: " + pin.message() + " (see `brankas repl pin --cert CENTRAL_CERT`)");
  }
  if (!a.node_key.empty()) {
    std::string raw;
    if (!FromHex(a.node_key, &raw) || raw.size() != kSignPublicKeySize) {
      return Fail(a, kExitUsage, "--node-key must be 64 hex digits");
    }
  }
  if (InUse(a.data_dir)) {
    return Fail(a, kExitUsage, a.data_dir + " is in use by a running process (brankasd?): stop it first");
  }

  repl::RestoreOptions options;
  options.central = a.from;
  options.central_pin = a.central_pin;
  options.tls_cert = a.cert;
  options.tls_key = a.key;
  options.unit = a.unit;
  options.data_dir = a.data_dir;
  options.node_key_hex = a.node_key;
  const bool progress = isatty(STDERR_FILENO) != 0;
  bool progress_shown = false;
  auto last = std::chrono::steady_clock::time_point{};
  if (progress) {
    options.progress = [&](uint64_t records, uint64_t bytes) {
      const auto now = std::chrono::steady_clock::now();
      if (progress_shown && now - last < std::chrono::milliseconds(100)) return;
      last = now;
      progress_shown = true;
      std::cerr << "\rbrankas restore: " << records << " records, " << Megabytes(bytes) << " MB received"
                << std::flush;
    };
  }
  auto report = repl::RestoreFromCentral(options);
  if (progress_shown) {
    if (report.ok()) {
      std::cerr << "\rbrankas restore: " << report->records << " records, " << Megabytes(report->bytes)
                << " MB received";
    }
    std::cerr << "\n";
  }
  if (!report.ok()) return Fail(a, ExitCodeOf(report.status()), Explain(report.status()));

  const repl::RestoreReport& r = *report;
  if (a.json) {
    Json j = {{"ok", true},
              {"unit", a.unit},
              {"from", a.from},
              {"data_dir", a.data_dir},
              {"records", r.records},
              {"bytes", r.bytes},
              {"mb", static_cast<double>(r.bytes) / 1e6},
              {"seconds", r.seconds},
              {"old_generation", ToHex(r.old_generation)},
              {"new_generation", ToHex(r.new_generation)},
              {"central_seq", r.central_cursor.seq},
              {"audit_entries", r.audit.entries},
              {"audit_checkpoints", r.audit.checkpoints},
              {"moved_aside", r.moved_aside},
              {"next", kNextStep}};
    std::cout << j.dump(-1, ' ', false, Json::error_handler_t::replace) << "\n";
    return kExitOk;
  }
  std::cout << "Restored unit " << a.unit << " from " << a.from << " into " << Printable(a.data_dir) << ":\n"
            << "  records      " << r.records << " (" << Megabytes(r.bytes) << " MB) in " << SecondsText(r.seconds)
            << " s\n"
            << "  generation   " << ToHex(r.old_generation) << " → " << ToHex(r.new_generation)
            << " (the old one is retired at the central node)\n"
            << "  central seq  " << r.central_cursor.seq << "\n"
            << "  audit        " << r.audit.entries << " entries and " << r.audit.checkpoints
            << " signed checkpoints verified\n";
  if (!r.moved_aside.empty()) {
    std::cout << "  moved aside  the directory that was there is now " << Printable(r.moved_aside) << "\n";
  }
  std::cout << "Next: " << kNextStep << "\n";
  return kExitOk;
}

}  // namespace

void AddRestoreCommand(CLI::App& app, int* exit_code) {
  auto args = std::make_shared<RestoreArgs>();
  CLI::App* cmd = app.add_subcommand(
      "restore",
      "Bring a unit back from the central node into a data directory (offline: brankasd stopped). An existing "
      "directory is moved aside. Exit 0 restored, 1 refused (pin mismatch, central said no), 2 usage, I/O or "
      "unreachable, 3 what arrived does not verify");
  cmd->add_option("--from", args->from, "HOST:PORT of the central node's replication listener")->required();
  cmd->add_option("--unit", args->unit, "Unit code, e.g. KPG")->required();
  cmd->add_option("--data-dir", args->data_dir, "The unit's data directory to restore into")->required();
  cmd->add_option("--central-pin", args->central_pin,
                  "Pin of the central node's key: sha256:HEX (`brankas repl pin --cert CENTRAL_CERT`)")
      ->required();
  cmd->add_option("--cert", args->cert, "PEM certificate the central node pins for this unit")->required();
  cmd->add_option("--key", args->key, "PEM private key of --cert")->required();
  cmd->add_option("--node-key", args->node_key,
                  "The unit's node public key (64 hex digits): the restored audit chain must verify with it");
  cmd->add_flag("--json", args->json, "Machine-readable output");
  cmd->callback([args, exit_code] { *exit_code = RunRestore(*args); });
}

}  // namespace brankas::tools
