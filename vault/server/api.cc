#include "server/api.h"

#include <atomic>
#include <set>

#include "brankas/crypto.h"
#include "brankas/schema.h"
#include "brankas/vault.h"
#include "server/api_audit.h"
#include "server/api_audit_tools.h"
#include "server/api_statistics.h"
#include "server/json_io.h"

namespace brankas::server {
namespace {

constexpr size_t kMaxIdBytes = 128;
constexpr size_t kMaxNameBytes = 64;
constexpr size_t kMaxSecretBytes = 1024;
constexpr size_t kMaxTextBytes = 2048;
constexpr size_t kMaxListItems = 64;
constexpr size_t kMaxFields = 256;
constexpr size_t kMaxListLimit = 1000;

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Result<std::string> PercentDecode(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '+') {
      out.push_back(' ');
    } else if (c == '%') {
      if (i + 2 >= in.size()) return InvalidArgument("bad percent-escape in the query");
      int hi = HexValue(in[i + 1]), lo = HexValue(in[i + 2]);
      if (hi < 0 || lo < 0) return InvalidArgument("bad percent-escape in the query");
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else {
      out.push_back(c);
    }
  }
  if (!IsValidUtf8(out)) return InvalidArgument("the query is not valid UTF-8");
  return out;
}

std::string Body(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

HttpResponse JsonResponse(int status, const Json& j) {
  HttpResponse r;
  r.status = status;
  r.body = Body(j);
  return r;
}

Result<int64_t> ParseInt(const std::string* s, std::string_view name, int64_t fallback) {
  if (s == nullptr || s->empty()) return fallback;
  if (s->size() > 19) return InvalidArgument("\"" + std::string(name) + "\" is not a number");
  int64_t v = 0;
  for (char c : *s) {
    if (c < '0' || c > '9') return InvalidArgument("\"" + std::string(name) + "\" is not a number");
    v = v * 10 + (c - '0');
  }
  return v;
}

Result<std::vector<FieldClass>> ParseClasses(const std::vector<std::string>& names) {
  std::vector<FieldClass> out;
  for (const std::string& n : names) {
    auto c = ParseFieldClass(n);
    if (!c) return InvalidArgument("unknown field class");
    out.push_back(*c);
  }
  return out;
}

std::vector<std::string> SplitComma(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t comma = s.find(',', start);
    if (comma == std::string::npos) comma = s.size();
    if (comma > start) out.push_back(s.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

}  // namespace

const std::string* Target::Param(std::string_view name) const {
  for (const auto& [k, v] : query) {
    if (k == name) return &v;
  }
  return nullptr;
}

Result<Target> ParseTarget(std::string_view target, size_t max_bytes) {
  if (target.size() > max_bytes) return TooLarge("the request target is too long");
  if (target.empty() || target[0] != '/') return InvalidArgument("the request target must be a path");
  Target t;
  size_t q = target.find('?');
  std::string_view path = target.substr(0, q);
  size_t start = 1;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) slash = path.size();
    std::string_view seg = path.substr(start, slash - start);
    if (seg.empty() && slash != path.size()) return InvalidArgument("empty path segment");
    if (!seg.empty()) {
      if (seg == "." || seg == "..") return InvalidArgument("relative path segment");
      for (char c : seg) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                  c == '_' || c == '.';
        if (!ok) return InvalidArgument("unexpected character in the path");
      }
      t.segments.emplace_back(seg);
    }
    start = slash + 1;
  }
  if (q == std::string_view::npos) return t;
  std::string_view query = target.substr(q + 1);
  size_t p = 0;
  while (p <= query.size()) {
    size_t amp = query.find('&', p);
    if (amp == std::string_view::npos) amp = query.size();
    std::string_view pair = query.substr(p, amp - p);
    if (!pair.empty()) {
      size_t eq = pair.find('=');
      BRANKAS_ASSIGN_OR_RETURN(std::string key, PercentDecode(pair.substr(0, eq)));
      std::string value;
      if (eq != std::string_view::npos) {
        BRANKAS_ASSIGN_OR_RETURN(value, PercentDecode(pair.substr(eq + 1)));
      }
      if (t.Param(key) != nullptr) return InvalidArgument("a query parameter is repeated");
      if (t.query.size() >= 32) return InvalidArgument("too many query parameters");
      t.query.emplace_back(std::move(key), std::move(value));
    }
    p = amp + 1;
  }
  return t;
}

std::string Api::NewRequestId() {
  // A per-process random prefix and a counter: unique, unguessable across
  // restarts, and no CSPRNG call per request.
  static const std::string prefix = ToHex(RandomBytes(6));
  static std::atomic<uint64_t> counter{0};
  uint64_t n = counter.fetch_add(1, std::memory_order_relaxed);
  char buf[17];
  snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(n));
  return prefix + buf;
}

int Api::HttpStatus(Code code) {
  switch (code) {
    case Code::kOk: return 200;
    case Code::kInvalidArgument: return 400;
    case Code::kUnauthenticated: return 401;
    case Code::kPermissionDenied: return 403;
    case Code::kNotFound: return 404;
    case Code::kConflict:
    case Code::kFailedPrecondition: return 409;
    case Code::kTooLarge: return 413;
    case Code::kRateLimited: return 429;
    case Code::kSealed:
    case Code::kUnavailable: return 503;
    case Code::kCorruption:
    case Code::kInternal: return 500;
  }
  return 500;
}

const char* Api::ApiCode(Code code) {
  // API.md's codes are the engine's, except two the API does not expose.
  switch (code) {
    case Code::kFailedPrecondition: return "conflict";
    case Code::kCorruption: return "internal";
    default: return CodeName(code);
  }
}

