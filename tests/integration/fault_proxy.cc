#include "integration/fault_proxy.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <deque>
#include <exception>
#include <future>
#include <mutex>
#include <thread>
#include <unordered_set>
#include <utility>
#include <vector>

#include <boost/asio.hpp>

namespace brankas::testing {

namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using boost::system::error_code;
using Clock = std::chrono::steady_clock;

constexpr size_t kBufferCap = 64 * 1024;  // bytes held per direction of a connection
constexpr size_t kReadSize = 16 * 1024;   // at most this much per read
// A blackholed writer sleeps this long unless a fault change wakes it first.
constexpr auto kForever = std::chrono::hours(1);
// After a truncation the receiving side got its FIN; its socket is then read
// and discarded (so that closing it cannot reset unread data away) for at
// most this long.
constexpr auto kDrainTimeout = std::chrono::seconds(2);
// With a bandwidth cap, each write carries at most 1/50 s worth of bytes.
constexpr uint64_t kBandwidthSlicesPerSecond = 50;

constexpr int kUp = 0;    // client -> server
constexpr int kDown = 1;  // server -> client

struct OneShot {
  bool armed = false;
  uint64_t remaining = 0;
};

struct Faults {
  std::chrono::milliseconds delay{0};
  bool blackhole = false;
  bool refuse = false;
  uint64_t bandwidth = 0;
  OneShot truncate[2];
  OneShot corrupt[2];
};

int Dir(bool upstream) { return upstream ? kUp : kDown; }

}  // namespace

class FaultProxy::Impl {
 public:
  class Session;

  Impl() : acceptor_(io_), work_(asio::make_work_guard(io_)), accept_retry_(io_) {}
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;
  ~Impl() { Stop(); }

  bool Init(const std::string& host, uint16_t port);
  void Stop();
  void CutAll();
  // Wakes every waiting writer so that it re-reads the faults.
  void Kick();

  template <class F>
  void Update(F&& f) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      f(faults_);
    }
    Kick();
  }

  uint16_t port() const { return port_; }

  std::atomic<uint64_t> accepted_{0};
  std::atomic<uint64_t> bytes_[2] = {0, 0};

 private:
  void Accept();
  // Runs `f` on the I/O thread and waits for it.
  template <class F>
  void RunOnIo(F&& f);

  std::mutex mu_;
  Faults faults_;  // guarded by mu_

  // Declared before every I/O object so that it is destroyed after them.
  asio::io_context io_;
  tcp::acceptor acceptor_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  asio::steady_timer accept_retry_;
  std::vector<tcp::endpoint> targets_;
  uint16_t port_ = 0;

  // I/O thread only.
  std::unordered_set<std::shared_ptr<Session>> sessions_;
  Clock::time_point next_send_[2];  // bandwidth pacing, per direction
  bool stopped_ = false;

  std::thread thread_;
};

// One proxied connection: a client socket, a server socket and two
// directions, each a bounded queue of chunks with one read and one write in
// flight at most.
class FaultProxy::Impl::Session : public std::enable_shared_from_this<Session> {
 public:
  Session(Impl* proxy, tcp::socket client)
      : proxy_(proxy),
        client_(std::move(client)),
        server_(proxy->io_),
        dirs_{Direction(proxy->io_), Direction(proxy->io_)},
        drain_timer_(proxy->io_) {}

  void Begin() {
    asio::async_connect(server_, proxy_->targets_,
                        [self = shared_from_this()](const error_code& ec, const tcp::endpoint&) {
                          self->OnConnect(ec);
                        });
  }

  void Kick() {
    for (Direction& dir : dirs_) {
      if (dir.waiting) dir.timer.cancel();
    }
  }

  // Closes both sockets (with a reset if `reset`) and forgets the session.
  void Close(bool reset) {
    if (state_ == State::kClosed) return;
    state_ = State::kClosed;
    error_code ignored;
    for (tcp::socket* s : {&client_, &server_}) {
      if (!s->is_open()) continue;
      if (reset) s->set_option(asio::socket_base::linger(true, 0), ignored);
      s->close(ignored);
    }
    for (Direction& dir : dirs_) dir.timer.cancel();
    drain_timer_.cancel();
    proxy_->sessions_.erase(shared_from_this());
  }

