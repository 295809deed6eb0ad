#include "https_client.h"

#include <boost/asio.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <algorithm>
#include <chrono>
#include <limits>
#include <optional>
#include <vector>

#include "brankas/tls_stream.h"

namespace brankas::tools {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;

Status ParseHttpsUrl(std::string_view url, std::string* host, std::string* port) {
  constexpr std::string_view kScheme = "https://";
  if (url.substr(0, kScheme.size()) != kScheme) return InvalidArgument("the server URL must start with https://");
  std::string_view rest = url.substr(kScheme.size());
  while (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  size_t colon = rest.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == rest.size()) {
    *host = std::string(rest);
    *port = "443";
  } else {
    *host = std::string(rest.substr(0, colon));
    *port = std::string(rest.substr(colon + 1));
  }
  if (host->empty() || host->find('/') != std::string::npos) return InvalidArgument("cannot read a host in the server URL");
  return Status::Ok();
}

class HttpsClient::Impl {
 public:
  explicit Impl(ClientOptions o) : options_(std::move(o)), tls_(ssl::context::tls_client) {}

  Status Init() {
    BRANKAS_RETURN_IF_ERROR(ParseHttpsUrl(options_.url, &host_, &port_));
    SSL_CTX_set_min_proto_version(tls_.native_handle(), TLS1_3_VERSION);
    tls_.set_verify_mode(ssl::verify_peer);
    beast::error_code ec;
    if (options_.ca_file.empty()) {
      tls_.set_default_verify_paths(ec);
    } else {
      tls_.load_verify_file(options_.ca_file, ec);
    }
    if (ec) return InvalidArgument("cannot load the CA file " + options_.ca_file);
    return Status::Ok();
  }

  Status Open() {
    stream_.reset();
    buffer_.clear();
    stream_.emplace(ioc_.get_executor(), tls_);
    beast::error_code ec;
    if (!SSL_set_tlsext_host_name(stream_->native_handle(), host_.c_str())) {
      return Unavailable("cannot set the TLS server name");
    }
    stream_->set_verify_callback(ssl::host_name_verification(host_));
    tcp::resolver resolver(ioc_);
    auto endpoints = resolver.resolve(host_, port_, ec);
    if (ec) return Unavailable("cannot resolve " + host_ + ": " + ec.message());
    auto& lowest = stream_->tcp();
    ec = Step([&](auto handler) { lowest.async_connect(endpoints, std::move(handler)); });
    if (ec) return Unavailable("cannot connect to " + options_.url + ": " + ec.message());
    ec = Step([&](auto handler) { stream_->AsyncHandshake(ssl::stream_base::client, std::move(handler)); });
    if (ec) return Unavailable("TLS handshake with " + options_.url + " failed: " + ec.message());
    return Status::Ok();
  }

  // The request line and the headers every request carries.
  template <class Body>
  void StartRequest(http::request<Body>& req, std::string_view method, std::string_view target,
                    std::string_view token) const {
    req.method(http::string_to_verb(method));
    req.method_string(method);
    req.target(target);
    req.version(11);
    req.set(http::field::host, host_);
    req.set(http::field::user_agent, "brankas");
    if (!token.empty()) req.set(http::field::authorization, std::string("Bearer ") + std::string(token));
  }

