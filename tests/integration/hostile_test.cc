// Hostile input against a real brankasd --config process with tight limits:
// each answered with the right 4xx and a JSON error, nothing changed, the
// attempt audited, and the server still serving. Also the time and
// connection limits, and a clean drain on SIGTERM.
#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <chrono>
#include <fstream>
#include <thread>

#include "brankas/server.h"
#include "brankas/vault.h"
#include "integration/server_process.h"
#include "testing/source_dir.h"
#include "testing/temp_dir.h"

namespace brankas::testing {
namespace {

using nlohmann::json;
namespace net = boost::asio;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;
using namespace std::chrono_literals;

constexpr char kPassphrase[] = "hostile test passphrase, long enough";
constexpr char kPassword[] = "hostile test password 123";

// A TLS (or plain TCP) connection that sends exactly the bytes a test chooses.
class RawConnection {
 public:
  RawConnection() : tls_(ssl::context::tls_client) { tls_.set_verify_mode(ssl::verify_none); }

  bool Connect(uint16_t port, bool handshake = true) {
    boost::system::error_code ec;
    stream_ = std::make_unique<ssl::stream<tcp::socket>>(ioc_, tls_);
    stream_->next_layer().connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port), ec);
    if (ec) return false;
    SetTimeout(5s);
    if (handshake) stream_->handshake(ssl::stream_base::client, ec);
    return !ec;
  }
  void SetTimeout(std::chrono::milliseconds t) {
    timeval tv{static_cast<time_t>(t.count() / 1000), static_cast<suseconds_t>((t.count() % 1000) * 1000)};
    setsockopt(stream_->next_layer().native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  }
  bool Send(const std::string& bytes) {
    boost::system::error_code ec;
    net::write(*stream_, net::buffer(bytes), ec);
    return !ec;
  }
  bool SendPlain(const std::string& bytes) {
    boost::system::error_code ec;
    net::write(stream_->next_layer(), net::buffer(bytes), ec);
    return !ec;
  }
  // Reads until the peer closes, an error, or the receive timeout.
  std::string ReadAll(bool* closed) {
    std::string out;
    char buf[4096];
    *closed = false;
    for (int i = 0; i < 10000; ++i) {
      boost::system::error_code ec;
      size_t n = stream_->read_some(net::buffer(buf), ec);
      out.append(buf, n);
      if (ec) {
        *closed = ec != net::error::would_block && ec != net::error::try_again;
        break;
      }
    }
    return out;
  }
  // True when the peer closes the connection (after whatever it still sends,
  // e.g. a TLS alert) before the receive timeout.
  bool ClosedByPeer(bool tls = true) {
    char buf[512];
    for (int i = 0; i < 64; ++i) {
      boost::system::error_code ec;
      if (tls) stream_->read_some(net::buffer(buf), ec);
      else stream_->next_layer().read_some(net::buffer(buf), ec);
      if (ec) return ec != net::error::would_block && ec != net::error::try_again;
    }
    return false;
  }

 private:
  net::io_context ioc_;
  ssl::context tls_;
  std::unique_ptr<ssl::stream<tcp::socket>> stream_;
};

Argon2Params Fast() {
  Argon2Params p;
  p.ops_limit = 1;
  p.mem_limit = 8192;
  return p;
}

// A node made in process (init, users, one case), then served by brankasd --config.
class HostileTest : public ::testing::Test {
 protected:
  void StartNode(const std::string& extra_sessions = "") {
    auto options = [&] {
      VaultOptions o;
      o.data_dir = dir_.Sub("data");
      o.schema_path = SourceDir() + "/config/schema.toml";
      o.policy_path = SourceDir() + "/config/policy.toml";
      o.password_argon = Fast();
      return o;
    };
    InitOptions init;
    init.unit = "HST";
    init.passphrase = kPassphrase;
    init.argon = Fast();
    ASSERT_TRUE(Vault::Initialize(options(), init).ok());
    {
      auto v = Vault::Open(options());
      ASSERT_TRUE(v.ok());
      RequestContext root{Principal{"setup", Role::kAdmin, "HST"}, "setup", "test"};
      ASSERT_TRUE((*v)->UnsealWithPassphrase(root, kPassphrase).ok());
      for (auto [name, role] : {std::pair{"wati", Role::kCaseWorker}, {"auditor", Role::kAuditor}, {"admin", Role::kAdmin}}) {
        UserInfo u;
        u.user = name;
        u.role = role;
        ASSERT_TRUE((*v)->CreateUser(root, u, kPassword).ok());
      }
      RequestContext wati{Principal{"wati", Role::kCaseWorker, "HST"}, "setup", "test"};
      auto c = (*v)->CreateCase(wati, {{"name", "Ayu Lestari"}, {"incident_date", "2026-02-02"}});
      ASSERT_TRUE(c.ok());
      case_id_ = c->case_id;
    }
    ASSERT_TRUE(GenerateSelfSignedIdentity(dir_.Sub("cert.pem"), dir_.Sub("key.pem"), "hostile-test").ok());
    {
      std::ofstream pf(dir_.Sub("passphrase"));
      pf << kPassphrase << "\n";
    }
    chmod(dir_.Sub("passphrase").c_str(), 0600);
    std::ofstream cfg(dir_.Sub("unit.toml"));
    cfg << "data_dir = \"data\"\n"
        << "schema = \"" << SourceDir() << "/config/schema.toml\"\n"
        << "policy = \"" << SourceDir() << "/config/policy.toml\"\n"
        << "unseal_passphrase_file = \"passphrase\"\n"
        << "[api]\nlisten = \"127.0.0.1:0\"\ntls_cert = \"cert.pem\"\ntls_key = \"key.pem\"\nworkers = 8\n"
        << "[limits]\nmax_header_bytes = 4096\nmax_body_bytes = 16384\nmax_json_depth = 8\n"
        << "handshake_timeout_ms = 1000\nrequest_timeout_ms = 1500\nidle_timeout_ms = 3000\nmax_connections = 12\n"
        << "[sessions]\nlogin_max_failures = 3\nlockout_seconds = 600\npassword_hash_ops = 1\n"
        << "password_hash_memory_mib = 8\n" << extra_sessions;
    cfg.close();
    ASSERT_TRUE(process_.Spawn({BRANKAS_SERVER_BIN, "--config", dir_.Sub("unit.toml")}, dir_.Sub("brankasd")));
    std::string line = process_.WaitFor("url=https://");
    ASSERT_FALSE(line.empty()) << process_.Logs();
    std::string url = line.substr(line.find("https://"));
    url = url.substr(0, url.find(' '));
    port_ = static_cast<uint16_t>(std::stoi(url.substr(url.rfind(':') + 1)));
    client_ = std::make_unique<ApiClient>(url, dir_.Sub("cert.pem"));
    ASSERT_TRUE(client_->ok());
    token_ = client_->Login("wati", kPassword);
    auditor_ = client_->Login("auditor", kPassword);
    ASSERT_FALSE(token_.empty());
    ASSERT_FALSE(auditor_.empty());
  }

