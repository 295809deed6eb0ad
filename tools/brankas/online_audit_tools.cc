// The auditor's tools (issue #5; server/api_audit_tools.h):
//
// brankas audit review [--json]
//   GET /v1/audit/review: flagged entries (break-glass grants, reads under
//   them, unmasking, shredding) not yet reviewed.
// brankas audit review SEQ --outcome justified|unjustified [--note-file F] [--json]
//   POST /v1/audit/review/SEQ: records the review as a new audit entry. The
//   note (at most 4096 bytes of UTF-8) is sent, but the server keeps only its
//   length: its text may hold case data.
// brankas audit anomalies [--from T] [--to T] [--json]
//   GET /v1/audit/anomalies: bulk reads, reads outside working hours,
//   repeated denials, reads of shelter locations; default the last 24 hours.
// brankas audit touched (--actor U | --grant G | --from T --to T) [--json]
//   GET /v1/audit/touched: every case and field an actor, a grant or a
//   window touched, with read/write/deny counts and first/last times.
//
// T is unix seconds or ISO 8601: 2024-05-06, 2024-05-06T14:00[:SS], with Z or
// +HH:MM (no zone: UTC). Tables by default; --json prints the server's answer.
// Exit codes: 0 ok, 1 the server refused, 2 usage or I/O.
#include <ctime>
#include <fstream>
#include <iostream>
#include <sstream>

#include "brankas/crypto.h"
#include "demo.h"
#include "offline_commands.h"
#include "online_commands.h"

