// VerifyAuditChain: walks the whole audit trail, checkpoints and signed head.
//
// Three passes, each in key order: the entries (the chain itself), the
// checkpoints (each checked against the verified entries), the signed head. Every
// problem found is noted with the sequence it condemns; the earliest is reported.
#include <cstdint>
#include <limits>
#include <optional>
#include <string>

#include "brankas/audit.h"
#include "brankas/crypto.h"
#include "brankas/store.h"

namespace brankas {
namespace {

constexpr uint64_t kNone = std::numeric_limits<uint64_t>::max();

std::string Seq(uint64_t seq) { return std::to_string(seq); }

class Verifier {
 public:
  Verifier(Store& store, std::string_view public_key) : store_(store), public_key_(public_key) {}

  Result<VerifyReport> Run() {
    BRANKAS_RETURN_IF_ERROR(WalkEntries());
    BRANKAS_RETURN_IF_ERROR(WalkCheckpoints());
    BRANKAS_RETURN_IF_ERROR(CheckHead());
    report_.intact = first_bad_ == kNone;
    if (!report_.intact) {
      report_.first_bad_seq = first_bad_;
      report_.problem = problem_;
    }
    return report_;
  }

 private:
  void Note(uint64_t seq, std::string problem) {
    if (seq < first_bad_) {
      first_bad_ = seq;
      problem_ = std::move(problem);
    }
  }

  // Entries must run 1, 2, 3, ... each continuing the previous hash.
  Status WalkEntries() {
    uint64_t expected = 1;
    std::string prev_hash(kHashSize, '\0');
    bool chain_ok = true;
    Status scan = store_.Scan(
        Column::kAudit, kAuditEntryPrefix, {}, [&](std::string_view key, std::string_view value) {
          ++report_.entries;
          if (key.size() != 1 + 8) {
            if (chain_ok) Note(expected, "entry " + Seq(expected) + ": malformed entry key");
            chain_ok = false;
            return true;
          }
          const uint64_t seq = GetBigEndian64(key.substr(1));
          last_seq_ = seq;
          if (!chain_ok) return true;
          chain_ok = false;  // until this entry has passed every check
          if (seq != expected) {
            Note(expected, seq > expected ? "entry " + Seq(expected) + ": missing"
                                          : "entry " + Seq(expected) + ": unexpected entry key");
            return true;
          }
          Result<AuditEntry> entry = DecodeAuditEntry(value);
          if (!entry.ok()) {
            Note(seq,
                 "entry " + Seq(seq) + ": cannot be decoded (" + entry.status().message() + ")");
            return true;
          }
          if (entry->seq != seq) {
            Note(seq, "entry " + Seq(seq) + ": stored under another sequence (claims " +
                          Seq(entry->seq) + ")");
            return true;
          }
          if (entry->prev_hash != prev_hash) {
            Note(seq, "entry " + Seq(seq) + ": previous hash does not match the entry before");
            return true;
          }
          if (ComputeEntryHash(*entry) != entry->hash) {
            Note(seq, "entry " + Seq(seq) + ": hash does not recompute (contents changed)");
            return true;
          }
          chain_ok = true;
          prev_hash = entry->hash;
          verified_through_ = seq;
          ++expected;
          return true;
        });
    return scan;
  }

  // The hash of entry `seq`, which the entry walk has verified.
  Result<std::string> VerifiedHash(uint64_t seq) {
    BRANKAS_ASSIGN_OR_RETURN(std::optional<std::string> value,
                             store_.Get(Column::kAudit, AuditEntryKey(seq)));
    if (!value.has_value()) return Internal("audit: a verified entry vanished during the walk");
    BRANKAS_ASSIGN_OR_RETURN(AuditEntry entry, DecodeAuditEntry(*value));
    return entry.hash;
  }

