#include "replication/shipper.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <random>
#include <thread>

#include "brankas/changelog.h"
#include "brankas/codec.h"
#include "brankas/crypto.h"
#include "brankas/evidence.h"
#include "brankas/types.h"
#include "replication/channel.h"
#include "replication/wire.h"

namespace brankas::repl {
namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kHeartbeat = std::chrono::seconds(5);
constexpr size_t kMaxReplyBytes = 16u << 20;
// The last inbox item handed to ShipperOptions::on_referrals (node-local).
constexpr char kInboxSeqKey[] = "local/repl/inbox_seq";
constexpr int kMaxInboxPullsPerContact = 100;

std::string SeqKey(uint64_t seq) {
  std::string k;
  PutBigEndian64(&k, seq);
  return k;
}

// Attachments whose record is put by one of these entries: their chunks go
// to the central node before the entries do.
Result<std::vector<std::string>> NewAttachments(const std::vector<std::string>& entries) {
  std::vector<std::string> ids;
  for (const std::string& bytes : entries) {
    BRANKAS_ASSIGN_OR_RETURN(auto keys, ChangelogEntryPutKeys(bytes, Column::kRecords, "e/"));
    for (const std::string& key : keys) {
      std::string_view id = EvidenceIdOfRecordKey(key);
      if (!id.empty()) ids.emplace_back(id);
    }
  }
  return ids;
}

// The newest changelog entry written on this node (0 when none or unreadable).
uint64_t HeadSeq(Store& store) {
  auto writer = ChangelogWriter::Open(store);
  return writer.ok() ? (*writer)->head().seq : 0;
}

}  // namespace

class Shipper::Impl {
 public:
  Store* store = nullptr;
  std::string unit;
  ShipperOptions options;
  std::string host;
  uint16_t port = 0;
  std::shared_ptr<boost::asio::ssl::context> tls;

  std::thread thread;
  mutable std::mutex mu;
  std::condition_variable cv;
  bool stopping = false;
  bool draining = false;           // guarded by mu: stop once everything is acknowledged
  bool finished = false;           // guarded by mu: Run() returned
  TlsChannel* channel = nullptr;  // guarded by mu; for Abort()
  ReplicationStatus st;           // guarded by mu
  int64_t oldest_pending_us = 0;  // guarded by mu; 0 when nothing is pending

  // Outbox accounting (thread only, mirrored into st under mu).
  struct Pending { uint64_t seq; uint64_t bytes; int64_t time_us; };
  std::deque<Pending> pending;
  uint64_t known_upto = 0;   // highest seq accounted
  uint64_t pending_bytes = 0;
  uint64_t pruned_upto = 0;  // outbox entries <= this are deleted
  uint64_t acked = 0;
  bool inbox_blocked = false;  // the last hand-over of referrals failed (logged once until it works)
  std::mt19937_64 rng{std::random_device{}()};

  // Token bucket (bandwidth cap).
  double tokens = 0;
  Clock::time_point refill = Clock::now();

  void Run();
  Status Session();
  bool Sleep(std::chrono::milliseconds d);  // false when stopping
  bool Stopping() {
    std::lock_guard<std::mutex> lock(mu);
    return stopping;
  }
  bool Draining() {
    std::lock_guard<std::mutex> lock(mu);
    return draining;
  }
  Status RefreshOutbox();
  void OnAcked(uint64_t seq);
  Status Prune();
  Status ReadBatch(uint64_t next, std::vector<std::string>* entries);
  // The largest frame that crosses the link within the I/O deadline at the capped rate.
  size_t FrameBudget(size_t wanted) const;
  Status ShipAttachment(TlsChannel& ch, const std::string& evidence_id);
  Status Refused(const Frame& reply, bool alarm_unavailable);
  Status PullInbox(TlsChannel& ch);
  void Throttle(size_t bytes);
  void SetAlarm(const std::string& alarm, bool on);
  void Publish();
  Status ExpectAck(TlsChannel& ch, uint64_t expect_seq, Ack* ack);
};

