// libsodium-backed implementation of brankas/crypto.h.
//
// No message produced here ever contains key material, a passphrase or a
// plaintext: only fixed descriptions and public sizes.
#include "brankas/crypto.h"
#include "crypto/secure_pool.h"

#include <openssl/evp.h>
#include <sodium.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <pthread.h>
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <mutex>

namespace brankas {
namespace {

static_assert(kKeySize == crypto_aead_xchacha20poly1305_ietf_KEYBYTES);
static_assert(kAeadNonceSize == crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
static_assert(kAeadTagSize == crypto_aead_xchacha20poly1305_ietf_ABYTES);
static_assert(kHashSize <= crypto_generichash_BYTES_MAX && kHashSize >= crypto_generichash_BYTES_MIN);
static_assert(kKeySize >= crypto_generichash_KEYBYTES_MIN && kKeySize <= crypto_generichash_KEYBYTES_MAX);
static_assert(kSignPublicKeySize == crypto_sign_PUBLICKEYBYTES);
static_assert(kSignSecretKeySize == crypto_sign_SECRETKEYBYTES);
static_assert(kSignatureSize == crypto_sign_BYTES);
static_assert(kArgon2SaltSize == crypto_pwhash_SALTBYTES);

// libsodium's user-space CSPRNG (ChaCha20, per-thread state, seeded and
// reseeded from getrandom, fork-aware) instead of one getrandom(2) system call
// per nonce: that call alone was 7% of a create. Must precede sodium_init.
bool SodiumInit() {
  static const bool ok = [] {
    randombytes_set_implementation(&randombytes_internal_implementation);
    return sodium_init() >= 0;
  }();
  return ok;
}

const unsigned char* Bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

// AEAD nonces (public: stored beside the ciphertext) come from a per-thread
// buffer of CSPRNG output, refilled 1 KiB at a time: libsodium's generator makes
// a getpid(2) system call on every call, which was 3% of a create. Never used
// for key material (that goes straight into locked memory). A forked child
// must not reuse the parent's buffered bytes: fork bumps the generation and
// every buffer refills before its next use.
std::atomic<uint64_t> nonce_generation{1};

void BumpNonceGeneration() { nonce_generation.fetch_add(1, std::memory_order_relaxed); }

void FillNonce(unsigned char* out, size_t n) {
  constexpr size_t kBufferSize = 1024;
  struct Buffer {
    unsigned char bytes[kBufferSize];
    size_t used = kBufferSize;
    uint64_t generation = 0;
  };
  thread_local Buffer buffer;
  static const bool registered = [] { return pthread_atfork(nullptr, nullptr, BumpNonceGeneration) == 0; }();
  const uint64_t generation = nonce_generation.load(std::memory_order_relaxed);
  if (!registered || n > kBufferSize) {
    randombytes_buf(out, n);
    return;
  }
  if (buffer.generation != generation || kBufferSize - buffer.used < n) {
    randombytes_buf(buffer.bytes, kBufferSize);
    buffer.used = 0;
    buffer.generation = generation;
  }
  std::memcpy(out, buffer.bytes + buffer.used, n);
  sodium_memzero(buffer.bytes + buffer.used, n);  // each byte is handed out once
  buffer.used += n;
}

// Key-sized secrets come from the locked pool (secure_pool.h); anything larger,
// or anything when the pool cannot grow, from sodium_malloc. Aborts on
// exhaustion (there is no sane way to continue without memory for key
// material, and no error channel in the API).
unsigned char* AllocateSecret(size_t size, bool* pooled) {
  if (size <= internal::kPoolSlotSize) {
    if (unsigned char* p = internal::PoolAllocate()) {
      *pooled = true;
      return p;
    }
  }
  *pooled = false;
  // sodium_malloc needs sodium_init (page size); cheap after the first call.
  static const bool initialized = SodiumInit();
  if (!initialized) std::abort();
  auto* p = static_cast<unsigned char*>(sodium_malloc(size));
  if (p == nullptr) std::abort();
  // sodium_malloc already mlocks (and, on Linux, marks the region
  // MADV_DONTDUMP). Repeat the latter best effort over the page(s) holding
  // the key, in case this libsodium build does not.
#ifdef MADV_DONTDUMP
  const long page = sysconf(_SC_PAGESIZE);
  if (page > 0) {
    const auto start = reinterpret_cast<uintptr_t>(p) & ~static_cast<uintptr_t>(page - 1);
    const auto end = reinterpret_cast<uintptr_t>(p) + size;
    (void)madvise(reinterpret_cast<void*>(start), end - start, MADV_DONTDUMP);
  }
#endif
  return p;
}

Status InitOnce() {
  if (!SodiumInit()) return Internal("libsodium failed to initialize");
  // Core dumps off: key material must never reach a dump file.
  struct rlimit none = {0, 0};
  if (setrlimit(RLIMIT_CORE, &none) != 0) return Internal("cannot disable core dumps (RLIMIT_CORE)");
  if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) return Internal("cannot mark the process non-dumpable");
  return Status::Ok();
}

}  // namespace

Status InitCrypto() {
  static const Status status = InitOnce();  // thread-safe static initialization
  return status;
}

// ---- SecretKey ----

SecretKey::~SecretKey() { Wipe(); }

SecretKey::SecretKey(SecretKey&& other) noexcept
    : data_(other.data_), size_(other.size_), pooled_(other.pooled_) {
  other.data_ = nullptr;
  other.size_ = 0;
  other.pooled_ = false;
}

SecretKey& SecretKey::operator=(SecretKey&& other) noexcept {
  if (this != &other) {
    Wipe();
    data_ = other.data_;
    size_ = other.size_;
    pooled_ = other.pooled_;
    other.data_ = nullptr;
    other.size_ = 0;
    other.pooled_ = false;
  }
  return *this;
}

SecretKey SecretKey::Random(size_t size) {
  SecretKey k;
  if (size == 0) return k;
  k.data_ = AllocateSecret(size, &k.pooled_);
  k.size_ = size;
  randombytes_buf(k.data_, size);
  return k;
}

SecretKey SecretKey::Derive(const SecretKey& master, uint64_t id, const char (&context)[9], size_t size) {
  static_assert(kKeySize == crypto_kdf_KEYBYTES);
  if (master.size() != crypto_kdf_KEYBYTES || size < crypto_kdf_BYTES_MIN || size > crypto_kdf_BYTES_MAX) {
    std::abort();  // a programming error: no key can be made from this
  }
  SecretKey k;
  k.data_ = AllocateSecret(size, &k.pooled_);
  k.size_ = size;
  crypto_kdf_derive_from_key(k.data_, size, id, context, master.data());
  return k;
}

SecretKey SecretKey::FromBytes(std::string_view bytes) {
  SecretKey k;
  if (bytes.empty()) return k;
  k.data_ = AllocateSecret(bytes.size(), &k.pooled_);
  k.size_ = bytes.size();
  std::memcpy(k.data_, bytes.data(), bytes.size());
  return k;
}

SecretKey SecretKey::Clone() const { return FromBytes(view()); }

void SecretKey::Wipe() {
  if (data_ != nullptr) {
    if (pooled_) {
      internal::PoolRelease(data_);  // zeroes the slot
    } else {
      sodium_free(data_);  // zeroes before unmapping
    }
  }
  data_ = nullptr;
  size_ = 0;
  pooled_ = false;
}

// ---- Bytes ----

void WipeString(std::string& s) {
  if (!s.empty()) sodium_memzero(s.data(), s.size());
  s.clear();
}

std::string RandomBytes(size_t n) {
  std::string out(n, '\0');
  if (n > 0) randombytes_buf(out.data(), n);
  return out;
}

bool ConstantTimeEqual(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string ToHex(std::string_view bytes) {
  std::string out(bytes.size() * 2 + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), Bytes(bytes), bytes.size());
  out.pop_back();  // the terminating NUL
  return out;
}

bool FromHex(std::string_view hex, std::string* out) {
  out->clear();
  if (hex.size() % 2 != 0) return false;
  std::string bin(hex.size() / 2, '\0');
  size_t bin_len = 0;
  const char* end = nullptr;
  if (sodium_hex2bin(reinterpret_cast<unsigned char*>(bin.data()), bin.size(), hex.data(),
                     hex.size(), nullptr, &bin_len, &end) != 0 ||
      bin_len != bin.size() || end != hex.data() + hex.size()) {
    WipeString(bin);
    return false;
  }
  *out = std::move(bin);
  return true;
}

// ---- AEAD ----

std::string AeadSeal(const SecretKey& key, std::string_view plaintext, std::string_view ad) {
  if (key.size() != kKeySize) std::abort();  // programming error, never data-dependent
  std::string out(kAeadNonceSize + plaintext.size() + kAeadTagSize, '\0');
  auto* nonce = reinterpret_cast<unsigned char*>(out.data());
  FillNonce(nonce, kAeadNonceSize);
  unsigned long long written = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(nonce + kAeadNonceSize, &written, Bytes(plaintext),
                                             plaintext.size(), Bytes(ad), ad.size(), nullptr,
                                             nonce, key.data());
  return out;
}

namespace {

// Decrypts into `out` (plaintext-sized). False when authentication fails.
bool AeadOpenInto(const SecretKey& key, std::string_view sealed, std::string_view ad,
                  unsigned char* out) {
  const auto* nonce = Bytes(sealed);
  unsigned long long written = 0;
  return crypto_aead_xchacha20poly1305_ietf_decrypt(
             out, &written, nullptr, nonce + kAeadNonceSize, sealed.size() - kAeadNonceSize,
             Bytes(ad), ad.size(), nonce, key.data()) == 0;
}

Status CheckSealed(const SecretKey& key, std::string_view sealed) {
  if (key.size() != kKeySize) return InvalidArgument("AEAD key has the wrong size");
  if (sealed.size() < kAeadNonceSize + kAeadTagSize) {
    return Corruption("ciphertext too short");
  }
  return Status::Ok();
}

}  // namespace

Result<std::string> AeadOpen(const SecretKey& key, std::string_view sealed, std::string_view ad) {
  BRANKAS_RETURN_IF_ERROR(CheckSealed(key, sealed));
  std::string out(sealed.size() - kAeadNonceSize - kAeadTagSize, '\0');
  // A zero-length plaintext still needs a valid pointer.
  unsigned char dummy = 0;
  auto* dst = out.empty() ? &dummy : reinterpret_cast<unsigned char*>(out.data());
  if (!AeadOpenInto(key, sealed, ad, dst)) {
    WipeString(out);
    return Corruption("ciphertext failed authentication");
  }
  return out;
}

Result<SecretKey> AeadOpenKey(const SecretKey& key, std::string_view sealed, std::string_view ad) {
  BRANKAS_RETURN_IF_ERROR(CheckSealed(key, sealed));
  const size_t n = sealed.size() - kAeadNonceSize - kAeadTagSize;
  if (n == 0) return Corruption("sealed key is empty");
  SecretKey out = SecretKey::Random(n);  // allocation in protected memory; overwritten below
  if (!AeadOpenInto(key, sealed, ad, out.mutable_data())) {
    return Corruption("ciphertext failed authentication");  // `out` is zeroed by its destructor
  }
  return out;
}

// ---- BLAKE2b ----

std::string Blake2b256(std::string_view data) {
  std::string out(kHashSize, '\0');
  crypto_generichash(reinterpret_cast<unsigned char*>(out.data()), out.size(), Bytes(data),
                     data.size(), nullptr, 0);
  return out;
}

std::string Blake2b256Keyed(const SecretKey& key, std::string_view data) {
  if (key.size() < crypto_generichash_KEYBYTES_MIN || key.size() > crypto_generichash_KEYBYTES_MAX) {
    std::abort();  // programming error
  }
  std::string out(kHashSize, '\0');
  crypto_generichash(reinterpret_cast<unsigned char*>(out.data()), out.size(), Bytes(data),
                     data.size(), key.data(), key.size());
  return out;
}

static_assert(sizeof(crypto_generichash_state) <= 384, "Hasher::state_ too small");
static_assert(alignof(crypto_generichash_state) <= 64, "Hasher::state_ under-aligned");

Hasher::Hasher() {
  crypto_generichash_init(reinterpret_cast<crypto_generichash_state*>(state_), nullptr, 0,
                          kHashSize);
}

void Hasher::Update(std::string_view data) {
  crypto_generichash_update(reinterpret_cast<crypto_generichash_state*>(state_), Bytes(data),
                            data.size());
}

void Hasher::UpdateFramed(std::string_view data) {
  const auto n = static_cast<uint32_t>(data.size());
  const unsigned char len[4] = {static_cast<unsigned char>(n), static_cast<unsigned char>(n >> 8),
                                static_cast<unsigned char>(n >> 16),
                                static_cast<unsigned char>(n >> 24)};
  crypto_generichash_update(reinterpret_cast<crypto_generichash_state*>(state_), len, 4);
  Update(data);
}

std::string Hasher::Finish() {
  std::string out(kHashSize, '\0');
  crypto_generichash_final(reinterpret_cast<crypto_generichash_state*>(state_),
                           reinterpret_cast<unsigned char*>(out.data()), out.size());
  return out;
}

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
  if (ctx_ == nullptr || EVP_DigestInit_ex(static_cast<EVP_MD_CTX*>(ctx_), EVP_sha256(), nullptr) != 1) {
    std::abort();  // out of memory: nothing sensible to hash with
  }
}
Sha256::~Sha256() { EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(ctx_)); }
void Sha256::Update(std::string_view data) {
  EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(ctx_), data.data(), data.size());
}
std::string Sha256::Finish() {
  std::string out(kSha256Size, '\0');
  unsigned int n = 0;
  EVP_DigestFinal_ex(static_cast<EVP_MD_CTX*>(ctx_), reinterpret_cast<unsigned char*>(out.data()), &n);
  return out;
}

