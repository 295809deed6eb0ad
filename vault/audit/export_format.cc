// The audit export's JSON forms, its lines, and one page read from the store
// (brankas/audit_export.h). The verifier is export_verify.cc.
#include <algorithm>
#include <limits>
#include <string>

#include "brankas/audit_export.h"
#include "brankas/crypto.h"
#include "brankas/schema.h"  // IsValidUtf8

namespace brankas {
namespace {

using Json = nlohmann::json;

constexpr size_t kMaxFieldNames = 4096;  // as DecodeAuditEntry
constexpr size_t kMaxUnitBytes = 64;

// A string member: the string itself, or {"hex": ...} for bytes that are not UTF-8.
Json Text(const std::string& s) {
  if (IsValidUtf8(s)) return Json(s);
  return Json{{"hex", ToHex(s)}};
}

Status Bad(std::string_view what, std::string_view key, std::string_view why) {
  return InvalidArgument(std::string(what) + ": \"" + std::string(key) + "\" " + std::string(why));
}

// Exactly the members `keys`, no others (nlohmann keeps one of two equal keys,
// so a duplicate shows up as a missing member).
Status ExactKeys(const Json& j, std::string_view what, std::initializer_list<std::string_view> keys) {
  if (!j.is_object()) return InvalidArgument(std::string(what) + ": not an object");
  for (const auto& [k, v] : j.items()) {
    // Not named: the file is untrusted text.
    if (std::find(keys.begin(), keys.end(), k) == keys.end()) {
      return InvalidArgument(std::string(what) + ": a member that is not part of the format");
    }
  }
  for (std::string_view k : keys) {
    if (!j.contains(k)) return Bad(what, k, "is missing");
  }
  return Status::Ok();
}

Result<std::string> GetText(const Json& j, std::string_view what, std::string_view key) {
  const Json& v = j.at(key);
  if (v.is_string()) return v.get<std::string>();
  if (v.is_object() && v.size() == 1 && v.contains("hex") && v["hex"].is_string()) {
    const std::string& hex = v["hex"].get_ref<const std::string&>();
    std::string bytes;
    if (FromHex(hex, &bytes) && ToHex(bytes) == hex) return bytes;
  }
  return Bad(what, key, "is not a string");
}

// Lower-case hex of exactly `size` bytes (one spelling per value).
Result<std::string> GetHex(const Json& j, std::string_view what, std::string_view key, size_t size) {
  const Json& v = j.at(key);
  std::string bytes;
  if (!v.is_string() || v.get_ref<const std::string&>().size() != 2 * size ||
      !FromHex(v.get_ref<const std::string&>(), &bytes) || ToHex(bytes) != v.get_ref<const std::string&>()) {
    return Bad(what, key, "is not " + std::to_string(2 * size) + " lower-case hex digits");
  }
  return bytes;
}

Result<uint64_t> GetU64(const Json& j, std::string_view what, std::string_view key) {
  const Json& v = j.at(key);
  if (!v.is_number_unsigned()) return Bad(what, key, "is not a non-negative integer");
  return v.get<uint64_t>();
}

Result<int64_t> GetI64(const Json& j, std::string_view what, std::string_view key) {
  const Json& v = j.at(key);
  if (v.is_number_unsigned()) {
    if (v.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return Bad(what, key, "is out of range");
    }
    return static_cast<int64_t>(v.get<uint64_t>());
  }
  if (v.is_number_integer()) return v.get<int64_t>();
  return Bad(what, key, "is not an integer");
}

// Checkpoints and heads share one shape.
template <typename Point>
Json SignedPointToJson(const Point& p) {
  return Json{{"seq", p.seq},
              {"hash", ToHex(p.hash)},
              {"time_us", p.time_us},
              {"node", Text(p.node)},
              {"signature", ToHex(p.signature)}};
}

template <typename Point>
Result<Point> SignedPointFromJson(const Json& j, std::string_view what) {
  BRANKAS_RETURN_IF_ERROR(ExactKeys(j, what, {"seq", "hash", "time_us", "node", "signature"}));
  Point p;
  BRANKAS_ASSIGN_OR_RETURN(p.seq, GetU64(j, what, "seq"));
  BRANKAS_ASSIGN_OR_RETURN(p.hash, GetHex(j, what, "hash", kHashSize));
  BRANKAS_ASSIGN_OR_RETURN(p.time_us, GetI64(j, what, "time_us"));
  BRANKAS_ASSIGN_OR_RETURN(p.node, GetText(j, what, "node"));
  BRANKAS_ASSIGN_OR_RETURN(p.signature, GetHex(j, what, "signature", kSignatureSize));
  if (p.seq == 0) return Bad(what, "seq", "is 0");
  return p;
}

std::string Line(const Json& j) {
  // Every string in `j` is valid UTF-8 (Text() saw to it): strict dumping cannot throw.
  return j.dump() + "\n";
}

}  // namespace

Json AuditEntryToJson(const AuditEntry& e) {
  Json fields = Json::array();
  for (const std::string& f : e.fields) fields.push_back(Text(f));
  return Json{{"seq", e.seq},
              {"time_us", e.time_us},
              {"node", Text(e.node)},
              {"actor", Text(e.actor)},
              {"role", Text(e.role)},
              {"action", Text(e.action)},
              {"case_id", Text(e.case_id)},
              {"fields", std::move(fields)},
              {"decision", Text(e.decision)},
              {"rule", Text(e.rule)},
              {"grant_id", Text(e.grant_id)},
              {"request_id", Text(e.request_id)},
              {"client", Text(e.client)},
              {"detail", Text(e.detail)},
              {"flagged", e.flagged},
              {"prev_hash", ToHex(e.prev_hash)},
              {"hash", ToHex(e.hash)}};
}

Result<AuditEntry> AuditEntryFromJson(const Json& j) {
  constexpr std::string_view kWhat = "entry";
  BRANKAS_RETURN_IF_ERROR(ExactKeys(j, kWhat,
                                    {"seq", "time_us", "node", "actor", "role", "action", "case_id", "fields",
                                     "decision", "rule", "grant_id", "request_id", "client", "detail", "flagged",
                                     "prev_hash", "hash"}));
  AuditEntry e;
  BRANKAS_ASSIGN_OR_RETURN(e.seq, GetU64(j, kWhat, "seq"));
  if (e.seq == 0) return Bad(kWhat, "seq", "is 0");
  BRANKAS_ASSIGN_OR_RETURN(e.time_us, GetI64(j, kWhat, "time_us"));
  for (auto [key, out] : {std::pair{"node", &e.node}, {"actor", &e.actor}, {"role", &e.role},
                          {"action", &e.action}, {"case_id", &e.case_id}, {"decision", &e.decision},
                          {"rule", &e.rule}, {"grant_id", &e.grant_id}, {"request_id", &e.request_id},
                          {"client", &e.client}, {"detail", &e.detail}}) {
    BRANKAS_ASSIGN_OR_RETURN(*out, GetText(j, kWhat, key));
  }
  const Json& fields = j.at("fields");
  if (!fields.is_array() || fields.size() > kMaxFieldNames) return Bad(kWhat, "fields", "is not a list of names");
  for (size_t i = 0; i < fields.size(); ++i) {
    Json holder{{"name", fields[i]}};
    auto name = GetText(holder, kWhat, "name");
    if (!name.ok()) return Bad(kWhat, "fields", "is not a list of names");
    e.fields.push_back(std::move(name).value());
  }
  if (!j.at("flagged").is_boolean()) return Bad(kWhat, "flagged", "is not true or false");
  e.flagged = j.at("flagged").get<bool>();
  BRANKAS_ASSIGN_OR_RETURN(e.prev_hash, GetHex(j, kWhat, "prev_hash", kHashSize));
  BRANKAS_ASSIGN_OR_RETURN(e.hash, GetHex(j, kWhat, "hash", kHashSize));
  return e;
}

Json CheckpointToJson(const Checkpoint& c) { return SignedPointToJson(c); }
Result<Checkpoint> CheckpointFromJson(const Json& j) { return SignedPointFromJson<Checkpoint>(j, "checkpoint"); }
Json AuditHeadToJson(const AuditHead& h) { return SignedPointToJson(h); }
Result<AuditHead> AuditHeadFromJson(const Json& j) { return SignedPointFromJson<AuditHead>(j, "head"); }

Result<AuditExportPage> ReadAuditExportPage(Store& snapshot, uint64_t after_seq, size_t limit) {
  limit = limit == 0 ? kDefaultAuditExportPage : std::min(limit, kMaxAuditExportPage);
  AuditExportPage page;

  BRANKAS_ASSIGN_OR_RETURN(std::optional<std::string> head_bytes, snapshot.Get(Column::kMeta, kAuditHeadKey));
  if (head_bytes.has_value()) {
    Result<AuditHead> head = DecodeAuditHead(*head_bytes);
    if (!head.ok()) return Corruption("audit export: the signed head cannot be decoded");
    page.head = std::move(head).value();
  }
  // The last stored entry, which is the head unless the trail is damaged.
  BRANKAS_RETURN_IF_ERROR(snapshot.ScanReverse(Column::kAudit, kAuditEntryPrefix,
                                               [&](std::string_view key, std::string_view) {
                                                 if (key.size() == 9) page.head_seq = GetBigEndian64(key.substr(1));
                                                 return false;
                                               }));

  Status inner = Status::Ok();
  if (after_seq < std::numeric_limits<uint64_t>::max()) {
    BRANKAS_RETURN_IF_ERROR(snapshot.Scan(
        Column::kAudit, kAuditEntryPrefix, AuditEntryKey(after_seq + 1),
        [&](std::string_view key, std::string_view value) {
          Result<AuditEntry> entry = DecodeAuditEntry(value);
          if (key.size() != 9 || !entry.ok() || entry->seq != GetBigEndian64(key.substr(1))) {
            inner = Corruption("audit export: the entry after " +
                               std::to_string(page.entries.empty() ? after_seq : page.entries.back().seq) +
                               " cannot be decoded (brankas audit verify names the damage)");
            return false;
          }
          page.entries.push_back(std::move(entry).value());
          return page.entries.size() < limit;
        }));
  }
  BRANKAS_RETURN_IF_ERROR(inner);

  const uint64_t last = page.entries.empty() ? after_seq : page.entries.back().seq;
  if (after_seq < std::numeric_limits<uint64_t>::max()) {
    BRANKAS_RETURN_IF_ERROR(snapshot.Scan(
        Column::kAudit, kAuditCheckpointPrefix, AuditCheckpointKey(after_seq + 1),
        [&](std::string_view key, std::string_view value) {
          Result<Checkpoint> cp = DecodeCheckpoint(value);
          if (key.size() != 9 || !cp.ok() || cp->seq != GetBigEndian64(key.substr(1))) {
            inner = Corruption("audit export: a checkpoint after " + std::to_string(after_seq) +
                               " cannot be decoded (brankas audit verify names the damage)");
            return false;
          }
          const uint64_t seq = cp->seq;
          page.checkpoints.push_back(std::move(cp).value());
          return seq <= last;  // the first one beyond the last entry ends the page
        }));
  }
  BRANKAS_RETURN_IF_ERROR(inner);
  return page;
}

Json AuditExportPageToJson(const AuditExportPage& page) {
  Json entries = Json::array();
  for (const AuditEntry& e : page.entries) entries.push_back(AuditEntryToJson(e));
  Json checkpoints = Json::array();
  for (const Checkpoint& c : page.checkpoints) checkpoints.push_back(CheckpointToJson(c));
  Json j{{"unit", Text(page.unit)},
         {"node_public_key", ToHex(page.node_public_key)},
         {"head_seq", page.head_seq},
         {"entries", std::move(entries)},
         {"checkpoints", std::move(checkpoints)}};
  if (page.head.has_value()) j["head"] = AuditHeadToJson(*page.head);
  return j;
}

Result<AuditExportPage> AuditExportPageFromJson(const Json& j) {
  constexpr std::string_view kWhat = "export page";
  if (!j.is_object()) return InvalidArgument("export page: not an object");
  for (std::string_view k : {"unit", "node_public_key", "head_seq", "entries", "checkpoints"}) {
    if (!j.contains(k)) return Bad(kWhat, k, "is missing");
  }
  AuditExportPage page;
  BRANKAS_ASSIGN_OR_RETURN(page.unit, GetText(j, kWhat, "unit"));
  BRANKAS_ASSIGN_OR_RETURN(page.node_public_key, GetHex(j, kWhat, "node_public_key", kSignPublicKeySize));
  BRANKAS_ASSIGN_OR_RETURN(page.head_seq, GetU64(j, kWhat, "head_seq"));
  const Json& entries = j.at("entries");
  const Json& checkpoints = j.at("checkpoints");
  if (!entries.is_array() || entries.size() > kMaxAuditExportPage) return Bad(kWhat, "entries", "is not a page");
  if (!checkpoints.is_array() || checkpoints.size() > kMaxAuditExportPage + 1) {
    return Bad(kWhat, "checkpoints", "is not a page");
  }
  page.entries.reserve(entries.size());
  for (const Json& e : entries) {
    BRANKAS_ASSIGN_OR_RETURN(AuditEntry entry, AuditEntryFromJson(e));
    page.entries.push_back(std::move(entry));
  }
  for (const Json& c : checkpoints) {
    BRANKAS_ASSIGN_OR_RETURN(Checkpoint cp, CheckpointFromJson(c));
    page.checkpoints.push_back(std::move(cp));
  }
  if (j.contains("head") && !j.at("head").is_null()) {
    BRANKAS_ASSIGN_OR_RETURN(page.head, AuditHeadFromJson(j.at("head")));
  }
  return page;
}

Result<std::string> AuditExportHeaderLine(const AuditExportHeader& h) {
  if (h.node_public_key.size() != kSignPublicKeySize) {
    return InvalidArgument("audit export: the node public key must be 32 bytes");
  }
  if (h.unit.size() > kMaxUnitBytes || !IsValidUtf8(h.unit)) {
    return InvalidArgument("audit export: the unit code is too long or not UTF-8");
  }
  // Members in a fixed order, so the line reads the same every time.
  std::string line = "{\"format\":" + Json(std::string(kAuditExportFormat)).dump() +
                     ",\"unit\":" + Json(h.unit).dump() +
                     ",\"node_public_key\":\"" + ToHex(h.node_public_key) + "\"" +
                     ",\"first_seq\":" + std::to_string(h.first_seq) +
                     ",\"last_seq\":" + std::to_string(h.last_seq) +
                     ",\"exported_at\":" + std::to_string(h.exported_at);
  if (line.size() + 2 > kAuditExportHeaderBytes) {
    return InvalidArgument("audit export: the header does not fit its fixed size");
  }
  line.append(kAuditExportHeaderBytes - 2 - line.size(), ' ');
  line += "}\n";
  return line;
}

std::string AuditExportEntryLine(const AuditEntry& e) { return Line(Json{{"entry", AuditEntryToJson(e)}}); }
std::string AuditExportCheckpointLine(const Checkpoint& c) { return Line(Json{{"checkpoint", CheckpointToJson(c)}}); }
std::string AuditExportHeadLine(const AuditHead& h) { return Line(Json{{"head", AuditHeadToJson(h)}}); }

}  // namespace brankas
