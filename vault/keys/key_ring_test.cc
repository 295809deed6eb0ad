#include "brankas/keys.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <atomic>
#include <filesystem>
#include <map>
#include <set>
#include <thread>

#include "brankas/shamir.h"
#include "keys/key_format.h"

namespace brankas {
namespace {

using keys_internal::CaseKeysRecord;
using keys_internal::DataKeyKey;
using keys_internal::DecodeCaseKeysRecord;
using keys_internal::EncodeCaseKeysRecord;
using keys_internal::KekKey;

// crypto_pwhash_OPSLIMIT_MIN / MEMLIMIT_MIN: fast, for tests only.
constexpr Argon2Params kFastArgon{1, 8192};

InitOptions Options(std::string unit, std::optional<std::string> passphrase, int shares = 0,
                    int threshold = 0, Argon2Params argon = kFastArgon) {
  InitOptions o;
  o.unit = std::move(unit);
  o.passphrase = std::move(passphrase);
  o.shares = shares;
  o.threshold = threshold;
  o.argon = argon;
  return o;
}

class KeyRingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(InitCrypto().ok());
    char tmpl[] = "/tmp/brankas-keys-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    auto store = OpenRocksStore(dir_, {.create_if_missing = true});
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(store).value();
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  void Commit(const Batch& batch) { ASSERT_TRUE(store_->Write(batch, Durability::kSync).ok()); }

  InitResult Init(std::optional<std::string> passphrase, int shares = 0, int threshold = 0) {
    InitOptions o = Options("unit-a", std::move(passphrase), shares, threshold);
    Batch batch;
    auto r = KeyRing::Initialize(*store_, o, &batch);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    Commit(batch);
    return r.ok() ? std::move(r).value() : InitResult{};
  }

  std::unique_ptr<KeyRing> Load(const KeyRingOptions& options = {}) {
    auto ring = KeyRing::Load(*store_, options);
    EXPECT_TRUE(ring.ok()) << ring.status().ToString();
    return ring.ok() ? std::move(ring).value() : nullptr;
  }

  std::unique_ptr<KeyRing> Unsealed(const KeyRingOptions& options = {}) {
    auto ring = Load(options);
    if (ring == nullptr) return nullptr;
    EXPECT_TRUE(ring->UnsealWithPassphrase("correct horse").ok());
    return ring;
  }

  KeyRing::CaseKeys CreateCase(KeyRing& ring, std::string_view case_id) {
    Batch batch;
    auto keys = ring.CreateCaseKeys(case_id, &batch);
    EXPECT_TRUE(keys.ok()) << keys.status().ToString();
    Commit(batch);
    return keys.ok() ? *keys : KeyRing::CaseKeys{};
  }

  std::string Raw(Column c, std::string_view key) {
    auto v = store_->Get(c, key);
    EXPECT_TRUE(v.ok() && v->has_value());
    return v.ok() && v->has_value() ? **v : std::string();
  }
  void PutRaw(Column c, std::string key, std::string value) {
    Batch b;
    b.Put(c, std::move(key), std::move(value));
    Commit(b);
  }

