// Value validation and normalization for the record schema (see schema.h).
// Every message names the field and the rule; none ever contains the value.
#include <algorithm>
#include <charconv>
#include <string>
#include <string_view>
#include <vector>

#include "brankas/schema.h"

namespace brankas {
namespace {

constexpr std::string_view kTypeNames[kFieldTypeCount] = {
    "string", "text", "date",      "datetime", "nik", "digits",
    "phone",  "enum", "list_enum", "integer",  "bool"};

bool IsAsciiSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsAsciiSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsAsciiSpace(s.back())) s.remove_suffix(1);
  return s;
}

bool AllDigits(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return IsDigit(c); });
}

int TwoDigits(std::string_view s, size_t at) { return (s[at] - '0') * 10 + (s[at + 1] - '0'); }

bool IsLeapYear(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int DaysInMonth(int y, int m) {
  static constexpr int kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeapYear(y) ? 29 : kDays[m - 1];
}

// "YYYY-MM-DD", a real date with 1900 <= year <= 2100.
bool IsValidDate(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  if (!AllDigits(s.substr(0, 4)) || !AllDigits(s.substr(5, 2)) || !AllDigits(s.substr(8, 2))) {
    return false;
  }
  const int year = TwoDigits(s, 0) * 100 + TwoDigits(s, 2);
  const int month = TwoDigits(s, 5);
  const int day = TwoDigits(s, 8);
  if (year < 1900 || year > 2100 || month < 1 || month > 12) return false;
  return day >= 1 && day <= DaysInMonth(year, month);
}

// "YYYY-MM-DDTHH:MM:SS" + "Z" or "+HH:MM" / "-HH:MM".
bool IsValidDateTime(std::string_view s) {
  if (s.size() != 20 && s.size() != 25) return false;
  if (!IsValidDate(s.substr(0, 10)) || s[10] != 'T' || s[13] != ':' || s[16] != ':') return false;
  for (size_t at : {11u, 14u, 17u}) {
    if (!IsDigit(s[at]) || !IsDigit(s[at + 1])) return false;
  }
  if (TwoDigits(s, 11) > 23 || TwoDigits(s, 14) > 59 || TwoDigits(s, 17) > 59) return false;
  if (s.size() == 20) return s[19] == 'Z';
  if ((s[19] != '+' && s[19] != '-') || s[22] != ':') return false;
  for (size_t at : {20u, 23u}) {
    if (!IsDigit(s[at]) || !IsDigit(s[at + 1])) return false;
  }
  return TwoDigits(s, 20) <= 14 && TwoDigits(s, 23) <= 59;
}

// Finds the first control character (C0, DEL, C1) in valid UTF-8, allowing
// \n and \t when `multiline`. Returns its byte offset or npos.
size_t FindControl(std::string_view s, bool multiline) {
  for (size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20) {
      if (multiline && (c == '\n' || c == '\t')) continue;
      return i;
    }
    if (c == 0x7F) return i;
    // C1 controls U+0080..U+009F are encoded C2 80..C2 9F.
    if (c == 0xC2 && i + 1 < s.size()) {
      const auto next = static_cast<unsigned char>(s[i + 1]);
      if (next >= 0x80 && next <= 0x9F) return i;
    }
  }
  return std::string_view::npos;
}

Status Invalid(const FieldDef& f, std::string_view rule) {
  std::string m = "field '";
  m += f.name;
  m += "': ";
  m += rule;
  return InvalidArgument(std::move(m));
}

// Echoes an unknown field name only when it cannot be a value sent in the
// wrong place (EchoableName).
std::string DescribeFieldName(std::string_view name) { return "'" + EchoableName(name) + "'"; }

Result<std::string> NormalizeText(const FieldDef& f, std::string_view v, bool multiline) {
  std::string out;
  out.reserve(v.size());
  for (size_t i = 0; i < v.size(); ++i) {
    if (multiline && v[i] == '\r' && i + 1 < v.size() && v[i + 1] == '\n') continue;
    out.push_back(v[i]);
  }
  const size_t at = FindControl(out, multiline);
  if (at != std::string_view::npos) {
    return Invalid(f, multiline ? "contains a control character other than newline or tab"
                                : "contains a control character (including newline or tab)");
  }
  return out;
}

