// brankas-bench --server: the same workloads over HTTPS against a running
// brankasd, one keep-alive connection and one login per worker.
#include <nlohmann/json.hpp>

#include "https_client.h"
#include "workloads.h"

namespace brankas::bench {
namespace {

using Json = nlohmann::json;

Status FromResponse(const tools::ClientResponse& r) {
  Json j = Json::parse(r.body, nullptr, false);
  std::string code = j.is_object() && j.contains("error") ? j["error"].value("code", "") : "";
  return Unavailable("HTTP " + std::to_string(r.status) + " " + code);
}

class HttpsSession : public BenchSession {
 public:
  HttpsSession(std::unique_ptr<tools::HttpsClient> client, std::string token)
      : client_(std::move(client)), token_(std::move(token)) {}

  Result<Created> Create(const FieldValues& fields) override {
    Json body{{"fields", fields}};
    BRANKAS_ASSIGN_OR_RETURN(tools::ClientResponse r, client_->Request("POST", "/v1/cases", body.dump(), token_));
    if (r.status != 201) return FromResponse(r);
    Json j = Json::parse(r.body, nullptr, false);
    if (!j.is_object()) return Internal("the server's answer is not JSON");
    return Created{j.value("case_id", ""), j.value("version", uint64_t{0})};
  }

  Status Read(const std::string& case_id) override {
    BRANKAS_ASSIGN_OR_RETURN(tools::ClientResponse r, client_->Request("GET", "/v1/cases/" + case_id, {}, token_));
    return r.status == 200 ? Status::Ok() : FromResponse(r);
  }

  Result<uint64_t> Update(const std::string& case_id, const FieldValues& fields, uint64_t version) override {
    Json body{{"fields", fields}, {"expected_version", version}};
    BRANKAS_ASSIGN_OR_RETURN(tools::ClientResponse r,
                             client_->Request("PATCH", "/v1/cases/" + case_id, body.dump(), token_));
    if (r.status != 200) return FromResponse(r);
    Json j = Json::parse(r.body, nullptr, false);
    return j.is_object() ? j.value("version", uint64_t{0}) : uint64_t{0};
  }

 private:
  std::unique_ptr<tools::HttpsClient> client_;
  std::string token_;
};

class Https : public BenchBackend {
 public:
  Https(ServerTarget target, Schema schema) : target_(std::move(target)), schema_(std::move(schema)) {}

  Result<std::unique_ptr<BenchSession>> NewSession(int) override {
    BRANKAS_ASSIGN_OR_RETURN(auto client, tools::HttpsClient::Connect({target_.url, target_.ca_file, 60'000}));
    Json login{{"user", target_.user}, {"password", target_.password}};
    BRANKAS_ASSIGN_OR_RETURN(tools::ClientResponse r, client->Request("POST", "/v1/sessions", login.dump()));
    if (r.status != 201) return FromResponse(r);
    Json j = Json::parse(r.body, nullptr, false);
    if (!j.is_object() || !j.contains("token")) return Internal("the login answer holds no token");
    return std::unique_ptr<BenchSession>(new HttpsSession(std::move(client), j["token"].get<std::string>()));
  }
  const Schema& schema() const override { return schema_; }

 private:
  ServerTarget target_;
  Schema schema_;
};

}  // namespace

Result<std::unique_ptr<BenchBackend>> HttpsBackend(const ServerTarget& target, Schema schema) {
  return std::unique_ptr<BenchBackend>(new Https(target, std::move(schema)));
}

}  // namespace brankas::bench
