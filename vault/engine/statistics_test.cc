// The statistics export: facets derived at write time, suppression, who may
// export, and that the export opens no field (it works with every data key gone).
#include <gtest/gtest.h>

#include "brankas/audit.h"
#include "brankas/statistics.h"
#include "brankas/synth.h"
#include "engine/statistics_facet.h"
#include "engine/statistics_tables.h"
#include "engine/vault_test_util.h"
#include "testing/source_dir.h"

namespace brankas {
namespace {

using testing::VaultFixture;

const StatisticsBreakdown& Breakdown(const StatisticsRow& row, std::string_view dimension) {
  for (const auto& b : row.breakdowns) {
    if (b.dimension == dimension) return b;
  }
  ADD_FAILURE() << "no dimension " << dimension;
  static const StatisticsBreakdown kNone;
  return kNone;
}

const StatisticsCell& Cell(const StatisticsRow& row, std::string_view dimension, std::string_view category) {
  for (const auto& c : Breakdown(row, dimension).cells) {
    if (c.category == category) return c;
  }
  ADD_FAILURE() << "no category " << category << " in " << dimension;
  static const StatisticsCell kNone;
  return kNone;
}

// Every published number of the report, with the check that none is below
// the threshold (other than 0).
void ExpectNoSmallCount(const StatisticsReport& r) {
  for (const auto& row : r.rows) {
    for (auto n : {row.cases, row.withheld_by_consent}) {
      if (n) {
        EXPECT_TRUE(*n == 0 || *n >= static_cast<uint64_t>(r.threshold)) << row.month << ": " << *n;
      }
    }
    for (const auto& b : row.breakdowns) {
      size_t suppressed = 0;
      for (const auto& c : b.cells) {
        suppressed += c.suppressed();
        if (c.count) {
          EXPECT_TRUE(*c.count == 0 || *c.count >= static_cast<uint64_t>(r.threshold))
              << row.month << " " << b.dimension << "/" << c.category << ": " << *c.count;
        }
      }
      // A lone suppressed cell beside a published total would be recoverable.
      if (row.cases) {
        EXPECT_NE(suppressed, 1u) << row.month << " " << b.dimension;
      }
    }
  }
}

StatisticsFacet Facet(std::string month, std::string sex, std::string band) {
  StatisticsFacet f;
  f.unit = "KPG";
  f.month = std::move(month);
  f.sex = std::move(sex);
  f.age_band = std::move(band);
  f.violence_types = {"physical"};
  return f;
}

TEST(StatisticsTables, SuppressesSmallCellsAndTheirComplement) {
  auto schema = Schema::LoadFile(testing::SourceDir() + "/config/schema.toml");
  ASSERT_TRUE(schema.ok());
  std::vector<StatisticsFacet> facets;
  for (int i = 0; i < 12; ++i) facets.push_back(Facet("2026-03", "female", "13-17"));
  for (int i = 0; i < 2; ++i) facets.push_back(Facet("2026-03", "male", "6-12"));
  for (int i = 0; i < 3; ++i) facets.push_back(Facet("2026-04", "female", "0-5"));
  facets.push_back(Facet("2026-09", "female", "0-5"));  // outside the range
  StatisticsFacet refused = Facet("2026-03", "female", "13-17");
  refused.consent = false;
  facets.push_back(refused);
  StatisticsFacet other_unit = Facet("2026-03", "female", "13-17");
  other_unit.unit = "SLM";
  facets.push_back(other_unit);

  const int from = ParseStatisticsMonth("2026-02"), to = ParseStatisticsMonth("2026-04");
  auto r = BuildStatisticsReport(facets, "KPG", from, to, 5, CategoriesFrom(*schema));
  ASSERT_EQ(r.rows.size(), 3u);
  EXPECT_EQ(r.rows[0].month, "2026-02");
  EXPECT_EQ(r.rows[0].cases, 0u);  // zeros are published
  const StatisticsRow& march = r.rows[1];
  EXPECT_EQ(march.cases, 14u);
  EXPECT_FALSE(march.withheld_by_consent.has_value());  // 1 refusal: suppressed
  // male 2 is suppressed; female 12 would give it away (14 - 12): suppressed too.
  EXPECT_TRUE(Cell(march, "sex", "male").suppressed());
  EXPECT_TRUE(Cell(march, "sex", "female").suppressed());
  EXPECT_EQ(Cell(march, "sex", "unknown").count, 0u);
  EXPECT_EQ(Cell(march, "violence_type", "physical").count, 14u);
  EXPECT_EQ(Cell(march, "module", "unknown").count, 14u);
  const StatisticsRow& april = r.rows[2];
  EXPECT_FALSE(april.cases.has_value());  // 3 < 5: everything of April is suppressed
  EXPECT_TRUE(Cell(april, "age_band", "0-5").suppressed());
  EXPECT_GT(r.suppressed_secondary, 0u);
  ExpectNoSmallCount(r);
}

TEST(StatisticsFacet, DerivedFromWrittenValuesAndKeptAcrossUpdates) {
  auto schema = Schema::LoadFile(testing::SourceDir() + "/config/schema.toml");
  ASSERT_TRUE(schema.ok());
  auto written = [&](FieldValues fields) {
    auto v = schema->ValidateWrite(fields);
    EXPECT_TRUE(v.ok()) << v.status().ToString();
    return v.ok() ? *v : std::vector<std::pair<const FieldDef*, std::string>>{};
  };
  StatisticsFacet f;
  const int64_t created_us = 1'780'000'000'000'000;  // 2026-05-28
  ApplyWrite(&f, written({{"sex", "female"}, {"birth_date", "2012-06-10"}, {"report_date", "2026-02-03"},
                          {"violence_types", "sexual,physical"}, {"name", "Siti Rahma Lestari"}}),
             created_us);
  EXPECT_EQ(f.month, "2026-02");
  EXPECT_EQ(f.age_band, "13-17");  // 13 on 2026-02-03
  EXPECT_EQ(f.violence_types, (std::vector<std::string>{"physical", "sexual"}));
  // An update of the services alone keeps what the facet knew.
  ApplyWrite(&f, written({{"services_provided", "complaint,case_management"}}), created_us);
  EXPECT_EQ(f.sex, "female");
  EXPECT_EQ(f.age_band, "13-17");
  EXPECT_EQ(f.services, (std::vector<std::string>{"case_management", "complaint"}));
  // age_years does not override a birth date.
  ApplyWrite(&f, written({{"age_years", "40"}}), created_us);
  EXPECT_EQ(f.age_band, "13-17");
  auto round = DecodeFacet(EncodeFacet(f));
  ASSERT_TRUE(round.ok());
  EXPECT_EQ(EncodeFacet(*round), EncodeFacet(f));
  // No report date: the month of the case's creation.
  StatisticsFacet g;
  ApplyWrite(&g, written({{"age_years", "4"}}), created_us);
  EXPECT_EQ(g.month, "2026-05");
  EXPECT_EQ(g.age_band, "0-5");
  EXPECT_FALSE(DecodeFacet("\x01garbage").ok());
}

TEST(StatisticsTables, MonthsAndBands) {
  EXPECT_EQ(ParseStatisticsMonth("2026-13"), -1);
  EXPECT_EQ(ParseStatisticsMonth("2026-1"), -1);
  EXPECT_EQ(ParseStatisticsMonth("26-01-01"), -1);
  EXPECT_EQ(FormatStatisticsMonth(ParseStatisticsMonth("2026-01")), "2026-01");
  EXPECT_EQ(FormatStatisticsMonth(ParseStatisticsMonth("2025-12") + 1), "2026-01");
  EXPECT_EQ(AgeBandOf(5), "0-5");
  EXPECT_EQ(AgeBandOf(6), "6-12");
  EXPECT_EQ(AgeBandOf(17), "13-17");
  EXPECT_EQ(AgeBandOf(60), "60+");
  EXPECT_EQ(AgeBandOf(-1), "unknown");
}

class StatisticsVaultTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fx.Init();
    fx.OpenUnsealed();
  }
  Vault& vault() { return fx.vault(); }
  RequestContext worker() { return fx.Ctx("rina", Role::kCaseWorker); }
  RequestContext supervisor() { return fx.Ctx("sari", Role::kSupervisor); }

