// The replication protocol's messages (DESIGN.md, "Replication").
//
// Frames on a mutually authenticated TLS 1.3 stream:
//   u32 big-endian length (of what follows) | u8 type | payload
// Payloads use the project's codec (brankas/codec.h: little-endian integers,
// u32-length-prefixed bytes). A unit always dials out; the central node answers.
//
//   unit                         central
//   Hello{unit, generation}  ->
//                            <-  Cursor{generation, seq, hash}   (what it holds durably)
//   Push{generation, entries} ->                                (contiguous changelog entries)
//                            <-  Ack{seq, hash, receipts}        (durable at central)
//   ... (a Push with no entries is a heartbeat)
//   Pull{unit}               ->                                  (restore)
//                            <-  Chunk{records}... End{generation, seq, hash, count, digest}
//   Fence{old, new}          ->                                  (after a restore)
//                            <-  Fenced
//   BlobProbe{evidence id}   ->                                  (before a Push whose entries
//                            <-  BlobHeld{evidence id, chunks}    hold a new attachment record)
//   Blob{id, index, offset, total, bytes}... ->                  (its sealed chunks from there,
//                                                                 in slices; no reply: the next
//                                                                 Push's synced write covers them)
//   InboxPull{after seq}     ->                                  (referrals from other units)
//                            <-  Inbox{items}                    (relayed records, in order)
//   any error                <-  Error{code, text}; the central node then closes
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "brankas/codec.h"
#include "brankas/crypto.h"
#include "brankas/status.h"
#include "brankas/store.h"

