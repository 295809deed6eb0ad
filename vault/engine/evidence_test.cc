// Evidence attachments in the engine: round trips of every size shape, the
// legal_evidence class deciding who adds and reads, the custody trail, limits,
// tampering detected chunk by chunk, and crypto-shredding.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <sstream>

#include "brankas/audit.h"
#include "brankas/evidence_bundle.h"
#include "engine/vault_test_util.h"

namespace brankas {
namespace {

using testing::VaultFixture;

std::string Pattern(size_t n, uint32_t seed) {
  std::string s(n, '\0');
  uint32_t x = seed * 2654435761u + 1;
  for (size_t i = 0; i < n; ++i) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    s[i] = static_cast<char>(x);
  }
  return s;
}

class EvidenceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fx.Init();
    fx.OpenUnsealed();
    auto created = vault().CreateCase(Rina(), {{"registration_number", "PPA/5371/2026/000077"}, {"module", "anak"}});
    ASSERT_TRUE(created.ok()) << created.status().ToString();
    case_id = created->case_id;
  }

  Vault& vault() { return fx.vault(); }
  RequestContext Rina() { return fx.Ctx("rina", Role::kCaseWorker); }
  RequestContext Agus() { return fx.Ctx("agus", Role::kCaseWorker); }
  RequestContext Intake() { return fx.Ctx("ina", Role::kIntake); }
  RequestContext Supervisor() { return fx.Ctx("sri", Role::kSupervisor); }
  RequestContext Supervisor2() { return fx.Ctx("tono", Role::kSupervisor); }
  RequestContext Legal() { return fx.Ctx("polisi1", Role::kLegal); }

  // Adds `data` in pieces of `piece` bytes.
  Result<EvidenceInfo> Add(const RequestContext& rc, const std::string& data, size_t piece = 100'000,
                           uint64_t max_bytes = kDefaultMaxEvidenceBytes) {
    BRANKAS_ASSIGN_OR_RETURN(auto up, vault().BeginEvidence(rc, case_id, "visum et repertum.pdf", "application/pdf",
                                                            max_bytes));
    for (size_t off = 0; off < data.size(); off += piece) {
      BRANKAS_RETURN_IF_ERROR(up->Append(std::string_view(data).substr(off, piece)));
    }
    return up->Finish();
  }

  Result<std::string> Get(const RequestContext& rc, const std::string& eid) {
    BRANKAS_ASSIGN_OR_RETURN(auto reader, vault().OpenEvidence(rc, case_id, eid));
    std::string all, piece;
    for (int i = 0; i < 100'000; ++i) {
      BRANKAS_ASSIGN_OR_RETURN(bool more, reader->Next(&piece));
      if (!more) return all;
      EXPECT_LE(piece.size(), kEvidenceChunkBytes);
      all += piece;
    }
    return Internal("the reader did not end");
  }

  std::vector<AuditEntry> Audit(const std::string& action) {
    AuditFilter f;
    f.case_id = case_id;
    f.action = action;
    f.limit = kMaxAuditQueryLimit;
    auto r = QueryAudit(vault().store(), f);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : std::vector<AuditEntry>{};
  }

  size_t ChunksStored() {
    size_t n = 0;
    EXPECT_TRUE(vault().store().Scan(Column::kEvidence, "c/", {}, [&](std::string_view, std::string_view) {
      ++n;
      return true;
    }).ok());
    return n;
  }

  VaultFixture fx;
  std::string case_id;
};

