#include "brankas/schema.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <set>
#include <string>

#include "testing/source_dir.h"

namespace brankas {
namespace {

std::string SchemaPath() { return testing::SourceDir() + "/config/schema.toml"; }

class SchemaTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto loaded = Schema::LoadFile(SchemaPath());
    ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
    schema_ = new Schema(std::move(loaded).value());
  }
  static void TearDownTestSuite() {
    delete schema_;
    schema_ = nullptr;
  }

  const FieldDef& Field(std::string_view name) {
    const FieldDef* f = schema_->Find(name);
    EXPECT_NE(f, nullptr) << name;
    static const FieldDef kMissing;
    return f != nullptr ? *f : kMissing;
  }

  std::string Accept(std::string_view field, std::string_view value) {
    auto r = schema_->Normalize(Field(field), value);
    EXPECT_TRUE(r.ok()) << field << ": " << r.status().ToString();
    return r.ok() ? r.value() : std::string();
  }

  // Rejected with `code`; the message names the field and never holds the value.
  void Reject(std::string_view field, std::string_view value, Code code = Code::kInvalidArgument) {
    auto r = schema_->Normalize(Field(field), value);
    ASSERT_FALSE(r.ok()) << field << " accepted a bad value";
    EXPECT_EQ(r.status().code(), code) << field << ": " << r.status().ToString();
    const std::string& m = r.status().message();
    EXPECT_NE(m.find("'" + std::string(field) + "'"), std::string::npos) << m;
    std::string_view trimmed = value;
    while (!trimmed.empty() && (trimmed.front() == ' ' || trimmed.front() == '\n')) {
      trimmed.remove_prefix(1);
    }
    if (trimmed.size() >= 4) {
      EXPECT_EQ(m.find(trimmed), std::string::npos) << field << " leaked the value: " << m;
    }
  }

  static Schema* schema_;
};
Schema* SchemaTest::schema_ = nullptr;

TEST_F(SchemaTest, ProjectSchemaCoversEveryClass) {
  std::set<FieldClass> seen;
  for (const auto& f : schema_->fields()) {
    seen.insert(f.cls);
    EXPECT_FALSE(f.description.empty()) << f.name;
    EXPECT_GT(f.max_bytes, 0u) << f.name;
    EXPECT_LE(f.max_bytes, schema_->limits().max_value_bytes) << f.name;
  }
  EXPECT_EQ(seen.size(), static_cast<size_t>(kFieldClassCount));
  EXPECT_GE(schema_->fields().size(), 50u);
  EXPECT_EQ(schema_->limits().max_fields_per_write, 128u);
  EXPECT_EQ(schema_->limits().max_value_bytes, 65536u);
  for (const char* indexed : {"nik", "name", "kk_number"}) {
    EXPECT_TRUE(Field(indexed).indexed) << indexed;
  }
  EXPECT_EQ(Field("nik").cls, FieldClass::kIdentity);
  EXPECT_EQ(Field("shelter_location").cls, FieldClass::kContact);
  EXPECT_EQ(Field("legal_hold").type, FieldType::kBool);
  EXPECT_EQ(Field("violence_types").type, FieldType::kListEnum);
  EXPECT_EQ(Field("narrative").max_bytes, 16384u);
  // Case metadata belongs to the engine, not to the schema.
  for (const char* metadata : {"stage", "owner", "assigned"}) {
    EXPECT_EQ(schema_->Find(metadata), nullptr) << metadata;
  }
  EXPECT_EQ(schema_->Find("no_such_field"), nullptr);
}

TEST_F(SchemaTest, FieldTypeNamesRoundTrip) {
  for (int i = 0; i < kFieldTypeCount; ++i) {
    const auto t = static_cast<FieldType>(i);
    EXPECT_EQ(ParseFieldType(FieldTypeName(t)), t);
  }
  EXPECT_FALSE(ParseFieldType("varchar").has_value());
}