  std::string NewCase(SyntheticGenerator& gen, const std::string& sex, const std::string& report_date,
                      std::optional<bool> consent = std::nullopt) {
    FieldValues f = {{"name", gen.Name()},
                     {"nik", gen.Nik()},
                     {"address", gen.Address()},
                     {"regency", gen.Regency()},
                     {"sex", sex},
                     {"age_years", "14"},
                     {"report_date", report_date},
                     {"module", "anak"},
                     {"incident_place", "household"},
                     {"violence_types", "physical"}};
    if (consent) f["consent_deidentified_reporting"] = *consent ? "true" : "false";
    auto c = vault().CreateCase(worker(), f);
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return c.ok() ? c->case_id : "";
  }

  VaultFixture fx;
};

TEST_F(StatisticsVaultTest, ExportCountsFacetsSuppressesAndIsAudited) {
  SyntheticGenerator gen(7);
  std::vector<std::string> ids;
  for (int i = 0; i < 12; ++i) ids.push_back(NewCase(gen, "female", "2026-03-0" + std::to_string(1 + i % 9), true));
  for (int i = 0; i < 3; ++i) ids.push_back(NewCase(gen, "male", "2026-03-15"));
  for (int i = 0; i < 11; ++i) NewCase(gen, "female", "2026-03-20", false);  // refused: withheld
  // An update touching only services keeps the facet's sex and age band.
  auto v = vault().ReadCase(worker(), ids[0]);
  ASSERT_TRUE(v.ok());
  ASSERT_TRUE(vault().UpdateCase(worker(), ids[0], {{"services_provided", "complaint"}}, v->summary.version).ok());

  auto r = vault().StatisticsExport(supervisor(), "2026-03", "2026-03");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->threshold, 10);
  ASSERT_EQ(r->rows.size(), 1u);
  const StatisticsRow& row = r->rows[0];
  EXPECT_EQ(row.unit, "KPG");
  EXPECT_EQ(row.cases, 15u);
  EXPECT_EQ(row.withheld_by_consent, 11u);
  EXPECT_TRUE(Cell(row, "sex", "male").suppressed());
  EXPECT_TRUE(Cell(row, "sex", "female").suppressed());  // 15 - 12 = 3 otherwise
  EXPECT_EQ(Cell(row, "age_band", "13-17").count, 15u);
  EXPECT_EQ(Cell(row, "incident_place", "household").count, 15u);
  EXPECT_TRUE(Cell(row, "service", "complaint").suppressed());
  EXPECT_TRUE(Cell(row, "service", "unknown").suppressed());  // 14, beside the lone 1
  ExpectNoSmallCount(*r);

  // A shredded case leaves the tables with its keys.
  ASSERT_TRUE(vault().ShredCase(supervisor(), ids[12], "lawful_request:TEST-1").ok());
  auto after = vault().StatisticsExport(fx.Ctx("dpo", Role::kAuditor), "2026-03", "2026-03");
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  EXPECT_EQ(after->rows[0].cases, 14u);

  // Everyone else is refused; allowed and refused exports are audited.
  for (Role role : {Role::kCaseWorker, Role::kIntake, Role::kLegal, Role::kAdmin, Role::kPsychologist}) {
    auto denied = vault().StatisticsExport(fx.Ctx("someone", role), "2026-03", "2026-03");
    EXPECT_EQ(denied.status().code(), Code::kPermissionDenied) << RoleName(role);
  }
  RequestContext other_unit{Principal{"sup2", Role::kSupervisor, "SLM"}, "req", "127.0.0.1"};
  EXPECT_EQ(vault().StatisticsExport(other_unit, "2026-03", "2026-03").status().code(), Code::kPermissionDenied);
  for (auto [from, to] : {std::pair{"2026-3", "2026-03"}, {"2026-04", "2026-03"}, {"2000-01", "2026-03"}}) {
    EXPECT_EQ(vault().StatisticsExport(supervisor(), from, to).status().code(), Code::kInvalidArgument) << from;
  }
  AuditFilter f;
  f.action = "statistics.export";
  f.limit = 100;
  auto audit = QueryAudit(vault().store(), f);
  ASSERT_TRUE(audit.ok());
  size_t allowed = 0, denied = 0;
  for (const AuditEntry& e : *audit) {
    if (e.decision != "allow") {
      ++denied;
      continue;
    }
    ++allowed;
    // Months, threshold and suppressed-cell counts; no count of cases.
    EXPECT_EQ(e.detail.rfind("from=2026-03 to=2026-03 threshold=10 suppressed=", 0), 0u) << e.detail;
  }
  EXPECT_EQ(allowed, 2u);
  EXPECT_EQ(denied, 9u);
}

