// libFuzzer target over the request parsing of the HTTPS API (not part of CI;
// run it with tests/fuzz/run.sh).
//
// Each input is treated two ways:
//  (a) as the bytes of a TLS-decrypted connection: Beast's request parser with
//      the server's default limits (header_limit, body_limit, eager), fed with
//      put() from one buffer, no socket. A complete request becomes a
//      server::HttpRequest exactly as http_server.cc builds it and goes to
//      Api::Handle; a framing error goes to Api::Refuse as the server does.
//      Up to kMaxPipelined keep-alive requests are taken from one input.
//  (b) as a request target and as a JSON body, given straight to ParseTarget,
//      ParseJsonObject, OnlyKeys, FieldObject, StringArray and OptionalInt, so
//      target and JSON parsing are fuzzed even when the HTTP framing is not valid.
//
// Two vaults, each in its own mkdtemp directory, are set up once: one left
// SEALED (every vault call refuses fast, nothing is written) and one UNSEALED,
// used for 1 input in 64 (chosen by a hash of the input), so the paths past the
// seal run too — those fsync the audit, which is slow. The unsealed vault is
// rebuilt every kUnsealedRebuildEvery of its inputs, and whenever an input
// broke what the harness relies on (logged a harness user out, changed its
// password, disabled it, sealed the vault): a failure there may depend on the
// inputs before it.
//
// Placeholders, so the fuzzer can get past authentication: an Authorization
// header "Bearer <user>" naming one of the harness users (admin, sup, ani,
// budi, aud, lex, intake) is replaced by that user's real session token (both
// vaults have the sessions: the sealed one was logged into before sealing, and
// Vault::Authenticate needs no root key, so on the sealed vault too the
// authenticated routes parse and check their bodies before the vault refuses),
// and "_CASE_" / "_GRANT_" in the target or body become the id of a case (owned
// by ani, assigned to budi) and of a grant (for lex) created at setup.
//
// Invariants (a failure prints what it saw and calls __builtin_trap()):
//  - every answer has an HTTP status in 200..599;
//  - every non-2xx answer is a JSON object {"error": {"code": C, ...}} with C
//    one of the API's error codes — except the documented `GET /v1/health`
//    answer of a sealed or degraded node, 503 {"status": "sealed"|"degraded"};
//  - no answer body contains a run of 16 digits that was in the input (the raw
//    bytes, the percent-decoded query, or a string of the JSON body): a NIK is
//    never echoed. Checked on every answer of the sealed vault and on every
//    non-2xx answer of the unsealed one; the 2xx answers of the unsealed vault
//    return stored records and names the caller just chose (a created user's
//    name, a grant's legal basis), so a run there is not an echo;
//  - the messages of ParseTarget / ParseJsonObject / OnlyKeys / FieldObject /
//    StringArray / OptionalInt never contain a 16-digit run of the input
//    (json_io.h: "No message ever repeats the input");
//  - ParseTarget's segments are never empty, "." or "..", and hold only
//    [A-Za-z0-9._-]; its query has no repeated name and at most 32 entries;
//  - an object ParseJsonObject accepts is an object nested at most
//    max_json_depth deep (JsonDepth is a sound bound);
//  - the sealed vault stays sealed.
//
// Environment: BRANKAS_FUZZ_VAULT=sealed|unsealed sends every input to that
// vault; BRANKAS_FUZZ_VERBOSE=1 prints each answer; BRANKAS_SOURCE_DIR says
// where config/ is (default: the source tree this was built from).
#include <spdlog/spdlog.h>
#include <stdlib.h>

#include <boost/asio/buffer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "brankas/crypto.h"
#include "brankas/server.h"
#include "brankas/vault.h"
#include "server/api.h"
#include "server/http_types.h"
#include "server/json_io.h"
#include "server/metrics.h"

namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using brankas::server::Json;

constexpr int64_t kNowUs = 1'780'000'000'000'000;  // a fixed day in 2026, as the engine tests use
constexpr int kMaxPipelined = 4;
constexpr uint64_t kUnsealedOneIn = 64;
constexpr uint64_t kUnsealedRebuildEvery = 2000;  // bounds the growth of the unsealed vault
constexpr char kUserPassword[] = "fuzz harness password 0001";

