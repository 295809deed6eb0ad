// The audit export (brankas/audit_export.h) against a real chain of 250 entries:
// pages read from the store, built into a file as the CLI does, verified
// offline; then single-byte changes, removed, reordered and rewritten lines,
// and a wrong pinned key.
#include <gtest/gtest.h>

#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "brankas/audit.h"
#include "brankas/audit_export.h"
#include "brankas/crypto.h"
#include "brankas/store.h"
#include "testing/temp_dir.h"

namespace brankas {
namespace {

using Json = nlohmann::json;

constexpr int64_t kT0 = 1'700'000'000'000'000;
constexpr uint64_t kEntries = 250;  // checkpoints at 100 and 200, the head at 250
constexpr int kGroup = 10;
const char kNode[] = "KPG";

AuditEntry Entry(uint64_t i) {
  static const char* kActions[] = {"case.read", "case.update", "case.create", "auth.login"};
  AuditEntry e;
  e.time_us = kT0 + static_cast<int64_t>(i) * 1000;
  e.actor = "user" + std::to_string(i % 7);
  e.role = i % 3 == 0 ? "supervisor" : "case_worker";
  e.action = kActions[i % 4];
  e.case_id = "KPG-" + std::to_string(1000 + i % 37);
  e.fields = {"name", "nik", "address"};
  e.decision = i % 5 == 0 ? "deny" : "allow";
  e.rule = "identity.read.assigned";
  e.request_id = "req-" + std::to_string(i);
  e.client = "10.0.0." + std::to_string(i % 250);
  e.flagged = i % 97 == 0;
  if (i == 77) e.detail = std::string("\xff\xfe not UTF-8", 13);  // written as {"hex": ...}
  return e;
}

std::vector<std::string> Lines(const std::string& file) {
  std::vector<std::string> out;
  std::istringstream in(file);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

std::string Join(const std::vector<std::string>& lines) {
  std::string out;
  for (const std::string& l : lines) out += l + "\n";
  return out;
}

class AuditExportTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ASSERT_TRUE(InitCrypto().ok());
    dir_ = new testing::TempDir();
    keys_ = new SigningKeyPair(GenerateSigningKey());
    auto store = OpenRocksStore(dir_->Sub("db"), {.create_if_missing = true});
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = store->release();
    auto chain = AuditChain::Open(*store_, kNode, {.checkpoint_every_entries = 100});
    ASSERT_TRUE(chain.ok()) << chain.status().ToString();
    AuditSigner sign = [](std::string_view m) -> Result<std::string> { return Sign(keys_->secret_key, m); };
    for (uint64_t i = 0; i < kEntries;) {
      Batch batch;
      for (int k = 0; k < kGroup; ++k, ++i) {
        AuditEntry e = Entry(i);
        (*chain)->Append(&e, &batch);
      }
      ASSERT_TRUE((*chain)->SealGroup(sign, kT0 + static_cast<int64_t>(i) * 1000, &batch).ok());
      ASSERT_TRUE(store_->Write(batch, Durability::kNoSync).ok());
    }
    ASSERT_EQ((*chain)->last_checkpoint_seq(), 200u);
  }

  static void TearDownTestSuite() {
    delete store_;
    delete dir_;
    delete keys_;
    store_ = nullptr;
    dir_ = nullptr;
    keys_ = nullptr;
  }

