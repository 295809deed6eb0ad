// Vocabulary shared by every module of the engine: field classes, roles,
// actions and case stages (see ../shared/DOMAIN.md). Plain enums with
// name<->string conversion; the string forms are the ones used in the TOML
// configuration, the JSON API and audit entries.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace brankas {

enum class FieldClass : uint8_t {
  kAdministrative = 0,
  kIdentity,
  kContact,
  kIncident,
  kPerpetrator,
  kMedical,
  kPsychological,
  kLegalEvidence,
  kServices,
  kConsent,
};
inline constexpr int kFieldClassCount = 10;
inline constexpr std::array<FieldClass, kFieldClassCount> kAllFieldClasses = {
    FieldClass::kAdministrative, FieldClass::kIdentity,     FieldClass::kContact,
    FieldClass::kIncident,       FieldClass::kPerpetrator,  FieldClass::kMedical,
    FieldClass::kPsychological,  FieldClass::kLegalEvidence, FieldClass::kServices,
    FieldClass::kConsent};

enum class Role : uint8_t {
  kIntake = 0,
  kCaseWorker,
  kSupervisor,
  kPsychologist,
  kMedical,
  kLegal,
  kAuditor,
  kAdmin,
};
inline constexpr int kRoleCount = 8;
inline constexpr std::array<Role, kRoleCount> kAllRoles = {
    Role::kIntake,  Role::kCaseWorker, Role::kSupervisor, Role::kPsychologist,
    Role::kMedical, Role::kLegal,      Role::kAuditor,    Role::kAdmin};

// What is done to a field class.
enum class Action : uint8_t { kRead = 0, kWrite };

enum class Stage : uint8_t {
  kIdentification = 0,
  kAssessment,
  kPlanning,
  kImplementation,
  kMonitoring,
  kClosure,
};
inline constexpr int kStageCount = 6;

// A name the caller sent (a field, key or kind) that is safe to repeat in an
// error message or a log: 1-40 of [a-z_], starting with a letter. No digits,
// no capitals, no spaces — so a value sent where a name belongs (a NIK, a
// person's name) is never echoed. Others: "(not a known name)".
std::string EchoableName(std::string_view name);

// "HOST:PORT" or "[IPv6]:PORT" with a port in [min_port, 65535] (min_port 0
// allows "pick a free port"). `host` receives HOST without brackets. False on
// anything else; the outputs are then unchanged.
bool ParseHostPort(std::string_view text, int min_port, std::string* host, uint16_t* port);
// The deepest nesting of objects and arrays in JSON `text`, strings skipped;
// stops counting past `limit`. Checked before parsing untrusted JSON, so a
// deeply nested document cannot exhaust the parser's stack.
int JsonDepth(std::string_view text, int limit);

std::string_view FieldClassName(FieldClass c);   // "legal_evidence"
std::optional<FieldClass> ParseFieldClass(std::string_view name);
std::string_view RoleName(Role r);               // "case_worker"
std::optional<Role> ParseRole(std::string_view name);
std::string_view ActionName(Action a);           // "read" / "write"
std::optional<Action> ParseAction(std::string_view name);
std::string_view StageName(Stage s);             // "identification"
std::optional<Stage> ParseStage(std::string_view name);

// The wall clock in unix microseconds (the time stamps of records and audit
// entries; tests give the engine their own clock instead).
int64_t SystemNowUs();

}  // namespace brankas
