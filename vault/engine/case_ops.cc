// Case operations: create, read, update, history, list, search.
#include <algorithm>
#include <array>
#include <optional>
#include <set>

#include "engine/user_record.h"
#include "engine/vault_impl.h"

namespace brankas {
namespace {

std::vector<std::string> NamesOf(const FieldValues& fields) {
  std::vector<std::string> names;
  for (const auto& [name, value] : fields) {
    if (names.size() >= 256) break;
    names.push_back(name.size() <= 64 && IsValidUtf8(name) ? name : "(malformed)");
  }
  return names;
}

// Adds the writes of `validated` at case version `version` to the request:
// sealed values, index entries, and the metadata bookkeeping.
Status StageFieldWrites(Vault::Impl& impl, CaseMeta& meta, const RequestContext& rc,
                        const std::vector<std::pair<const FieldDef*, std::string>>& validated,
                        uint64_t version, int64_t now, Batch* batch,
                        const KeyRing::CaseKeys* new_keys = nullptr) {
  SealedFields record;
  for (const auto& [def, value] : validated) {
    BRANKAS_ASSIGN_OR_RETURN(std::string sealed, impl.SealField(meta, *def, version, value, new_keys));
    record.emplace(def->name, std::move(sealed));
    FieldState& state = meta.fields[def->name];
    if (def->indexed) {
      if (!state.blind_tag.empty()) {
        batch->Delete(Column::kIndex, IndexKey(def->name, state.blind_tag, meta.case_id));
      }
      BRANKAS_ASSIGN_OR_RETURN(state.blind_tag,
                               impl.keys->BlindIndex(def->name, impl.schema.IndexForm(*def, value)));
      batch->Put(Column::kIndex, IndexKey(def->name, state.blind_tag, meta.case_id), "");
    }
    state.version = version;
    state.writer = rc.principal.user;
    state.time_us = now;
  }
  batch->Put(Column::kRecords, VersionKey(meta.case_id, version), EncodeSealedFields(record));
  return Status::Ok();
}

// Field-level write authorization, all or nothing: returns the names refused.
std::vector<std::string> RefusedWrites(const Vault::Impl& impl, const RequestContext& rc,
                                       const CaseMeta& meta, const std::vector<Grant>& grants,
                                       const std::vector<std::pair<const FieldDef*, std::string>>& validated,
                                       int64_t now_s) {
  std::vector<std::string> refused;
  CaseContext ctx = impl.ContextOf(meta);
  // Unless the class's write scope is `own`, the decision depends on the class
  // only: made once per class.
  std::array<std::optional<bool>, kFieldClassCount> allowed_by_class;
  for (const auto& [def, value] : validated) {
    auto& memo = allowed_by_class[static_cast<size_t>(def->cls)];
    if (!memo || impl.policy.FieldScope(rc.principal.role, def->cls, Action::kWrite) == Scope::kOwn) {
      auto it = meta.fields.find(def->name);
      std::string_view writer = it == meta.fields.end() ? std::string_view() : it->second.writer;
      memo = impl.policy.Decide(rc.principal, Action::kWrite, def->cls, ctx, grants, now_s, writer).allowed;
    }
    if (!*memo) refused.push_back(def->name);
  }
  return refused;
}

}  // namespace

Result<CaseSummary> Vault::CreateCase(const RequestContext& rc, const FieldValues& fields,
                                      const std::vector<std::string>& assign_to) {
  Impl& impl = *impl_;
  BRANKAS_RETURN_IF_ERROR(impl.RequireUnsealed());
  constexpr std::string_view kAction = "case.create";
  Decision op = impl.policy.DecideOperation(rc.principal, Policy::Operation::kCreateCase, nullptr);
  if (!op.allowed) {
    return impl.Refuse(rc, kAction, "", PermissionDenied("your role may not create cases"),
                       NamesOf(fields), op.rule);
  }
  if (rc.principal.unit != impl.unit) {
    return impl.Refuse(rc, kAction, "", PermissionDenied("you are not a member of this unit"),
                       NamesOf(fields), "unit_mismatch");
  }
  auto validated = impl.schema.ValidateWrite(fields);
  if (!validated.ok()) return impl.Refuse(rc, kAction, "", validated.status(), NamesOf(fields));
  if (assign_to.size() > 32) return impl.Refuse(rc, kAction, "", InvalidArgument("too many assignees"));
  for (const auto& u : assign_to) {
    if (!IsValidUserName(u)) return impl.Refuse(rc, kAction, "", InvalidArgument("malformed user name"));
  }

  int64_t now = impl.now_us();
  CaseMeta meta;
  meta.version = 1;
  meta.case_id = NewCaseId(impl.unit);
  meta.unit = impl.unit;
  meta.owner = rc.principal.user;
  meta.created_by = rc.principal.user;
  meta.assigned = {rc.principal.user};
  for (const auto& u : assign_to) {
    if (std::find(meta.assigned.begin(), meta.assigned.end(), u) == meta.assigned.end()) {
      meta.assigned.push_back(u);
    }
  }
  meta.created_us = meta.updated_us = now;

  auto refused = RefusedWrites(impl, rc, meta, {}, *validated, now / 1'000'000);
  if (!refused.empty()) {
    return impl.Refuse(rc, kAction, "", PermissionDenied("your role may not write some of these fields"),
                       refused, "field_write");
  }

  CommitRequest req;
  BRANKAS_ASSIGN_OR_RETURN(auto case_keys, impl.keys->CreateCaseKeys(meta.case_id, &req.batch));
  BRANKAS_RETURN_IF_ERROR(
      StageFieldWrites(impl, meta, rc, *validated, meta.version, now, &req.batch, &case_keys));
  BRANKAS_RETURN_IF_ERROR(StageStatisticsFacet(impl, meta, *validated, /*new_case=*/true, &req.batch));
  req.batch.Put(Column::kRecords, CaseMetaKey(meta.case_id), EncodeCaseMeta(meta));
  req.expectations.push_back({Column::kRecords, CaseMetaKey(meta.case_id), 0, meta.version});
  AuditEntry e = impl.Entry(rc, kAction, meta.case_id, "allow");
  e.fields = NamesOf(fields);
  e.rule = op.rule;
  req.audit.push_back(std::move(e));
  auto committed = impl.committer->Commit(std::move(req));
  if (!committed.ok()) return committed.status();
  return impl.Summarize(meta);
}

Result<CaseView> Vault::ReadCase(const RequestContext& rc, std::string_view case_id,
                                 const ReadOptions& options) {
  Impl& impl = *impl_;
  BRANKAS_RETURN_IF_ERROR(impl.RequireUnsealed());
  constexpr std::string_view kAction = "case.read";
  auto meta = impl.LoadCase(case_id);
  if (!meta.ok()) return impl.Refuse(rc, kAction, case_id, meta.status());
  if (meta->shredded) return impl.Refuse(rc, kAction, case_id, NotFound("the case was crypto-shredded"));
  BRANKAS_ASSIGN_OR_RETURN(auto grants, impl.GrantsOf(case_id));
  CaseContext ctx = impl.ContextOf(*meta);
  int64_t now_s = impl.NowSeconds();

  // Read decisions per class: unless the class's scope is `own`, a decision
  // does not depend on the field (only on its class), so it is made once.
  std::array<std::optional<Decision>, kFieldClassCount> by_class;
  auto decide = [&](FieldClass cls, std::string_view writer) -> const Decision& {
    auto& memo = by_class[static_cast<size_t>(cls)];
    if (impl.policy.FieldScope(rc.principal.role, cls, Action::kRead) == Scope::kOwn) {
      memo = impl.policy.Decide(rc.principal, Action::kRead, cls, ctx, grants, now_s, writer);
    } else if (!memo) {
      memo = impl.policy.Decide(rc.principal, Action::kRead, cls, ctx, grants, now_s, writer);
    }
    return *memo;
  };

  // Nothing about a case, not even which fields it holds, reaches someone
  // who may read no class of it.
  bool may_read_some_class = false;
  for (FieldClass cls : kAllFieldClasses) {
    if (decide(cls, rc.principal.user).allowed) {
      may_read_some_class = true;
      break;
    }
  }
  std::vector<std::string> wanted = options.fields;
  if (wanted.empty()) {
    wanted.reserve(meta->fields.size());
    for (const auto& [name, state] : meta->fields) wanted.push_back(name);
  }
  if (!may_read_some_class) {
    // The audit entry names what was asked for; the caller learns nothing.
    if (wanted.size() > impl.schema.fields().size()) wanted.resize(impl.schema.fields().size());
    for (auto& name : wanted) {
      if (impl.schema.Find(name) == nullptr) name = "(unknown)";
    }
    return impl.Refuse(rc, kAction, case_id, PermissionDenied("you may not read this case"), wanted,
                       "no_readable_class");
  }
  if (wanted.size() > impl.schema.fields().size()) {
    return impl.Refuse(rc, kAction, case_id, InvalidArgument("too many fields requested"));
  }

  // First every field's decision, then the keys of the classes to open (at
  // once), then the values.
  struct ToOpen {
    const std::string* name;
    const FieldDef* def;
    uint64_t version;
    Decision decision;
    bool unmask;
  };
  CaseView view;
  view.summary = impl.Summarize(*meta);
  std::vector<ToOpen> to_open;
  to_open.reserve(wanted.size());
  uint32_t classes = 0;
  for (const std::string& name : wanted) {
    const FieldDef* def = impl.schema.Find(name);
    if (def == nullptr) {
      return impl.Refuse(rc, kAction, case_id, InvalidArgument("unknown field requested"));
    }
    auto state = meta->fields.find(name);
    const bool is_set = state != meta->fields.end();
    Decision d = decide(def->cls, is_set ? std::string_view(state->second.writer) : std::string_view());
    // A field asked for by name is withheld whether or not it is set, so a
    // refusal does not tell whether it holds something.
    if (!is_set && d.allowed) continue;
    bool unmask = false;
    if (d.allowed && d.masked && options.unmask) {
      Decision u = impl.policy.DecideUnmask(rc.principal, def->cls, ctx, grants, now_s);
      if (u.allowed) {
        d = std::move(u);
        unmask = true;
      }
    }
    if (!d.allowed) {
      view.withheld.push_back(name);
      continue;
    }
    classes |= 1u << static_cast<unsigned>(def->cls);
    to_open.push_back({&name, def, state->second.version, std::move(d), unmask});
  }
  // A failure here falls back to OpenField's own lookup, which reports it.
  auto case_keys = impl.keys->DataKeys(case_id, classes);
  const KeyRing::CaseKeys* keys = case_keys.ok() ? &*case_keys : nullptr;

  // The versions read so far: stored bytes (in the map, so the views into them
  // stay put) and their fields as views.
  struct Record {
    std::string bytes;
    SealedFieldViews fields;
  };
  std::map<uint64_t, Record> records;
  std::vector<std::string> read_names, unmasked_names;
  std::set<std::string> grants_used;
  bool break_glass = false;
  std::string rule;
  for (ToOpen& f : to_open) {
    const std::string& name = *f.name;
    const Decision& d = f.decision;
    const uint64_t version = f.version;
    auto record = records.find(version);
    if (record == records.end()) {
      BRANKAS_ASSIGN_OR_RETURN(auto bytes, impl.store->Get(Column::kRecords, VersionKey(case_id, version)));
      if (!bytes) {
        return impl.Refuse(rc, kAction, case_id, Corruption("a version of the case is missing from the store"));
      }
      record = records.emplace(version, Record{std::move(*bytes), {}}).first;
      auto decoded = DecodeSealedFieldViews(record->second.bytes);
      if (!decoded.ok()) return impl.Refuse(rc, kAction, case_id, decoded.status());
      record->second.fields = std::move(*decoded);
    }
    const auto& fields = record->second.fields;
    auto sealed = std::find_if(fields.begin(), fields.end(), [&](const auto& kv) { return kv.first == name; });
    if (sealed == fields.end()) {
      return impl.Refuse(rc, kAction, case_id, Corruption("a field is missing from its version record"));
    }
    auto plain = impl.OpenField(*meta, *f.def, version, sealed->second, keys);
    if (!plain.ok()) return impl.Refuse(rc, kAction, case_id, plain.status(), {name});
    if (d.masked && !f.unmask) {
      view.fields[name] = MaskValue(*plain);
      view.masked.push_back(name);
    } else {
      view.fields[name] = std::move(*plain);
    }
    WipeString(*plain);
    (f.unmask ? unmasked_names : read_names).push_back(name);
    if (!d.grant_id.empty()) grants_used.insert(d.grant_id);
    break_glass = break_glass || d.break_glass;
    if (rule.empty() || !d.grant_id.empty()) rule = d.rule;
  }

  if (view.fields.empty() && !view.withheld.empty()) {
    return impl.Refuse(rc, kAction, case_id, PermissionDenied("you may not read this case"),
                       view.withheld, "field_read");
  }
  // The read is audited, durably, before any value leaves the vault.
  std::vector<AuditEntry> entries;
  if (!read_names.empty() || unmasked_names.empty()) {
    AuditEntry e = impl.Entry(rc, kAction, case_id, "allow");
    e.fields = read_names;
    e.rule = rule;
    for (const auto& g : grants_used) e.grant_id += (e.grant_id.empty() ? "" : ",") + g;
    e.flagged = break_glass;
    entries.push_back(std::move(e));
  }
  if (!unmasked_names.empty()) {
    AuditEntry u = impl.Entry(rc, "case.unmask", case_id, "allow");
    u.fields = unmasked_names;
    u.rule = "unmask";
    u.flagged = true;
    entries.push_back(std::move(u));
  }
  if (!view.withheld.empty()) {
    AuditEntry w = impl.Entry(rc, kAction, case_id, "deny");
    w.fields = view.withheld;
    w.rule = "field_read";
    entries.push_back(std::move(w));
  }
  Status audited = impl.AuditOnly(std::move(entries));
  if (!audited.ok()) {
    for (auto& [name, value] : view.fields) WipeString(value);
    return audited;
  }
  return view;
}

Result<CaseSummary> Vault::UpdateCase(const RequestContext& rc, std::string_view case_id,
                                      const FieldValues& fields, uint64_t expected_version) {
  Impl& impl = *impl_;
  BRANKAS_RETURN_IF_ERROR(impl.RequireUnsealed());
  constexpr std::string_view kAction = "case.update";
  auto meta = impl.LoadCase(case_id);
  if (!meta.ok()) return impl.Refuse(rc, kAction, case_id, meta.status(), NamesOf(fields));
  if (meta->shredded) return impl.Refuse(rc, kAction, case_id, NotFound("the case was crypto-shredded"));
  auto validated = impl.schema.ValidateWrite(fields);
  if (!validated.ok()) return impl.Refuse(rc, kAction, case_id, validated.status(), NamesOf(fields));
  BRANKAS_ASSIGN_OR_RETURN(auto grants, impl.GrantsOf(case_id));
  int64_t now = impl.now_us();
  auto refused = RefusedWrites(impl, rc, *meta, grants, *validated, now / 1'000'000);
  if (!refused.empty()) {
    return impl.Refuse(rc, kAction, case_id, PermissionDenied("you may not write some of these fields"),
                       refused, "field_write");
  }
  if (meta->closed) {
    return impl.Refuse(rc, kAction, case_id, FailedPrecondition("the case is closed: reopen it first"));
  }
  for (const auto& [def, value] : *validated) {
    if ((meta->shredded_classes & (1u << static_cast<unsigned>(def->cls))) != 0) {
      return impl.Refuse(rc, kAction, case_id,
                         FailedPrecondition("the class of a field was crypto-shredded in this case"),
                         {def->name});
    }
  }
  if (expected_version != meta->version) {
    return impl.Refuse(rc, kAction, case_id,
                       Conflict("the case changed since version " + std::to_string(expected_version) +
                                " (now " + std::to_string(meta->version) + ")"),
                       NamesOf(fields));
  }
  CommitRequest req;
  uint64_t base = meta->version;
  meta->version = base + 1;
  meta->updated_us = now;
  BRANKAS_RETURN_IF_ERROR(StageFieldWrites(impl, *meta, rc, *validated, meta->version, now, &req.batch));
  BRANKAS_RETURN_IF_ERROR(StageStatisticsFacet(impl, *meta, *validated, /*new_case=*/false, &req.batch));
  req.batch.Put(Column::kRecords, CaseMetaKey(case_id), EncodeCaseMeta(*meta));
  req.expectations.push_back({Column::kRecords, CaseMetaKey(case_id), base, meta->version});
  AuditEntry e = impl.Entry(rc, kAction, case_id, "allow");
  e.fields = NamesOf(fields);
  e.rule = "field_write";
  req.audit.push_back(std::move(e));
  auto committed = impl.committer->Commit(std::move(req));
  if (!committed.ok()) return committed.status();
  return impl.Summarize(*meta);
}

Result<std::vector<FieldVersion>> Vault::FieldHistory(const RequestContext& rc, std::string_view case_id,
                                                      std::string_view field) {
  Impl& impl = *impl_;
  BRANKAS_RETURN_IF_ERROR(impl.RequireUnsealed());
  constexpr std::string_view kAction = "case.history";
  auto meta = impl.LoadCase(case_id);
  if (!meta.ok()) return impl.Refuse(rc, kAction, case_id, meta.status());
  const FieldDef* def = impl.schema.Find(field);
  if (def == nullptr) return impl.Refuse(rc, kAction, case_id, InvalidArgument("unknown field"));
  std::vector<std::string> names = {def->name};
  if (meta->shredded || (meta->shredded_classes & (1u << static_cast<unsigned>(def->cls))) != 0) {
    return impl.Refuse(rc, kAction, case_id, NotFound("the field's class was crypto-shredded"), names);
  }
  BRANKAS_ASSIGN_OR_RETURN(auto grants, impl.GrantsOf(case_id));
  auto state = meta->fields.find(def->name);
  std::string writer = state == meta->fields.end() ? "" : state->second.writer;
  Decision d = impl.policy.Decide(rc.principal, Action::kRead, def->cls, impl.ContextOf(*meta), grants,
                                  impl.NowSeconds(), writer);
  if (!d.allowed) {
    return impl.Refuse(rc, kAction, case_id, PermissionDenied("you may not read this field"), names, d.rule);
  }
  std::vector<FieldVersion> versions;
  Status failure;
  const std::string prefix = VersionPrefix(case_id);
  Status scanned = impl.store->Scan(Column::kRecords, prefix, {}, [&](std::string_view k, std::string_view v) {
    if (k.size() != prefix.size() + 8 || versions.size() >= 10000) {
      failure = Corruption("malformed version key");
      return false;
    }
    auto record = DecodeSealedFields(v);
    if (!record.ok()) {
      failure = record.status();
      return false;
    }
    auto sealed = record->find(def->name);
    if (sealed == record->end()) return true;  // this version did not write the field
    FieldVersion fv;
    fv.version = GetBigEndian64(k.substr(prefix.size()));
    auto plain = impl.OpenField(*meta, *def, fv.version, sealed->second);
    if (!plain.ok()) {
      failure = plain.status();
      return false;
    }
    fv.value = d.masked ? MaskValue(*plain) : std::move(*plain);
    // Writer and time are kept for the field's current version only (in the
    // case meta); for earlier versions the audit trail holds them.
    if (state != meta->fields.end() && state->second.version == fv.version) {
      fv.writer = state->second.writer;
      fv.time_us = state->second.time_us;
    }
    versions.push_back(std::move(fv));
    return true;
  });
  if (!scanned.ok()) return impl.Refuse(rc, kAction, case_id, scanned, names);
  if (!failure.ok()) return impl.Refuse(rc, kAction, case_id, failure, names);
  AuditEntry e = impl.Entry(rc, kAction, case_id, "allow");
  e.fields = names;
  e.rule = d.rule;
  e.grant_id = d.grant_id;
  e.flagged = d.break_glass;
  Status audited = impl.AuditOnly({std::move(e)});
  if (!audited.ok()) return audited;
  return versions;
}

Result<std::vector<CaseSummary>> Vault::ListCases(const RequestContext& rc, bool assigned_to_me,
                                                  std::optional<Stage> stage, size_t limit) {
  Impl& impl = *impl_;
  BRANKAS_RETURN_IF_ERROR(impl.RequireUnsealed());
  constexpr std::string_view kAction = "case.list";
  limit = std::clamp<size_t>(limit, 1, 1000);
  std::vector<CaseSummary> out;
  Status failure;
  const bool pseudonymous = rc.principal.role == Role::kAuditor;
  Status scanned = impl.store->Scan(Column::kRecords, "m/", {}, [&](std::string_view, std::string_view v) {
    auto meta = DecodeCaseMeta(v);
    if (!meta.ok()) {
      failure = meta.status();
      return false;
    }
    if (meta->shredded) return true;
    if (stage && meta->stage != *stage) return true;
    const auto& who = meta->assigned;
    bool mine = meta->owner == rc.principal.user ||
                std::find(who.begin(), who.end(), rc.principal.user) != who.end();
    if (assigned_to_me && !mine) return true;
    CaseContext ctx = impl.ContextOf(*meta);
    std::vector<Grant> grants;
    if (rc.principal.role == Role::kLegal) {
      auto g = impl.GrantsOf(meta->case_id);
      if (g.ok()) grants = std::move(*g);
    }
    Decision d = impl.policy.DecideOperation(rc.principal, Policy::Operation::kListCases, &ctx, grants,
                                             impl.NowSeconds());
    if (!d.allowed) return true;
    CaseSummary s = impl.Summarize(*meta);
    if (pseudonymous) {
      auto pseudonym = impl.keys->BlindIndex("pseudonym", meta->case_id);
      if (!pseudonym.ok()) {
        failure = pseudonym.status();
        return false;
      }
      s.case_id = "P-" + ToHex(*pseudonym).substr(0, 20);
      s.owner.clear();
      s.assigned.clear();
    }
    out.push_back(std::move(s));
    return out.size() < limit;
  });
  if (!scanned.ok()) return impl.Refuse(rc, kAction, "", scanned);
  if (!failure.ok()) return impl.Refuse(rc, kAction, "", failure);
  AuditEntry e = impl.Entry(rc, kAction, "", "allow");
  e.rule = "list_cases";
  e.detail = "results=" + std::to_string(out.size());
  Status audited = impl.AuditOnly({std::move(e)});
  if (!audited.ok()) return audited;
  return out;
}

Result<std::vector<std::string>> Vault::Search(const RequestContext& rc, std::string_view field,
                                               std::string_view value) {
  Impl& impl = *impl_;
  BRANKAS_RETURN_IF_ERROR(impl.RequireUnsealed());
  constexpr std::string_view kAction = "case.search";
  const FieldDef* def = impl.schema.Find(field);
  if (def == nullptr || !def->indexed) {
    return impl.Refuse(rc, kAction, "", InvalidArgument("the field is unknown or has no search index"));
  }
  std::vector<std::string> names = {def->name};
  // Whether the role may search at all; each match is then checked against
  // the read decision for the field's class on that case.
  Decision op;
  op.allowed = impl.policy.OperationScope(rc.principal.role, Policy::Operation::kSearch) != Scope::kNever;
  op.rule = "operation:" + std::string(RoleName(rc.principal.role)) + ":search";
  if (!op.allowed) {
    return impl.Refuse(rc, kAction, "", PermissionDenied("your role may not search cases"), names, op.rule);
  }
  auto normalized = impl.schema.Normalize(*def, value);
  if (!normalized.ok()) return impl.Refuse(rc, kAction, "", normalized.status(), names);
  auto tag_result = impl.keys->BlindIndex(def->name, impl.schema.IndexForm(*def, *normalized));
  WipeString(*normalized);
  if (!tag_result.ok()) return tag_result.status();
  const std::string tag = *tag_result;
  std::vector<std::string> candidates;
  const std::string prefix = IndexPrefix(def->name, tag);
  BRANKAS_RETURN_IF_ERROR(impl.store->Scan(Column::kIndex, prefix, {}, [&](std::string_view k, std::string_view) {
    candidates.emplace_back(k.substr(prefix.size()));
    return candidates.size() < 1000;
  }));
  // Only cases whose field the caller could read are reported.
  std::vector<std::string> found;
  int64_t now_s = impl.NowSeconds();
  for (const auto& id : candidates) {
    auto meta = impl.LoadCase(id);
    if (!meta.ok() || meta->shredded) continue;
    auto grants = impl.GrantsOf(id);
    if (!grants.ok()) continue;
    auto state = meta->fields.find(def->name);
    std::string writer = state == meta->fields.end() ? "" : state->second.writer;
    Decision d = impl.policy.Decide(rc.principal, Action::kRead, def->cls, impl.ContextOf(*meta), *grants,
                                    now_s, writer);
    if (d.allowed) found.push_back(id);
  }
  AuditEntry e = impl.Entry(rc, kAction, "", "allow");
  e.fields = names;
  e.rule = op.rule;
  e.detail = "results=" + std::to_string(found.size());  // never the searched value
  Status audited = impl.AuditOnly({std::move(e)});
  if (!audited.ok()) return audited;
  return found;
}

}  // namespace brankas
