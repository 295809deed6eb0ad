// The signed evidence bundle of a case for a legal user under an active grant
// (brankas/evidence_bundle.h). Everything in it is read through the same
// doors as any other read: ReadCase, ListEvidence and OpenEvidence decide and
// audit, so the bundle holds exactly what the grant opens and its making is in
// the custody trail it carries.
#include <deque>

#include "brankas/audit_export.h"
#include "brankas/evidence_bundle.h"
#include "engine/vault_impl.h"

namespace brankas {
namespace {

using Json = nlohmann::json;

constexpr std::string_view kAction = "evidence.bundle";
// The most audit entries of the case a bundle carries (the newest ones).
constexpr size_t kMaxBundleAuditEntries = 10'000;

class BundleStream final : public ByteStream {
 public:
  BundleStream(std::string prefix, std::vector<std::unique_ptr<EvidenceReader>> readers)
      : prefix_(std::move(prefix)), readers_(std::move(readers)) {
    size_ = prefix_.size();
    for (const auto& r : readers_) size_ += 8 + r->size();
  }

  uint64_t size() const override { return size_; }

  Result<bool> Next(std::string* out) override {
    out->clear();
    if (!prefix_sent_) {
      prefix_sent_ = true;
      out->swap(prefix_);
      return true;
    }
    while (current_ < readers_.size()) {
      EvidenceReader& r = *readers_[current_];
      if (!started_) {
        // The length prefix travels with the attachment's first piece.
        started_ = true;
        std::string piece;
        BRANKAS_ASSIGN_OR_RETURN(bool more, r.Next(&piece));
        *out = BundleLength(r.size());
        if (more) out->append(piece);
        if (!more) Advance();
        return true;
      }
      BRANKAS_ASSIGN_OR_RETURN(bool more, r.Next(out));
      if (more) return true;
      Advance();
    }
    return false;
  }

 private:
  void Advance() {
    readers_[current_].reset();
    ++current_;
    started_ = false;
  }

