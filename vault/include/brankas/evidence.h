// Evidence attachments: photos, documents, audio and video of one case,
// streamed in and out with memory bounded by one chunk whatever the file size.
//
// Each attachment has its own random file key, wrapped (XChaCha20-Poly1305,
// associated data binding unit, case and evidence id) by the case's
// `legal_evidence` data key: shredding the case makes it unreadable. The
// plaintext is cut into chunks and sealed with libsodium's secretstream
// (XChaCha20-Poly1305), so a chunk cannot be altered, dropped, reordered or
// cut off at the end without the reader noticing. The SHA-256 of the
// plaintext is computed at intake, stored, returned, written into the audit
// entry of the intake (who, when, from where) and checked again by every read.
//
// Stored:
//   records  "e/" case_id "/" evidence_id  -> EncodeEvidenceRecord (versioned)
//   evidence "c/" evidence_id "/" be64(i)  -> secretstream message i
// The evidence column family keeps its values in RocksDB blob files.
//
// Custody trail: every add, list and read of an attachment is an audit entry
// ("evidence.add", "evidence.list", "evidence.get"; denied or failed ones too)
// whose detail names the evidence id; the intake entry also its size and hash.
//
// Chunks are written as they arrive, without the commit group and without
// the WAL (Durability::kUnlogged: the bytes are written once, to blob files);
// Finish flushes the evidence column (fsync'd blob and table files) and only
// then commits the record and its audit entry (fsync'd), so nothing is
// acknowledged before it is durable. An upload dropped before Finish deletes
// its chunks; a crash before Finish loses them (their upload never succeeded).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "brankas/status.h"

namespace brankas {

struct EvidenceInfo {
  std::string evidence_id, case_id;
  std::string name;          // the file name given at intake (stored sealed)
  std::string content_type;  // e.g. "image/jpeg"
  uint64_t size = 0;         // plaintext bytes
  std::string sha256;        // 32 bytes: SHA-256 of the plaintext
  std::string added_by;      // user
  std::string added_from;    // client address
  int64_t added_us = 0;
};

inline constexpr size_t kEvidenceChunkBytes = 1u << 20;

// Where an attachment lives in the store: its record in the records column
// ("e/<case>/<evidence id>", replicated through the changelog) and its sealed
// chunks in the evidence column ("c/<evidence id>/" + be64(index), shipped
// beside the changelog: replication/shipper.cc).
std::string EvidenceChunkPrefix(std::string_view evidence_id);
std::string EvidenceChunkKey(std::string_view evidence_id, uint64_t index);
// The evidence id of a record key "e/<case>/<id>"; empty when `key` is not one.
std::string_view EvidenceIdOfRecordKey(std::string_view key);
inline constexpr uint64_t kDefaultMaxEvidenceBytes = 2ull << 30;  // 2 GiB
inline constexpr uint64_t kMaxEvidenceBytesLimit = 1ull << 40;    // the highest size limit: 1 TiB

// An attachment being written. Not thread-safe: one caller at a time (the
// connection that streams it). Dropping it before Finish aborts it.
class EvidenceUpload {
 public:
  struct State;
  explicit EvidenceUpload(std::unique_ptr<State> state);
  ~EvidenceUpload();
  EvidenceUpload(const EvidenceUpload&) = delete;
  EvidenceUpload& operator=(const EvidenceUpload&) = delete;

  // More plaintext. kTooLarge past the limit given to BeginEvidence; any error
  // ends the upload (its chunks are deleted, the failure audited).
  Status Append(std::string_view bytes);
  // Seals the last chunk and commits the record and its audit entry.
  Result<EvidenceInfo> Finish();
  // Deletes what was written and audits the upload as failed with `why`.
  void Abort(const Status& why);
  uint64_t size() const;

 private:
  std::unique_ptr<State> state_;
};

// A body of known size produced piece by piece (an attachment, a bundle):
// what the server streams. Not thread-safe.
class ByteStream {
 public:
  virtual ~ByteStream() = default;
  virtual uint64_t size() const = 0;
  // The next piece into *out (replacing it); false at the end. An error means
  // what was handed out so far must be discarded.
  virtual Result<bool> Next(std::string* out) = 0;
};

// An attachment being read, already authorized and audited. Not thread-safe.
class EvidenceReader final : public ByteStream {
 public:
  struct State;
  explicit EvidenceReader(std::unique_ptr<State> state);
  ~EvidenceReader() override;
  EvidenceReader(const EvidenceReader&) = delete;
  EvidenceReader& operator=(const EvidenceReader&) = delete;

  const EvidenceInfo& info() const;
  uint64_t size() const override { return info().size; }
  // The next piece of plaintext (at most one chunk) into *out, replacing what
  // was there; false once everything was returned and verified (secretstream
  // final tag, size and SHA-256). kCorruption, audited, when anything does not
  // verify: the caller must then discard what it was given.
  Result<bool> Next(std::string* out) override;

 private:
  std::unique_ptr<State> state_;
};

}  // namespace brankas
