#include "engine/case_record.h"

#include "brankas/codec.h"
#include "brankas/crypto.h"
#include "brankas/store.h"

namespace brankas {
namespace {
constexpr uint8_t kMetaFormat = 1;
constexpr uint8_t kMetaFormatClassShred = 2;  // kMetaFormat + u32 shredded_classes at the end
// Written since 2026-12: the fields' (version, writer, time) stamps once each,
// the fields referring to them by index. A create writes all its fields at
// one stamp; formats 1 and 2 repeated it per field, which made the metadata
// the largest record a create writes (about 2.3 KB of ~40 fields).
constexpr uint8_t kMetaFormatStamped = 3;
constexpr uint32_t kShreddableClasses =
    ((1u << kFieldClassCount) - 1) & ~(1u << static_cast<unsigned>(FieldClass::kAdministrative));
constexpr uint8_t kSealedFieldsFormat = 1;
constexpr uint32_t kMaxFields = 4096;
}  // namespace

std::string EncodeCaseMeta(const CaseMeta& m) {
  Writer w;
  w.Reserve(160 + 48 * m.fields.size());
  w.U8(kMetaFormatStamped);
  w.U64(m.version);  // must stay right after the format byte (VersionOfRecord)
  w.Bytes(m.case_id);
  w.Bytes(m.unit);
  w.U8(static_cast<uint8_t>(m.stage));
  w.Bytes(m.owner);
  w.Bytes(m.created_by);
  w.StringList(m.assigned);
  w.I64(m.created_us);
  w.I64(m.updated_us);
  w.Bool(m.closed);
  w.Bool(m.legal_hold);
  w.Bool(m.shredded);
  w.U32(m.shredded_classes);
  std::vector<const FieldState*> stamps;  // distinct (version, writer, time_us), first use first
  std::vector<uint32_t> stamp_of;
  stamp_of.reserve(m.fields.size());
  for (const auto& [name, f] : m.fields) {
    uint32_t i = 0;
    while (i < stamps.size() &&
           (stamps[i]->version != f.version || stamps[i]->time_us != f.time_us || stamps[i]->writer != f.writer)) {
      ++i;
    }
    if (i == stamps.size()) stamps.push_back(&f);
    stamp_of.push_back(i);
  }
  w.U32(static_cast<uint32_t>(stamps.size()));
  for (const FieldState* f : stamps) {
    w.U64(f->version);
    w.Bytes(f->writer);
    w.I64(f->time_us);
  }
  w.U32(static_cast<uint32_t>(m.fields.size()));
  size_t at = 0;
  for (const auto& [name, f] : m.fields) {
    w.Bytes(name);
    w.U32(stamp_of[at++]);
    w.Bytes(f.blind_tag);
  }
  return w.Take();
}

Result<CaseMeta> DecodeCaseMeta(std::string_view bytes) {
  Reader r(bytes);
  CaseMeta m;
  uint8_t format = 0, stage = 0;
  uint32_t count = 0;
  if (!r.U8(&format) || (format != kMetaFormat && format != kMetaFormatClassShred && format != kMetaFormatStamped)) {
    return Corruption("case metadata: unknown format");
  }
  r.U64(&m.version);
  r.Bytes(&m.case_id);
  r.Bytes(&m.unit);
  r.U8(&stage);
  r.Bytes(&m.owner);
  r.Bytes(&m.created_by);
  r.StringList(&m.assigned);
  r.I64(&m.created_us);
  r.I64(&m.updated_us);
  r.Bool(&m.closed);
  r.Bool(&m.legal_hold);
  r.Bool(&m.shredded);
  if (format == kMetaFormatStamped) {
    if (!r.U32(&m.shredded_classes) || (m.shredded_classes & ~kShreddableClasses) != 0) {
      return Corruption("case metadata: malformed shredded classes");
    }
    std::vector<FieldState> stamps;
    // Each stamp takes at least 20 bytes: never allocate more than the input holds.
    if (!r.U32(&count) || count > kMaxFields || count > r.Remaining() / 20) {
      return Corruption("case metadata: malformed");
    }
    stamps.resize(count);
    for (FieldState& f : stamps) {
      if (!r.U64(&f.version) || !r.Bytes(&f.writer) || !r.I64(&f.time_us)) {
        return Corruption("case metadata: truncated");
      }
    }
    if (!r.U32(&count) || count > kMaxFields || stage >= kStageCount) {
      return Corruption("case metadata: malformed");
    }
    for (uint32_t i = 0; i < count; ++i) {
      std::string name;
      uint32_t stamp = 0;
      FieldState f;
      if (!r.Bytes(&name) || !r.U32(&stamp) || !r.Bytes(&f.blind_tag)) return Corruption("case metadata: truncated");
      if (stamp >= stamps.size()) return Corruption("case metadata: malformed field stamp");
      f.version = stamps[stamp].version;
      f.writer = stamps[stamp].writer;
      f.time_us = stamps[stamp].time_us;
      m.fields.emplace_hint(m.fields.end(), std::move(name), std::move(f));
    }
  } else {
    if (!r.U32(&count) || count > kMaxFields || stage >= kStageCount) {
      return Corruption("case metadata: malformed");
    }
    for (uint32_t i = 0; i < count; ++i) {
      std::string name;
      FieldState f;
      if (!r.Bytes(&name) || !r.U64(&f.version) || !r.Bytes(&f.writer) || !r.I64(&f.time_us) ||
          !r.Bytes(&f.blind_tag)) {
        return Corruption("case metadata: truncated");
      }
      m.fields.emplace(std::move(name), std::move(f));
    }
    if (format == kMetaFormatClassShred &&
        (!r.U32(&m.shredded_classes) || m.shredded_classes == 0 ||
         (m.shredded_classes & ~kShreddableClasses) != 0)) {
      return Corruption("case metadata: malformed shredded classes");
    }
  }
  m.stage = static_cast<Stage>(stage);
  if (!r.Done() || m.version == 0) return Corruption("case metadata: malformed");
  return m;
}

std::string CaseMetaKey(std::string_view case_id) { return "m/" + std::string(case_id); }

std::string VersionPrefix(std::string_view case_id) { return "v/" + std::string(case_id) + "/"; }

std::string VersionKey(std::string_view case_id, uint64_t version) {
  std::string k = VersionPrefix(case_id);
  PutBigEndian64(&k, version);
  return k;
}

std::string EncodeSealedFields(const SealedFields& fields) {
  Writer w;
  w.U8(kSealedFieldsFormat);
  w.U32(static_cast<uint32_t>(fields.size()));
  for (const auto& [name, sealed] : fields) {
    w.Bytes(name);
    w.Bytes(sealed);
  }
  return w.Take();
}

Result<SealedFieldViews> DecodeSealedFieldViews(std::string_view bytes) {
  Reader r(bytes);
  uint8_t format = 0;
  uint32_t count = 0;
  if (!r.U8(&format) || format != kSealedFieldsFormat || !r.U32(&count) || count > kMaxFields ||
      count > r.Remaining() / 8) {
    return Corruption("field record: malformed header");
  }
  SealedFieldViews out;
  out.reserve(count);
  for (uint32_t i = 0; i < count; ++i) {
    std::string_view name, sealed;
    if (!r.BytesView(&name) || !r.BytesView(&sealed)) return Corruption("field record: truncated");
    out.emplace_back(name, sealed);
  }
  if (!r.Done()) return Corruption("field record: trailing bytes");
  return out;
}

std::string FieldAd(std::string_view unit, std::string_view case_id, std::string_view field,
                    uint64_t version) {
  constexpr std::string_view kPurpose = "brankas-field-v1";
  Writer w;
  w.Reserve(4 * 4 + kPurpose.size() + unit.size() + case_id.size() + field.size() + 8);
  w.Bytes(kPurpose);
  w.Bytes(unit);
  w.Bytes(case_id);
  w.Bytes(field);
  w.U64(version);
  return w.Take();
}

std::string IndexPrefix(std::string_view field, std::string_view tag) {
  return std::string(field) + "/" + std::string(tag) + "/";
}

std::string IndexKey(std::string_view field, std::string_view tag, std::string_view case_id) {
  return IndexPrefix(field, tag) + std::string(case_id);
}

std::string NewCaseId(std::string_view unit) {
  static constexpr char kAlphabet[] = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";  // 32, no I/O/0/1
  std::string random = RandomBytes(20);
  std::string id(unit);
  id.push_back('-');
  for (unsigned char c : random) id.push_back(kAlphabet[c & 31]);
  WipeString(random);
  return id;
}

bool IsWellFormedId(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
              c == '_';
    if (!ok) return false;
  }
  return true;
}

std::string MaskValue(std::string_view value) {
  bool all_digits = !value.empty();
  for (char c : value) {
    if (c < '0' || c > '9') all_digits = false;
  }
  if (all_digits) return std::string(value.size(), '*');
  std::string out;
  bool at_word_start = true;
  for (size_t i = 0; i < value.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(value[i]);
    if (c == ' ' || c == '\n' || c == '\t' || c == ',') {
      at_word_start = true;
      continue;
    }
    if (at_word_start) {
      if (!out.empty()) out.push_back(' ');
      // Copy one whole UTF-8 character.
      size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : 4;
      out.append(value.substr(i, len));
      out.push_back('.');
      at_word_start = false;
      if (out.size() > 64) break;
    }
  }
  return out.empty() ? "*" : out;
}

Result<SealedFields> DecodeSealedFields(std::string_view bytes) {
  BRANKAS_ASSIGN_OR_RETURN(SealedFieldViews views, DecodeSealedFieldViews(bytes));
  SealedFields out;
  for (const auto& [name, sealed] : views) {
    if (!out.emplace(std::string(name), std::string(sealed)).second) {
      return Corruption("field record: a field appears twice");
    }
  }
  return out;
}

}  // namespace brankas
