// brankas evidence add CASE_ID FILE [--name N] [--type MIME]      POST /v1/cases/ID/evidence?name=N&type=MIME
// brankas evidence list CASE_ID                                   GET  /v1/cases/ID/evidence
// brankas evidence get CASE_ID EVIDENCE_ID --out FILE [--force]   GET  /v1/cases/ID/evidence/EID
//
// Attachments travel as raw bytes, streamed through one fixed buffer whatever
// their size (HttpsClient::Upload/Download); nothing holds a whole file.
//
// add hashes (SHA-256) what it sends and compares with the hash the server
// reports for what it stored: a difference is exit 3.
// get writes into FILE.partial (created new, mode 0600), counting and hashing
// as it writes; only when the byte count equals Content-Length and the hash
// equals X-Brankas-Sha256 is it synced and renamed to FILE (an existing FILE is
// replaced only with --force). Anything else removes FILE.partial: a cut-short
// or mismatching download is exit 3, and no partial copy is left behind.
// File contents are never printed.
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <condition_variable>
#include <cerrno>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <iterator>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "brankas/crypto.h"
#include "brankas/evidence_bundle.h"
#include "demo.h"
#include "offline_commands.h"
#include "online_commands.h"

namespace brankas::tools {
namespace {

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

bool IsSha256Hex(const std::string& s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

std::string Errno(const std::string& what) { return what + ": " + std::strerror(errno); }

// A file descriptor closed at scope end.
class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() { Close(); }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  int Close() {
    int rc = 0;
    if (fd_ >= 0) rc = close(fd_);
    fd_ = -1;
    return rc;
  }

 private:
  int fd_;
};

std::string EvidenceTarget(const std::string& case_id) { return "/v1/cases/" + case_id + "/evidence"; }

// --- add ---------------------------------------------------------------------

struct AddArgs {
  CommonArgs common;
  std::string case_id, file, name, type;
};

int RunAdd(const AddArgs& a) {
  int code = kExitOk;
  auto conn = Connection::Open("evidence add", a.common, Auth::kToken, &code);
  if (!conn) return code;
  if (!IsPathSegment(a.case_id)) return conn->Fail(kExitUsage, "malformed case id");
  Fd fd(open(a.file.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
  if (fd.get() < 0) return conn->Fail(kExitUsage, Errno("cannot open " + a.file));
  struct stat before{};
  if (fstat(fd.get(), &before) != 0) return conn->Fail(kExitUsage, Errno("cannot stat " + a.file));
  if (!S_ISREG(before.st_mode)) return conn->Fail(kExitUsage, a.file + " is not a regular file");
  const uint64_t size = static_cast<uint64_t>(before.st_size);
  std::string name = a.name.empty() ? std::filesystem::path(a.file).filename().string() : a.name;
  if (name.empty()) return conn->Fail(kExitUsage, "give the attachment a name with --name");
  const std::string type = a.type.empty() ? "application/octet-stream" : a.type;

  Sha256 hash;
  uint64_t sent = 0;
  UploadSource source = [&](char* buffer, size_t capacity) -> Result<size_t> {
    for (;;) {
      ssize_t n = read(fd.get(), buffer, capacity);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return InvalidArgument(Errno("reading " + a.file + " failed"));
      if (n == 0 && sent < size) {
        return InvalidArgument(a.file + " got shorter while it was sent (" + std::to_string(sent) + " of " +
                               std::to_string(size) + " bytes); nothing was stored");
      }
      hash.Update(std::string_view(buffer, static_cast<size_t>(n)));
      sent += static_cast<uint64_t>(n);
      return static_cast<size_t>(n);
    }
  };
  Reply reply;
  code = conn->Upload("POST", EvidenceTarget(a.case_id) + QueryString({{"name", name}, {"type", type}}), size, type,
                      source, &reply);
  if (code != kExitOk) return code;

  const std::string local = ToHex(hash.Finish());
  const std::string id = Text(reply.json, "evidence_id");
  const std::string remote = Lower(Text(reply.json, "sha256"));
  const bool size_matches = reply.json.contains("size") && reply.json["size"].is_number_unsigned() &&
                            reply.json["size"].get<uint64_t>() == sent;
  if (remote != local || !size_matches) {
    return conn->Fail(kExitTampered, "the server's copy of " + a.file + " (evidence " + id +
                                         ") does not match what was sent: sent " + std::to_string(sent) +
                                         " bytes with sha256 " + local + ", the server reports " +
                                         Text(reply.json, "size") + " bytes with sha256 " +
                                         (remote.empty() ? "(none)" : remote));
  }
  struct stat after{};
  if (fstat(fd.get(), &after) == 0 &&
      (after.st_size != before.st_size || after.st_mtim.tv_sec != before.st_mtim.tv_sec ||
       after.st_mtim.tv_nsec != before.st_mtim.tv_nsec)) {
    std::cerr << "brankas evidence add: warning: " << a.file
              << " changed while it was sent; the server holds the " << sent << " bytes that were read\n";
  }
  if (conn->json()) return conn->PrintRaw(reply);
  std::cout << "Added evidence " << id << " to case " << Text(reply.json, "case_id") << ": "
            << Printable(Text(reply.json, "name")) << ", " << sent << " bytes, sha256 " << local
            << " (the server's hash matches).\n";
  return kExitOk;
}

// --- list --------------------------------------------------------------------

struct ListArgs {
  CommonArgs common;
  std::string case_id;
};

std::string Size(const Json& item) {
  auto it = item.find("size");
  if (it == item.end() || !it->is_number_unsigned()) return Text(item, "size");
  const uint64_t bytes = it->get<uint64_t>();
  static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(bytes);
  size_t unit = 0;
  while (value >= 1024 && unit + 1 < std::size(kUnits)) {
    value /= 1024;
    ++unit;
  }
  if (unit == 0) return std::to_string(bytes) + " B";
  char text[32];
  std::snprintf(text, sizeof(text), "%.1f %s", value, kUnits[unit]);
  return text;
}

int RunList(const ListArgs& a) {
  int code = kExitOk;
  auto conn = Connection::Open("evidence list", a.common, Auth::kToken, &code);
  if (!conn) return code;
  if (!IsPathSegment(a.case_id)) return conn->Fail(kExitUsage, "malformed case id");
  Reply reply;
  code = conn->Call("GET", EvidenceTarget(a.case_id), {}, &reply);
  if (code != kExitOk) return code;
  if (conn->json()) return conn->PrintRaw(reply);
  const Json& items = reply.json.contains("evidence") && reply.json["evidence"].is_array() ? reply.json["evidence"]
                                                                                           : Json::array();
  if (items.empty()) {
    std::cout << "No evidence on case " << Printable(a.case_id) << ".\n";
    return kExitOk;
  }
  demo::Table table({"EVIDENCE", "NAME", "TYPE", "SIZE", "SHA256", "ADDED BY", "ADDED"});
  for (const Json& e : items) {
    std::string added = e.contains("added_at") && e["added_at"].is_number_integer()
                            ? FormatUnixTime(e["added_at"].get<int64_t>())
                            : "";
    std::string sha = Text(e, "sha256");
    table.Add({Text(e, "evidence_id"), demo::Truncate(Text(e, "name"), 40), demo::Truncate(Text(e, "content_type"), 30),
               Size(e), sha.size() > 16 ? sha.substr(0, 16) + "…" : sha, Text(e, "added_by"), added});
  }
  table.Print(std::cout, "");
  std::cout << items.size() << " attachment" << (items.size() == 1 ? "" : "s") << " on case "
            << Printable(a.case_id) << " (--json for the full SHA-256).\n";
  return kExitOk;
}

// --- get ---------------------------------------------------------------------

struct GetArgs {
  CommonArgs common;
  std::string case_id, evidence_id, out;
  bool force = false;
};

// Moves `from` to `to`; without `replace`, never over an existing `to`.
Status Rename(const std::string& from, const std::string& to, bool replace) {
  if (replace) {
    if (rename(from.c_str(), to.c_str()) != 0) return InvalidArgument(Errno("cannot rename to " + to));
    return Status::Ok();
  }
  if (renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) == 0) return Status::Ok();
  if (errno == EEXIST) return Conflict(to + " appeared meanwhile: not replaced (give --force to replace it)");
  if (errno != EINVAL && errno != ENOSYS) return InvalidArgument(Errno("cannot rename to " + to));
  // A file system without RENAME_NOREPLACE: a hard link fails on an existing name too.
  if (link(from.c_str(), to.c_str()) != 0) {
    if (errno == EEXIST) return Conflict(to + " appeared meanwhile: not replaced (give --force to replace it)");
    return InvalidArgument(Errno("cannot rename to " + to));
  }
  unlink(from.c_str());
  return Status::Ok();
}

// The partial file of a download in progress, removed if the command is
// interrupted (SIGINT, SIGTERM, SIGHUP) so that no partial copy stays behind.
char g_partial_path[4096];

void RemovePartialAndDie(int sig) {
  if (g_partial_path[0] != '\0') unlink(g_partial_path);
  signal(sig, SIG_DFL);
  raise(sig);
}

void GuardPartial(const std::string& path) {
  if (path.size() >= sizeof(g_partial_path)) return;
  std::memcpy(g_partial_path, path.c_str(), path.size() + 1);
  struct sigaction action{};
  action.sa_handler = RemovePartialAndDie;
  sigemptyset(&action.sa_mask);
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) sigaction(sig, &action, nullptr);
}

void UnguardPartial() {
  struct sigaction action{};
  action.sa_handler = SIG_DFL;
  sigemptyset(&action.sa_mask);
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) sigaction(sig, &action, nullptr);
  g_partial_path[0] = '\0';
}

// fsync of the directory holding `path`, so that the rename is durable.
void SyncParent(const std::string& path) {
  std::filesystem::path parent = std::filesystem::path(path).parent_path();
  Fd dir(open(parent.empty() ? "." : parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir.get() >= 0) fsync(dir.get());
}

// Hashes and writes the pieces of a download on its own thread, so that the
// network is read while the previous MiB goes to the file; at most kSlots
// pieces wait (memory stays bounded). Every 32 MiB it starts the disk writing
// (sync_file_range), so the final fsync waits for the tail only.
class FileWriter {
 public:
  FileWriter(int fd, std::string path) : fd_(fd), path_(std::move(path)), thread_([this] { Loop(); }) {}
  ~FileWriter() { Finish().IgnoreError(); }

  // Queues a copy of the piece; the first write error, once there is one.
  Status Push(const char* data, size_t size) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return queue_.size() < kSlots || !error_.ok(); });
    if (!error_.ok()) return error_;
    std::string piece;
    if (!free_.empty()) {
      piece = std::move(free_.back());
      free_.pop_back();
    }
    piece.assign(data, size);
    queue_.push_back(std::move(piece));
    cv_.notify_all();
    return Status::Ok();
  }

  // Waits until everything queued is written; the first error, if any.
  Status Finish() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      done_ = true;
      cv_.notify_all();
    }
    if (thread_.joinable()) thread_.join();
    return error_;
  }
  uint64_t written() const { return written_; }
  std::string sha256_hex() { return ToHex(hash_.Finish()); }

 private:
  static constexpr size_t kSlots = 4;
  static constexpr uint64_t kWriteBehind = 32u << 20;

  void Loop() {
    uint64_t started = 0;
    for (;;) {
      std::string piece;
      {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [&] { return !queue_.empty() || done_; });
        if (queue_.empty()) return;
        piece = std::move(queue_.front());
        queue_.pop_front();
      }
      Status st = Write(piece, &started);
      std::lock_guard<std::mutex> lock(mu_);
      if (!st.ok() && error_.ok()) error_ = st;
      free_.push_back(std::move(piece));
      cv_.notify_all();
      if (!error_.ok()) return;
    }
  }

  Status Write(std::string_view piece, uint64_t* started) {
    hash_.Update(piece);
    while (!piece.empty()) {
      ssize_t n = write(fd_, piece.data(), piece.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return InvalidArgument(Errno("writing " + path_ + " failed"));
      piece.remove_prefix(static_cast<size_t>(n));
      written_ += static_cast<uint64_t>(n);
    }
    if (written_ - *started >= kWriteBehind) {
      sync_file_range(fd_, static_cast<off64_t>(*started), static_cast<off64_t>(written_ - *started),
                      SYNC_FILE_RANGE_WRITE);
      *started = written_;
    }
    return Status::Ok();
  }

  const int fd_;
  const std::string path_;
  Sha256 hash_;            // writer thread only until Finish
  uint64_t written_ = 0;   // writer thread only until Finish
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> queue_;  // guarded by mu_
  std::vector<std::string> free_;  // guarded by mu_
  bool done_ = false;              // guarded by mu_
  Status error_ = Status::Ok();    // guarded by mu_ (read after join)
  std::thread thread_;             // last: starts once the rest is built
};

