// The fault-injecting TCP proxy against a small echo server on 127.0.0.1.
// Clients are plain non-blocking POSIX sockets driven by poll() with a
// deadline, so that no wait in these tests is unbounded.
#include "integration/fault_proxy.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio.hpp>
#include <gtest/gtest.h>

namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using boost::system::error_code;
using brankas::testing::FaultProxy;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using std::chrono::seconds;

// Polls `pred` every 5 ms until it holds or `timeout` passes.
bool WaitFor(const std::function<bool()>& pred, Clock::duration timeout = seconds(3)) {
  const Clock::time_point deadline = Clock::now() + timeout;
  while (!pred()) {
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(milliseconds(5));
  }
  return true;
}

std::string RandomBytes(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(rng() & 0xFF);
  return s;
}

// A TCP server on 127.0.0.1:0 that echoes everything back (or, as a sink,
// accepts and never reads), counting what each connection received.
class EchoServer {
 public:
  struct Conn {
    explicit Conn(tcp::socket s) : socket(std::move(s)) {}
    tcp::socket socket;
    std::array<char, 16 * 1024> buf;
    std::atomic<uint64_t> received{0};
    std::atomic<bool> closed{false};
  };

  explicit EchoServer(bool echo = true) : echo_(echo), acceptor_(io_) {
    tcp::endpoint ep(asio::ip::address_v4::loopback(), 0);
    acceptor_.open(ep.protocol());
    acceptor_.bind(ep);
    acceptor_.listen();
    port_ = acceptor_.local_endpoint().port();
    Accept();
    thread_ = std::thread([this] { io_.run(); });
  }
  ~EchoServer() {
    io_.stop();
    thread_.join();
  }

  uint16_t port() const { return port_; }

  size_t connection_count() {
    std::lock_guard<std::mutex> lock(mu_);
    return conns_.size();
  }
  std::shared_ptr<Conn> connection(size_t i) {
    std::lock_guard<std::mutex> lock(mu_);
    return i < conns_.size() ? conns_[i] : nullptr;
  }

 private:
  void Accept() {
    acceptor_.async_accept([this](const error_code& ec, tcp::socket s) {
      if (ec) return;
      auto conn = std::make_shared<Conn>(std::move(s));
      {
        std::lock_guard<std::mutex> lock(mu_);
        conns_.push_back(conn);
      }
      if (echo_) Read(conn);
      Accept();
    });
  }

  void Read(std::shared_ptr<Conn> c) {
    c->socket.async_read_some(asio::buffer(c->buf), [this, c](const error_code& ec, size_t n) {
      if (ec) {
        c->closed = true;
        error_code ignored;
        c->socket.close(ignored);
        return;
      }
      c->received += n;
      asio::async_write(c->socket, asio::buffer(c->buf.data(), n),
                        [this, c](const error_code& wec, size_t) {
                          if (wec) {
                            c->closed = true;
                            error_code ignored;
                            c->socket.close(ignored);
                            return;
                          }
                          Read(c);
                        });
    });
  }

  bool echo_;
  asio::io_context io_;
  tcp::acceptor acceptor_;
  uint16_t port_ = 0;
  std::mutex mu_;
  std::vector<std::shared_ptr<Conn>> conns_;
  std::thread thread_;
};

// A connected non-blocking client socket, closed on destruction.
class Client {
 public:
  explicit Client(uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd_ < 0) return;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      ::close(fd_);
      fd_ = -1;
      return;
    }
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    ::fcntl(fd_, F_SETFL, ::fcntl(fd_, F_GETFL) | O_NONBLOCK);
  }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;
  ~Client() {
    if (fd_ >= 0) ::close(fd_);
  }
  bool ok() const { return fd_ >= 0; }
  int fd() const { return fd_; }

  struct Result {
    std::string data;
    bool eof = false;    // orderly close seen
    bool error = false;  // e.g. connection reset
  };

  // Sends all of `out` while reading until `expect` bytes arrived, the peer
  // closed or `timeout` passed.
  Result Exchange(const std::string& out, size_t expect, Clock::duration timeout) {
    Result r;
    size_t sent = 0;
    const Clock::time_point deadline = Clock::now() + timeout;
    std::vector<char> buf(64 * 1024);
    while (sent < out.size() || r.data.size() < expect) {
      Clock::time_point now = Clock::now();
      if (now >= deadline) break;
      auto left = std::chrono::duration_cast<milliseconds>(deadline - now).count();
      pollfd p{fd_, POLLIN, 0};
      if (sent < out.size()) p.events |= POLLOUT;
      int rc = ::poll(&p, 1, static_cast<int>(std::min<long long>(left + 1, 50)));
      if (rc < 0 && errno != EINTR) {
        r.error = true;
        break;
      }
      if (rc <= 0) continue;
      if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
        ssize_t n = ::recv(fd_, buf.data(), buf.size(), 0);
        if (n > 0) {
          r.data.append(buf.data(), static_cast<size_t>(n));
        } else if (n == 0) {
          r.eof = true;
          break;
        } else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
          r.error = true;
          break;
        }
      }
      if ((p.revents & POLLOUT) && sent < out.size()) {
        ssize_t n = ::send(fd_, out.data() + sent, out.size() - sent, MSG_NOSIGNAL);
        if (n > 0) {
          sent += static_cast<size_t>(n);
        } else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
          r.error = true;
          break;
        }
      }
    }
    return r;
  }

  Result Read(size_t expect, Clock::duration timeout) { return Exchange("", expect, timeout); }

 private:
  int fd_ = -1;
};

class FaultProxyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    proxy_ = FaultProxy::Start("127.0.0.1", echo_.port());
    ASSERT_NE(proxy_, nullptr);
    ASSERT_NE(proxy_->port(), 0);
  }

  // One round trip of `data` through the proxy on a fresh connection.
  void ExpectRoundTrip(const std::string& data) {
    Client c(proxy_->port());
    ASSERT_TRUE(c.ok());
    Client::Result r = c.Exchange(data, data.size(), seconds(5));
    ASSERT_EQ(r.data.size(), data.size());
    EXPECT_TRUE(r.data == data);
  }

  EchoServer echo_;
  std::unique_ptr<FaultProxy> proxy_;
};

TEST_F(FaultProxyTest, PassesBytesThroughUnchanged) {
  const std::string data = RandomBytes(300 * 1024, 1);
  Client c(proxy_->port());
  ASSERT_TRUE(c.ok());
  Client::Result r = c.Exchange(data, data.size(), seconds(8));
  ASSERT_EQ(r.data.size(), data.size());
  EXPECT_TRUE(r.data == data);
  EXPECT_FALSE(r.eof);
  EXPECT_FALSE(r.error);
  EXPECT_TRUE(WaitFor([&] { return proxy_->bytes_downstream() == data.size(); }));
  EXPECT_EQ(proxy_->bytes_upstream(), data.size());
  EXPECT_EQ(proxy_->connections_accepted(), 1u);
  ASSERT_EQ(echo_.connection_count(), 1u);
  EXPECT_EQ(echo_.connection(0)->received.load(), data.size());
}

TEST_F(FaultProxyTest, SeveralConnectionsAtOnce) {
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < 4; ++i) {
    clients.push_back(std::make_unique<Client>(proxy_->port()));
    ASSERT_TRUE(clients.back()->ok());
  }
  for (int i = 0; i < 4; ++i) {
    const std::string data = RandomBytes(20 * 1024, 10 + i);
    Client::Result r = clients[i]->Exchange(data, data.size(), seconds(5));
    EXPECT_TRUE(r.data == data) << "connection " << i;
  }
  EXPECT_EQ(proxy_->connections_accepted(), 4u);
}

TEST_F(FaultProxyTest, ClientEofIsPassedOn) {
  Client c(proxy_->port());
  ASSERT_TRUE(c.ok());
  ASSERT_EQ(c.Exchange("abc", 3, seconds(3)).data, "abc");
  ::shutdown(c.fd(), SHUT_WR);
  ASSERT_TRUE(WaitFor([&] { return echo_.connection_count() == 1; }));
  EXPECT_TRUE(WaitFor([&] { return echo_.connection(0)->closed.load(); }));
  Client::Result r = c.Read(1, seconds(3));
  EXPECT_TRUE(r.eof);
  EXPECT_TRUE(r.data.empty());
}

TEST_F(FaultProxyTest, DelayAddsAtLeastTheDelayEachWay) {
  const auto delay = milliseconds(150);
  proxy_->SetDelay(delay);
  Client c(proxy_->port());
  ASSERT_TRUE(c.ok());
  const Clock::time_point start = Clock::now();
  Client::Result r = c.Exchange("ping", 4, seconds(5));
  const Clock::duration rtt = Clock::now() - start;
  EXPECT_EQ(r.data, "ping");
  EXPECT_GE(rtt, 2 * delay);  // once upstream, once downstream
}

