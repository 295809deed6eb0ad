// KeyRing: data keys per (case, class), KEK rotation and crypto-shredding.
#include "brankas/keys.h"

#include <array>

#include "keys/data_key_cache.h"
#include "keys/key_format.h"
#include "keys/key_ring_state.h"

namespace brankas {

using namespace keys_internal;  // NOLINT(google-build-using-namespace): module-internal names

namespace {

bool Pending(const std::weak_ptr<const void>& token) { return !token.expired(); }

// The classes of `case_id` shredded on their own, 0 when none.
uint32_t ShreddedClassesOf(const std::map<std::string, uint32_t, std::less<>>& shredded, std::string_view case_id) {
  auto it = shredded.find(case_id);
  return it == shredded.end() ? 0 : it->second;
}

}  // namespace

Result<KeyRing::CaseKeys> KeyRing::CreateCaseKeys(std::string_view case_id, Batch* batch) {
  if (case_id.empty()) return InvalidArgument("case id must not be empty");
  if (batch == nullptr) return InvalidArgument("batch is required");
  // No store read: case ids are random (100 bits) and the engine's commit
  // expects the case metadata to be absent, so a duplicate cannot commit.

  // Under the lock only the current KEKs are looked up: the keys are made
  // and wrapped outside it, so concurrent creates do not queue on it.
  std::array<std::pair<uint32_t, std::shared_ptr<const SecretKey>>, kFieldClassCount> keks;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (state_ == nullptr) return Sealed("vault is sealed");
    if (shredded_.count(case_id) != 0) return Conflict("case was shredded");
    for (FieldClass cls : kAllFieldClasses) {
      const size_t c = static_cast<size_t>(cls);
      const uint32_t version = state_->current[c];
      const auto kek = state_->keks.find({cls, version});
      if (kek == state_->keks.end()) return Internal("current KEK is not loaded");
      keks[c] = {version, kek->second};
    }
  }
  // One fresh random master per case, one subkey per class, the master wiped
  // on return: shredding one class's wrapped key leaves it underivable from
  // the others.
  const SecretKey master = SecretKey::Random();
  CaseKeys keys;
  CaseKeysRecord record;
  for (FieldClass cls : kAllFieldClasses) {
    const size_t c = static_cast<size_t>(cls);
    const auto& [version, kek] = keks[c];
    auto key = std::make_shared<const SecretKey>(SecretKey::Derive(master, c, "brdatakc"));
    record[c] = {version, AeadSeal(*kek, key->view(), DataKeyAd(unit_, case_id, cls, version))};
    keys[c] = std::move(key);
  }
  batch->Put(Column::kKeys, DataKeyKey(case_id), EncodeCaseKeysRecord(record));
  return keys;
}

Result<std::shared_ptr<const SecretKey>> KeyRing::DataKey(std::string_view case_id,
                                                          FieldClass cls) {
  const size_t c = static_cast<size_t>(cls);
  BRANKAS_ASSIGN_OR_RETURN(CaseKeys keys, DataKeys(case_id, 1u << c));
  return std::move(keys[c]);
}

