// KeyRing: the key hierarchy of one unit's vault (DESIGN.md "Keys").
//
//   unit root key (32 random bytes; never stored in clear)
//     sealed by a passphrase (Argon2id-derived key + XChaCha20-Poly1305) and/or
//     split into k-of-n Shamir recovery shares (never stored, handed out once);
//     a check value (keyed BLAKE2b of a constant) tells a wrong share set apart.
//   under the root: the node's Ed25519 signing key, the blind-index key, and one
//     key-encryption key (KEK) per field class and version;
//   derived from the root (never stored): the statistics key (SealStatistics);
//   under KEK(class, version): one data key per (case, class).
// Every wrap is AEAD with associated data binding what the key is for (unit,
// class, version, case), so a wrapped key cannot be moved to another slot.
//
// Thread-safety: KeyRing is thread-safe; all methods may be called
// concurrently. Unseal/Seal are serialized internally.
// Ownership: KeyRing keeps a reference to the Store given to Load(); the store
// must outlive it. It never writes to the store itself: every change is
// appended to a caller-supplied Batch which the caller commits (through the
// single committer), then reports back where needed (ActivateKekRotation).
// Key material lives in SecretKey (locked, zeroed memory). DataKey() hands out
// shared_ptrs: callers drop them at the end of the request; Seal() wipes the
// ring's copies, not the ones callers still hold.
// Errors: kSealed whenever key material is needed and the ring is sealed;
// kCorruption when stored key records are malformed or fail authentication;
// kPermissionDenied for a wrong passphrase or share set. Messages never contain
// key material, passphrases, shares or plaintext.
//
// Stored layout (every value starts with a format version byte, codec.h):
//   meta "keys/unit"              v1 | bytes unit
//   meta "keys/root/passphrase"   v1 | bytes salt | u64 ops | u64 mem | bytes seal(pass_key, root)
//   meta "keys/root/shares"       v1 | u8 threshold | u8 count          (never the shares)
//   meta "keys/root/check"        v1 | bytes BLAKE2b-256(key=root, constant | unit)
//   meta "keys/node/sign_pk"      v1 | bytes Ed25519 public key (clear, for offline verifiers)
//   meta "keys/node/sign_sk"      v1 | bytes seal(root, Ed25519 secret key)
//   keys "idx/key"                v1 | bytes seal(root, blind-index key)
//   keys "kek/<class>/<be32 ver>" v1 | bytes seal(root, KEK)
//   keys "kek-current/<class>"    v1 | u32 version
//   keys "dk/<case_id>"           v1 | u8 n | n * (u8 class | u32 kek_version |
//                                   bytes seal(KEK(class, kek_version), data key))
//                                 every class's data key of the case in one record
//                                 (classes increasing; class = the FieldClass value)
// <class> in names is FieldClassName(). Associated data of each seal: see key_format.h.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "brankas/crypto.h"
#include "brankas/status.h"
#include "brankas/store.h"
#include "brankas/types.h"

namespace brankas {

struct InitOptions {
  // The unit this vault belongs to; bound into every wrap. Required, non-empty.
  std::string unit;
  // Seal the root key with this passphrase. Default: none.
  std::optional<std::string> passphrase;
  // Split the root key into `shares` recovery shares, any `threshold` of which
  // unseal. Default 0 = no shares. Else 1 <= threshold <= shares <= 255.
  int shares = 0;
  int threshold = 0;
  // Argon2id cost for the passphrase. Default: ops 3, 256 MiB.
  Argon2Params argon;
};

struct InitResult {
  // EncodeShare'd recovery shares. Secret: the caller shows them once and wipes
  // them (WipeString). Empty when no shares were requested.
  std::vector<std::string> shares;
  std::string node_public_key;  // 32-byte Ed25519 public key
};

struct KeyRingOptions {
  // Unwrapped data keys kept in memory (LRU). Each is one 64-byte slot of the
  // locked key pool (crypto.h) plus its map entry. Default: 65536.
  size_t data_key_cache_capacity = 65536;
};

// Reads the node's public signing key without unsealing (offline verifiers).
// kFailedPrecondition if the store holds no vault, kCorruption if malformed.
Result<std::string> LoadNodePublicKey(Store& store);

class DataKeyCache;

class KeyRing {
 public:
  struct Unsealed;  // internal: everything that exists only while unsealed

