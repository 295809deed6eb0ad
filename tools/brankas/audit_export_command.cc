// brankas audit export --out FILE [--after SEQ] [--to SEQ] [--page-size N] [--json]
//   Pages through GET /v1/audit/export (auditor) and writes the export file of
//   brankas/audit_export.h as the pages arrive (memory: one page): a new file
//   beside FILE (O_EXCL, mode 0600), fsync'd, then renamed to FILE, which must
//   not exist (never overwritten). Without --to it runs to the chain's head; with
//   it, through --to and on to the next signed checkpoint (or the head), so a
//   signature covers every entry. With --json one object:
//     {"file","unit","node_public_key","first_seq","last_seq","entries","checkpoints",
//      "head","extended"}
//   Exit 0 written; 1 refused or a page the server sent does not fit; 2 usage,
//   I/O, or the server cannot be reached.
//
// brankas audit verify --export FILE [--node-key HEX | --node-key-file F] [--json]
//   Offline (VerifyAuditExport). Exit 0 intact, 3 tampered or broken (the first
//   bad sequence and what failed are named), 2 usage or I/O error. With --json:
//     {"intact","entries","checkpoints","head","unit","first_seq","last_seq",
//      "node_public_key","key":"pinned"|"file","signed_through","tail_covered"
//      [,"first_bad_seq","line","failure","problem"]}  or {"intact":false,"error"}.
#include "audit_export.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "brankas/audit_export.h"
#include "brankas/crypto.h"
#include "offline_commands.h"
#include "online_commands.h"

namespace brankas::tools {
namespace {

struct ExportArgs {
  CommonArgs common;
  std::string out;
  uint64_t after = 0, to = 0;
  size_t page_size = kDefaultAuditExportPage;
};

std::string Errno(const std::string& what) { return what + ": " + std::strerror(errno); }

// The file being written: removed unless committed.
class PartialFile {
 public:
  ~PartialFile() {
    if (fd_ >= 0) close(fd_);
    if (!path_.empty()) unlink(path_.c_str());
  }

  // A new file beside `target` (O_EXCL, 0600).
  Status Create(const std::string& target) {
    std::string tmpl = target + ".partial-XXXXXX";
    fd_ = mkostemp(tmpl.data(), O_CLOEXEC);
    if (fd_ < 0) return Unavailable(Errno("cannot create a file beside " + target));
    path_ = tmpl;
    if (fchmod(fd_, 0600) != 0) return Unavailable(Errno("chmod " + path_));
    return Status::Ok();
  }

  Status Write(std::string_view data) {
    while (!data.empty()) {
      ssize_t n = write(fd_, data.data(), data.size());
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return Unavailable(Errno("write " + path_));
      data.remove_prefix(static_cast<size_t>(n));
    }
    return Status::Ok();
  }

  Status WriteAt(std::string_view data, off_t offset) {
    while (!data.empty()) {
      ssize_t n = pwrite(fd_, data.data(), data.size(), offset);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return Unavailable(Errno("write " + path_));
      data.remove_prefix(static_cast<size_t>(n));
      offset += n;
    }
    return Status::Ok();
  }

  // fsync, then `target` names the file (never replacing one), then the
  // directory is fsync'd.
  Status Commit(const std::string& target) {
    if (fsync(fd_) != 0) return Unavailable(Errno("fsync " + path_));
    if (close(fd_) != 0) {
      fd_ = -1;
      return Unavailable(Errno("close " + path_));
    }
    fd_ = -1;
    if (renameat2(AT_FDCWD, path_.c_str(), AT_FDCWD, target.c_str(), RENAME_NOREPLACE) != 0) {
      if (errno != EINVAL && errno != ENOSYS) return Unavailable(Errno("rename to " + target));
      // A file system without RENAME_NOREPLACE: a hard link refuses to replace too.
      if (link(path_.c_str(), target.c_str()) != 0) return Unavailable(Errno("link to " + target));
      unlink(path_.c_str());
    }
    path_.clear();
    std::string dir = std::filesystem::path(target).parent_path().string();
    if (dir.empty()) dir = ".";
    int dfd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) return Unavailable(Errno("open " + dir));
    int rc = fsync(dfd);
    close(dfd);
    if (rc != 0) return Unavailable(Errno("fsync " + dir));
    return Status::Ok();
  }