Result<std::string> NormalizePhone(const FieldDef& f, std::string_view v) {
  std::string out;
  size_t digits = 0;
  for (size_t i = 0; i < v.size(); ++i) {
    const char c = v[i];
    if (IsDigit(c)) {
      out.push_back(c);
      ++digits;
    } else if (c == '+' && out.empty() && digits == 0) {
      out.push_back(c);
    } else if (c != ' ' && c != '-' && c != '.' && c != '(' && c != ')') {
      return Invalid(f, "must be a phone number: optional '+', digits, spaces, - . ( )");
    }
  }
  if (digits < 8 || digits > 15) return Invalid(f, "must be a phone number of 8 to 15 digits");
  return out;
}

Result<std::string> NormalizeInteger(const FieldDef& f, std::string_view v) {
  std::string_view digits = v.front() == '-' ? v.substr(1) : v;
  if (digits.empty() || !AllDigits(digits)) return Invalid(f, "must be a decimal integer");
  int64_t n = 0;
  const auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc() || ptr != v.data() + v.size() || n < f.min || n > f.max) {
    return Invalid(
        f, "must be an integer between " + std::to_string(f.min) + " and " + std::to_string(f.max));
  }
  return std::to_string(n);
}

Result<std::string> NormalizeListEnum(const FieldDef& f, std::string_view v) {
  std::vector<std::string> items;
  size_t index = 0;
  while (true) {
    ++index;
    const size_t comma = v.find(',');
    const std::string_view item = Trim(v.substr(0, comma));
    if (item.empty()) return Invalid(f, "item " + std::to_string(index) + " of the list is empty");
    if (std::find(f.values.begin(), f.values.end(), item) == f.values.end()) {
      return Invalid(f, "item " + std::to_string(index) + " of the list is not an allowed value");
    }
    if (std::find(items.begin(), items.end(), item) != items.end()) {
      return Invalid(f, "item " + std::to_string(index) + " of the list repeats an earlier item");
    }
    items.emplace_back(item);
    if (comma == std::string_view::npos) break;
    v.remove_prefix(comma + 1);
  }
  std::sort(items.begin(), items.end());
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out.push_back(',');
    out += item;
  }
  return out;
}

}  // namespace

std::string_view FieldTypeName(FieldType t) {
  const auto i = static_cast<size_t>(t);
  return i < kFieldTypeCount ? kTypeNames[i] : std::string_view("unknown");
}

std::optional<FieldType> ParseFieldType(std::string_view name) {
  for (int i = 0; i < kFieldTypeCount; ++i) {
    if (kTypeNames[i] == name) return static_cast<FieldType>(i);
  }
  return std::nullopt;
}

bool IsValidUtf8(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const size_t n = s.size();
  size_t i = 0;
  while (i < n) {
    const unsigned char c = p[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len;
    unsigned char lo = 0x80, hi = 0xBF;  // bounds of the second byte (Unicode table 3-7)
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      if (c == 0xE0) lo = 0xA0;  // no overlongs
      if (c == 0xED) hi = 0x9F;  // no surrogates
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      if (c == 0xF0) lo = 0x90;  // no overlongs
      if (c == 0xF4) hi = 0x8F;  // <= U+10FFFF
    } else {
      return false;  // continuation byte, C0/C1 overlong lead, or F5..FF
    }
    if (n - i < len) return false;
    if (p[i + 1] < lo || p[i + 1] > hi) return false;
    for (size_t k = 2; k < len; ++k) {
      if (p[i + k] < 0x80 || p[i + k] > 0xBF) return false;
    }
    i += len;
  }
  return true;
}

