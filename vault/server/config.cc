#include "brankas/config.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <functional>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <toml++/toml.h>

#include "brankas/replication.h"
#include "engine/case_record.h"

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

  // An array of strings, each checked by `valid` (which says what is wrong);
  // at most max_items. Absent: *out unchanged.
  Status StringList(std::string_view key, std::vector<std::string>* out, size_t max_items,
                    const std::function<std::string(const std::string&)>& valid) {
    const toml::node* n = Take(key);
    if (n == nullptr) return Status::Ok();
    const toml::array* a = n->as_array();
    if (a == nullptr) return Error(key, "must be an array of strings");
    if (a->size() > max_items) return Error(key, "holds more than " + std::to_string(max_items) + " items");
    std::vector<std::string> items;
    for (const toml::node& item : *a) {
      const auto* v = item.as_string();
      if (v == nullptr) return Error(key, "must be an array of strings");
      if (std::string why = valid(v->get()); !why.empty()) return Error(key, why);
      items.push_back(v->get());
    }
    *out = std::move(items);
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

  // An array (e.g. [[units]]), or nullptr when absent.
  Result<const toml::array*> Array(std::string_view key) {
    const toml::node* n = Take(key);
    if (n == nullptr) return static_cast<const toml::array*>(nullptr);
    const toml::array* a = n->as_array();
    if (a == nullptr) return Error(key, "must be an array of tables ([[" + std::string(key) + "]])");
    return a;
  }

  // A key the other role reads: consumed, and an error when present.
  Status OnlyFor(std::string_view key, std::string_view role) {
    if (Take(key) == nullptr) return Status::Ok();
    return Error(key, "is only for role = \"" + std::string(role) + "\"");
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

// ParseHostPort (brankas/types.h) with the key named on failure.
Status ParseHostPort(TableReader& r, std::string_view key, const std::string& value, int min_port,
                     std::string* host, uint16_t* port) {
  if (!brankas::ParseHostPort(value, min_port, host, port)) {
    return r.Error(key, "must be HOST:PORT with a port from " + std::to_string(min_port) + " to 65535");
  }
  return Status::Ok();
}

// A unit code: the rule of Vault::Initialize (1-16 letters, digits, '-', '_').
bool IsValidUnitCode(std::string_view code) { return code.size() <= 16 && IsWellFormedId(code); }

bool IsHexKey32(std::string_view hex) {
  if (hex.size() != 64) return false;
  for (char ch : hex) {
    if (!std::isxdigit(static_cast<unsigned char>(ch))) return false;
  }
  return true;
}

std::string Lower(std::string s) {
  for (char& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return s;
}

// [api] and [limits] (role "unit").
Status ParseApi(TableReader& top, const std::string& source, NodeConfig* c) {
  BRANKAS_ASSIGN_OR_RETURN(const toml::table* api_table, top.Table("api"));
  TableReader api(api_table, "api.", source);
  std::string listen = "127.0.0.1:8443";
  BRANKAS_RETURN_IF_ERROR(api.String("listen", &listen));
  BRANKAS_RETURN_IF_ERROR(ParseHostPort(api, "listen", listen, 0, &c->api.listen_host, &c->api.listen_port));
  BRANKAS_RETURN_IF_ERROR(api.String("tls_cert", &c->api.tls_cert_file));
  BRANKAS_RETURN_IF_ERROR(api.String("tls_key", &c->api.tls_key_file));
  if (c->api.tls_cert_file.empty()) return api.Error("tls_cert", "is required");
  if (c->api.tls_key_file.empty()) return api.Error("tls_key", "is required");
  BRANKAS_RETURN_IF_ERROR(api.Int("io_threads", &c->api.io_threads, 1, 64));
  BRANKAS_RETURN_IF_ERROR(api.Int("workers", &c->api.workers, 1, 4096));
  BRANKAS_RETURN_IF_ERROR(api.Bool("metrics_local_only", &c->api.metrics_local_only));
  BRANKAS_RETURN_IF_ERROR(api.Bool("access_log", &c->api.access_log));
  BRANKAS_RETURN_IF_ERROR(api.Int("drain_timeout_ms", &c->api.drain_timeout_ms, 0, kMaxMs));
  BRANKAS_RETURN_IF_ERROR(api.NoUnknownKeys());

  BRANKAS_ASSIGN_OR_RETURN(const toml::table* limits_table, top.Table("limits"));
  TableReader lim(limits_table, "limits.", source);
  HttpLimits& l = c->api.limits;
  BRANKAS_RETURN_IF_ERROR(lim.Int("max_header_bytes", &l.max_header_bytes, 1024, 1 << 20));
  BRANKAS_RETURN_IF_ERROR(lim.Int("max_body_bytes", &l.max_body_bytes, 1024, 64 << 20));
  BRANKAS_RETURN_IF_ERROR(lim.Int("max_json_depth", &l.max_json_depth, 2, 64));
  BRANKAS_RETURN_IF_ERROR(lim.Int("max_target_bytes", &l.max_target_bytes, 64, 64 * 1024));
  BRANKAS_RETURN_IF_ERROR(lim.Int("handshake_timeout_ms", &l.handshake_timeout_ms, 10, kMaxMs));
  BRANKAS_RETURN_IF_ERROR(lim.Int("request_timeout_ms", &l.request_timeout_ms, 10, kMaxMs));
  BRANKAS_RETURN_IF_ERROR(lim.Int("idle_timeout_ms", &l.idle_timeout_ms, 10, kMaxMs));
  BRANKAS_RETURN_IF_ERROR(lim.Int("write_timeout_ms", &l.write_timeout_ms, 10, kMaxMs));
  BRANKAS_RETURN_IF_ERROR(lim.Int("max_connections", &l.max_connections, 1, 1'000'000));
  BRANKAS_RETURN_IF_ERROR(lim.Int("max_evidence_bytes", &l.max_evidence_bytes, 1 << 20, int64_t{1} << 40));
  return lim.NoUnknownKeys();
}

// [sessions], [audit], [commit] (role "unit").
Status ParseVaultSections(TableReader& top, const std::string& source, NodeConfig* c) {
  BRANKAS_ASSIGN_OR_RETURN(const toml::table* sessions_table, top.Table("sessions"));
  TableReader ses(sessions_table, "sessions.", source);
  BRANKAS_RETURN_IF_ERROR(ses.Int("ttl_seconds", &c->session_ttl_s, 1, 24 * 3600));
  BRANKAS_RETURN_IF_ERROR(ses.Int("login_max_failures", &c->login_max_failures, 1, 100));
  BRANKAS_RETURN_IF_ERROR(ses.Int("lockout_seconds", &c->login_lockout_s, 1, 7 * 24 * 3600));
  BRANKAS_RETURN_IF_ERROR(ses.Int("password_hash_ops", &c->password_hash_ops, 1, 20));
  BRANKAS_RETURN_IF_ERROR(ses.Int("password_hash_memory_mib", &c->password_hash_memory_mib, 8, 4096));
  BRANKAS_RETURN_IF_ERROR(ses.Int("password_hash_concurrency", &c->password_hash_concurrency, 1, 64));
  BRANKAS_RETURN_IF_ERROR(ses.NoUnknownKeys());

  BRANKAS_ASSIGN_OR_RETURN(const toml::table* audit_table, top.Table("audit"));
  TableReader aud(audit_table, "audit.", source);
  BRANKAS_RETURN_IF_ERROR(aud.Int("checkpoint_every_entries", &c->checkpoint_every_entries, 1, 1'000'000));
  BRANKAS_RETURN_IF_ERROR(aud.Int("checkpoint_every_seconds", &c->checkpoint_every_s, 1, 24 * 3600));
  BRANKAS_RETURN_IF_ERROR(aud.NoUnknownKeys());

  BRANKAS_ASSIGN_OR_RETURN(const toml::table* commit_table, top.Table("commit"));
  TableReader com(commit_table, "commit.", source);
  BRANKAS_RETURN_IF_ERROR(com.Int("max_group_size", &c->max_group_size, 1, 65536));
  BRANKAS_RETURN_IF_ERROR(com.NoUnknownKeys());

  // [retention]: years per retention_class and minimum years per module (by
  // the schema's enum value names; a name no case holds never matches).
  BRANKAS_ASSIGN_OR_RETURN(const toml::table* retention_table, top.Table("retention"));
  TableReader ret(retention_table, "retention.", source);
  for (auto [key, out] : {std::pair{"years", &c->retention.years_by_class},
                          std::pair{"module_min_years", &c->retention.min_years_by_module}}) {
    BRANKAS_ASSIGN_OR_RETURN(const toml::table* t, ret.Table(key));
    if (t == nullptr) continue;
    out->clear();
    for (const auto& [name, value] : *t) {
      const auto* v = value.as_integer();
      if (v == nullptr || v->get() < 0 || v->get() > 200) {
        return ret.Error(std::string(key) + "." + std::string(name.str()), "must be an integer between 0 and 200");
      }
      const std::string_view n = name.str();
      const bool valid = !n.empty() && n.size() <= 64 && std::all_of(n.begin(), n.end(), [](char ch) {
        return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_';
      });
      if (!valid) return ret.Error(std::string(key) + "." + std::string(n), "is not a valid enum value name");
      (*out)[std::string(name.str())] = static_cast<int>(v->get());
    }
  }
  // [retention.field_classes]: years after closure per field class (not
  // administrative); absent or empty: no class is shredded before its case.
  BRANKAS_ASSIGN_OR_RETURN(const toml::table* classes, ret.Table("field_classes"));
  c->retention.years_by_field_class.clear();
  if (classes != nullptr) {
    for (const auto& [name, value] : *classes) {
      const std::string key = "field_classes." + std::string(name.str());
      const std::optional<FieldClass> cls = ParseFieldClass(name.str());
      if (!cls || *cls == FieldClass::kAdministrative) {
        return ret.Error(key, "is not a field class (identity, contact, incident, perpetrator, medical, "
                              "psychological, legal_evidence, services, consent; administrative goes with its case)");
      }
      const auto* v = value.as_integer();
      if (v == nullptr || v->get() < 1 || v->get() > 200) return ret.Error(key, "must be an integer between 1 and 200");
      c->retention.years_by_field_class[*cls] = static_cast<int>(v->get());
    }
  }
  return ret.NoUnknownKeys();
}

// A field name as the schema allows it: [a-z][a-z0-9_]{0,63}. "" when valid.
std::string FieldNameProblem(const std::string& name) {
  bool ok = !name.empty() && name.size() <= 64 && name[0] >= 'a' && name[0] <= 'z';
  for (char ch : name) ok = ok && ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_');
  return ok ? "" : "must hold field names ([a-z][a-z0-9_]{0,63})";
}

// [anomaly] (role "unit"): the auditor's tools (brankas/audit_analysis.h).
Status ParseAnomaly(TableReader& top, const std::string& source, AnomalyOptions* o) {
  BRANKAS_ASSIGN_OR_RETURN(const toml::table* table, top.Table("anomaly"));
  TableReader an(table, "anomaly.", source);
  BRANKAS_RETURN_IF_ERROR(an.Int("bulk_reads_per_hour", &o->bulk_reads_per_hour, 1, 100'000));
  std::string hours = FormatWorkingHours(o->working_start_minute, o->working_end_minute);
  BRANKAS_RETURN_IF_ERROR(an.String("working_hours", &hours));
  if (Status s = ParseWorkingHours(hours, &o->working_start_minute, &o->working_end_minute); !s.ok()) {
    return an.Error("working_hours", "must be \"HH:MM-HH:MM\" (local time, start != end; e.g. \"07:00-18:00\")");
  }
  std::string offset = FormatUtcOffset(o->utc_offset_minutes);
  BRANKAS_RETURN_IF_ERROR(an.String("utc_offset", &offset));
  if (Status s = ParseUtcOffset(offset, &o->utc_offset_minutes); !s.ok()) {
    return an.Error("utc_offset", "must be \"+HH:MM\" / \"-HH:MM\" (-12:00 to +14:00), \"WIB\", \"WITA\", \"WIT\" or \"UTC\"");
  }
  BRANKAS_RETURN_IF_ERROR(an.Int("denials_threshold", &o->denials_threshold, 1, 10'000));
  BRANKAS_RETURN_IF_ERROR(an.Int("denials_window_minutes", &o->denials_window_minutes, 1, 24 * 60));
  BRANKAS_RETURN_IF_ERROR(an.StringList("shelter_fields", &o->shelter_fields, 64, FieldNameProblem));
  BRANKAS_RETURN_IF_ERROR(an.Int("max_window_days", &o->max_window_days, 1, 366));
  BRANKAS_RETURN_IF_ERROR(an.Int("max_scan_entries", &o->max_scan_entries, 1000, 10'000'000));
  return an.NoUnknownKeys();
}

// [statistics] (role "unit"): the de-identified statistics export (brankas/statistics.h).
Status ParseStatistics(TableReader& top, const std::string& source, StatisticsOptions* o) {
  BRANKAS_ASSIGN_OR_RETURN(const toml::table* table, top.Table("statistics"));
  TableReader st(table, "statistics.", source);
  BRANKAS_RETURN_IF_ERROR(st.Int("suppression_threshold", &o->suppression_threshold, 2, 1000));
  return st.NoUnknownKeys();
}

// [referral] (role "unit"): the units this one refers cases to and accepts
// referrals from, each pinned by its node's Ed25519 public key (64 hex
// digits, as `brankas init` prints it): [referral.peers] SLM = "…".
Status ParseReferral(TableReader& top, const std::string& source, std::map<std::string, std::string>* peers) {
  BRANKAS_ASSIGN_OR_RETURN(const toml::table* table, top.Table("referral"));
  TableReader ref(table, "referral.", source);
  BRANKAS_ASSIGN_OR_RETURN(const toml::table* t, ref.Table("peers"));
  if (t != nullptr) {
    if (t->size() > 256) return ref.Error("peers", "lists at most 256 units");
    for (const auto& [name, value] : *t) {
      const std::string key = "peers." + std::string(name.str());
      const std::string_view code = name.str();
      if (!IsValidUnitCode(code)) return ref.Error(key, "is not a unit code (1-16 letters, digits, '-' or '_')");
      const auto* v = value.as_string();
      std::string raw;
      if (v == nullptr || !FromHex(v->get(), &raw) || raw.size() != kSignPublicKeySize) {
        return ref.Error(key, "must be the unit's node public key: 64 hex digits");
      }
      (*peers)[std::string(code)] = raw;
    }
  }
  return ref.NoUnknownKeys();
}

// [replication] (role "unit"). Paths are resolved by the caller.
Status ParseReplication(TableReader& top, const std::string& source, ShipperOptions* r) {
  BRANKAS_ASSIGN_OR_RETURN(const toml::table* table, top.Table("replication"));
  TableReader rep(table, "replication.", source);
  BRANKAS_RETURN_IF_ERROR(rep.String("central", &r->central));
  BRANKAS_RETURN_IF_ERROR(rep.String("central_pin", &r->central_pin));
  BRANKAS_RETURN_IF_ERROR(rep.String("tls_cert", &r->tls_cert));
  BRANKAS_RETURN_IF_ERROR(rep.String("tls_key", &r->tls_key));
  BRANKAS_RETURN_IF_ERROR(rep.Int("batch_max_bytes", &r->batch_max_bytes, 4 << 10, 256 << 20));
  BRANKAS_RETURN_IF_ERROR(rep.Int("batch_max_entries", &r->batch_max_entries, 1, 1'000'000));
  BRANKAS_RETURN_IF_ERROR(rep.Int("batch_max_wait_ms", &r->batch_max_wait_ms, 0, 60'000));
  BRANKAS_RETURN_IF_ERROR(rep.Int("connect_timeout_ms", &r->connect_timeout_ms, 100, 600'000));
  BRANKAS_RETURN_IF_ERROR(rep.Int("io_timeout_ms", &r->io_timeout_ms, 100, 3'600'000));
  BRANKAS_RETURN_IF_ERROR(rep.Int("backoff_min_ms", &r->backoff_min_ms, 1, 3'600'000));
  BRANKAS_RETURN_IF_ERROR(rep.Int("backoff_max_ms", &r->backoff_max_ms, 1, kMaxMs));
  BRANKAS_RETURN_IF_ERROR(rep.Int("bandwidth_bytes_per_s", &r->bandwidth_bytes_per_s, 0, 10LL << 30));
  BRANKAS_RETURN_IF_ERROR(rep.Int("outbox_quota_bytes", &r->outbox_quota_bytes, 1LL << 20, 16LL << 40));
  BRANKAS_RETURN_IF_ERROR(rep.NoUnknownKeys());

  if (r->backoff_max_ms < r->backoff_min_ms) {
    return rep.Error("backoff_max_ms", "must be at least replication.backoff_min_ms (" +
                                           std::to_string(r->backoff_min_ms) + ")");
  }
  if (r->tls_cert.empty() != r->tls_key.empty()) {
    return rep.Error(r->tls_cert.empty() ? "tls_cert" : "tls_key",
                     "must be set together with the other of replication.tls_cert and replication.tls_key");
  }
  if (!r->central.empty()) {
    std::string host;
    uint16_t port = 0;
    BRANKAS_RETURN_IF_ERROR(ParseHostPort(rep, "central", r->central, 1, &host, &port));
    if (r->central_pin.empty()) return rep.Error("central_pin", "is required when replication.central is set");
  }
  if (!r->central_pin.empty()) {
    if (Status s = ValidatePin(r->central_pin); !s.ok()) {
      return rep.Error("central_pin", "is malformed: " + s.message());
    }
  }
  return Status::Ok();
}

// [central] and [[units]] (role "central"). Paths are resolved by the caller.
Status ParseCentral(TableReader& top, const std::string& source, CentralOptions* o) {
  BRANKAS_ASSIGN_OR_RETURN(const toml::table* table, top.Table("central"));
  TableReader cen(table, "central.", source);
  std::string listen = o->listen_host + ":" + std::to_string(o->listen_port);
  BRANKAS_RETURN_IF_ERROR(cen.String("listen", &listen));
  BRANKAS_RETURN_IF_ERROR(ParseHostPort(cen, "listen", listen, 0, &o->listen_host, &o->listen_port));
  BRANKAS_RETURN_IF_ERROR(cen.String("tls_cert", &o->tls_cert));
  BRANKAS_RETURN_IF_ERROR(cen.String("tls_key", &o->tls_key));
  BRANKAS_RETURN_IF_ERROR(cen.String("signing_key", &o->signing_key_file));
  BRANKAS_RETURN_IF_ERROR(cen.Int("max_connections", &o->max_connections, 1, 65535));
  BRANKAS_RETURN_IF_ERROR(cen.Int("max_frame_bytes", &o->max_frame_bytes, 64 << 10, 1 << 30));
  BRANKAS_RETURN_IF_ERROR(cen.Int("handshake_timeout_ms", &o->handshake_timeout_ms, 100, 600'000));
  BRANKAS_RETURN_IF_ERROR(cen.Int("io_timeout_ms", &o->io_timeout_ms, 100, 3'600'000));
  BRANKAS_RETURN_IF_ERROR(cen.NoUnknownKeys());
  if (o->tls_cert.empty()) return cen.Error("tls_cert", "is required");
  if (o->tls_key.empty()) return cen.Error("tls_key", "is required");

  BRANKAS_ASSIGN_OR_RETURN(const toml::array* units, top.Array("units"));
  if (units == nullptr) return Status::Ok();
  std::map<std::string, size_t> codes;  // lower-case code -> index
  std::map<std::string, size_t> pins;
  for (size_t i = 0; i < units->size(); ++i) {
    const std::string name = "units[" + std::to_string(i) + "]";
    const toml::table* t = (*units)[i].as_table();
    if (t == nullptr) return top.Error(name, "must be a table");
    TableReader ur(t, name + ".", source);
    CentralUnit u;
    BRANKAS_RETURN_IF_ERROR(ur.String("code", &u.code));
    BRANKAS_RETURN_IF_ERROR(ur.String("pin", &u.pin));
    BRANKAS_RETURN_IF_ERROR(ur.String("node_key", &u.node_key));
    BRANKAS_RETURN_IF_ERROR(ur.NoUnknownKeys());
    if (u.code.empty()) return ur.Error("code", "is required");
    if (!IsValidUnitCode(u.code)) return ur.Error("code", "must be 1-16 letters, digits, '-' or '_'");
    if (u.pin.empty()) return ur.Error("pin", "is required");
    if (Status s = ValidatePin(u.pin); !s.ok()) return ur.Error("pin", "is malformed: " + s.message());
    if (!u.node_key.empty()) {
      if (!IsHexKey32(u.node_key)) {
        return ur.Error("node_key", "must be 64 hex digits (the Ed25519 node key `brankas init` prints)");
      }
      u.node_key = Lower(u.node_key);
    }
    if (auto [it, fresh] = codes.emplace(Lower(u.code), i); !fresh) {
      return ur.Error("code", "repeats the code of units[" + std::to_string(it->second) + "] (\"" +
                                  o->units[it->second].code + "\")");
    }
    if (auto [it, fresh] = pins.emplace(u.pin, i); !fresh) {
      return ur.Error("pin", "repeats the pin of units[" + std::to_string(it->second) + "] (\"" +
                                 o->units[it->second].code + "\")");
    }
    o->units.push_back(std::move(u));
  }
  return Status::Ok();
}

}  // namespace

// A TOML document, or kInvalidArgument naming the file, line and column.
Result<toml::table> ParseToml(std::string_view text, const std::string& source) {
  try {
    return toml::parse(text, source);
  } catch (const toml::parse_error& e) {
    std::ostringstream msg;
    msg << source << ":" << e.source().begin.line << ":" << e.source().begin.column << ": " << e.description();
    return InvalidArgument(msg.str());
  }
}

Result<NodeConfig> ParseNodeConfig(std::string_view text, const std::string& source) {
  BRANKAS_ASSIGN_OR_RETURN(toml::table root, ParseToml(text, source));
  NodeConfig c;
  c.source = source;
  const std::string base = std::filesystem::path(source).parent_path().string();
  TableReader top(&root, "", source);
  BRANKAS_RETURN_IF_ERROR(top.String("role", &c.role));
  if (c.role != "unit" && c.role != "central") return top.Error("role", "must be \"unit\" or \"central\"");
  BRANKAS_RETURN_IF_ERROR(top.String("data_dir", &c.data_dir));
  if (c.data_dir.empty()) return top.Error("data_dir", "is required");
  const bool central = c.role == "central";
  if (central) {
    for (const char* key : {"schema", "policy", "unseal_passphrase_file", "api", "limits", "sessions", "audit",
                            "commit", "replication", "anomaly", "statistics", "referral"}) {
      BRANKAS_RETURN_IF_ERROR(top.OnlyFor(key, "unit"));
    }
    BRANKAS_RETURN_IF_ERROR(ParseCentral(top, source, &c.central));
  } else {
    BRANKAS_RETURN_IF_ERROR(top.OnlyFor("central", "central"));
    BRANKAS_RETURN_IF_ERROR(top.OnlyFor("units", "central"));
    BRANKAS_RETURN_IF_ERROR(top.String("schema", &c.schema_path));
    BRANKAS_RETURN_IF_ERROR(top.String("policy", &c.policy_path));
    BRANKAS_RETURN_IF_ERROR(top.String("unseal_passphrase_file", &c.unseal_passphrase_file));
    BRANKAS_RETURN_IF_ERROR(ParseApi(top, source, &c));
    BRANKAS_RETURN_IF_ERROR(ParseVaultSections(top, source, &c));
    BRANKAS_RETURN_IF_ERROR(ParseReplication(top, source, &c.replication));
    BRANKAS_RETURN_IF_ERROR(ParseAnomaly(top, source, &c.api.anomaly));
    BRANKAS_RETURN_IF_ERROR(ParseStatistics(top, source, &c.statistics));
    BRANKAS_RETURN_IF_ERROR(ParseReferral(top, source, &c.referral_peers));
  }

  BRANKAS_ASSIGN_OR_RETURN(const toml::table* log_table, top.Table("log"));
  TableReader log(log_table, "log.", source);
  BRANKAS_RETURN_IF_ERROR(log.String("level", &c.log_level));
  static const std::set<std::string> kLevels = {"trace", "debug", "info", "warn", "error"};
  if (kLevels.count(c.log_level) == 0) return log.Error("level", "must be one of trace, debug, info, warn, error");
  BRANKAS_RETURN_IF_ERROR(log.String("file", &c.log_file));
  BRANKAS_RETURN_IF_ERROR(log.NoUnknownKeys());

  BRANKAS_RETURN_IF_ERROR(top.NoUnknownKeys());

  c.data_dir = Resolve(base, c.data_dir);
  c.log_file = Resolve(base, c.log_file);
  if (central) {
    CentralOptions& o = c.central;
    o.tls_cert = Resolve(base, o.tls_cert);
    o.tls_key = Resolve(base, o.tls_key);
    if (o.signing_key_file.empty()) {
      std::filesystem::path dir = std::filesystem::path(c.data_dir).lexically_normal();
      if (!dir.has_filename()) dir = dir.parent_path();  // "/var/lib/x/" -> "/var/lib/x"
      o.signing_key_file = (dir.parent_path() / "central-signing.key").string();
    } else {
      o.signing_key_file = Resolve(base, o.signing_key_file);
    }
    return c;
  }
  c.schema_path = Resolve(base, c.schema_path.empty() ? "schema.toml" : c.schema_path);
  c.policy_path = Resolve(base, c.policy_path.empty() ? "policy.toml" : c.policy_path);
  c.unseal_passphrase_file = Resolve(base, c.unseal_passphrase_file);
  c.api.tls_cert_file = Resolve(base, c.api.tls_cert_file);
  c.api.tls_key_file = Resolve(base, c.api.tls_key_file);
  ShipperOptions& r = c.replication;
  if (r.tls_cert.empty()) {
    r.tls_cert = c.api.tls_cert_file;
    r.tls_key = c.api.tls_key_file;
  } else {
    r.tls_cert = Resolve(base, r.tls_cert);
    r.tls_key = Resolve(base, r.tls_key);
  }
  return c;
}

Result<AnomalyOptions> ParseAnomalyConfig(std::string_view text, const std::string& source) {
  BRANKAS_ASSIGN_OR_RETURN(toml::table root, ParseToml(text, source));
  TableReader top(&root, "", source);
  AnomalyOptions o;
  BRANKAS_RETURN_IF_ERROR(ParseAnomaly(top, source, &o));
  BRANKAS_RETURN_IF_ERROR(top.NoUnknownKeys());
  return o;
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
  o.retention = retention;
  o.statistics = statistics;
  o.referral_peers = referral_peers;
  return o;
}

}  // namespace brankas
