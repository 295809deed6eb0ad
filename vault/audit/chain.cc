// AuditChain: the live head of the audit hash chain, owned by the committer.
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "brankas/audit.h"
#include "brankas/crypto.h"
#include "brankas/store.h"

namespace brankas {
namespace {

Result<std::string> CallSigner(const AuditSigner& sign, std::string_view message) {
  if (!sign) return FailedPrecondition("audit: no signer");
  Result<std::string> signature = sign(message);
  if (!signature.ok()) return signature.status();
  if (signature->size() != kSignatureSize) {
    return Internal("audit: the signer returned a malformed signature");
  }
  return signature;
}

struct LastEntry {
  uint64_t seq = 0;
  std::string hash;
};

// The greatest entry key and its hash, or seq 0 when there is none.
Result<LastEntry> ReadLastEntry(Store& store) {
  LastEntry last;
  Status decode = Status::Ok();
  BRANKAS_RETURN_IF_ERROR(store.ScanReverse(
      Column::kAudit, kAuditEntryPrefix, [&](std::string_view key, std::string_view value) {
        Result<AuditEntry> entry = DecodeAuditEntry(value);
        if (!entry.ok()) {
          decode = entry.status();
        } else if (key != AuditEntryKey(entry->seq)) {
          decode = Corruption("audit: the last entry is stored under another sequence");
        } else {
          last.seq = entry->seq;
          last.hash = std::move(entry->hash);
        }
        return false;
      }));
  BRANKAS_RETURN_IF_ERROR(decode);
  return last;
}

Result<std::optional<Checkpoint>> ReadLastCheckpoint(Store& store) {
  std::optional<Checkpoint> last;
  Status decode = Status::Ok();
  BRANKAS_RETURN_IF_ERROR(store.ScanReverse(Column::kAudit, kAuditCheckpointPrefix,
                                            [&](std::string_view, std::string_view value) {
                                              Result<Checkpoint> cp = DecodeCheckpoint(value);
                                              if (cp.ok()) {
                                                last = std::move(cp).value();
                                              } else {
                                                decode = cp.status();
                                              }
                                              return false;
                                            }));
  BRANKAS_RETURN_IF_ERROR(decode);
  return last;
}

}  // namespace

AuditChain::AuditChain(std::string node, AuditChainOptions options)
    : node_(std::move(node)), options_(options), head_hash_(kHashSize, '\0') {}

Result<std::unique_ptr<AuditChain>> AuditChain::Open(Store& store, std::string node,
                                                     AuditChainOptions options) {
  if (node.empty()) return InvalidArgument("audit: the chain needs a node id");
  std::unique_ptr<AuditChain> chain(new AuditChain(std::move(node), options));

  BRANKAS_ASSIGN_OR_RETURN(LastEntry last, ReadLastEntry(store));
  BRANKAS_ASSIGN_OR_RETURN(std::optional<std::string> head_bytes,
                           store.Get(Column::kMeta, kAuditHeadKey));
  if (!head_bytes.has_value()) {
    if (last.seq != 0) return Corruption("audit: entries exist but the signed head is missing");
  } else {
    BRANKAS_ASSIGN_OR_RETURN(AuditHead head, DecodeAuditHead(*head_bytes));
    if (head.node != chain->node_) {
      return FailedPrecondition("audit: the stored chain belongs to another node");
    }
    if (head.seq != last.seq || (last.seq != 0 && head.hash != last.hash)) {
      return Corruption("audit: the signed head does not match the last entry");
    }
    chain->head_seq_ = head.seq;
    chain->head_hash_ = head.hash;
    chain->checkpoint_time_us_ = head.time_us;
    chain->checkpoint_time_known_ = true;
  }
  chain->sealed_seq_ = chain->head_seq_;

  BRANKAS_ASSIGN_OR_RETURN(std::optional<Checkpoint> checkpoint, ReadLastCheckpoint(store));
  if (checkpoint.has_value()) {
    if (checkpoint->seq > chain->head_seq_) {
      return Corruption("audit: a checkpoint lies beyond the signed head");
    }
    chain->checkpoint_seq_ = checkpoint->seq;
    chain->checkpoint_time_us_ = checkpoint->time_us;
    chain->checkpoint_time_known_ = true;
  }
  return chain;
}

AuditChain::GroupMark AuditChain::Mark() const {
  GroupMark mark;
  mark.head_seq = head_seq_;
  mark.head_hash = head_hash_;
  mark.sealed_seq = sealed_seq_;
  mark.checkpoint_seq = checkpoint_seq_;
  mark.checkpoint_time_us = checkpoint_time_us_;
  mark.checkpoint_time_known = checkpoint_time_known_;
  return mark;
}

void AuditChain::Rollback(const GroupMark& mark) {
  head_seq_ = mark.head_seq;
  head_hash_ = mark.head_hash;
  sealed_seq_ = mark.sealed_seq;
  checkpoint_seq_ = mark.checkpoint_seq;
  checkpoint_time_us_ = mark.checkpoint_time_us;
  checkpoint_time_known_ = mark.checkpoint_time_known;
}

void AuditChain::Append(AuditEntry* entry, Batch* batch) {
  entry->seq = head_seq_ + 1;
  entry->node = node_;
  entry->prev_hash = head_hash_;
  entry->hash = ComputeEntryHash(*entry);
  batch->Put(Column::kAudit, AuditEntryKey(entry->seq), EncodeAuditEntry(*entry));
  head_seq_ = entry->seq;
  head_hash_ = entry->hash;
}

bool AuditChain::CheckpointDue(int64_t now_us) const {
  // The time trigger counts from the first sealed group when nothing older exists.
  const int64_t since_us = checkpoint_time_known_ ? checkpoint_time_us_ : now_us;
  const uint64_t new_entries = head_seq_ - checkpoint_seq_;
  if (new_entries == 0) return false;
  // Unsigned difference: no overflow whatever the clock says; a clock that went
  // backwards counts as no time passed.
  const uint64_t elapsed_us =
      now_us > since_us ? static_cast<uint64_t>(now_us) - static_cast<uint64_t>(since_us) : 0;
  return (options_.checkpoint_every_entries > 0 && new_entries >= options_.checkpoint_every_entries) ||
         (options_.checkpoint_every_us > 0 && elapsed_us >= static_cast<uint64_t>(options_.checkpoint_every_us));
}

Status AuditChain::SealGroup(const AuditSigner& sign, int64_t now_us, Batch* batch, bool force_checkpoint) {
  const bool appended = head_seq_ != sealed_seq_;
  const bool due = CheckpointDue(now_us) || (force_checkpoint && head_seq_ > checkpoint_seq_);
  // Nothing new: only a checkpoint that fell due since (an idle node's tail).
  if (!appended && !due) return Status::Ok();

  std::optional<AuditHead> head;
  if (appended) {
    head = AuditHead{head_seq_, head_hash_, now_us, node_, {}};
    BRANKAS_ASSIGN_OR_RETURN(head->signature, CallSigner(sign, AuditHeadMessage(*head)));
  }
  std::optional<Checkpoint> checkpoint;
  if (due) {
    checkpoint = Checkpoint{head_seq_, head_hash_, now_us, node_, {}};
    BRANKAS_ASSIGN_OR_RETURN(checkpoint->signature,
                             CallSigner(sign, CheckpointMessage(*checkpoint)));
  }

  // Both signatures are in hand: nothing below can fail.
  if (head.has_value()) batch->Put(Column::kMeta, std::string(kAuditHeadKey), EncodeAuditHead(*head));
  if (checkpoint.has_value()) {
    batch->Put(Column::kAudit, AuditCheckpointKey(checkpoint->seq), EncodeCheckpoint(*checkpoint));
    checkpoint_seq_ = checkpoint->seq;
    checkpoint_time_us_ = now_us;
    checkpoint_time_known_ = true;
  } else if (!checkpoint_time_known_) {
    checkpoint_time_us_ = now_us;
    checkpoint_time_known_ = true;
  }
  sealed_seq_ = head_seq_;
  return Status::Ok();
}

}  // namespace brankas
