#include "brankas/crypto.h"
#include "crypto/secure_pool.h"
#include <set>

#include <sodium.h>

#include <gtest/gtest.h>

namespace brankas {
namespace {

class CryptoTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(InitCrypto().ok()); }
  static Argon2Params Fast() {
    return {crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN};
  }
};

TEST_F(CryptoTest, InitIsIdempotent) {
  EXPECT_TRUE(InitCrypto().ok());
  EXPECT_TRUE(InitCrypto().ok());
}

TEST_F(CryptoTest, SecretKeyLifecycle) {
  SecretKey empty;
  EXPECT_TRUE(empty.empty());
  SecretKey a = SecretKey::Random();
  ASSERT_EQ(a.size(), kKeySize);
  SecretKey b = SecretKey::FromBytes(a.view());
  EXPECT_TRUE(ConstantTimeEqual(a.view(), b.view()));
  SecretKey c = a.Clone();
  EXPECT_TRUE(ConstantTimeEqual(a.view(), c.view()));
  EXPECT_NE(c.data(), a.data());
  SecretKey d = std::move(a);
  EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move): moved-from is empty by contract
  EXPECT_TRUE(ConstantTimeEqual(d.view(), c.view()));
  d = std::move(c);
  EXPECT_TRUE(c.empty());  // NOLINT
  d.Wipe();
  EXPECT_TRUE(d.empty());
  EXPECT_FALSE(ConstantTimeEqual(SecretKey::Random().view(), SecretKey::Random().view()));
}

TEST_F(CryptoTest, DerivedSubkeysAreLibsodiumKdfAndDistinct) {
  SecretKey master = SecretKey::Random();
  SecretKey a0 = SecretKey::Derive(master, 0, "brdatakc");
  SecretKey a1 = SecretKey::Derive(master, 1, "brdatakc");
  ASSERT_EQ(a0.size(), kKeySize);
  EXPECT_FALSE(ConstantTimeEqual(a0.view(), a1.view()));
  EXPECT_TRUE(ConstantTimeEqual(a0.view(), SecretKey::Derive(master, 0, "brdatakc").view()));
  EXPECT_FALSE(ConstantTimeEqual(a0.view(), SecretKey::Derive(master, 0, "otherctx").view()));
  EXPECT_FALSE(ConstantTimeEqual(a0.view(), SecretKey::Derive(SecretKey::Random(), 0, "brdatakc").view()));
  // Exactly libsodium's crypto_kdf: BLAKE2b keyed by the master, with the id
  // as salt and the context as personalization.
  unsigned char expected[kKeySize];
  crypto_kdf_derive_from_key(expected, sizeof expected, 1, "brdatakc", master.data());
  EXPECT_TRUE(ConstantTimeEqual(a1.view(), std::string_view(reinterpret_cast<const char*>(expected), kKeySize)));
  sodium_memzero(expected, sizeof expected);
  // No subkey equals its master.
  EXPECT_FALSE(ConstantTimeEqual(a0.view(), master.view()));
}

TEST_F(CryptoTest, WipeStringAndHex) {
  std::string s = "secret";
  WipeString(s);
  EXPECT_TRUE(s.empty());
  EXPECT_EQ(ToHex(std::string("\x00\xff\x10", 3)), "00ff10");
  std::string out;
  ASSERT_TRUE(FromHex("00ff10", &out));
  EXPECT_EQ(out, std::string("\x00\xff\x10", 3));
  ASSERT_TRUE(FromHex("ABcd", &out));
  EXPECT_EQ(out, "\xab\xcd");
  EXPECT_FALSE(FromHex("abc", &out));
  EXPECT_TRUE(out.empty());
  EXPECT_FALSE(FromHex("zz", &out));
  EXPECT_FALSE(FromHex("ab cd", &out));
  ASSERT_TRUE(FromHex("", &out));
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(RandomBytes(17).size(), 17u);
  EXPECT_TRUE(ConstantTimeEqual("", ""));
  EXPECT_FALSE(ConstantTimeEqual("a", "ab"));
}

TEST_F(CryptoTest, AeadRoundTrip) {
  SecretKey key = SecretKey::Random();
  for (std::string plain : {std::string(), std::string("x"), std::string(10000, 'q')}) {
    std::string sealed = AeadSeal(key, plain, "unit|case|field|1");
    EXPECT_EQ(sealed.size(), plain.size() + kAeadNonceSize + kAeadTagSize);
    auto opened = AeadOpen(key, sealed, "unit|case|field|1");
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    EXPECT_EQ(*opened, plain);
  }
  // Random nonce: the same plaintext seals differently.
  EXPECT_NE(AeadSeal(key, "same", ""), AeadSeal(key, "same", ""));
}