static_assert(sizeof(crypto_secretstream_xchacha20poly1305_state) <= 52, "secretstream state size");
static_assert(crypto_secretstream_xchacha20poly1305_HEADERBYTES == kStreamHeaderSize);
static_assert(crypto_secretstream_xchacha20poly1305_ABYTES == kStreamOverhead);

StreamSealer::StreamSealer(const SecretKey& key) : header_(kStreamHeaderSize, '\0') {
  crypto_secretstream_xchacha20poly1305_init_push(
      reinterpret_cast<crypto_secretstream_xchacha20poly1305_state*>(state_),
      reinterpret_cast<unsigned char*>(header_.data()), key.data());
}
StreamSealer::~StreamSealer() { sodium_memzero(state_, sizeof(state_)); }
void StreamSealer::Seal(std::string_view plaintext, bool final, std::string* out) {
  out->resize(plaintext.size() + kStreamOverhead);
  unsigned long long n = 0;
  crypto_secretstream_xchacha20poly1305_push(
      reinterpret_cast<crypto_secretstream_xchacha20poly1305_state*>(state_),
      reinterpret_cast<unsigned char*>(out->data()), &n, reinterpret_cast<const unsigned char*>(plaintext.data()),
      plaintext.size(), nullptr, 0,
      final ? crypto_secretstream_xchacha20poly1305_TAG_FINAL : crypto_secretstream_xchacha20poly1305_TAG_MESSAGE);
  out->resize(n);
}

