// The lifecycle verbs of `brankas case`, each one POST /v1/cases/ID/VERB:
//   assign ID [--user U]... [--owner U]   {"users":[...],"owner":U}  (replaces the assignees)
//   stage ID STAGE                        {"stage":S}
//   close ID                              (no body)
//   reopen ID [--stage S]                 {"stage":S} or no body (assessment)
//   hold ID on|off                        /legal-hold {"hold":true|false}
//   break-glass ID --reason TEXT          {"reason":TEXT}
//   shred ID [--yes] [--reason R] [--receipt-out F] [--class C]...   {"reason":R,"classes":[C...]};
//                                         irreversible, so confirmed; prints (and saves) the
//                                         signed destruction receipt; with --class only those
//                                         field classes are destroyed, the case is kept
//   receipt ID [--out F] [--classes]      GET /v1/cases/ID/destruction-receipt, or with --classes
//                                         /class-destruction-receipts (--out saves the latest)
//   verify-receipt FILE [--node-key HEX]  offline: the receipt's node signature (exit 0 / 3)
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <functional>
#include <iostream>
#include <iterator>

#include "brankas/crypto.h"
#include "brankas/evidence_bundle.h"

#include "offline_commands.h"
#include "online_commands.h"

namespace brankas::tools {
namespace {

// The summary a lifecycle change answers with.
void PrintSummary(const std::string& what, const Json& c) {
  std::cout << what << " case " << Text(c, "case_id") << ": stage " << Text(c, "stage") << ", version "
            << Text(c, "version") << ", owner " << Text(c, "owner") << ", assigned "
            << (c.contains("assigned") ? JoinArray(c["assigned"]) : "-") << (c.value("closed", false) ? ", closed" : "")
            << (c.value("legal_hold", false) ? ", under legal hold" : "") << ".\n";
}

using Printer = std::function<void(const Json&)>;

// POST /v1/cases/ID/PATH with `body` (may be empty); prints with `print`.
int PostCaseVerb(const std::string& command, const CommonArgs& common, const std::string& id,
                 const std::string& path, const Json* body, const Printer& print) {
  int code = kExitOk;
  auto conn = Connection::Open(command, common, Auth::kToken, &code);
  if (!conn) return code;
  if (!IsPathSegment(id)) return conn->Fail(kExitUsage, "malformed case id");
  std::string text;
  if (body != nullptr) {
    auto dumped = DumpJson(*body);
    if (!dumped.ok()) return conn->Fail(kExitUsage, dumped.status().message());
    text = std::move(*dumped);
  }
  Reply reply;
  code = conn->Call("POST", "/v1/cases/" + id + "/" + path, text, &reply);
  if (code != kExitOk) return code;
  if (conn->json()) return conn->PrintRaw(reply);
  print(reply.json);
  return kExitOk;
}

struct CaseArgs {
  CommonArgs common;
  std::string id;
  // assign
  std::vector<std::string> users;
  std::string owner;
  // stage, reopen
  std::string stage;
  // hold
  std::string hold;
  // break-glass
  std::string reason;
  // shred, receipt
  bool yes = false;
  std::vector<std::string> classes;  // shred: only these field classes
  bool class_receipts = false;       // receipt: the class receipts
  std::string receipt_out;
  std::string node_key;
};

CLI::App* AddVerb(CLI::App* cases, const std::string& name, const std::string& help,
                  const std::shared_ptr<CaseArgs>& args) {
  CLI::App* verb = cases->add_subcommand(name, help);
  AddCommonOptions(verb, &args->common);
  verb->add_option("id", args->id, "Case id")->required();
  return verb;
}

int RunAssign(const CaseArgs& a) {
  if (a.users.empty() && a.owner.empty()) {
    std::cerr << "brankas case assign: give --user (repeatable) and/or --owner\n";
    return kExitUsage;
  }
  Json body{{"users", a.users}};
  if (!a.owner.empty()) body["owner"] = a.owner;
  return PostCaseVerb("case assign", a.common, a.id, "assign", &body,
                      [](const Json& c) { PrintSummary("Assigned", c); });
}

int RunStage(const CaseArgs& a) {
  Json body{{"stage", a.stage}};
  return PostCaseVerb("case stage", a.common, a.id, "stage", &body,
                      [](const Json& c) { PrintSummary("Moved", c); });
}

int RunClose(const CaseArgs& a) {
  return PostCaseVerb("case close", a.common, a.id, "close", nullptr,
                      [](const Json& c) { PrintSummary("Closed", c); });
}

int RunReopen(const CaseArgs& a) {
  Json body{{"stage", a.stage}};
  return PostCaseVerb("case reopen", a.common, a.id, "reopen", a.stage.empty() ? nullptr : &body,
                      [](const Json& c) { PrintSummary("Reopened", c); });
}

int RunHold(const CaseArgs& a) {
  const bool on = a.hold == "on";
  Json body{{"hold", on}};
  return PostCaseVerb("case hold", a.common, a.id, "legal-hold", &body, [on](const Json& c) {
    PrintSummary(on ? "Placed a legal hold on" : "Lifted the legal hold on", c);
  });
}

int RunBreakGlass(const CaseArgs& a) {
  Json body{{"reason", a.reason}};
  return PostCaseVerb("case break-glass", a.common, a.id, "break-glass", &body, [](const Json& g) {
    int64_t until = g.contains("expires_at") && g["expires_at"].is_number_integer() ? g["expires_at"].get<int64_t>() : 0;
    std::cout << "Break-glass access to case " << Text(g, "case_id") << " until " << FormatUnixTime(until)
              << " (grant " << Text(g, "grant_id") << ", classes " << JoinArray(g.value("classes", Json::array()))
              << ").\nThis access is flagged in the audit trail for review.\n";
  });
}

// Prints the receipt's essentials; with `out`, writes it there (mode 0600, not
// over an existing file).
int SaveReceipt(const Json& receipt, const std::string& out) {
  const std::string text = receipt.dump(-1, ' ', false, Json::error_handler_t::replace);
  const Json& r = receipt.contains("receipt") ? receipt["receipt"] : Json::object();
  std::cout << "Destruction receipt: case " << Text(r, "case_id")
            << (r.contains("classes") ? ", classes " + JoinArray(r["classes"]) : std::string()) << ", shredded "
            << FormatUnixTime(r.value("shredded_at", int64_t{0}))
            << " by " << Text(r, "shredded_by") << ", reason " << Text(r, "reason") << ", signed by node key "
            << Text(r, "node_public_key") << ".\n";
  if (out.empty()) {
    std::cout << "(--receipt-out FILE keeps it; `brankas case receipt ID` fetches it again.)\n";
    return kExitOk;
  }
  int fd = open(out.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    std::cerr << "brankas: cannot create " << out << " (it may exist): " << std::strerror(errno) << "\n";
    return kExitUsage;
  }
  const std::string line = text + "\n";
  const bool ok = write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) && fsync(fd) == 0;
  close(fd);
  if (!ok) {
    std::cerr << "brankas: writing " << out << " failed\n";
    return kExitUsage;
  }
  std::cout << "Saved to " << Printable(out) << "; check it with: brankas case verify-receipt " << Printable(out)
            << " --node-key " << Text(r, "node_public_key") << "\n";
  return kExitOk;
}

int RunShred(const CaseArgs& a) {
  if (!a.yes) {
    if (!isatty(STDIN_FILENO)) {
      std::cerr << "brankas case shred: crypto-shredding cannot be undone; confirm with --yes\n";
      return kExitUsage;
    }
    std::cerr << "Crypto-shredding makes "
              << (a.classes.empty() ? std::string("every field") : "every field of the classes " + JoinArray(a.classes))
              << " of case " << a.id << " unreadable, everywhere, for good.\nType the case id to confirm: "
              << std::flush;
    std::string typed;
    std::getline(std::cin, typed);
    if (typed != a.id) {
      std::cerr << "brankas case shred: not confirmed; nothing was done\n";
      return kExitUsage;
    }
  }
  Json body{{"reason", a.reason}};
  if (!a.classes.empty()) body["classes"] = a.classes;
  int saved = kExitOk;
  int code = PostCaseVerb("case shred", a.common, a.id, "shred",
                          a.reason.empty() && a.classes.empty() ? nullptr : &body, [&](const Json& r) {
                            if (a.classes.empty()) {
                              std::cout << "Shredded case " << Text(r, "case_id") << ": its data keys are destroyed.\n";
                            } else {
                              std::cout << "Shredded the classes " << JoinArray(r.value("classes", Json::array()))
                                        << " of case " << Text(r, "case_id")
                                        << ": their data keys are destroyed; the rest of the case is kept.\n";
                            }
                            if (r.contains("receipt")) {
                              saved = SaveReceipt(r["receipt"], a.receipt_out);
                            }
                          });
  return code != kExitOk ? code : saved;
}

int RunReceipt(const CaseArgs& a) {
  int code = kExitOk;
  auto conn = Connection::Open("case receipt", a.common, Auth::kToken, &code);
  if (!conn) return code;
  if (!IsPathSegment(a.id)) return conn->Fail(kExitUsage, "malformed case id");
  Reply reply;
  const std::string path = a.class_receipts ? "/class-destruction-receipts" : "/destruction-receipt";
  code = conn->Call("GET", "/v1/cases/" + a.id + path, {}, &reply);
  if (code != kExitOk) return code;
  if (conn->json() && a.receipt_out.empty()) return conn->PrintRaw(reply);
  if (!a.class_receipts) return SaveReceipt(reply.json, a.receipt_out);
  const Json& list = reply.json.contains("receipts") && reply.json["receipts"].is_array() ? reply.json["receipts"]
                                                                                           : Json::array();
  if (list.empty()) return conn->Fail(kExitFailure, "the server returned no receipt");
  for (size_t i = 0; i + 1 < list.size(); ++i) SaveReceipt(list[i], "");
  return SaveReceipt(list.back(), a.receipt_out);  // --out keeps the latest
}

int RunVerifyReceipt(const CaseArgs& a) {
  std::string key;
  if (!a.node_key.empty() && (!FromHex(a.node_key, &key) || key.size() != 32)) {
    std::cerr << "brankas case verify-receipt: --node-key must be 64 hex digits\n";
    return kExitUsage;
  }
  std::ifstream in(a.id, std::ios::binary);
  if (!in) {
    std::cerr << "brankas case verify-receipt: cannot open " << a.id << "\n";
    return kExitUsage;
  }
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto r = VerifyDestructionReceipt(text, key);
  if (!r.ok()) {
    std::cerr << "brankas case verify-receipt: " << r.status().message() << "\n";
    return kExitUsage;
  }
  if (!r->valid) {
    std::cout << Printable(a.id) << ": INVALID: " << r->problem << "\n";
    return kExitTampered;
  }
  std::cout << Printable(a.id) << ": valid destruction receipt of "
            << (r->classes.empty() ? std::string() : "the classes " + JoinArray(r->classes) + " of ") << "case "
            << Printable(r->case_id) << " (unit "
            << Printable(r->unit) << "), signed by node key " << ToHex(r->node_public_key)
            << (r->key_pinned ? " (pinned).\n" : " — taken from the receipt itself: compare it, or give --node-key.\n");
  return kExitOk;
}

}  // namespace

