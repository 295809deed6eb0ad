// The API router in process, over a real vault: request parsing, strict JSON,
// error codes, and that every refusal made before the vault is audited.
#include "server/api.h"

#include <gtest/gtest.h>

#include "brankas/evidence_bundle.h"
#include "brankas/synth.h"
#include "engine/vault_test_util.h"
#include "server/json_io.h"

namespace brankas::server {
namespace {

TEST(ParseTargetTest, SplitsPathAndDecodesQuery) {
  auto t = ParseTarget("/v1/search?field=name&value=Siti%20Rahma+Putri", 2048);
  ASSERT_TRUE(t.ok());
  ASSERT_EQ(t->segments.size(), 2u);
  EXPECT_EQ(t->segments[1], "search");
  ASSERT_NE(t->Param("value"), nullptr);
  EXPECT_EQ(*t->Param("value"), "Siti Rahma Putri");
}

TEST(ParseTargetTest, RefusesTraversalEscapesAndRepeats) {
  for (const char* bad : {"/v1/cases/../users", "/v1/cases/%2e%2e", "/v1//cases", "v1/cases",
                          "/v1/cases/a;drop", "/v1/search?value=%zz", "/v1/search?a=1&a=2",
                          "/v1/search?value=%ff%fe", "/v1/cases/x%00"}) {
    auto t = ParseTarget(bad, 2048);
    EXPECT_FALSE(t.ok()) << bad;
    if (!t.ok()) {
      EXPECT_EQ(t.status().code(), Code::kInvalidArgument) << bad;
    }
  }
  EXPECT_EQ(ParseTarget(std::string(3000, 'a'), 2048).status().code(), Code::kTooLarge);
}

TEST(JsonInputTest, DepthIsBoundedAndStringsDoNotCount) {
  EXPECT_EQ(JsonDepth(R"({"a":[{"b":"[[[[{{{{"}]})", 64), 3);
  std::string deep(100000, '[');
  EXPECT_GT(JsonDepth(deep, 16), 16);
  auto r = ParseJsonObject(deep, 16);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
}

TEST(JsonInputTest, ErrorsNeverRepeatTheInput) {
  const std::string secret = "3171011234567890";
  for (const std::string& body : {"{\"nik\": " + secret + "x}", "{\"a\": \"" + secret + "\xff\"}",
                                  "[\"" + secret + "\"]", "{\"" + secret + "\": 1"}) {
    auto r = ParseJsonObject(body, 16);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().message().find(secret), std::string::npos) << r.status().message();
  }
  auto obj = ParseJsonObject("{\"user\":\"a\",\"" + secret + "\":1}", 16);
  ASSERT_TRUE(obj.ok());
  Status unknown = OnlyKeys(*obj, {"user"});
  EXPECT_EQ(unknown.code(), Code::kInvalidArgument);
  EXPECT_EQ(unknown.message().find(secret), std::string::npos);
}

TEST(JsonInputTest, OutOfRangeNumbersAreRefusedNotThrown) {
  // Found by tests/fuzz: nlohmann throws out_of_range, not parse_error, on 1e400.
  for (const char* body : {R"({"user":"x","password":1e400})", R"({"a":-5E555555})"}) {
    auto r = ParseJsonObject(body, 16);
    ASSERT_FALSE(r.ok()) << body;
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  }
}

TEST(JsonInputTest, KeysThatCouldBeValuesAreNotEchoed) {
  // Found by tests/fuzz: a NIK after a letter passed the old key filter.
  auto obj = ParseJsonObject(R"({"fields":{"n3171011234567890":7},"Siti Rahma":1,"x3171011234567890":1})", 16);
  ASSERT_TRUE(obj.ok());
  EXPECT_EQ(OnlyKeys(*obj, {"fields"}).message().find("3171011234567890"), std::string::npos);
  EXPECT_EQ(OnlyKeys(*obj, {"fields", "x3171011234567890"}).message().find("Siti"), std::string::npos);
  EXPECT_EQ(FieldObject(*obj, "fields", 10).status().message().find("3171011234567890"), std::string::npos);
}

TEST(JsonInputTest, WrongTypesAreRefused) {
  auto obj = ParseJsonObject(R"({"fields":{"name":7},"n":"x","l":[1]})", 16);
  ASSERT_TRUE(obj.ok());
  EXPECT_EQ(FieldObject(*obj, "fields", 10).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(OptionalInt(*obj, "n").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(StringArray(*obj, "l", 10, 10).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(RequiredString(*obj, "missing", 10).status().code(), Code::kInvalidArgument);
}

class ApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fx_.Init();
    fx_.OpenUnsealed();
    api_ = std::make_unique<Api>(&fx_.vault(), HttpLimits{}, &metrics_, true);
    auto admin = fx_.Ctx("root", Role::kAdmin);
    for (auto [user, role] : {std::pair{"ani", Role::kCaseWorker}, {"budi", Role::kCaseWorker},
                              {"aud", Role::kAuditor}}) {
      UserInfo u;
      u.user = user;
      u.role = role;
      ASSERT_TRUE(fx_.vault().CreateUser(admin, u, kPassword).ok());
    }
  }

  HttpResponse Call(const std::string& method, const std::string& target, const std::string& body = "",
                    const std::string& token = "") {
    HttpRequest r;
    r.method = method;
    r.target = target;
    r.body = body;
    r.client = "127.0.0.1:5000";
    r.client_is_loopback = true;
    if (!token.empty()) r.authorization = "Bearer " + token;
    RequestLog log;
    return api_->Handle(r, &log);
  }

  std::string Login(const std::string& user) {
    HttpResponse r = Call("POST", "/v1/sessions", Json{{"user", user}, {"password", kPassword}}.dump());
    EXPECT_EQ(r.status, 201) << r.body;
    return Json::parse(r.body).value("token", "");
  }

  static std::string ErrorCode(const HttpResponse& r) {
    return Json::parse(r.body)["error"]["code"].get<std::string>();
  }

  static constexpr char kPassword[] = "a long enough password 1";
  testing::VaultFixture fx_;
  Metrics metrics_;
  std::unique_ptr<Api> api_;
};

TEST_F(ApiTest, CreateReadAndWithhold) {
  std::string ani = Login("ani");
  HttpResponse created = Call("POST", "/v1/cases",
                              R"({"fields":{"name":"Siti Rahmawati","incident_date":"2026-01-02"}})", ani);
  ASSERT_EQ(created.status, 201) << created.body;
  std::string id = Json::parse(created.body)["case_id"];
  HttpResponse read = Call("GET", "/v1/cases/" + id, "", ani);
  ASSERT_EQ(read.status, 200) << read.body;
  EXPECT_EQ(Json::parse(read.body)["fields"]["name"], "Siti Rahmawati");

  std::string budi = Login("budi");
  HttpResponse denied = Call("GET", "/v1/cases/" + id, "", budi);
  EXPECT_EQ(denied.status, 403);
  EXPECT_EQ(ErrorCode(denied), "permission_denied");
  EXPECT_EQ(denied.body.find("Siti"), std::string::npos);
  EXPECT_FALSE(Json::parse(denied.body)["error"]["request_id"].get<std::string>().empty());

  HttpResponse stale = Call("PATCH", "/v1/cases/" + id, R"({"fields":{"name":"X Y"},"expected_version":99})", ani);
  EXPECT_EQ(stale.status, 409);
  EXPECT_EQ(ErrorCode(stale), "conflict");
}

TEST_F(ApiTest, RefusalsBeforeTheVaultAreAuditedWithoutInput) {
  std::string ani = Login("ani");
  const std::string secret = "3171019999999999";
  struct Case { std::string method, target, body, token; int status; std::string code; };
  std::vector<Case> cases = {
      {"POST", "/v1/cases", "{\"fields\":{\"nik\":\"" + secret + "\"", ani, 400, "invalid_argument"},
      {"POST", "/v1/cases", "{\"fieldz\":{\"nik\":\"" + secret + "\"}}", ani, 400, "invalid_argument"},
      {"POST", "/v1/cases", "{\"fields\":{\"nik\":" + secret + "}}", ani, 400, "invalid_argument"},
      {"POST", "/v1/cases", std::string(50, '[') + std::string(50, ']'), ani, 400, "invalid_argument"},
      {"GET", "/v1/cases/..%2f..%2fetc", "", ani, 400, "invalid_argument"},
      {"GET", "/v1/cases", "", "", 401, "unauthenticated"},
      {"GET", "/v1/cases", "", std::string(64, 'a'), 401, "unauthenticated"},
      {"GET", "/v1/nothing", "", ani, 404, "not_found"},
  };
  for (const Case& c : cases) {
    HttpResponse r = Call(c.method, c.target, c.body, c.token);
    EXPECT_EQ(r.status, c.status) << c.target << " " << r.body;
    EXPECT_EQ(ErrorCode(r), c.code) << c.target;
    EXPECT_EQ(r.body.find(secret), std::string::npos);
  }
  AuditFilter f;
  f.decision = "deny";
  f.limit = 1000;
  auto entries = fx_.vault().QueryAudit(fx_.Ctx("aud", Role::kAuditor), f);
  ASSERT_TRUE(entries.ok());
  size_t api_refusals = 0;
  for (const AuditEntry& e : *entries) {
    if (e.action.rfind("api.", 0) == 0) ++api_refusals;
    EXPECT_EQ(e.detail.find(secret), std::string::npos);
  }
  EXPECT_EQ(api_refusals, cases.size());
  auto cases_list = fx_.vault().ListCases(fx_.Ctx("ani", Role::kCaseWorker), false, std::nullopt, 100);
  ASSERT_TRUE(cases_list.ok());
  EXPECT_TRUE(cases_list->empty()) << "a refused request changed something";
}

TEST_F(ApiTest, UnknownRoutesNeverBecomeLabels) {
  // The route label feeds metrics, the access log and the audit action: a
  // made-up path segment (here NIK-like) must not reach any of them.
  const std::string token = Login("ani");
  for (const std::string& token_or_none : {std::string(), token}) {
    HttpRequest r;
    r.method = "GET";
    r.target = "/v1/3171011234567890x1/cases";
    if (!token_or_none.empty()) r.authorization = "Bearer " + token_or_none;
    RequestLog log;
    EXPECT_GE(api_->Handle(r, &log).status, 400);
    EXPECT_EQ(log.route, "unknown");
  }
  AuditFilter f;
  f.limit = 1000;
  auto entries = fx_.vault().QueryAudit(fx_.Ctx("aud", Role::kAuditor), f);
  ASSERT_TRUE(entries.ok());
  for (const AuditEntry& e : *entries) EXPECT_EQ(e.action.find("3171011234567890"), std::string::npos) << e.action;
}

TEST_F(ApiTest, HealthMetricsAndLogout) {
  HttpResponse h = Call("GET", "/v1/health");
  EXPECT_EQ(h.status, 200);
  EXPECT_EQ(Json::parse(h.body)["status"], "ok");
  std::string ani = Login("ani");
  EXPECT_EQ(Call("DELETE", "/v1/sessions", "", ani).status, 200);
  EXPECT_EQ(Call("GET", "/v1/cases", "", ani).status, 401);
  HttpRequest r;
  r.method = "GET";
  r.target = "/v1/metrics";
  r.client_is_loopback = false;
  RequestLog log;
  EXPECT_EQ(api_->Handle(r, &log).status, 403);
  r.client_is_loopback = true;
  HttpResponse m = api_->Handle(r, &log);
  EXPECT_EQ(m.status, 200);
  EXPECT_NE(m.body.find("brankas_commit_groups_total"), std::string::npos);
}

}  // namespace
}  // namespace brankas::server

namespace brankas::server {
namespace {

// A class shred over HTTP: POST /shred {"classes":[...]}, the summary's
// shredded_classes, the class receipts, and a refused administrative class.
TEST_F(ApiTest, ShredsFieldClassesAndServesTheirReceipts) {
  UserInfo sri;
  sri.user = "sri";
  sri.role = Role::kSupervisor;
  ASSERT_TRUE(fx_.vault().CreateUser(fx_.Ctx("root", Role::kAdmin), sri, kPassword).ok());
  std::string ani = Login("ani");
  std::string sup = Login("sri");
  HttpResponse created = Call("POST", "/v1/cases",
                              R"({"fields":{"name":"Siti Rahmawati","incident_date":"2026-01-02"}})", ani);
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string id = Json::parse(created.body)["case_id"];
  EXPECT_EQ(Call("GET", "/v1/cases/" + id + "/class-destruction-receipts", "", sup).status, 404);

  HttpResponse admin = Call("POST", "/v1/cases/" + id + "/shred", R"({"classes":["administrative"]})", sup);
  EXPECT_EQ(admin.status, 400) << admin.body;
  HttpResponse unknown = Call("POST", "/v1/cases/" + id + "/shred", R"({"classes":["medicall"]})", sup);
  EXPECT_EQ(unknown.status, 400) << unknown.body;
  HttpResponse none = Call("POST", "/v1/cases/" + id + "/shred", R"({"classes":[]})", sup);
  EXPECT_EQ(none.status, 400) << none.body;
  HttpResponse worker = Call("POST", "/v1/cases/" + id + "/shred", R"({"classes":["identity"]})", ani);
  EXPECT_EQ(worker.status, 403) << worker.body;

  HttpResponse shred = Call("POST", "/v1/cases/" + id + "/shred",
                            R"({"classes":["identity"],"reason":"data_subject_request:REQ-1"})", sup);
  ASSERT_EQ(shred.status, 200) << shred.body;
  EXPECT_EQ(Json::parse(shred.body)["classes"], Json::array({"identity"}));
  EXPECT_EQ(shred.body.find("Siti"), std::string::npos);

  HttpResponse read = Call("GET", "/v1/cases/" + id, "", ani);
  ASSERT_EQ(read.status, 200) << read.body;
  const Json view = Json::parse(read.body);
  EXPECT_FALSE(view["fields"].contains("name"));
  EXPECT_EQ(view["fields"]["incident_date"], "2026-01-02");
  EXPECT_EQ(view["shredded_classes"], Json::array({"identity"})) << read.body;

  HttpResponse receipts = Call("GET", "/v1/cases/" + id + "/class-destruction-receipts", "", sup);
  ASSERT_EQ(receipts.status, 200) << receipts.body;
  const Json list = Json::parse(receipts.body)["receipts"];
  ASSERT_EQ(list.size(), 1u);
  auto report = VerifyDestructionReceipt(list[0].dump(), fx_.vault().node_public_key());
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->valid) << report->problem;
  EXPECT_EQ(report->classes, std::vector<std::string>{"identity"});
  // As for the whole-case receipt: those who may audit the case or shred it; not another worker.
  EXPECT_EQ(Call("GET", "/v1/cases/" + id + "/class-destruction-receipts", "", Login("budi")).status, 403);
}

}  // namespace
}  // namespace brankas::server