StreamOpener::~StreamOpener() { sodium_memzero(state_, sizeof(state_)); }
Status StreamOpener::Start(const SecretKey& key, std::string_view header) {
  if (header.size() != kStreamHeaderSize || key.size() != kKeySize) return Corruption("malformed stream header");
  if (crypto_secretstream_xchacha20poly1305_init_pull(
          reinterpret_cast<crypto_secretstream_xchacha20poly1305_state*>(state_),
          reinterpret_cast<const unsigned char*>(header.data()), key.data()) != 0) {
    return Corruption("malformed stream header");
  }
  return Status::Ok();
}
Status StreamOpener::Open(std::string_view sealed, std::string* out, bool* final) {
  if (sealed.size() < kStreamOverhead) return Corruption("a stream message is truncated");
  out->resize(sealed.size() - kStreamOverhead);
  unsigned long long n = 0;
  unsigned char tag = 0;
  if (crypto_secretstream_xchacha20poly1305_pull(
          reinterpret_cast<crypto_secretstream_xchacha20poly1305_state*>(state_),
          reinterpret_cast<unsigned char*>(out->data()), &n, &tag,
          reinterpret_cast<const unsigned char*>(sealed.data()), sealed.size(), nullptr, 0) != 0) {
    out->clear();
    return Corruption("a stream message does not authenticate in its position");
  }
  out->resize(n);
  *final = tag == crypto_secretstream_xchacha20poly1305_TAG_FINAL;
  return Status::Ok();
}

