// Vault: the engine's front door. Opens a node's data directory, holds its keys
// (once unsealed), and runs every case operation through authorization,
// encryption, audit and the group committer.
//
// Thread-safe: any number of request threads may call any method at once.
// Every operation — allowed, denied or failed — is audited before it answers;
// nothing is acknowledged before it is durable (fsync'd). When the audit or
// the disk cannot be written, operations fail with kUnavailable and health()
// reports kDegraded (fail closed).
//
// Construction that can fail is a factory: Vault::Open. Vault::Initialize
// creates a new node (the offline `brankas init`).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "brankas/audit.h"
#include "brankas/crypto.h"
#include "brankas/evidence.h"
#include "brankas/keys.h"
#include "brankas/policy.h"
#include "brankas/referral.h"
#include "brankas/schema.h"
#include "brankas/statistics.h"
#include "brankas/status.h"
#include "brankas/store.h"
#include "brankas/types.h"

namespace brankas {

class Committer;
class Clock;

// Retention periods (the unit config's [retention]). A closed case is due for
// crypto-shredding `years` after its last change, by its `retention_class`
// field ("standard" when unset); a class of 0 years is never due (kept until
// reclassified); a case type (`module`) may ask for a longer minimum.
struct RetentionPolicy {
  std::map<std::string, int> years_by_class = {{"standard", 10}, {"extended", 25}, {"legal_process", 0}};
  std::map<std::string, int> min_years_by_module = {{"anak", 18}};
  // Data minimisation per field class ([retention.field_classes]): a class's
  // data key is crypto-shredded (Vault::ShredClasses) this many years after
  // the closed case's last change, before the whole case. Never administrative.
  // Empty (the default): off. Applies only to cases whose retention class has
  // a period (> 0); the module minimum does not apply to it.
  std::map<FieldClass, int> years_by_field_class;
};

// A closed case past its retention period (Vault::ReviewRetention).
struct RetentionItem {
  std::string case_id, retention_class, module;
  int64_t closed_since = 0;  // unix seconds: the case's last change after closure
  int64_t due_at = 0;        // unix seconds
  bool legal_hold = false;   // due, but held: never shredded while held
  bool shredded = false;     // shredded by this run
  std::string receipt_sha256;  // of its destruction receipt, when shredded
  std::string problem;       // an error code, when its shred failed
  // Empty: the whole case is due. Otherwise a class-level item: only these
  // field classes are due (their earliest due_at), the case is kept.
  std::vector<std::string> classes;
};

struct VaultOptions {
  std::string data_dir;               // required
  std::string schema_path;            // required: config/schema.toml
  std::string policy_path;            // empty: Policy::Default()
  // Most requests one commit group takes. Default: 1024.
  size_t max_group_size = 1024;
  // Audit checkpoints every N entries or T microseconds. Defaults: 1000, 10 s.
  // The time trigger also fires on an idle node: entries past the last
  // checkpoint get one about T after it, with no further access.
  uint64_t checkpoint_every_entries = 1000;
  int64_t checkpoint_every_us = 10'000'000;
  // Tests may inject a store (a FaultStore); otherwise RocksDB at data_dir.
  std::unique_ptr<Store> store;
  // Tests may inject time (unix microseconds). Default: the system clock.
  std::function<int64_t()> now_us;

