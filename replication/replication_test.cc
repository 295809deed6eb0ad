// Replication in one process: a real vault, a real Shipper, a real CentralNode,
// mutual TLS on 127.0.0.1 with generated identities, real RocksDB directories.
// The multi-process fault tests (SIGKILL, the fault proxy) are in
// tests/integration/replication_fault_test.cc.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "brankas/changelog.h"
#include "brankas/evidence.h"
#include "brankas/evidence_bundle.h"
#include "brankas/server.h"
#include "brankas/synth.h"
#include "engine/case_record.h"
#include "keys/key_format.h"
#include "replication/replication_fixture.h"
#include "replication/central.h"
#include "replication/channel.h"
#include "replication/prefix_store.h"
#include "replication/restore.h"
#include "replication/shipper.h"

namespace brankas::repl {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

using testing::Identity;
using testing::MakeIdentity;
using testing::WaitFor;

class ReplicationTest : public testing::ReplicationFixture {
 protected:
  // The central node stopped, its store opened read-only as an intruder would.
  Result<std::unique_ptr<Store>> StopCentralAndOpenItsStore() {
    central_.reset();
    StoreOptions so;
    so.read_only = true;
    return OpenRocksStore(dir_.Sub("central"), so);
  }

  // A restore of KPG from the in-process central node into the unit's directory.
  RestoreOptions RestoreOpts(const std::string& node_key_hex) {
    RestoreOptions ro;
    ro.central = "127.0.0.1:" + std::to_string(central_->port());
    ro.central_pin = central_id_.pin;
    ro.tls_cert = unit_id_.cert;
    ro.tls_key = unit_id_.key;
    ro.unit = "KPG";
    ro.data_dir = unit_.data_dir();
    ro.node_key_hex = node_key_hex;
    return ro;
  }

  // The unit's generation and the changelog entries still in its outbox, in order.
  std::string Generation() { return unit_.vault().store().Get(Column::kMeta, kGenerationKey)->value_or(""); }
  std::vector<std::string> OutboxEntries() {
    std::vector<std::string> entries;
    Store& store = unit_.vault().store();
    EXPECT_TRUE(store.Scan(Column::kChangelog, "", "", [&](std::string_view, std::string_view v) {
      auto full = MaterializeChangelogEntry(store, v);  // as shipped
      EXPECT_TRUE(full.ok()) << full.status().ToString();
      entries.push_back(full.ok() ? *full : std::string());
      return true;
    }).ok());
    return entries;
  }
};

TEST_F(ReplicationTest, ShipsTheChangelogAndTheCopyEqualsTheUnit) {
  StartCentral();
  CreateCases(20);
  auto shipper = Shipper::Start(&unit_.vault().store(), "KPG", ShipperOpts(unit_id_));
  ASSERT_TRUE(shipper.ok()) << shipper.status().ToString();
  ASSERT_TRUE(WaitFor([&] { return CaughtUp(**shipper); })) << (*shipper)->status().last_error;
  CreateCases(30);  // while connected
  ASSERT_TRUE(WaitFor([&] { return CaughtUp(**shipper); })) << (*shipper)->status().last_error;

  auto drill = central_->Drill("KPG");
  ASSERT_TRUE(drill.ok()) << drill.status().ToString();
  EXPECT_TRUE(drill->ok) << drill->problem;
  EXPECT_TRUE(drill->audit.intact);
  EXPECT_EQ(drill->digest, UnitDigest());
  EXPECT_EQ(drill->cursor.seq, unit_.vault().changelog_head().seq);
  EXPECT_EQ(drill->cursor.hash, unit_.vault().changelog_head().hash);

  auto st = (*shipper)->status();
  EXPECT_TRUE(st.enabled);
  EXPECT_EQ(st.lag_entries, 0u);
  EXPECT_EQ(st.bytes_pending, 0u);
  EXPECT_GT(st.entries_sent, 0u);
  EXPECT_EQ(st.consecutive_failures, 0u);
  EXPECT_TRUE(st.alarms.empty());
  // The outbox is pruned up to the acknowledged sequence.
  uint64_t left = 0;
  ASSERT_TRUE(unit_.vault().store().Scan(Column::kChangelog, "", "", [&](std::string_view, std::string_view) {
    ++left;
    return true;
  }).ok());
  EXPECT_EQ(left, 0u);

  // Restarted while the central node is away: the empty outbox was all
  // acknowledged, so no lag is reported.
  (*shipper)->Stop();
  central_.reset();
  auto again = Shipper::Start(&unit_.vault().store(), "KPG", ShipperOpts(unit_id_));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)->status().acked_seq, unit_.vault().changelog_head().seq);
  EXPECT_EQ((*again)->status().lag_entries, 0u);
}

