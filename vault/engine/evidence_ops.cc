// Evidence attachments (brankas/evidence.h): streamed intake and reading,
// authorized on the case's `legal_evidence` class, every step audited.
#include <algorithm>

#include "brankas/codec.h"
#include "brankas/evidence.h"
#include "engine/vault_impl.h"

namespace brankas {
namespace {

constexpr std::string_view kAddAction = "evidence.add";
constexpr std::string_view kGetAction = "evidence.get";
constexpr std::string_view kListAction = "evidence.list";
constexpr uint8_t kRecordFormat = 1;
constexpr size_t kMaxNameBytes = 255;
constexpr size_t kMaxContentTypeBytes = 127;
// A case's attachments listed at most (a list is one scan and one unwrap each).
constexpr size_t kMaxListed = 10'000;

std::string RecordKey(std::string_view case_id, std::string_view evidence_id) {
  std::string k = "e/";
  k.append(case_id).append("/").append(evidence_id);
  return k;
}
std::string RecordPrefix(std::string_view case_id) { return "e/" + std::string(case_id) + "/"; }
std::string ChunkKey(std::string_view evidence_id, uint64_t index) { return EvidenceChunkKey(evidence_id, index); }

// What each seal is for, bound as associated data: a wrapped key or a sealed
// name cannot be moved to another unit, case or attachment.
std::string Ad(std::string_view what, std::string_view unit, std::string_view case_id,
               std::string_view evidence_id) {
  Writer w;
  w.Bytes(what);
  w.Bytes(unit);
  w.Bytes(case_id);
  w.Bytes(evidence_id);
  return w.Take();
}

struct Record {
  EvidenceInfo info;          // name not set: it is sealed
  std::string sealed_name;
  uint32_t chunk_bytes = 0;
  uint64_t chunks = 0;
  std::string wrapped_key;    // the file key under the case's legal_evidence data key
  std::string stream_header;
};

std::string EncodeRecord(const Record& r) {
  Writer w;
  w.U8(kRecordFormat);
  w.U64(1);  // record version (committer expectations): attachments are immutable
  w.Bytes(r.info.evidence_id);
  w.Bytes(r.info.case_id);
  w.Bytes(r.sealed_name);
  w.Bytes(r.info.content_type);
  w.U64(r.info.size);
  w.Bytes(r.info.sha256);
  w.Bytes(r.info.added_by);
  w.Bytes(r.info.added_from);
  w.I64(r.info.added_us);
  w.U32(r.chunk_bytes);
  w.U64(r.chunks);
  w.Bytes(r.wrapped_key);
  w.Bytes(r.stream_header);
  return w.Take();
}

Result<Record> DecodeRecord(std::string_view bytes) {
  Reader rd(bytes);
  Record r;
  uint8_t format = 0;
  uint64_t version = 0;
  rd.U8(&format);
  rd.U64(&version);
  rd.Bytes(&r.info.evidence_id);
  rd.Bytes(&r.info.case_id);
  rd.Bytes(&r.sealed_name);
  rd.Bytes(&r.info.content_type);
  rd.U64(&r.info.size);
  rd.Bytes(&r.info.sha256);
  rd.Bytes(&r.info.added_by);
  rd.Bytes(&r.info.added_from);
  rd.I64(&r.info.added_us);
  rd.U32(&r.chunk_bytes);
  rd.U64(&r.chunks);
  rd.Bytes(&r.wrapped_key);
  rd.Bytes(&r.stream_header);
  if (!rd.Done() || format != kRecordFormat || version != 1 || r.info.sha256.size() != kSha256Size ||
      r.chunk_bytes == 0 || r.chunks == 0 || r.stream_header.size() != kStreamHeaderSize ||
      // Every chunk but the last is full; the last holds 0..chunk_bytes bytes.
      r.info.size > r.chunks * r.chunk_bytes || (r.chunks - 1) * r.chunk_bytes > r.info.size ||
      (r.chunks > 1 && (r.chunks - 1) * r.chunk_bytes == r.info.size)) {
    return Corruption("malformed evidence record");
  }
  return r;
}

bool IsValidName(std::string_view name) {
  if (name.empty() || name.size() > kMaxNameBytes || !IsValidUtf8(name)) return false;
  return std::none_of(name.begin(), name.end(), [](char c) {
    return static_cast<unsigned char>(c) < 0x20 || c == 0x7f || c == '/' || c == '\\';
  });
}

// type "/" subtype of RFC 6838 restricted-name characters, no parameters.
bool IsValidContentType(std::string_view t) {
  if (t.empty() || t.size() > kMaxContentTypeBytes) return false;
  size_t slash = t.find('/');
  if (slash == 0 || slash == std::string_view::npos || slash + 1 == t.size() ||
      t.find('/', slash + 1) != std::string_view::npos) {
    return false;
  }
  return std::all_of(t.begin(), t.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           std::string_view("!#$&^_.+-/").find(c) != std::string_view::npos;
  });
}

std::string Detail(std::string_view evidence_id) { return "evidence=" + std::string(evidence_id); }

// The case and the decision on its legal_evidence class for `action`; refusals
// are audited under `audit_action`.
struct Authorized {
  CaseMeta meta;
  Decision decision;
};
Result<Authorized> Authorize(Vault::Impl& impl, const RequestContext& rc, std::string_view audit_action,
                             std::string_view case_id, Action action, std::string_view evidence_id) {
  BRANKAS_RETURN_IF_ERROR(impl.RequireUnsealed());
  auto refuse = [&](const Status& s, std::string_view rule = {}) {
    return impl.Refuse(rc, audit_action, case_id, s, evidence_id.empty() ? std::vector<std::string>{}
                                                                         : std::vector<std::string>{Detail(evidence_id)},
                       rule);
  };
  auto meta = impl.LoadCase(case_id);
  if (!meta.ok()) return refuse(meta.status());
  if (meta->shredded) return refuse(NotFound("the case was crypto-shredded"));
  if ((meta->shredded_classes & (1u << static_cast<unsigned>(FieldClass::kLegalEvidence))) != 0) {
    return refuse(NotFound("the case's legal evidence was crypto-shredded"));
  }
  BRANKAS_ASSIGN_OR_RETURN(auto grants, impl.GrantsOf(case_id));
  Decision d = impl.policy.Decide(rc.principal, action, FieldClass::kLegalEvidence, impl.ContextOf(*meta), grants,
                                  impl.NowSeconds());
  if (!d.allowed) {
    return refuse(PermissionDenied(action == Action::kWrite ? "you may not add evidence to this case"
                                                            : "you may not read the evidence of this case"),
                  d.rule);
  }
  return Authorized{std::move(*meta), std::move(d)};
}

}  // namespace

