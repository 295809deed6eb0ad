#include "replication/central.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <list>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "brankas/changelog.h"
#include "brankas/codec.h"
#include "brankas/crypto.h"
#include "brankas/evidence.h"
#include "brankas/keys.h"
#include "replication/channel.h"
#include "replication/prefix_store.h"

namespace brankas::repl {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

constexpr size_t kMaxAlarmsInMemory = 32;
constexpr size_t kChunkBytes = 1u << 20;

std::string CursorKey(std::string_view unit) { return "central/cursor/" + std::string(unit); }
std::string RetiredKey(std::string_view unit, std::string_view gen) {
  return "central/retired/" + std::string(unit) + "/" + ToHex(gen);
}
std::string AlarmKey(std::string_view unit, int64_t time_us) {
  std::string k = "central/alarm/" + std::string(unit) + "/";
  PutBigEndian64(&k, static_cast<uint64_t>(time_us));
  return k;
}
// How many of an attachment's chunks are held contiguously from the first (be64).
std::string BlobHeldKey(std::string_view unit, std::string_view evidence_id) {
  return "central/blob/" + std::string(unit) + "/" + std::string(evidence_id);
}
// The attachment a chunk key "c/<id>/" + be64(index) belongs to, when it is its first chunk.
std::string_view FirstChunkOf(std::string_view key) {
  if (key.size() < 2 + 1 + 1 + 8 || key.substr(0, 2) != "c/" || key[key.size() - 9] != '/') return {};
  if (key.substr(key.size() - 8) != std::string_view("\0\0\0\0\0\0\0\0", 8)) return {};
  return key.substr(2, key.size() - 2 - 9);
}
constexpr uint64_t kMaxChunksPerAttachment = 1u << 16;  // 64 GiB at 1 MiB a chunk

// A unit's inbox of referrals from other units: "central/inbox/<UNIT>/" + be64(seq).
std::string InboxPrefix(std::string_view unit) { return "central/inbox/" + std::string(unit) + "/"; }
std::string InboxKey(std::string_view unit, uint64_t seq) {
  std::string k = InboxPrefix(unit);
  PutBigEndian64(&k, seq);
  return k;
}
constexpr size_t kMaxInboxReplyBytes = 4u << 20;
constexpr size_t kMaxInboxReplyItems = 1000;

std::string NodeKeyKey(std::string_view unit) { return "central/node_key/" + std::string(unit); }
std::string EntryHashKey(std::string_view unit, std::string_view gen, uint64_t seq) {
  std::string k = std::string(unit) + "/" + std::string(gen);
  PutBigEndian64(&k, seq);
  return k;
}
std::string ReceiptKey(std::string_view unit, uint64_t seq) {
  std::string k = "r/" + std::string(unit) + "/";
  PutBigEndian64(&k, seq);
  return k;
}

struct StoredCursor {
  Cursor cursor;
  bool halted = false;
  std::string reason;
};

std::string EncodeStoredCursor(const StoredCursor& s) {
  Writer w;
  w.U8(1);
  PutCursor(s.cursor, &w);
  w.Bool(s.halted);
  w.Bytes(s.reason);
  return w.Take();
}

Result<StoredCursor> DecodeStoredCursor(std::string_view bytes) {
  Reader r(bytes);
  StoredCursor s;
  uint8_t format = 0;
  if (!r.U8(&format) || format != 1 || !GetCursor(&r, &s.cursor) || !r.Bool(&s.halted) || !r.Bytes(&s.reason) ||
      !r.Done()) {
    return Corruption("a replication cursor on the central node is malformed");
  }
  return s;
}

// The central node's Ed25519 key: 64 secret bytes, hex, in a 0600 file made on first start.
Result<SigningKeyPair> LoadOrCreateSigningKey(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    SigningKeyPair pair = GenerateSigningKey();
    std::string hex = ToHex(pair.secret_key.view());
    int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) return Unavailable("cannot create the signing key " + path);
    hex.push_back('\n');
    bool ok = write(fd, hex.data(), hex.size()) == static_cast<ssize_t>(hex.size()) && fsync(fd) == 0;
    close(fd);
    WipeString(hex);
    if (!ok) return Unavailable("cannot write the signing key " + path);
    return pair;
  }
  struct stat st {};
  if (stat(path.c_str(), &st) != 0 || (st.st_mode & 077) != 0) {
    return FailedPrecondition("the signing key " + path + " must be readable by its owner only (mode 0600)");
  }
  std::ifstream in(path);
  std::string hex;
  std::getline(in, hex);
  std::string raw;
  if (!FromHex(hex, &raw) || raw.size() != kSignSecretKeySize) {
    WipeString(hex);
    return Corruption("the signing key " + path + " is malformed");
  }
  WipeString(hex);
  SigningKeyPair pair;
  pair.public_key = raw.substr(32);
  pair.secret_key = SecretKey::FromBytes(raw);
  WipeString(raw);
  return pair;
}

struct Unit {
  CentralUnit config;
  std::mutex mu;  // serializes apply, fence and halts of this unit
  StoredCursor stored;
  bool known = false;  // a cursor exists (durably or in memory after hello)
  std::set<std::string> retired;
  std::string node_key;  // configured, learned, or empty
  std::vector<std::string> alarms;
  uint64_t receipts = 0;
  int64_t last_contact_us = 0;
  int sessions = 0;
  bool blobs_unsynced = false;  // attachment chunks written since the last synced write
};

