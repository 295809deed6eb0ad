#include "replication/channel.h"

#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/socket.h>

#include <unistd.h>

#include <array>
#include <boost/asio/connect.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <chrono>

#include "server/tls.h"

namespace brankas::repl {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;
using boost::system::error_code;

Result<std::shared_ptr<ssl::context>> MakeChannelContext(bool server, const std::string& cert_file,
                                                         const std::string& key_file) {
  BRANKAS_ASSIGN_OR_RETURN(auto ctx, server::MakeTlsContext(server ? ssl::context::tls_server : ssl::context::tls_client,
                                                            cert_file, key_file));
  return std::shared_ptr<ssl::context>(std::move(ctx));
}

TlsChannel::TlsChannel(std::shared_ptr<ssl::context> ctx) : ctx_(std::move(ctx)), stream_(ioc_, *ctx_) {}

TlsChannel::~TlsChannel() {
  error_code ec;
  stream_.lowest_layer().close(ec);
}

bool TlsChannel::RunUntil(const bool* done, int64_t timeout_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  ioc_.restart();
  while (!*done && std::chrono::steady_clock::now() < deadline) {
    if (ioc_.run_one_until(deadline) == 0 && ioc_.stopped()) break;
  }
  if (*done) return true;
  // Deadline (or abort): close the socket so the operation completes aborted,
  // then let its handlers run so nothing refers to this frame afterwards.
  error_code ec;
  stream_.lowest_layer().close(ec);
  ioc_.restart();
  ioc_.run();
  broken_ = true;
  return false;
}

void TlsChannel::Abort() {
  asio::post(ioc_, [this] {
    error_code ec;
    stream_.lowest_layer().close(ec);
  });
}

std::string TlsChannel::peer_address() const {
  error_code ec;
  auto ep = stream_.lowest_layer().remote_endpoint(ec);
  if (ec) return "?";
  return ep.address().to_string() + ":" + std::to_string(ep.port());
}

Status TlsChannel::Handshake(bool server, const std::set<std::string>& pins, int64_t timeout_ms) {
  stream_.set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
  stream_.set_verify_callback([this, &pins](bool /*preverified*/, ssl::verify_context& vc) {
    X509_STORE_CTX* store = vc.native_handle();
    if (X509_STORE_CTX_get_error_depth(store) != 0) return true;  // only the leaf's key matters
    seen_pin_ = server::PinOfCertificate(X509_STORE_CTX_get_current_cert(store));
    return pins.count(seen_pin_) != 0;
  });
  bool done = false;
  error_code result;
  stream_.async_handshake(server ? ssl::stream_base::server : ssl::stream_base::client, [&](const error_code& ec) {
    result = ec;
    done = true;
  });
  if (!RunUntil(&done, timeout_ms)) return Unavailable("TLS handshake timed out");
  if (result) {
    broken_ = true;
    if (!seen_pin_.empty() && pins.count(seen_pin_) == 0) {
      return PermissionDenied("the peer's key " + seen_pin_.substr(0, 19) + "... is not pinned");
    }
    return Unavailable("TLS handshake failed");
  }
  X509* cert = SSL_get1_peer_certificate(stream_.native_handle());
  peer_pin_ = server::PinOfCertificate(cert);
  X509_free(cert);
  if (pins.count(peer_pin_) == 0) {
    broken_ = true;
    return PermissionDenied("the peer's key is not pinned");
  }
  return Status::Ok();
}

Result<std::unique_ptr<TlsChannel>> TlsChannel::Connect(std::shared_ptr<ssl::context> ctx, const std::string& host,
                                                        uint16_t port, const std::string& peer_pin,
                                                        int64_t timeout_ms) {
  std::unique_ptr<TlsChannel> ch(new TlsChannel(std::move(ctx)));
  const auto start = std::chrono::steady_clock::now();
  tcp::resolver resolver(ch->ioc_);
  bool done = false;
  error_code result;
  tcp::resolver::results_type endpoints;
  resolver.async_resolve(host, std::to_string(port), [&](const error_code& ec, tcp::resolver::results_type r) {
    result = ec;
    endpoints = std::move(r);
    done = true;
  });
  if (!ch->RunUntil(&done, timeout_ms)) {
    resolver.cancel();
    return Unavailable("resolving the central node timed out");
  }
  if (result) return Unavailable("cannot resolve the central node's address");
  done = false;
  asio::async_connect(ch->stream_.lowest_layer(), endpoints, [&](const error_code& ec, const tcp::endpoint&) {
    result = ec;
    done = true;
  });
  auto left = [&] {
    auto spent = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
    return std::max<int64_t>(1, timeout_ms - spent.count());
  };
  if (!ch->RunUntil(&done, left())) return Unavailable("connecting to the central node timed out");
  if (result) return Unavailable("cannot connect to the central node: " + result.message());
  error_code ec;
  ch->stream_.lowest_layer().set_option(tcp::no_delay(true), ec);
  const std::set<std::string> pins{peer_pin};
  BRANKAS_RETURN_IF_ERROR(ch->Handshake(/*server=*/false, pins, left()));
  return ch;
}

Result<std::unique_ptr<TlsChannel>> TlsChannel::Accept(std::shared_ptr<ssl::context> ctx, int fd,
                                                       const std::set<std::string>& allowed_pins,
                                                       int64_t timeout_ms) {
  std::unique_ptr<TlsChannel> ch(new TlsChannel(std::move(ctx)));
  sockaddr_storage addr{};
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  error_code ec;
  ch->stream_.lowest_layer().assign(addr.ss_family == AF_INET6 ? tcp::v6() : tcp::v4(), fd, ec);
  if (ec) {
    ::close(fd);
    return Unavailable("cannot adopt the accepted socket");
  }
  ch->stream_.lowest_layer().set_option(tcp::no_delay(true), ec);
  BRANKAS_RETURN_IF_ERROR(ch->Handshake(/*server=*/true, allowed_pins, timeout_ms));
  return ch;
}

Status TlsChannel::WriteFrame(MsgType type, std::string_view payload, int64_t timeout_ms) {
  if (broken_) return Unavailable("the channel is closed");
  if (payload.size() + 1 > 0xffffffffu) return InvalidArgument("frame too large");
  const uint32_t len = static_cast<uint32_t>(payload.size() + 1);
  unsigned char header[5] = {static_cast<unsigned char>(len >> 24), static_cast<unsigned char>(len >> 16),
                             static_cast<unsigned char>(len >> 8), static_cast<unsigned char>(len),
                             static_cast<unsigned char>(type)};
  std::array<asio::const_buffer, 2> buffers{asio::buffer(header), asio::buffer(payload.data(), payload.size())};
  bool done = false;
  error_code result;
  asio::async_write(stream_, buffers, [&](const error_code& ec, size_t) {
    result = ec;
    done = true;
  });
  if (!RunUntil(&done, timeout_ms)) return Unavailable("sending a frame timed out");
  if (result) {
    broken_ = true;
    return Unavailable("the connection broke while sending");
  }
  bytes_written_ += sizeof(header) + payload.size();
  return Status::Ok();
}

Result<Frame> TlsChannel::ReadFrame(size_t max_bytes, int64_t timeout_ms) {
  if (broken_) return Unavailable("the channel is closed");
  const auto start = std::chrono::steady_clock::now();
  unsigned char header[5];
  bool done = false;
  error_code result;
  asio::async_read(stream_, asio::buffer(header), [&](const error_code& ec, size_t) {
    result = ec;
    done = true;
  });
  if (!RunUntil(&done, timeout_ms)) return Unavailable("waiting for a frame timed out");
  if (result) {
    broken_ = true;
    return Unavailable(result == asio::error::eof || result == ssl::error::stream_truncated
                           ? "the peer closed the connection"
                           : "the connection broke while receiving");
  }
  const uint32_t len = (uint32_t{header[0]} << 24) | (uint32_t{header[1]} << 16) | (uint32_t{header[2]} << 8) |
                       uint32_t{header[3]};
  if (len == 0 || len - 1 > max_bytes) {
    broken_ = true;
    return InvalidArgument("frame of " + std::to_string(len) + " bytes is over the limit");
  }
  Frame frame;
  frame.type = static_cast<MsgType>(header[4]);
  frame.payload.resize(len - 1);
  if (!frame.payload.empty()) {
    done = false;
    asio::async_read(stream_, asio::buffer(frame.payload.data(), frame.payload.size()),
                     [&](const error_code& ec, size_t) {
                       result = ec;
                       done = true;
                     });
    auto spent = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
    if (!RunUntil(&done, std::max<int64_t>(1, timeout_ms - spent.count()))) {
      return Unavailable("receiving a frame timed out");
    }
    if (result) {
      broken_ = true;
      return Unavailable("the connection broke while receiving");
    }
  }
  return frame;
}

void TlsChannel::Close(int64_t timeout_ms) {
  if (!broken_) {
    bool done = false;
    stream_.async_shutdown([&](const error_code&) { done = true; });
    RunUntil(&done, timeout_ms);
  }
  error_code ec;
  stream_.lowest_layer().close(ec);
  broken_ = true;
}

}  // namespace brankas::repl