TEST_F(SchemaTest, String) {
  EXPECT_EQ(Accept("name", "  Siti Rahma Lestari \t"), "Siti Rahma Lestari");
  EXPECT_EQ(Accept("name",
                   "Nur\xE2\x80\x99"
                   "aini Ndun"),
            "Nur\xE2\x80\x99"
            "aini Ndun");
  Reject("name", "");
  Reject("name", "   \n ");
  Reject("name", "Siti\nLestari");
  Reject("name", "Siti\tLestari");
  Reject("name", std::string("Siti\0Lestari", 12));
  Reject("name", "Siti\x7FLestari");
  Reject("name", "Siti\xC2\x85Lestari");  // U+0085, a C1 control
  Reject("name", std::string(201, 'a'), Code::kTooLarge);
  EXPECT_EQ(Accept("name", std::string(200, 'a')).size(), 200u);
}

TEST_F(SchemaTest, Text) {
  EXPECT_EQ(Accept("narrative", "Baris satu.\r\nBaris\tdua.\n"), "Baris satu.\nBaris\tdua.");
  Reject("narrative", "Baris satu.\rBaris dua.");
  Reject("narrative", "Baris\x01 satu.");
  Reject("narrative", "Baris\x1B[31m satu.");
  Reject("narrative", std::string(16385, 'x'), Code::kTooLarge);
  EXPECT_EQ(Accept("narrative", std::string(16384, 'x')).size(), 16384u);
}

TEST_F(SchemaTest, Date) {
  EXPECT_EQ(Accept("birth_date", " 2012-02-29 "), "2012-02-29");
  EXPECT_EQ(Accept("birth_date", "2000-02-29"), "2000-02-29");
  EXPECT_EQ(Accept("birth_date", "1900-01-01"), "1900-01-01");
  EXPECT_EQ(Accept("birth_date", "2100-12-31"), "2100-12-31");
  for (const char* bad : {"2013-02-29", "1900-02-29", "2024-04-31", "2024-13-01", "2024-00-10",
                          "2024-01-00", "2024-1-01", "2024/01/01", "24-01-01", "1899-12-31",
                          "2101-01-01", "2024-01-01T00:00:00Z", "20240101", "2024-01-0a"}) {
    Reject("birth_date", bad);
  }
}

TEST_F(SchemaTest, DateTime) {
  EXPECT_EQ(Accept("report_received_at", "2024-05-01T08:30:00Z"), "2024-05-01T08:30:00Z");
  EXPECT_EQ(Accept("report_received_at", "2024-05-01T23:59:59+08:00"), "2024-05-01T23:59:59+08:00");
  EXPECT_EQ(Accept("report_received_at", "2024-05-01T00:00:00-03:30"), "2024-05-01T00:00:00-03:30");
  for (const char* bad :
       {"2024-05-01 08:30:00Z", "2024-05-01T24:00:00Z", "2024-05-01T08:60:00Z",
        "2024-05-01T08:30:60Z", "2024-05-01T08:30Z", "2024-02-30T08:00:00Z", "2024-05-01T08:30:00",
        "2024-05-01T08:30:00+15:00", "2024-05-01T08:30:00+0800", "2024-05-01T08:30:00.5Z",
        "2024-05-01t08:30:00z"}) {
    Reject("report_received_at", bad);
  }
}

TEST_F(SchemaTest, Nik) {
  EXPECT_EQ(Accept("nik", " 5371014507120003 "), "5371014507120003");
  for (const char* bad : {"537101450712000", "53710145071200031", "5371O14507120003",
                          "5371 0145 0712 0003", "-371014507120003",
                          "\xEF\xBC\x95"
                          "371014507120003"}) {
    Reject("nik", bad);
  }
}

TEST_F(SchemaTest, Digits) {
  EXPECT_EQ(Accept("kk_number", "5371010101200001"), "5371010101200001");
  Reject("kk_number", "537101010120000");
  Reject("kk_number", "53710101012000O1");
  Reject("kk_number", "53710101012000011", Code::kTooLarge);
}

TEST_F(SchemaTest, Phone) {
  EXPECT_EQ(Accept("phone", "0812-3456-7890"), "081234567890");
  EXPECT_EQ(Accept("phone", "+62 812 3456 7890"), "+6281234567890");
  EXPECT_EQ(Accept("phone", "(0380) 821.234"), "0380821234");
  for (const char* bad : {"0812abcd5678", "1234567", "0812345678901234", "08+1234567890",
                          "++6281234567", "0812_3456_789"}) {
    Reject("phone", bad);
  }
  Reject("phone", std::string(33, '1'), Code::kTooLarge);
}

