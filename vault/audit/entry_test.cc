// Stored formats of the audit trail: round trips, hostile bytes, no values.
#include <gtest/gtest.h>

#include <cctype>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "brankas/audit.h"
#include "brankas/crypto.h"

namespace brankas {
namespace {

AuditEntry TypicalEntry() {
  AuditEntry e;
  e.seq = 42;
  e.time_us = 1'700'000'000'123'456;
  e.node = "PPA-JKT-01";
  e.actor = "siti.pendamping";
  e.role = "case_worker";
  e.action = "case.read";
  e.case_id = "JKT-7f3a9c2e41d8";
  e.fields = {"nama", "nik", "alamat", "kronologi"};
  e.decision = "deny";
  e.rule = "identity.read.assigned";
  e.grant_id = "G-0001";
  e.request_id = "req-9a8b7c";
  e.client = "10.20.30.40";
  e.detail = "permission_denied";
  e.flagged = true;
  e.prev_hash = std::string(kHashSize, '\x11');
  e.hash = ComputeEntryHash(e);
  return e;
}

Checkpoint TypicalCheckpoint() {
  return Checkpoint{1000, std::string(kHashSize, '\x22'), 1'700'000'000'000'000, "PPA-JKT-01",
                    std::string(kSignatureSize, '\x33')};
}

class AuditEntryTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(InitCrypto().ok()); }
};

TEST_F(AuditEntryTest, EntryRoundTrips) {
  AuditEntry e = TypicalEntry();
  Result<AuditEntry> back = DecodeAuditEntry(EncodeAuditEntry(e));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, e);
  EXPECT_EQ(ComputeEntryHash(*back), e.hash);
  EXPECT_EQ(EncodeAuditEntry(e)[0], static_cast<char>(kAuditEntryVersion));
}

TEST_F(AuditEntryTest, EmptyStringsAndNoFieldsRoundTrip) {
  AuditEntry e;
  e.seq = 1;
  e.prev_hash = std::string(kHashSize, '\0');
  e.hash = ComputeEntryHash(e);
  Result<AuditEntry> back = DecodeAuditEntry(EncodeAuditEntry(e));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, e);
}

TEST_F(AuditEntryTest, HashCoversEveryField) {
  const AuditEntry base = TypicalEntry();
  const std::string h = ComputeEntryHash(base);
  std::vector<AuditEntry> changed(17, base);
  changed[0].seq++;
  changed[1].time_us++;
  changed[2].node += "x";
  changed[3].actor += "x";
  changed[4].role += "x";
  changed[5].action += "x";
  changed[6].case_id += "x";
  changed[7].fields.push_back("x");
  changed[8].decision = "allow";
  changed[9].rule += "x";
  changed[10].grant_id += "x";
  changed[11].request_id += "x";
  changed[12].client += "x";
  changed[13].detail += "x";
  changed[14].flagged = false;
  changed[15].prev_hash[0] ^= 1;
  changed[16].fields = {"nama", "nikalamat", "kronologi"};  // same bytes, other split
  std::set<std::string> seen{h};
  for (size_t i = 0; i < changed.size(); ++i) {
    EXPECT_TRUE(seen.insert(ComputeEntryHash(changed[i])).second) << "field " << i;
  }
  AuditEntry other_hash = base;
  other_hash.hash = std::string(kHashSize, '\x7f');
  EXPECT_EQ(ComputeEntryHash(other_hash), h) << "the hash field itself is not hashed";
}

TEST_F(AuditEntryTest, EveryTruncationIsCorruption) {
  const std::string bytes = EncodeAuditEntry(TypicalEntry());
  for (size_t n = 0; n < bytes.size(); ++n) {
    Result<AuditEntry> r = DecodeAuditEntry(std::string_view(bytes).substr(0, n));
    ASSERT_FALSE(r.ok()) << "length " << n;
    EXPECT_EQ(r.status().code(), Code::kCorruption);
  }
}

TEST_F(AuditEntryTest, TrailingBytesAndWrongVersionAreCorruption) {
  std::string bytes = EncodeAuditEntry(TypicalEntry());
  Result<AuditEntry> trailing = DecodeAuditEntry(bytes + "x");
  ASSERT_FALSE(trailing.ok());
  EXPECT_EQ(trailing.status().code(), Code::kCorruption);
  for (int v : {0, 2, 255}) {
    std::string wrong = bytes;
    wrong[0] = static_cast<char>(v);
    Result<AuditEntry> r = DecodeAuditEntry(wrong);
    ASSERT_FALSE(r.ok()) << "version " << v;
    EXPECT_EQ(r.status().code(), Code::kCorruption);
  }
}