TEST_F(ReplicationTest, CheckpointsAreCountersigned) {
  StartCentral();
  CreateCases(120);  // checkpoint_every_entries = 50 in the fixture: several checkpoints
  auto shipper = Shipper::Start(&unit_.vault().store(), "KPG", ShipperOpts(unit_id_));
  ASSERT_TRUE(shipper.ok());
  ASSERT_TRUE(WaitFor([&] { return CaughtUp(**shipper); }));
  uint64_t receipts = 0;
  ASSERT_TRUE(unit_.vault().store().Scan(Column::kMeta, kReceiptPrefix, "", [&](std::string_view, std::string_view v) {
    auto r = DecodeReceipt(v);
    EXPECT_TRUE(r.ok());
    if (r.ok()) {
      EXPECT_TRUE(VerifyReceipt(*r));
      EXPECT_EQ(r->central_key, central_->public_key());
    }
    ++receipts;
    return true;
  }).ok());
  EXPECT_GT(receipts, 0u);
  EXPECT_EQ((*shipper)->status().receipts, receipts);
}

TEST_F(ReplicationTest, KeepsWorkingWhileTheCentralIsAwayAndCatchesUp) {
  StartCentral();
  central_.reset();  // away before the unit ever reaches it
  auto opts = ShipperOpts(unit_id_);
  auto shipper = Shipper::Start(&unit_.vault().store(), "KPG", opts);
  ASSERT_TRUE(shipper.ok());
  CreateCases(25);
  ASSERT_TRUE(WaitFor([&] { return (*shipper)->status().consecutive_failures >= 2; }));
  auto st = (*shipper)->status();
  EXPECT_EQ(st.acked_seq, 0u);
  EXPECT_GT(st.lag_entries, 0u);
  EXPECT_GT(st.bytes_pending, 0u);
  EXPECT_FALSE(st.last_error.empty());

  auto o = CentralOpts();
  o.listen_port = central_port_;
  auto c = CentralNode::Start(dir_.Sub("central"), o);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  central_ = std::move(*c);
  ASSERT_TRUE(WaitFor([&] { return CaughtUp(**shipper); })) << (*shipper)->status().last_error;
  auto drill = central_->Drill("KPG");
  ASSERT_TRUE(drill.ok());
  EXPECT_EQ(drill->digest, UnitDigest());
}

TEST_F(ReplicationTest, OutboxQuotaRaisesAnAlarmAndKeepsTheData) {
  StartCentral();
  central_.reset();
  auto opts = ShipperOpts(unit_id_);
  opts.outbox_quota_bytes = 1;  // anything over one byte
  auto shipper = Shipper::Start(&unit_.vault().store(), "KPG", opts);
  ASSERT_TRUE(shipper.ok());
  CreateCases(3);
  ASSERT_TRUE(WaitFor([&] { return !(*shipper)->status().alarms.empty(); }));
  EXPECT_NE((*shipper)->status().alarms[0].find("outbox over quota"), std::string::npos);
  uint64_t kept = 0;
  ASSERT_TRUE(unit_.vault().store().Scan(Column::kChangelog, "", "", [&](std::string_view, std::string_view) {
    ++kept;
    return true;
  }).ok());
  EXPECT_GT(kept, 0u);
}

TEST_F(ReplicationTest, AnUnpinnedUnitKeyIsRefused) {
  StartCentral();
  CreateCases(2);
  auto shipper = Shipper::Start(&unit_.vault().store(), "KPG", ShipperOpts(stranger_id_));
  ASSERT_TRUE(shipper.ok());
  ASSERT_TRUE(WaitFor([&] { return (*shipper)->status().consecutive_failures >= 2; }));
  EXPECT_EQ((*shipper)->status().acked_seq, 0u);
  for (const auto& u : central_->Units()) EXPECT_TRUE(u.cursor.generation.empty());
}

TEST_F(ReplicationTest, AnUnpinnedCentralKeyIsRefused) {
  StartCentral();
  CreateCases(2);
  auto opts = ShipperOpts(unit_id_);
  opts.central_pin = stranger_id_.pin;  // the unit expects another central key
  auto shipper = Shipper::Start(&unit_.vault().store(), "KPG", opts);
  ASSERT_TRUE(shipper.ok());
  ASSERT_TRUE(WaitFor([&] { return (*shipper)->status().consecutive_failures >= 2; }));
  auto st = (*shipper)->status();
  EXPECT_EQ(st.acked_seq, 0u);
  EXPECT_NE(st.last_error.find("pinned"), std::string::npos) << st.last_error;
}

