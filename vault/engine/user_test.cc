// Users, password login with lockout, bearer tokens.
#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "engine/user_record.h"
#include "engine/vault_test_util.h"

namespace brankas {
namespace {

using testing::VaultFixture;

constexpr char kPassword[] = "kata sandi yang panjang 1";
constexpr char kOtherPassword[] = "another long password 2";

class UserTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fx.Init();
    fx.OpenUnsealed();
  }
  Vault& vault() { return fx.vault(); }
  RequestContext admin() { return fx.Ctx("admin", Role::kAdmin); }
  RequestContext anonymous() {
    return RequestContext{Principal{"", Role::kIntake, ""}, "req-login", "10.0.0.7"};
  }

  void Create(const std::string& user, Role role, const std::string& password = kPassword) {
    auto r = vault().CreateUser(admin(), UserInfo{user, role, "", false, 0}, password);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }
  Result<Session> Login(const std::string& user, const std::string& password = kPassword) {
    return vault().Login(anonymous(), user, password);
  }
  RequestContext As(const Session& s) { return RequestContext{s.principal, "req-as", "10.0.0.7"}; }

  std::vector<AuditEntry> Audit(const std::string& action = "") {
    AuditFilter f;
    f.action = action;
    f.limit = kMaxAuditQueryLimit;
    auto r = QueryAudit(vault().store(), f);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : std::vector<AuditEntry>{};
  }
  // True if `needle` occurs in any key or value of any column family.
  bool StoredAnywhere(std::string_view needle) {
    bool found = false;
    for (int c = 0; c < kColumnCount; ++c) {
      Status s = vault().store().Scan(static_cast<Column>(c), "", "",
                                      [&](std::string_view k, std::string_view v) {
                                        found = k.find(needle) != std::string_view::npos ||
                                                v.find(needle) != std::string_view::npos;
                                        return !found;
                                      });
      EXPECT_TRUE(s.ok()) << s.ToString();
      if (found) return true;
    }
    return false;
  }
  size_t SessionIndexEntries(const std::string& user) {
    size_t n = 0;
    EXPECT_TRUE(vault()
                    .store()
                    .Scan(Column::kAcl, SessionByUserPrefix(user), "",
                          [&](auto, auto) {
                            ++n;
                            return true;
                          })
                    .ok());
    return n;
  }

  VaultFixture fx;
};

TEST_F(UserTest, AdminCreatesUsersOfEveryRole) {
  for (Role role : kAllRoles) Create("u." + std::string(RoleName(role)), role);
  auto other =
      vault().CreateUser(admin(), UserInfo{"jaksa-1", Role::kLegal, "SBY", false, 0}, kPassword);
  ASSERT_TRUE(other.ok()) << other.status().ToString();
  EXPECT_EQ(other->unit, "SBY");
  EXPECT_EQ(other->created_us, fx.NowSeconds() * 1'000'000);

  auto users = vault().ListUsers(admin());
  ASSERT_TRUE(users.ok()) << users.status().ToString();
  ASSERT_EQ(users->size(), kAllRoles.size() + 1);
  for (const UserInfo& u : *users) {
    if (u.user == "jaksa-1") continue;
    EXPECT_EQ(u.unit, fx.unit());
    EXPECT_EQ("u." + std::string(RoleName(u.role)), u.user);
    EXPECT_FALSE(u.disabled);
  }
  auto created = Audit("user.create");
  ASSERT_EQ(created.size(), kAllRoles.size() + 1);
  EXPECT_EQ(created.front().decision, "allow");
  EXPECT_EQ(created.front().actor, "admin");
  EXPECT_NE(created.front().detail.find("user=u.intake"), std::string::npos);
  EXPECT_EQ(Audit("user.list").back().detail, "results=" + std::to_string(kAllRoles.size() + 1));
}

