// brankas case create [--field NAME=VALUE]... [--fields-file F] [--assign USER]...   POST  /v1/cases
// brankas case get ID [--fields a,b] [--unmask]                                    GET   /v1/cases/ID
// brankas case update ID --expected-version N --field NAME=VALUE... [--fields-file F]  PATCH /v1/cases/ID
// brankas case list [--mine] [--stage S] [--limit N]                               GET   /v1/cases
// brankas case history ID FIELD                                                    GET   /v1/cases/ID/history/FIELD
#include <iostream>

#include "demo.h"
#include "offline_commands.h"
#include "online_commands.h"

namespace brankas::tools {
namespace {

struct FieldArgs {
  std::vector<std::string> pairs;
  std::string file;
};

void AddFieldOptions(CLI::App* verb, FieldArgs* args) {
  verb->add_option("--field", args->pairs,
                   "NAME=VALUE, repeatable. Values on the command line are visible to other local users "
                   "(ps): prefer --fields-file for anything sensitive");
  verb->add_option("--fields-file", args->file, "A JSON object of field names to string values");
}

struct CreateArgs {
  CommonArgs common;
  FieldArgs fields;
  std::vector<std::string> assign;
};

int RunCreate(const CreateArgs& a) {
  int code = kExitOk;
  auto conn = Connection::Open("case create", a.common, Auth::kToken, &code);
  if (!conn) return code;
  auto fields = CollectFields(a.fields.pairs, a.fields.file);
  if (!fields.ok()) return conn->Fail(kExitUsage, fields.status().message());
  Json body{{"fields", std::move(*fields)}};
  if (!a.assign.empty()) body["assign_to"] = a.assign;
  auto text = DumpJson(body);
  if (!text.ok()) return conn->Fail(kExitUsage, text.status().message());
  Reply reply;
  code = conn->Call("POST", "/v1/cases", *text, &reply);
  if (code != kExitOk) return code;
  if (conn->json()) return conn->PrintRaw(reply);
  std::cout << "Created case " << Text(reply.json, "case_id") << " (version " << Text(reply.json, "version")
            << ").\n";
  return kExitOk;
}

struct GetArgs {
  CommonArgs common;
  std::string id, fields;
  bool unmask = false;
};

void PrintFields(const Json& reply) {
  std::cout << "case " << Text(reply, "case_id") << "  stage " << Text(reply, "stage") << "  version "
            << Text(reply, "version") << "\n";
  PrintFieldValues(reply);
}

}  // namespace

void PrintFieldValues(const Json& reply) {
  std::vector<std::string> masked;
  if (reply.contains("masked") && reply["masked"].is_array()) {
    for (const Json& m : reply["masked"]) {
      if (m.is_string()) masked.push_back(m.get<std::string>());
    }
  }
  const Json& fields = reply.contains("fields") ? reply["fields"] : Json::object();
  size_t width = 0;
  for (auto it = fields.begin(); it != fields.end(); ++it) width = std::max(width, it.key().size());
  if (fields.empty()) std::cout << "  (no field you may read is set)\n";
  for (auto it = fields.begin(); it != fields.end(); ++it) {
    std::string value = Printable(it.value().is_string() ? it.value().get<std::string>() : it.value().dump(), true);
    std::string indent(width + 4, ' ');
    for (size_t nl = value.find('\n'); nl != std::string::npos; nl = value.find('\n', nl + 1 + indent.size())) {
      value.insert(nl + 1, indent);
    }
    bool is_masked = std::find(masked.begin(), masked.end(), it.key()) != masked.end();
    std::cout << "  " << Printable(it.key()) << std::string(width - it.key().size() + 2, ' ') << value
              << (is_masked ? "   (masked)" : "") << "\n";
  }
  if (reply.contains("withheld") && reply["withheld"].is_array() && !reply["withheld"].empty()) {
    std::cout << "withheld (not readable by you): " << JoinArray(reply["withheld"]) << "\n";
  }
}

namespace {

int RunGet(const GetArgs& a) {
  int code = kExitOk;
  auto conn = Connection::Open("case get", a.common, Auth::kToken, &code);
  if (!conn) return code;
  if (!IsPathSegment(a.id)) return conn->Fail(kExitUsage, "malformed case id");
  Reply reply;
  code = conn->Call("GET", "/v1/cases/" + a.id + QueryString({{"fields", a.fields}, {"unmask", a.unmask ? "1" : ""}}),
                    {}, &reply);
  if (code != kExitOk) return code;
  if (conn->json()) return conn->PrintRaw(reply);
  PrintFields(reply.json);
  return kExitOk;
}

struct UpdateArgs {
  CommonArgs common;
  std::string id;
  int64_t expected_version = -1;
  FieldArgs fields;
};

int RunUpdate(const UpdateArgs& a) {
  int code = kExitOk;
  auto conn = Connection::Open("case update", a.common, Auth::kToken, &code);
  if (!conn) return code;
  if (!IsPathSegment(a.id)) return conn->Fail(kExitUsage, "malformed case id");
  auto fields = CollectFields(a.fields.pairs, a.fields.file);
  if (!fields.ok()) return conn->Fail(kExitUsage, fields.status().message());
  if (fields->empty()) return conn->Fail(kExitUsage, "nothing to update: give --field NAME=VALUE or --fields-file");
  Json body{{"fields", std::move(*fields)}, {"expected_version", a.expected_version}};
  auto text = DumpJson(body);
  if (!text.ok()) return conn->Fail(kExitUsage, text.status().message());
  Reply reply;
  code = conn->Call("PATCH", "/v1/cases/" + a.id, *text, &reply);
  if (code == kExitFailure && reply.json.is_object() && reply.json.contains("error") &&
      Text(reply.json["error"], "code") == "conflict") {
    std::cerr << "  the case is no longer at version " << a.expected_version << ": read it again (brankas case get "
              << a.id << ") and retry with its current version\n";
  }
  if (code != kExitOk) return code;
  if (conn->json()) return conn->PrintRaw(reply);
  std::cout << "Updated case " << Text(reply.json, "case_id") << ": now version " << Text(reply.json, "version")
            << ".\n";
  return kExitOk;
}

struct ListArgs {
  CommonArgs common;
  bool mine = false;
  std::string stage;
  int limit = 0;
};

int RunList(const ListArgs& a) {
  int code = kExitOk;
  auto conn = Connection::Open("case list", a.common, Auth::kToken, &code);
  if (!conn) return code;
  Reply reply;
  code = conn->Call("GET",
                    "/v1/cases" + QueryString({{"assigned", a.mine ? "me" : ""},
                                               {"stage", a.stage},
                                               {"limit", a.limit > 0 ? std::to_string(a.limit) : ""}}),
                    {}, &reply);
  if (code != kExitOk) return code;
  if (conn->json()) return conn->PrintRaw(reply);
  const Json& cases = reply.json.contains("cases") ? reply.json["cases"] : Json::array();
  if (cases.empty()) {
    std::cout << "No cases.\n";
    return kExitOk;
  }
  demo::Table table({"CASE", "STAGE", "VERSION", "OWNER", "ASSIGNED", "UPDATED", "NOTES"});
  for (const Json& c : cases) {
    std::string notes;
    if (c.value("closed", false)) notes += "closed ";
    if (c.value("legal_hold", false)) notes += "legal-hold";
    std::string updated = c.contains("updated_at") && c["updated_at"].is_number_integer()
                              ? FormatUnixTime(c["updated_at"].get<int64_t>())
                              : "";
    table.Add({Text(c, "case_id"), Text(c, "stage"), Text(c, "version"), Text(c, "owner"),
               demo::Truncate(c.contains("assigned") ? JoinArray(c["assigned"]) : "-", 40), updated, notes});
  }
  table.Print(std::cout, "");
  std::cout << cases.size() << " case" << (cases.size() == 1 ? "" : "s") << ".\n";
  return kExitOk;
}

struct HistoryArgs {
  CommonArgs common;
  std::string id, field;
};

int RunHistory(const HistoryArgs& a) {
  int code = kExitOk;
  auto conn = Connection::Open("case history", a.common, Auth::kToken, &code);
  if (!conn) return code;
  if (!IsPathSegment(a.id)) return conn->Fail(kExitUsage, "malformed case id");
  if (!IsPathSegment(a.field)) return conn->Fail(kExitUsage, "malformed field name");
  Reply reply;
  code = conn->Call("GET", "/v1/cases/" + a.id + "/history/" + a.field, {}, &reply);
  if (code != kExitOk) return code;
  if (conn->json()) return conn->PrintRaw(reply);
  const Json& versions = reply.json.contains("versions") ? reply.json["versions"] : Json::array();
  std::cout << "case " << Text(reply.json, "case_id") << ", field " << Text(reply.json, "field") << ": "
            << versions.size() << " version" << (versions.size() == 1 ? "" : "s") << "\n";
  if (versions.empty()) return kExitOk;
  demo::Table table({"VERSION", "WRITER", "TIME", "VALUE"});
  for (const Json& v : versions) {
    int64_t us = v.contains("time_us") && v["time_us"].is_number_integer() ? v["time_us"].get<int64_t>() : 0;
    std::string writer = Text(v, "writer");
    table.Add({Text(v, "version"), writer.empty() ? "-" : writer, us > 0 ? FormatUnixTime(us / 1'000'000) : "-",
               Text(v, "value")});
  }
  table.Print(std::cout, "");
  return kExitOk;
}

}  // namespace

void AddCaseCommand(CLI::App& app, int* exit_code) {
  CLI::App* cases = app.add_subcommand("case", "Case records on the server");
  cases->require_subcommand(1);

  auto create = std::make_shared<CreateArgs>();
  CLI::App* c = cases->add_subcommand("create", "Create a case (POST /v1/cases); you are assigned to it");
  AddCommonOptions(c, &create->common);
  AddFieldOptions(c, &create->fields);
  c->add_option("--assign", create->assign, "Also assign this user, repeatable");
  c->callback([create, exit_code] { *exit_code = RunCreate(*create); });

  auto get = std::make_shared<GetArgs>();
  CLI::App* g = cases->add_subcommand("get", "Read a case; fields you may not read are listed as withheld");
  AddCommonOptions(g, &get->common);
  g->add_option("id", get->id, "Case id")->required();
  g->add_option("--fields", get->fields, "Only these fields, comma-separated");
  g->add_flag("--unmask", get->unmask, "Supervisor: ask for clear values of masked fields (separately audited)");
  g->callback([get, exit_code] { *exit_code = RunGet(*get); });

  auto update = std::make_shared<UpdateArgs>();
  CLI::App* u = cases->add_subcommand("update", "Write fields (PATCH); refused with `conflict` on a stale version");
  AddCommonOptions(u, &update->common);
  u->add_option("id", update->id, "Case id")->required();
  u->add_option("--expected-version", update->expected_version, "The version you read (brankas case get)")
      ->required()
      ->check(CLI::NonNegativeNumber);
  AddFieldOptions(u, &update->fields);
  u->callback([update, exit_code] { *exit_code = RunUpdate(*update); });

  auto list = std::make_shared<ListArgs>();
  CLI::App* l = cases->add_subcommand("list", "Cases you may see (no identity data in the list)");
  AddCommonOptions(l, &list->common);
  l->add_flag("--mine", list->mine, "Only cases assigned to you");
  l->add_option("--stage", list->stage,
                "identification, assessment, planning, implementation, monitoring or closure");
  l->add_option("--limit", list->limit, "At most N cases (server default 100, at most 1000)")
      ->check(CLI::Range(1, 1000));
  l->callback([list, exit_code] { *exit_code = RunList(*list); });

  auto history = std::make_shared<HistoryArgs>();
  CLI::App* h = cases->add_subcommand("history", "Earlier versions of one field");
  AddCommonOptions(h, &history->common);
  h->add_option("id", history->id, "Case id")->required();
  h->add_option("field", history->field, "Field name")->required();
  h->callback([history, exit_code] { *exit_code = RunHistory(*history); });

  AddCaseLifecycleVerbs(cases, exit_code);
}

}  // namespace brankas::tools
