// `brankas stats export --from YYYY-MM --to YYYY-MM [--csv] [--json] [--out FILE]`:
// the de-identified statistics export (GET /v1/statistics; the unit's
// supervisors and auditors). A suppressed cell shows as "*", in CSV as an
// empty count with suppressed=true; the number never reaches the client.
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include "demo.h"
#include "offline_commands.h"
#include "online_commands.h"

namespace brankas::tools {
namespace {

struct StatsArgs {
  CommonArgs common;
  std::string from, to, out;
  bool csv = false;
};

std::string CountText(const Json& row, const char* count, const char* suppressed) {
  if (row.value(suppressed, false) || !row.contains(count) || !row[count].is_number_unsigned()) return "*";
  return std::to_string(row[count].get<uint64_t>());
}

// One line per cell: table,unit,month,category,cases,suppressed (cases empty
// when suppressed). Values are unit codes, months and enum names: no quoting
// is needed, but a comma or quote would be quoted all the same.
std::string Csv(const Json& answer) {
  auto field = [](const std::string& s) {
    if (s.find_first_of(",\"\n") == std::string::npos) return s;
    std::string q = "\"";
    for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
    return q + "\"";
  };
  std::ostringstream out;
  out << "table,unit,month,category,cases,suppressed\n";
  auto line = [&](const std::string& table, const Json& row, const std::string& category, const char* count,
                  const char* suppressed) {
    const bool hidden = row.value(suppressed, false) || !row[count].is_number_unsigned();
    out << field(table) << ',' << field(Text(row, "unit")) << ',' << field(Text(row, "month")) << ','
        << field(category) << ',' << (hidden ? std::string() : std::to_string(row[count].get<uint64_t>())) << ','
        << (hidden ? "true" : "false") << '\n';
  };
  const Json& tables = answer.at("tables");
  for (const Json& row : tables.at("cases")) {
    line("cases", row, "all", "cases", "suppressed");
    line("withheld_by_consent", row, "all", "withheld_by_consent", "withheld_suppressed");
  }
  for (const auto& [name, rows] : tables.items()) {
    if (name == "cases") continue;
    for (const Json& row : rows) line(name, row, Text(row, "category"), "cases", "suppressed");
  }
  return out.str();
}

// A table per dimension: categories down, months across.
void PrintTables(const Json& answer) {
  const Json& tables = answer.at("tables");
  std::vector<std::string> months;
  demo::Table cases({"MONTH", "CASES", "WITHHELD (NO CONSENT)"});
  for (const Json& row : tables.at("cases")) {
    months.push_back(Text(row, "month"));
    cases.Add({Text(row, "month"), CountText(row, "cases", "suppressed"),
               CountText(row, "withheld_by_consent", "withheld_suppressed")});
  }
  std::cout << "Unit " << Text(answer, "unit") << ", " << Text(answer, "from") << " to " << Text(answer, "to")
            << "; counts under " << answer["suppression"].value("threshold", 0) << " suppressed (*)\n\n";
  cases.Print(std::cout, "");
  // The server's order of the dimensions (sex, age band, ...), else the tables'.
  std::vector<std::string> names;
  if (answer.contains("dimensions") && answer["dimensions"].is_array()) {
    for (const Json& d : answer["dimensions"]) {
      if (d.is_string() && tables.contains(d.get<std::string>())) names.push_back(d);
    }
  } else {
    for (const auto& [name, rows] : tables.items()) {
      if (name != "cases") names.push_back(name);
    }
  }
  for (const std::string& name : names) {
    const Json& rows = tables[name];
    std::vector<std::string> headers = {name};
    headers.insert(headers.end(), months.begin(), months.end());
    demo::Table t(headers);
    std::vector<std::string> order;
    std::map<std::string, std::map<std::string, std::string>> cells;
    for (const Json& row : rows) {
      const std::string category = Text(row, "category");
      if (cells.count(category) == 0) order.push_back(category);
      cells[category][Text(row, "month")] = CountText(row, "cases", "suppressed");
    }
    for (const std::string& category : order) {
      std::vector<std::string> line = {category};
      for (const std::string& m : months) line.push_back(cells[category][m]);
      t.Add(std::move(line));
    }
    std::cout << "\n";
    t.Print(std::cout, "");
  }
  std::cout << "\n* suppressed: a count under the threshold, or a cell that would let one be worked out.\n";
}

int Run(const StatsArgs& a) {
  if (a.csv && a.common.json) {
    std::cerr << "brankas stats export: give at most one of --csv and --json\n";
    return kExitUsage;
  }
  int code = kExitOk;
  auto conn = Connection::Open("stats export", a.common, Auth::kToken, &code);
  if (!conn) return code;
  Reply reply;
  code = conn->Call("GET", "/v1/statistics" + QueryString({{"from", a.from}, {"to", a.to}}), {}, &reply);
  if (code != kExitOk) return code;
  if (!reply.json.is_object() || !reply.json.contains("tables") || !reply.json["tables"].is_object() ||
      !reply.json["tables"].contains("cases")) {
    return conn->Fail(kExitFailure, "the server's answer is not a statistics export");
  }
  std::string text;
  if (a.csv) {
    text = Csv(reply.json);
  } else if (a.common.json) {
    text = reply.body + "\n";
  }
  if (!a.out.empty()) {
    if (text.empty()) text = reply.body + "\n";  // --out without --csv: the JSON
    std::ofstream f(a.out, std::ios::binary | std::ios::trunc);
    f << text;
    if (!f.good()) return conn->Fail(kExitUsage, "cannot write " + a.out);
    std::cout << "Statistics export written to " << a.out << "\n";
    return kExitOk;
  }
  if (!text.empty()) {
    std::cout << text;
    return kExitOk;
  }
  PrintTables(reply.json);
  return kExitOk;
}

}  // namespace

void AddStatisticsCommand(CLI::App& app, int* exit_code) {
  CLI::App* stats = app.add_subcommand(
      "stats", "De-identified national statistics (SIMFONI PPA tables; a supervisor or auditor)");
  stats->require_subcommand(1);
  auto args = std::make_shared<StatsArgs>();
  CLI::App* e = stats->add_subcommand(
      "export",
      "Cases per unit and month by sex, age band, module, violence type, place, perpetrator relationship, "
      "services and referrals; counts under the server's [statistics] suppression_threshold are suppressed");
  AddCommonOptions(e, &args->common);
  e->add_option("--from", args->from, "First month, YYYY-MM")->required();
  e->add_option("--to", args->to, "Last month, YYYY-MM (at most 120 months after --from)")->required();
  e->add_flag("--csv", args->csv, "CSV: table,unit,month,category,cases,suppressed (cases empty when suppressed)");
  e->add_option("--out", args->out, "Write the CSV (with --csv) or the JSON to FILE instead of standard output");
  e->callback([args, exit_code] { *exit_code = Run(*args); });
}

}  // namespace brankas::tools
