// brankas audit query [--case ID] [--actor U] [--action A] [--decision allow|deny]
//                     [--from UNIX] [--to UNIX] [--after SEQ] [--limit N] [--all]
//   GET /v1/audit. One page by default (the server's JSON unchanged with
//   --json). --all follows `next_after` until the trail is exhausted, printing
//   as it goes (with --json one object {"entries":[...]} streamed out), with a
//   progress line on stderr when stderr is a terminal; bounded by kMaxPages.
// brankas audit verify (no --data-dir)
//   GET /v1/audit/verify: the live chain, verified by the server. Exit 0
//   intact, 3 broken.
#include <unistd.h>

#include <iostream>

#include "demo.h"
#include "offline_commands.h"
#include "online_commands.h"

namespace brankas::tools {
namespace {

constexpr int kMaxPages = 100'000;
constexpr int kDefaultAllPageSize = 1000;

struct QueryArgs {
  CommonArgs common;
  std::string case_id, actor, action, decision;
  int64_t from = 0, to = 0, after = 0;
  int limit = 0;
  bool all = false;
};

using demo::Cell;

void PrintHeader() {
  std::cout << Cell("SEQ", 7) << Cell("TIME (UTC)", 19) << Cell("ACTOR", 18) << Cell("ROLE", 12) << Cell("ACTION", 22)
            << Cell("CASE", 26) << Cell("DECISION", 8) << "RULE / DETAIL\n";
}

void PrintRow(const Json& e) {
  int64_t us = e.contains("time_us") && e["time_us"].is_number_integer() ? e["time_us"].get<int64_t>() : 0;
  std::string note = Text(e, "rule");
  std::string detail = Text(e, "detail");
  if (!detail.empty()) note += (note.empty() ? "" : " ") + ("[" + detail + "]");
  if (e.value("flagged", false)) note = "FLAGGED " + note;
  std::string actor = Text(e, "actor");
  std::string case_id = Text(e, "case_id");
  std::cout << Cell(Text(e, "seq"), 7) << Cell(FormatUnixTime(us / 1'000'000).substr(0, 19), 19)
            << Cell(actor.empty() ? "-" : actor, 18) << Cell(Text(e, "role"), 12) << Cell(Text(e, "action"), 22)
            << Cell(case_id.empty() ? "-" : case_id, 26) << Cell(Text(e, "decision"), 8) << Printable(note) << "\n";
}

std::string Target(const QueryArgs& a, int64_t after, int limit) {
  return "/v1/audit" + QueryString({{"case", a.case_id},
                                    {"actor", a.actor},
                                    {"action", a.action},
                                    {"decision", a.decision},
                                    {"from", a.from > 0 ? std::to_string(a.from) : ""},
                                    {"to", a.to > 0 ? std::to_string(a.to) : ""},
                                    {"after", after > 0 ? std::to_string(after) : ""},
                                    {"limit", limit > 0 ? std::to_string(limit) : ""}});
}

int64_t NextAfter(const Json& page) {
  return page.contains("next_after") && page["next_after"].is_number_integer() ? page["next_after"].get<int64_t>() : 0;
}

int RunQuery(const QueryArgs& a) {
  int code = kExitOk;
  // With --all the output is assembled here: an error object must not land
  // in the middle of the streamed JSON, so the connection prints text only.
  const bool json = a.common.json;
  CommonArgs common = a.common;
  if (a.all) common.json = false;
  auto conn = Connection::Open("audit query", common, Auth::kToken, &code);
  if (!conn) return code;
  if (!a.all) {
    Reply reply;
    code = conn->Call("GET", Target(a, a.after, a.limit), {}, &reply);
    if (code != kExitOk) return code;
    if (conn->json()) return conn->PrintRaw(reply);
    const Json& entries = reply.json.contains("entries") ? reply.json["entries"] : Json::array();
    if (entries.empty()) {
      std::cout << "No audit entries match.\n";
      return kExitOk;
    }
    PrintHeader();
    for (const Json& e : entries) PrintRow(e);
    std::cout << entries.size() << " entr" << (entries.size() == 1 ? "y" : "ies");
    if (int64_t next = NextAfter(reply.json); next > 0) {
      std::cout << "; more follow: --after " << next << " for the next page, or --all";
    }
    std::cout << ".\n";
    return kExitOk;
  }

  // --all: page through, printing as each page arrives.
  const bool progress = isatty(STDERR_FILENO) != 0;
  const int page_size = a.limit > 0 ? a.limit : kDefaultAllPageSize;
  int64_t after = a.after;
  uint64_t total = 0;
  bool complete = false;
  if (json) std::cout << "{\"entries\":[";
  for (int page = 0; page < kMaxPages; ++page) {
    Reply reply;
    code = conn->Call("GET", Target(a, after, page_size), {}, &reply);
    if (code != kExitOk) break;
    const Json& entries = reply.json.contains("entries") ? reply.json["entries"] : Json::array();
    for (const Json& e : entries) {
      if (json) {
        std::cout << (total == 0 ? "" : ",") << e.dump(-1, ' ', false, Json::error_handler_t::replace);
      } else {
        if (total == 0) PrintHeader();
        PrintRow(e);
      }
      ++total;
    }
    const int64_t next = NextAfter(reply.json);
    if (progress) std::cerr << "\rbrankas audit query: " << total << " entries fetched" << std::flush;
    if (next <= after || entries.empty()) {  // done (or a server that does not move on)
      complete = next == 0;
      break;
    }
    after = next;
  }
  if (json) std::cout << "]}\n";
  if (progress) std::cerr << "\n";
  if (code != kExitOk) {
    std::cerr << "brankas audit query: stopped after " << total << " entries (continue with --after " << after << ")\n";
    return code;
  }
  if (!complete) {
    std::cerr << "brankas audit query: stopped after " << total << " entries; continue with --after " << after << "\n";
  }
  if (!json) std::cout << total << " entr" << (total == 1 ? "y" : "ies") << ".\n";
  return kExitOk;
}

}  // namespace

int RunOnlineAuditVerify(const CommonArgs& args) {
  int code = kExitOk;
  auto conn = Connection::Open("audit verify", args, Auth::kToken, &code);
  if (!conn) return code;
  Reply reply;
  code = conn->Call("GET", "/v1/audit/verify", {}, &reply);
  if (code != kExitOk) return code;
  const bool intact = reply.json.value("intact", false);
  if (conn->json()) {
    conn->PrintRaw(reply);
  } else if (intact) {
    std::cout << "audit trail of " << conn->server() << " intact: " << Text(reply.json, "entries") << " entries, "
              << Text(reply.json, "checkpoints") << " signed checkpoints (verified by the server)\n";
  } else {
    std::cout << "audit trail of " << conn->server() << " BROKEN at sequence " << Text(reply.json, "first_bad_seq")
              << ": " << Text(reply.json, "problem") << "\n";
  }
  return intact ? kExitOk : kExitTampered;
}

void AddAuditQueryVerb(CLI::App* audit, int* exit_code) {
  auto args = std::make_shared<QueryArgs>();
  CLI::App* q = audit->add_subcommand("query", "Audit entries from the server (no field values in them)");
  AddCommonOptions(q, &args->common);
  q->add_option("--case", args->case_id, "Only this case");
  q->add_option("--actor", args->actor, "Only this user");
  q->add_option("--action", args->action, "Only this action, e.g. case.read");
  q->add_option("--decision", args->decision, "allow or deny");
  q->add_option("--from", args->from, "From this time (unix seconds)")->check(CLI::NonNegativeNumber);
  q->add_option("--to", args->to, "Up to this time (unix seconds)")->check(CLI::NonNegativeNumber);
  q->add_option("--after", args->after, "Entries after this sequence number")->check(CLI::NonNegativeNumber);
  q->add_option("--limit", args->limit, "Entries per page (server default 100; with --all 1000)")
      ->check(CLI::Range(1, 10000));
  q->add_flag("--all", args->all, "Follow the pages to the end (progress on a terminal's stderr)");
  q->callback([args, exit_code] { *exit_code = RunQuery(*args); });
}

}  // namespace brankas::tools