// An attachment chunk arriving in slices on one session.
struct BlobAssembly {
  std::string evidence_id;
  uint64_t index = 0;
  uint32_t total = 0;
  std::string bytes;
};

// What a session answers after an error: the code and a text without data.
struct Refusal {
  ErrorCode code;
  std::string text;
};

}  // namespace

class CentralNode::Impl {
 public:
  CentralOptions options;
  std::unique_ptr<Store> store;
  SigningKeyPair signing;
  std::shared_ptr<asio::ssl::context> tls;
  std::set<std::string> pins;
  std::map<std::string, std::unique_ptr<Unit>> units;        // by code
  std::map<std::string, Unit*> by_pin;

  asio::io_context accept_ioc;
  tcp::acceptor acceptor{accept_ioc};
  std::thread accept_thread;
  uint16_t port = 0;

  std::mutex sessions_mu;
  struct Session {
    std::thread thread;
    TlsChannel* channel = nullptr;  // set once the handshake is done
    bool finished = false;
  };
  std::list<Session> sessions;
  size_t open_sessions = 0;
  bool stopping = false;

  // Inbox sequences: taken and written under inbox_mu, so a unit pulling
  // after seq N never misses an item numbered N or below written later.
  std::mutex inbox_mu;
  std::map<std::string, uint64_t> inbox_last;  // unit -> last seq used (loaded on first use)
  Result<uint64_t> LastInboxSeq(const std::string& unit);  // REQUIRES: inbox_mu held
  Status ServeInbox(Unit& unit, TlsChannel& ch, const InboxPull& pull);

  Status Load();
  void Accept();
  void Serve(std::list<Session>::iterator self, int fd);
  Status HandleFrame(Unit& unit, TlsChannel& ch, const Frame& frame, BlobAssembly* assembly,
                     std::optional<Refusal>* refusal);
  Result<uint64_t> ChunksHeld(Unit& unit, std::string_view evidence_id);  // REQUIRES: unit.mu held
  Status StoreBlob(Unit& unit, const Blob& blob, BlobAssembly* assembly, std::optional<Refusal>* refusal);
  Result<Ack> ApplyPush(Unit& unit, const Push& push, std::optional<Refusal>* refusal);
  Result<std::string> NodeKey(Unit& unit);
  void Alarm(Unit& unit, const std::string& text);  // REQUIRES: unit.mu held
  Status Halt(Unit& unit, const std::string& reason);  // REQUIRES: unit.mu held
  Status StreamNamespace(Unit& unit, TlsChannel& ch);
  Status FenceUnit(Unit& unit, const Fence& fence, std::optional<Refusal>* refusal);
};

Status CentralNode::Impl::Load() {
  for (const CentralUnit& cu : options.units) {
    auto u = std::make_unique<Unit>();
    u->config = cu;
    if (!cu.node_key.empty() && !FromHex(cu.node_key, &u->node_key)) {
      return InvalidArgument("unit " + cu.code + ": node_key is not hex");
    }
    BRANKAS_ASSIGN_OR_RETURN(auto cursor, store->Get(Column::kMeta, CursorKey(cu.code)));
    if (cursor) {
      BRANKAS_ASSIGN_OR_RETURN(u->stored, DecodeStoredCursor(*cursor));
      u->known = true;
    }
    if (u->node_key.empty()) {
      BRANKAS_ASSIGN_OR_RETURN(auto learned, store->Get(Column::kMeta, NodeKeyKey(cu.code)));
      if (learned) u->node_key = *learned;
    }
    const std::string retired_prefix = "central/retired/" + cu.code + "/";
    BRANKAS_RETURN_IF_ERROR(store->Scan(Column::kMeta, retired_prefix, "", [&](std::string_view k, std::string_view) {
      std::string gen;
      if (FromHex(k.substr(retired_prefix.size()), &gen)) u->retired.insert(gen);
      return true;
    }));
    pins.insert(cu.pin);
    by_pin[cu.pin] = u.get();
    units[cu.code] = std::move(u);
  }
  return Status::Ok();
}

void CentralNode::Impl::Alarm(Unit& unit, const std::string& text) {
  spdlog::error("replication alarm: unit {}: {}", unit.config.code, text);
  if (unit.alarms.empty() || unit.alarms.back() != text) unit.alarms.push_back(text);
  if (unit.alarms.size() > kMaxAlarmsInMemory) unit.alarms.erase(unit.alarms.begin());
  Batch b;
  b.Put(Column::kMeta, AlarmKey(unit.config.code, SystemNowUs()), text);
  Status s = store->Write(b, Durability::kSync);
  if (!s.ok()) spdlog::error("replication: cannot record an alarm for unit {}", unit.config.code);
}

Status CentralNode::Impl::Halt(Unit& unit, const std::string& reason) {
  Alarm(unit, "stream halted: " + reason);
  StoredCursor halted = unit.stored;
  halted.halted = true;
  halted.reason = reason;
  Batch b;
  b.Put(Column::kMeta, CursorKey(unit.config.code), EncodeStoredCursor(halted));
  BRANKAS_RETURN_IF_ERROR(store->Write(b, Durability::kSync));
  unit.stored = std::move(halted);
  unit.known = true;
  return Status::Ok();
}