std::string EvidenceChunkPrefix(std::string_view evidence_id) { return "c/" + std::string(evidence_id) + "/"; }
std::string EvidenceChunkKey(std::string_view evidence_id, uint64_t index) {
  std::string k = EvidenceChunkPrefix(evidence_id);
  PutBigEndian64(&k, index);
  return k;
}
std::string_view EvidenceIdOfRecordKey(std::string_view key) {
  if (key.substr(0, 2) != "e/") return {};
  const size_t slash = key.rfind('/');
  if (slash < 2 || slash + 1 >= key.size()) return {};
  return key.substr(slash + 1);
}

// ---- Upload -----------------------------------------------------------------

namespace {

constexpr std::string_view kUploadMarkerPrefix = "local/upload/";
// The most chunks an upload limited to max_bytes can write (a marker's value).
constexpr uint64_t UploadChunkBound(uint64_t max_bytes) { return max_bytes / kEvidenceChunkBytes + 2; }
constexpr uint64_t kMaxUploadChunks = UploadChunkBound(kMaxEvidenceBytesLimit);
std::string UploadMarkerKey(std::string_view evidence_id) {
  return std::string(kUploadMarkerPrefix) + std::string(evidence_id);
}

}  // namespace

Status SweepUnfinishedUploads(Store& store) {
  // The marker holds a bound on the upload's chunk count (from its size
  // limit): the chunks are deleted by key, without reading a byte of them.
  std::vector<std::pair<std::string, uint64_t>> unfinished;
  Status scanned = store.Scan(Column::kMeta, kUploadMarkerPrefix, {}, [&](std::string_view key, std::string_view value) {
    uint64_t bound = value.size() == 8 ? GetBigEndian64(value) : 0;
    unfinished.emplace_back(std::string(key.substr(kUploadMarkerPrefix.size())), bound);
    return unfinished.size() < 100'000;
  });
  BRANKAS_RETURN_IF_ERROR(scanned);
  for (auto& [evidence_id, bound] : unfinished) {
    // A malformed marker: every chunk an upload can have.
    if (bound == 0 || bound > kMaxUploadChunks) bound = kMaxUploadChunks;
    constexpr uint64_t kDeletesPerWrite = 4096;
    for (uint64_t from = 0; from < bound; from += kDeletesPerWrite) {
      Batch b;
      for (uint64_t i = from; i < std::min(bound, from + kDeletesPerWrite); ++i) {
        b.Delete(Column::kEvidence, ChunkKey(evidence_id, i));
      }
      BRANKAS_RETURN_IF_ERROR(store.Write(b, Durability::kNoSync));
    }
    Batch done;
    done.Delete(Column::kMeta, UploadMarkerKey(evidence_id));
    // Synced: the chunk deletes before it are in the same WAL, so they are
    // durable too (or the marker is still there for the next open).
    BRANKAS_RETURN_IF_ERROR(store.Write(done, Durability::kSync));
  }
  return Status::Ok();
}

