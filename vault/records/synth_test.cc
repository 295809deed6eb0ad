#include "brankas/synth.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <set>
#include <string>

#include "testing/source_dir.h"

#include "brankas/schema.h"

namespace brankas {
namespace {

std::string SchemaPath() { return testing::SourceDir() + "/config/schema.toml"; }

class SynthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto loaded = Schema::LoadFile(SchemaPath());
    ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
    schema_.emplace(std::move(loaded).value());
  }
  void ExpectValid(std::string_view field, const std::string& value) {
    const FieldDef* f = schema_->Find(field);
    ASSERT_NE(f, nullptr) << field;
    auto r = schema_->Normalize(*f, value);
    EXPECT_TRUE(r.ok()) << field << ": " << r.status().ToString();
  }
  std::optional<Schema> schema_;
};

bool AllDigits(const std::string& s) {
  return !s.empty() && s.find_first_not_of("0123456789") == std::string::npos;
}

TEST_F(SynthTest, ThousandCasesAreValid) {
  SyntheticGenerator gen(20240501);
  std::set<std::string> niks;
  for (int i = 0; i < 1000; ++i) {
    const auto c = gen.NewCase();
    auto r = schema_->ValidateWrite(c);
    ASSERT_TRUE(r.ok()) << "case " << i << ": " << r.status().ToString();
    EXPECT_GE(c.size(), 20u);
    std::set<FieldClass> classes;
    for (const auto& [def, value] : *r) {
      classes.insert(def->cls);
      // The generator already writes normalized values.
      EXPECT_EQ(value, c.at(def->name)) << def->name;
    }
    EXPECT_GE(classes.size(), 6u);

    const std::string& nik = c.at("nik");
    ASSERT_EQ(nik.size(), 16u);
    ASSERT_TRUE(AllDigits(nik));
    // DDMMYY of the birth date, +40 on the day for a girl.
    const std::string& birth = c.at("birth_date");
    const int day = std::stoi(nik.substr(6, 2));
    const bool female = c.at("sex") == "female";
    EXPECT_EQ(day - (female ? 40 : 0), std::stoi(birth.substr(8, 2))) << nik << " " << birth;
    EXPECT_EQ(nik.substr(8, 2), birth.substr(5, 2));
    EXPECT_EQ(nik.substr(10, 2), birth.substr(2, 2));
    EXPECT_EQ(c.at("kk_number").size(), 16u);
    EXPECT_EQ(c.at("narrative").rfind("[DATA SINTETIS]", 0), 0u);
    EXPECT_GE(c.at("report_date"), c.at("incident_date"));
    EXPECT_LT(c.at("birth_date"), c.at("incident_date"));
    niks.insert(nik);
  }
  EXPECT_GT(niks.size(), 990u);
}

TEST_F(SynthTest, DeterministicPerSeed) {
  SyntheticGenerator a(7), b(7), c(8);
  for (int i = 0; i < 50; ++i) {
    const auto case_a = a.NewCase();
    EXPECT_EQ(case_a, b.NewCase());
    EXPECT_NE(case_a, c.NewCase());
  }
  SyntheticGenerator d(7), e(7);
  EXPECT_EQ(d.Nik(), e.Nik());
  EXPECT_EQ(d.Name(), e.Name());
  EXPECT_EQ(d.Narrative(), e.Narrative());
}

TEST_F(SynthTest, SingleValuesAreValid) {
  SyntheticGenerator gen(99);
  for (int i = 0; i < 200; ++i) {
    const std::string nik = gen.Nik();
    EXPECT_EQ(nik.size(), 16u);
    EXPECT_TRUE(AllDigits(nik)) << nik;
    ExpectValid("nik", nik);
    ExpectValid("kk_number", gen.KkNumber());
    const std::string phone = gen.Phone();
    EXPECT_EQ(phone.rfind("08", 0), 0u) << phone;
    ExpectValid("phone", phone);
    ExpectValid("name", gen.Name());
    ExpectValid("guardian_name", gen.GivenName() + " " + gen.FamilyName());
    ExpectValid("address", gen.Address());
    ExpectValid("regency", gen.Regency());
    ExpectValid("registration_number", gen.RegistrationNumber());
    ExpectValid("incident_date", gen.Date(1990, 2030));
    const std::string narrative = gen.Narrative();
    EXPECT_GE(narrative.size(), 200u);
    EXPECT_LE(narrative.size(), 1500u);
    ExpectValid("narrative", narrative);
  }
}

}  // namespace
}  // namespace brankas
