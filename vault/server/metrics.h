// Prometheus text metrics of the server (GET /v1/metrics). Route patterns and
// error codes only: no case id, user name, field name or value ever appears.
#pragma once

#include <array>
#include <atomic>
#include <functional>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>

#include "brankas/replication.h"

namespace brankas {
class Vault;
}

namespace brankas::server {

class Metrics {
 public:
  // One answered request: its route pattern, HTTP status and duration.
  void Request(const std::string& route, int status, int64_t duration_us);
  void ConnectionOpened() { open_connections_.fetch_add(1, std::memory_order_relaxed); }
  void ConnectionClosed() { open_connections_.fetch_sub(1, std::memory_order_relaxed); }
  void ConnectionRefused() { refused_connections_.fetch_add(1, std::memory_order_relaxed); }
  void HandshakeFailed() { handshake_failures_.fetch_add(1, std::memory_order_relaxed); }
  void Timeout() { timeouts_.fetch_add(1, std::memory_order_relaxed); }
  int64_t open_connections() const { return open_connections_.load(std::memory_order_relaxed); }

  // The text exposition, with the vault's own counters.
  std::string Render(const Vault& vault) const;
  void SetReplicationSource(std::function<ReplicationStatus()> source) { replication_ = std::move(source); }

 private:
  static constexpr std::array<double, 12> kBucketsMs = {0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 5000};
  mutable std::mutex mu_;
  std::map<std::pair<std::string, int>, uint64_t> requests_;
  std::array<uint64_t, kBucketsMs.size() + 1> latency_buckets_{};
  double latency_sum_s_ = 0;
  uint64_t latency_count_ = 0;
  std::atomic<int64_t> open_connections_{0};
  std::atomic<uint64_t> refused_connections_{0}, handshake_failures_{0}, timeouts_{0};
  std::function<ReplicationStatus()> replication_;  // set once before serving
};

}  // namespace brankas::server