bool Shipper::Impl::Sleep(std::chrono::milliseconds d) {
  std::unique_lock<std::mutex> lock(mu);
  cv.wait_for(lock, d, [&] { return stopping; });
  return !stopping;
}

void Shipper::Impl::SetAlarm(const std::string& alarm, bool on) {
  std::lock_guard<std::mutex> lock(mu);
  auto it = std::find(st.alarms.begin(), st.alarms.end(), alarm);
  if (on && it == st.alarms.end()) {
    spdlog::error("replication alarm: {}", alarm);
    st.alarms.push_back(alarm);
  } else if (!on && it != st.alarms.end()) {
    spdlog::info("replication: alarm cleared: {}", alarm);
    st.alarms.erase(it);
  }
}

void Shipper::Impl::Publish() {
  std::lock_guard<std::mutex> lock(mu);
  st.local_seq = std::max(known_upto, acked);
  st.acked_seq = acked;
  st.lag_entries = st.local_seq - std::min(acked, st.local_seq);
  st.bytes_pending = pending_bytes;
  oldest_pending_us = pending.empty() ? 0 : pending.front().time_us;
}

Status Shipper::Impl::RefreshOutbox() {
  BRANKAS_RETURN_IF_ERROR(store->Scan(Column::kChangelog, "", SeqKey(known_upto + 1),
                                      [&](std::string_view key, std::string_view value) {
                                        if (key.size() != 8) return true;
                                        uint64_t seq = GetBigEndian64(key);
                                        if (seq > acked) {
                                          pending.push_back({seq, value.size(), ChangelogEntryTimeUs(value)});
                                          pending_bytes += value.size();
                                        }
                                        known_upto = seq;
                                        return true;
                                      }));
  const bool over = pending_bytes > options.outbox_quota_bytes;
  SetAlarm("outbox over quota: unacknowledged changes exceed outbox_quota_bytes (kept, not dropped)", over);
  Publish();
  return Status::Ok();
}

void Shipper::Impl::OnAcked(uint64_t seq) {
  acked = std::max(acked, seq);
  // Batches are read past known_upto (ReadBatch goes by seq), so an
  // acknowledged entry may not have been counted yet; once pruned, a rescan
  // would never find it, and a reconnect would take the central node's cursor
  // for one "beyond this unit's newest" (a false alarm, seen under ASan).
  known_upto = std::max(known_upto, acked);
  while (!pending.empty() && pending.front().seq <= acked) {
    pending_bytes -= pending.front().bytes;
    pending.pop_front();
  }
}

Status Shipper::Impl::Prune() {
  if (acked <= pruned_upto) return Status::Ok();
  Batch b;
  uint64_t upto = pruned_upto;
  BRANKAS_RETURN_IF_ERROR(store->Scan(Column::kChangelog, "", SeqKey(pruned_upto + 1),
                                      [&](std::string_view key, std::string_view) {
    if (key.size() != 8) return true;
    uint64_t seq = GetBigEndian64(key);
    if (seq > acked) return false;
    b.Delete(Column::kChangelog, std::string(key));
    upto = seq;
    return b.mutations().size() < 100'000;
  }));
  const bool all_pruned = b.mutations().size() < 100'000;
  // Values kept aside for entries up to `acked` are no longer needed.
  BRANKAS_RETURN_IF_ERROR(PruneChangelogStash(*store, acked, &b));
  if (!b.empty()) BRANKAS_RETURN_IF_ERROR(store->Write(b, Durability::kNoSync));
  pruned_upto = std::max(upto, pruned_upto);
  if (all_pruned) pruned_upto = acked;
  return Status::Ok();
}

size_t Shipper::Impl::FrameBudget(size_t wanted) const {
  if (options.bandwidth_bytes_per_s == 0) return wanted;
  // Half the deadline at the capped rate, so a frame never outlasts it.
  const uint64_t fits = options.bandwidth_bytes_per_s * static_cast<uint64_t>(options.io_timeout_ms) / 2000;
  return std::max<size_t>(16 * 1024, std::min<uint64_t>(wanted, fits));
}