TEST_F(UserTest, NonAdministratorsAreRefusedAndAudited) {
  for (Role role : kAllRoles) {
    if (role == Role::kAdmin) continue;
    auto ctx = fx.Ctx("someone", role);
    auto r = vault().CreateUser(ctx, UserInfo{"victim", Role::kAdmin, "", false, 0}, kPassword);
    EXPECT_EQ(r.status().code(), Code::kPermissionDenied) << RoleName(role);
    EXPECT_EQ(vault().ListUsers(ctx).status().code(), Code::kPermissionDenied);
    EXPECT_EQ(vault().DisableUser(ctx, "admin").code(), Code::kPermissionDenied);
  }
  auto denied = Audit("user.create");
  ASSERT_EQ(denied.size(), static_cast<size_t>(kRoleCount - 1));
  for (const auto& e : denied) {
    EXPECT_EQ(e.decision, "deny");
    EXPECT_EQ(e.actor, "someone");
  }
  auto users = vault().ListUsers(admin());
  ASSERT_TRUE(users.ok());
  EXPECT_TRUE(users->empty());
}

TEST_F(UserTest, DuplicateUserIsAConflict) {
  Create("rina", Role::kCaseWorker);
  auto again =
      vault().CreateUser(admin(), UserInfo{"rina", Role::kAdmin, "", false, 0}, kOtherPassword);
  EXPECT_EQ(again.status().code(), Code::kConflict);
  EXPECT_EQ(Audit("user.create").back().decision, "error");
  // The first account is untouched.
  ASSERT_TRUE(Login("rina").ok());
  EXPECT_EQ(Login("rina", kOtherPassword).status().code(), Code::kUnauthenticated);
}

TEST_F(UserTest, WeakOversizeAndMalformedInputIsRefused) {
  auto create = [&](const std::string& user, const std::string& password,
                    const std::string& unit = "") {
    return vault()
        .CreateUser(admin(), UserInfo{user, Role::kCaseWorker, unit, false, 0}, password)
        .status();
  };
  EXPECT_EQ(create("rina", "short pass!").code(), Code::kInvalidArgument);  // 11 characters
  EXPECT_EQ(create("rina", std::string(1025, 'x')).code(), Code::kInvalidArgument);  // > 1024 bytes
  EXPECT_EQ(create("rina", "ééééééééééé").code(),
            Code::kInvalidArgument);  // 11 characters, 22 bytes
  EXPECT_EQ(create("rina", std::string("\xff\xfe", 2) + kPassword).code(),
            Code::kInvalidArgument);  // not UTF-8
  for (const std::string& bad :
       std::vector<std::string>{"", "Rina", "rina/x", "rina x", "rina@kpg", std::string(65, 'a'),
                                std::string("r\0a", 3)}) {
    EXPECT_EQ(create(bad, kPassword).code(), Code::kInvalidArgument) << bad;
  }
  EXPECT_EQ(create("rina", kPassword, "K/PG").code(), Code::kInvalidArgument);
  EXPECT_TRUE(create(std::string(64, 'a'), std::string(1024, 'x')).ok());
  EXPECT_TRUE(create("r.ina_2-x", "ééééééééééé1").ok());
  // Messages name the rule, never the password.
  Status weak = create("rina", "short pass!");
  EXPECT_EQ(weak.message().find("short pass"), std::string::npos);
  // Login refuses an oversize password before hashing, and a malformed name.
  EXPECT_EQ(Login("aaaa", std::string(1025, 'x')).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(Login("Not A Name").status().code(), Code::kInvalidArgument);
}

TEST_F(UserTest, LoginGivesATokenThatAuthenticatesToThePrincipal) {
  Create("rina", Role::kCaseWorker);
  Create("dewi", Role::kSupervisor);
  auto s = Login("rina");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->token.size(), 64u);
  EXPECT_EQ(s->expires_at_us, (fx.NowSeconds() + 15 * 60) * 1'000'000);
  EXPECT_EQ(s->principal.user, "rina");
  EXPECT_EQ(s->principal.role, Role::kCaseWorker);
  EXPECT_EQ(s->principal.unit, fx.unit());
  for (int i = 0; i < 2; ++i) {  // the second from the cache
    auto p = vault().Authenticate(s->token);
    ASSERT_TRUE(p.ok()) << p.status().ToString();
    EXPECT_EQ(p->user, "rina");
    EXPECT_EQ(p->role, Role::kCaseWorker);
    EXPECT_EQ(p->unit, fx.unit());
  }
  auto d = Login("dewi");
  ASSERT_TRUE(d.ok());
  EXPECT_NE(d->token, s->token);
  EXPECT_EQ(vault().Authenticate(d->token)->role, Role::kSupervisor);

  auto logins = Audit("auth.login");
  ASSERT_EQ(logins.size(), 2u);
  EXPECT_EQ(logins[0].decision, "allow");
  EXPECT_EQ(logins[0].actor, "rina");
  EXPECT_EQ(logins[0].role, "case_worker");
  EXPECT_EQ(logins[0].client, "10.0.0.7");
  // Authentication itself is not audited.
  EXPECT_EQ(Audit().back().action, "auth.login");

  for (const std::string& bad :
       std::vector<std::string>{std::string(), std::string(64, 'z'), s->token.substr(1),
                                s->token + "0", std::string(64, '0')}) {
    EXPECT_EQ(vault().Authenticate(bad).status().code(), Code::kUnauthenticated);
  }
  EXPECT_EQ(vault().auth_stats().authenticate_failures, 5u);
  EXPECT_EQ(vault().auth_stats().logins, 2u);
}