TEST_F(CryptoTest, AeadRejectsEveryTamperedByte) {
  SecretKey key = SecretKey::Random();
  const std::string sealed = AeadSeal(key, "a field value", "ad");
  // Covers nonce (first 24), ciphertext and tag (last 16).
  for (size_t i = 0; i < sealed.size(); ++i) {
    std::string bad = sealed;
    bad[i] = static_cast<char>(bad[i] ^ 0x01);
    auto r = AeadOpen(key, bad, "ad");
    ASSERT_FALSE(r.ok()) << "byte " << i;
    EXPECT_EQ(r.status().code(), Code::kCorruption);
    EXPECT_EQ(r.status().message().find("a field value"), std::string::npos);
  }
}

TEST_F(CryptoTest, AeadBindsAssociatedDataAndKey) {
  SecretKey key = SecretKey::Random();
  const std::string sealed = AeadSeal(key, "v", "unit|caseA|name|1");
  // Moved to another case or another field.
  EXPECT_EQ(AeadOpen(key, sealed, "unit|caseB|name|1").status().code(), Code::kCorruption);
  EXPECT_EQ(AeadOpen(key, sealed, "unit|caseA|dob|1").status().code(), Code::kCorruption);
  EXPECT_EQ(AeadOpen(key, sealed, "").status().code(), Code::kCorruption);
  EXPECT_EQ(AeadOpen(SecretKey::Random(), sealed, "unit|caseA|name|1").status().code(),
            Code::kCorruption);
}

TEST_F(CryptoTest, AeadShortInputIsCorruption) {
  SecretKey key = SecretKey::Random();
  for (size_t n : {size_t{0}, size_t{1}, kAeadNonceSize, kAeadNonceSize + kAeadTagSize - 1}) {
    auto r = AeadOpen(key, std::string(n, 'a'), "");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), Code::kCorruption);
    EXPECT_EQ(AeadOpenKey(key, std::string(n, 'a'), "").status().code(), Code::kCorruption);
  }
  // Wrong key size is the caller's bug, reported as such.
  EXPECT_EQ(AeadOpen(SecretKey::Random(16), std::string(64, 'a'), "").status().code(),
            Code::kInvalidArgument);
}

TEST_F(CryptoTest, AeadOpenKey) {
  SecretKey kek = SecretKey::Random();
  SecretKey dk = SecretKey::Random();
  const std::string wrapped = AeadSeal(kek, dk.view(), "wrap");
  auto opened = AeadOpenKey(kek, wrapped, "wrap");
  ASSERT_TRUE(opened.ok());
  EXPECT_TRUE(ConstantTimeEqual(opened->view(), dk.view()));
  EXPECT_EQ(AeadOpenKey(kek, wrapped, "other").status().code(), Code::kCorruption);
  // An empty sealed key is not a key.
  EXPECT_EQ(AeadOpenKey(kek, AeadSeal(kek, "", "w"), "w").status().code(), Code::kCorruption);
}

TEST_F(CryptoTest, Blake2bKnownVectors) {
  EXPECT_EQ(ToHex(Blake2b256("")),
            "0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8");
  EXPECT_EQ(ToHex(Blake2b256("abc")),
            "bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319");
}

TEST_F(CryptoTest, HasherMatchesOneShotAndFrames) {
  Hasher h;
  h.Update("a");
  h.Update("bc");
  EXPECT_EQ(h.Finish(), Blake2b256("abc"));
  Hasher empty;
  EXPECT_EQ(empty.Finish(), Blake2b256(""));
  // Framing: ("ab","c") and ("a","bc") differ.
  Hasher f1, f2;
  f1.UpdateFramed("ab");
  f1.UpdateFramed("c");
  f2.UpdateFramed("a");
  f2.UpdateFramed("bc");
  EXPECT_NE(f1.Finish(), f2.Finish());
  Hasher f3;
  f3.UpdateFramed("abc");
  EXPECT_EQ(f3.Finish(), Blake2b256(std::string("\x03\x00\x00\x00" "abc", 7)));
}

TEST_F(CryptoTest, KeyedBlake2b) {
  SecretKey k1 = SecretKey::Random();
  SecretKey k2 = SecretKey::Random();
  EXPECT_EQ(Blake2b256Keyed(k1, "x").size(), kHashSize);
  EXPECT_EQ(Blake2b256Keyed(k1, "x"), Blake2b256Keyed(k1, "x"));
  EXPECT_NE(Blake2b256Keyed(k1, "x"), Blake2b256Keyed(k2, "x"));
  EXPECT_NE(Blake2b256Keyed(k1, "x"), Blake2b256("x"));
}