 private:
  enum class State { kConnecting, kOpen, kDraining, kClosed };

  struct Chunk {
    std::vector<char> data;
    size_t off = 0;
    Clock::time_point arrival;
  };

  struct Direction {
    explicit Direction(asio::io_context& io) : timer(io) {}
    std::deque<Chunk> queue;
    size_t queued = 0;  // unwritten bytes in queue
    bool reading = false;
    bool writing = false;
    bool waiting = false;
    bool eof = false;   // the source sent FIN
    bool shut = false;  // FIN passed on to the destination
    asio::steady_timer timer;
    std::array<char, kReadSize> scratch;
  };

  tcp::socket& From(int d) { return d == kUp ? client_ : server_; }
  tcp::socket& To(int d) { return d == kUp ? server_ : client_; }

  void OnConnect(const error_code& ec) {
    if (state_ != State::kConnecting) return;
    if (ec) {  // target unreachable: the client sees its connection closed
      Close(false);
      return;
    }
    error_code ignored;
    client_.set_option(tcp::no_delay(true), ignored);
    server_.set_option(tcp::no_delay(true), ignored);
    state_ = State::kOpen;
    Pump(kUp);
    Pump(kDown);
  }

  void Pump(int d) {
    if (state_ != State::kOpen) return;
    Direction& dir = dirs_[d];
    if (!dir.reading && !dir.eof && dir.queued < kBufferCap) StartRead(d);
    if (!dir.writing && !dir.waiting) StepWrite(d);
  }

  void StartRead(int d) {
    Direction& dir = dirs_[d];
    dir.reading = true;
    size_t n = std::min(kReadSize, kBufferCap - dir.queued);
    From(d).async_read_some(asio::buffer(dir.scratch.data(), n),
                            [self = shared_from_this(), d](const error_code& ec, size_t got) {
                              self->OnRead(d, ec, got);
                            });
  }

  void OnRead(int d, const error_code& ec, size_t n) {
    Direction& dir = dirs_[d];
    dir.reading = false;
    if (state_ != State::kOpen) return;
    if (n > 0) {
      Chunk c;
      c.data.assign(dir.scratch.data(), dir.scratch.data() + n);
      c.arrival = Clock::now();
      dir.queue.push_back(std::move(c));
      dir.queued += n;
    }
    if (ec) {
      if (ec != asio::error::eof) {
        Close(true);  // a reset or error on one side resets the other
        return;
      }
      dir.eof = true;
    }
    Pump(d);
  }

  // Decides, under the fault lock, what the writer of direction d does next.
  void StepWrite(int d) {
    enum class Act { kNone, kWait, kShut, kWrite };
    Direction& dir = dirs_[d];
    Clock::time_point now = Clock::now();
    Act act = Act::kNone;
    Clock::time_point until;
    size_t len = 0;
    bool close_after = false;
    {
      std::lock_guard<std::mutex> lock(proxy_->mu_);
      Faults& f = proxy_->faults_;
      bool has_work = !dir.queue.empty() || (dir.eof && !dir.shut);
      if (!has_work) {
        act = Act::kNone;
      } else if (f.blackhole) {
        act = Act::kWait;
        until = now + kForever;
      } else if (dir.queue.empty()) {
        act = Act::kShut;
      } else {
        Chunk& c = dir.queue.front();
        Clock::time_point due = c.arrival + f.delay;
        Clock::time_point& next_send = proxy_->next_send_[d];
        if (now < due) {
          act = Act::kWait;
          until = due;
        } else if (f.bandwidth > 0 && now < next_send) {
          act = Act::kWait;
          until = next_send;
        } else {
          act = Act::kWrite;
          len = c.data.size() - c.off;
          if (f.bandwidth > 0) {
            uint64_t slice =
                std::clamp<uint64_t>(f.bandwidth / kBandwidthSlicesPerSecond, 1, kBufferCap);
            len = std::min<size_t>(len, slice);
          }
          OneShot& t = f.truncate[d];
          if (t.armed) {
            if (t.remaining <= len) {
              len = static_cast<size_t>(t.remaining);
              close_after = true;
              t.armed = false;
            } else {
              t.remaining -= len;
            }
          }
          OneShot& k = f.corrupt[d];
          if (k.armed && len > 0) {
            if (k.remaining < len) {
              c.data[c.off + static_cast<size_t>(k.remaining)] ^= static_cast<char>(0xFF);
              k.armed = false;
            } else {
              k.remaining -= len;
            }
          }
          if (f.bandwidth > 0 && len > 0) {
            next_send = std::max(now, next_send) +
                        std::chrono::nanoseconds(len * uint64_t{1000000000} / f.bandwidth);
          }
        }
      }
    }

    switch (act) {
      case Act::kNone:
        return;
      case Act::kWait:
        dir.waiting = true;
        dir.timer.expires_at(until);
        dir.timer.async_wait([self = shared_from_this(), d](const error_code&) {
          self->dirs_[d].waiting = false;
          self->Pump(d);
        });
        return;
      case Act::kShut: {
        error_code ignored;
        To(d).shutdown(tcp::socket::shutdown_send, ignored);
        dir.shut = true;
        if (dirs_[kUp].shut && dirs_[kDown].shut) Close(false);
        return;
      }
      case Act::kWrite:
        if (len == 0) {  // truncation at this very point
          Truncate(d);
          return;
        }
        dir.writing = true;
        Chunk& c = dir.queue.front();
        asio::async_write(To(d), asio::buffer(c.data.data() + c.off, len),
                          [self = shared_from_this(), d, close_after](const error_code& ec,
                                                                      size_t n) {
                            self->OnWrite(d, ec, n, close_after);
                          });
        return;
    }
  }