  std::string dir_;
  std::unique_ptr<Store> store_;
};

TEST_F(KeyRingTest, PassphraseInitLoadUnsealSign) {
  InitResult init = Init("correct horse");
  EXPECT_TRUE(init.shares.empty());
  ASSERT_EQ(init.node_public_key.size(), kSignPublicKeySize);
  auto ring = Load();
  ASSERT_NE(ring, nullptr);
  EXPECT_TRUE(ring->sealed());
  EXPECT_EQ(ring->unit(), "unit-a");
  EXPECT_EQ(ring->node_public_key(), init.node_public_key);
  EXPECT_TRUE(ring->has_passphrase());
  EXPECT_EQ(ring->share_threshold(), 0);
  EXPECT_EQ(ring->Sign("m").status().code(), Code::kSealed);

  ASSERT_TRUE(ring->UnsealWithPassphrase("correct horse").ok());
  EXPECT_FALSE(ring->sealed());
  auto sig = ring->Sign("checkpoint");
  ASSERT_TRUE(sig.ok());
  EXPECT_TRUE(VerifySignature(init.node_public_key, "checkpoint", *sig));
  EXPECT_EQ(ring->UnsealWithPassphrase("correct horse").code(), Code::kFailedPrecondition);
  for (FieldClass cls : kAllFieldClasses) EXPECT_EQ(*ring->KekVersion(cls), 1u);

  auto pk = LoadNodePublicKey(*store_);
  ASSERT_TRUE(pk.ok());
  EXPECT_EQ(*pk, init.node_public_key);
}

TEST_F(KeyRingTest, InitializeValidatesAndRefusesToOverwrite) {
  Batch batch;
  auto bad = [&](InitOptions o) { return KeyRing::Initialize(*store_, o, &batch).status().code(); };
  EXPECT_EQ(bad(Options("u", std::nullopt)), Code::kInvalidArgument);  // neither passphrase nor shares
  EXPECT_EQ(bad(Options("", "p")), Code::kInvalidArgument);
  EXPECT_EQ(bad(Options("u", "")), Code::kInvalidArgument);
  EXPECT_EQ(bad(Options("u", std::nullopt, 2, 3)), Code::kInvalidArgument);
  EXPECT_EQ(bad(Options("u", std::nullopt, 256, 3)), Code::kInvalidArgument);
  EXPECT_EQ(bad(Options("u", std::nullopt, 0, 1)), Code::kInvalidArgument);
  EXPECT_EQ(bad(Options("u", "p", 0, 0, {0, 8192})), Code::kInvalidArgument);
  EXPECT_TRUE(batch.empty());

  EXPECT_EQ(KeyRing::Load(*store_).status().code(), Code::kFailedPrecondition);
  EXPECT_EQ(LoadNodePublicKey(*store_).status().code(), Code::kFailedPrecondition);
  Init("correct horse");
  EXPECT_EQ(bad(Options("u", "p")), Code::kConflict);
}

TEST_F(KeyRingTest, WrongPassphraseFailsCleanly) {
  Init("correct horse", 3, 2);
  auto ring = Load();
  Status s = ring->UnsealWithPassphrase("wrong horse");
  EXPECT_EQ(s.code(), Code::kPermissionDenied);
  EXPECT_EQ(s.message().find("horse"), std::string::npos);
  EXPECT_TRUE(ring->sealed());
  EXPECT_EQ(ring->UnsealWithPassphrase("").code(), Code::kPermissionDenied);
  EXPECT_TRUE(ring->UnsealWithPassphrase("correct horse").ok());
}

TEST_F(KeyRingTest, AnyThresholdSharesUnsealFewerDoNot) {
  InitResult init = Init(std::nullopt, 5, 3);
  ASSERT_EQ(init.shares.size(), 5u);
  for (unsigned mask = 1; mask < 32; ++mask) {
    std::vector<std::string> subset;
    for (int i = 0; i < 5; ++i) {
      if (mask & (1u << i)) subset.push_back(init.shares[i]);
    }
    if (subset.size() > 3) continue;
    auto ring = Load();
    ASSERT_FALSE(ring->has_passphrase());
    EXPECT_EQ(ring->UnsealWithPassphrase("x").code(), Code::kFailedPrecondition);
    KeyRing::UnsealProgress progress;
    for (const auto& share : subset) {
      auto p = ring->AddShare(share);
      ASSERT_TRUE(p.ok()) << p.status().ToString();
      progress = *p;
    }
    EXPECT_EQ(progress.have, static_cast<int>(subset.size()));
    EXPECT_EQ(progress.threshold, 3);
    EXPECT_EQ(progress.unsealed, subset.size() == 3) << mask;
    EXPECT_EQ(ring->sealed(), subset.size() < 3) << mask;
    if (!ring->sealed()) {
      EXPECT_TRUE(VerifySignature(init.node_public_key, "m", *ring->Sign("m")));
    }
  }
}

TEST_F(KeyRingTest, BadSharesAreRejected) {
  InitResult init = Init("correct horse", 3, 2);
  auto ring = Load();
  EXPECT_EQ(ring->AddShare("garbage").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(ring->AddShare("brankas-share-01zz").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(ring->AddShare("brankas-share-0102").status().code(), Code::kInvalidArgument);
  ASSERT_TRUE(ring->AddShare(init.shares[0]).ok());
  EXPECT_EQ(ring->AddShare(init.shares[0]).status().code(), Code::kInvalidArgument);  // repeated
  // A share with an x beyond the count, and a forged share at a valid x.
  auto raw = DecodeShare(init.shares[1]);
  ASSERT_TRUE(raw.ok());
  std::string far = *raw;
  far[0] = 9;
  EXPECT_EQ(ring->AddShare(EncodeShare(far)).status().code(), Code::kInvalidArgument);
  std::string forged = *raw;
  forged[5] ^= 1;
  auto p = ring->AddShare(EncodeShare(forged));
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), Code::kPermissionDenied);
  EXPECT_TRUE(ring->sealed());
  // The collected shares were forgotten: one more real share is not enough.
  auto again = ring->AddShare(init.shares[2]);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->have, 1);
  EXPECT_FALSE(again->unsealed);
  again = ring->AddShare(init.shares[1]);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->unsealed);
  EXPECT_EQ(ring->AddShare(init.shares[0]).status().code(), Code::kFailedPrecondition);
}

