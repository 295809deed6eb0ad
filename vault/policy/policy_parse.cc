// Policy::Parse and Policy::LoadFile: config/policy.toml into a Policy.
// toml++ exceptions stop here; everything else gets a Status naming the source
// and the dotted key.
#include <fstream>
#include <set>
#include <sstream>

#include <toml++/toml.h>

#include "brankas/policy.h"

namespace brankas {
namespace {

std::string_view TypeName(toml::node_type t) {
  switch (t) {
    case toml::node_type::table: return "table";
    case toml::node_type::array: return "array";
    case toml::node_type::string: return "string";
    case toml::node_type::integer: return "integer";
    case toml::node_type::floating_point: return "float";
    case toml::node_type::boolean: return "boolean";
    case toml::node_type::date: return "date";
    case toml::node_type::time: return "time";
    case toml::node_type::date_time: return "date-time";
    case toml::node_type::none: break;
  }
  return "nothing";
}

std::string JoinNames(std::initializer_list<std::string_view> names) {
  std::string out;
  for (std::string_view n : names) {
    if (!out.empty()) out += ", ";
    out += n;
  }
  return out;
}

}  // namespace

// Friend of Policy: fills its private members.
class PolicyParser {
 public:
  explicit PolicyParser(std::string_view source) : source_(source) {}

  Result<Policy> Run(std::string_view text) {
#if TOML_EXCEPTIONS
    try {
      toml::table root = toml::parse(text, source_);
      return FromTable(root);
    } catch (const toml::parse_error& e) {
      return InvalidArgument(Where(e.source()) + "TOML syntax: " + std::string(e.description()));
    } catch (const std::exception& e) {
      return InvalidArgument(source_ + ": cannot parse: " + e.what());
    }
#else
    toml::parse_result parsed = toml::parse(text, source_);
    if (!parsed) {
      return InvalidArgument(Where(parsed.error().source()) + "TOML syntax: " +
                             std::string(parsed.error().description()));
    }
    return FromTable(parsed.table());
#endif
  }

 private:
  std::string Where(const toml::source_region& region) const {
    if (region.begin.line == 0) return source_ + ": ";
    return source_ + ":" + std::to_string(region.begin.line) + ": ";
  }
  Status Error(const toml::node& node, const std::string& key, const std::string& what) const {
    return InvalidArgument(Where(node.source()) + key + ": " + what);
  }
  Status WrongType(const toml::node& node, const std::string& key, std::string_view expected) const {
    return Error(node, key,
                 "wrong type: expected " + std::string(expected) + ", got " +
                     std::string(TypeName(node.type())));
  }

  Result<Policy> FromTable(const toml::table& root) {
    Policy policy;
    for (auto&& [k, node] : root) {
      const std::string key(k.str());
      if (key == "roles") {
        BRANKAS_RETURN_IF_ERROR(ParseRoles(node, policy));
      } else if (key == "operations") {
        BRANKAS_RETURN_IF_ERROR(ParseOperations(node, policy));
      } else if (key == "grants") {
        BRANKAS_RETURN_IF_ERROR(ParseGrants(node, policy));
      } else {
        return Error(node, key, "unknown key (expected roles, operations, grants)");
      }
    }
    return policy;
  }

  Status ParseRoles(const toml::node& node, Policy& policy) {
    const toml::table* roles = node.as_table();
    if (roles == nullptr) return WrongType(node, "roles", "table");
    for (auto&& [rk, role_node] : *roles) {
      const std::string role_key = "roles." + std::string(rk.str());
      std::optional<Role> role = ParseRole(rk.str());
      if (!role) {
        return Error(role_node, role_key,
                     "unknown role \"" + std::string(rk.str()) +
                         "\" (expected intake, case_worker, supervisor, psychologist, medical, "
                         "legal, auditor, admin)");
      }
      const toml::table* classes = role_node.as_table();
      if (classes == nullptr) return WrongType(role_node, role_key, "table");
      for (auto&& [ck, cell_node] : *classes) {
        const std::string cell_key = role_key + "." + std::string(ck.str());
        std::optional<FieldClass> cls = ParseFieldClass(ck.str());
        if (!cls) {
          return Error(cell_node, cell_key,
                       "unknown field class \"" + std::string(ck.str()) +
                           "\" (expected administrative, identity, contact, incident, "
                           "perpetrator, medical, psychological, legal_evidence, services, "
                           "consent)");
        }
        BRANKAS_RETURN_IF_ERROR(ParseCell(cell_node, cell_key, *role,
                                          policy.matrix_[static_cast<size_t>(*role)]
                                                        [static_cast<size_t>(*cls)]));
      }
    }
    return Status::Ok();
  }