Result<KeyRing::CaseKeys> KeyRing::DataKeys(std::string_view case_id, uint32_t classes) {
  if (case_id.empty()) return InvalidArgument("case id must not be empty");
  CaseKeys keys;
  uint32_t missing = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (state_ == nullptr) return Sealed("vault is sealed");
    if (shredded_.count(case_id) != 0) return NotFound("case keys were shredded");
    if ((ShreddedClassesOf(shredded_classes_, case_id) & classes) != 0) {
      return NotFound("the data key of this case and class was shredded");
    }
    for (FieldClass cls : kAllFieldClasses) {
      const size_t c = static_cast<size_t>(cls);
      if ((classes & (1u << c)) == 0) continue;
      keys[c] = cache_->Find(case_id, cls);
      if (!keys[c]) missing |= 1u << c;
    }
  }
  if (missing == 0) return keys;
  // The store read runs unlocked; everything it raced with is re-checked below.
  BRANKAS_ASSIGN_OR_RETURN(std::optional<std::string> stored,
                           store_.Get(Column::kKeys, DataKeyKey(case_id)));
  if (!stored.has_value()) return NotFound("no data key for this case and class");
  BRANKAS_ASSIGN_OR_RETURN(CaseKeysRecord record, DecodeCaseKeysRecord(*stored));

  std::lock_guard<std::mutex> lock(mu_);
  if (state_ == nullptr) return Sealed("vault is sealed");
  if (shredded_.count(case_id) != 0) return NotFound("case keys were shredded");
  if ((ShreddedClassesOf(shredded_classes_, case_id) & classes) != 0) {
    return NotFound("the data key of this case and class was shredded");
  }
  for (FieldClass cls : kAllFieldClasses) {
    const size_t c = static_cast<size_t>(cls);
    if ((missing & (1u << c)) == 0) continue;
    const DataKeyRecord& wrapped = record[c];
    if (wrapped.kek_version == 0) return NotFound("no data key for this case and class");
    const auto kek = state_->keks.find({cls, wrapped.kek_version});
    if (kek == state_->keks.end()) return Corruption("data key refers to an unknown KEK version");
    auto key = AeadOpenKey(*kek->second, wrapped.sealed,
                           DataKeyAd(unit_, case_id, cls, wrapped.kek_version));
    if (!key.ok() || key->size() != kKeySize) {
      return Corruption("stored data key failed authentication");
    }
    keys[c] = std::make_shared<const SecretKey>(std::move(key).value());
    cache_->Insert(case_id, cls, keys[c]);
  }
  return keys;
}

Result<KeyRing::KekRotation> KeyRing::PrepareKekRotation(FieldClass cls) {
  KekRotation rotation;
  rotation.cls = cls;
  std::map<uint32_t, std::shared_ptr<const SecretKey>> old_keks;
  std::shared_ptr<const SecretKey> new_kek;
  std::shared_ptr<const void> token = std::make_shared<int>(0);
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (state_ == nullptr) return Sealed("vault is sealed");
    if (Pending(rotation_pending_)) return Conflict("another KEK rotation is outstanding");
    const uint32_t current = state_->current[static_cast<size_t>(cls)];
    if (current == UINT32_MAX) return FailedPrecondition("KEK versions exhausted");
    rotation.version = current + 1;
    rotation.epoch = epoch_;
    for (const auto& [id, kek] : state_->keks) {
      if (id.first == cls) old_keks[id.second] = kek;
    }
    new_kek = std::make_shared<const SecretKey>(SecretKey::Random());
    rotation.batch.Put(Column::kKeys, KekKey(cls, rotation.version),
                       EncodeBytesRecord(AeadSeal(state_->root, new_kek->view(),
                                                  KekAd(unit_, cls, rotation.version))));
    rotation.batch.Put(Column::kKeys, KekCurrentKey(cls), EncodeVersionRecord(rotation.version));
    // Known before the commit, so data keys read after it (still under the old
    // current version for new wraps) unwrap. Unused if the rotation is dropped.
    state_->keks[{cls, rotation.version}] = new_kek;
    rotation_pending_ = token;  // from here on ShredCase waits
    rotation.pending = token;
  }

  // Rewrap outside the lock; only the immutable snapshot is used.
  // Each case's record is rewritten whole: only `cls`'s entry changes. No
  // other writer touches a case's record after its creation (shredding waits
  // for the rotation), so nothing is lost.
  const size_t c = static_cast<size_t>(cls);
  std::vector<std::pair<std::string, CaseKeysRecord>> rewrapped;  // (case id, record)
  Status failed;
  BRANKAS_RETURN_IF_ERROR(store_.Scan(
      Column::kKeys, kDataKeyPrefix, "", [&](std::string_view key, std::string_view value) {
        const std::string case_id(key.substr(kDataKeyPrefix.size()));
        auto record = DecodeCaseKeysRecord(value);
        if (!record.ok()) {
          failed = record.status();
          return false;
        }
        DataKeyRecord& entry = (*record)[c];
        if (entry.kek_version == 0) return true;  // the case has no key of this class
        const auto old = old_keks.find(entry.kek_version);
        auto data_key = old == old_keks.end()
                            ? Result<SecretKey>(Corruption("unknown KEK version"))
                            : AeadOpenKey(*old->second, entry.sealed,
                                          DataKeyAd(unit_, case_id, cls, entry.kek_version));
        if (!data_key.ok()) {
          failed = Corruption("stored data key of case " + case_id + " failed authentication");
          return false;
        }
        entry = {rotation.version,
                 AeadSeal(*new_kek, data_key->view(), DataKeyAd(unit_, case_id, cls, rotation.version))};
        rewrapped.emplace_back(case_id, std::move(*record));
        return true;
      }));
  BRANKAS_RETURN_IF_ERROR(failed);

  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [case_id, record] : rewrapped) {
    // Shredded before this rotation began, its delete maybe not committed yet:
    // a rewrap must not bring the key back.
    if (shredded_.count(case_id) != 0) continue;
    // Likewise for classes shredded on their own.
    const uint32_t gone = ShreddedClassesOf(shredded_classes_, case_id);
    for (size_t c2 = 0; c2 < record.size(); ++c2) {
      if ((gone & (1u << c2)) != 0) record[c2] = DataKeyRecord{};
    }
    rotation.batch.Put(Column::kKeys, DataKeyKey(case_id), EncodeCaseKeysRecord(record));
    ++rotation.rewrapped;
  }
  return rotation;
}