  struct UnsealProgress {
    int have = 0;       // shares collected so far
    int threshold = 0;  // shares needed
    bool unsealed = false;
  };

  // A prepared KEK rotation: commit `batch`, then ActivateKekRotation. Dropping
  // it without activating abandons the rotation (fine if the batch was not
  // committed; if the commit outcome is unknown, Load the ring again).
  // While one is outstanding, ShredCase answers kUnavailable, so a rewrap cannot
  // resurrect a shredded key.
  struct KekRotation {
    FieldClass cls = FieldClass::kAdministrative;
    uint32_t version = 0;     // the new KEK version
    size_t rewrapped = 0;     // data keys rewrapped in `batch`
    Batch batch;
    uint64_t epoch = 0;                   // internal: seal epoch at Prepare
    std::shared_ptr<const void> pending;  // internal: marks the rotation outstanding
  };

  ~KeyRing();
  KeyRing(const KeyRing&) = delete;
  KeyRing& operator=(const KeyRing&) = delete;

  // Creates a new vault's key material and appends all of it to *batch; the
  // caller commits it, then Load()s. At least one of passphrase and shares.
  // kConflict if `store` already holds a vault; kInvalidArgument for bad options.
  static Result<InitResult> Initialize(Store& store, const InitOptions& options, Batch* batch);

  // Reads the sealed state. kFailedPrecondition if not initialized,
  // kCorruption on malformed records. The ring starts sealed.
  static Result<std::unique_ptr<KeyRing>> Load(Store& store, const KeyRingOptions& options = {});

  bool sealed() const;
  const std::string& unit() const { return unit_; }
  const std::string& node_public_key() const { return node_public_key_; }
  bool has_passphrase() const { return passphrase_record_.has_value(); }
  int share_threshold() const { return share_threshold_; }  // 0: no shares

  // kPermissionDenied if the passphrase is wrong (stays sealed);
  // kFailedPrecondition if already unsealed or no passphrase was configured.
  Status UnsealWithPassphrase(std::string_view passphrase);
  // Collects EncodeShare'd shares until the threshold, then unseals. A bad set
  // gives kPermissionDenied and forgets the collected shares (start over).
  // kInvalidArgument for a malformed or repeated share.
  Result<UnsealProgress> AddShare(std::string_view encoded_share);
  // Drops collected but unused shares.
  void ClearShares();
  // Wipes the root key, KEKs, signing key, index key, collected shares and the
  // data key cache. Idempotent.
  void Seal();

  // Ed25519 signature by the node key. kSealed when sealed.
  Result<std::string> Sign(std::string_view message) const;
  // Opens a sealed box made for this node's key (SealToSigningKey). kSealed when sealed.
  Result<std::string> OpenSealedForNode(std::string_view sealed) const;
  // Keyed BLAKE2b-256 over (field, normalized_value), framed. kSealed when sealed.
  Result<std::string> BlindIndex(std::string_view field, std::string_view normalized_value) const;
  // AEAD under the unit's statistics key (XChaCha20-Poly1305): the
  // de-identified statistics facets of cases (engine/statistics_facet.h). The
  // key is derived from the root key (keyed BLAKE2b of a constant and the
  // unit), never stored, and is no data key of any case or class. kSealed when
  // sealed; OpenStatistics: kCorruption when the value does not authenticate.
  Result<std::string> SealStatistics(std::string_view plaintext, std::string_view ad) const;
  Result<std::string> OpenStatistics(std::string_view sealed, std::string_view ad) const;

  // The data keys of one case, indexed by static_cast<size_t>(FieldClass).
  using CaseKeys = std::array<std::shared_ptr<const SecretKey>, kFieldClassCount>;

