// Bounded, strict JSON input for the API, and the JSON forms of engine values.
//
// Input: a body must be one JSON object, valid UTF-8 (nlohmann rejects
// ill-formed sequences), nested at most `max_depth` deep, and carry only the
// keys a route names; a wrong type or an unknown key is kInvalidArgument. No
// message ever repeats the input: parse errors name a byte offset only.
#pragma once

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "brankas/audit.h"
#include "brankas/evidence.h"
#include "brankas/policy.h"
#include "brankas/status.h"
#include "brankas/vault.h"

namespace brankas::server {

using Json = nlohmann::json;


// One JSON object from `body`.
Result<Json> ParseJsonObject(std::string_view body, int max_depth);

// kInvalidArgument naming the first key of `object` not in `allowed`.
Status OnlyKeys(const Json& object, std::initializer_list<std::string_view> allowed);

// Typed members. Missing optional members are std::nullopt / defaults; a present
// member of the wrong type is kInvalidArgument naming the key.
Result<std::string> RequiredString(const Json& object, std::string_view key, size_t max_bytes);
Result<std::optional<std::string>> OptionalString(const Json& object, std::string_view key,
                                                  size_t max_bytes);
Result<std::optional<int64_t>> OptionalInt(const Json& object, std::string_view key);
Result<std::optional<bool>> OptionalBool(const Json& object, std::string_view key);
Result<std::vector<std::string>> StringArray(const Json& object, std::string_view key,
                                             size_t max_items, size_t max_bytes);
// {"name": "value", ...}: string values only.
Result<FieldValues> FieldObject(const Json& object, std::string_view key, size_t max_items);

// Output.
Json ToJson(const CaseSummary& summary);
Json ToJson(const Grant& grant);
Json ToJson(const AuditEntry& entry);
Json ToJson(const UserInfo& user);
Json ToJson(const VerifyReport& report);
Json ToJson(const EvidenceInfo& info);
Json ToJson(const ReferralInfo& info);

}  // namespace brankas::server
