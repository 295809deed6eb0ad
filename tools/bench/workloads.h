// brankas-bench workloads, run in process against a real Vault with real
// durability (every acknowledged operation fsync'd, every read audited).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "brankas/vault.h"

namespace brankas::bench {

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

// Runs the workload on an open, unsealed vault. The principal is a case
// worker of the vault's unit; payloads come from the synthetic generator.
Result<BenchResult> RunWorkload(Vault& vault, const BenchOptions& options);

}  // namespace brankas::bench
