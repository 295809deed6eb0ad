// Loading the record schema from TOML (see schema.h and config/schema.toml).
// toml++ may throw; nothing escapes this file but Status values.
#include "brankas/schema.h"

#include <toml++/toml.h>

#include <algorithm>
#include <fstream>
#include <limits>
#include <map>
#include <sstream>
#include <string>
#include <string_view>

namespace brankas {
namespace {

constexpr size_t kMaxValueBytesCeiling = size_t{64} << 20;  // 64 MiB
constexpr size_t kMaxFieldsCeiling = 100000;
constexpr size_t kMaxEnumValueBytes = 64;
constexpr size_t kMaxFieldNameBytes = 64;

// Text from the schema file echoed in a message: printable ASCII, bounded.
std::string Echo(std::string_view s) {
  if (s.size() > 64) return "<too long>";
  for (char c : s) {
    if (c < 0x20 || c > 0x7E) return "<not printable>";
  }
  return "'" + std::string(s) + "'";
}

bool IsFieldName(std::string_view s) {
  if (s.empty() || s.size() > kMaxFieldNameBytes || s[0] < 'a' || s[0] > 'z') return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

bool IsEnumValue(std::string_view s) {
  if (s.empty() || s.size() > kMaxEnumValueBytes) return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

// Builds the messages of one file: "<source>:<line>: <where>: key '<k>': <problem>".
class Loader {
 public:
  explicit Loader(std::string_view source) : source_(source) {}

  Status Error(const toml::node& at, std::string_view where, std::string_view key,
               std::string_view problem) const {
    std::string m(source_);
    const auto line = at.source().begin.line;
    if (line != 0) m += ":" + std::to_string(line);
    m += ": ";
    if (!where.empty()) {
      m += where;
      m += ": ";
    }
    if (!key.empty()) {
      m += "key '";
      m += key;
      m += "': ";
    }
    m += problem;
    return InvalidArgument(std::move(m));
  }

  // Reads a non-negative integer key into *out, within [lo, hi].
  Status Size(const toml::node& node, std::string_view where, std::string_view key, size_t lo,
              size_t hi, size_t* out) const {
    const auto* v = node.as_integer();
    if (v == nullptr) return Error(node, where, key, "must be an integer");
    const int64_t n = v->get();
    if (n < 0 || static_cast<uint64_t>(n) < lo || static_cast<uint64_t>(n) > hi) {
      return Error(node, where, key,
                   "must be between " + std::to_string(lo) + " and " + std::to_string(hi));
    }
    *out = static_cast<size_t>(n);
    return Status::Ok();
  }

  Status String(const toml::node& node, std::string_view where, std::string_view key,
                std::string* out) const {
    const auto* v = node.as_string();
    if (v == nullptr) return Error(node, where, key, "must be a string");
    *out = v->get();
    return Status::Ok();
  }

  Status Limits(const toml::node& node, SchemaLimits* limits) const {
    const auto* t = node.as_table();
    if (t == nullptr) return Error(node, "", "limits", "must be a table");
    for (const auto& [k, v] : *t) {
      const std::string_view key = k.str();
      if (key == "max_fields_per_write") {
        BRANKAS_RETURN_IF_ERROR(
            Size(v, "[limits]", key, 1, kMaxFieldsCeiling, &limits->max_fields_per_write));
      } else if (key == "max_value_bytes") {
        BRANKAS_RETURN_IF_ERROR(
            Size(v, "[limits]", key, 1, kMaxValueBytesCeiling, &limits->max_value_bytes));
      } else {
        return Error(v, "[limits]", "", "unknown key " + Echo(key));
      }
    }
    return Status::Ok();
  }

  Status Field(const toml::node& node, size_t index, const SchemaLimits& limits, FieldDef* f) const;

 private:
  std::string_view source_;
};

Status Loader::Field(const toml::node& node, size_t index, const SchemaLimits& limits,
                     FieldDef* f) const {
  std::string where = "field #" + std::to_string(index + 1);
  const auto* t = node.as_table();
  if (t == nullptr) return Error(node, where, "", "must be a table");

  // Name, class and type first: the other keys are checked against the type.
  const toml::node* name = t->get("name");
  if (name == nullptr) return Error(node, where, "name", "is required");
  BRANKAS_RETURN_IF_ERROR(String(*name, where, "name", &f->name));
  if (!IsFieldName(f->name)) {
    return Error(*name, where, "name", "must match [a-z][a-z0-9_]{0,63}, got " + Echo(f->name));
  }
  where = "field '" + f->name + "'";

  const toml::node* cls = t->get("class");
  if (cls == nullptr) return Error(node, where, "class", "is required");
  std::string cls_name;
  BRANKAS_RETURN_IF_ERROR(String(*cls, where, "class", &cls_name));
  const auto parsed_cls = ParseFieldClass(cls_name);
  if (!parsed_cls) return Error(*cls, where, "class", "unknown class " + Echo(cls_name));
  f->cls = *parsed_cls;

  const toml::node* type = t->get("type");
  if (type == nullptr) return Error(node, where, "type", "is required");
  std::string type_name;
  BRANKAS_RETURN_IF_ERROR(String(*type, where, "type", &type_name));
  const auto parsed_type = ParseFieldType(type_name);
  if (!parsed_type) return Error(*type, where, "type", "unknown type " + Echo(type_name));
  f->type = *parsed_type;

  const bool is_enum = f->type == FieldType::kEnum || f->type == FieldType::kListEnum;
  const bool free_size = f->type == FieldType::kString || f->type == FieldType::kText ||
                         f->type == FieldType::kDigits || f->type == FieldType::kPhone;
  bool has_max_bytes = false, has_values = false;
  f->min = 0;
  f->max = std::numeric_limits<int64_t>::max();

  for (const auto& [k, v] : *t) {
    const std::string_view key = k.str();
    const std::string not_for = "does not apply to type " + type_name;
    if (key == "name" || key == "class" || key == "type") continue;
    if (key == "description") {
      BRANKAS_RETURN_IF_ERROR(String(v, where, key, &f->description));
    } else if (key == "index") {
      const auto* b = v.as_boolean();
      if (b == nullptr) return Error(v, where, key, "must be true or false");
      f->indexed = b->get();
      if (f->indexed && f->type == FieldType::kText) {
        return Error(v, where, key, "text fields cannot be indexed");
      }
    } else if (key == "max_bytes") {
      if (!free_size) return Error(v, where, key, not_for + " (its size follows from the format)");
      BRANKAS_RETURN_IF_ERROR(Size(v, where, key, 1, limits.max_value_bytes, &f->max_bytes));
      has_max_bytes = true;
    } else if (key == "length") {
      if (f->type != FieldType::kDigits) return Error(v, where, key, not_for);
      BRANKAS_RETURN_IF_ERROR(Size(v, where, key, 1, 1024, &f->length));
    } else if (key == "min" || key == "max") {
      if (f->type != FieldType::kInteger) return Error(v, where, key, not_for);
      const auto* n = v.as_integer();
      if (n == nullptr) return Error(v, where, key, "must be an integer");
      (key == "min" ? f->min : f->max) = n->get();
    } else if (key == "values") {
      if (!is_enum) return Error(v, where, key, not_for);
      const auto* a = v.as_array();
      if (a == nullptr) return Error(v, where, key, "must be an array of strings");
      if (a->empty()) return Error(v, where, key, "must not be empty");
      for (const auto& item : *a) {
        const auto* s = item.as_string();
        if (s == nullptr) return Error(item, where, key, "must be an array of strings");
        const std::string& value = s->get();
        if (!IsEnumValue(value)) {
          return Error(item, where, key, "value " + Echo(value) + " must match [a-z0-9_]{1,64}");
        }
        for (const auto& seen : f->values) {
          if (seen == value) return Error(item, where, key, "duplicate value " + Echo(value));
        }
        f->values.push_back(value);
      }
      has_values = true;
    } else {
      return Error(v, where, "", "unknown key " + Echo(key));
    }
  }

  if (is_enum && !has_values)
    return Error(node, where, "values", "is required for type " + type_name);
  if (f->type == FieldType::kInteger && f->min > f->max) {
    return Error(node, where, "min", "is greater than max");
  }

  // Derived or default max_bytes.
  switch (f->type) {
    case FieldType::kString:
      if (!has_max_bytes) f->max_bytes = 256;
      break;
    case FieldType::kText:
      if (!has_max_bytes) f->max_bytes = 16384;
      break;
    case FieldType::kPhone:
      if (!has_max_bytes) f->max_bytes = 32;
      break;
    case FieldType::kDigits:
      if (!has_max_bytes) f->max_bytes = f->length != 0 ? f->length : 32;
      break;
    case FieldType::kDate:
      f->max_bytes = 10;
      break;
    case FieldType::kDateTime:
      f->max_bytes = 25;
      break;
    case FieldType::kNik:
      f->max_bytes = 16;
      break;
    case FieldType::kBool:
      f->max_bytes = 5;
      break;
    case FieldType::kInteger:
      f->max_bytes = 20;
      break;
    case FieldType::kEnum:
      f->max_bytes = 0;
      for (const auto& v : f->values) f->max_bytes = std::max(f->max_bytes, v.size());
      break;
    case FieldType::kListEnum:
      f->max_bytes = f->values.size() - 1;
      for (const auto& v : f->values) f->max_bytes += v.size();
      break;
  }
  if (!has_max_bytes) f->max_bytes = std::min(f->max_bytes, limits.max_value_bytes);
  if (f->type == FieldType::kDigits && f->length > f->max_bytes) {
    return Error(node, where, "length", "is greater than max_bytes");
  }
  if (f->type == FieldType::kPhone && f->max_bytes < 8) {
    return Error(node, where, "max_bytes", "must be at least 8 for type phone");
  }
  return Status::Ok();
}

Status Build(const toml::table& root, std::string_view source, std::vector<FieldDef>* fields,
             SchemaLimits* limits) {
  Loader loader(source);
  const toml::node* field_node = nullptr;
  for (const auto& [k, v] : root) {
    const std::string_view key = k.str();
    if (key == "limits") {
      BRANKAS_RETURN_IF_ERROR(loader.Limits(v, limits));
    } else if (key == "field") {
      field_node = &v;
    } else {
      return loader.Error(v, "", "", "unknown top-level key " + Echo(key));
    }
  }
  if (field_node == nullptr) {
    return InvalidArgument(std::string(source) + ": no [[field]] entries");
  }
  const auto* array = field_node->as_array();
  if (array == nullptr || !array->is_array_of_tables()) {
    return loader.Error(*field_node, "", "field", "must be an array of tables ([[field]])");
  }
  if (array->empty()) return loader.Error(*field_node, "", "field", "has no entries");
  std::map<std::string, size_t, std::less<>> lines;  // name -> line of first definition
  for (size_t i = 0; i < array->size(); ++i) {
    const toml::node& node = *array->get(i);
    FieldDef def;
    BRANKAS_RETURN_IF_ERROR(loader.Field(node, i, *limits, &def));
    const auto line = node.source().begin.line;
    const auto [it, inserted] = lines.emplace(def.name, line);
    if (!inserted) {
      return loader.Error(
          *node.as_table()->get("name"), "field '" + def.name + "'", "name",
          "duplicate field (first defined at line " + std::to_string(it->second) + ")");
    }
    fields->push_back(std::move(def));
  }
  return Status::Ok();
}

}  // namespace

const FieldDef* Schema::Find(std::string_view name) const {
  const auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : &fields_[it->second];
}

namespace {
Status SyntaxError(const toml::parse_error& e, std::string_view source) {
  std::string m(source);
  const auto& where = e.source().begin;
  if (where.line != 0) m += ":" + std::to_string(where.line) + ":" + std::to_string(where.column);
  m += ": TOML syntax error: ";
  m += e.description();
  return InvalidArgument(std::move(m));
}
}  // namespace

Result<Schema> Schema::Parse(std::string_view toml_text, std::string_view source_name) {
  Schema schema;
  try {
#if TOML_EXCEPTIONS
    const toml::table root = toml::parse(toml_text, source_name);
#else
    toml::parse_result parsed = toml::parse(toml_text, source_name);
    if (!parsed) return SyntaxError(parsed.error(), source_name);
    const toml::table root = std::move(parsed).table();
#endif
    BRANKAS_RETURN_IF_ERROR(Build(root, source_name, &schema.fields_, &schema.limits_));
#if TOML_EXCEPTIONS
  } catch (const toml::parse_error& e) {
    return SyntaxError(e, source_name);
#endif
  } catch (const std::exception& e) {
    return Internal(std::string(source_name) + ": could not load the schema: " + e.what());
  }
  for (size_t i = 0; i < schema.fields_.size(); ++i) {
    schema.by_name_.emplace(schema.fields_[i].name, i);
  }
  return schema;
}

Result<Schema> Schema::LoadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("cannot open schema file " + path);
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return Unavailable("cannot read schema file " + path);
  return Parse(text.str(), path);
}

}  // namespace brankas
