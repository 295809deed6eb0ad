// Password login with lockout, bearer tokens, logout.
//
// A login verifies the password (Argon2id) in the request thread, outside
// every lock; an unknown or disabled user costs the same verification (against
// a dummy hash) and gets the same answer. Failures are counted in the user's
// record (through the committer, audited, durable); the
// login_max_failures-th consecutive failure locks the account for
// login_lockout_us. Names that are not users are counted in memory only, so
// they lock the same way. A success writes the session (by token hash), resets
// the counter and prunes the user's expired sessions in one commit.
#include <algorithm>

#include "brankas/codec.h"
#include "engine/vault_impl.h"

namespace brankas {
namespace {

constexpr std::string_view kLogin = "auth.login";
constexpr char kWrongCredentials[] = "wrong user name or password";

// Who the entry is about: the account, when it exists (rc.principal is empty
// before a login). An unknown name is not recorded: it may be a password
// typed into the wrong box.
AuditEntry LoginEntry(Vault::Impl& impl, const RequestContext& rc, const UserRecord* u,
                      std::string_view decision) {
  AuditEntry e = impl.Entry(rc, kLogin, "", decision);
  e.actor = u ? u->user : std::string();
  e.role = u ? std::string(RoleName(u->role)) : std::string();
  e.rule = "password";
  return e;
}

Status DenyLogin(Vault::Impl& impl, const RequestContext& rc, const UserRecord* u,
                 const Status& status, std::string detail, bool flagged = false) {
  impl.auth->login_failures.fetch_add(1, std::memory_order_relaxed);
  const Code code = status.code();
  AuditEntry e = LoginEntry(
      impl, rc, u, code == Code::kUnauthenticated || code == Code::kRateLimited ? "deny" : "error");
  e.detail = std::move(detail);
  e.flagged = flagged;
  BRANKAS_RETURN_IF_ERROR(impl.AuditOnly({std::move(e)}));
  return status;
}

Status Locked(int64_t remaining_us) {
  const int64_t minutes = std::max<int64_t>(1, (remaining_us + 59'999'999) / 60'000'000);
  return Status(Code::kRateLimited, "too many failed logins: the account is locked for " +
                                        std::to_string(minutes) + " more minute" +
                                        (minutes == 1 ? "" : "s"));
}

// A short, non-secret name for a session in the audit trail: the first 8
// bytes of the token's hash (the token cannot be recovered from it).
std::string SessionDetail(std::string_view token_hash) {
  return "session=" + ToHex(token_hash.substr(0, 8));
}

// Counts one wrong password against an existing account (under its stripe).
Status RecordFailure(Vault::Impl& impl, const RequestContext& rc, std::string_view user) {
  const AuthSettings& settings = impl.auth->settings();
  std::lock_guard lock(impl.auth->UserLock(user));
  uint64_t version = 0;
  auto u = LoadUser(*impl.store, user, &version);
  if (!u.ok()) return DenyLogin(impl, rc, nullptr, u.status(), CodeName(u.status().code()));
  const int64_t now = impl.now_us();
  if (u->locked_until_us > now) {
    // Locked by a concurrent failure meanwhile: nothing more to count.
    return DenyLogin(impl, rc, &*u, Unauthenticated(kWrongCredentials), "wrong_password locked");
  }
  bool locks = ++u->failures >= static_cast<uint32_t>(settings.login_max_failures);
  std::string detail = "wrong_password failures=" + std::to_string(u->failures);
  if (locks) {
    u->failures = 0;
    u->locked_until_us = now + settings.login_lockout_us;
    detail += " locked_for_s=" + std::to_string(settings.login_lockout_us / 1'000'000);
  }
  u->updated_us = now;
  impl.auth->login_failures.fetch_add(1, std::memory_order_relaxed);
  CommitRequest req;
  req.batch.Put(Column::kAcl, UserKey(user), EncodeUser(*u, version + 1));
  req.expectations.push_back({Column::kAcl, UserKey(user), version, version + 1});
  AuditEntry e = LoginEntry(impl, rc, &*u, "deny");
  e.detail = std::move(detail);
  e.flagged = locks;
  req.audit.push_back(std::move(e));
  auto committed = impl.committer->Commit(std::move(req));
  if (!committed.ok()) return committed.status();
  return Unauthenticated(kWrongCredentials);
}

}  // namespace

Result<Session> Vault::Login(const RequestContext& rc, std::string_view user,
                             std::string_view password) {
  Impl& impl = *impl_;
  BRANKAS_RETURN_IF_ERROR(impl.RequireUnsealed());
  AuthState& auth = *impl.auth;
  if (!IsValidUserName(user) || password.size() > kMaxPasswordBytes) {
    return DenyLogin(
        impl, rc, nullptr,
        InvalidArgument("a user name is 1 to 64 characters of a-z, 0-9, '_', '.' and '-'; "
                        "a password at most 1024 bytes"),
        "malformed");
  }
  uint64_t version = 0;
  std::optional<UserRecord> found;
  if (auto u = LoadUser(*impl.store, user, &version); u.ok()) {
    found = std::move(*u);
  } else if (u.status().code() != Code::kNotFound) {
    return DenyLogin(impl, rc, nullptr, u.status(), CodeName(u.status().code()));
  }
  const UserRecord* record = found ? &*found : nullptr;

  int64_t now = impl.now_us();
  const int64_t locked_until =
      record ? record->locked_until_us : auth.UnknownLockedUntil(user, now);
  if (locked_until > now) return DenyLogin(impl, rc, record, Locked(locked_until - now), "locked");

  // The slow part, outside every lock. Unknown and disabled accounts cost
  // the same verification.
  if (!auth.AcquireHashSlot(kPasswordHashWaitMs)) {
    return DenyLogin(impl, rc, record, Unavailable("too many logins at once: retry shortly"),
                     "busy");
  }
  const std::string verified_hash = record ? record->password_hash : auth.DummyHash();
  const bool password_ok = VerifyPassword(verified_hash, password);
  auth.ReleaseHashSlot();

  if (!record) {
    const int64_t locks = auth.RecordUnknownFailure(user, impl.now_us());
    return DenyLogin(impl, rc, nullptr, Unauthenticated(kWrongCredentials), "unknown_user",
                     locks != 0);
  }
  if (record->disabled)
    return DenyLogin(impl, rc, record, Unauthenticated(kWrongCredentials), "disabled");
  if (!password_ok) return RecordFailure(impl, rc, user);

  // Success: the session, the reset counter and the pruning in one commit,
  // against the record as it is now (it may have changed during Argon2).
  Session session;
  std::string token_hash;
  {
    std::lock_guard lock(auth.UserLock(user));
    auto u = LoadUser(*impl.store, user, &version);
    if (!u.ok()) return DenyLogin(impl, rc, nullptr, u.status(), CodeName(u.status().code()));
    now = impl.now_us();
    if (u->disabled)
      return DenyLogin(impl, rc, &*u, Unauthenticated(kWrongCredentials), "disabled");
    if (u->locked_until_us > now)
      return DenyLogin(impl, rc, &*u, Locked(u->locked_until_us - now), "locked");
    if (!ConstantTimeEqual(u->password_hash, verified_hash)) {
      return DenyLogin(impl, rc, &*u,
                       Unauthenticated("the password changed meanwhile: log in again"),
                       "password_changed");
    }
    std::string raw = RandomBytes(kTokenBytes);
    session.token = ToHex(raw);
    token_hash = Blake2b256(raw);
    WipeString(raw);
    session.expires_at_us = now + auth.settings().session_ttl_us;
    session.principal = Principal{u->user, u->role, u->unit};

    CommitRequest req;
    BRANKAS_ASSIGN_OR_RETURN(auto pruned, DeleteSessionsOf(*impl.store, user, now, &req.batch));
    req.batch.Put(Column::kAcl, SessionKey(token_hash),
                  EncodeSession(SessionRecord{u->user, now, session.expires_at_us}));
    Writer expiry;
    expiry.I64(session.expires_at_us);
    req.batch.Put(Column::kAcl, SessionByUserPrefix(user) + token_hash, expiry.Take());
    u->failures = 0;
    u->locked_until_us = 0;
    u->last_login_us = now;
    req.batch.Put(Column::kAcl, UserKey(user), EncodeUser(*u, version + 1));
    req.expectations.push_back({Column::kAcl, UserKey(user), version, version + 1});
    AuditEntry e = LoginEntry(impl, rc, &*u, "allow");
    e.detail = SessionDetail(token_hash) +
               " ttl_s=" + std::to_string(auth.settings().session_ttl_us / 1'000'000);
    if (!pruned.empty()) e.detail += " pruned=" + std::to_string(pruned.size());
    req.audit.push_back(std::move(e));
    auto committed = impl.committer->Commit(std::move(req));
    if (!committed.ok()) {
      WipeString(session.token);
      return committed.status();
    }
  }
  auth.logins.fetch_add(1, std::memory_order_relaxed);
  return session;
}

Result<Principal> Vault::Authenticate(std::string_view token) {
  Impl& impl = *impl_;
  AuthState& auth = *impl.auth;
  auto refuse = [&](std::string message) -> Status {
    auth.authenticate_failures.fetch_add(1, std::memory_order_relaxed);
    return Unauthenticated(std::move(message));
  };
  const std::string hash = TokenHash(token);
  if (hash.empty()) return refuse("malformed bearer token");
  const int64_t now = impl.now_us();
  Principal principal;
  if (auth.Lookup(hash, now, &principal)) return principal;

  // Read the epoch before the store: a revocation committed after this read
  // bumps it and keeps what is read here out of the cache.
  const uint64_t epoch = auth.epoch();
  BRANKAS_ASSIGN_OR_RETURN(auto bytes, impl.store->Get(Column::kAcl, SessionKey(hash)));
  if (!bytes) return refuse("unknown or revoked session: log in again");
  BRANKAS_ASSIGN_OR_RETURN(SessionRecord session, DecodeSession(*bytes));
  if (now >= session.expires_us) return refuse("the session expired: log in again");
  uint64_t version = 0;
  auto u = LoadUser(*impl.store, session.user, &version);
  if (!u.ok()) {
    if (u.status().code() == Code::kNotFound) return refuse("the session's user no longer exists");
    return u.status();
  }
  if (u->disabled) return refuse("the account is disabled");
  principal = Principal{u->user, u->role, u->unit};
  auth.Insert(hash, AuthState::Cached{principal, session.expires_us, now}, epoch);
  return principal;
}

Status Vault::Logout(const RequestContext& rc, std::string_view token) {
  Impl& impl = *impl_;
  BRANKAS_RETURN_IF_ERROR(impl.RequireUnsealed());
  constexpr std::string_view kAction = "auth.logout";
  const std::string hash = TokenHash(token);
  if (hash.empty())
    return RefuseAuth(impl, rc, kAction, Unauthenticated("malformed bearer token"), "malformed");
  auto bytes = impl.store->Get(Column::kAcl, SessionKey(hash));
  if (!bytes.ok()) return RefuseAuth(impl, rc, kAction, bytes.status());
  if (!*bytes) {
    return RefuseAuth(impl, rc, kAction, Unauthenticated("unknown or revoked session"),
                      SessionDetail(hash));
  }
  auto session = DecodeSession(**bytes);
  if (!session.ok()) return RefuseAuth(impl, rc, kAction, session.status(), SessionDetail(hash));
  const bool own = !rc.principal.user.empty() && rc.principal.user == session->user;
  const bool admin = !rc.principal.user.empty() && rc.principal.role == Role::kAdmin;
  if (!own && !admin) {
    return RefuseAuth(
        impl, rc, kAction,
        PermissionDenied("a session may be ended only by its own user or an administrator"),
        SessionDetail(hash));
  }
  CommitRequest req;
  req.batch.Delete(Column::kAcl, SessionKey(hash));
  req.batch.Delete(Column::kAcl, SessionByUserPrefix(session->user) + hash);
  AuditEntry e = impl.Entry(rc, kAction, "", "allow");
  e.rule = own ? "self" : "role:admin";
  e.detail = UserDetail(session->user) + " " + SessionDetail(hash);
  req.audit.push_back(std::move(e));
  auto committed = impl.committer->Commit(std::move(req));
  if (!committed.ok()) return committed.status();
  impl.auth->RevokeSession(hash);
  return Status::Ok();
}

Vault::AuthStats Vault::auth_stats() const {
  const AuthState& auth = *impl_->auth;
  return AuthStats{auth.logins.load(), auth.login_failures.load(),
                   auth.authenticate_failures.load()};
}

}  // namespace brankas
