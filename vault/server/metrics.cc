#include "server/metrics.h"

#include <sstream>

#include "brankas/vault.h"

namespace brankas::server {

void Metrics::Request(const std::string& route, int status, int64_t duration_us) {
  double ms = duration_us / 1000.0;
  size_t bucket = 0;
  while (bucket < kBucketsMs.size() && ms > kBucketsMs[bucket]) ++bucket;
  std::lock_guard<std::mutex> lock(mu_);
  ++requests_[{route, status}];
  ++latency_buckets_[bucket];
  latency_sum_s_ += duration_us / 1e6;
  ++latency_count_;
}

std::string Metrics::Render(const Vault& vault) const {
  std::ostringstream out;
  out << "# HELP brankas_http_requests_total Requests answered, by route pattern and status.\n"
      << "# TYPE brankas_http_requests_total counter\n";
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [key, count] : requests_) {
      out << "brankas_http_requests_total{route=\"" << key.first << "\",status=\"" << key.second
          << "\"} " << count << "\n";
    }
    out << "# HELP brankas_http_request_duration_seconds Time from a complete request to its answer.\n"
        << "# TYPE brankas_http_request_duration_seconds histogram\n";
    uint64_t cumulative = 0;
    for (size_t i = 0; i < kBucketsMs.size(); ++i) {
      cumulative += latency_buckets_[i];
      out << "brankas_http_request_duration_seconds_bucket{le=\"" << kBucketsMs[i] / 1000.0 << "\"} "
          << cumulative << "\n";
    }
    cumulative += latency_buckets_[kBucketsMs.size()];
    out << "brankas_http_request_duration_seconds_bucket{le=\"+Inf\"} " << cumulative << "\n"
        << "brankas_http_request_duration_seconds_sum " << latency_sum_s_ << "\n"
        << "brankas_http_request_duration_seconds_count " << latency_count_ << "\n";
  }
  out << "# TYPE brankas_http_open_connections gauge\n"
      << "brankas_http_open_connections " << open_connections_.load() << "\n"
      << "# TYPE brankas_http_refused_connections_total counter\n"
      << "brankas_http_refused_connections_total " << refused_connections_.load() << "\n"
      << "# TYPE brankas_tls_handshake_failures_total counter\n"
      << "brankas_tls_handshake_failures_total " << handshake_failures_.load() << "\n"
      << "# TYPE brankas_http_timeouts_total counter\n"
      << "brankas_http_timeouts_total " << timeouts_.load() << "\n";

  const Vault::Stats commit = vault.commit_stats();
  out << "# HELP brankas_commit_groups_total Commit groups written (one fsync each).\n"
      << "# TYPE brankas_commit_groups_total counter\n"
      << "brankas_commit_groups_total " << commit.groups << "\n"
      << "# TYPE brankas_commit_requests_total counter\n"
      << "brankas_commit_requests_total " << commit.requests << "\n"
      << "# TYPE brankas_commit_group_size_max gauge\n"
      << "brankas_commit_group_size_max " << commit.max_group << "\n"
      << "# TYPE brankas_commit_failed_groups_total counter\n"
      << "brankas_commit_failed_groups_total " << commit.failed_groups << "\n";
  const Vault::AuthStats auth = vault.auth_stats();
  out << "# TYPE brankas_auth_logins_total counter\n"
      << "brankas_auth_logins_total " << auth.logins << "\n"
      << "# TYPE brankas_auth_login_failures_total counter\n"
      << "brankas_auth_login_failures_total " << auth.login_failures << "\n"
      << "# TYPE brankas_auth_token_failures_total counter\n"
      << "brankas_auth_token_failures_total " << auth.authenticate_failures << "\n";
  const Health h = vault.health();
  out << "# HELP brankas_health 1 for the current state.\n# TYPE brankas_health gauge\n"
      << "brankas_health{state=\"ok\"} " << (h == Health::kOk) << "\n"
      << "brankas_health{state=\"sealed\"} " << (h == Health::kSealed) << "\n"
      << "brankas_health{state=\"degraded\"} " << (h == Health::kDegraded) << "\n";
  const Vault::ChangelogHead head = vault.changelog_head();
  out << "# HELP brankas_changelog_seq Last changelog sequence (what replication ships).\n"
      << "# TYPE brankas_changelog_seq gauge\n"
      << "brankas_changelog_seq " << head.seq << "\n";
  if (replication_) {
    const ReplicationStatus r = replication_();
    auto gauge = [&](const char* name, const char* help, double value) {
      out << "# HELP " << name << " " << help << "\n# TYPE " << name << " gauge\n" << name << " " << value << "\n";
    };
    gauge("brankas_replication_local_seq", "Newest changelog entry written on this unit.", static_cast<double>(r.local_seq));
    gauge("brankas_replication_acked_seq", "Newest changelog entry the central node holds durably.",
          static_cast<double>(r.acked_seq));
    gauge("brankas_replication_lag_entries", "Changelog entries not yet acknowledged by the central node.",
          static_cast<double>(r.lag_entries));
    gauge("brankas_replication_lag_seconds", "Age of the oldest unacknowledged changelog entry.", r.lag_seconds);
    gauge("brankas_replication_bytes_pending", "Bytes of unacknowledged changelog entries.",
          static_cast<double>(r.bytes_pending));
    gauge("brankas_replication_last_contact_seconds", "Unix time of the last exchange with the central node (0: never).",
          static_cast<double>(r.last_contact_us) / 1e6);
    gauge("brankas_replication_consecutive_failures", "Failed sessions since the last success.",
          static_cast<double>(r.consecutive_failures));
    gauge("brankas_replication_connected", "1 while a session with the central node is up.", r.connected ? 1 : 0);
    gauge("brankas_replication_alarms", "Active replication alarms.", static_cast<double>(r.alarms.size()));
    gauge("brankas_replication_receipts_total", "Audit checkpoints countersigned by the central node.",
          static_cast<double>(r.receipts));
  }
  return out.str();
}

}  // namespace brankas::server