// ---- Ed25519 ----

SigningKeyPair GenerateSigningKey() {
  SigningKeyPair pair;
  pair.public_key.assign(kSignPublicKeySize, '\0');
  pair.secret_key = SecretKey::Random(kSignSecretKeySize);
  crypto_sign_keypair(reinterpret_cast<unsigned char*>(pair.public_key.data()),
                      pair.secret_key.mutable_data());
  return pair;
}

std::string Sign(const SecretKey& secret_key, std::string_view message) {
  if (secret_key.size() != kSignSecretKeySize) std::abort();  // programming error
  std::string sig(kSignatureSize, '\0');
  crypto_sign_detached(reinterpret_cast<unsigned char*>(sig.data()), nullptr, Bytes(message),
                       message.size(), secret_key.data());
  return sig;
}

Result<std::string> SealToSigningKey(std::string_view public_key, std::string_view plaintext) {
  unsigned char x25519[crypto_box_PUBLICKEYBYTES];
  if (public_key.size() != kSignPublicKeySize || crypto_sign_ed25519_pk_to_curve25519(x25519, Bytes(public_key)) != 0) {
    return InvalidArgument("not a valid Ed25519 public key");
  }
  std::string sealed(plaintext.size() + crypto_box_SEALBYTES, '\0');
  if (crypto_box_seal(reinterpret_cast<unsigned char*>(sealed.data()), Bytes(plaintext), plaintext.size(), x25519) != 0) {
    return Internal("sealing to a public key failed");
  }
  return sealed;
}

