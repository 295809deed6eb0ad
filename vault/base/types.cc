#include "brankas/types.h"

#include <chrono>

namespace brankas {
namespace {

constexpr std::array<std::string_view, kFieldClassCount> kClassNames = {
    "administrative", "identity",      "contact",        "incident", "perpetrator",
    "medical",        "psychological", "legal_evidence", "services", "consent"};
constexpr std::array<std::string_view, kRoleCount> kRoleNames = {
    "intake", "case_worker", "supervisor", "psychologist",
    "medical", "legal",      "auditor",    "admin"};
constexpr std::array<std::string_view, 2> kActionNames = {"read", "write"};
constexpr std::array<std::string_view, kStageCount> kStageNames = {
    "identification", "assessment", "planning", "implementation", "monitoring", "closure"};

template <typename Enum, size_t N>
std::optional<Enum> ParseName(const std::array<std::string_view, N>& names, std::string_view name) {
  for (size_t i = 0; i < N; ++i) {
    if (names[i] == name) return static_cast<Enum>(i);
  }
  return std::nullopt;
}

}  // namespace

std::string_view FieldClassName(FieldClass c) { return kClassNames.at(static_cast<size_t>(c)); }
std::optional<FieldClass> ParseFieldClass(std::string_view n) { return ParseName<FieldClass>(kClassNames, n); }
std::string_view RoleName(Role r) { return kRoleNames.at(static_cast<size_t>(r)); }
std::optional<Role> ParseRole(std::string_view n) { return ParseName<Role>(kRoleNames, n); }
std::string_view ActionName(Action a) { return kActionNames.at(static_cast<size_t>(a)); }
std::optional<Action> ParseAction(std::string_view n) { return ParseName<Action>(kActionNames, n); }
std::string_view StageName(Stage s) { return kStageNames.at(static_cast<size_t>(s)); }
std::optional<Stage> ParseStage(std::string_view n) { return ParseName<Stage>(kStageNames, n); }

bool ParseHostPort(std::string_view text, int min_port, std::string* host, uint16_t* port) {
  const size_t colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  std::string_view h = text.substr(0, colon);
  if (h.front() == '[' || h.back() == ']') {
    if (h.size() < 3 || h.front() != '[' || h.back() != ']') return false;
    h = h.substr(1, h.size() - 2);
  }
  const std::string_view p = text.substr(colon + 1);
  if (p.empty() || p.size() > 5) return false;
  int value = 0;
  for (char c : p) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + (c - '0');
  }
  if (value < min_port || value > 65535) return false;
  *host = std::string(h);
  *port = static_cast<uint16_t>(value);
  return true;
}

std::string EchoableName(std::string_view name) {
  bool plain = !name.empty() && name.size() <= 40 && name[0] >= 'a' && name[0] <= 'z';
  for (char c : name) plain = plain && ((c >= 'a' && c <= 'z') || c == '_');
  return plain ? std::string(name) : std::string("(not a known name)");
}

int JsonDepth(std::string_view text, int limit) {
  int depth = 0, deepest = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (++depth > deepest) deepest = depth;
      if (deepest > limit) return deepest;
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  return deepest;
}

int64_t SystemNowUs() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace brankas