Result<std::string> Schema::Normalize(const FieldDef& f, std::string_view value) const {
  if (value.size() > limits_.max_value_bytes) {
    return TooLarge("field '" + f.name + "': value is longer than the limit of " +
                    std::to_string(limits_.max_value_bytes) + " bytes");
  }
  if (!IsValidUtf8(value)) return Invalid(f, "value is not valid UTF-8");
  const std::string_view v = Trim(value);
  if (v.empty()) return Invalid(f, "value is empty");
  switch (f.type) {
    case FieldType::kString:
    case FieldType::kText:
    case FieldType::kDigits:
    case FieldType::kPhone:
      if (v.size() > f.max_bytes) {
        return TooLarge("field '" + f.name + "': value is longer than " +
                        std::to_string(f.max_bytes) + " bytes");
      }
      break;
    default:
      break;
  }
  switch (f.type) {
    case FieldType::kString:
      return NormalizeText(f, v, /*multiline=*/false);
    case FieldType::kText:
      return NormalizeText(f, v, /*multiline=*/true);
    case FieldType::kDate:
      if (!IsValidDate(v)) return Invalid(f, "must be a calendar date YYYY-MM-DD (1900..2100)");
      return std::string(v);
    case FieldType::kDateTime:
      if (!IsValidDateTime(v)) {
        return Invalid(f, "must be a date-time YYYY-MM-DDTHH:MM:SS followed by Z or +HH:MM");
      }
      return std::string(v);
    case FieldType::kNik:
      if (v.size() != 16 || !AllDigits(v)) return Invalid(f, "must be exactly 16 digits");
      return std::string(v);
    case FieldType::kDigits:
      if (!AllDigits(v)) return Invalid(f, "must contain digits only");
      if (f.length != 0 && v.size() != f.length) {
        return Invalid(f, "must be exactly " + std::to_string(f.length) + " digits");
      }
      return std::string(v);
    case FieldType::kPhone:
      return NormalizePhone(f, v);
    case FieldType::kEnum:
      if (std::find(f.values.begin(), f.values.end(), v) == f.values.end()) {
        return Invalid(f, "is not one of the allowed values");
      }
      return std::string(v);
    case FieldType::kListEnum:
      return NormalizeListEnum(f, v);
    case FieldType::kInteger:
      return NormalizeInteger(f, v);
    case FieldType::kBool:
      if (v != "true" && v != "false") return Invalid(f, "must be true or false");
      return std::string(v);
  }
  return Internal("field '" + f.name + "': unknown field type");
}

std::string Schema::IndexForm(const FieldDef& f, std::string_view normalized) const {
  std::string out;
  out.reserve(normalized.size());
  switch (f.type) {
    case FieldType::kString:
    case FieldType::kText: {
      bool pending_space = false;
      for (char c : Trim(normalized)) {
        if (IsAsciiSpace(c)) {
          pending_space = true;
          continue;
        }
        if (pending_space) out.push_back(' ');
        pending_space = false;
        out.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c);
      }
      return out;
    }
    case FieldType::kNik:
    case FieldType::kDigits:
    case FieldType::kPhone:
      for (char c : normalized) {
        if (IsDigit(c)) out.push_back(c);
      }
      if (f.type == FieldType::kPhone && out.size() > 2 && out.compare(0, 2, "62") == 0) {
        out.replace(0, 2, "0");
      }
      return out;
    default:
      return std::string(normalized);
  }
}

Result<std::vector<std::pair<const FieldDef*, std::string>>> Schema::ValidateWrite(
    const std::map<std::string, std::string>& fields) const {
  if (fields.empty()) return InvalidArgument("the write has no fields");
  if (fields.size() > limits_.max_fields_per_write) {
    return TooLarge("the write has more than " + std::to_string(limits_.max_fields_per_write) +
                    " fields");
  }
  for (const auto& [name, value] : fields) {
    if (Find(name) == nullptr) {
      return InvalidArgument("unknown field " + DescribeFieldName(name));
    }
  }
  std::vector<std::pair<const FieldDef*, std::string>> out;
  out.reserve(fields.size());
  for (const auto& [name, value] : fields) {
    const FieldDef* def = Find(name);
    BRANKAS_ASSIGN_OR_RETURN(std::string normalized, Normalize(*def, value));
    out.emplace_back(def, std::move(normalized));
  }
  return out;
}

}  // namespace brankas