  // One request on the open connection. *timed_out: the server did not take
  // or answer it within the deadline (it may have acted on it).
  Result<ClientResponse> Once(std::string_view method, std::string_view target, std::string_view body,
                              std::string_view token, bool* timed_out) {
    http::request<http::string_body> req;
    StartRequest(req, method, target, token);
    if (!body.empty()) req.set(http::field::content_type, "application/json");
    req.body() = std::string(body);
    req.keep_alive(true);
    req.prepare_payload();
    // Asynchronous steps: beast::tcp_stream applies its deadline to those only,
    // so a server that accepts the request and never answers costs one
    // timeout, not a hung command.
    beast::error_code ec = Step([&](auto handler) { http::async_write(*stream_, req, std::move(handler)); });
    if (!req.body().empty()) std::fill(req.body().begin(), req.body().end(), '\0');
    if (ec) {
      Drop();
      *timed_out = ec == beast::error::timeout;
      return Unavailable("sending to " + options_.url + " failed: " + ec.message());
    }
    http::response_parser<http::string_body> parser;
    parser.body_limit(64ull << 20);
    ec = Step([&](auto handler) { http::async_read(*stream_, buffer_, parser, std::move(handler)); });
    if (ec) {
      Drop();
      if (ec == beast::error::timeout) {
        *timed_out = true;
        return Unavailable("the server at " + options_.url + " did not answer within " +
                           std::to_string(options_.timeout_ms) + " ms");
      }
      return Unavailable("reading from " + options_.url + " failed: " + ec.message());
    }
    return TakeResponse(parser);
  }

  // --- Streaming -------------------------------------------------------------

  Result<ClientResponse> Upload(std::string_view method, std::string_view target, std::string_view token,
                                uint64_t content_length, std::string_view content_type, const UploadSource& source) {
    BRANKAS_RETURN_IF_ERROR(Open());
    http::request<http::buffer_body> req;
    StartRequest(req, method, target, token);
    req.set(http::field::content_type, content_type);
    req.content_length(content_length);
    req.keep_alive(true);
    req.body().data = nullptr;
    req.body().more = true;
    http::request_serializer<http::buffer_body> serializer(req);
    beast::error_code ec = Step([&](auto handler) {
      http::async_write_header(*stream_, serializer, std::move(handler));
    });
    if (ec) return AnswerAfterFailedWrite(ec);

    std::vector<char> buffer(kStreamBufferBytes);
    uint64_t left = content_length;
    do {
      size_t n = 0;
      if (left > 0) {
        auto got = source(buffer.data(), static_cast<size_t>(std::min<uint64_t>(buffer.size(), left)));
        if (!got.ok()) {
          Drop();
          return got.status();
        }
        n = *got;
        if (n == 0 || n > left) {
          Drop();
          return InvalidArgument("the body ended after " + std::to_string(content_length - left) + " of " +
                                 std::to_string(content_length) + " bytes");
        }
        left -= n;
      }
      req.body().data = n > 0 ? buffer.data() : nullptr;
      req.body().size = n;
      req.body().more = left > 0;
      ec = Step([&](auto handler) { http::async_write(*stream_, serializer, std::move(handler)); });
      if (ec == http::error::need_buffer) ec = {};
      if (ec) return AnswerAfterFailedWrite(ec);
    } while (left > 0);
    if (!serializer.is_done()) {
      Drop();
      return Internal("the request was not completely written");
    }

    http::response_parser<http::string_body> parser;
    parser.body_limit(kMaxErrorBodyBytes);
    ec = Step([&](auto handler) { http::async_read(*stream_, buffer_, parser, std::move(handler)); },
              std::max(options_.timeout_ms, options_.upload_answer_timeout_ms));
    if (ec) {
      Drop();
      return Unavailable("reading from " + options_.url + " failed: " + ec.message());
    }
    return TakeResponse(parser);
  }

  Result<DownloadResponse> PostForDownload(std::string_view target, std::string_view token, const DownloadSink& sink) {
    Drop();
    BRANKAS_RETURN_IF_ERROR(Open());
    bool answered = false;
    return DownloadOnce(http::verb::post, target, token, sink, &answered);
  }

  Result<DownloadResponse> Download(std::string_view target, std::string_view token, const DownloadSink& sink) {
    const bool reused = stream_.has_value();
    if (!reused) BRANKAS_RETURN_IF_ERROR(Open());
    bool answered = false;
    auto r = DownloadOnce(http::verb::get, target, token, sink, &answered);
    if (r.ok() || !reused || answered) return r;
    // As in Request: a GET refused at the transport by a kept-alive connection
    // the server closed is safe to send once more on a new one.
    BRANKAS_RETURN_IF_ERROR(Open());
    return DownloadOnce(http::verb::get, target, token, sink, &answered);
  }

