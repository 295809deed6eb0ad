#include "brankas/changelog.h"

#include <algorithm>
#include <iterator>

#include "brankas/codec.h"
#include "brankas/crypto.h"

namespace brankas {
namespace {

constexpr uint8_t kEntryFormat = 1;
constexpr uint8_t kHeadFormat = 1;
constexpr uint32_t kMaxMutations = 1u << 20;

// skip_node_local: the mutations of node-local state are left out (the
// writer encodes a group's batch as it is, without copying what it ships).
void EncodeBody(std::string_view generation, uint64_t seq, int64_t time_us, std::string_view prev_hash,
                const std::vector<Mutation>& mutations, bool skip_node_local, Writer* w) {
  w->U8(kEntryFormat);
  w->Bytes(generation);
  w->U64(seq);
  w->I64(time_us);
  w->Bytes(prev_hash);
  const size_t skipped = skip_node_local ? std::count_if(mutations.begin(), mutations.end(), IsNodeLocal) : 0;
  w->U32(static_cast<uint32_t>(mutations.size() - skipped));
  for (const auto& m : mutations) {
    if (skipped != 0 && IsNodeLocal(m)) continue;
    w->U8(static_cast<uint8_t>(m.kind));
    w->U8(static_cast<uint8_t>(m.column));
    w->Bytes(m.key);
    w->Bytes(m.value);
  }
}

void EncodeBody(const ChangelogEntry& e, Writer* w) {
  EncodeBody(e.generation, e.seq, e.time_us, e.prev_hash, e.mutations, /*skip_node_local=*/false, w);
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
  if (!r.U8(&format) || format != kEntryFormat || !r.BytesView(&generation) || !r.U64(&seq) || !r.I64(&time_us)) {
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

Result<ChangelogEntry> DecodeChangelogEntry(std::string_view bytes) {
  Reader r(bytes);
  ChangelogEntry e;
  uint8_t format = 0;
  uint32_t count = 0;
  if (!r.U8(&format) || format != kEntryFormat) return Corruption("changelog entry: unknown format");
  r.Bytes(&e.generation);
  r.U64(&e.seq);
  r.I64(&e.time_us);
  r.Bytes(&e.prev_hash);
  if (!r.U32(&count) || count > kMaxMutations || count > r.Remaining() / 10) {
    return Corruption("changelog entry: malformed mutation count");
  }
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

Result<std::vector<std::string>> ChangelogEntryPutKeys(std::string_view bytes, Column column,
                                                       std::string_view prefix) {
  Reader r(bytes);
  uint8_t format = 0;
  uint32_t count = 0;
  std::string_view skip;
  uint64_t seq = 0;
  int64_t time_us = 0;
  if (!r.U8(&format) || format != kEntryFormat) return Corruption("changelog entry: unknown format");
  if (!r.BytesView(&skip) || !r.U64(&seq) || !r.I64(&time_us) || !r.BytesView(&skip) || !r.U32(&count) ||
      count > kMaxMutations || count > r.Remaining() / 10) {
    return Corruption("changelog entry: malformed");
  }
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
  return std::unique_ptr<ChangelogWriter>(new ChangelogWriter(std::move(head)));
}

bool IsNodeLocal(const Mutation& m) {
  auto starts = [&](std::string_view prefix) { return m.key.compare(0, prefix.size(), prefix) == 0; };
  switch (m.column) {
    case Column::kMeta: return starts(kNodeLocalMetaPrefix);
    case Column::kAcl: return starts("s/") || starts("su/");  // sessions (vault/engine/user_record.h)
    // Attachment chunks are written outside the commit groups (so never in a
    // changelog entry as puts) and shipped beside the changelog before the
    // entry holding their record (replication/shipper.cc); their deletes
    // (crypto-shredding) travel in the changelog like any other write.
    default: return false;
  }
}

void ChangelogWriter::Append(int64_t time_us, Batch* batch) {
  // Encoded straight from the batch: the group's mutations are copied once.
  // Node-local state (sessions, upload markers, the changelog head itself) is
  // not shipped.
  const std::vector<Mutation>& all = batch->mutations();
  const uint64_t seq = head_.seq + 1;
  Writer w;
  w.Reserve(128 + batch->ByteSize() + 2 * all.size());
  EncodeBody(head_.generation, seq, time_us, head_.hash, all, /*skip_node_local=*/true, &w);
  std::string hash = HashBody(w.str());
  w.Bytes(hash);
  head_.seq = seq;
  head_.hash = std::move(hash);
  batch->Put(Column::kChangelog, SeqKey(seq), w.Take());
  batch->Put(Column::kMeta, kChangelogHeadKey, EncodeHead(head_));
}

Result<ChangelogReport> VerifyChangelog(Store& store) {
  ChangelogReport report;
  std::string prev_hash;
  uint64_t prev_seq = 0;
  Status decode_status;
  Status s = store.Scan(Column::kChangelog, "", "", [&](std::string_view key, std::string_view value) {
    auto e = DecodeChangelogEntry(value);
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