  // The export file as `brankas audit export` writes it, read page by page.
  static std::string Export(uint64_t after, uint64_t to, size_t page_size, AuditExportBuilder* out = nullptr) {
    AuditExportBuilder local(after, to, page_size);
    AuditExportBuilder& b = out != nullptr ? *out : local;
    std::string body;
    int pages = 0;
    while (auto req = b.Next()) {
      EXPECT_LT(++pages, 1000) << "the builder does not finish";
      if (pages >= 1000) break;
      auto snapshot = store_->Snapshot();
      EXPECT_TRUE(snapshot.ok());
      auto page = ReadAuditExportPage(**snapshot, req->after_seq, req->limit);
      EXPECT_TRUE(page.ok()) << page.status().ToString();
      if (!page.ok()) break;
      page->unit = kNode;
      page->node_public_key = keys_->public_key;
      // Through the endpoint's JSON, as the CLI receives it.
      auto received = AuditExportPageFromJson(Json::parse(AuditExportPageToJson(*page).dump()));
      EXPECT_TRUE(received.ok()) << received.status().ToString();
      if (!received.ok()) break;
      Status s = b.Add(*received, &body);
      EXPECT_TRUE(s.ok()) << s.ToString();
      if (!s.ok()) break;
    }
    auto header = AuditExportHeaderLine(b.Header(1'700'000'000));
    EXPECT_TRUE(header.ok());
    return (header.ok() ? *header : std::string()) + body;
  }

  static AuditExportReport Verify(const std::string& file, std::string_view key = keys_->public_key) {
    std::istringstream in(file);
    auto r = VerifyAuditExport(in, key);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : AuditExportReport{};
  }

  // The index in `lines` of the line of this kind ("entry", "checkpoint", "head") at `seq`.
  static size_t Find(const std::vector<std::string>& lines, const std::string& kind, uint64_t seq) {
    for (size_t i = 1; i < lines.size(); ++i) {
      Json j = Json::parse(lines[i], nullptr, false);
      if (j.contains(kind) && j[kind]["seq"] == seq) return i;
    }
    ADD_FAILURE() << kind << " " << seq << " not found";
    return 0;
  }

  static testing::TempDir* dir_;
  static SigningKeyPair* keys_;
  static Store* store_;
};

testing::TempDir* AuditExportTest::dir_ = nullptr;
SigningKeyPair* AuditExportTest::keys_ = nullptr;
Store* AuditExportTest::store_ = nullptr;

#define EXPECT_BROKEN(report_expr, seq, what)                                          \
  do {                                                                                 \
    const AuditExportReport report_ = (report_expr);                                   \
    EXPECT_FALSE(report_.intact);                                                      \
    EXPECT_EQ(report_.first_bad_seq, static_cast<uint64_t>(seq)) << report_.problem;   \
    EXPECT_EQ(report_.failure, what) << report_.problem;                               \
    EXPECT_FALSE(report_.problem.empty());                                             \
  } while (0)

TEST_F(AuditExportTest, TheWholeTrailExportsAndVerifies) {
  AuditExportBuilder b(0, 0, 64);
  const std::string file = Export(0, 0, 64, &b);
  EXPECT_EQ(b.entries(), kEntries);
  EXPECT_EQ(b.checkpoints(), 2u);
  EXPECT_TRUE(b.head());
  const std::vector<std::string> lines = Lines(file);
  ASSERT_EQ(lines.size(), 1 + kEntries + 2 + 1);
  EXPECT_EQ(lines[0].size() + 1, kAuditExportHeaderBytes);
  EXPECT_NE(lines[Find(lines, "entry", 78)].find("\"hex\":\"fffe"), std::string::npos);

  AuditExportReport r = Verify(file);
  EXPECT_TRUE(r.intact) << r.problem;
  EXPECT_EQ(r.entries, kEntries);
  EXPECT_EQ(r.checkpoints, 2u);
  EXPECT_TRUE(r.head);
  EXPECT_EQ(r.first_seq, 1u);
  EXPECT_EQ(r.last_seq, kEntries);
  EXPECT_EQ(r.unit, kNode);
  EXPECT_TRUE(r.key_pinned);
  EXPECT_TRUE(r.tail_covered);
  EXPECT_EQ(r.signed_through, kEntries);

  // Without a pinned key: the file's own key (trust on first use).
  AuditExportReport tofu = Verify(file, "");
  EXPECT_TRUE(tofu.intact) << tofu.problem;
  EXPECT_FALSE(tofu.key_pinned);
  EXPECT_EQ(tofu.node_public_key, keys_->public_key);

  // One page or many: the same file.
  EXPECT_EQ(Export(0, 0, kMaxAuditExportPage), file);
  EXPECT_EQ(Export(0, 0, 1), file);
}

TEST_F(AuditExportTest, ARangeRunsOnToTheNextSignature) {
  // Through 120: on to the checkpoint at 200.
  AuditExportBuilder b(37, 120, 16);
  std::string file = Export(37, 120, 16, &b);
  EXPECT_TRUE(b.extended());
  EXPECT_EQ(b.Header(0).first_seq, 38u);
  EXPECT_EQ(b.Header(0).last_seq, 200u);
  EXPECT_FALSE(b.head());
  AuditExportReport r = Verify(file);
  EXPECT_TRUE(r.intact) << r.problem;
  EXPECT_EQ(r.entries, 200u - 37u);
  EXPECT_EQ(r.checkpoints, 2u);

  // Exactly at a checkpoint: no further.
  AuditExportBuilder at(0, 100, 30);
  file = Export(0, 100, 30, &at);
  EXPECT_FALSE(at.extended());
  EXPECT_EQ(at.Header(0).last_seq, 100u);
  EXPECT_TRUE(Verify(file).intact);

  // After the last checkpoint: to the head.
  AuditExportBuilder tail(210, 230, 7);
  file = Export(210, 230, 7, &tail);
  EXPECT_EQ(tail.Header(0).last_seq, kEntries);
  EXPECT_TRUE(tail.head());
  r = Verify(file);
  EXPECT_TRUE(r.intact) << r.problem;
  EXPECT_EQ(r.checkpoints, 0u);

  // Past the end of the trail, and nothing asked for: an empty export.
  for (auto [after, to] : {std::pair<uint64_t, uint64_t>{kEntries, 0}, {kEntries + 5, 0}}) {
    AuditExportBuilder empty(after, to, 10);
    file = Export(after, to, 10, &empty);
    EXPECT_EQ(empty.entries(), 0u);
    r = Verify(file);
    EXPECT_TRUE(r.intact) << r.problem;
    EXPECT_EQ(r.entries, 0u);
  }
}

TEST_F(AuditExportTest, ThePageCarriesTheNextCheckpoint) {
  auto snapshot = store_->Snapshot();
  ASSERT_TRUE(snapshot.ok());
  auto page = ReadAuditExportPage(**snapshot, 90, 20);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->entries.size(), 20u);
  EXPECT_EQ(page->entries.front().seq, 91u);
  ASSERT_EQ(page->checkpoints.size(), 2u);  // 100 in the range, 200 the next
  EXPECT_EQ(page->checkpoints[0].seq, 100u);
  EXPECT_EQ(page->checkpoints[1].seq, 200u);
  EXPECT_EQ(page->head_seq, kEntries);
  ASSERT_TRUE(page->head.has_value());
  EXPECT_EQ(page->head->seq, kEntries);
  // The JSON form round-trips exactly.
  page->unit = kNode;
  page->node_public_key = keys_->public_key;
  auto back = AuditExportPageFromJson(AuditExportPageToJson(*page));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->entries, page->entries);
  EXPECT_EQ(back->checkpoints, page->checkpoints);
  EXPECT_EQ(back->head, page->head);
  // The limit is bounded.
  auto big = ReadAuditExportPage(**snapshot, 0, 1'000'000);
  ASSERT_TRUE(big.ok());
  EXPECT_EQ(big->entries.size(), kEntries);
}

TEST_F(AuditExportTest, EverySingleByteChangeOfAnEntryNamesIt) {
  // The verifier stops at the first problem: late entries are tried in a
  // shorter export, to keep the test quick.
  for (auto [after, seq] : {std::pair<uint64_t, uint64_t>{0, 1}, {0, 50}, {0, 78}, {190, 191}, {190, 200},
                            {190, kEntries}}) {
    std::vector<std::string> lines = Lines(Export(after, 0, 100));
    const size_t at = Find(lines, "entry", seq);
    const std::string original = lines[at];
    for (size_t pos = 0; pos < original.size(); ++pos) {
      for (unsigned char mask : {0x01, 0x20}) {
        lines[at] = original;
        lines[at][pos] = static_cast<char>(lines[at][pos] ^ mask);
        AuditExportReport r = Verify(Join(lines));
        ASSERT_FALSE(r.intact) << "entry " << seq << " byte " << pos << " mask " << int(mask);
        ASSERT_EQ(r.first_bad_seq, seq) << "byte " << pos << ": " << r.problem;
        ASSERT_EQ(r.bad_line, at + 1) << r.problem;
      }
    }
    lines[at] = original;
    EXPECT_TRUE(Verify(Join(lines)).intact);
  }
}

TEST_F(AuditExportTest, EntryChangesNameWhatFailed) {
  const std::string file = Export(0, 0, 100);
  std::vector<std::string> lines = Lines(file);
  const size_t at = Find(lines, "entry", 60);
  const std::string original = lines[at];
  auto with = [&](const std::string& key, const Json& value) {
    std::vector<std::string> copy = lines;
    Json j = Json::parse(original);
    j["entry"][key] = value;
    copy[at] = j.dump();
    return Join(copy);
  };
  EXPECT_BROKEN(Verify(with("actor", "someone-else")), 60, "entry_hash");
  EXPECT_BROKEN(Verify(with("flagged", true)), 60, "entry_hash");
  EXPECT_BROKEN(Verify(with("hash", std::string(64, 'a'))), 60, "entry_hash");
  EXPECT_BROKEN(Verify(with("prev_hash", std::string(64, 'a'))), 60, "chain_link");
  EXPECT_BROKEN(Verify(with("node", "SLM")), 60, "node");
  EXPECT_BROKEN(Verify(with("seq", 61)), 60, "sequence");
  EXPECT_BROKEN(Verify(with("hash", std::string(64, 'A'))), 60, "malformed");
  EXPECT_BROKEN(Verify(with("value", "x")), 60, "malformed");  // an unknown member
}

TEST_F(AuditExportTest, SingleByteChangesOfSignaturesAreDetected) {
  std::vector<std::string> lines = Lines(Export(150, 0, 100));
  for (const auto& [kind, seq] : {std::pair<std::string, uint64_t>{"checkpoint", 200}, {"head", kEntries}}) {
    const size_t at = Find(lines, kind, seq);
    const std::string original = lines[at];
    for (size_t pos = 0; pos < original.size(); ++pos) {
      lines[at] = original;
      lines[at][pos] = static_cast<char>(lines[at][pos] ^ 0x01);
      AuditExportReport r = Verify(Join(lines));
      ASSERT_FALSE(r.intact) << kind << " " << seq << " byte " << pos;
      ASSERT_NE(r.failure, "") << r.problem;
      ASSERT_LE(r.first_bad_seq, seq + 1) << r.problem;
    }
    lines[at] = original;
  }

  // The signature and the hash it covers, by name.
  auto with = [&](const std::string& kind, uint64_t seq, const std::string& key, const Json& value) {
    std::vector<std::string> copy = lines;
    const size_t at = Find(copy, kind, seq);
    Json j = Json::parse(copy[at]);
    j[kind][key] = value;
    copy[at] = j.dump();
    return Join(copy);
  };
  const std::string other_signature = ToHex(Sign(keys_->secret_key, "something else"));
  EXPECT_BROKEN(Verify(with("checkpoint", 200, "signature", other_signature)), 200, "checkpoint_signature");
  EXPECT_BROKEN(Verify(with("checkpoint", 200, "hash", std::string(64, '0'))), 200, "checkpoint_signature");
  EXPECT_BROKEN(Verify(with("checkpoint", 200, "time_us", 5)), 200, "checkpoint_signature");
  EXPECT_BROKEN(Verify(with("head", kEntries, "signature", other_signature)), kEntries, "head_signature");
}

TEST_F(AuditExportTest, RewrittenAndRechainedHistoryFailsTheCheckpoint) {
  const std::string file = Export(0, 0, 100);
  std::vector<std::string> lines = Lines(file);
  // Entry 150 changed, and 150..200 re-chained so every hash recomputes: only
  // the signed checkpoint at 200 can tell.
  std::string prev;
  for (uint64_t seq = 150; seq <= 200; ++seq) {
    const size_t at = Find(lines, "entry", seq);
    Json j = Json::parse(lines[at]);
    auto e = AuditEntryFromJson(j["entry"]);
    ASSERT_TRUE(e.ok());
    if (seq == 150) e->decision = "allow" == e->decision ? "deny" : "allow";
    if (!prev.empty()) e->prev_hash = prev;
    e->hash = ComputeEntryHash(*e);
    prev = e->hash;
    lines[at] = AuditExportEntryLine(*e);
    lines[at].pop_back();
  }
  EXPECT_BROKEN(Verify(Join(lines)), 101, "checkpoint_hash");
}

TEST_F(AuditExportTest, RemovedLines) {
  const std::vector<std::string> lines = Lines(Export(0, 0, 100));
  auto without = [&](size_t index) {
    std::vector<std::string> copy = lines;
    copy.erase(copy.begin() + static_cast<std::ptrdiff_t>(index));
    return Join(copy);
  };
  EXPECT_BROKEN(Verify(without(Find(lines, "entry", 60))), 60, "sequence");
  EXPECT_BROKEN(Verify(without(Find(lines, "entry", 1))), 1, "sequence");
  // The last entry (and with it its head): the header names it.
  std::vector<std::string> cut(lines.begin(), lines.end() - 2);
  EXPECT_BROKEN(Verify(Join(cut)), kEntries, "sequence");
  // The head alone: the tail after the checkpoint at 200 is vouched for by nothing.
  EXPECT_BROKEN(Verify(without(lines.size() - 1)), 201, "uncovered_tail");
  // A checkpoint whose entries a later signature also covers is not needed.
  AuditExportReport r = Verify(without(Find(lines, "checkpoint", 100)));
  EXPECT_TRUE(r.intact) << r.problem;
  EXPECT_EQ(r.checkpoints, 1u);
  // Truncated in the middle of a line.
  const std::string file = Join(lines);
  r = Verify(file.substr(0, file.size() / 2));
  EXPECT_FALSE(r.intact);
  EXPECT_EQ(r.failure, "malformed") << r.problem;
}

TEST_F(AuditExportTest, ReorderedLines) {
  const std::vector<std::string> lines = Lines(Export(0, 0, 100));
  auto swapped = [&](size_t a, size_t b) {
    std::vector<std::string> copy = lines;
    std::swap(copy[a], copy[b]);
    return Join(copy);
  };
  EXPECT_BROKEN(Verify(swapped(Find(lines, "entry", 60), Find(lines, "entry", 61))), 60, "sequence");
  EXPECT_BROKEN(Verify(swapped(Find(lines, "entry", 100), Find(lines, "checkpoint", 100))), 100, "sequence");
  // The head before the last checkpoint's entries.
  EXPECT_BROKEN(Verify(swapped(Find(lines, "entry", 250), lines.size() - 1)), kEntries, "sequence");
  // The header elsewhere.
  EXPECT_BROKEN(Verify(swapped(0, 1)), 0, "malformed");
}

TEST_F(AuditExportTest, APinnedKeyMustBeTheSigner) {
  const std::string file = Export(0, 0, 100);
  SigningKeyPair other = GenerateSigningKey();
  EXPECT_BROKEN(Verify(file, other.public_key), 1, "key");
  // The header claims the other key (signatures then fail with it).
  std::string forged = file;
  const std::string hex = ToHex(keys_->public_key);
  forged.replace(forged.find(hex), hex.size(), ToHex(other.public_key));
  EXPECT_BROKEN(Verify(forged, ""), 100, "checkpoint_signature");
  EXPECT_BROKEN(Verify(forged), 1, "key");
  std::istringstream in(file);
  auto bad = VerifyAuditExport(in, "short");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), Code::kInvalidArgument);
}