Result<std::string> OpenSealedWithSigningKey(const SecretKey& secret_key, std::string_view sealed) {
  if (secret_key.size() != kSignSecretKeySize) std::abort();  // programming error
  if (sealed.size() < crypto_box_SEALBYTES) return Corruption("a sealed box is truncated");
  unsigned char pk[crypto_box_PUBLICKEYBYTES];
  SecretKey sk = SecretKey::Random(crypto_box_SECRETKEYBYTES);
  if (crypto_sign_ed25519_pk_to_curve25519(pk, secret_key.data() + 32) != 0 ||
      crypto_sign_ed25519_sk_to_curve25519(sk.mutable_data(), secret_key.data()) != 0) {
    return Internal("the node key has no X25519 form");
  }
  std::string plain(sealed.size() - crypto_box_SEALBYTES, '\0');
  if (crypto_box_seal_open(reinterpret_cast<unsigned char*>(plain.data()), Bytes(sealed), sealed.size(), pk,
                           sk.data()) != 0) {
    return Corruption("a sealed box does not open with this node's key");
  }
  return plain;
}

bool VerifySignature(std::string_view public_key, std::string_view message,
                     std::string_view signature) {
  if (public_key.size() != kSignPublicKeySize || signature.size() != kSignatureSize) return false;
  return crypto_sign_verify_detached(Bytes(signature), Bytes(message), message.size(),
                                     Bytes(public_key)) == 0;
}

// ---- Argon2id ----

namespace {

Status CheckArgon2Params(const Argon2Params& p) {
  if (p.ops_limit < crypto_pwhash_argon2id_OPSLIMIT_MIN ||
      p.ops_limit > crypto_pwhash_argon2id_OPSLIMIT_MAX) {
    return InvalidArgument("Argon2 ops_limit out of range");
  }
  if (p.mem_limit < crypto_pwhash_argon2id_MEMLIMIT_MIN ||
      p.mem_limit > crypto_pwhash_argon2id_MEMLIMIT_MAX || p.mem_limit > SIZE_MAX) {
    return InvalidArgument("Argon2 mem_limit out of range");
  }
  return Status::Ok();
}

}  // namespace

Result<SecretKey> DeriveKeyFromPassphrase(std::string_view passphrase, std::string_view salt,
                                          const Argon2Params& params) {
  BRANKAS_RETURN_IF_ERROR(CheckArgon2Params(params));
  if (salt.size() != kArgon2SaltSize) return InvalidArgument("Argon2 salt must be 16 bytes");
  if (passphrase.size() > crypto_pwhash_PASSWD_MAX) return InvalidArgument("passphrase too long");
  SecretKey out = SecretKey::Random(kKeySize);
  if (crypto_pwhash(out.mutable_data(), out.size(), passphrase.data(), passphrase.size(),
                    Bytes(salt), params.ops_limit, static_cast<size_t>(params.mem_limit),
                    crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return Internal("Argon2 key derivation failed (out of memory?)");
  }
  return out;
}

Result<std::string> HashPassword(std::string_view password, const Argon2Params& params) {
  BRANKAS_RETURN_IF_ERROR(CheckArgon2Params(params));
  if (password.size() > crypto_pwhash_PASSWD_MAX) return InvalidArgument("password too long");
  char out[crypto_pwhash_STRBYTES] = {};
  if (crypto_pwhash_str_alg(out, password.data(), password.size(), params.ops_limit,
                            static_cast<size_t>(params.mem_limit),
                            crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return Internal("password hashing failed (out of memory?)");
  }
  return std::string(out);
}

bool VerifyPassword(std::string_view hash, std::string_view password) {
  // crypto_pwhash_str_verify needs a NUL-terminated string that fits STRBYTES.
  if (hash.empty() || hash.size() >= crypto_pwhash_STRBYTES) return false;
  if (hash.find('\0') != std::string_view::npos) return false;
  char buf[crypto_pwhash_STRBYTES] = {};
  std::memcpy(buf, hash.data(), hash.size());
  return crypto_pwhash_str_verify(buf, password.data(), password.size()) == 0;
}

}  // namespace brankas
