// brankas login --server URL --ca FILE --user NAME [--password-file F] [--json]
//   POST /v1/sessions; the token goes to the login cache (session_cache.h) and
//   nowhere else: the output names the user, role, unit and expiry only.
// brankas logout [--json]
//   DELETE /v1/sessions, then removes the login cache.
#include <filesystem>
#include <fstream>
#include <iostream>

#include "brankas/crypto.h"
#include "offline_commands.h"
#include "online_commands.h"
#include "session_cache.h"

namespace brankas::tools {
namespace {

struct LoginArgs {
  CommonArgs common;
  std::string user, password_file;
  std::string dev_credentials, dev_role;  // brankasd --dev's dev-credentials.json and a role in it
};

// --dev-credentials FILE --as ROLE: the server, CA, user and password of one
// demo user of a brankasd --dev node (the file is the dev server's, mode 0600).
Status FromDevCredentials(LoginArgs* a, std::string* password) {
  std::ifstream in(a->dev_credentials);
  if (!in) return NotFound("cannot read " + a->dev_credentials);
  Json creds = Json::parse(in, nullptr, false);
  if (!creds.is_object() || !creds.contains("users") || !creds["users"].is_object()) {
    return InvalidArgument(a->dev_credentials + " is not a dev-credentials.json");
  }
  const Json& users = creds["users"];
  if (!users.contains(a->dev_role) || !users[a->dev_role].is_object()) {
    return InvalidArgument(a->dev_credentials + " has no user for role '" + a->dev_role + "'");
  }
  const Json& u = users[a->dev_role];
  if (a->common.server.empty()) a->common.server = creds.value("url", "");
  if (a->common.ca.empty()) a->common.ca = creds.value("ca_cert", "");
  a->user = u.value("user", "");
  *password = u.value("password", "");
  return Status::Ok();
}

std::string AbsolutePath(const std::string& path) {
  if (path.empty() || path[0] == '/') return path;
  std::error_code ec;
  auto absolute = std::filesystem::absolute(path, ec);
  return ec ? path : absolute.string();
}

int RunLogin(LoginArgs a) {
  std::string dev_password;
  if (!a.dev_credentials.empty()) {
    if (Status s = FromDevCredentials(&a, &dev_password); !s.ok()) {
      std::cerr << "brankas login: " << s.message() << "\n";
      return kExitUsage;
    }
  } else if (a.user.empty()) {
    std::cerr << "brankas login: --user is required (or --dev-credentials FILE --as ROLE)\n";
    return kExitUsage;
  }
  int code = kExitOk;
  auto conn = Connection::Open("login", a.common, Auth::kNone, &code);
  if (!conn) return code;
  Result<std::string> password = dev_password;
  if (a.dev_credentials.empty()) {
    password = ObtainSecret(a.password_file, "Password for " + a.user, "--password-file", false);
  }
  WipeString(dev_password);
  if (!password.ok()) return conn->Fail(kExitUsage, password.status().message());
  std::string body = "{\"user\":";
  AppendJsonString(&body, a.user);
  body += ",\"password\":";
  AppendJsonString(&body, *password);
  body += "}";
  WipeString(*password);
  Reply reply;
  code = conn->Call("POST", "/v1/sessions", body, &reply);
  WipeString(body);
  if (code != kExitOk) return code;
  WipeString(reply.body);  // it holds the token

  Json& j = reply.json;
  if (!j.contains("token") || !j["token"].is_string() || !j.contains("expires_at") ||
      !j["expires_at"].is_number_integer()) {
    return conn->Fail(kExitFailure, "the server's login answer has no token or expiry");
  }
  CachedSession session;
  session.server = conn->server();
  session.ca = AbsolutePath(conn->ca());
  session.user = j.contains("user") && j["user"].is_string() ? j["user"].get<std::string>() : a.user;
  std::string& token = j["token"].get_ref<std::string&>();
  session.token = token;
  WipeString(token);
  j.erase("token");
  session.expires_at = j["expires_at"].get<int64_t>();
  Status saved = SaveSessionCache(session);
  WipeString(session.token);
  if (!saved.ok()) {
    return conn->Fail(kExitUsage, saved.message() + " (the new session ends by itself at " +
                                      FormatUnixTime(session.expires_at) + ")");
  }
  if (conn->json()) {
    std::cout << j.dump() << "\n";
    return kExitOk;
  }
  auto path = SessionCachePath();
  std::cout << "Logged in to " << conn->server() << " as " << Text(j, "user") << " (" << Text(j, "role")
            << ", unit " << Text(j, "unit") << ") until " << FormatUnixTime(session.expires_at) << ".\n"
            << "The session is kept in " << (path.ok() ? *path : std::string("the login cache"))
            << "; `brankas logout` ends it.\n";
  return kExitOk;
}

int RunLogout(const CommonArgs& a) {
  const char* env_token = std::getenv("BRANKAS_TOKEN");
  const bool from_env = env_token != nullptr && *env_token != '\0';
  if (!from_env) {
    auto cache = LoadSessionCache();
    if (cache.ok() && !cache->has_value()) {
      std::cerr << "brankas logout: not logged in; nothing to do\n";
      return kExitOk;
    }
    if (cache.ok() && (*cache)->expires_at <= static_cast<int64_t>(std::time(nullptr))) {
      WipeString((*cache)->token);
      Status removed = RemoveSessionCache();
      if (!removed.ok()) {
        std::cerr << "brankas logout: " << removed.message() << "\n";
        return kExitUsage;
      }
      std::cerr << "brankas logout: the session had already expired; removed the login cache\n";
      return kExitOk;
    }
    if (cache.ok()) WipeString((*cache)->token);
  }
  int code = kExitOk;
  auto conn = Connection::Open("logout", a, Auth::kToken, &code);
  if (!conn) return code;
  Reply reply;
  code = conn->CallAllowingErrors("DELETE", "/v1/sessions", &reply);
  const bool already_ended = code == kExitFailure && reply.http_status == 401;
  if (code == kExitFailure && !already_ended) {
    // The server refused for another reason (sealed, unavailable): the token
    // may still be valid, so the cache stays for another try.
    if (reply.json.is_object()) return conn->ReportError(reply);
    return code;
  }
  if (conn->token_from_cache()) {
    // Also when the server could not be reached: the token is then forgotten
    // here and ends on the server when it expires.
    Status removed = RemoveSessionCache();
    if (!removed.ok()) return conn->Fail(kExitUsage, removed.message());
  }
  if (code == kExitUsage) {
    if (conn->token_from_cache()) {
      std::cerr << "brankas logout: removed the login cache; the session ends on the server when it expires\n";
    }
    return code;
  }
  if (conn->json()) return conn->PrintRaw(reply);
  if (already_ended) {
    std::cout << "The session had already ended on " << conn->server() << ".\n";
  } else {
    std::cout << "Logged out from " << conn->server() << ".\n";
  }
  if (conn->token_from_cache()) std::cout << "Removed the login cache.\n";
  return kExitOk;
}

}  // namespace

void AddSessionCommands(CLI::App& app, int* exit_code) {
  auto login = std::make_shared<LoginArgs>();
  CLI::App* cmd = app.add_subcommand("login", "Log in: POST /v1/sessions; the token is kept in the login cache "
                                              "($XDG_CONFIG_HOME/brankas/session.json, mode 0600)");
  AddCommonOptions(cmd, &login->common);
  cmd->add_option("--user", login->user, "User name");
  cmd->add_option("--dev-credentials", login->dev_credentials,
                  "A brankasd --dev node's dev-credentials.json: server, CA, user and password from it");
  cmd->add_option("--as", login->dev_role, "With --dev-credentials: the role whose demo user logs in")
      ->check(CLI::IsMember({"intake", "case_worker", "supervisor", "psychologist", "medical", "legal", "auditor", "admin"}));
  cmd->add_option("--password-file", login->password_file,
                  "Read the password from the first line of this file (mode 0600) instead of asking");
  cmd->callback([login, exit_code] {
    if (!login->dev_credentials.empty() && login->dev_role.empty()) login->dev_role = "case_worker";
    *exit_code = RunLogin(*login);
  });

  auto logout = std::make_shared<CommonArgs>();
  CLI::App* out = app.add_subcommand("logout", "End the session (DELETE /v1/sessions) and remove the login cache");
  AddCommonOptions(out, logout.get());
  out->callback([logout, exit_code] { *exit_code = RunLogout(*logout); });
}

}  // namespace brankas::tools
