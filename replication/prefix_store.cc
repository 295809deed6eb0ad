#include "replication/prefix_store.h"

namespace brankas::repl {

Result<std::optional<std::string>> PrefixStore::Get(Column c, std::string_view key) {
  return inner_->Get(c, prefix_ + std::string(key));
}

Status PrefixStore::Scan(Column c, std::string_view prefix, std::string_view start,
                         const std::function<bool(std::string_view, std::string_view)>& fn) {
  const std::string full = prefix_ + std::string(prefix);
  const std::string full_start = start.empty() ? std::string() : prefix_ + std::string(start);
  return inner_->Scan(c, full, full_start, [&](std::string_view key, std::string_view value) {
    return fn(key.substr(prefix_.size()), value);
  });
}

Status PrefixStore::ScanReverse(Column c, std::string_view prefix,
                                const std::function<bool(std::string_view, std::string_view)>& fn) {
  return inner_->ScanReverse(c, prefix_ + std::string(prefix), [&](std::string_view key, std::string_view value) {
    return fn(key.substr(prefix_.size()), value);
  });
}

Result<std::unique_ptr<Store>> PrefixStore::Snapshot() {
  BRANKAS_ASSIGN_OR_RETURN(auto snap, inner_->Snapshot());
  return std::unique_ptr<Store>(new PrefixStore(std::move(snap), prefix_));
}

}  // namespace brankas::repl