  Result<ClientResponse> Request(std::string_view method, std::string_view target, std::string_view body,
                                 std::string_view token) {
    const bool reused = stream_.has_value();
    if (!reused) BRANKAS_RETURN_IF_ERROR(Open());
    bool timed_out = false;
    auto r = Once(method, target, body, token, &timed_out);
    if (r.ok() || !reused || timed_out) return r;
    // The kept-alive connection may have been closed by the server's idle timer.
    // Retrying is safe only when nothing can have been applied: the request
    // was refused at the transport. A non-idempotent method is not retried,
    // nor one the server did not answer in time (it is slow, not gone).
    if (method != "GET") return r;
    BRANKAS_RETURN_IF_ERROR(Open());
    return Once(method, target, body, token, &timed_out);
  }

 private:
  // Runs one asynchronous step on the stream to its end, under the deadline
  // (beast::tcp_stream enforces its timer on asynchronous operations only).
  // Every step's completion has this one type, so each Beast operation is
  // compiled once (see brankas/tls_stream.h).
  struct StepDone {
    beast::error_code* result;
    template <class... Rest>
    void operator()(beast::error_code ec, Rest&&...) const {
      *result = ec;
    }
  };

  template <class Initiate>
  beast::error_code Step(Initiate&& initiate, std::optional<int64_t> timeout_ms = std::nullopt) {
    beast::error_code result = net::error::operation_aborted;
    stream_->tcp().expires_after(std::chrono::milliseconds(timeout_ms.value_or(options_.timeout_ms)));
    initiate(StepDone{&result});
    ioc_.restart();
    ioc_.run();
    return result;
  }

  void Drop() {
    stream_.reset();
    buffer_.clear();
  }

  Result<ClientResponse> TakeResponse(http::response_parser<http::string_body>& parser) {
    auto res = parser.release();
    ClientResponse out;
    out.status = static_cast<int>(res.result_int());
    out.body = std::move(res.body());
    out.content_type = std::string(res[http::field::content_type]);
    out.request_id = std::string(res["X-Request-Id"]);
    if (!res.keep_alive()) Drop();
    return out;
  }

