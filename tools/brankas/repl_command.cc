// brankas repl status [--server URL] [--ca FILE] [--json]
//   GET /v1/replication/status (an administrator or auditor). One row per
//   peer, then every active alarm on its own line. Exit 0, or 3 when any
//   alarm is active (also with --json, which prints the server's object).
// brankas repl pin --cert FILE [--json]
//   The pin of the certificate's key ("sha256:" + 64 hex digits): what goes
//   into central_pin of a unit's [replication], or `pin` of a central node's
//   [[units]]. Exit 0, 2 when the file cannot be read.
// brankas repl drill --data-dir CENTRAL_DATA_DIR --unit CODE [--node-key HEX] [--json]
//   A restore drill on the central node's own copy of one unit, opened
//   read-only (the central node may be running): the cursor, the records and
//   their digest, the unit's audit chain verified with its node key, and every
//   countersigned receipt. Exit 0 when the copy verifies, 3 when it does not
//   (the problem is named), 1 when the central node holds nothing for the
//   unit, 2 usage or I/O error.
#include <sys/stat.h>

#include <cmath>
#include <ctime>
#include <iostream>
#include <sstream>

#include "brankas/crypto.h"
#include "brankas/replication.h"
#include "brankas/server.h"
#include "demo.h"
#include "offline_commands.h"
#include "online_commands.h"
#include "repl_commands.h"
#include "replication/central.h"