Result<std::string> CentralNode::Impl::NodeKey(Unit& unit) {
  if (!unit.node_key.empty()) return unit.node_key;
  PrefixStore view(store.get(), UnitPrefix(unit.config.code));
  BRANKAS_ASSIGN_OR_RETURN(std::string key, LoadNodePublicKey(view));
  Batch b;
  b.Put(Column::kMeta, NodeKeyKey(unit.config.code), key);
  BRANKAS_RETURN_IF_ERROR(store->Write(b, Durability::kSync));
  spdlog::warn("replication: unit {}: node key learned from its first entries (pin it with node_key in the config)",
               unit.config.code);
  unit.node_key = key;
  return key;
}

Result<uint64_t> CentralNode::Impl::LastInboxSeq(const std::string& unit) {
  auto it = inbox_last.find(unit);
  if (it != inbox_last.end()) return it->second;
  uint64_t last = 0;
  const std::string prefix = InboxPrefix(unit);
  BRANKAS_RETURN_IF_ERROR(store->ScanReverse(Column::kMeta, prefix, [&](std::string_view k, std::string_view) {
    if (k.size() == prefix.size() + 8) last = GetBigEndian64(k.substr(prefix.size()));
    return false;
  }));
  inbox_last[unit] = last;
  return last;
}

Status CentralNode::Impl::ServeInbox(Unit& unit, TlsChannel& ch, const InboxPull& pull) {
  Inbox inbox;
  size_t bytes = 0;
  Status bad = Status::Ok();
  const std::string prefix = InboxPrefix(unit.config.code);
  BRANKAS_RETURN_IF_ERROR(store->Scan(Column::kMeta, prefix, InboxKey(unit.config.code, pull.after_seq + 1),
                                      [&](std::string_view, std::string_view v) {
    auto item = DecodeInboxItem(v);
    if (!item.ok()) {
      bad = Corruption("an inbox item on the central node is malformed");
      return false;
    }
    bytes += v.size();
    inbox.items.push_back(std::move(*item));
    return bytes < kMaxInboxReplyBytes && inbox.items.size() < kMaxInboxReplyItems;
  }));
  BRANKAS_RETURN_IF_ERROR(bad);
  return ch.WriteFrame(MsgType::kInbox, Encode(inbox), options.io_timeout_ms);
}

