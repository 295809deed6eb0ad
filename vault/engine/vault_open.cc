// Opening, initializing, sealing and the plumbing shared by every operation.
#include <algorithm>
#include <chrono>

#include "brankas/codec.h"
#include "engine/vault_impl.h"

namespace brankas {
namespace {

constexpr char kUnitKey[] = "node/unit";

Result<std::unique_ptr<Store>> OpenStoreFor(VaultOptions& options, bool create) {
  if (options.store) return std::move(options.store);
  if (options.data_dir.empty()) return InvalidArgument("data_dir is required");
  StoreOptions so;
  so.create_if_missing = create;
  return OpenRocksStore(options.data_dir, so);
}

Result<Policy> LoadPolicy(const VaultOptions& options) {
  if (options.policy_path.empty()) return Policy::Default();
  return Policy::LoadFile(options.policy_path);
}

}  // namespace

Vault::Vault(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Vault::~Vault() {
  // Drain the committer before the chain, changelog and store go away.
  if (impl_) impl_->committer.reset();
}

Result<InitResult> Vault::Initialize(VaultOptions options, const InitOptions& init) {
  BRANKAS_RETURN_IF_ERROR(InitCrypto());
  if (init.unit.empty() || !IsWellFormedId(init.unit) || init.unit.size() > 16) {
    return InvalidArgument("unit code must be 1-16 letters, digits, '-' or '_'");
  }
  BRANKAS_ASSIGN_OR_RETURN(auto store, OpenStoreFor(options, /*create=*/true));
  BRANKAS_ASSIGN_OR_RETURN(auto existing, store->Get(Column::kMeta, kUnitKey));
  if (existing) return FailedPrecondition("the data directory already holds a node");

  const std::string generation = RandomBytes(16);
  Batch identity;
  identity.Put(Column::kMeta, kUnitKey, init.unit);
  identity.Put(Column::kMeta, kGenerationKey, generation);
  BRANKAS_RETURN_IF_ERROR(store->Write(identity, Durability::kSync));

  Batch keys_batch;
  BRANKAS_ASSIGN_OR_RETURN(InitResult result, KeyRing::Initialize(*store, init, &keys_batch));
  // The identity again, so that the first changelog entry carries it (the
  // central node's copy must hold everything the unit replicates).
  keys_batch.Put(Column::kMeta, kUnitKey, init.unit);
  keys_batch.Put(Column::kMeta, kGenerationKey, generation);
  BRANKAS_ASSIGN_OR_RETURN(auto changelog, ChangelogWriter::Open(*store));
  int64_t now = options.now_us ? options.now_us() : SystemNowUs();
  BRANKAS_RETURN_IF_ERROR(changelog->Append(now, &keys_batch));
  BRANKAS_RETURN_IF_ERROR(store->Write(keys_batch, Durability::kSync));

  // The first audit entry records the node's creation, signed by its new key.
  BRANKAS_ASSIGN_OR_RETURN(auto ring, KeyRing::Load(*store));
  if (init.passphrase) {
    BRANKAS_RETURN_IF_ERROR(ring->UnsealWithPassphrase(*init.passphrase));
  } else {
    for (const auto& share : result.shares) {
      BRANKAS_ASSIGN_OR_RETURN(auto progress, ring->AddShare(share));
      if (progress.unsealed) break;
    }
  }
  AuditChainOptions chain_options;
  BRANKAS_ASSIGN_OR_RETURN(auto chain, AuditChain::Open(*store, init.unit, chain_options));
  Batch audit_batch;
  AuditEntry entry;
  entry.time_us = now;
  entry.node = init.unit;
  entry.actor = "system";
  entry.role = "system";
  entry.action = "node.init";
  entry.decision = "allow";
  entry.rule = "offline_init";
  chain->Append(&entry, &audit_batch);
  BRANKAS_RETURN_IF_ERROR(chain->SealGroup(
      [&](std::string_view m) { return ring->Sign(m); }, now, &audit_batch));
  BRANKAS_RETURN_IF_ERROR(changelog->Append(now, &audit_batch));
  BRANKAS_RETURN_IF_ERROR(store->Write(audit_batch, Durability::kSync));
  ring->Seal();
  return result;
}

Result<std::unique_ptr<Vault>> Vault::Open(VaultOptions options) {
  BRANKAS_RETURN_IF_ERROR(InitCrypto());
  if (options.schema_path.empty()) return InvalidArgument("schema_path is required");
  if (options.statistics.suppression_threshold < 2 || options.statistics.suppression_threshold > 1000) {
    return InvalidArgument("the statistics suppression threshold must be between 2 and 1000");
  }
  BRANKAS_ASSIGN_OR_RETURN(Schema schema, Schema::LoadFile(options.schema_path));
  BRANKAS_ASSIGN_OR_RETURN(Policy policy, LoadPolicy(options));
  BRANKAS_ASSIGN_OR_RETURN(auto store, OpenStoreFor(options, /*create=*/false));
  BRANKAS_ASSIGN_OR_RETURN(auto unit, store->Get(Column::kMeta, kUnitKey));
  if (!unit) return FailedPrecondition("the data directory holds no initialized node (run brankas init)");

  // Uploads a crash cut short: their chunks have no record and never will.
  BRANKAS_RETURN_IF_ERROR(SweepUnfinishedUploads(*store));
  auto impl = std::make_unique<Impl>(std::move(schema), std::move(policy));
  impl->store = std::move(store);
  impl->unit = *unit;
  impl->now_us = options.now_us ? options.now_us : SystemNowUs;
  impl->retention = options.retention;
  impl->referral_peers = options.referral_peers;
  impl->statistics = options.statistics;
  BRANKAS_ASSIGN_OR_RETURN(impl->keys, KeyRing::Load(*impl->store));
  impl->node_public_key = impl->keys->node_public_key();
  AuditChainOptions chain_options;
  chain_options.checkpoint_every_entries = options.checkpoint_every_entries;
  chain_options.checkpoint_every_us = options.checkpoint_every_us;
  BRANKAS_ASSIGN_OR_RETURN(impl->chain, AuditChain::Open(*impl->store, impl->unit, chain_options));
  BRANKAS_ASSIGN_OR_RETURN(impl->changelog, ChangelogWriter::Open(*impl->store));
  Committer::Options co;
  co.max_group_size = options.max_group_size;
  // Idle, the committer looks for a due checkpoint four times per interval
  // (at least every second, at most every 10 ms); no time trigger, no look.
  co.idle_tick_us = options.checkpoint_every_us > 0
                        ? std::clamp<int64_t>(options.checkpoint_every_us / 4, 10'000, 1'000'000)
                        : 0;
  KeyRing* keys = impl->keys.get();
  co.sign = [keys](std::string_view m) { return keys->Sign(m); };
  co.now_us = impl->now_us;
  impl->committer = std::make_unique<Committer>(*impl->store, *impl->chain, *impl->changelog, co);
  AuthSettings auth;
  auth.session_ttl_us = options.session_ttl_us;
  auth.login_max_failures = options.login_max_failures;
  auth.login_lockout_us = options.login_lockout_us;
  auth.password_argon = options.password_argon;
  if (auth.session_ttl_us <= 0 || auth.login_max_failures <= 0 || auth.login_lockout_us < 0) {
    return InvalidArgument(
        "session_ttl_us and login_max_failures must be positive, login_lockout_us not negative");
  }
  impl->auth = std::make_unique<AuthState>(std::move(auth), options.password_hash_concurrency);
  return std::unique_ptr<Vault>(new Vault(std::move(impl)));
}

Health Vault::health() const {
  if (impl_->keys->sealed()) return Health::kSealed;
  if (impl_->committer->degraded()) return Health::kDegraded;
  return Health::kOk;
}

const std::string& Vault::unit() const { return impl_->unit; }
const std::string& Vault::node_public_key() const { return impl_->node_public_key; }
Store& Vault::store() { return *impl_->store; }
const Schema& Vault::schema() const { return impl_->schema; }
const Policy& Vault::policy() const { return impl_->policy; }

Status Vault::CheckpointAudit() {
  BRANKAS_RETURN_IF_ERROR(impl_->RequireUnsealed());
  CommitRequest req;
  req.checkpoint = true;
  return impl_->committer->Commit(std::move(req)).status();
}

Vault::Stats Vault::commit_stats() const {
  auto s = impl_->committer->stats();
  return Stats{s.groups, s.requests, s.max_group, s.failed_groups};
}

Vault::ChangelogHead Vault::changelog_head() const {
  // Read the durable head: the in-memory one belongs to the committer thread.
  ChangelogHead head;
  auto writer = ChangelogWriter::Open(*impl_->store);
  if (writer.ok()) {
    auto h = (*writer)->head();
    head.generation = h.generation;
    head.seq = h.seq;
    head.hash = h.hash;
  }
  return head;
}

// While sealed nothing can be signed, so nothing is audited: failed unseal
// attempts are counted and recorded in the first entry after the unseal.
Status Vault::UnsealWithPassphrase(const RequestContext& rc, std::string_view passphrase) {
  if (!impl_->keys->sealed()) return FailedPrecondition("the vault is already unsealed");
  Status s = impl_->keys->UnsealWithPassphrase(passphrase);
  if (!s.ok()) {
    impl_->failed_unseal_attempts.fetch_add(1);
    return s;
  }
  AuditEntry e = impl_->Entry(rc, "sys.unseal", "", "allow");
  e.rule = "passphrase";
  e.detail = "failed_attempts=" + std::to_string(impl_->failed_unseal_attempts.exchange(0));
  return impl_->AuditOnly({std::move(e)});
}

Result<KeyRing::UnsealProgress> Vault::UnsealWithShare(const RequestContext& rc,
                                                       std::string_view share) {
  if (!impl_->keys->sealed()) return FailedPrecondition("the vault is already unsealed");
  auto progress = impl_->keys->AddShare(share);
  if (!progress.ok()) {
    impl_->failed_unseal_attempts.fetch_add(1);
    return progress.status();
  }
  if (progress->unsealed) {
    AuditEntry e = impl_->Entry(rc, "sys.unseal", "", "allow");
    e.rule = "recovery_shares";
    e.detail = "failed_attempts=" + std::to_string(impl_->failed_unseal_attempts.exchange(0));
    BRANKAS_RETURN_IF_ERROR(impl_->AuditOnly({std::move(e)}));
  }
  return progress;
}

Status Vault::Seal(const RequestContext& rc) {
  if (rc.principal.role != Role::kAdmin) {
    return impl_->Refuse(rc, "sys.seal", "", PermissionDenied("only an administrator may seal the vault"));
  }
  if (impl_->keys->sealed()) return FailedPrecondition("the vault is already sealed");
  AuditEntry e = impl_->Entry(rc, "sys.seal", "", "allow");
  e.rule = "role:admin";
  BRANKAS_RETURN_IF_ERROR(impl_->AuditOnly({std::move(e)}));
  impl_->keys->Seal();
  return Status::Ok();
}

AuditEntry Vault::Impl::Entry(const RequestContext& rc, std::string_view action,
                              std::string_view case_id, std::string_view decision) const {
  AuditEntry e;
  e.time_us = now_us();
  e.node = unit;
  e.actor = rc.principal.user;
  e.role = std::string(RoleName(rc.principal.role));
  e.action = std::string(action);
  e.case_id = std::string(case_id);
  e.decision = std::string(decision);
  e.request_id = rc.request_id;
  e.client = rc.client;
  return e;
}

Status Vault::Impl::AuditOnly(std::vector<AuditEntry> entries) {
  CommitRequest req;
  req.audit = std::move(entries);
  auto r = committer->Commit(std::move(req));
  return r.ok() ? Status::Ok() : r.status();
}

Status Vault::Impl::Refuse(const RequestContext& rc, std::string_view action,
                           std::string_view case_id, const Status& status,
                           std::vector<std::string> fields, std::string_view rule) {
  if (keys->sealed()) return status;  // nothing can be signed while sealed
  bool denied = status.code() == Code::kPermissionDenied || status.code() == Code::kUnauthenticated;
  AuditEntry e = Entry(rc, action, IsWellFormedId(case_id) ? case_id : std::string_view("(malformed)"),
                       denied ? "deny" : "error");
  e.fields = std::move(fields);
  e.rule = std::string(rule);
  e.detail = CodeName(status.code());
  Status audited = AuditOnly({std::move(e)});
  if (!audited.ok()) return audited;
  return status;
}

Status Vault::Impl::RequireUnsealed() const {
  if (keys->sealed()) return Sealed("the vault is sealed: unseal it with the passphrase or recovery shares");
  return Status::Ok();
}

Result<CaseMeta> Vault::Impl::LoadCase(std::string_view case_id) {
  if (!IsWellFormedId(case_id)) return InvalidArgument("malformed case id");
  BRANKAS_ASSIGN_OR_RETURN(auto bytes, store->Get(Column::kRecords, CaseMetaKey(case_id)));
  if (!bytes) return NotFound("no such case");
  BRANKAS_ASSIGN_OR_RETURN(CaseMeta meta, DecodeCaseMeta(*bytes));
  if (meta.case_id != case_id) return Corruption("case metadata stored under the wrong id");
  return meta;
}

CaseContext Vault::Impl::ContextOf(const CaseMeta& m) const {
  return CaseContext{m.case_id, m.unit, m.owner, m.assigned};
}

CaseSummary Vault::Impl::Summarize(const CaseMeta& m) const {
  CaseSummary s;
  s.case_id = m.case_id;
  s.unit = m.unit;
  s.stage = m.stage;
  s.version = m.version;
  s.owner = m.owner;
  s.assigned = m.assigned;
  s.created_us = m.created_us;
  s.updated_us = m.updated_us;
  s.closed = m.closed;
  s.legal_hold = m.legal_hold;
  for (FieldClass cls : kAllFieldClasses) {
    if ((m.shredded_classes & (1u << static_cast<unsigned>(cls))) != 0) {
      s.shredded_classes.emplace_back(FieldClassName(cls));
    }
  }
  return s;
}

Result<std::string> Vault::Impl::SealField(const CaseMeta& m, const FieldDef& def, uint64_t version,
                                           std::string_view value, const KeyRing::CaseKeys* new_keys) {
  std::shared_ptr<const SecretKey> key;
  if (new_keys != nullptr) {
    key = (*new_keys)[static_cast<size_t>(def.cls)];
    if (!key) return Internal("no data key for the field's class");
  } else {
    BRANKAS_ASSIGN_OR_RETURN(key, keys->DataKey(m.case_id, def.cls));
  }
  return AeadSeal(*key, value, FieldAd(m.unit, m.case_id, def.name, version));
}

Result<std::string> Vault::Impl::OpenField(const CaseMeta& m, const FieldDef& def, uint64_t version,
                                           std::string_view sealed, const KeyRing::CaseKeys* case_keys) {
  std::shared_ptr<const SecretKey> key;
  if (case_keys != nullptr) key = (*case_keys)[static_cast<size_t>(def.cls)];
  if (!key) {
    BRANKAS_ASSIGN_OR_RETURN(key, keys->DataKey(m.case_id, def.cls));
  }
  auto plain = AeadOpen(*key, sealed, FieldAd(m.unit, m.case_id, def.name, version));
  if (!plain.ok()) return Corruption("a stored value of field '" + def.name + "' failed authentication");
  return plain;
}

}  // namespace brankas