struct EvidenceUpload::State {
  Vault::Impl* impl = nullptr;
  RequestContext rc;
  Decision decision;
  Record record;
  uint64_t max_bytes = 0;
  std::unique_ptr<StreamSealer> sealer;
  Sha256 sha;
  std::string buffer;   // plaintext of the chunk being filled
  std::string sealed;   // scratch for one sealed chunk
  uint64_t written = 0; // chunks in the store
  bool finished = false, aborted = false;

  Status EmitChunk(bool final) {
    sealer->Seal(buffer, final, &sealed);
    Batch b;
    b.Put(Column::kEvidence, ChunkKey(record.info.evidence_id, written), std::move(sealed));
    sealed = std::string();
    // Not in the WAL (the bytes would be written, checksummed and synced
    // twice): Finish flushes the evidence column to fsync'd blob files before
    // it commits the record that refers to them. A crash before that loses
    // the chunks of an upload nobody was told had succeeded.
    BRANKAS_RETURN_IF_ERROR(impl->store->Write(b, Durability::kUnlogged));
    ++written;
    buffer.clear();
    return Status::Ok();
  }
};

EvidenceUpload::EvidenceUpload(std::unique_ptr<State> state) : state_(std::move(state)) {}

EvidenceUpload::~EvidenceUpload() {
  if (state_ && !state_->finished && !state_->aborted) {
    Abort(Unavailable("the upload ended before its last byte"));
  }
}

uint64_t EvidenceUpload::size() const { return state_->record.info.size; }

Status EvidenceUpload::Append(std::string_view bytes) {
  State& s = *state_;
  if (s.finished || s.aborted) return FailedPrecondition("the upload is over");
  if (bytes.size() > s.max_bytes - s.record.info.size) {
    Status too_large = TooLarge("the attachment is larger than " + std::to_string(s.max_bytes) + " bytes");
    Abort(too_large);
    return too_large;
  }
  const size_t chunk = s.record.chunk_bytes;
  while (!bytes.empty()) {
    // A full chunk is sealed only once more data follows it, so the last
    // chunk (sealed FINAL by Finish) is never empty unless the file is.
    if (s.buffer.size() == chunk) {
      Status st = s.EmitChunk(false);
      if (!st.ok()) {
        Abort(st);
        return st;
      }
    }
    const size_t n = std::min(bytes.size(), chunk - s.buffer.size());
    s.buffer.append(bytes.data(), n);
    s.sha.Update(bytes.substr(0, n));
    s.record.info.size += n;
    bytes.remove_prefix(n);
  }
  return Status::Ok();
}