TEST_F(SchemaTest, Enum) {
  EXPECT_EQ(Accept("sex", " female "), "female");
  EXPECT_EQ(Accept("perpetrator_relationship", "step_parent"), "step_parent");
  EXPECT_EQ(Accept("incident_place", "public_place"), "public_place");
  Reject("sex", "Female");
  Reject("sex", "fem");
  Reject("incident_place", "public place");
  Reject("court_stage", "trial,verdict");
}

TEST_F(SchemaTest, ListEnum) {
  EXPECT_EQ(Accept("violence_types", "sexual, physical"), "physical,sexual");
  EXPECT_EQ(Accept("violence_types", "neglect"), "neglect");
  EXPECT_EQ(Accept("violence_types", " trafficking ,online_sexual_exploitation,physical "),
            "online_sexual_exploitation,physical,trafficking");
  Reject("violence_types", "physical,physical");
  Reject("violence_types", "physical, sexual, physical");
  Reject("violence_types", "physical,,sexual");
  Reject("violence_types", "physical,");
  Reject("violence_types", ",physical");
  Reject("violence_types", "physical,bullying");
  Reject("violence_types", "Physical");
}

TEST_F(SchemaTest, Integer) {
  EXPECT_EQ(Accept("age_years", "007"), "7");
  EXPECT_EQ(Accept("age_years", "0"), "0");
  EXPECT_EQ(Accept("age_years", "120"), "120");
  EXPECT_EQ(Accept("perpetrator_count", " 3 "), "3");
  for (const char* bad : {"-1", "121", "12.5", "1e3", "+5", "-", "1 2", "0x10",
                          "99999999999999999999", "-99999999999999999999"}) {
    Reject("age_years", bad);
  }
  Reject("perpetrator_count", "0");
}

TEST_F(SchemaTest, Bool) {
  EXPECT_EQ(Accept("legal_hold", "true"), "true");
  EXPECT_EQ(Accept("legal_hold", " false\n"), "false");
  for (const char* bad : {"TRUE", "True", "1", "yes", "ya", "tru"}) Reject("legal_hold", bad);
}

TEST(Utf8Test, Valid) {
  for (const char* ok :
       {"", "abc", "\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9F\x98\x80", "\xF4\x8F\xBF\xBF",
        "\xED\x9F\xBF", "\xEE\x80\x80", "\xC2\x80", "\xE0\xA0\x80", "\xF0\x90\x80\x80"}) {
    EXPECT_TRUE(IsValidUtf8(ok)) << ok;
  }
}

TEST(Utf8Test, Invalid) {
  for (const char* bad : {
           "\xC0\x80",          // overlong NUL
           "\xC1\xBF",          // overlong
           "\xE0\x80\x80",      // overlong 3-byte
           "\xE0\x9F\xBF",      // overlong 3-byte
           "\xF0\x80\x80\x80",  // overlong 4-byte
           "\xF0\x8F\xBF\xBF",  // overlong 4-byte
           "\xED\xA0\x80",      // high surrogate U+D800
           "\xED\xBF\xBF",      // low surrogate U+DFFF
           "\xF4\x90\x80\x80",  // U+110000
           "\xF5\x80\x80\x80",  // lead byte above F4
           "\xFF",
           "\xFE",
           "\x80",
           "\xBF",
           "\xE2\x82",      // truncated
           "\xF0\x9F\x98",  // truncated
           "a\xC3",         // truncated at end
           "\xC3\x28",      // bad continuation
           "\xE2\x28\xA1",  // bad continuation
       }) {
    EXPECT_FALSE(IsValidUtf8(bad)) << ::testing::PrintToString(std::string(bad));
  }
  EXPECT_FALSE(IsValidUtf8(std::string_view("\xC0\x80", 2)));
}

TEST_F(SchemaTest, InvalidUtf8IsRejected) {
  for (const char* bad :
       {"Siti\xC0\x80", "Siti\xED\xA0\x80", "Siti\xF5\x80\x80\x80", "Siti\xE2\x82"}) {
    Reject("name", bad);
    Reject("narrative", bad);
    Reject("nik", bad);
  }
}

TEST_F(SchemaTest, OversizeValueIsTooLarge) {
  const std::string huge(schema_->limits().max_value_bytes + 1, 'a');
  for (const char* field : {"name", "narrative", "sex", "birth_date", "violence_types", "nik"}) {
    Reject(field, huge, Code::kTooLarge);
  }
}