namespace brankas::tools {
namespace {

constexpr size_t kMaxNoteBytes = 4096;

struct ToolArgs {
  CommonArgs common;
  // review
  uint64_t seq = 0;
  std::string outcome, note_file;
  // anomalies, touched
  std::string from, to;
  std::string actor, grant;
};

using demo::Cell;

int64_t Int(const Json& j, const char* key) {
  return j.contains(key) && j[key].is_number_integer() ? j[key].get<int64_t>() : 0;
}

std::string TimeOfUs(int64_t us) { return us == 0 ? "-" : FormatUnixTime(us / 1'000'000); }

// Unix seconds, or ISO 8601 (date, date and time, optional Z or +HH:MM).
bool ParseTimeArg(const std::string& text, int64_t* out) {
  if (text.empty()) return false;
  if (text.find_first_not_of("0123456789") == std::string::npos) {
    if (text.size() > 12) return false;
    *out = std::stoll(text);
    return true;
  }
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  size_t pos = 0;
  auto number = [&](size_t digits, int* v) {
    if (pos + digits > text.size()) return false;
    int x = 0;
    for (size_t i = 0; i < digits; ++i) {
      char c = text[pos + i];
      if (c < '0' || c > '9') return false;
      x = x * 10 + (c - '0');
    }
    *v = x;
    pos += digits;
    return true;
  };
  auto sep = [&](char c) {
    if (pos < text.size() && text[pos] == c) {
      ++pos;
      return true;
    }
    return false;
  };
  if (!number(4, &y) || !sep('-') || !number(2, &mo) || !sep('-') || !number(2, &d)) return false;
  if (pos < text.size() && (text[pos] == 'T' || text[pos] == ' ')) {
    ++pos;
    if (!number(2, &h) || !sep(':') || !number(2, &mi)) return false;
    if (sep(':') && !number(2, &s)) return false;
  }
  int offset = 0;
  if (pos < text.size()) {
    if (text[pos] == 'Z' && pos + 1 == text.size()) {
      ++pos;
    } else if (text[pos] == '+' || text[pos] == '-') {
      const int sign = text[pos] == '-' ? -1 : 1;
      ++pos;
      int oh = 0, om = 0;
      if (!number(2, &oh) || !sep(':') || !number(2, &om) || oh > 14 || om > 59) return false;
      offset = sign * (oh * 3600 + om * 60);
    }
  }
  if (pos != text.size() || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 59) return false;
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = s;
  const time_t t = timegm(&tm);
  if (t < 0) return false;
  *out = static_cast<int64_t>(t) - offset;
  return true;
}

// The from/to pair as query parameters; false (after a message) on a bad time.
bool WindowParams(const std::string& verb, const ToolArgs& a, std::vector<std::pair<std::string, std::string>>* q) {
  for (const auto& [name, text] : {std::pair{"from", &a.from}, {"to", &a.to}}) {
    if (text->empty()) continue;
    int64_t t = 0;
    if (!ParseTimeArg(*text, &t)) {
      std::cerr << "brankas audit " << verb << ": --" << name
                << " is unix seconds or ISO 8601 (2024-05-06, 2024-05-06T14:00:00+07:00)\n";
      return false;
    }
    q->emplace_back(name, std::to_string(t));
  }
  return true;
}

void PrintScanNote(const std::string& verb, const Json& j) {
  if (j.value("capped", false)) {
    std::cerr << "brankas audit " << verb << ": " << Printable(Text(j, "note")) << " (scanned seq "
              << Text(j, "scanned_from_seq") << " to " << Text(j, "scanned_to_seq") << ")\n";
  }
}

// --- review ----------------------------------------------------------------------
int RunReviewQueue(const ToolArgs& a) {
  int code = kExitOk;
  auto conn = Connection::Open("audit review", a.common, Auth::kToken, &code);
  if (!conn) return code;
  Reply reply;
  code = conn->Call("GET", "/v1/audit/review", {}, &reply);
  if (code != kExitOk) return code;
  if (conn->json()) return conn->PrintRaw(reply);
  const Json& items = reply.json.contains("pending") ? reply.json["pending"] : Json::array();
  if (items.empty()) {
    std::cout << "No flagged entries wait for review (" << Text(reply.json, "reviewed") << " reviewed, "
              << Text(reply.json, "scanned") << " entries scanned).\n";
  } else {
    std::cout << Cell("SEQ", 7) << Cell("TIME (UTC)", 19) << Cell("ACTOR", 18) << Cell("ROLE", 11)
              << Cell("ACTION", 17) << Cell("CASE", 26) << Cell("GRANT", 28) << "DETAIL\n";
    for (const Json& e : items) {
      std::string case_id = Text(e, "case_id"), grant = Text(e, "grant_id");
      std::cout << Cell(Text(e, "seq"), 7) << Cell(TimeOfUs(Int(e, "time_us")).substr(0, 19), 19)
                << Cell(Text(e, "actor"), 18) << Cell(Text(e, "role"), 11) << Cell(Text(e, "action"), 17)
                << Cell(case_id.empty() ? "-" : case_id, 26) << Cell(grant.empty() ? "-" : grant, 28)
                << Printable(Text(e, "detail")) << "\n";
    }
    std::cout << items.size() << " flagged entr" << (items.size() == 1 ? "y waits" : "ies wait")
              << " for review; record one with: brankas audit review SEQ --outcome justified|unjustified\n";
  }
  PrintScanNote("review", reply.json);
  return kExitOk;
}

int RunReview(const ToolArgs& a) {
  if (a.seq == 0) {
    if (!a.outcome.empty() || !a.note_file.empty()) {
      std::cerr << "brankas audit review: --outcome and --note-file need the SEQ of the flagged entry\n";
      return kExitUsage;
    }
    return RunReviewQueue(a);
  }
  if (a.outcome.empty()) {
    std::cerr << "brankas audit review: give --outcome justified|unjustified\n";
    return kExitUsage;
  }
  std::string note;
  if (!a.note_file.empty()) {
    std::ifstream in(a.note_file, std::ios::binary);
    if (!in.is_open()) {
      std::cerr << "brankas audit review: cannot read " << a.note_file << "\n";
      return kExitUsage;
    }
    std::ostringstream ss;
    ss << in.rdbuf();
    note = ss.str();
    if (note.size() > kMaxNoteBytes) {
      WipeString(note);
      std::cerr << "brankas audit review: the note is longer than " << kMaxNoteBytes << " bytes\n";
      return kExitUsage;
    }
  }
  Json body{{"outcome", a.outcome}};
  if (!a.note_file.empty()) body["note"] = note;
  WipeString(note);
  auto text = DumpJson(body);
  body = Json();
  if (!text.ok()) {
    std::cerr << "brankas audit review: the note is not valid UTF-8\n";
    return kExitUsage;
  }
  int code = kExitOk;
  auto conn = Connection::Open("audit review", a.common, Auth::kToken, &code);
  if (!conn) {
    WipeString(*text);
    return code;
  }
  Reply reply;
  code = conn->Call("POST", "/v1/audit/review/" + std::to_string(a.seq), *text, &reply);
  WipeString(*text);
  if (code != kExitOk) return code;
  if (conn->json()) return conn->PrintRaw(reply);
  std::cout << "Reviewed audit entry " << Text(reply.json, "reviewed_seq") << " (" << Text(reply.json, "action")
            << " by " << Text(reply.json, "actor") << ", case " << Text(reply.json, "case_id")
            << "): " << Text(reply.json, "outcome") << ". The review is in the audit trail";
  if (Int(reply.json, "note_bytes") > 0) {
    std::cout << " with the note's length (" << Text(reply.json, "note_bytes") << " bytes), not its text";
  }
  std::cout << ".\n";
  return kExitOk;
}

// --- anomalies -----------------------------------------------------------------------
const char* KindTitle(const std::string& kind) {
  if (kind == "bulk_reads") return "bulk reads";
  if (kind == "outside_hours") return "outside hours";
  if (kind == "repeated_denials") return "repeated denials";
  if (kind == "shelter_reads") return "shelter reads";
  return "other";
}

std::string JoinNumbers(const Json& array) {
  std::string out;
  if (!array.is_array()) return "-";
  for (const Json& v : array) {
    if (!v.is_number_integer()) continue;
    out += (out.empty() ? "" : ",") + std::to_string(v.get<int64_t>());
  }
  return out.empty() ? "-" : out;
}

int RunAnomalies(const ToolArgs& a) {
  std::vector<std::pair<std::string, std::string>> q;
  if (!WindowParams("anomalies", a, &q)) return kExitUsage;
  int code = kExitOk;
  auto conn = Connection::Open("audit anomalies", a.common, Auth::kToken, &code);
  if (!conn) return code;
  Reply reply;
  code = conn->Call("GET", "/v1/audit/anomalies" + QueryString(q), {}, &reply);
  if (code != kExitOk) return code;
  if (conn->json()) return conn->PrintRaw(reply);
  const Json& j = reply.json;
  const Json& th = j.contains("thresholds") ? j["thresholds"] : Json::object();
  std::cout << "Anomalies of unit " << Text(j, "unit") << " from " << FormatUnixTime(Int(j, "from")) << " to "
            << FormatUnixTime(Int(j, "to")) << " (" << Text(j, "scanned") << " entries scanned)\n"
            << "thresholds: > " << Text(th, "bulk_reads_per_hour") << " cases an hour; working hours "
            << Text(th, "working_hours") << " at UTC" << Text(th, "utc_offset") << "; >= "
            << Text(th, "denials_threshold") << " denials in " << Text(th, "denials_window_minutes")
            << " min; shelter fields " << JoinArray(th.value("shelter_fields", Json::array())) << "\n";
  const Json& findings = j.contains("findings") ? j["findings"] : Json::array();
  if (findings.empty()) {
    std::cout << "No anomalies found.\n";
  } else {
    std::cout << Cell("KIND", 16) << Cell("ACTOR", 20) << Cell("COUNT", 6) << Cell("CASES", 6)
              << Cell("FIRST (UTC)", 20) << Cell("LAST (UTC)", 20) << "EXAMPLE SEQS\n";
    for (const Json& f : findings) {
      std::string actor = Text(f, "actor");
      if (actor.empty()) actor = "(no user) " + Text(f, "client");
      std::cout << Cell(KindTitle(Text(f, "kind")), 16) << Cell(Printable(actor), 20) << Cell(Text(f, "count"), 6)
                << Cell(Text(f, "cases"), 6) << Cell(TimeOfUs(Int(f, "first_us")), 20)
                << Cell(TimeOfUs(Int(f, "last_us")), 20) << JoinNumbers(f.value("example_seqs", Json::array()))
                << "\n";
      const Json& ids = f.value("case_ids", Json::array());
      if (!ids.empty()) {
        std::cout << "    cases: " << JoinArray(ids);
        if (Int(f, "cases") > static_cast<int64_t>(ids.size())) std::cout << ", …";
        std::cout << "\n";
      }
    }
    std::cout << findings.size() << " finding" << (findings.size() == 1 ? "" : "s") << ".\n";
  }
  PrintScanNote("anomalies", j);
  return kExitOk;
}

// --- touched ---------------------------------------------------------------------------
int RunTouched(const ToolArgs& a) {
  if (a.actor.empty() && a.grant.empty() && (a.from.empty() || a.to.empty())) {
    std::cerr << "brankas audit touched: give --actor USER, --grant GRANT_ID, or a window --from T --to T\n";
    return kExitUsage;
  }
  std::vector<std::pair<std::string, std::string>> q = {{"actor", a.actor}, {"grant", a.grant}};
  if (!WindowParams("touched", a, &q)) return kExitUsage;
  int code = kExitOk;
  auto conn = Connection::Open("audit touched", a.common, Auth::kToken, &code);
  if (!conn) return code;
  Reply reply;
  code = conn->Call("GET", "/v1/audit/touched" + QueryString(q), {}, &reply);
  if (code != kExitOk) return code;
  if (conn->json()) return conn->PrintRaw(reply);
  const Json& j = reply.json;
  std::string who;
  if (!a.actor.empty()) who += "user " + a.actor;
  if (!a.grant.empty()) who += (who.empty() ? "" : ", ") + ("grant " + a.grant);
  if (j.contains("from")) {
    who += (who.empty() ? "" : ", ") + ("from " + FormatUnixTime(Int(j, "from")) + " to " + FormatUnixTime(Int(j, "to")));
  }
  const Json& cases = j.contains("cases") ? j["cases"] : Json::array();
  std::cout << "Touched by " << Printable(who) << ": " << Text(j, "total_cases") << " case"
            << (Int(j, "total_cases") == 1 ? "" : "s") << " in " << Text(j, "entries") << " audit entries ("
            << Text(j, "scanned") << " scanned)\n";
  if (!cases.empty()) {
    std::cout << Cell("CASE", 26) << Cell("READS", 6) << Cell("WRITES", 6) << Cell("DENIES", 6) << Cell("OTHER", 6)
              << Cell("FIRST (UTC)", 20) << Cell("LAST (UTC)", 20) << "CLASSES READ OR WRITTEN\n";
    for (const Json& c : cases) {
      std::cout << Cell(Text(c, "case_id"), 26) << Cell(Text(c, "reads"), 6) << Cell(Text(c, "writes"), 6)
                << Cell(Text(c, "denies"), 6) << Cell(Text(c, "other"), 6) << Cell(TimeOfUs(Int(c, "first_us")), 20)
                << Cell(TimeOfUs(Int(c, "last_us")), 20) << JoinArray(c.value("classes", Json::array())) << "\n";
      // Field names (never values): those read or written, then those only refused.
      std::string touched_fields, denied_fields;
      for (const Json& f : c.value("fields", Json::array())) {
        std::string* list = Int(f, "reads") + Int(f, "writes") > 0 ? &touched_fields : &denied_fields;
        *list += (list->empty() ? "" : ", ") + Printable(Text(f, "field"));
      }
      if (!touched_fields.empty()) std::cout << "    fields: " << touched_fields << "\n";
      if (!denied_fields.empty()) std::cout << "    refused: " << denied_fields << "\n";
      const Json& actors = c.value("actors", Json::array());
      if (a.actor.empty() && !actors.empty()) std::cout << "    by: " << JoinArray(actors) << "\n";
    }
    if (j.value("cases_truncated", false)) std::cout << "(more cases than listed: narrow the query)\n";
    std::cout << "Per field counts and times: --json.\n";
  }
  const Json& classes = j.contains("classes") ? j["classes"] : Json::array();
  if (!classes.empty()) {
    std::cout << "By class:";
    for (const Json& c : classes) {
      std::cout << " " << Text(c, "class") << " (" << Text(c, "cases") << " case" << (Int(c, "cases") == 1 ? "" : "s")
                << ", " << Text(c, "reads") << " reads, " << Text(c, "writes") << " writes, " << Text(c, "denies")
                << " denied)";
    }
    std::cout << "\n";
  }
  PrintScanNote("touched", j);
  return kExitOk;
}

}  // namespace

void AddAuditToolVerbs(CLI::App* audit, int* exit_code) {
  auto review = std::make_shared<ToolArgs>();
  CLI::App* r = audit->add_subcommand(
      "review", "The break-glass review queue; with SEQ and --outcome, record a review (auditors)");
  AddCommonOptions(r, &review->common);
  r->add_option("seq", review->seq, "The flagged entry's sequence number")->check(CLI::PositiveNumber);
  r->add_option("--outcome", review->outcome, "justified or unjustified")
      ->check(CLI::IsMember({"justified", "unjustified"}));
  r->add_option("--note-file", review->note_file,
                "A note (<= 4096 bytes); only its length is kept in the audit trail");
  r->callback([review, exit_code] { *exit_code = RunReview(*review); });

  auto anomalies = std::make_shared<ToolArgs>();
  CLI::App* an = audit->add_subcommand(
      "anomalies", "Bulk reads, reads outside working hours, repeated denials, shelter-location reads");
  AddCommonOptions(an, &anomalies->common);
  an->add_option("--from", anomalies->from, "From (unix seconds or ISO 8601; default 24 hours before --to)");
  an->add_option("--to", anomalies->to, "To (unix seconds or ISO 8601; default now)");
  an->callback([anomalies, exit_code] { *exit_code = RunAnomalies(*anomalies); });

  auto touched = std::make_shared<ToolArgs>();
  CLI::App* t = audit->add_subcommand(
      "touched", "Every case and field a user, a grant or a time window touched (a breach answer)");
  AddCommonOptions(t, &touched->common);
  t->add_option("--actor", touched->actor, "The user");
  t->add_option("--grant", touched->grant, "The grant id");
  t->add_option("--from", touched->from, "From (unix seconds or ISO 8601)");
  t->add_option("--to", touched->to, "To (unix seconds or ISO 8601)");
  t->callback([touched, exit_code] { *exit_code = RunTouched(*touched); });
}

}  // namespace brankas::tools