TEST_F(KeyRingTest, SharesOfAnotherVaultDoNotUnseal) {
  Init("correct horse", 3, 2);
  // A second vault with the same unit name in another store.
  char tmpl[] = "/tmp/brankas-keys-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  std::string other_info;
  {
    auto other = OpenRocksStore(tmpl, {.create_if_missing = true});
    ASSERT_TRUE(other.ok());
    Batch b;
    auto r = KeyRing::Initialize(**other, Options("unit-a", std::nullopt, 3, 2), &b);
    ASSERT_TRUE(r.ok());
    auto ring = Load();
    ASSERT_TRUE(ring->AddShare(r->shares[0]).ok());
    auto p = ring->AddShare(r->shares[1]);
    EXPECT_EQ(p.status().code(), Code::kPermissionDenied);
    EXPECT_TRUE(ring->sealed());
  }
  std::filesystem::remove_all(tmpl);
}

TEST_F(KeyRingTest, SealWipesEverything) {
  Init("correct horse");
  auto ring = Unsealed();
  CreateCase(*ring, "case-1");
  ASSERT_TRUE(ring->DataKey("case-1", FieldClass::kMedical).ok());
  ring->Seal();
  EXPECT_TRUE(ring->sealed());
  EXPECT_EQ(ring->DataKey("case-1", FieldClass::kMedical).status().code(), Code::kSealed);
  EXPECT_EQ(ring->Sign("m").status().code(), Code::kSealed);
  EXPECT_EQ(ring->BlindIndex("name", "x").status().code(), Code::kSealed);
  EXPECT_EQ(ring->KekVersion(FieldClass::kMedical).status().code(), Code::kSealed);
  EXPECT_EQ(ring->PrepareKekRotation(FieldClass::kMedical).status().code(), Code::kSealed);
  Batch b;
  EXPECT_EQ(ring->CreateCaseKeys("case-2", &b).status().code(), Code::kSealed);
  ring->Seal();  // idempotent
  ASSERT_TRUE(ring->UnsealWithPassphrase("correct horse").ok());
  EXPECT_TRUE(ring->DataKey("case-1", FieldClass::kMedical).ok());
}