namespace brankas::repl {

inline constexpr uint8_t kProtocolVersion = 1;

enum class MsgType : uint8_t {
  kHello = 1,
  kCursor = 2,
  kPush = 3,
  kAck = 4,
  kError = 5,
  kPull = 6,
  kChunk = 7,
  kEnd = 8,
  kFence = 9,
  kFenced = 10,
  kBlobProbe = 11,
  kBlobHeld = 12,
  kBlob = 13,
  kInboxPull = 14,
  kInbox = 15,
};

// Why the central node refused; the unit shows it in its status and alarms.
enum class ErrorCode : uint8_t {
  kRefused = 1,     // not this unit's identity, or an unknown unit
  kHalted = 2,      // a gap or a fork: the unit's stream is halted until an operator acts
  kConflict = 3,    // an entry at or below the cursor differs from the one held
  kRetired = 4,     // the generation was retired by a restore
  kMalformed = 5,   // undecodable frame or message
  kUnavailable = 6, // the central node could not write
};
const char* ErrorCodeName(ErrorCode code);

struct Hello {
  uint8_t version = kProtocolVersion;
  std::string unit;
  std::string generation;  // 16 bytes
  uint64_t local_seq = 0;
};
struct Cursor {
  std::string generation;  // 16 bytes
  uint64_t seq = 0;
  std::string hash;        // 32 bytes; zeros at seq 0
};
struct Push {
  std::string generation;
  std::vector<std::string> entries;  // EncodeChangelogEntry, contiguous
};
// A countersignature by the central node of one of the unit's signed audit checkpoints.
struct Receipt {
  std::string unit;
  std::string generation;
  uint64_t changelog_seq = 0;   // the entry that carried the checkpoint
  uint64_t checkpoint_seq = 0;  // audit seq
  std::string checkpoint_hash;  // 32 bytes: the audit entry hash the checkpoint signs
  int64_t time_us = 0;          // when the central node made it durable
  std::string central_key;      // 32 bytes
  std::string signature;        // 64 bytes, Ed25519 over ReceiptMessage()
};
std::string ReceiptMessage(const Receipt& r);
std::string EncodeReceipt(const Receipt& r);
Result<Receipt> DecodeReceipt(std::string_view bytes);
bool VerifyReceipt(const Receipt& r);

struct Ack {
  uint64_t seq = 0;
  std::string hash;
  std::vector<Receipt> receipts;
};
struct ErrorMsg {
  ErrorCode code = ErrorCode::kMalformed;
  std::string text;  // fixed vocabulary plus sequence numbers; never data
};
struct Pull {
  std::string unit;
};
struct Record {
  Column column = Column::kRecords;
  std::string key;    // without the central node's namespace prefix
  std::string value;
};
struct Chunk {
  std::vector<Record> records;
};
struct End {
  Cursor cursor;
  uint64_t count = 0;
  std::string digest;  // ReplicatedDigest of what was sent
};
struct Fence {
  std::string old_generation;
  std::string new_generation;
};

// Attachment chunks (brankas/evidence.h) travel beside the changelog: sealed
// by the unit (secretstream under a per-file key the central node never holds),
// so the central node stores them as opaque bytes under the unit's namespace.
struct BlobProbe {
  std::string evidence_id;
};
struct BlobHeld {
  std::string evidence_id;
  uint64_t chunks = 0;  // chunks 0..chunks-1 are held durably
};
// One slice of one sealed chunk; a chunk is sent as contiguous slices from
// offset 0 to `total` so that each frame fits the I/O deadline at a capped rate.
struct Blob {
  std::string evidence_id;
  uint64_t index = 0;
  uint32_t offset = 0;
  uint32_t total = 0;  // the sealed chunk's size
  std::string bytes;
};
// The largest sealed chunk accepted (a plaintext chunk plus secretstream overhead, with room).
inline constexpr uint32_t kMaxBlobBytes = (1u << 20) + 4096;
// Evidence ids on the wire: letters, digits, '-' and '_', 1..64 bytes.
bool IsWellFormedEvidenceId(std::string_view id);

// Referral records other units addressed to this one (brankas/referral.h),
// copied by the central node from their changelogs into this unit's inbox
// under an increasing sequence; opaque to the central node.
struct InboxPull {
  uint64_t after_seq = 0;
};
struct InboxItem {
  uint64_t seq = 0;
  std::string from_unit, referral_id, record;
};
struct Inbox {
  std::vector<InboxItem> items;
};

// A cursor's fields (generation 16 bytes, seq, hash 32 bytes), for messages
// and for the central node's stored cursors.
void PutCursor(const Cursor& c, Writer* w);
bool GetCursor(Reader* r, Cursor* c);

std::string Encode(const Hello& m);
std::string Encode(const Cursor& m);
std::string Encode(const Push& m);
std::string Encode(const Ack& m);
std::string Encode(const ErrorMsg& m);
std::string Encode(const Pull& m);
std::string Encode(const Chunk& m);
std::string Encode(const End& m);
std::string Encode(const Fence& m);
std::string Encode(const BlobProbe& m);
std::string Encode(const BlobHeld& m);
std::string Encode(const Blob& m);
std::string Encode(const InboxPull& m);
std::string Encode(const Inbox& m);
std::string EncodeInboxItem(const InboxItem& m);  // the central node's stored form (seq in the key)

// Each decoder returns kInvalidArgument on malformed input.
Result<Hello> DecodeHello(std::string_view payload);
Result<Cursor> DecodeCursor(std::string_view payload);
Result<Push> DecodePush(std::string_view payload);
Result<Ack> DecodeAck(std::string_view payload);
Result<ErrorMsg> DecodeError(std::string_view payload);
Result<Pull> DecodePull(std::string_view payload);
Result<Chunk> DecodeChunk(std::string_view payload);
Result<End> DecodeEnd(std::string_view payload);
Result<Fence> DecodeFence(std::string_view payload);
Result<BlobProbe> DecodeBlobProbe(std::string_view payload);
Result<BlobHeld> DecodeBlobHeld(std::string_view payload);
// Also checks the slice lies inside [0, total] and total <= kMaxBlobBytes.
Result<Blob> DecodeBlob(std::string_view payload);
Result<InboxPull> DecodeInboxPull(std::string_view payload);
Result<Inbox> DecodeInbox(std::string_view payload);
Result<InboxItem> DecodeInboxItem(std::string_view bytes);

// A running digest over replicated records in (column, key) order: what the
// unit holds (minus node-local state and the outbox) and what the central node
// holds for it hash alike.
class DigestBuilder {
 public:
  DigestBuilder();
  void Add(Column column, std::string_view key, std::string_view value);
  uint64_t count() const { return count_; }
  std::string Finish();

 private:
  Hasher hasher_;
  uint64_t count_ = 0;
};

// True for records a unit replicates: everything but the changelog column
// itself and node-local state (IsNodeLocal).
bool IsReplicated(Column column, std::string_view key);

// Calls fn for every replicated record of `store` whose key starts with
// `prefix`, in (column, key) order, with the prefix stripped. The unit side
// uses prefix "", the central side "u/<UNIT>/".
Status ForEachReplicated(Store& store, std::string_view prefix,
                         const std::function<bool(Column, std::string_view key, std::string_view value)>& fn);
// Digest and count of ForEachReplicated.
struct DigestResult { std::string digest; uint64_t count = 0; };
Result<DigestResult> ReplicatedDigest(Store& store, std::string_view prefix);

}  // namespace brankas::repl