  Status ParseScopeValue(const toml::node& node, const std::string& key, bool operation,
                         Scope& out) {
    const std::optional<std::string_view> text = node.value<std::string_view>();
    if (!node.is_string() || !text) return WrongType(node, key, "string");
    std::optional<Scope> scope = ParseScope(*text);
    const bool field_scope = scope && *scope != Scope::kOwner && *scope != Scope::kAll;
    const bool operation_scope = scope && *scope != Scope::kGrant && *scope != Scope::kOwn;
    if (!scope || (operation ? !operation_scope : !field_scope)) {
      return Error(node, key,
                   "unknown scope \"" + std::string(*text) + "\" (expected " +
                       (operation ? JoinNames({"never", "assigned", "owner", "unit",
                                               "any_grant", "all"})
                                  : JoinNames({"never", "assigned", "unit", "grant", "own",
                                               "any_grant"})) +
                       ")");
    }
    out = *scope;
    return Status::Ok();
  }

  Status ParseCell(const toml::node& node, const std::string& key, Role role, Policy::Cell& cell) {
    const toml::table* table = node.as_table();
    if (table == nullptr) return WrongType(node, key, "table { read, write, masked, unmask }");
    cell = Policy::Cell{};
    bool has_unmask = false;
    for (auto&& [k, value] : *table) {
      const std::string sub = key + "." + std::string(k.str());
      if (k.str() == "read") {
        BRANKAS_RETURN_IF_ERROR(ParseScopeValue(value, sub, false, cell.read));
      } else if (k.str() == "write") {
        BRANKAS_RETURN_IF_ERROR(ParseScopeValue(value, sub, false, cell.write));
        if (cell.write == Scope::kGrant || cell.write == Scope::kAnyGrant) {
          return Error(value, sub, "impossible value: grants are read-only, write cannot be \"" +
                                       std::string(ScopeName(cell.write)) + "\"");
        }
      } else if (k.str() == "masked") {
        if (!value.is_boolean()) return WrongType(value, sub, "boolean");
        cell.masked = *value.value<bool>();
      } else if (k.str() == "unmask") {
        BRANKAS_RETURN_IF_ERROR(ParseScopeValue(value, sub, false, cell.unmask));
        has_unmask = true;
      } else {
        return Error(value, sub, "unknown key (expected read, write, masked, unmask)");
      }
    }
    if (cell.masked && cell.read == Scope::kNever) {
      return Error(node, key + ".masked", "impossible value: masked = true with read = \"never\"");
    }
    if (has_unmask && !cell.masked && cell.unmask != Scope::kNever) {
      return Error(node, key + ".unmask", "impossible value: unmask without masked = true");
    }
    if (cell.unmask == Scope::kGrant || cell.unmask == Scope::kAnyGrant ||
        cell.unmask == Scope::kOwn) {
      return Error(node, key + ".unmask",
                   "impossible value: unmask must be never, assigned or unit");
    }
    if ((role == Role::kAuditor || role == Role::kAdmin) &&
        (cell.read != Scope::kNever || cell.write != Scope::kNever ||
         cell.unmask != Scope::kNever)) {
      return Error(node, key,
                   "impossible value: " + std::string(RoleName(role)) +
                       " never reads or writes field values (all scopes must be \"never\")");
    }
    return Status::Ok();
  }