TEST_F(KeyRingTest, DataKeysRoundTripAndAreDistinct) {
  Init("correct horse");
  auto ring = Unsealed();
  KeyRing::CaseKeys a = CreateCase(*ring, "case-a");
  KeyRing::CaseKeys b = CreateCase(*ring, "case-b");
  const auto medical = static_cast<size_t>(FieldClass::kMedical);
  auto ka = ring->DataKey("case-a", FieldClass::kMedical);
  ASSERT_TRUE(ka.ok()) << ka.status().ToString();
  EXPECT_TRUE(ConstantTimeEqual((*ka)->view(), a[medical]->view()));
  EXPECT_FALSE(ConstantTimeEqual(a[medical]->view(), b[medical]->view()));
  EXPECT_FALSE(ConstantTimeEqual(a[medical]->view(),
                                 a[static_cast<size_t>(FieldClass::kIdentity)]->view()));
  // Every class of both cases has a key of its own (one random master per
  // case, one subkey per class).
  std::set<std::string> distinct;
  for (const auto* keys : {&a, &b}) {
    for (const auto& k : *keys) {
      ASSERT_NE(k, nullptr);
      ASSERT_EQ(k->size(), kKeySize);
      distinct.emplace(k->view());
    }
  }
  EXPECT_EQ(distinct.size(), 2 * kFieldClassCount);

  const std::string sealed = AeadSeal(**ka, "diagnosis", "ad");
  auto kb = ring->DataKey("case-b", FieldClass::kMedical);
  ASSERT_TRUE(kb.ok());
  EXPECT_EQ(AeadOpen(**kb, sealed, "ad").status().code(), Code::kCorruption);

  // Survives a reload.
  ring.reset();
  ring = Unsealed();
  ka = ring->DataKey("case-a", FieldClass::kMedical);
  ASSERT_TRUE(ka.ok());
  EXPECT_EQ(*AeadOpen(**ka, sealed, "ad"), "diagnosis");

  EXPECT_EQ(ring->DataKey("case-zzz", FieldClass::kMedical).status().code(), Code::kNotFound);
  EXPECT_EQ(ring->DataKey("", FieldClass::kMedical).status().code(), Code::kInvalidArgument);
  Batch batch;
  EXPECT_EQ(ring->CreateCaseKeys("", &batch).status().code(), Code::kInvalidArgument);
  EXPECT_TRUE(batch.empty());
  // One record holds every class's key.
  ASSERT_TRUE(ring->CreateCaseKeys("case-new", &batch).ok());
  ASSERT_EQ(batch.mutations().size(), 1u);
  EXPECT_EQ(batch.mutations()[0].key, "dk/case-new");
  auto record = DecodeCaseKeysRecord(batch.mutations()[0].value);
  ASSERT_TRUE(record.ok());
  for (const auto& k : *record) EXPECT_EQ(k.kek_version, 1u);
}

TEST_F(KeyRingTest, WrappedKeyMovedToAnotherSlotFails) {
  Init("correct horse");
  auto ring = Unsealed();
  CreateCase(*ring, "case-a");
  CreateCase(*ring, "case-b");
  // case-a's keys under case-b; case-a's medical key in its identity slot.
  PutRaw(Column::kKeys, DataKeyKey("case-b"), Raw(Column::kKeys, DataKeyKey("case-a")));
  auto record = DecodeCaseKeysRecord(Raw(Column::kKeys, DataKeyKey("case-a")));
  ASSERT_TRUE(record.ok());
  (*record)[static_cast<size_t>(FieldClass::kIdentity)] = (*record)[static_cast<size_t>(FieldClass::kMedical)];
  PutRaw(Column::kKeys, DataKeyKey("case-a"), EncodeCaseKeysRecord(*record));
  EXPECT_EQ(ring->DataKey("case-b", FieldClass::kMedical).status().code(), Code::kCorruption);
  EXPECT_EQ(ring->DataKey("case-a", FieldClass::kIdentity).status().code(), Code::kCorruption);
  EXPECT_TRUE(ring->DataKey("case-a", FieldClass::kMedical).ok());
}