TEST_F(CryptoTest, Ed25519SignVerifyTamper) {
  SigningKeyPair pair = GenerateSigningKey();
  ASSERT_EQ(pair.public_key.size(), kSignPublicKeySize);
  ASSERT_EQ(pair.secret_key.size(), kSignSecretKeySize);
  const std::string sig = Sign(pair.secret_key, "checkpoint 42");
  ASSERT_EQ(sig.size(), kSignatureSize);
  EXPECT_TRUE(VerifySignature(pair.public_key, "checkpoint 42", sig));
  EXPECT_FALSE(VerifySignature(pair.public_key, "checkpoint 43", sig));
  std::string bad = sig;
  bad[5] ^= 0x20;
  EXPECT_FALSE(VerifySignature(pair.public_key, "checkpoint 42", bad));
  EXPECT_FALSE(VerifySignature(GenerateSigningKey().public_key, "checkpoint 42", sig));
  EXPECT_FALSE(VerifySignature(pair.public_key, "checkpoint 42", sig.substr(1)));
  EXPECT_FALSE(VerifySignature("short", "checkpoint 42", sig));
}

TEST_F(CryptoTest, Argon2Derive) {
  const std::string salt = RandomBytes(kArgon2SaltSize);
  auto a = DeriveKeyFromPassphrase("correct horse", salt, Fast());
  auto b = DeriveKeyFromPassphrase("correct horse", salt, Fast());
  auto c = DeriveKeyFromPassphrase("correct horsf", salt, Fast());
  auto d = DeriveKeyFromPassphrase("correct horse", RandomBytes(kArgon2SaltSize), Fast());
  ASSERT_TRUE(a.ok() && b.ok() && c.ok() && d.ok());
  EXPECT_EQ(a->size(), kKeySize);
  EXPECT_TRUE(ConstantTimeEqual(a->view(), b->view()));
  EXPECT_FALSE(ConstantTimeEqual(a->view(), c->view()));
  EXPECT_FALSE(ConstantTimeEqual(a->view(), d->view()));
  EXPECT_EQ(DeriveKeyFromPassphrase("p", "short", Fast()).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(DeriveKeyFromPassphrase("p", salt, {0, crypto_pwhash_MEMLIMIT_MIN}).status().code(),
            Code::kInvalidArgument);
  EXPECT_EQ(DeriveKeyFromPassphrase("p", salt, {1, 1}).status().code(), Code::kInvalidArgument);
}

TEST_F(CryptoTest, PasswordHash) {
  auto h = HashPassword("hunter2", Fast());
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  EXPECT_EQ(h->rfind("$argon2id$", 0), 0u);
  EXPECT_EQ(h->find("hunter2"), std::string::npos);
  EXPECT_TRUE(VerifyPassword(*h, "hunter2"));
  EXPECT_FALSE(VerifyPassword(*h, "hunter3"));
  EXPECT_FALSE(VerifyPassword(*h, ""));
  EXPECT_FALSE(VerifyPassword("", "hunter2"));
  EXPECT_FALSE(VerifyPassword("garbage", "hunter2"));
  EXPECT_FALSE(VerifyPassword(std::string(500, '$'), "hunter2"));
  auto h2 = HashPassword("hunter2", Fast());
  ASSERT_TRUE(h2.ok());
  EXPECT_NE(*h, *h2);  // random salt
}

}  // namespace
}  // namespace brankas

namespace brankas {
namespace {

TEST(SecretKeyPoolTest, KeysComeFromThePoolAndReturnToIt) {
  ASSERT_TRUE(InitCrypto().ok());
  size_t before = internal::PoolSlotsInUse();
  {
    std::vector<SecretKey> keys;
    for (int i = 0; i < 5000; ++i) keys.push_back(SecretKey::Random());
    EXPECT_EQ(internal::PoolSlotsInUse(), before + 5000);
    std::set<std::string> distinct;
    for (const auto& k : keys) distinct.insert(std::string(k.view()));
    EXPECT_EQ(distinct.size(), 5000u);
    SecretKey moved = std::move(keys[0]);
    EXPECT_TRUE(keys[0].empty());
    EXPECT_EQ(moved.size(), kKeySize);
  }
  EXPECT_EQ(internal::PoolSlotsInUse(), before);
  // Larger secrets still work (sodium_malloc).
  SecretKey big = SecretKey::Random(4096);
  EXPECT_EQ(big.size(), 4096u);
}

}  // namespace
}  // namespace brankas