void KeyRing::ActivateKekRotation(KekRotation&& rotation) {
  std::lock_guard<std::mutex> lock(mu_);
  const bool ours = rotation.pending != nullptr && rotation_pending_.lock() == rotation.pending;
  rotation.pending.reset();
  // Sealed (or sealed and unsealed) since Prepare: the store is authoritative
  // and the next unseal reads the new current version from it.
  if (!ours || state_ == nullptr || rotation.epoch != epoch_) return;
  state_->current[static_cast<size_t>(rotation.cls)] = rotation.version;
}

Status KeyRing::ShredCase(std::string_view case_id, Batch* batch) {
  if (case_id.empty()) return InvalidArgument("case id must not be empty");
  if (batch == nullptr) return InvalidArgument("batch is required");
  std::lock_guard<std::mutex> lock(mu_);
  if (Pending(rotation_pending_)) {
    return Unavailable("a KEK rotation is outstanding; retry after it is committed");
  }
  shredded_.emplace(case_id);
  cache_->EraseCase(case_id);
  batch->Delete(Column::kKeys, DataKeyKey(case_id));
  return Status::Ok();
}

Status KeyRing::ShredClasses(std::string_view case_id, uint32_t classes, Batch* batch) {
  if (case_id.empty()) return InvalidArgument("case id must not be empty");
  if (batch == nullptr) return InvalidArgument("batch is required");
  const uint32_t all = (1u << kFieldClassCount) - 1;
  const uint32_t administrative = 1u << static_cast<unsigned>(FieldClass::kAdministrative);
  if (classes == 0 || (classes & ~all) != 0 || (classes & administrative) != 0) {
    return InvalidArgument("shred one or more field classes other than administrative");
  }
  // The record is read under the lock (a rare operation): a rotation either
  // finished before (its rewrap is what is read) or is outstanding (refused);
  // one prepared later drops these classes from its rewrap.
  std::lock_guard<std::mutex> lock(mu_);
  if (Pending(rotation_pending_)) {
    return Unavailable("a KEK rotation is outstanding; retry after it is committed");
  }
  if (shredded_.count(case_id) != 0) return NotFound("case keys were shredded");
  BRANKAS_ASSIGN_OR_RETURN(std::optional<std::string> stored, store_.Get(Column::kKeys, DataKeyKey(case_id)));
  if (!stored.has_value()) return NotFound("no data keys for this case");
  BRANKAS_ASSIGN_OR_RETURN(CaseKeysRecord record, DecodeCaseKeysRecord(*stored));
  const uint32_t gone = ShreddedClassesOf(shredded_classes_, case_id) | classes;
  for (size_t c = 0; c < record.size(); ++c) {
    if ((gone & (1u << c)) != 0) record[c] = DataKeyRecord{};
  }
  shredded_classes_[std::string(case_id)] = gone;
  cache_->EraseCase(case_id);
  batch->Put(Column::kKeys, DataKeyKey(case_id), EncodeCaseKeysRecord(record));
  return Status::Ok();
}

}  // namespace brankas
