// Vault::Impl: the state behind the facade, shared by the operation files
// (vault_open.cc, case_ops.cc, grant_ops.cc, admin_ops.cc).
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "brankas/vault.h"
#include "engine/case_record.h"
#include "engine/committer.h"
#include "engine/user_record.h"

namespace brankas {

struct Vault::Impl {
  // Constant after Open.
  std::unique_ptr<Store> store;
  Schema schema;
  Policy policy;
  std::string unit;
  std::string node_public_key;
  std::function<int64_t()> now_us;
  std::unique_ptr<KeyRing> keys;            // thread-safe itself
  std::unique_ptr<AuditChain> chain;        // owned by the committer thread
  std::unique_ptr<ChangelogWriter> changelog;  // owned by the committer thread
  std::unique_ptr<Committer> committer;
  std::atomic<uint64_t> failed_unseal_attempts{0};
  std::unique_ptr<AuthState> auth;          // users and sessions; thread-safe itself
  RetentionPolicy retention;
  std::map<std::string, std::string> referral_peers;  // unit -> Ed25519 public key
  StatisticsOptions statistics;

  Impl(Schema s, Policy p) : schema(std::move(s)), policy(std::move(p)) {}

  int64_t NowSeconds() const { return now_us() / 1'000'000; }

  // An audit entry with who/where/when filled in from the request.
  AuditEntry Entry(const RequestContext& rc, std::string_view action, std::string_view case_id,
                   std::string_view decision) const;
  // Commits audit entries alone (reads, denials, failures).
  Status AuditOnly(std::vector<AuditEntry> entries);
  // Audits a denial or failure and returns `status` (or the audit failure).
  Status Refuse(const RequestContext& rc, std::string_view action, std::string_view case_id,
                const Status& status, std::vector<std::string> fields = {},
                std::string_view rule = {});

  Status RequireUnsealed() const;
  Result<CaseMeta> LoadCase(std::string_view case_id);
  CaseContext ContextOf(const CaseMeta& m) const;
  // Every grant recorded for the case (active or not); the policy filters.
  Result<std::vector<Grant>> GrantsOf(std::string_view case_id);
  Result<Grant> LoadGrant(std::string_view grant_id, uint64_t* version);
  CaseSummary Summarize(const CaseMeta& m) const;

  // Seals one field value of a case at a version (the data key of its class).
  Result<std::string> SealField(const CaseMeta& m, const FieldDef& def, uint64_t version,
                                std::string_view value, const KeyRing::CaseKeys* new_keys = nullptr);
  // Opens one sealed value; with `keys` (DataKeys of the case) and the field's
  // class present in it, without asking the key ring.
  Result<std::string> OpenField(const CaseMeta& m, const FieldDef& def, uint64_t version,
                                std::string_view sealed, const KeyRing::CaseKeys* keys = nullptr);
};

// Adds the deletion of every attachment of the case (records and chunks) to
// a shred's batch (evidence_ops.cc).
struct EvidenceShredCounts {
  uint64_t attachments = 0, chunks = 0;
};
Status StageEvidenceShred(Vault::Impl& impl, std::string_view case_id, Batch* batch, EvidenceShredCounts* counts);

// What every crypto-shred checks before it stages anything, each refusal
// audited as `action`: the case loads, the caller is a supervisor the policy
// lets close it, it is under no legal hold and not shredded, and the reason
// (if given) is KIND or KIND:REFERENCE (admin_ops.cc). `what` completes "only
// a supervisor of the unit may shred ...". Returns the case's metadata and
// the policy's decision (its rule goes in the shred's audit entry).
struct ShredCheck {
  CaseMeta meta;
  Decision decision;
};
Result<ShredCheck> CheckShred(Vault::Impl& impl, const RequestContext& rc, std::string_view action,
                            std::string_view case_id, std::string_view reason, std::string_view what);

// Uploads in progress leave a node-local marker ("local/upload/<evidence id>"
// in meta, never shipped) from their first chunk until their record commits or
// they abort. A marker found when the vault opens is an upload a crash cut
// short: its chunks (in blob files already, or not) have no record and are
// deleted (evidence_ops.cc).
Status SweepUnfinishedUploads(Store& store);

// The statistics facet of a case (engine/statistics_facet.h, statistics_ops.cc):
// derived from the values a create or update writes (and, for an update, the
// case's stored facet; never from a stored field) and put into its batch. An
// update touching no field the facet uses, or a case that has no facet (made
// before facets existed), stages nothing. The shred's batch deletes it.
Status StageStatisticsFacet(Vault::Impl& impl, const CaseMeta& meta,
                            const std::vector<std::pair<const FieldDef*, std::string>>& written, bool new_case,
                            Batch* batch);
void StageStatisticsFacetDelete(std::string_view case_id, Batch* batch);

// "KIND" or "KIND:REFERENCE": why a case, or classes of it, are destroyed (admin_ops.cc).
bool IsValidShredReason(std::string_view reason);

// Adds to a crypto-shred's commit the revocation of every outgoing referral
// of the case that shares one of `classes` (bit per FieldClass): the other
// unit holds those classes' data keys, so erasure must reach it too, at its
// next contact (referral_ops.cc). *revoked counts them.
Status StageReferralRevocations(Vault::Impl& impl, std::string_view case_id, uint32_t classes, CommitRequest* req,
                                uint64_t* revoked);

// Grants are stored in the acl column family:
//   "g/" grant_id -> EncodeGrant (versioned record)
//   "gc/" case_id "/" grant_id -> ""
std::string EncodeGrant(const Grant& g, uint64_t version);
Result<Grant> DecodeGrant(std::string_view bytes, uint64_t* version);
std::string GrantKey(std::string_view grant_id);
std::string GrantByCasePrefix(std::string_view case_id);

}  // namespace brankas
