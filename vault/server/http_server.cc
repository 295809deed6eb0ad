// ApiServer: Beast over Asio, TLS 1.3. One strand per connection on the I/O
// threads; the vault calls run on a separate worker pool because they block
// until their commit group is durable.
//
// Time limits per connection (HttpLimits): the TLS handshake; the wait for the
// first byte of a request (idle); first byte to last byte of the request
// (request — a slow-loris client is cut here); writing the answer.
#include <spdlog/spdlog.h>

#include <atomic>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <chrono>
#include <list>
#include <mutex>
#include <thread>

#include "brankas/server.h"
#include "brankas/vault.h"
#include "server/api.h"
#include "server/metrics.h"
#include "server/tls.h"

namespace brankas {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;
using SteadyClock = std::chrono::steady_clock;

class Connection;

class ApiServer::Impl {
 public:
  Impl(Vault* vault, const ServerOptions& options)
      : options_(options),
        api_(vault, options.limits, &metrics_, options.metrics_local_only, options.replication_status),
        ioc_(options.io_threads),
        acceptor_(ioc_),
        workers_(static_cast<size_t>(options.workers)) {
    metrics_.SetReplicationSource(options.replication_status);
  }

  ~Impl() { Stop(); }

  Status Listen();
  void Stop();
  uint16_t port() const { return port_; }

  // Shared with sessions.
  const ServerOptions& options() const { return options_; }
  server::Api& api() { return api_; }
  server::Metrics& metrics() { return metrics_; }
  ssl::context& tls() { return *tls_; }
  net::thread_pool& workers() { return workers_; }
  bool stopping() const { return stopping_.load(std::memory_order_acquire); }
  void RequestStarted() { in_flight_.fetch_add(1, std::memory_order_acq_rel); }
  void RequestFinished() { in_flight_.fetch_sub(1, std::memory_order_acq_rel); }

 private:
  void Accept();

  ServerOptions options_;
  server::Metrics metrics_;  // outlives every session (declared before ioc_)
  server::Api api_;
  std::unique_ptr<ssl::context> tls_;
  net::io_context ioc_;
  tcp::acceptor acceptor_;
  net::thread_pool workers_;
  std::vector<std::thread> io_threads_;
  std::atomic<bool> stopping_{false};
  std::atomic<int64_t> in_flight_{0};
  std::mutex stop_mu_;
  bool stopped_ = false;
  uint16_t port_ = 0;
};

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(ApiServer::Impl* server, tcp::socket socket)
      : server_(server), stream_(std::move(socket), server->tls()) {
    beast::error_code ec;
    tcp::endpoint remote = beast::get_lowest_layer(stream_).socket().remote_endpoint(ec);
    if (!ec) {
      client_ = remote.address().to_string() + ":" + std::to_string(remote.port());
      loopback_ = remote.address().is_loopback();
    }
    server_->metrics().ConnectionOpened();
  }
  ~Connection() { server_->metrics().ConnectionClosed(); }

