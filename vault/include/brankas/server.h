// The HTTPS JSON API of brankasd (API.md): Boost.Beast over Boost.Asio, TLS 1.3
// only, every input bounded in size and time.
//
// Threading: `io_threads` run the network (TLS, parsing, writing); a pool of
// `workers` runs the vault calls, which block until their commit group is
// durable — that is what lets many requests share one fsync. Start() returns a
// running server; Stop() drains it: no new connections, requests already read
// are answered, then every connection closes.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <functional>

#include "brankas/audit_analysis.h"
#include "brankas/replication.h"
#include "brankas/status.h"

namespace brankas {

class Vault;

// Each limit is configurable ([api] in unit.toml) and has a test.
struct HttpLimits {
  size_t max_header_bytes = 8 * 1024;       // request line + headers
  size_t max_body_bytes = 1024 * 1024;      // JSON bodies
  int max_json_depth = 16;                  // nesting of objects and arrays
  size_t max_target_bytes = 2048;           // path and query
  int64_t handshake_timeout_ms = 5'000;     // TLS handshake
  int64_t request_timeout_ms = 10'000;      // first byte to last byte of one request
  int64_t idle_timeout_ms = 60'000;         // keep-alive wait for the next request
  int64_t write_timeout_ms = 10'000;        // sending one response
  size_t max_connections = 1024;            // open at once; more are closed at accept
  // Evidence attachments are streamed: memory stays bounded whatever their
  // size. Each read or write step of one must progress within
  // request_timeout_ms / write_timeout_ms (not the whole transfer).
  uint64_t max_evidence_bytes = 2ull << 30;  // 2 GiB
};

struct ServerOptions {
  std::string listen_host = "127.0.0.1";
  uint16_t listen_port = 0;                 // 0: an ephemeral port (see ApiServer::port)
  std::string tls_cert_file, tls_key_file;  // PEM; TLS 1.3 only
  int io_threads = 2;
  int workers = 32;  // 24-32 measured best on 2 cores (docs/BENCHMARKS.md)
  HttpLimits limits;
  // /v1/metrics answers loopback clients only (API.md: "anyone (local)").
  bool metrics_local_only = true;
  // One log line per answered request (route pattern, status, user, time).
  bool access_log = true;
  // Time Stop() waits for requests in flight before closing connections.
  int64_t drain_timeout_ms = 10'000;
  // The unit's replication status (GET /v1/replication/status, metrics);
  // unset when the node does not replicate.
  std::function<ReplicationStatus()> replication_status;
  // The auditor's tools (/v1/audit/review, /anomalies, /touched): thresholds
  // and scan bounds, [anomaly] in unit.toml.
  AnomalyOptions anomaly;
};

class ApiServer {
 public:
  // Binds, loads the TLS identity and starts serving. `vault` must outlive the server.
  static Result<std::unique_ptr<ApiServer>> Start(Vault* vault, const ServerOptions& options);
  ~ApiServer();  // Stop()s

  uint16_t port() const;
  // Stops accepting, answers the requests already read (bounded by the drain
  // timeout), closes every connection and joins every thread. Idempotent.
  void Stop();

  class Impl;

 private:
  explicit ApiServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// A self-signed TLS identity (EC P-256, SAN 127.0.0.1 and localhost, valid ten
// years) for development and demos: certificate at cert_path (0644), private
// key at key_path (0600, never overwritten).
Status GenerateSelfSignedIdentity(const std::string& cert_path, const std::string& key_path,
                                  const std::string& common_name);

}  // namespace brankas