TEST_F(AuditEntryTest, BadHashSizesAndSeqZeroAreCorruption) {
  AuditEntry e = TypicalEntry();
  e.hash = "short";
  EXPECT_EQ(DecodeAuditEntry(EncodeAuditEntry(e)).status().code(), Code::kCorruption);
  e = TypicalEntry();
  e.prev_hash = std::string(kHashSize + 1, 'x');
  EXPECT_EQ(DecodeAuditEntry(EncodeAuditEntry(e)).status().code(), Code::kCorruption);
  e = TypicalEntry();
  e.seq = 0;
  EXPECT_EQ(DecodeAuditEntry(EncodeAuditEntry(e)).status().code(), Code::kCorruption);
}

TEST_F(AuditEntryTest, HugeLengthPrefixesDoNotAllocate) {
  // Version 1, seq, time, then a node length of 4 GiB - 1 with nothing behind it.
  std::string bytes(1, '\x01');
  bytes += std::string(16, '\0');
  bytes += std::string("\xff\xff\xff\xff", 4);
  EXPECT_EQ(DecodeAuditEntry(bytes).status().code(), Code::kCorruption);
  // A field list claiming 2^32-1 names.
  AuditEntry e = TypicalEntry();
  e.fields.clear();
  std::string list_bytes = EncodeAuditEntry(e);
  // The list count sits after version, seq, time and five strings.
  size_t pos = 1 + 8 + 8;
  for (const std::string* s : {&e.node, &e.actor, &e.role, &e.action, &e.case_id}) {
    pos += 4 + s->size();
  }
  list_bytes.replace(pos, 4, "\xff\xff\xff\xff", 4);
  EXPECT_EQ(DecodeAuditEntry(list_bytes).status().code(), Code::kCorruption);
}

TEST_F(AuditEntryTest, RandomBytesNeverCrash) {
  std::mt19937 rng(20240611);
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_int_distribution<size_t> length(0, 400);
  for (int i = 0; i < 4000; ++i) {
    std::string bytes(length(rng), '\0');
    for (char& c : bytes) c = static_cast<char>(byte(rng));
    if (i % 2 == 0 && !bytes.empty()) bytes[0] = static_cast<char>(kAuditEntryVersion);
    Result<AuditEntry> e = DecodeAuditEntry(bytes);
    if (!e.ok()) {
      EXPECT_EQ(e.status().code(), Code::kCorruption);
    }
    Result<Checkpoint> c = DecodeCheckpoint(bytes);
    if (!c.ok()) {
      EXPECT_EQ(c.status().code(), Code::kCorruption);
    }
    Result<AuditHead> h = DecodeAuditHead(bytes);
    if (!h.ok()) {
      EXPECT_EQ(h.status().code(), Code::kCorruption);
    }
  }
}

TEST_F(AuditEntryTest, MutatedEncodingsNeverCrash) {
  const std::string good = EncodeAuditEntry(TypicalEntry());
  const std::string good_cp = EncodeCheckpoint(TypicalCheckpoint());
  std::mt19937 rng(7);
  for (int i = 0; i < 4000; ++i) {
    std::string bytes = (i % 2 == 0) ? good : good_cp;
    std::uniform_int_distribution<size_t> pos(0, bytes.size() - 1);
    const int edits = 1 + i % 3;
    for (int k = 0; k < edits; ++k) bytes[pos(rng)] = static_cast<char>(rng());
    if (i % 5 == 0) bytes.resize(pos(rng));
    Result<AuditEntry> e = DecodeAuditEntry(bytes);
    if (!e.ok()) {
      EXPECT_EQ(e.status().code(), Code::kCorruption);
    } else {
      EXPECT_EQ(EncodeAuditEntry(*e), bytes) << "a decoded entry re-encodes to its bytes";
    }
    Result<Checkpoint> c = DecodeCheckpoint(bytes);
    if (!c.ok()) {
      EXPECT_EQ(c.status().code(), Code::kCorruption);
    }
  }
}

