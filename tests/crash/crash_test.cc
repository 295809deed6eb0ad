// Crash test (DESIGN.md, "One writer, group commit": nothing acknowledged
// before durable; recovery loses nothing acknowledged).
//
// A child process (crash_writer) writes under load from several threads and is
// killed with SIGKILL at a random moment; the parent reads what the child had
// acknowledged on its stdout pipe, then reopens the vault in-process and
// checks, every round:
//  - the audit chain and the changelog verify, as the crash left them and
//    again after recovery's own writes;
//  - the store is atomic per operation: every version record, data key and
//    blind-index entry belongs to a case whose metadata accounts for it, and
//    every case's metadata has all of its version records, data keys and index
//    entries; the audit trail holds exactly one allowed case.create per case
//    and one allowed case.update per later version (data and audit are in one
//    batch, so neither may exist without the other);
//  - every acknowledged operation is present: its case exists, at a version no
//    older than acknowledged, and the values written at that version hash to
//    what the child acknowledged;
//  - nothing unacknowledged is half-present: at most one unacknowledged
//    operation per writer thread survived, each whole, and every case found
//    reads back completely (every field decrypts).
// Bounded: at most kMaxRounds rounds and kTimeBudget of starting new rounds.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "brankas/audit.h"
#include "brankas/changelog.h"
#include "brankas/codec.h"
#include "brankas/vault.h"
#include "engine/case_record.h"
#include "engine/vault_test_util.h"
#include "tests/crash/crash_protocol.h"

extern char** environ;

