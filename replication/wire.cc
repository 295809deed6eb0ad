#include "replication/wire.h"

#include "brankas/changelog.h"
#include "brankas/codec.h"

namespace brankas::repl {
namespace {

constexpr uint32_t kMaxListItems = 1u << 22;

Status Malformed(const char* what) { return InvalidArgument(std::string("malformed ") + what + " message"); }

// The receipt's fields, shared by what is signed and what is stored.
void PutReceiptFields(const Receipt& r, Writer* w) {
  w->Bytes(r.unit);
  w->Bytes(r.generation);
  w->U64(r.changelog_seq);
  w->U64(r.checkpoint_seq);
  w->Bytes(r.checkpoint_hash);
  w->I64(r.time_us);
  w->Bytes(r.central_key);
}

// A list count that cannot exceed what the remaining bytes could hold.
bool GetCount(Reader* r, uint32_t min_item_bytes, uint32_t* n) {
  return r->U32(n) && *n <= kMaxListItems && *n <= r->Remaining() / min_item_bytes;
}

}  // namespace

void PutCursor(const Cursor& c, Writer* w) {
  w->Bytes(c.generation);
  w->U64(c.seq);
  w->Bytes(c.hash);
}

bool GetCursor(Reader* r, Cursor* c) {
  return r->Bytes(&c->generation) && r->U64(&c->seq) && r->Bytes(&c->hash) && c->generation.size() == 16 &&
         c->hash.size() == kHashSize;
}

const char* ErrorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kRefused: return "refused";
    case ErrorCode::kHalted: return "halted";
    case ErrorCode::kConflict: return "conflict";
    case ErrorCode::kRetired: return "retired_generation";
    case ErrorCode::kMalformed: return "malformed";
    case ErrorCode::kUnavailable: return "unavailable";
  }
  return "unknown";
}

std::string ReceiptMessage(const Receipt& r) {
  Writer w;
  w.Bytes("brankas-receipt-v1");
  PutReceiptFields(r, &w);
  return w.Take();
}

std::string EncodeReceipt(const Receipt& r) {
  Writer w;
  w.U8(1);
  PutReceiptFields(r, &w);
  w.Bytes(r.signature);
  return w.Take();
}

Result<Receipt> DecodeReceipt(std::string_view bytes) {
  Reader r(bytes);
  Receipt out;
  uint8_t format = 0;
  if (!r.U8(&format) || format != 1 || !r.Bytes(&out.unit) || !r.Bytes(&out.generation) ||
      !r.U64(&out.changelog_seq) || !r.U64(&out.checkpoint_seq) || !r.Bytes(&out.checkpoint_hash) ||
      !r.I64(&out.time_us) || !r.Bytes(&out.central_key) || !r.Bytes(&out.signature) || !r.Done() ||
      out.central_key.size() != kSignPublicKeySize || out.signature.size() != kSignatureSize) {
    return Malformed("receipt");
  }
  return out;
}

bool VerifyReceipt(const Receipt& r) { return VerifySignature(r.central_key, ReceiptMessage(r), r.signature); }

std::string Encode(const Hello& m) {
  Writer w;
  w.U8(m.version);
  w.Bytes(m.unit);
  w.Bytes(m.generation);
  w.U64(m.local_seq);
  return w.Take();
}

Result<Hello> DecodeHello(std::string_view payload) {
  Reader r(payload);
  Hello m;
  if (!r.U8(&m.version) || !r.Bytes(&m.unit) || !r.Bytes(&m.generation) || !r.U64(&m.local_seq) || !r.Done() ||
      m.generation.size() != 16 || m.unit.empty() || m.unit.size() > 64) {
    return Malformed("hello");
  }
  return m;
}

std::string Encode(const Cursor& m) {
  Writer w;
  PutCursor(m, &w);
  return w.Take();
}

Result<Cursor> DecodeCursor(std::string_view payload) {
  Reader r(payload);
  Cursor m;
  if (!GetCursor(&r, &m) || !r.Done()) return Malformed("cursor");
  return m;
}

std::string Encode(const Push& m) {
  Writer w;
  size_t total = 32;
  for (const auto& e : m.entries) total += e.size() + 4;
  w.Reserve(total);
  w.Bytes(m.generation);
  w.StringList(m.entries);
  return w.Take();
}

Result<Push> DecodePush(std::string_view payload) {
  Reader r(payload);
  Push m;
  uint32_t n = 0;
  if (!r.Bytes(&m.generation) || m.generation.size() != 16 || !GetCount(&r, 4, &n)) return Malformed("push");
  m.entries.resize(n);
  for (auto& e : m.entries) {
    if (!r.Bytes(&e)) return Malformed("push");
  }
  if (!r.Done()) return Malformed("push");
  return m;
}