Result<Ack> CentralNode::Impl::ApplyPush(Unit& unit, const Push& push, std::optional<Refusal>* refusal) {
  std::lock_guard<std::mutex> lock(unit.mu);
  const std::string& code = unit.config.code;
  auto refuse = [&](ErrorCode c, std::string text) -> Result<Ack> {
    *refusal = Refusal{c, std::move(text)};
    return Ack{};
  };
  if (unit.stored.halted) return refuse(ErrorCode::kHalted, "the stream is halted: " + unit.stored.reason);
  if (unit.retired.count(push.generation) != 0) {
    Alarm(unit, "a retired generation pushed (a copy of the unit from before its restore?)");
    return refuse(ErrorCode::kRetired, "this generation was retired by a restore");
  }
  if (!unit.known || push.generation != unit.stored.cursor.generation) {
    return refuse(ErrorCode::kRefused, "say hello first: unknown generation");
  }
  const std::string prefix = UnitPrefix(code);
  Cursor cur = unit.stored.cursor;
  Batch batch;
  std::vector<std::pair<uint64_t, std::string>> checkpoints;  // (changelog seq, encoded checkpoint)
  std::vector<InboxItem> routed;  // referrals to other units (the unit code in from_unit's place: the receiver)
  for (const std::string& bytes : push.entries) {
    auto e = DecodeChangelogEntry(bytes);
    if (!e.ok() || e->generation != push.generation) {
      Alarm(unit, "an undecodable changelog entry after seq " + std::to_string(cur.seq));
      return refuse(ErrorCode::kMalformed, "undecodable changelog entry");
    }
    if (!EncodedChangelogEntryHashMatches(bytes, e->hash)) {
      Alarm(unit, "entry " + std::to_string(e->seq) + " does not match its own hash");
      return refuse(ErrorCode::kMalformed, "entry " + std::to_string(e->seq) + " does not match its hash");
    }
    if (e->seq <= cur.seq) {
      BRANKAS_ASSIGN_OR_RETURN(auto held, store->Get(Column::kChangelog, EntryHashKey(code, e->generation, e->seq)));
      if (held && *held == e->hash) continue;  // an identical duplicate (a retry after a lost ack)
      Alarm(unit, "entry " + std::to_string(e->seq) + " differs from the one already held (replay or rewrite)");
      return refuse(ErrorCode::kConflict, "entry " + std::to_string(e->seq) + " differs from the one held");
    }
    if (e->seq != cur.seq + 1) {
      BRANKAS_RETURN_IF_ERROR(Halt(unit, "gap: expected entry " + std::to_string(cur.seq + 1) + ", got " +
                                             std::to_string(e->seq)));
      return refuse(ErrorCode::kHalted, "gap after entry " + std::to_string(cur.seq));
    }
    if (e->prev_hash != cur.hash) {
      BRANKAS_RETURN_IF_ERROR(Halt(unit, "fork at entry " + std::to_string(e->seq)));
      return refuse(ErrorCode::kHalted, "fork at entry " + std::to_string(e->seq));
    }
    for (Mutation& m : e->mutations) {
      if (m.column == Column::kChangelog || IsNodeLocal(m)) {
        Alarm(unit, "entry " + std::to_string(e->seq) + " carries node-local state");
        return refuse(ErrorCode::kMalformed, "entry carries node-local state");
      }
      if (m.kind == Mutation::Kind::kDelete && m.column == Column::kEvidence) {
        // An attachment crypto-shredded on the unit: its chunks go here too, and its count.
        if (std::string_view id = FirstChunkOf(m.key); !id.empty()) {
          batch.Delete(Column::kMeta, BlobHeldKey(code, id));
        }
      }
      if (m.kind == Mutation::Kind::kPut && m.column == Column::kRecords &&
          m.key.compare(0, std::size(kOutgoingReferralPrefix) - 1, kOutgoingReferralPrefix) == 0) {
        // "rf/<TO>/<id>": a referral (or its revocation) for unit TO's inbox.
        const std::string_view rest = std::string_view(m.key).substr(std::size(kOutgoingReferralPrefix) - 1);
        const size_t slash = rest.find('/');
        const std::string to(rest.substr(0, slash == std::string_view::npos ? 0 : slash));
        const std::string id(slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1));
        if (to.empty() || to == code || units.count(to) == 0 || !IsWellFormedEvidenceId(id)) {
          Alarm(unit, "entry " + std::to_string(e->seq) + " refers a case to a unit this node does not serve");
        } else {
          routed.push_back(InboxItem{0, to, id, m.value});
        }
      }
      if (m.kind == Mutation::Kind::kPut) {
        if (m.column == Column::kAudit && !m.key.empty() && m.key[0] == kAuditCheckpointPrefix[0]) {
          checkpoints.emplace_back(e->seq, m.value);
        }
        batch.Put(m.column, prefix + m.key, std::move(m.value));
      } else {
        batch.Delete(m.column, prefix + m.key);
      }
    }
    batch.Put(Column::kChangelog, EntryHashKey(code, e->generation, e->seq), e->hash);
    cur.seq = e->seq;
    cur.hash = e->hash;
  }
  Ack ack;
  if (cur.seq != unit.stored.cursor.seq || unit.blobs_unsynced) {
    StoredCursor next = unit.stored;
    next.cursor = cur;
    batch.Put(Column::kMeta, CursorKey(code), EncodeStoredCursor(next));
    // Routed referrals take the receivers' next inbox sequences and are
    // written in the same synced batch, under inbox_mu until it is durable.
    std::unique_lock<std::mutex> inbox_lock(inbox_mu, std::defer_lock);
    std::map<std::string, uint64_t> taken;
    if (!routed.empty()) {
      inbox_lock.lock();
      for (InboxItem& item : routed) {
        const std::string to = std::move(item.from_unit);
        auto last = taken.count(to) ? Result<uint64_t>(taken[to]) : LastInboxSeq(to);
        if (!last.ok()) return refuse(ErrorCode::kUnavailable, "the central node cannot read an inbox");
        item.seq = *last + 1;
        item.from_unit = code;
        taken[to] = item.seq;
        batch.Put(Column::kMeta, InboxKey(to, item.seq), EncodeInboxItem(item));
      }
    }
    Status s = store->Write(batch, Durability::kSync);
    if (s.ok()) {
      for (const auto& [to, seq] : taken) inbox_last[to] = seq;
    }
    if (!s.ok()) {
      spdlog::error("replication: unit {}: cannot write a batch: {}", code, s.ToString());
      return refuse(ErrorCode::kUnavailable, "the central node cannot write");
    }
    unit.stored = std::move(next);
    unit.blobs_unsynced = false;
  }
  ack.seq = unit.stored.cursor.seq;
  ack.hash = unit.stored.cursor.hash;

  // Countersign the unit's signed audit checkpoints carried by this batch.
  if (!checkpoints.empty()) {
    auto node_key = NodeKey(unit);
    Batch receipts;
    for (const auto& [seq, bytes] : checkpoints) {
      auto cp = DecodeCheckpoint(bytes);
      if (!node_key.ok() || !cp.ok() || !VerifySignature(*node_key, CheckpointMessage(*cp), cp->signature)) {
        Alarm(unit, "the audit checkpoint in entry " + std::to_string(seq) + " does not verify with the unit's key");
        continue;
      }
      Receipt r;
      r.unit = code;
      r.generation = push.generation;
      r.changelog_seq = seq;
      r.checkpoint_seq = cp->seq;
      r.checkpoint_hash = cp->hash;
      r.time_us = SystemNowUs();
      r.central_key = signing.public_key;
      r.signature = Sign(signing.secret_key, ReceiptMessage(r));
      receipts.Put(Column::kAudit, ReceiptKey(code, cp->seq), EncodeReceipt(r));
      ack.receipts.push_back(std::move(r));
    }
    if (!receipts.empty()) {
      if (!store->Write(receipts, Durability::kSync).ok()) {
        ack.receipts.clear();
        spdlog::error("replication: unit {}: cannot store receipts", code);
      } else {
        unit.receipts += ack.receipts.size();
      }
    }
  }
  unit.last_contact_us = SystemNowUs();
  return ack;
}

