#include "server/json_io.h"

#include "brankas/crypto.h"
#include "brankas/evidence_bundle.h"

namespace brankas::server {

Result<Json> ParseJsonObject(std::string_view body, int max_depth) {
  if (body.empty()) return InvalidArgument("the request needs a JSON object body");
  if (JsonDepth(body, max_depth) > max_depth) {
    return InvalidArgument("JSON nested deeper than " + std::to_string(max_depth));
  }
  Json parsed;
  try {
    parsed = Json::parse(body.begin(), body.end());
  } catch (const Json::parse_error& e) {
    // e.what() quotes the input; only the offset is safe to repeat.
    return InvalidArgument("malformed JSON near byte " + std::to_string(e.byte));
  } catch (const Json::exception&) {
    // out_of_range (a number like 1e400) and the rest: refused, never thrown on.
    return InvalidArgument("JSON value out of range");
  }
  if (!parsed.is_object()) return InvalidArgument("the body must be a JSON object");
  return parsed;
}

namespace {

// A key the caller sent, safe to repeat in a message (EchoableName).
std::string SafeKey(std::string_view key) { return EchoableName(key); }

const Json* Member(const Json& object, std::string_view key) {
  auto it = object.find(key);
  return it == object.end() ? nullptr : &*it;
}

Status WrongType(std::string_view key, const char* want) {
  return InvalidArgument("\"" + std::string(key) + "\" must be " + want);
}

}  // namespace

Status OnlyKeys(const Json& object, std::initializer_list<std::string_view> allowed) {
  for (auto it = object.begin(); it != object.end(); ++it) {
    bool known = false;
    for (std::string_view a : allowed) known = known || it.key() == a;
    if (!known) return InvalidArgument("unknown key \"" + SafeKey(it.key()) + "\"");
  }
  return Status::Ok();
}

Result<std::string> RequiredString(const Json& object, std::string_view key, size_t max_bytes) {
  BRANKAS_ASSIGN_OR_RETURN(std::optional<std::string> value, OptionalString(object, key, max_bytes));
  if (!value) return InvalidArgument("\"" + std::string(key) + "\" is required");
  return std::move(*value);
}

Result<std::optional<std::string>> OptionalString(const Json& object, std::string_view key,
                                                  size_t max_bytes) {
  const Json* m = Member(object, key);
  if (m == nullptr || m->is_null()) return std::optional<std::string>();
  if (!m->is_string()) return WrongType(key, "a string");
  const auto& s = m->get_ref<const std::string&>();
  if (s.size() > max_bytes) {
    return TooLarge("\"" + std::string(key) + "\" is longer than " + std::to_string(max_bytes) + " bytes");
  }
  return std::optional<std::string>(s);
}

Result<std::optional<int64_t>> OptionalInt(const Json& object, std::string_view key) {
  const Json* m = Member(object, key);
  if (m == nullptr || m->is_null()) return std::optional<int64_t>();
  if (!m->is_number_integer()) return WrongType(key, "an integer");
  return std::optional<int64_t>(m->get<int64_t>());
}

Result<std::optional<bool>> OptionalBool(const Json& object, std::string_view key) {
  const Json* m = Member(object, key);
  if (m == nullptr || m->is_null()) return std::optional<bool>();
  if (!m->is_boolean()) return WrongType(key, "true or false");
  return std::optional<bool>(m->get<bool>());
}

Result<std::vector<std::string>> StringArray(const Json& object, std::string_view key,
                                             size_t max_items, size_t max_bytes) {
  std::vector<std::string> out;
  const Json* m = Member(object, key);
  if (m == nullptr || m->is_null()) return out;
  if (!m->is_array()) return WrongType(key, "an array of strings");
  if (m->size() > max_items) {
    return TooLarge("\"" + std::string(key) + "\" has more than " + std::to_string(max_items) + " items");
  }
  for (const Json& item : *m) {
    if (!item.is_string()) return WrongType(key, "an array of strings");
    const auto& s = item.get_ref<const std::string&>();
    if (s.size() > max_bytes) return TooLarge("an item of \"" + std::string(key) + "\" is too long");
    out.push_back(s);
  }
  return out;
}

Result<FieldValues> FieldObject(const Json& object, std::string_view key, size_t max_items) {
  FieldValues out;
  const Json* m = Member(object, key);
  if (m == nullptr || m->is_null()) return out;
  if (!m->is_object()) return WrongType(key, "an object of field names to string values");
  if (m->size() > max_items) return TooLarge("too many fields");
  for (auto it = m->begin(); it != m->end(); ++it) {
    if (!it.value().is_string()) {
      return InvalidArgument("field \"" + SafeKey(it.key()) + "\" must be a string");
    }
    out.emplace(it.key(), it.value().get<std::string>());
  }
  return out;
}

Json ToJson(const CaseSummary& s) {
  Json j{{"case_id", s.case_id},
         {"unit", s.unit},
         {"stage", std::string(StageName(s.stage))},
         {"version", s.version},
         {"owner", s.owner},
         {"assigned", s.assigned},
         {"created_at", s.created_us / 1'000'000},
         {"updated_at", s.updated_us / 1'000'000},
         {"closed", s.closed},
         {"legal_hold", s.legal_hold}};
  if (!s.shredded_classes.empty()) j["shredded_classes"] = s.shredded_classes;  // their fields are gone
  return j;
}

Json ToJson(const Grant& g) { return GrantToJson(g); }

Json ToJson(const AuditEntry& e) {
  return Json{{"seq", e.seq},
              {"time_us", e.time_us},
              {"node", e.node},
              {"actor", e.actor},
              {"role", e.role},
              {"action", e.action},
              {"case_id", e.case_id},
              {"fields", e.fields},
              {"decision", e.decision},
              {"rule", e.rule},
              {"grant_id", e.grant_id},
              {"request_id", e.request_id},
              {"client", e.client},
              {"detail", e.detail},
              {"flagged", e.flagged},
              {"prev_hash", ToHex(e.prev_hash)},
              {"hash", ToHex(e.hash)}};
}

Json ToJson(const UserInfo& u) {
  return Json{{"user", u.user},
              {"role", std::string(RoleName(u.role))},
              {"unit", u.unit},
              {"disabled", u.disabled},
              {"created_at", u.created_us / 1'000'000}};
}

Json ToJson(const ReferralInfo& r) {
  Json classes = Json::array();
  for (FieldClass c : r.classes) classes.push_back(std::string(FieldClassName(c)));
  return Json{{"referral_id", r.referral_id},
              {"direction", r.incoming ? "incoming" : "outgoing"},
              {"from_unit", r.from_unit},
              {"to_unit", r.to_unit},
              {"case_id", r.case_id},
              {"created_by", r.created_by},
              {"classes", classes},
              {"created_at", r.created_us / 1'000'000},
              {"expires_at", r.expires_at},
              {"revoked", r.revoked},
              {"revoked_at", r.revoked_us / 1'000'000},
              {"assigned", r.assigned},
              {"fields", r.fields}};
}

Json ToJson(const EvidenceInfo& i) {
  return Json{{"evidence_id", i.evidence_id}, {"case_id", i.case_id},  {"name", i.name},
              {"content_type", i.content_type}, {"size", i.size},     {"sha256", ToHex(i.sha256)},
              {"added_by", i.added_by},       {"added_from", i.added_from}, {"added_at", i.added_us / 1'000'000}};
}

Json ToJson(const VerifyReport& r) {
  Json out{{"intact", r.intact}, {"entries", r.entries}, {"checkpoints", r.checkpoints}};
  if (!r.intact) {
    out["first_bad_seq"] = r.first_bad_seq;
    out["problem"] = r.problem;
  }
  return out;
}

}  // namespace brankas::server
