// Accounts (administrators; `passwd` also the user themself):
//   brankas user add USER --role ROLE [--unit U] [--password-file F]   POST /v1/users
//   brankas user list                                                  GET  /v1/users
//   brankas user disable USER                                          POST /v1/users/USER/disable
//   brankas user passwd USER [--password-file F]                       POST /v1/users/USER/password
// Without --password-file the new password is asked for twice, without echo.
#include <iostream>

#include "brankas/crypto.h"
#include "demo.h"
#include "offline_commands.h"
#include "online_commands.h"

namespace brankas::tools {
namespace {

struct UserArgs {
  CommonArgs common;
  std::string user, role, unit, password_file;
};

int RunAdd(const UserArgs& a) {
  int code = kExitOk;
  auto conn = Connection::Open("user add", a.common, Auth::kToken, &code);
  if (!conn) return code;
  auto password = ObtainSecret(a.password_file, "Password for the new user " + a.user, "--password-file", true);
  if (!password.ok()) return conn->Fail(kExitUsage, password.status().message());
  std::string body = "{\"user\":";
  AppendJsonString(&body, a.user);
  body += ",\"role\":";
  AppendJsonString(&body, a.role);
  if (!a.unit.empty()) {
    body += ",\"unit\":";
    AppendJsonString(&body, a.unit);
  }
  body += ",\"password\":";
  AppendJsonString(&body, *password);
  body += "}";
  WipeString(*password);
  Reply reply;
  code = conn->Call("POST", "/v1/users", body, &reply);
  WipeString(body);
  if (code != kExitOk) return code;
  if (conn->json()) return conn->PrintRaw(reply);
  std::cout << "Created user " << Text(reply.json, "user") << " (" << Text(reply.json, "role") << ", unit "
            << Text(reply.json, "unit") << ").\n";
  return kExitOk;
}

int RunList(const UserArgs& a) {
  int code = kExitOk;
  auto conn = Connection::Open("user list", a.common, Auth::kToken, &code);
  if (!conn) return code;
  Reply reply;
  code = conn->Call("GET", "/v1/users", {}, &reply);
  if (code != kExitOk) return code;
  if (conn->json()) return conn->PrintRaw(reply);
  const Json& users = reply.json.contains("users") ? reply.json["users"] : Json::array();
  demo::Table table({"USER", "ROLE", "UNIT", "STATE", "CREATED"});
  for (const Json& u : users) {
    int64_t created = u.contains("created_at") && u["created_at"].is_number_integer() ? u["created_at"].get<int64_t>() : 0;
    table.Add({Text(u, "user"), Text(u, "role"), Text(u, "unit"), u.value("disabled", false) ? "disabled" : "active",
               FormatUnixTime(created)});
  }
  table.Print(std::cout, "");
  std::cout << users.size() << " user" << (users.size() == 1 ? "" : "s") << ".\n";
  return kExitOk;
}

int RunDisable(const UserArgs& a) {
  int code = kExitOk;
  auto conn = Connection::Open("user disable", a.common, Auth::kToken, &code);
  if (!conn) return code;
  if (!IsPathSegment(a.user)) return conn->Fail(kExitUsage, "malformed user name");
  Reply reply;
  code = conn->Call("POST", "/v1/users/" + a.user + "/disable", {}, &reply);
  if (code != kExitOk) return code;
  if (conn->json()) return conn->PrintRaw(reply);
  std::cout << "Disabled user " << Text(reply.json, "user") << "; their sessions are ended.\n";
  return kExitOk;
}

int RunPasswd(const UserArgs& a) {
  int code = kExitOk;
  auto conn = Connection::Open("user passwd", a.common, Auth::kToken, &code);
  if (!conn) return code;
  if (!IsPathSegment(a.user)) return conn->Fail(kExitUsage, "malformed user name");
  auto password = ObtainSecret(a.password_file, "New password for " + a.user, "--password-file", true);
  if (!password.ok()) return conn->Fail(kExitUsage, password.status().message());
  std::string body = "{\"password\":";
  AppendJsonString(&body, *password);
  body += "}";
  WipeString(*password);
  Reply reply;
  code = conn->Call("POST", "/v1/users/" + a.user + "/password", body, &reply);
  WipeString(body);
  if (code != kExitOk) return code;
  if (conn->json()) return conn->PrintRaw(reply);
  std::cout << "Changed the password of " << Text(reply.json, "user")
            << "; every session of that user has ended (log in again if it was yours).\n";
  return kExitOk;
}

}  // namespace

void AddUserCommand(CLI::App& app, int* exit_code) {
  CLI::App* users = app.add_subcommand("user", "Login accounts (administrators)");
  users->require_subcommand(1);

  auto add = std::make_shared<UserArgs>();
  CLI::App* a = users->add_subcommand("add", "Create an account");
  AddCommonOptions(a, &add->common);
  a->add_option("user", add->user, "User name: 1-64 of a-z, 0-9, '.', '_', '-'")->required();
  a->add_option("--role", add->role,
                "intake, case_worker, supervisor, psychologist, medical, legal, auditor or admin")
      ->required();
  a->add_option("--unit", add->unit, "Unit code (default: the server's unit)");
  a->add_option("--password-file", add->password_file,
                "Read the password (at least 12 characters) from the first line of this file (mode 0600)");
  a->callback([add, exit_code] { *exit_code = RunAdd(*add); });

  auto list = std::make_shared<UserArgs>();
  CLI::App* l = users->add_subcommand("list", "List the accounts");
  AddCommonOptions(l, &list->common);
  l->callback([list, exit_code] { *exit_code = RunList(*list); });

  auto disable = std::make_shared<UserArgs>();
  CLI::App* d = users->add_subcommand("disable", "Disable an account and end its sessions");
  AddCommonOptions(d, &disable->common);
  d->add_option("user", disable->user, "User name")->required();
  d->callback([disable, exit_code] { *exit_code = RunDisable(*disable); });

  auto passwd = std::make_shared<UserArgs>();
  CLI::App* p = users->add_subcommand("passwd", "Set a password (an administrator, or the user themself)");
  AddCommonOptions(p, &passwd->common);
  p->add_option("user", passwd->user, "User name")->required();
  p->add_option("--password-file", passwd->password_file,
                "Read the new password from the first line of this file (mode 0600)");
  p->callback([passwd, exit_code] { *exit_code = RunPasswd(*passwd); });
}

}  // namespace brankas::tools