Status Shipper::Impl::ReadBatch(uint64_t next, std::vector<std::string>* entries) {
  const size_t max_bytes = std::max<size_t>(64 * 1024, FrameBudget(options.batch_max_bytes));
  size_t bytes = 0;
  bool gap = false;
  Status failed;
  BRANKAS_RETURN_IF_ERROR(store->Scan(Column::kChangelog, "", SeqKey(next),
                                      [&](std::string_view key, std::string_view stored) {
                                        if (key.size() != 8) return true;
                                        if (GetBigEndian64(key) != next + entries->size()) {
                                          gap = true;
                                          return false;
                                        }
                                        // As shipped: with the values the outbox refers to.
                                        auto full = MaterializeChangelogEntry(*store, stored);
                                        if (!full.ok()) {
                                          failed = full.status();
                                          return false;
                                        }
                                        if (!entries->empty() && bytes + full->size() > max_bytes) return false;
                                        bytes += full->size();
                                        entries->push_back(std::move(*full));
                                        return entries->size() < options.batch_max_entries;
                                      }));
  if (gap) {
    SetAlarm("the outbox no longer holds entry " + std::to_string(next) + " that the central node lacks", true);
    return FailedPrecondition("outbox gap at entry " + std::to_string(next));
  }
  if (!failed.ok()) {
    SetAlarm("the outbox entry " + std::to_string(next + entries->size()) + " cannot be read: " + failed.message(),
             true);
    return failed;
  }
  return Status::Ok();
}

void Shipper::Impl::Throttle(size_t bytes) {
  const uint64_t rate = options.bandwidth_bytes_per_s;
  if (rate == 0) return;
  const double burst = std::max<double>(static_cast<double>(rate), 64.0 * 1024);
  auto now = Clock::now();
  tokens = std::min(burst, tokens + std::chrono::duration<double>(now - refill).count() * static_cast<double>(rate));
  refill = now;
  tokens -= static_cast<double>(bytes);
  if (tokens < 0) {
    Sleep(std::chrono::milliseconds(static_cast<int64_t>(-tokens * 1000.0 / static_cast<double>(rate)) + 1));
  }
}

Status Shipper::Impl::Refused(const Frame& reply, bool alarm_unavailable) {
  auto err = DecodeError(reply.payload);
  if (!err.ok()) return Unavailable("the central node sent an undecodable error");
  const std::string alarm = std::string("central refused: ") + ErrorCodeName(err->code) + ": " + err->text;
  if (alarm_unavailable || err->code != ErrorCode::kUnavailable) SetAlarm(alarm, true);
  return FailedPrecondition(alarm);
}

// The attachment's sealed chunks the central node lacks, in slices, from the
// first one it does not hold durably: a transfer cut by an outage resumes at
// the chunk where it stopped, not at the start of the file.
Status Shipper::Impl::ShipAttachment(TlsChannel& ch, const std::string& evidence_id) {
  const int64_t io = options.io_timeout_ms;
  BRANKAS_RETURN_IF_ERROR(ch.WriteFrame(MsgType::kBlobProbe, Encode(BlobProbe{evidence_id}), io));
  BRANKAS_ASSIGN_OR_RETURN(Frame reply, ch.ReadFrame(kMaxReplyBytes, io));
  if (reply.type == MsgType::kError) return Refused(reply, false);
  if (reply.type != MsgType::kBlobHeld) return Unavailable("unexpected reply to a blob probe");
  BRANKAS_ASSIGN_OR_RETURN(BlobHeld held, DecodeBlobHeld(reply.payload));
  if (held.evidence_id != evidence_id) return Unavailable("the central node answered for another attachment");
  const size_t slice = FrameBudget(256 * 1024);
  for (uint64_t index = held.chunks;; ++index) {
    if (Stopping()) return Unavailable("stopping");
    BRANKAS_ASSIGN_OR_RETURN(auto sealed, store->Get(Column::kEvidence, EvidenceChunkKey(evidence_id, index)));
    if (!sealed) break;  // past the last chunk (or the attachment was shredded since)
    if (sealed->empty() || sealed->size() > kMaxBlobBytes) return Corruption("an attachment chunk has an impossible size");
    Blob blob;
    blob.evidence_id = evidence_id;
    blob.index = index;
    blob.total = static_cast<uint32_t>(sealed->size());
    for (size_t offset = 0; offset < sealed->size(); offset += slice) {
      blob.offset = static_cast<uint32_t>(offset);
      blob.bytes.assign(*sealed, offset, slice);
      const std::string payload = Encode(blob);
      Throttle(payload.size());
      BRANKAS_RETURN_IF_ERROR(ch.WriteFrame(MsgType::kBlob, payload, io));
      std::lock_guard<std::mutex> lock(mu);
      st.bytes_sent += payload.size();
    }
  }
  return Status::Ok();
}