TEST_F(FaultProxyTest, CorruptionFlipsExactlyOneByteUpstream) {
  const std::string data = RandomBytes(4096, 2);
  proxy_->CorruptNextAfter(1000);
  Client c(proxy_->port());
  ASSERT_TRUE(c.ok());
  Client::Result r = c.Exchange(data, data.size(), seconds(5));
  ASSERT_EQ(r.data.size(), data.size());
  std::vector<size_t> diffs;
  for (size_t i = 0; i < data.size(); ++i) {
    if (r.data[i] != data[i]) diffs.push_back(i);
  }
  ASSERT_EQ(diffs, std::vector<size_t>{1000});
  EXPECT_EQ(static_cast<char>(data[1000] ^ 0xFF), r.data[1000]);
  // One-shot: what follows is intact.
  const std::string more = RandomBytes(4096, 3);
  Client::Result r2 = c.Exchange(more, more.size(), seconds(5));
  EXPECT_TRUE(r2.data == more);
}

TEST_F(FaultProxyTest, CorruptionFlipsExactlyOneByteDownstream) {
  const std::string data = RandomBytes(2048, 4);
  proxy_->CorruptNextAfter(10, /*upstream=*/false);
  Client c(proxy_->port());
  ASSERT_TRUE(c.ok());
  Client::Result r = c.Exchange(data, data.size(), seconds(5));
  ASSERT_EQ(r.data.size(), data.size());
  for (size_t i = 0; i < data.size(); ++i) {
    if (i == 10) {
      EXPECT_EQ(static_cast<char>(data[i] ^ 0xFF), r.data[i]);
    } else {
      ASSERT_EQ(data[i], r.data[i]) << "at " << i;
    }
  }
}

TEST_F(FaultProxyTest, TruncationUpstreamDeliversExactlyNBytesToTheServer) {
  const std::string data = RandomBytes(4000, 5);
  proxy_->TruncateNextAfter(1500);
  Client c(proxy_->port());
  ASSERT_TRUE(c.ok());
  Client::Result r = c.Exchange(data, data.size(), seconds(3));
  EXPECT_TRUE(r.eof || r.error) << "the client's connection should be closed";
  EXPECT_LE(r.data.size(), 1500u);
  EXPECT_TRUE(r.data == data.substr(0, r.data.size()));
  ASSERT_TRUE(WaitFor([&] { return echo_.connection_count() == 1; }));
  auto conn = echo_.connection(0);
  ASSERT_TRUE(WaitFor([&] { return conn->closed.load(); }));
  EXPECT_EQ(conn->received.load(), 1500u);
  EXPECT_EQ(proxy_->bytes_upstream(), 1500u);
  // The next connection is not truncated.
  ExpectRoundTrip(RandomBytes(4000, 6));
}

TEST_F(FaultProxyTest, TruncationDownstreamDeliversExactlyNBytesToTheClient) {
  const std::string data = RandomBytes(2000, 7);
  proxy_->TruncateNextAfter(700, /*upstream=*/false);
  Client c(proxy_->port());
  ASSERT_TRUE(c.ok());
  Client::Result r = c.Exchange(data, data.size(), seconds(3));
  EXPECT_TRUE(r.eof);
  EXPECT_FALSE(r.error);
  ASSERT_EQ(r.data.size(), 700u);
  EXPECT_TRUE(r.data == data.substr(0, 700));
  ASSERT_TRUE(WaitFor([&] { return echo_.connection_count() == 1; }));
  EXPECT_TRUE(WaitFor([&] { return echo_.connection(0)->closed.load(); }));
}

TEST_F(FaultProxyTest, CutAllClosesOpenConnectionsAndKeepsListening) {
  Client c(proxy_->port());
  ASSERT_TRUE(c.ok());
  ASSERT_EQ(c.Exchange("hello", 5, seconds(3)).data, "hello");
  ASSERT_EQ(echo_.connection_count(), 1u);
  proxy_->CutAll();
  Client::Result r = c.Read(1, seconds(3));
  EXPECT_TRUE(r.eof || r.error);
  EXPECT_TRUE(r.data.empty());
  EXPECT_TRUE(WaitFor([&] { return echo_.connection(0)->closed.load(); }));
  ExpectRoundTrip("again");
  EXPECT_EQ(proxy_->connections_accepted(), 2u);
}