Status CentralNode::Impl::StreamNamespace(Unit& unit, TlsChannel& ch) {
  BRANKAS_ASSIGN_OR_RETURN(auto snap, store->Snapshot());
  End end;
  {
    BRANKAS_ASSIGN_OR_RETURN(auto cursor, snap->Get(Column::kMeta, CursorKey(unit.config.code)));
    if (!cursor) return NotFound("nothing held for this unit");
    BRANKAS_ASSIGN_OR_RETURN(auto stored, DecodeStoredCursor(*cursor));
    end.cursor = stored.cursor;
  }
  DigestBuilder digest;
  Chunk chunk;
  size_t chunk_bytes = 0;
  Status send_status;
  auto flush = [&]() -> bool {
    send_status = ch.WriteFrame(MsgType::kChunk, Encode(chunk), options.io_timeout_ms);
    chunk.records.clear();
    chunk_bytes = 0;
    return send_status.ok();
  };
  BRANKAS_RETURN_IF_ERROR(ForEachReplicated(*snap, UnitPrefix(unit.config.code),
                                            [&](Column c, std::string_view k, std::string_view v) {
                                              digest.Add(c, k, v);
                                              chunk.records.push_back({c, std::string(k), std::string(v)});
                                              chunk_bytes += k.size() + v.size() + 9;
                                              return chunk_bytes < kChunkBytes || flush();
                                            }));
  BRANKAS_RETURN_IF_ERROR(send_status);
  if (!chunk.records.empty() && !flush()) return send_status;
  end.count = digest.count();
  end.digest = digest.Finish();
  spdlog::info("replication: unit {}: namespace sent for a restore ({} records)", unit.config.code, end.count);
  return ch.WriteFrame(MsgType::kEnd, Encode(end), options.io_timeout_ms);
}

Status CentralNode::Impl::FenceUnit(Unit& unit, const Fence& fence, std::optional<Refusal>* refusal) {
  std::lock_guard<std::mutex> lock(unit.mu);
  if (!unit.known || unit.stored.cursor.generation != fence.old_generation) {
    *refusal = Refusal{ErrorCode::kConflict, "the generation to retire is not the one held"};
    return Status::Ok();
  }
  StoredCursor next;
  next.cursor.generation = fence.new_generation;
  next.cursor.hash.assign(kHashSize, '\0');
  Batch b;
  b.Put(Column::kMeta, RetiredKey(unit.config.code, fence.old_generation), std::to_string(SystemNowUs()));
  b.Put(Column::kMeta, CursorKey(unit.config.code), EncodeStoredCursor(next));
  // The restored unit wrote its new generation outside its changelog; the copy follows.
  b.Put(Column::kMeta, UnitPrefix(unit.config.code) + kGenerationKey, fence.new_generation);
  BRANKAS_RETURN_IF_ERROR(store->Write(b, Durability::kSync));
  unit.retired.insert(fence.old_generation);
  unit.stored = std::move(next);
  spdlog::warn("replication: unit {}: generation {} retired by a restore; {} starts at 0", unit.config.code,
               ToHex(fence.old_generation), ToHex(fence.new_generation));
  return Status::Ok();
}

Result<uint64_t> CentralNode::Impl::ChunksHeld(Unit& unit, std::string_view evidence_id) {
  BRANKAS_ASSIGN_OR_RETURN(auto held, store->Get(Column::kMeta, BlobHeldKey(unit.config.code, evidence_id)));
  if (!held) return uint64_t{0};
  if (held->size() != 8) return Corruption("an attachment's chunk count on the central node is malformed");
  return GetBigEndian64(*held);
}

// Slices are assembled in memory (one chunk, at most kMaxBlobBytes) and the
// chunk written in order with its count; the next Push's synced write makes
// both durable before anything is acknowledged.
Status CentralNode::Impl::StoreBlob(Unit& unit, const Blob& blob, BlobAssembly* assembly,
                                    std::optional<Refusal>* refusal) {
  if (blob.offset == 0) {
    assembly->evidence_id = blob.evidence_id;
    assembly->index = blob.index;
    assembly->total = blob.total;
    assembly->bytes.clear();
    assembly->bytes.reserve(blob.total);
  } else if (blob.evidence_id != assembly->evidence_id || blob.index != assembly->index ||
             blob.total != assembly->total || blob.offset != assembly->bytes.size()) {
    *refusal = Refusal{ErrorCode::kMalformed, "an attachment slice does not continue its chunk"};
    return Status::Ok();
  }
  assembly->bytes.append(blob.bytes);
  if (assembly->bytes.size() < assembly->total) return Status::Ok();

  std::lock_guard<std::mutex> lock(unit.mu);
  if (!unit.known || unit.stored.halted) {
    *refusal = Refusal{ErrorCode::kRefused, "say hello first"};
    return Status::Ok();
  }
  BRANKAS_ASSIGN_OR_RETURN(uint64_t held, ChunksHeld(unit, blob.evidence_id));
  if (blob.index > held || blob.index >= kMaxChunksPerAttachment) {
    *refusal = Refusal{ErrorCode::kMalformed, "an attachment chunk out of order"};
    return Status::Ok();
  }
  Batch b;
  b.Put(Column::kEvidence, UnitPrefix(unit.config.code) + EvidenceChunkKey(blob.evidence_id, blob.index),
        std::move(assembly->bytes));
  if (blob.index == held) {
    std::string count;
    PutBigEndian64(&count, held + 1);
    b.Put(Column::kMeta, BlobHeldKey(unit.config.code, blob.evidence_id), std::move(count));
  }
  assembly->bytes = std::string();
  if (Status s = store->Write(b, Durability::kNoSync); !s.ok()) {
    spdlog::error("replication: unit {}: cannot write an attachment chunk: {}", unit.config.code, s.ToString());
    *refusal = Refusal{ErrorCode::kUnavailable, "the central node cannot write"};
    return Status::Ok();
  }
  unit.blobs_unsynced = true;
  return Status::Ok();
}