struct HarnessUser {
  const char* name;
  brankas::Role role;
};
constexpr HarnessUser kUsers[] = {
    {"admin", brankas::Role::kAdmin},       {"sup", brankas::Role::kSupervisor},
    {"ani", brankas::Role::kCaseWorker},    {"budi", brankas::Role::kCaseWorker},
    {"aud", brankas::Role::kAuditor},       {"lex", brankas::Role::kLegal},
    {"intake", brankas::Role::kIntake},
};

[[noreturn]] void SetupFailed(const char* what, const brankas::Status& s) {
  fprintf(stderr, "request_fuzz: setup failed: %s: %s\n", what, s.ToString().c_str());
  abort();
}

std::string SourceDir() {
  const char* dir = getenv("BRANKAS_SOURCE_DIR");
  if (dir != nullptr && *dir != '\0') return dir;
  return BRANKAS_FUZZ_SOURCE_DIR;
}

brankas::Argon2Params CheapArgon() {
  brankas::Argon2Params p;
  p.ops_limit = 1;
  p.mem_limit = 8192;
  return p;
}

brankas::RequestContext Ctx(const std::string& user, brankas::Role role) {
  return brankas::RequestContext{brankas::Principal{user, role, "KPG"}, "fuzz-setup", "127.0.0.1:1"};
}

// One vault with its Api, the harness users' session tokens and a case.
struct Node {
  std::string dir;
  std::string passphrase;
  std::unique_ptr<brankas::Vault> vault;
  brankas::server::Metrics metrics;
  std::unique_ptr<brankas::server::Api> api;
  std::map<std::string, std::string, std::less<>> tokens;  // user -> bearer token
  std::string case_id, grant_id;
  uint64_t runs = 0;

