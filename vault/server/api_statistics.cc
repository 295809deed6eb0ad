// GET /v1/statistics (server/api_statistics.h).
#include "server/api_statistics.h"

namespace brankas::server {
namespace {

Json Count(const std::optional<uint64_t>& n) { return n ? Json(*n) : Json(nullptr); }

}  // namespace

Json ToJson(const StatisticsReport& r) {
  Json cases = Json::array();
  Json tables = Json::object();
  for (std::string_view d : kStatisticsDimensions) tables[std::string(d)] = Json::array();
  for (const StatisticsRow& row : r.rows) {
    cases.push_back(Json{{"unit", row.unit},
                         {"month", row.month},
                         {"cases", Count(row.cases)},
                         {"suppressed", !row.cases.has_value()},
                         {"withheld_by_consent", Count(row.withheld_by_consent)},
                         {"withheld_suppressed", !row.withheld_by_consent.has_value()}});
    for (const StatisticsBreakdown& b : row.breakdowns) {
      Json& table = tables[b.dimension];
      for (const StatisticsCell& c : b.cells) {
        table.push_back(Json{{"unit", row.unit},
                             {"month", row.month},
                             {"category", c.category},
                             {"cases", Count(c.count)},
                             {"suppressed", c.suppressed()}});
      }
    }
  }
  tables["cases"] = std::move(cases);
  Json dimensions = Json::array();
  for (std::string_view d : kStatisticsDimensions) dimensions.push_back(std::string(d));
  return Json{{"unit", r.unit},
              {"dimensions", std::move(dimensions)},
              {"from", r.from_month},
              {"to", r.to_month},
              {"suppression",
               {{"threshold", r.threshold},
                {"primary", "a count from 1 to threshold - 1 is suppressed"},
                {"secondary",
                 "in a row of a breakdown whose month total is published, a lone suppressed cell takes the "
                 "smallest other non-zero cell with it"},
                {"suppressed_primary", r.suppressed_primary},
                {"suppressed_secondary", r.suppressed_secondary}}},
              {"tables", std::move(tables)}};
}

Status CheckStatisticsParams(const Target& target) {
  for (const auto& [name, value] : target.query) {
    if (name != "from" && name != "to") return InvalidArgument("unknown parameter (from and to are known)");
  }
  const std::string* from = target.Param("from");
  const std::string* to = target.Param("to");
  if (from == nullptr || to == nullptr) return InvalidArgument("\"from\" and \"to\" are required: YYYY-MM");
  if (ParseStatisticsMonth(*from) < 0 || ParseStatisticsMonth(*to) < 0) {
    return InvalidArgument("\"from\" and \"to\" are months: YYYY-MM");
  }
  return Status::Ok();
}

Result<Json> StatisticsAnswer(Vault& vault, const RequestContext& rc, const Target& target) {
  BRANKAS_RETURN_IF_ERROR(CheckStatisticsParams(target));
  BRANKAS_ASSIGN_OR_RETURN(StatisticsReport report,
                           vault.StatisticsExport(rc, *target.Param("from"), *target.Param("to")));
  return ToJson(report);
}

}  // namespace brankas::server