TEST_F(EvidenceTest, RoundTripsEverySizeShapeWithItsSha256) {
  const size_t c = kEvidenceChunkBytes;
  for (size_t n : {size_t{0}, size_t{1}, c - 1, c, c + 1, 3 * c, 3 * c + 17}) {
    std::string data = Pattern(n, static_cast<uint32_t>(n));
    auto info = Add(Rina(), data, n % 7 == 0 ? 4096 : 333'333);
    ASSERT_TRUE(info.ok()) << n << ": " << info.status().ToString();
    EXPECT_EQ(info->size, n);
    Sha256 sha;
    sha.Update(data);
    EXPECT_EQ(info->sha256, sha.Finish()) << n;
    auto back = Get(Rina(), info->evidence_id);
    ASSERT_TRUE(back.ok()) << n << ": " << back.status().ToString();
    EXPECT_TRUE(*back == data) << n;
  }
  auto list = vault().ListEvidence(Rina(), case_id);
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  ASSERT_EQ(list->size(), 7u);
  EXPECT_EQ((*list)[0].name, "visum et repertum.pdf");
  EXPECT_EQ((*list)[0].content_type, "application/pdf");
  EXPECT_EQ((*list)[0].added_by, "rina");
  EXPECT_EQ((*list)[0].added_from, "127.0.0.1");
}

TEST_F(EvidenceTest, IntakeIsAuditedWithHashAndEveryReadJoinsTheCustodyTrail) {
  std::string data = Pattern(2 * kEvidenceChunkBytes + 5, 7);
  auto info = Add(Rina(), data);
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  auto adds = Audit("evidence.add");
  ASSERT_EQ(adds.size(), 1u);
  EXPECT_EQ(adds[0].actor, "rina");
  EXPECT_EQ(adds[0].decision, "allow");
  EXPECT_EQ(adds[0].fields, std::vector<std::string>{"evidence=" + info->evidence_id});
  EXPECT_EQ(adds[0].detail, "size=" + std::to_string(data.size()) + " sha256=" + ToHex(info->sha256));
  // The file name never enters the trail.
  EXPECT_EQ(EncodeAuditEntry(adds[0]).find("visum"), std::string::npos);

  ASSERT_TRUE(Get(Rina(), info->evidence_id).ok());
  ASSERT_TRUE(Get(Supervisor(), info->evidence_id).ok());
  auto gets = Audit("evidence.get");
  ASSERT_EQ(gets.size(), 2u);
  EXPECT_EQ(gets[0].actor, "rina");
  EXPECT_EQ(gets[1].actor, "sri");
  EXPECT_EQ(gets[1].fields, std::vector<std::string>{"evidence=" + info->evidence_id});
}

TEST_F(EvidenceTest, LegalReadsOnlyUnderAnActiveGrantOnLegalEvidence) {
  auto info = Add(Rina(), Pattern(50'000, 3));
  ASSERT_TRUE(info.ok());
  auto denied = vault().OpenEvidence(Legal(), case_id, info->evidence_id);
  ASSERT_FALSE(denied.ok());
  EXPECT_EQ(denied.status().code(), Code::kPermissionDenied);

  const int64_t now = fx.NowSeconds();
  GrantRequest req{case_id, "polisi1", Role::kLegal, {FieldClass::kLegalEvidence}, now, now + 3600,
                   "court_order:No. 12/Pid.Sus-Anak/2026/PN Kpg"};
  auto g = vault().RequestGrant(Rina(), req);
  ASSERT_TRUE(g.ok()) << g.status().ToString();
  ASSERT_TRUE(vault().ApproveGrant(Supervisor(), g->id).ok());
  ASSERT_FALSE(vault().OpenEvidence(Legal(), case_id, info->evidence_id).ok()) << "one approval of two";
  ASSERT_TRUE(vault().ApproveGrant(Supervisor2(), g->id).ok());
  auto back = Get(Legal(), info->evidence_id);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  auto gets = Audit("evidence.get");
  ASSERT_FALSE(gets.empty());
  EXPECT_EQ(gets.back().actor, "polisi1");
  EXPECT_EQ(gets.back().grant_id, g->id);
  // Legal may read under the grant, never add.
  auto add = vault().BeginEvidence(Legal(), case_id, "x.jpg", "image/jpeg");
  EXPECT_EQ(add.status().code(), Code::kPermissionDenied);

  fx.AdvanceSeconds(3601);
  auto expired = vault().OpenEvidence(Legal(), case_id, info->evidence_id);
  EXPECT_EQ(expired.status().code(), Code::kPermissionDenied);
}

TEST_F(EvidenceTest, RefusalsAreAuditedAndLeaveNothingBehind) {
  EXPECT_EQ(vault().BeginEvidence(Intake(), case_id, "a.jpg", "image/jpeg").status().code(), Code::kPermissionDenied);
  EXPECT_EQ(vault().BeginEvidence(Agus(), case_id, "a.jpg", "image/jpeg").status().code(), Code::kPermissionDenied);
  EXPECT_EQ(vault().BeginEvidence(Rina(), case_id, "", "image/jpeg").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(vault().BeginEvidence(Rina(), case_id, "a/b.jpg", "image/jpeg").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(vault().BeginEvidence(Rina(), case_id, "a.jpg", "image").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(vault().BeginEvidence(Rina(), "KPG-NOSUCHCASE", "a.jpg", "image/jpeg").status().code(), Code::kNotFound);
  EXPECT_EQ(vault().OpenEvidence(Rina(), case_id, "EV-NOSUCH").status().code(), Code::kNotFound);
  EXPECT_EQ(vault().OpenEvidence(Rina(), case_id, "../x").status().code(), Code::kInvalidArgument);

  // Past the limit: refused, and its chunks are gone.
  auto big = Add(Rina(), Pattern(3 * kEvidenceChunkBytes, 9), 500'000, 2 * kEvidenceChunkBytes);
  EXPECT_EQ(big.status().code(), Code::kTooLarge);
  // An upload dropped half way (the client went away).
  {
    auto up = vault().BeginEvidence(Rina(), case_id, "half.mp4", "video/mp4");
    ASSERT_TRUE(up.ok());
    ASSERT_TRUE((*up)->Append(Pattern(3 * kEvidenceChunkBytes, 5)).ok());
  }
  EXPECT_EQ(ChunksStored(), 0u);
  auto list = vault().ListEvidence(Rina(), case_id);
  ASSERT_TRUE(list.ok());
  EXPECT_TRUE(list->empty());
  size_t errors = 0, denials = 0;
  for (const AuditEntry& e : Audit("evidence.add")) {
    errors += e.decision == "error";
    denials += e.decision == "deny";
  }
  EXPECT_EQ(denials, 2u);
  EXPECT_GE(errors, 5u);  // three bad inputs, the oversized and the dropped upload
}

TEST_F(EvidenceTest, AChangedDroppedOrSwappedChunkIsCorruptionAndTheLastPieceIsWithheld) {
  std::string data = Pattern(3 * kEvidenceChunkBytes + 10, 11);
  auto info = Add(Rina(), data);
  ASSERT_TRUE(info.ok());
  std::vector<std::pair<std::string, std::string>> chunks;
  ASSERT_TRUE(vault().store().Scan(Column::kEvidence, "c/" + info->evidence_id + "/", {},
                                   [&](std::string_view k, std::string_view v) {
                                     chunks.emplace_back(std::string(k), std::string(v));
                                     return true;
                                   }).ok());
  ASSERT_EQ(chunks.size(), 4u);
  auto put = [&](size_t i, const std::string& v) {
    Batch b;
    b.Put(Column::kEvidence, chunks[i].first, v);
    ASSERT_TRUE(vault().store().Write(b, Durability::kSync).ok());
  };
  auto expect_corrupt = [&](const std::string& what) {
    auto back = Get(Rina(), info->evidence_id);
    ASSERT_FALSE(back.ok()) << what;
    EXPECT_EQ(back.status().code(), Code::kCorruption) << what;
  };
  // One flipped bit in the middle chunk.
  std::string flipped = chunks[1].second;
  flipped[flipped.size() / 2] ^= 0x01;
  put(1, flipped);
  expect_corrupt("a flipped bit");
  put(1, chunks[1].second);
  ASSERT_TRUE(Get(Rina(), info->evidence_id).ok());
  // Two chunks swapped.
  put(1, chunks[2].second);
  put(2, chunks[1].second);
  expect_corrupt("swapped chunks");
  put(1, chunks[1].second);
  put(2, chunks[2].second);
  // The last chunk replaced by the first (no FINAL tag where it belongs).
  put(3, chunks[0].second);
  expect_corrupt("the end cut off");
  put(3, chunks[3].second);
  // A chunk missing.
  Batch del;
  del.Delete(Column::kEvidence, chunks[2].first);
  ASSERT_TRUE(vault().store().Write(del, Durability::kSync).ok());
  expect_corrupt("a missing chunk");
  auto errors = Audit("evidence.get");
  EXPECT_EQ(std::count_if(errors.begin(), errors.end(), [](const AuditEntry& e) { return e.decision == "error"; }), 4);
}

TEST_F(EvidenceTest, ShreddingFreesTheAttachmentsAndReturnsASignedReceipt) {
  auto info = Add(Rina(), Pattern(2 * kEvidenceChunkBytes, 13));
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(ChunksStored(), 2u);
  EXPECT_EQ(vault().ShredCase(Supervisor(), case_id, "whim").code(), Code::kInvalidArgument);
  std::string receipt;
  ASSERT_TRUE(vault().ShredCase(Supervisor(), case_id, "lawful_request:Surat 12/PPA/2026", &receipt).ok());
  EXPECT_EQ(ChunksStored(), 0u);
  // The signed destruction receipt: verifiable, stored, in the audit trail.
  auto report = VerifyDestructionReceipt(receipt, vault().node_public_key());
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->valid) << report->problem;
  EXPECT_EQ(report->case_id, case_id);
  auto parsed = nlohmann::json::parse(receipt);
  EXPECT_EQ(parsed["receipt"]["destroyed"]["attachments"], 1);
  EXPECT_EQ(parsed["receipt"]["destroyed"]["attachment_chunks"], 2);
  EXPECT_EQ(parsed["receipt"]["reason"], "lawful_request:Surat 12/PPA/2026");
  for (size_t at : {size_t{5}, receipt.find("\"case_id\"") + 12, receipt.find("\"signature\"") + 20}) {
    std::string changed = receipt;
    changed[at] = changed[at] == '1' ? '2' : '1';
    auto bad = VerifyDestructionReceipt(changed, {});
    ASSERT_TRUE(bad.ok());
    EXPECT_FALSE(bad->valid) << "byte " << at;
  }
  auto stored = vault().DestructionReceipt(fx.Ctx("audit1", Role::kAuditor), case_id);
  ASSERT_TRUE(stored.ok()) << stored.status().ToString();
  EXPECT_EQ(*stored, receipt);
  EXPECT_EQ(vault().DestructionReceipt(Agus(), case_id).status().code(), Code::kPermissionDenied);
  Sha256 sha;
  sha.Update(receipt);
  auto shreds = Audit("case.shred");
  ASSERT_FALSE(shreds.empty());
  EXPECT_EQ(shreds.back().detail, "reason=lawful_request receipt_sha256=" + ToHex(sha.Finish()));
  EXPECT_EQ(EncodeAuditEntry(shreds.back()).find("Surat"), std::string::npos);
  EXPECT_EQ(vault().OpenEvidence(Rina(), case_id, info->evidence_id).status().code(), Code::kNotFound);
  EXPECT_EQ(vault().ListEvidence(Supervisor(), case_id).status().code(), Code::kNotFound);
}

TEST_F(EvidenceTest, AttachmentsSurviveAReopenOfTheVault) {
  std::string data = Pattern(kEvidenceChunkBytes + 1, 17);
  auto info = Add(Rina(), data);
  ASSERT_TRUE(info.ok());
  fx.OpenUnsealed();
  auto back = Get(Rina(), info->evidence_id);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_TRUE(*back == data);
}

// A crash in the middle of an upload: its chunks already in blob files, no
// record. The crash image is a copy of the data directory taken while the
// upload is open (the marker synced, the chunks flushed); the vault opened on
// it deletes those chunks and the marker, and keeps the finished attachment.
TEST_F(EvidenceTest, AnUploadACrashCutShortIsSweptAtTheNextOpen) {
  const std::string kept = Pattern(kEvidenceChunkBytes + 5, 3);
  auto finished = Add(Rina(), kept);
  ASSERT_TRUE(finished.ok()) << finished.status().ToString();

  auto up = vault().BeginEvidence(Rina(), case_id, "rekaman.mp4", "video/mp4");
  ASSERT_TRUE(up.ok()) << up.status().ToString();
  ASSERT_TRUE((*up)->Append(Pattern(3 * kEvidenceChunkBytes + 10, 4)).ok());  // 3 chunks written
  ASSERT_TRUE(vault().store().FlushColumn(Column::kEvidence).ok());
  const std::string image = fx.data_dir() + "-crash-image";
  std::filesystem::copy(fx.data_dir(), image, std::filesystem::copy_options::recursive);
  auto count = [](Store& store, Column c, std::string_view prefix) {
    size_t n = 0;
    EXPECT_TRUE(store.Scan(c, prefix, {}, [&](std::string_view, std::string_view) { return ++n < 1000; }).ok());
    return n;
  };
  EXPECT_EQ(count(vault().store(), Column::kMeta, "local/upload/"), 1u);
  up->reset();  // aborted cleanly here (the image never saw that): no marker left
  EXPECT_EQ(count(vault().store(), Column::kMeta, "local/upload/"), 0u);
  fx.vault_ptr().reset();
  std::string orphan;
  {
    auto store = OpenRocksStore(image, {});
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    ASSERT_TRUE((*store)->Scan(Column::kMeta, "local/upload/", {}, [&](std::string_view key, std::string_view) {
      orphan = std::string(key.substr(std::string_view("local/upload/").size()));
      return false;
    }).ok());
    ASSERT_FALSE(orphan.empty()) << "the image holds no unfinished upload";
    EXPECT_EQ(count(**store, Column::kEvidence, EvidenceChunkPrefix(orphan)), 3u);
  }
  std::filesystem::remove_all(fx.data_dir());
  std::filesystem::rename(image, fx.data_dir());

  fx.OpenUnsealed();
  EXPECT_EQ(count(vault().store(), Column::kEvidence, EvidenceChunkPrefix(orphan)), 0u);
  EXPECT_EQ(count(vault().store(), Column::kMeta, "local/upload/"), 0u);
  auto listed = vault().ListEvidence(Rina(), case_id);
  ASSERT_TRUE(listed.ok()) << listed.status().ToString();
  ASSERT_EQ(listed->size(), 1u);
  auto back = Get(Rina(), finished->evidence_id);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_TRUE(*back == kept);
}

TEST_F(EvidenceTest, BundleUnderAGrantVerifiesAndEveryChangedByteIsNamed) {
  ASSERT_TRUE(vault().UpdateCase(Rina(), case_id, {{"police_report_number", "LP/B/77/III/2026/SPKT"}}, 1).ok());
  std::string a = Pattern(kEvidenceChunkBytes + 100, 21), b = Pattern(1000, 22);
  auto ia = Add(Rina(), a), ib = Add(Rina(), b);
  ASSERT_TRUE(ia.ok() && ib.ok());
  // Without a grant, and for a non-legal role, nothing.
  EXPECT_EQ(vault().OpenEvidenceBundle(Legal(), case_id).status().code(), Code::kPermissionDenied);
  EXPECT_EQ(vault().OpenEvidenceBundle(Rina(), case_id).status().code(), Code::kPermissionDenied);
  const int64_t now = fx.NowSeconds();
  GrantRequest req{case_id, "polisi1", Role::kLegal, {FieldClass::kLegalEvidence}, now, now + 3600,
                   "court_order:No. 12/Pid.Sus-Anak/2026/PN Kpg"};
  auto g = vault().RequestGrant(Rina(), req);
  ASSERT_TRUE(g.ok()) << g.status().ToString();
  ASSERT_TRUE(vault().ApproveGrant(Supervisor(), g->id).ok());
  ASSERT_TRUE(vault().ApproveGrant(Supervisor2(), g->id).ok());

  auto stream = vault().OpenEvidenceBundle(Legal(), case_id);
  ASSERT_TRUE(stream.ok()) << stream.status().ToString();
  std::string bundle, piece;
  for (int i = 0; i < 1000; ++i) {
    auto more = (*stream)->Next(&piece);
    ASSERT_TRUE(more.ok()) << more.status().ToString();
    if (!*more) break;
    bundle += piece;
  }
  EXPECT_EQ(bundle.size(), (*stream)->size());
  auto verify = [&](const std::string& bytes, const std::string& key = {}) {
    std::istringstream in(bytes);
    auto r = VerifyEvidenceBundle(in, key);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : BundleReport{};
  };
  BundleReport good = verify(bundle, vault().node_public_key());
  ASSERT_TRUE(good.valid) << good.failed_part << " " << good.failed_item << ": " << good.problem;
  EXPECT_TRUE(good.key_pinned);
  EXPECT_EQ(good.attachments, 2u);
  EXPECT_GT(good.audit_entries, 5u);
  // The grant opened legal_evidence only: that field, no identity.
  EXPECT_NE(bundle.find("LP/B/77/III/2026/SPKT"), std::string::npos);
  EXPECT_EQ(bundle.find("PPA/5371/2026/000077"), std::string::npos);
  EXPECT_EQ(verify(bundle.substr(0, bundle.size() - 1)).failed_part, "truncated");
  EXPECT_EQ(verify(bundle + "x").failed_part, "trailing");
  EXPECT_EQ(verify(bundle, std::string(32, 'k')).failed_part, "key");

  // Every region of the file, one changed byte at a time.
  const size_t manifest_len = GetBigEndian64(std::string_view(bundle).substr(kBundleMagic.size(), 8));
  const size_t sig_at = kBundleMagic.size() + 8 + manifest_len + 8;
  const size_t first_attachment = sig_at + 64;
  struct Probe { size_t at; const char* part; };
  std::vector<Probe> probes = {{0, "magic"},
                               {kBundleMagic.size() + 7, "manifest_signature"},
                               {kBundleMagic.size() + 8 + manifest_len / 2, ""},
                               {sig_at - 1, "manifest_signature"},
                               {sig_at + 10, "manifest_signature"},
                               {first_attachment + 7, "attachment"},
                               {first_attachment + 8 + 5, "attachment"},
                               {first_attachment + 8 + a.size() + 8 + 999, "attachment"}};
  for (const Probe& p : probes) {
    std::string changed = bundle;
    changed[p.at] ^= 0x20;
    BundleReport r = verify(changed);
    EXPECT_FALSE(r.valid) << "byte " << p.at;
    if (*p.part != '\0') {
      EXPECT_EQ(r.failed_part, p.part) << "byte " << p.at << ": " << r.problem;
    }
    if (std::string(p.part) == "attachment") {
      EXPECT_FALSE(r.failed_item.empty());
    }
  }
  auto bundles = Audit("evidence.bundle");
  ASSERT_EQ(bundles.size(), 3u);  // two refusals, one made
  EXPECT_EQ(bundles.back().grant_id, g->id);
}


// Retention: closed cases past their period are due; legal hold keeps them;
// a run shreds the rest with a signed receipt each.
TEST_F(EvidenceTest, RetentionShredsClosedCasesPastTheirPeriodButNotHeldOnes) {
  auto close = [&](const FieldValues& fields) {
    auto c = vault().CreateCase(Rina(), fields);
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    for (Stage s : {Stage::kAssessment, Stage::kPlanning, Stage::kImplementation, Stage::kMonitoring, Stage::kClosure}) {
      auto moved = vault().ChangeStage(s == Stage::kAssessment || s == Stage::kMonitoring ? Rina() : Supervisor(),
                                       c->case_id, s);
      EXPECT_TRUE(moved.ok()) << moved.status().ToString();
    }
    return c->case_id;
  };
  const std::string standard = close({{"module", "perempuan"}, {"retention_class", "standard"}});
  const std::string child = close({{"module", "anak"}, {"retention_class", "standard"}});
  const std::string held = close({{"module", "perempuan"}});
  const std::string legal = close({{"module", "perempuan"}, {"retention_class", "legal_process"}});
  ASSERT_TRUE(vault().SetLegalHold(Supervisor(), held, true).ok());
  // case_id (SetUp) stays open: never due.

  auto review = vault().ReviewRetention(Supervisor(), false);
  ASSERT_TRUE(review.ok()) << review.status().ToString();
  EXPECT_TRUE(review->empty()) << "nothing is due on the day of closure";
  EXPECT_EQ(vault().ReviewRetention(Rina(), false).status().code(), Code::kPermissionDenied);

  fx.AdvanceSeconds(11 * 31'557'600LL);  // eleven years: the standard 10 passed, the child's 18 not
  review = vault().ReviewRetention(Supervisor(), false);
  ASSERT_TRUE(review.ok());
  std::vector<std::string> due;
  for (const RetentionItem& i : *review) due.push_back(i.case_id + (i.legal_hold ? ":held" : ""));
  std::sort(due.begin(), due.end());
  std::vector<std::string> want = {standard, held + ":held"};
  std::sort(want.begin(), want.end());
  EXPECT_EQ(due, want);

  auto run = vault().ReviewRetention(Supervisor(), true);
  ASSERT_TRUE(run.ok());
  for (const RetentionItem& i : *run) {
    EXPECT_EQ(i.shredded, i.case_id == standard) << i.case_id;
    if (i.shredded) {
      EXPECT_FALSE(i.receipt_sha256.empty());
    }
  }
  EXPECT_EQ(vault().ReadCase(Rina(), standard).status().code(), Code::kNotFound);
  EXPECT_TRUE(vault().ReadCase(Rina(), held).ok());
  EXPECT_TRUE(vault().ReadCase(Rina(), child).ok());
  EXPECT_TRUE(vault().ReadCase(Rina(), legal).ok());
  auto receipt = vault().DestructionReceipt(Supervisor(), standard);
  ASSERT_TRUE(receipt.ok());
  EXPECT_EQ(nlohmann::json::parse(*receipt)["receipt"]["reason"], "retention:standard");

  fx.AdvanceSeconds(8 * 31'557'600LL);  // nineteen years: the child's case too
  run = vault().ReviewRetention(Supervisor(), true);
  ASSERT_TRUE(run.ok());
  EXPECT_EQ(vault().ReadCase(Rina(), child).status().code(), Code::kNotFound);
  EXPECT_TRUE(vault().ReadCase(Rina(), legal).ok()) << "legal_process is kept until reclassified";
}

}  // namespace
}  // namespace brankas
