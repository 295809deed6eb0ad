// Users: creation, listing, password changes and disabling. Administrators
// manage users (a user may also set their own password); every attempt is
// audited with the target user's name in the detail, never a password.
//
// Argon2 runs in the request thread before the user's stripe lock is taken;
// the read-modify-write of the record happens under the stripe, with the
// record's version as the commit's expectation.
#include "engine/vault_impl.h"

namespace brankas {
namespace {

constexpr char kAdminRule[] = "role:admin";

UserInfo InfoOf(const UserRecord& u) {
  return UserInfo{u.user, u.role, u.unit, u.disabled, u.created_us};
}

bool IsAdmin(const RequestContext& rc) {
  return rc.principal.role == Role::kAdmin && !rc.principal.user.empty();
}

// Writes a changed user record (guarded by its version) and deletes every
// session of the user in the same commit, audited. REQUIRES: the user's lock.
Status CommitUserChange(Vault::Impl& impl, const RequestContext& rc, std::string_view action,
                        std::string_view rule, const std::string& target, std::string_view user,
                        const UserRecord& record, uint64_t version) {
  CommitRequest req;
  BRANKAS_ASSIGN_OR_RETURN(auto revoked, DeleteSessionsOf(*impl.store, user, 0, &req.batch));
  req.batch.Put(Column::kAcl, UserKey(user), EncodeUser(record, version + 1));
  req.expectations.push_back({Column::kAcl, UserKey(user), version, version + 1});
  AuditEntry e = impl.Entry(rc, action, "", "allow");
  e.rule = std::string(rule);
  e.detail = target + " sessions_revoked=" + std::to_string(revoked.size());
  req.audit.push_back(std::move(e));
  auto committed = impl.committer->Commit(std::move(req));
  return committed.ok() ? Status::Ok() : committed.status();
}

}  // namespace

std::string UserDetail(std::string_view user) {
  return "user=" + (IsValidUserName(user) ? std::string(user) : std::string("(malformed)"));
}

Status RefuseAuth(Vault::Impl& impl, const RequestContext& rc, std::string_view action,
                  const Status& status, std::string_view detail, std::string_view rule) {
  if (impl.keys->sealed()) return status;  // nothing can be signed while sealed
  const Code code = status.code();
  const bool denied = code == Code::kPermissionDenied || code == Code::kUnauthenticated ||
                      code == Code::kRateLimited;
  AuditEntry e = impl.Entry(rc, action, "", denied ? "deny" : "error");
  e.rule = std::string(rule);
  e.detail = CodeName(code);
  if (!detail.empty()) e.detail += " " + std::string(detail);
  BRANKAS_RETURN_IF_ERROR(impl.AuditOnly({std::move(e)}));
  return status;
}

Result<std::string> HashNewPassword(AuthState& auth, std::string_view password) {
  if (!auth.AcquireHashSlot(kPasswordHashWaitMs)) {
    return Unavailable("too many password checks at once: retry shortly");
  }
  auto hash = HashPassword(password, auth.settings().password_argon);
  auth.ReleaseHashSlot();
  return hash;
}

Result<UserInfo> Vault::CreateUser(const RequestContext& rc, const UserInfo& info,
                                   std::string_view password) {
  Impl& impl = *impl_;
  BRANKAS_RETURN_IF_ERROR(impl.RequireUnsealed());
  constexpr std::string_view kAction = "user.create";
  const std::string target = UserDetail(info.user);
  if (!IsAdmin(rc)) {
    return RefuseAuth(impl, rc, kAction, PermissionDenied("only an administrator may create users"),
                      target, kAdminRule);
  }
  if (!IsValidUserName(info.user)) {
    return RefuseAuth(
        impl, rc, kAction,
        InvalidArgument("a user name is 1 to 64 characters of a-z, 0-9, '_', '.' and '-'"), target);
  }
  const std::string unit = info.unit.empty() ? impl.unit : info.unit;
  if (!IsWellFormedId(unit) || unit.size() > 16) {
    return RefuseAuth(impl, rc, kAction,
                      InvalidArgument("a unit code is 1-16 letters, digits, '-' or '_'"), target);
  }
  if (Status weak = CheckNewPassword(password); !weak.ok()) {
    return RefuseAuth(impl, rc, kAction, weak, target);
  }
  uint64_t version = 0;
  auto existing = LoadUser(*impl.store, info.user, &version);
  if (existing.ok())
    return RefuseAuth(impl, rc, kAction, Conflict("a user with this name already exists"), target);
  if (existing.status().code() != Code::kNotFound)
    return RefuseAuth(impl, rc, kAction, existing.status(), target);

  auto hash = HashNewPassword(*impl.auth, password);
  if (!hash.ok()) return RefuseAuth(impl, rc, kAction, hash.status(), target);
  UserRecord u;
  u.user = info.user;
  u.role = info.role;
  u.unit = unit;
  u.password_hash = std::move(*hash);
  u.disabled = info.disabled;
  u.created_us = u.updated_us = u.password_changed_us = impl.now_us();

  CommitRequest req;
  req.batch.Put(Column::kAcl, UserKey(u.user), EncodeUser(u, 1));
  req.expectations.push_back({Column::kAcl, UserKey(u.user), 0, 1});
  AuditEntry e = impl.Entry(rc, kAction, "", "allow");
  e.rule = kAdminRule;
  e.detail = target + " role=" + std::string(RoleName(u.role)) + " unit=" + u.unit +
             (u.disabled ? " disabled" : "");
  req.audit.push_back(std::move(e));
  auto committed = impl.committer->Commit(std::move(req));
  if (!committed.ok()) {
    if (committed.status().code() == Code::kConflict)
      return Conflict("a user with this name already exists");
    return committed.status();
  }
  return InfoOf(u);
}

Result<std::vector<UserInfo>> Vault::ListUsers(const RequestContext& rc) {
  Impl& impl = *impl_;
  BRANKAS_RETURN_IF_ERROR(impl.RequireUnsealed());
  constexpr std::string_view kAction = "user.list";
  if (!IsAdmin(rc)) {
    return RefuseAuth(impl, rc, kAction, PermissionDenied("only an administrator may list users"),
                      {}, kAdminRule);
  }
  std::vector<UserInfo> users;
  Status decoded;
  Status scanned = impl.store->Scan(Column::kAcl, kUserPrefix, {},
                                    [&](std::string_view, std::string_view value) {
                                      uint64_t version = 0;
                                      auto u = DecodeUser(value, &version);
                                      if (!u.ok()) {
                                        decoded = u.status();
                                        return false;
                                      }
                                      users.push_back(InfoOf(*u));
                                      return users.size() < 100000;
                                    });
  if (!scanned.ok()) return RefuseAuth(impl, rc, kAction, scanned);
  if (!decoded.ok()) return RefuseAuth(impl, rc, kAction, decoded);
  AuditEntry e = impl.Entry(rc, kAction, "", "allow");
  e.rule = kAdminRule;
  e.detail = "results=" + std::to_string(users.size());
  BRANKAS_RETURN_IF_ERROR(impl.AuditOnly({std::move(e)}));
  return users;
}

Status Vault::SetPassword(const RequestContext& rc, std::string_view user,
                          std::string_view new_password) {
  Impl& impl = *impl_;
  BRANKAS_RETURN_IF_ERROR(impl.RequireUnsealed());
  constexpr std::string_view kAction = "user.set_password";
  const std::string target = UserDetail(user);
  const bool self = !rc.principal.user.empty() && rc.principal.user == user;
  const std::string rule = self ? "self" : kAdminRule;
  if (!self && !IsAdmin(rc)) {
    return RefuseAuth(
        impl, rc, kAction,
        PermissionDenied("only an administrator or the user themself may set a password"), target,
        kAdminRule);
  }
  if (!IsValidUserName(user))
    return RefuseAuth(impl, rc, kAction, InvalidArgument("malformed user name"), target);
  if (Status weak = CheckNewPassword(new_password); !weak.ok()) {
    return RefuseAuth(impl, rc, kAction, weak, target);
  }
  uint64_t version = 0;
  if (auto u = LoadUser(*impl.store, user, &version); !u.ok()) {
    return RefuseAuth(impl, rc, kAction, u.status(), target);
  }
  auto hash = HashNewPassword(*impl.auth, new_password);
  if (!hash.ok()) return RefuseAuth(impl, rc, kAction, hash.status(), target);

  {
    std::lock_guard lock(impl.auth->UserLock(user));
    auto u = LoadUser(*impl.store, user, &version);
    if (!u.ok()) return RefuseAuth(impl, rc, kAction, u.status(), target);
    const int64_t now = impl.now_us();
    u->password_hash = std::move(*hash);
    u->password_changed_us = u->updated_us = now;
    u->failures = 0;
    u->locked_until_us = 0;
    BRANKAS_RETURN_IF_ERROR(CommitUserChange(impl, rc, kAction, rule, target, user, *u, version));
  }
  impl.auth->RevokeUser(user);
  return Status::Ok();
}

Status Vault::DisableUser(const RequestContext& rc, std::string_view user) {
  Impl& impl = *impl_;
  BRANKAS_RETURN_IF_ERROR(impl.RequireUnsealed());
  constexpr std::string_view kAction = "user.disable";
  const std::string target = UserDetail(user);
  if (!IsAdmin(rc)) {
    return RefuseAuth(impl, rc, kAction,
                      PermissionDenied("only an administrator may disable users"), target,
                      kAdminRule);
  }
  if (!IsValidUserName(user))
    return RefuseAuth(impl, rc, kAction, InvalidArgument("malformed user name"), target);
  if (rc.principal.user == user) {
    return RefuseAuth(impl, rc, kAction,
                      FailedPrecondition("an administrator cannot disable their own account"),
                      target);
  }
  {
    std::lock_guard lock(impl.auth->UserLock(user));
    uint64_t version = 0;
    auto u = LoadUser(*impl.store, user, &version);
    if (!u.ok()) return RefuseAuth(impl, rc, kAction, u.status(), target);
    if (u->disabled)
      return RefuseAuth(impl, rc, kAction, FailedPrecondition("the user is already disabled"),
                        target);
    u->disabled = true;
    u->updated_us = impl.now_us();
    BRANKAS_RETURN_IF_ERROR(CommitUserChange(impl, rc, kAction, kAdminRule, target, user, *u, version));
  }
  impl.auth->RevokeUser(user);
  return Status::Ok();
}

}  // namespace brankas
