#include "online_client.h"

#include <ctime>
#include <fstream>
#include <iostream>
#include <sstream>

#include "brankas/crypto.h"
#include "offline_commands.h"
#include "secret_input.h"
#include "session_cache.h"

namespace brankas::tools {
namespace {

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr ? v : "";
}

std::string NormalizeServer(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

}  // namespace

void AddCommonOptions(CLI::App* verb, CommonArgs* args) {
  verb->add_option("--server", args->server, "https://HOST:PORT (default: $BRANKAS_SERVER, else the login)");
  verb->add_option("--ca", args->ca,
                   "PEM file of the server's CA (default: $BRANKAS_CA, else the login's, else the system's)");
  verb->add_flag("--json", args->json, "Print the server's JSON answer unchanged");
}

// --- Connection --------------------------------------------------------------

std::unique_ptr<Connection> Connection::Open(std::string command, const CommonArgs& args, Auth auth,
                                             int* exit_code) {
  std::unique_ptr<Connection> c(new Connection());
  c->command_ = std::move(command);
  c->json_ = args.json;
  auto fail = [&](int code, const std::string& message) -> std::unique_ptr<Connection> {
    *exit_code = c->Fail(code, message);
    return nullptr;
  };

  std::optional<CachedSession> cache;
  Status cache_problem;
  auto loaded = LoadSessionCache();
  if (loaded.ok()) {
    cache = std::move(*loaded);
  } else {
    cache_problem = loaded.status();
  }

  std::string server = !args.server.empty() ? args.server : Env("BRANKAS_SERVER");
  if (server.empty() && cache) server = cache->server;
  if (server.empty()) {
    if (!cache_problem.ok()) return fail(kExitUsage, cache_problem.message());
    return fail(kExitUsage,
                "which server? Give --server https://HOST:PORT, set BRANKAS_SERVER, or log in with "
                "`brankas login --server URL --ca FILE --user NAME`");
  }
  c->server_ = NormalizeServer(server);
  std::string host, port;
  if (Status url = ParseHttpsUrl(c->server_, &host, &port); !url.ok()) return fail(kExitUsage, url.message());
  const bool cache_matches = cache && NormalizeServer(cache->server) == c->server_;

  c->ca_ = !args.ca.empty() ? args.ca : Env("BRANKAS_CA");
  if (c->ca_.empty() && cache_matches) c->ca_ = cache->ca;

  if (auth == Auth::kToken) {
    c->token_ = Env("BRANKAS_TOKEN");
    if (c->token_.empty()) {
      if (!cache_problem.ok()) return fail(kExitUsage, cache_problem.message());
      if (!cache_matches) {
        return fail(kExitFailure, "not logged in to " + c->server_ +
                                      ": run `brankas login --user NAME` (with --server and --ca) or set BRANKAS_TOKEN");
      }
      if (cache->expires_at <= static_cast<int64_t>(std::time(nullptr))) {
        WipeString(cache->token);
        return fail(kExitFailure, "the session of " + cache->user + " on " + c->server_ + " expired at " +
                                      FormatUnixTime(cache->expires_at) + ": log in again with `brankas login --user " +
                                      cache->user + "`");
      }
      c->token_ = cache->token;
      c->token_from_cache_ = true;
    }
  }
  if (cache) WipeString(cache->token);

  ClientOptions options;
  options.url = c->server_;
  options.ca_file = c->ca_;
  auto client = HttpsClient::Connect(options);
  if (!client.ok()) return fail(kExitUsage, client.status().message());
  c->client_ = std::move(*client);
  return c;
}

Connection::~Connection() { WipeString(token_); }

int Connection::Fail(int code, const std::string& message) const {
  std::cerr << "brankas " << command_ << ": " << message << "\n";
  return code;
}

int Connection::PrintRaw(const Reply& reply) const {
  std::cout << reply.body;
  if (reply.body.empty() || reply.body.back() != '\n') std::cout << "\n";
  return kExitOk;
}

int Connection::ReportError(const Reply& reply) const {
  const Json* error = nullptr;
  if (reply.json.is_object()) {
    auto it = reply.json.find("error");
    if (it != reply.json.end() && it->is_object()) error = &*it;
  }
  if (error == nullptr) {
    std::string id = reply.request_id.empty() ? "" : " (request id " + Printable(reply.request_id) + ")";
    return Fail(kExitFailure, "the server answered HTTP " + std::to_string(reply.http_status) + id);
  }
  if (json_) PrintRaw(reply);
  const std::string code = Text(*error, "code");
  std::string request_id = Text(*error, "request_id");
  if (request_id.empty()) request_id = Printable(reply.request_id);
  std::string message = code + ": " + Text(*error, "message");
  if (!request_id.empty()) message += " (request id " + request_id + ")";
  if (code == "unauthenticated" && token_from_cache_) {
    message += "\n  the login has ended: log in again with `brankas login`";
  } else if (code == "sealed") {
    message += "\n  an administrator unseals it with `brankas unseal`";
  }
  return Fail(kExitFailure, message);
}

int Connection::CallAllowingErrors(std::string_view method, const std::string& target, Reply* reply) {
  auto r = client_->Request(method, target, {}, token_);
  if (!r.ok()) return Fail(kExitUsage, r.status().message());
  reply->http_status = r->status;
  reply->body = std::move(r->body);
  reply->request_id = std::move(r->request_id);
  reply->json = Json::parse(reply->body, nullptr, /*allow_exceptions=*/false);
  if (!reply->json.is_object()) {
    return Fail(kExitFailure, "the server's answer (HTTP " + std::to_string(reply->http_status) + ") is not a JSON object");
  }
  return reply->http_status >= 200 && reply->http_status < 300 ? kExitOk : kExitFailure;
}

int Connection::Call(std::string_view method, const std::string& target, std::string_view body, Reply* reply) {
  auto r = client_->Request(method, target, body, token_);
  if (!r.ok()) return Fail(kExitUsage, r.status().message());
  reply->http_status = r->status;
  reply->body = std::move(r->body);
  reply->request_id = std::move(r->request_id);
  reply->json = Json::parse(reply->body, nullptr, /*allow_exceptions=*/false);
  if (reply->http_status < 200 || reply->http_status >= 300) return ReportError(*reply);
  if (!reply->json.is_object()) return Fail(kExitFailure, "the server's answer is not a JSON object");
  return kExitOk;
}

int Connection::Upload(std::string_view method, const std::string& target, uint64_t content_length,
                       std::string_view content_type, const UploadSource& source, Reply* reply) {
  auto r = client_->Upload(method, target, token_, content_length, content_type, source);
  if (!r.ok()) return Fail(kExitUsage, r.status().message());
  reply->http_status = r->status;
  reply->body = std::move(r->body);
  reply->request_id = std::move(r->request_id);
  reply->json = Json::parse(reply->body, nullptr, /*allow_exceptions=*/false);
  if (reply->http_status < 200 || reply->http_status >= 300) return ReportError(*reply);
  if (!reply->json.is_object()) return Fail(kExitFailure, "the server's answer is not a JSON object");
  return kExitOk;
}

int Connection::Download(const std::string& target, const std::string& what, const DownloadSink& sink,
                         DownloadResponse* answer, bool post) {
  auto r = post ? client_->PostForDownload(target, token_, sink) : client_->Download(target, token_, sink);
  if (!r.ok()) {
    if (r.status().code() == Code::kCorruption) {
      return Fail(kExitTampered, what + " arrived incomplete: " + r.status().message() +
                                     "; the server stopped sending it (it may have found the stored copy damaged)");
    }
    return Fail(kExitUsage, r.status().message());
  }
  *answer = std::move(*r);
  if (answer->status >= 200 && answer->status < 300) return kExitOk;
  Reply reply;
  reply.http_status = answer->status;
  reply.body = answer->body;
  reply.request_id = answer->request_id;
  reply.json = Json::parse(reply.body, nullptr, /*allow_exceptions=*/false);
  return ReportError(reply);
}

// --- Building requests -------------------------------------------------------

void AppendJsonString(std::string* out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  for (char ch : s) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out->push_back('\\');
      out->push_back(ch);
    } else if (c < 0x20) {
      out->append("\\u00");
      out->push_back(kHex[c >> 4]);
      out->push_back(kHex[c & 15]);
    } else {
      out->push_back(ch);
    }
  }
  out->push_back('"');
}

