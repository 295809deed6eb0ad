// A vault in a fresh temporary directory, initialized and unsealed, with an
// adjustable clock: the common fixture of the engine's tests.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <map>

#include "brankas/vault.h"
#include "testing/source_dir.h"
#include "testing/temp_dir.h"

namespace brankas::testing {


inline constexpr char kTestPassphrase[] = "correct horse battery staple for tests";

inline Argon2Params FastArgon() {
  Argon2Params p;
  p.ops_limit = 1;
  p.mem_limit = 8192;
  return p;
}

class VaultFixture {
 public:
  explicit VaultFixture(std::string unit = "KPG") : unit_(std::move(unit)) {}

  VaultOptions Options(std::unique_ptr<Store> store = nullptr) {
    VaultOptions o;
    o.data_dir = dir_.Sub("data");
    o.schema_path = SourceDir() + "/config/schema.toml";
    o.store = std::move(store);
    o.checkpoint_every_entries = 50;
    o.now_us = [this] { return now_us_.load(); };
    o.password_argon = FastArgon();
    o.referral_peers = referral_peers;
    return o;
  }

  void Init() {
    InitOptions init;
    init.unit = unit_;
    init.passphrase = kTestPassphrase;
    init.argon = FastArgon();
    auto r = Vault::Initialize(Options(), init);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }

  void OpenUnsealed(std::unique_ptr<Store> store = nullptr) {
    vault_.reset();
    auto v = Vault::Open(Options(std::move(store)));
    ASSERT_TRUE(v.ok()) << v.status().ToString();
    vault_ = std::move(*v);
    ASSERT_TRUE(vault_->UnsealWithPassphrase(Ctx("admin", Role::kAdmin), kTestPassphrase).ok());
  }

  RequestContext Ctx(const std::string& user, Role role) const {
    return RequestContext{Principal{user, role, unit_}, "req-test", "127.0.0.1"};
  }

  Vault& vault() { return *vault_; }
  std::unique_ptr<Vault>& vault_ptr() { return vault_; }
  const std::string& data_dir() { return data_dir_ = dir_.Sub("data"); }
  const std::string& unit() const { return unit_; }
  void AdvanceSeconds(int64_t s) { now_us_ += s * 1'000'000; }
  int64_t NowSeconds() const { return now_us_.load() / 1'000'000; }

  std::map<std::string, std::string> referral_peers;  // VaultOptions::referral_peers at the next open

 private:
  TempDir dir_;
  std::string unit_;
  std::string data_dir_;
  std::atomic<int64_t> now_us_{1'780'000'000'000'000};  // a fixed day in 2026
  std::unique_ptr<Vault> vault_;
};

}  // namespace brankas::testing