  ~Node() {
    api.reset();
    vault.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
};

brankas::VaultOptions Options(const std::string& dir) {
  brankas::VaultOptions o;
  o.data_dir = dir + "/data";
  o.schema_path = SourceDir() + "/config/schema.toml";
  o.now_us = [] { return kNowUs; };
  o.password_argon = CheapArgon();
  return o;
}

std::unique_ptr<Node> MakeNode(bool leave_sealed) {
  auto node = std::make_unique<Node>();
  const char* base = getenv("TMPDIR");
  std::string tmpl = std::string(base != nullptr && *base != '\0' ? base : "/tmp") + "/brankas-fuzz-XXXXXX";
  if (mkdtemp(tmpl.data()) == nullptr) {
    perror("request_fuzz: mkdtemp");
    abort();
  }
  node->dir = tmpl;
  // Random, so no input can unseal the sealed vault.
  node->passphrase = brankas::ToHex(brankas::RandomBytes(24));

  brankas::InitOptions init;
  init.unit = "KPG";
  init.passphrase = node->passphrase;
  init.argon = CheapArgon();
  if (auto r = brankas::Vault::Initialize(Options(node->dir), init); !r.ok()) SetupFailed("Initialize", r.status());
  auto opened = brankas::Vault::Open(Options(node->dir));
  if (!opened.ok()) SetupFailed("Open", opened.status());
  node->vault = std::move(*opened);
  brankas::Vault& v = *node->vault;
  const auto root = Ctx("root", brankas::Role::kAdmin);
  if (auto s = v.UnsealWithPassphrase(root, node->passphrase); !s.ok()) SetupFailed("Unseal", s);

  for (const HarnessUser& u : kUsers) {
    brankas::UserInfo info;
    info.user = u.name;
    info.role = u.role;
    if (auto r = v.CreateUser(root, info, kUserPassword); !r.ok()) SetupFailed("CreateUser", r.status());
    auto session = v.Login(Ctx(u.name, u.role), u.name, kUserPassword);
    if (!session.ok()) SetupFailed("Login", session.status());
    node->tokens.emplace(u.name, session->token);
  }
  const auto ani = Ctx("ani", brankas::Role::kCaseWorker);
  auto created = v.CreateCase(ani, {{"name", "Siti Rahmawati"}, {"nik", "3273015508990002"}}, {"budi"});
  if (!created.ok()) SetupFailed("CreateCase", created.status());
  node->case_id = created->case_id;
  brankas::GrantRequest g;
  g.case_id = node->case_id;
  g.grantee = "lex";
  g.grantee_role = brankas::Role::kLegal;
  g.classes = {brankas::FieldClass::kIdentity};
  g.not_before = kNowUs / 1'000'000;
  g.expires_at = kNowUs / 1'000'000 + 7 * 86400;
  g.legal_basis = "court_order:PN-JKT/12/2026";
  if (auto grant = v.RequestGrant(ani, g); grant.ok()) {
    node->grant_id = grant->id;
  } else {
    fprintf(stderr, "request_fuzz: note: no harness grant (%s); _GRANT_ stays as is\n",
            grant.status().ToString().c_str());
  }
  if (leave_sealed) {
    if (auto s = v.Seal(Ctx("admin", brankas::Role::kAdmin)); !s.ok()) SetupFailed("Seal", s);
  }
  node->api = std::make_unique<brankas::server::Api>(&v, brankas::HttpLimits{}, &node->metrics,
                                                     /*metrics_local_only=*/true);
  return node;
}

// Never destroyed: the vaults stay open until the process ends (their threads
// end with it), so nothing races the static destructors at exit.
struct Harness {
  std::unique_ptr<Node> sealed, unsealed;
};
Harness* g_harness = nullptr;
const brankas::HttpLimits g_limits{};

void Setup() {
  spdlog::set_level(spdlog::level::err);
  g_harness = new Harness;
  g_harness->sealed = MakeNode(/*leave_sealed=*/true);
  g_harness->unsealed = MakeNode(/*leave_sealed=*/false);
  std::atexit([] {
    // Only the directories (the files stay usable while open).
    std::error_code ec;
    if (g_harness->sealed) std::filesystem::remove_all(g_harness->sealed->dir, ec);
    if (g_harness->unsealed) std::filesystem::remove_all(g_harness->unsealed->dir, ec);
  });
}

uint64_t Fnv1a(const uint8_t* data, size_t size) {
  uint64_t h = 1469598103934665603ull;
  for (size_t i = 0; i < size; ++i) h = (h ^ data[i]) * 1099511628211ull;
  return h;
}

// --- Invariant helpers. ----------------------------------------------------

// Texts the input holds, decoded: raw bytes, decoded query values, JSON strings.
struct InputTexts {
  std::vector<std::string> texts;
  bool Contains(std::string_view needle) const {
    for (const std::string& t : texts) {
      if (t.find(needle) != std::string::npos) return true;
    }
    return false;
  }
  void AddJson(const Json& j) {
    if (j.is_string()) {
      texts.push_back(j.get<std::string>());
    } else if (j.is_object()) {
      for (auto it = j.begin(); it != j.end(); ++it) {
        texts.push_back(it.key());
        AddJson(it.value());
      }
    } else if (j.is_array()) {
      for (const Json& item : j) AddJson(item);
    }
  }
  void AddTarget(const brankas::server::Target& t) {
    for (const auto& [k, v] : t.query) {
      texts.push_back(k);
      texts.push_back(v);
    }
  }
};

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// The first 16-digit window of `text` that the input holds, or empty.
std::string EchoedRun(std::string_view text, const InputTexts& input) {
  size_t i = 0;
  while (i < text.size()) {
    if (!IsDigit(text[i])) {
      ++i;
      continue;
    }
    size_t end = i;
    while (end < text.size() && IsDigit(text[end])) ++end;
    for (size_t w = i; w + 16 <= end; ++w) {
      if (input.Contains(text.substr(w, 16))) return std::string(text.substr(w, 16));
    }
    i = end;
  }
  return {};
}

[[noreturn]] void Fail(const char* invariant, const std::string& detail, std::string_view body) {
  fprintf(stderr, "\n=== request_fuzz: INVARIANT FAILED: %s\n%s\nanswer body (first 2000 bytes): %.*s\n", invariant,
          detail.c_str(), static_cast<int>(std::min<size_t>(body.size(), 2000)), body.data());
  __builtin_trap();
}

void CheckMessage(const brankas::Status& s, const InputTexts& input, const char* where) {
  if (s.ok()) return;
  std::string run = EchoedRun(s.message(), input);
  if (!run.empty()) Fail("a parser message repeats a 16-digit run of the input", std::string(where) + " run=" + run, s.message());
}

bool IsApiErrorCode(const std::string& code) {
  for (const char* c : {"invalid_argument", "unauthenticated", "permission_denied", "not_found", "conflict", "sealed",
                        "too_large", "rate_limited", "unavailable", "internal"}) {
    if (code == c) return true;
  }
  return false;
}

// BRANKAS_FUZZ_VERBOSE=1: one line per answer (for seeds and reproducing).
const bool g_verbose = [] {
  const char* v = getenv("BRANKAS_FUZZ_VERBOSE");
  return v != nullptr && *v != '\0' && *v != '0';
}();

// BRANKAS_FUZZ_VAULT=sealed|unsealed: every input to that vault (default: the
// hash picks the unsealed one for 1 input in 64).
const int g_force_vault = [] {
  const char* v = getenv("BRANKAS_FUZZ_VAULT");
  if (v == nullptr) return 0;
  return std::string_view(v) == "unsealed" ? 1 : std::string_view(v) == "sealed" ? -1 : 0;
}();

void CheckAnswer(const brankas::server::HttpResponse& r, const brankas::server::RequestLog& log,
                 const InputTexts& input, bool stateful, const char* how) {
  if (g_verbose) {
    fprintf(stderr, "request_fuzz: %s vault=%s route=%s status=%d body=%.*s\n", how, stateful ? "unsealed" : "sealed",
            log.route.c_str(), r.status, static_cast<int>(std::min<size_t>(r.body.size(), 300)), r.body.data());
  }
  const std::string where = std::string(how) + " route=" + log.route + " status=" + std::to_string(r.status) +
                            " vault=" + (stateful ? "unsealed" : "sealed");
  if (r.status < 200 || r.status > 599) Fail("HTTP status outside 200..599", where, r.body);
  const bool success = r.status >= 200 && r.status <= 299;
  if (!success) {
    Json j = Json::parse(r.body, nullptr, /*allow_exceptions=*/false);
    const bool health = log.route == "health" && r.status == 503 && j.is_object() && j.contains("status") &&
                        j["status"].is_string() &&
                        (j["status"] == "sealed" || j["status"] == "degraded");
    if (!health) {
      if (!j.is_object() || !j.contains("error") || !j["error"].is_object() || !j["error"].contains("code") ||
          !j["error"]["code"].is_string()) {
        Fail("a non-2xx answer is not {\"error\":{\"code\":...}}", where, r.body);
      }
      const std::string code = j["error"]["code"].get<std::string>();
      if (!IsApiErrorCode(code)) Fail("a non-2xx answer has an unknown error.code", where + " code=" + code, r.body);
    }
  }
  if (stateful && success) return;
  // The request id is the server's (a counter in hex: often 16 decimal digits).
  std::string body = r.body;
  if (!log.request_id.empty()) {
    for (size_t p = body.find(log.request_id); p != std::string::npos; p = body.find(log.request_id, p)) {
      body.replace(p, log.request_id.size(), "<request-id>");
    }
  }
  std::string run = EchoedRun(body, input);
  if (!run.empty()) Fail("an answer repeats a 16-digit run of the input (NIK echo)", where + " run=" + run, r.body);
}

// --- (b): the parsers, straight. --------------------------------------------

int ActualDepth(const Json& j) {
  if (!j.is_structured()) return 0;
  int deepest = 0;
  for (const Json& item : j) deepest = std::max(deepest, ActualDepth(item));
  return deepest + 1;
}

void FuzzTarget(std::string_view text, InputTexts& input) {
  auto t = brankas::server::ParseTarget(text, g_limits.max_target_bytes);
  if (!t.ok()) {
    CheckMessage(t.status(), input, "ParseTarget");
    return;
  }
  for (const std::string& seg : t->segments) {
    if (seg.empty() || seg == "." || seg == "..") Fail("ParseTarget kept an empty or relative segment", seg, "");
    for (char c : seg) {
      const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || IsDigit(c) || c == '-' || c == '_' || c == '.';
      if (!ok) Fail("ParseTarget kept a character outside [A-Za-z0-9._-]", seg, "");
    }
  }
  if (t->query.size() > 32) Fail("ParseTarget kept more than 32 query parameters", std::to_string(t->query.size()), "");
  for (size_t i = 0; i < t->query.size(); ++i) {
    for (size_t k = i + 1; k < t->query.size(); ++k) {
      if (t->query[i].first == t->query[k].first) Fail("ParseTarget kept a repeated query parameter", t->query[i].first, "");
    }
  }
  input.AddTarget(*t);
}

void FuzzJson(std::string_view text, InputTexts& input) {
  auto parsed = brankas::server::ParseJsonObject(text, g_limits.max_json_depth);
  if (!parsed.ok()) {
    CheckMessage(parsed.status(), input, "ParseJsonObject");
    return;
  }
  const Json& obj = *parsed;
  if (!obj.is_object()) Fail("ParseJsonObject returned a non-object", "", "");
  if (ActualDepth(obj) > g_limits.max_json_depth) {
    Fail("ParseJsonObject accepted JSON nested deeper than the limit", std::to_string(ActualDepth(obj)), "");
  }
  input.AddJson(obj);
  CheckMessage(brankas::server::OnlyKeys(obj, {"fields", "assign_to", "expected_version"}), input, "OnlyKeys");
  auto fields = brankas::server::FieldObject(obj, "fields", 256);
  CheckMessage(fields.status(), input, "FieldObject");
  if (fields.ok() && fields->size() > 256) Fail("FieldObject returned more than max_items", "", "");
  auto assign = brankas::server::StringArray(obj, "assign_to", 64, 64);
  CheckMessage(assign.status(), input, "StringArray");
  if (assign.ok()) {
    if (assign->size() > 64) Fail("StringArray returned more than max_items", "", "");
    for (const std::string& s : *assign) {
      if (s.size() > 64) Fail("StringArray returned an item over max_bytes", "", "");
    }
  }
  CheckMessage(brankas::server::OptionalInt(obj, "expected_version").status(), input, "OptionalInt");
}

// --- (a): HTTP framing into Api::Handle / Api::Refuse. -----------------------

void ReplaceAll(std::string& s, std::string_view from, const std::string& to) {
  if (to.empty()) return;
  for (size_t p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size())) s.replace(p, from.size(), to);
}

