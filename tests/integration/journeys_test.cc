// The user journeys of issue #3 against a real brankasd --dev process on
// 127.0.0.1 (real TLS, real RocksDB in a per-test directory), and afterwards
// a search of everything the server logged for every value, token and
// password the journeys used.
#include <gtest/gtest.h>

#include <chrono>
#include <set>
#include <thread>

#include "integration/server_process.h"
#include "testing/temp_dir.h"

namespace brankas::testing {
namespace {

using nlohmann::json;

class JourneysTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server_.Start(dir_.path())) << server_.process.Logs();
    client_ = std::make_unique<ApiClient>(server_.url, server_.ca);
    ASSERT_TRUE(client_->ok());
  }

  std::string Login(const std::string& role) {
    std::string token = client_->Login(server_.User(role), server_.Password(role));
    EXPECT_FALSE(token.empty()) << role;
    secrets_.insert(token);
    secrets_.insert(server_.Password(role));
    return token;
  }

  TempDir dir_;
  DevServer server_;
  std::unique_ptr<ApiClient> client_;
  std::set<std::string> secrets_;  // must never appear in the server's logs
};

TEST_F(JourneysTest, EveryRoleSeesWhatPolicyAllowsAndNothingLeaksIntoLogs) {
  ApiClient& c = *client_;
  const std::string intake = Login("intake"), worker = Login("case_worker"), supervisor = Login("supervisor"),
                    psych = Login("psychologist"), legal = Login("legal"), auditor = Login("auditor"),
                    admin = Login("admin");
  const std::string worker_name = server_.User("case_worker"), psych_name = server_.User("psychologist");

  // The administrator manages users...
  const std::string other_password = "another worker's password 42";
  secrets_.insert(other_password);
  auto made = c.Call("POST", "/v1/users", {{"user", "bayu.pendamping"}, {"role", "case_worker"}, {"password", other_password}}, admin);
  ASSERT_EQ(made.status, 201) << made.body;
  auto users = c.Call("GET", "/v1/users", nullptr, admin);
  ASSERT_EQ(users.status, 200);
  EXPECT_GE(users.json["users"].size(), 9u);
  EXPECT_EQ(users.body.find("password"), std::string::npos);
  const std::string other = c.Login("bayu.pendamping", other_password);
  ASSERT_FALSE(other.empty());
  secrets_.insert(other);

  // Intake registers a case for the case worker.
  const json fields = {{"name", "Wulan Sekarsari"},     {"nik", "5371014507140003"},
                       {"address", "Jl. Kenanga No. 7, RT 002/RW 004"}, {"phone", "081234509876"},
                       {"incident_date", "2026-03-01"}, {"narrative", "[DATA SINTETIS] kejadian uji integrasi nomor tujuh"},
                       {"perpetrator_name", "Joko Susanto"}};
  auto created = c.Call("POST", "/v1/cases", {{"fields", fields}, {"assign_to", {worker_name}}}, intake);
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string id = created.json["case_id"];
  for (auto& [k, v] : fields.items()) secrets_.insert(v.get<std::string>());

  // The supervisor makes the case worker owner and assigns the psychologist.
  auto assigned = c.Call("POST", "/v1/cases/" + id + "/assign", {{"users", {worker_name, psych_name}}, {"owner", worker_name}}, supervisor);
  ASSERT_EQ(assigned.status, 200) << assigned.body;

  // The assigned worker reads every field that is set, and writes the psychologist's... no: their own classes.
  auto read = c.Call("GET", "/v1/cases/" + id, nullptr, worker);
  ASSERT_EQ(read.status, 200) << read.body;
  for (auto& [k, v] : fields.items()) EXPECT_EQ(read.json["fields"][k], v) << k;
  EXPECT_TRUE(read.json["withheld"].empty()) << read.body;

  // The psychologist writes their class and reads only the minimum.
  auto wrote = c.Call("PATCH", "/v1/cases/" + id,
                      {{"fields", {{"counselling_notes", "[DATA SINTETIS] sesi pertama berjalan baik"}}},
                       {"expected_version", read.json["version"]}}, psych);
  ASSERT_EQ(wrote.status, 200) << wrote.body;
  secrets_.insert("[DATA SINTETIS] sesi pertama berjalan baik");
  auto pread = c.Call("GET", "/v1/cases/" + id, nullptr, psych);
  ASSERT_EQ(pread.status, 200) << pread.body;
  EXPECT_TRUE(pread.json["fields"].contains("counselling_notes"));
  EXPECT_TRUE(pread.json["fields"].contains("name"));  // identity: the minimum to work with the child
  for (const char* hidden : {"address", "phone", "perpetrator_name"}) {
    EXPECT_FALSE(pread.json["fields"].contains(hidden)) << hidden;
    EXPECT_NE(std::find(pread.json["withheld"].begin(), pread.json["withheld"].end(), hidden), pread.json["withheld"].end())
        << hidden << " not listed in withheld: " << pread.body;
  }
  EXPECT_EQ(pread.body.find("Joko"), std::string::npos);

  // Another worker is refused, and the refusal is in the audit trail.
  auto denied = c.Call("GET", "/v1/cases/" + id, nullptr, other);
  EXPECT_EQ(denied.status, 403) << denied.body;
  EXPECT_EQ(denied.error(), "permission_denied");
  EXPECT_EQ(denied.body.find("Wulan"), std::string::npos);

  // Legal: nothing without a grant...
  auto before = c.Call("GET", "/v1/cases/" + id, nullptr, legal);
  EXPECT_TRUE(before.status == 403 || before.json["fields"].empty()) << before.body;
  EXPECT_EQ(before.body.find("Wulan"), std::string::npos);
  // ...the owner requests, the supervisor approves: incident and perpetrator for an hour.
  const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  auto requested = c.Call("POST", "/v1/grants",
                          {{"grantee", server_.User("legal")}, {"case_id", id}, {"classes", {"incident", "perpetrator"}},
                           {"not_before", now - 5}, {"expires_at", now + 3600}, {"legal_basis", "court_order:PN-KPG/2026/17"}},
                          worker);
  ASSERT_EQ(requested.status, 201) << requested.body;
  const std::string grant = requested.json["grant_id"];
  auto not_yet = c.Call("GET", "/v1/cases/" + id, nullptr, legal);
  EXPECT_EQ(not_yet.body.find("Joko"), std::string::npos) << "an unapproved grant opened the case";
  auto approved = c.Call("POST", "/v1/grants/" + grant + "/approve", nullptr, supervisor);
  ASSERT_EQ(approved.status, 200) << approved.body;
  auto during = c.Call("GET", "/v1/cases/" + id, nullptr, legal);
  ASSERT_EQ(during.status, 200) << during.body;
  EXPECT_EQ(during.json["fields"]["perpetrator_name"], "Joko Susanto");
  EXPECT_EQ(during.json["fields"]["incident_date"], "2026-03-01");
  EXPECT_FALSE(during.json["fields"].contains("name")) << during.body;
  EXPECT_FALSE(during.json["fields"].contains("address"));
  // ...and nothing after revocation.
  auto revoked = c.Call("POST", "/v1/grants/" + grant + "/revoke", nullptr, supervisor);
  ASSERT_EQ(revoked.status, 200) << revoked.body;
  auto after = c.Call("GET", "/v1/cases/" + id, nullptr, legal);
  EXPECT_EQ(after.body.find("Joko"), std::string::npos) << after.body;
  // A grant that expires: two seconds long.
  auto short_grant = c.Call("POST", "/v1/grants",
                            {{"grantee", server_.User("legal")}, {"case_id", id}, {"classes", {"incident"}},
                             {"not_before", now - 5}, {"expires_at", now + 3}, {"legal_basis", "request_letter:POLDA/2026/9"}},
                            worker);
  ASSERT_EQ(short_grant.status, 201) << short_grant.body;
  ASSERT_EQ(c.Call("POST", "/v1/grants/" + short_grant.json["grant_id"].get<std::string>() + "/approve", nullptr, supervisor).status, 200);
  auto inside = c.Call("GET", "/v1/cases/" + id, nullptr, legal);
  EXPECT_EQ(inside.json["fields"].value("incident_date", ""), "2026-03-01") << inside.body;
  // The list view: the legal user's own grants, the short one marked as ending soon.
  auto list = c.Call("GET", "/v1/grants", nullptr, legal);
  ASSERT_EQ(list.status, 200) << list.body;
  ASSERT_EQ(list.json["grants"].size(), 2u) << list.body;
  EXPECT_EQ(list.json["expiring_soon"], 1) << list.body;  // the short one; the revoked one no longer counts
  for (const auto& g : list.json["grants"]) {
    if (g["grant_id"] == grant) {
      EXPECT_EQ(g["state"], "revoked");
      EXPECT_FALSE(g["expiring_soon"].get<bool>());
    } else {
      EXPECT_EQ(g["state"], "active");
      EXPECT_TRUE(g["expiring_soon"].get<bool>());
      EXPECT_LE(g["expires_in_s"].get<int64_t>(), 3);
    }
  }
  EXPECT_EQ(c.Call("GET", "/v1/grants?case=" + id, nullptr, worker).json["grants"].size(), 2u);
  std::this_thread::sleep_for(std::chrono::seconds(4));
  auto expired = c.Call("GET", "/v1/cases/" + id, nullptr, legal);
  EXPECT_EQ(expired.body.find("2026-03-01"), std::string::npos) << expired.body;

  // The administrator cannot read a case.
  auto by_admin = c.Call("GET", "/v1/cases/" + id, nullptr, admin);
  EXPECT_TRUE(by_admin.status == 403 || by_admin.json["fields"].empty()) << by_admin.body;
  EXPECT_EQ(by_admin.body.find("Wulan"), std::string::npos);

  // The auditor sees the refusal of the other worker, and no value anywhere.
  auto trail = c.Call("GET", "/v1/audit?case=" + id + "&limit=1000", nullptr, auditor);
  ASSERT_EQ(trail.status, 200) << trail.body;
  bool found_denial = false;
  for (const json& e : trail.json["entries"]) {
    if (e["actor"] == "bayu.pendamping" && e["decision"] == "deny") found_denial = true;
  }
  EXPECT_TRUE(found_denial) << trail.body.substr(0, 2000);
  for (auto& [k, v] : fields.items()) EXPECT_EQ(trail.body.find(v.get<std::string>()), std::string::npos) << k;
  auto verify = c.Call("GET", "/v1/audit/verify", nullptr, auditor);
  ASSERT_EQ(verify.status, 200) << verify.body;
  EXPECT_TRUE(verify.json["intact"].get<bool>()) << verify.body;

  // Search through the blind index, by query (API.md) and by body.
  auto by_query = c.Call("GET", "/v1/search?field=nik&value=5371014507140003", nullptr, worker);
  ASSERT_EQ(by_query.status, 200) << by_query.body;
  EXPECT_EQ(by_query.json["case_ids"], json::array({id}));
  auto by_body = c.Call("POST", "/v1/search", {{"field", "name"}, {"value", "wulan sekarsari"}}, worker);
  ASSERT_EQ(by_body.status, 200) << by_body.body;
  EXPECT_EQ(by_body.json["case_ids"], json::array({id}));

  // Logout revokes the token.
  EXPECT_EQ(c.Call("DELETE", "/v1/sessions", nullptr, other).status, 200);
  EXPECT_EQ(c.Call("GET", "/v1/cases", nullptr, other).status, 401);

  // No secret in anything the server logged.
  EXPECT_EQ(server_.process.Stop(), 0);
  const std::string logs = server_.process.Logs();
  EXPECT_NE(logs.find("route=cases.read"), std::string::npos) << "the access log is missing";
  for (const std::string& s : secrets_) {
    if (s.size() < 6) continue;
    EXPECT_EQ(logs.find(s), std::string::npos) << "the server log holds a secret of length " << s.size();
  }
}

}  // namespace
}  // namespace brankas::testing
