// brankas-bench --workload {create|read|update|mixed} --concurrency N --seconds S
//               (--data-dir D | --server URL --credentials dev-credentials.json) [--json]
// Runs the engine in process with real durability, or the same workloads over
// HTTPS against a running brankasd (API.md, "Benchmarks").
#include <CLI/CLI.hpp>
#include <filesystem>
#include <iostream>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include <fstream>

#include "brankas/vault.h"
#include "paths.h"
#include "workloads.h"

namespace {

constexpr char kBenchPassphrase[] = "brankas-bench synthetic data only";

brankas::Result<std::unique_ptr<brankas::Vault>> OpenBenchVault(const std::string& dir,
                                                                  const std::string& schema) {
  using namespace brankas;
  VaultOptions options;
  options.data_dir = dir;
  options.schema_path = schema;
  if (!std::filesystem::exists(dir + "/CURRENT")) {
    InitOptions init;
    init.unit = "BENCH";
    init.passphrase = kBenchPassphrase;
    init.argon.ops_limit = 1;
    init.argon.mem_limit = 8192;
    VaultOptions init_options;
    init_options.data_dir = dir;
    auto r = Vault::Initialize(std::move(init_options), init);
    if (!r.ok()) return r.status();
  }
  BRANKAS_ASSIGN_OR_RETURN(auto vault, Vault::Open(std::move(options)));
  RequestContext admin{Principal{"bench-admin", Role::kAdmin, vault->unit()}, "bench", "127.0.0.1"};
  Status s = vault->UnsealWithPassphrase(admin, kBenchPassphrase);
  if (!s.ok()) {
    return FailedPrecondition("cannot unseal " + dir + " with the bench passphrase (" + s.message() +
                              "): give brankas-bench a fresh --data-dir");
  }
  return vault;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"brankas-bench: engine throughput and latency with real durability (synthetic data only)"};
  std::string workload_name = "create", data_dir, server, schema = brankas::tools::DefaultSchemaPath();
  brankas::bench::BenchOptions options;
  bool json = false;
  const std::map<std::string, brankas::bench::Workload> workloads = {
      {"create", brankas::bench::Workload::kCreate},
      {"read", brankas::bench::Workload::kRead},
      {"update", brankas::bench::Workload::kUpdate},
      {"mixed", brankas::bench::Workload::kMixed}};
  app.add_option("--workload", workload_name, "create, read, update or mixed (60/20/20 read/create/update)")
      ->check(CLI::IsMember({"create", "read", "update", "mixed"}));
  app.add_option("--concurrency", options.concurrency, "Concurrent requests")->check(CLI::Range(1, 4096));
  app.add_option("--seconds", options.seconds, "Measured duration")->check(CLI::Range(0.1, 3600.0));
  app.add_option("--data-dir", data_dir, "Data directory (created and initialized if empty)");
  app.add_option("--preload", options.preload_cases, "Cases created before read/update/mixed runs");
  app.add_option("--schema", schema, "Schema file");
  std::string credentials, ca_file, user, role = "case_worker";
  app.add_option("--server", server, "Run over HTTPS against a running brankasd (URL)");
  app.add_option("--credentials", credentials,
                 "With --server: a dev-credentials.json (brankasd --dev) for the CA and the user's password");
  app.add_option("--ca", ca_file, "With --server: the CA certificate (default: from --credentials)");
  app.add_option("--role", role, "With --credentials: the demo user to run as (default case_worker)");
  app.add_flag("--json", json, "One JSON object on stdout");
  CLI11_PARSE(app, argc, argv);
  options.workload = workloads.at(workload_name);

  std::unique_ptr<brankas::Vault> vault;
  std::unique_ptr<brankas::bench::BenchBackend> backend;
  if (!server.empty()) {
    if (credentials.empty()) {
      std::cerr << "brankas-bench: --server needs --credentials (a brankasd --dev dev-credentials.json)\n";
      return 2;
    }
    brankas::bench::ServerTarget target;
    target.url = server;
    try {
      std::ifstream in(credentials);
      nlohmann::json creds = nlohmann::json::parse(in);
      target.ca_file = ca_file.empty() ? creds.at("ca_cert").get<std::string>() : ca_file;
      target.user = creds.at("users").at(role).at("user");
      target.password = creds.at("users").at(role).at("password");
    } catch (const nlohmann::json::exception&) {
      std::cerr << "brankas-bench: cannot read user '" << role << "' from " << credentials << "\n";
      return 2;
    }
    auto loaded = brankas::Schema::LoadFile(schema);
    if (!loaded.ok()) {
      std::cerr << "brankas-bench: " << loaded.status().ToString() << "\n";
      return 2;
    }
    auto b = brankas::bench::HttpsBackend(target, std::move(*loaded));
    if (!b.ok()) {
      std::cerr << "brankas-bench: " << b.status().ToString() << "\n";
      return 1;
    }
    backend = std::move(*b);
  } else {
    if (data_dir.empty()) {
      std::cerr << "brankas-bench: --data-dir (in process) or --server is required\n";
      return 2;
    }
    auto opened = OpenBenchVault(data_dir, schema);
    if (!opened.ok()) {
      std::cerr << "brankas-bench: " << opened.status().ToString() << "\n";
      return 1;
    }
    vault = std::move(*opened);
    backend = brankas::bench::InProcessBackend(*vault);
  }
  auto result = brankas::bench::RunWorkload(*backend, options);
  if (!result.ok()) {
    std::cerr << "brankas-bench: " << result.status().ToString() << "\n";
    return 1;
  }
  std::ostringstream command;
  command << "brankas-bench --workload " << workload_name << " --concurrency " << options.concurrency
          << " --seconds " << options.seconds;
  if (server.empty()) {
    command << " --data-dir " << data_dir;
  } else {
    command << " --server " << server << " --credentials " << credentials;
  }
  command << (json ? " --json" : "");
  double ops_per_s = result->seconds > 0 ? double(result->ops) / result->seconds : 0;
  if (json) {
    nlohmann::json j = {{"workload", workload_name},   {"concurrency", options.concurrency},
                        {"target", server.empty() ? "in_process" : "https"},
                        {"ops", result->ops},          {"seconds", result->seconds},
                        {"ops_per_s", ops_per_s},      {"p50_ms", result->p50_ms},
                        {"p99_ms", result->p99_ms},    {"max_ms", result->max_ms},
                        {"errors", result->errors},    {"mean_commit_group", result->mean_group},
                        {"command", command.str()}};
    std::cout << j.dump() << std::endl;
  } else {
    std::printf("workload %s, concurrency %d, %.1f s: %llu ops, %.0f ops/s, p50 %.2f ms, p99 %.2f ms, "
                "max %.2f ms, errors %llu, mean commit group %.1f\nreproduce: %s\n",
                workload_name.c_str(), options.concurrency, result->seconds,
                static_cast<unsigned long long>(result->ops), ops_per_s, result->p50_ms, result->p99_ms,
                result->max_ms, static_cast<unsigned long long>(result->errors), result->mean_group,
                command.str().c_str());
  }
  return result->errors > 0 && result->ops == 0 ? 1 : 0;
}