Result<EvidenceInfo> EvidenceUpload::Finish() {
  State& s = *state_;
  if (s.finished || s.aborted) return FailedPrecondition("the upload is over");
  Vault::Impl& impl = *s.impl;
  auto fail = [&](const Status& st) -> Status {
    Abort(st);
    return st;
  };
  if (Status st = s.EmitChunk(true); !st.ok()) return fail(st);
  if (Status st = impl.store->FlushColumn(Column::kEvidence); !st.ok()) return fail(st);
  s.record.chunks = s.written;
  s.record.info.sha256 = s.sha.Finish();
  s.record.info.added_us = impl.now_us();
  const std::string& case_id = s.record.info.case_id;
  // The case may have changed while the bytes arrived.
  auto meta = impl.LoadCase(case_id);
  if (!meta.ok()) return fail(meta.status());
  if (meta->shredded || (meta->shredded_classes & (1u << static_cast<unsigned>(FieldClass::kLegalEvidence))) != 0) {
    return fail(NotFound("the case's evidence was crypto-shredded during the upload"));
  }
  if (meta->closed) return fail(FailedPrecondition("the case was closed during the upload"));

  CommitRequest req;
  const std::string key = RecordKey(case_id, s.record.info.evidence_id);
  req.batch.Put(Column::kRecords, key, EncodeRecord(s.record));
  req.batch.Delete(Column::kMeta, UploadMarkerKey(s.record.info.evidence_id));  // node-local: not shipped
  req.expectations.push_back({Column::kRecords, key, 0, 1});
  AuditEntry e = impl.Entry(s.rc, kAddAction, case_id, "allow");
  e.fields = {Detail(s.record.info.evidence_id)};
  e.rule = s.decision.rule;
  e.grant_id = s.decision.grant_id;
  // The intake record of the attachment: its size and plaintext hash, bound
  // into the hash chain with who, when and from where.
  e.detail = "size=" + std::to_string(s.record.info.size) + " sha256=" + ToHex(s.record.info.sha256);
  req.audit.push_back(std::move(e));
  auto committed = impl.committer->Commit(std::move(req));
  if (!committed.ok()) return fail(committed.status());
  s.finished = true;
  s.sealer.reset();
  WipeString(s.buffer);
  return s.record.info;
}

void EvidenceUpload::Abort(const Status& why) {
  State& s = *state_;
  if (s.finished || s.aborted) return;
  s.aborted = true;
  s.sealer.reset();
  WipeString(s.buffer);
  Batch b;
  for (uint64_t i = 0; i < s.written; ++i) b.Delete(Column::kEvidence, ChunkKey(s.record.info.evidence_id, i));
  // After the chunk deletes, in the same write: if it is lost in a crash, the
  // marker is still there and the next open sweeps the chunks.
  b.Delete(Column::kMeta, UploadMarkerKey(s.record.info.evidence_id));
  s.impl->store->Write(b, Durability::kNoSync).IgnoreError();
  s.impl->Refuse(s.rc, kAddAction, s.record.info.case_id, why, {Detail(s.record.info.evidence_id)}).IgnoreError();
}

Result<std::unique_ptr<EvidenceUpload>> Vault::BeginEvidence(const RequestContext& rc, std::string_view case_id,
                                                             std::string_view name, std::string_view content_type,
                                                             uint64_t max_bytes) {
  Impl& impl = *impl_;
  if (max_bytes == 0 || max_bytes > kMaxEvidenceBytesLimit) {
    return InvalidArgument("the attachment size limit must be 1 byte to 1 TiB");
  }
  BRANKAS_ASSIGN_OR_RETURN(Authorized a, Authorize(impl, rc, kAddAction, case_id, Action::kWrite, {}));
  if (a.meta.closed) return impl.Refuse(rc, kAddAction, case_id, FailedPrecondition("the case is closed: reopen it first"));
  if (!IsValidName(name)) {
    return impl.Refuse(rc, kAddAction, case_id,
                       InvalidArgument("the file name must be 1-255 bytes of UTF-8 without control characters or slashes"));
  }
  if (!IsValidContentType(content_type)) {
    return impl.Refuse(rc, kAddAction, case_id, InvalidArgument("the content type must look like type/subtype"));
  }
  auto data_key = impl.keys->DataKey(case_id, FieldClass::kLegalEvidence);
  if (!data_key.ok()) return impl.Refuse(rc, kAddAction, case_id, data_key.status());

  auto state = std::make_unique<EvidenceUpload::State>();
  state->impl = &impl;
  state->rc = rc;
  state->decision = std::move(a.decision);
  state->max_bytes = max_bytes;
  EvidenceInfo& info = state->record.info;
  info.evidence_id = NewCaseId("EV");
  info.case_id = std::string(case_id);
  info.content_type = std::string(content_type);
  info.name = std::string(name);
  info.added_by = rc.principal.user;
  info.added_from = rc.client;
  SecretKey file_key = SecretKey::Random();
  state->record.wrapped_key = AeadSeal(**data_key, file_key.view(), Ad("evidence-key", impl.unit, case_id, info.evidence_id));
  state->record.sealed_name = AeadSeal(**data_key, name, Ad("evidence-name", impl.unit, case_id, info.evidence_id));
  state->record.chunk_bytes = kEvidenceChunkBytes;
  state->sealer = std::make_unique<StreamSealer>(file_key);
  state->record.stream_header = state->sealer->header();
  state->buffer.reserve(kEvidenceChunkBytes);
  // Durable before the first chunk can reach a blob file (chunks skip the
  // WAL): a crash from here on leaves the marker for the sweep at open.
  Batch marker;
  std::string bound;
  PutBigEndian64(&bound, UploadChunkBound(max_bytes));
  marker.Put(Column::kMeta, UploadMarkerKey(info.evidence_id), std::move(bound));
  if (Status st = impl.store->Write(marker, Durability::kSync); !st.ok()) {
    return impl.Refuse(rc, kAddAction, case_id, Unavailable("the upload could not be started: " + st.message()));
  }
  return std::make_unique<EvidenceUpload>(std::move(state));
}

