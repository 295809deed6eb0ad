#include <gtest/gtest.h>

#include "brankas/config.h"
#include "testing/source_dir.h"

namespace brankas {
namespace {

constexpr char kMinimal[] = R"(
data_dir = "data"
[api]
tls_cert = "tls/cert.pem"
tls_key = "tls/key.pem"
)";

TEST(ConfigTest, DefaultsAndRelativePaths) {
  auto c = ParseNodeConfig(kMinimal, "/etc/brankas/unit.toml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->role, "unit");
  EXPECT_EQ(c->data_dir, "/etc/brankas/data");
  EXPECT_EQ(c->schema_path, "/etc/brankas/schema.toml");
  EXPECT_EQ(c->api.tls_key_file, "/etc/brankas/tls/key.pem");
  EXPECT_EQ(c->api.listen_port, 8443);
  EXPECT_EQ(c->api.limits.max_body_bytes, HttpLimits{}.max_body_bytes);
}

TEST(ConfigTest, ErrorsNameTheKeyAndTheFile) {
  struct Bad { std::string text, key; };
  std::vector<Bad> bad = {
      {std::string(kMinimal) + "[limits]\nmax_body_bytes = \"big\"\n", "limits.max_body_bytes"},
      {std::string(kMinimal) + "[limits]\nmax_body_bytes = 1\n", "limits.max_body_bytes"},
      {std::string(kMinimal) + "[limits]\nmax_bodybytes = 1\n", "limits.max_bodybytes"},
      {"colour = 1\n" + std::string(kMinimal), "colour"},
      {"role = \"leader\"\n" + std::string(kMinimal), "role"},
      {"[api]\ntls_cert = \"a\"\ntls_key = \"b\"\n", "data_dir"},
      {std::string(kMinimal) + "[sessions]\nttl_seconds = -5\n", "sessions.ttl_seconds"},
      {std::string(kMinimal) + "[log]\nlevel = \"loud\"\n", "log.level"},
  };
  for (const Bad& b : bad) {
    auto c = ParseNodeConfig(b.text, "/etc/brankas/unit.toml");
    ASSERT_FALSE(c.ok()) << b.key;
    EXPECT_NE(c.status().message().find("'" + b.key + "'"), std::string::npos) << c.status().message();
    EXPECT_NE(c.status().message().find("/etc/brankas/unit.toml"), std::string::npos);
  }
  auto listen = ParseNodeConfig(std::string("data_dir=\"d\"\n[api]\nlisten=\"127.0.0.1:99999\"\ntls_cert=\"a\"\ntls_key=\"b\"\n"), "u.toml");
  EXPECT_FALSE(listen.ok());
  auto syntax = ParseNodeConfig("data_dir = \n", "u.toml");
  ASSERT_FALSE(syntax.ok());
  EXPECT_NE(syntax.status().message().find("u.toml:1"), std::string::npos);
}

TEST(ConfigTest, ShippedFilesParse) {
  for (const char* name : {"unit.toml", "central.toml"}) {
    auto c = LoadNodeConfig(testing::SourceDir() + "/config/" + name);
    EXPECT_TRUE(c.ok()) << name << ": " << c.status().ToString();
  }
}

}  // namespace
}  // namespace brankas