  // Users and sessions. A bearer token lives session_ttl_us (default 15 min).
  // After login_max_failures consecutive wrong passwords (default 5) an account
  // refuses logins for login_lockout_us (default 15 min).
  int64_t session_ttl_us = 15 * 60 * 1'000'000LL;
  int login_max_failures = 5;
  int64_t login_lockout_us = 15 * 60 * 1'000'000LL;
  // Argon2id cost of new password hashes. Default: libsodium's "moderate"
  // (3 passes, 256 MiB). Existing hashes keep the cost they were made with.
  Argon2Params password_argon;
  // Password hashes computed at once (each takes password_argon.mem_limit of
  // memory); further logins wait up to 30 s, then get kUnavailable. Default: 2.
  int password_hash_concurrency = 2;
  RetentionPolicy retention;
  // The statistics export's suppression (the unit config's [statistics]).
  // Open fails with kInvalidArgument for a threshold outside 2..1000.
  StatisticsOptions statistics;
  // Units this unit refers cases to and accepts referrals from: unit code ->
  // its node's Ed25519 public key (32 bytes), pinned in the unit config's
  // [referral] peers. A unit not listed is neither sent to nor believed.
  std::map<std::string, std::string> referral_peers;
};

// Who is asking, and from where: copied into every audit entry.
struct RequestContext {
  Principal principal;
  std::string request_id;
  std::string client;
};

using FieldValues = std::map<std::string, std::string>;

struct CaseSummary {
  std::string case_id;
  std::string unit;
  Stage stage = Stage::kIdentification;
  uint64_t version = 0;
  std::string owner;
  std::vector<std::string> assigned;
  int64_t created_us = 0, updated_us = 0;
  bool closed = false;
  bool legal_hold = false;
  // Field classes crypto-shredded on their own (Vault::ShredClasses): their
  // fields are gone from reads, history and search; writes to them are refused.
  std::vector<std::string> shredded_classes;
};

struct CaseView {
  CaseSummary summary;
  FieldValues fields;                 // permitted fields (masked where policy says so)
  std::vector<std::string> masked;    // names of fields returned masked
  std::vector<std::string> withheld;  // names of fields the caller may not read
};

struct FieldVersion {
  uint64_t version = 0;
  // Set for the field's current version; empty / 0 for earlier ones (the
  // audit trail records who wrote them and when).
  std::string writer;
  int64_t time_us = 0;
  std::string value;
};

struct ReadOptions {
  std::vector<std::string> fields;    // empty: every field that is set
  bool unmask = false;                // supervisor: explicit, separately audited unmasking
};

struct GrantRequest {
  std::string case_id, grantee;
  Role grantee_role = Role::kLegal;
  std::vector<FieldClass> classes;
  int64_t not_before = 0, expires_at = 0;  // unix seconds
  std::string legal_basis;
};

enum class Health { kOk, kSealed, kDegraded };

// A login account. `user` is [a-z0-9_.-]{1,64}; `unit` defaults to the vault's.
struct UserInfo {
  std::string user;
  Role role = Role::kCaseWorker;
  std::string unit;
  bool disabled = false;
  int64_t created_us = 0;  // set by CreateUser
};

// A logged-in session. The token (64 hex characters) is returned once, here,
// and never stored: the vault keeps only its BLAKE2b-256 hash.
struct Session {
  std::string token;
  int64_t expires_at_us = 0;
  Principal principal;
};

class Vault {
 public:
  // Creates a new node in options.data_dir (which must not hold one). Returns
  // the recovery shares (if asked) — the caller prints them once and wipes them.
  static Result<InitResult> Initialize(VaultOptions options, const InitOptions& init);
  // Opens an initialized node, sealed.
  static Result<std::unique_ptr<Vault>> Open(VaultOptions options);
  ~Vault();

  Health health() const;
  const std::string& unit() const;
  const std::string& node_public_key() const;
  Status UnsealWithPassphrase(const RequestContext& rc, std::string_view passphrase);
  Result<KeyRing::UnsealProgress> UnsealWithShare(const RequestContext& rc, std::string_view share);
  Status Seal(const RequestContext& rc);

  // Cases. Creating assigns the creator (and `assign_to`, if given).
  Result<CaseSummary> CreateCase(const RequestContext& rc, const FieldValues& fields,
                                 const std::vector<std::string>& assign_to = {});
  Result<CaseView> ReadCase(const RequestContext& rc, std::string_view case_id,
                            const ReadOptions& options = {});
  // kConflict when expected_version is not the case's current version.
  Result<CaseSummary> UpdateCase(const RequestContext& rc, std::string_view case_id,
                                 const FieldValues& fields, uint64_t expected_version);
  Result<std::vector<FieldVersion>> FieldHistory(const RequestContext& rc, std::string_view case_id,
                                                 std::string_view field);
  Result<CaseSummary> AssignCase(const RequestContext& rc, std::string_view case_id,
                                 const std::vector<std::string>& users, std::string_view owner);
  Result<CaseSummary> ChangeStage(const RequestContext& rc, std::string_view case_id, Stage stage);
  Result<CaseSummary> SetLegalHold(const RequestContext& rc, std::string_view case_id, bool hold);
  // Cases the caller may see; identity is never in a summary.
  Result<std::vector<CaseSummary>> ListCases(const RequestContext& rc, bool assigned_to_me,
                                             std::optional<Stage> stage, size_t limit);
  // Exact match through the blind index; the value is never logged or audited.
  Result<std::vector<std::string>> Search(const RequestContext& rc, std::string_view field,
                                          std::string_view value);