std::string Encode(const Ack& m) {
  Writer w;
  w.U64(m.seq);
  w.Bytes(m.hash);
  w.U32(static_cast<uint32_t>(m.receipts.size()));
  for (const auto& rc : m.receipts) w.Bytes(EncodeReceipt(rc));
  return w.Take();
}

Result<Ack> DecodeAck(std::string_view payload) {
  Reader r(payload);
  Ack m;
  uint32_t n = 0;
  if (!r.U64(&m.seq) || !r.Bytes(&m.hash) || m.hash.size() != kHashSize || !GetCount(&r, 4, &n)) {
    return Malformed("ack");
  }
  for (uint32_t i = 0; i < n; ++i) {
    std::string bytes;
    if (!r.Bytes(&bytes)) return Malformed("ack");
    BRANKAS_ASSIGN_OR_RETURN(Receipt rc, DecodeReceipt(bytes));
    m.receipts.push_back(std::move(rc));
  }
  if (!r.Done()) return Malformed("ack");
  return m;
}

std::string Encode(const ErrorMsg& m) {
  Writer w;
  w.U8(static_cast<uint8_t>(m.code));
  w.Bytes(m.text);
  return w.Take();
}

Result<ErrorMsg> DecodeError(std::string_view payload) {
  Reader r(payload);
  ErrorMsg m;
  uint8_t code = 0;
  if (!r.U8(&code) || code < 1 || code > 6 || !r.Bytes(&m.text) || !r.Done() || m.text.size() > 1024) {
    return Malformed("error");
  }
  m.code = static_cast<ErrorCode>(code);
  return m;
}

std::string Encode(const Pull& m) {
  Writer w;
  w.Bytes(m.unit);
  return w.Take();
}

Result<Pull> DecodePull(std::string_view payload) {
  Reader r(payload);
  Pull m;
  if (!r.Bytes(&m.unit) || !r.Done() || m.unit.empty() || m.unit.size() > 64) return Malformed("pull");
  return m;
}

std::string Encode(const Chunk& m) {
  Writer w;
  w.U32(static_cast<uint32_t>(m.records.size()));
  for (const auto& rec : m.records) {
    w.U8(static_cast<uint8_t>(rec.column));
    w.Bytes(rec.key);
    w.Bytes(rec.value);
  }
  return w.Take();
}

Result<Chunk> DecodeChunk(std::string_view payload) {
  Reader r(payload);
  Chunk m;
  uint32_t n = 0;
  if (!GetCount(&r, 9, &n)) return Malformed("chunk");
  m.records.resize(n);
  for (auto& rec : m.records) {
    uint8_t column = 0;
    if (!r.U8(&column) || column >= kColumnCount || column == static_cast<uint8_t>(Column::kChangelog) ||
        !r.Bytes(&rec.key) || !r.Bytes(&rec.value)) {
      return Malformed("chunk");
    }
    rec.column = static_cast<Column>(column);
  }
  if (!r.Done()) return Malformed("chunk");
  return m;
}

std::string Encode(const End& m) {
  Writer w;
  PutCursor(m.cursor, &w);
  w.U64(m.count);
  w.Bytes(m.digest);
  return w.Take();
}

Result<End> DecodeEnd(std::string_view payload) {
  Reader r(payload);
  End m;
  if (!GetCursor(&r, &m.cursor) || !r.U64(&m.count) || !r.Bytes(&m.digest) || !r.Done() ||
      m.digest.size() != kHashSize) {
    return Malformed("end");
  }
  return m;
}

std::string Encode(const Fence& m) {
  Writer w;
  w.Bytes(m.old_generation);
  w.Bytes(m.new_generation);
  return w.Take();
}

Result<Fence> DecodeFence(std::string_view payload) {
  Reader r(payload);
  Fence m;
  if (!r.Bytes(&m.old_generation) || !r.Bytes(&m.new_generation) || !r.Done() || m.old_generation.size() != 16 ||
      m.new_generation.size() != 16 || m.old_generation == m.new_generation) {
    return Malformed("fence");
  }
  return m;
}

DigestBuilder::DigestBuilder() { hasher_.UpdateFramed("brankas-replicated-digest-v1"); }

void DigestBuilder::Add(Column column, std::string_view key, std::string_view value) {
  const char c = static_cast<char>(column);
  hasher_.UpdateFramed(std::string_view(&c, 1));
  hasher_.UpdateFramed(key);
  hasher_.UpdateFramed(value);
  ++count_;
}

std::string DigestBuilder::Finish() { return hasher_.Finish(); }