// A raw session with the unit's own identity, to send what a well-behaved
// shipper never would.
class RawSession {
 public:
  RawSession(const Identity& id, const Identity& central, uint16_t port) {
    auto ctx = MakeChannelContext(false, id.cert, id.key);
    EXPECT_TRUE(ctx.ok());
    auto ch = TlsChannel::Connect(*ctx, "127.0.0.1", port, central.pin, 2000);
    EXPECT_TRUE(ch.ok()) << ch.status().ToString();
    if (ch.ok()) ch_ = std::move(*ch);
  }
  Result<Frame> Send(MsgType type, const std::string& payload) {
    BRANKAS_RETURN_IF_ERROR(ch_->WriteFrame(type, payload, 2000));
    return ch_->ReadFrame(1 << 24, 5000);
  }
  std::unique_ptr<TlsChannel> ch_;
};

TEST_F(ReplicationTest, AReplayedOrAlteredEntryIsRefusedWithAnAlarm) {
  StartCentral();
  CreateCases(3);
  // Keep a copy of the outbox before the shipper prunes it.
  const std::vector<std::string> entries = OutboxEntries();
  ASSERT_GE(entries.size(), 3u);
  {
    auto shipper = Shipper::Start(&unit_.vault().store(), "KPG", ShipperOpts(unit_id_));
    ASSERT_TRUE(shipper.ok());
    ASSERT_TRUE(WaitFor([&] { return CaughtUp(**shipper); }));
  }
  const std::string generation = Generation();
  const std::string digest_before = central_->Drill("KPG")->digest;

  RawSession raw(unit_id_, central_id_, central_->port());
  ASSERT_TRUE(raw.ch_);
  Hello hello{kProtocolVersion, "KPG", generation, 0};
  auto cursor = raw.Send(MsgType::kHello, Encode(hello));
  ASSERT_TRUE(cursor.ok());
  ASSERT_EQ(cursor->type, MsgType::kCursor);

  // An identical replay is ignored and acknowledged at the cursor.
  Push replay{generation, {entries[0], entries[1]}};
  auto ack = raw.Send(MsgType::kPush, Encode(replay));
  ASSERT_TRUE(ack.ok());
  EXPECT_EQ(ack->type, MsgType::kAck);

  // An altered old entry (re-hashed so it is self-consistent) is a conflict.
  auto e = DecodeChangelogEntry(entries[1]);
  ASSERT_TRUE(e.ok());
  ASSERT_FALSE(e->mutations.empty());
  e->mutations[0].value += "x";
  e->hash = ComputeChangelogHash(*e);
  Push altered{generation, {EncodeChangelogEntry(*e)}};
  auto refused = raw.Send(MsgType::kPush, Encode(altered));
  ASSERT_TRUE(refused.ok());
  ASSERT_EQ(refused->type, MsgType::kError);
  EXPECT_EQ(DecodeError(refused->payload)->code, ErrorCode::kConflict);
  auto units = central_->Units();
  ASSERT_EQ(units.size(), 1u);
  ASSERT_FALSE(units[0].alarms.empty());
  EXPECT_NE(units[0].alarms.back().find("differs"), std::string::npos);
  EXPECT_EQ(central_->Drill("KPG")->digest, digest_before);  // nothing changed
}

TEST_F(ReplicationTest, AGapOrAForkHaltsTheStream) {
  StartCentral();
  CreateCases(2);
  const std::string generation = Generation();
  const std::vector<std::string> entries = OutboxEntries();
  ASSERT_GE(entries.size(), 2u);
  {
    RawSession raw(unit_id_, central_id_, central_->port());
    ASSERT_TRUE(raw.Send(MsgType::kHello, Encode(Hello{kProtocolVersion, "KPG", generation, 0})).ok());
    auto refused = raw.Send(MsgType::kPush, Encode(Push{generation, {entries[1]}}));  // skips entry 1
    ASSERT_TRUE(refused.ok());
    ASSERT_EQ(refused->type, MsgType::kError);
    EXPECT_EQ(DecodeError(refused->payload)->code, ErrorCode::kHalted);
  }
  // Halted durably: a well-behaved shipper is refused too, even after a restart of the central node.
  central_.reset();
  StartCentral();
  auto units = central_->Units();
  ASSERT_EQ(units.size(), 1u);
  EXPECT_TRUE(units[0].halted);
  EXPECT_NE(units[0].halt_reason.find("gap"), std::string::npos);
  auto shipper = Shipper::Start(&unit_.vault().store(), "KPG", ShipperOpts(unit_id_));
  ASSERT_TRUE(shipper.ok());
  ASSERT_TRUE(WaitFor([&] { return !(*shipper)->status().alarms.empty(); }));
  EXPECT_NE((*shipper)->status().alarms[0].find("halted"), std::string::npos);
  EXPECT_EQ((*shipper)->status().acked_seq, 0u);
}