  Status WalkCheckpoints() {
    Status inner = Status::Ok();
    Status scan = store_.Scan(
        Column::kAudit, kAuditCheckpointPrefix, {},
        [&](std::string_view key, std::string_view value) {
          ++report_.checkpoints;
          if (key.size() != 1 + 8) {
            Note(last_valid_signature_ + 1, "checkpoint: malformed checkpoint key");
            return true;
          }
          const uint64_t key_seq = GetBigEndian64(key.substr(1));
          Result<Checkpoint> cp = DecodeCheckpoint(value);
          if (!cp.ok()) {
            Note(key_seq, "checkpoint " + Seq(key_seq) + ": cannot be decoded (" +
                              cp.status().message() + ")");
            return true;
          }
          if (cp->seq != key_seq) {
            Note(key_seq, "checkpoint " + Seq(key_seq) + ": stored under another sequence");
            return true;
          }
          if (!VerifySignature(public_key_, CheckpointMessage(*cp), cp->signature)) {
            Note(key_seq, "checkpoint " + Seq(key_seq) + ": signature does not verify");
            return true;
          }
          if (key_seq == 0 || key_seq > last_seq_) {
            Note(last_seq_ + 1, "entries " + Seq(last_seq_ + 1) + ".." + Seq(key_seq) +
                                    ": missing (the signed checkpoint at " + Seq(key_seq) +
                                    " lies beyond the last entry)");
            return true;
          }
          if (key_seq > verified_through_) return true;  // the entry walk already failed earlier
          Result<std::string> hash = VerifiedHash(key_seq);
          if (!hash.ok()) {
            inner = hash.status();
            return false;
          }
          if (*hash != cp->hash) {
            Note(last_valid_signature_ + 1, "entries " + Seq(last_valid_signature_ + 1) + ".." +
                                                Seq(key_seq) +
                                                ": do not match the signed checkpoint at " +
                                                Seq(key_seq) + " (history rewritten)");
            return true;
          }
          last_valid_signature_ = key_seq;
          return true;
        });
    BRANKAS_RETURN_IF_ERROR(scan);
    return inner;
  }

  Status CheckHead() {
    const uint64_t unproven = last_valid_signature_ + 1;
    const std::string after =
        "entries after " + Seq(last_valid_signature_) + " are covered by no valid signature";
    BRANKAS_ASSIGN_OR_RETURN(std::optional<std::string> bytes,
                             store_.Get(Column::kMeta, kAuditHeadKey));
    if (!bytes.has_value()) {
      if (report_.entries > 0 || report_.checkpoints > 0) {
        Note(unproven, "signed head: missing; " + after);
      }
      return Status::Ok();
    }
    Result<AuditHead> head = DecodeAuditHead(*bytes);
    if (!head.ok()) {
      Note(unproven, "signed head: cannot be decoded (" + head.status().message() + "); " + after);
      return Status::Ok();
    }
    if (!VerifySignature(public_key_, AuditHeadMessage(*head), head->signature)) {
      Note(unproven, "signed head: signature does not verify; " + after);
      return Status::Ok();
    }
    if (head->seq > last_seq_) {
      Note(last_seq_ + 1, "entries " + Seq(last_seq_ + 1) + ".." + Seq(head->seq) +
                              ": missing (the signed head is at " + Seq(head->seq) + ")");
      return Status::Ok();
    }
    if (head->seq < last_seq_) {
      Note(head->seq + 1, "entries " + Seq(head->seq + 1) + ".." + Seq(last_seq_) +
                              ": beyond the signed head at " + Seq(head->seq));
      return Status::Ok();
    }
    if (head->seq == 0) {
      if (head->hash != std::string(kHashSize, '\0')) {
        Note(1, "signed head: an empty chain with a non-zero hash");
      }
      return Status::Ok();
    }
    if (verified_through_ != head->seq) return Status::Ok();  // the entry walk already failed
    BRANKAS_ASSIGN_OR_RETURN(std::string hash, VerifiedHash(head->seq));
    if (hash != head->hash) {
      Note(unproven, "entries " + Seq(unproven) + ".." + Seq(head->seq) +
                         ": do not match the signed head (history rewritten)");
    }
    return Status::Ok();
  }

  Store& store_;
  std::string_view public_key_;
  VerifyReport report_;
  uint64_t first_bad_ = kNone;
  std::string problem_;
  uint64_t last_seq_ = 0;              // the greatest well-formed entry key
  uint64_t verified_through_ = 0;      // entries 1..this form an intact chain
  uint64_t last_valid_signature_ = 0;  // the last checkpoint that verified and matched
};

}  // namespace

Result<VerifyReport> VerifyAuditChain(Store& store, std::string_view node_public_key) {
  if (node_public_key.size() != kSignPublicKeySize) {
    return InvalidArgument("audit verify: the node public key must be 32 bytes");
  }
  Verifier verifier(store, node_public_key);
  return verifier.Run();
}

}  // namespace brankas
