// The record schema: every field a case may hold, its class, type and
// validation rules, loaded from `config/schema.toml` (the file documents every
// key and its default).
//
// A Schema is immutable after Parse/LoadFile and safe to read from any number
// of threads. FieldDef pointers returned by Find/ValidateWrite point into the
// Schema and stay valid as long as it lives (moving a Schema keeps them valid).
//
// Values are secret (a child's name, NIK, shelter location). No Status produced
// here ever contains a field value: messages name the field and the rule only.
// Field names are not secret; an unknown field name is echoed only when it is
// short, valid UTF-8 and free of control characters.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "brankas/status.h"
#include "brankas/types.h"

namespace brankas {

enum class FieldType : uint8_t {
  kString,    // one line of UTF-8; no control characters
  kText,      // multi-line UTF-8; \n and \t allowed, \r\n normalized to \n
  kDate,      // YYYY-MM-DD, a real calendar date, years 1900..2100
  kDateTime,  // YYYY-MM-DDTHH:MM:SS followed by Z or +HH:MM / -HH:MM
  kNik,       // exactly 16 ASCII digits (Nomor Induk Kependudukan)
  kDigits,    // ASCII digits only; an exact count when FieldDef::length > 0
  kPhone,     // optional '+', 8..15 digits; spaces - . ( ) allowed and removed
  kEnum,      // exactly one of FieldDef::values
  kListEnum,  // comma-separated FieldDef::values, no duplicates; stored sorted
  kInteger,   // decimal int64 within [min, max]; stored canonical ("007" -> "7")
  kBool,      // "true" or "false"
};
inline constexpr int kFieldTypeCount = 11;

std::string_view FieldTypeName(FieldType t);  // "list_enum"
std::optional<FieldType> ParseFieldType(std::string_view name);

struct FieldDef {
  std::string name;  // snake_case, [a-z][a-z0-9_]{0,63}
  FieldClass cls = FieldClass::kAdministrative;
  FieldType type = FieldType::kString;
  // Longest accepted value in bytes. For string, text, digits and phone it
  // bounds the trimmed input; for the other types it is derived from the
  // format (the longest normalized value).
  size_t max_bytes = 0;
  std::vector<std::string> values;  // enum / list_enum: allowed values, file order
  int64_t min = 0;                  // integer only
  int64_t max = 0;                  // integer only
  size_t length = 0;                // digits only: exact digit count, 0 = any
  bool indexed = false;             // has a blind index (lookup by IndexForm)
  std::string description;
};

struct SchemaLimits {
  size_t max_fields_per_write = 128;  // fields in one write
  size_t max_value_bytes = 65536;     // any one value, before trimming
};

class Schema {
 public:
  // Reads and parses a schema file. Errors: kNotFound when the file cannot be
  // read; kInvalidArgument naming the file, line and key for a syntax error,
  // unknown key, wrong type, impossible value, duplicate field or unknown class.
  static Result<Schema> LoadFile(const std::string& path);
  // As LoadFile, from text; source_name is used in messages.
  static Result<Schema> Parse(std::string_view toml_text, std::string_view source_name);

  // nullptr if no field has that name.
  const FieldDef* Find(std::string_view name) const;
  // In file order.
  const std::vector<FieldDef>& fields() const { return fields_; }
  const SchemaLimits& limits() const { return limits_; }

  // Validates one value for `field` and returns its normalized form: surrounding
  // ASCII whitespace trimmed, then the type's rules (see FieldType). Invalid
  // UTF-8 (strict) and control characters are rejected. Errors:
  // kTooLarge (over limits().max_value_bytes or field.max_bytes) or
  // kInvalidArgument; the message names the field and the rule, never the value.
  Result<std::string> Normalize(const FieldDef& field, std::string_view value) const;

  // The form used for blind-index lookup of an already normalized value:
  // string/text: ASCII lowercased, whitespace runs collapsed to one space;
  // nik/digits: digits only; phone: digits only with a 62 country prefix
  // turned into a leading 0; other types: the normalized value unchanged.
  std::string IndexForm(const FieldDef& field, std::string_view normalized) const;

  // Validates a whole write, all or nothing: not empty, at most
  // limits().max_fields_per_write fields (kTooLarge), every name known, every
  // value accepted by Normalize. Returns (field, normalized value) in name order.
  Result<std::vector<std::pair<const FieldDef*, std::string>>> ValidateWrite(
      const std::map<std::string, std::string>& fields) const;

 private:
  Schema() = default;

  std::vector<FieldDef> fields_;
  std::map<std::string, size_t, std::less<>> by_name_;  // name -> index in fields_
  SchemaLimits limits_;
};

// Strict UTF-8: no overlong forms, no surrogates (U+D800..U+DFFF), nothing
// above U+10FFFF, no truncated sequences.
bool IsValidUtf8(std::string_view s);

}  // namespace brankas
