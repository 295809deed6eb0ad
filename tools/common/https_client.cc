#include "https_client.h"

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <chrono>
#include <optional>

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
    stream_.emplace(ioc_, tls_);
    beast::error_code ec;
    if (!SSL_set_tlsext_host_name(stream_->native_handle(), host_.c_str())) {
      return Unavailable("cannot set the TLS server name");
    }
    stream_->set_verify_callback(ssl::host_name_verification(host_));
    tcp::resolver resolver(ioc_);
    auto endpoints = resolver.resolve(host_, port_, ec);
    if (ec) return Unavailable("cannot resolve " + host_ + ": " + ec.message());
    auto& lowest = beast::get_lowest_layer(*stream_);
    lowest.expires_after(std::chrono::milliseconds(options_.timeout_ms));
    lowest.connect(endpoints, ec);
    if (ec) return Unavailable("cannot connect to " + options_.url + ": " + ec.message());
    stream_->handshake(ssl::stream_base::client, ec);
    if (ec) return Unavailable("TLS handshake with " + options_.url + " failed: " + ec.message());
    return Status::Ok();
  }

  Result<ClientResponse> Once(std::string_view method, std::string_view target, std::string_view body,
                              std::string_view token) {
    http::request<http::string_body> req;
    req.method(http::string_to_verb(method));
    req.method_string(method);
    req.target(target);
    req.version(11);
    req.set(http::field::host, host_);
    req.set(http::field::user_agent, "brankas");
    if (!token.empty()) req.set(http::field::authorization, std::string("Bearer ") + std::string(token));
    if (!body.empty()) req.set(http::field::content_type, "application/json");
    req.body() = std::string(body);
    req.keep_alive(true);
    req.prepare_payload();
    auto& lowest = beast::get_lowest_layer(*stream_);
    lowest.expires_after(std::chrono::milliseconds(options_.timeout_ms));
    beast::error_code ec;
    http::write(*stream_, req, ec);
    if (!req.body().empty()) std::fill(req.body().begin(), req.body().end(), '\0');
    if (ec) return Unavailable("sending to " + options_.url + " failed: " + ec.message());
    http::response_parser<http::string_body> parser;
    parser.body_limit(64ull << 20);
    http::read(*stream_, buffer_, parser, ec);
    if (ec) return Unavailable("reading from " + options_.url + " failed: " + ec.message());
    auto res = parser.release();
    ClientResponse out;
    out.status = static_cast<int>(res.result_int());
    out.body = std::move(res.body());
    out.content_type = std::string(res[http::field::content_type]);
    out.request_id = std::string(res["X-Request-Id"]);
    if (!res.keep_alive()) stream_.reset();
    return out;
  }

  Result<ClientResponse> Request(std::string_view method, std::string_view target, std::string_view body,
                                 std::string_view token) {
    const bool reused = stream_.has_value();
    if (!reused) BRANKAS_RETURN_IF_ERROR(Open());
    auto r = Once(method, target, body, token);
    if (r.ok() || !reused) return r;
    // The kept-alive connection may have been closed by the server's idle timer.
    // Retrying is safe only when nothing can have been applied: the request
    // was refused at the transport. A non-idempotent method is not retried.
    if (method != "GET") return r;
    buffer_.clear();
    BRANKAS_RETURN_IF_ERROR(Open());
    return Once(method, target, body, token);
  }

 private:
  ClientOptions options_;
  std::string host_, port_;
  net::io_context ioc_;
  ssl::context tls_;
  std::optional<beast::ssl_stream<beast::tcp_stream>> stream_;
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

}  // namespace brankas::tools
