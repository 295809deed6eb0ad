// crash_writer: the child of the crash test (crash_test.cc). Opens an already
// initialized vault, unseals it, and writes under load from several threads
// until it is killed: each thread creates cases and updates its own earlier
// cases, and after every acknowledged operation prints an "ack" line (format
// in crash_protocol.h) with one write(2), so the parent knows exactly what was
// acknowledged when the SIGKILL landed.
//
//   crash_writer DATA_DIR SCHEMA_PATH SEED THREADS [keys]
//
// With "keys", one more thread keeps rotating KEKs (as the administrator) and
// creating cases that it then crypto-shreds (as a supervisor), acknowledging
//   ack rotate <class>\n   and   ack shred <case_id> <version>\n
//
// Exits non-zero (after an "err" line) only on an unexpected failure; under
// normal operation it runs until killed.
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "brankas/synth.h"
#include "brankas/vault.h"
#include "tests/crash/crash_protocol.h"

namespace brankas::crash {
namespace {

std::mutex out_mu;

// One whole line per write(2) where possible; the mutex keeps lines whole and
// in acknowledgement order.
void WriteLine(const std::string& line) {
  std::lock_guard<std::mutex> lock(out_mu);
  const char* p = line.data();
  size_t left = line.size();
  while (left > 0) {
    ssize_t n = ::write(STDOUT_FILENO, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      std::_Exit(4);  // the parent went away
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
}

[[noreturn]] void Fail(const std::string& what) {
  WriteLine("err " + what + "\n");
  std::fprintf(stderr, "crash_writer: %s\n", what.c_str());
  std::_Exit(3);
}

bool Writable(const Schema& schema, const std::string& name) {
  const FieldDef* def = schema.Find(name);
  return def != nullptr && def->cls != FieldClass::kMedical && def->cls != FieldClass::kPsychological;
}

std::string Ack(std::string_view op, const std::string& case_id, uint64_t version,
                const std::vector<std::pair<const FieldDef*, std::string>>& normalized) {
  std::vector<std::pair<std::string, std::string>> pairs;
  std::string names;
  for (const auto& [def, value] : normalized) {
    pairs.emplace_back(def->name, value);
    if (!names.empty()) names += ',';
    names += def->name;
  }
  return "ack " + std::string(op) + " " + case_id + " " + std::to_string(version) + " " +
         FieldsHash(pairs) + " " + names + "\n";
}

void Work(Vault& vault, uint64_t seed, int thread_index) {
  SyntheticGenerator synth(seed * 1000 + static_cast<uint64_t>(thread_index));
  std::mt19937_64 rng(seed * 7919 + static_cast<uint64_t>(thread_index));
  const Schema& schema = vault.schema();
  struct Own { std::string id; uint64_t version; };
  std::vector<Own> own;
  for (uint64_t n = 0;; ++n) {
    FieldValues fields;
    for (auto& [name, value] : synth.NewCase()) {
      if (Writable(schema, name)) fields.emplace(name, std::move(value));
    }
    RequestContext rc = WriterContext("crash-" + std::to_string(thread_index) + "-" + std::to_string(n));
    const bool create = own.empty() || rng() % 10 < 4;
    if (!create) {
      // A few fields of a fresh synthetic case over one of this thread's cases.
      FieldValues subset;
      size_t want = 1 + rng() % 4;
      std::vector<std::string> names;
      for (const auto& [name, value] : fields) names.push_back(name);
      while (subset.size() < want && !names.empty()) {
        size_t i = rng() % names.size();
        subset.emplace(names[i], fields[names[i]]);
        names.erase(names.begin() + static_cast<std::ptrdiff_t>(i));
      }
      fields = std::move(subset);
    }
    auto normalized = schema.ValidateWrite(fields);
    if (!normalized.ok()) Fail("synthetic fields rejected: " + normalized.status().ToString());
    if (create) {
      auto created = vault.CreateCase(rc, fields);
      if (!created.ok()) Fail("create: " + created.status().ToString());
      WriteLine(Ack("create", created->case_id, created->version, *normalized));
      own.push_back({created->case_id, created->version});
    } else {
      Own& target = own[rng() % own.size()];
      auto updated = vault.UpdateCase(rc, target.id, fields, target.version);
      if (!updated.ok()) Fail("update " + target.id + ": " + updated.status().ToString());
      if (updated->version != target.version + 1) Fail("update " + target.id + ": unexpected version");
      target.version = updated->version;
      WriteLine(Ack("update", target.id, target.version, *normalized));
    }
  }
}

// Rotations and shreds, interleaved with creates of its own cases.
void KeyWork(Vault& vault, uint64_t seed) {
  SyntheticGenerator synth(seed * 1000 + 999);
  std::mt19937_64 rng(seed * 7919 + 999);
  const Schema& schema = vault.schema();
  const RequestContext supervisor{Principal{"sari", Role::kSupervisor, kUnit}, "crash-shred", "127.0.0.1"};
  for (uint64_t n = 0;; ++n) {
    FieldValues fields;
    for (auto& [name, value] : synth.NewCase()) {
      if (Writable(schema, name)) fields.emplace(name, std::move(value));
    }
    auto normalized = schema.ValidateWrite(fields);
    if (!normalized.ok()) Fail("synthetic fields rejected: " + normalized.status().ToString());
    auto created = vault.CreateCase(WriterContext("crash-keys-" + std::to_string(n)), fields);
    if (!created.ok()) Fail("create: " + created.status().ToString());
    WriteLine(Ack("create", created->case_id, created->version, *normalized));
    if (rng() % 2 == 0) {
      FieldClass cls = kAllFieldClasses[rng() % kAllFieldClasses.size()];
      Status rotated = vault.RotateKek(AdminContext(), cls);
      if (!rotated.ok()) Fail("rotate: " + rotated.ToString());
      WriteLine("ack rotate " + std::string(FieldClassName(cls)) + "\n");
    }
    if (rng() % 3 != 0) {
      Status shredded = vault.ShredCase(supervisor, created->case_id);
      if (!shredded.ok()) Fail("shred " + created->case_id + ": " + shredded.ToString());
      WriteLine("ack shred " + created->case_id + " " + std::to_string(created->version + 1) + "\n");
    }
  }
}

int Main(int argc, char** argv) {
  const bool key_operations = argc == 6 && std::string_view(argv[5]) == "keys";
  if (argc != 5 && !key_operations) {
    std::fprintf(stderr, "usage: crash_writer DATA_DIR SCHEMA_PATH SEED THREADS [keys]\n");
    return 2;
  }
  VaultOptions options;
  options.data_dir = argv[1];
  options.schema_path = argv[2];
  options.checkpoint_every_entries = kCheckpointEveryEntries;
  const uint64_t seed = std::strtoull(argv[3], nullptr, 10);
  const int threads = std::atoi(argv[4]);
  if (threads < 1 || threads > 64) {
    std::fprintf(stderr, "crash_writer: THREADS must be 1..64\n");
    return 2;
  }
  auto vault = Vault::Open(std::move(options));
  if (!vault.ok()) Fail("open: " + vault.status().ToString());
  Status unsealed = (*vault)->UnsealWithPassphrase(AdminContext(), kPassphrase);
  if (!unsealed.ok()) Fail("unseal: " + unsealed.ToString());
  WriteLine("ready\n");
  std::vector<std::thread> workers;
  for (int i = 0; i < threads; ++i) workers.emplace_back([&, i] { Work(**vault, seed, i); });
  if (key_operations) workers.emplace_back([&] { KeyWork(**vault, seed); });
  for (auto& t : workers) t.join();  // never: the workers run until the kill
  return 0;
}

}  // namespace
}  // namespace brankas::crash

int main(int argc, char** argv) { return brankas::crash::Main(argc, argv); }