bool IsWellFormedEvidenceId(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

std::string Encode(const BlobProbe& m) {
  Writer w;
  w.Bytes(m.evidence_id);
  return w.Take();
}

Result<BlobProbe> DecodeBlobProbe(std::string_view payload) {
  Reader r(payload);
  BlobProbe m;
  if (!r.Bytes(&m.evidence_id) || !r.Done() || !IsWellFormedEvidenceId(m.evidence_id)) return Malformed("blob probe");
  return m;
}

std::string Encode(const BlobHeld& m) {
  Writer w;
  w.Bytes(m.evidence_id);
  w.U64(m.chunks);
  return w.Take();
}

Result<BlobHeld> DecodeBlobHeld(std::string_view payload) {
  Reader r(payload);
  BlobHeld m;
  if (!r.Bytes(&m.evidence_id) || !r.U64(&m.chunks) || !r.Done() || !IsWellFormedEvidenceId(m.evidence_id)) {
    return Malformed("blob held");
  }
  return m;
}

std::string Encode(const Blob& m) {
  Writer w;
  w.Reserve(m.evidence_id.size() + m.bytes.size() + 32);
  w.Bytes(m.evidence_id);
  w.U64(m.index);
  w.U32(m.offset);
  w.U32(m.total);
  w.Bytes(m.bytes);
  return w.Take();
}

Result<Blob> DecodeBlob(std::string_view payload) {
  Reader r(payload);
  Blob m;
  if (!r.Bytes(&m.evidence_id) || !r.U64(&m.index) || !r.U32(&m.offset) || !r.U32(&m.total) || !r.Bytes(&m.bytes) ||
      !r.Done() || !IsWellFormedEvidenceId(m.evidence_id) || m.total == 0 || m.total > kMaxBlobBytes ||
      m.bytes.empty() || m.offset > m.total || m.bytes.size() > m.total - m.offset) {
    return Malformed("blob");
  }
  return m;
}

std::string Encode(const InboxPull& m) {
  Writer w;
  w.U64(m.after_seq);
  return w.Take();
}

Result<InboxPull> DecodeInboxPull(std::string_view payload) {
  Reader r(payload);
  InboxPull m;
  if (!r.U64(&m.after_seq) || !r.Done()) return Malformed("inbox pull");
  return m;
}

namespace {
void PutInboxItem(const InboxItem& m, Writer* w) {
  w->U64(m.seq);
  w->Bytes(m.from_unit);
  w->Bytes(m.referral_id);
  w->Bytes(m.record);
}
bool GetInboxItem(Reader* r, InboxItem* m) {
  return r->U64(&m->seq) && r->Bytes(&m->from_unit) && r->Bytes(&m->referral_id) && r->Bytes(&m->record) &&
         !m->from_unit.empty() && m->from_unit.size() <= 64 && IsWellFormedEvidenceId(m->referral_id);
}
}  // namespace

std::string EncodeInboxItem(const InboxItem& m) {
  Writer w;
  PutInboxItem(m, &w);
  return w.Take();
}

Result<InboxItem> DecodeInboxItem(std::string_view bytes) {
  Reader r(bytes);
  InboxItem m;
  if (!GetInboxItem(&r, &m) || !r.Done()) return Malformed("inbox item");
  return m;
}

std::string Encode(const Inbox& m) {
  Writer w;
  w.U32(static_cast<uint32_t>(m.items.size()));
  for (const InboxItem& item : m.items) PutInboxItem(item, &w);
  return w.Take();
}

Result<Inbox> DecodeInbox(std::string_view payload) {
  Reader r(payload);
  Inbox m;
  uint32_t n = 0;
  if (!GetCount(&r, 24, &n)) return Malformed("inbox");
  m.items.resize(n);
  for (InboxItem& item : m.items) {
    if (!GetInboxItem(&r, &item)) return Malformed("inbox");
  }
  if (!r.Done()) return Malformed("inbox");
  return m;
}

bool IsReplicated(Column column, std::string_view key) {
  if (column == Column::kChangelog) return false;
  Mutation m;
  m.column = column;
  m.key = std::string(key);
  return !IsNodeLocal(m);
}

Status ForEachReplicated(Store& store, std::string_view prefix,
                         const std::function<bool(Column, std::string_view, std::string_view)>& fn) {
  for (int c = 0; c < kColumnCount; ++c) {
    const Column column = static_cast<Column>(c);
    if (column == Column::kChangelog) continue;
    bool stopped = false;
    BRANKAS_RETURN_IF_ERROR(store.Scan(column, prefix, "", [&](std::string_view key, std::string_view value) {
      std::string_view k = key.substr(prefix.size());
      if (!IsReplicated(column, k)) return true;
      if (!fn(column, k, value)) {
        stopped = true;
        return false;
      }
      return true;
    }));
    if (stopped) break;
  }
  return Status::Ok();
}

Result<DigestResult> ReplicatedDigest(Store& store, std::string_view prefix) {
  DigestBuilder digest;
  BRANKAS_RETURN_IF_ERROR(ForEachReplicated(store, prefix, [&](Column c, std::string_view k, std::string_view v) {
    digest.Add(c, k, v);
    return true;
  }));
  DigestResult out;
  out.count = digest.count();
  out.digest = digest.Finish();
  return out;
}

}  // namespace brankas::repl
