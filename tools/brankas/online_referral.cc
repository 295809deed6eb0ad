// Referral (rujukan) of a case to another unit, through the central node
// (brankas/referral.h):
//
// brankas referral create --case ID --to UNIT --classes a,b [--days D]   POST /v1/referrals
// brankas referral list                                                  GET  /v1/referrals
// brankas referral show ID                                               GET  /v1/referrals/ID
// brankas referral assign ID --users a,b                                 POST /v1/referrals/ID/assign
// brankas referral revoke ID                                             POST /v1/referrals/ID/revoke
#include <ctime>
#include <iostream>

#include "demo.h"
#include "offline_commands.h"
#include "online_commands.h"

namespace brankas::tools {
namespace {

void PrintReferral(const std::string& what, const Json& r) {
  const int64_t expires = r.value("expires_at", int64_t{0});
  std::cout << what << " referral " << Text(r, "referral_id") << "\n"
            << "  case         " << Text(r, "case_id") << "\n"
            << "  from / to    " << Text(r, "from_unit") << " -> " << Text(r, "to_unit") << "\n"
            << "  classes      " << JoinArray(r.value("classes", Json::array())) << "\n"
            << "  values       " << Text(r, "fields") << "\n"
            << "  valid until  " << (expires > 0 ? FormatUnixTime(expires) : "revoked") << "\n"
            << "  assigned     " << JoinArray(r.value("assigned", Json::array())) << "\n"
            << "  state        "
            << (r.value("revoked", false) ? "revoked " + FormatUnixTime(r.value("revoked_at", int64_t{0}))
                                          : std::string("active"))
            << "\n";
}

struct CreateArgs {
  CommonArgs common;
  std::string case_id, to, classes;
  double days = 0;
};

int RunCreate(const CreateArgs& a) {
  int code = kExitOk;
  auto conn = Connection::Open("referral create", a.common, Auth::kToken, &code);
  if (!conn) return code;
  Json classes = Json::array();
  for (const std::string& c : SplitList(a.classes)) classes.push_back(c);
  if (classes.empty()) return conn->Fail(kExitUsage, "--classes names one or more field classes");
  Json body{{"case_id", a.case_id}, {"to_unit", a.to}, {"classes", classes}};
  if (a.days > 0) body["expires_at"] = static_cast<int64_t>(std::time(nullptr)) + static_cast<int64_t>(a.days * 86400);
  auto text = DumpJson(body);
  if (!text.ok()) return conn->Fail(kExitUsage, text.status().message());
  Reply reply;
  code = conn->Call("POST", "/v1/referrals", *text, &reply);
  if (code != kExitOk) return code;
  if (conn->json()) return conn->PrintRaw(reply);
  PrintReferral("Created", reply.json);
  std::cout << "It reaches " << Text(reply.json, "to_unit") << " through the central node at the next contact of both.\n";
  return kExitOk;
}

int RunList(const CommonArgs& common) {
  int code = kExitOk;
  auto conn = Connection::Open("referral list", common, Auth::kToken, &code);
  if (!conn) return code;
  Reply reply;
  code = conn->Call("GET", "/v1/referrals", {}, &reply);
  if (code != kExitOk) return code;
  if (conn->json()) return conn->PrintRaw(reply);
  const Json& items = reply.json.contains("referrals") && reply.json["referrals"].is_array() ? reply.json["referrals"]
                                                                                             : Json::array();
  if (items.empty()) {
    std::cout << "No referral you may see.\n";
    return kExitOk;
  }
  demo::Table table({"REFERRAL", "DIRECTION", "CASE", "FROM", "TO", "CLASSES", "ASSIGNED", "STATE"});
  for (const Json& r : items) {
    table.Add({Text(r, "referral_id"), Text(r, "direction"), Text(r, "case_id"), Text(r, "from_unit"),
               Text(r, "to_unit"), JoinArray(r.value("classes", Json::array())),
               JoinArray(r.value("assigned", Json::array())), r.value("revoked", false) ? "revoked" : "active"});
  }
  table.Print(std::cout, "");
  return kExitOk;
}

struct IdArgs {
  CommonArgs common;
  std::string id, users;
};

int RunById(const IdArgs& a, const std::string& verb) {
  int code = kExitOk;
  auto conn = Connection::Open("referral " + verb, a.common, Auth::kToken, &code);
  if (!conn) return code;
  if (!IsPathSegment(a.id)) return conn->Fail(kExitUsage, "malformed referral id");
  Reply reply;
  if (verb == "show") {
    code = conn->Call("GET", "/v1/referrals/" + a.id, {}, &reply);
  } else if (verb == "assign") {
    Json users = Json::array();
    for (const std::string& u : SplitList(a.users)) users.push_back(u);
    if (users.empty()) return conn->Fail(kExitUsage, "--users names one or more users of this unit");
    auto text = DumpJson(Json{{"users", users}});
    if (!text.ok()) return conn->Fail(kExitUsage, text.status().message());
    code = conn->Call("POST", "/v1/referrals/" + a.id + "/assign", *text, &reply);
  } else {
    code = conn->Call("POST", "/v1/referrals/" + a.id + "/revoke", {}, &reply);
  }
  if (code != kExitOk) return code;
  if (conn->json()) return conn->PrintRaw(reply);
  if (verb == "show") {
    std::cout << "referral " << Text(reply.json, "referral_id") << "  case " << Text(reply.json, "case_id")
              << "  from " << Text(reply.json, "from_unit") << "\n";
    PrintFieldValues(reply.json);
  } else {
    PrintReferral(verb == "assign" ? "Assigned" : "Revoked", reply.json);
  }
  return kExitOk;
}

}  // namespace

void AddReferralCommand(CLI::App& app, int* exit_code) {
  CLI::App* referral = app.add_subcommand("referral", "Refer a case to another unit through the central node (rujukan)");
  referral->require_subcommand(1);

  auto create = std::make_shared<CreateArgs>();
  CLI::App* c = referral->add_subcommand("create", "Share classes of a case with another unit (the case's owner)");
  AddCommonOptions(c, &create->common);
  c->add_option("--case", create->case_id, "Case id")->required();
  c->add_option("--to", create->to, "The receiving unit's code (a pinned [referral.peers] unit)")->required();
  c->add_option("--classes", create->classes, "Field classes to share, comma-separated (e.g. incident,services)")
      ->required();
  c->add_option("--days", create->days, "Valid this many days (default: until revoked)")->check(CLI::Range(0.0, 1826.0));
  c->callback([create, exit_code] { *exit_code = RunCreate(*create); });

  auto list = std::make_shared<CommonArgs>();
  CLI::App* l = referral->add_subcommand("list", "Referrals sent and received that you may see");
  AddCommonOptions(l, list.get());
  l->callback([list, exit_code] { *exit_code = RunList(*list); });

  for (const char* verb : {"show", "assign", "revoke"}) {
    auto args = std::make_shared<IdArgs>();
    const std::string v = verb;
    CLI::App* s = referral->add_subcommand(
        v, v == "show"     ? "Read a received referral under this unit's policy (audited)"
           : v == "assign" ? "Assign this unit's workers to a received referral (a supervisor)"
                           : "Revoke a referral this unit sent; the other unit loses it at its next contact");
    AddCommonOptions(s, &args->common);
    s->add_option("ID", args->id, "Referral id")->required();
    if (v == "assign") s->add_option("--users", args->users, "User names, comma-separated")->required();
    s->callback([args, v, exit_code] { *exit_code = RunById(*args, v); });
  }
}

}  // namespace brankas::tools