Result<std::string> DumpJson(const Json& j) {
  try {
    return j.dump();
  } catch (const Json::exception&) {
    return InvalidArgument("a value is not valid UTF-8 text");
  }
}

std::string UrlEncode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char ch : s) {
    unsigned char c = static_cast<unsigned char>(ch);
    bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                 c == '_' || c == '.' || c == '~' || c == ',';
    if (plain) {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

std::string QueryString(const std::vector<std::pair<std::string, std::string>>& params) {
  std::string out;
  for (const auto& [key, value] : params) {
    if (value.empty()) continue;
    out += (out.empty() ? "?" : "&") + key + "=" + UrlEncode(value);
  }
  return out;
}

bool IsPathSegment(std::string_view id) {
  if (id.empty() || id.size() > 128 || id == "." || id == "..") return false;
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
              c == '.';
    if (!ok) return false;
  }
  return true;
}

std::vector<std::string> SplitList(std::string_view text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string_view::npos) comma = text.size();
    std::string_view item = text.substr(start, comma - start);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (!item.empty()) out.emplace_back(item);
    start = comma + 1;
  }
  return out;
}

Result<Json> CollectFields(const std::vector<std::string>& pairs, const std::string& fields_file) {
  Json fields = Json::object();
  if (!fields_file.empty()) {
    std::ifstream in(fields_file, std::ios::binary);
    if (!in) return NotFound("cannot read " + fields_file);
    std::stringstream text;
    text << in.rdbuf();
    // The parse error would quote the input; only the file name is repeated.
    Json parsed = Json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
    if (!parsed.is_object()) return InvalidArgument(fields_file + " must hold one JSON object of field names to strings");
    for (auto it = parsed.begin(); it != parsed.end(); ++it) {
      if (!it.value().is_string()) return InvalidArgument(fields_file + ": field \"" + it.key() + "\" is not a string");
      fields[it.key()] = it.value();
    }
  }
  for (const std::string& pair : pairs) {
    size_t eq = pair.find('=');
    if (eq == std::string::npos || eq == 0) return InvalidArgument("--field takes NAME=VALUE");
    std::string name = pair.substr(0, eq);
    if (fields.contains(name)) return InvalidArgument("field \"" + name + "\" is given twice");
    fields[name] = pair.substr(eq + 1);
  }
  return fields;
}