  void OnWrite(int d, const error_code& ec, size_t n, bool close_after) {
    Direction& dir = dirs_[d];
    dir.writing = false;
    if (state_ != State::kOpen) return;
    if (ec) {
      Close(true);
      return;
    }
    proxy_->bytes_[d] += n;
    Chunk& c = dir.queue.front();
    c.off += n;
    dir.queued -= n;
    if (c.off == c.data.size()) dir.queue.pop_front();
    if (close_after) {
      Truncate(d);
      return;
    }
    Pump(d);
  }

  // Ends the connection after a truncation of direction d: the destination
  // gets a FIN right after the bytes written so far, the source is closed.
  void Truncate(int d) {
    state_ = State::kDraining;
    for (Direction& dir : dirs_) dir.timer.cancel();
    error_code ignored;
    From(d).close(ignored);
    tcp::socket& dest = To(d);
    dest.shutdown(tcp::socket::shutdown_send, ignored);
    dest.cancel(ignored);  // the other direction's read; Drain takes over
    drain_timer_.expires_after(kDrainTimeout);
    drain_timer_.async_wait([self = shared_from_this()](const error_code&) {
      if (self->state_ == State::kDraining) self->Close(false);
    });
    Drain(d);
  }

  void Drain(int d) {
    To(d).async_read_some(asio::buffer(drain_buf_),
                          [self = shared_from_this(), d](const error_code& ec, size_t) {
                            if (self->state_ != State::kDraining) return;
                            if (ec) {
                              self->Close(false);
                              return;
                            }
                            self->Drain(d);
                          });
  }

  Impl* proxy_;
  tcp::socket client_;
  tcp::socket server_;
  Direction dirs_[2];
  asio::steady_timer drain_timer_;
  std::array<char, 4096> drain_buf_;
  State state_ = State::kConnecting;
};

bool FaultProxy::Impl::Init(const std::string& host, uint16_t port) {
  error_code ec;
  tcp::resolver resolver(io_);
  auto results = resolver.resolve(host, std::to_string(port),
                                  asio::ip::resolver_base::numeric_service, ec);
  if (ec) return false;
  for (const auto& r : results) targets_.push_back(r.endpoint());
  if (targets_.empty()) return false;

  tcp::endpoint listen_on(asio::ip::address_v4::loopback(), 0);
  acceptor_.open(listen_on.protocol(), ec);
  if (ec) return false;
  acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (ec) return false;
  acceptor_.bind(listen_on, ec);
  if (ec) return false;
  acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return false;
  tcp::endpoint local = acceptor_.local_endpoint(ec);
  if (ec) return false;
  port_ = local.port();

  Accept();
  try {
    thread_ = std::thread([this] {
      for (;;) {
        try {
          io_.run();
          return;
        } catch (...) {
          // A handler threw (e.g. bad_alloc): keep serving.
        }
      }
    });
  } catch (const std::exception&) {
    return false;
  }
  return true;
}

