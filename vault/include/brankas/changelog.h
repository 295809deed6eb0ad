// The changelog: the outbox replication ships (DESIGN.md, "Replication").
//
// Each commit group appends one entry holding exactly the key/value mutations
// the group made (already ciphertext), chained by BLAKE2b-256 over the previous
// entry's hash. A random 16-byte generation id is made at init and after every
// restore, so a cloned or restored node never mixes into its old stream.
//
// Stored: changelog CF, key be64(seq) -> the entry with its large write-once
// values (case versions) by reference to the records the same batch wrote
// (MaterializeChangelogEntry gives the full EncodeChangelogEntry bytes that
// are hashed and shipped); the head lives in meta "local/changelog_head"
// (node-local, never replicated itself).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "brankas/codec.h"
#include "brankas/status.h"
#include "brankas/store.h"

namespace brankas {

// Meta keys under this prefix are node-local: never shipped in the changelog.
// Sessions (acl "s/", "su/") are node-local too.
inline constexpr char kNodeLocalMetaPrefix[] = "local/";
inline constexpr char kChangelogHeadKey[] = "local/changelog_head";
// True for a mutation of node-local state.
bool IsNodeLocal(const Mutation& m);
inline constexpr char kGenerationKey[] = "node/generation";

struct ChangelogEntry {
  std::string generation;  // 16 bytes
  uint64_t seq = 0;        // 1-based, contiguous within a generation
  int64_t time_us = 0;
  std::string prev_hash;   // 32 bytes
  std::vector<Mutation> mutations;
  std::string hash;        // BLAKE2b-256 over prev_hash and the canonical entry
};

std::string EncodeChangelogEntry(const ChangelogEntry& e);
Result<ChangelogEntry> DecodeChangelogEntry(std::string_view bytes);
std::string ComputeChangelogHash(const ChangelogEntry& e);
// True when the encoded entry's stored hash is `hash` and matches its body:
// the check of ComputeChangelogHash without decoding and re-encoding.
bool EncodedChangelogEntryHashMatches(std::string_view bytes, std::string_view hash);
// The keys an encoded entry puts in `column` starting with `prefix`, read
// without copying the values (the shipper looks for new attachment records).
Result<std::vector<std::string>> ChangelogEntryPutKeys(std::string_view bytes, Column column,
                                                       std::string_view prefix);
// The full entry (what is hashed and shipped) of an entry as this node stores
// it in its outbox, whose large write-once values are stored by reference:
// they are read back from the store (or from where a later delete kept them).
Result<std::string> MaterializeChangelogEntry(Store& store, std::string_view stored);
// Stages the deletion of the values kept aside for outbox entries, once the
// entries that deleted them are acknowledged (seq <= acked).
Status PruneChangelogStash(Store& store, uint64_t acked, Batch* batch);
// The time of an encoded (full or stored) entry without decoding its
// mutations; 0 if malformed.
int64_t ChangelogEntryTimeUs(std::string_view bytes);

// The writer side, owned by the committer thread (not thread-safe).
class ChangelogWriter {
 public:
  struct Head { std::string generation; uint64_t seq = 0; std::string hash; };

  static Result<std::unique_ptr<ChangelogWriter>> Open(Store& store);
  // Appends an entry holding `mutations` (the group's batch so far) to *batch,
  // plus the new head. Rollback(mark) returns the in-memory head to a Mark()
  // taken before the groups whose write failed (with a pipelined committer
  // that can be several groups back).
  // Fails (and changes nothing) only when the store cannot be read.
  Status Append(int64_t time_us, Batch* batch);
  Head Mark() const { return head_; }
  void Rollback(Head mark) { head_ = std::move(mark); }
  Head head() const { return head_; }

 private:
  ChangelogWriter(Store& store, Head head) : store_(&store), head_(std::move(head)) {}
  Store* store_;
  Head head_;
  Writer full_;  // the full entry being hashed, its buffer reused group after group
};

// Verifies the stored changelog chain from its first retained entry to the head.
struct ChangelogReport { bool intact = false; uint64_t first = 0, last = 0; std::string problem; };
Result<ChangelogReport> VerifyChangelog(Store& store);

}  // namespace brankas