// Referrals relayed for this unit, from the last one handed over, until the
// inbox is empty (bounded per contact). Items are handed over in order; the
// receiver ignores what it already holds, so a repeat after a crash is harmless.
Status Shipper::Impl::PullInbox(TlsChannel& ch) {
  if (!options.on_referrals) return Status::Ok();
  BRANKAS_ASSIGN_OR_RETURN(auto stored, store->Get(Column::kMeta, kInboxSeqKey));
  uint64_t after = stored && stored->size() == 8 ? GetBigEndian64(*stored) : 0;
  for (int round = 0; round < kMaxInboxPullsPerContact && !Stopping(); ++round) {
    BRANKAS_RETURN_IF_ERROR(ch.WriteFrame(MsgType::kInboxPull, Encode(InboxPull{after}), options.io_timeout_ms));
    BRANKAS_ASSIGN_OR_RETURN(Frame reply, ch.ReadFrame(kMaxReplyBytes, options.io_timeout_ms));
    if (reply.type == MsgType::kError) return Refused(reply, false);
    if (reply.type != MsgType::kInbox) return Unavailable("unexpected reply to an inbox pull");
    BRANKAS_ASSIGN_OR_RETURN(Inbox inbox, DecodeInbox(reply.payload));
    if (inbox.items.empty()) break;
    std::vector<ReferralDelivery> deliveries;
    uint64_t last = after;
    for (InboxItem& item : inbox.items) {
      if (item.seq <= last) return Unavailable("the central node sent inbox items out of order");
      last = item.seq;
      deliveries.push_back({std::move(item.from_unit), std::move(item.referral_id), std::move(item.record)});
    }
    Status handed = options.on_referrals(deliveries);
    if (!handed.ok()) {
      // Sealed, or the vault could not commit: the items stay for the next
      // pull. Said once, not at every pull of a node sealed for days.
      if (!inbox_blocked) spdlog::warn("replication: referrals from the central node not taken yet: {}", handed.message());
      inbox_blocked = true;
      return Status::Ok();
    }
    if (inbox_blocked) spdlog::info("replication: referrals from the central node taken again");
    inbox_blocked = false;
    std::string seq;
    PutBigEndian64(&seq, last);
    Batch b;
    b.Put(Column::kMeta, kInboxSeqKey, seq);
    BRANKAS_RETURN_IF_ERROR(store->Write(b, Durability::kNoSync));
    after = last;
  }
  return Status::Ok();
}

Status Shipper::Impl::ExpectAck(TlsChannel& ch, uint64_t expect_seq, Ack* ack) {
  BRANKAS_ASSIGN_OR_RETURN(Frame reply, ch.ReadFrame(kMaxReplyBytes, options.io_timeout_ms));
  if (reply.type == MsgType::kError) return Refused(reply, false);
  if (reply.type != MsgType::kAck) return Unavailable("unexpected reply from the central node");
  BRANKAS_ASSIGN_OR_RETURN(*ack, DecodeAck(reply.payload));
  if (ack->seq != expect_seq) {
    return Unavailable("the central node acknowledged " + std::to_string(ack->seq) + ", expected " +
                       std::to_string(expect_seq));
  }
  return Status::Ok();
}

