#include "engine/committer.h"

#include <pthread.h>

#include <algorithm>
#include <chrono>

#include "brankas/codec.h"

namespace brankas {

uint64_t VersionOfRecord(std::string_view value) {
  Reader r(value);
  uint8_t format = 0;
  uint64_t version = 0;
  if (!r.U8(&format) || !r.U64(&version)) return 0;
  return version;
}

Committer::Committer(Store& store, AuditChain& chain, ChangelogWriter& changelog, Options options)
    : store_(store), chain_(chain), changelog_(changelog), options_(std::move(options)) {
  // Named (at most 15 characters) so that top -H, perf and gdb tell the
  // three stages apart.
  answerer_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "commit-answer");
    RunAnswerer();
  });
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "commit-prepare");
    Run();
  });
  writer_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "commit-write");
    RunWriter();
  });
}

Committer::~Committer() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();    // prepares what is queued, then tells the writer it is done
  writer_.join();    // writes what is prepared, then tells the answerer it is done
  answerer_.join();  // answers what is written
}

std::future<Result<CommitResult>> Committer::Submit(CommitRequest request) {
  Pending p{std::move(request), {}};
  auto future = p.promise.get_future();
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) {
      p.promise.set_value(Unavailable("vault is shutting down"));
      return future;
    }
    queue_.push_back(std::move(p));
  }
  cv_.notify_one();
  return future;
}

Result<CommitResult> Committer::Commit(CommitRequest request) {
  return Submit(std::move(request)).get();
}

Committer::Stats Committer::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

namespace {

Status WriteFailure(const Status& cause) {
  return Unavailable("the audit trail or the store could not be written; nothing was changed (" +
                     cause.message() + ")");
}

std::string OverlayKey(const Expectation& e) {
  std::string k;
  k.reserve(1 + e.key.size());
  k.push_back(static_cast<char>(e.column));
  k.append(e.key);
  return k;
}

}  // namespace

void Committer::Run() {
  const size_t max_in_flight = std::max<size_t>(1, options_.max_groups_in_flight);
  for (;;) {
    std::vector<Pending> group;
    uint64_t epoch = 0;
    uint64_t written_up_to = 0;
    bool idle = false;  // woke with nothing to do: an idle node's checkpoint may be due
    {
      std::unique_lock<std::mutex> lock(mu_);
      auto work = [&] {
        return rollback_chain_.has_value() || (stopping_ && queue_.empty()) ||
               (!queue_.empty() && ready_.size() + in_write_ < max_in_flight);
      };
      if (options_.idle_tick_us > 0) {
        idle = !cv_.wait_for(lock, std::chrono::microseconds(options_.idle_tick_us), work) &&
               ready_.empty() && in_write_ == 0;
        if (!idle && !work()) continue;
      } else {
        cv_.wait(lock, work);
      }
      if (rollback_chain_.has_value()) {
        // A write failed: every group after its mark has been failed; continue
        // the chains from what is on disk.
        AuditChain::GroupMark chain_mark = std::move(*rollback_chain_);
        ChangelogWriter::Head changelog_mark = std::move(*rollback_changelog_);
        rollback_chain_.reset();
        rollback_changelog_.reset();
        written_.clear();
        lock.unlock();
        chain_.Rollback(chain_mark);
        changelog_.Rollback(std::move(changelog_mark));
        overlay_.clear();
        continue;
      }
      if (idle) {
        // The newest entries wait for a checkpoint (which the central node
        // countersigns) no longer than the checkpoint interval, even if no
        // access follows them: a group with no requests seals one.
        lock.unlock();
        if (!chain_.CheckpointDue(options_.now_us())) continue;
        lock.lock();
      } else if (queue_.empty()) {  // stopping, nothing left to prepare
        committer_done_ = true;
        writer_cv_.notify_all();
        return;
      } else {
        const size_t n = std::min(queue_.size(), options_.max_group_size);
        group.reserve(n);
        for (size_t i = 0; i < n; ++i) {
          group.push_back(std::move(queue_.front()));
          queue_.pop_front();
        }
      }
      epoch = epoch_;
      for (uint64_t id : written_) written_up_to = std::max(written_up_to, id);
      written_.clear();
    }
    // Groups are written in id order: everything up to the newest written one
    // is in the store now, so its overlay entries are no longer needed.
    if (written_up_to != 0) {
      std::erase_if(overlay_, [&](const auto& kv) { return kv.second.group <= written_up_to; });
    }
    std::optional<Prepared> prepared = Prepare(std::move(group), epoch);
    if (!prepared) continue;
    bool stale = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      // A group failed while this one was being prepared on top of it.
      stale = prepared->epoch != epoch_;
      if (stale) {
        stats_.groups++;
        stats_.failed_groups++;
        stats_.requests += prepared->requests.size();
      } else {
        ready_.push_back(std::move(*prepared));
      }
    }
    if (stale) {
      Fail(prepared->requests, Unavailable("the audit trail or the store could not be written; nothing "
                                           "was changed (an earlier group failed)"));
    } else {
      writer_cv_.notify_one();
    }
  }
}

