// TlsStream: a TLS stream over beast::tcp_stream whose reads and writes take
// one handler type, so that the TLS and socket machinery is compiled once.
//
// Why: every completion handler type given to ssl::stream instantiates the
// whole chain below it (TLS io_op, the timed TCP stream's ops, the reactor's
// ops, executor plumbing) again. brankasd's HTTP server and the command line's
// client give Beast a dozen different handlers; with the plain ssl_stream one
// source file grew to ~40,000 functions and took 4-5 minutes to compile (over
// 10 under the sanitizers). Here Beast's HTTP operations are instantiated on
// TlsStream, and TlsStream hands the TLS stream a single type-erased
// completion (IoCompletion, one small heap node per read or write), defined
// once in tls_stream.cc.
//
// Behaviour is ssl::stream's: a read or write moves bytes of the first
// non-empty buffer only (what ssl::stream does with a sequence, too). Like
// beast::ssl_stream, a write of several small buffers (an HTTP header and a
// short body) is first copied into one, so it leaves as one TLS record.
//
// Completions run on the stream's executor (make it a strand when several
// threads run the io_context). One read and one write may be outstanding at a
// time, as with any Asio stream.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream_base.hpp>
#include <boost/asio/ssl/verify_context.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <algorithm>
#include <cstddef>
#include <functional>
#include <memory>
#include <type_traits>
#include <utility>
#include <vector>

using SSL = struct ssl_st;

namespace brankas::transport {

// A move-only completion for one read or write.
class IoCompletion {
 public:
  template <class Handler, class = std::enable_if_t<!std::is_same_v<std::decay_t<Handler>, IoCompletion>>>
  explicit IoCompletion(Handler&& handler)
      : node_(std::make_unique<Node<std::decay_t<Handler>>>(std::forward<Handler>(handler))) {}
  IoCompletion(IoCompletion&&) noexcept = default;
  IoCompletion& operator=(IoCompletion&&) noexcept = default;

  // Calls the handler once; its node is freed before the call.
  void operator()(boost::beast::error_code ec, std::size_t n) {
    std::unique_ptr<Base> node = std::move(node_);
    node->Complete(std::move(node), ec, n);
  }

 private:
  struct Base {
    virtual ~Base() = default;
    virtual void Complete(std::unique_ptr<Base> self, boost::beast::error_code ec, std::size_t n) = 0;
  };
  template <class Handler>
  struct Node final : Base {
    template <class H>
    explicit Node(H&& h) : handler(std::forward<H>(h)) {}
    void Complete(std::unique_ptr<Base> self, boost::beast::error_code ec, std::size_t n) override {
      Handler local(std::move(handler));
      self.reset();
      std::move(local)(ec, n);
    }
    Handler handler;
  };
  std::unique_ptr<Base> node_;
};

class TlsStream {
 public:
  using executor_type = boost::asio::any_io_executor;

  // A server's side of an accepted connection.
  TlsStream(boost::asio::ip::tcp::socket socket, boost::asio::ssl::context& tls);
  // A client's side, not yet connected.
  TlsStream(const executor_type& executor, boost::asio::ssl::context& tls);
  ~TlsStream();
  TlsStream(const TlsStream&) = delete;
  TlsStream& operator=(const TlsStream&) = delete;

  executor_type get_executor() noexcept;
  // The timed TCP stream below TLS: deadlines (expires_after), connect, the socket.
  boost::beast::tcp_stream& tcp() noexcept;
  SSL* native_handle() noexcept;
  void set_verify_callback(std::function<bool(bool, boost::asio::ssl::verify_context&)> callback);

  void AsyncHandshake(boost::asio::ssl::stream_base::handshake_type role,
                      std::function<void(boost::beast::error_code)> done);
  void AsyncShutdown(std::function<void(boost::beast::error_code)> done);

  // The AsyncReadStream / AsyncWriteStream interface Beast's HTTP operations use.
  template <class MutableBuffers, class Handler>
  void async_read_some(const MutableBuffers& buffers, Handler&& handler) {
    ReadSome(FirstNonEmpty<boost::asio::mutable_buffer>(buffers), IoCompletion(std::forward<Handler>(handler)));
  }
  template <class ConstBuffers, class Handler>
  void async_write_some(const ConstBuffers& buffers, Handler&& handler) {
    WriteSome(Coalesce(buffers), IoCompletion(std::forward<Handler>(handler)));
  }

 private:
  // Writes of several buffers are copied into one up to this size.
  static constexpr std::size_t kCoalesceBytes = 16 * 1024;

  template <class Buffer, class Buffers>
  static Buffer FirstNonEmpty(const Buffers& buffers) {
    for (auto it = boost::asio::buffer_sequence_begin(buffers); it != boost::asio::buffer_sequence_end(buffers); ++it) {
      Buffer b(*it);
      if (b.size() != 0) return b;
    }
    return Buffer();
  }

  template <class Buffers>
  boost::asio::const_buffer Coalesce(const Buffers& buffers) {
    const boost::asio::const_buffer first = FirstNonEmpty<boost::asio::const_buffer>(buffers);
    const std::size_t total = boost::asio::buffer_size(buffers);
    if (first.size() == total || first.size() >= kCoalesceBytes) return first;
    coalesced_.resize(std::min(total, kCoalesceBytes));
    return boost::asio::buffer(coalesced_.data(), boost::asio::buffer_copy(boost::asio::buffer(coalesced_), buffers));
  }

  void ReadSome(boost::asio::mutable_buffer buffer, IoCompletion done);
  void WriteSome(boost::asio::const_buffer buffer, IoCompletion done);

  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::vector<char> coalesced_;  // the write in flight, when it was several buffers
};

}  // namespace brankas::transport