TEST_F(SchemaTest, IndexForm) {
  const std::string name = Accept("name", "  Siti   Rahma  LESTARI ");
  EXPECT_EQ(schema_->IndexForm(Field("name"), name), "siti rahma lestari");
  EXPECT_EQ(schema_->IndexForm(Field("name"),
                               "Nur\xE2\x80\x99"
                               "AINI"),
            "nur\xE2\x80\x99"
            "aini");
  EXPECT_EQ(schema_->IndexForm(Field("nik"), "5371014507120003"), "5371014507120003");
  EXPECT_EQ(schema_->IndexForm(Field("phone"), "+6281234567890"), "081234567890");
  EXPECT_EQ(schema_->IndexForm(Field("phone"), "081234567890"), "081234567890");
  EXPECT_EQ(schema_->IndexForm(Field("registration_number"), "PPA/5371/2024/000123"),
            "ppa/5371/2024/000123");
  EXPECT_EQ(schema_->IndexForm(Field("sex"), "female"), "female");
}

TEST_F(SchemaTest, ValidateWriteNormalizesAll) {
  auto r = schema_->ValidateWrite({{"name", " Putri Wibowo "},
                                   {"nik", "3404015203150001"},
                                   {"violence_types", "sexual,physical"},
                                   {"legal_hold", "false"}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), 4u);
  std::map<std::string, std::string> got;
  for (const auto& [def, value] : *r) got[def->name] = value;
  EXPECT_EQ(got["name"], "Putri Wibowo");
  EXPECT_EQ(got["violence_types"], "physical,sexual");
  EXPECT_EQ((*r)[0].first, schema_->Find((*r)[0].first->name));
}

TEST_F(SchemaTest, ValidateWriteRejects) {
  auto empty = schema_->ValidateWrite({});
  EXPECT_EQ(empty.status().code(), Code::kInvalidArgument);

  auto unknown = schema_->ValidateWrite({{"name", "Ayu"}, {"stage", "closure"}});
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().code(), Code::kInvalidArgument);
  EXPECT_NE(unknown.status().message().find("'stage'"), std::string::npos);

  // A value sent where a name belongs (a NIK, a person's name) is never echoed.
  const std::string long_name(65, 'x');
  for (const std::string& hostile :
       {long_name, std::string("bad\xC0\x80name"), std::string("bad\nname"),
        std::string("bad\xE2\x80\xAEname"), std::string("n3171011234567890"), std::string("Siti Rahma")}) {
    auto r = schema_->ValidateWrite({{hostile, "v"}});
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.status().message().find("(not a known name)"), std::string::npos) << r.status().message();
    EXPECT_EQ(r.status().message().find("name'"), std::string::npos);
    EXPECT_EQ(r.status().message().find("3171"), std::string::npos);
    EXPECT_EQ(r.status().message().find("Siti"), std::string::npos);
  }

  // All or nothing: one bad value fails the write.
  auto partial = schema_->ValidateWrite({{"name", "Ayu"}, {"birth_date", "2013-02-29"}});
  ASSERT_FALSE(partial.ok());
  EXPECT_NE(partial.status().message().find("'birth_date'"), std::string::npos);

  auto limited = Schema::Parse(
      "[limits]\nmax_fields_per_write = 2\n[[field]]\nname = \"a\"\nclass = \"identity\"\n"
      "type = \"string\"\n[[field]]\nname = \"b\"\nclass = \"identity\"\ntype = \"string\"\n"
      "[[field]]\nname = \"c\"\nclass = \"identity\"\ntype = \"string\"\n",
      "limited.toml");
  ASSERT_TRUE(limited.ok()) << limited.status().ToString();
  EXPECT_TRUE(limited->ValidateWrite({{"a", "1"}, {"b", "2"}}).ok());
  EXPECT_EQ(limited->ValidateWrite({{"a", "1"}, {"b", "2"}, {"c", "3"}}).status().code(),
            Code::kTooLarge);
}