TEST_F(AuditEntryTest, CheckpointAndHeadRoundTrip) {
  Checkpoint cp = TypicalCheckpoint();
  Result<Checkpoint> cp_back = DecodeCheckpoint(EncodeCheckpoint(cp));
  ASSERT_TRUE(cp_back.ok()) << cp_back.status().ToString();
  EXPECT_EQ(*cp_back, cp);

  AuditHead head{cp.seq, cp.hash, cp.time_us, cp.node, cp.signature};
  Result<AuditHead> head_back = DecodeAuditHead(EncodeAuditHead(head));
  ASSERT_TRUE(head_back.ok()) << head_back.status().ToString();
  EXPECT_EQ(*head_back, head);

  std::string bytes = EncodeCheckpoint(cp);
  for (size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_EQ(DecodeCheckpoint(bytes.substr(0, n)).status().code(), Code::kCorruption) << n;
    EXPECT_EQ(DecodeAuditHead(bytes.substr(0, n)).status().code(), Code::kCorruption) << n;
  }
  EXPECT_EQ(DecodeCheckpoint(bytes + "x").status().code(), Code::kCorruption);
  cp.signature = "short";
  EXPECT_EQ(DecodeCheckpoint(EncodeCheckpoint(cp)).status().code(), Code::kCorruption);
}

TEST_F(AuditEntryTest, SignedMessagesAreDomainSeparated) {
  Checkpoint cp = TypicalCheckpoint();
  AuditHead head{cp.seq, cp.hash, cp.time_us, cp.node, cp.signature};
  const std::string cp_message = CheckpointMessage(cp);
  EXPECT_EQ(cp_message.rfind("brankas-checkpoint-v1", 0), 0u);
  EXPECT_EQ(AuditHeadMessage(head).rfind("brankas-audit-head-v1", 0), 0u);
  EXPECT_NE(cp_message, AuditHeadMessage(head));
  // The signature is not part of what is signed; everything else is.
  Checkpoint other = cp;
  other.signature = std::string(kSignatureSize, '\x44');
  EXPECT_EQ(CheckpointMessage(other), cp_message);
  other = cp;
  other.seq++;
  EXPECT_NE(CheckpointMessage(other), cp_message);
  other = cp;
  other.hash[5] ^= 1;
  EXPECT_NE(CheckpointMessage(other), cp_message);
  other = cp;
  other.time_us++;
  EXPECT_NE(CheckpointMessage(other), cp_message);
  other = cp;
  other.node = "PPA-SBY-01";
  EXPECT_NE(CheckpointMessage(other), cp_message);
}

TEST_F(AuditEntryTest, KeysSortBySequence) {
  EXPECT_EQ(AuditEntryKey(1), std::string("e\0\0\0\0\0\0\0\x01", 9));
  EXPECT_EQ(AuditCheckpointKey(256), std::string("c\0\0\0\0\0\0\x01\0", 9));
  EXPECT_LT(AuditEntryKey(255), AuditEntryKey(256));
  EXPECT_LT(AuditEntryKey(65535), AuditEntryKey(65536));
}

// Entries hold names, never values: the stored bytes contain the entry's own
// metadata strings and nothing else readable. (A design guarantee: AuditEntry has
// no place for a value; this catches someone adding one, or a debug dump.)
TEST_F(AuditEntryTest, EncodedEntryHoldsNoFieldValues) {
  AuditEntry e = TypicalEntry();
  const std::string bytes = EncodeAuditEntry(e);
  // Typical synthetic values of the fields named in the entry.
  for (const char* value : {"3174091203100002", "Jl. Melati", "Putri", "rumah aman"}) {
    EXPECT_EQ(bytes.find(value), std::string::npos) << value;
  }
  // Every printable run of 4+ characters is one of the entry's metadata strings.
  std::set<std::string> allowed{e.node, e.actor,    e.role,       e.action, e.case_id, e.decision,
                                e.rule, e.grant_id, e.request_id, e.client, e.detail};
  allowed.insert(e.fields.begin(), e.fields.end());
  // Skip the fixed-width header (version, seq, time) and the two trailing hashes.
  const size_t header = 1 + 8 + 8;
  const std::string body = bytes.substr(header, bytes.size() - header - 2 * (4 + kHashSize));
  std::string run;
  auto check_run = [&] {
    if (run.size() >= 4) {
      bool covered = false;
      for (const std::string& s : allowed) covered |= s.find(run) != std::string::npos;
      EXPECT_TRUE(covered) << "unexpected text in an encoded entry: " << run;
    }
    run.clear();
  };
  for (char c : body) {
    if (std::isprint(static_cast<unsigned char>(c))) {
      run.push_back(c);
    } else {
      check_run();
    }
  }
  check_run();
}

}  // namespace
}  // namespace brankas