TEST_F(UserTest, WrongPasswordAndUnknownUserGetTheSameDeniedAnswer) {
  Create("rina", Role::kCaseWorker);
  auto wrong = Login("rina", kOtherPassword);
  auto unknown = Login("nobody", kPassword);
  EXPECT_EQ(wrong.status().code(), Code::kUnauthenticated);
  EXPECT_EQ(unknown.status().code(), Code::kUnauthenticated);
  EXPECT_EQ(wrong.status().message(), unknown.status().message());
  auto denied = Audit("auth.login");
  ASSERT_EQ(denied.size(), 2u);
  EXPECT_EQ(denied[0].decision, "deny");
  EXPECT_EQ(denied[0].actor, "rina");
  EXPECT_EQ(denied[0].detail, "wrong_password failures=1");
  EXPECT_EQ(denied[1].decision, "deny");
  EXPECT_EQ(denied[1].actor, "");  // an unknown name is not recorded
  EXPECT_EQ(denied[1].detail, "unknown_user");
  EXPECT_EQ(vault().auth_stats().login_failures, 2u);
}

TEST_F(UserTest, FiveFailuresLockTheAccountUntilTheWindowPasses) {
  Create("rina", Role::kCaseWorker);
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(Login("rina", kOtherPassword).status().code(), Code::kUnauthenticated);
  auto locked = Login("rina");  // even the right password
  EXPECT_EQ(locked.status().code(), Code::kRateLimited);
  EXPECT_NE(locked.status().message().find("locked for 15 more minutes"), std::string::npos);
  auto logins = Audit("auth.login");
  ASSERT_EQ(logins.size(), 6u);
  EXPECT_TRUE(logins[4].flagged);
  EXPECT_NE(logins[4].detail.find("locked_for_s=900"), std::string::npos);
  EXPECT_EQ(logins[5].detail, "locked");
  EXPECT_EQ(logins[5].decision, "deny");

  fx.AdvanceSeconds(14 * 60);
  EXPECT_EQ(Login("rina").status().code(), Code::kRateLimited);
  fx.AdvanceSeconds(60);
  ASSERT_TRUE(Login("rina").ok());

  // Only consecutive failures count: a success resets the counter.
  for (int i = 0; i < 4; ++i)
    EXPECT_EQ(Login("rina", kOtherPassword).status().code(), Code::kUnauthenticated);
  ASSERT_TRUE(Login("rina").ok());
  for (int i = 0; i < 4; ++i)
    EXPECT_EQ(Login("rina", kOtherPassword).status().code(), Code::kUnauthenticated);
  ASSERT_TRUE(Login("rina").ok());
}

TEST_F(UserTest, UnknownNamesLockLikeRealOnes) {
  for (int i = 0; i < 5; ++i) EXPECT_EQ(Login("nobody").status().code(), Code::kUnauthenticated);
  EXPECT_EQ(Login("nobody").status().code(), Code::kRateLimited);
  fx.AdvanceSeconds(15 * 60);
  EXPECT_EQ(Login("nobody").status().code(), Code::kUnauthenticated);
}