TEST_F(StatisticsVaultTest, ExportOpensNoFieldAndNoDataKey) {
  SyntheticGenerator gen(11);
  std::string id;
  for (int i = 0; i < 10; ++i) id = NewCase(gen, "female", "2026-01-10");
  // Every data key of every case gone from the store, the ring reloaded (no
  // cache): reads fail, the export still answers from the facets alone.
  Batch drop;
  ASSERT_TRUE(vault().store().Scan(Column::kKeys, "dk/", {}, [&](std::string_view k, std::string_view) {
    drop.Delete(Column::kKeys, std::string(k));
    return true;
  }).ok());
  ASSERT_TRUE(vault().store().Write(drop, Durability::kSync).ok());
  fx.OpenUnsealed();
  EXPECT_FALSE(vault().ReadCase(worker(), id).ok());
  auto r = vault().StatisticsExport(supervisor(), "2026-01", "2026-01");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->rows[0].cases, 10u);
  EXPECT_EQ(Cell(r->rows[0], "sex", "female").count, 10u);
  EXPECT_EQ(Cell(r->rows[0], "module", "anak").count, 10u);
}

TEST_F(StatisticsVaultTest, ThresholdOutOfRangeRefusesToOpen) {
  for (int t : {0, 1, -5, 1001}) {
    VaultOptions o = fx.Options();
    o.statistics.suppression_threshold = t;
    EXPECT_EQ(Vault::Open(std::move(o)).status().code(), Code::kInvalidArgument) << t;
  }
}

}  // namespace
}  // namespace brankas