 private:
  int fd_ = -1;
  std::string path_;
};

int RunExport(const ExportArgs& a) {
  auto usage = [&](const std::string& message) {
    std::cerr << "brankas audit export: " << message << "\n";
    return kExitUsage;
  };
  if (a.to != 0 && a.to <= a.after) return usage("--to must be greater than --after");
  struct stat st{};
  if (lstat(a.out.c_str(), &st) == 0) return usage(a.out + " exists; an export never replaces a file");

  int code = kExitOk;
  auto conn = Connection::Open("audit export", a.common, Auth::kToken, &code);
  if (!conn) return code;
  PartialFile file;
  if (Status s = file.Create(a.out); !s.ok()) return conn->Fail(kExitUsage, s.message());
  // Room for the header, written once the last sequence is known.
  if (Status s = file.Write(std::string(kAuditExportHeaderBytes - 1, ' ') + "\n"); !s.ok()) {
    return conn->Fail(kExitUsage, s.message());
  }

  const int64_t exported_at = static_cast<int64_t>(std::time(nullptr));
  const bool progress = isatty(STDERR_FILENO) != 0;
  AuditExportBuilder builder(a.after, a.to, a.page_size);
  std::string lines;
  while (auto req = builder.Next()) {
    Reply reply;
    code = conn->Call("GET",
                      "/v1/audit/export" + QueryString({{"after", std::to_string(req->after_seq)},
                                                        {"limit", std::to_string(req->limit)}}),
                      {}, &reply);
    if (code != kExitOk) return code;
    auto page = AuditExportPageFromJson(reply.json);
    if (!page.ok()) return conn->Fail(kExitFailure, "the server's page is malformed: " + page.status().message());
    lines.clear();
    if (Status s = builder.Add(*page, &lines); !s.ok()) return conn->Fail(kExitFailure, s.message());
    if (Status s = file.Write(lines); !s.ok()) return conn->Fail(kExitUsage, s.message());
    if (progress) std::cerr << "\rbrankas audit export: " << builder.entries() << " entries" << std::flush;
  }
  if (progress) std::cerr << "\n";

  const AuditExportHeader header = builder.Header(exported_at);
  auto header_line = AuditExportHeaderLine(header);
  if (!header_line.ok()) return conn->Fail(kExitFailure, header_line.status().message());
  if (Status s = file.WriteAt(*header_line, 0); !s.ok()) return conn->Fail(kExitUsage, s.message());
  if (Status s = file.Commit(a.out); !s.ok()) return conn->Fail(kExitUsage, s.message());

  const std::string key_hex = ToHex(header.node_public_key);
  if (conn->json()) {
    std::cout << Json{{"file", a.out},
                      {"unit", header.unit},
                      {"node_public_key", key_hex},
                      {"first_seq", header.first_seq},
                      {"last_seq", header.last_seq},
                      {"entries", builder.entries()},
                      {"checkpoints", builder.checkpoints()},
                      {"head", builder.head()},
                      {"extended", builder.extended()}}
                     .dump(-1, ' ', false, Json::error_handler_t::replace)
              << "\n";
    return kExitOk;
  }
  if (builder.entries() == 0) {
    std::cout << "No audit entries after " << a.after << "; wrote an empty export to " << Printable(a.out) << ".\n";
    return kExitOk;
  }
  std::cout << "Exported audit entries " << header.first_seq << ".." << header.last_seq << " of unit "
            << Printable(header.unit) << " to " << Printable(a.out) << ": " << builder.entries() << " entries, "
            << builder.checkpoints() << " signed checkpoints" << (builder.head() ? ", the signed head" : "") << ".\n";
  if (builder.extended()) {
    std::cout << "It runs past --to " << a.to << " to " << header.last_seq
              << ", the first signature after it, so a signature covers every entry.\n";
  }
  std::cout << "Node key as the server states it: " << key_hex << "\n"
            << "Verify offline, pinning the key you know from the node: brankas audit verify --export "
            << Printable(a.out) << " --node-key HEX\n";
  return kExitOk;
}

int VerifyFail(const ExportVerifyArgs& a, int code, const std::string& message) {
  if (a.json) {
    std::cout << Json{{"intact", false}, {"error", message}}.dump(-1, ' ', false, Json::error_handler_t::replace)
              << "\n";
  } else {
    std::cerr << "brankas audit verify: " << message << "\n";
  }
  return code;
}

}  // namespace

