#include "brankas/config.h"

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <toml++/toml.h>

namespace brankas {
namespace {

// Reads keys from one table, remembering which it consumed so that anything
// left over can be reported as unknown.
class TableReader {
 public:
  TableReader(const toml::table* table, std::string prefix, const std::string& source)
      : table_(table), prefix_(std::move(prefix)), source_(source) {}

  Status Error(std::string_view key, const std::string& what) const {
    return InvalidArgument(source_ + ": key '" + prefix_ + std::string(key) + "' " + what);
  }

  Status String(std::string_view key, std::string* out) {
    const toml::node* n = Take(key);
    if (n == nullptr) return Status::Ok();
    const auto* v = n->as_string();
    if (v == nullptr) return Error(key, "must be a string");
    *out = v->get();
    return Status::Ok();
  }

  template <typename T>
  Status Int(std::string_view key, T* out, int64_t min, int64_t max) {
    const toml::node* n = Take(key);
    if (n == nullptr) return Status::Ok();
    const auto* v = n->as_integer();
    if (v == nullptr) return Error(key, "must be an integer");
    int64_t x = v->get();
    if (x < min || x > max) {
      return Error(key, "must be between " + std::to_string(min) + " and " + std::to_string(max) + " (got " +
                            std::to_string(x) + ")");
    }
    *out = static_cast<T>(x);
    return Status::Ok();
  }

  Status Bool(std::string_view key, bool* out) {
    const toml::node* n = Take(key);
    if (n == nullptr) return Status::Ok();
    const auto* v = n->as_boolean();
    if (v == nullptr) return Error(key, "must be true or false");
    *out = v->get();
    return Status::Ok();
  }

  // A sub-table, or nullptr when absent; kInvalidArgument when not a table.
  Result<const toml::table*> Table(std::string_view key) {
    const toml::node* n = Take(key);
    if (n == nullptr) return static_cast<const toml::table*>(nullptr);
    const toml::table* t = n->as_table();
    if (t == nullptr) return Error(key, "must be a table");
    return t;
  }

  Status NoUnknownKeys() const {
    if (table_ == nullptr) return Status::Ok();
    for (const auto& [k, v] : *table_) {
      if (taken_.count(std::string(k.str())) == 0) return Error(k.str(), "is unknown");
    }
    return Status::Ok();
  }

 private:
  const toml::node* Take(std::string_view key) {
    taken_.insert(std::string(key));
    return table_ == nullptr ? nullptr : table_->get(key);
  }

