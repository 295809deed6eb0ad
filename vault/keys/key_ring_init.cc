// KeyRing::Initialize: creates a new vault's key hierarchy. Also
// LoadNodePublicKey and the shared GetRequired helper.
#include "brankas/keys.h"
#include "brankas/shamir.h"
#include "keys/key_format.h"
#include "keys/key_ring_state.h"

namespace brankas {

using namespace keys_internal;  // NOLINT(google-build-using-namespace): module-internal names

namespace keys_internal {

Result<std::string> GetRequired(Store& store, Column column, std::string_view key,
                                std::string_view what) {
  BRANKAS_ASSIGN_OR_RETURN(std::optional<std::string> value, store.Get(column, key));
  if (!value.has_value()) return Corruption("missing stored " + std::string(what));
  return std::move(*value);
}

}  // namespace keys_internal

namespace {

Status ValidateInitOptions(const InitOptions& o) {
  if (o.unit.empty()) return InvalidArgument("unit must not be empty");
  if (o.passphrase.has_value() && o.passphrase->empty()) {
    return InvalidArgument("passphrase must not be empty");
  }
  if (o.shares != 0 || o.threshold != 0) {
    if (o.threshold < 1 || o.shares < o.threshold || o.shares > 255) {
      return InvalidArgument("recovery shares need 1 <= threshold <= shares <= 255");
    }
  }
  if (!o.passphrase.has_value() && o.shares == 0) {
    return InvalidArgument("a passphrase or recovery shares are required");
  }
  if (o.passphrase.has_value() &&
      (o.argon.ops_limit > kMaxArgonOps || o.argon.mem_limit > kMaxArgonMem)) {
    return InvalidArgument("Argon2 parameters above the accepted maximum");
  }
  return Status::Ok();
}

// Appends the root-wrapped keys: node signing key, index key, KEK v1 per class.
std::string AppendHierarchy(const SecretKey& root, std::string_view unit, Batch* batch) {
  SigningKeyPair node = GenerateSigningKey();
  batch->Put(Column::kMeta, std::string(kMetaSignPublic), EncodeBytesRecord(node.public_key));
  batch->Put(Column::kMeta, std::string(kMetaSignSecret),
             EncodeBytesRecord(AeadSeal(root, node.secret_key.view(), SignKeyAd(unit))));

  SecretKey index_key = SecretKey::Random();
  batch->Put(Column::kKeys, std::string(kIndexKey),
             EncodeBytesRecord(AeadSeal(root, index_key.view(), IndexKeyAd(unit))));

  for (FieldClass cls : kAllFieldClasses) {
    SecretKey kek = SecretKey::Random();
    batch->Put(Column::kKeys, KekKey(cls, 1),
               EncodeBytesRecord(AeadSeal(root, kek.view(), KekAd(unit, cls, 1))));
    batch->Put(Column::kKeys, KekCurrentKey(cls), EncodeVersionRecord(1));
  }
  return node.public_key;
}

}  // namespace

Result<InitResult> KeyRing::Initialize(Store& store, const InitOptions& options, Batch* batch) {
  if (batch == nullptr) return InvalidArgument("batch is required");
  BRANKAS_RETURN_IF_ERROR(InitCrypto());
  BRANKAS_RETURN_IF_ERROR(ValidateInitOptions(options));
  BRANKAS_ASSIGN_OR_RETURN(std::optional<std::string> existing,
                           store.Get(Column::kMeta, kMetaUnit));
  if (existing.has_value()) return Conflict("this store already holds a vault");

  Batch out;
  const std::string& unit = options.unit;
  SecretKey root = SecretKey::Random();
  out.Put(Column::kMeta, std::string(kMetaUnit), EncodeBytesRecord(unit));
  out.Put(Column::kMeta, std::string(kMetaCheck),
          EncodeBytesRecord(Blake2b256Keyed(root, RootCheckInput(unit))));

  if (options.passphrase.has_value()) {
    PassphraseRecord p;
    p.salt = RandomBytes(kArgon2SaltSize);
    p.params = options.argon;
    BRANKAS_ASSIGN_OR_RETURN(SecretKey pass_key,
                             DeriveKeyFromPassphrase(*options.passphrase, p.salt, p.params));
    p.sealed_root = AeadSeal(pass_key, root.view(), PassphraseRootAd(unit));
    out.Put(Column::kMeta, std::string(kMetaPassphrase), EncodePassphraseRecord(p));
  }

  InitResult result;
  if (options.shares > 0) {
    BRANKAS_ASSIGN_OR_RETURN(std::vector<std::string> raw,
                             ShamirSplit(root.view(), options.shares, options.threshold));
    for (std::string& share : raw) {
      result.shares.push_back(EncodeShare(share));
      WipeString(share);
    }
    out.Put(Column::kMeta, std::string(kMetaShares),
            EncodeSharesRecord({options.threshold, options.shares}));
  }

  result.node_public_key = AppendHierarchy(root, unit, &out);
  batch->Append(out);
  return result;
}

Result<std::string> LoadNodePublicKey(Store& store) {
  BRANKAS_ASSIGN_OR_RETURN(std::optional<std::string> unit, store.Get(Column::kMeta, kMetaUnit));
  if (!unit.has_value()) return FailedPrecondition("vault is not initialized");
  BRANKAS_ASSIGN_OR_RETURN(std::string record,
                           GetRequired(store, Column::kMeta, kMetaSignPublic, "node public key"));
  BRANKAS_ASSIGN_OR_RETURN(std::string key, DecodeBytesRecord(record, "node public key"));
  if (key.size() != kSignPublicKeySize) return Corruption("stored node public key is malformed");
  return key;
}

}  // namespace brankas