HttpResponse Api::Error(const Status& status, const std::string& request_id) {
  // Corruption and internal errors keep their detail for the log, not the client.
  bool hide = status.code() == Code::kCorruption || status.code() == Code::kInternal;
  Json j{{"error",
          {{"code", ApiCode(status.code())},
           {"message", hide ? std::string("internal error; the request id is in the server log") : status.message()},
           {"request_id", request_id}}}};
  HttpResponse r = JsonResponse(HttpStatus(status.code()), j);
  if (status.code() == Code::kUnauthenticated) r.headers.emplace_back("WWW-Authenticate", "Bearer");
  return r;
}

Api::Api(Vault* vault, const HttpLimits& limits, Metrics* metrics, bool metrics_local_only,
         std::function<ReplicationStatus()> replication, AnomalyOptions anomaly)
    : vault_(vault),
      limits_(limits),
      metrics_(metrics),
      metrics_local_only_(metrics_local_only),
      replication_(std::move(replication)),
      anomaly_(std::move(anomaly)) {}

struct Api::Call {
  const HttpRequest& req;
  RequestLog* log;
  Target target;
  RequestContext rc;
  std::string token;           // the bearer token, when one was sent
  bool authenticated = false;
  std::string case_id;         // for the audit of a refusal
  std::optional<Json> body;
  Streams* streams = nullptr;  // set for transports that stream attachments

  const std::string& seg(size_t i) const { return target.segments[i]; }
  size_t nseg() const { return target.segments.size(); }
};

void Api::AuditRefusal(const Call& call, const Status& status) {
  // The vault audits its own refusals; this covers the ones made before it.
  std::string action = "api." + (call.log->route.empty() ? std::string("unknown") : call.log->route);
  vault_->AuditAttempt(call.rc, action, call.case_id, "deny", ApiCode(status.code())).IgnoreError();
}

HttpResponse Api::Refuse(const Status& status, const std::string& client, RequestLog* log) {
  log->request_id = NewRequestId();
  if (log->route.empty()) log->route = "transport";
  log->error_code = ApiCode(status.code());
  RequestContext rc;
  rc.principal.user = "";
  rc.request_id = log->request_id;
  rc.client = client;
  vault_->AuditAttempt(rc, "api." + log->route, "", "deny", ApiCode(status.code())).IgnoreError();
  return Error(status, log->request_id);
}

bool Api::IsStreamedUpload(std::string_view method, std::string_view target) {
  if (method != "POST") return false;
  auto t = ParseTarget(target, 64 * 1024);
  return t.ok() && t->segments.size() == 4 && t->segments[0] == "v1" && t->segments[1] == "cases" &&
         t->segments[3] == "evidence";
}

HttpResponse Api::FinishUpload(EvidenceUpload& upload, RequestLog* log) {
  auto info = upload.Finish();
  if (!info.ok()) return UploadFailed(info.status(), log);
  HttpResponse r = JsonResponse(201, ToJson(*info));
  r.headers.emplace_back("X-Request-Id", log->request_id);
  return r;
}

HttpResponse Api::UploadFailed(const Status& status, RequestLog* log) {
  log->error_code = ApiCode(status.code());
  HttpResponse r = Error(status, log->request_id);
  r.headers.emplace_back("X-Request-Id", log->request_id);
  return r;
}

HttpResponse Api::Handle(const HttpRequest& req, RequestLog* log, Streams* streams) {
  log->request_id = NewRequestId();
  Call call{req, log, {}, {}, {}, false, {}, {}, streams};
  call.rc.request_id = log->request_id;
  call.rc.client = req.client;
  auto target = ParseTarget(req.target, limits_.max_target_bytes);
  if (!target.ok()) {
    log->route = "invalid_target";
    log->error_code = ApiCode(target.status().code());
    AuditRefusal(call, target.status());
    return Error(target.status(), log->request_id);
  }
  call.target = std::move(*target);
  HttpResponse r = Route(call);
  r.headers.emplace_back("X-Request-Id", log->request_id);
  return r;
}