void Substitute(brankas::server::HttpRequest& request, const Node& node) {
  static constexpr std::string_view kBearer = "Bearer ";
  if (request.authorization.size() > kBearer.size() && request.authorization.compare(0, kBearer.size(), kBearer) == 0) {
    auto it = node.tokens.find(std::string_view(request.authorization).substr(kBearer.size()));
    if (it != node.tokens.end()) request.authorization = std::string(kBearer) + it->second;
  }
  ReplaceAll(request.target, "_CASE_", node.case_id);
  ReplaceAll(request.body, "_CASE_", node.case_id);
  ReplaceAll(request.target, "_GRANT_", node.grant_id);
  ReplaceAll(request.body, "_GRANT_", node.grant_id);
}

void FuzzHttp(const uint8_t* data, size_t size, Node& node, bool stateful, bool loopback, InputTexts& input) {
  const std::string client = loopback ? "127.0.0.1:40000" : "192.0.2.7:40000";
  size_t off = 0;
  for (int i = 0; i < kMaxPipelined && off < size; ++i) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(static_cast<uint32_t>(g_limits.max_header_bytes));
    parser.body_limit(g_limits.max_body_bytes);
    parser.eager(true);
    beast::error_code ec;
    while (!parser.is_done()) {
      const size_t n = parser.put(net::buffer(data + off, size - off), ec);
      off += n;
      if (ec == http::error::need_more || (!ec && n == 0)) {
        // The whole input is the stream: nothing more comes. As the server
        // sees a peer that stops sending.
        ec = {};
        parser.put_eof(ec);
        if (!ec && !parser.is_done()) ec = http::error::partial_message;
        break;
      }
      if (ec) break;
    }
    if (ec) {
      // As http_server.cc OnRead: refuse too-large and malformed requests; a
      // connection that failed before a header and left nothing is just closed.
      const bool header_limit = ec == http::error::header_limit;
      const bool body_limit = ec == http::error::body_limit;
      if (!header_limit && !body_limit && !parser.is_header_done() && off >= size) return;
      brankas::Status refusal =
          header_limit ? brankas::TooLarge("request headers are larger than " + std::to_string(g_limits.max_header_bytes) + " bytes")
          : body_limit ? brankas::TooLarge("request body is larger than " + std::to_string(g_limits.max_body_bytes) + " bytes")
                       : brankas::InvalidArgument("malformed HTTP request");
      brankas::server::RequestLog log;
      log.route = "transport";
      brankas::server::HttpResponse r = node.api->Refuse(refusal, client, &log);
      CheckAnswer(r, log, input, stateful, "Refuse");
      return;
    }
    http::request<http::string_body> req = parser.release();
    const bool keep_alive = req.keep_alive();
    // Exactly as http_server.cc builds it.
    brankas::server::HttpRequest request;
    request.method = std::string(req.method_string());
    request.target = std::string(req.target());
    request.authorization = std::string(req[http::field::authorization]);
    request.content_type = std::string(req[http::field::content_type]);
    request.body = std::move(req.body());
    request.client = client;
    request.client_is_loopback = loopback;
    if (auto t = brankas::server::ParseTarget(request.target, g_limits.max_target_bytes); t.ok()) input.AddTarget(*t);
    if (auto j = Json::parse(request.body, nullptr, false); !j.is_discarded()) input.AddJson(j);
    Substitute(request, node);
    brankas::server::RequestLog log;
    brankas::server::HttpResponse r = node.api->Handle(request, &log);
    CheckAnswer(r, log, input, stateful, "Handle");
    if (!keep_alive) return;
  }
}