  // Generates a data key per field class for a new case and appends the wrapped
  // keys to *batch. Returns the new keys so the caller can encrypt the case's
  // first fields into the same batch (they are not cached: DataKey() finds them
  // once the batch is committed). It does not read the store: the caller makes
  // sure the case is new (the engine commits a case's keys only together with
  // its metadata, expected absent). kConflict if the case was shredded (in this
  // process); kInvalidArgument for an empty case id.
  Result<CaseKeys> CreateCaseKeys(std::string_view case_id, Batch* batch);
  // The unwrapped data key (cached). kNotFound if absent or shredded,
  // kCorruption if the wrap does not verify, kSealed when sealed.
  Result<std::shared_ptr<const SecretKey>> DataKey(std::string_view case_id, FieldClass cls);
  // The data keys of several classes of one case at once (bit
  // 1 << static_cast<int>(cls) of `classes` per class; the others stay null):
  // one lock for the cached ones, at most one store read for the rest. Errors
  // as DataKey's, for the first class that fails.
  Result<CaseKeys> DataKeys(std::string_view case_id, uint32_t classes);

  // New KEK version for `cls`, every stored data key of `cls` rewrapped under it.
  // kConflict if another rotation is outstanding. Data keys created between
  // Prepare and the commit stay under the previous version (still readable);
  // the next rotation picks them up.
  Result<KekRotation> PrepareKekRotation(FieldClass cls);
  // Call after the rotation's batch committed: new data keys use the new version.
  void ActivateKekRotation(KekRotation&& rotation);
  // Current KEK version of `cls`; kSealed when sealed.
  Result<uint32_t> KekVersion(FieldClass cls) const;

  // Crypto-shredding: appends deletes of every data key of the case to *batch,
  // evicts them and refuses DataKey for the case from now on (even if the
  // commit fails: fail closed until the ring is loaded again).
  // kUnavailable while a KEK rotation is outstanding (retry after it).
  Status ShredCase(std::string_view case_id, Batch* batch);
  // Crypto-shredding of some classes of a case (bit 1 << static_cast<int>(cls)
  // of `classes`; never administrative): appends the case's key record
  // rewritten without them to *batch, evicts the case's cached keys and
  // refuses DataKey for those classes from now on (fail closed, as ShredCase).
  // kInvalidArgument for an empty or administrative set, kNotFound if the case
  // has no key record (or it was shredded), kUnavailable while a KEK rotation
  // is outstanding. The caller serializes shreds of one case (the engine
  // commits with the case metadata's version expected).
  Status ShredClasses(std::string_view case_id, uint32_t classes, Batch* batch);

 private:
  KeyRing(Store& store, const KeyRingOptions& options);
  Status UnsealWithRoot(SecretKey root);
  Result<std::unique_ptr<Unsealed>> OpenHierarchy(const SecretKey& root) const;

  // Constant after Load.
  Store& store_;
  std::string unit_;
  std::string node_public_key_;
  std::optional<std::string> passphrase_record_;  // the raw stored record
  int share_threshold_ = 0;  // 0: no recovery shares
  int share_count_ = 0;
  std::string check_value_;

  std::mutex unseal_mu_;  // serializes unsealing; held before mu_
  std::vector<SecretKey> pending_shares_;  // guarded by unseal_mu_

  mutable std::mutex mu_;
  std::unique_ptr<Unsealed> state_;            // guarded by mu_; null when sealed
  uint64_t epoch_ = 0;                         // guarded by mu_; bumped by Seal
  std::weak_ptr<const void> rotation_pending_;  // guarded by mu_
  std::unique_ptr<DataKeyCache> cache_;        // guarded by mu_
  std::set<std::string, std::less<>> shredded_;  // guarded by mu_; survives Seal
  std::map<std::string, uint32_t, std::less<>> shredded_classes_;  // guarded by mu_; survives Seal
};

}  // namespace brankas
