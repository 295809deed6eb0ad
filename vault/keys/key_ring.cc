// KeyRing: loading, unsealing, sealing, signing and blind indexes.
// Data keys, rotation and shredding are in data_keys.cc.
#include "brankas/keys.h"

#include "brankas/shamir.h"
#include "keys/data_key_cache.h"
#include "keys/key_format.h"
#include "keys/key_ring_state.h"

namespace brankas {

using namespace keys_internal;  // NOLINT(google-build-using-namespace): module-internal names

namespace {

// Unwraps a root-wrapped key of the expected size; kCorruption naming `what`.
Result<SecretKey> UnwrapStored(const SecretKey& root, std::string_view record,
                               std::string_view ad, size_t size, std::string_view what) {
  BRANKAS_ASSIGN_OR_RETURN(std::string sealed, DecodeBytesRecord(record, what));
  auto key = AeadOpenKey(root, sealed, ad);
  if (!key.ok() || key->size() != size) {
    return Corruption("stored " + std::string(what) + " failed authentication");
  }
  return std::move(key).value();
}

bool RootMatches(const SecretKey& root, std::string_view unit, std::string_view check) {
  return root.size() == kKeySize &&
         ConstantTimeEqual(Blake2b256Keyed(root, RootCheckInput(unit)), check);
}

Status LoadKeks(Store& store, const SecretKey& root, std::string_view unit, FieldClass cls,
                KeyRing::Unsealed* out);

}  // namespace

KeyRing::KeyRing(Store& store, const KeyRingOptions& options)
    : store_(store), cache_(std::make_unique<DataKeyCache>(options.data_key_cache_capacity)) {}

KeyRing::~KeyRing() { Seal(); }

Result<std::unique_ptr<KeyRing>> KeyRing::Load(Store& store, const KeyRingOptions& options) {
  BRANKAS_RETURN_IF_ERROR(InitCrypto());
  BRANKAS_ASSIGN_OR_RETURN(std::optional<std::string> unit, store.Get(Column::kMeta, kMetaUnit));
  if (!unit.has_value()) return FailedPrecondition("vault is not initialized");
  std::unique_ptr<KeyRing> ring(new KeyRing(store, options));
  BRANKAS_ASSIGN_OR_RETURN(ring->unit_, DecodeBytesRecord(*unit, "unit"));
  if (ring->unit_.empty()) return Corruption("stored unit record is malformed");
  BRANKAS_ASSIGN_OR_RETURN(ring->node_public_key_, LoadNodePublicKey(store));

  BRANKAS_ASSIGN_OR_RETURN(std::string check,
                           GetRequired(store, Column::kMeta, kMetaCheck, "root check value"));
  BRANKAS_ASSIGN_OR_RETURN(ring->check_value_, DecodeBytesRecord(check, "root check value"));
  if (ring->check_value_.size() != kHashSize) return Corruption("stored root check value is malformed");

  BRANKAS_ASSIGN_OR_RETURN(std::optional<std::string> pass, store.Get(Column::kMeta, kMetaPassphrase));
  if (pass.has_value()) {
    BRANKAS_RETURN_IF_ERROR(DecodePassphraseRecord(*pass).status());
    ring->passphrase_record_ = std::move(pass);
  }
  BRANKAS_ASSIGN_OR_RETURN(std::optional<std::string> shares, store.Get(Column::kMeta, kMetaShares));
  if (shares.has_value()) {
    BRANKAS_ASSIGN_OR_RETURN(SharesRecord s, DecodeSharesRecord(*shares));
    ring->share_threshold_ = s.threshold;
    ring->share_count_ = s.count;
  }
  if (!ring->passphrase_record_.has_value() && ring->share_threshold_ == 0) {
    return Corruption("stored vault has neither a passphrase nor recovery shares");
  }
  return ring;
}

bool KeyRing::sealed() const {
  std::lock_guard<std::mutex> lock(mu_);
  return state_ == nullptr;
}

Status KeyRing::UnsealWithPassphrase(std::string_view passphrase) {
  std::lock_guard<std::mutex> unseal_lock(unseal_mu_);
  if (!sealed()) return FailedPrecondition("vault is already unsealed");
  if (!passphrase_record_.has_value()) {
    return FailedPrecondition("this vault is not sealed by a passphrase");
  }
  BRANKAS_ASSIGN_OR_RETURN(PassphraseRecord p, DecodePassphraseRecord(*passphrase_record_));
  BRANKAS_ASSIGN_OR_RETURN(SecretKey pass_key, DeriveKeyFromPassphrase(passphrase, p.salt, p.params));
  auto root = AeadOpenKey(pass_key, p.sealed_root, PassphraseRootAd(unit_));
  if (!root.ok()) return PermissionDenied("passphrase does not unseal this vault");
  if (!RootMatches(*root, unit_, check_value_)) {
    return Corruption("stored root check value does not match the sealed root key");
  }
  return UnsealWithRoot(std::move(root).value());
}

Result<KeyRing::UnsealProgress> KeyRing::AddShare(std::string_view encoded_share) {
  std::lock_guard<std::mutex> unseal_lock(unseal_mu_);
  if (!sealed()) return FailedPrecondition("vault is already unsealed");
  if (share_threshold_ == 0) return FailedPrecondition("this vault has no recovery shares");
  BRANKAS_ASSIGN_OR_RETURN(std::string share, DecodeShare(encoded_share));
  SecretKey held = SecretKey::FromBytes(share);
  WipeString(share);
  if (held.size() != 1 + kKeySize) return InvalidArgument("recovery share has the wrong length");
  const unsigned char x = held.data()[0];
  if (x > share_count_) return InvalidArgument("not a recovery share of this vault");
  for (const SecretKey& p : pending_shares_) {
    if (p.data()[0] == x) return InvalidArgument("this recovery share was already given");
  }
  pending_shares_.push_back(std::move(held));
  const int have = static_cast<int>(pending_shares_.size());
  if (have < share_threshold_) return UnsealProgress{have, share_threshold_, false};

  std::vector<std::string> shares;
  for (const SecretKey& p : pending_shares_) shares.emplace_back(p.view());
  pending_shares_.clear();
  auto root = ShamirCombine(shares);
  for (std::string& s : shares) WipeString(s);
  BRANKAS_RETURN_IF_ERROR(root.status());
  if (!RootMatches(*root, unit_, check_value_)) {
    return PermissionDenied("these recovery shares do not unseal this vault; start over");
  }
  BRANKAS_RETURN_IF_ERROR(UnsealWithRoot(std::move(root).value()));
  return UnsealProgress{have, share_threshold_, true};
}

void KeyRing::ClearShares() {
  std::lock_guard<std::mutex> unseal_lock(unseal_mu_);
  pending_shares_.clear();
}

// REQUIRES: unseal_mu_ held, root verified against the check value.
Status KeyRing::UnsealWithRoot(SecretKey root) {
  BRANKAS_ASSIGN_OR_RETURN(std::unique_ptr<Unsealed> state, OpenHierarchy(root));
  state->root = std::move(root);
  std::lock_guard<std::mutex> lock(mu_);
  state_ = std::move(state);
  return Status::Ok();
}

Result<std::unique_ptr<KeyRing::Unsealed>> KeyRing::OpenHierarchy(const SecretKey& root) const {
  auto state = std::make_unique<Unsealed>();
  BRANKAS_ASSIGN_OR_RETURN(std::string sign,
                           GetRequired(store_, Column::kMeta, kMetaSignSecret, "node signing key"));
  BRANKAS_ASSIGN_OR_RETURN(state->sign_secret, UnwrapStored(root, sign, SignKeyAd(unit_),
                                                            kSignSecretKeySize, "node signing key"));
  // An Ed25519 secret key ends with its public key.
  if (!ConstantTimeEqual(state->sign_secret.view().substr(32), node_public_key_)) {
    return Corruption("stored node signing key does not match the node public key");
  }
  BRANKAS_ASSIGN_OR_RETURN(std::string index,
                           GetRequired(store_, Column::kKeys, kIndexKey, "blind index key"));
  BRANKAS_ASSIGN_OR_RETURN(state->index_key,
                           UnwrapStored(root, index, IndexKeyAd(unit_), kKeySize, "blind index key"));
  for (FieldClass cls : kAllFieldClasses) {
    BRANKAS_RETURN_IF_ERROR(LoadKeks(store_, root, unit_, cls, state.get()));
  }
  std::string statistics = Blake2b256Keyed(root, StatisticsKeyInput(unit_));
  state->statistics_key = SecretKey::FromBytes(statistics);
  WipeString(statistics);
  return state;
}

namespace {

Status LoadKeks(Store& store, const SecretKey& root, std::string_view unit, FieldClass cls,
                KeyRing::Unsealed* out) {
  BRANKAS_ASSIGN_OR_RETURN(std::string current,
                           GetRequired(store, Column::kKeys, KekCurrentKey(cls), "KEK version"));
  BRANKAS_ASSIGN_OR_RETURN(out->current[static_cast<size_t>(cls)], DecodeVersionRecord(current));
  const std::string prefix = KekPrefix(cls);
  Status failed;
  BRANKAS_RETURN_IF_ERROR(store.Scan(
      Column::kKeys, prefix, "", [&](std::string_view key, std::string_view value) {
        std::string_view suffix = key.substr(prefix.size());
        if (suffix.size() != 4) {
          failed = Corruption("stored KEK has a malformed key");
          return false;
        }
        uint32_t version = 0;
        for (char c : suffix) version = (version << 8) | static_cast<uint8_t>(c);
        auto kek = UnwrapStored(root, value, KekAd(unit, cls, version), kKeySize, "KEK");
        if (!kek.ok()) {
          failed = kek.status();
          return false;
        }
        out->keks[{cls, version}] = std::make_shared<const SecretKey>(std::move(kek).value());
        return true;
      }));
  BRANKAS_RETURN_IF_ERROR(failed);
  if (out->keks.count({cls, out->current[static_cast<size_t>(cls)]}) == 0) {
    return Corruption("stored current KEK of class " + std::string(FieldClassName(cls)) +
                      " is missing");
  }
  return Status::Ok();
}

}  // namespace

void KeyRing::Seal() {
  std::lock_guard<std::mutex> unseal_lock(unseal_mu_);
  pending_shares_.clear();
  std::lock_guard<std::mutex> lock(mu_);
  state_.reset();  // SecretKey destructors zero everything
  cache_->Clear();
  ++epoch_;
}

Result<std::string> KeyRing::Sign(std::string_view message) const {
  std::lock_guard<std::mutex> lock(mu_);
  if (state_ == nullptr) return Sealed("vault is sealed");
  return brankas::Sign(state_->sign_secret, message);
}

Result<std::string> KeyRing::OpenSealedForNode(std::string_view sealed) const {
  std::lock_guard<std::mutex> lock(mu_);
  if (state_ == nullptr) return Sealed("vault is sealed");
  return OpenSealedWithSigningKey(state_->sign_secret, sealed);
}

Result<std::string> KeyRing::BlindIndex(std::string_view field,
                                        std::string_view normalized_value) const {
  // Framed like codec.h's Writer::Bytes, built in one allocation so no
  // reallocated copy of the value is left behind unwiped.
  std::string input;
  input.reserve(8 + field.size() + normalized_value.size());
  for (std::string_view piece : {field, normalized_value}) {
    const auto n = static_cast<uint32_t>(piece.size());
    for (int i = 0; i < 4; ++i) input.push_back(static_cast<char>(n >> (8 * i)));
    input.append(piece);
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (state_ == nullptr) {
    WipeString(input);
    return Sealed("vault is sealed");
  }
  std::string out = Blake2b256Keyed(state_->index_key, input);
  WipeString(input);
  return out;
}

Result<std::string> KeyRing::SealStatistics(std::string_view plaintext, std::string_view ad) const {
  std::lock_guard<std::mutex> lock(mu_);
  if (state_ == nullptr) return Sealed("vault is sealed");
  return AeadSeal(state_->statistics_key, plaintext, ad);
}

Result<std::string> KeyRing::OpenStatistics(std::string_view sealed, std::string_view ad) const {
  std::lock_guard<std::mutex> lock(mu_);
  if (state_ == nullptr) return Sealed("vault is sealed");
  auto plain = AeadOpen(state_->statistics_key, sealed, ad);
  if (!plain.ok()) return Corruption("a stored statistics facet failed authentication");
  return plain;
}

Result<uint32_t> KeyRing::KekVersion(FieldClass cls) const {
  std::lock_guard<std::mutex> lock(mu_);
  if (state_ == nullptr) return Sealed("vault is sealed");
  return state_->current[static_cast<size_t>(cls)];
}

}  // namespace brankas