// ---- Reading ----------------------------------------------------------------

struct EvidenceReader::State {
  Vault::Impl* impl = nullptr;
  RequestContext rc;
  Record record;
  StreamOpener opener;
  Sha256 sha;
  uint64_t next = 0;   // the next chunk to read
  uint64_t bytes = 0;  // plaintext returned so far
  bool done = false, failed = false;

  Status Fail(const Status& st) {
    failed = true;
    return impl->Refuse(rc, kGetAction, record.info.case_id, st, {Detail(record.info.evidence_id)});
  }
};

EvidenceReader::EvidenceReader(std::unique_ptr<State> state) : state_(std::move(state)) {}
EvidenceReader::~EvidenceReader() = default;
const EvidenceInfo& EvidenceReader::info() const { return state_->record.info; }

Result<bool> EvidenceReader::Next(std::string* out) {
  State& s = *state_;
  out->clear();
  if (s.failed) return FailedPrecondition("the read already failed");
  if (s.done) return false;
  const uint64_t i = s.next;
  auto sealed = s.impl->store->Get(Column::kEvidence, ChunkKey(s.record.info.evidence_id, i));
  if (!sealed.ok()) return s.Fail(sealed.status());
  if (!*sealed) return s.Fail(Corruption("a chunk of the attachment is missing from the store"));
  bool final = false;
  if (Status st = s.opener.Open(**sealed, out, &final); !st.ok()) {
    out->clear();
    return s.Fail(Corruption("chunk " + std::to_string(i) + " of the attachment does not authenticate"));
  }
  const bool last = i + 1 == s.record.chunks;
  s.bytes += out->size();
  s.sha.Update(*out);
  ++s.next;
  if (final != last || s.bytes > s.record.info.size) {
    WipeString(*out);
    return s.Fail(Corruption("the attachment's chunks are out of order or cut short"));
  }
  if (last) {
    // The last piece is handed out only once the whole file verified, so a
    // reader that streams it can still stop short of a bad file's end.
    if (s.bytes != s.record.info.size || !ConstantTimeEqual(s.sha.Finish(), s.record.info.sha256)) {
      WipeString(*out);
      return s.Fail(Corruption("the attachment does not match the SHA-256 recorded at intake"));
    }
    s.done = true;
  }
  return true;
}

Result<std::unique_ptr<EvidenceReader>> Vault::OpenEvidence(const RequestContext& rc, std::string_view case_id,
                                                            std::string_view evidence_id) {
  Impl& impl = *impl_;
  if (!IsWellFormedId(evidence_id)) {
    return impl.Refuse(rc, kGetAction, case_id, InvalidArgument("malformed evidence id"));
  }
  BRANKAS_ASSIGN_OR_RETURN(Authorized a, Authorize(impl, rc, kGetAction, case_id, Action::kRead, evidence_id));
  auto refuse = [&](const Status& st) {
    return impl.Refuse(rc, kGetAction, case_id, st, {Detail(evidence_id)}, a.decision.rule);
  };
  auto bytes = impl.store->Get(Column::kRecords, RecordKey(case_id, evidence_id));
  if (!bytes.ok()) return refuse(bytes.status());
  if (!*bytes) return refuse(NotFound("no such evidence in this case"));
  auto record = DecodeRecord(**bytes);
  if (!record.ok()) return refuse(record.status());
  if (record->info.evidence_id != evidence_id || record->info.case_id != case_id) {
    return refuse(Corruption("evidence record stored under the wrong key"));
  }
  auto data_key = impl.keys->DataKey(case_id, FieldClass::kLegalEvidence);
  if (!data_key.ok()) return refuse(data_key.status());
  auto file_key = AeadOpenKey(**data_key, record->wrapped_key, Ad("evidence-key", impl.unit, case_id, evidence_id));
  if (!file_key.ok()) return refuse(Corruption("the attachment's key does not unwrap"));
  auto name = AeadOpen(**data_key, record->sealed_name, Ad("evidence-name", impl.unit, case_id, evidence_id));
  if (!name.ok()) return refuse(Corruption("the attachment's name does not open"));
  record->info.name = std::move(*name);

  auto state = std::make_unique<EvidenceReader::State>();
  if (Status st = state->opener.Start(*file_key, record->stream_header); !st.ok()) return refuse(st);
  state->impl = &impl;
  state->rc = rc;
  state->record = std::move(*record);
  // The custody trail: who read which attachment, when, from where, under
  // which grant (or break-glass, flagged for review).
  AuditEntry e = impl.Entry(rc, kGetAction, case_id, "allow");
  e.fields = {Detail(evidence_id)};
  e.rule = a.decision.rule;
  e.grant_id = a.decision.grant_id;
  e.flagged = a.decision.break_glass;
  BRANKAS_RETURN_IF_ERROR(impl.AuditOnly({std::move(e)}));
  return std::make_unique<EvidenceReader>(std::move(state));
}