// A shipper keeps more than one push in flight: pushes sent back to back,
// without waiting for acks, are acknowledged one by one and in order, and a
// bad push behind them is refused as it would be alone, after everything
// before it is durable.
TEST_F(ReplicationTest, PushesSentBackToBackAreAckedInOrderAndABadOneStillHalts) {
  StartCentral();
  CreateCases(6);
  const std::string generation = Generation();
  const std::vector<std::string> entries = OutboxEntries();
  ASSERT_GE(entries.size(), 4u);
  RawSession raw(unit_id_, central_id_, central_->port());
  ASSERT_TRUE(raw.ch_);
  ASSERT_TRUE(raw.Send(MsgType::kHello, Encode(Hello{kProtocolVersion, "KPG", generation, 0})).ok());
  const size_t good = entries.size() - 1;  // all but the last, one push each
  for (size_t i = 0; i < good; ++i) {
    ASSERT_TRUE(raw.ch_->WriteFrame(MsgType::kPush, Encode(Push{generation, {entries[i]}}), 2000).ok());
  }
  // Then a repeat of entry 2 (identical: ignored and acked at the cursor),
  // then an entry numbered one past the next one (a gap: halts the stream).
  ASSERT_TRUE(raw.ch_->WriteFrame(MsgType::kPush, Encode(Push{generation, {entries[1]}}), 2000).ok());
  auto e = DecodeChangelogEntry(entries.back());
  ASSERT_TRUE(e.ok());
  e->seq += 1;  // one past the next one: a gap
  e->hash = ComputeChangelogHash(*e);
  ASSERT_TRUE(raw.ch_->WriteFrame(MsgType::kPush, Encode(Push{generation, {EncodeChangelogEntry(*e)}}), 2000).ok());

  for (size_t i = 0; i < good; ++i) {
    auto frame = raw.ch_->ReadFrame(1 << 24, 5000);
    ASSERT_TRUE(frame.ok()) << frame.status().ToString();
    ASSERT_EQ(frame->type, MsgType::kAck) << i;
    auto ack = DecodeAck(frame->payload);
    ASSERT_TRUE(ack.ok());
    EXPECT_EQ(ack->seq, i + 1);
  }
  auto dup = raw.ch_->ReadFrame(1 << 24, 5000);
  ASSERT_TRUE(dup.ok());
  ASSERT_EQ(dup->type, MsgType::kAck);
  EXPECT_EQ(DecodeAck(dup->payload)->seq, good);
  auto refused = raw.ch_->ReadFrame(1 << 24, 5000);
  ASSERT_TRUE(refused.ok());
  ASSERT_EQ(refused->type, MsgType::kError);
  EXPECT_EQ(DecodeError(refused->payload)->code, ErrorCode::kHalted);
  auto units = central_->Units();
  ASSERT_EQ(units.size(), 1u);
  EXPECT_TRUE(units[0].halted);
  EXPECT_EQ(units[0].cursor.seq, good);
}

TEST_F(ReplicationTest, TheCentralCopyHoldsNoFieldValue) {
  StartCentral();
  std::vector<std::string> values;
  CreateCases(10, &values);
  ASSERT_GT(values.size(), 20u);
  {
    auto shipper = Shipper::Start(&unit_.vault().store(), "KPG", ShipperOpts(unit_id_));
    ASSERT_TRUE(shipper.ok());
    ASSERT_TRUE(WaitFor([&] { return CaughtUp(**shipper); }));
  }
  central_.reset();  // flushes nothing on purpose: the WAL is read as it is
  // Read every byte of the central node's directory, as a thief would.
  std::string all;
  for (const auto& f : fs::recursive_directory_iterator(dir_.Sub("central"))) {
    if (!f.is_regular_file()) continue;
    std::ifstream in(f.path(), std::ios::binary);
    all.append(std::istreambuf_iterator<char>(in), {});
  }
  ASSERT_GT(all.size(), 10'000u);
  for (const std::string& v : values) EXPECT_EQ(all.find(v), std::string::npos) << "a field value is on the central node: " << v;
}

TEST_F(ReplicationTest, AShreddedCaseIsUnreadableOnTheCentralNodeToo) {
  StartCentral();
  std::vector<std::string> ids = CreateCases(3);
  ShipUntilCaughtUp();
  const std::string& victim = ids[1];
  std::string receipt;
  ASSERT_TRUE(unit_.vault().ShredCase(unit_.Ctx("sri", Role::kSupervisor), victim, "retention", &receipt).ok());
  ShipUntilCaughtUp();
  auto central = StopCentralAndOpenItsStore();
  ASSERT_TRUE(central.ok()) << central.status().ToString();
  const std::string prefix = repl::UnitPrefix("KPG");
  auto count = [&](Column c, const std::string& p) {
    int n = 0;
    EXPECT_TRUE((*central)->Scan(c, prefix + p, {}, [&](std::string_view, std::string_view) {
      ++n;
      return true;
    }).ok());
    return n;
  };
  // No data key and no sealed version of the shredded case is left there;
  // the other cases are untouched; the signed receipt travelled with the shred.
  EXPECT_EQ(count(Column::kKeys, "dk/" + victim), 0);
  EXPECT_EQ(count(Column::kRecords, VersionPrefix(victim)), 0);
  EXPECT_EQ(count(Column::kKeys, "dk/" + ids[0]), 1);
  EXPECT_GT(count(Column::kRecords, VersionPrefix(ids[0])), 0);
  auto held = (*central)->Get(Column::kRecords, prefix + "d/" + victim);
  ASSERT_TRUE(held.ok() && held->has_value());
  EXPECT_EQ(**held, receipt);
  auto report = VerifyDestructionReceipt(**held, unit_.vault().node_public_key());
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->valid) << report->problem;
}