  // Writing the body failed: the server may have answered early (a refusal of
  // the header, a size limit) and closed. Its answer, when still readable, is
  // what the caller needs; else the write error.
  Result<ClientResponse> AnswerAfterFailedWrite(beast::error_code write_error) {
    Result<ClientResponse> failed = Unavailable("sending to " + options_.url + " failed: " + write_error.message());
    if (!stream_) return failed;
    http::response_parser<http::string_body> parser;
    parser.body_limit(kMaxErrorBodyBytes);
    beast::error_code ec = Step([&](auto handler) { http::async_read(*stream_, buffer_, parser, std::move(handler)); },
                                std::min<int64_t>(options_.timeout_ms, 5'000));
    if (ec) {
      Drop();
      return failed;
    }
    auto out = TakeResponse(parser);
    Drop();
    return out;
  }

  Result<DownloadResponse> DownloadOnce(http::verb method, std::string_view target, std::string_view token,
                                        const DownloadSink& sink, bool* answered) {
    http::request<http::empty_body> req;
    StartRequest(req, http::to_string(method), target, token);
    req.keep_alive(true);
    req.prepare_payload();
    beast::error_code ec = Step([&](auto handler) { http::async_write(*stream_, req, std::move(handler)); });
    if (ec) {
      Drop();
      return Unavailable("sending to " + options_.url + " failed: " + ec.message());
    }
    http::response_parser<http::buffer_body> parser;
    parser.body_limit(std::numeric_limits<uint64_t>::max());
    ec = Step([&](auto handler) { http::async_read_header(*stream_, buffer_, parser, std::move(handler)); });
    if (ec) {
      Drop();
      return Unavailable("reading from " + options_.url + " failed: " + ec.message());
    }
    *answered = true;
    const auto& head = parser.get();
    DownloadResponse out;
    out.status = static_cast<int>(head.result_int());
    if (auto length = parser.content_length()) out.content_length = *length;
    out.content_type = std::string(head[http::field::content_type]);
    out.request_id = std::string(head["X-Request-Id"]);
    out.sha256 = std::string(head["X-Brankas-Sha256"]);
    const bool success = out.status >= 200 && out.status < 300;
    const bool keep_alive = head.keep_alive();

    std::vector<char> buffer(kStreamBufferBytes);
    while (!parser.is_done()) {
      parser.get().body().data = buffer.data();
      parser.get().body().size = buffer.size();
      // Until the buffer is full (need_buffer) or the body ends: one step and
      // one sink call per MiB, not per TLS record. The deadline applies to
      // filling one buffer.
      ec = Step([&](auto handler) { http::async_read(*stream_, buffer_, parser, std::move(handler)); });
      if (ec == http::error::need_buffer) ec = {};
      const size_t n = buffer.size() - parser.get().body().size;
      if (n > 0 && success) {
        if (Status s = sink(buffer.data(), n); !s.ok()) {
          Drop();
          return s;
        }
        out.body_bytes += n;
      } else if (n > 0) {
        out.body.append(buffer.data(), std::min(n, kMaxErrorBodyBytes - out.body.size()));
        if (out.body.size() >= kMaxErrorBodyBytes) {
          Drop();  // enough of an error answer; the rest is not read
          return out;
        }
      }
      if (ec) {
        Drop();
        if (!success) return Unavailable("reading from " + options_.url + " failed: " + ec.message());
        std::string progress = std::to_string(out.body_bytes) +
                               (out.content_length ? " of " + std::to_string(*out.content_length) : "") + " bytes";
        if (ec == beast::error::timeout) {
          return Unavailable("the server sent nothing for " + std::to_string(options_.timeout_ms / 1000) +
                             " s after " + progress);
        }
        return Corruption("the connection ended after " + progress + " (" + ec.message() + ")");
      }
    }
    if (!keep_alive) Drop();
    return out;
  }

  ClientOptions options_;
  std::string host_, port_;
  net::io_context ioc_;
  ssl::context tls_;
  std::optional<transport::TlsStream> stream_;
  beast::flat_buffer buffer_;
};

Result<std::unique_ptr<HttpsClient>> HttpsClient::Connect(const ClientOptions& options) {
  auto impl = std::make_unique<Impl>(options);
  BRANKAS_RETURN_IF_ERROR(impl->Init());
  return std::unique_ptr<HttpsClient>(new HttpsClient(std::move(impl)));
}

HttpsClient::HttpsClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpsClient::~HttpsClient() = default;

Result<ClientResponse> HttpsClient::Request(std::string_view method, std::string_view target, std::string_view body,
                                            std::string_view token) {
  return impl_->Request(method, target, body, token);
}

Result<ClientResponse> HttpsClient::Upload(std::string_view method, std::string_view target, std::string_view token,
                                           uint64_t content_length, std::string_view content_type,
                                           const UploadSource& source) {
  return impl_->Upload(method, target, token, content_length, content_type, source);
}

Result<DownloadResponse> HttpsClient::Download(std::string_view target, std::string_view token,
                                               const DownloadSink& sink) {
  return impl_->Download(target, token, sink);
}

Result<DownloadResponse> HttpsClient::PostForDownload(std::string_view target, std::string_view token,
                                                      const DownloadSink& sink) {
  return impl_->PostForDownload(target, token, sink);
}

}  // namespace brankas::tools
