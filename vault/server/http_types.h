// The request and response the API sees: plain values, independent of Beast,
// so the router can be tested and fuzzed without a socket.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace brankas::server {

struct HttpRequest {
  std::string method;         // "GET", "POST", ...
  std::string target;         // path and query, as sent (never logged)
  std::string authorization;  // the Authorization header (never logged)
  std::string content_type;
  std::string body;
  std::string client;         // "ip:port"
  bool client_is_loopback = false;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

// What the access log and the metrics may know about a request: the route
// pattern ("/v1/cases/{id}"), never the target, which can hold a search value.
struct RequestLog {
  std::string request_id;
  std::string route;
  std::string user;
  std::string error_code;  // empty on success
};

}  // namespace brankas::server
