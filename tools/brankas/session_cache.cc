#include "session_cache.h"

#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "brankas/crypto.h"

namespace brankas::tools {
namespace {

constexpr size_t kMaxCacheBytes = 64 * 1024;

std::string HomeDirectory() {
  const char* home = std::getenv("HOME");
  if (home != nullptr && home[0] == '/') return home;
  const passwd* pw = getpwuid(getuid());
  return pw != nullptr && pw->pw_dir != nullptr ? pw->pw_dir : "";
}

std::string ConfigHome() {
  // The XDG base directory specification: a relative value is ignored.
  const char* xdg = std::getenv("XDG_CONFIG_HOME");
  if (xdg != nullptr && xdg[0] == '/') return xdg;
  std::string home = HomeDirectory();
  return home.empty() ? "" : home + "/.config";
}

std::string Parent(const std::string& path) {
  size_t slash = path.find_last_of('/');
  return slash == 0 ? "/" : path.substr(0, slash);
}

// Creates `dir` (and missing parents, each 0700) unless it exists.
Status MakeDirectories(const std::string& dir) {
  struct stat st{};
  if (stat(dir.c_str(), &st) == 0) {
    return S_ISDIR(st.st_mode) ? Status::Ok() : FailedPrecondition(dir + " is not a directory");
  }
  if (dir != "/" && !dir.empty()) BRANKAS_RETURN_IF_ERROR(MakeDirectories(Parent(dir)));
  if (mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) return Unavailable("cannot create " + dir);
  return Status::Ok();
}

// The cache's own directory: ours, a directory, 0700 (tightened if it was not).
Status PrepareCacheDirectory(const std::string& dir) {
  BRANKAS_RETURN_IF_ERROR(MakeDirectories(Parent(dir)));
  if (mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) return Unavailable("cannot create " + dir);
  struct stat st{};
  if (lstat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return FailedPrecondition(dir + " is not a directory");
  }
  if (st.st_uid != geteuid()) return FailedPrecondition(dir + " belongs to another user");
  if ((st.st_mode & 077) != 0 && chmod(dir.c_str(), 0700) != 0) {
    return Unavailable("cannot make " + dir + " private (chmod 700)");
  }
  return Status::Ok();
}

Status WriteAll(int fd, const std::string& text) {
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Unavailable("write failed");
    done += static_cast<size_t>(n);
  }
  return Status::Ok();
}

}  // namespace

Result<std::string> SessionCachePath() {
  std::string base = ConfigHome();
  if (base.empty()) return FailedPrecondition("no home directory for the login cache (set HOME or XDG_CONFIG_HOME)");
  return base + "/brankas/session.json";
}

Result<std::optional<CachedSession>> LoadSessionCache() {
  BRANKAS_ASSIGN_OR_RETURN(std::string path, SessionCachePath());
  int fd = open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT || errno == ENOTDIR) return std::optional<CachedSession>();
    if (errno == ELOOP) return FailedPrecondition("the login cache " + path + " is a symbolic link; remove it");
    return FailedPrecondition("cannot read the login cache " + path);
  }
  struct stat st{};
  std::string text;
  Status problem;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    problem = FailedPrecondition("the login cache " + path + " is not a regular file; remove it");
  } else if (st.st_uid != geteuid()) {
    problem = FailedPrecondition("the login cache " + path + " belongs to another user; remove it");
  } else if ((st.st_mode & 077) != 0) {
    problem = FailedPrecondition("the login cache " + path +
                                 " is readable by others, so its token may be known: remove it and log in again");
  } else if (static_cast<size_t>(st.st_size) > kMaxCacheBytes) {
    problem = FailedPrecondition("the login cache " + path + " is too large; remove it");
  } else {
    text.resize(static_cast<size_t>(st.st_size));
    ssize_t n = read(fd, text.data(), text.size());
    if (n != static_cast<ssize_t>(text.size())) problem = FailedPrecondition("cannot read the login cache " + path);
  }
  close(fd);
  if (!problem.ok()) {
    WipeString(text);
    return problem;
  }
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  WipeString(text);
  CachedSession s;
  bool ok = j.is_object() && j.value("server", nlohmann::json()).is_string() &&
            j.value("token", nlohmann::json()).is_string() && j.value("expires_at", nlohmann::json()).is_number_integer();
  if (ok) {
    s.server = j["server"].get<std::string>();
    s.ca = j.value("ca", std::string());
    s.user = j.value("user", std::string());
    std::string& token = j["token"].get_ref<std::string&>();
    s.token = token;
    WipeString(token);
    s.expires_at = j["expires_at"].get<int64_t>();
  }
  if (!ok) return FailedPrecondition("the login cache " + path + " is damaged; remove it and log in again");
  return std::optional<CachedSession>(std::move(s));
}

Status SaveSessionCache(const CachedSession& session) {
  BRANKAS_ASSIGN_OR_RETURN(std::string path, SessionCachePath());
  const std::string dir = Parent(path);
  BRANKAS_RETURN_IF_ERROR(PrepareCacheDirectory(dir));
  nlohmann::json j{{"server", session.server},
                   {"ca", session.ca},
                   {"user", session.user},
                   {"token", session.token},
                   {"expires_at", session.expires_at}};
  std::string text = j.dump(2) + "\n";
  WipeString(j["token"].get_ref<std::string&>());
  // A fresh, unpredictable name, created exclusively: nothing else can have
  // opened it, and it is 0600 from its first moment.
  const std::string tmp = path + "." + ToHex(RandomBytes(8)) + ".tmp";
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) {
    WipeString(text);
    return Unavailable("cannot create " + tmp);
  }
  Status s = fchmod(fd, 0600) == 0 ? WriteAll(fd, text) : Unavailable("cannot set the mode of " + tmp);
  WipeString(text);
  if (s.ok() && fsync(fd) != 0) s = Unavailable("cannot sync " + tmp);
  if (close(fd) != 0 && s.ok()) s = Unavailable("cannot write " + tmp);
  if (s.ok() && rename(tmp.c_str(), path.c_str()) != 0) s = Unavailable("cannot replace " + path);
  if (!s.ok()) {
    unlink(tmp.c_str());
    return Status(s.code(), "cannot write the login cache: " + s.message());
  }
  int dfd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    fsync(dfd);
    close(dfd);
  }
  return Status::Ok();
}

Status RemoveSessionCache() {
  BRANKAS_ASSIGN_OR_RETURN(std::string path, SessionCachePath());
  if (unlink(path.c_str()) != 0 && errno != ENOENT) return Unavailable("cannot remove the login cache " + path);
  return Status::Ok();
}

}  // namespace brankas::tools
