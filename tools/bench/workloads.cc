#include "workloads.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <random>
#include <thread>

#include "brankas/synth.h"

namespace brankas::bench {
namespace {

using Clock = std::chrono::steady_clock;

struct OwnedCase {
  std::string id;
  uint64_t version = 1;
};

// Per worker thread: its own cases (so updates do not conflict with other
// threads) and its latencies.
struct Worker {
  std::vector<OwnedCase> cases;
  std::vector<double> latencies_ms;
  uint64_t errors = 0;
  std::mt19937_64 rng;
};

class InProcessSession : public BenchSession {
 public:
  explicit InProcessSession(Vault& vault)
      : vault_(vault), rc_{Principal{"bench-worker", Role::kCaseWorker, vault.unit()}, "bench", "127.0.0.1"} {}
  Result<Created> Create(const FieldValues& fields) override {
    BRANKAS_ASSIGN_OR_RETURN(CaseSummary s, vault_.CreateCase(rc_, fields));
    return Created{s.case_id, s.version};
  }
  Status Read(const std::string& case_id) override { return vault_.ReadCase(rc_, case_id).status(); }
  Result<uint64_t> Update(const std::string& case_id, const FieldValues& fields, uint64_t version) override {
    BRANKAS_ASSIGN_OR_RETURN(CaseSummary s, vault_.UpdateCase(rc_, case_id, fields, version));
    return s.version;
  }

 private:
  Vault& vault_;
  RequestContext rc_;
};

class InProcess : public BenchBackend {
 public:
  explicit InProcess(Vault& vault) : vault_(vault) {}
  Result<std::unique_ptr<BenchSession>> NewSession(int) override {
    return std::unique_ptr<BenchSession>(new InProcessSession(vault_));
  }
  const Schema& schema() const override { return vault_.schema(); }
  std::optional<Vault::Stats> commit_stats() const override { return vault_.commit_stats(); }

 private:
  Vault& vault_;
};

}  // namespace

FieldValues WritableCase(const Schema& schema, SyntheticGenerator& gen) {
  FieldValues out;
  for (auto& [name, value] : gen.NewCase()) {
    const FieldDef* def = schema.Find(name);
    if (def == nullptr || def->cls == FieldClass::kMedical || def->cls == FieldClass::kPsychological) {
      continue;
    }
    out.emplace(name, std::move(value));
  }
  return out;
}

std::unique_ptr<BenchBackend> InProcessBackend(Vault& vault) { return std::make_unique<InProcess>(vault); }

Result<BenchResult> RunWorkload(BenchBackend& backend, const BenchOptions& options) {
  const int n = std::max(1, options.concurrency);
  std::vector<Worker> workers(n);
  std::vector<std::unique_ptr<BenchSession>> sessions(n);
  for (int i = 0; i < n; ++i) {
    workers[i].rng.seed(options.seed * 1000 + i);
    BRANKAS_ASSIGN_OR_RETURN(sessions[i], backend.NewSession(i));
  }

  // Preload: cases to read and update, spread over the workers.
  if (options.workload != Workload::kCreate) {
    std::atomic<size_t> next{0};
    std::atomic<bool> failed{false};
    std::vector<std::thread> threads;
    std::mutex mu;
    for (int t = 0; t < std::min(n, 32); ++t) {
      threads.emplace_back([&, t] {
        SyntheticGenerator gen(options.seed * 7919 + t);
        BenchSession& session = *sessions[t];
        for (size_t i = next++; i < options.preload_cases && !failed; i = next++) {
          auto c = session.Create(WritableCase(backend.schema(), gen));
          if (!c.ok()) {
            failed = true;
            return;
          }
          std::lock_guard<std::mutex> lock(mu);
          workers[i % n].cases.push_back({c->case_id, c->version});
        }
      });
    }
    for (auto& t : threads) t.join();
    if (failed) return Internal("preloading cases failed");
  }

  // Payloads are generated before the clock starts.
  std::vector<std::vector<FieldValues>> payloads(n);
  if (options.workload == Workload::kCreate || options.workload == Workload::kMixed) {
    for (int i = 0; i < n; ++i) {
      SyntheticGenerator gen(options.seed * 104729 + i);
      for (int k = 0; k < 64; ++k) payloads[i].push_back(WritableCase(backend.schema(), gen));
    }
  }
  std::vector<std::string> update_names;
  {
    SyntheticGenerator gen(options.seed);
    for (int k = 0; k < 64; ++k) update_names.push_back(gen.Name());
  }

  auto stats_before = backend.commit_stats();
  std::atomic<bool> stop{false};
  auto start = Clock::now();
  std::vector<std::thread> threads;
  for (int i = 0; i < n; ++i) {
    threads.emplace_back([&, i] {
      Worker& w = workers[i];
      BenchSession& session = *sessions[i];
      size_t k = 0;
      while (!stop.load(std::memory_order_relaxed)) {
        Workload op = options.workload;
        if (op == Workload::kMixed) {
          uint64_t dice = w.rng() % 10;
          op = dice < 6 ? Workload::kRead : dice < 8 ? Workload::kCreate : Workload::kUpdate;
        }
        if ((op == Workload::kRead || op == Workload::kUpdate) && w.cases.empty()) op = Workload::kCreate;
        auto t0 = Clock::now();
        bool ok = false;
        switch (op) {
          case Workload::kCreate: {
            const FieldValues& f = payloads[i].empty() ? FieldValues{{"name", "Budi"}}
                                                       : payloads[i][k % payloads[i].size()];
            auto c = session.Create(f);
            ok = c.ok();
            if (ok && options.workload == Workload::kMixed) w.cases.push_back({c->case_id, c->version});
            break;
          }
          case Workload::kRead: {
            const OwnedCase& c = w.cases[w.rng() % w.cases.size()];
            ok = session.Read(c.id).ok();
            break;
          }
          case Workload::kUpdate: {
            OwnedCase& c = w.cases[w.rng() % w.cases.size()];
            auto u = session.Update(c.id, {{"alias", update_names[k % update_names.size()]}, {"status", "on_hold"}},
                                    c.version);
            ok = u.ok();
            if (ok) c.version = *u;
            break;
          }
          case Workload::kMixed:
            break;
        }
        double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
        if (ok) {
          w.latencies_ms.push_back(ms);
        } else {
          w.errors++;
        }
        ++k;
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(options.seconds));
  stop = true;
  for (auto& t : threads) t.join();
  double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  auto stats_after = backend.commit_stats();

  std::vector<double> all;
  BenchResult r;
  for (auto& w : workers) {
    all.insert(all.end(), w.latencies_ms.begin(), w.latencies_ms.end());
    r.errors += w.errors;
  }
  r.ops = all.size();
  r.seconds = elapsed;
  if (!all.empty()) {
    std::sort(all.begin(), all.end());
    r.p50_ms = all[all.size() / 2];
    r.p99_ms = all[std::min(all.size() - 1, all.size() * 99 / 100)];
    r.max_ms = all.back();
  }
  if (stats_before && stats_after) {
    uint64_t groups = stats_after->groups - stats_before->groups;
    if (groups > 0) r.mean_group = double(stats_after->requests - stats_before->requests) / double(groups);
  }
  return r;
}

}  // namespace brankas::bench