Status Shipper::Impl::Session() {
  BRANKAS_ASSIGN_OR_RETURN(auto generation, store->Get(Column::kMeta, kGenerationKey));
  if (!generation || generation->size() != 16) return FailedPrecondition("the unit has no generation");
  BRANKAS_ASSIGN_OR_RETURN(auto ch, TlsChannel::Connect(tls, host, port, options.central_pin,
                                                        options.connect_timeout_ms));
  {
    std::lock_guard<std::mutex> lock(mu);
    if (stopping) return Unavailable("stopping");
    channel = ch.get();
  }
  struct Unregister {
    Impl* self;
    ~Unregister() {
      std::lock_guard<std::mutex> lock(self->mu);
      self->channel = nullptr;
      self->st.connected = false;
    }
  } unregister{this};

  Hello hello;
  hello.unit = unit;
  hello.generation = *generation;
  hello.local_seq = known_upto;
  BRANKAS_RETURN_IF_ERROR(ch->WriteFrame(MsgType::kHello, Encode(hello), options.io_timeout_ms));
  BRANKAS_ASSIGN_OR_RETURN(Frame reply, ch->ReadFrame(kMaxReplyBytes, options.io_timeout_ms));
  if (reply.type == MsgType::kError) return Refused(reply, true);
  if (reply.type != MsgType::kCursor) return Unavailable("unexpected reply to hello");
  BRANKAS_ASSIGN_OR_RETURN(Cursor cursor, DecodeCursor(reply.payload));
  if (cursor.generation != *generation) return Unavailable("the central node answered for another generation");
  BRANKAS_RETURN_IF_ERROR(RefreshOutbox());
  if (cursor.seq > known_upto) {
    const std::string alarm = "the central node holds entry " + std::to_string(cursor.seq) +
                              " beyond this unit's newest (" + std::to_string(known_upto) + ")";
    SetAlarm(alarm, true);
    return FailedPrecondition(alarm);
  }
  if (cursor.seq > 0) {
    BRANKAS_ASSIGN_OR_RETURN(auto local, store->Get(Column::kChangelog, SeqKey(cursor.seq)));
    if (local) {
      auto full = MaterializeChangelogEntry(*store, *local);
      auto e = full.ok() ? DecodeChangelogEntry(*full) : Result<ChangelogEntry>(full.status());
      if (!e.ok() || e->hash != cursor.hash) {
        const std::string alarm = "the central node's entry " + std::to_string(cursor.seq) + " differs from this unit's";
        SetAlarm(alarm, true);
        return FailedPrecondition(alarm);
      }
    }
  }
  OnAcked(cursor.seq);
  {
    std::lock_guard<std::mutex> lock(mu);
    st.connected = true;
    st.last_contact_us = SystemNowUs();
  }
  BRANKAS_RETURN_IF_ERROR(Prune());
  Publish();
  BRANKAS_RETURN_IF_ERROR(PullInbox(*ch));
  auto last_pull = Clock::now();

  // Up to kWindow batches in flight: the next batch is read and sent while the
  // central node applies the previous one. Acks come back in order.
  struct InFlight {
    uint64_t last_seq;
    size_t entries, bytes;
  };
  constexpr size_t kWindow = 2;
  std::deque<InFlight> inflight;
  uint64_t next = cursor.seq + 1;
  auto last_send = Clock::now();
  while (!Stopping()) {
    std::vector<std::string> entries;
    if (inflight.size() < kWindow) BRANKAS_RETURN_IF_ERROR(ReadBatch(next, &entries));
    if (!entries.empty()) {
      BRANKAS_ASSIGN_OR_RETURN(std::vector<std::string> attachments, NewAttachments(entries));
      if (!attachments.empty() && !inflight.empty()) {
        entries.clear();  // hear the acks in flight first: a probe's answer must be the next reply
      } else {
        for (const std::string& id : attachments) BRANKAS_RETURN_IF_ERROR(ShipAttachment(*ch, id));
      }
    }
    const bool heartbeat_due = inflight.empty() && Clock::now() - last_send >= kHeartbeat;
    if (!entries.empty() || heartbeat_due) {
      Push push;
      push.generation = *generation;
      push.entries = std::move(entries);
      const size_t count = push.entries.size();
      const std::string payload = Encode(push);
      push.entries.clear();
      Throttle(payload.size());
      BRANKAS_RETURN_IF_ERROR(ch->WriteFrame(MsgType::kPush, payload, options.io_timeout_ms));
      last_send = Clock::now();
      inflight.push_back({next + count - 1, count, payload.size()});
      next += count;
      if (count > 0 && inflight.size() < kWindow) continue;  // fill the window
    }
    if (inflight.empty()) {
      if (Draining()) break;  // everything written so far is acknowledged
      if (options.on_referrals && Clock::now() - last_pull >= std::chrono::milliseconds(options.inbox_interval_ms)) {
        BRANKAS_RETURN_IF_ERROR(PullInbox(*ch));
        last_pull = Clock::now();
      }
      BRANKAS_RETURN_IF_ERROR(RefreshOutbox());
      Sleep(std::chrono::milliseconds(std::max<int64_t>(1, options.batch_max_wait_ms)));
      continue;
    }
    const InFlight sent = inflight.front();
    inflight.pop_front();
    Ack ack;
    BRANKAS_RETURN_IF_ERROR(ExpectAck(*ch, sent.last_seq, &ack));
    if (!ack.receipts.empty()) {
      Batch b;
      for (const Receipt& r : ack.receipts) {
        if (!VerifyReceipt(r) || r.unit != unit) return Unavailable("the central node sent an invalid receipt");
        std::string key = kReceiptPrefix;
        PutBigEndian64(&key, r.checkpoint_seq);
        b.Put(Column::kMeta, std::move(key), EncodeReceipt(r));
      }
      BRANKAS_RETURN_IF_ERROR(store->Write(b, Durability::kSync));
    }
    OnAcked(ack.seq);
    {
      std::lock_guard<std::mutex> lock(mu);
      st.last_contact_us = SystemNowUs();
      if (sent.entries > 0) st.last_ack_us = st.last_contact_us;
      st.consecutive_failures = 0;
      st.last_error.clear();
      st.batches_sent += sent.entries > 0 ? 1 : 0;
      st.entries_sent += sent.entries;
      st.bytes_sent += sent.bytes;
      st.receipts += ack.receipts.size();
      st.alarms.erase(std::remove_if(st.alarms.begin(), st.alarms.end(),
                                     [](const std::string& a) { return a.rfind("central refused", 0) == 0; }),
                      st.alarms.end());
    }
    BRANKAS_RETURN_IF_ERROR(Prune());
    BRANKAS_RETURN_IF_ERROR(RefreshOutbox());
  }
  ch->Close();
  return Status::Ok();
}

