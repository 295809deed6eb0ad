// A real brankasd process for integration tests: started on 127.0.0.1 with an
// ephemeral port, its standard output and error captured in files of the
// test's temporary directory, stopped with SIGTERM (or killed) at the end.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "https_client.h"

extern char** environ;

namespace brankas::testing {

inline std::string ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class ServerProcess {
 public:
  ServerProcess() = default;
  ServerProcess(const ServerProcess&) = delete;
  ~ServerProcess() { Kill(); }

  // Starts `args` (argv[0] is the binary) with output in `log_prefix`.out/.err.
  bool Spawn(const std::vector<std::string>& args, const std::string& log_prefix) {
    out_path_ = log_prefix + ".out";
    err_path_ = log_prefix + ".err";
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, out_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_addopen(&fa, 2, err_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    std::vector<char*> argv;
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    int rc = posix_spawn(&pid_, argv[0], &fa, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    return rc == 0;
  }

  // Waits (bounded) for `needle` in standard output or error; returns the line
  // that holds it, or "" on timeout or if the process exited.
  std::string WaitFor(const std::string& needle, std::chrono::seconds timeout = std::chrono::seconds(60)) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      for (const std::string& path : {out_path_, err_path_}) {
        std::string text = ReadWholeFile(path);
        size_t at = text.find(needle);
        if (at != std::string::npos) {
          size_t start = text.rfind('\n', at);
          start = start == std::string::npos ? 0 : start + 1;
          size_t end = text.find('\n', at);
          return text.substr(start, end == std::string::npos ? std::string::npos : end - start);
        }
      }
      if (!Running()) return "";
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return "";
  }

  bool Running() {
    if (pid_ <= 0) return false;
    int status = 0;
    pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      exit_status_ = status;
      pid_ = -1;
      return false;
    }
    return true;
  }

  // SIGTERM, then waits (bounded); returns the exit code, or -1 if it had to be killed.
  int Stop(std::chrono::seconds timeout = std::chrono::seconds(30)) {
    if (pid_ <= 0) return WIFEXITED(exit_status_) ? WEXITSTATUS(exit_status_) : -1;
    kill(pid_, SIGTERM);
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (!Running()) return WIFEXITED(exit_status_) ? WEXITSTATUS(exit_status_) : -1;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    Kill();
    return -1;
  }

  void Kill() {
    if (pid_ <= 0) return;
    kill(pid_, SIGKILL);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
  }

  pid_t pid() const { return pid_; }
  std::string Logs() const { return ReadWholeFile(out_path_) + ReadWholeFile(err_path_); }

 private:
  pid_t pid_ = -1;
  int exit_status_ = 0;
  std::string out_path_, err_path_;
};

// brankasd --dev in `dir`: url, CA and the demo users of dev-credentials.json.
struct DevServer {
  ServerProcess process;
  std::string url, ca;
  nlohmann::json users;

  bool Start(const std::string& dir, const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = {BRANKAS_SERVER_BIN, "--dev", "--data-dir", dir, "--listen", "127.0.0.1:0"};
    args.insert(args.end(), extra.begin(), extra.end());
    if (!process.Spawn(args, dir + "/brankasd")) return false;
    std::string line = process.WaitFor("ready https://");
    if (line.empty()) return false;
    url = line.substr(line.find("https://"));
    nlohmann::json creds = nlohmann::json::parse(ReadWholeFile(dir + "/dev-credentials.json"));
    ca = creds.at("ca_cert");
    users = creds.at("users");
    return true;
  }
  std::string User(const std::string& role) const { return users.at(role).at("user"); }
  std::string Password(const std::string& role) const { return users.at(role).at("password"); }
};

// An HTTPS client with JSON helpers.
class ApiClient {
 public:
  ApiClient(const std::string& url, const std::string& ca) {
    auto c = tools::HttpsClient::Connect(tools::ClientOptions{url, ca, 30'000});
    if (c.ok()) client_ = std::move(*c);
  }
  bool ok() const { return client_ != nullptr; }

  struct Reply {
    int status = 0;
    nlohmann::json json;
    std::string body;
    std::string error() const {
      return json.is_object() && json.contains("error") ? json["error"].value("code", "") : "";
    }
  };

  Reply Call(const std::string& method, const std::string& target, const nlohmann::json& body = nullptr,
             const std::string& token = "") {
    return Raw(method, target, body.is_null() ? std::string() : body.dump(), token);
  }
  Reply Raw(const std::string& method, const std::string& target, const std::string& body, const std::string& token) {
    Reply r;
    auto res = client_->Request(method, target, body, token);
    if (!res.ok()) {
      r.status = -1;
      r.body = res.status().ToString();
      return r;
    }
    r.status = res->status;
    r.body = res->body;
    r.json = nlohmann::json::parse(r.body, nullptr, false);
    return r;
  }
  // A token, or "" when the login failed.
  std::string Login(const std::string& user, const std::string& password) {
    Reply r = Call("POST", "/v1/sessions", {{"user", user}, {"password", password}});
    return r.status == 201 ? r.json.value("token", "") : "";
  }

 private:
  std::unique_ptr<tools::HttpsClient> client_;
};

}  // namespace brankas::testing