  // Grants and break-glass.
  Result<Grant> RequestGrant(const RequestContext& rc, const GrantRequest& request);
  Result<Grant> ApproveGrant(const RequestContext& rc, std::string_view grant_id);
  Result<Grant> RevokeGrant(const RequestContext& rc, std::string_view grant_id);
  // Grants the caller handles: with a case id, that case's grants (its owner
  // and the unit's supervisors see all, anyone else only their own); without,
  // every grant the caller holds or requested. Audited "grant.list".
  Result<std::vector<Grant>> ListGrants(const RequestContext& rc, std::string_view case_id);
  Result<Grant> BreakGlass(const RequestContext& rc, std::string_view case_id, std::string_view reason);

  // Users and sessions (vault/engine/user_ops.cc, session_ops.cc). User
  // management is for administrators and audited ("user.create", ...).
  // Passwords: at least 12 characters, at most 1024 bytes of UTF-8; they never
  // appear in a message, a log or the audit trail.
  Result<UserInfo> CreateUser(const RequestContext& rc, const UserInfo& info, std::string_view password);
  Result<std::vector<UserInfo>> ListUsers(const RequestContext& rc);
  // An administrator, or the user themself. Revokes every session of the user
  // and clears a lockout.
  Status SetPassword(const RequestContext& rc, std::string_view user, std::string_view new_password);
  // Administrators; not their own account. Revokes every session of the user.
  Status DisableUser(const RequestContext& rc, std::string_view user);
  // rc.principal is ignored (nobody is logged in yet); rc.client is recorded.
  // kUnauthenticated for a wrong user name or password (the same answer, in
  // the same time, for both); kRateLimited while the account is locked after
  // login_max_failures consecutive failures; kSealed while sealed. Audited
  // "auth.login", allow or deny.
  Result<Session> Login(const RequestContext& rc, std::string_view user, std::string_view password);
  // The principal of a bearer token, or kUnauthenticated when it is unknown,
  // expired, revoked or its user disabled. Fast (no Argon2; a cache that
  // honours expiry and revocation) and not audited: the request it authorizes
  // is. Works while sealed (nothing else does). Failures are counted.
  Result<Principal> Authenticate(std::string_view token);
  // Revokes the token: its own user or an administrator. Audited "auth.logout".
  Status Logout(const RequestContext& rc, std::string_view token);
  struct AuthStats { uint64_t logins = 0, login_failures = 0, authenticate_failures = 0; };
  AuthStats auth_stats() const;

  // Evidence attachments (brankas/evidence.h), authorized on the case's
  // legal_evidence class. BeginEvidence checks the caller, the case (open, not
  // shredded), the name and the type; the upload then takes at most max_bytes
  // (1 byte .. kMaxEvidenceBytesLimit). An upload a crash cut short is swept
  // (its chunks deleted) when the vault next opens.
  Result<std::unique_ptr<EvidenceUpload>> BeginEvidence(const RequestContext& rc, std::string_view case_id,
                                                        std::string_view name, std::string_view content_type,
                                                        uint64_t max_bytes = kDefaultMaxEvidenceBytes);
  // Audited "evidence.list"; names opened, oldest first.
  Result<std::vector<EvidenceInfo>> ListEvidence(const RequestContext& rc, std::string_view case_id);
  // Audited "evidence.get" (with the grant used) before the first byte.
  Result<std::unique_ptr<EvidenceReader>> OpenEvidence(const RequestContext& rc, std::string_view case_id,
                                                       std::string_view evidence_id);

  // The signed evidence bundle of a case (brankas/evidence_bundle.h): for a
  // legal user under an active grant; what it holds is read through ReadCase,
  // ListEvidence and OpenEvidence (each audited), and its making is audited
  // "evidence.bundle" with the manifest's SHA-256.
  Result<std::unique_ptr<ByteStream>> OpenEvidenceBundle(const RequestContext& rc, std::string_view case_id);

  // Retention: the closed cases of the unit past their period (supervisor),
  // and with `shred` their crypto-shredding (reason "retention:CLASS", a signed
  // receipt each; legal hold skips a case; at most 1,000 per run); for a case
  // not due whole, the field classes past RetentionPolicy::years_by_field_class
  // (an item with `classes`, shredded by ShredClasses, reason
  // "retention:field_classes"). Audited
  // "retention.review" with the counts.
  Result<std::vector<RetentionItem>> ReviewRetention(const RequestContext& rc, bool shred);

