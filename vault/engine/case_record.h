// How a case is laid out in the store (records CF):
//
//   "m/" case_id                      -> CaseMeta (cleartext: lifecycle and
//                                        per-field bookkeeping, never values)
//   "v/" case_id "/" be64(v)          -> the fields written at case version v:
//                                        (name, sealed value) pairs, each value
//                                        sealed with the case's data key for the
//                                        field's class; the AEAD's associated
//                                        data binds unit, case, field and version
//
// One record per write rather than one per field: a create or an update is one
// key in the memtable and a read of a fresh case one Get.
//   index CF: field "/" tag(32) "/" case_id -> ""   (blind index)
//
// Every write of a field adds a new version; earlier versions stay (history
// is evidence) until the case is shredded.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "brankas/status.h"
#include "brankas/types.h"

namespace brankas {

struct FieldState {
  uint64_t version = 0;    // the case version at which it was written
  std::string writer;      // user name
  int64_t time_us = 0;
  std::string blind_tag;   // for indexed fields: the current index tag
};

struct CaseMeta {
  uint64_t version = 0;    // bumped by every change of the case
  std::string case_id, unit;
  Stage stage = Stage::kIdentification;
  std::string owner, created_by;
  std::vector<std::string> assigned;
  int64_t created_us = 0, updated_us = 0;
  bool closed = false;
  bool legal_hold = false;
  bool shredded = false;
  // Field classes crypto-shredded on their own (Vault::ShredClasses): bit
  // 1 << static_cast<int>(cls); never administrative. Their data keys are gone
  // and their fields dropped from `fields`. Stored only when non-zero (format
  // 2: format 1 followed by u32 shredded_classes), so a case never shredded by
  // class keeps the format-1 bytes older builds read.
  uint32_t shredded_classes = 0;
  std::map<std::string, FieldState> fields;
};

std::string EncodeCaseMeta(const CaseMeta& m);
Result<CaseMeta> DecodeCaseMeta(std::string_view bytes);

std::string CaseMetaKey(std::string_view case_id);
std::string VersionKey(std::string_view case_id, uint64_t version);
std::string VersionPrefix(std::string_view case_id);

// The fields written at one version: name -> sealed value.
using SealedFields = std::map<std::string, std::string>;
std::string EncodeSealedFields(const SealedFields& fields);
Result<SealedFields> DecodeSealedFields(std::string_view bytes);
// The same record decoded as views into `bytes` (which must outlive them), in
// stored order, for readers that open a few fields: no copy of the values.
// Same checks as DecodeSealedFields; of duplicate names the first counts, as there.
using SealedFieldViews = std::vector<std::pair<std::string_view, std::string_view>>;
Result<SealedFieldViews> DecodeSealedFieldViews(std::string_view bytes);
std::string FieldAd(std::string_view unit, std::string_view case_id, std::string_view field,
                    uint64_t version);
std::string IndexKey(std::string_view field, std::string_view tag, std::string_view case_id);
std::string IndexPrefix(std::string_view field, std::string_view tag);

// A random, unit-prefixed, non-sequential case id: "UNIT-" + 20 base32 chars (100 bits).
std::string NewCaseId(std::string_view unit);
// Ids come from outside: letters, digits and '-' only, bounded length.
bool IsWellFormedId(std::string_view id);

// "Siti Nur Aisyah" -> "S. N. A."; digits -> "*" per digit. Masked values never
// reveal more than initials (UU SPPA art. 19).
std::string MaskValue(std::string_view value);

}  // namespace brankas
