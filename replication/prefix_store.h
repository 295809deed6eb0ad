// A read-only Store over the keys of another Store that start with a prefix,
// with the prefix stripped: the central node's view of one unit's namespace
// ("u/<UNIT>/"), so the engine's verifiers (VerifyAuditChain,
// LoadNodePublicKey) run on it unchanged.
#pragma once

#include <memory>
#include <string>

#include "brankas/store.h"

namespace brankas::repl {

class PrefixStore : public Store {
 public:
  // `inner` must outlive this view unless it is owned (the second form).
  PrefixStore(Store* inner, std::string prefix) : inner_(inner), prefix_(std::move(prefix)) {}
  PrefixStore(std::unique_ptr<Store> owned, std::string prefix)
      : owned_(std::move(owned)), inner_(owned_.get()), prefix_(std::move(prefix)) {}

  Status Write(const Batch&, Durability) override { return FailedPrecondition("a namespace view is read-only"); }
  Result<std::optional<std::string>> Get(Column c, std::string_view key) override;
  Status Scan(Column c, std::string_view prefix, std::string_view start,
              const std::function<bool(std::string_view, std::string_view)>& fn) override;
  Status ScanReverse(Column c, std::string_view prefix,
                     const std::function<bool(std::string_view, std::string_view)>& fn) override;
  Status Flush() override { return Status::Ok(); }
  Result<std::unique_ptr<Store>> Snapshot() override;

 private:
  std::unique_ptr<Store> owned_;
  Store* inner_;
  std::string prefix_;
};

}  // namespace brankas::repl
