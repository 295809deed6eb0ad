// brankas search --field NAME (--value V | --value-file F | asked)    POST /v1/search {"field","value"}
//   The value travels in the request body, never in a URL; without --value it
//   is read from a file or asked for without echo, so it is not in `ps` either.
// brankas grant request --case ID --grantee U [--grantee-role legal] --classes a,b
//                       (--hours H | --expires-at UNIX) [--not-before UNIX] --legal-basis KIND:REF
//                                                                   POST /v1/grants
// brankas grant approve ID | grant revoke ID                         POST /v1/grants/ID/approve|revoke
// brankas grant list [--case ID]                                     GET  /v1/grants[?case=ID]
//   (grants ending within a day are marked, with a reminder to renew them)
#include <ctime>
#include <iostream>

#include "brankas/crypto.h"
#include "demo.h"
#include "offline_commands.h"
#include "online_commands.h"
#include "secret_input.h"

namespace brankas::tools {
namespace {

struct SearchArgs {
  CommonArgs common;
  std::string field, value, value_file;
};

int RunSearch(SearchArgs& a) {
  int code = kExitOk;
  auto conn = Connection::Open("search", a.common, Auth::kToken, &code);
  if (!conn) return code;
  std::string value = a.value;
  WipeString(a.value);
  if (value.empty()) {
    auto obtained = ObtainSecret(a.value_file, "Value of " + a.field, "--value-file", false);
    if (!obtained.ok()) return conn->Fail(kExitUsage, obtained.status().message());
    value = std::move(*obtained);
  }
  std::string body = "{\"field\":";
  AppendJsonString(&body, a.field);
  body += ",\"value\":";
  AppendJsonString(&body, value);
  body += "}";
  WipeString(value);
  Reply reply;
  code = conn->Call("POST", "/v1/search", body, &reply);
  WipeString(body);
  if (code != kExitOk) return code;
  if (conn->json()) return conn->PrintRaw(reply);
  const Json& ids = reply.json.contains("case_ids") ? reply.json["case_ids"] : Json::array();
  if (ids.empty()) {
    std::cout << "No case you may see matches.\n";
    return kExitOk;
  }
  for (const Json& id : ids) std::cout << Printable(id.is_string() ? id.get<std::string>() : id.dump()) << "\n";
  return kExitOk;
}

void PrintGrant(const std::string& what, const Json& g) {
  auto time_of = [&](const char* key) {
    return g.contains(key) && g[key].is_number_integer() ? FormatUnixTime(g[key].get<int64_t>()) : "-";
  };
  const int64_t approvals = g.contains("approvers") && g["approvers"].is_array() ? g["approvers"].size() : 0;
  std::cout << what << " grant " << Text(g, "grant_id") << "\n"
            << "  case         " << Text(g, "case_id") << "\n"
            << "  grantee      " << Text(g, "grantee") << "\n"
            << "  classes      " << JoinArray(g.value("classes", Json::array())) << "\n"
            << "  valid        " << time_of("not_before") << " to " << time_of("expires_at") << "\n"
            << "  legal basis  " << Text(g, "legal_basis") << "\n"
            << "  requested by " << Text(g, "requested_by") << "\n"
            << "  approvals    " << approvals << " of " << Text(g, "required_approvals") << " ("
            << JoinArray(g.value("approvers", Json::array())) << ")\n"
            << "  state        "
            << (g.value("revoked", false) ? "revoked by " + Text(g, "revoked_by")
                                          : g.value("approved", false) ? "approved (active in its validity window)"
                                                                       : "waiting for approval by a supervisor")
            << "\n";
}

struct GrantRequestArgs {
  CommonArgs common;
  std::string case_id, grantee, grantee_role, classes, legal_basis;
  double hours = 0;
  int64_t expires_at = 0, not_before = 0;
};

int RunGrantRequest(const GrantRequestArgs& a) {
  int code = kExitOk;
  auto conn = Connection::Open("grant request", a.common, Auth::kToken, &code);
  if (!conn) return code;
  std::vector<std::string> classes = SplitList(a.classes);
  if (classes.empty()) return conn->Fail(kExitUsage, "--classes names at least one field class");
  if (a.legal_basis.find(':') == std::string::npos) {
    return conn->Fail(kExitUsage, "--legal-basis is KIND:REFERENCE, e.g. court_order:123/Pid.Sus/2024/PN.Kpg");
  }
  // The start is always sent: the server takes an omitted not_before as 0
  // (1970), which makes every grant "longer than 90 days".
  const int64_t not_before = a.not_before > 0 ? a.not_before : static_cast<int64_t>(std::time(nullptr));
  int64_t expires_at = a.expires_at;
  if (a.hours > 0) expires_at = not_before + static_cast<int64_t>(a.hours * 3600);
  if (expires_at <= 0) return conn->Fail(kExitUsage, "give --hours H or --expires-at UNIX");
  Json body{{"case_id", a.case_id},
            {"grantee", a.grantee},
            {"classes", classes},
            {"expires_at", expires_at},
            {"legal_basis", a.legal_basis}};
  if (!a.grantee_role.empty()) body["grantee_role"] = a.grantee_role;
  body["not_before"] = not_before;
  auto text = DumpJson(body);
  if (!text.ok()) return conn->Fail(kExitUsage, text.status().message());
  Reply reply;
  code = conn->Call("POST", "/v1/grants", *text, &reply);
  if (code != kExitOk) return code;
  if (conn->json()) return conn->PrintRaw(reply);
  PrintGrant("Requested", reply.json);
  return kExitOk;
}

struct GrantIdArgs {
  CommonArgs common;
  std::string id;
};

int RunGrantChange(const GrantIdArgs& a, const std::string& verb) {
  int code = kExitOk;
  auto conn = Connection::Open("grant " + verb, a.common, Auth::kToken, &code);
  if (!conn) return code;
  if (!IsPathSegment(a.id)) return conn->Fail(kExitUsage, "malformed grant id");
  Reply reply;
  code = conn->Call("POST", "/v1/grants/" + a.id + "/" + verb, {}, &reply);
  if (code != kExitOk) return code;
  if (conn->json()) return conn->PrintRaw(reply);
  PrintGrant(verb == "approve" ? "Approved" : "Revoked", reply.json);
  return kExitOk;
}

struct GrantListArgs {
  CommonArgs common;
  std::string case_id;
};

int RunGrantList(const GrantListArgs& a) {
  int code = kExitOk;
  auto conn = Connection::Open("grant list", a.common, Auth::kToken, &code);
  if (!conn) return code;
  if (!a.case_id.empty() && !IsPathSegment(a.case_id)) return conn->Fail(kExitUsage, "malformed case id");
  Reply reply;
  code = conn->Call("GET", a.case_id.empty() ? "/v1/grants" : "/v1/grants?case=" + a.case_id, {}, &reply);
  if (code != kExitOk) return code;
  if (conn->json()) return conn->PrintRaw(reply);
  const Json& grants = reply.json.contains("grants") && reply.json["grants"].is_array() ? reply.json["grants"]
                                                                                        : Json::array();
  if (grants.empty()) {
    std::cout << "No grant you hold, requested or handle.\n";
    return kExitOk;
  }
  demo::Table table({"GRANT", "CASE", "GRANTEE", "CLASSES", "STATE", "ENDS", "REMINDER"});
  for (const Json& g : grants) {
    std::string reminder;
    if (g.value("expiring_soon", false)) {
      const int64_t left = g.value("expires_in_s", int64_t{0});
      reminder = "ends in " + std::to_string(left / 3600) + "h " + std::to_string(left % 3600 / 60) +
                 "m: request a renewal if still needed";
    }
    table.Add({Text(g, "grant_id"), Text(g, "case_id"), Text(g, "grantee"),
               JoinArray(g.value("classes", Json::array())), Text(g, "state"),
               FormatUnixTime(g.value("expires_at", int64_t{0})), reminder});
  }
  table.Print(std::cout, "");
  const int64_t soon = reply.json.value("expiring_soon", int64_t{0});
  if (soon > 0) std::cout << soon << " grant(s) end within " << Text(reply.json, "soon_hours") << " hours.\n";
  return kExitOk;
}

}  // namespace

void AddSearchCommand(CLI::App& app, int* exit_code) {
  auto args = std::make_shared<SearchArgs>();
  CLI::App* cmd = app.add_subcommand(
      "search", "Exact match through the blind index (POST /v1/search: the value is never in a URL)");
  AddCommonOptions(cmd, &args->common);
  cmd->add_option("--field", args->field, "An indexed field, e.g. nik")->required();
  CLI::Option* value = cmd->add_option(
      "--value", args->value, "The value (visible to other local users in `ps`: prefer --value-file or the prompt)");
  cmd->add_option("--value-file", args->value_file, "Read the value from the first line of this file (mode 0600)")
      ->excludes(value);
  cmd->callback([args, exit_code] { *exit_code = RunSearch(*args); });
}

void AddGrantCommand(CLI::App& app, int* exit_code) {
  CLI::App* grant = app.add_subcommand("grant", "Time-limited access grants for legal teams");
  grant->require_subcommand(1);

  auto req = std::make_shared<GrantRequestArgs>();
  CLI::App* r = grant->add_subcommand("request", "Request a grant (the case owner); a supervisor approves it");
  AddCommonOptions(r, &req->common);
  r->add_option("--case", req->case_id, "Case id")->required();
  r->add_option("--grantee", req->grantee, "The user who is to read")->required();
  r->add_option("--grantee-role", req->grantee_role, "The grantee's role (server default: legal)");
  r->add_option("--classes", req->classes, "Field classes, comma-separated, e.g. incident,perpetrator")->required();
  CLI::Option* hours = r->add_option("--hours", req->hours, "Valid for H hours from --not-before (or now)")
                           ->check(CLI::PositiveNumber);
  r->add_option("--expires-at", req->expires_at, "End of validity (unix seconds)")->excludes(hours);
  r->add_option("--not-before", req->not_before, "Start of validity (unix seconds; default now)");
  r->add_option("--legal-basis", req->legal_basis,
                "KIND:REFERENCE, KIND in request_letter, court_order, lpsk_decision, consent")
      ->required();
  r->callback([req, exit_code] { *exit_code = RunGrantRequest(*req); });

  auto list = std::make_shared<GrantListArgs>();
  CLI::App* l = grant->add_subcommand("list", "Grants you hold, requested or handle; those ending within a day marked");
  AddCommonOptions(l, &list->common);
  l->add_option("--case", list->case_id, "Only this case's grants (its owner and supervisors see all of them)");
  l->callback([list, exit_code] { *exit_code = RunGrantList(*list); });

  for (const char* verb : {"approve", "revoke"}) {
    auto args = std::make_shared<GrantIdArgs>();
    CLI::App* v = grant->add_subcommand(
        verb, std::string(verb) == "approve" ? "Approve a grant (a supervisor of the case's unit)"
                                             : "Revoke a grant (a supervisor of the case's unit)");
    AddCommonOptions(v, &args->common);
    v->add_option("id", args->id, "Grant id (G-...)")->required();
    std::string name = verb;
    v->callback([args, name, exit_code] { *exit_code = RunGrantChange(*args, name); });
  }
}

}  // namespace brankas::tools