  // Referral between units (brankas/referral.h). The sending side: the case's
  // owner refers classes they may read in full to a pinned peer unit, and the
  // owner or a supervisor revokes. The receiving side: ReceiveReferrals takes
  // what the central node relayed (called by the shipper; each one verified
  // against the pinned sender key, invalid ones audited and dropped), a
  // supervisor assigns workers, and ReadReferral opens the shared values under
  // this unit's policy. Every step audited; ListReferrals shows both sides.
  Result<ReferralInfo> CreateReferral(const RequestContext& rc, const ReferralRequest& request);
  Result<ReferralInfo> RevokeReferral(const RequestContext& rc, std::string_view referral_id);
  Status ReceiveReferrals(const std::vector<ReferralDelivery>& deliveries);
  Result<std::vector<ReferralInfo>> ListReferrals(const RequestContext& rc);
  Result<ReferralInfo> AssignReferral(const RequestContext& rc, std::string_view referral_id,
                                      const std::vector<std::string>& users);
  Result<CaseView> ReadReferral(const RequestContext& rc, std::string_view referral_id);

  // The de-identified statistics export (brankas/statistics.h) of the months
  // [from_month, to_month] ("YYYY-MM", at most kMaxStatisticsMonths): built
  // from the cases' statistics facets only, never opening a field. The unit's
  // supervisors and auditors; audited "statistics.export" (months, threshold
  // and suppressed-cell counts; never a count of cases), allowed or refused.
  Result<StatisticsReport> StatisticsExport(const RequestContext& rc, std::string_view from_month,
                                            std::string_view to_month);

  // Keys.
  Status RotateKek(const RequestContext& rc, FieldClass cls);
  // Crypto-shreds the case: every data key deleted, its fields unreadable everywhere.
  // `reason`: "KIND[:REFERENCE]" (lawful_request, retention, consent_withdrawn,
  // court_order, data_subject_request) or empty. Stores and returns (in
  // *receipt, when given) the signed destruction receipt (evidence_bundle.h).
  Status ShredCase(const RequestContext& rc, std::string_view case_id, std::string_view reason = {},
                   std::string* receipt = nullptr);
  // Crypto-shreds some field classes of a case (data minimisation): their data
  // keys deleted from the case's key record (replicated), their fields dropped
  // from the case (values unreadable everywhere, history included; index
  // entries deleted), the attachments too when `classes` holds legal_evidence.
  // Same authority, reasons and legal-hold rule as ShredCase; administrative
  // is never shredded this way; kFailedPrecondition if a class already was.
  // Stores (records "dc/" case_id "/" be64(case version)) and returns a signed
  // receipt of format brankas-destruction-receipt/2 naming the classes.
  // Audited "case.shred_classes".
  Status ShredClasses(const RequestContext& rc, std::string_view case_id, const std::vector<FieldClass>& classes,
                      std::string_view reason = {}, std::string* receipt = nullptr);
  // The stored class receipts of a case, oldest first (at most one per
  // class): auditors, and the supervisors who may shred it. kNotFound if no
  // class was shredded. Audited "case.receipt".
  Result<std::vector<std::string>> ClassDestructionReceipts(const RequestContext& rc, std::string_view case_id);
  // The stored destruction receipt of a shredded case: auditors, and the
  // supervisors who may shred it. Audited "case.receipt".
  Result<std::string> DestructionReceipt(const RequestContext& rc, std::string_view case_id);

  // Audit.
  Result<std::vector<AuditEntry>> QueryAudit(const RequestContext& rc, const AuditFilter& filter);
  Result<VerifyReport> VerifyAudit(const RequestContext& rc);
  // Records a denied or failed attempt made before reaching the vault (bad
  // input at the API layer, failed login). Never include values in `detail`.
  Status AuditAttempt(const RequestContext& rc, std::string_view action, std::string_view case_id,
                      std::string_view decision, std::string_view detail);

  // Seals a signed checkpoint at the head of the audit chain if entries are
  // past the last one (durable on return). A server shutting down calls it
  // before replication drains, so its newest entries leave covered.
  Status CheckpointAudit();

  // The changelog head: (generation, sequence, hash) — what replication ships.
  struct ChangelogHead { std::string generation; uint64_t seq = 0; std::string hash; };
  ChangelogHead changelog_head() const;
  Store& store();
  const Schema& schema() const;
  const Policy& policy() const;

  struct Stats { uint64_t groups = 0, requests = 0, max_group = 0, failed_groups = 0; };
  Stats commit_stats() const;

 // Internal: the engine's operation files share it (vault/engine/vault_impl.h).
  struct Impl;

 private:
  explicit Vault(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace brankas