// After an input: keep each vault as the harness needs it.
void Maintain(std::unique_ptr<Node>& node, bool stateful) {
  brankas::Vault& v = *node->vault;
  if (!stateful) {
    if (v.health() != brankas::Health::kSealed) Fail("the sealed vault is no longer sealed", "", "");
    return;
  }
  ++node->runs;
  bool rebuild = node->runs % kUnsealedRebuildEvery == 0 || v.health() == brankas::Health::kDegraded;
  if (!rebuild && v.health() == brankas::Health::kSealed) {
    // An input sealed it (POST /v1/sys/seal as admin).
    rebuild = !v.UnsealWithPassphrase(Ctx("root", brankas::Role::kAdmin), node->passphrase).ok();
  }
  for (const auto& [user, token] : node->tokens) {
    if (rebuild) break;
    // Logged out, password changed, user disabled: start again.
    rebuild = !v.Authenticate(token).ok();
  }
  if (rebuild) {
    node.reset();
    node = MakeNode(/*leave_sealed=*/false);
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  Setup();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const uint64_t h = Fnv1a(data, size);
  const bool stateful = g_force_vault == 0 ? h % kUnsealedOneIn == 0 : g_force_vault > 0;
  const bool loopback = ((h >> 8) & 1) != 0;
  std::unique_ptr<Node>& node = stateful ? g_harness->unsealed : g_harness->sealed;
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  InputTexts input;
  input.texts.emplace_back(text);

  // (b) first, so the decoded forms it finds count as input for (a)'s checks too.
  FuzzJson(text, input);
  FuzzTarget(text, input);
  if (size_t sp = text.find(' '); sp != std::string_view::npos) {
    // The target of a request line, and the body after the header, whatever the framing.
    std::string_view rest = text.substr(sp + 1);
    FuzzTarget(rest.substr(0, rest.find_first_of(" \r\n")), input);
  }
  if (size_t hdr = text.find("\r\n\r\n"); hdr != std::string_view::npos) FuzzJson(text.substr(hdr + 4), input);

  FuzzHttp(data, size, *node, stateful, loopback, input);
  Maintain(node, stateful);
  return 0;
}