TEST_F(ReplicationTest, ACaseShreddedBeforeItWasShippedStillShipsEveryEntryAsHashed) {
  // The outbox refers to case versions instead of copying them: shredding
  // deletes the versions before the entries that wrote them are shipped.
  StartCentral();
  std::vector<std::string> ids = CreateCases(3);
  ASSERT_TRUE(unit_.vault().ShredCase(unit_.Ctx("sri", Role::kSupervisor), ids[1], "retention").ok());
  Store& store = unit_.vault().store();
  auto stashed = [&] {
    int n = 0;
    EXPECT_TRUE(store.Scan(Column::kMeta, "local/changelog_stash/", {}, [&](std::string_view, std::string_view) {
      ++n;
      return true;
    }).ok());
    return n;
  };
  EXPECT_GT(stashed(), 0);
  ShipUntilCaughtUp();
  EXPECT_EQ(stashed(), 0);  // given back once the shred is acknowledged
  auto drill = central_->Drill("KPG");
  ASSERT_TRUE(drill.ok()) << drill.status().ToString();
  EXPECT_EQ(drill->digest, UnitDigest());
  auto central = StopCentralAndOpenItsStore();
  ASSERT_TRUE(central.ok()) << central.status().ToString();
  int versions = 0;
  EXPECT_TRUE((*central)->Scan(Column::kRecords, repl::UnitPrefix("KPG") + VersionPrefix(ids[1]), {},
                               [&](std::string_view, std::string_view) {
                                 ++versions;
                                 return true;
                               }).ok());
  EXPECT_EQ(versions, 0);
}

TEST_F(ReplicationTest, AClassShredLeavesNoWrappedKeyOfTheClassOnTheCentralNode) {
  StartCentral();
  std::vector<std::string> ids = CreateCases(2);
  ShipUntilCaughtUp();
  const std::string& victim = ids[0];
  std::string receipt;
  const std::vector<FieldClass> classes = {FieldClass::kIdentity, FieldClass::kContact};
  ASSERT_TRUE(unit_.vault()
                  .ShredClasses(unit_.Ctx("sri", Role::kSupervisor), victim, classes, "data_subject_request", &receipt)
                  .ok());
  ShipUntilCaughtUp();
  auto central = StopCentralAndOpenItsStore();
  ASSERT_TRUE(central.ok()) << central.status().ToString();
  const std::string prefix = repl::UnitPrefix("KPG");
  auto wrapped = [&](const std::string& id) {
    auto stored = (*central)->Get(Column::kKeys, prefix + keys_internal::DataKeyKey(id));
    EXPECT_TRUE(stored.ok() && stored->has_value());
    keys_internal::CaseKeysRecord none{};
    if (!stored.ok() || !stored->has_value()) return none;
    auto record = keys_internal::DecodeCaseKeysRecord(**stored);
    EXPECT_TRUE(record.ok());
    return record.ok() ? *record : none;
  };
  // The central copy of the key record holds the kept classes only; the other
  // case keeps all of its keys; the class receipt travelled with the shred.
  const auto victim_keys = wrapped(victim);
  for (FieldClass cls : kAllFieldClasses) {
    const bool gone = cls == FieldClass::kIdentity || cls == FieldClass::kContact;
    EXPECT_EQ(victim_keys[static_cast<size_t>(cls)].kek_version == 0, gone) << FieldClassName(cls);
  }
  for (const auto& k : wrapped(ids[1])) EXPECT_NE(k.kek_version, 0u);
  int receipts = 0;
  auto each_receipt = [&](std::string_view, std::string_view v) {
    EXPECT_EQ(v, receipt);
    ++receipts;
    return true;
  };
  EXPECT_TRUE((*central)->Scan(Column::kRecords, prefix + "dc/" + victim + "/", {}, each_receipt).ok());
  EXPECT_EQ(receipts, 1);
  auto meta = (*central)->Get(Column::kRecords, prefix + CaseMetaKey(victim));
  ASSERT_TRUE(meta.ok() && meta->has_value());
  auto decoded = DecodeCaseMeta(**meta);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_NE(decoded->shredded_classes & (1u << static_cast<int>(FieldClass::kIdentity)), 0u);
}

