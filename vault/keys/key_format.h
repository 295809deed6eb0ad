// Internal to the keys module: stored record formats, store key names and the
// associated data of every wrap (see the layout in brankas/keys.h).
//
// Every record starts with kFormatV1. Decoders never crash on hostile bytes:
// they return kCorruption. Associated data is a codec.h encoding (length-
// prefixed pieces) with a purpose label first, so no two wraps share an AD.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "brankas/crypto.h"
#include "brankas/status.h"
#include "brankas/types.h"

namespace brankas::keys_internal {

inline constexpr uint8_t kFormatV1 = 1;

// Meta column.
inline constexpr std::string_view kMetaUnit = "keys/unit";
inline constexpr std::string_view kMetaPassphrase = "keys/root/passphrase";
inline constexpr std::string_view kMetaShares = "keys/root/shares";
inline constexpr std::string_view kMetaCheck = "keys/root/check";
inline constexpr std::string_view kMetaSignPublic = "keys/node/sign_pk";
inline constexpr std::string_view kMetaSignSecret = "keys/node/sign_sk";
// Keys column.
inline constexpr std::string_view kIndexKey = "idx/key";
std::string KekKey(FieldClass cls, uint32_t version);  // "kek/<class>/<be32>"
std::string KekPrefix(FieldClass cls);                 // "kek/<class>/"
std::string KekCurrentKey(FieldClass cls);             // "kek-current/<class>"
inline constexpr std::string_view kDataKeyPrefix = "dk/";
std::string DataKeyKey(std::string_view case_id);      // "dk/<case_id>": all classes


// Upper bounds accepted from the store for Argon2 parameters, so a tampered
// record cannot make unsealing allocate terabytes.
inline constexpr uint64_t kMaxArgonOps = 64;
inline constexpr uint64_t kMaxArgonMem = 8ull << 30;

// v1 | bytes payload: unit, check value, public key, root-wrapped keys.
std::string EncodeBytesRecord(std::string_view payload);
Result<std::string> DecodeBytesRecord(std::string_view record, std::string_view what);

struct PassphraseRecord {
  std::string salt;
  Argon2Params params;
  std::string sealed_root;
};
std::string EncodePassphraseRecord(const PassphraseRecord& r);
Result<PassphraseRecord> DecodePassphraseRecord(std::string_view record);

struct SharesRecord {
  int threshold = 0;
  int count = 0;
};
std::string EncodeSharesRecord(const SharesRecord& r);
Result<SharesRecord> DecodeSharesRecord(std::string_view record);

std::string EncodeVersionRecord(uint32_t version);
Result<uint32_t> DecodeVersionRecord(std::string_view record);

// One class's wrapped data key; kek_version 0 means the class has none.
struct DataKeyRecord {
  uint32_t kek_version = 0;
  std::string sealed;
};
// The data keys of one case, one record for every class (a create writes one
// key-value pair instead of one per class), indexed by FieldClass:
//   v1 | u8 n | n * (u8 class | u32 kek_version | bytes sealed)
// Classes strictly increasing, each known, kek_version != 0.
using CaseKeysRecord = std::array<DataKeyRecord, kFieldClassCount>;
std::string EncodeCaseKeysRecord(const CaseKeysRecord& r);
Result<CaseKeysRecord> DecodeCaseKeysRecord(std::string_view record);

// Associated data / hash inputs.
std::string RootCheckInput(std::string_view unit);
// Keyed by the root key: the unit's statistics key (records "st/", derived, never stored).
std::string StatisticsKeyInput(std::string_view unit);
std::string PassphraseRootAd(std::string_view unit);
std::string SignKeyAd(std::string_view unit);
std::string IndexKeyAd(std::string_view unit);
std::string KekAd(std::string_view unit, FieldClass cls, uint32_t version);
std::string DataKeyAd(std::string_view unit, std::string_view case_id, FieldClass cls,
                      uint32_t kek_version);

}  // namespace brankas::keys_internal
