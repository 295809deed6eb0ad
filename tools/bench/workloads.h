// brankas-bench workloads, run in process against a real Vault with real
// durability (every acknowledged operation fsync'd, every read audited).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "brankas/schema.h"
#include "brankas/synth.h"
#include "brankas/vault.h"

namespace brankas::bench {

// One worker's connection to what is measured: the engine in process, or a
// brankasd over HTTPS. Each worker thread owns one.
class BenchSession {
 public:
  virtual ~BenchSession() = default;
  struct Created {
    std::string case_id;
    uint64_t version = 0;
  };
  virtual Result<Created> Create(const FieldValues& fields) = 0;
  virtual Status Read(const std::string& case_id) = 0;
  // Returns the new version.
  virtual Result<uint64_t> Update(const std::string& case_id, const FieldValues& fields, uint64_t version) = 0;
};

class BenchBackend {
 public:
  virtual ~BenchBackend() = default;
  virtual Result<std::unique_ptr<BenchSession>> NewSession(int worker) = 0;
  virtual const Schema& schema() const = 0;
  // Commit statistics, where the backend can see them (in process only).
  virtual std::optional<Vault::Stats> commit_stats() const { return std::nullopt; }
};

// A synthetic case as a case worker may write it: every class but medical and
// psychological (~20 fields).
FieldValues WritableCase(const Schema& schema, SyntheticGenerator& gen);

// The engine in process, as the case worker "bench-worker".
std::unique_ptr<BenchBackend> InProcessBackend(Vault& vault);
// A running brankasd: every worker logs in as `user` over its own keep-alive
// HTTPS connection.
struct ServerTarget {
  std::string url, ca_file, user, password;
};
Result<std::unique_ptr<BenchBackend>> HttpsBackend(const ServerTarget& target, Schema schema);

enum class Workload { kCreate, kRead, kUpdate, kMixed };

struct BenchOptions {
  Workload workload = Workload::kCreate;
  int concurrency = 64;
  double seconds = 10;
  size_t preload_cases = 2000;  // for read, update and mixed
  uint64_t seed = 1;
};

struct BenchResult {
  uint64_t ops = 0;
  uint64_t errors = 0;
  double seconds = 0;
  double p50_ms = 0, p99_ms = 0, max_ms = 0;
  double mean_group = 0;  // requests per commit group during the run
};

// Runs the workload; payloads come from the synthetic generator and are made
// before the clock starts.
Result<BenchResult> RunWorkload(BenchBackend& backend, const BenchOptions& options);

}  // namespace brankas::bench