  Status ParseOperations(const toml::node& node, Policy& policy) {
    const toml::table* ops = node.as_table();
    if (ops == nullptr) return WrongType(node, "operations", "table");
    for (auto&& [ok, op_node] : *ops) {
      const std::string op_key = "operations." + std::string(ok.str());
      std::optional<Policy::Operation> op = Policy::ParseOperation(ok.str());
      if (!op) {
        return Error(op_node, op_key,
                     "unknown operation \"" + std::string(ok.str()) +
                         "\" (expected create_case, assign, change_stage, approve_stage, close, "
                         "reopen, request_grant, approve_grant, revoke_grant, break_glass, "
                         "audit_read, list_cases, search)");
      }
      const toml::table* roles = op_node.as_table();
      if (roles == nullptr) return WrongType(op_node, op_key, "table of role = scope");
      for (auto&& [rk, scope_node] : *roles) {
        const std::string key = op_key + "." + std::string(rk.str());
        std::optional<Role> role = ParseRole(rk.str());
        if (!role) {
          return Error(scope_node, key, "unknown role \"" + std::string(rk.str()) + "\"");
        }
        Scope& scope = policy.operations_[static_cast<size_t>(*op)][static_cast<size_t>(*role)];
        BRANKAS_RETURN_IF_ERROR(ParseScopeValue(scope_node, key, true, scope));
        if (*op == Policy::Operation::kBreakGlass && scope != Scope::kNever &&
            (*role == Role::kAuditor || *role == Role::kAdmin)) {
          return Error(scope_node, key,
                       "impossible value: " + std::string(RoleName(*role)) +
                           " never reads field values, break_glass must be \"never\"");
        }
      }
    }
    return Status::Ok();
  }

  Status ParseInt(const toml::node& node, const std::string& key, int64_t min, int64_t max,
                  int& out) {
    if (!node.is_integer()) return WrongType(node, key, "integer");
    const int64_t v = *node.value<int64_t>();
    if (v < min || v > max) {
      return Error(node, key,
                   "impossible value " + std::to_string(v) + " (expected " + std::to_string(min) +
                       ".." + std::to_string(max) + ")");
    }
    out = static_cast<int>(v);
    return Status::Ok();
  }

  Status ParseGrants(const toml::node& node, Policy& policy) {
    const toml::table* grants = node.as_table();
    if (grants == nullptr) return WrongType(node, "grants", "table");
    for (auto&& [k, value] : *grants) {
      const std::string key = "grants." + std::string(k.str());
      if (k.str() == "max_duration_days") {
        BRANKAS_RETURN_IF_ERROR(ParseInt(value, key, 1, 3650, policy.max_duration_days_));
      } else if (k.str() == "break_glass_minutes") {
        BRANKAS_RETURN_IF_ERROR(ParseInt(value, key, 1, 1440, policy.break_glass_minutes_));
      } else if (k.str() == "require_second_approver_for") {
        const toml::array* list = value.as_array();
        if (list == nullptr) return WrongType(value, key, "array of field classes");
        std::set<FieldClass> seen;
        for (const toml::node& item : *list) {
          const std::optional<std::string_view> name = item.value<std::string_view>();
          if (!item.is_string() || !name) return WrongType(item, key, "array of strings");
          std::optional<FieldClass> cls = ParseFieldClass(*name);
          if (!cls) return Error(item, key, "unknown field class \"" + std::string(*name) + "\"");
          if (!seen.insert(*cls).second) {
            return Error(item, key, "impossible value: \"" + std::string(*name) + "\" listed twice");
          }
        }
        policy.second_approver_classes_.assign(seen.begin(), seen.end());
      } else if (k.str() == "legal_basis_kinds") {
        const toml::array* list = value.as_array();
        if (list == nullptr) return WrongType(value, key, "array of strings");
        std::vector<std::string> kinds;
        for (const toml::node& item : *list) {
          const std::optional<std::string_view> kind = item.value<std::string_view>();
          if (!item.is_string() || !kind) return WrongType(item, key, "array of strings");
          if (kind->empty() || kind->find(':') != std::string_view::npos) {
            return Error(item, key, "impossible value: a kind is non-empty and has no ':'");
          }
          for (const std::string& k2 : kinds) {
            if (k2 == *kind) {
              return Error(item, key, "impossible value: \"" + k2 + "\" listed twice");
            }
          }
          kinds.emplace_back(*kind);
        }
        if (kinds.empty()) return Error(value, key, "impossible value: no legal basis kind");
        policy.legal_basis_kinds_ = std::move(kinds);
      } else {
        return Error(value, key,
                     "unknown key (expected max_duration_days, require_second_approver_for, "
                     "break_glass_minutes, legal_basis_kinds)");
      }
    }
    return Status::Ok();
  }

  std::string source_;
};

Result<Policy> Policy::Parse(std::string_view toml_text, std::string_view source_name) {
  return PolicyParser(source_name).Run(toml_text);
}

Result<Policy> Policy::LoadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound(path + ": cannot open policy file");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return Unavailable(path + ": read error");
  return Parse(text.str(), path);
}

}  // namespace brankas