Result<std::vector<EvidenceInfo>> Vault::ListEvidence(const RequestContext& rc, std::string_view case_id) {
  Impl& impl = *impl_;
  BRANKAS_ASSIGN_OR_RETURN(Authorized a, Authorize(impl, rc, kListAction, case_id, Action::kRead, {}));
  auto refuse = [&](const Status& st) { return impl.Refuse(rc, kListAction, case_id, st, {}, a.decision.rule); };
  std::vector<Record> records;
  Status bad = Status::Ok();
  Status scanned = impl.store->Scan(Column::kRecords, RecordPrefix(case_id), {}, [&](std::string_view, std::string_view v) {
    auto r = DecodeRecord(v);
    if (!r.ok()) {
      bad = r.status();
      return false;
    }
    records.push_back(std::move(*r));
    return records.size() < kMaxListed;
  });
  if (!scanned.ok()) return refuse(scanned);
  if (!bad.ok()) return refuse(bad);
  std::vector<EvidenceInfo> out;
  out.reserve(records.size());
  if (!records.empty()) {
    auto data_key = impl.keys->DataKey(case_id, FieldClass::kLegalEvidence);
    if (!data_key.ok()) return refuse(data_key.status());
    for (Record& r : records) {
      auto name = AeadOpen(**data_key, r.sealed_name, Ad("evidence-name", impl.unit, case_id, r.info.evidence_id));
      if (!name.ok()) return refuse(Corruption("an attachment's name does not open"));
      r.info.name = std::move(*name);
      out.push_back(std::move(r.info));
    }
  }
  std::sort(out.begin(), out.end(), [](const EvidenceInfo& x, const EvidenceInfo& y) {
    return x.added_us != y.added_us ? x.added_us < y.added_us : x.evidence_id < y.evidence_id;
  });
  AuditEntry e = impl.Entry(rc, kListAction, case_id, "allow");
  e.rule = a.decision.rule;
  e.grant_id = a.decision.grant_id;
  e.flagged = a.decision.break_glass;
  BRANKAS_RETURN_IF_ERROR(impl.AuditOnly({std::move(e)}));
  return out;
}

Status StageEvidenceShred(Vault::Impl& impl, std::string_view case_id, Batch* batch, EvidenceShredCounts* counts) {
  std::vector<Record> records;
  BRANKAS_RETURN_IF_ERROR(
      impl.store->Scan(Column::kRecords, RecordPrefix(case_id), {}, [&](std::string_view k, std::string_view v) {
        batch->Delete(Column::kRecords, std::string(k));
        auto r = DecodeRecord(v);
        if (r.ok()) records.push_back(std::move(*r));
        return true;
      }));
  // The chunks are unreadable once the case's data keys are gone; deleting
  // them gives the space back (blob garbage collection reclaims it).
  for (const Record& r : records) {
    for (uint64_t i = 0; i < r.chunks; ++i) batch->Delete(Column::kEvidence, ChunkKey(r.info.evidence_id, i));
    ++counts->attachments;
    counts->chunks += r.chunks;
  }
  return Status::Ok();
}

}  // namespace brankas