Status CentralNode::Impl::HandleFrame(Unit& unit, TlsChannel& ch, const Frame& frame, BlobAssembly* assembly,
                                      std::optional<Refusal>* refusal) {
  const int64_t io = options.io_timeout_ms;
  switch (frame.type) {
    case MsgType::kHello: {
      auto hello = DecodeHello(frame.payload);
      if (!hello.ok() || hello->version != kProtocolVersion) {
        *refusal = Refusal{ErrorCode::kMalformed, "unsupported hello"};
        return Status::Ok();
      }
      if (hello->unit != unit.config.code) {
        *refusal = Refusal{ErrorCode::kRefused, "this identity is pinned for another unit"};
        return Status::Ok();
      }
      Cursor reply;
      {
        std::lock_guard<std::mutex> lock(unit.mu);
        unit.last_contact_us = SystemNowUs();
        if (unit.retired.count(hello->generation) != 0) {
          Alarm(unit, "a retired generation connected (a copy of the unit from before its restore?)");
          *refusal = Refusal{ErrorCode::kRetired, "this generation was retired by a restore"};
          return Status::Ok();
        }
        if (unit.stored.halted) {
          *refusal = Refusal{ErrorCode::kHalted, "the stream is halted: " + unit.stored.reason};
          return Status::Ok();
        }
        if (!unit.known) {
          unit.stored.cursor.generation = hello->generation;
          unit.stored.cursor.seq = 0;
          unit.stored.cursor.hash.assign(kHashSize, '\0');
          unit.known = true;
        } else if (unit.stored.cursor.generation != hello->generation) {
          Alarm(unit, "an unknown generation connected (re-initialized or cloned unit?)");
          *refusal = Refusal{ErrorCode::kRefused, "unknown generation: restore this unit from the central node"};
          return Status::Ok();
        }
        reply = unit.stored.cursor;
      }
      return ch.WriteFrame(MsgType::kCursor, Encode(reply), io);
    }
    case MsgType::kPush: {
      auto push = DecodePush(frame.payload);
      if (!push.ok()) {
        *refusal = Refusal{ErrorCode::kMalformed, "undecodable push"};
        return Status::Ok();
      }
      BRANKAS_ASSIGN_OR_RETURN(Ack ack, ApplyPush(unit, *push, refusal));
      if (refusal->has_value()) return Status::Ok();
      return ch.WriteFrame(MsgType::kAck, Encode(ack), io);
    }
    case MsgType::kPull: {
      auto pull = DecodePull(frame.payload);
      if (!pull.ok() || pull->unit != unit.config.code) {
        *refusal = Refusal{ErrorCode::kRefused, "this identity is pinned for another unit"};
        return Status::Ok();
      }
      Status s = StreamNamespace(unit, ch);
      if (s.code() == Code::kNotFound) *refusal = Refusal{ErrorCode::kRefused, "nothing held for this unit"};
      return s.code() == Code::kNotFound ? Status::Ok() : s;
    }
    case MsgType::kFence: {
      auto fence = DecodeFence(frame.payload);
      if (!fence.ok()) {
        *refusal = Refusal{ErrorCode::kMalformed, "undecodable fence"};
        return Status::Ok();
      }
      BRANKAS_RETURN_IF_ERROR(FenceUnit(unit, *fence, refusal));
      if (refusal->has_value()) return Status::Ok();
      return ch.WriteFrame(MsgType::kFenced, "", io);
    }
    case MsgType::kBlobProbe: {
      auto probe = DecodeBlobProbe(frame.payload);
      if (!probe.ok()) {
        *refusal = Refusal{ErrorCode::kMalformed, "undecodable blob probe"};
        return Status::Ok();
      }
      BlobHeld held;
      held.evidence_id = probe->evidence_id;
      {
        std::lock_guard<std::mutex> lock(unit.mu);
        if (!unit.known) {
          *refusal = Refusal{ErrorCode::kRefused, "say hello first"};
          return Status::Ok();
        }
        // Only what a synced write covered counts as held.
        if (unit.blobs_unsynced) {
          Batch sync;  // the cursor as it is, written synced: the WAL before it is on disk
          sync.Put(Column::kMeta, CursorKey(unit.config.code), EncodeStoredCursor(unit.stored));
          BRANKAS_RETURN_IF_ERROR(store->Write(sync, Durability::kSync));
          unit.blobs_unsynced = false;
        }
        BRANKAS_ASSIGN_OR_RETURN(held.chunks, ChunksHeld(unit, probe->evidence_id));
      }
      return ch.WriteFrame(MsgType::kBlobHeld, Encode(held), io);
    }
    case MsgType::kInboxPull: {
      auto pull = DecodeInboxPull(frame.payload);
      if (!pull.ok()) {
        *refusal = Refusal{ErrorCode::kMalformed, "undecodable inbox pull"};
        return Status::Ok();
      }
      return ServeInbox(unit, ch, *pull);
    }
    case MsgType::kBlob: {
      auto blob = DecodeBlob(frame.payload);
      if (!blob.ok()) {
        *refusal = Refusal{ErrorCode::kMalformed, "undecodable blob"};
        return Status::Ok();
      }
      return StoreBlob(unit, *blob, assembly, refusal);
    }
    default:
      *refusal = Refusal{ErrorCode::kMalformed, "unexpected message type"};
      return Status::Ok();
  }
}