TEST_F(ReplicationTest, ADestroyedUnitIsRestoredAndItsOldGenerationCannotPush) {
  StartCentral();
  auto ids = CreateCases(15);
  // A second version of one field: history must come back too.
  auto updated = unit_.vault().UpdateCase(unit_.Ctx("citra", Role::kCaseWorker), ids[0], {{"name", "Nama Kedua Sintetis"}}, 1);
  ASSERT_TRUE(updated.ok()) << updated.status().ToString();
  {
    auto shipper = Shipper::Start(&unit_.vault().store(), "KPG", ShipperOpts(unit_id_));
    ASSERT_TRUE(shipper.ok());
    ASSERT_TRUE(WaitFor([&] { return CaughtUp(**shipper); }));
  }
  const std::string digest = UnitDigest();
  const std::string node_key = ToHex(unit_.vault().node_public_key());
  const auto old_generation = *unit_.vault().store().Get(Column::kMeta, kGenerationKey);
  unit_.vault_ptr().reset();  // the unit is "destroyed": its directory is replaced below

  // Keep the old directory (a stolen or stale copy), restore into the same path.
  fs::copy(unit_.data_dir(), dir_.Sub("old-copy"), fs::copy_options::recursive);
  RestoreOptions ro = RestoreOpts(node_key);
  uint64_t progress_calls = 0;
  ro.progress = [&](uint64_t, uint64_t) { ++progress_calls; };
  auto report = RestoreFromCentral(ro);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_GT(report->records, 100u);
  EXPECT_GT(progress_calls, 0u);
  EXPECT_TRUE(report->audit.intact);
  EXPECT_EQ(report->old_generation, *old_generation);
  EXPECT_NE(report->new_generation, *old_generation);
  EXPECT_FALSE(report->moved_aside.empty());

  // The restored node opens sealed, unseals with the unit's passphrase, and has every case.
  unit_.OpenUnsealed();
  for (const auto& id : ids) {
    auto c = unit_.vault().ReadCase(unit_.Ctx("citra", Role::kCaseWorker), id);
    EXPECT_TRUE(c.ok()) << c.status().ToString();
  }
  auto history = unit_.vault().FieldHistory(unit_.Ctx("citra", Role::kCaseWorker), ids[0], "name");
  ASSERT_TRUE(history.ok()) << history.status().ToString();
  EXPECT_EQ(history->size(), 2u);
  auto verify = unit_.vault().VerifyAudit(unit_.Ctx("audit", Role::kAuditor));
  ASSERT_TRUE(verify.ok());
  EXPECT_TRUE(verify->intact) << verify->problem;

  // The restored unit ships its new generation on top of the same copy.
  CreateCases(3);
  {
    auto shipper = Shipper::Start(&unit_.vault().store(), "KPG", ShipperOpts(unit_id_));
    ASSERT_TRUE(shipper.ok());
    ASSERT_TRUE(WaitFor([&] { return CaughtUp(**shipper); })) << (*shipper)->status().last_error;
    EXPECT_EQ(central_->Drill("KPG")->digest, UnitDigest());
  }
  EXPECT_NE(UnitDigest(), digest);

  // The old copy comes back to life: refused as a retired generation, with an alarm.
  StoreOptions so;
  auto old_store = OpenRocksStore(dir_.Sub("old-copy"), so);
  ASSERT_TRUE(old_store.ok()) << old_store.status().ToString();
  auto stale = Shipper::Start(old_store->get(), "KPG", ShipperOpts(unit_id_));
  ASSERT_TRUE(stale.ok());
  ASSERT_TRUE(WaitFor([&] { return !(*stale)->status().alarms.empty(); }));
  EXPECT_NE((*stale)->status().alarms[0].find("retired"), std::string::npos);
  (*stale)->Stop();
  EXPECT_EQ(central_->Drill("KPG")->digest, UnitDigest());
}

