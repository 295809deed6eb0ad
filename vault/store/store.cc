#include "brankas/store.h"

namespace brankas {

const char* ColumnName(Column c) {
  switch (c) {
    case Column::kRecords: return "records";
    case Column::kKeys: return "keys";
    case Column::kIndex: return "index";
    case Column::kAudit: return "audit";
    case Column::kChangelog: return "changelog";
    case Column::kAcl: return "acl";
    case Column::kMeta: return "meta";
    case Column::kEvidence: return "evidence";
  }
  return "unknown";
}

size_t Batch::ByteSize() const {
  size_t n = 0;
  for (const auto& m : mutations_) n += m.key.size() + m.value.size() + 8;
  return n;
}

namespace {

// The default encoded form: the Batch itself, written by Write.
class PlainEncodedBatch final : public EncodedBatch {
 public:
  explicit PlainEncodedBatch(Batch batch) : batch(std::move(batch)) {}
  Batch batch;
};

}  // namespace

std::unique_ptr<EncodedBatch> Store::Encode(Batch batch) {
  return std::make_unique<PlainEncodedBatch>(std::move(batch));
}

Status Store::WriteEncoded(const std::vector<EncodedBatch*>& batches, Durability durability) {
  std::vector<const Batch*> plain;
  plain.reserve(batches.size());
  for (EncodedBatch* b : batches) {
    auto* p = dynamic_cast<PlainEncodedBatch*>(b);
    if (p == nullptr) return InvalidArgument("a batch encoded by another store");
    plain.push_back(&p->batch);
  }
  if (plain.empty()) return Status::Ok();  // as RocksStore: nothing to write
  if (plain.size() == 1) return Write(*plain[0], durability);
  Batch all;
  for (const Batch* b : plain) all.Append(*b);
  return Write(all, durability);
}

void PutBigEndian64(std::string* out, uint64_t v) {
  char b[8];
  for (int i = 0; i < 8; ++i) b[i] = static_cast<char>(v >> (56 - 8 * i));
  out->append(b, 8);
}

uint64_t GetBigEndian64(std::string_view in) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<uint8_t>(in[i]);
  return v;
}

}  // namespace brankas