// No message, for any field and any kind of bad value, may contain the value.
TEST_F(SchemaTest, NoErrorMessageContainsTheValue) {
  const std::string secret = "SECRETVALUE123";
  const std::vector<std::string> bad_values = {
      secret + "\n" + secret,
      secret + "\x01",
      "\xC0\x80" + secret,
      secret + "\xED\xA0\x80",
      "physical," + secret,
      "2024-02-30" + secret,
      "081234" + secret,
      "5371" + secret,
      std::string(70000, 'S') + secret,
      [&] {
        std::string s;
        while (s.size() < 16400) s += secret;
        return s;
      }(),
  };
  int rejected = 0;
  for (const auto& f : schema_->fields()) {
    for (const auto& value : bad_values) {
      auto r = schema_->Normalize(f, value);
      if (r.ok()) continue;
      ++rejected;
      EXPECT_EQ(r.status().message().find("SECRETVALUE"), std::string::npos)
          << f.name << ": " << r.status().message();
      EXPECT_EQ(r.status().ToString().find("SECRETVALUE"), std::string::npos);
    }
    auto plain = schema_->Normalize(f, secret);
    if (!plain.ok()) {
      ++rejected;
      EXPECT_EQ(plain.status().message().find("SECRETVALUE"), std::string::npos) << f.name;
    }
    auto write = schema_->ValidateWrite({{f.name, secret + "\x01"}});
    ASSERT_FALSE(write.ok());
    EXPECT_EQ(write.status().message().find("SECRETVALUE"), std::string::npos) << f.name;
  }
  EXPECT_GT(rejected, 500);
}

// --- Schema files ----------------------------------------------------------

constexpr const char* kMinimal =
    "[[field]]\nname = \"name\"\nclass = \"identity\"\ntype = \"string\"\n";

Status ParseError(const std::string& text) {
  auto r = Schema::Parse(text, "bad_schema.toml");
  EXPECT_FALSE(r.ok()) << text;
  if (r.ok()) return Status::Ok();
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  EXPECT_NE(r.status().message().find("bad_schema.toml"), std::string::npos)
      << r.status().message();
  return r.status();
}

void ExpectMentions(const Status& s, std::initializer_list<const char*> words) {
  for (const char* w : words) {
    EXPECT_NE(s.message().find(w), std::string::npos) << "'" << w << "' not in: " << s.message();
  }
}

TEST(SchemaFileTest, Minimal) {
  auto r = Schema::Parse(kMinimal, "minimal.toml");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->fields().size(), 1u);
  const FieldDef& f = r->fields()[0];
  EXPECT_EQ(f.max_bytes, 256u);
  EXPECT_FALSE(f.indexed);
  EXPECT_EQ(f.description, "");
  EXPECT_EQ(r->limits().max_fields_per_write, 128u);
  EXPECT_EQ(r->limits().max_value_bytes, 65536u);
}

TEST(SchemaFileTest, Defaults) {
  auto r = Schema::Parse(
      "[[field]]\nname = \"t\"\nclass = \"incident\"\ntype = \"text\"\n"
      "[[field]]\nname = \"n\"\nclass = \"perpetrator\"\ntype = \"integer\"\n"
      "[[field]]\nname = \"e\"\nclass = \"services\"\ntype = \"enum\"\nvalues = [\"a\", \"bcd\"]\n"
      "[[field]]\nname = \"l\"\nclass = \"services\"\ntype = \"list_enum\"\nvalues = [\"a\", "
      "\"bcd\"]\n",
      "defaults.toml");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->Find("t")->max_bytes, 16384u);
  EXPECT_EQ(r->Find("n")->min, 0);
  EXPECT_EQ(r->Find("n")->max, INT64_MAX);
  EXPECT_EQ(r->Find("e")->max_bytes, 3u);
  EXPECT_EQ(r->Find("l")->max_bytes, 5u);  // "a,bcd"
}