// A synthetic attachment of `size` bytes on the case, added by its worker.
std::string AddAttachment(Vault& vault, const RequestContext& worker, const std::string& case_id, size_t size,
                          std::string* evidence_id) {
  std::string data(size, '\0');
  for (size_t i = 0; i < size; ++i) data[i] = static_cast<char>((i * 131 + i / 4099) & 0xff);
  auto up = vault.BeginEvidence(worker, case_id, "scan-visum.pdf", "application/pdf", kDefaultMaxEvidenceBytes);
  EXPECT_TRUE(up.ok()) << up.status().ToString();
  if (!up.ok()) return data;
  for (size_t off = 0; off < size; off += 300'000) {
    EXPECT_TRUE((*up)->Append(std::string_view(data).substr(off, 300'000)).ok());
  }
  auto info = (*up)->Finish();
  EXPECT_TRUE(info.ok()) << info.status().ToString();
  if (info.ok()) *evidence_id = info->evidence_id;
  return data;
}

std::string ReadAttachment(Vault& vault, const RequestContext& rc, const std::string& case_id, const std::string& id) {
  auto reader = vault.OpenEvidence(rc, case_id, id);
  EXPECT_TRUE(reader.ok()) << reader.status().ToString();
  if (!reader.ok()) return "";
  std::string all, piece;
  for (int i = 0; i < 10'000; ++i) {
    auto more = (*reader)->Next(&piece);
    EXPECT_TRUE(more.ok()) << more.status().ToString();
    if (!more.ok() || !*more) break;
    all += piece;
  }
  return all;
}

TEST_F(ReplicationTest, AttachmentsTravelWithTheirRecordsAndComeBackWithARestore) {
  StartCentral();
  auto ids = CreateCases(2);
  const RequestContext citra = unit_.Ctx("citra", Role::kCaseWorker);
  std::string eid;
  const std::string data = AddAttachment(unit_.vault(), citra, ids[0], 3 * kEvidenceChunkBytes + 12'345, &eid);
  ASSERT_FALSE(eid.empty());
  ShipUntilCaughtUp();
  // The central copy holds the four sealed chunks (in the digest with everything else) ...
  auto drill = central_->Drill("KPG");
  ASSERT_TRUE(drill.ok()) << drill.status().ToString();
  EXPECT_TRUE(drill->ok) << drill->problem;
  EXPECT_EQ(drill->digest, UnitDigest());

  // ... and a unit destroyed after that gets the attachment back, readable, byte for byte.
  const std::string node_key = ToHex(unit_.vault().node_public_key());
  unit_.vault_ptr().reset();
  RestoreOptions ro = RestoreOpts(node_key);
  auto report = RestoreFromCentral(ro);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  unit_.OpenUnsealed();
  EXPECT_EQ(ReadAttachment(unit_.vault(), citra, ids[0], eid), data);

  // Shredding the case removes its chunks from the central copy too.
  ASSERT_TRUE(unit_.vault().ShredCase(unit_.Ctx("sri", Role::kSupervisor), ids[0], "retention").ok());
  ShipUntilCaughtUp();
  EXPECT_EQ(central_->Drill("KPG")->digest, UnitDigest());
  auto central = StopCentralAndOpenItsStore();
  ASSERT_TRUE(central.ok()) << central.status().ToString();
  int chunks = 0;
  ASSERT_TRUE((*central)->Scan(Column::kEvidence, "", {}, [&](std::string_view, std::string_view) {
    ++chunks;
    return true;
  }).ok());
  EXPECT_EQ(chunks, 0);
}

TEST_F(ReplicationTest, AnInterruptedAttachmentResumesAtTheChunkWhereItStopped) {
  StartCentral();
  auto ids = CreateCases(1);
  ShipUntilCaughtUp();
  std::string eid;
  AddAttachment(unit_.vault(), unit_.Ctx("citra", Role::kCaseWorker), ids[0], 4 * kEvidenceChunkBytes, &eid);
  ASSERT_FALSE(eid.empty());
  const std::string generation = Generation();

  // A session cut after two of the four chunks: the first in two slices, the second whole.
  {
    RawSession raw(unit_id_, central_id_, central_->port());
    ASSERT_TRUE(raw.ch_);
    auto cursor = raw.Send(MsgType::kHello, Encode(Hello{kProtocolVersion, "KPG", generation, 0}));
    ASSERT_TRUE(cursor.ok() && cursor->type == MsgType::kCursor);
    for (uint64_t i = 0; i < 2; ++i) {
      auto sealed = unit_.vault().store().Get(Column::kEvidence, EvidenceChunkKey(eid, i));
      ASSERT_TRUE(sealed.ok() && sealed->has_value());
      const uint32_t total = static_cast<uint32_t>((*sealed)->size());
      const uint32_t half = i == 0 ? total / 2 : total;
      ASSERT_TRUE(raw.ch_->WriteFrame(MsgType::kBlob, Encode(Blob{eid, i, 0, total, (*sealed)->substr(0, half)}), 2000).ok());
      if (half < total) {
        ASSERT_TRUE(raw.ch_->WriteFrame(MsgType::kBlob, Encode(Blob{eid, i, half, total, (*sealed)->substr(half)}), 2000).ok());
      }
    }
    auto held = raw.Send(MsgType::kBlobProbe, Encode(BlobProbe{eid}));
    ASSERT_TRUE(held.ok() && held->type == MsgType::kBlobHeld);
    EXPECT_EQ(DecodeBlobHeld(held->payload)->chunks, 2u);
    // A chunk out of order is refused, and so the session ends.
    auto refused = raw.Send(MsgType::kBlob, Encode(Blob{eid, 7, 0, 10, "0123456789"}));
    ASSERT_TRUE(refused.ok());
    ASSERT_EQ(refused->type, MsgType::kError);
    EXPECT_EQ(DecodeError(refused->payload)->code, ErrorCode::kMalformed);
  }

  // The shipper asks, sends only the last two chunks, then the record.
  auto shipper = Shipper::Start(&unit_.vault().store(), "KPG", ShipperOpts(unit_id_));
  ASSERT_TRUE(shipper.ok());
  ASSERT_TRUE(WaitFor([&] { return CaughtUp(**shipper); })) << (*shipper)->status().last_error;
  const auto st = (*shipper)->status();
  EXPECT_GT(st.bytes_sent, 2 * kEvidenceChunkBytes);
  EXPECT_LT(st.bytes_sent, 3 * kEvidenceChunkBytes);
  (*shipper)->Stop();
  EXPECT_EQ(central_->Drill("KPG")->digest, UnitDigest());
}

TEST_F(ReplicationTest, AReferralTravelsThroughTheCentralNodeAndItsRevocationFollows) {
  // A second unit, SLM, with its own TLS identity; the two pin each other's node key.
  Identity slm_id = MakeIdentity(dir_, "slm");
  testing::VaultFixture slm{"SLM"};
  slm.Init();
  slm.OpenUnsealed();
  unit_.referral_peers["SLM"] = slm.vault().node_public_key();
  slm.referral_peers["KPG"] = unit_.vault().node_public_key();
  unit_.OpenUnsealed();
  slm.OpenUnsealed();
  CentralOptions co = CentralOpts();
  co.units.push_back({"SLM", slm_id.pin, ""});
  auto c = CentralNode::Start(dir_.Sub("central"), co);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  central_ = std::move(*c);
  central_port_ = central_->port();

  const RequestContext citra = unit_.Ctx("citra", Role::kCaseWorker);
  const std::string narrative = "[DATA SINTETIS] rujukan lewat pusat, nilai uji 4471";
  auto created = unit_.vault().CreateCase(citra, {{"narrative", narrative}, {"incident_place", "school"}}, {});
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  auto ref = unit_.vault().CreateReferral(citra, {created->case_id, "SLM", {FieldClass::kIncident}, 0});
  ASSERT_TRUE(ref.ok()) << ref.status().ToString();
  ShipUntilCaughtUp();

  // SLM's shipper pulls its inbox at its next contact; its supervisor reads the shared class.
  ShipperOptions so = ShipperOpts(slm_id);
  so.inbox_interval_ms = 50;
  so.on_referrals = [&](const std::vector<ReferralDelivery>& d) { return slm.vault().ReceiveReferrals(d); };
  auto slm_shipper = Shipper::Start(&slm.vault().store(), "SLM", so);
  ASSERT_TRUE(slm_shipper.ok()) << slm_shipper.status().ToString();
  const RequestContext budi = slm.Ctx("budi", Role::kSupervisor);
  ASSERT_TRUE(WaitFor([&] { return slm.vault().ReadReferral(budi, ref->referral_id).ok(); }))
      << (*slm_shipper)->status().last_error;
  auto view = slm.vault().ReadReferral(budi, ref->referral_id);
  ASSERT_TRUE(view.ok());
  EXPECT_EQ(view->fields.at("narrative"), narrative);

  // KPG revokes; once the revocation reaches SLM (its next pull), SLM reads nothing.
  ASSERT_TRUE(unit_.vault().RevokeReferral(citra, ref->referral_id).ok());
  ShipUntilCaughtUp();
  ASSERT_TRUE(WaitFor([&] {
    return slm.vault().ReadReferral(budi, ref->referral_id).status().code() == Code::kPermissionDenied;
  }));
  (*slm_shipper)->Stop();

  // The central node relayed both without being able to read either.
  auto central = StopCentralAndOpenItsStore();
  ASSERT_TRUE(central.ok()) << central.status().ToString();
  int inbox = 0;
  for (int col = 0; col < kColumnCount; ++col) {
    ASSERT_TRUE((*central)->Scan(static_cast<Column>(col), "", {}, [&](std::string_view k, std::string_view v) {
      EXPECT_EQ(v.find(narrative), std::string_view::npos);
      if (k.rfind("central/inbox/SLM/", 0) == 0) ++inbox;
      return true;
    }).ok());
  }
  EXPECT_EQ(inbox, 2);  // the referral and its revocation
}

}  // namespace
}  // namespace brankas::repl
