// Users and login sessions: their stored encodings, and the node-local state
// the login and bearer-token paths share (vault/engine/user_ops.cc,
// session_ops.cc).
//
// Stored in the acl column family:
//   "u/" user                   -> EncodeUser (versioned record: format byte, u64 version)
//   "s/" BLAKE2b-256(token)     -> EncodeSession (the token itself is never stored)
//   "su/" user "/" token_hash   -> i64 expires_us: a user's sessions, for revocation
//                                  and pruning without scanning every session
// User names are [a-z0-9_.-]{1,64}: no '/', so "su/" user "/" is an exact prefix.
//
// AuthState is thread-safe: its cache and counters have their own locks; the
// per-user stripes serialize read-modify-write of one user's record (held
// across the commit, never across Argon2).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <semaphore>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "brankas/crypto.h"
#include "brankas/policy.h"
#include "brankas/status.h"
#include "brankas/store.h"
#include "brankas/vault.h"

namespace brankas {

struct UserRecord {
  std::string user;
  Role role = Role::kCaseWorker;
  std::string unit;
  std::string password_hash;  // crypto_pwhash_str output: never logged or returned
  bool disabled = false;
  int64_t created_us = 0, updated_us = 0;
  int64_t password_changed_us = 0;
  int64_t last_login_us = 0;
  uint32_t failures = 0;        // consecutive failed logins since the last success or lock
  int64_t locked_until_us = 0;  // logins refused before this time
};

struct SessionRecord {
  std::string user;
  int64_t created_us = 0;
  int64_t expires_us = 0;
};

std::string UserKey(std::string_view user);
inline constexpr char kUserPrefix[] = "u/";
std::string SessionKey(std::string_view token_hash);
std::string SessionByUserPrefix(std::string_view user);

std::string EncodeUser(const UserRecord& u, uint64_t version);
Result<UserRecord> DecodeUser(std::string_view bytes, uint64_t* version);
std::string EncodeSession(const SessionRecord& s);
Result<SessionRecord> DecodeSession(std::string_view bytes);

// NotFound when there is no such user.
Result<UserRecord> LoadUser(Store& store, std::string_view user, uint64_t* version);
// Adds the deletion of every session of `user` (all of them, or only those
// expired at `expired_before_us` when it is non-zero) to *batch; returns the
// token hashes deleted.
Result<std::vector<std::string>> DeleteSessionsOf(Store& store, std::string_view user,
                                                  int64_t expired_before_us, Batch* batch);

// Audits a refused user or session operation (deny for kPermissionDenied,
// kUnauthenticated and kRateLimited, error otherwise) and returns `status`.
// `detail` is appended to the code name; it must hold no secret.
Status RefuseAuth(Vault::Impl& impl, const RequestContext& rc, std::string_view action,
                  const Status& status, std::string_view detail = {}, std::string_view rule = {});
// Argon2id of a new password in the calling thread, waiting up to
// kPasswordHashWaitMs for one of AuthState's hash slots (then kUnavailable).
inline constexpr int64_t kPasswordHashWaitMs = 30'000;
class AuthState;
Result<std::string> HashNewPassword(AuthState& auth, std::string_view password);
// "user=NAME" when the name is well formed, "user=(malformed)" otherwise.
std::string UserDetail(std::string_view user);

// [a-z0-9_.-]{1,64}
bool IsValidUserName(std::string_view user);
// At least 12 characters (UTF-8 code points) and at most 1024 bytes of valid
// UTF-8. The message names the rule, never the password.
Status CheckNewPassword(std::string_view password);
inline constexpr size_t kMaxPasswordBytes = 1024;

// Bearer tokens: 32 random bytes, 64 lowercase hex characters on the wire.
inline constexpr size_t kTokenBytes = 32;
// The stored name of a token: BLAKE2b-256 of its raw bytes. Empty when the
// token is not well formed.
std::string TokenHash(std::string_view token);

struct AuthSettings {
  int64_t session_ttl_us = 0;
  int login_max_failures = 0;
  int64_t login_lockout_us = 0;
  Argon2Params password_argon;
};

class AuthState {
 public:
  explicit AuthState(AuthSettings settings, int password_hash_concurrency);

  const AuthSettings& settings() const { return settings_; }

  // At most `password_hash_concurrency` Argon2 computations at once (each
  // takes password_argon.mem_limit of memory). False after `timeout_ms`.
  bool AcquireHashSlot(int64_t timeout_ms);
  void ReleaseHashSlot();
  // A hash of a random password with the current parameters, verified against
  // when the user is unknown so that the answer takes the same time.
  const std::string& DummyHash();

  // The stripe serializing updates of one user's record.
  std::mutex& UserLock(std::string_view user);

  // Verified sessions, keyed by token hash. Lookup honours expiry and a
  // maximum age; Insert is dropped if a revocation happened since `epoch`
  // was read (the caller read the store after reading it).
  struct Cached {
    Principal principal;
    int64_t expires_us = 0;
    int64_t checked_us = 0;
  };
  bool Lookup(const std::string& token_hash, int64_t now_us, Principal* out);
  uint64_t epoch() const;
  void Insert(const std::string& token_hash, Cached entry, uint64_t epoch);
  // Call after the revocation is durable.
  void RevokeSession(const std::string& token_hash);
  void RevokeUser(std::string_view user);

  // Failed logins of names that are not users, kept in memory so that an
  // unknown name locks exactly like a real one (no enumeration by lockout).
  // Returns the lock time (0 if not locked) after recording a failure.
  int64_t UnknownLockedUntil(std::string_view user, int64_t now_us);
  int64_t RecordUnknownFailure(std::string_view user, int64_t now_us);

  std::atomic<uint64_t> authenticate_failures{0};
  std::atomic<uint64_t> login_failures{0};
  std::atomic<uint64_t> logins{0};

 private:
  static constexpr size_t kMaxCached = 10000;
  static constexpr int64_t kMaxCacheAgeUs = 60'000'000;  // re-read the store at least every minute
  static constexpr size_t kMaxUnknown = 10000;

  const AuthSettings settings_;
  std::counting_semaphore<1024> hash_slots_;
  std::once_flag dummy_once_;
  std::string dummy_hash_;
  std::array<std::mutex, 64> user_locks_;

  mutable std::mutex cache_mu_;
  std::unordered_map<std::string, Cached> cache_;  // guarded by cache_mu_
  uint64_t epoch_ = 0;                             // guarded by cache_mu_

  struct Unknown {
    uint32_t failures = 0;
    int64_t locked_until_us = 0;
  };
  std::mutex unknown_mu_;
  std::unordered_map<std::string, Unknown> unknown_;  // guarded by unknown_mu_, keyed by name hash
};

}  // namespace brankas