  void Run() {
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->Handshake(); });
  }

 private:
  const HttpLimits& limits() const { return server_->options().limits; }
  beast::tcp_stream& tcp() { return beast::get_lowest_layer(stream_); }

  void Handshake() {
    tcp().expires_after(std::chrono::milliseconds(limits().handshake_timeout_ms));
    stream_.async_handshake(ssl::stream_base::server,
                            [self = shared_from_this()](beast::error_code ec) { self->OnHandshake(ec); });
  }

  void OnHandshake(beast::error_code ec) {
    if (ec) {
      // TLS garbage, a plain-HTTP client, a timeout: nothing reached the API.
      server_->metrics().HandshakeFailed();
      spdlog::debug("tls handshake failed client={} reason={}", client_, ec.message());
      return Close();
    }
    WaitForRequest();
  }

  void WaitForRequest() {
    if (server_->stopping()) return Shutdown();
    parser_.emplace();
    parser_->header_limit(static_cast<uint32_t>(limits().max_header_bytes));
    parser_->body_limit(limits().max_body_bytes);
    if (buffer_.size() > 0) return ReadRequest();
    tcp().expires_after(std::chrono::milliseconds(limits().idle_timeout_ms));
    stream_.async_read_some(buffer_.prepare(4096), [self = shared_from_this()](beast::error_code ec, size_t n) {
      self->OnFirstBytes(ec, n);
    });
  }

  void OnFirstBytes(beast::error_code ec, size_t n) {
    if (ec) {
      if (ec == beast::error::timeout) server_->metrics().Timeout();
      return Close();
    }
    buffer_.commit(n);
    ReadRequest();
  }

  void ReadRequest() {
    tcp().expires_after(std::chrono::milliseconds(limits().request_timeout_ms));
    http::async_read(stream_, buffer_, *parser_, [self = shared_from_this()](beast::error_code ec, size_t) {
      self->OnRead(ec);
    });
  }

  void OnRead(beast::error_code ec) {
    started_ = SteadyClock::now();
    if (ec == http::error::end_of_stream || ec == net::error::eof || ec == ssl::error::stream_truncated) {
      return Close();
    }
    if (ec == beast::error::timeout) {
      // Too slow: the socket is already closed, nothing can be answered.
      server_->metrics().Timeout();
      spdlog::info("request timed out client={}", client_);
      return Close();
    }
    if (ec) {
      Status refusal = ec == http::error::header_limit
                           ? TooLarge("request headers are larger than " + std::to_string(limits().max_header_bytes) + " bytes")
                       : ec == http::error::body_limit
                           ? TooLarge("request body is larger than " + std::to_string(limits().max_body_bytes) + " bytes")
                           : InvalidArgument("malformed HTTP request");
      if (ec != http::error::header_limit && ec != http::error::body_limit && !parser_->is_header_done() &&
          buffer_.size() == 0) {
        return Close();  // the connection failed, not the request
      }
      keep_alive_ = false;
      server_->RequestStarted();
      net::post(server_->workers(), [self = shared_from_this(), refusal] {
        server::RequestLog log;
        log.route = "transport";
        server::HttpResponse r = self->server_->api().Refuse(refusal, self->client_, &log);
        self->Deliver(std::move(r), std::move(log));
      });
      return;
    }
    http::request<http::string_body> req = parser_->release();
    keep_alive_ = req.keep_alive();
    server::HttpRequest request;
    request.method = std::string(req.method_string());
    request.target = std::string(req.target());
    request.authorization = std::string(req[http::field::authorization]);
    request.content_type = std::string(req[http::field::content_type]);
    request.body = std::move(req.body());
    request.client = client_;
    request.client_is_loopback = loopback_;
    server_->RequestStarted();
    net::post(server_->workers(), [self = shared_from_this(), request = std::move(request)]() mutable {
      server::RequestLog log;
      server::HttpResponse r = self->server_->api().Handle(request, &log);
      if (!request.body.empty()) WipeBody(request.body);
      self->Deliver(std::move(r), std::move(log));
    });
  }

  static void WipeBody(std::string& body) {
    // Bodies carry passwords and field values; do not leave them in freed heap.
    volatile char* p = body.data();
    for (size_t i = 0; i < body.size(); ++i) p[i] = 0;
  }

  // Called on a worker thread: hand the answer back to this connection's strand.
  void Deliver(server::HttpResponse r, server::RequestLog log) {
    net::post(stream_.get_executor(), [self = shared_from_this(), r = std::move(r), log = std::move(log)]() mutable {
      self->Write(std::move(r), std::move(log));
    });
  }

  void Write(server::HttpResponse r, server::RequestLog log) {
    if (server_->stopping()) keep_alive_ = false;
    res_ = {};
    res_.version(11);
    res_.result(static_cast<unsigned>(r.status));
    res_.set(http::field::content_type, r.content_type);
    res_.set(http::field::cache_control, "no-store");
    res_.set("X-Content-Type-Options", "nosniff");
    for (auto& [name, value] : r.headers) res_.set(name, value);
    res_.body() = std::move(r.body);
    res_.keep_alive(keep_alive_);
    res_.prepare_payload();
    log_ = std::move(log);
    status_ = r.status;
    tcp().expires_after(std::chrono::milliseconds(limits().write_timeout_ms));
    http::async_write(stream_, res_, [self = shared_from_this()](beast::error_code ec, size_t) { self->OnWrite(ec); });
  }

  void OnWrite(beast::error_code ec) {
    const int64_t us = std::chrono::duration_cast<std::chrono::microseconds>(SteadyClock::now() - started_).count();
    server_->metrics().Request(log_.route, status_, us);
    if (server_->options().access_log) {
      // The route pattern, never the target: a search value may be in the query.
      spdlog::info("request id={} route={} status={} user={} client={} error={} us={}", log_.request_id, log_.route,
                   status_, log_.user, client_, log_.error_code, us);
    }
    res_.body().clear();
    server_->RequestFinished();
    if (ec) return Close();
    if (!keep_alive_) return Shutdown();
    WaitForRequest();
  }

  void Shutdown() {
    tcp().expires_after(std::chrono::seconds(1));
    stream_.async_shutdown([self = shared_from_this()](beast::error_code) { self->Close(); });
  }

  void Close() {
    beast::error_code ignored;
    tcp().socket().shutdown(tcp::socket::shutdown_both, ignored);
    tcp().socket().close(ignored);
  }

  ApiServer::Impl* server_;
  beast::ssl_stream<beast::tcp_stream> stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::string_body> res_;
  server::RequestLog log_;
  int status_ = 0;
  bool keep_alive_ = true;
  std::string client_ = "unknown";
  bool loopback_ = false;
  SteadyClock::time_point started_ = SteadyClock::now();
};