void Shipper::Impl::Run() {
  int64_t backoff_ms = options.backoff_min_ms;
  while (!Stopping()) {
    Status s = Session();
    if (Stopping() || (s.ok() && Draining())) break;
    {
      std::lock_guard<std::mutex> lock(mu);
      ++st.consecutive_failures;
      st.last_error = s.message();
    }
    spdlog::warn("replication: session with {} ended: {}", options.central, s.message());
    // Full jitter in [backoff/2, backoff], doubling up to the maximum; the
    // backoff restarts from the minimum once a session made progress.
    uint64_t failures;
    {
      std::lock_guard<std::mutex> lock(mu);
      failures = st.consecutive_failures;
    }
    if (failures <= 1) backoff_ms = options.backoff_min_ms;
    std::uniform_int_distribution<int64_t> jitter(backoff_ms / 2, backoff_ms);
    auto until = Clock::now() + std::chrono::milliseconds(Draining() ? 50 : jitter(rng));
    while (!Stopping() && Clock::now() < until) {
      (void)RefreshOutbox();
      Sleep(std::min(std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now()) +
                         std::chrono::milliseconds(1),
                     std::chrono::milliseconds(1000)));
    }
    backoff_ms = std::min(options.backoff_max_ms, backoff_ms * 2);
  }
  std::lock_guard<std::mutex> lock(mu);
  finished = true;
  cv.notify_all();
}