TEST_F(FaultProxyTest, RefuseNewClosesNewConnectionsUntilCleared) {
  proxy_->RefuseNew(true);
  {
    Client c(proxy_->port());
    ASSERT_TRUE(c.ok());
    const Clock::time_point start = Clock::now();
    Client::Result r = c.Read(1, seconds(3));
    EXPECT_TRUE(r.eof);
    EXPECT_TRUE(r.data.empty());
    EXPECT_LT(Clock::now() - start, seconds(2));
  }
  EXPECT_EQ(echo_.connection_count(), 0u);
  EXPECT_EQ(proxy_->connections_accepted(), 1u);
  proxy_->Clear();
  ExpectRoundTrip("service is back");
  EXPECT_EQ(echo_.connection_count(), 1u);
}

TEST_F(FaultProxyTest, BlackholeForwardsNothingUntilCleared) {
  Client c(proxy_->port());
  ASSERT_TRUE(c.ok());
  ASSERT_EQ(c.Exchange("before", 6, seconds(3)).data, "before");
  proxy_->SetBlackhole(true);
  const uint64_t up = proxy_->bytes_upstream();
  Client::Result held = c.Exchange("during the outage", 1, milliseconds(300));
  EXPECT_TRUE(held.data.empty());
  EXPECT_FALSE(held.eof || held.error) << "a blackholed connection stays open";
  EXPECT_EQ(proxy_->bytes_upstream(), up);
  EXPECT_EQ(echo_.connection(0)->received.load(), 6u);
  proxy_->Clear();
  Client::Result r = c.Read(17, seconds(3));
  EXPECT_EQ(r.data, "during the outage");
}

TEST_F(FaultProxyTest, BandwidthCapSlowsTransfer) {
  proxy_->SetBandwidth(200 * 1000);
  const std::string data = RandomBytes(100 * 1000, 8);
  Client c(proxy_->port());
  ASSERT_TRUE(c.ok());
  const Clock::time_point start = Clock::now();
  Client::Result r = c.Exchange(data, data.size(), seconds(8));
  const Clock::duration took = Clock::now() - start;
  ASSERT_EQ(r.data.size(), data.size());
  EXPECT_TRUE(r.data == data);
  EXPECT_GE(took, milliseconds(400));
}

TEST_F(FaultProxyTest, DestructorIsPromptWithABlackholedConnection) {
  Client c(proxy_->port());
  ASSERT_TRUE(c.ok());
  ASSERT_EQ(c.Exchange("x", 1, seconds(3)).data, "x");
  proxy_->SetBlackhole(true);
  c.Exchange(RandomBytes(10000, 9), 0, milliseconds(100));
  const Clock::time_point start = Clock::now();
  proxy_.reset();
  EXPECT_LT(Clock::now() - start, seconds(1));
  Client::Result r = c.Read(1, seconds(3));
  EXPECT_TRUE(r.eof || r.error);
}

TEST(FaultProxyStandaloneTest, UnreachableTargetClosesTheClient) {
  // A port nobody listens on: bind one, then close it.
  uint16_t dead_port;
  {
    asio::io_context io;
    tcp::acceptor a(io, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
    dead_port = a.local_endpoint().port();
  }
  auto proxy = FaultProxy::Start("127.0.0.1", dead_port);
  ASSERT_NE(proxy, nullptr);
  Client c(proxy->port());
  ASSERT_TRUE(c.ok());
  Client::Result r = c.Read(1, seconds(3));
  EXPECT_TRUE(r.eof || r.error);
}

TEST(FaultProxyStandaloneTest, SlowReaderBackpressuresInsteadOfBuffering) {
  EchoServer sink(/*echo=*/false);  // accepts, never reads
  auto proxy = FaultProxy::Start("127.0.0.1", sink.port());
  ASSERT_NE(proxy, nullptr);
  Client c(proxy->port());
  ASSERT_TRUE(c.ok());
  const std::string chunk = RandomBytes(64 * 1024, 11);
  const uint64_t limit = 64ull << 20;  // far more than all socket buffers together
  uint64_t sent = 0;
  bool blocked = false;
  const Clock::time_point deadline = Clock::now() + seconds(6);
  while (sent < limit && Clock::now() < deadline) {
    pollfd p{c.fd(), POLLOUT, 0};
    if (::poll(&p, 1, 300) == 0) {  // 300 ms without room to write: backpressure
      blocked = true;
      break;
    }
    ssize_t n = ::send(c.fd(), chunk.data(), chunk.size(), MSG_NOSIGNAL);
    if (n > 0) sent += static_cast<uint64_t>(n);
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) break;
  }
  EXPECT_TRUE(blocked) << "sent " << sent << " bytes without blocking";
  EXPECT_LT(sent, limit);
  EXPECT_LE(proxy->bytes_upstream(), sent);
}

}  // namespace