void CentralNode::Impl::Serve(std::list<Session>::iterator self, int fd) {
  auto ch = TlsChannel::Accept(tls, fd, pins, options.handshake_timeout_ms);
  if (!ch.ok()) {
    spdlog::warn("replication: refused a connection: {}", ch.status().message());
  } else {
    Unit& unit = *by_pin.at((*ch)->peer_pin());
    {
      std::lock_guard<std::mutex> lock(sessions_mu);
      self->channel = ch->get();
      if (stopping) (*ch)->Abort();
    }
    {
      std::lock_guard<std::mutex> lock(unit.mu);
      ++unit.sessions;
    }
    spdlog::info("replication: unit {} connected from {}", unit.config.code, (*ch)->peer_address());
    std::string why = "closed";
    BlobAssembly assembly;
    for (;;) {
      auto frame = (*ch)->ReadFrame(options.max_frame_bytes, options.io_timeout_ms);
      if (!frame.ok()) {
        why = frame.status().message();
        break;
      }
      std::optional<Refusal> refusal;
      Status s = HandleFrame(unit, **ch, *frame, &assembly, &refusal);
      if (refusal) {
        spdlog::warn("replication: unit {}: refused ({}): {}", unit.config.code, ErrorCodeName(refusal->code),
                     refusal->text);
        (void)(*ch)->WriteFrame(MsgType::kError, Encode(ErrorMsg{refusal->code, refusal->text}), 1000);
        why = "refused";
        break;
      }
      if (!s.ok()) {
        why = s.message();
        break;
      }
    }
    (*ch)->Close();
    {
      std::lock_guard<std::mutex> lock(unit.mu);
      --unit.sessions;
    }
    spdlog::info("replication: unit {} disconnected: {}", unit.config.code, why);
  }
  std::lock_guard<std::mutex> lock(sessions_mu);
  self->channel = nullptr;
  self->finished = true;
  --open_sessions;
}

void CentralNode::Impl::Accept() {
  acceptor.async_accept([this](const boost::system::error_code& ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor.is_open()) return;
    if (!ec) {
      std::lock_guard<std::mutex> lock(sessions_mu);
      // Reap finished sessions.
      for (auto it = sessions.begin(); it != sessions.end();) {
        if (it->finished) {
          it->thread.join();
          it = sessions.erase(it);
        } else {
          ++it;
        }
      }
      if (stopping || open_sessions >= options.max_connections) {
        spdlog::warn("replication: connection refused: {} sessions open", open_sessions);
      } else {
        ++open_sessions;
        int fd = socket.release();
        auto it = sessions.emplace(sessions.end());
        it->thread = std::thread([this, it, fd] { Serve(it, fd); });
      }
    }
    Accept();
  });
}

std::string UnitPrefix(std::string_view unit) { return "u/" + std::string(unit) + "/"; }

CentralNode::CentralNode(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
CentralNode::~CentralNode() { Stop(); }

Result<std::unique_ptr<CentralNode>> CentralNode::Start(const std::string& data_dir, const CentralOptions& options) {
  BRANKAS_RETURN_IF_ERROR(InitCrypto());
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  StoreOptions so;
  so.create_if_missing = true;
  BRANKAS_ASSIGN_OR_RETURN(impl->store, OpenRocksStore(data_dir, so));
  std::string key_file = options.signing_key_file;
  if (key_file.empty()) key_file = (std::filesystem::path(data_dir).parent_path() / "central-signing.key").string();
  BRANKAS_ASSIGN_OR_RETURN(impl->signing, LoadOrCreateSigningKey(key_file));
  BRANKAS_ASSIGN_OR_RETURN(impl->tls, MakeChannelContext(/*server=*/true, options.tls_cert, options.tls_key));
  BRANKAS_RETURN_IF_ERROR(impl->Load());
  boost::system::error_code ec;
  auto address = asio::ip::make_address(options.listen_host, ec);
  if (ec) return InvalidArgument("cannot listen on " + options.listen_host + ": not an IP address");
  tcp::endpoint ep(address, options.listen_port);
  impl->acceptor.open(ep.protocol(), ec);
  if (!ec) impl->acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) impl->acceptor.bind(ep, ec);
  if (!ec) impl->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return Unavailable("cannot listen on " + options.listen_host + ":" + std::to_string(options.listen_port) +
                             ": " + ec.message());
  impl->port = impl->acceptor.local_endpoint().port();
  impl->Accept();
  Impl* raw = impl.get();
  impl->accept_thread = std::thread([raw] { raw->accept_ioc.run(); });
  return std::unique_ptr<CentralNode>(new CentralNode(std::move(impl)));
}

