// The replication messages: round trips, and hostile bytes refused cleanly.
#include <gtest/gtest.h>

#include "brankas/crypto.h"
#include "brankas/types.h"
#include "replication/wire.h"

namespace brankas::repl {
namespace {

TEST(WireTest, MessagesRoundTrip) {
  ASSERT_TRUE(InitCrypto().ok());
  const std::string gen(16, 'g'), hash(32, 'h');
  auto hello = DecodeHello(Encode(Hello{kProtocolVersion, "KPG", gen, 42}));
  ASSERT_TRUE(hello.ok());
  EXPECT_EQ(hello->unit, "KPG");
  EXPECT_EQ(hello->local_seq, 42u);
  auto cursor = DecodeCursor(Encode(Cursor{gen, 7, hash}));
  ASSERT_TRUE(cursor.ok());
  EXPECT_EQ(cursor->seq, 7u);
  auto push = DecodePush(Encode(Push{gen, {"a", "", std::string(1000, 'z')}}));
  ASSERT_TRUE(push.ok());
  ASSERT_EQ(push->entries.size(), 3u);
  EXPECT_EQ(push->entries[2].size(), 1000u);
  Chunk chunk;
  chunk.records.push_back({Column::kAudit, "e1", "v"});
  chunk.records.push_back({Column::kMeta, "node/unit", "KPG"});
  auto decoded = DecodeChunk(Encode(chunk));
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded->records[1].key, "node/unit");
  auto end = DecodeEnd(Encode(End{Cursor{gen, 3, hash}, 9, hash}));
  ASSERT_TRUE(end.ok());
  EXPECT_EQ(end->count, 9u);
  auto fence = DecodeFence(Encode(Fence{gen, std::string(16, 'n')}));
  ASSERT_TRUE(fence.ok());
  auto err = DecodeError(Encode(ErrorMsg{ErrorCode::kHalted, "gap"}));
  ASSERT_TRUE(err.ok());
  EXPECT_EQ(err->code, ErrorCode::kHalted);
  auto probe = DecodeBlobProbe(Encode(BlobProbe{"EV-1"}));
  ASSERT_TRUE(probe.ok());
  EXPECT_EQ(probe->evidence_id, "EV-1");
  auto held = DecodeBlobHeld(Encode(BlobHeld{"EV-1", 12}));
  ASSERT_TRUE(held.ok());
  EXPECT_EQ(held->chunks, 12u);
  auto blob = DecodeBlob(Encode(Blob{"EV-1", 3, 10, 30, std::string(20, 'b')}));
  ASSERT_TRUE(blob.ok());
  EXPECT_EQ(blob->index, 3u);
  EXPECT_EQ(blob->bytes.size(), 20u);
  EXPECT_EQ(DecodeInboxPull(Encode(InboxPull{9}))->after_seq, 9u);
  Inbox inbox;
  inbox.items.push_back({3, "KPG", "RF-1", "record bytes"});
  auto back = DecodeInbox(Encode(inbox));
  ASSERT_TRUE(back.ok());
  ASSERT_EQ(back->items.size(), 1u);
  EXPECT_EQ(back->items[0].record, "record bytes");
  EXPECT_EQ(DecodeInboxItem(EncodeInboxItem(inbox.items[0]))->seq, 3u);
  const std::string bytes = Encode(inbox);
  for (size_t n = 0; n < bytes.size(); ++n) EXPECT_FALSE(DecodeInbox(bytes.substr(0, n)).ok()) << n;
}

TEST(WireTest, BlobSlicesOutsideTheirChunkOrWithHostileIdsAreRefused) {
  EXPECT_FALSE(DecodeBlob(Encode(Blob{"EV-1", 0, 20, 30, std::string(11, 'b')})).ok());  // past total
  EXPECT_FALSE(DecodeBlob(Encode(Blob{"EV-1", 0, 0, kMaxBlobBytes + 1, "b"})).ok());    // too large
  EXPECT_FALSE(DecodeBlob(Encode(Blob{"EV-1", 0, 0, 0, ""})).ok());
  EXPECT_FALSE(DecodeBlob(Encode(Blob{"EV-1", 0, 0, 10, ""})).ok());
  for (const char* id : {"", "../x", "a/b", "c/EV/\x00", "x y"}) {
    EXPECT_FALSE(DecodeBlob(Encode(Blob{id, 0, 0, 1, "b"})).ok()) << id;
    EXPECT_FALSE(DecodeBlobProbe(Encode(BlobProbe{id})).ok()) << id;
  }
  EXPECT_FALSE(DecodeBlobProbe(Encode(BlobProbe{std::string(65, 'a')})).ok());
  const std::string good = Encode(Blob{"EV-1", 1, 0, 4, "abcd"});
  for (size_t n = 0; n < good.size(); ++n) EXPECT_FALSE(DecodeBlob(good.substr(0, n)).ok()) << n;
}

TEST(WireTest, ReceiptsAreSignedAndAnyChangeBreaksThem) {
  ASSERT_TRUE(InitCrypto().ok());
  SigningKeyPair key = GenerateSigningKey();
  Receipt r{"KPG", std::string(16, 'g'), 5, 100, std::string(32, 'c'), 1'780'000'000'000'000, key.public_key, ""};
  r.signature = Sign(key.secret_key, ReceiptMessage(r));
  auto back = DecodeReceipt(EncodeReceipt(r));
  ASSERT_TRUE(back.ok());
  EXPECT_TRUE(VerifyReceipt(*back));
  back->checkpoint_seq = 101;
  EXPECT_FALSE(VerifyReceipt(*back));
}

TEST(WireTest, HostileBytesAreRefused) {
  ASSERT_TRUE(InitCrypto().ok());
  const std::string gen(16, 'g');
  // Truncations of every valid message.
  for (const std::string& m : {Encode(Hello{kProtocolVersion, "KPG", gen, 1}), Encode(Push{gen, {"abc"}}),
                               Encode(Cursor{gen, 1, std::string(32, 'h')})}) {
    for (size_t n = 0; n < m.size(); ++n) {
      EXPECT_FALSE(DecodeHello(m.substr(0, n)).ok() && DecodePush(m.substr(0, n)).ok() &&
                   DecodeCursor(m.substr(0, n)).ok());
    }
  }
  // A count far beyond the bytes present is refused without allocating it.
  std::string huge = gen;
  huge.insert(0, std::string("\x10\0\0\0", 4));
  huge += std::string("\xff\xff\xff\x00", 4);
  EXPECT_FALSE(DecodePush(huge).ok());
  EXPECT_FALSE(DecodeChunk(std::string("\xff\xff\xff\x7f", 4)).ok());
  // The changelog column is never in a pull.
  Chunk bad;
  bad.records.push_back({Column::kChangelog, "k", "v"});
  EXPECT_FALSE(DecodeChunk(Encode(bad)).ok());
  // Random bytes.
  for (int i = 0; i < 500; ++i) {
    std::string junk = RandomBytes(static_cast<size_t>(i % 97));
    (void)DecodeHello(junk);
    (void)DecodePush(junk);
    (void)DecodeAck(junk);
    (void)DecodeChunk(junk);
    (void)DecodeEnd(junk);
    (void)DecodeFence(junk);
    (void)DecodeError(junk);
    (void)DecodeReceipt(junk);
  }
}

TEST(WireTest, HostPort) {
  std::string host;
  uint16_t port = 0;
  EXPECT_TRUE(ParseHostPort("127.0.0.1:9443", 1, &host, &port));
  EXPECT_EQ(host, "127.0.0.1");
  EXPECT_EQ(port, 9443);
  EXPECT_TRUE(ParseHostPort("[::1]:1", 1, &host, &port));
  EXPECT_EQ(host, "::1");
  for (const char* bad : {"", ":1", "host", "host:", "host:0", "host:65536", "host:12a", "host:1234567"}) {
    EXPECT_FALSE(ParseHostPort(bad, 1, &host, &port)) << bad;
  }
}

TEST(WireTest, NodeLocalStateIsNotReplicated) {
  EXPECT_FALSE(IsReplicated(Column::kChangelog, "\0\0\0\0\0\0\0\1"));
  EXPECT_FALSE(IsReplicated(Column::kMeta, "local/changelog_head"));
  EXPECT_FALSE(IsReplicated(Column::kAcl, "s/abc"));
  EXPECT_TRUE(IsReplicated(Column::kMeta, "audit/head"));
  EXPECT_TRUE(IsReplicated(Column::kRecords, "c/KPG-x"));
}

}  // namespace
}  // namespace brankas::repl