namespace brankas::crash {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr int kMaxRounds = 20;
constexpr auto kTimeBudget = std::chrono::seconds(120);
constexpr int kWriterThreads = 8;
constexpr int kVerifyThreads = 8;

// ---------------------------------------------------------------- the child

struct ChildRun {
  std::string output;  // everything read from the pipe
  int wait_status = 0;
  bool saw_ready = false;
  milliseconds alive{0};
};

// Spawns the writer, lets it run `delay` after it is ready (or after the spawn
// when `from_spawn`), kills it with SIGKILL and collects its output.
ChildRun RunAndKill(const std::vector<std::string>& args, milliseconds delay, bool from_spawn) {
  ChildRun run;
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    ADD_FAILURE() << "pipe2 failed";
    return run;
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = -1;
  const auto started = Clock::now();
  int rc = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(fds[1]);
  if (rc != 0) {
    close(fds[0]);
    ADD_FAILURE() << "posix_spawn " << args[0] << " failed: " << rc;
    return run;
  }

  // Read until the kill moment; the kill moment is fixed once "ready" is seen
  // (or at once when counting from the spawn). Keep draining so the pipe never
  // fills and stalls the writer.
  std::optional<Clock::time_point> kill_at;
  if (from_spawn) kill_at = started + delay;
  const auto ready_deadline = started + std::chrono::seconds(30);
  bool eof = false;
  char buf[65536];
  for (;;) {
    auto now = Clock::now();
    if (!kill_at && run.output.find("ready\n") != std::string::npos) {
      run.saw_ready = true;
      kill_at = now + delay;
    }
    auto until = kill_at ? *kill_at : ready_deadline;
    if (now >= until || eof) break;
    int timeout = static_cast<int>(std::chrono::duration_cast<milliseconds>(until - now).count()) + 1;
    pollfd p{fds[0], POLLIN, 0};
    int n = poll(&p, 1, timeout);
    if (n > 0) {
      ssize_t got = read(fds[0], buf, sizeof buf);
      if (got > 0) {
        run.output.append(buf, static_cast<size_t>(got));
      } else if (got == 0) {
        eof = true;
      }
    }
  }
  kill(pid, SIGKILL);
  waitpid(pid, &run.wait_status, 0);
  run.alive = std::chrono::duration_cast<milliseconds>(Clock::now() - started);
  for (;;) {  // what was written before the kill is still in the pipe
    ssize_t got = read(fds[0], buf, sizeof buf);
    if (got <= 0) break;
    run.output.append(buf, static_cast<size_t>(got));
  }
  close(fds[0]);
  if (run.output.find("ready\n") != std::string::npos) run.saw_ready = true;
  return run;
}

// ---------------------------------------------------------------- the model

struct AckedOp {
  std::string op;  // create | update | shred | rotate
  std::string case_id;  // rotate: the class name
  uint64_t version = 0;
  std::string hash;
  std::vector<std::string> fields;
  int round = 0;
};

std::vector<std::string> Split(std::string_view s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  for (;;) {
    size_t end = s.find(sep, start);
    out.emplace_back(s.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
    if (end == std::string_view::npos) return out;
    start = end + 1;
  }
}

// Complete lines only: a line cut by the kill was not acknowledged.
Status ParseAcks(const std::string& output, int round, std::vector<AckedOp>* acks) {
  size_t end = output.rfind('\n');
  if (end == std::string::npos) return Status::Ok();
  for (const std::string& line : Split(std::string_view(output).substr(0, end), '\n')) {
    if (line == "ready") continue;
    if (line.rfind("err ", 0) == 0) return Internal("the writer failed: " + line);
    auto parts = Split(line, ' ');
    if (parts.size() < 3 || parts[0] != "ack") return Internal("malformed line from the writer: " + line);
    AckedOp a;
    a.op = parts[1];
    a.case_id = parts[2];
    a.round = round;
    if ((a.op == "create" || a.op == "update") && parts.size() == 6) {
      a.version = std::stoull(parts[3]);
      a.hash = parts[4];
      a.fields = Split(parts[5], ',');
    } else if (a.op == "shred" && parts.size() == 4) {
      a.version = std::stoull(parts[3]);
    } else if (!(a.op == "rotate" && parts.size() == 3)) {
      return Internal("malformed ack from the writer: " + line);
    }
    acks->push_back(std::move(a));
  }
  return Status::Ok();
}

// ---------------------------------------------------------------- checks

// Collects problems from several threads; reported from the test thread.
class Problems {
 public:
  void Add(std::string p) {
    std::lock_guard<std::mutex> lock(mu_);
    if (list_.size() < 50) list_.push_back(std::move(p));
    ++count_;
  }
  size_t count() const {
    std::lock_guard<std::mutex> lock(mu_);
    return count_;
  }
  std::string Report() const {
    std::lock_guard<std::mutex> lock(mu_);
    std::string out;
    for (const auto& p : list_) out += "  " + p + "\n";
    if (count_ > list_.size()) out += "  ... " + std::to_string(count_ - list_.size()) + " more\n";
    return out;
  }

 private:
  mutable std::mutex mu_;
  std::vector<std::string> list_;
  size_t count_ = 0;
};

struct StoreState {
  std::map<std::string, CaseMeta> metas;
  std::map<std::string, uint64_t> audited_creates, audited_updates, audited_shreds;
  std::map<std::string, uint32_t> audited_kek_version;  // class -> newest rotated version
  std::map<std::string, uint32_t> kek_current;          // class -> stored current version
  uint64_t audit_entries = 0;
};

// Store-level atomicity checks: no decryption, no audit entries written.
StoreState CheckStore(Store& store, Problems& problems) {
  StoreState st;
  auto scanned = store.Scan(Column::kRecords, "m/", {}, [&](std::string_view k, std::string_view v) {
    auto meta = DecodeCaseMeta(v);
    if (!meta.ok()) {
      problems.Add("undecodable case metadata at " + std::string(k));
    } else if (CaseMetaKey(meta->case_id) != k) {
      problems.Add("case metadata stored under another key: " + std::string(k));
    } else {
      st.metas.emplace(meta->case_id, std::move(*meta));
    }
    return true;
  });
  if (!scanned.ok()) problems.Add("scan m/: " + scanned.ToString());

  // Version records ("v/" case "/" be64(version) -> the fields written at that
  // version): each one, and each field in it, accounted for by the case's metadata.
  std::map<std::string, std::map<uint64_t, std::set<std::string>>> written;  // case -> version -> fields
  scanned = store.Scan(Column::kRecords, "v/", {}, [&](std::string_view k, std::string_view v) {
    if (k.size() < 2 + 1 + 1 + 8 || k[k.size() - 9] != '/') {
      problems.Add("malformed version record key");
      return true;
    }
    std::string id(k.substr(2, k.size() - 2 - 9));
    uint64_t version = GetBigEndian64(k.substr(k.size() - 8));
    auto sealed = DecodeSealedFields(v);
    auto m = st.metas.find(id);
    if (!sealed.ok()) {
      problems.Add("undecodable version record " + id + "@" + std::to_string(version));
    } else if (VersionKey(id, version) != k) {
      problems.Add("version record stored under another key: " + id);
    } else if (m == st.metas.end()) {
      problems.Add("version record of a case without metadata (half-present): " + id + "@" +
                   std::to_string(version));
    } else if (m->second.shredded) {
      problems.Add("version record left of a shredded case: " + id + "@" + std::to_string(version));
    } else if (version == 0 || version > m->second.version) {
      problems.Add("version record " + std::to_string(version) + " newer than its case (" +
                   std::to_string(m->second.version) + "): " + id);
    } else if (sealed->empty()) {
      problems.Add("empty version record " + id + "@" + std::to_string(version));
    } else {
      auto& names = written[id][version];
      for (const auto& [field, value] : *sealed) {
        if (!m->second.fields.count(field)) {
          problems.Add("version record names a field the metadata does not know: " + id + "/" + field);
        }
        names.insert(field);
      }
    }
    return true;
  });
  if (!scanned.ok()) problems.Add("scan v/: " + scanned.ToString());

  // Data keys: every live case has one record holding a key per class
  // (keys.h: v1 | u8 n | n * (u8 class | u32 kek_version | bytes sealed)); none
  // without a case; none of a shredded case.
  std::map<std::string, int> keys_of;
  scanned = store.Scan(Column::kKeys, "dk/", {}, [&](std::string_view k, std::string_view v) {
    auto parts = Split(k, '/');
    if (parts.size() != 2 || parts[1].empty()) {
      problems.Add("malformed data key name");
      return true;
    }
    Reader r(v);
    uint8_t format = 0, n = 0;
    int classes = 0;
    bool well_formed = r.U8(&format) && format == 1 && r.U8(&n);
    for (uint8_t i = 0; well_formed && i < n; ++i) {
      uint8_t cls = 0;
      uint32_t kek_version = 0;
      std::string sealed;
      well_formed = r.U8(&cls) && cls < kFieldClassCount && r.U32(&kek_version) && kek_version != 0 &&
                    r.Bytes(&sealed);
      if (well_formed) ++classes;
    }
    if (!well_formed || !r.Done()) problems.Add("malformed data key record of " + parts[1]);
    keys_of[parts[1]] += classes;
    auto m = st.metas.find(parts[1]);
    if (m == st.metas.end()) problems.Add("data key of a case without metadata (half-present): " + parts[1]);
    else if (m->second.shredded) problems.Add("data key survived the shredding of " + parts[1]);
    return true;
  });
  if (!scanned.ok()) problems.Add("scan dk/: " + scanned.ToString());
  for (FieldClass cls : kAllFieldClasses) {
    std::string name(FieldClassName(cls));
    auto v = store.Get(Column::kKeys, "kek-current/" + name);
    Reader r(v.ok() && *v ? std::string_view(**v) : std::string_view());
    uint8_t format = 0;
    uint32_t version = 0;
    if (!v.ok() || !*v || !r.U8(&format) || !r.U32(&version)) {
      problems.Add("no readable current KEK version for " + name);
    } else {
      st.kek_current[name] = version;
    }
  }

  // Blind index: entries and metadata tags agree both ways.
  std::set<std::string> index_keys;
  scanned = store.Scan(Column::kIndex, "", {}, [&](std::string_view k, std::string_view) {
    index_keys.emplace(k);
    size_t slash = k.find('/');
    if (slash == std::string_view::npos || k.size() < slash + 1 + kHashSize + 1 + 1 ||
        k[slash + 1 + kHashSize] != '/') {
      problems.Add("malformed index key");
      return true;
    }
    std::string field(k.substr(0, slash));
    std::string tag(k.substr(slash + 1, kHashSize));
    std::string id(k.substr(slash + 1 + kHashSize + 1));
    auto m = st.metas.find(id);
    if (m == st.metas.end()) {
      problems.Add("index entry of a case without metadata (half-present): " + id + " " + field);
    } else {
      auto f = m->second.fields.find(field);
      if (f == m->second.fields.end() || f->second.blind_tag != tag) {
        problems.Add("stale or orphan index entry: " + id + " " + field);
      }
    }
    return true;
  });
  if (!scanned.ok()) problems.Add("scan index: " + scanned.ToString());

  for (const auto& [id, meta] : st.metas) {
    if (meta.shredded) {
      if (!meta.fields.empty()) problems.Add("shredded case keeps field bookkeeping: " + id);
      continue;
    }
    if (keys_of[id] != kFieldClassCount) {
      problems.Add("case " + id + " has " + std::to_string(keys_of[id]) + " data keys, not " +
                   std::to_string(kFieldClassCount));
    }
    if (meta.fields.empty()) problems.Add("live case without fields: " + id);
    // In this workload every version of a live case is a create or an update,
    // so each has its record.
    for (uint64_t v = 1; v <= meta.version; ++v) {
      if (!written[id].count(v)) {
        problems.Add("case " + id + " at version " + std::to_string(meta.version) + " has no record of version " +
                     std::to_string(v) + " (lost)");
      }
    }
    for (const auto& [field, state] : meta.fields) {
      auto w = written[id].find(state.version);
      if (w == written[id].end() || !w->second.count(field)) {
        problems.Add("metadata names a missing field version (half-present): " + id + "/" + field + "@" +
                     std::to_string(state.version));
      }
      if (!state.blind_tag.empty() && !index_keys.count(IndexKey(field, state.blind_tag, id))) {
        problems.Add("metadata names a missing index entry: " + id + "/" + field);
      }
    }
  }

  // The audit trail says exactly which operations committed.
  AuditFilter filter;
  filter.limit = kMaxAuditQueryLimit;
  for (;;) {
    auto entries = QueryAudit(store, filter);
    if (!entries.ok()) {
      problems.Add("audit query: " + entries.status().ToString());
      break;
    }
    for (const AuditEntry& e : *entries) {
      ++st.audit_entries;
      if (e.decision != "allow") continue;
      if (e.action == "case.create") st.audited_creates[e.case_id]++;
      if (e.action == "case.update") st.audited_updates[e.case_id]++;
      if (e.action == "case.shred") st.audited_shreds[e.case_id]++;
      if (e.action == "key.rotate") {
        // detail: "class=NAME version=N"
        auto parts = Split(e.detail, ' ');
        if (parts.size() == 2 && parts[0].rfind("class=", 0) == 0 && parts[1].rfind("version=", 0) == 0) {
          uint32_t v = static_cast<uint32_t>(std::stoul(parts[1].substr(8)));
          auto& newest = st.audited_kek_version[parts[0].substr(6)];
          newest = std::max(newest, v);
        } else {
          problems.Add("unexpected key.rotate detail: " + e.detail);
        }
      }
    }
    if (entries->size() < filter.limit) break;
    filter.after_seq = entries->back().seq;
  }
  for (const auto& [id, meta] : st.metas) {
    uint64_t creates = st.audited_creates.count(id) ? st.audited_creates[id] : 0;
    uint64_t updates = st.audited_updates.count(id) ? st.audited_updates[id] : 0;
    uint64_t shreds = st.audited_shreds.count(id) ? st.audited_shreds[id] : 0;
    if (creates != 1) problems.Add("case " + id + " has " + std::to_string(creates) + " audited creates");
    if (shreds != (meta.shredded ? 1u : 0u)) problems.Add("case " + id + ": shred and its audit disagree");
    if (1 + updates + shreds != meta.version) {
      problems.Add("case " + id + " is at version " + std::to_string(meta.version) + " but the audit has " +
                   std::to_string(updates) + " updates and " + std::to_string(shreds) + " shreds");
    }
  }
  for (const auto& [id, n] : st.audited_creates) {
    if (!st.metas.count(id)) problems.Add("audited create without its case (data lost): " + id);
  }
  for (const auto& [cls, v] : st.kek_current) {
    uint32_t expect = st.audited_kek_version.count(cls) ? st.audited_kek_version[cls] : 1;
    if (v != expect) {
      problems.Add("current KEK version of " + cls + " is " + std::to_string(v) + ", the audit says " +
                   std::to_string(expect));
    }
  }
  return st;
}

void CheckChains(Vault& vault, const std::string& when, Problems& problems) {
  auto audit = VerifyAuditChain(vault.store(), vault.node_public_key());
  if (!audit.ok()) {
    problems.Add(when + ": VerifyAuditChain: " + audit.status().ToString());
  } else if (!audit->intact) {
    problems.Add(when + ": audit chain broken at seq " + std::to_string(audit->first_bad_seq) + ": " +
                 audit->problem);
  }
  auto changelog = VerifyChangelog(vault.store());
  if (!changelog.ok()) {
    problems.Add(when + ": VerifyChangelog: " + changelog.status().ToString());
  } else if (!changelog->intact) {
    problems.Add(when + ": changelog broken: " + changelog->problem);
  }
}

struct CaseTask {
  std::string id;
  const CaseMeta* meta = nullptr;
  std::vector<const AckedOp*> ops;  // acknowledged writes whose values to check
};

// Reads the whole case back (every field must decrypt) and checks the values of
// the acknowledged writes against their hashes.
void CheckCase(Vault& vault, const CaseTask& task, Problems& problems) {
  const CaseMeta& meta = *task.meta;
  RequestContext rc = WriterContext("crash-verify");
  auto view = vault.ReadCase(rc, task.id);
  if (!view.ok()) {
    problems.Add("case " + task.id + " does not read back: " + view.status().ToString());
    return;
  }
  if (!view->withheld.empty() || !view->masked.empty() || view->fields.size() != meta.fields.size()) {
    problems.Add("case " + task.id + " reads back " + std::to_string(view->fields.size()) + " of " +
                 std::to_string(meta.fields.size()) + " fields");
  }
  if (view->summary.version != meta.version) problems.Add("case " + task.id + ": version changed under us");
  std::map<std::string, std::vector<FieldVersion>> histories;
  for (const AckedOp* op : task.ops) {
    std::vector<std::pair<std::string, std::string>> values;
    for (const std::string& field : op->fields) {
      auto state = meta.fields.find(field);
      if (state == meta.fields.end() || state->second.version < op->version) {
        problems.Add("acknowledged " + op->op + " of " + task.id + "@" + std::to_string(op->version) +
                     " lost field " + field);
        continue;
      }
      if (state->second.version == op->version) {
        auto it = view->fields.find(field);
        values.emplace_back(field, it == view->fields.end() ? "(missing)" : it->second);
        continue;
      }
      auto h = histories.find(field);
      if (h == histories.end()) {
        auto history = vault.FieldHistory(rc, task.id, field);
        if (!history.ok()) {
          problems.Add("history of " + task.id + "/" + field + ": " + history.status().ToString());
          continue;
        }
        h = histories.emplace(field, std::move(*history)).first;
      }
      auto fv = std::find_if(h->second.begin(), h->second.end(),
                             [&](const FieldVersion& v) { return v.version == op->version; });
      values.emplace_back(field, fv == h->second.end() ? "(missing)" : fv->value);
    }
    if (FieldsHash(values) != op->hash) {
      problems.Add("acknowledged " + op->op + " of " + task.id + "@" + std::to_string(op->version) +
                   ": stored values differ from what was acknowledged");
    }
  }
}

void RunParallel(Vault& vault, const std::vector<CaseTask>& tasks, Problems& problems) {
  std::atomic<size_t> next{0};
  std::vector<std::thread> workers;
  for (int i = 0; i < kVerifyThreads; ++i) {
    workers.emplace_back([&] {
      for (size_t t = next++; t < tasks.size(); t = next++) CheckCase(vault, tasks[t], problems);
    });
  }
  for (auto& w : workers) w.join();
}

// ---------------------------------------------------------------- the test

class CrashTest : public ::testing::Test {
 protected:
  VaultOptions Options() const {
    VaultOptions o;
    o.data_dir = dir_.Sub("data");
    o.schema_path = schema_path_;
    o.checkpoint_every_entries = kCheckpointEveryEntries;
    return o;  // the system clock, as in the writer
  }

  void Initialize() {
    InitOptions init;
    init.unit = kUnit;
    init.passphrase = kPassphrase;
    init.argon = testing::FastArgon();
    auto r = Vault::Initialize(Options(), init);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }

  void Run(bool key_operations);

  testing::TempDir dir_;
  const std::string schema_path_ = testing::SourceDir() + "/config/schema.toml";
};

void CrashTest::Run(bool key_operations) {
  ASSERT_NO_FATAL_FAILURE(Initialize());
  uint64_t seed = std::random_device{}();
  if (const char* s = std::getenv("BRANKAS_CRASH_SEED")) seed = std::strtoull(s, nullptr, 10);
  std::printf("crash test: seed %llu (BRANKAS_CRASH_SEED to repeat the delays), writer %s\n",
              static_cast<unsigned long long>(seed), BRANKAS_CRASH_WRITER);
  std::mt19937_64 rng(seed);

  std::vector<AckedOp> all_acks;  // stable storage for pointers: reserve per round below
  std::map<std::string, std::vector<AckedOp>> by_case;
  std::map<std::string, uint64_t> verified_version;  // case -> version read back completely
  std::map<std::string, uint32_t> acked_rotations;   // class -> count
  const auto test_start = Clock::now();
  int rounds = 0;
  size_t total_acks = 0, total_unacked_durable = 0;

  for (int round = 0; round < kMaxRounds && Clock::now() - test_start < kTimeBudget; ++round) {
    ++rounds;
    // Every fourth round counts from the spawn with a short delay, so some kills
    // land while the writer opens, recovers or unseals.
    const bool early = round % 4 == 3;
    const milliseconds delay(early ? 5 + rng() % 75 : 50 + rng() % 351);
    std::vector<std::string> args = {BRANKAS_CRASH_WRITER, dir_.Sub("data"), schema_path_,
                                     std::to_string(seed + static_cast<uint64_t>(round)),
                                     std::to_string(kWriterThreads)};
    if (key_operations) args.push_back("keys");
    ChildRun child = RunAndKill(args, delay, early);
    ASSERT_TRUE(WIFSIGNALED(child.wait_status) && WTERMSIG(child.wait_status) == SIGKILL)
        << "round " << round << ": the writer was not killed but ended by itself (status "
        << child.wait_status << "); output:\n" << child.output.substr(0, 4000);

    std::vector<AckedOp> acks;
    Status parsed = ParseAcks(child.output, round, &acks);
    ASSERT_TRUE(parsed.ok()) << "round " << round << ": " << parsed.ToString();
    std::map<std::string, int> per_op;
    for (AckedOp& a : acks) {
      per_op[a.op]++;
      if (a.op == "rotate") {
        acked_rotations[a.case_id]++;
      } else {
        by_case[a.case_id].push_back(a);
      }
    }
    total_acks += acks.size();

    // Reopen in-process: the child is dead, so the database is ours alone.
    const auto verify_start = Clock::now();
    Problems problems;
    auto opened = Vault::Open(Options());
    ASSERT_TRUE(opened.ok()) << "round " << round << ": reopen failed: " << opened.status().ToString();
    std::unique_ptr<Vault> vault = std::move(*opened);
    CheckChains(*vault, "after the crash", problems);
    StoreState st = CheckStore(vault->store(), problems);
    Status unsealed = vault->UnsealWithPassphrase(AdminContext(), kPassphrase);
    ASSERT_TRUE(unsealed.ok()) << "round " << round << ": " << unsealed.ToString();

    // Acknowledged against stored; count what survived without an ack.
    size_t unacked_durable = 0;
    std::vector<CaseTask> tasks;
    for (const auto& [id, ops] : by_case) {
      auto m = st.metas.find(id);
      if (m == st.metas.end()) {
        problems.Add("acknowledged case lost: " + id);
        continue;
      }
      uint64_t acked = 0;
      bool shred_acked = false;
      for (const AckedOp& op : ops) {
        acked = std::max(acked, op.version);
        shred_acked = shred_acked || op.op == "shred";
      }
      if (m->second.version < acked) {
        problems.Add("case " + id + " is at version " + std::to_string(m->second.version) +
                     ", version " + std::to_string(acked) + " was acknowledged");
      } else if (m->second.version > acked + 1) {
        problems.Add("case " + id + " is " + std::to_string(m->second.version - acked) +
                     " versions past its last acknowledgement (at most one operation is in flight)");
      } else if (m->second.version == acked + 1) {
        ++unacked_durable;
      }
      if (shred_acked && !m->second.shredded) problems.Add("acknowledged shred undone: " + id);
    }
    for (const auto& [id, meta] : st.metas) {
      if (!by_case.count(id)) {
        ++unacked_durable;
        if (meta.version != 1) problems.Add("unacknowledged case " + id + " is past version 1");
      }
      if (meta.shredded) continue;
      CaseTask task{id, &meta, {}};
      auto ops = by_case.find(id);
      if (ops != by_case.end()) {
        for (const AckedOp& op : ops->second) {
          if (op.round == round && (op.op == "create" || op.op == "update")) task.ops.push_back(&op);
        }
      }
      auto v = verified_version.find(id);
      if (task.ops.empty() && v != verified_version.end() && v->second == meta.version) continue;
      tasks.push_back(std::move(task));
    }
    // Each writer thread has at most one operation between its commit and its ack.
    const size_t in_flight_bound = kWriterThreads + (key_operations ? 1 : 0);
    if (unacked_durable > total_unacked_durable + in_flight_bound) {
      problems.Add(std::to_string(unacked_durable - total_unacked_durable) +
                   " unacknowledged operations survived this round; at most " +
                   std::to_string(in_flight_bound) + " can be in flight");
    }
    const size_t new_unacked = unacked_durable - std::min(unacked_durable, total_unacked_durable);
    total_unacked_durable = unacked_durable;
    for (const auto& [cls, n] : acked_rotations) {
      uint32_t current = st.kek_current.count(cls) ? st.kek_current[cls] : 0;
      if (current < 1 + n) {
        problems.Add("KEK of " + cls + " at version " + std::to_string(current) + " after " +
                     std::to_string(n) + " acknowledged rotations");
      }
    }

    uint32_t rotations_durable = 0, rotations_acked = 0;
    for (const auto& [cls, v] : st.kek_current) rotations_durable += v - 1;
    for (const auto& [cls, n] : acked_rotations) rotations_acked += n;

    RunParallel(*vault, tasks, problems);
    for (const CaseTask& t : tasks) verified_version[t.id] = t.meta->version;
    CheckChains(*vault, "after recovery and the reads", problems);
    vault.reset();  // closed before the next writer opens it

    const auto verify_ms = std::chrono::duration_cast<milliseconds>(Clock::now() - verify_start).count();
    std::printf("round %2d: %s kill after %4lld ms (alive %4lld ms, %s): acks %4zu (create %d, update %d, "
                "shred %d, rotate %d); cases %zu, unacked-but-durable %zu, audit entries %llu, "
                "read back %zu cases in %lld ms",
                round, early ? "early" : "load ", static_cast<long long>(delay.count()),
                static_cast<long long>(child.alive.count()), child.saw_ready ? "ready" : "not ready",
                acks.size(), per_op["create"], per_op["update"], per_op["shred"], per_op["rotate"],
                st.metas.size(), new_unacked, static_cast<unsigned long long>(st.audit_entries),
                tasks.size(), static_cast<long long>(verify_ms));
    if (key_operations) std::printf("; KEK rotations durable %u, acknowledged %u", rotations_durable, rotations_acked);
    std::printf("\n");
    std::fflush(stdout);
    ASSERT_EQ(problems.count(), 0u) << "round " << round << " (seed " << seed << "):\n" << problems.Report();
  }

  // A last full pass: every acknowledged write of every round, every live case.
  auto opened = Vault::Open(Options());
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  std::unique_ptr<Vault> vault = std::move(*opened);
  Problems problems;
  StoreState st = CheckStore(vault->store(), problems);
  ASSERT_TRUE(vault->UnsealWithPassphrase(AdminContext(), kPassphrase).ok());
  std::vector<CaseTask> tasks;
  for (const auto& [id, meta] : st.metas) {
    if (meta.shredded) continue;
    CaseTask task{id, &meta, {}};
    auto ops = by_case.find(id);
    if (ops != by_case.end()) {
      for (const AckedOp& op : ops->second) {
        if (op.op == "create" || op.op == "update") task.ops.push_back(&op);
      }
    }
    tasks.push_back(std::move(task));
  }
  RunParallel(*vault, tasks, problems);
  CheckChains(*vault, "final", problems);
  std::printf("crash test: %d rounds in %lld s, %zu acknowledged operations, %zu cases, all verified\n",
              rounds,
              static_cast<long long>(
                  std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - test_start).count()),
              total_acks, st.metas.size());
  EXPECT_EQ(problems.count(), 0u) << "final pass:\n" << problems.Report();
  EXPECT_GT(total_acks, 0u) << "the writer never acknowledged anything: the test proved nothing";
}

TEST_F(CrashTest, KilledWriterLosesNothingAcknowledged) { Run(/*key_operations=*/false); }

TEST_F(CrashTest, KilledDuringKekRotationAndShredding) { Run(/*key_operations=*/true); }

}  // namespace
}  // namespace brankas::crash