// --- Secrets -----------------------------------------------------------------

Result<std::string> ObtainSecret(const std::string& file, const std::string& what, const std::string& file_flag,
                                 bool twice) {
  if (!file.empty()) return ReadSecretFile(file);
  auto first = PromptSecret(what + ": ");
  if (!first.ok()) return Status(first.status().code(), first.status().message() + " (use " + file_flag + ")");
  if (!twice) return first;
  auto again = PromptSecret("Repeat it: ");
  if (!again.ok()) {
    WipeString(*first);
    return again.status();
  }
  bool same = ConstantTimeEqual(*first, *again);
  WipeString(*again);
  if (!same) {
    WipeString(*first);
    return InvalidArgument("the two entries differ");
  }
  return first;
}

// --- Printing ----------------------------------------------------------------

std::string FormatUnixTime(int64_t seconds) {
  std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  if (std::strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%SZ", &tm) == 0) return std::to_string(seconds);
  return buf;
}

std::string Printable(std::string_view s, bool keep_newlines) {
  std::string out;
  out.reserve(s.size());
  for (char ch : s) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (c == '\n' && keep_newlines) {
      out.push_back('\n');
    } else if (c == '\t' || c == '\n' || c == '\r') {
      out.push_back(' ');
    } else if (c < 0x20 || c == 0x7f) {
      out.push_back('?');
    } else {
      out.push_back(ch);
    }
  }
  return out;
}

std::string Text(const Json& j, const char* key) {
  if (!j.is_object()) return "";
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return "";
  if (it->is_string()) return Printable(it->get_ref<const std::string&>());
  if (it->is_boolean()) return it->get<bool>() ? "yes" : "no";
  return Printable(it->dump());
}

std::string JoinArray(const Json& array) {
  if (!array.is_array() || array.empty()) return "-";
  std::string out;
  for (const Json& item : array) {
    out += (out.empty() ? "" : ", ") + Printable(item.is_string() ? item.get<std::string>() : item.dump());
  }
  return out;
}

}  // namespace brankas::tools
