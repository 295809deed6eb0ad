#include "brankas/tls_stream.h"

#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

namespace brankas::transport {

namespace ssl = boost::asio::ssl;
namespace beast = boost::beast;

struct TlsStream::Impl {
  template <class... Args>
  explicit Impl(Args&&... args) : stream(std::forward<Args>(args)...) {}
  beast::ssl_stream<beast::tcp_stream> stream;
};

TlsStream::TlsStream(boost::asio::ip::tcp::socket socket, ssl::context& tls)
    : impl_(std::make_unique<Impl>(std::move(socket), tls)) {}

TlsStream::TlsStream(const executor_type& executor, ssl::context& tls) : impl_(std::make_unique<Impl>(executor, tls)) {}

TlsStream::~TlsStream() = default;

TlsStream::executor_type TlsStream::get_executor() noexcept { return impl_->stream.get_executor(); }

beast::tcp_stream& TlsStream::tcp() noexcept { return beast::get_lowest_layer(impl_->stream); }

SSL* TlsStream::native_handle() noexcept { return impl_->stream.native_handle(); }

void TlsStream::set_verify_callback(std::function<bool(bool, ssl::verify_context&)> callback) {
  impl_->stream.set_verify_callback(std::move(callback));
}

void TlsStream::AsyncHandshake(ssl::stream_base::handshake_type role, std::function<void(beast::error_code)> done) {
  impl_->stream.async_handshake(role, std::move(done));
}

void TlsStream::AsyncShutdown(std::function<void(beast::error_code)> done) {
  impl_->stream.async_shutdown(std::move(done));
}

void TlsStream::ReadSome(boost::asio::mutable_buffer buffer, IoCompletion done) {
  impl_->stream.async_read_some(buffer, std::move(done));
}

void TlsStream::WriteSome(boost::asio::const_buffer buffer, IoCompletion done) {
  impl_->stream.async_write_some(buffer, std::move(done));
}

}  // namespace brankas::transport