  const toml::table* table_;
  std::string prefix_;
  const std::string& source_;
  std::set<std::string> taken_;
};

constexpr int64_t kMaxMs = 24LL * 3600 * 1000;

std::string Resolve(const std::string& base_dir, const std::string& path) {
  if (path.empty() || std::filesystem::path(path).is_absolute()) return path;
  return (std::filesystem::path(base_dir) / path).lexically_normal().string();
}

}  // namespace

Result<NodeConfig> ParseNodeConfig(std::string_view text, const std::string& source) {
  toml::table root;
  try {
    root = toml::parse(text, source);
  } catch (const toml::parse_error& e) {
    std::ostringstream msg;
    msg << source << ":" << e.source().begin.line << ":" << e.source().begin.column << ": " << e.description();
    return InvalidArgument(msg.str());
  }
  NodeConfig c;
  c.source = source;
  const std::string base = std::filesystem::path(source).parent_path().string();
  TableReader top(&root, "", source);
  BRANKAS_RETURN_IF_ERROR(top.String("role", &c.role));
  if (c.role != "unit" && c.role != "central") return top.Error("role", "must be \"unit\" or \"central\"");
  BRANKAS_RETURN_IF_ERROR(top.String("data_dir", &c.data_dir));
  if (c.data_dir.empty()) return top.Error("data_dir", "is required");
  BRANKAS_RETURN_IF_ERROR(top.String("schema", &c.schema_path));
  BRANKAS_RETURN_IF_ERROR(top.String("policy", &c.policy_path));
  BRANKAS_RETURN_IF_ERROR(top.String("unseal_passphrase_file", &c.unseal_passphrase_file));

  BRANKAS_ASSIGN_OR_RETURN(const toml::table* api_table, top.Table("api"));
  TableReader api(api_table, "api.", source);
  std::string listen = "127.0.0.1:8443";
  BRANKAS_RETURN_IF_ERROR(api.String("listen", &listen));
  size_t colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0) return api.Error("listen", "must be HOST:PORT");
  c.api.listen_host = listen.substr(0, colon);
  if (c.api.listen_host.size() > 2 && c.api.listen_host.front() == '[') {
    c.api.listen_host = c.api.listen_host.substr(1, c.api.listen_host.size() - 2);
  }
  {
    const std::string port = listen.substr(colon + 1);
    if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos ||
        std::stoi(port) > 65535) {
      return api.Error("listen", "has an impossible port");
    }
    c.api.listen_port = static_cast<uint16_t>(std::stoi(port));
  }
  BRANKAS_RETURN_IF_ERROR(api.String("tls_cert", &c.api.tls_cert_file));
  BRANKAS_RETURN_IF_ERROR(api.String("tls_key", &c.api.tls_key_file));
  if (c.api.tls_cert_file.empty()) return api.Error("tls_cert", "is required");
  if (c.api.tls_key_file.empty()) return api.Error("tls_key", "is required");
  BRANKAS_RETURN_IF_ERROR(api.Int("io_threads", &c.api.io_threads, 1, 64));
  BRANKAS_RETURN_IF_ERROR(api.Int("workers", &c.api.workers, 1, 4096));
  BRANKAS_RETURN_IF_ERROR(api.Bool("metrics_local_only", &c.api.metrics_local_only));
  BRANKAS_RETURN_IF_ERROR(api.Bool("access_log", &c.api.access_log));
  BRANKAS_RETURN_IF_ERROR(api.Int("drain_timeout_ms", &c.api.drain_timeout_ms, 0, kMaxMs));
  BRANKAS_RETURN_IF_ERROR(api.NoUnknownKeys());

  BRANKAS_ASSIGN_OR_RETURN(const toml::table* limits_table, top.Table("limits"));
  TableReader lim(limits_table, "limits.", source);
  HttpLimits& l = c.api.limits;
  BRANKAS_RETURN_IF_ERROR(lim.Int("max_header_bytes", &l.max_header_bytes, 1024, 1 << 20));
  BRANKAS_RETURN_IF_ERROR(lim.Int("max_body_bytes", &l.max_body_bytes, 1024, 64 << 20));
  BRANKAS_RETURN_IF_ERROR(lim.Int("max_json_depth", &l.max_json_depth, 2, 64));
  BRANKAS_RETURN_IF_ERROR(lim.Int("max_target_bytes", &l.max_target_bytes, 64, 64 * 1024));
  BRANKAS_RETURN_IF_ERROR(lim.Int("handshake_timeout_ms", &l.handshake_timeout_ms, 10, kMaxMs));
  BRANKAS_RETURN_IF_ERROR(lim.Int("request_timeout_ms", &l.request_timeout_ms, 10, kMaxMs));
  BRANKAS_RETURN_IF_ERROR(lim.Int("idle_timeout_ms", &l.idle_timeout_ms, 10, kMaxMs));
  BRANKAS_RETURN_IF_ERROR(lim.Int("write_timeout_ms", &l.write_timeout_ms, 10, kMaxMs));
  BRANKAS_RETURN_IF_ERROR(lim.Int("max_connections", &l.max_connections, 1, 1'000'000));
  BRANKAS_RETURN_IF_ERROR(lim.NoUnknownKeys());

  BRANKAS_ASSIGN_OR_RETURN(const toml::table* sessions_table, top.Table("sessions"));
  TableReader ses(sessions_table, "sessions.", source);
  BRANKAS_RETURN_IF_ERROR(ses.Int("ttl_seconds", &c.session_ttl_s, 1, 24 * 3600));
  BRANKAS_RETURN_IF_ERROR(ses.Int("login_max_failures", &c.login_max_failures, 1, 100));
  BRANKAS_RETURN_IF_ERROR(ses.Int("lockout_seconds", &c.login_lockout_s, 1, 7 * 24 * 3600));
  BRANKAS_RETURN_IF_ERROR(ses.Int("password_hash_ops", &c.password_hash_ops, 1, 20));
  BRANKAS_RETURN_IF_ERROR(ses.Int("password_hash_memory_mib", &c.password_hash_memory_mib, 8, 4096));
  BRANKAS_RETURN_IF_ERROR(ses.Int("password_hash_concurrency", &c.password_hash_concurrency, 1, 64));
  BRANKAS_RETURN_IF_ERROR(ses.NoUnknownKeys());

  BRANKAS_ASSIGN_OR_RETURN(const toml::table* audit_table, top.Table("audit"));
  TableReader aud(audit_table, "audit.", source);
  BRANKAS_RETURN_IF_ERROR(aud.Int("checkpoint_every_entries", &c.checkpoint_every_entries, 1, 1'000'000));
  BRANKAS_RETURN_IF_ERROR(aud.Int("checkpoint_every_seconds", &c.checkpoint_every_s, 1, 24 * 3600));
  BRANKAS_RETURN_IF_ERROR(aud.NoUnknownKeys());

  BRANKAS_ASSIGN_OR_RETURN(const toml::table* commit_table, top.Table("commit"));
  TableReader com(commit_table, "commit.", source);
  BRANKAS_RETURN_IF_ERROR(com.Int("max_group_size", &c.max_group_size, 1, 65536));
  BRANKAS_RETURN_IF_ERROR(com.NoUnknownKeys());

  BRANKAS_ASSIGN_OR_RETURN(const toml::table* log_table, top.Table("log"));
  TableReader log(log_table, "log.", source);
  BRANKAS_RETURN_IF_ERROR(log.String("level", &c.log_level));
  static const std::set<std::string> kLevels = {"trace", "debug", "info", "warn", "error"};
  if (kLevels.count(c.log_level) == 0) return log.Error("level", "must be one of trace, debug, info, warn, error");
  BRANKAS_RETURN_IF_ERROR(log.String("file", &c.log_file));
  BRANKAS_RETURN_IF_ERROR(log.NoUnknownKeys());

  BRANKAS_RETURN_IF_ERROR(top.NoUnknownKeys());

  c.data_dir = Resolve(base, c.data_dir);
  c.schema_path = Resolve(base, c.schema_path.empty() ? "schema.toml" : c.schema_path);
  c.policy_path = Resolve(base, c.policy_path.empty() ? "policy.toml" : c.policy_path);
  c.unseal_passphrase_file = Resolve(base, c.unseal_passphrase_file);
  c.api.tls_cert_file = Resolve(base, c.api.tls_cert_file);
  c.api.tls_key_file = Resolve(base, c.api.tls_key_file);
  c.log_file = Resolve(base, c.log_file);
  return c;
}

Result<NodeConfig> LoadNodeConfig(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return InvalidArgument("cannot read the configuration file " + path);
  std::string text;
  char buf[4096];
  while (in.read(buf, sizeof(buf)) || in.gcount() > 0) {
    text.append(buf, static_cast<size_t>(in.gcount()));
    if (text.size() > (1 << 20)) return TooLarge(path + " is larger than 1 MiB");
  }
  return ParseNodeConfig(text, path);
}

VaultOptions NodeConfig::ToVaultOptions() const {
  VaultOptions o;
  o.data_dir = data_dir;
  o.schema_path = schema_path;
  o.policy_path = policy_path;
  o.max_group_size = max_group_size;
  o.checkpoint_every_entries = checkpoint_every_entries;
  o.checkpoint_every_us = checkpoint_every_s * 1'000'000;
  o.session_ttl_us = session_ttl_s * 1'000'000;
  o.login_max_failures = login_max_failures;
  o.login_lockout_us = login_lockout_s * 1'000'000;
  o.password_argon.ops_limit = password_hash_ops;
  o.password_argon.mem_limit = password_hash_memory_mib << 20;
  o.password_hash_concurrency = password_hash_concurrency;
  return o;
}

}  // namespace brankas
