// A framed, mutually authenticated TLS 1.3 channel with a deadline on every
// step (connect, handshake, each frame read or write).
//
// Each channel owns a private io_context and runs it only while one of its
// calls is in progress (the "blocking call with a deadline" pattern of Asio's
// blocking_tcp_client example): simple sequential protocol code, yet nothing
// can hang past its deadline. Abort() may be called from any thread and makes
// the call in progress (or the next one) fail promptly.
//
// Authentication is by public-key pin (brankas/replication.h), checked in the
// TLS verify callback, so a peer with an unpinned key fails the handshake.
#pragma once

#include <cstdint>
#include <memory>
#include <set>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>

#include "brankas/status.h"
#include "replication/wire.h"

namespace brankas::repl {

struct Frame {
  MsgType type = MsgType::kError;
  std::string payload;
};

// A TLS context for one side: its own identity, TLS 1.3 only, peer
// certificate required. kInvalidArgument naming the file on a bad identity.
Result<std::shared_ptr<boost::asio::ssl::context>> MakeChannelContext(bool server, const std::string& cert_file,
                                                                      const std::string& key_file);

class TlsChannel {
 public:
  // Dials host:port and completes the handshake within timeout_ms; the
  // central node's key must match `peer_pin`.
  static Result<std::unique_ptr<TlsChannel>> Connect(std::shared_ptr<boost::asio::ssl::context> ctx,
                                                     const std::string& host, uint16_t port,
                                                     const std::string& peer_pin, int64_t timeout_ms);
  // Takes an accepted socket (its native descriptor) and completes the server
  // handshake within timeout_ms; the client's key must be one of `allowed_pins`.
  static Result<std::unique_ptr<TlsChannel>> Accept(std::shared_ptr<boost::asio::ssl::context> ctx, int fd,
                                                    const std::set<std::string>& allowed_pins, int64_t timeout_ms);
  ~TlsChannel();

  Status WriteFrame(MsgType type, std::string_view payload, int64_t timeout_ms);
  // kUnavailable on timeout ("timed out"), EOF or a broken stream;
  // kInvalidArgument on a frame above max_bytes (the channel is then unusable).
  Result<Frame> ReadFrame(size_t max_bytes, int64_t timeout_ms);

  // The verified pin of the peer's key.
  const std::string& peer_pin() const { return peer_pin_; }
  std::string peer_address() const;

  // Thread-safe: closes the socket; the call in progress fails promptly.
  void Abort();
  // A bounded TLS close_notify, then the socket is closed.
  void Close(int64_t timeout_ms = 1000);

  uint64_t bytes_written() const { return bytes_written_; }

 private:
  TlsChannel(std::shared_ptr<boost::asio::ssl::context> ctx);
  // Runs the io_context until *done or the deadline; on the deadline closes
  // the socket and returns false.
  bool RunUntil(const bool* done, int64_t timeout_ms);
  Status Handshake(bool server, const std::set<std::string>& pins, int64_t timeout_ms);

  std::shared_ptr<boost::asio::ssl::context> ctx_;
  boost::asio::io_context ioc_;
  boost::asio::ssl::stream<boost::asio::ip::tcp::socket> stream_;
  std::string peer_pin_;
  std::string seen_pin_;  // what the verify callback saw (for the refusal message)
  uint64_t bytes_written_ = 0;
  bool broken_ = false;
};

}  // namespace brankas::repl