TEST_F(UserTest, AdministratorPasswordResetClearsALockout) {
  Create("rina", Role::kCaseWorker);
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(Login("rina", kOtherPassword).ok());
  ASSERT_TRUE(vault().SetPassword(admin(), "rina", kOtherPassword).ok());
  ASSERT_TRUE(Login("rina", kOtherPassword).ok());
  EXPECT_EQ(Login("rina", kPassword).status().code(), Code::kUnauthenticated);
}

TEST_F(UserTest, TokenExpiresAfterTheTtl) {
  Create("rina", Role::kCaseWorker);
  auto s = Login("rina");
  ASSERT_TRUE(s.ok());
  ASSERT_TRUE(vault().Authenticate(s->token).ok());
  fx.AdvanceSeconds(15 * 60 - 1);
  ASSERT_TRUE(vault().Authenticate(s->token).ok());
  fx.AdvanceSeconds(1);
  auto expired = vault().Authenticate(s->token);
  EXPECT_EQ(expired.status().code(), Code::kUnauthenticated);
  EXPECT_NE(expired.status().message().find("expired"), std::string::npos);

  // The next login prunes the expired session.
  EXPECT_EQ(SessionIndexEntries("rina"), 1u);
  ASSERT_TRUE(Login("rina").ok());
  EXPECT_EQ(SessionIndexEntries("rina"), 1u);
}

TEST_F(UserTest, TtlIsConfigurable) {
  VaultOptions o = fx.Options();
  o.session_ttl_us = 60'000'000;
  fx.vault_ptr().reset();
  auto v = Vault::Open(std::move(o));
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  fx.vault_ptr() = std::move(*v);
  ASSERT_TRUE(vault().UnsealWithPassphrase(admin(), testing::kTestPassphrase).ok());
  Create("rina", Role::kCaseWorker);
  auto s = Login("rina");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->expires_at_us, (fx.NowSeconds() + 60) * 1'000'000);
  fx.AdvanceSeconds(60);
  EXPECT_FALSE(vault().Authenticate(s->token).ok());
}

TEST_F(UserTest, LogoutRevokesTheToken) {
  Create("rina", Role::kCaseWorker);
  Create("budi", Role::kCaseWorker);
  auto s = Login("rina");
  auto other = Login("rina");
  auto b = Login("budi");
  ASSERT_TRUE(s.ok() && other.ok() && b.ok());
  ASSERT_TRUE(vault().Authenticate(s->token).ok());  // cached
  // Someone else's session cannot be ended by a non-administrator.
  EXPECT_EQ(vault().Logout(As(*b), s->token).code(), Code::kPermissionDenied);
  ASSERT_TRUE(vault().Logout(As(*s), s->token).ok());
  EXPECT_EQ(vault().Authenticate(s->token).status().code(), Code::kUnauthenticated);
  EXPECT_EQ(vault().Logout(As(*s), s->token).code(), Code::kUnauthenticated);
  EXPECT_TRUE(vault().Authenticate(other->token).ok());  // the user's other session lives
  ASSERT_TRUE(vault().Logout(admin(), other->token).ok());
  EXPECT_FALSE(vault().Authenticate(other->token).ok());

  auto logouts = Audit("auth.logout");
  ASSERT_EQ(logouts.size(), 4u);
  EXPECT_EQ(logouts[0].decision, "deny");
  EXPECT_EQ(logouts[1].decision, "allow");
  EXPECT_EQ(logouts[1].actor, "rina");
  EXPECT_EQ(logouts[2].decision, "deny");
  EXPECT_EQ(logouts[3].rule, "role:admin");
  EXPECT_EQ(SessionIndexEntries("rina"), 0u);
}

