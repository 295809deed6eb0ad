// brankas-repl-bench --dir D [--cases 100000] [--lag-rate 1000] [--lag-seconds 20] [--json]
//
// Replication figures of issue #4 on loopback, in one process with real
// durability on both sides (a real Vault, Shipper and CentralNode, mutual TLS,
// two RocksDB directories under D):
//   1. backlog:  --cases creates while the central node is down (the outbox grows);
//   2. catch-up: the central node starts; time until it acknowledges everything;
//   3. restore:  the unit is restored from the central node into a new directory;
//   4. lag:      creates paced at --lag-rate per second for --lag-seconds; for each
//                create, the time from its durable acknowledgement at the unit
//                until the central node has acknowledged the changelog entry
//                holding it (sampled every millisecond; p50/p99/max).
// Synthetic data only. Prints one JSON object per phase with --json.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "brankas/server.h"
#include "brankas/synth.h"
#include "brankas/vault.h"
#include "paths.h"
#include "replication/central.h"
#include "replication/restore.h"
#include "replication/shipper.h"
#include "workloads.h"

namespace {

using namespace brankas;
using SteadyClock = std::chrono::steady_clock;
using Json = nlohmann::json;
namespace fs = std::filesystem;

constexpr char kPassphrase[] = "brankas-repl-bench synthetic data only";

double Seconds(SteadyClock::duration d) { return std::chrono::duration<double>(d).count(); }

int Fail(const std::string& what, const Status& s) {
  std::cerr << "brankas-repl-bench: " << what << ": " << s.ToString() << "\n";
  return 1;
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(p * static_cast<double>(v.size() - 1));
  return v[i];
}

void Emit(bool json, const Json& j) {
  if (json) {
    std::cout << j.dump() << std::endl;
  } else {
    std::cout << j.dump(2) << std::endl;
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"brankas-repl-bench: replication catch-up, restore and lag on loopback (synthetic data only)"};
  std::string dir, schema_path = tools::DefaultSchemaPath();
  uint64_t cases = 100'000;
  int threads = 64, lag_rate = 1000;
  double lag_seconds = 20;
  bool json = false;
  app.add_option("--dir", dir, "A fresh working directory")->required();
  app.add_option("--cases", cases, "Creates in the backlog (and cases restored)")->check(CLI::Range(1, 10'000'000));
  app.add_option("--threads", threads, "Concurrent creates for the backlog")->check(CLI::Range(1, 1024));
  app.add_option("--lag-rate", lag_rate, "Creates per second during the lag phase")->check(CLI::Range(1, 100'000));
  app.add_option("--lag-seconds", lag_seconds, "Length of the lag phase")->check(CLI::Range(1.0, 3600.0));
  app.add_option("--schema", schema_path, "Schema file");
  app.add_flag("--json", json, "One JSON object per phase");
  CLI11_PARSE(app, argc, argv);
  if (Status s = InitCrypto(); !s.ok()) return Fail("crypto", s);
  std::error_code ec;
  if (fs::exists(dir, ec) && !fs::is_empty(dir, ec)) {
    std::cerr << "brankas-repl-bench: --dir must be empty or absent\n";
    return 2;
  }
  fs::create_directories(dir + "/tls");
  for (const char* who : {"central", "unit"}) {
    Status s = GenerateSelfSignedIdentity(dir + "/tls/" + who + "-cert.pem", dir + "/tls/" + who + "-key.pem", who);
    if (!s.ok()) return Fail("identity", s);
  }
  const std::string central_pin = *PinOfCertificateFile(dir + "/tls/central-cert.pem");
  const std::string unit_pin = *PinOfCertificateFile(dir + "/tls/unit-cert.pem");
  const std::string command = "brankas-repl-bench --dir D --cases " + std::to_string(cases) + " --threads " +
                              std::to_string(threads) + " --lag-rate " + std::to_string(lag_rate) +
                              " --lag-seconds " + std::to_string(static_cast<int>(lag_seconds));

  // The unit.
  auto unit_options = [&](const std::string& data_dir) {
    VaultOptions o;
    o.data_dir = data_dir;
    o.schema_path = schema_path;
    return o;
  };
  {
    InitOptions init;
    init.unit = "BENCH";
    init.passphrase = kPassphrase;
    init.argon.ops_limit = 1;
    init.argon.mem_limit = 8192;
    if (auto r = Vault::Initialize(unit_options(dir + "/unit"), init); !r.ok()) return Fail("init", r.status());
  }
  auto vault = Vault::Open(unit_options(dir + "/unit"));
  if (!vault.ok()) return Fail("open", vault.status());
  const RequestContext admin{Principal{"bench-admin", Role::kAdmin, "BENCH"}, "bench", "127.0.0.1"};
  if (Status s = (*vault)->UnsealWithPassphrase(admin, kPassphrase); !s.ok()) return Fail("unseal", s);
  const RequestContext worker{Principal{"bench-worker", Role::kCaseWorker, "BENCH"}, "bench", "127.0.0.1"};

  // 1. Backlog while the central node is down.
  std::atomic<uint64_t> next{0}, failed{0};
  auto backlog_start = SteadyClock::now();
  {
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) {
      pool.emplace_back([&, t] {
        SyntheticGenerator gen(static_cast<uint64_t>(t) + 1);
        while (next.fetch_add(1) < cases) {
          if (!(*vault)->CreateCase(worker, bench::WritableCase((*vault)->schema(), gen)).ok()) ++failed;
        }
      });
    }
    for (auto& th : pool) th.join();
  }
  const double backlog_s = Seconds(SteadyClock::now() - backlog_start);
  const uint64_t backlog_entries = (*vault)->changelog_head().seq;
  uint64_t backlog_bytes = 0;
  (void)(*vault)->store().Scan(Column::kChangelog, "", "", [&](std::string_view, std::string_view v) {
    backlog_bytes += v.size();
    return true;
  });
  Emit(json, Json{{"phase", "backlog"}, {"creates", cases}, {"failed", failed.load()}, {"seconds", backlog_s},
                  {"creates_per_s", static_cast<double>(cases) / backlog_s}, {"changelog_entries", backlog_entries},
                  {"changelog_bytes", backlog_bytes}, {"command", command}});

  // 2. Catch-up.
  CentralOptions copt;
  copt.listen_port = 0;
  copt.tls_cert = dir + "/tls/central-cert.pem";
  copt.tls_key = dir + "/tls/central-key.pem";
  copt.signing_key_file = dir + "/central-signing.key";
  copt.units.push_back({"BENCH", unit_pin, ""});
  auto central = repl::CentralNode::Start(dir + "/central", copt);
  if (!central.ok()) return Fail("central", central.status());
  ShipperOptions sopt;
  sopt.central = "127.0.0.1:" + std::to_string((*central)->port());
  sopt.central_pin = central_pin;
  sopt.tls_cert = dir + "/tls/unit-cert.pem";
  sopt.tls_key = dir + "/tls/unit-key.pem";
  sopt.batch_max_wait_ms = 1;
  auto catchup_start = SteadyClock::now();
  auto shipper = repl::Shipper::Start(&(*vault)->store(), "BENCH", sopt);
  if (!shipper.ok()) return Fail("shipper", shipper.status());
  const auto catchup_limit = catchup_start + std::chrono::minutes(30);
  while ((*shipper)->status().acked_seq < backlog_entries && SteadyClock::now() < catchup_limit) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  const double catchup_s = Seconds(SteadyClock::now() - catchup_start);
  const bool caught_up = (*shipper)->status().acked_seq >= backlog_entries;
  Emit(json, Json{{"phase", "catchup"}, {"caught_up", caught_up}, {"seconds", catchup_s},
                  {"entries_per_s", static_cast<double>(backlog_entries) / catchup_s},
                  {"creates_per_s", static_cast<double>(cases) / catchup_s},
                  {"mb_per_s", static_cast<double>(backlog_bytes) / 1e6 / catchup_s}, {"command", command}});

  // 3. Restore into a new directory (the unit keeps running; this is a drill).
  repl::RestoreOptions ro;
  ro.central = sopt.central;
  ro.central_pin = central_pin;
  ro.tls_cert = sopt.tls_cert;
  ro.tls_key = sopt.tls_key;
  ro.unit = "BENCH";
  ro.data_dir = dir + "/restored";
  ro.node_key_hex = ToHex((*vault)->node_public_key());
  // The fence retires the running unit's generation: stop shipping first, and
  // measure lag on a fresh central node afterwards.
  (*shipper)->Stop(5000);
  auto restore = repl::RestoreFromCentral(ro);
  if (!restore.ok()) return Fail("restore", restore.status());
  Emit(json, Json{{"phase", "restore"}, {"cases", cases}, {"records", restore->records},
                  {"mb", static_cast<double>(restore->bytes) / 1e6}, {"seconds", restore->seconds},
                  {"audit_entries_verified", restore->audit.entries}, {"command", command}});
  shipper->reset();
  central->reset();

  // 4. Lag under a paced load, against a fresh central node that has caught up.
  //    The unit continues from the restored directory's new generation.
  vault->reset();
  vault = Vault::Open(unit_options(dir + "/restored"));
  if (!vault.ok()) return Fail("open restored", vault.status());
  if (Status s = (*vault)->UnsealWithPassphrase(admin, kPassphrase); !s.ok()) return Fail("unseal restored", s);
  central = repl::CentralNode::Start(dir + "/central", copt);
  if (!central.ok()) return Fail("central", central.status());
  sopt.central = "127.0.0.1:" + std::to_string((*central)->port());
  shipper = repl::Shipper::Start(&(*vault)->store(), "BENCH", sopt);
  if (!shipper.ok()) return Fail("shipper", shipper.status());

  std::mutex mu;
  std::multimap<uint64_t, SteadyClock::time_point> waiting;  // changelog seq -> when the create was acknowledged
  std::vector<double> lags_ms;
  std::atomic<bool> done{false};
  std::atomic<uint64_t> lag_creates{0}, lag_failed{0};
  std::thread sampler([&] {
    auto give_up = SteadyClock::time_point::max();
    for (;;) {
      const uint64_t acked = (*shipper)->status().acked_seq;
      const auto now = SteadyClock::now();
      bool empty;
      {
        std::lock_guard<std::mutex> l(mu);
        for (auto it = waiting.begin(); it != waiting.end() && it->first <= acked;) {
          lags_ms.push_back(std::chrono::duration<double, std::milli>(now - it->second).count());
          it = waiting.erase(it);
        }
        empty = waiting.empty();
      }
      if (done) {
        if (empty || now > give_up) break;
        if (give_up == SteadyClock::time_point::max()) give_up = now + std::chrono::seconds(30);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  });
  const int lag_threads = 16;
  const auto lag_start = SteadyClock::now();
  const auto period = std::chrono::duration<double>(static_cast<double>(lag_threads) / lag_rate);
  {
    std::vector<std::thread> pool;
    for (int t = 0; t < lag_threads; ++t) {
      pool.emplace_back([&, t] {
        SyntheticGenerator gen(1000 + static_cast<uint64_t>(t));
        auto due = lag_start + std::chrono::duration_cast<SteadyClock::duration>(period * (static_cast<double>(t) / lag_threads));
        while (Seconds(SteadyClock::now() - lag_start) < lag_seconds) {
          std::this_thread::sleep_until(due);
          due += std::chrono::duration_cast<SteadyClock::duration>(period);
          if (!(*vault)->CreateCase(worker, bench::WritableCase((*vault)->schema(), gen)).ok()) {
            ++lag_failed;
            continue;
          }
          const uint64_t seq = (*vault)->changelog_head().seq;
          const auto at = SteadyClock::now();
          ++lag_creates;
          std::lock_guard<std::mutex> l(mu);
          waiting.emplace(seq, at);
        }
      });
    }
    for (auto& th : pool) th.join();
  }
  const double lag_run_s = Seconds(SteadyClock::now() - lag_start);
  done = true;
  sampler.join();
  Emit(json, Json{{"phase", "lag"}, {"target_rate", lag_rate},
                  {"creates_per_s", static_cast<double>(lag_creates.load()) / lag_run_s}, {"failed", lag_failed.load()},
                  {"samples", lags_ms.size()}, {"p50_ms", Percentile(lags_ms, 0.50)},
                  {"p99_ms", Percentile(lags_ms, 0.99)}, {"max_ms", Percentile(lags_ms, 1.0)},
                  {"unacked_at_end", waiting.size()}, {"command", command}});
  (*shipper)->Stop(5000);
  return 0;
}
