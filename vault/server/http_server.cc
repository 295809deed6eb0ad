// ApiServer: Beast over Asio, TLS 1.3. One strand per connection on the I/O
// threads; the vault calls run on a separate worker pool because they block
// until their commit group is durable.
//
// Time limits per connection (HttpLimits): the TLS handshake; the wait for the
// first byte of a request (idle); first byte to last byte of the request
// (request — a slow-loris client is cut here); writing the answer.
#include <spdlog/spdlog.h>

#include <array>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <list>
#include <mutex>
#include <thread>

#include "brankas/server.h"
#include "brankas/tls_stream.h"
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
        api_(vault, options.limits, &metrics_, options.metrics_local_only, options.replication_status,
             options.anomaly),
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
    tcp::endpoint remote = stream_.tcp().socket().remote_endpoint(ec);
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
  beast::tcp_stream& tcp() { return stream_.tcp(); }

  void Handshake() {
    tcp().expires_after(std::chrono::milliseconds(limits().handshake_timeout_ms));
    stream_.AsyncHandshake(ssl::stream_base::server,
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
    header_parser_.emplace();
    header_parser_->header_limit(static_cast<uint32_t>(limits().max_header_bytes));
    // The body's limit depends on the route: set once the headers are read.
    header_parser_->body_limit(boost::none);
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
    // One deadline from the first byte to the last of an ordinary request.
    tcp().expires_after(std::chrono::milliseconds(limits().request_timeout_ms));
    http::async_read_header(stream_, buffer_, *header_parser_, [self = shared_from_this()](beast::error_code ec, size_t) {
      self->OnHeader(ec);
    });
  }

  // A failed read of a request: answered (too large, malformed) or closed.
  void OnReadFailed(beast::error_code ec, bool header_done) {
    if (ec == http::error::end_of_stream || ec == net::error::eof || ec == ssl::error::stream_truncated) {
      return Close();
    }
    if (ec == beast::error::timeout) {
      // Too slow: the socket is already closed, nothing can be answered.
      server_->metrics().Timeout();
      spdlog::info("request timed out client={}", client_);
      return Close();
    }
    const bool too_large = ec == http::error::header_limit || ec == http::error::body_limit;
    if (!too_large && !header_done && buffer_.size() == 0) return Close();  // the connection failed, not the request
    Refuse(ec == http::error::header_limit
               ? TooLarge("request headers are larger than " + std::to_string(limits().max_header_bytes) + " bytes")
           : ec == http::error::body_limit
               ? TooLarge("request body is larger than " + std::to_string(limits().max_body_bytes) + " bytes")
               : InvalidArgument("malformed HTTP request"));
  }

  // Answers a request the transport refuses, then closes the connection.
  void Refuse(Status refusal, std::string route = "transport") {
    keep_alive_ = false;
    server_->RequestStarted();
    net::post(server_->workers(), [self = shared_from_this(), refusal, route = std::move(route)] {
      server::RequestLog log;
      log.route = route;
      server::HttpResponse r = self->server_->api().Refuse(refusal, self->client_, &log);
      self->Deliver(std::move(r), std::move(log));
    });
  }

  server::HttpRequest RequestOf(const http::request_header<>& h) const {
    server::HttpRequest request;
    request.method = std::string(h.method_string());
    request.target = std::string(h.target());
    request.authorization = std::string(h[http::field::authorization]);
    request.content_type = std::string(h[http::field::content_type]);
    request.client = client_;
    request.client_is_loopback = loopback_;
    return request;
  }

  void OnHeader(beast::error_code ec) {
    started_ = SteadyClock::now();
    if (ec) return OnReadFailed(ec, header_parser_->is_header_done());
    const auto& h = header_parser_->get();
    keep_alive_ = h.keep_alive();
    if (server::Api::IsStreamedUpload(h.method_string(), h.target())) return StartUpload();
    if (header_parser_->content_length() && *header_parser_->content_length() > limits().max_body_bytes) {
      return OnReadFailed(http::error::body_limit, true);
    }
    parser_.emplace(std::move(*header_parser_));
    header_parser_.reset();
    parser_->body_limit(limits().max_body_bytes);
    if (parser_->is_done()) return OnRead({});
    http::async_read(stream_, buffer_, *parser_, [self = shared_from_this()](beast::error_code ec, size_t) {
      self->OnRead(ec);
    });
  }

  void OnRead(beast::error_code ec) {
    if (ec) return OnReadFailed(ec, true);
    http::request<http::string_body> req = parser_->release();
    keep_alive_ = req.keep_alive();
    server::HttpRequest request = RequestOf(req.base());
    request.body = std::move(req.body());
    server_->RequestStarted();
    net::post(server_->workers(), [self = shared_from_this(), request = std::move(request)]() mutable {
      server::RequestLog log;
      server::Api::Streams streams;
      server::HttpResponse r = self->server_->api().Handle(request, &log, &streams);
      if (!request.body.empty()) WipeBody(request.body);
      if (streams.body) {
        std::shared_ptr<ByteStream> reader = std::move(streams.body);
        net::post(self->stream_.get_executor(), [self, r = std::move(r), log = std::move(log), reader]() mutable {
          self->StartDownload(std::move(r), std::move(log), std::move(reader));
        });
        return;
      }
      self->Deliver(std::move(r), std::move(log));
    });
  }

  // ---- Streamed upload of an attachment -------------------------------------
  //
  // The body is read into one of two chunk buffers while a worker seals and
  // stores the other: memory is two chunks whatever the size. Every read must
  // progress within request_timeout_ms. A client that sends
  // "Expect: 100-continue" learns of a refusal before it sends the body.

  void StartUpload() {
    const auto& h = header_parser_->get();
    server::HttpRequest request = RequestOf(h);
    const bool expect_continue = beast::iequals(h[http::field::expect], "100-continue");
    if (header_parser_->content_length() && *header_parser_->content_length() > limits().max_evidence_bytes) {
      return Refuse(TooLarge("the attachment is larger than " + std::to_string(limits().max_evidence_bytes) + " bytes"),
                    "cases.evidence_add");
    }
    upload_parser_.emplace(std::move(*header_parser_));
    header_parser_.reset();
    upload_parser_->body_limit(limits().max_evidence_bytes);
    server_->RequestStarted();
    net::post(server_->workers(), [self = shared_from_this(), request = std::move(request), expect_continue] {
      server::RequestLog log;
      server::Api::Streams streams;
      server::HttpResponse r = self->server_->api().Handle(request, &log, &streams);
      std::shared_ptr<EvidenceUpload> upload = std::move(streams.upload);
      net::post(self->stream_.get_executor(), [self, r = std::move(r), log = std::move(log), upload,
                                               expect_continue]() mutable {
        if (!upload) {
          // Refused before the body: answered, and the unread body ends the connection.
          self->keep_alive_ = false;
          return self->Write(std::move(r), std::move(log));
        }
        self->upload_ = std::move(upload);
        self->log_ = std::move(log);
        self->worker_log_ = self->log_;
        self->upload_failed_ = false;
        for (auto& b : self->chunk_) b.resize(kEvidenceChunkBytes);
        if (!expect_continue) return self->ReadUploadBody();
        self->continue_.emplace(http::status::continue_, 11);
        self->tcp().expires_after(std::chrono::milliseconds(self->limits().write_timeout_ms));
        http::async_write(self->stream_, *self->continue_, [self](beast::error_code ec, size_t) {
          self->continue_.reset();
          if (ec) return self->UploadBroken(Unavailable("the client went away"));
          self->ReadUploadBody();
        });
      });
    });
  }

  void ReadUploadBody() {
    if (upload_failed_) return;
    if (upload_parser_->is_done()) return HandOffChunk();
    auto& body = upload_parser_->get().body();
    body.data = chunk_[filling_].data() + filled_;
    body.size = kEvidenceChunkBytes - filled_;
    tcp().expires_after(std::chrono::milliseconds(limits().request_timeout_ms));
    http::async_read_some(stream_, buffer_, *upload_parser_, [self = shared_from_this()](beast::error_code ec, size_t) {
      self->OnUploadRead(ec);
    });
  }

  void OnUploadRead(beast::error_code ec) {
    if (upload_failed_) return;
    if (ec == http::error::need_buffer) ec = {};
    if (ec) {
      if (ec == http::error::body_limit) {
        return UploadRefused(TooLarge("the attachment is larger than " + std::to_string(limits().max_evidence_bytes) +
                                      " bytes"));
      }
      if (ec == beast::error::timeout) server_->metrics().Timeout();
      return UploadBroken(Unavailable("the upload stopped before its last byte"));
    }
    filled_ = kEvidenceChunkBytes - upload_parser_->get().body().size;
    if (upload_parser_->is_done() || filled_ == kEvidenceChunkBytes) return HandOffChunk();
    ReadUploadBody();
  }

  // Gives the filled buffer to a worker (or waits for the worker to finish the
  // previous one) and goes on reading into the other.
  void HandOffChunk() {
    if (appending_) {
      waiting_for_worker_ = true;
      return;
    }
    const int index = filling_;
    const size_t n = filled_;
    const bool last = upload_parser_->is_done();
    filling_ ^= 1;
    filled_ = 0;
    appending_ = true;
    net::post(server_->workers(), [self = shared_from_this(), upload = upload_, index, n, last] {
      Status st = upload->Append(std::string_view(self->chunk_[index].data(), n));
      std::optional<server::HttpResponse> answer;
      if (!st.ok()) {
        answer = self->server_->api().UploadFailed(st, &self->worker_log_);
      } else if (last) {
        answer = self->server_->api().FinishUpload(*upload, &self->worker_log_);
      }
      net::post(self->stream_.get_executor(), [self, st, answer = std::move(answer)]() mutable {
        self->OnAppended(st, std::move(answer));
      });
    });
    if (!last) ReadUploadBody();
  }

  void OnAppended(const Status& st, std::optional<server::HttpResponse> answer) {
    appending_ = false;
    if (upload_failed_) return;
    if (answer) {
      // Finished (201) or refused by the vault, which audited it.
      if (!st.ok()) {
        upload_failed_ = true;
        keep_alive_ = false;
      }
      upload_.reset();
      upload_parser_.reset();
      ClearChunks();
      log_.error_code = worker_log_.error_code;
      return Write(std::move(*answer), std::move(log_));
    }
    if (waiting_for_worker_) {
      waiting_for_worker_ = false;
      HandOffChunk();
    }
  }

  // The transport refuses the upload (too large): answered, then closed.
  void UploadRefused(const Status& why) {
    upload_failed_ = true;
    keep_alive_ = false;
    log_.error_code = server::Api::ApiCode(why.code());
    ReleaseUpload(why);
    Write(server::Api::Error(why, log_.request_id), std::move(log_));
  }

  // The connection broke mid-upload: nothing can be answered.
  void UploadBroken(const Status& why) {
    upload_failed_ = true;
    spdlog::info("upload interrupted id={} client={}", log_.request_id, client_);
    ReleaseUpload(why);
    server_->metrics().Request(log_.route, 499, 0);
    server_->RequestFinished();
    Close();
  }

  // Aborting deletes chunks and audits: a worker's job, not the I/O thread's.
  void ReleaseUpload(const Status& why) {
    if (!upload_) return;
    net::post(server_->workers(), [upload = std::move(upload_), why, self = shared_from_this()] {
      // Waits for an Append in flight: the worker that runs it holds its own reference.
      upload->Abort(why);
    });
    upload_.reset();
  }

  void ClearChunks() {
    for (auto& b : chunk_) {
      b.clear();
      b.shrink_to_fit();
    }
    filling_ = 0;
    filled_ = 0;
  }

  // ---- Streamed download of an attachment -----------------------------------
  //
  // A worker opens the next chunk while this strand writes the previous one.
  // If a chunk does not verify, the connection is closed before the declared
  // Content-Length is reached: the client sees a truncated body, never a
  // complete-looking wrong one (the reader withholds the last piece until the
  // whole file's SHA-256 matched).

  void StartDownload(server::HttpResponse r, server::RequestLog log, std::shared_ptr<ByteStream> reader) {
    if (server_->stopping()) keep_alive_ = false;
    log_ = std::move(log);
    status_ = r.status;
    reader_ = std::move(reader);
    download_res_.emplace();
    auto& res = *download_res_;
    res.version(11);
    res.result(static_cast<unsigned>(r.status));
    res.set(http::field::content_type, r.content_type);
    res.set(http::field::cache_control, "no-store");
    res.set("X-Content-Type-Options", "nosniff");
    res.set("X-Request-Id", log_.request_id);
    for (auto& [name, value] : r.headers) res.set(name, value);
    res.content_length(reader_->size());
    res.keep_alive(keep_alive_);
    res.body().data = nullptr;
    res.body().more = true;
    download_sr_.emplace(res);
    for (auto& b : chunk_) b.reserve(kEvidenceChunkBytes);
    writing_ = 2;  // the header (neither chunk buffer)
    tcp().expires_after(std::chrono::milliseconds(limits().write_timeout_ms));
    http::async_write_header(stream_, *download_sr_, [self = shared_from_this()](beast::error_code ec, size_t) {
      self->OnDownloadWritten(ec);
    });
    PumpDownload();
  }

  void PumpDownload() {
    if (download_failed_) return;
    if (writing_ < 0 && ready_ >= 0) {
      writing_ = ready_;
      ready_ = -1;
      slice_offset_ = 0;
      WriteSlice();
    }
    if (!fetching_ && !download_eof_ && ready_ < 0) {
      const int index = writing_ == 0 ? 1 : 0;
      fetching_ = true;
      net::post(server_->workers(), [self = shared_from_this(), reader = reader_, index] {
        auto more = reader->Next(&self->chunk_[index]);
        net::post(self->stream_.get_executor(), [self, index, more = std::move(more)] {
          self->OnFetched(index, more);
        });
      });
    }
  }

  void OnFetched(int index, const Result<bool>& more) {
    fetching_ = false;
    if (download_failed_) return;
    if (!more.ok()) {
      // Audited by the vault; the request id leads to it.
      spdlog::error("evidence stream failed id={} error={}", log_.request_id, CodeName(more.status().code()));
      return DownloadFailed();
    }
    if (!*more) {
      download_eof_ = true;
      if (writing_ < 0) FinishDownload();
      return;
    }
    ready_ = index;
    PumpDownload();
  }

  // Writes the next slice of the chunk being sent. Each slice has its own
  // deadline (write_timeout_ms), so a client on a slow link is cut off only
  // when it stalls, not for taking longer than that over a whole chunk.
  void WriteSlice() {
    std::string& chunk = chunk_[writing_];
    const size_t n = std::min(kDownloadSlice, chunk.size() - slice_offset_);
    auto& body = download_res_->body();
    body.data = chunk.data() + slice_offset_;
    body.size = n;
    body.more = true;
    slice_offset_ += n;
    tcp().expires_after(std::chrono::milliseconds(limits().write_timeout_ms));
    http::async_write(stream_, *download_sr_, [self = shared_from_this()](beast::error_code ec, size_t) {
      self->OnDownloadWritten(ec);
    });
  }

  void OnDownloadWritten(beast::error_code ec) {
    if (ec == http::error::need_buffer) ec = {};
    if (download_failed_) return;
    if (ec) return DownloadFailed();
    if ((writing_ == 0 || writing_ == 1) && slice_offset_ < chunk_[writing_].size()) return WriteSlice();
    writing_ = -1;
    if (download_eof_ && ready_ < 0) return FinishDownload();
    PumpDownload();
  }

  void FinishDownload() {
    auto& body = download_res_->body();
    body.data = nullptr;
    body.size = 0;
    body.more = false;
    writing_ = 2;
    tcp().expires_after(std::chrono::milliseconds(limits().write_timeout_ms));
    http::async_write(stream_, *download_sr_, [self = shared_from_this()](beast::error_code ec, size_t) {
      self->download_sr_.reset();
      self->download_res_.reset();
      self->reader_.reset();
      self->writing_ = -1;
      self->download_eof_ = false;
      self->ClearChunks();
      self->OnWrite(ec);
    });
  }

  void DownloadFailed() {
    download_failed_ = true;
    server_->metrics().Request(log_.route, 500, 0);
    server_->RequestFinished();
    Close();
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
    stream_.AsyncShutdown([self = shared_from_this()](beast::error_code) { self->Close(); });
  }

  void Close() {
    beast::error_code ignored;
    tcp().socket().shutdown(tcp::socket::shutdown_both, ignored);
    tcp().socket().close(ignored);
  }

  ApiServer::Impl* server_;
  transport::TlsStream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::empty_body>> header_parser_;
  std::optional<http::request_parser<http::string_body>> parser_;
  // Attachments: two chunk buffers, shared by an upload and a download (a
  // connection does one request at a time). Workers touch a buffer only
  // while this strand does not.
  std::array<std::string, 2> chunk_;
  std::optional<http::request_parser<http::buffer_body>> upload_parser_;
  std::optional<http::response<http::empty_body>> continue_;
  std::shared_ptr<EvidenceUpload> upload_;
  server::RequestLog worker_log_;  // the upload's answer, written by the worker that finishes it
  int filling_ = 0;
  size_t filled_ = 0;
  bool appending_ = false, waiting_for_worker_ = false, upload_failed_ = false;
  std::shared_ptr<ByteStream> reader_;
  std::optional<http::response<http::buffer_body>> download_res_;
  std::optional<http::response_serializer<http::buffer_body>> download_sr_;
  int writing_ = -1, ready_ = -1;
  size_t slice_offset_ = 0;  // of chunk_[writing_] handed to the serializer so far
  static constexpr size_t kDownloadSlice = 64 * 1024;
  bool fetching_ = false, download_eof_ = false, download_failed_ = false;
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
