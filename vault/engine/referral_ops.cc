// Referral (rujukan) between units: brankas/referral.h. The sending side
// (CreateReferral, RevokeReferral) seals and signs; the receiving side
// (ReceiveReferrals, AssignReferral, ReadReferral) verifies and reads under
// its own policy. The central node only relays the signed records.
#include <algorithm>
#include <set>

#include "brankas/codec.h"
#include "brankas/crypto.h"
#include "brankas/referral.h"
#include "engine/vault_impl.h"

namespace brankas {
namespace {

constexpr uint8_t kPackageFormat = 1;
constexpr uint8_t kRecordFormat = 1;
constexpr char kSignedDomain[] = "brankas-referral-v1";
constexpr size_t kMaxListed = 10'000;
constexpr size_t kMaxAssigned = 32;
constexpr int64_t kMaxReferralSeconds = 5LL * 366 * 24 * 3600;

uint32_t ClassMask(const std::vector<FieldClass>& classes) {
  uint32_t mask = 0;
  for (FieldClass c : classes) mask |= 1u << static_cast<unsigned>(c);
  return mask;
}

std::vector<FieldClass> ClassesOf(uint32_t mask) {
  std::vector<FieldClass> out;
  for (FieldClass c : kAllFieldClasses) {
    if ((mask & (1u << static_cast<unsigned>(c))) != 0) out.push_back(c);
  }
  return out;
}

// What the sending unit signs and the receiving unit verifies.
struct Package {
  ReferralInfo info;
  std::string sealed_keys;  // sealed box to the receiver: u32 n | n * (u8 class | bytes key)
  struct Value {
    std::string field;
    uint64_t version = 0;
    std::string sealed;  // as stored by the sender: its AD binds (sender unit, case, field, version)
  };
  std::vector<Value> values;
  std::string node_key;    // the sender's Ed25519 public key
  std::string signature;
};

void PutBody(const Package& p, Writer* w) {
  w->U8(kPackageFormat);
  w->Bytes(p.info.referral_id);
  w->Bytes(p.info.from_unit);
  w->Bytes(p.info.to_unit);
  w->Bytes(p.info.case_id);
  w->Bytes(p.info.created_by);
  w->U32(ClassMask(p.info.classes));
  w->I64(p.info.created_us);
  w->I64(p.info.expires_at);
  w->Bool(p.info.revoked);
  w->I64(p.info.revoked_us);
  w->Bytes(p.sealed_keys);
  w->U32(static_cast<uint32_t>(p.values.size()));
  for (const auto& v : p.values) {
    w->Bytes(v.field);
    w->U64(v.version);
    w->Bytes(v.sealed);
  }
  w->Bytes(p.node_key);
}

std::string SignedMessage(const Package& p) {
  Writer w;
  w.Bytes(kSignedDomain);
  PutBody(p, &w);
  return w.Take();
}

std::string EncodePackage(const Package& p) {
  Writer w;
  PutBody(p, &w);
  w.Bytes(p.signature);
  return w.Take();
}

Result<Package> DecodePackage(std::string_view bytes) {
  Reader r(bytes);
  Package p;
  uint8_t format = 0;
  uint32_t mask = 0, n = 0;
  if (!r.U8(&format) || format != kPackageFormat || !r.Bytes(&p.info.referral_id) || !r.Bytes(&p.info.from_unit) ||
      !r.Bytes(&p.info.to_unit) || !r.Bytes(&p.info.case_id) || !r.Bytes(&p.info.created_by) || !r.U32(&mask) ||
      !r.I64(&p.info.created_us) || !r.I64(&p.info.expires_at) || !r.Bool(&p.info.revoked) ||
      !r.I64(&p.info.revoked_us) || !r.Bytes(&p.sealed_keys) || !r.U32(&n) || n > 4096 || n > r.Remaining() / 16) {
    return Corruption("a referral package is malformed");
  }
  p.values.resize(n);
  for (auto& v : p.values) {
    if (!r.Bytes(&v.field) || !r.U64(&v.version) || !r.Bytes(&v.sealed)) {
      return Corruption("a referral package is truncated");
    }
  }
  if (!r.Bytes(&p.node_key) || !r.Bytes(&p.signature) || !r.Done() || p.node_key.size() != kSignPublicKeySize ||
      p.signature.size() != kSignatureSize || mask >= (1u << kFieldClassCount) ||
      !IsWellFormedId(p.info.referral_id) || !IsWellFormedId(p.info.case_id) || !IsWellFormedId(p.info.from_unit) ||
      !IsWellFormedId(p.info.to_unit)) {
    return Corruption("a referral package is malformed");
  }
  p.info.classes = ClassesOf(mask);
  p.info.fields = p.values.size();
  return p;
}

// The stored record on either side: u8 format | u64 version | bytes package |
// (incoming only) string list assigned.
std::string EncodeRecord(uint64_t version, std::string_view package, const std::vector<std::string>& assigned) {
  Writer w;
  w.U8(kRecordFormat);
  w.U64(version);
  w.Bytes(package);
  w.StringList(assigned);
  return w.Take();
}

struct Record {
  uint64_t version = 0;
  std::string package;
  std::vector<std::string> assigned;
};

Result<Record> DecodeRecord(std::string_view bytes) {
  Reader r(bytes);
  Record rec;
  uint8_t format = 0;
  if (!r.U8(&format) || format != kRecordFormat || !r.U64(&rec.version) || !r.Bytes(&rec.package) ||
      !r.StringList(&rec.assigned, kMaxAssigned) || !r.Done()) {
    return Corruption("a referral record is malformed");
  }
  return rec;
}

std::string OutgoingKey(std::string_view to_unit, std::string_view id) {
  return std::string(kOutgoingReferralPrefix) + std::string(to_unit) + "/" + std::string(id);
}
std::string IncomingKey(std::string_view from_unit, std::string_view id) {
  return std::string(kIncomingReferralPrefix) + std::string(from_unit) + "/" + std::string(id);
}
// Which unit a referral id belongs to on this node: "rfx/<id>" -> "o<to>" or "i<from>".
std::string IdIndexKey(std::string_view id) { return "rfx/" + std::string(id); }

std::string ClassDetail(const ReferralInfo& info, std::string_view peer_word, std::string_view peer) {
  std::string out = std::string(peer_word) + "=" + std::string(peer) + " classes=";
  for (size_t i = 0; i < info.classes.size(); ++i) {
    if (i) out += ",";
    out += FieldClassName(info.classes[i]);
  }
  return out;
}

// The data keys inside an opened package: class -> key.
Result<std::map<FieldClass, SecretKey>> DecodeKeys(std::string& plain) {
  Reader r(plain);
  uint32_t n = 0;
  std::map<FieldClass, SecretKey> keys;
  if (!r.U32(&n) || n > kFieldClassCount) {
    WipeString(plain);
    return Corruption("the keys of a referral are malformed");
  }
  for (uint32_t i = 0; i < n; ++i) {
    uint8_t cls = 0;
    std::string_view key;
    if (!r.U8(&cls) || cls >= kFieldClassCount || !r.BytesView(&key) || key.size() != kKeySize) {
      WipeString(plain);
      return Corruption("the keys of a referral are malformed");
    }
    keys.emplace(static_cast<FieldClass>(cls), SecretKey::FromBytes(key));
  }
  const bool done = r.Done();
  WipeString(plain);
  if (!done) return Corruption("the keys of a referral are malformed");
  return keys;
}

// Where a referral id lives on this node: (outgoing?, record key).
Result<std::pair<bool, std::string>> Locate(Vault::Impl& impl, std::string_view id) {
  if (!IsWellFormedId(id)) return InvalidArgument("malformed referral id");
  BRANKAS_ASSIGN_OR_RETURN(auto where, impl.store->Get(Column::kRecords, IdIndexKey(id)));
  if (!where || where->size() < 2) return NotFound("no such referral");
  const bool outgoing = (*where)[0] == 'o';
  const std::string peer = where->substr(1);
  return std::make_pair(outgoing, outgoing ? OutgoingKey(peer, id) : IncomingKey(peer, id));
}

// A referral held on this node, looked up by id; every refusal audited.
// `outgoing`: whether the caller needs the sending side's copy (or the receiving side's).
struct Held {
  std::string key;
  Record record;
  Package package;
};
Result<Held> LoadHeld(Vault::Impl& impl, const RequestContext& rc, std::string_view action,
                      std::string_view referral_id, bool outgoing, std::string_view wrong_side) {
  auto where = Locate(impl, referral_id);
  if (!where.ok()) return impl.Refuse(rc, action, "", where.status());
  if (where->first != outgoing) return impl.Refuse(rc, action, "", FailedPrecondition(std::string(wrong_side)));
  auto bytes = impl.store->Get(Column::kRecords, where->second);
  if (!bytes.ok()) return impl.Refuse(rc, action, "", bytes.status());
  if (!*bytes) return impl.Refuse(rc, action, "", Corruption("a referral record is missing"));
  auto rec = DecodeRecord(**bytes);
  if (!rec.ok()) return impl.Refuse(rc, action, "", rec.status());
  auto p = DecodePackage(rec->package);
  if (!p.ok()) return impl.Refuse(rc, action, "", p.status());
  return Held{where->second, std::move(*rec), std::move(*p)};
}

// One referral record, with the version check, and its audit entry in one
// commit. A first version also indexes the id ("o<to>" or "i<from>").
Status CommitRecord(Vault::Impl& impl, const std::string& key, uint64_t base_version, std::string record,
                    AuditEntry entry, std::string_view index_value) {
  CommitRequest req;
  req.batch.Put(Column::kRecords, key, std::move(record));
  if (base_version == 0) req.batch.Put(Column::kRecords, IdIndexKey(entry.grant_id), std::string(index_value));
  req.expectations.push_back({Column::kRecords, key, base_version, base_version + 1});
  req.audit.push_back(std::move(entry));
  return impl.committer->Commit(std::move(req)).status();
}

CaseContext IncomingContext(const Vault::Impl& impl, const ReferralInfo& info, const std::vector<std::string>& assigned) {
  // On the receiving unit the referred case is scoped to that unit: its
  // supervisors by unit, its workers by assignment (there is no owner there).
  return CaseContext{info.case_id, impl.unit, "", assigned};
}

// A signed revocation of `p` in place: no keys and no values travel any more.
Status Revoke(Vault::Impl& impl, Package* p) {
  p->info.revoked = true;
  p->info.revoked_us = impl.now_us();
  WipeString(p->sealed_keys);
  p->sealed_keys.clear();
  p->values.clear();
  p->info.fields = 0;
  BRANKAS_ASSIGN_OR_RETURN(p->signature, impl.keys->Sign(SignedMessage(*p)));
  return Status::Ok();
}

}  // namespace

Status StageReferralRevocations(Vault::Impl& impl, std::string_view case_id, uint32_t classes, CommitRequest* req,
                                uint64_t* revoked) {
  constexpr size_t kMaxScanned = 100'000;
  struct Due {
    std::string key;
    Record record;
    Package package;
  };
  std::vector<Due> due;
  size_t scanned = 0;
  Status bad = Status::Ok();
  BRANKAS_RETURN_IF_ERROR(impl.store->Scan(Column::kRecords, kOutgoingReferralPrefix, {},
                                           [&](std::string_view k, std::string_view v) {
    auto rec = DecodeRecord(v);
    auto p = rec.ok() ? DecodePackage(rec->package) : Result<Package>(rec.status());
    if (!p.ok()) {
      bad = p.status();
      return false;
    }
    if (p->info.case_id == case_id && !p->info.revoked && (ClassMask(p->info.classes) & classes) != 0) {
      due.push_back({std::string(k), std::move(*rec), std::move(*p)});
    }
    return ++scanned < kMaxScanned;
  }));
  BRANKAS_RETURN_IF_ERROR(bad);
  for (Due& d : due) {
    BRANKAS_RETURN_IF_ERROR(Revoke(impl, &d.package));
    req->batch.Put(Column::kRecords, d.key, EncodeRecord(d.record.version + 1, EncodePackage(d.package), {}));
    req->expectations.push_back({Column::kRecords, d.key, d.record.version, d.record.version + 1});
  }
  *revoked = due.size();
  return Status::Ok();
}

Result<ReferralInfo> Vault::CreateReferral(const RequestContext& rc, const ReferralRequest& request) {
  Impl& impl = *impl_;
  BRANKAS_RETURN_IF_ERROR(impl.RequireUnsealed());
  constexpr std::string_view kAction = "referral.create";
  const std::string& case_id = request.case_id;
  auto meta = impl.LoadCase(case_id);
  if (!meta.ok()) return impl.Refuse(rc, kAction, case_id, meta.status());
  if (meta->shredded) return impl.Refuse(rc, kAction, case_id, NotFound("the case was crypto-shredded"));
  CaseContext ctx = impl.ContextOf(*meta);
  Decision d = impl.policy.DecideOperation(rc.principal, Policy::Operation::kRequestGrant, &ctx);
  if (!d.allowed) {
    return impl.Refuse(rc, kAction, case_id, PermissionDenied("only the case's owner may refer it"), {}, d.rule);
  }
  auto peer = impl.referral_peers.find(request.to_unit);
  if (request.to_unit == impl.unit || peer == impl.referral_peers.end()) {
    return impl.Refuse(rc, kAction, case_id,
                       InvalidArgument("the receiving unit is not a pinned referral peer of this unit"));
  }
  const uint32_t mask = ClassMask(request.classes);
  if (request.classes.empty() || request.classes.size() > kFieldClassCount) {
    return impl.Refuse(rc, kAction, case_id, InvalidArgument("a referral names one or more field classes"));
  }
  const int64_t now_s = impl.NowSeconds();
  if (request.expires_at != 0 && (request.expires_at <= now_s || request.expires_at > now_s + kMaxReferralSeconds)) {
    return impl.Refuse(rc, kAction, case_id, InvalidArgument("expires_at must be in the future, within five years"));
  }
  // Nobody shares what they may not read themselves (unmasked).
  BRANKAS_ASSIGN_OR_RETURN(auto grants, impl.GrantsOf(case_id));
  for (FieldClass cls : request.classes) {
    Decision read = impl.policy.Decide(rc.principal, Action::kRead, cls, ctx, grants, now_s);
    if (!read.allowed || read.masked) {
      return impl.Refuse(rc, kAction, case_id,
                         PermissionDenied("you may not share a class you cannot read in full"),
                         {std::string(FieldClassName(cls))}, read.rule);
    }
  }

  Package p;
  p.info.referral_id = NewCaseId("RF");
  p.info.from_unit = impl.unit;
  p.info.to_unit = request.to_unit;
  p.info.case_id = case_id;
  p.info.created_by = rc.principal.user;
  p.info.classes = ClassesOf(mask);
  p.info.created_us = impl.now_us();
  p.info.expires_at = request.expires_at;
  p.node_key = impl.node_public_key;

  // The current sealed value of every set field of the shared classes, as stored.
  std::map<uint64_t, std::string> records;
  for (const auto& [name, state] : meta->fields) {
    const FieldDef* def = impl.schema.Find(name);
    if (def == nullptr || (mask & (1u << static_cast<unsigned>(def->cls))) == 0) continue;
    auto rec = records.find(state.version);
    if (rec == records.end()) {
      BRANKAS_ASSIGN_OR_RETURN(auto bytes, impl.store->Get(Column::kRecords, VersionKey(case_id, state.version)));
      if (!bytes) return impl.Refuse(rc, kAction, case_id, Corruption("a version of the case is missing"));
      rec = records.emplace(state.version, std::move(*bytes)).first;
    }
    auto fields = DecodeSealedFieldViews(rec->second);
    if (!fields.ok()) return impl.Refuse(rc, kAction, case_id, fields.status());
    auto it = std::find_if(fields->begin(), fields->end(), [&](const auto& kv) { return kv.first == name; });
    if (it == fields->end()) return impl.Refuse(rc, kAction, case_id, Corruption("a field is missing from its version"));
    p.values.push_back({name, state.version, std::string(it->second)});
  }
  p.info.fields = p.values.size();

  // The classes' data keys, sealed to the receiving unit's node key.
  auto keys = impl.keys->DataKeys(case_id, mask);
  if (!keys.ok()) return impl.Refuse(rc, kAction, case_id, keys.status());
  std::string plain;
  {
    Writer w;
    w.U32(static_cast<uint32_t>(p.info.classes.size()));
    for (FieldClass cls : p.info.classes) {
      const auto& key = (*keys)[static_cast<size_t>(cls)];
      if (!key) return impl.Refuse(rc, kAction, case_id, Internal("a data key of the case is missing"));
      w.U8(static_cast<uint8_t>(cls));
      w.Bytes(std::string_view(reinterpret_cast<const char*>(key->data()), key->size()));
    }
    plain = w.Take();
  }
  auto sealed = SealToSigningKey(peer->second, plain);
  WipeString(plain);
  if (!sealed.ok()) return impl.Refuse(rc, kAction, case_id, sealed.status());
  p.sealed_keys = std::move(*sealed);
  BRANKAS_ASSIGN_OR_RETURN(p.signature, impl.keys->Sign(SignedMessage(p)));

  AuditEntry e = impl.Entry(rc, kAction, case_id, "allow");
  e.rule = d.rule;
  e.grant_id = p.info.referral_id;
  e.detail = ClassDetail(p.info, "to", p.info.to_unit);
  BRANKAS_RETURN_IF_ERROR(CommitRecord(impl, OutgoingKey(p.info.to_unit, p.info.referral_id), 0,
                                       EncodeRecord(1, EncodePackage(p), {}), std::move(e), "o" + p.info.to_unit));
  return p.info;
}

Result<ReferralInfo> Vault::RevokeReferral(const RequestContext& rc, std::string_view referral_id) {
  Impl& impl = *impl_;
  BRANKAS_RETURN_IF_ERROR(impl.RequireUnsealed());
  constexpr std::string_view kAction = "referral.revoke";
  BRANKAS_ASSIGN_OR_RETURN(Held held, LoadHeld(impl, rc, kAction, referral_id, true, "only the referring unit revokes"));
  const Record& rec = held.record;
  Package& p = held.package;
  const std::string& case_id = p.info.case_id;
  if (p.info.revoked) return impl.Refuse(rc, kAction, case_id, FailedPrecondition("the referral is already revoked"));
  // The case's owner (who refers) or a supervisor of the unit (who revokes grants).
  auto meta = impl.LoadCase(case_id);
  Decision d;
  if (meta.ok()) {
    CaseContext ctx = impl.ContextOf(*meta);
    d = impl.policy.DecideOperation(rc.principal, Policy::Operation::kRequestGrant, &ctx);
    if (!d.allowed) d = impl.policy.DecideOperation(rc.principal, Policy::Operation::kRevokeGrant, &ctx);
  } else if (rc.principal.role == Role::kSupervisor && rc.principal.unit == impl.unit) {
    d.allowed = true;  // a shredded case: its supervisor still withdraws what was shared
    d.rule = "role:supervisor";
  }
  if (!d.allowed) {
    return impl.Refuse(rc, kAction, case_id,
                       PermissionDenied("only the case's owner or a supervisor of the unit may revoke"), {}, d.rule);
  }
  // The revocation replaces the package: no keys and no values travel any more.
  BRANKAS_RETURN_IF_ERROR(Revoke(impl, &p));
  AuditEntry e = impl.Entry(rc, kAction, case_id, "allow");
  e.rule = d.rule;
  e.grant_id = p.info.referral_id;
  e.detail = ClassDetail(p.info, "to", p.info.to_unit);
  BRANKAS_RETURN_IF_ERROR(CommitRecord(impl, held.key, rec.version,
                                       EncodeRecord(rec.version + 1, EncodePackage(p), {}), std::move(e), ""));
  return p.info;
}

Status Vault::ReceiveReferrals(const std::vector<ReferralDelivery>& deliveries) {
  Impl& impl = *impl_;
  BRANKAS_RETURN_IF_ERROR(impl.RequireUnsealed());
  RequestContext rc;
  rc.principal = Principal{"(replication)", Role::kAdmin, impl.unit};
  rc.client = "central";
  for (const ReferralDelivery& d : deliveries) {
    constexpr std::string_view kAction = "referral.receive";
    // Whatever arrives is checked here, not trusted because the central node relayed it.
    auto rec = DecodeRecord(d.record);
    auto p = rec.ok() ? DecodePackage(rec->package) : Result<Package>(rec.status());
    std::string problem;
    auto peer = p.ok() ? impl.referral_peers.find(p->info.from_unit) : impl.referral_peers.end();
    if (!p.ok()) {
      problem = "malformed";
    } else if (p->info.to_unit != impl.unit || p->info.from_unit != d.from_unit ||
               p->info.referral_id != d.referral_id) {
      problem = "addressed elsewhere";
    } else if (peer == impl.referral_peers.end() || peer->second != p->node_key) {
      problem = "sender not pinned";
    } else if (!VerifySignature(p->node_key, SignedMessage(*p), p->signature)) {
      problem = "bad signature";
    }
    if (!problem.empty()) {
      AuditEntry e = impl.Entry(rc, kAction, p.ok() ? std::string_view(p->info.case_id) : std::string_view(), "deny");
      e.detail = "from=" + (IsWellFormedId(d.from_unit) ? d.from_unit : std::string("?")) + " " + problem;
      e.rule = "referral_verify";
      e.flagged = true;
      BRANKAS_RETURN_IF_ERROR(impl.AuditOnly({std::move(e)}));
      continue;
    }
    const std::string key = IncomingKey(p->info.from_unit, p->info.referral_id);
    BRANKAS_ASSIGN_OR_RETURN(auto held_bytes, impl.store->Get(Column::kRecords, key));
    uint64_t version = 0;
    std::vector<std::string> assigned;
    if (held_bytes) {
      BRANKAS_ASSIGN_OR_RETURN(Record held, DecodeRecord(*held_bytes));
      BRANKAS_ASSIGN_OR_RETURN(Package held_p, DecodePackage(held.package));
      // A revocation is final; the same package again changes nothing.
      if (held_p.info.revoked || held.package == rec->package) continue;
      if (!p->info.revoked) continue;  // only a revocation replaces what is held
      version = held.version;
      assigned = std::move(held.assigned);
    }
    AuditEntry e = impl.Entry(rc, p->info.revoked ? "referral.revoked" : kAction, p->info.case_id, "allow");
    e.grant_id = p->info.referral_id;
    e.detail = ClassDetail(p->info, "from", p->info.from_unit);
    e.rule = "referral_verify";
    BRANKAS_RETURN_IF_ERROR(CommitRecord(impl, key, version, EncodeRecord(version + 1, rec->package, assigned),
                                         std::move(e), "i" + p->info.from_unit));
  }
  return Status::Ok();
}

Result<std::vector<ReferralInfo>> Vault::ListReferrals(const RequestContext& rc) {
  Impl& impl = *impl_;
  BRANKAS_RETURN_IF_ERROR(impl.RequireUnsealed());
  constexpr std::string_view kAction = "referral.list";
  if (rc.principal.unit != impl.unit) return impl.Refuse(rc, kAction, "", PermissionDenied("not a user of this unit"));
  std::vector<ReferralInfo> out;
  Status bad = Status::Ok();
  const int64_t now_s = impl.NowSeconds();
  auto visit = [&](bool outgoing) {
    return impl.store->Scan(Column::kRecords, outgoing ? kOutgoingReferralPrefix : kIncomingReferralPrefix, {},
                            [&](std::string_view, std::string_view v) {
      auto rec = DecodeRecord(v);
      auto p = rec.ok() ? DecodePackage(rec->package) : Result<Package>(rec.status());
      if (!p.ok()) {
        bad = p.status();
        return false;
      }
      p->info.incoming = !outgoing;
      p->info.assigned = rec->assigned;
      bool visible;
      if (outgoing) {
        // The sending side: the case's own scope (owner, assigned, supervisors).
        auto meta = impl.LoadCase(p->info.case_id);
        CaseContext ctx = meta.ok() ? impl.ContextOf(*meta) : CaseContext{p->info.case_id, impl.unit, "", {}};
        visible = impl.policy.Decide(rc.principal, Action::kRead, FieldClass::kAdministrative, ctx, {}, now_s).allowed;
      } else {
        CaseContext ctx = IncomingContext(impl, p->info, rec->assigned);
        visible = false;
        for (FieldClass cls : p->info.classes) {
          visible = visible || impl.policy.Decide(rc.principal, Action::kRead, cls, ctx, {}, now_s).allowed;
        }
        visible = visible || impl.policy.DecideOperation(rc.principal, Policy::Operation::kAssign, &ctx).allowed;
      }
      if (visible) out.push_back(std::move(p->info));
      return out.size() < kMaxListed;
    });
  };
  BRANKAS_RETURN_IF_ERROR(visit(true));
  BRANKAS_RETURN_IF_ERROR(visit(false));
  if (!bad.ok()) return impl.Refuse(rc, kAction, "", bad);
  AuditEntry e = impl.Entry(rc, kAction, "", "allow");
  e.detail = "referrals=" + std::to_string(out.size());
  BRANKAS_RETURN_IF_ERROR(impl.AuditOnly({std::move(e)}));
  return out;
}

Result<ReferralInfo> Vault::AssignReferral(const RequestContext& rc, std::string_view referral_id,
                                           const std::vector<std::string>& users) {
  Impl& impl = *impl_;
  BRANKAS_RETURN_IF_ERROR(impl.RequireUnsealed());
  constexpr std::string_view kAction = "referral.assign";
  BRANKAS_ASSIGN_OR_RETURN(Held held, LoadHeld(impl, rc, kAction, referral_id, false, "assign on the receiving unit"));
  const Record& rec = held.record;
  Package& p = held.package;
  CaseContext ctx = IncomingContext(impl, p.info, rec.assigned);
  Decision d = impl.policy.DecideOperation(rc.principal, Policy::Operation::kAssign, &ctx);
  if (!d.allowed) {
    return impl.Refuse(rc, kAction, p.info.case_id, PermissionDenied("only a supervisor of the unit assigns"), {},
                       d.rule);
  }
  if (users.empty() || users.size() > kMaxAssigned ||
      !std::all_of(users.begin(), users.end(), [](const std::string& u) { return IsValidUserName(u); })) {
    return impl.Refuse(rc, kAction, p.info.case_id, InvalidArgument("assign names 1 to 32 well-formed user names"));
  }
  std::set<std::string> unique(users.begin(), users.end());
  AuditEntry e = impl.Entry(rc, kAction, p.info.case_id, "allow");
  e.rule = d.rule;
  e.grant_id = p.info.referral_id;
  e.fields.assign(unique.begin(), unique.end());
  BRANKAS_RETURN_IF_ERROR(CommitRecord(
      impl, held.key, rec.version,
      EncodeRecord(rec.version + 1, rec.package, std::vector<std::string>(unique.begin(), unique.end())), std::move(e),
      ""));
  p.info.incoming = true;
  p.info.assigned.assign(unique.begin(), unique.end());
  return p.info;
}

Result<CaseView> Vault::ReadReferral(const RequestContext& rc, std::string_view referral_id) {
  Impl& impl = *impl_;
  BRANKAS_RETURN_IF_ERROR(impl.RequireUnsealed());
  constexpr std::string_view kAction = "referral.read";
  BRANKAS_ASSIGN_OR_RETURN(Held held, LoadHeld(impl, rc, kAction, referral_id, false,
                                               "the referring unit reads the case itself"));
  const Record* rec = &held.record;
  const Package* p = &held.package;
  const std::string& case_id = p->info.case_id;
  const int64_t now_s = impl.NowSeconds();
  if (p->info.revoked) {
    return impl.Refuse(rc, kAction, case_id, PermissionDenied("the referring unit revoked this referral"), {},
                       "referral_revoked");
  }
  if (p->info.expires_at != 0 && now_s >= p->info.expires_at) {
    return impl.Refuse(rc, kAction, case_id, PermissionDenied("this referral has expired"), {}, "referral_expired");
  }
  CaseContext ctx = IncomingContext(impl, p->info, rec->assigned);
  const uint32_t shared = ClassMask(p->info.classes);
  std::array<std::optional<Decision>, kFieldClassCount> by_class;
  CaseView view;
  view.summary.case_id = case_id;
  view.summary.unit = p->info.from_unit;
  view.summary.assigned = rec->assigned;
  view.summary.created_us = p->info.created_us;
  std::vector<std::string> read;
  std::string rule;
  std::optional<std::map<FieldClass, SecretKey>> keys;
  for (const auto& v : p->values) {
    const FieldDef* def = impl.schema.Find(v.field);
    if (def == nullptr || (shared & (1u << static_cast<unsigned>(def->cls))) == 0) {
      return impl.Refuse(rc, kAction, case_id, Corruption("a referral holds a field outside its classes"));
    }
    auto& d = by_class[static_cast<size_t>(def->cls)];
    if (!d) d = impl.policy.Decide(rc.principal, Action::kRead, def->cls, ctx, {}, now_s);
    if (!d->allowed) {
      view.withheld.push_back(v.field);
      continue;
    }
    if (!keys) {
      auto plain = impl.keys->OpenSealedForNode(p->sealed_keys);
      if (!plain.ok()) return impl.Refuse(rc, kAction, case_id, plain.status());
      auto decoded = DecodeKeys(*plain);
      if (!decoded.ok()) return impl.Refuse(rc, kAction, case_id, decoded.status());
      keys = std::move(*decoded);
    }
    auto key = keys->find(def->cls);
    if (key == keys->end()) return impl.Refuse(rc, kAction, case_id, Corruption("a referral lacks a class's key"));
    auto value = AeadOpen(key->second, v.sealed, FieldAd(p->info.from_unit, case_id, v.field, v.version));
    if (!value.ok()) {
      return impl.Refuse(rc, kAction, case_id, Corruption("a referred value failed authentication"), {v.field});
    }
    if (d->masked) {
      view.fields[v.field] = MaskValue(*value);
      view.masked.push_back(v.field);
    } else {
      view.fields[v.field] = std::move(*value);
    }
    WipeString(*value);
    read.push_back(v.field);
    if (rule.empty()) rule = d->rule;
  }
  if (view.fields.empty()) {
    return impl.Refuse(rc, kAction, case_id, PermissionDenied("you may not read this referral"), view.withheld,
                       "field_read");
  }
  std::vector<AuditEntry> entries;
  AuditEntry e = impl.Entry(rc, kAction, case_id, "allow");
  e.fields = read;
  e.rule = rule;
  e.grant_id = p->info.referral_id;
  entries.push_back(std::move(e));
  if (!view.withheld.empty()) {
    AuditEntry w = impl.Entry(rc, kAction, case_id, "deny");
    w.fields = view.withheld;
    w.rule = "field_read";
    w.grant_id = p->info.referral_id;
    entries.push_back(std::move(w));
  }
  Status audited = impl.AuditOnly(std::move(entries));
  if (!audited.ok()) return audited;  // fail closed: nothing leaves unaudited
  return view;
}

}  // namespace brankas
