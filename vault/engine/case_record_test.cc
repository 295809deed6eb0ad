// Case metadata encoding, masking and ids (vault/engine/case_record.h).
#include "engine/case_record.h"

#include <gtest/gtest.h>

#include <cctype>
#include <random>
#include <set>

#include "brankas/codec.h"
#include "brankas/crypto.h"

namespace brankas {
namespace {

CaseMeta SampleMeta() {
  CaseMeta m;
  m.version = 7;
  m.case_id = "KPG-ABCDEFGHJKLMNPQRSTUV";
  m.unit = "KPG";
  m.stage = Stage::kPlanning;
  m.owner = "rina";
  m.created_by = "ina";
  m.assigned = {"rina", "dewi", "yudi"};
  m.created_us = 1'780'000'000'000'000;
  m.updated_us = 1'780'000'123'456'789;
  m.closed = false;
  m.legal_hold = true;
  m.shredded = false;
  m.fields["name"] = FieldState{1, "ina", 1'780'000'000'000'000, std::string(32, '\x5a')};
  m.fields["risk_level"] = FieldState{4, "dewi", 1'780'000'100'000'000, ""};
  m.fields["police_report_number"] = FieldState{5, "rina", 1'780'000'110'000'000, ""};
  return m;
}

void ExpectSameMeta(const CaseMeta& a, const CaseMeta& b) {
  EXPECT_EQ(a.version, b.version);
  EXPECT_EQ(a.case_id, b.case_id);
  EXPECT_EQ(a.unit, b.unit);
  EXPECT_EQ(a.stage, b.stage);
  EXPECT_EQ(a.owner, b.owner);
  EXPECT_EQ(a.created_by, b.created_by);
  EXPECT_EQ(a.assigned, b.assigned);
  EXPECT_EQ(a.created_us, b.created_us);
  EXPECT_EQ(a.updated_us, b.updated_us);
  EXPECT_EQ(a.closed, b.closed);
  EXPECT_EQ(a.legal_hold, b.legal_hold);
  EXPECT_EQ(a.shredded, b.shredded);
  EXPECT_EQ(a.shredded_classes, b.shredded_classes);
  ASSERT_EQ(a.fields.size(), b.fields.size());
  for (auto ia = a.fields.begin(), ib = b.fields.begin(); ia != a.fields.end(); ++ia, ++ib) {
    EXPECT_EQ(ia->first, ib->first);
    EXPECT_EQ(ia->second.version, ib->second.version);
    EXPECT_EQ(ia->second.writer, ib->second.writer);
    EXPECT_EQ(ia->second.time_us, ib->second.time_us);
    EXPECT_EQ(ia->second.blind_tag, ib->second.blind_tag);
  }
}

// A decoded value must itself encode and decode to the same value.
void ExpectDecodesToCorruptionOrStableValue(const std::string& bytes) {
  auto r = DecodeCaseMeta(bytes);
  if (!r.ok()) {
    EXPECT_EQ(r.status().code(), Code::kCorruption) << r.status().ToString();
    return;
  }
  EXPECT_GT(r->version, 0u);
  EXPECT_LT(static_cast<int>(r->stage), kStageCount);
  auto again = DecodeCaseMeta(EncodeCaseMeta(*r));
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  ExpectSameMeta(*r, *again);
}

TEST(CaseRecordTest, MetaRoundTrips) {
  CaseMeta m = SampleMeta();
  auto decoded = DecodeCaseMeta(EncodeCaseMeta(m));
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  ExpectSameMeta(m, *decoded);

  // Every stage and flag combination, and the empty collections.
  for (int s = 0; s < kStageCount; ++s) {
    CaseMeta n;
    n.version = 1;
    n.case_id = "KPG-X";
    n.stage = static_cast<Stage>(s);
    n.closed = s == static_cast<int>(Stage::kClosure);
    n.shredded = s % 2 == 0;
    n.created_us = -1;  // negative times survive the unsigned encoding
    auto d = DecodeCaseMeta(EncodeCaseMeta(n));
    ASSERT_TRUE(d.ok()) << d.status().ToString();
    ExpectSameMeta(n, *d);
  }
}

TEST(CaseRecordTest, VersionZeroUnknownFormatAndBadStageAreCorruption) {
  CaseMeta m = SampleMeta();
  m.version = 0;
  EXPECT_EQ(DecodeCaseMeta(EncodeCaseMeta(m)).status().code(), Code::kCorruption);

  std::string good = EncodeCaseMeta(SampleMeta());
  std::string bad_format = good;
  bad_format[0] = '\x04';
  EXPECT_EQ(DecodeCaseMeta(bad_format).status().code(), Code::kCorruption);
  EXPECT_EQ(DecodeCaseMeta("").status().code(), Code::kCorruption);
  EXPECT_EQ(DecodeCaseMeta(good + "x").status().code(), Code::kCorruption);

  CaseMeta staged = SampleMeta();
  staged.stage = static_cast<Stage>(kStageCount);
  EXPECT_EQ(DecodeCaseMeta(EncodeCaseMeta(staged)).status().code(), Code::kCorruption);
}

// SampleMeta() as builds before 2026-12 wrote it, frozen: format 1 (one
// version, writer and time per field) and format 2 (the same, then u32
// shredded classes: medical and psychological).
std::string FrozenMeta(bool class_shred) {
  const std::string hex = std::string(class_shred ? "02" : "01") +
      "0700000000000000180000004b50472d41424344454647484a4b4c4d4e50515253545556030000004b50470204000000"
      "72696e6103000000696e61030000000400000072696e61040000006465776904000000797564690040b38be652060015"
      "0d0f93e652060000010003000000040000006e616d65010000000000000003000000696e610040b38be6520600200000"
      "005a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a14000000706f6c6963655f7265706f"
      "72745f6e756d62657205000000000000000400000072696e6180b74192e6520600000000000a0000007269736b5f6c65"
      "76656c040000000000000004000000646577690021a991e652060000000000" +
      std::string(class_shred ? "60000000" : "");
  std::string bytes;
  EXPECT_TRUE(FromHex(hex, &bytes));
  return bytes;
}

// A format-2 record with other shredded classes.
std::string FrozenMetaWithClasses(uint32_t classes) {
  std::string bytes = FrozenMeta(/*class_shred=*/true);
  bytes.resize(bytes.size() - 4);
  for (int i = 0; i < 4; ++i) bytes.push_back(static_cast<char>(classes >> (8 * i)));
  return bytes;
}

TEST(CaseRecordTest, OlderFormatsStillDecode) {
  CaseMeta m = SampleMeta();
  auto d = DecodeCaseMeta(FrozenMeta(false));
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  ExpectSameMeta(m, *d);
  m.shredded_classes = (1u << static_cast<int>(FieldClass::kMedical)) |
                       (1u << static_cast<int>(FieldClass::kPsychological));
  const std::string two = FrozenMeta(true);
  d = DecodeCaseMeta(two);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  ExpectSameMeta(m, *d);
  for (size_t n = 0; n < two.size(); ++n) {
    EXPECT_EQ(DecodeCaseMeta(std::string_view(two).substr(0, n)).status().code(), Code::kCorruption) << n;
  }
  // Format 2 without the classes (or with none) is corruption; so are
  // administrative (never shredded by class) and unknown class bits.
  std::string empty_two = FrozenMeta(false);
  empty_two[0] = '\x02';
  EXPECT_EQ(DecodeCaseMeta(empty_two).status().code(), Code::kCorruption);
  EXPECT_EQ(DecodeCaseMeta(FrozenMetaWithClasses(0)).status().code(), Code::kCorruption);
  EXPECT_EQ(DecodeCaseMeta(FrozenMetaWithClasses(1u << static_cast<int>(FieldClass::kAdministrative))).status().code(),
            Code::kCorruption);
  EXPECT_EQ(DecodeCaseMeta(FrozenMetaWithClasses(1u << kFieldClassCount)).status().code(), Code::kCorruption);
}

TEST(CaseRecordTest, FieldsWrittenTogetherShareOneStamp) {
  CaseMeta m = SampleMeta();
  for (int i = 0; i < 40; ++i) {
    m.fields["field_" + std::to_string(i)] = FieldState{1, "ina", 1'780'000'000'000'000, ""};
  }
  const std::string stamped = EncodeCaseMeta(m);
  EXPECT_EQ(stamped[0], '\x03');
  auto d = DecodeCaseMeta(stamped);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  ExpectSameMeta(m, *d);
  // Each field written at a stamp already stored (SampleMeta's "name" has
  // it) costs its name, a u32 stamp index and its (empty) blind tag: 12
  // bytes besides the name, where formats 1 and 2 took 31 (u64 version,
  // writer "ina", i64 time).
  size_t added = 0;
  for (int i = 0; i < 40; ++i) added += 4 + ("field_" + std::to_string(i)).size() + 4 + 4;
  EXPECT_EQ(stamped.size(), EncodeCaseMeta(SampleMeta()).size() + added);
  // A field naming a stamp that is not there is corruption.
  CaseMeta one_field = SampleMeta();
  one_field.fields.clear();
  one_field.fields["name"] = FieldState{1, "ina", 5, ""};
  std::string bad = EncodeCaseMeta(one_field);
  // ... | u32 field count (1) | name | u32 stamp | blind tag (empty): the stamp is 8 bytes from the end.
  bad[bad.size() - 8] = '\x01';
  EXPECT_EQ(DecodeCaseMeta(bad).status().code(), Code::kCorruption);
}

TEST(CaseRecordTest, ShreddedClassesAreKeptAndCheckedWhenDecoded) {
  CaseMeta m = SampleMeta();
  m.shredded_classes = (1u << static_cast<int>(FieldClass::kMedical)) |
                       (1u << static_cast<int>(FieldClass::kPsychological));
  const std::string bytes = EncodeCaseMeta(m);
  auto d = DecodeCaseMeta(bytes);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  ExpectSameMeta(m, *d);
  for (size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_EQ(DecodeCaseMeta(std::string_view(bytes).substr(0, n)).status().code(), Code::kCorruption) << n;
  }
  // Administrative is never shredded by class; unknown class bits are corruption.
  CaseMeta admin = SampleMeta();
  admin.shredded_classes = 1u << static_cast<int>(FieldClass::kAdministrative);
  EXPECT_EQ(DecodeCaseMeta(EncodeCaseMeta(admin)).status().code(), Code::kCorruption);
  CaseMeta unknown = SampleMeta();
  unknown.shredded_classes = 1u << kFieldClassCount;
  EXPECT_EQ(DecodeCaseMeta(EncodeCaseMeta(unknown)).status().code(), Code::kCorruption);
}

TEST(CaseRecordTest, EveryTruncationIsCorruption) {
  const std::string good = EncodeCaseMeta(SampleMeta());
  ASSERT_TRUE(DecodeCaseMeta(good).ok());
  for (size_t n = 0; n < good.size(); ++n) {
    auto r = DecodeCaseMeta(std::string_view(good).substr(0, n));
    ASSERT_FALSE(r.ok()) << "prefix of " << n << " bytes decoded";
    EXPECT_EQ(r.status().code(), Code::kCorruption) << n;
  }
}

TEST(CaseRecordTest, BitFlipsAndRandomBytesNeverCrash) {
  const std::string good = EncodeCaseMeta(SampleMeta());
  std::mt19937_64 rng(20260314);
  // Every single bit flip.
  for (size_t i = 0; i < good.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string b = good;
      b[i] = static_cast<char>(b[i] ^ (1 << bit));
      ExpectDecodesToCorruptionOrStableValue(b);
    }
  }
  // Random multi-byte damage of a valid encoding.
  for (int round = 0; round < 2000; ++round) {
    std::string b = good;
    int edits = 1 + static_cast<int>(rng() % 6);
    for (int e = 0; e < edits; ++e) b[rng() % b.size()] = static_cast<char>(rng());
    ExpectDecodesToCorruptionOrStableValue(b);
  }
  // Random strings; half of them carry the right format byte to get further.
  for (int round = 0; round < 3000; ++round) {
    std::string b(rng() % 300, '\0');
    for (char& c : b) c = static_cast<char>(rng());
    if (round % 2 == 0 && !b.empty()) b[0] = '\x01';
    ExpectDecodesToCorruptionOrStableValue(b);
  }
  // Huge declared lengths and counts must not allocate what the input lacks.
  std::string huge = good.substr(0, 9) + std::string("\xff\xff\xff\xff", 4);
  EXPECT_EQ(DecodeCaseMeta(huge).status().code(), Code::kCorruption);
}

TEST(CaseRecordTest, MaskValueKeepsInitialsOnly) {
  EXPECT_EQ(MaskValue("Siti Nur Aisyah"), "S. N. A.");
  EXPECT_EQ(MaskValue("  Siti   Nur\tAisyah\n"), "S. N. A.");
  EXPECT_EQ(MaskValue("Rumah Aman Melati, Oesapa"), "R. A. M. O.");
  EXPECT_EQ(MaskValue("5371014507120003"), std::string(16, '*'));
  EXPECT_EQ(MaskValue("7"), "*");
  // A multi-byte UTF-8 initial is kept whole, never cut in the middle.
  EXPECT_EQ(MaskValue("\xC3\x89lise \xC3\x91" "and\xC3\xBA"), "\xC3\x89. \xC3\x91.");   // É. Ñ.
  EXPECT_EQ(MaskValue("\xE6\x97\xA5\xE6\x9C\xAC \xE5\xA4\xAA"), "\xE6\x97\xA5. \xE5\xA4\xAA.");
  EXPECT_EQ(MaskValue("\xF0\x9F\x98\x80 smile"), "\xF0\x9F\x98\x80. s.");
  // Nothing to show is shown as a single star, never as an empty string.
  EXPECT_EQ(MaskValue(""), "*");
  EXPECT_EQ(MaskValue("   "), "*");
  // A long text stays short: initials only, bounded.
  std::string many;
  for (int i = 0; i < 500; ++i) many += "kata" + std::to_string(i) + " ";
  std::string masked = MaskValue(many);
  EXPECT_LE(masked.size(), 72u);
  EXPECT_EQ(masked.find("kata"), std::string::npos);
  // A truncated UTF-8 sequence at the end does not read past the value.
  EXPECT_EQ(MaskValue(std::string("Siti \xE6", 6)), "S. \xE6.");
}

TEST(CaseRecordTest, MaskedNamesRevealNoMoreThanInitials) {
  for (const std::string v : {"Siti Nur Aisyah", "Budi Santoso", "Yohanes Bili Ndolu"}) {
    std::string m = MaskValue(v);
    EXPECT_NE(m, v);
    // No two consecutive letters of the clear value survive.
    for (size_t i = 0; i + 1 < m.size(); ++i) {
      bool letters = std::isalpha(static_cast<unsigned char>(m[i])) &&
                     std::isalpha(static_cast<unsigned char>(m[i + 1]));
      EXPECT_FALSE(letters) << m;
    }
  }
}

TEST(CaseRecordTest, WellFormedIds) {
  EXPECT_TRUE(IsWellFormedId("KPG-ABCDEFGHJKLMNPQRSTUV"));
  EXPECT_TRUE(IsWellFormedId("rina"));
  EXPECT_TRUE(IsWellFormedId("G-23456789"));
  EXPECT_TRUE(IsWellFormedId("unit_01"));  // unit codes may hold '_' (Vault::Initialize)
  EXPECT_TRUE(IsWellFormedId(std::string(64, 'A')));
  EXPECT_FALSE(IsWellFormedId(std::string(65, 'A')));
  EXPECT_FALSE(IsWellFormedId(""));
  for (const std::string bad :
       {"../etc", "KPG/1", "KPG 1", "KPG.1", "KPG'--", "a\nb", "case\xC3\xA9", "m/KPG", "KPG\\1"}) {
    EXPECT_FALSE(IsWellFormedId(bad)) << bad;
  }
  EXPECT_FALSE(IsWellFormedId(std::string("KPG\0X", 5)));
}

TEST(CaseRecordTest, NewCaseIdsAreUniquePrefixedAndWellFormed) {
  std::set<std::string> ids;
  static constexpr std::string_view kAlphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
  std::set<char> seen_chars;
  for (int i = 0; i < 2000; ++i) {
    std::string id = NewCaseId("KPG");
    ASSERT_EQ(id.size(), 3u + 1u + 20u) << id;
    ASSERT_EQ(id.rfind("KPG-", 0), 0u) << id;
    ASSERT_TRUE(IsWellFormedId(id)) << id;
    for (char c : id.substr(4)) {
      ASSERT_NE(kAlphabet.find(c), std::string_view::npos) << id;
      seen_chars.insert(c);
    }
    EXPECT_TRUE(ids.insert(id).second) << "duplicate " << id;
  }
  // Random, not sequential: the whole alphabet is used.
  EXPECT_EQ(seen_chars.size(), kAlphabet.size());
  std::string other = NewCaseId("SLM");
  EXPECT_EQ(other.rfind("SLM-", 0), 0u);
}

TEST(CaseRecordTest, KeysAreCaseScoped) {
  EXPECT_EQ(CaseMetaKey("KPG-A"), "m/KPG-A");
  const std::string prefix = VersionPrefix("KPG-A");
  std::string k = VersionKey("KPG-A", 0x0102);
  ASSERT_EQ(k.size(), prefix.size() + 8);
  EXPECT_EQ(k.rfind(prefix, 0), 0u);
  // Big-endian: versions sort in order under the prefix.
  EXPECT_LT(VersionKey("KPG-A", 9), VersionKey("KPG-A", 10));
  EXPECT_LT(VersionKey("KPG-A", 255), VersionKey("KPG-A", 256));
  // One case's prefix does not cover another case whose id extends it.
  EXPECT_NE(VersionKey("KPG-AB", 1).rfind(prefix, 0), 0u);
  // The associated data differs per unit, case, field and version.
  std::set<std::string> ads = {FieldAd("KPG", "KPG-A", "name", 1), FieldAd("SLM", "KPG-A", "name", 1),
                               FieldAd("KPG", "KPG-B", "name", 1), FieldAd("KPG", "KPG-A", "alias", 1),
                               FieldAd("KPG", "KPG-A", "name", 2)};
  EXPECT_EQ(ads.size(), 5u);
  EXPECT_EQ(IndexKey("nik", "TAG", "KPG-A"), IndexPrefix("nik", "TAG") + "KPG-A");
}

SealedFields SampleSealed() {
  return {{"name", std::string(40, '\x01') + "ciphertext"},
          {"nik", std::string(56, '\xfe')},
          {"narrative", ""}};
}

TEST(CaseRecordTest, SealedFieldsRoundTrip) {
  auto d = DecodeSealedFields(EncodeSealedFields(SampleSealed()));
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(*d, SampleSealed());
  auto empty = DecodeSealedFields(EncodeSealedFields({}));
  ASSERT_TRUE(empty.ok()) << empty.status().ToString();
  EXPECT_TRUE(empty->empty());
  const std::string good = EncodeSealedFields(SampleSealed());
  EXPECT_EQ(DecodeSealedFields(good + "x").status().code(), Code::kCorruption);
  EXPECT_EQ(DecodeSealedFields("").status().code(), Code::kCorruption);
  std::string wrong_format = good;
  wrong_format[0] = static_cast<char>(wrong_format[0] + 1);
  EXPECT_EQ(DecodeSealedFields(wrong_format).status().code(), Code::kCorruption);
}

TEST(CaseRecordTest, DamagedSealedFieldsAreCorruptionNeverACrash) {
  const std::string good = EncodeSealedFields(SampleSealed());
  for (size_t n = 0; n < good.size(); ++n) {
    auto r = DecodeSealedFields(std::string_view(good).substr(0, n));
    ASSERT_FALSE(r.ok()) << "prefix of " << n << " bytes decoded";
    EXPECT_EQ(r.status().code(), Code::kCorruption) << n;
  }
  std::mt19937_64 rng(5371);
  for (int round = 0; round < 3000; ++round) {
    std::string b;
    if (round % 2 == 0) {
      b = good;
      for (int e = 0; e < 1 + round % 4; ++e) b[rng() % b.size()] = static_cast<char>(rng());
    } else {
      b.resize(rng() % 200);
      for (char& c : b) c = static_cast<char>(rng());
      if (!b.empty()) b[0] = good[0];
    }
    auto r = DecodeSealedFields(b);
    if (!r.ok()) {
      EXPECT_EQ(r.status().code(), Code::kCorruption) << r.status().ToString();
    } else {
      // Whatever decodes re-encodes into something that decodes the same.
      auto again = DecodeSealedFields(EncodeSealedFields(*r));
      ASSERT_TRUE(again.ok());
      EXPECT_EQ(*again, *r);
    }
  }
}

}  // namespace
}  // namespace brankas
