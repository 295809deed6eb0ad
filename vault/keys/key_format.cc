#include "keys/key_format.h"

#include "brankas/codec.h"

namespace brankas::keys_internal {
namespace {

Status Malformed(std::string_view what) {
  return Corruption("stored " + std::string(what) + " record is malformed");
}

// Reads the version byte; false if it is missing or unknown.
bool ReadVersion(Reader& r) {
  uint8_t v = 0;
  return r.U8(&v) && v == kFormatV1;
}

std::string Ad(std::string_view purpose, std::string_view unit) {
  Writer w;
  w.Bytes(purpose);
  w.Bytes(unit);
  return w.Take();
}

}  // namespace

std::string KekPrefix(FieldClass cls) { return "kek/" + std::string(FieldClassName(cls)) + "/"; }

std::string KekKey(FieldClass cls, uint32_t version) {
  std::string key = KekPrefix(cls);
  for (int shift = 24; shift >= 0; shift -= 8) key.push_back(static_cast<char>(version >> shift));
  return key;
}

std::string KekCurrentKey(FieldClass cls) {
  return "kek-current/" + std::string(FieldClassName(cls));
}

std::string DataKeyKey(std::string_view case_id) {
  std::string key(kDataKeyPrefix);
  key.append(case_id);
  return key;
}

std::string EncodeBytesRecord(std::string_view payload) {
  Writer w;
  w.U8(kFormatV1);
  w.Bytes(payload);
  return w.Take();
}

Result<std::string> DecodeBytesRecord(std::string_view record, std::string_view what) {
  Reader r(record);
  std::string payload;
  if (!ReadVersion(r) || !r.Bytes(&payload) || !r.Done()) return Malformed(what);
  return payload;
}

std::string EncodePassphraseRecord(const PassphraseRecord& p) {
  Writer w;
  w.U8(kFormatV1);
  w.Bytes(p.salt);
  w.U64(p.params.ops_limit);
  w.U64(p.params.mem_limit);
  w.Bytes(p.sealed_root);
  return w.Take();
}

Result<PassphraseRecord> DecodePassphraseRecord(std::string_view record) {
  Reader r(record);
  PassphraseRecord p;
  if (!ReadVersion(r) || !r.Bytes(&p.salt) || !r.U64(&p.params.ops_limit) ||
      !r.U64(&p.params.mem_limit) || !r.Bytes(&p.sealed_root) || !r.Done()) {
    return Malformed("passphrase");
  }
  if (p.salt.size() != kArgon2SaltSize || p.params.ops_limit == 0 ||
      p.params.ops_limit > kMaxArgonOps || p.params.mem_limit == 0 ||
      p.params.mem_limit > kMaxArgonMem || p.sealed_root.size() != kAeadNonceSize + kKeySize + kAeadTagSize) {
    return Malformed("passphrase");
  }
  return p;
}

std::string EncodeSharesRecord(const SharesRecord& s) {
  Writer w;
  w.U8(kFormatV1);
  w.U8(static_cast<uint8_t>(s.threshold));
  w.U8(static_cast<uint8_t>(s.count));
  return w.Take();
}

Result<SharesRecord> DecodeSharesRecord(std::string_view record) {
  Reader r(record);
  uint8_t threshold = 0;
  uint8_t count = 0;
  if (!ReadVersion(r) || !r.U8(&threshold) || !r.U8(&count) || !r.Done() || threshold == 0 ||
      threshold > count) {
    return Malformed("recovery share");
  }
  return SharesRecord{threshold, count};
}

std::string EncodeVersionRecord(uint32_t version) {
  Writer w;
  w.U8(kFormatV1);
  w.U32(version);
  return w.Take();
}

Result<uint32_t> DecodeVersionRecord(std::string_view record) {
  Reader r(record);
  uint32_t v = 0;
  if (!ReadVersion(r) || !r.U32(&v) || !r.Done() || v == 0) return Malformed("KEK version");
  return v;
}

std::string EncodeCaseKeysRecord(const CaseKeysRecord& r) {
  uint8_t n = 0;
  size_t bytes = 2;
  for (const auto& k : r) {
    if (k.kek_version == 0) continue;
    ++n;
    bytes += 1 + 4 + 4 + k.sealed.size();
  }
  Writer w;
  w.Reserve(bytes);
  w.U8(kFormatV1);
  w.U8(n);
  for (size_t cls = 0; cls < r.size(); ++cls) {
    if (r[cls].kek_version == 0) continue;
    w.U8(static_cast<uint8_t>(cls));
    w.U32(r[cls].kek_version);
    w.Bytes(r[cls].sealed);
  }
  return w.Take();
}

Result<CaseKeysRecord> DecodeCaseKeysRecord(std::string_view record) {
  Reader r(record);
  CaseKeysRecord out;
  uint8_t n = 0;
  if (!ReadVersion(r) || !r.U8(&n) || n > kFieldClassCount) return Malformed("data key");
  int previous = -1;
  for (uint8_t i = 0; i < n; ++i) {
    uint8_t cls = 0;
    DataKeyRecord k;
    if (!r.U8(&cls) || cls >= kFieldClassCount || static_cast<int>(cls) <= previous ||
        !r.U32(&k.kek_version) || k.kek_version == 0 || !r.Bytes(&k.sealed)) {
      return Malformed("data key");
    }
    previous = cls;
    out[cls] = std::move(k);
  }
  if (!r.Done()) return Malformed("data key");
  return out;
}

std::string RootCheckInput(std::string_view unit) { return Ad("brankas/root-check/v1", unit); }
std::string StatisticsKeyInput(std::string_view unit) { return Ad("brankas/statistics-key/v1", unit); }
std::string PassphraseRootAd(std::string_view unit) { return Ad("brankas/root/passphrase", unit); }
std::string SignKeyAd(std::string_view unit) { return Ad("brankas/node/sign-key", unit); }
std::string IndexKeyAd(std::string_view unit) { return Ad("brankas/index-key", unit); }

std::string KekAd(std::string_view unit, FieldClass cls, uint32_t version) {
  Writer w;
  w.Bytes("brankas/kek");
  w.Bytes(unit);
  w.U8(static_cast<uint8_t>(cls));
  w.U32(version);
  return w.Take();
}

std::string DataKeyAd(std::string_view unit, std::string_view case_id, FieldClass cls,
                      uint32_t kek_version) {
  Writer w;
  w.Bytes("brankas/data-key");
  w.Bytes(unit);
  w.Bytes(case_id);
  w.U8(static_cast<uint8_t>(cls));
  w.U32(kek_version);
  return w.Take();
}

}  // namespace brankas::keys_internal
