// Stored formats of the audit trail: entries, checkpoints, the signed head.
// See brankas/audit.h for the byte layouts.
#include <string>
#include <string_view>

#include "brankas/audit.h"
#include "brankas/codec.h"
#include "brankas/crypto.h"
#include "brankas/store.h"

namespace brankas {
namespace {

constexpr std::string_view kCheckpointDomain = "brankas-checkpoint-v1";
constexpr std::string_view kHeadDomain = "brankas-audit-head-v1";

// Everything but the trailing hash: the canonical form that is hashed.
void WriteCanonical(const AuditEntry& e, Writer* w) {
  w->U8(kAuditEntryVersion);
  w->U64(e.seq);
  w->I64(e.time_us);
  w->Bytes(e.node);
  w->Bytes(e.actor);
  w->Bytes(e.role);
  w->Bytes(e.action);
  w->Bytes(e.case_id);
  w->StringList(e.fields);
  w->Bytes(e.decision);
  w->Bytes(e.rule);
  w->Bytes(e.grant_id);
  w->Bytes(e.request_id);
  w->Bytes(e.client);
  w->Bytes(e.detail);
  w->Bool(e.flagged);
  w->Bytes(e.prev_hash);
}

std::string SeqKey(std::string_view prefix, uint64_t seq) {
  std::string key(prefix);
  PutBigEndian64(&key, seq);
  return key;
}

// Checkpoints and heads share one shape; they differ in version constant and domain.
struct SignedPoint {
  uint64_t* seq;
  std::string* hash;
  int64_t* time_us;
  std::string* node;
  std::string* signature;
};

std::string EncodeSignedPoint(uint8_t version, uint64_t seq, std::string_view hash, int64_t time_us,
                              std::string_view node, std::string_view signature) {
  Writer w;
  w.U8(version);
  w.U64(seq);
  w.Bytes(hash);
  w.I64(time_us);
  w.Bytes(node);
  w.Bytes(signature);
  return w.Take();
}

Status DecodeSignedPoint(std::string_view bytes, uint8_t version, const char* what,
                         const SignedPoint& out) {
  Reader r(bytes);
  uint8_t v = 0;
  if (!r.U8(&v)) return Corruption(std::string(what) + ": empty");
  if (v != version) return Corruption(std::string(what) + ": unknown format version");
  if (!r.U64(out.seq) || !r.Bytes(out.hash) || !r.I64(out.time_us) || !r.Bytes(out.node) ||
      !r.Bytes(out.signature)) {
    return Corruption(std::string(what) + ": truncated or malformed");
  }
  if (!r.Done()) return Corruption(std::string(what) + ": trailing bytes");
  if (out.hash->size() != kHashSize) return Corruption(std::string(what) + ": bad hash size");
  if (out.signature->size() != kSignatureSize) {
    return Corruption(std::string(what) + ": bad signature size");
  }
  return Status::Ok();
}

std::string SignedPointMessage(std::string_view domain, uint64_t seq, std::string_view hash,
                               int64_t time_us, std::string_view node) {
  Writer w;
  w.str().append(domain);
  w.U64(seq);
  w.Bytes(hash);
  w.I64(time_us);
  w.Bytes(node);
  return w.Take();
}

}  // namespace

std::string AuditEntryKey(uint64_t seq) { return SeqKey(kAuditEntryPrefix, seq); }
std::string AuditCheckpointKey(uint64_t seq) { return SeqKey(kAuditCheckpointPrefix, seq); }

std::string EncodeAuditEntry(const AuditEntry& entry) {
  Writer w;
  WriteCanonical(entry, &w);
  w.Bytes(entry.hash);
  return w.Take();
}

Result<AuditEntry> DecodeAuditEntry(std::string_view bytes) {
  Reader r(bytes);
  uint8_t version = 0;
  if (!r.U8(&version)) return Corruption("audit entry: empty");
  if (version != kAuditEntryVersion) return Corruption("audit entry: unknown format version");
  AuditEntry e;
  bool ok = r.U64(&e.seq) && r.I64(&e.time_us) && r.Bytes(&e.node) && r.Bytes(&e.actor) &&
            r.Bytes(&e.role) && r.Bytes(&e.action) && r.Bytes(&e.case_id) &&
            r.StringList(&e.fields) && r.Bytes(&e.decision) && r.Bytes(&e.rule) &&
            r.Bytes(&e.grant_id) && r.Bytes(&e.request_id) && r.Bytes(&e.client) &&
            r.Bytes(&e.detail) && r.Bool(&e.flagged) && r.Bytes(&e.prev_hash) && r.Bytes(&e.hash);
  if (!ok) return Corruption("audit entry: truncated or malformed");
  if (!r.Done()) return Corruption("audit entry: trailing bytes");
  if (e.seq == 0) return Corruption("audit entry: sequence 0");
  if (e.prev_hash.size() != kHashSize || e.hash.size() != kHashSize) {
    return Corruption("audit entry: bad hash size");
  }
  return e;
}

std::string ComputeEntryHash(const AuditEntry& entry) {
  Writer w;
  WriteCanonical(entry, &w);
  Hasher h;
  h.Update(entry.prev_hash);
  h.Update(w.str());
  return h.Finish();
}

std::string EncodeCheckpoint(const Checkpoint& c) {
  return EncodeSignedPoint(kCheckpointVersion, c.seq, c.hash, c.time_us, c.node, c.signature);
}

Result<Checkpoint> DecodeCheckpoint(std::string_view bytes) {
  Checkpoint c;
  BRANKAS_RETURN_IF_ERROR(
      DecodeSignedPoint(bytes, kCheckpointVersion, "audit checkpoint",
                        SignedPoint{&c.seq, &c.hash, &c.time_us, &c.node, &c.signature}));
  return c;
}

std::string CheckpointMessage(const Checkpoint& c) {
  return SignedPointMessage(kCheckpointDomain, c.seq, c.hash, c.time_us, c.node);
}

std::string EncodeAuditHead(const AuditHead& h) {
  return EncodeSignedPoint(kAuditHeadVersion, h.seq, h.hash, h.time_us, h.node, h.signature);
}

Result<AuditHead> DecodeAuditHead(std::string_view bytes) {
  AuditHead h;
  BRANKAS_RETURN_IF_ERROR(
      DecodeSignedPoint(bytes, kAuditHeadVersion, "audit head",
                        SignedPoint{&h.seq, &h.hash, &h.time_us, &h.node, &h.signature}));
  return h;
}

std::string AuditHeadMessage(const AuditHead& h) {
  return SignedPointMessage(kHeadDomain, h.seq, h.hash, h.time_us, h.node);
}

}  // namespace brankas