TEST_F(KeyRingTest, BlindIndex) {
  Init("correct horse");
  auto ring = Unsealed();
  auto a = ring->BlindIndex("name", "siti");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->size(), kHashSize);
  EXPECT_EQ(*a, *ring->BlindIndex("name", "siti"));
  EXPECT_NE(*a, *ring->BlindIndex("name", "sitI"));
  EXPECT_NE(*a, *ring->BlindIndex("mother", "siti"));
  EXPECT_NE(*ring->BlindIndex("ab", "c"), *ring->BlindIndex("a", "bc"));  // framed
  EXPECT_NE(*a, Blake2b256("siti"));
  ring.reset();
  ring = Unsealed();
  EXPECT_EQ(*a, *ring->BlindIndex("name", "siti"));
}

TEST_F(KeyRingTest, KekRotationRewrapsAndPersists) {
  Init("correct horse");
  auto ring = Unsealed();
  CreateCase(*ring, "case-a");
  CreateCase(*ring, "case-b");
  auto ka = ring->DataKey("case-a", FieldClass::kMedical);
  ASSERT_TRUE(ka.ok());
  const std::string sealed = AeadSeal(**ka, "report", "ad");
  const std::string before = Raw(Column::kKeys, DataKeyKey("case-a"));

  auto rotation = ring->PrepareKekRotation(FieldClass::kMedical);
  ASSERT_TRUE(rotation.ok()) << rotation.status().ToString();
  EXPECT_EQ(rotation->version, 2u);
  EXPECT_EQ(rotation->rewrapped, 2u);
  EXPECT_EQ(ring->PrepareKekRotation(FieldClass::kIdentity).status().code(), Code::kConflict);
  Batch shred;
  EXPECT_EQ(ring->ShredCase("case-b", &shred).code(), Code::kUnavailable);
  EXPECT_EQ(*ring->KekVersion(FieldClass::kMedical), 1u);  // not before Activate
  Commit(rotation->batch);
  // Between commit and Activate, uncached keys still unwrap.
  auto kb = ring->DataKey("case-b", FieldClass::kMedical);
  ASSERT_TRUE(kb.ok()) << kb.status().ToString();
  ring->ActivateKekRotation(std::move(rotation).value());
  EXPECT_EQ(*ring->KekVersion(FieldClass::kMedical), 2u);
  EXPECT_EQ(*ring->KekVersion(FieldClass::kIdentity), 1u);
  const std::string after = Raw(Column::kKeys, DataKeyKey("case-a"));
  EXPECT_NE(after, before);
  {
    // Only the rotated class's entry changed.
    auto old_record = DecodeCaseKeysRecord(before);
    auto new_record = DecodeCaseKeysRecord(after);
    ASSERT_TRUE(old_record.ok() && new_record.ok());
    for (FieldClass cls : kAllFieldClasses) {
      const auto& o = (*old_record)[static_cast<size_t>(cls)];
      const auto& n = (*new_record)[static_cast<size_t>(cls)];
      if (cls == FieldClass::kMedical) {
        EXPECT_EQ(n.kek_version, 2u);
        EXPECT_NE(n.sealed, o.sealed);
      } else {
        EXPECT_EQ(n.kek_version, o.kek_version);
        EXPECT_EQ(n.sealed, o.sealed);
      }
    }
  }
  EXPECT_TRUE(ring->ShredCase("case-b", &shred).ok());  // no longer outstanding
  CreateCase(*ring, "case-c");

  ring.reset();
  ring = Unsealed();
  EXPECT_EQ(*ring->KekVersion(FieldClass::kMedical), 2u);
  ka = ring->DataKey("case-a", FieldClass::kMedical);
  ASSERT_TRUE(ka.ok()) << ka.status().ToString();
  EXPECT_EQ(*AeadOpen(**ka, sealed, "ad"), "report");
  EXPECT_TRUE(ring->DataKey("case-c", FieldClass::kMedical).ok());

  // Rotating again picks up everything, including case-c.
  auto second = ring->PrepareKekRotation(FieldClass::kMedical);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->version, 3u);
  EXPECT_EQ(second->rewrapped, 3u);
}