void AddCaseLifecycleVerbs(CLI::App* cases, int* exit_code) {
  const std::vector<std::string> kStages = {"identification", "assessment", "planning",
                                            "implementation", "monitoring",  "closure"};
  auto assign = std::make_shared<CaseArgs>();
  CLI::App* v = AddVerb(cases, "assign", "Set who is assigned (replaces the list) and/or the owner", assign);
  v->add_option("--user", assign->users, "Assign this user, repeatable");
  v->add_option("--owner", assign->owner, "Make this user the case owner (also assigned)");
  v->callback([assign, exit_code] { *exit_code = RunAssign(*assign); });

  auto stage = std::make_shared<CaseArgs>();
  v = AddVerb(cases, "stage", "Move the case to another stage", stage);
  v->add_option("stage", stage->stage, "The new stage")->required()->check(CLI::IsMember(kStages));
  v->callback([stage, exit_code] { *exit_code = RunStage(*stage); });

  auto close = std::make_shared<CaseArgs>();
  v = AddVerb(cases, "close", "Close the case (stage closure; a supervisor)", close);
  v->callback([close, exit_code] { *exit_code = RunClose(*close); });

  auto reopen = std::make_shared<CaseArgs>();
  v = AddVerb(cases, "reopen", "Reopen a closed case (a supervisor)", reopen);
  v->add_option("--stage", reopen->stage, "assessment (default) or monitoring")->check(CLI::IsMember(kStages));
  v->callback([reopen, exit_code] { *exit_code = RunReopen(*reopen); });

  auto hold = std::make_shared<CaseArgs>();
  v = AddVerb(cases, "hold", "Place or lift a legal hold (a held case cannot be shredded)", hold);
  v->add_option("state", hold->hold, "on or off")->required()->check(CLI::IsMember({"on", "off"}));
  v->callback([hold, exit_code] { *exit_code = RunHold(*hold); });

  auto glass = std::make_shared<CaseArgs>();
  v = AddVerb(cases, "break-glass", "Supervisor's emergency access: short, flagged for review", glass);
  v->add_option("--reason", glass->reason, "Why (kept with the grant; shown to reviewers)")->required();
  v->callback([glass, exit_code] { *exit_code = RunBreakGlass(*glass); });

  auto shred = std::make_shared<CaseArgs>();
  v = AddVerb(cases, "shred", "Crypto-shred the case: irreversible; refused under legal hold", shred);
  v->add_flag("--yes", shred->yes, "Do not ask for confirmation (needed without a terminal)");
  v->add_option("--reason", shred->reason,
                "KIND or KIND:REFERENCE (lawful_request, retention, consent_withdrawn, court_order, "
                "data_subject_request); kept in the signed receipt");
  v->add_option("--receipt-out", shred->receipt_out, "Save the signed destruction receipt here (mode 0600)");
  v->add_option("--class", shred->classes,
                "Destroy only this field class (repeatable or comma-separated; not administrative); the case is kept")
      ->delimiter(',');
  v->callback([shred, exit_code] { *exit_code = RunShred(*shred); });

  auto receipt = std::make_shared<CaseArgs>();
  v = AddVerb(cases, "receipt", "The signed destruction receipt of a shredded case (auditor, supervisor)", receipt);
  v->add_option("--out", receipt->receipt_out, "Save it here (mode 0600)");
  v->add_flag("--classes", receipt->class_receipts, "The receipts of field classes shredded alone (--out: the latest)");
  v->callback([receipt, exit_code] { *exit_code = RunReceipt(*receipt); });

  auto verify = std::make_shared<CaseArgs>();
  CLI::App* vr = cases->add_subcommand("verify-receipt",
                                       "Check a destruction receipt offline, with no server: exit 0 valid, 3 invalid");
  vr->add_option("file", verify->id, "The receipt file")->required();
  vr->add_option("--node-key", verify->node_key, "The unit's node public key (hex) to pin; else the receipt's own");
  vr->callback([verify, exit_code] { *exit_code = RunVerifyReceipt(*verify); });
}

}  // namespace brankas::tools