  // The case is unchanged and the server still answers.
  void ExpectUnchangedAndServing() {
    auto health = client_->Call("GET", "/v1/health");
    ASSERT_EQ(health.status, 200) << health.body;
    auto read = client_->Call("GET", "/v1/cases/" + case_id_, nullptr, token_);
    ASSERT_EQ(read.status, 200) << read.body;
    EXPECT_EQ(read.json["version"], 1);
    auto list = client_->Call("GET", "/v1/cases?assigned=me", nullptr, token_);
    ASSERT_EQ(list.status, 200);
    EXPECT_EQ(list.json["cases"].size(), 1u) << "a refused request created a case";
  }

  size_t AuditedRefusals(const std::string& action) {
    auto r = client_->Call("GET", "/v1/audit?action=" + action + "&decision=deny&limit=10000", nullptr, auditor_);
    EXPECT_EQ(r.status, 200) << r.body;
    return r.json["entries"].size();
  }

  TempDir dir_;
  ServerProcess process_;
  std::unique_ptr<ApiClient> client_;
  std::string token_, auditor_, case_id_;
  uint16_t port_ = 0;
};

TEST_F(HostileTest, MalformedBodiesAreRefusedAuditedAndChangeNothing) {
  StartNode();
  const std::vector<std::string> bodies = {
      "{",                                                  // malformed
      "{\"fields\": {\"name\": \"A\"}",                     // truncated
      std::string(200, '[') + std::string(200, ']'),        // deeply nested
      "{\"fields\": {\"name\": \"\xff\xfe bad utf8\"}}",    // invalid UTF-8
      "{\"fields\": {\"name\": 42}}",                       // wrong type
      "{\"fields\": [\"name\"]}",                           // wrong type
      "{\"fields\": {\"name\": \"A B\"}, \"admin\": true}", // unknown key
      "[1,2,3]",                                            // not an object
      "",                                                   // empty
  };
  for (const std::string& body : bodies) {
    auto r = client_->Raw("POST", "/v1/cases", body, token_);
    EXPECT_EQ(r.status, 400) << body.substr(0, 40) << " -> " << r.body;
    EXPECT_EQ(r.error(), "invalid_argument") << r.body;
    EXPECT_FALSE(r.json["error"].value("request_id", "").empty());
  }
  // Unknown fields are refused by the schema (the vault audits those itself).
  auto unknown = client_->Call("POST", "/v1/cases", {{"fields", {{"favourite_colour", "blue"}}}}, token_);
  EXPECT_EQ(unknown.status, 400);
  EXPECT_EQ(AuditedRefusals("api.cases.create"), bodies.size());
  ExpectUnchangedAndServing();
}

TEST_F(HostileTest, HugeBodiesAndHeadersAreTooLarge) {
  StartNode();
  json big = {{"fields", {{"narrative", std::string(20000, 'x')}}}};
  auto body = client_->Call("POST", "/v1/cases", big, token_);
  EXPECT_EQ(body.status, 413) << body.body;
  EXPECT_EQ(body.error(), "too_large");

  RawConnection raw;
  ASSERT_TRUE(raw.Connect(port_));
  raw.Send("GET /v1/health HTTP/1.1\r\nHost: x\r\nX-Junk: " + std::string(8000, 'a') + "\r\n\r\n");
  bool closed = false;
  std::string answer = raw.ReadAll(&closed);
  EXPECT_NE(answer.find("413"), std::string::npos) << answer.substr(0, 200);
  EXPECT_NE(answer.find("too_large"), std::string::npos);
  EXPECT_TRUE(closed);
  // A field too long for the schema (but within the body limit) is the vault's refusal.
  auto field = client_->Call("POST", "/v1/cases", {{"fields", {{"name", std::string(5000, 'N')}}}}, token_);
  EXPECT_GE(field.status, 400);
  EXPECT_LT(field.status, 500);
  EXPECT_GE(AuditedRefusals("api.transport"), 1u);
  ExpectUnchangedAndServing();
}

TEST_F(HostileTest, TraversalAndInjectionInIds) {
  StartNode();
  for (const std::string& target : std::vector<std::string>
       {"/v1/cases/../../etc/passwd", "/v1/cases/%2e%2e%2fetc", "/v1/cases/HST-1'%20OR%20'1'='1",
        "/v1/cases/HST-1;DROP", "/v1/cases/" + std::string(300, 'A'), "/v1/cases/" + case_id_ + "/history/..",
        "/v1/users/..%00/password", "/v1/cases/%00"}) {
    auto r = client_->Raw("GET", target, "", token_);
    EXPECT_TRUE(r.status == 400 || r.status == 404) << target << " -> " << r.status << " " << r.body;
    EXPECT_TRUE(r.error() == "invalid_argument" || r.error() == "not_found") << r.body;
  }
  ExpectUnchangedAndServing();
}

TEST_F(HostileTest, ForgedMalformedAndRevokedTokens) {
  StartNode();
  for (const std::string& forged : {std::string(64, 'a'), std::string("not-a-token"), std::string(3000, 'z'),
                                    token_.substr(0, 63) + (token_.back() == 'a' ? "b" : "a")}) {
    auto r = client_->Call("GET", "/v1/cases", nullptr, forged);
    EXPECT_EQ(r.status, 401) << r.body;
    EXPECT_EQ(r.error(), "unauthenticated");
  }
  std::string extra = client_->Login("wati", kPassword);
  ASSERT_EQ(client_->Call("DELETE", "/v1/sessions", nullptr, extra).status, 200);
  EXPECT_EQ(client_->Call("GET", "/v1/cases", nullptr, extra).status, 401);
  EXPECT_GE(AuditedRefusals("api.cases"), 5u);
  ExpectUnchangedAndServing();
}

TEST_F(HostileTest, ExpiredTokens) {
  StartNode("ttl_seconds = 2\n");
  EXPECT_EQ(client_->Call("GET", "/v1/cases", nullptr, token_).status, 200);
  std::this_thread::sleep_for(3s);
  auto r = client_->Call("GET", "/v1/cases", nullptr, token_);
  EXPECT_EQ(r.status, 401) << r.body;
  EXPECT_EQ(r.error(), "unauthenticated");
}

TEST_F(HostileTest, PasswordGuessingLocksTheAccount) {
  StartNode();
  for (int i = 0; i < 3; ++i) {
    auto r = client_->Call("POST", "/v1/sessions", {{"user", "wati"}, {"password", "guess number " + std::to_string(i)}});
    EXPECT_EQ(r.status, 401) << r.body;
  }
  auto locked = client_->Call("POST", "/v1/sessions", {{"user", "wati"}, {"password", kPassword}});
  EXPECT_EQ(locked.status, 429) << locked.body;
  EXPECT_EQ(locked.error(), "rate_limited");
  auto r = client_->Call("GET", "/v1/audit?action=auth.login&decision=deny&limit=100", nullptr, auditor_);
  ASSERT_EQ(r.status, 200);
  EXPECT_GE(r.json["entries"].size(), 4u);
  EXPECT_EQ(r.body.find("guess number"), std::string::npos);
  ExpectUnchangedAndServing();  // the existing session still works
}

TEST_F(HostileTest, SlowLorisIsCutWhileOthersAreServed) {
  StartNode();
  RawConnection slow;
  ASSERT_TRUE(slow.Connect(port_));
  slow.SetTimeout(200ms);
  const std::string request = "GET /v1/health HTTP/1.1\r\nHost: x\r\nX-Slow: yes\r\n\r\n";
  auto start = std::chrono::steady_clock::now();
  bool cut = false;
  for (size_t i = 0; i < request.size() && std::chrono::steady_clock::now() - start < 10s; ++i) {
    if (!slow.Send(request.substr(i, 1)) || slow.ClosedByPeer()) {
      cut = true;
      break;
    }
    // A well-behaved client is served meanwhile.
    if (i % 3 == 0) {
      ASSERT_EQ(client_->Call("GET", "/v1/health").status, 200);
    }
  }
  auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_TRUE(cut) << "a slow client kept its connection for the whole request";
  EXPECT_LT(elapsed, 5s);
  EXPECT_GE(elapsed, 1s);  // request_timeout_ms = 1500
  ExpectUnchangedAndServing();
}

TEST_F(HostileTest, TlsGarbageAndPlainHttpOnThePort) {
  StartNode();
  for (const std::string& garbage : {std::string("GET /v1/health HTTP/1.1\r\nHost: x\r\n\r\n"),
                                     std::string("\x16\x03\x01\x00\x05hello", 10), std::string(4096, '\xAA')}) {
    RawConnection raw;
    ASSERT_TRUE(raw.Connect(port_, /*handshake=*/false));
    raw.SendPlain(garbage);
    EXPECT_TRUE(raw.ClosedByPeer(/*tls=*/false));
  }
  RawConnection silent;  // connects and never says anything: cut at the handshake timeout
  ASSERT_TRUE(silent.Connect(port_, false));
  EXPECT_TRUE(silent.ClosedByPeer(false));
  ExpectUnchangedAndServing();
  auto metrics = client_->Call("GET", "/v1/metrics");
  EXPECT_NE(metrics.body.find("brankas_tls_handshake_failures_total 4\n"), std::string::npos)
      << metrics.body.substr(metrics.body.find("brankas_tls"), 60);
}

TEST_F(HostileTest, ConnectionLimitAndIdleTimeout) {
  StartNode();
  std::vector<std::unique_ptr<RawConnection>> held;
  for (int i = 0; i < 11; ++i) {  // 12 allowed; the API client holds one
    held.push_back(std::make_unique<RawConnection>());
    ASSERT_TRUE(held.back()->Connect(port_)) << i;
  }
  RawConnection over;
  bool refused = !over.Connect(port_) || over.ClosedByPeer();
  EXPECT_TRUE(refused) << "connection 13 was accepted";
  held.clear();
  std::this_thread::sleep_for(300ms);
  ExpectUnchangedAndServing();
  // An idle keep-alive connection is closed after idle_timeout_ms (3 s).
  RawConnection idle;
  ASSERT_TRUE(idle.Connect(port_));
  idle.SetTimeout(6s);
  auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(idle.ClosedByPeer());
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
}

TEST_F(HostileTest, SigtermDrainsAndLosesNothingAcknowledged) {
  StartNode();
  std::atomic<bool> stop{false};
  std::vector<std::vector<std::string>> acked(4);
  std::vector<std::thread> writers;
  const std::string url = "https://127.0.0.1:" + std::to_string(port_);
  for (int t = 0; t < 4; ++t) {
    writers.emplace_back([&, t] {
      ApiClient c(url, dir_.Sub("cert.pem"));
      for (int i = 0; i < 2000 && !stop; ++i) {
        auto r = c.Call("POST", "/v1/cases", {{"fields", {{"name", "Drain Test " + std::to_string(i)}}}}, token_);
        if (r.status == 201) acked[t].push_back(r.json["case_id"]);
        else if (r.status < 0) break;  // the server is gone
      }
    });
  }
  std::this_thread::sleep_for(1500ms);
  EXPECT_EQ(process_.Stop(), 0) << process_.Logs().substr(0, 2000);
  stop = true;
  for (auto& w : writers) w.join();
  size_t total = 0;
  for (auto& a : acked) total += a.size();
  EXPECT_GT(total, 0u);
  // Every acknowledged case is in the data directory.
  VaultOptions o;
  o.data_dir = dir_.Sub("data");
  o.schema_path = SourceDir() + "/config/schema.toml";
  o.policy_path = SourceDir() + "/config/policy.toml";
  auto v = Vault::Open(std::move(o));
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  RequestContext admin{Principal{"check", Role::kAdmin, "HST"}, "check", "test"};
  ASSERT_TRUE((*v)->UnsealWithPassphrase(admin, kPassphrase).ok());
  RequestContext wati{Principal{"wati", Role::kCaseWorker, "HST"}, "check", "test"};
  for (auto& a : acked) {
    for (const std::string& id : a) EXPECT_TRUE((*v)->ReadCase(wati, id).ok()) << id;
  }
  auto report = (*v)->VerifyAudit(RequestContext{Principal{"aud", Role::kAuditor, "HST"}, "check", "test"});
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->intact);
}

}  // namespace
}  // namespace brankas::testing
