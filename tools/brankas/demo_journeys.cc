// The journeys of `brankas demo` (API.md; DOMAIN.md "Roles and default access"),
// walked with synthetic data through the real engine: every call below is
// authorized, encrypted and audited like a server request would be.
#include <algorithm>
#include <ctime>
#include <ostream>
#include <set>

#include "brankas/synth.h"
#include "demo.h"

namespace brankas::tools::demo {
namespace {

// The classes an intake officer may write (config/policy.toml [roles.intake]).
constexpr FieldClass kIntakeClasses[] = {
    FieldClass::kAdministrative, FieldClass::kIdentity, FieldClass::kContact, FieldClass::kIncident,
    FieldClass::kPerpetrator,    FieldClass::kServices, FieldClass::kConsent};
const std::vector<FieldClass> kGrantedClasses = {FieldClass::kIdentity, FieldClass::kIncident,
                                                 FieldClass::kLegalEvidence};
const std::vector<std::string> kTeam = {"rina", "dewi", "yudi"};

// A synthetic case split by who writes which part of it.
struct CaseParts {
  FieldValues intake, legal, psych, medical;
};

CaseParts SplitByWriter(const Schema& schema, const FieldValues& all) {
  CaseParts parts;
  for (const auto& [name, value] : all) {
    const FieldDef* def = schema.Find(name);
    if (def == nullptr) continue;
    if (std::find(std::begin(kIntakeClasses), std::end(kIntakeClasses), def->cls) !=
        std::end(kIntakeClasses)) {
      parts.intake.emplace(name, value);
    } else if (def->cls == FieldClass::kLegalEvidence) {
      parts.legal.emplace(name, value);
    } else if (def->cls == FieldClass::kPsychological) {
      parts.psych.emplace(name, value);
    } else if (def->cls == FieldClass::kMedical) {
      parts.medical.emplace(name, value);
    }
  }
  return parts;
}

// The generator's case carries little of the professionals' own work, so each
// adds a few synthetic notes of their class (kept if the generator has them).
void AddProfessionalNotes(CaseParts& parts, const FieldValues& all, int index) {
  const std::string date = all.count("report_date") ? all.at("report_date") : "2024-01-15";
  const std::string n = std::to_string(index + 1), year = date.substr(0, 4);
  parts.legal.insert({{"police_report_number", "LP/B/" + n + "/" + year + "/SPKT/SINTETIS"},
                      {"police_report_date", date},
                      {"lpsk_application", "applied"}});
  parts.psych.insert({{"assessment_date", date},
                      {"counselling_notes", "[DATA SINTETIS] Sesi konseling awal; anak tampak cemas. "
                                            "Sesi lanjutan setiap minggu."}});
  parts.medical.insert({{"visum_number", "VER/" + n + "/" + year + "/RS-SINTETIS"},
                        {"visum_date", date},
                        {"examination_findings", "[DATA SINTETIS] Pemeriksaan fisik umum; hasil dicatat "
                                                 "untuk visum et repertum."},
                        {"pregnancy_status", "not_applicable"}});
}

FieldClass ClassOf(const Vault& vault, const std::string& field) {
  const FieldDef* def = vault.schema().Find(field);
  return def == nullptr ? FieldClass::kAdministrative : def->cls;
}

// Prints the fields of a view, ordered by class, then name.
void PrintView(DemoContext& ctx, const CaseView& view) {
  std::vector<std::pair<FieldClass, std::string>> order;
  for (const auto& [name, value] : view.fields) order.emplace_back(ClassOf(ctx.vault, name), name);
  std::sort(order.begin(), order.end());
  Table table({"field", "class", "value"});
  for (const auto& [cls, name] : order) {
    bool masked = std::find(view.masked.begin(), view.masked.end(), name) != view.masked.end();
    table.Add({name, std::string(FieldClassName(cls)),
               Truncate(view.fields.at(name)) + (masked ? "   (masked)" : "")});
  }
  table.Print(ctx.out);
}

Status ExpectDenied(const Status& status, std::string_view what) {
  if (status.ok()) return Internal(std::string(what) + " was allowed, but the policy should deny it");
  if (status.code() != Code::kPermissionDenied) return Context(status, what);
  return Status::Ok();
}

// One user updates a case with the fields of their class, if there are any.
Status AddFields(DemoContext& ctx, DemoCase& c, std::string_view user, Role role,
                 const FieldValues& fields) {
  if (fields.empty()) return Status::Ok();
  auto updated = ctx.vault.UpdateCase(ctx.As(user, role), c.id, fields, c.version);
  if (!updated.ok()) return Context(updated.status(), std::string(user) + " updates " + c.id);
  c.version = updated->version;
  return Status::Ok();
}

Status ReadAsLegal(DemoContext& ctx, std::string_view when) {
  auto read = ctx.vault.ReadCase(ctx.As("polisi1", Role::kLegal), ctx.cases[0].id);
  BRANKAS_RETURN_IF_ERROR(ExpectDenied(read.status(), "polisi1 reading case 1 " + std::string(when)));
  ctx.out << "  polisi1 reads case 1 " << when << " -> " << CodeName(read.status().code()) << ": "
          << read.status().message() << "\n";
  return Status::Ok();
}

// polisi1 reads under the grant: only granted classes (and consent, which the
// policy opens to legal under any active grant) may appear.
Status ReadUnderGrant(DemoContext& ctx) {
  auto view = ctx.vault.ReadCase(ctx.As("polisi1", Role::kLegal), ctx.cases[0].id);
  if (!view.ok()) return Context(view.status(), "polisi1 reading case 1 under the grant");
  ctx.out << "  polisi1 reads case 1 under the grant:\n";
  PrintView(ctx, *view);
  std::set<std::string> seen;
  for (const auto& [name, value] : view->fields) {
    FieldClass cls = ClassOf(ctx.vault, name);
    bool granted = std::find(kGrantedClasses.begin(), kGrantedClasses.end(), cls) != kGrantedClasses.end();
    if (!granted && cls != FieldClass::kConsent) {
      return Internal("polisi1 saw field " + name + " outside the granted classes");
    }
    seen.insert(std::string(FieldClassName(cls)));
  }
  ctx.out << "  classes seen: " << JoinOrNone(std::vector<std::string>(seen.begin(), seen.end()))
          << (seen.count("consent") ? "  (consent: legal reads it under any active grant, by policy)" : "")
          << "\n  withheld: " << view->withheld.size() << " fields of other classes, by name only\n";
  return Status::Ok();
}

}  // namespace

Status RegisterCases(DemoContext& ctx) {
  Heading(ctx.out, 1, "Intake registers three synthetic cases; the supervisor assigns a team");
  ctx.out << "  ina (intake) writes the classes intake may write: administrative, identity, contact,\n"
             "  incident, perpetrator, services, consent. sri (supervisor) makes rina (case worker)\n"
             "  the owner and assigns dewi (psychologist) and yudi (medical). Then rina adds\n"
             "  legal_evidence (police report), dewi psychological (assessment, counselling notes)\n"
             "  and yudi medical (visum et repertum) fields, each to their own class only.\n\n";
  SyntheticGenerator gen(ctx.seed);
  Table table({"#", "case id", "registration no.", "fields ina/rina/dewi/yudi", "owner", "version"});
  for (int i = 0; i < 3; ++i) {
    FieldValues all = gen.NewCase();
    CaseParts parts = SplitByWriter(ctx.vault.schema(), all);
    AddProfessionalNotes(parts, all, i);
    auto created = ctx.vault.CreateCase(ctx.As("ina", Role::kIntake), parts.intake);
    if (!created.ok()) return Context(created.status(), "ina registers a case");
    DemoCase c{created->case_id, created->version, all.count("nik") ? all.at("nik") : ""};
    auto assigned = ctx.vault.AssignCase(ctx.As("sri", Role::kSupervisor), c.id, kTeam, "rina");
    if (!assigned.ok()) return Context(assigned.status(), "sri assigns " + c.id);
    c.version = assigned->version;
    BRANKAS_RETURN_IF_ERROR(AddFields(ctx, c, "rina", Role::kCaseWorker, parts.legal));
    BRANKAS_RETURN_IF_ERROR(AddFields(ctx, c, "dewi", Role::kPsychologist, parts.psych));
    BRANKAS_RETURN_IF_ERROR(AddFields(ctx, c, "yudi", Role::kMedical, parts.medical));
    std::string counts = std::to_string(parts.intake.size()) + "/" + std::to_string(parts.legal.size()) +
                         "/" + std::to_string(parts.psych.size()) + "/" + std::to_string(parts.medical.size());
    std::string reg = all.count("registration_number") ? all.at("registration_number") : "";
    table.Add({std::to_string(i + 1), c.id, reg, counts, assigned->owner, std::to_string(c.version)});
    ctx.cases.push_back(std::move(c));
  }
  table.Print(ctx.out);
  return Status::Ok();
}

Status OwnerReads(DemoContext& ctx) {
  Heading(ctx.out, 2, "rina, the case owner, reads case 1");
  auto view = ctx.vault.ReadCase(ctx.As("rina", Role::kCaseWorker), ctx.cases[0].id);
  if (!view.ok()) return Context(view.status(), "rina reading case 1");
  PrintView(ctx, *view);
  PrintList(ctx.out, "withheld", view->withheld);
  return Status::Ok();
}

Status PsychologistReads(DemoContext& ctx) {
  Heading(ctx.out, 3, "dewi, the psychologist, reads case 1");
  auto view = ctx.vault.ReadCase(ctx.As("dewi", Role::kPsychologist), ctx.cases[0].id);
  if (!view.ok()) return Context(view.status(), "dewi reading case 1");
  PrintView(ctx, *view);
  PrintList(ctx.out, "withheld (names only, never values)", view->withheld);
  return Status::Ok();
}

Status SupervisorReads(DemoContext& ctx) {
  Heading(ctx.out, 4, "sri, the supervisor, reads case 1: identity and contact are masked");
  auto view = ctx.vault.ReadCase(ctx.As("sri", Role::kSupervisor), ctx.cases[0].id);
  if (!view.ok()) return Context(view.status(), "sri reading case 1");
  PrintView(ctx, *view);
  ReadOptions unmask;
  for (const char* name : {"name", "nik", "shelter_location"}) {
    if (std::find(view->masked.begin(), view->masked.end(), name) != view->masked.end()) {
      unmask.fields.emplace_back(name);
    }
  }
  if (unmask.fields.empty()) return Internal("sri's read of case 1 masked none of name, nik, shelter_location");
  unmask.unmask = true;
  ctx.out << "\n  sri explicitly unmasks " << JoinOrNone(unmask.fields) << ":\n";
  auto clear = ctx.vault.ReadCase(ctx.As("sri", Role::kSupervisor), ctx.cases[0].id, unmask);
  if (!clear.ok()) return Context(clear.status(), "sri unmasking case 1");
  PrintView(ctx, *clear);
  ctx.out << "  the unmasking is its own audit entry (case.unmask), flagged for review.\n";
  return Status::Ok();
}

Status OtherWorkerDenied(DemoContext& ctx) {
  Heading(ctx.out, 5, "agus, a case worker not assigned to case 1, tries to read it");
  auto read = ctx.vault.ReadCase(ctx.As("agus", Role::kCaseWorker), ctx.cases[0].id);
  BRANKAS_RETURN_IF_ERROR(ExpectDenied(read.status(), "agus reading case 1"));
  ctx.out << "  -> " << CodeName(read.status().code()) << ": " << read.status().message()
          << "\n  (he learns nothing about the case, not even which fields it holds; the attempt is audited)\n";
  return Status::Ok();
}

Status LegalGrantJourney(DemoContext& ctx) {
  Heading(ctx.out, 6, "The police (polisi1) get a scoped, approved, revocable grant");
  BRANKAS_RETURN_IF_ERROR(ReadAsLegal(ctx, "without a grant"));
  const int64_t now = static_cast<int64_t>(std::time(nullptr));
  GrantRequest request{ctx.cases[0].id, "polisi1", Role::kLegal, kGrantedClasses, now - 1, now + 30 * 86400,
                       "court_order:PN-KPG/12/Pid.Sus-Anak/SINTETIS"};
  auto grant = ctx.vault.RequestGrant(ctx.As("rina", Role::kCaseWorker), request);
  if (!grant.ok()) return Context(grant.status(), "rina requesting a grant");
  std::vector<std::string> classes;
  for (FieldClass c : grant->classes) classes.emplace_back(FieldClassName(c));
  ctx.out << "  rina (owner) requests grant " << grant->id << " for polisi1: " << JoinOrNone(classes)
          << "\n    legal basis " << grant->legal_basis << ", 30 days, needs " << grant->required_approvals
          << " supervisor approvals\n";
  auto first = ctx.vault.ApproveGrant(ctx.As("sri", Role::kSupervisor), grant->id);
  if (!first.ok()) return Context(first.status(), "sri approving the grant");
  ctx.out << "  sri approves (" << first->ApprovalCount() << " of " << first->required_approvals << ")\n";
  BRANKAS_RETURN_IF_ERROR(ReadAsLegal(ctx, "with one approval"));
  auto second = ctx.vault.ApproveGrant(ctx.As("tono", Role::kSupervisor), grant->id);
  if (!second.ok()) return Context(second.status(), "tono approving the grant");
  ctx.out << "  tono approves (" << second->ApprovalCount() << " of " << second->required_approvals
          << "): the grant is active\n";
  BRANKAS_RETURN_IF_ERROR(ReadUnderGrant(ctx));
  auto revoked = ctx.vault.RevokeGrant(ctx.As("sri", Role::kSupervisor), grant->id);
  if (!revoked.ok()) return Context(revoked.status(), "sri revoking the grant");
  ctx.out << "  sri revokes grant " << grant->id << "\n";
  return ReadAsLegal(ctx, "after the revocation");
}

Status SearchByNik(DemoContext& ctx) {
  Heading(ctx.out, 7, "Search by NIK through the blind index");
  const DemoCase& target = ctx.cases[0];
  if (target.nik.empty()) return Internal("the synthetic case 1 has no NIK");
  auto found = ctx.vault.Search(ctx.As("rina", Role::kCaseWorker), "nik", target.nik);
  if (!found.ok()) return Context(found.status(), "rina searching by NIK");
  if (std::find(found->begin(), found->end(), target.id) == found->end()) {
    return Internal("the NIK search did not find case 1");
  }
  ctx.out << "  rina searches nik = " << target.nik << " -> " << JoinOrNone(*found) << "\n"
          << "  the index holds only a keyed BLAKE2b tag of the NIK; the audit entry names the field\n"
          << "  and the number of results, never the value searched for.\n";
  auto other = ctx.vault.Search(ctx.As("agus", Role::kCaseWorker), "nik", target.nik);
  if (!other.ok()) return Context(other.status(), "agus searching by NIK");
  if (!other->empty()) return Internal("agus found cases he is not assigned to");
  ctx.out << "  agus searches the same NIK -> no result: matches he may not read are not reported.\n";
  return Status::Ok();
}

Status AuditorReview(DemoContext& ctx) {
  Heading(ctx.out, 8, "audit1, the auditor, reviews the trail of case 1 and verifies the chain");
  AuditFilter filter;
  filter.case_id = ctx.cases[0].id;
  filter.limit = kMaxAuditQueryLimit;
  auto entries = ctx.vault.QueryAudit(ctx.As("audit1", Role::kAuditor), filter);
  if (!entries.ok()) return Context(entries.status(), "audit1 querying the audit trail");
  Table table({"seq", "time (UTC)", "actor", "role", "action", "decision", "fields", "grant", "flagged"});
  for (const AuditEntry& e : *entries) {
    table.Add({std::to_string(e.seq), ClockTime(e.time_us), e.actor, e.role, e.action, e.decision,
               std::to_string(e.fields.size()), e.grant_id.empty() ? "-" : e.grant_id,
               e.flagged ? "FLAGGED" : ""});
  }
  table.Print(ctx.out);
  ctx.out << "  " << entries->size() << " entries for case 1; field names only, never a value.\n";
  auto report = ctx.vault.VerifyAudit(ctx.As("audit1", Role::kAuditor));
  if (!report.ok()) return Context(report.status(), "audit1 verifying the audit chain");
  if (!report->intact) {
    return Corruption("audit chain BROKEN at sequence " + std::to_string(report->first_bad_seq) + ": " +
                      report->problem);
  }
  ctx.out << "  VerifyAudit: intact (" << report->entries << " entries, " << report->checkpoints
          << " signed checkpoints, signed head verified)\n";
  return Status::Ok();
}

void WhatNext(DemoContext& ctx) {
  Heading(ctx.out, 9, "What to try next");
  ctx.out << "  verify the chain offline (the vault closed):\n"
          << "    brankas audit verify --data-dir " << ctx.data_dir << "\n"
          << "    brankas audit verify --data-dir " << ctx.data_dir << " --json\n"
          << "  measure the engine (its own fresh data directory):\n"
          << "    brankas-bench --workload create --concurrency 16 --seconds 10 --data-dir /tmp/brankas-bench\n"
          << "    (workloads: create, read, update, mixed; add --json for one JSON object)\n"
          << "  run the demo again on the same directory: it adds three more cases.\n";
}

}  // namespace brankas::tools::demo
