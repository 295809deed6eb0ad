// A small synchronous HTTPS client for the tools and the tests: TLS 1.3, the
// server certificate checked against a CA file and the host name, one
// keep-alive connection (reopened once if the server closed it), a deadline on
// every step. Not thread-safe: one client per thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "brankas/status.h"

namespace brankas::tools {

struct ClientOptions {
  std::string url;        // https://host:port
  std::string ca_file;    // PEM: the server's CA (for --dev: its self-signed certificate)
  int64_t timeout_ms = 30'000;
};

struct ClientResponse {
  int status = 0;
  std::string body;
  std::string content_type;
  std::string request_id;
};

class HttpsClient {
 public:
  static Result<std::unique_ptr<HttpsClient>> Connect(const ClientOptions& options);
  ~HttpsClient();

  // kUnavailable when the server cannot be reached or the connection breaks;
  // any HTTP answer (4xx and 5xx included) is a ClientResponse.
  Result<ClientResponse> Request(std::string_view method, std::string_view target, std::string_view body = {},
                                 std::string_view token = {});

  class Impl;

 private:
  explicit HttpsClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// "https://host:port" -> host, port. kInvalidArgument otherwise.
Status ParseHttpsUrl(std::string_view url, std::string* host, std::string* port);

}  // namespace brankas::tools
