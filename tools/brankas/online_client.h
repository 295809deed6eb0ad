// What every online verb of `brankas` shares: where the server is, who is
// calling, one HTTPS call with its error reporting, and small helpers for
// building requests and printing answers.
//
// Resolution, for every online verb:
//   server  --server URL, else $BRANKAS_SERVER, else the login cache
//   CA file --ca FILE, else $BRANKAS_CA, else the login cache's (when the cache
//           is for that same server), else the system's trusted roots
//   token   $BRANKAS_TOKEN, else the login cache's, used only for the server it
//           was issued by (a token is never sent to another server)
//
// Output: human text by default; with --json the server's JSON answer exactly
// as received (one object on one line). Errors go to stderr as
// "brankas VERB: CODE: MESSAGE (request id ID)"; with --json the server's
// error object is also printed on stdout.
//
// Exit codes (offline_commands.h): 0 ok; 1 the server refused (any 4xx or
// 5xx answer, or no valid login); 2 usage, I/O, or the server cannot be reached;
// 3 verification found tampering.
//
// Not thread-safe: one Connection per command.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "brankas/status.h"
#include "https_client.h"

namespace brankas::tools {

using Json = nlohmann::json;

// The options every online verb takes.
struct CommonArgs {
  std::string server;  // --server
  std::string ca;      // --ca
  bool json = false;   // --json
};
void AddCommonOptions(CLI::App* verb, CommonArgs* args);

enum class Auth { kToken, kNone };

// One HTTP answer.
struct Reply {
  int http_status = 0;
  std::string body;   // exactly as received
  Json json;          // the body parsed, or a discarded value when it is not JSON
  std::string request_id;
};

class Connection {
 public:
  // Resolves the server, CA and (for Auth::kToken) the token. On a problem it
  // prints "brankas COMMAND: ..." on stderr and sets *exit_code (2 for a
  // missing server or bad CA file, 1 for a missing or expired login).
  static std::unique_ptr<Connection> Open(std::string command, const CommonArgs& args, Auth auth,
                                          int* exit_code);
  ~Connection();

  // One request. 0 for a 2xx answer (in *reply); otherwise the problem is
  // printed and the exit code returned: 1 for a 4xx/5xx answer, 2 when the
  // server cannot be reached. `body`, when not empty, is sent as JSON.
  int Call(std::string_view method, const std::string& target, std::string_view body, Reply* reply);
  // As Call, but a non-2xx answer that carries a JSON object is handed back
  // in *reply (not printed) with exit code 1; used where such an answer is
  // itself a result (health: 503 "sealed").
  int CallAllowingErrors(std::string_view method, const std::string& target, Reply* reply);

  // A streamed request body (HttpsClient::Upload, on a new connection) with a
  // JSON answer; the answer and exit codes as Call. An error of `source` is
  // printed and is exit 2 (as every I/O problem).
  int Upload(std::string_view method, const std::string& target, uint64_t content_length,
             std::string_view content_type, const UploadSource& source, Reply* reply);
  // A streamed answer (HttpsClient::Download): 0 when a 2xx body went whole to
  // `sink` (its headers in *answer); 1 for a 4xx/5xx answer (reported as
  // Call does); 2 when the server cannot be reached, a step times out, or
  // `sink` failed; 3 when the connection ended before the whole body arrived.
  // Problems are printed; `what` names the body in those messages. `post`:
  // a POST without a body (HttpsClient::PostForDownload) instead of a GET.
  int Download(const std::string& target, const std::string& what, const DownloadSink& sink,
               DownloadResponse* answer, bool post = false);

  // --json: prints reply.body and returns 0.
  int PrintRaw(const Reply& reply) const;
  // Prints "brankas COMMAND: message" on stderr; returns `code`.
  int Fail(int code, const std::string& message) const;
  // Prints a refusal (the server's error code, message and request id) and
  // returns 1. With --json the error object is printed on stdout too.
  int ReportError(const Reply& reply) const;

  bool json() const { return json_; }
  const std::string& server() const { return server_; }
  const std::string& ca() const { return ca_; }
  const std::string& command() const { return command_; }
  bool token_from_cache() const { return token_from_cache_; }

 private:
  Connection() = default;

  std::string command_;
  std::string server_, ca_, token_;
  bool token_from_cache_ = false;
  bool json_ = false;
  std::unique_ptr<HttpsClient> client_;
};

// --- Building requests -------------------------------------------------------

// `s` as a JSON string literal, quotes included. Writes into *out so that a
// caller holding a secret can wipe the one buffer it ends up in.
void AppendJsonString(std::string* out, std::string_view s);
// `j` as a request body; kInvalidArgument when a string in it is not UTF-8.
Result<std::string> DumpJson(const Json& j);
// Percent-encoding of a query parameter value.
std::string UrlEncode(std::string_view s);
// "?a=1&b=x" from the pairs whose value is not empty (or "").
std::string QueryString(const std::vector<std::pair<std::string, std::string>>& params);
// True if `id` can be one path segment: 1-128 of [A-Za-z0-9._-], not "." or "..".
bool IsPathSegment(std::string_view id);
// "a,b" -> {"a", "b"} (empty items dropped).
std::vector<std::string> SplitList(std::string_view text);
// NAME=VALUE pairs and a JSON file of string values into one object; a name
// given twice is kInvalidArgument.
Result<Json> CollectFields(const std::vector<std::string>& pairs, const std::string& fields_file);

// --- Secrets -----------------------------------------------------------------

// The first line of `file` (mode 0600 enforced), else a prompt without echo on
// the terminal; `twice` asks again and compares. `what` names the secret in
// prompts ("Password for rina"), `file_flag` the option to use when there is
// no terminal.
Result<std::string> ObtainSecret(const std::string& file, const std::string& what,
                                 const std::string& file_flag, bool twice);

// --- Printing ----------------------------------------------------------------

// "2024-05-01 10:00:00Z" of unix seconds (UTC).
std::string FormatUnixTime(int64_t seconds);
// `s` safe for a terminal: control characters (escape sequences a hostile
// value could carry) become '?'; newlines too unless `keep_newlines`.
std::string Printable(std::string_view s, bool keep_newlines = false);
// The member `key` of `j` as printable text: strings as they are, numbers and
// booleans written out, "" when absent or null.
std::string Text(const Json& j, const char* key);
// "a, b, c" of a JSON array of strings, or "-".
std::string JoinArray(const Json& array);

}  // namespace brankas::tools