  std::string prefix_;
  std::vector<std::unique_ptr<EvidenceReader>> readers_;
  uint64_t size_ = 0;
  size_t current_ = 0;
  bool prefix_sent_ = false, started_ = false;
};

}  // namespace

Result<std::unique_ptr<ByteStream>> Vault::OpenEvidenceBundle(const RequestContext& rc, std::string_view case_id) {
  Impl& impl = *impl_;
  BRANKAS_RETURN_IF_ERROR(impl.RequireUnsealed());
  auto meta = impl.LoadCase(case_id);
  if (!meta.ok()) return impl.Refuse(rc, kAction, case_id, meta.status());
  if (meta->shredded) return impl.Refuse(rc, kAction, case_id, NotFound("the case was crypto-shredded"));
  BRANKAS_ASSIGN_OR_RETURN(auto grants, impl.GrantsOf(case_id));
  const int64_t now_s = impl.NowSeconds();
  std::vector<Grant> active;
  for (const Grant& g : grants) {
    if (g.grantee == rc.principal.user && !g.break_glass && g.ActiveAt(now_s)) active.push_back(g);
  }
  if (rc.principal.role != Role::kLegal || active.empty()) {
    return impl.Refuse(rc, kAction, case_id,
                       PermissionDenied("an evidence bundle is made for a legal user under an active grant on the case"),
                       {}, "bundle:legal_under_grant");
  }

  // What the grant opens, read (and audited) as any read is.
  BRANKAS_ASSIGN_OR_RETURN(CaseView view, ReadCase(rc, case_id));
  std::vector<EvidenceInfo> infos;
  std::vector<std::unique_ptr<EvidenceReader>> readers;
  const Decision evidence = impl.policy.Decide(rc.principal, Action::kRead, FieldClass::kLegalEvidence,
                                               impl.ContextOf(*meta), grants, now_s);
  if (evidence.allowed) {
    BRANKAS_ASSIGN_OR_RETURN(infos, ListEvidence(rc, case_id));
    if (infos.size() > kMaxBundleAttachments) {
      return impl.Refuse(rc, kAction, case_id, TooLarge("the case has more attachments than one bundle holds"));
    }
    for (const EvidenceInfo& info : infos) {
      BRANKAS_ASSIGN_OR_RETURN(auto reader, OpenEvidence(rc, case_id, info.evidence_id));
      readers.push_back(std::move(reader));
    }
  }

  // The case's audit trail (its newest entries, this bundle's own reads
  // included) and the signatures that cover it, from one consistent view.
  BRANKAS_ASSIGN_OR_RETURN(auto snapshot, impl.store->Snapshot());
  std::deque<AuditEntry> entries;
  AuditFilter filter;
  filter.case_id = std::string(case_id);
  filter.limit = kMaxAuditQueryLimit;
  for (int page = 0; page < 100'000; ++page) {
    BRANKAS_ASSIGN_OR_RETURN(auto got, brankas::QueryAudit(*snapshot, filter));
    for (AuditEntry& e : got) {
      entries.push_back(std::move(e));
      if (entries.size() > kMaxBundleAuditEntries) entries.pop_front();
    }
    if (got.size() < filter.limit) break;
    filter.after_seq = entries.back().seq;
  }
  const uint64_t last_seq = entries.empty() ? 0 : entries.back().seq;
  Json checkpoint = nullptr, head = nullptr;
  BRANKAS_RETURN_IF_ERROR(snapshot->Scan(Column::kAudit, kAuditCheckpointPrefix, AuditCheckpointKey(last_seq),
                                         [&](std::string_view, std::string_view v) {
                                           auto cp = DecodeCheckpoint(v);
                                           if (cp.ok()) checkpoint = CheckpointToJson(*cp);
                                           return false;
                                         }));
  BRANKAS_ASSIGN_OR_RETURN(auto head_bytes, snapshot->Get(Column::kMeta, kAuditHeadKey));
  if (head_bytes) {
    auto h = DecodeAuditHead(*head_bytes);
    if (!h.ok()) return impl.Refuse(rc, kAction, case_id, h.status());
    head = AuditHeadToJson(*h);
  }
  snapshot.reset();

  Json audit_entries = Json::array();
  for (const AuditEntry& e : entries) audit_entries.push_back(AuditEntryToJson(e));
  Json grant_list = Json::array();
  for (const Grant& g : active) grant_list.push_back(GrantToJson(g));
  Json attachments = Json::array();
  for (const EvidenceInfo& i : infos) {
    attachments.push_back(Json{{"evidence_id", i.evidence_id}, {"name", i.name}, {"content_type", i.content_type},
                               {"size", i.size}, {"sha256", ToHex(i.sha256)}, {"added_by", i.added_by},
                               {"added_from", i.added_from}, {"added_at", i.added_us / 1'000'000}});
  }
  Json manifest{{"format", kBundleFormat},
                {"unit", impl.unit},
                {"node_public_key", ToHex(impl.node_public_key)},
                {"created_at", now_s},
                {"created_by", rc.principal.user},
                {"request_id", rc.request_id},
                {"case",
                 {{"case_id", view.summary.case_id},
                  {"stage", std::string(StageName(view.summary.stage))},
                  {"version", view.summary.version}}},
                {"grants", grant_list},
                {"fields", view.fields},
                {"masked", view.masked},
                {"withheld", view.withheld},
                {"attachments", attachments},
                {"audit", {{"entries", audit_entries}, {"checkpoint", checkpoint}, {"head", head}}}};
  std::string text = manifest.dump(-1, ' ', false, Json::error_handler_t::replace);
  manifest = Json();
  if (text.size() > kMaxBundleManifestBytes) {
    WipeString(text);
    return impl.Refuse(rc, kAction, case_id, TooLarge("the bundle's manifest is larger than allowed"));
  }
  auto signature = impl.keys->Sign(BundleSignedMessage(text));
  if (!signature.ok()) {
    WipeString(text);
    return impl.Refuse(rc, kAction, case_id, signature.status());
  }
  AuditEntry e = impl.Entry(rc, kAction, case_id, "allow");
  e.rule = "grant:" + active.front().id;
  e.grant_id = active.front().id;
  Sha256 sha;
  sha.Update(text);
  e.detail = "attachments=" + std::to_string(infos.size()) + " manifest_sha256=" + ToHex(sha.Finish());
  if (Status s = impl.AuditOnly({std::move(e)}); !s.ok()) {
    WipeString(text);
    return s;
  }
  std::string prefix = BundlePrefix(text, *signature);
  WipeString(text);
  return std::unique_ptr<ByteStream>(new BundleStream(std::move(prefix), std::move(readers)));
}

}  // namespace brankas
