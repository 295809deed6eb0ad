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
  // The shipped files show every default: parsing them gives the defaults.
  auto unit = LoadNodeConfig(testing::SourceDir() + "/config/unit.toml");
  ASSERT_TRUE(unit.ok());
  const ShipperOptions d;
  EXPECT_TRUE(unit->replication.central.empty());
  EXPECT_EQ(unit->replication.batch_max_bytes, d.batch_max_bytes);
  EXPECT_EQ(unit->replication.outbox_quota_bytes, d.outbox_quota_bytes);
  EXPECT_EQ(unit->replication.backoff_max_ms, d.backoff_max_ms);
  auto central = LoadNodeConfig(testing::SourceDir() + "/config/central.toml");
  ASSERT_TRUE(central.ok());
  const CentralOptions cd;
  EXPECT_EQ(central->central.listen_port, cd.listen_port);
  EXPECT_EQ(central->central.max_frame_bytes, cd.max_frame_bytes);
  EXPECT_EQ(central->central.signing_key_file, "/var/lib/brankas/central-signing.key");
  ASSERT_EQ(central->central.units.size(), 1u);
  EXPECT_EQ(central->central.units[0].code, "KPG");
}

constexpr char kPin1[] = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
constexpr char kPin2[] = "sha256:2222222222222222222222222222222222222222222222222222222222222222";

