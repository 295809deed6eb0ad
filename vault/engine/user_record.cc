#include "engine/user_record.h"

#include <algorithm>
#include <chrono>
#include <functional>

#include "brankas/codec.h"
#include "brankas/schema.h"

namespace brankas {
namespace {

constexpr uint8_t kUserFormat = 1;
constexpr uint8_t kSessionFormat = 1;

size_t CodePoints(std::string_view utf8) {
  return static_cast<size_t>(std::count_if(utf8.begin(), utf8.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

}  // namespace

std::string UserKey(std::string_view user) { return kUserPrefix + std::string(user); }
std::string SessionKey(std::string_view token_hash) { return "s/" + std::string(token_hash); }
std::string SessionByUserPrefix(std::string_view user) { return "su/" + std::string(user) + "/"; }

std::string EncodeUser(const UserRecord& u, uint64_t version) {
  Writer w;
  w.U8(kUserFormat);
  w.U64(version);
  w.Bytes(u.user);
  w.U8(static_cast<uint8_t>(u.role));
  w.Bytes(u.unit);
  w.Bytes(u.password_hash);
  w.Bool(u.disabled);
  w.I64(u.created_us);
  w.I64(u.updated_us);
  w.I64(u.password_changed_us);
  w.I64(u.last_login_us);
  w.U32(u.failures);
  w.I64(u.locked_until_us);
  return w.Take();
}

Result<UserRecord> DecodeUser(std::string_view bytes, uint64_t* version) {
  Reader r(bytes);
  UserRecord u;
  uint8_t format = 0, role = 0;
  if (!r.U8(&format) || format != kUserFormat) return Corruption("user: unknown format");
  r.U64(version);
  r.Bytes(&u.user);
  r.U8(&role);
  r.Bytes(&u.unit);
  r.Bytes(&u.password_hash);
  r.Bool(&u.disabled);
  r.I64(&u.created_us);
  r.I64(&u.updated_us);
  r.I64(&u.password_changed_us);
  r.I64(&u.last_login_us);
  r.U32(&u.failures);
  r.I64(&u.locked_until_us);
  if (!r.Done() || role >= kRoleCount || !IsValidUserName(u.user))
    return Corruption("user: malformed");
  u.role = static_cast<Role>(role);
  return u;
}

std::string EncodeSession(const SessionRecord& s) {
  Writer w;
  w.U8(kSessionFormat);
  w.Bytes(s.user);
  w.I64(s.created_us);
  w.I64(s.expires_us);
  return w.Take();
}

Result<SessionRecord> DecodeSession(std::string_view bytes) {
  Reader r(bytes);
  SessionRecord s;
  uint8_t format = 0;
  if (!r.U8(&format) || format != kSessionFormat) return Corruption("session: unknown format");
  r.Bytes(&s.user);
  r.I64(&s.created_us);
  r.I64(&s.expires_us);
  if (!r.Done() || !IsValidUserName(s.user)) return Corruption("session: malformed");
  return s;
}

Result<UserRecord> LoadUser(Store& store, std::string_view user, uint64_t* version) {
  if (!IsValidUserName(user)) return InvalidArgument("malformed user name");
  BRANKAS_ASSIGN_OR_RETURN(auto bytes, store.Get(Column::kAcl, UserKey(user)));
  if (!bytes) return NotFound("no such user");
  BRANKAS_ASSIGN_OR_RETURN(UserRecord u, DecodeUser(*bytes, version));
  if (u.user != user) return Corruption("user record stored under the wrong name");
  return u;
}

Result<std::vector<std::string>> DeleteSessionsOf(Store& store, std::string_view user,
                                                  int64_t expired_before_us, Batch* batch) {
  std::vector<std::string> hashes;
  const std::string prefix = SessionByUserPrefix(user);
  Status s =
      store.Scan(Column::kAcl, prefix, {}, [&](std::string_view key, std::string_view value) {
        if (expired_before_us != 0) {
          Reader r(value);
          int64_t expires_us = 0;
          if (r.I64(&expires_us) && r.Done() && expires_us > expired_before_us) return true;
        }
        std::string hash(key.substr(prefix.size()));
        batch->Delete(Column::kAcl, std::string(key));
        batch->Delete(Column::kAcl, SessionKey(hash));
        hashes.push_back(std::move(hash));
        return hashes.size() < 100000;
      });
  BRANKAS_RETURN_IF_ERROR(s);
  return hashes;
}

bool IsValidUserName(std::string_view user) {
  if (user.empty() || user.size() > 64) return false;
  return std::all_of(user.begin(), user.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
  });
}

Status CheckNewPassword(std::string_view password) {
  if (password.size() > kMaxPasswordBytes) {
    return InvalidArgument("a password may be at most 1024 bytes");
  }
  if (!IsValidUtf8(password)) return InvalidArgument("a password must be valid UTF-8");
  if (CodePoints(password) < 12) return InvalidArgument("a password needs at least 12 characters");
  return Status::Ok();
}

std::string TokenHash(std::string_view token) {
  if (token.size() != 2 * kTokenBytes) return {};
  std::string raw;
  if (!FromHex(token, &raw) || raw.size() != kTokenBytes) return {};
  std::string hash = Blake2b256(raw);
  WipeString(raw);
  return hash;
}

AuthState::AuthState(AuthSettings settings, int password_hash_concurrency)
    : settings_(std::move(settings)), hash_slots_(std::clamp(password_hash_concurrency, 1, 1024)) {}

bool AuthState::AcquireHashSlot(int64_t timeout_ms) {
  return hash_slots_.try_acquire_for(std::chrono::milliseconds(timeout_ms));
}

void AuthState::ReleaseHashSlot() { hash_slots_.release(); }

const std::string& AuthState::DummyHash() {
  std::call_once(dummy_once_, [this] {
    std::string password = ToHex(RandomBytes(16));
    auto hash = HashPassword(password, settings_.password_argon);
    // On failure the verification against an empty hash fails fast; the
    // answer is still "wrong user name or password".
    if (hash.ok()) dummy_hash_ = std::move(*hash);
    WipeString(password);
  });
  return dummy_hash_;
}

std::mutex& AuthState::UserLock(std::string_view user) {
  return user_locks_[std::hash<std::string_view>{}(user) % user_locks_.size()];
}

bool AuthState::Lookup(const std::string& token_hash, int64_t now_us, Principal* out) {
  std::lock_guard lock(cache_mu_);
  auto it = cache_.find(token_hash);
  if (it == cache_.end()) return false;
  if (now_us >= it->second.expires_us || now_us - it->second.checked_us >= kMaxCacheAgeUs ||
      now_us < it->second.checked_us) {
    cache_.erase(it);
    return false;
  }
  *out = it->second.principal;
  return true;
}

uint64_t AuthState::epoch() const {
  std::lock_guard lock(cache_mu_);
  return epoch_;
}

void AuthState::Insert(const std::string& token_hash, Cached entry, uint64_t epoch) {
  std::lock_guard lock(cache_mu_);
  if (epoch != epoch_) return;
  if (cache_.size() >= kMaxCached) cache_.clear();
  cache_.insert_or_assign(token_hash, std::move(entry));
}

void AuthState::RevokeSession(const std::string& token_hash) {
  std::lock_guard lock(cache_mu_);
  ++epoch_;
  cache_.erase(token_hash);
}

void AuthState::RevokeUser(std::string_view user) {
  std::lock_guard lock(cache_mu_);
  ++epoch_;
  std::erase_if(cache_, [&](const auto& kv) { return kv.second.principal.user == user; });
}

int64_t AuthState::UnknownLockedUntil(std::string_view user, int64_t now_us) {
  std::lock_guard lock(unknown_mu_);
  auto it = unknown_.find(Blake2b256(user));
  if (it == unknown_.end() || it->second.locked_until_us <= now_us) return 0;
  return it->second.locked_until_us;
}

int64_t AuthState::RecordUnknownFailure(std::string_view user, int64_t now_us) {
  std::lock_guard lock(unknown_mu_);
  if (unknown_.size() >= kMaxUnknown) unknown_.clear();
  Unknown& u = unknown_[Blake2b256(user)];
  if (u.locked_until_us != 0 && u.locked_until_us <= now_us) u = Unknown{};
  if (++u.failures >= static_cast<uint32_t>(std::max(settings_.login_max_failures, 1))) {
    u.failures = 0;
    u.locked_until_us = now_us + settings_.login_lockout_us;
  }
  return u.locked_until_us > now_us ? u.locked_until_us : 0;
}

}  // namespace brankas