TEST_F(KeyRingTest, AbandonedRotationReleasesShredding) {
  Init("correct horse");
  auto ring = Unsealed();
  CreateCase(*ring, "case-a");
  {
    auto rotation = ring->PrepareKekRotation(FieldClass::kContact);
    ASSERT_TRUE(rotation.ok());
  }  // dropped, never committed
  Batch shred;
  EXPECT_TRUE(ring->ShredCase("case-a", &shred).ok());
  EXPECT_EQ(*ring->KekVersion(FieldClass::kContact), 1u);
  auto again = ring->PrepareKekRotation(FieldClass::kContact);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->version, 2u);
  EXPECT_EQ(again->rewrapped, 0u);  // case-a is being shredded
}

TEST_F(KeyRingTest, ShredCase) {
  Init("correct horse");
  auto ring = Unsealed();
  CreateCase(*ring, "case-a");
  CreateCase(*ring, "case-b");
  ASSERT_TRUE(ring->DataKey("case-a", FieldClass::kIdentity).ok());
  Batch batch;
  ASSERT_TRUE(ring->ShredCase("case-a", &batch).ok());
  EXPECT_EQ(batch.mutations().size(), 1u);
  EXPECT_EQ(ring->DataKey("case-a", FieldClass::kIdentity).status().code(), Code::kNotFound);
  Commit(batch);
  EXPECT_FALSE(store_->Get(Column::kKeys, DataKeyKey("case-a"))->has_value());
  Batch again;
  EXPECT_EQ(ring->CreateCaseKeys("case-a", &again).status().code(), Code::kConflict);
  ring.reset();
  ring = Unsealed();
  EXPECT_EQ(ring->DataKey("case-a", FieldClass::kIdentity).status().code(), Code::kNotFound);
  EXPECT_TRUE(ring->DataKey("case-b", FieldClass::kIdentity).ok());
}

TEST_F(KeyRingTest, ShredBeforeRotationCommitIsNotResurrected) {
  Init("correct horse");
  auto ring = Unsealed();
  CreateCase(*ring, "case-a");
  Batch shred;
  ASSERT_TRUE(ring->ShredCase("case-a", &shred).ok());
  auto rotation = ring->PrepareKekRotation(FieldClass::kIdentity);
  ASSERT_TRUE(rotation.ok());
  EXPECT_EQ(rotation->rewrapped, 0u);
  Commit(shred);
  Commit(rotation->batch);
  ring->ActivateKekRotation(std::move(rotation).value());
  EXPECT_FALSE(store_->Get(Column::kKeys, DataKeyKey("case-a"))->has_value());
}

TEST_F(KeyRingTest, ShredClassesDropsOnlyThoseClasses) {
  Init("correct horse");
  auto ring = Unsealed();
  CreateCase(*ring, "case-a");
  const uint32_t medical = 1u << static_cast<int>(FieldClass::kMedical);
  const uint32_t administrative = 1u << static_cast<int>(FieldClass::kAdministrative);
  Batch bad;
  EXPECT_EQ(ring->ShredClasses("case-a", 0, &bad).code(), Code::kInvalidArgument);
  EXPECT_EQ(ring->ShredClasses("case-a", administrative | medical, &bad).code(), Code::kInvalidArgument);
  EXPECT_EQ(ring->ShredClasses("case-a", 1u << kFieldClassCount, &bad).code(), Code::kInvalidArgument);
  EXPECT_EQ(ring->ShredClasses("case-x", medical, &bad).code(), Code::kNotFound);
  EXPECT_TRUE(bad.mutations().empty());

  ASSERT_TRUE(ring->DataKey("case-a", FieldClass::kMedical).ok());  // cached
  Batch batch;
  ASSERT_TRUE(ring->ShredClasses("case-a", medical, &batch).ok());
  EXPECT_EQ(batch.mutations().size(), 1u);
  // Refused at once, before the commit (fail closed).
  EXPECT_EQ(ring->DataKey("case-a", FieldClass::kMedical).status().code(), Code::kNotFound);
  EXPECT_EQ(ring->DataKeys("case-a", medical | (1u << static_cast<int>(FieldClass::kIdentity))).status().code(),
            Code::kNotFound);
  Commit(batch);
  auto record = DecodeCaseKeysRecord(Raw(Column::kKeys, DataKeyKey("case-a")));
  ASSERT_TRUE(record.ok());
  for (FieldClass cls : kAllFieldClasses) {
    EXPECT_EQ((*record)[static_cast<size_t>(cls)].kek_version == 0, cls == FieldClass::kMedical)
        << FieldClassName(cls);
  }
  ring.reset();
  ring = Unsealed();
  EXPECT_EQ(ring->DataKey("case-a", FieldClass::kMedical).status().code(), Code::kNotFound);
  EXPECT_TRUE(ring->DataKey("case-a", FieldClass::kIdentity).ok());
  // The whole case still shreds afterwards.
  Batch whole;
  ASSERT_TRUE(ring->ShredCase("case-a", &whole).ok());
  Commit(whole);
  EXPECT_FALSE(store_->Get(Column::kKeys, DataKeyKey("case-a"))->has_value());
}