// Streams a download into `out` by way of OUT.partial (O_EXCL, mode 0600):
// `check` runs on the complete partial file before it is fsync'd and renamed;
// on any failure the partial file is removed and nothing is kept.
struct Saved {
  uint64_t bytes = 0;
  std::string sha256;  // hex, of what was written
  DownloadResponse answer;
};
int SaveDownload(Connection& conn, const std::string& target, bool post, const std::string& what,
                 const std::string& out, bool force,
                 const std::function<int(const std::string& partial, const Saved&)>& check, Saved* saved) {
  struct stat existing{};
  if (lstat(out.c_str(), &existing) == 0) {
    if (!force) return conn.Fail(kExitUsage, out + " exists: not replaced (give --force to replace it)");
    if (S_ISDIR(existing.st_mode)) return conn.Fail(kExitUsage, out + " is a directory");
  } else if (errno != ENOENT) {
    return conn.Fail(kExitUsage, Errno("cannot check " + out));
  }

  const std::string partial = out + ".partial";
  Fd fd(open(partial.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (fd.get() < 0) {
    if (errno == EEXIST) {
      return conn.Fail(kExitUsage, partial + " exists (left by an interrupted download?): remove it and retry");
    }
    return conn.Fail(kExitUsage, Errno("cannot create " + partial));
  }
  // Removes the partial file on every way out but the successful rename,
  // an interruption by a signal included.
  bool keep = false;
  GuardPartial(partial);
  struct Cleanup {
    const std::string& path;
    bool& keep;
    ~Cleanup() {
      if (!keep) unlink(path.c_str());
      UnguardPartial();
    }
  } cleanup{partial, keep};

  FileWriter writer(fd.get(), partial);
  DownloadSink sink = [&](const char* data, size_t size) -> Status { return writer.Push(data, size); };
  int code = conn.Download(target, what, sink, &saved->answer, post);
  Status wrote = writer.Finish();
  if (code != kExitOk) {
    if (code == kExitTampered) std::cerr << "  " << partial << " was removed; nothing was saved\n";
    return code;
  }
  if (!wrote.ok()) return conn.Fail(kExitUsage, wrote.message());
  const uint64_t written = writer.written();
  saved->bytes = written;
  saved->sha256 = writer.sha256_hex();
  if (saved->answer.content_length && *saved->answer.content_length != written) {
    return conn.Fail(kExitTampered, what + ": received " + std::to_string(written) + " bytes, the server announced " +
                                        std::to_string(*saved->answer.content_length) + "; nothing was saved");
  }
  if (fsync(fd.get()) != 0) return conn.Fail(kExitUsage, Errno("cannot sync " + partial));
  if (fd.Close() != 0) return conn.Fail(kExitUsage, Errno("cannot close " + partial));
  if (int checked = check(partial, *saved); checked != kExitOk) return checked;
  if (Status s = Rename(partial, out, force); !s.ok()) return conn.Fail(kExitUsage, s.message());
  keep = true;
  SyncParent(out);
  return kExitOk;
}

int RunGet(const GetArgs& a) {
  int code = kExitOk;
  auto conn = Connection::Open("evidence get", a.common, Auth::kToken, &code);
  if (!conn) return code;
  if (!IsPathSegment(a.case_id)) return conn->Fail(kExitUsage, "malformed case id");
  if (!IsPathSegment(a.evidence_id)) return conn->Fail(kExitUsage, "malformed evidence id");
  const std::string what = "evidence " + a.evidence_id;
  Saved saved;
  auto check = [&](const std::string&, const Saved& got) {
    const std::string remote = Lower(got.answer.sha256);
    if (!IsSha256Hex(remote)) {
      return conn->Fail(kExitTampered, what + ": the server sent no valid X-Brankas-Sha256, so what arrived cannot be "
                                              "verified; nothing was saved");
    }
    if (remote != got.sha256) {
      return conn->Fail(kExitTampered, what + ": what arrived (" + std::to_string(got.bytes) + " bytes) has sha256 " +
                                           got.sha256 + ", the server says " + remote + "; nothing was saved");
    }
    return kExitOk;
  };
  code = SaveDownload(*conn, EvidenceTarget(a.case_id) + "/" + a.evidence_id, false, what, a.out, a.force, check,
                      &saved);
  if (code != kExitOk) return code;
  if (conn->json()) {
    Json j{{"case_id", a.case_id}, {"evidence_id", a.evidence_id}, {"path", a.out},
           {"size", saved.bytes},  {"sha256", saved.sha256},        {"verified", true}};
    std::cout << j.dump(-1, ' ', false, Json::error_handler_t::replace) << "\n";
    return kExitOk;
  }
  std::cout << "Saved evidence " << Printable(a.evidence_id) << " to " << Printable(a.out) << ": " << saved.bytes
            << " bytes, sha256 " << saved.sha256 << " (verified).\n";
  return kExitOk;
}

// --- bundle and verify -------------------------------------------------------

struct BundleArgs {
  CommonArgs common;
  std::string case_id, out;
  bool force = false;
};

struct VerifyArgs {
  std::string bundle, node_key;
  bool json = false;
};

Json ReportJson(const BundleReport& r) {
  Json j{{"valid", r.valid},           {"case_id", r.case_id},           {"unit", r.unit},
         {"node_public_key", ToHex(r.node_public_key)}, {"key_pinned", r.key_pinned},
         {"fields", r.fields},         {"attachments", r.attachments},   {"audit_entries", r.audit_entries},
         {"bytes", r.bytes}};
  if (!r.valid) {
    j["failed_part"] = r.failed_part;
    j["failed_item"] = r.failed_item;
    j["problem"] = r.problem;
  }
  return j;
}

void PrintReport(const BundleReport& r, const std::string& path) {
  if (r.valid) {
    std::cout << Printable(path) << ": valid evidence bundle of case " << Printable(r.case_id) << " (unit "
              << Printable(r.unit) << "): " << r.fields << " fields, " << r.attachments << " attachments, "
              << r.audit_entries << " audit entries, " << r.bytes << " bytes.\n"
              << "Signed by node key " << ToHex(r.node_public_key)
              << (r.key_pinned ? " (pinned).\n"
                               : " — taken from the bundle itself: compare it with the unit's key, or give "
                                 "--node-key.\n");
    return;
  }
  std::cout << Printable(path) << ": INVALID: " << r.failed_part
            << (r.failed_item.empty() ? "" : " " + Printable(r.failed_item)) << ": " << r.problem << "\n";
}

int RunBundle(const BundleArgs& a) {
  int code = kExitOk;
  auto conn = Connection::Open("evidence bundle", a.common, Auth::kToken, &code);
  if (!conn) return code;
  if (!IsPathSegment(a.case_id)) return conn->Fail(kExitUsage, "malformed case id");
  BundleReport report;
  auto check = [&](const std::string& partial, const Saved&) {
    std::ifstream in(partial, std::ios::binary);
    auto r = VerifyEvidenceBundle(in, {});
    if (!r.ok()) return conn->Fail(kExitUsage, r.status().message());
    report = *r;
    if (!report.valid) {
      return conn->Fail(kExitTampered, "the bundle does not verify: " + report.failed_part + " " + report.failed_item +
                                           ": " + report.problem + "; nothing was saved");
    }
    return kExitOk;
  };
  Saved saved;
  code = SaveDownload(*conn, "/v1/cases/" + a.case_id + "/evidence-bundle", true, "the evidence bundle", a.out,
                      a.force, check, &saved);
  if (code != kExitOk) return code;
  if (conn->json()) {
    Json j = ReportJson(report);
    j["path"] = a.out;
    j["sha256"] = saved.sha256;
    std::cout << j.dump(-1, ' ', false, Json::error_handler_t::replace) << "\n";
    return kExitOk;
  }
  PrintReport(report, a.out);
  std::cout << "File sha256 " << saved.sha256 << ". Check it anywhere with: brankas evidence verify "
            << Printable(a.out) << " --node-key " << ToHex(report.node_public_key) << "\n";
  return kExitOk;
}

int RunVerify(const VerifyArgs& a) {
  std::string key;
  if (!a.node_key.empty() && (!FromHex(a.node_key, &key) || key.size() != 32)) {
    std::cerr << "brankas evidence verify: --node-key must be 64 hex digits\n";
    return kExitUsage;
  }
  std::ifstream in(a.bundle, std::ios::binary);
  if (!in) {
    std::cerr << "brankas evidence verify: cannot open " << a.bundle << "\n";
    return kExitUsage;
  }
  auto r = VerifyEvidenceBundle(in, key);
  if (!r.ok()) {
    std::cerr << "brankas evidence verify: " << r.status().message() << "\n";
    return kExitUsage;
  }
  if (a.json) {
    std::cout << ReportJson(*r).dump(-1, ' ', false, Json::error_handler_t::replace) << "\n";
  } else {
    PrintReport(*r, a.bundle);
  }
  return r->valid ? kExitOk : kExitTampered;
}

}  // namespace

void AddEvidenceCommand(CLI::App& app, int* exit_code) {
  CLI::App* evidence = app.add_subcommand("evidence", "Evidence attachments of a case (files, streamed)");
  evidence->require_subcommand(1);

  auto add = std::make_shared<AddArgs>();
  CLI::App* ad = evidence->add_subcommand(
      "add", "Attach a file to a case; its SHA-256 is computed while sending and checked against the server's");
  AddCommonOptions(ad, &add->common);
  ad->add_option("case_id", add->case_id, "Case id")->required();
  ad->add_option("file", add->file, "The file to attach (a regular file)")->required();
  ad->add_option("--name", add->name, "Name of the attachment (default: the file's name)");
  ad->add_option("--type", add->type, "Its media type (default: application/octet-stream)");
  ad->callback([add, exit_code] { *exit_code = RunAdd(*add); });

  auto list = std::make_shared<ListArgs>();
  CLI::App* l = evidence->add_subcommand("list", "The attachments of a case");
  AddCommonOptions(l, &list->common);
  l->add_option("case_id", list->case_id, "Case id")->required();
  l->callback([list, exit_code] { *exit_code = RunList(*list); });

  auto get = std::make_shared<GetArgs>();
  CLI::App* g = evidence->add_subcommand(
      "get",
      "Download an attachment into a file: written to FILE.partial (mode 0600), checked (size and SHA-256), "
      "then renamed; exit 3 and nothing kept if it arrives cut short or different");
  AddCommonOptions(g, &get->common);
  g->add_option("case_id", get->case_id, "Case id")->required();
  g->add_option("evidence_id", get->evidence_id, "Evidence id (brankas evidence list)")->required();
  g->add_option("--out", get->out, "Where to save it")->required();
  g->add_flag("--force", get->force, "Replace --out if it exists");
  g->callback([get, exit_code] { *exit_code = RunGet(*get); });

  auto bundle = std::make_shared<BundleArgs>();
  CLI::App* b = evidence->add_subcommand(
      "bundle",
      "Legal users under an active grant: download the case's signed evidence bundle (granted fields, attachments, "
      "hashes, custody trail, grant, signed checkpoint) into a file; verified before it is kept");
  AddCommonOptions(b, &bundle->common);
  b->add_option("case_id", bundle->case_id, "Case id")->required();
  b->add_option("--out", bundle->out, "Where to save it")->required();
  b->add_flag("--force", bundle->force, "Replace --out if it exists");
  b->callback([bundle, exit_code] { *exit_code = RunBundle(*bundle); });

  auto verify = std::make_shared<VerifyArgs>();
  CLI::App* v = evidence->add_subcommand(
      "verify", "Check a signed evidence bundle offline, with no server: exit 0 valid, 3 invalid (the failing part named)");
  v->add_option("bundle", verify->bundle, "The bundle file")->required();
  v->add_option("--node-key", verify->node_key, "The unit's node public key (hex) to pin; else the bundle's own");
  v->add_flag("--json", verify->json, "One JSON object");
  v->callback([verify, exit_code] { *exit_code = RunVerify(*verify); });
}

}  // namespace brankas::tools