TEST(SchemaFileTest, Errors) {
  const std::string field = "[[field]]\nname = \"x\"\nclass = \"identity\"\n";
  ExpectMentions(ParseError(std::string(kMinimal) + "colour = \"red\"\n"), {"colour", "'name'"});
  ExpectMentions(ParseError(std::string(kMinimal) + "[extra]\na = 1\n"), {"extra"});
  ExpectMentions(ParseError(std::string("[limits]\nmax_rows = 3\n") + kMinimal),
                 {"max_rows", "limits"});
  ExpectMentions(ParseError(std::string("[limits]\nmax_value_bytes = 0\n") + kMinimal),
                 {"max_value_bytes"});
  ExpectMentions(ParseError(std::string("[limits]\nmax_fields_per_write = \"9\"\n") + kMinimal),
                 {"max_fields_per_write"});
  // Wrong types.
  ExpectMentions(ParseError(field + "type = 5\n"), {"key 'type'"});
  ExpectMentions(ParseError("[[field]]\nname = \"x\"\nclass = 3\ntype = \"string\"\n"),
                 {"key 'class'"});
  ExpectMentions(ParseError(field + "type = \"string\"\nmax_bytes = \"big\"\n"),
                 {"key 'max_bytes'"});
  ExpectMentions(ParseError(field + "type = \"string\"\nindex = \"yes\"\n"), {"key 'index'"});
  ExpectMentions(ParseError(field + "type = \"enum\"\nvalues = \"a,b\"\n"), {"key 'values'"});
  ExpectMentions(ParseError(field + "type = \"enum\"\nvalues = [1, 2]\n"), {"key 'values'"});
  ExpectMentions(ParseError(field + "type = \"string\"\ndescription = 7\n"), {"key 'description'"});
  ExpectMentions(ParseError("field = 3\n"), {"field"});
  // Unknown class / type; missing keys.
  ExpectMentions(ParseError("[[field]]\nname = \"x\"\nclass = \"financial\"\ntype = \"string\"\n"),
                 {"key 'class'", "financial"});
  ExpectMentions(ParseError(field + "type = \"varchar\"\n"), {"key 'type'", "varchar"});
  ExpectMentions(ParseError(field), {"key 'type'", "required"});
  ExpectMentions(ParseError("[[field]]\nclass = \"identity\"\ntype = \"string\"\n"),
                 {"key 'name'"});
  // Duplicate field.
  ExpectMentions(ParseError(std::string(kMinimal) + kMinimal),
                 {"key 'name'", "duplicate", "'name'"});
  // Impossible values.
  ExpectMentions(
      ParseError("[[field]]\nname = \"Bad Name\"\nclass = \"identity\"\ntype = \"string\"\n"),
      {"key 'name'"});
  ExpectMentions(ParseError(field + "type = \"string\"\nmax_bytes = 0\n"), {"key 'max_bytes'"});
  ExpectMentions(ParseError(field + "type = \"string\"\nmax_bytes = 70000\n"), {"key 'max_bytes'"});
  ExpectMentions(ParseError(field + "type = \"date\"\nmax_bytes = 12\n"), {"key 'max_bytes'"});
  ExpectMentions(ParseError(field + "type = \"integer\"\nmin = 5\nmax = 4\n"), {"key 'min'"});
  ExpectMentions(ParseError(field + "type = \"string\"\nmin = 1\n"), {"key 'min'"});
  ExpectMentions(ParseError(field + "type = \"string\"\nvalues = [\"a\"]\n"), {"key 'values'"});
  ExpectMentions(ParseError(field + "type = \"enum\"\n"), {"key 'values'", "required"});
  ExpectMentions(ParseError(field + "type = \"enum\"\nvalues = []\n"), {"key 'values'"});
  ExpectMentions(ParseError(field + "type = \"enum\"\nvalues = [\"a\", \"a\"]\n"),
                 {"key 'values'", "duplicate"});
  ExpectMentions(ParseError(field + "type = \"list_enum\"\nvalues = [\"a,b\"]\n"),
                 {"key 'values'"});
  ExpectMentions(ParseError(field + "type = \"text\"\nindex = true\n"), {"key 'index'"});
  ExpectMentions(ParseError(field + "type = \"digits\"\nlength = 16\nmax_bytes = 8\n"),
                 {"key 'length'"});
  ExpectMentions(ParseError(field + "type = \"nik\"\nlength = 16\n"), {"key 'length'"});
  // Nothing declared; broken TOML.
  ExpectMentions(ParseError("[limits]\nmax_fields_per_write = 3\n"), {"[[field]]"});
  ExpectMentions(ParseError("[[field]\nname = \"x\"\n"), {"syntax"});
}

TEST(SchemaFileTest, LoadFileErrors) {
  auto missing = Schema::LoadFile("/nonexistent/brankas/schema.toml");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), Code::kNotFound);
  EXPECT_NE(missing.status().message().find("/nonexistent/brankas/schema.toml"), std::string::npos);
}

}  // namespace
}  // namespace brankas
