// A small synchronous HTTPS client for the tools and the tests: TLS 1.3, the
// server certificate checked against a CA file and the host name, one
// keep-alive connection (reopened once if the server closed it), a deadline on
// every step. Not thread-safe: one client per thread.
//
// Upload and Download stream a body of any size through one fixed buffer
// (kStreamBufferBytes): memory stays bounded whatever the size. Their deadline
// (ClientOptions::timeout_ms) is enforced and applies to each step (connect,
// handshake, the header, each buffer written or each read), not to the whole
// transfer, so a transfer of gigabytes may take minutes but never stalls longer
// than one timeout.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "brankas/status.h"

namespace brankas::tools {

struct ClientOptions {
  std::string url;        // https://host:port
  std::string ca_file;    // PEM: the server's CA (for --dev: its self-signed certificate)
  int64_t timeout_ms = 30'000;
  // Upload only: how long to wait for the answer once the last byte is sent
  // (the server may still be syncing gigabytes to disk).
  int64_t upload_answer_timeout_ms = 300'000;
};

struct ClientResponse {
  int status = 0;
  std::string body;
  std::string content_type;
  std::string request_id;
};

// The one buffer of a streamed body, and the most of a non-2xx answer's body a
// Download keeps.
inline constexpr size_t kStreamBufferBytes = size_t{1} << 20;
inline constexpr size_t kMaxErrorBodyBytes = size_t{1} << 20;

// Upload: fills `buffer` with up to `size` bytes of the body and returns how
// many it wrote; 0 means the source has nothing more; an error stops the
// upload (the connection is dropped, the request never completes).
using UploadSource = std::function<Result<size_t>(char* buffer, size_t size)>;
// Download: one received piece of a 2xx body, in order. An error stops the
// download (the connection is dropped) and is returned as it is.
using DownloadSink = std::function<Status(const char* data, size_t size)>;

// What a Download answered.
struct DownloadResponse {
  int status = 0;
  std::optional<uint64_t> content_length;  // absent for a chunked answer
  std::string content_type;
  std::string request_id;   // X-Request-Id
  std::string sha256;       // X-Brankas-Sha256, as sent (hex)
  uint64_t body_bytes = 0;  // bytes handed to the sink (2xx only)
  std::string body;         // non-2xx answers: the (JSON error) body, at most kMaxErrorBodyBytes
};

class HttpsClient {
 public:
  static Result<std::unique_ptr<HttpsClient>> Connect(const ClientOptions& options);
  ~HttpsClient();

  // kUnavailable when the server cannot be reached or the connection breaks;
  // any HTTP answer (4xx and 5xx included) is a ClientResponse.
  Result<ClientResponse> Request(std::string_view method, std::string_view target, std::string_view body = {},
                                 std::string_view token = {});

  // Sends `content_length` bytes taken from `source` as the body (Content-Type
  // `content_type`) and returns the server's (small) answer. Always on a new
  // connection: a body that was read cannot be sent again, so a kept-alive
  // connection the server may have closed is not risked. If the source ends
  // before `content_length` bytes, kInvalidArgument and nothing completes. If
  // the server answers before the whole body was sent (a refusal such as 413)
  // and the answer can still be read, it is returned.
  Result<ClientResponse> Upload(std::string_view method, std::string_view target, std::string_view token,
                                uint64_t content_length, std::string_view content_type, const UploadSource& source);

  // GET `target`, handing a 2xx body to `sink` piece by piece (never held
  // whole). A non-2xx answer comes back with its body in DownloadResponse::body
  // (the sink is not called). kUnavailable when the server cannot be reached or
  // a step times out; kCorruption when the connection ends before the whole
  // body arrived (fewer than Content-Length bytes, or an unfinished chunked
  // body): the server's way of saying it stopped streaming. A sink error is
  // returned unchanged.
  Result<DownloadResponse> Download(std::string_view target, std::string_view token, const DownloadSink& sink);
  // The same for a POST without a body whose answer is streamed (an evidence
  // bundle). Never retried: the server may have acted on it.
  Result<DownloadResponse> PostForDownload(std::string_view target, std::string_view token, const DownloadSink& sink);

  class Impl;

 private:
  explicit HttpsClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// "https://host:port" -> host, port. kInvalidArgument otherwise.
Status ParseHttpsUrl(std::string_view url, std::string* host, std::string* port);

}  // namespace brankas::tools
