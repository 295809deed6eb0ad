// `brankas retention due|run`: the closed cases of the unit past their
// retention period ([retention] in unit.toml), and their crypto-shredding
// (a supervisor; legal hold keeps a case; a signed receipt each); and the
// field classes past their own period ([retention.field_classes]), shredded
// alone while the rest of the case is kept.
#include <unistd.h>

#include <iostream>

#include "demo.h"
#include "offline_commands.h"
#include "online_commands.h"

namespace brankas::tools {
namespace {

struct RetentionArgs {
  CommonArgs common;
  bool yes = false;
};

int Run(const RetentionArgs& a, bool shred) {
  const std::string command = shred ? "retention run" : "retention due";
  if (shred && !a.yes) {
    std::cerr << "brankas " << command
              << ": crypto-shredding cannot be undone; list with `brankas retention due`, then confirm with --yes\n";
    return kExitUsage;
  }
  int code = kExitOk;
  auto conn = Connection::Open(command, a.common, Auth::kToken, &code);
  if (!conn) return code;
  Reply reply;
  code = shred ? conn->Call("POST", "/v1/retention/run", {}, &reply) : conn->Call("GET", "/v1/retention", {}, &reply);
  if (code != kExitOk) return code;
  if (conn->json()) return conn->PrintRaw(reply);
  const Json& due = reply.json.contains("due") && reply.json["due"].is_array() ? reply.json["due"] : Json::array();
  if (due.empty()) {
    std::cout << "No closed case is past its retention period.\n";
    return kExitOk;
  }
  demo::Table table({"CASE", "MODULE", "RETENTION", "DESTROYS", "CLOSED SINCE", "DUE", "STATE"});
  int held = 0, shredded = 0, failed = 0;
  for (const Json& i : due) {
    std::string state = i.value("legal_hold", false) ? "legal hold: kept"
                        : i.value("shredded", false) ? "shredded (receipt " + Text(i, "receipt_sha256").substr(0, 16) + "…)"
                        : i.contains("problem")      ? "failed: " + Text(i, "problem")
                                                     : "due";
    held += i.value("legal_hold", false);
    shredded += i.value("shredded", false);
    failed += i.contains("problem");
    // A class-level item destroys only the named field classes; the case stays.
    std::string destroys;
    if (i.contains("classes") && i["classes"].is_array()) {
      for (const Json& c : i["classes"]) {
        destroys += (destroys.empty() ? "" : ",") + (c.is_string() ? Printable(c.get<std::string>()) : "?");
      }
    }
    table.Add({Text(i, "case_id"), Text(i, "module"), Text(i, "retention_class"),
               destroys.empty() ? "whole case" : "classes: " + destroys, FormatUnixTime(i.value("closed_since", int64_t{0})), FormatUnixTime(i.value("due_at", int64_t{0})), state});
  }
  table.Print(std::cout, "");
  std::cout << due.size() << " due, " << held << " kept under legal hold"
            << (shred ? ", " + std::to_string(shredded) + " shredded" : "") << ".\n";
  if (shred && shredded > 0) std::cout << "Each receipt: brankas case receipt CASE_ID --out FILE\n";
  return failed > 0 ? kExitFailure : kExitOk;
}

}  // namespace

void AddRetentionCommand(CLI::App& app, int* exit_code) {
  CLI::App* retention = app.add_subcommand("retention", "Retention: closed cases past their period (a supervisor)");
  retention->require_subcommand(1);
  auto due = std::make_shared<RetentionArgs>();
  CLI::App* d = retention->add_subcommand("due", "List the closed cases past their retention period");
  AddCommonOptions(d, &due->common);
  d->callback([due, exit_code] { *exit_code = Run(*due, false); });
  auto run = std::make_shared<RetentionArgs>();
  CLI::App* r = retention->add_subcommand(
      "run", "Crypto-shred them (reason retention:CLASS, a signed receipt each; legal hold keeps a case)");
  AddCommonOptions(r, &run->common);
  r->add_flag("--yes", run->yes, "Confirm: shredding cannot be undone");
  r->callback([run, exit_code] { *exit_code = Run(*run, true); });
}

}  // namespace brankas::tools