uint16_t CentralNode::port() const { return impl_->port; }
const std::string& CentralNode::public_key() const { return impl_->signing.public_key; }

void CentralNode::Stop() {
  if (!impl_ || !impl_->accept_thread.joinable()) return;
  asio::post(impl_->accept_ioc, [this] {
    boost::system::error_code ec;
    impl_->acceptor.close(ec);
  });
  impl_->accept_thread.join();
  std::list<Impl::Session> sessions;
  {
    std::lock_guard<std::mutex> lock(impl_->sessions_mu);
    impl_->stopping = true;
    for (auto& s : impl_->sessions) {
      if (s.channel != nullptr) s.channel->Abort();
    }
  }
  // Sessions finish on their own after the abort (or their handshake deadline).
  for (auto& s : impl_->sessions) {
    if (s.thread.joinable()) s.thread.join();
  }
  impl_->sessions.clear();
}

std::vector<CentralUnitState> CentralNode::Units() const {
  std::vector<CentralUnitState> out;
  for (auto& [code, u] : impl_->units) {
    std::lock_guard<std::mutex> lock(u->mu);
    CentralUnitState s;
    s.unit = code;
    s.cursor = u->stored.cursor;
    s.halted = u->stored.halted;
    s.halt_reason = u->stored.reason;
    s.alarms = u->alarms;
    s.receipts = u->receipts;
    s.last_contact_us = u->last_contact_us;
    s.sessions = u->sessions;
    out.push_back(std::move(s));
  }
  return out;
}

namespace {

Result<DrillReport> DrillOn(Store& store, const std::string& unit, std::string node_key) {
  DrillReport report;
  report.unit = unit;
  BRANKAS_ASSIGN_OR_RETURN(auto cursor, store.Get(Column::kMeta, CursorKey(unit)));
  if (!cursor) return NotFound("the central node holds nothing for unit " + unit);
  BRANKAS_ASSIGN_OR_RETURN(auto stored, DecodeStoredCursor(*cursor));
  report.cursor = stored.cursor;
  PrefixStore view(&store, UnitPrefix(unit));
  BRANKAS_ASSIGN_OR_RETURN(auto digest, ReplicatedDigest(view, ""));
  report.records = digest.count;
  report.digest = digest.digest;
  if (node_key.empty()) {
    BRANKAS_ASSIGN_OR_RETURN(auto learned, store.Get(Column::kMeta, NodeKeyKey(unit)));
    if (learned) node_key = *learned;
  }
  if (node_key.empty()) {
    auto stored_key = LoadNodePublicKey(view);
    if (stored_key.ok()) node_key = *stored_key;
  }
  if (node_key.size() != kSignPublicKeySize) {
    report.problem = "the unit's node key is unknown";
    return report;
  }
  BRANKAS_ASSIGN_OR_RETURN(report.audit, VerifyAuditChain(view, node_key));
  // Every receipt must be a valid countersignature of an entry the copy still holds.
  const std::string receipt_prefix = "r/" + unit + "/";
  std::string receipt_problem;
  BRANKAS_RETURN_IF_ERROR(store.Scan(Column::kAudit, receipt_prefix, "", [&](std::string_view, std::string_view v) {
    ++report.receipts;
    auto r = DecodeReceipt(v);
    if (!r.ok() || !VerifyReceipt(*r)) {
      receipt_problem = "a receipt does not verify";
      return false;
    }
    auto entry = view.Get(Column::kAudit, AuditEntryKey(r->checkpoint_seq));
    if (!entry.ok() || !*entry) {
      receipt_problem = "audit entry " + std::to_string(r->checkpoint_seq) + " named by a receipt is missing";
      return false;
    }
    auto decoded = DecodeAuditEntry(**entry);
    if (!decoded.ok() || decoded->hash != r->checkpoint_hash) {
      receipt_problem = "audit entry " + std::to_string(r->checkpoint_seq) + " differs from its receipt";
      return false;
    }
    ++report.receipts_valid;
    return true;
  }));
  if (!report.audit.intact) {
    report.problem = "audit chain: " + report.audit.problem;
  } else if (!receipt_problem.empty()) {
    report.problem = receipt_problem;
  } else {
    report.ok = true;
  }
  return report;
}

}  // namespace

Result<DrillReport> CentralNode::Drill(const std::string& unit) {
  auto it = impl_->units.find(unit);
  if (it == impl_->units.end()) return NotFound("unit " + unit + " is not configured");
  BRANKAS_ASSIGN_OR_RETURN(auto snap, impl_->store->Snapshot());
  std::string key;
  {
    std::lock_guard<std::mutex> lock(it->second->mu);
    key = it->second->node_key;
  }
  return DrillOn(*snap, unit, key);
}

Result<DrillReport> DrillOffline(const std::string& data_dir, const std::string& unit,
                                 const std::string& node_key_hex) {
  BRANKAS_RETURN_IF_ERROR(InitCrypto());
  std::string key;
  if (!node_key_hex.empty() && (!FromHex(node_key_hex, &key) || key.size() != kSignPublicKeySize)) {
    return InvalidArgument("the node key must be 64 hex digits");
  }
  StoreOptions so;
  so.read_only = true;
  BRANKAS_ASSIGN_OR_RETURN(auto store, OpenRocksStore(data_dir, so));
  return DrillOn(*store, unit, key);
}

}  // namespace brankas::repl
