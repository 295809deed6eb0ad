// The routes of API.md over the Vault facade. Handle() is called on a worker
// thread with one complete request and blocks until the answer is durable.
//
// Every refusal made here, before the vault is reached (malformed body,
// unknown key, missing or bad token, unknown route), is audited with
// Vault::AuditAttempt — action "api.<route>", the error code as detail, never
// the input itself. Thread-safe.
#pragma once

#include <functional>
#include <memory>

#include <string>

#include "brankas/evidence.h"
#include "brankas/server.h"
#include "brankas/status.h"
#include "server/http_types.h"
#include "server/metrics.h"

namespace brankas {
class Vault;
}

namespace brankas::server {

class Api {
 public:
  Api(Vault* vault, const HttpLimits& limits, Metrics* metrics, bool metrics_local_only,
      std::function<ReplicationStatus()> replication = {}, AnomalyOptions anomaly = {});

  // Streamed requests (evidence attachments). The transport reads only the
  // headers of an IsStreamedUpload request before calling Handle with
  // `streams`; Handle then either answers (a refusal) or sets streams->upload,
  // into which the transport streams the body before calling FinishUpload.
  // A GET of an attachment (or a POST of an evidence bundle) sets
  // streams->body: the answer's headers are in the returned response and its
  // body, of body->size() bytes, comes from it.
  struct Streams {
    std::unique_ptr<EvidenceUpload> upload;
    std::unique_ptr<ByteStream> body;
  };
  static bool IsStreamedUpload(std::string_view method, std::string_view target);
  HttpResponse Handle(const HttpRequest& request, RequestLog* log, Streams* streams = nullptr);
  // The answer to a streamed upload whose body was read (Append already ran).
  HttpResponse FinishUpload(EvidenceUpload& upload, RequestLog* log);
  // The answer to a streamed upload that failed (the vault audited it).
  HttpResponse UploadFailed(const Status& status, RequestLog* log);
  // An answer for a request the transport refused before it was complete
  // (headers or body too large, bad framing): a JSON error, audited.
  HttpResponse Refuse(const Status& status, const std::string& client, RequestLog* log);

  static std::string NewRequestId();
  static int HttpStatus(Code code);
  static const char* ApiCode(Code code);
  static HttpResponse Error(const Status& status, const std::string& request_id);

 private:
  struct Call;
  HttpResponse Route(Call& call);
  void AuditRefusal(const Call& call, const Status& status);

  Vault* vault_;
  HttpLimits limits_;
  Metrics* metrics_;
  bool metrics_local_only_;
  std::function<ReplicationStatus()> replication_;
  AnomalyOptions anomaly_;  // the auditor's tools (server/api_audit_tools.h)
};

// Splits "/a/b?x=1&y=2" into path segments and decoded query parameters.
// kInvalidArgument on empty segments, "." or "..", percent-encoding in the path,
// a bad escape or a repeated parameter.
struct Target {
  std::vector<std::string> segments;
  std::vector<std::pair<std::string, std::string>> query;
  const std::string* Param(std::string_view name) const;
};
Result<Target> ParseTarget(std::string_view target, size_t max_bytes);

}  // namespace brankas::server
