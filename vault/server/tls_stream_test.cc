#include "brankas/tls_stream.h"

#include <gtest/gtest.h>

#include <array>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <memory>
#include <string>

#include "server/tls.h"
#include "testing/temp_dir.h"
#include "testing/tls_identity.h"

namespace brankas::transport {
namespace {

namespace net = boost::asio;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;
using boost::beast::error_code;

TEST(IoCompletionTest, CallsItsHandlerOnceWithTheResult) {
  int calls = 0;
  error_code seen;
  size_t bytes = 0;
  auto owned = std::make_unique<int>(7);  // a move-only handler
  IoCompletion done([&, owned = std::move(owned)](error_code ec, size_t n) {
    ++calls;
    seen = ec;
    bytes = n + static_cast<size_t>(*owned);
  });
  IoCompletion moved(std::move(done));
  moved(net::error::eof, 35);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(seen, net::error::eof);
  EXPECT_EQ(bytes, 42u);
}

TEST(IoCompletionTest, ReleasesWhatItsHandlerHoldsWhenCalledOrDropped) {
  auto dropped_token = std::make_shared<int>(1);
  std::weak_ptr<int> dropped_watch = dropped_token;
  {
    IoCompletion dropped([t = std::move(dropped_token)](error_code, size_t) {});
  }
  EXPECT_TRUE(dropped_watch.expired());

  auto called_token = std::make_shared<int>(2);
  std::weak_ptr<int> called_watch = called_token;
  bool alive_during_call = false;
  IoCompletion done([&, t = std::move(called_token)](error_code, size_t) { alive_during_call = !called_watch.expired(); });
  done({}, 0);
  EXPECT_TRUE(alive_during_call);
  EXPECT_TRUE(called_watch.expired());
}

// A write of several buffers (some small, one larger than a TLS record) reaches
// the other side whole and in order, through the coalescing and the partial
// writes of TlsStream.
TEST(TlsStreamTest, SeveralBuffersArriveWholeAndInOrder) {
  testing::TempDir dir;
  testing::Identity id = testing::MakeIdentity(dir, "server");
  auto server_tls = server::MakeServerTlsContext(id.cert, id.key);
  ASSERT_TRUE(server_tls.ok()) << server_tls.status().ToString();
  ssl::context client_tls(ssl::context::tls_client);

  std::array<std::string, 4> parts = {std::string(100, 'h'), std::string(300, 'e'), std::string(70'000, 'b'),
                                      std::string(5, 't')};
  for (size_t i = 0; i < parts[2].size(); ++i) parts[2][i] = static_cast<char>('a' + i % 23);
  std::array<net::const_buffer, 4> buffers = {net::buffer(parts[0]), net::buffer(parts[1]), net::buffer(parts[2]),
                                              net::buffer(parts[3])};
  const std::string expected = parts[0] + parts[1] + parts[2] + parts[3];

  net::io_context ioc;
  tcp::acceptor acceptor(ioc, tcp::endpoint(net::ip::address_v4::loopback(), 0));
  std::unique_ptr<TlsStream> server_side;
  TlsStream client(ioc.get_executor(), client_tls);
  std::string received(expected.size(), '\0');
  error_code accept_ec, server_hs_ec, read_ec, connect_ec, client_hs_ec, write_ec;
  size_t read_n = 0, write_n = 0;

  acceptor.async_accept([&](error_code ec, tcp::socket socket) {
    accept_ec = ec;
    if (ec) return;
    server_side = std::make_unique<TlsStream>(std::move(socket), **server_tls);
    server_side->AsyncHandshake(ssl::stream_base::server, [&](error_code hs) {
      server_hs_ec = hs;
      if (hs) return;
      net::async_read(*server_side, net::buffer(received), [&](error_code ec2, size_t n) {
        read_ec = ec2;
        read_n = n;
      });
    });
  });
  client.tcp().async_connect(acceptor.local_endpoint(), [&](error_code ec) {
    connect_ec = ec;
    if (ec) return;
    client.AsyncHandshake(ssl::stream_base::client, [&](error_code hs) {
      client_hs_ec = hs;
      if (hs) return;
      net::async_write(client, buffers, [&](error_code ec2, size_t n) {
        write_ec = ec2;
        write_n = n;
      });
    });
  });
  ioc.run_for(std::chrono::seconds(20));

  ASSERT_FALSE(accept_ec) << accept_ec.message();
  ASSERT_FALSE(connect_ec) << connect_ec.message();
  ASSERT_FALSE(server_hs_ec) << server_hs_ec.message();
  ASSERT_FALSE(client_hs_ec) << client_hs_ec.message();
  EXPECT_FALSE(write_ec) << write_ec.message();
  EXPECT_EQ(write_n, expected.size());
  EXPECT_FALSE(read_ec) << read_ec.message();
  EXPECT_EQ(read_n, expected.size());
  EXPECT_TRUE(received == expected);
}

}  // namespace
}  // namespace brankas::transport