void FaultProxy::Impl::Accept() {
  acceptor_.async_accept([this](const error_code& ec, tcp::socket socket) {
    if (stopped_) return;
    if (ec) {
      if (ec == asio::error::operation_aborted) return;
      // E.g. out of descriptors: try again shortly instead of spinning.
      accept_retry_.expires_after(std::chrono::milliseconds(10));
      accept_retry_.async_wait([this](const error_code& e) {
        if (!e && !stopped_) Accept();
      });
      return;
    }
    ++accepted_;
    bool refuse;
    {
      std::lock_guard<std::mutex> lock(mu_);
      refuse = faults_.refuse;
    }
    if (refuse) {
      error_code ignored;
      socket.close(ignored);
    } else {
      auto session = std::make_shared<Session>(this, std::move(socket));
      sessions_.insert(session);
      session->Begin();
    }
    Accept();
  });
}

template <class F>
void FaultProxy::Impl::RunOnIo(F&& f) {
  if (!thread_.joinable() || io_.get_executor().running_in_this_thread()) {
    f();
    return;
  }
  std::promise<void> done;
  std::future<void> finished = done.get_future();
  asio::post(io_, [&f, &done] {
    f();
    done.set_value();
  });
  finished.wait();
}

void FaultProxy::Impl::Kick() {
  asio::post(io_, [this] {
    for (const auto& s : sessions_) s->Kick();
  });
}

void FaultProxy::Impl::CutAll() {
  RunOnIo([this] {
    auto all = sessions_;
    for (const auto& s : all) s->Close(true);
  });
}

void FaultProxy::Impl::Stop() {
  if (!thread_.joinable()) return;
  RunOnIo([this] {
    stopped_ = true;
    error_code ignored;
    acceptor_.close(ignored);
    accept_retry_.cancel();
    auto all = sessions_;
    for (const auto& s : all) s->Close(false);
  });
  work_.reset();
  io_.stop();  // handlers still pending are destroyed with io_
  thread_.join();
}

// --- FaultProxy ---

std::unique_ptr<FaultProxy> FaultProxy::Start(const std::string& target_host,
                                              uint16_t target_port) {
  try {
    auto impl = std::make_unique<Impl>();
    if (!impl->Init(target_host, target_port)) return nullptr;
    return std::unique_ptr<FaultProxy>(new FaultProxy(std::move(impl)));
  } catch (const std::exception&) {
    return nullptr;
  }
}

FaultProxy::FaultProxy(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

FaultProxy::~FaultProxy() = default;

uint16_t FaultProxy::port() const { return impl_->port(); }

void FaultProxy::SetDelay(std::chrono::milliseconds d) {
  impl_->Update([d](Faults& f) { f.delay = std::max(d, std::chrono::milliseconds(0)); });
}

void FaultProxy::SetBlackhole(bool on) {
  impl_->Update([on](Faults& f) { f.blackhole = on; });
}

void FaultProxy::RefuseNew(bool on) {
  impl_->Update([on](Faults& f) { f.refuse = on; });
}

void FaultProxy::CutAll() { impl_->CutAll(); }

void FaultProxy::TruncateNextAfter(uint64_t after_bytes, bool upstream) {
  impl_->Update([=](Faults& f) { f.truncate[Dir(upstream)] = OneShot{true, after_bytes}; });
}

void FaultProxy::CorruptNextAfter(uint64_t after_bytes, bool upstream) {
  impl_->Update([=](Faults& f) { f.corrupt[Dir(upstream)] = OneShot{true, after_bytes}; });
}

void FaultProxy::Clear() {
  impl_->Update([](Faults& f) { f = Faults{}; });
}

void FaultProxy::SetBandwidth(uint64_t bytes_per_s) {
  impl_->Update([bytes_per_s](Faults& f) { f.bandwidth = bytes_per_s; });
}

uint64_t FaultProxy::connections_accepted() const { return impl_->accepted_.load(); }
uint64_t FaultProxy::bytes_upstream() const { return impl_->bytes_[kUp].load(); }
uint64_t FaultProxy::bytes_downstream() const { return impl_->bytes_[kDown].load(); }

}  // namespace brankas::testing