TEST_F(UserTest, DisablingAUserStopsTheirTokens) {
  Create("rina", Role::kCaseWorker);
  auto s = Login("rina");
  ASSERT_TRUE(s.ok());
  ASSERT_TRUE(vault().Authenticate(s->token).ok());  // cached
  EXPECT_EQ(vault().DisableUser(admin(), "admin").code(),
            Code::kFailedPrecondition);  // not oneself
  EXPECT_EQ(vault().DisableUser(admin(), "nobody").code(), Code::kNotFound);
  ASSERT_TRUE(vault().DisableUser(admin(), "rina").ok());
  EXPECT_EQ(vault().DisableUser(admin(), "rina").code(), Code::kFailedPrecondition);
  EXPECT_EQ(vault().Authenticate(s->token).status().code(), Code::kUnauthenticated);
  auto again = Login("rina");
  EXPECT_EQ(again.status().code(), Code::kUnauthenticated);
  EXPECT_EQ(Audit("auth.login").back().detail, "disabled");
  EXPECT_EQ(SessionIndexEntries("rina"), 0u);
  auto session = vault().store().Get(Column::kAcl, SessionKey(TokenHash(s->token)));
  ASSERT_TRUE(session.ok());
  EXPECT_FALSE(session->has_value());
  auto users = vault().ListUsers(admin());
  ASSERT_TRUE(users.ok());
  ASSERT_EQ(users->size(), 1u);
  EXPECT_TRUE(users->front().disabled);
}

TEST_F(UserTest, UsersSetTheirOwnPasswordOnly) {
  Create("rina", Role::kCaseWorker);
  Create("budi", Role::kCaseWorker);
  auto s = Login("rina");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(vault().SetPassword(fx.Ctx("budi", Role::kCaseWorker), "rina", kOtherPassword).code(),
            Code::kPermissionDenied);
  EXPECT_EQ(vault().SetPassword(As(*s), "rina", "too short").code(), Code::kInvalidArgument);
  ASSERT_TRUE(vault().SetPassword(As(*s), "rina", kOtherPassword).ok());
  EXPECT_FALSE(vault().Authenticate(s->token).ok());  // every session revoked
  EXPECT_EQ(Login("rina", kPassword).status().code(), Code::kUnauthenticated);
  EXPECT_TRUE(Login("rina", kOtherPassword).ok());
  auto changes = Audit("user.set_password");
  ASSERT_EQ(changes.size(), 3u);
  EXPECT_EQ(changes[2].rule, "self");
  EXPECT_EQ(changes[2].detail, "user=rina sessions_revoked=1");
}

TEST_F(UserTest, TokensAreStoredOnlyAsHashes) {
  Create("rina", Role::kCaseWorker);
  auto s = Login("rina");
  ASSERT_TRUE(s.ok());
  std::string raw;
  ASSERT_TRUE(FromHex(s->token, &raw));
  EXPECT_FALSE(StoredAnywhere(raw));
  EXPECT_FALSE(StoredAnywhere(s->token));
  EXPECT_TRUE(StoredAnywhere(Blake2b256(raw)));  // what is stored instead
  auto bytes = vault().store().Get(Column::kAcl, SessionKey(Blake2b256(raw)));
  ASSERT_TRUE(bytes.ok() && bytes->has_value());
}

TEST_F(UserTest, NoPasswordOrTokenAppearsInTheAuditOrAnywhereElse) {
  Create("rina", Role::kCaseWorker);
  auto s = Login("rina");
  ASSERT_TRUE(s.ok());
  const std::string typo = "a password typed into the wrong box";
  EXPECT_FALSE(Login("rina", typo).ok());
  EXPECT_FALSE(Login("nobody", typo).ok());
  EXPECT_FALSE(vault().Authenticate(s->token + "00").ok());
  ASSERT_TRUE(vault().SetPassword(admin(), "rina", kOtherPassword).ok());
  auto s2 = Login("rina", kOtherPassword);
  ASSERT_TRUE(s2.ok());
  ASSERT_TRUE(vault().Logout(As(*s2), s2->token).ok());
  for (const std::string& secret :
       {std::string(kPassword), std::string(kOtherPassword), typo, s->token, s2->token}) {
    EXPECT_FALSE(StoredAnywhere(secret)) << "a secret is stored";
    for (const AuditEntry& e : Audit()) {
      std::string all = e.actor + e.role + e.action + e.case_id + e.rule + e.grant_id +
                        e.request_id + e.client + e.detail;
      EXPECT_EQ(all.find(secret), std::string::npos) << e.action;
    }
  }
  // The raw audit column, byte for byte.
  Status scanned =
      vault().store().Scan(Column::kAudit, "", "", [&](std::string_view, std::string_view v) {
        for (const std::string& secret :
             {std::string(kPassword), std::string(kOtherPassword), typo, s->token, s2->token}) {
          EXPECT_EQ(v.find(secret), std::string_view::npos);
        }
        return true;
      });
  EXPECT_TRUE(scanned.ok());
}

