// Cryptographic primitives, all from libsodium.
//
// SecretKey holds key material in locked memory excluded from core dumps
// (MADV_DONTDUMP) and zeroes it when dropped: key-sized secrets in a slab pool
// of 64-byte slots (vault/crypto/secure_pool.h: sodium_malloc's per-key guard
// pages cost five system calls a key), larger ones in sodium_malloc'd memory. It is move-only. Everything else here is a free function
// over byte strings. All functions are thread-safe once InitCrypto() has run.
//
// Byte strings are std::string (binary-safe) to keep the interfaces small.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "brankas/status.h"

namespace brankas {

// Must be called once before any other function here (idempotent, thread-safe).
// Also turns core dumps off for the process (RLIMIT_CORE = 0, PR_SET_DUMPABLE 0).
Status InitCrypto();

inline constexpr size_t kKeySize = 32;          // XChaCha20-Poly1305, BLAKE2b keys
inline constexpr size_t kAeadNonceSize = 24;
inline constexpr size_t kAeadTagSize = 16;
inline constexpr size_t kHashSize = 32;         // BLAKE2b-256
inline constexpr size_t kSignPublicKeySize = 32;
inline constexpr size_t kSignSecretKeySize = 64;
inline constexpr size_t kSignatureSize = 64;

class SecretKey {
 public:
  SecretKey() = default;                        // empty: size() == 0
  ~SecretKey();
  SecretKey(SecretKey&& other) noexcept;
  SecretKey& operator=(SecretKey&& other) noexcept;
  SecretKey(const SecretKey&) = delete;
  SecretKey& operator=(const SecretKey&) = delete;

  static SecretKey Random(size_t size = kKeySize);
  // The subkey `id` of a kKeySize `master` under an 8-character `context`
  // (libsodium's crypto_kdf, BLAKE2b): subkeys of one random master are
  // independent keys to anyone without the master. For keys made in a batch
  // (a case's data keys) without a CSPRNG call each: libsodium's generator
  // makes a getpid(2) system call per call.
  static SecretKey Derive(const SecretKey& master, uint64_t id, const char (&context)[9],
                          size_t size = kKeySize);
  // Copies bytes into protected memory. The caller should wipe its copy.
  static SecretKey FromBytes(std::string_view bytes);

  bool empty() const { return size_ == 0; }
  size_t size() const { return size_; }
  const unsigned char* data() const { return data_; }
  unsigned char* mutable_data() { return data_; }
  std::string_view view() const { return {reinterpret_cast<const char*>(data_), size_}; }
  SecretKey Clone() const;
  // Zeroes and frees now.
  void Wipe();

 private:
  unsigned char* data_ = nullptr;
  size_t size_ = 0;
  bool pooled_ = false;  // from the locked slot pool rather than sodium_malloc
};

// Overwrites a std::string's bytes with zeros (sodium_memzero), then clears it.
void WipeString(std::string& s);
std::string RandomBytes(size_t n);
bool ConstantTimeEqual(std::string_view a, std::string_view b);
std::string ToHex(std::string_view bytes);
// Empty result and false on malformed input.
bool FromHex(std::string_view hex, std::string* out);

// XChaCha20-Poly1305 (IETF). Output of Seal: nonce(24) || ciphertext || tag(16).
// The associated data is authenticated, not stored.
std::string AeadSeal(const SecretKey& key, std::string_view plaintext, std::string_view ad);
// kCorruption when the tag does not verify or the input is too short.
Result<std::string> AeadOpen(const SecretKey& key, std::string_view sealed, std::string_view ad);

// Like AeadOpen but the plaintext itself is secret key material.
Result<SecretKey> AeadOpenKey(const SecretKey& key, std::string_view sealed, std::string_view ad);

// BLAKE2b with 32-byte output; keyed when key is non-empty.
std::string Blake2b256(std::string_view data);
std::string Blake2b256Keyed(const SecretKey& key, std::string_view data);

// Incremental BLAKE2b-256 for hashing many pieces without concatenating.
class Hasher {
 public:
  Hasher();
  void Update(std::string_view data);
  // Appends a length-prefixed piece (u32 little endian length + bytes), so that
  // a sequence of pieces hashes unambiguously.
  void UpdateFramed(std::string_view data);
  std::string Finish();
 private:
  alignas(64) unsigned char state_[384];
};

// Incremental SHA-256 (the hash courts and forensic tools expect of a file).
// OpenSSL's, which uses the CPU's SHA extensions: libsodium's portable one
// runs at a fifth of the speed and would bound attachment throughput.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void Update(std::string_view data);
  std::string Finish();  // 32 bytes; the hasher is then spent
 private:
  void* ctx_;  // EVP_MD_CTX
};
inline constexpr size_t kSha256Size = 32;

// libsodium secretstream (XChaCha20-Poly1305): a sequence of messages under
// one key, each authenticated together with its position; the last carries
// the FINAL tag, so truncation, reordering and splicing are detected.
inline constexpr size_t kStreamHeaderSize = 24;
inline constexpr size_t kStreamOverhead = 17;  // per message
class StreamSealer {
 public:
  // Starts a stream under `key` (32 bytes); header() goes beside the messages.
  explicit StreamSealer(const SecretKey& key);
  ~StreamSealer();
  const std::string& header() const { return header_; }
  // Seals the next message into *out (replacing its contents).
  void Seal(std::string_view plaintext, bool final, std::string* out);
 private:
  alignas(16) unsigned char state_[52];
  std::string header_;
};
class StreamOpener {
 public:
  StreamOpener() = default;
  ~StreamOpener();
  // kCorruption for a malformed header.
  Status Start(const SecretKey& key, std::string_view header);
  // Opens the next message into *out; *final says whether it carried the FINAL
  // tag. kCorruption when it does not authenticate in this position.
  Status Open(std::string_view sealed, std::string* out, bool* final);
 private:
  alignas(16) unsigned char state_[52];
};

// Ed25519.
struct SigningKeyPair {
  std::string public_key;   // 32 bytes, not secret
  SecretKey secret_key;     // 64 bytes
};
SigningKeyPair GenerateSigningKey();
std::string Sign(const SecretKey& secret_key, std::string_view message);  // 64-byte signature
// Anonymous public-key encryption to a node identified by its Ed25519 key
// (libsodium sealed box to the key's X25519 form): a referral's data keys
// travel to the receiving unit so that only that unit can open them.
Result<std::string> SealToSigningKey(std::string_view public_key, std::string_view plaintext);
// kCorruption when the box was not made for this key or was altered.
Result<std::string> OpenSealedWithSigningKey(const SecretKey& secret_key, std::string_view sealed);
bool VerifySignature(std::string_view public_key, std::string_view message,
                     std::string_view signature);

// Argon2id key derivation for passphrase sealing.
struct Argon2Params {
  uint64_t ops_limit = 3;                  // crypto_pwhash_OPSLIMIT_MODERATE
  uint64_t mem_limit = 256ull << 20;       // 256 MiB
};
inline constexpr size_t kArgon2SaltSize = 16;
Result<SecretKey> DeriveKeyFromPassphrase(std::string_view passphrase, std::string_view salt,
                                          const Argon2Params& params);
// Password hashing for user logins (crypto_pwhash_str, Argon2id).
Result<std::string> HashPassword(std::string_view password, const Argon2Params& params);
bool VerifyPassword(std::string_view hash, std::string_view password);

}  // namespace brankas
