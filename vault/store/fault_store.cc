#include "brankas/fault_store.h"

namespace brankas {
namespace {

std::string Flip(std::string_view v) {
  std::string out(v);
  if (!out.empty()) out[out.size() / 2] = static_cast<char>(out[out.size() / 2] ^ 0x01);
  return out;
}

}  // namespace

Status FaultStore::InjectedWriteFailure() {
  if (fail_writes.load()) return Unavailable("injected write failure: no space left on device");
  int left = writes_before_failure.load();
  if (left == 0) return Unavailable("injected write failure: no space left on device");
  if (left > 0) writes_before_failure.fetch_sub(1);
  return Status::Ok();
}

Status FaultStore::Write(const Batch& batch, Durability durability) {
  BRANKAS_RETURN_IF_ERROR(InjectedWriteFailure());
  Status s = base_->Write(batch, durability);
  if (s.ok()) writes_done.fetch_add(1);
  return s;
}

Status FaultStore::WriteEncoded(const std::vector<EncodedBatch*>& batches, Durability durability) {
  BRANKAS_RETURN_IF_ERROR(InjectedWriteFailure());
  Status s = base_->WriteEncoded(batches, durability);
  if (s.ok()) writes_done.fetch_add(1);
  return s;
}

Result<std::optional<std::string>> FaultStore::Get(Column c, std::string_view key) {
  if (fail_reads.load()) return Unavailable("injected read failure");
  auto r = base_->Get(c, key);
  if (r.ok() && r->has_value() && corrupt_reads.load()) {
    return std::optional<std::string>(Flip(**r));
  }
  return r;
}

Status FaultStore::Scan(Column c, std::string_view prefix, std::string_view start,
                        const std::function<bool(std::string_view, std::string_view)>& fn) {
  if (fail_reads.load()) return Unavailable("injected read failure");
  if (!corrupt_reads.load()) return base_->Scan(c, prefix, start, fn);
  return base_->Scan(c, prefix, start, [&](std::string_view k, std::string_view v) {
    std::string flipped = Flip(v);
    return fn(k, flipped);
  });
}

Status FaultStore::ScanReverse(Column c, std::string_view prefix,
                               const std::function<bool(std::string_view, std::string_view)>& fn) {
  if (fail_reads.load()) return Unavailable("injected read failure");
  if (!corrupt_reads.load()) return base_->ScanReverse(c, prefix, fn);
  return base_->ScanReverse(c, prefix, [&](std::string_view k, std::string_view v) {
    std::string flipped = Flip(v);
    return fn(k, flipped);
  });
}

}  // namespace brankas
