#include "brankas/changelog.h"

#include <algorithm>
#include <iterator>

#include "brankas/audit.h"
#include "brankas/codec.h"
#include "brankas/crypto.h"

namespace brankas {
namespace {

// The full entry: what is hashed, shipped and held by the central node.
constexpr uint8_t kEntryFormat = 1;
// An entry as the unit stores it in its outbox: like kEntryFormat, but a
// large write-once value (a case version's sealed fields, see ByReference)
// is not copied: its mutation has kind kPutByReference and no value, and
// MaterializeChangelogEntry reads the value back from where the same batch
// put it. Every value was otherwise written twice, to its column and to the
// outbox: the WAL, memtable, flush and compaction bytes of a create.
constexpr uint8_t kStoredFormat = 2;
constexpr uint8_t kPutByReference = 2;
constexpr size_t kMinReferencedValue = 256;
constexpr uint8_t kHeadFormat = 1;
constexpr uint32_t kMaxMutations = 1u << 20;
// Meta (node-local): a write-once value deleted while an outbox entry may
// still refer to it, kept until the entry that deleted it is acknowledged.
constexpr char kStashPrefix[] = "local/changelog_stash/";

// Keys written at most once with one value, and later at most deleted: case
// versions (VersionKey, engine/case_record.h) and audit entries (never deleted).
bool IsWriteOnce(Column column, std::string_view key) {
  return (column == Column::kRecords && key.substr(0, 2) == "v/") ||
         (column == Column::kAudit && key.size() == 9 && key[0] == kAuditEntryPrefix[0]);
}

bool ByReference(const Mutation& m) {
  return m.kind == Mutation::Kind::kPut && m.value.size() >= kMinReferencedValue &&
         IsWriteOnce(m.column, m.key);
}

std::string StashKey(Column column, std::string_view key) {
  std::string k(kStashPrefix);
  k.push_back(static_cast<char>(column));
  k.append(key);
  return k;
}

// skip_node_local: the mutations of node-local state are left out (the
// writer encodes a group's batch as it is, without copying what it ships).
// stored: the outbox form (kStoredFormat), values ByReference left out.
void EncodeBody(std::string_view generation, uint64_t seq, int64_t time_us,
                std::string_view prev_hash, const std::vector<Mutation>& mutations,
                bool skip_node_local, bool stored, Writer* w) {
  w->U8(stored ? kStoredFormat : kEntryFormat);
  w->Bytes(generation);
  w->U64(seq);
  w->I64(time_us);
  w->Bytes(prev_hash);
  const size_t skipped =
      skip_node_local ? std::count_if(mutations.begin(), mutations.end(), IsNodeLocal) : 0;
  w->U32(static_cast<uint32_t>(mutations.size() - skipped));
  for (const auto& m : mutations) {
    if (skipped != 0 && IsNodeLocal(m)) continue;
    if (stored && ByReference(m)) {
      w->U8(kPutByReference);
      w->U8(static_cast<uint8_t>(m.column));
      w->Bytes(m.key);
      continue;
    }
    w->U8(static_cast<uint8_t>(m.kind));
    w->U8(static_cast<uint8_t>(m.column));
    w->Bytes(m.key);
    w->Bytes(m.value);
  }
}

void EncodeBody(const ChangelogEntry& e, Writer* w) {
  EncodeBody(e.generation, e.seq, e.time_us, e.prev_hash, e.mutations, /*skip_node_local=*/false,
             /*stored=*/false, w);
}

std::string HashBody(std::string_view body) {
  Hasher h;
  h.UpdateFramed("brankas-changelog-v1");
  h.UpdateFramed(body);
  return h.Finish();
}

std::string EncodeHead(const ChangelogWriter::Head& h) {
  Writer w;
  w.U8(kHeadFormat);
  w.Bytes(h.generation);
  w.U64(h.seq);
  w.Bytes(h.hash);
  return w.Take();
}

std::string SeqKey(uint64_t seq) {
  std::string k;
  PutBigEndian64(&k, seq);
  return k;
}

}  // namespace

std::string ComputeChangelogHash(const ChangelogEntry& e) {
  Writer w;
  EncodeBody(e, &w);
  return HashBody(w.str());
}

int64_t ChangelogEntryTimeUs(std::string_view bytes) {
  // u8 format | bytes generation | u64 seq | i64 time_us | ... (EncodeBody)
  Reader r(bytes.substr(0, std::min<size_t>(bytes.size(), 64)));
  uint8_t format = 0;
  std::string_view generation;
  uint64_t seq = 0;
  int64_t time_us = 0;
  if (!r.U8(&format) || (format != kEntryFormat && format != kStoredFormat) ||
      !r.BytesView(&generation) || !r.U64(&seq) || !r.I64(&time_us)) {
    return 0;
  }
  return time_us;
}

bool EncodedChangelogEntryHashMatches(std::string_view bytes, std::string_view hash) {
  // The encoding ends with the hash as u32 length (32, little endian) + 32 bytes.
  constexpr size_t kTail = 4 + kHashSize;
  if (bytes.size() < kTail || hash.size() != kHashSize) return false;
  const std::string_view len = bytes.substr(bytes.size() - kTail, 4);
  if (len != std::string_view("\x20\0\0\0", 4)) return false;
  return HashBody(bytes.substr(0, bytes.size() - kTail)) == hash &&
         bytes.substr(bytes.size() - kHashSize) == hash;
}

std::string EncodeChangelogEntry(const ChangelogEntry& e) {
  Writer w;
  EncodeBody(e, &w);
  w.Bytes(e.hash);
  return w.Take();
}

namespace {

// The part every entry form shares, up to and including the mutation count.
struct EntryHeader {
  uint8_t format = 0;
  std::string_view generation, prev_hash;
  uint64_t seq = 0;
  int64_t time_us = 0;
  uint32_t count = 0;
};

// min_mutation: the fewest bytes one mutation takes in this form, so that a
// hostile count is refused before anything is reserved for it.
bool ReadEntryHeader(Reader& r, size_t min_mutation, EntryHeader* h) {
  return r.U8(&h->format) && r.BytesView(&h->generation) && r.U64(&h->seq) && r.I64(&h->time_us) &&
         r.BytesView(&h->prev_hash) && r.U32(&h->count) && h->count <= kMaxMutations &&
         h->count <= r.Remaining() / min_mutation;
}

}  // namespace

Result<ChangelogEntry> DecodeChangelogEntry(std::string_view bytes) {
  Reader r(bytes);
  ChangelogEntry e;
  if (bytes.empty() || static_cast<uint8_t>(bytes[0]) != kEntryFormat) {
    return Corruption("changelog entry: unknown format");
  }
  EntryHeader h;
  if (!ReadEntryHeader(r, /*min_mutation=*/10, &h))
    return Corruption("changelog entry: malformed mutation count");
  e.generation = h.generation;
  e.seq = h.seq;
  e.time_us = h.time_us;
  e.prev_hash = h.prev_hash;
  const uint32_t count = h.count;
  e.mutations.reserve(count);
  for (uint32_t i = 0; i < count; ++i) {
    uint8_t kind = 0, column = 0;
    Mutation m;
    if (!r.U8(&kind) || !r.U8(&column) || kind > 1 || column >= kColumnCount) {
      return Corruption("changelog entry: malformed mutation");
    }
    m.kind = static_cast<Mutation::Kind>(kind);
    m.column = static_cast<Column>(column);
    if (!r.Bytes(&m.key) || !r.Bytes(&m.value)) return Corruption("changelog entry: truncated");
    e.mutations.push_back(std::move(m));
  }
  r.Bytes(&e.hash);
  if (!r.Done() || e.generation.size() != 16 || e.prev_hash.size() != kHashSize ||
      e.hash.size() != kHashSize) {
    return Corruption("changelog entry: malformed");
  }
  return e;
}

Result<std::string> MaterializeChangelogEntry(Store& store, std::string_view stored) {
  if (stored.empty() || static_cast<uint8_t>(stored[0]) != kStoredFormat)
    return std::string(stored);
  Reader r(stored);
  EntryHeader h;
  // A mutation by reference takes 6 bytes: kind, column, empty key length.
  if (!ReadEntryHeader(r, /*min_mutation=*/6, &h)) return Corruption("changelog entry: malformed");
  auto bad = [&](std::string_view what) {
    return Corruption("changelog entry " + std::to_string(h.seq) + ": " + std::string(what));
  };
  Writer w;
  w.Reserve(stored.size() + 8192);
  // The header is the same in both forms but for the format byte.
  w.U8(kEntryFormat);
  w.str().append(stored.substr(1, stored.size() - r.Remaining() - 1));
  for (uint32_t i = 0; i < h.count; ++i) {
    uint8_t kind = 0, column = 0;
    std::string_view key, value;
    if (!r.U8(&kind) || !r.U8(&column) || kind > kPutByReference || column >= kColumnCount ||
        !r.BytesView(&key)) {
      return bad("malformed mutation");
    }
    w.U8(kind == kPutByReference ? static_cast<uint8_t>(Mutation::Kind::kPut) : kind);
    w.U8(column);
    w.Bytes(key);
    if (kind != kPutByReference) {
      if (!r.BytesView(&value)) return bad("truncated");
      w.Bytes(value);
      continue;
    }
    const auto col = static_cast<Column>(column);
    if (!IsWriteOnce(col, key)) return bad("refers to a record that is not write-once");
    BRANKAS_ASSIGN_OR_RETURN(auto held, store.Get(col, key));
    if (!held) {
      // Deleted since (a shredded case): the deleting batch kept it aside.
      BRANKAS_ASSIGN_OR_RETURN(held, store.Get(Column::kMeta, StashKey(col, key)));
      if (!held || held->size() < 8) return bad("a record it refers to is no longer stored");
      held->erase(0, 8);
    }
    w.Bytes(*held);
  }
  std::string_view hash;
  if (!r.BytesView(&hash) || !r.Done()) return bad("malformed");
  w.Bytes(hash);
  return w.Take();
}

Result<std::vector<std::string>> ChangelogEntryPutKeys(std::string_view bytes, Column column,
                                                       std::string_view prefix) {
  Reader r(bytes);
  if (bytes.empty() || static_cast<uint8_t>(bytes[0]) != kEntryFormat) {
    return Corruption("changelog entry: unknown format");
  }
  EntryHeader h;
  if (!ReadEntryHeader(r, /*min_mutation=*/10, &h)) return Corruption("changelog entry: malformed");
  const uint32_t count = h.count;
  std::vector<std::string> keys;
  for (uint32_t i = 0; i < count; ++i) {
    uint8_t kind = 0, col = 0;
    std::string_view key, value;
    if (!r.U8(&kind) || !r.U8(&col) || !r.BytesView(&key) || !r.BytesView(&value)) {
      return Corruption("changelog entry: truncated");
    }
    if (kind == static_cast<uint8_t>(Mutation::Kind::kPut) && col == static_cast<uint8_t>(column) &&
        key.substr(0, prefix.size()) == prefix) {
      keys.emplace_back(key);
    }
  }
  return keys;
}

Result<std::unique_ptr<ChangelogWriter>> ChangelogWriter::Open(Store& store) {
  BRANKAS_ASSIGN_OR_RETURN(auto generation, store.Get(Column::kMeta, kGenerationKey));
  if (!generation || generation->size() != 16) {
    return FailedPrecondition("node has no changelog generation: not initialized");
  }
  BRANKAS_ASSIGN_OR_RETURN(auto stored, store.Get(Column::kMeta, kChangelogHeadKey));
  Head head;
  head.generation = *generation;
  head.hash.assign(kHashSize, '\0');
  if (stored) {
    Reader r(*stored);
    uint8_t format = 0;
    Head h;
    if (!r.U8(&format) || format != kHeadFormat || !r.Bytes(&h.generation) || !r.U64(&h.seq) ||
        !r.Bytes(&h.hash) || !r.Done() || h.hash.size() != kHashSize) {
      return Corruption("changelog head is malformed");
    }
    if (h.generation != *generation) {
      // A new generation (after a restore) starts its own chain.
      h = head;
    }
    head = std::move(h);
  }
  return std::unique_ptr<ChangelogWriter>(new ChangelogWriter(store, std::move(head)));
}

bool IsNodeLocal(const Mutation& m) {
  auto starts = [&](std::string_view prefix) {
    return m.key.compare(0, prefix.size(), prefix) == 0;
  };
  switch (m.column) {
    case Column::kMeta:
      return starts(kNodeLocalMetaPrefix);
    case Column::kAcl:
      return starts("s/") || starts("su/");  // sessions (vault/engine/user_record.h)
    // Attachment chunks are written outside the commit groups (so never in a
    // changelog entry as puts) and shipped beside the changelog before the
    // entry holding their record (replication/shipper.cc); their deletes
    // (crypto-shredding) travel in the changelog like any other write.
    default:
      return false;
  }
}

Status ChangelogWriter::Append(int64_t time_us, Batch* batch) {
  // Hashed as the full entry, stored with large write-once values by
  // reference. Node-local state (sessions, upload markers, the changelog
  // head itself) is not shipped.
  const std::vector<Mutation>& all = batch->mutations();
  const uint64_t seq = head_.seq + 1;
  full_.str().clear();
  full_.Reserve(128 + batch->ByteSize() + 10 * all.size());
  EncodeBody(head_.generation, seq, time_us, head_.hash, all, /*skip_node_local=*/true,
             /*stored=*/false, &full_);
  std::string hash = HashBody(full_.str());
  Writer stored;
  EncodeBody(head_.generation, seq, time_us, head_.hash, all, /*skip_node_local=*/true,
             /*stored=*/true, &stored);
  stored.Bytes(hash);
  // A write-once value this group deletes may be referred to by an entry not
  // yet acknowledged: it is kept aside (node-local) until this entry is.
  std::vector<std::pair<std::string, std::string>> stash;
  for (const auto& m : all) {
    if (m.kind != Mutation::Kind::kDelete || !IsWriteOnce(m.column, m.key)) continue;
    BRANKAS_ASSIGN_OR_RETURN(auto held, store_->Get(m.column, m.key));
    if (!held) continue;
    std::string value;
    PutBigEndian64(&value, seq);
    value.append(*held);
    stash.emplace_back(StashKey(m.column, m.key), std::move(value));
  }
  for (auto& [key, value] : stash) batch->Put(Column::kMeta, std::move(key), std::move(value));
  head_.seq = seq;
  head_.hash = std::move(hash);
  batch->Put(Column::kChangelog, SeqKey(seq), stored.Take());
  batch->Put(Column::kMeta, kChangelogHeadKey, EncodeHead(head_));
  return Status::Ok();
}

Status PruneChangelogStash(Store& store, uint64_t acked, Batch* batch) {
  return store.Scan(Column::kMeta, kStashPrefix, {},
                    [&](std::string_view key, std::string_view value) {
                      if (value.size() < 8 || GetBigEndian64(value.substr(0, 8)) <= acked)
                        batch->Delete(Column::kMeta, std::string(key));
                      return true;
                    });
}

Result<ChangelogReport> VerifyChangelog(Store& store) {
  ChangelogReport report;
  std::string prev_hash;
  uint64_t prev_seq = 0;
  Status decode_status;
  Status s =
      store.Scan(Column::kChangelog, "", "", [&](std::string_view key, std::string_view stored) {
        auto full = MaterializeChangelogEntry(store, stored);
        auto e = full.ok() ? DecodeChangelogEntry(*full) : Result<ChangelogEntry>(full.status());
        if (!e.ok()) {
          report.problem = "entry at key " + ToHex(key) + " is corrupt";
          return false;
        }
        if (key.size() != 8 || GetBigEndian64(key) != e->seq) {
          report.problem = "entry " + std::to_string(e->seq) + " stored under the wrong key";
          return false;
        }
        if (ComputeChangelogHash(*e) != e->hash) {
          report.problem = "entry " + std::to_string(e->seq) + " does not match its hash";
          return false;
        }
        if (prev_seq != 0) {
          if (e->seq != prev_seq + 1) {
            report.problem = "gap after entry " + std::to_string(prev_seq);
            return false;
          }
          if (e->prev_hash != prev_hash) {
            report.problem = "entry " + std::to_string(e->seq) + " does not continue the chain";
            return false;
          }
        } else {
          report.first = e->seq;
        }
        prev_seq = e->seq;
        prev_hash = e->hash;
        return true;
      });
  BRANKAS_RETURN_IF_ERROR(s);
  if (!report.problem.empty()) return report;
  report.last = prev_seq;
  auto writer = ChangelogWriter::Open(store);
  if (!writer.ok()) {
    report.problem = writer.status().message();
    return report;
  }
  auto head = (*writer)->head();
  if (head.seq != prev_seq || (prev_seq != 0 && head.hash != prev_hash)) {
    report.problem = "changelog head does not match the last entry (truncated?)";
    return report;
  }
  report.intact = true;
  return report;
}

}  // namespace brankas