void Committer::RunWriter() {
  for (;;) {
    std::vector<Prepared> groups;
    {
      std::unique_lock<std::mutex> lock(mu_);
      writer_cv_.wait(lock, [this] { return !ready_.empty() || committer_done_; });
      if (ready_.empty()) {
        lock.unlock();
        {
          std::lock_guard<std::mutex> answers(answer_mu_);
          writer_done_ = true;
        }
        answer_cv_.notify_one();
        return;
      }
      for (auto& p : ready_) groups.push_back(std::move(p));
      ready_.clear();
      in_write_ = groups.size();
    }
    // Groups that became ready together go in one write: still atomic and
    // synced, in preparation order, one fsync for all of them.
    std::vector<EncodedBatch*> batches;
    batches.reserve(groups.size());
    for (auto& g : groups) batches.push_back(g.encoded.get());
    Status written = store_.WriteEncoded(batches, Durability::kSync);
    std::vector<Prepared> chained;  // prepared on top of a failed write
    {
      std::lock_guard<std::mutex> lock(mu_);
      in_write_ = 0;
      for (const auto& g : groups) {
        stats_.groups++;
        stats_.requests += g.requests.size();
        stats_.max_group = std::max<uint64_t>(stats_.max_group, g.requests.size());
        if (!written.ok()) stats_.failed_groups++;
      }
      if (written.ok()) {
        written_.push_back(groups.back().id);
        degraded_.store(false);
      } else {
        degraded_.store(true);
        ++epoch_;
        if (!rollback_chain_.has_value()) {
          rollback_chain_ = groups.front().chain_mark;
          rollback_changelog_ = groups.front().changelog_mark;
        }
        for (auto& p : ready_) chained.push_back(std::move(p));
        ready_.clear();
        for (const auto& g : chained) {
          stats_.groups++;
          stats_.failed_groups++;
          stats_.requests += g.requests.size();
        }
      }
    }
    cv_.notify_one();
    for (auto& g : chained) groups.push_back(std::move(g));
    {
      std::lock_guard<std::mutex> lock(answer_mu_);
      answers_.push_back(Written{std::move(groups), written});
    }
    answer_cv_.notify_one();
  }
}

void Committer::RunAnswerer() {
  for (;;) {
    std::deque<Written> written;
    {
      std::unique_lock<std::mutex> lock(answer_mu_);
      answer_cv_.wait(lock, [this] { return !answers_.empty() || writer_done_; });
      if (answers_.empty()) return;
      written.swap(answers_);
    }
    for (auto& w : written) {
      for (auto& g : w.groups) Answer(g, w.status);
    }
  }
}