HttpResponse Api::Route(Call& c) {
  const std::string& m = c.req.method;
  RequestLog* log = c.log;
  // Every failure path below goes through `fail`: logged, audited, answered.
  auto fail = [&](const Status& s) {
    log->error_code = ApiCode(s.code());
    return Error(s, log->request_id);
  };
  auto refuse = [&](const Status& s) {
    log->error_code = ApiCode(s.code());
    AuditRefusal(c, s);
    return Error(s, log->request_id);
  };
  if (c.nseg() < 2 || c.seg(0) != "v1") {
    log->route = "unknown";
    return refuse(NotFound("no such route"));
  }
  const std::string& top = c.seg(1);
  const size_t n = c.nseg();

  // --- Routes that need no token. -------------------------------------------
  if (top == "health" && n == 2) {
    log->route = "health";
    if (m != "GET") return refuse(InvalidArgument("method not allowed"));
    Health h = vault_->health();
    const char* s = h == Health::kOk ? "ok" : h == Health::kSealed ? "sealed" : "degraded";
    return JsonResponse(h == Health::kOk ? 200 : 503, Json{{"status", s}, {"unit", vault_->unit()}});
  }
  if (top == "metrics" && n == 2) {
    log->route = "metrics";
    if (m != "GET") return refuse(InvalidArgument("method not allowed"));
    if (metrics_local_only_ && !c.req.client_is_loopback) return refuse(PermissionDenied("metrics are served to local clients only"));
    HttpResponse r;
    r.content_type = "text/plain; version=0.0.4";
    r.body = metrics_->Render(*vault_);
    return r;
  }

  auto parse_body = [&](std::initializer_list<std::string_view> keys) -> Status {
    if (!c.req.content_type.empty() && c.req.content_type.rfind("application/json", 0) != 0) {
      return InvalidArgument("the body must be application/json");
    }
    auto parsed = ParseJsonObject(c.req.body, limits_.max_json_depth);
    if (!parsed.ok()) return parsed.status();
    BRANKAS_RETURN_IF_ERROR(OnlyKeys(*parsed, keys));
    c.body = std::move(*parsed);
    return Status::Ok();
  };

  if (top == "sessions" && n == 2 && m == "POST") {
    log->route = "sessions.create";
    if (Status s = parse_body({"user", "password"}); !s.ok()) return refuse(s);
    auto user = RequiredString(*c.body, "user", kMaxNameBytes);
    if (!user.ok()) return refuse(user.status());
    auto password = RequiredString(*c.body, "password", kMaxSecretBytes);
    if (!password.ok()) return refuse(password.status());
    log->user = *user;
    auto session = vault_->Login(c.rc, *user, *password);
    WipeString(*password);
    if (!session.ok()) return fail(session.status());
    Json j{{"token", session->token},
           {"expires_at", session->expires_at_us / 1'000'000},
           {"user", session->principal.user},
           {"role", std::string(RoleName(session->principal.role))},
           {"unit", session->principal.unit}};
    WipeString(session->token);
    HttpResponse r = JsonResponse(201, j);
    r.headers.emplace_back("Cache-Control", "no-store");
    return r;
  }
  if (top == "sys" && n == 3 && c.seg(2) == "unseal" && m == "POST") {
    // No token: the passphrase or share is the credential (a sealed node has
    // no sessions it could check). Argon2id makes each passphrase guess slow.
    log->route = "sys.unseal";
    if (Status s = parse_body({"passphrase", "share"}); !s.ok()) return fail(s);
    auto pass = OptionalString(*c.body, "passphrase", kMaxSecretBytes);
    auto share = OptionalString(*c.body, "share", kMaxSecretBytes);
    if (!pass.ok()) return fail(pass.status());
    if (!share.ok()) return fail(share.status());
    if (pass->has_value() == share->has_value()) return fail(InvalidArgument("send exactly one of \"passphrase\" or \"share\""));
    if (pass->has_value()) {
      Status s = vault_->UnsealWithPassphrase(c.rc, **pass);
      WipeString(**pass);
      if (!s.ok()) return fail(s);
      return JsonResponse(200, Json{{"sealed", false}});
    }
    auto progress = vault_->UnsealWithShare(c.rc, **share);
    WipeString(**share);
    if (!progress.ok()) return fail(progress.status());
    return JsonResponse(200, Json{{"sealed", !progress->unsealed},
                                  {"shares", progress->have},
                                  {"threshold", progress->threshold}});
  }

  // --- Everything else needs a bearer token. ---------------------------------
  const std::string& auth = c.req.authorization;
  static constexpr std::string_view kBearer = "Bearer ";
  // The route label goes into metrics, the access log and the audit action:
  // only known names, never a segment the caller made up.
  static const std::set<std::string, std::less<>> kTops = {"sessions", "sys", "users", "cases",
                                                          "search", "grants", "audit", "replication",
                                                          "retention", "statistics", "referrals"};
  log->route = kTops.count(top) != 0 ? top : "unknown";
  if (auth.size() <= kBearer.size() || auth.compare(0, kBearer.size(), kBearer) != 0) {
    return refuse(Unauthenticated("a bearer token is required"));
  }
  c.token = auth.substr(kBearer.size());
  auto principal = vault_->Authenticate(c.token);
  if (!principal.ok()) {
    Status s = principal.status().code() == Code::kUnauthenticated
                   ? Unauthenticated("the token is invalid, expired or revoked")
                   : principal.status();
    return refuse(s);
  }
  c.rc.principal = std::move(*principal);
  c.authenticated = true;
  log->user = c.rc.principal.user;

  // Sessions.
  if (top == "sessions" && n == 2 && m == "DELETE") {
    log->route = "sessions.delete";
    Status s = vault_->Logout(c.rc, c.token);
    if (!s.ok()) return fail(s);
    return JsonResponse(200, Json{{"logged_out", true}});
  }
  // System.
  if (top == "sys" && n == 3 && c.seg(2) == "seal" && m == "POST") {
    log->route = "sys.seal";
    Status s = vault_->Seal(c.rc);
    if (!s.ok()) return fail(s);
    return JsonResponse(200, Json{{"sealed", true}});
  }
  if (top == "sys" && n == 3 && c.seg(2) == "rotate" && m == "POST") {
    log->route = "sys.rotate";
    if (Status s = parse_body({"class"}); !s.ok()) return refuse(s);
    auto name = RequiredString(*c.body, "class", kMaxNameBytes);
    if (!name.ok()) return refuse(name.status());
    auto cls = ParseFieldClass(*name);
    if (!cls) return refuse(InvalidArgument("unknown field class"));
    Status s = vault_->RotateKek(c.rc, *cls);
    if (!s.ok()) return fail(s);
    return JsonResponse(200, Json{{"rotated", *name}});
  }

  // Retention (issue #5): GET lists the closed cases past their period, POST
  // /run crypto-shreds them (supervisor; legal hold keeps a case).
  if (top == "retention" && ((n == 2 && m == "GET") || (n == 3 && c.seg(2) == "run" && m == "POST"))) {
    const bool run = n == 3;
    log->route = run ? "retention.run" : "retention.due";
    auto items = vault_->ReviewRetention(c.rc, run);
    if (!items.ok()) return fail(items.status());
    Json list = Json::array();
    for (const RetentionItem& i : *items) {
      Json j{{"case_id", i.case_id},         {"retention_class", i.retention_class}, {"module", i.module},
             {"closed_since", i.closed_since}, {"due_at", i.due_at},                 {"legal_hold", i.legal_hold},
             {"shredded", i.shredded}};
      j["classes"] = i.classes;  // empty: the whole case; else only these field classes
      if (!i.receipt_sha256.empty()) j["receipt_sha256"] = i.receipt_sha256;
      if (!i.problem.empty()) j["problem"] = i.problem;
      list.push_back(std::move(j));
    }
    return JsonResponse(200, Json{{"due", list}});
  }

  // Statistics (issue #5): the de-identified export (server/api_statistics.h).
  if (top == "statistics" && n == 2 && m == "GET") {
    log->route = "statistics.export";
    if (Status s = CheckStatisticsParams(c.target); !s.ok()) return refuse(s);
    auto body = StatisticsAnswer(*vault_, c.rc, c.target);
    if (!body.ok()) return fail(body.status());
    return JsonResponse(200, *body);
  }

  // Replication (API.md): administrators and auditors; no case data in it.
  if (top == "replication" && n == 3 && c.seg(2) == "status" && m == "GET") {
    log->route = "replication.status";
    const Role role = c.rc.principal.role;
    if (role != Role::kAdmin && role != Role::kAuditor) {
      return refuse(PermissionDenied("replication status is for administrators and auditors"));
    }
    // Taken before this request's own audit entry, which is shipped like any other.
    ReplicationStatus r;
    if (replication_) r = replication_();
    vault_->AuditAttempt(c.rc, "replication.status", "", "allow", "").IgnoreError();
    Json peers = Json::array();
    if (r.enabled) {
      peers.push_back(Json{{"peer", r.peer},
                           {"generation", r.generation},
                           {"local_seq", r.local_seq},
                           {"acked_seq", r.acked_seq},
                           {"lag_entries", r.lag_entries},
                           {"lag_seconds", r.lag_seconds},
                           {"bytes_pending", r.bytes_pending},
                           {"last_contact", r.last_contact_us / 1'000'000},
                           {"last_ack", r.last_ack_us / 1'000'000},
                           {"connected", r.connected},
                           {"consecutive_failures", r.consecutive_failures},
                           {"batches_sent", r.batches_sent},
                           {"entries_sent", r.entries_sent},
                           {"bytes_sent", r.bytes_sent},
                           {"receipts", r.receipts},
                           {"last_error", r.last_error},
                           {"alarms", r.alarms}});
    }
    return JsonResponse(200, Json{{"enabled", r.enabled}, {"unit", vault_->unit()}, {"peers", peers}});
  }

  // Users.
  if (top == "users") {
    if (n == 2 && m == "GET") {
      log->route = "users.list";
      auto users = vault_->ListUsers(c.rc);
      if (!users.ok()) return fail(users.status());
      Json list = Json::array();
      for (const UserInfo& u : *users) list.push_back(ToJson(u));
      return JsonResponse(200, Json{{"users", list}});
    }
    if (n == 2 && m == "POST") {
      log->route = "users.create";
      if (Status s = parse_body({"user", "role", "password", "unit"}); !s.ok()) return refuse(s);
      auto user = RequiredString(*c.body, "user", kMaxNameBytes);
      auto role = RequiredString(*c.body, "role", kMaxNameBytes);
      auto password = RequiredString(*c.body, "password", kMaxSecretBytes);
      auto unit = OptionalString(*c.body, "unit", kMaxNameBytes);
      for (const Status* s : {&user.status(), &role.status(), &password.status(), &unit.status()}) {
        if (!s->ok()) return refuse(*s);
      }
      auto r = ParseRole(*role);
      if (!r) return refuse(InvalidArgument("unknown role"));
      UserInfo info;
      info.user = *user;
      info.role = *r;
      info.unit = unit->value_or("");
      auto created = vault_->CreateUser(c.rc, info, *password);
      WipeString(*password);
      if (!created.ok()) return fail(created.status());
      return JsonResponse(201, ToJson(*created));
    }
    if (n == 4 && m == "POST" && c.seg(3) == "password") {
      log->route = "users.password";
      if (Status s = parse_body({"password"}); !s.ok()) return refuse(s);
      auto password = RequiredString(*c.body, "password", kMaxSecretBytes);
      if (!password.ok()) return refuse(password.status());
      Status s = vault_->SetPassword(c.rc, c.seg(2), *password);
      WipeString(*password);
      if (!s.ok()) return fail(s);
      return JsonResponse(200, Json{{"user", c.seg(2)}, {"password_changed", true}});
    }
    if (n == 4 && m == "POST" && c.seg(3) == "disable") {
      log->route = "users.disable";
      Status s = vault_->DisableUser(c.rc, c.seg(2));
      if (!s.ok()) return fail(s);
      return JsonResponse(200, Json{{"user", c.seg(2)}, {"disabled", true}});
    }
    log->route = "users";
    return refuse(NotFound("no such route"));
  }

  // Cases.
  if (top == "cases") {
    if (n == 2 && m == "POST") {
      log->route = "cases.create";
      if (Status s = parse_body({"fields", "assign_to"}); !s.ok()) return refuse(s);
      auto fields = FieldObject(*c.body, "fields", kMaxFields);
      if (!fields.ok()) return refuse(fields.status());
      auto assign = StringArray(*c.body, "assign_to", kMaxListItems, kMaxNameBytes);
      if (!assign.ok()) return refuse(assign.status());
      auto created = vault_->CreateCase(c.rc, *fields, *assign);
      if (!created.ok()) return fail(created.status());
      return JsonResponse(201, Json{{"case_id", created->case_id}, {"version", created->version}});
    }
    if (n == 2 && m == "GET") {
      log->route = "cases.list";
      const std::string* assigned = c.target.Param("assigned");
      const std::string* stage_name = c.target.Param("stage");
      std::optional<Stage> stage;
      if (stage_name != nullptr && !stage_name->empty()) {
        stage = ParseStage(*stage_name);
        if (!stage) return refuse(InvalidArgument("unknown stage"));
      }
      bool mine = assigned != nullptr && *assigned == "me";
      if (assigned != nullptr && !assigned->empty() && !mine && *assigned != "any") {
        return refuse(InvalidArgument("\"assigned\" is \"me\" or \"any\""));
      }
      auto limit = ParseInt(c.target.Param("limit"), "limit", 100);
      if (!limit.ok()) return refuse(limit.status());
      if (*limit <= 0 || static_cast<size_t>(*limit) > kMaxListLimit) {
        return refuse(InvalidArgument("\"limit\" is 1 to 1000"));
      }
      auto cases = vault_->ListCases(c.rc, mine, stage, static_cast<size_t>(*limit));
      if (!cases.ok()) return fail(cases.status());
      Json list = Json::array();
      for (const CaseSummary& s : *cases) list.push_back(ToJson(s));
      return JsonResponse(200, Json{{"cases", list}});
    }
    if (n < 3) {
      log->route = "cases";
      return refuse(NotFound("no such route"));
    }
    c.case_id = c.seg(2).size() <= kMaxIdBytes ? c.seg(2) : "";
    const std::string& id = c.seg(2);
    if (n == 3 && m == "GET") {
      log->route = "cases.read";
      ReadOptions options;
      if (const std::string* f = c.target.Param("fields"); f != nullptr) options.fields = SplitComma(*f);
      if (options.fields.size() > kMaxFields) return refuse(TooLarge("too many fields"));
      if (const std::string* u = c.target.Param("unmask"); u != nullptr) options.unmask = *u == "1" || *u == "true";
      auto view = vault_->ReadCase(c.rc, id, options);
      if (!view.ok()) return fail(view.status());
      Json j{{"case_id", view->summary.case_id},
             {"version", view->summary.version},
             {"stage", std::string(StageName(view->summary.stage))},
             {"fields", view->fields},
             {"masked", view->masked},
             {"withheld", view->withheld}};
      // Classes crypto-shredded on their own: their fields are gone, not withheld.
      if (!view->summary.shredded_classes.empty()) j["shredded_classes"] = view->summary.shredded_classes;
      HttpResponse r = JsonResponse(200, j);
      r.headers.emplace_back("Cache-Control", "no-store");
      return r;
    }
    if (n == 3 && m == "PATCH") {
      log->route = "cases.update";
      if (Status s = parse_body({"fields", "expected_version"}); !s.ok()) return refuse(s);
      auto fields = FieldObject(*c.body, "fields", kMaxFields);
      if (!fields.ok()) return refuse(fields.status());
      auto expected = OptionalInt(*c.body, "expected_version");
      if (!expected.ok()) return refuse(expected.status());
      if (!expected->has_value() || **expected < 0) return refuse(InvalidArgument("\"expected_version\" is required"));
      auto updated = vault_->UpdateCase(c.rc, id, *fields, static_cast<uint64_t>(**expected));
      if (!updated.ok()) return fail(updated.status());
      return JsonResponse(200, Json{{"case_id", updated->case_id}, {"version", updated->version}});
    }
    if (n == 5 && m == "GET" && c.seg(3) == "history") {
      log->route = "cases.history";
      auto versions = vault_->FieldHistory(c.rc, id, c.seg(4));
      if (!versions.ok()) return fail(versions.status());
      Json list = Json::array();
      for (const FieldVersion& v : *versions) {
        list.push_back(Json{{"version", v.version}, {"writer", v.writer}, {"time_us", v.time_us}, {"value", v.value}});
      }
      HttpResponse r = JsonResponse(200, Json{{"case_id", id}, {"field", c.seg(4)}, {"versions", list}});
      r.headers.emplace_back("Cache-Control", "no-store");
      return r;
    }
    if (n == 4 && c.seg(3) == "evidence" && m == "POST") {
      log->route = "cases.evidence_add";
      if (c.streams == nullptr) return refuse(InvalidArgument("attachments are streamed"));
      const std::string* name = c.target.Param("name");
      if (name == nullptr) return refuse(InvalidArgument("the \"name\" parameter (the file name) is required"));
      const std::string* type = c.target.Param("type");
      auto upload = vault_->BeginEvidence(c.rc, id, *name, type != nullptr ? *type : "application/octet-stream",
                                          limits_.max_evidence_bytes);
      if (!upload.ok()) return fail(upload.status());
      c.streams->upload = std::move(*upload);
      return JsonResponse(100, Json::object());  // not sent: the transport streams the body
    }
    if (n == 4 && c.seg(3) == "evidence-bundle" && m == "POST") {
      log->route = "cases.evidence_bundle";
      if (c.streams == nullptr) return refuse(InvalidArgument("bundles are streamed"));
      auto bundle = vault_->OpenEvidenceBundle(c.rc, id);
      if (!bundle.ok()) return fail(bundle.status());
      HttpResponse r;
      r.content_type = "application/vnd.brankas.evidence-bundle";
      c.streams->body = std::move(*bundle);
      return r;
    }
    if (n == 4 && c.seg(3) == "class-destruction-receipts" && m == "GET") {
      log->route = "cases.class_destruction_receipts";
      auto receipts = vault_->ClassDestructionReceipts(c.rc, id);
      if (!receipts.ok()) return fail(receipts.status());
      Json list = Json::array();
      for (const std::string& text : *receipts) list.push_back(Json::parse(text));
      return JsonResponse(200, Json{{"case_id", id}, {"receipts", list}});
    }
    if (n == 4 && c.seg(3) == "destruction-receipt" && m == "GET") {
      log->route = "cases.destruction_receipt";
      auto receipt = vault_->DestructionReceipt(c.rc, id);
      if (!receipt.ok()) return fail(receipt.status());
      HttpResponse r;
      r.body = std::move(*receipt);
      return r;
    }
    if (n == 4 && c.seg(3) == "evidence" && m == "GET") {
      log->route = "cases.evidence_list";
      auto list = vault_->ListEvidence(c.rc, id);
      if (!list.ok()) return fail(list.status());
      Json items = Json::array();
      for (const EvidenceInfo& e : *list) items.push_back(ToJson(e));
      return JsonResponse(200, Json{{"case_id", id}, {"evidence", items}});
    }
    if (n == 5 && c.seg(3) == "evidence" && m == "GET") {
      log->route = "cases.evidence_get";
      if (c.streams == nullptr) return refuse(InvalidArgument("attachments are streamed"));
      auto reader = vault_->OpenEvidence(c.rc, id, c.seg(4));
      if (!reader.ok()) return fail(reader.status());
      HttpResponse r;
      r.content_type = "application/octet-stream";
      r.headers.emplace_back("X-Brankas-Sha256", ToHex((*reader)->info().sha256));
      r.headers.emplace_back("X-Brankas-Evidence-Id", (*reader)->info().evidence_id);
      c.streams->body = std::move(*reader);
      return r;
    }
    if (n == 4 && m == "POST") {
      const std::string& verb = c.seg(3);
      Result<CaseSummary> done = Internal("unreached");
      if (verb == "assign") {
        log->route = "cases.assign";
        if (Status s = parse_body({"users", "owner"}); !s.ok()) return refuse(s);
        auto users = StringArray(*c.body, "users", kMaxListItems, kMaxNameBytes);
        if (!users.ok()) return refuse(users.status());
        auto owner = OptionalString(*c.body, "owner", kMaxNameBytes);
        if (!owner.ok()) return refuse(owner.status());
        done = vault_->AssignCase(c.rc, id, *users, owner->value_or(""));
      } else if (verb == "stage" || verb == "close" || verb == "reopen") {
        log->route = "cases." + verb;
        const bool may_omit = verb != "stage" && c.req.body.empty();
        if (!may_omit) {
          if (Status s = parse_body({"stage"}); !s.ok()) return refuse(s);
        }
        std::string name = verb == "close" ? "closure" : verb == "reopen" ? "assessment" : "";
        if (c.body) {
          auto given = OptionalString(*c.body, "stage", kMaxNameBytes);
          if (!given.ok()) return refuse(given.status());
          if (given->has_value()) {
            if (verb == "close") return refuse(InvalidArgument("close takes no stage"));
            name = **given;
          }
        }
        auto stage = ParseStage(name);
        if (!stage) return refuse(InvalidArgument("unknown stage"));
        done = vault_->ChangeStage(c.rc, id, *stage);
      } else if (verb == "legal-hold") {
        log->route = "cases.legal_hold";
        if (Status s = parse_body({"hold"}); !s.ok()) return refuse(s);
        auto hold = OptionalBool(*c.body, "hold");
        if (!hold.ok()) return refuse(hold.status());
        if (!hold->has_value()) return refuse(InvalidArgument("\"hold\" is required"));
        done = vault_->SetLegalHold(c.rc, id, **hold);
      } else if (verb == "break-glass") {
        log->route = "cases.break_glass";
        if (Status s = parse_body({"reason"}); !s.ok()) return refuse(s);
        auto reason = RequiredString(*c.body, "reason", kMaxTextBytes);
        if (!reason.ok()) return refuse(reason.status());
        auto grant = vault_->BreakGlass(c.rc, id, *reason);
        if (!grant.ok()) return fail(grant.status());
        return JsonResponse(201, ToJson(*grant));
      } else if (verb == "shred") {
        log->route = "cases.shred";
        std::string reason;
        std::vector<FieldClass> classes;  // empty: the whole case
        if (!c.req.body.empty()) {
          if (Status s = parse_body({"reason", "classes"}); !s.ok()) return refuse(s);
          auto given = OptionalString(*c.body, "reason", kMaxTextBytes);
          if (!given.ok()) return refuse(given.status());
          reason = given->value_or("");
          auto names = StringArray(*c.body, "classes", 16, kMaxNameBytes);
          if (!names.ok()) return refuse(names.status());
          auto parsed = ParseClasses(*names);
          if (!parsed.ok()) return refuse(parsed.status());
          if (c.body->contains("classes") && parsed->empty()) {
            return refuse(InvalidArgument("\"classes\" names at least one field class"));
          }
          classes = std::move(*parsed);
        }
        std::string receipt;
        Status s = classes.empty() ? vault_->ShredCase(c.rc, id, reason, &receipt)
                                   : vault_->ShredClasses(c.rc, id, classes, reason, &receipt);
        if (!s.ok()) return fail(s);
        Json out{{"case_id", id}, {"shredded", true}, {"receipt", Json::parse(receipt)}};
        if (!classes.empty()) out["classes"] = Json::parse(receipt)["receipt"]["classes"];
        return JsonResponse(200, out);
      } else {
        log->route = "cases";
        return refuse(NotFound("no such route"));
      }
      if (!done.ok()) return fail(done.status());
      return JsonResponse(200, ToJson(*done));
    }
    log->route = "cases";
    return refuse(NotFound("no such route"));
  }

  // Search: GET with the query (as API.md), or POST with a body, which keeps
  // the value out of every URL log between the client and here.
  if (top == "search" && n == 2 && (m == "GET" || m == "POST")) {
    log->route = "search";
    std::string field, value;
    if (m == "GET") {
      const std::string* f = c.target.Param("field");
      const std::string* v = c.target.Param("value");
      if (f == nullptr || v == nullptr) return refuse(InvalidArgument("\"field\" and \"value\" are required"));
      field = *f;
      value = *v;
    } else {
      if (Status s = parse_body({"field", "value"}); !s.ok()) return refuse(s);
      auto f = RequiredString(*c.body, "field", kMaxNameBytes);
      auto v = RequiredString(*c.body, "value", kMaxTextBytes);
      if (!f.ok()) return refuse(f.status());
      if (!v.ok()) return refuse(v.status());
      field = *f;
      value = *v;
    }
    auto ids = vault_->Search(c.rc, field, value);
    WipeString(value);
    if (!ids.ok()) return fail(ids.status());
    return JsonResponse(200, Json{{"case_ids", *ids}});
  }

  // Grants.
  if (top == "grants") {
    if (n == 2 && m == "GET") {
      // The list view, with a reminder of what ends within a day.
      log->route = "grants.list";
      std::string case_id;
      if (const std::string* cs = c.target.Param("case"); cs != nullptr) case_id = *cs;
      if (case_id.size() > kMaxIdBytes) return refuse(InvalidArgument("malformed case id"));
      c.case_id = case_id;
      auto grants = vault_->ListGrants(c.rc, case_id);
      if (!grants.ok()) return fail(grants.status());
      constexpr int64_t kSoonSeconds = 24 * 3600;
      const int64_t now = SystemNowUs() / 1'000'000;
      Json items = Json::array();
      int64_t soon = 0;
      for (const Grant& g : *grants) {
        Json j = ToJson(g);
        const bool approved = g.ApprovalCount() >= g.required_approvals;
        const char* state = g.revoked ? "revoked"
                            : now >= g.expires_at ? "expired"
                            : !approved ? "pending"
                            : now < g.not_before ? "not_yet"
                                                 : "active";
        j["state"] = state;
        const bool open = !g.revoked && now < g.expires_at;
        if (open) j["expires_in_s"] = g.expires_at - now;
        const bool expiring = open && g.expires_at - now <= kSoonSeconds;
        j["expiring_soon"] = expiring;
        soon += expiring ? 1 : 0;
        items.push_back(std::move(j));
      }
      return JsonResponse(200, Json{{"grants", items}, {"expiring_soon", soon}, {"soon_hours", kSoonSeconds / 3600}});
    }
    if (n == 2 && m == "POST") {
      log->route = "grants.request";
      if (Status s = parse_body({"grantee", "grantee_role", "case_id", "classes", "not_before", "expires_at", "legal_basis"});
          !s.ok()) {
        return refuse(s);
      }
      GrantRequest g;
      auto grantee = RequiredString(*c.body, "grantee", kMaxNameBytes);
      auto role = OptionalString(*c.body, "grantee_role", kMaxNameBytes);
      auto case_id = RequiredString(*c.body, "case_id", kMaxIdBytes);
      auto classes = StringArray(*c.body, "classes", 16, kMaxNameBytes);
      auto nb = OptionalInt(*c.body, "not_before");
      auto exp = OptionalInt(*c.body, "expires_at");
      auto basis = RequiredString(*c.body, "legal_basis", kMaxTextBytes);
      for (const Status* s : {&grantee.status(), &role.status(), &case_id.status(), &classes.status(),
                              &nb.status(), &exp.status(), &basis.status()}) {
        if (!s->ok()) return refuse(*s);
      }
      c.case_id = *case_id;
      auto cls = ParseClasses(*classes);
      if (!cls.ok()) return refuse(cls.status());
      if (!exp->has_value()) return refuse(InvalidArgument("\"expires_at\" is required"));
      g.grantee = *grantee;
      if (role->has_value()) {
        auto r = ParseRole(**role);
        if (!r) return refuse(InvalidArgument("unknown role"));
        g.grantee_role = *r;
      }
      g.case_id = *case_id;
      g.classes = *cls;
      // An omitted start means now (the server's clock).
      g.not_before = nb->has_value() ? **nb : SystemNowUs() / 1'000'000;
      g.expires_at = **exp;
      g.legal_basis = *basis;
      auto grant = vault_->RequestGrant(c.rc, g);
      if (!grant.ok()) return fail(grant.status());
      return JsonResponse(201, ToJson(*grant));
    }
    if (n == 4 && m == "POST" && (c.seg(3) == "approve" || c.seg(3) == "revoke")) {
      log->route = "grants." + c.seg(3);
      auto grant = c.seg(3) == "approve" ? vault_->ApproveGrant(c.rc, c.seg(2)) : vault_->RevokeGrant(c.rc, c.seg(2));
      if (!grant.ok()) return fail(grant.status());
      return JsonResponse(200, ToJson(*grant));
    }
    log->route = "grants";
    return refuse(NotFound("no such route"));
  }

  // Referrals between units (brankas/referral.h).
  if (top == "referrals") {
    if (n == 2 && m == "POST") {
      log->route = "referrals.create";
      if (Status s = parse_body({"case_id", "to_unit", "classes", "expires_at"}); !s.ok()) return refuse(s);
      auto case_id = RequiredString(*c.body, "case_id", kMaxIdBytes);
      auto to = RequiredString(*c.body, "to_unit", kMaxIdBytes);
      auto classes = StringArray(*c.body, "classes", 16, kMaxNameBytes);
      auto exp = OptionalInt(*c.body, "expires_at");
      for (const Status* s : {&case_id.status(), &to.status(), &classes.status(), &exp.status()}) {
        if (!s->ok()) return refuse(*s);
      }
      c.case_id = *case_id;
      auto cls = ParseClasses(*classes);
      if (!cls.ok()) return refuse(cls.status());
      auto ref = vault_->CreateReferral(c.rc, ReferralRequest{*case_id, *to, *cls, exp->value_or(0)});
      if (!ref.ok()) return fail(ref.status());
      return JsonResponse(201, ToJson(*ref));
    }
    if (n == 2 && m == "GET") {
      log->route = "referrals.list";
      auto list = vault_->ListReferrals(c.rc);
      if (!list.ok()) return fail(list.status());
      Json items = Json::array();
      for (const ReferralInfo& r : *list) items.push_back(ToJson(r));
      return JsonResponse(200, Json{{"referrals", items}});
    }
    if (n == 3 && m == "GET") {
      log->route = "referrals.read";
      auto view = vault_->ReadReferral(c.rc, c.seg(2));
      if (!view.ok()) return fail(view.status());
      return JsonResponse(200, Json{{"referral_id", c.seg(2)},
                                    {"case_id", view->summary.case_id},
                                    {"from_unit", view->summary.unit},
                                    {"fields", view->fields},
                                    {"masked", view->masked},
                                    {"withheld", view->withheld}});
    }
    if (n == 4 && m == "POST" && c.seg(3) == "assign") {
      log->route = "referrals.assign";
      if (Status s = parse_body({"users"}); !s.ok()) return refuse(s);
      auto users = StringArray(*c.body, "users", kMaxListItems, kMaxNameBytes);
      if (!users.ok()) return refuse(users.status());
      auto ref = vault_->AssignReferral(c.rc, c.seg(2), *users);
      if (!ref.ok()) return fail(ref.status());
      return JsonResponse(200, ToJson(*ref));
    }
    if (n == 4 && m == "POST" && c.seg(3) == "revoke") {
      log->route = "referrals.revoke";
      if (!c.req.body.empty()) {
        if (Status s = parse_body({}); !s.ok()) return refuse(s);
      }
      auto ref = vault_->RevokeReferral(c.rc, c.seg(2));
      if (!ref.ok()) return fail(ref.status());
      return JsonResponse(200, ToJson(*ref));
    }
    log->route = "referrals";
    return refuse(NotFound("no such route"));
  }

  // Audit.
  if (top == "audit") {
    if (n == 2 && m == "GET") {
      log->route = "audit.query";
      AuditFilter f;
      auto text = [&](const char* name, std::string* out) -> Status {
        const std::string* v = c.target.Param(name);
        if (v == nullptr) return Status::Ok();
        if (v->size() > kMaxIdBytes) return InvalidArgument("\"" + std::string(name) + "\" is too long");
        *out = *v;
        return Status::Ok();
      };
      for (auto [name, out] : {std::pair{"case", &f.case_id}, {"actor", &f.actor}, {"action", &f.action},
                               {"decision", &f.decision}}) {
        if (Status s = text(name, out); !s.ok()) return refuse(s);
      }
      auto from = ParseInt(c.target.Param("from"), "from", 0);
      auto to = ParseInt(c.target.Param("to"), "to", 0);
      auto after = ParseInt(c.target.Param("after"), "after", 0);
      auto limit = ParseInt(c.target.Param("limit"), "limit", 100);
      for (const Status* s : {&from.status(), &to.status(), &after.status(), &limit.status()}) {
        if (!s->ok()) return refuse(*s);
      }
      if (*limit <= 0 || *limit > 10000) return refuse(InvalidArgument("\"limit\" is 1 to 10000"));
      f.from_us = *from * 1'000'000;
      f.to_us = *to * 1'000'000;
      f.after_seq = static_cast<uint64_t>(*after);
      f.limit = static_cast<size_t>(*limit);
      auto entries = vault_->QueryAudit(c.rc, f);
      if (!entries.ok()) return fail(entries.status());
      Json list = Json::array();
      for (const AuditEntry& e : *entries) list.push_back(ToJson(e));
      Json j{{"entries", list}};
      if (!entries->empty() && entries->size() == f.limit) j["next_after"] = entries->back().seq;
      return JsonResponse(200, j);
    }
    if (n == 3 && m == "GET" && c.seg(2) == "export") {
      log->route = "audit.export";
      auto page = AuditExportPage(*vault_, c.rc, c.target);  // audited there (server/api_audit.cc)
      if (!page.ok()) return fail(page.status());
      return JsonResponse(200, *page);
    }
    if (IsAuditToolPath(c.target)) {
      // review | anomalies | touched (checked): a fixed label, never a segment the caller made up.
      log->route = "audit." + c.seg(2);
      auto answer = AuditTools(*vault_, c.rc, c.req, c.target, limits_.max_json_depth, anomaly_);  // audited there
      if (!answer.ok()) return fail(answer.status());
      return JsonResponse(answer->status, answer->body);
    }
    if (n == 3 && m == "GET" && c.seg(2) == "verify") {
      log->route = "audit.verify";
      auto report = vault_->VerifyAudit(c.rc);
      if (!report.ok()) return fail(report.status());
      return JsonResponse(200, ToJson(*report));
    }
    log->route = "audit";
    return refuse(NotFound("no such route"));
  }

  log->route = "unknown";
  return refuse(NotFound("no such route"));
}

}  // namespace brankas::server