Shipper::Shipper(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Shipper::~Shipper() { Stop(); }

Result<std::unique_ptr<Shipper>> Shipper::Start(Store* store, std::string unit, const ShipperOptions& options) {
  auto impl = std::make_unique<Impl>();
  impl->store = store;
  impl->unit = std::move(unit);
  impl->options = options;
  if (!ParseHostPort(options.central, 1, &impl->host, &impl->port)) {
    return InvalidArgument("replication.central must be HOST:PORT");
  }
  BRANKAS_RETURN_IF_ERROR(ValidatePin(options.central_pin));
  BRANKAS_ASSIGN_OR_RETURN(impl->tls, MakeChannelContext(/*server=*/false, options.tls_cert, options.tls_key));
  impl->st.enabled = true;
  impl->st.peer = options.central;
  BRANKAS_ASSIGN_OR_RETURN(auto generation, store->Get(Column::kMeta, kGenerationKey));
  if (generation) impl->st.generation = ToHex(*generation);
  // Entries already pruned were acknowledged in an earlier run; an empty
  // outbox means everything up to the head was.
  bool any = false;
  BRANKAS_RETURN_IF_ERROR(store->Scan(Column::kChangelog, "", "", [&](std::string_view key, std::string_view) {
    if (key.size() == 8) {
      any = true;
      impl->pruned_upto = GetBigEndian64(key) - 1;
    }
    return false;
  }));
  if (!any) impl->pruned_upto = HeadSeq(*store);
  impl->acked = impl->pruned_upto;
  impl->known_upto = impl->pruned_upto;
  BRANKAS_RETURN_IF_ERROR(impl->RefreshOutbox());
  Impl* raw = impl.get();
  impl->thread = std::thread([raw] { raw->Run(); });
  return std::unique_ptr<Shipper>(new Shipper(std::move(impl)));
}

void Shipper::Stop(int64_t drain_ms) {
  if (!impl_ || !impl_->thread.joinable()) return;
  if (drain_ms > 0) {
    {
      std::lock_guard<std::mutex> lock(impl_->mu);
      impl_->draining = true;
    }
    impl_->cv.notify_all();
    std::unique_lock<std::mutex> lock(impl_->mu);
    impl_->cv.wait_for(lock, std::chrono::milliseconds(drain_ms), [&] { return impl_->finished; });
  }
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    impl_->stopping = true;
    if (impl_->channel != nullptr) impl_->channel->Abort();
  }
  impl_->cv.notify_all();
  impl_->thread.join();
}

ReplicationStatus Shipper::status() const {
  // The newest local entry is read fresh: the shipper thread may be blocked
  // on the network, and a stale figure would understate the lag.
  const uint64_t newest = HeadSeq(*impl_->store);
  std::lock_guard<std::mutex> lock(impl_->mu);
  ReplicationStatus s = impl_->st;
  s.local_seq = std::max(s.local_seq, newest);
  s.lag_entries = s.local_seq - std::min(s.acked_seq, s.local_seq);
  if (impl_->oldest_pending_us != 0) {
    s.lag_seconds = std::max(0.0, static_cast<double>(SystemNowUs() - impl_->oldest_pending_us) / 1e6);
  }
  return s;
}

}  // namespace brankas::repl