Status ApiServer::Impl::Listen() {
  if (options_.workers < 1 || options_.io_threads < 1) return InvalidArgument("io_threads and workers must be at least 1");
  BRANKAS_ASSIGN_OR_RETURN(tls_, server::MakeServerTlsContext(options_.tls_cert_file, options_.tls_key_file));
  beast::error_code ec;
  net::ip::address address = net::ip::make_address(options_.listen_host, ec);
  if (ec) return InvalidArgument("cannot parse the listen address " + options_.listen_host);
  tcp::endpoint endpoint(address, options_.listen_port);
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    return Unavailable("cannot listen on " + options_.listen_host + ":" + std::to_string(options_.listen_port) + ": " +
                       ec.message());
  }
  port_ = acceptor_.local_endpoint().port();
  Accept();
  for (int i = 0; i < options_.io_threads; ++i) io_threads_.emplace_back([this] { ioc_.run(); });
  return Status::Ok();
}

void ApiServer::Impl::Accept() {
  acceptor_.async_accept(net::make_strand(ioc_), [this](beast::error_code ec, tcp::socket socket) {
    if (ec == net::error::operation_aborted || stopping()) return;
    if (!ec) {
      if (static_cast<size_t>(metrics_.open_connections()) >= options_.limits.max_connections) {
        // Over the limit: closed before any TLS work is spent on it.
        metrics_.ConnectionRefused();
        beast::error_code ignored;
        socket.close(ignored);
      } else {
        std::make_shared<Connection>(this, std::move(socket))->Run();
      }
    }
    Accept();
  });
}

void ApiServer::Impl::Stop() {
  std::lock_guard<std::mutex> lock(stop_mu_);
  if (stopped_) return;
  stopped_ = true;
  stopping_.store(true, std::memory_order_release);
  net::post(ioc_, [this] {
    beast::error_code ignored;
    acceptor_.close(ignored);
  });
  // Drain: requests already read are answered (their responses carry
  // "Connection: close"), bounded by the drain timeout.
  const auto deadline = SteadyClock::now() + std::chrono::milliseconds(options_.drain_timeout_ms);
  while (in_flight_.load(std::memory_order_acquire) > 0 && SteadyClock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ioc_.stop();
  for (std::thread& t : io_threads_) t.join();
  io_threads_.clear();
  workers_.join();
}

Result<std::unique_ptr<ApiServer>> ApiServer::Start(Vault* vault, const ServerOptions& options) {
  auto impl = std::make_unique<Impl>(vault, options);
  BRANKAS_RETURN_IF_ERROR(impl->Listen());
  return std::unique_ptr<ApiServer>(new ApiServer(std::move(impl)));
}

ApiServer::ApiServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ApiServer::~ApiServer() { Stop(); }
uint16_t ApiServer::port() const { return impl_->port(); }
void ApiServer::Stop() { impl_->Stop(); }

}  // namespace brankas
