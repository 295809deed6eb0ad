// QueryAudit: filtered reads of the audit trail, in sequence order.
#include <algorithm>
#include <limits>
#include <string>
#include <vector>

#include "brankas/audit.h"
#include "brankas/store.h"

namespace brankas {
namespace {

bool Matches(const AuditEntry& e, const AuditFilter& f) {
  if (!f.case_id.empty() && e.case_id != f.case_id) return false;
  if (!f.actor.empty() && e.actor != f.actor) return false;
  if (!f.action.empty() && e.action != f.action) return false;
  if (!f.decision.empty() && e.decision != f.decision) return false;
  if (f.from_us != 0 && e.time_us < f.from_us) return false;
  if (f.to_us != 0 && e.time_us >= f.to_us) return false;
  return true;
}

}  // namespace

Result<std::vector<AuditEntry>> QueryAudit(Store& store, const AuditFilter& filter) {
  const size_t limit = filter.limit == 0 ? 100 : std::min(filter.limit, kMaxAuditQueryLimit);
  std::vector<AuditEntry> out;
  if (filter.after_seq == std::numeric_limits<uint64_t>::max()) return out;

  Status decode = Status::Ok();
  BRANKAS_RETURN_IF_ERROR(store.Scan(
      Column::kAudit, kAuditEntryPrefix, AuditEntryKey(filter.after_seq + 1),
      [&](std::string_view key, std::string_view value) {
        Result<AuditEntry> entry = DecodeAuditEntry(value);
        if (!entry.ok()) {
          decode = Corruption(key.size() == 9 ? "audit query: entry " +
                                                    std::to_string(GetBigEndian64(key.substr(1))) +
                                                    " cannot be decoded"
                                              : std::string("audit query: a malformed entry key"));
          return false;
        }
        if (Matches(*entry, filter)) out.push_back(std::move(entry).value());
        return out.size() < limit;
      }));
  BRANKAS_RETURN_IF_ERROR(decode);
  return out;
}

}  // namespace brankas