Result<uint64_t> Committer::CurrentVersion(const Expectation& e, const std::string& overlay_key,
                                           const Overlay& local) {
  if (auto it = local.find(overlay_key); it != local.end()) return it->second.version;
  if (auto it = overlay_.find(overlay_key); it != overlay_.end()) return it->second.version;
  BRANKAS_ASSIGN_OR_RETURN(auto value, store_.Get(e.column, e.key));
  if (!value) return uint64_t{0};
  uint64_t v = VersionOfRecord(*value);
  if (v == 0) return Corruption("stored record has a malformed version header");
  return v;
}

std::optional<Committer::Prepared> Committer::Prepare(std::vector<Pending> group, uint64_t epoch) {
  Prepared p;
  p.id = next_id_++;
  p.epoch = epoch;
  p.chain_mark = chain_.Mark();
  p.changelog_mark = changelog_.Mark();
  p.outcome.resize(group.size());
  p.last_seq.assign(group.size(), 0);
  Overlay local;  // versions written by earlier requests of this group

  for (size_t i = 0; i < group.size(); ++i) {
    CommitRequest& req = group[i].request;
    bool holds = true;
    std::vector<std::string> keys;
    keys.reserve(req.expectations.size());
    for (const Expectation& e : req.expectations) {
      keys.push_back(OverlayKey(e));
      auto current = CurrentVersion(e, keys.back(), local);
      if (!current.ok()) {
        p.outcome[i] = current.status();
        holds = false;
        break;
      }
      if (*current != e.version) {
        p.outcome[i] = Conflict("the record changed since it was read (expected version " +
                                std::to_string(e.version) + ", found " + std::to_string(*current) + ")");
        holds = false;
        break;
      }
    }
    if (holds) {
      for (size_t k = 0; k < keys.size(); ++k) {
        local.insert_or_assign(std::move(keys[k]), Overlaid{req.expectations[k].new_version, p.id});
      }
      p.batch.Append(std::move(req.batch));
    } else {
      for (AuditEntry& a : req.audit) {
        a.decision = "deny";
        a.detail = p.outcome[i]->code() == Code::kConflict ? "conflict" : CodeName(p.outcome[i]->code());
      }
    }
    for (AuditEntry& a : req.audit) {
      chain_.Append(&a, &p.batch);
      p.last_seq[i] = a.seq;
    }
  }

  int64_t now = options_.now_us();
  const bool force_checkpoint =
      std::any_of(group.begin(), group.end(), [](const Pending& r) { return r.request.checkpoint; });
  Status sealed = chain_.SealGroup(options_.sign, now, &p.batch, force_checkpoint);
  // No changelog entry for a group that writes nothing.
  if (sealed.ok() && !p.batch.empty()) sealed = changelog_.Append(now, &p.batch);
  if (!sealed.ok()) {
    // Nothing of this group is written; the groups before it are unaffected.
    chain_.Rollback(p.chain_mark);
    changelog_.Rollback(std::move(p.changelog_mark));
    {
      std::lock_guard<std::mutex> lock(mu_);
      stats_.groups++;
      stats_.failed_groups++;
      stats_.requests += group.size();
      degraded_.store(true);
    }
    Fail(group, WriteFailure(sealed));
    return std::nullopt;
  }
  for (auto& [key, value] : local) overlay_.insert_or_assign(key, value);
  p.requests = std::move(group);
  // Encoded here, while the writer writes the group before: copying and
  // sorting a group's hundreds of KiB took a third of the writer's CPU.
  p.encoded = store_.Encode(std::move(p.batch));
  return p;
}

void Committer::Fail(std::vector<Pending>& requests, const Status& failure) {
  for (auto& r : requests) r.promise.set_value(failure);
}

void Committer::Answer(Prepared& p, const Status& written) {
  if (!written.ok()) {
    Fail(p.requests, WriteFailure(written));
    return;
  }
  for (size_t i = 0; i < p.requests.size(); ++i) {
    if (p.outcome[i]) {
      p.requests[i].promise.set_value(*p.outcome[i]);
    } else {
      p.requests[i].promise.set_value(CommitResult{p.last_seq[i]});
    }
  }
}

}  // namespace brankas