TEST_F(KeyRingTest, ClassShredBeforeRotationCommitIsNotResurrected) {
  Init("correct horse");
  auto ring = Unsealed();
  CreateCase(*ring, "case-a");
  const uint32_t medical = 1u << static_cast<int>(FieldClass::kMedical);
  {
    auto pending = ring->PrepareKekRotation(FieldClass::kIdentity);
    ASSERT_TRUE(pending.ok());
    Batch refused;
    EXPECT_EQ(ring->ShredClasses("case-a", medical, &refused).code(), Code::kUnavailable);
  }  // dropped, never committed

  Batch shred;
  ASSERT_TRUE(ring->ShredClasses("case-a", medical, &shred).ok());
  auto rotation = ring->PrepareKekRotation(FieldClass::kIdentity);
  ASSERT_TRUE(rotation.ok());
  Commit(shred);
  Commit(rotation->batch);  // rewrapped from the record read before the shred committed
  ring->ActivateKekRotation(std::move(rotation).value());
  auto record = DecodeCaseKeysRecord(Raw(Column::kKeys, DataKeyKey("case-a")));
  ASSERT_TRUE(record.ok());
  EXPECT_EQ((*record)[static_cast<size_t>(FieldClass::kMedical)].kek_version, 0u);
  EXPECT_EQ((*record)[static_cast<size_t>(FieldClass::kIdentity)].kek_version, 2u);
  ring.reset();
  ring = Unsealed();
  EXPECT_EQ(ring->DataKey("case-a", FieldClass::kMedical).status().code(), Code::kNotFound);
  EXPECT_TRUE(ring->DataKey("case-a", FieldClass::kIdentity).ok());
}

TEST_F(KeyRingTest, CorruptedDataKeyIsCorruptionNotCrash) {
  Init("correct horse");
  auto ring = Unsealed();
  CreateCase(*ring, "case-a");
  const std::string key = DataKeyKey("case-a");
  const std::string good = Raw(Column::kKeys, key);
  std::map<FieldClass, std::string> originals;
  for (FieldClass cls : kAllFieldClasses) originals[cls] = std::string((*ring->DataKey("case-a", cls))->view());
  auto fresh = Unsealed(KeyRingOptions{.data_key_cache_capacity = 0});
  for (size_t i = 0; i < good.size(); ++i) {
    std::string bad = good;
    bad[i] = static_cast<char>(bad[i] ^ 0x40);
    PutRaw(Column::kKeys, key, bad);
    // The record holds every class: a flipped byte is caught by the class it
    // belongs to (or by all, in the framing) and never yields a wrong key.
    int corrupt = 0;
    for (FieldClass cls : kAllFieldClasses) {
      auto k = fresh->DataKey("case-a", cls);
      if (k.ok()) {
        EXPECT_EQ(std::string((*k)->view()), originals[cls]) << "byte " << i;
      } else {
        EXPECT_EQ(k.status().code(), Code::kCorruption) << "byte " << i;
        ++corrupt;
      }
    }
    EXPECT_GE(corrupt, 1) << "byte " << i;
  }
  for (std::string bad : {std::string(), good.substr(0, good.size() - 1), good + "x",
                          RandomBytes(good.size()), RandomBytes(3)}) {
    PutRaw(Column::kKeys, key, bad);
    EXPECT_EQ(fresh->DataKey("case-a", FieldClass::kMedical).status().code(), Code::kCorruption);
  }
}