TEST_F(AuditExportTest, MalformedFiles) {
  const std::vector<std::string> lines = Lines(Export(0, 0, 100));
  auto replaced = [&](size_t index, const std::string& text) {
    std::vector<std::string> copy = lines;
    copy[index] = text;
    return Join(copy);
  };
  EXPECT_BROKEN(Verify(""), 0, "malformed");
  EXPECT_BROKEN(Verify("not json\n"), 0, "malformed");
  EXPECT_BROKEN(Verify(replaced(0, R"({"format":"brankas-audit-export/2"})")), 0, "malformed");
  EXPECT_BROKEN(Verify(replaced(5, "garbage")), 5, "malformed");
  EXPECT_BROKEN(Verify(replaced(5, std::string(100, '[') + std::string(100, ']'))), 5, "malformed");
  EXPECT_BROKEN(Verify(replaced(5, R"({"entry":{},"checkpoint":{}})")), 5, "malformed");
  EXPECT_BROKEN(Verify(replaced(5, R"({"something":{}})")), 5, "malformed");
  AuditExportReport r = Verify(replaced(5, "garbage"));
  EXPECT_EQ(r.bad_line, 6u);
  // A line longer than the bound.
  EXPECT_BROKEN(Verify(replaced(5, std::string(kMaxAuditExportLineBytes + 10, ' '))), 5, "malformed");
  // The header's unit is not the node's that signed.
  std::string other_unit = replaced(0, lines[0]);
  other_unit.replace(other_unit.find("\"unit\":\"KPG\""), 12, "\"unit\":\"SLM\"");
  EXPECT_BROKEN(Verify(other_unit), 1, "node");
  // Anything after the head.
  std::vector<std::string> extra = lines;
  extra.push_back(lines[1]);
  EXPECT_BROKEN(Verify(Join(extra)), kEntries + 1, "malformed");
}

}  // namespace
}  // namespace brankas