TEST(ConfigTest, ReplicationDefaults) {
  auto c = ParseNodeConfig(kMinimal, "/etc/brankas/unit.toml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  const ShipperOptions d;
  const ShipperOptions& r = c->replication;
  EXPECT_TRUE(r.central.empty());
  EXPECT_TRUE(r.central_pin.empty());
  EXPECT_EQ(r.tls_cert, "/etc/brankas/tls/cert.pem");  // the [api] pair
  EXPECT_EQ(r.tls_key, "/etc/brankas/tls/key.pem");
  EXPECT_EQ(r.batch_max_bytes, d.batch_max_bytes);
  EXPECT_EQ(r.batch_max_entries, d.batch_max_entries);
  EXPECT_EQ(r.batch_max_wait_ms, d.batch_max_wait_ms);
  EXPECT_EQ(r.connect_timeout_ms, d.connect_timeout_ms);
  EXPECT_EQ(r.io_timeout_ms, d.io_timeout_ms);
  EXPECT_EQ(r.backoff_min_ms, d.backoff_min_ms);
  EXPECT_EQ(r.backoff_max_ms, d.backoff_max_ms);
  EXPECT_EQ(r.bandwidth_bytes_per_s, d.bandwidth_bytes_per_s);
  EXPECT_EQ(r.outbox_quota_bytes, d.outbox_quota_bytes);
  EXPECT_TRUE(c->central.units.empty());
}

TEST(ConfigTest, ReplicationKeysAndRelativePaths) {
  auto c = ParseNodeConfig(std::string(kMinimal) + "[replication]\n"
                                                   "central = \"backup.example:9443\"\n"
                                                   "central_pin = \"" + kPin1 + "\"\n"
                                                   "tls_cert = \"repl/cert.pem\"\n"
                                                   "tls_key = \"/abs/key.pem\"\n"
                                                   "batch_max_bytes = 4096\n"
                                                   "batch_max_entries = 1000000\n"
                                                   "batch_max_wait_ms = 0\n"
                                                   "connect_timeout_ms = 100\n"
                                                   "io_timeout_ms = 3600000\n"
                                                   "backoff_min_ms = 500\n"
                                                   "backoff_max_ms = 500\n"
                                                   "bandwidth_bytes_per_s = 10737418240\n"
                                                   "outbox_quota_bytes = 17592186044416\n",
                           "/etc/brankas/unit.toml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  const ShipperOptions& r = c->replication;
  EXPECT_EQ(r.central, "backup.example:9443");
  EXPECT_EQ(r.central_pin, kPin1);
  EXPECT_EQ(r.tls_cert, "/etc/brankas/repl/cert.pem");
  EXPECT_EQ(r.tls_key, "/abs/key.pem");
  EXPECT_EQ(r.batch_max_bytes, 4096u);
  EXPECT_EQ(r.batch_max_entries, 1'000'000u);
  EXPECT_EQ(r.batch_max_wait_ms, 0);
  EXPECT_EQ(r.connect_timeout_ms, 100);
  EXPECT_EQ(r.io_timeout_ms, 3'600'000);
  EXPECT_EQ(r.backoff_min_ms, 500);
  EXPECT_EQ(r.backoff_max_ms, 500);
  EXPECT_EQ(r.bandwidth_bytes_per_s, 10ull << 30);
  EXPECT_EQ(r.outbox_quota_bytes, 16ull << 40);

  auto v6 = ParseNodeConfig(std::string(kMinimal) + "[replication]\ncentral = \"[fd00::1]:9443\"\ncentral_pin = \"" +
                                kPin1 + "\"\n",
                            "u.toml");
  ASSERT_TRUE(v6.ok()) << v6.status().ToString();
  EXPECT_EQ(v6->replication.central, "[fd00::1]:9443");
}

std::string CentralConfig(const std::string& central_extra, const std::string& rest) {
  return "role = \"central\"\ndata_dir = \"central\"\n[central]\ntls_cert = \"tls/c.pem\"\ntls_key = \"tls/k.pem\"\n" +
         central_extra + rest;
}

std::string UnitEntry(const std::string& code, const std::string& pin, const std::string& extra = "") {
  return "[[units]]\ncode = \"" + code + "\"\npin = \"" + pin + "\"\n" + extra;
}

TEST(ConfigTest, CentralWithTwoUnits) {
  const std::string key(64, 'A');
  auto c = ParseNodeConfig(CentralConfig("listen = \"0.0.0.0:7000\"\nmax_connections = 8\n",
                                         UnitEntry("KPG", kPin1, "node_key = \"" + key + "\"\n") +
                                             UnitEntry("jkt-01", kPin2) + "[log]\nlevel = \"debug\"\n"),
                           "/etc/brankas/central.toml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->role, "central");
  EXPECT_EQ(c->data_dir, "/etc/brankas/central");
  EXPECT_EQ(c->log_level, "debug");
  const CentralOptions d;
  const CentralOptions& o = c->central;
  EXPECT_EQ(o.listen_host, "0.0.0.0");
  EXPECT_EQ(o.listen_port, 7000);
  EXPECT_EQ(o.tls_cert, "/etc/brankas/tls/c.pem");
  EXPECT_EQ(o.tls_key, "/etc/brankas/tls/k.pem");
  EXPECT_EQ(o.signing_key_file, "/etc/brankas/central-signing.key");  // beside data_dir
  EXPECT_EQ(o.max_connections, 8u);
  EXPECT_EQ(o.max_frame_bytes, d.max_frame_bytes);
  EXPECT_EQ(o.handshake_timeout_ms, d.handshake_timeout_ms);
  EXPECT_EQ(o.io_timeout_ms, d.io_timeout_ms);
  ASSERT_EQ(o.units.size(), 2u);
  EXPECT_EQ(o.units[0].code, "KPG");
  EXPECT_EQ(o.units[0].pin, kPin1);
  EXPECT_EQ(o.units[0].node_key, std::string(64, 'a'));  // kept lower-case
  EXPECT_EQ(o.units[1].code, "jkt-01");
  EXPECT_EQ(o.units[1].pin, kPin2);
  EXPECT_TRUE(o.units[1].node_key.empty());
  // A central node reads no vault settings.
  EXPECT_TRUE(c->schema_path.empty());
  EXPECT_TRUE(c->policy_path.empty());
}

TEST(ConfigTest, CentralDefaults) {
  auto c = ParseNodeConfig(CentralConfig("signing_key = \"keys/sign.key\"\n", ""), "/etc/brankas/central.toml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  const CentralOptions d;
  EXPECT_EQ(c->central.listen_host, d.listen_host);
  EXPECT_EQ(c->central.listen_port, d.listen_port);
  EXPECT_EQ(c->central.max_connections, d.max_connections);
  EXPECT_EQ(c->central.signing_key_file, "/etc/brankas/keys/sign.key");
  EXPECT_TRUE(c->central.units.empty());  // allowed: refuses every unit

  auto slash = ParseNodeConfig("role = \"central\"\ndata_dir = \"/srv/b/central/\"\n"
                               "[central]\ntls_cert = \"c\"\ntls_key = \"k\"\nlisten = \"[::]:0\"\n",
                               "/etc/brankas/central.toml");
  ASSERT_TRUE(slash.ok()) << slash.status().ToString();
  EXPECT_EQ(slash->central.signing_key_file, "/srv/b/central-signing.key");
  EXPECT_EQ(slash->central.listen_host, "::");
  EXPECT_EQ(slash->central.listen_port, 0);
}

TEST(ConfigTest, ReplicationErrorsNameTheKeyAndTheFile) {
  const std::string unit = std::string(kMinimal) + "[replication]\n";
  const std::string on = unit + "central = \"c.example:9443\"\ncentral_pin = \"" + kPin1 + "\"\n";
  const std::string bad_pin = "sha256:" + std::string(64, 'A');  // upper-case hex
  struct Bad { std::string text, key; };
  std::vector<Bad> bad = {
      // [replication] of a unit
      {unit + "colour = 1\n", "replication.colour"},
      {unit + "central = 9443\n", "replication.central"},
      {unit + "central = \"c.example\"\ncentral_pin = \"" + kPin1 + "\"\n", "replication.central"},
      {unit + "central = \"c.example:0\"\ncentral_pin = \"" + kPin1 + "\"\n", "replication.central"},
      {unit + "central = \"c.example:65536\"\ncentral_pin = \"" + kPin1 + "\"\n", "replication.central"},
      {unit + "central = \":9443\"\ncentral_pin = \"" + kPin1 + "\"\n", "replication.central"},
      {unit + "central = \"c.example:9443\"\n", "replication.central_pin"},
      {unit + "central = \"c.example:9443\"\ncentral_pin = \"" + bad_pin + "\"\n", "replication.central_pin"},
      {unit + "central_pin = \"sha1:00\"\n", "replication.central_pin"},
      {on + "tls_cert = \"repl.pem\"\n", "replication.tls_key"},
      {on + "tls_key = \"repl.key\"\n", "replication.tls_cert"},
      {on + "tls_cert = 1\n", "replication.tls_cert"},
      {on + "batch_max_bytes = 4095\n", "replication.batch_max_bytes"},
      {on + "batch_max_bytes = 268435457\n", "replication.batch_max_bytes"},
      {on + "batch_max_bytes = \"4 MiB\"\n", "replication.batch_max_bytes"},
      {on + "batch_max_entries = 0\n", "replication.batch_max_entries"},
      {on + "batch_max_entries = 1000001\n", "replication.batch_max_entries"},
      {on + "batch_max_wait_ms = -1\n", "replication.batch_max_wait_ms"},
      {on + "batch_max_wait_ms = 60001\n", "replication.batch_max_wait_ms"},
      {on + "connect_timeout_ms = 99\n", "replication.connect_timeout_ms"},
      {on + "connect_timeout_ms = 600001\n", "replication.connect_timeout_ms"},
      {on + "io_timeout_ms = 99\n", "replication.io_timeout_ms"},
      {on + "io_timeout_ms = 3600001\n", "replication.io_timeout_ms"},
      {on + "backoff_min_ms = 0\n", "replication.backoff_min_ms"},
      {on + "backoff_min_ms = 3600001\n", "replication.backoff_min_ms"},
      {on + "backoff_max_ms = 86400001\n", "replication.backoff_max_ms"},
      {on + "backoff_min_ms = 1000\nbackoff_max_ms = 999\n", "replication.backoff_max_ms"},
      {on + "backoff_min_ms = 120000\n", "replication.backoff_max_ms"},  // above the default max
      {on + "bandwidth_bytes_per_s = -1\n", "replication.bandwidth_bytes_per_s"},
      {on + "bandwidth_bytes_per_s = 10737418241\n", "replication.bandwidth_bytes_per_s"},
      {on + "outbox_quota_bytes = 1048575\n", "replication.outbox_quota_bytes"},
      {on + "outbox_quota_bytes = 17592186044417\n", "replication.outbox_quota_bytes"},
      {on + "outbox_quota_bytes = 1.5\n", "replication.outbox_quota_bytes"},
      {"replication = 1\n" + std::string(kMinimal), "replication"},
      // keys of the other role
      {std::string(kMinimal) + "[central]\nlisten = \"0.0.0.0:9443\"\n", "central"},
      {std::string(kMinimal) + UnitEntry("KPG", kPin1), "units"},
      {CentralConfig("", "[replication]\ncentral = \"\"\n"), "replication"},
      {CentralConfig("", "[api]\ntls_cert = \"a\"\ntls_key = \"b\"\n"), "api"},
      {CentralConfig("", "[limits]\nmax_body_bytes = 2048\n"), "limits"},
      {CentralConfig("", "[sessions]\nttl_seconds = 60\n"), "sessions"},
      {CentralConfig("", "[audit]\ncheckpoint_every_entries = 10\n"), "audit"},
      {CentralConfig("", "[commit]\nmax_group_size = 10\n"), "commit"},
      {"schema = \"s.toml\"\n" + CentralConfig("", ""), "schema"},
      {"unseal_passphrase_file = \"p\"\n" + CentralConfig("", ""), "unseal_passphrase_file"},
      // [central]
      {"role = \"central\"\ndata_dir = \"c\"\n", "central.tls_cert"},
      {"role = \"central\"\ndata_dir = \"c\"\n[central]\ntls_cert = \"c.pem\"\n", "central.tls_key"},
      {CentralConfig("listen = \"0.0.0.0\"\n", ""), "central.listen"},
      {CentralConfig("listen = \"0.0.0.0:65536\"\n", ""), "central.listen"},
      {CentralConfig("listen = \"[::1:9443\"\n", ""), "central.listen"},
      {CentralConfig("signing_key = 7\n", ""), "central.signing_key"},
      {CentralConfig("max_connections = 0\n", ""), "central.max_connections"},
      {CentralConfig("max_connections = 65536\n", ""), "central.max_connections"},
      {CentralConfig("max_frame_bytes = 65535\n", ""), "central.max_frame_bytes"},
      {CentralConfig("max_frame_bytes = 1073741825\n", ""), "central.max_frame_bytes"},
      {CentralConfig("handshake_timeout_ms = 99\n", ""), "central.handshake_timeout_ms"},
      {CentralConfig("handshake_timeout_ms = 600001\n", ""), "central.handshake_timeout_ms"},
      {CentralConfig("io_timeout_ms = 99\n", ""), "central.io_timeout_ms"},
      {CentralConfig("io_timeout_ms = 3600001\n", ""), "central.io_timeout_ms"},
      {CentralConfig("shipping = true\n", ""), "central.shipping"},
      // [[units]]
      {"units = \"KPG\"\n" + CentralConfig("", ""), "units"},
      {"units = [1]\n" + CentralConfig("", ""), "units[0]"},
      {CentralConfig("", "[[units]]\npin = \"" + std::string(kPin1) + "\"\n"), "units[0].code"},
      {CentralConfig("", "[[units]]\ncode = \"KPG\"\n"), "units[0].pin"},
      {CentralConfig("", UnitEntry("KPG", kPin1) + UnitEntry("ABC/1", kPin2)), "units[1].code"},
      {CentralConfig("", UnitEntry("KPG", kPin1) + UnitEntry("ABCDEFGHIJKLMNOPQ", kPin2)), "units[1].code"},
      {CentralConfig("", UnitEntry("KPG", kPin1) + UnitEntry("", kPin2)), "units[1].code"},
      {CentralConfig("", UnitEntry("KPG", kPin1) + UnitEntry("JKT", bad_pin)), "units[1].pin"},
      {CentralConfig("", UnitEntry("KPG", kPin1) + UnitEntry("JKT", "sha256:00")), "units[1].pin"},
      {CentralConfig("", UnitEntry("KPG", kPin1, "node_key = \"" + std::string(63, 'a') + "\"\n")),
       "units[0].node_key"},
      {CentralConfig("", UnitEntry("KPG", kPin1, "node_key = \"" + std::string(63, 'a') + "g\"\n")),
       "units[0].node_key"},
      {CentralConfig("", UnitEntry("KPG", kPin1, "node_key = \"" + std::string(66, 'a') + "\"\n")),
       "units[0].node_key"},
      {CentralConfig("", UnitEntry("KPG", kPin1, "colour = \"red\"\n")), "units[0].colour"},
  };
  for (const Bad& b : bad) {
    auto c = ParseNodeConfig(b.text, "/etc/brankas/node.toml");
    ASSERT_FALSE(c.ok()) << b.key << "\n" << b.text;
    EXPECT_NE(c.status().message().find("'" + b.key + "'"), std::string::npos) << c.status().message();
    EXPECT_NE(c.status().message().find("/etc/brankas/node.toml"), std::string::npos) << c.status().message();
    EXPECT_EQ(c.status().code(), Code::kInvalidArgument) << c.status().message();
  }
}

TEST(ConfigTest, CentralPinRequiredWhenCentralIsSet) {
  auto c = ParseNodeConfig(std::string(kMinimal) + "[replication]\ncentral = \"c.example:9443\"\n", "u.toml");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("'replication.central_pin' is required"), std::string::npos)
      << c.status().message();
  // Off (the default): no pin needed.
  EXPECT_TRUE(ParseNodeConfig(std::string(kMinimal) + "[replication]\ncentral = \"\"\n", "u.toml").ok());
}

TEST(ConfigTest, RolesRefuseEachOthersSections) {
  auto unit = ParseNodeConfig(std::string(kMinimal) + "[central]\nlisten = \"0.0.0.0:9443\"\n", "u.toml");
  ASSERT_FALSE(unit.ok());
  EXPECT_NE(unit.status().message().find("'central' is only for role = \"central\""), std::string::npos)
      << unit.status().message();
  auto central = ParseNodeConfig(CentralConfig("", UnitEntry("KPG", kPin1) + "[replication]\n"), "c.toml");
  ASSERT_FALSE(central.ok());
  EXPECT_NE(central.status().message().find("'replication' is only for role = \"unit\""), std::string::npos)
      << central.status().message();
}

TEST(ConfigTest, CentralDuplicatesAndBadEntries) {
  auto Message = [](const std::string& units, const std::string& top = "") {
    auto c = ParseNodeConfig(top + CentralConfig("", units), "c.toml");
    return c.ok() ? std::string("ok") : c.status().message();
  };
  // Duplicate code, also when only the case differs.
  EXPECT_NE(Message(UnitEntry("KPG", kPin1) + UnitEntry("KPG", kPin2)).find("'units[1].code' repeats"),
            std::string::npos);
  const std::string pin3 = "sha256:" + std::string(64, '3');
  EXPECT_NE(Message(UnitEntry("KPG", kPin1) + UnitEntry("JKT", kPin2) + UnitEntry("kpg", pin3))
                .find("'units[2].code' repeats the code of units[0]"),
            std::string::npos);
  // Duplicate pin.
  EXPECT_NE(Message(UnitEntry("KPG", kPin1) + UnitEntry("JKT", kPin1))
                .find("'units[1].pin' repeats the pin of units[0]"),
            std::string::npos);
  // Bad pin, bad node key.
  EXPECT_NE(Message(UnitEntry("KPG", "sha256:xyz")).find("'units[0].pin' is malformed"), std::string::npos);
  EXPECT_NE(Message(UnitEntry("KPG", kPin1, "node_key = \"abc\"\n")).find("'units[0].node_key'"),
            std::string::npos);
  // Inline tables are the same array of tables.
  EXPECT_EQ(Message("", "units = [{code = \"KPG\", pin = \"" + std::string(kPin1) + "\"}]\n"), "ok");
}

// [anomaly]: the auditor tools' thresholds. Every key, its default (the same in
// config/unit.toml), a value of each, and a refusal of each.
TEST(ConfigTest, AnomalySection) {
  const AnomalyOptions d;
  EXPECT_EQ(d.bulk_reads_per_hour, 20);
  EXPECT_EQ(d.working_start_minute, 7 * 60);   // working_hours = "07:00-18:00"
  EXPECT_EQ(d.working_end_minute, 18 * 60);
  EXPECT_EQ(d.utc_offset_minutes, 7 * 60);     // utc_offset = "+07:00" (WIB)
  EXPECT_EQ(d.denials_threshold, 5);
  EXPECT_EQ(d.denials_window_minutes, 10);
  EXPECT_EQ(d.shelter_fields, std::vector<std::string>{"shelter_location"});
  EXPECT_EQ(d.max_window_days, 31);
  EXPECT_EQ(d.max_scan_entries, 200'000u);
  for (const std::string& source : {std::string("minimal"), testing::SourceDir() + "/config/unit.toml"}) {
    auto c = source == "minimal" ? ParseNodeConfig(kMinimal, "/etc/brankas/unit.toml") : LoadNodeConfig(source);
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    const AnomalyOptions& a = c->api.anomaly;
    EXPECT_EQ(a.bulk_reads_per_hour, d.bulk_reads_per_hour) << source;
    EXPECT_EQ(a.working_start_minute, d.working_start_minute) << source;
    EXPECT_EQ(a.working_end_minute, d.working_end_minute) << source;
    EXPECT_EQ(a.utc_offset_minutes, d.utc_offset_minutes) << source;
    EXPECT_EQ(a.denials_threshold, d.denials_threshold) << source;
    EXPECT_EQ(a.denials_window_minutes, d.denials_window_minutes) << source;
    EXPECT_EQ(a.shelter_fields, d.shelter_fields) << source;
    EXPECT_EQ(a.max_window_days, d.max_window_days) << source;
    EXPECT_EQ(a.max_scan_entries, d.max_scan_entries) << source;
  }

  auto set = ParseNodeConfig(std::string(kMinimal) + R"(
[anomaly]
bulk_reads_per_hour = 3
working_hours = "22:00-06:00"
utc_offset = "WIT"
denials_threshold = 2
denials_window_minutes = 60
shelter_fields = ["shelter_location", "address"]
max_window_days = 7
max_scan_entries = 5000
)", "u.toml");
  ASSERT_TRUE(set.ok()) << set.status().ToString();
  const AnomalyOptions& a = set->api.anomaly;
  EXPECT_EQ(a.bulk_reads_per_hour, 3);
  EXPECT_EQ(a.working_start_minute, 22 * 60);
  EXPECT_EQ(a.working_end_minute, 6 * 60);
  EXPECT_EQ(a.utc_offset_minutes, 9 * 60);
  EXPECT_EQ(a.denials_threshold, 2);
  EXPECT_EQ(a.denials_window_minutes, 60);
  EXPECT_EQ(a.shelter_fields, (std::vector<std::string>{"shelter_location", "address"}));
  EXPECT_EQ(a.max_window_days, 7);
  EXPECT_EQ(a.max_scan_entries, 5000u);

  for (const auto& [line, key] : std::vector<std::pair<std::string, std::string>>{
           {"bulk_reads_per_hour = 0", "anomaly.bulk_reads_per_hour"},
           {"working_hours = \"7-18\"", "anomaly.working_hours"},
           {"working_hours = \"07:00-07:00\"", "anomaly.working_hours"},
           {"utc_offset = \"+15:00\"", "anomaly.utc_offset"},
           {"utc_offset = 7", "anomaly.utc_offset"},
           {"denials_threshold = 0", "anomaly.denials_threshold"},
           {"denials_window_minutes = 1441", "anomaly.denials_window_minutes"},
           {"shelter_fields = \"shelter_location\"", "anomaly.shelter_fields"},
           {"shelter_fields = [\"Shelter Location\"]", "anomaly.shelter_fields"},
           {"shelter_fields = [1]", "anomaly.shelter_fields"},
           {"max_window_days = 0", "anomaly.max_window_days"},
           {"max_scan_entries = 10", "anomaly.max_scan_entries"},
           {"colour = 1", "anomaly.colour"}}) {
    auto c = ParseNodeConfig(std::string(kMinimal) + "[anomaly]\n" + line + "\n", "/etc/brankas/unit.toml");
    ASSERT_FALSE(c.ok()) << line;
    EXPECT_NE(c.status().message().find("'" + key + "'"), std::string::npos) << c.status().message();
    EXPECT_NE(c.status().message().find("/etc/brankas/unit.toml"), std::string::npos);
  }
  // A central node has no auditor tools of its own.
  auto central = ParseNodeConfig("role = \"central\"\ndata_dir = \"d\"\n[anomaly]\nbulk_reads_per_hour = 3\n", "c.toml");
  ASSERT_FALSE(central.ok());
  EXPECT_NE(central.status().message().find("'anomaly' is only for role = \"unit\""), std::string::npos);

  // brankasd --dev --anomaly-config FILE: the section alone, as strict.
  auto alone = ParseAnomalyConfig("[anomaly]\ndenials_threshold = 3\n", "a.toml");
  ASSERT_TRUE(alone.ok()) << alone.status().ToString();
  EXPECT_EQ(alone->denials_threshold, 3);
  EXPECT_EQ(alone->bulk_reads_per_hour, d.bulk_reads_per_hour);
  auto stray = ParseAnomalyConfig("data_dir = \"x\"\n[anomaly]\n", "a.toml");
  ASSERT_FALSE(stray.ok());
  EXPECT_NE(stray.status().message().find("'data_dir' is unknown"), std::string::npos);
}

}  // namespace
}  // namespace brankas

namespace brankas {
namespace {

TEST(ConfigTest, RetentionPeriodsReplaceTheDefaultsAndBadOnesNameTheKey) {
  auto defaults = ParseNodeConfig(kMinimal, "/etc/brankas/unit.toml");
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->ToVaultOptions().retention.years_by_class.at("standard"), 10);
  auto c = ParseNodeConfig(std::string(kMinimal) +
                               "[retention]\nyears = { standard = 5, extended = 30 }\nmodule_min_years = { tpks = 20 }\n",
                           "u.toml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  const RetentionPolicy r = c->ToVaultOptions().retention;
  EXPECT_EQ(r.years_by_class, (std::map<std::string, int>{{"standard", 5}, {"extended", 30}}));
  EXPECT_EQ(r.min_years_by_module, (std::map<std::string, int>{{"tpks", 20}}));
  for (const auto& [text, key] : std::vector<std::pair<std::string, std::string>>{
           {"[retention]\nyears = { standard = -1 }\n", "retention.years.standard"},
           {"[retention]\nyears = { standard = \"ten\" }\n", "retention.years.standard"},
           {"[retention]\nyears = 10\n", "retention.years"},
           {"[retention]\nforever = true\n", "retention.forever"}}) {
    auto bad = ParseNodeConfig(std::string(kMinimal) + text, "u.toml");
    ASSERT_FALSE(bad.ok()) << text;
    EXPECT_NE(bad.status().message().find(key), std::string::npos) << bad.status().message();
  }
}

}  // namespace
}  // namespace brankas

namespace brankas {
namespace {

TEST(ConfigTest, FieldClassRetentionIsOffByDefaultAndBadEntriesNameTheKeyAndFile) {
  auto defaults = ParseNodeConfig(kMinimal, "/etc/brankas/unit.toml");
  ASSERT_TRUE(defaults.ok());
  EXPECT_TRUE(defaults->ToVaultOptions().retention.years_by_field_class.empty());
  for (const std::string table : {"[retention.field_classes]\nmedical = 5\npsychological = 7\n",
                                  "[retention]\nfield_classes = { medical = 5, psychological = 7 }\n"}) {
    auto c = ParseNodeConfig(std::string(kMinimal) + table, "u.toml");
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    const RetentionPolicy r = c->ToVaultOptions().retention;
    EXPECT_EQ(r.years_by_field_class,
              (std::map<FieldClass, int>{{FieldClass::kMedical, 5}, {FieldClass::kPsychological, 7}}));
    EXPECT_EQ(r.years_by_class.at("standard"), 10);  // the other keys keep their defaults
  }
  for (const auto& [text, key] : std::vector<std::pair<std::string, std::string>>{
           {"[retention.field_classes]\nmedicall = 5\n", "retention.field_classes.medicall"},
           {"[retention.field_classes]\nadministrative = 5\n", "retention.field_classes.administrative"},
           {"[retention.field_classes]\nmedical = 0\n", "retention.field_classes.medical"},
           {"[retention.field_classes]\nmedical = 201\n", "retention.field_classes.medical"},
           {"[retention.field_classes]\nmedical = \"5\"\n", "retention.field_classes.medical"},
           {"[retention]\nfield_classes = 5\n", "retention.field_classes"}}) {
    auto bad = ParseNodeConfig(std::string(kMinimal) + text, "u.toml");
    ASSERT_FALSE(bad.ok()) << text;
    EXPECT_NE(bad.status().message().find("'" + key + "'"), std::string::npos) << bad.status().message();
    EXPECT_NE(bad.status().message().find("u.toml"), std::string::npos) << bad.status().message();
  }
}

}  // namespace
}  // namespace brankas

namespace brankas {
namespace {

TEST(ConfigTest, StatisticsThresholdDefaultsToTenAndBadOnesNameTheKey) {
  auto defaults = ParseNodeConfig(kMinimal, "/etc/brankas/unit.toml");
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->ToVaultOptions().statistics.suppression_threshold, 10);
  auto c = ParseNodeConfig(std::string(kMinimal) + "[statistics]\nsuppression_threshold = 5\n", "u.toml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->ToVaultOptions().statistics.suppression_threshold, 5);
  auto shipped = LoadNodeConfig(testing::SourceDir() + "/config/unit.toml");  // documents the default
  ASSERT_TRUE(shipped.ok()) << shipped.status().ToString();
  EXPECT_EQ(shipped->statistics.suppression_threshold, StatisticsOptions().suppression_threshold);
  auto central = ParseNodeConfig(
      "role = \"central\"\ndata_dir = \"c\"\n[central]\ntls_cert = \"c.pem\"\ntls_key = \"k.pem\"\n"
      "[statistics]\nsuppression_threshold = 5\n",
      "central.toml");
  ASSERT_FALSE(central.ok());
  EXPECT_NE(central.status().message().find("'statistics' is only for role = \"unit\""), std::string::npos)
      << central.status().message();
  for (const auto& [text, key] : std::vector<std::pair<std::string, std::string>>{
           {"[statistics]\nsuppression_threshold = 0\n", "statistics.suppression_threshold"},
           {"[statistics]\nsuppression_threshold = -3\n", "statistics.suppression_threshold"},
           {"[statistics]\nsuppression_threshold = 1\n", "statistics.suppression_threshold"},
           {"[statistics]\nsuppression_threshold = 1000000\n", "statistics.suppression_threshold"},
           {"[statistics]\nsuppression_threshold = \"ten\"\n", "statistics.suppression_threshold"},
           {"[statistics]\nthreshold = 10\n", "statistics.threshold"}}) {
    auto bad = ParseNodeConfig(std::string(kMinimal) + text, "u.toml");
    ASSERT_FALSE(bad.ok()) << text;
    EXPECT_NE(bad.status().message().find(key), std::string::npos) << bad.status().message();
    EXPECT_NE(bad.status().message().find("u.toml"), std::string::npos) << bad.status().message();
  }
}

}  // namespace
}  // namespace brankas
