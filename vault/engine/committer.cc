#include "engine/committer.h"

#include <algorithm>

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
  thread_ = std::thread([this] { Run(); });
}

Committer::~Committer() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
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

void Committer::Run() {
  std::vector<Pending> group;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty() && stopping_) return;
      size_t n = std::min(queue_.size(), options_.max_group_size);
      group.clear();
      for (size_t i = 0; i < n; ++i) {
        group.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    CommitGroup(group);
  }
}

Result<uint64_t> Committer::CurrentVersion(const Expectation& e,
                                           const std::unordered_map<std::string, uint64_t>& overlay) {
  std::string overlay_key = std::string(1, static_cast<char>(e.column)) + e.key;
  auto it = overlay.find(overlay_key);
  if (it != overlay.end()) return it->second;
  BRANKAS_ASSIGN_OR_RETURN(auto value, store_.Get(e.column, e.key));
  if (!value) return uint64_t{0};
  uint64_t v = VersionOfRecord(*value);
  if (v == 0) return Corruption("stored record has a malformed version header");
  return v;
}

void Committer::CommitGroup(std::vector<Pending>& group) {
  AuditChain::GroupMark mark = chain_.Mark();
  changelog_.Mark();
  Batch batch;
  std::vector<std::optional<Status>> outcome(group.size());
  std::vector<uint64_t> last_seq(group.size(), 0);
  std::unordered_map<std::string, uint64_t> overlay;

  for (size_t i = 0; i < group.size(); ++i) {
    CommitRequest& req = group[i].request;
    bool holds = true;
    for (const Expectation& e : req.expectations) {
      auto current = CurrentVersion(e, overlay);
      if (!current.ok()) {
        outcome[i] = current.status();
        holds = false;
        break;
      }
      if (*current != e.version) {
        outcome[i] = Conflict("the record changed since it was read (expected version " +
                              std::to_string(e.version) + ", found " + std::to_string(*current) + ")");
        holds = false;
        break;
      }
    }
    if (holds) {
      for (const Expectation& e : req.expectations) {
        overlay[std::string(1, static_cast<char>(e.column)) + e.key] = e.new_version;
      }
      batch.Append(std::move(req.batch));
    } else {
      for (AuditEntry& a : req.audit) {
        a.decision = "deny";
        a.detail = outcome[i]->code() == Code::kConflict ? "conflict" : CodeName(outcome[i]->code());
      }
    }
    for (AuditEntry& a : req.audit) {
      chain_.Append(&a, &batch);
      last_seq[i] = a.seq;
    }
  }

  int64_t now = options_.now_us();
  Status sealed = chain_.SealGroup(options_.sign, now, &batch);
  Status written = sealed;
  if (sealed.ok()) {
    changelog_.Append(now, &batch);
    written = store_.Write(batch, Durability::kSync);
  }

  {
    std::lock_guard<std::mutex> lock(mu_);
    stats_.groups++;
    stats_.requests += group.size();
    stats_.max_group = std::max<uint64_t>(stats_.max_group, group.size());
    if (!written.ok()) stats_.failed_groups++;
  }

  if (!written.ok()) {
    chain_.Rollback(mark);
    changelog_.Rollback();
    degraded_.store(true);
    Status failure = Unavailable("the audit trail or the store could not be written; nothing was changed (" +
                                 written.message() + ")");
    for (auto& p : group) p.promise.set_value(failure);
    return;
  }
  degraded_.store(false);
  for (size_t i = 0; i < group.size(); ++i) {
    if (outcome[i]) {
      group[i].promise.set_value(*outcome[i]);
    } else {
      group[i].promise.set_value(CommitResult{last_seq[i]});
    }
  }
}

}  // namespace brankas