TEST_F(UserTest, ConcurrentLogins) {
  Create("rina", Role::kCaseWorker);
  Create("budi", Role::kSupervisor);
  std::vector<std::thread> threads;
  std::vector<Result<Session>> results(8, Status(Code::kInternal, "not run"));
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] { results[i] = Login(i % 2 ? "rina" : "budi"); });
  }
  for (auto& t : threads) t.join();
  std::set<std::string> tokens;
  for (int i = 0; i < 8; ++i) {
    ASSERT_TRUE(results[i].ok()) << results[i].status().ToString();
    tokens.insert(results[i]->token);
    auto p = vault().Authenticate(results[i]->token);
    ASSERT_TRUE(p.ok());
    EXPECT_EQ(p->user, i % 2 ? "rina" : "budi");
  }
  EXPECT_EQ(tokens.size(), 8u);
  EXPECT_EQ(SessionIndexEntries("rina"), 4u);

  // Concurrent wrong passwords are each counted: the account locks.
  threads.clear();
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] { results[i] = Login("budi", kOtherPassword); });
  }
  for (auto& t : threads) t.join();
  for (auto& r : results) {
    EXPECT_TRUE(r.status().code() == Code::kUnauthenticated ||
                r.status().code() == Code::kRateLimited)
        << r.status().ToString();
  }
  EXPECT_EQ(Login("budi").status().code(), Code::kRateLimited);
}

TEST_F(UserTest, SessionsSurviveAReopenUntilTheyExpire) {
  Create("rina", Role::kCaseWorker);
  auto s = Login("rina");
  ASSERT_TRUE(s.ok());
  fx.OpenUnsealed();
  auto p = vault().Authenticate(s->token);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->user, "rina");
  fx.AdvanceSeconds(15 * 60);
  EXPECT_FALSE(vault().Authenticate(s->token).ok());
}

TEST_F(UserTest, SealedVaultRefusesLoginAndUserManagement) {
  Create("rina", Role::kCaseWorker);
  auto s = Login("rina");
  ASSERT_TRUE(s.ok());
  ASSERT_TRUE(vault().Seal(admin()).ok());
  EXPECT_EQ(Login("rina").status().code(), Code::kSealed);
  EXPECT_EQ(vault().ListUsers(admin()).status().code(), Code::kSealed);
  EXPECT_EQ(vault()
                .CreateUser(admin(), UserInfo{"budi", Role::kIntake, "", false, 0}, kPassword)
                .status()
                .code(),
            Code::kSealed);
  EXPECT_EQ(vault().Logout(As(*s), s->token).code(), Code::kSealed);
  // Resolving a token needs no key (so an administrator's token can unseal).
  EXPECT_TRUE(vault().Authenticate(s->token).ok());
}

TEST(UserRecordTest, EncodingsRoundTripAndRejectGarbage) {
  UserRecord u;
  u.user = "rina";
  u.role = Role::kSupervisor;
  u.unit = "KPG";
  u.password_hash = "$argon2id$v=19$m=8,t=1,p=1$...";
  u.failures = 3;
  u.locked_until_us = 42;
  uint64_t version = 0;
  auto back = DecodeUser(EncodeUser(u, 7), &version);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(version, 7u);
  EXPECT_EQ(back->user, "rina");
  EXPECT_EQ(back->role, Role::kSupervisor);
  EXPECT_EQ(back->failures, 3u);
  EXPECT_EQ(back->locked_until_us, 42);
  std::string bytes = EncodeUser(u, 7);
  for (size_t n = 0; n < bytes.size(); ++n)
    EXPECT_FALSE(DecodeUser(bytes.substr(0, n), &version).ok());
  EXPECT_FALSE(DecodeSession("garbage").ok());
  auto s = DecodeSession(EncodeSession(SessionRecord{"rina", 1, 2}));
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->expires_us, 2);
  EXPECT_TRUE(TokenHash("xyz").empty());
}

}  // namespace
}  // namespace brankas