TEST_F(KeyRingTest, CorruptedMetaIsCorruption) {
  Init("correct horse", 3, 2);
  using namespace keys_internal;  // NOLINT
  for (std::string_view meta : {kMetaUnit, kMetaPassphrase, kMetaShares, kMetaCheck, kMetaSignPublic}) {
    const std::string good = Raw(Column::kMeta, meta);
    for (std::string bad : {good.substr(0, good.size() - 1), std::string(1, '\x02') + good.substr(1),
                            std::string(good.size(), '\xee'), std::string()}) {
      PutRaw(Column::kMeta, std::string(meta), bad);
      EXPECT_EQ(KeyRing::Load(*store_).status().code(), Code::kCorruption) << meta;
    }
    PutRaw(Column::kMeta, std::string(meta), good);
  }
  ASSERT_NE(Unsealed(), nullptr);
}

TEST_F(KeyRingTest, CorruptedWrappedKeysFailUnsealAndStaySealed) {
  InitResult init = Init("correct horse", 3, 2);
  using namespace keys_internal;  // NOLINT
  const std::vector<std::pair<Column, std::string>> slots = {
      {Column::kMeta, std::string(kMetaSignSecret)},
      {Column::kKeys, std::string(kIndexKey)},
      {Column::kKeys, KekKey(FieldClass::kConsent, 1)},
      {Column::kKeys, KekCurrentKey(FieldClass::kConsent)},
  };
  for (const auto& [column, key] : slots) {
    const std::string good = Raw(column, key);
    std::string flipped = good;
    flipped[flipped.size() - 3] ^= 1;
    for (std::string bad : {flipped, good.substr(0, good.size() - 1), RandomBytes(40)}) {
      PutRaw(column, key, bad);
      auto ring = Load();
      EXPECT_EQ(ring->UnsealWithPassphrase("correct horse").code(), Code::kCorruption) << key;
      EXPECT_TRUE(ring->sealed());
      ASSERT_TRUE(ring->AddShare(init.shares[0]).ok());
      auto p = ring->AddShare(init.shares[1]);
      EXPECT_EQ(p.status().code(), Code::kCorruption) << key;
      EXPECT_TRUE(ring->sealed());
    }
    PutRaw(column, key, good);
  }
  // A sealed root under the passphrase that fails authentication reads as a
  // wrong passphrase: the two cannot be told apart.
  ASSERT_NE(Unsealed(), nullptr);
}

TEST_F(KeyRingTest, SmallCacheAndConcurrentReaders) {
  Init("correct horse");
  auto ring = Unsealed(KeyRingOptions{.data_key_cache_capacity = 3});
  std::vector<KeyRing::CaseKeys> created;
  for (int i = 0; i < 8; ++i) created.push_back(CreateCase(*ring, "case-" + std::to_string(i)));
  std::vector<std::thread> threads;
  std::atomic<int> mismatches{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 50; ++round) {
        const int i = (round + t) % 8;
        const auto cls = kAllFieldClasses[(round * 3 + t) % kFieldClassCount];
        auto key = ring->DataKey("case-" + std::to_string(i), cls);
        if (!key.ok() ||
            !ConstantTimeEqual((*key)->view(), created[i][static_cast<size_t>(cls)]->view())) {
          ++mismatches;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(mismatches.load(), 0);
}

}  // namespace
}  // namespace brankas