namespace brankas::tools {
namespace {

// --- repl status -------------------------------------------------------------

uint64_t U64(const Json& j, const char* key) {
  if (!j.is_object()) return 0;
  auto it = j.find(key);
  if (it == j.end()) return 0;
  if (it->is_number_unsigned()) return it->get<uint64_t>();
  if (it->is_number_integer()) {
    const int64_t v = it->get<int64_t>();
    return v < 0 ? 0 : static_cast<uint64_t>(v);
  }
  if (it->is_number_float()) {
    const double v = it->get<double>();
    return v > 0 && std::isfinite(v) ? static_cast<uint64_t>(v) : 0;
  }
  return 0;
}

bool Bool(const Json& j, const char* key) {
  if (!j.is_object()) return false;
  auto it = j.find(key);
  return it != j.end() && it->is_boolean() && it->get<bool>();
}

double Double(const Json& j, const char* key) {
  if (!j.is_object()) return 0;
  auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<double>() : 0;
}

// "12s ago", "never" for 0.
std::string Ago(uint64_t unix_seconds, int64_t now) {
  if (unix_seconds == 0) return "never";
  const int64_t ago = now - static_cast<int64_t>(unix_seconds);
  return std::to_string(ago < 0 ? 0 : ago) + "s ago";
}

std::string Seconds(double s) {
  std::ostringstream out;
  out.setf(std::ios::fixed);
  out.precision(1);
  out << (std::isfinite(s) && s > 0 ? s : 0.0);
  return out.str();
}

const Json& Peers(const Json& answer) {
  static const Json kEmpty = Json::array();
  auto it = answer.find("peers");
  return it != answer.end() && it->is_array() ? *it : kEmpty;
}

bool AnyAlarm(const Json& answer) {
  for (const Json& p : Peers(answer)) {
    if (!p.is_object()) continue;
    auto it = p.find("alarms");
    if (it != p.end() && it->is_array() && !it->empty()) return true;
  }
  return false;
}

int RunStatus(const CommonArgs& a) {
  int code = kExitOk;
  auto conn = Connection::Open("repl status", a, Auth::kToken, &code);
  if (!conn) return code;
  Reply reply;
  code = conn->Call("GET", "/v1/replication/status", {}, &reply);
  if (code != kExitOk) return code;
  const bool alarm = AnyAlarm(reply.json);
  if (conn->json()) {
    conn->PrintRaw(reply);
    return alarm ? kExitTampered : kExitOk;
  }
  const std::string unit = Text(reply.json, "unit");
  if (!Bool(reply.json, "enabled")) {
    std::cout << "replication is not configured on " << conn->server()
              << (unit.empty() ? "" : " (unit " + unit + ")") << ".\n";
    return kExitOk;
  }
  const int64_t now = static_cast<int64_t>(std::time(nullptr));
  const Json& peers = Peers(reply.json);
  std::cout << "Replication of unit " << (unit.empty() ? "?" : unit) << " (" << conn->server() << "):\n";
  demo::Table table({"PEER", "CONNECTED", "LOCAL", "ACKED", "LAG ENTRIES", "LAG S", "PENDING BYTES",
                     "LAST CONTACT", "FAILURES", "ALARMS"});
  for (const Json& p : peers) {
    if (!p.is_object()) continue;
    const auto alarms = p.find("alarms");
    const size_t n_alarms = alarms != p.end() && alarms->is_array() ? alarms->size() : 0;
    table.Add({Text(p, "peer"), Bool(p, "connected") ? "yes" : "no", std::to_string(U64(p, "local_seq")),
               std::to_string(U64(p, "acked_seq")), std::to_string(U64(p, "lag_entries")),
               Seconds(Double(p, "lag_seconds")), std::to_string(U64(p, "bytes_pending")),
               Ago(U64(p, "last_contact"), now), std::to_string(U64(p, "consecutive_failures")),
               std::to_string(n_alarms)});
  }
  table.Print(std::cout, "");
  for (const Json& p : peers) {
    if (!p.is_object()) continue;
    const std::string peer = Text(p, "peer");
    const std::string last_error = Text(p, "last_error");
    if (U64(p, "consecutive_failures") > 0 && !last_error.empty()) {
      std::cout << "last error (" << peer << "): " << last_error << "\n";
    }
    auto alarms = p.find("alarms");
    if (alarms == p.end() || !alarms->is_array()) continue;
    for (const Json& alarm_text : *alarms) {
      std::cout << "ALARM (" << peer << "): "
                << Printable(alarm_text.is_string() ? alarm_text.get<std::string>() : alarm_text.dump()) << "\n";
    }
  }
  if (alarm) std::cerr << "brankas repl status: replication alarms are active (exit 3)\n";
  return alarm ? kExitTampered : kExitOk;
}

// --- repl pin ----------------------------------------------------------------

struct PinArgs {
  std::string cert;
  bool json = false;
};

int RunPin(const PinArgs& a) {
  auto pin = PinOfCertificateFile(a.cert);
  if (!pin.ok()) {
    if (a.json) std::cout << Json{{"error", pin.status().message()}}.dump() << "\n";
    std::cerr << "brankas repl pin: " << pin.status().message() << "\n";
    return kExitUsage;
  }
  if (a.json) {
    std::cout << Json{{"cert", a.cert}, {"pin", *pin}}.dump(-1, ' ', false, Json::error_handler_t::replace) << "\n";
  } else {
    std::cout << *pin << "\n";
  }
  return kExitOk;
}

// --- repl identity -----------------------------------------------------------

struct IdentityArgs {
  std::string cert, key, name = "brankas";
};

// A self-signed TLS identity (EC P-256) for a central node or a unit's
// replication client, then its pin. The key is created exclusively (0600).
int RunIdentity(const IdentityArgs& a) {
  Status s = GenerateSelfSignedIdentity(a.cert, a.key, a.name);
  if (!s.ok()) {
    std::cerr << "brankas repl identity: " << s.message() << "\n";
    return kExitUsage;
  }
  auto pin = PinOfCertificateFile(a.cert);
  if (!pin.ok()) {
    std::cerr << "brankas repl identity: " << pin.status().message() << "\n";
    return kExitUsage;
  }
  std::cout << *pin << "\n";
  return kExitOk;
}

// --- repl drill --------------------------------------------------------------

struct DrillArgs {
  std::string data_dir, unit, node_key;
  bool json = false;
};

int DrillFail(const DrillArgs& a, int code, const std::string& message) {
  if (a.json) {
    std::cout << Json{{"ok", false}, {"unit", a.unit}, {"error", message}}.dump(-1, ' ', false,
                                                                                  Json::error_handler_t::replace)
              << "\n";
  }
  std::cerr << "brankas repl drill: " << message << "\n";
  return code;
}

int RunDrill(const DrillArgs& a) {
  struct stat st {};
  if (stat(a.data_dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return DrillFail(a, kExitUsage, "no such directory: " + a.data_dir);
  }
  if (stat((a.data_dir + "/CURRENT").c_str(), &st) != 0) {
    return DrillFail(a, kExitUsage, a.data_dir + " is not a central node's data directory (no database in it)");
  }
  auto report = repl::DrillOffline(a.data_dir, a.unit, a.node_key);
  if (!report.ok()) {
    const Status& s = report.status();
    int code = kExitUsage;
    if (s.code() == Code::kCorruption) {
      code = kExitTampered;
    } else if (s.code() == Code::kNotFound) {
      code = kExitFailure;  // the central node holds nothing for this unit
    }
    return DrillFail(a, code, s.message());
  }
  const repl::DrillReport& r = *report;
  if (a.json) {
    Json j = {{"ok", r.ok},
              {"unit", r.unit},
              {"cursor_seq", r.cursor.seq},
              {"generation", ToHex(r.cursor.generation)},
              {"records", r.records},
              {"digest", ToHex(r.digest)},
              {"audit_intact", r.audit.intact},
              {"audit_entries", r.audit.entries},
              {"audit_checkpoints", r.audit.checkpoints},
              {"receipts", r.receipts},
              {"receipts_valid", r.receipts_valid}};
    if (!r.ok) j["problem"] = r.problem;
    std::cout << j.dump(-1, ' ', false, Json::error_handler_t::replace) << "\n";
  } else {
    std::cout << "Restore drill of unit " << r.unit << " on " << a.data_dir << " (read-only):\n"
              << "  cursor      seq " << r.cursor.seq << ", generation "
              << (r.cursor.generation.empty() ? "-" : ToHex(r.cursor.generation)) << "\n"
              << "  records     " << r.records << "\n"
              << "  digest      " << ToHex(r.digest) << "\n"
              << "  audit       " << r.audit.entries << " entries, " << r.audit.checkpoints << " signed checkpoints"
              << (r.audit.intact ? ", intact" : "") << "\n"
              << "  receipts    " << r.receipts_valid << " of " << r.receipts << " valid\n";
    if (r.ok) {
      std::cout << "OK: the central copy of " << r.unit << " verifies; `brankas restore` would bring it back.\n";
    } else {
      std::cout << "PROBLEM: " << Printable(r.problem) << "\n";
    }
  }
  return r.ok ? kExitOk : kExitTampered;
}

}  // namespace

void AddReplCommand(CLI::App& app, int* exit_code) {
  CLI::App* repl = app.add_subcommand("repl", "Replication to the central backup node");
  repl->require_subcommand(1);

  auto status = std::make_shared<CommonArgs>();
  CLI::App* s = repl->add_subcommand(
      "status",
      "Per peer: local and acknowledged sequence, lag, last contact, alarms (an administrator or auditor; "
      "GET /v1/replication/status). Exit 0, 3 when an alarm is active");
  AddCommonOptions(s, status.get());
  s->callback([status, exit_code] { *exit_code = RunStatus(*status); });

  auto pin = std::make_shared<PinArgs>();
  CLI::App* p = repl->add_subcommand(
      "pin",
      "Print the pin of a TLS certificate's key: central_pin of a unit's [replication], or `pin` of a "
      "central node's [[units]] (offline; exit 0, 2 unreadable)");
  p->add_option("--cert", pin->cert, "PEM certificate file")->required();
  p->add_flag("--json", pin->json, "Machine-readable output: {\"cert\",\"pin\"}");
  p->callback([pin, exit_code] { *exit_code = RunPin(*pin); });

  auto identity = std::make_shared<IdentityArgs>();
  CLI::App* i = repl->add_subcommand(
      "identity",
      "Create a self-signed TLS identity (EC P-256; the key 0600, never overwritten) and print its pin "
      "(offline; exit 0, 2 when a file exists or cannot be written)");
  i->add_option("--cert", identity->cert, "PEM certificate file to write")->required();
  i->add_option("--key", identity->key, "PEM private key file to create")->required();
  i->add_option("--name", identity->name, "Common name (default brankas)");
  i->callback([identity, exit_code] { *exit_code = RunIdentity(*identity); });

  auto drill = std::make_shared<DrillArgs>();
  CLI::App* d = repl->add_subcommand(
      "drill",
      "Restore drill on the central node's own copy of a unit, opened read-only (offline; exit 0 the copy "
      "verifies, 3 it does not, 1 nothing held for the unit, 2 usage or I/O error)");
  d->add_option("--data-dir", drill->data_dir, "The central node's data directory (may be in use)")->required();
  d->add_option("--unit", drill->unit, "Unit code, e.g. KPG")->required();
  d->add_option("--node-key", drill->node_key,
                "The unit's node public key (64 hex digits; default: the one the central node learned)");
  d->add_flag("--json", drill->json, "Machine-readable output");
  d->callback([drill, exit_code] { *exit_code = RunDrill(*drill); });
}

}  // namespace brankas::tools