int RunAuditExportVerify(const ExportVerifyArgs& a) {
  std::string key_hex = a.node_key_hex;
  if (!a.node_key_file.empty()) {
    if (!key_hex.empty()) return VerifyFail(a, kExitUsage, "give --node-key or --node-key-file, not both");
    std::ifstream in(a.node_key_file);
    if (!in) return VerifyFail(a, kExitUsage, "cannot read " + a.node_key_file);
    std::getline(in, key_hex);
    while (!key_hex.empty() && (key_hex.back() == '\r' || key_hex.back() == ' ' || key_hex.back() == '\t')) {
      key_hex.pop_back();
    }
  }
  std::string pinned;
  if (!key_hex.empty() && (!FromHex(key_hex, &pinned) || pinned.size() != kSignPublicKeySize)) {
    return VerifyFail(a, kExitUsage, "the node key must be 64 hex digits");
  }
  std::error_code ec;
  if (std::filesystem::is_directory(a.file, ec)) return VerifyFail(a, kExitUsage, a.file + " is a directory");
  std::ifstream in(a.file, std::ios::binary);
  if (!in) return VerifyFail(a, kExitUsage, "cannot open " + a.file + ": " + std::strerror(errno));
  auto report = VerifyAuditExport(in, pinned);
  if (!report.ok()) return VerifyFail(a, kExitUsage, report.status().message());
  const AuditExportReport& r = *report;
  const std::string key = ToHex(r.node_public_key);

  if (a.json) {
    Json j{{"intact", r.intact},
           {"entries", r.entries},
           {"checkpoints", r.checkpoints},
           {"head", r.head},
           {"unit", r.unit},
           {"first_seq", r.first_seq},
           {"last_seq", r.last_seq},
           {"node_public_key", key},
           {"key", r.key_pinned ? "pinned" : "file"},
           {"signed_through", r.signed_through},
           {"tail_covered", r.tail_covered}};
    if (!r.intact) {
      j["first_bad_seq"] = r.first_bad_seq;
      j["line"] = r.bad_line;
      j["failure"] = r.failure;
      j["problem"] = r.problem;
    }
    std::cout << j.dump(-1, ' ', false, Json::error_handler_t::replace) << "\n";
  } else if (r.intact) {
    std::cout << "audit export intact: ";
    if (r.entries == 0) {
      std::cout << "no entries (after " << r.first_seq - 1 << ")";
    } else {
      std::cout << "entries " << r.first_seq << ".." << r.last_seq << " of unit " << Printable(r.unit) << ", "
                << r.checkpoints << " signed checkpoints" << (r.head ? " and the signed head" : "")
                << ", every entry covered by a signature";
    }
    std::cout << "\n";
    if (r.key_pinned) {
      std::cout << "node key " << key << " (pinned)\n";
    } else {
      std::cout << "node key " << key
                << " taken from the file itself (trust on first use): compare it with the node's, or pin it "
                   "with --node-key\n";
    }
  } else {
    std::cout << "audit export BROKEN";
    if (r.first_bad_seq != 0) std::cout << " at sequence " << r.first_bad_seq;
    if (r.bad_line != 0) std::cout << (r.first_bad_seq != 0 ? ", line " : " at line ") << r.bad_line;
    std::cout << ": " << Printable(r.problem) << " [" << r.failure << "]\n";
    if (!r.key_pinned) std::cout << "(node key " << key << " taken from the file itself)\n";
  }
  return r.intact ? kExitOk : kExitTampered;
}

void AddAuditExportVerb(CLI::App* audit, int* exit_code) {
  auto args = std::make_shared<ExportArgs>();
  CLI::App* e = audit->add_subcommand(
      "export",
      "Write the audit trail (entries, signed checkpoints, signed head; no field values) to a file that "
      "`audit verify --export` checks offline (auditor)");
  AddCommonOptions(e, &args->common);
  e->add_option("--out", args->out, "The file to write (must not exist; mode 0600)")->required();
  e->add_option("--after", args->after, "Entries after this sequence number (default 0: from the start)");
  e->add_option("--to", args->to,
                "Through this sequence number, and on to the next signed checkpoint (default: to the head)");
  e->add_option("--page-size", args->page_size, "Entries per request (default 1000)")
      ->check(CLI::Range(size_t{1}, kMaxAuditExportPage));
  e->callback([args, exit_code] { *exit_code = RunExport(*args); });
}

}  // namespace brankas::tools
