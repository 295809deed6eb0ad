// AuditExportBuilder: which page to fetch next and the lines of each, so that an
// export ends covered by a signature (brankas/audit_export.h).
#include <algorithm>

#include "brankas/audit_export.h"

namespace brankas {

AuditExportBuilder::AuditExportBuilder(uint64_t after_seq, uint64_t to_seq, size_t page_size)
    : after_seq_(after_seq),
      to_seq_(to_seq),
      page_size_(page_size == 0 ? kDefaultAuditExportPage : std::min(page_size, kMaxAuditExportPage)),
      cursor_(after_seq),
      signed_through_(after_seq) {
  if (to_seq != 0) {
    stop_at_ = to_seq;
    if (to_seq <= after_seq) done_ = true;  // nothing asked for
  }
}

std::optional<AuditExportBuilder::Request> AuditExportBuilder::Next() const {
  if (done_) return std::nullopt;
  Request r{cursor_, page_size_};
  if (stop_at_.has_value()) r.limit = static_cast<size_t>(std::min<uint64_t>(r.limit, *stop_at_ - cursor_));
  return r;
}

Status AuditExportBuilder::Add(const AuditExportPage& page, std::string* lines) {
  if (done_) return FailedPrecondition("audit export: the export is already complete");
  if (!started_) {
    unit_ = page.unit;
    node_public_key_ = page.node_public_key;
    started_ = true;
  } else if (page.unit != unit_ || page.node_public_key != node_public_key_) {
    return FailedPrecondition("audit export: the server's unit or node key changed during the export");
  }
  const size_t limit = Next()->limit;
  if (page.entries.size() > limit) return FailedPrecondition("audit export: the server sent more than asked for");
  uint64_t prev = cursor_;
  for (const AuditEntry& e : page.entries) {
    if (e.seq <= prev) return FailedPrecondition("audit export: the server's entries are not in order");
    prev = e.seq;
  }

  // Each entry, then its checkpoint. A checkpoint whose entry is not in the
  // page (a gap in the store) has no place: the verifier names the gap.
  auto cp = page.checkpoints.begin();
  for (const AuditEntry& e : page.entries) {
    lines->append(AuditExportEntryLine(e));
    ++entries_;
    cursor_ = e.seq;
    while (cp != page.checkpoints.end() && cp->seq < e.seq) ++cp;
    if (cp != page.checkpoints.end() && cp->seq == e.seq) {
      lines->append(AuditExportCheckpointLine(*cp));
      ++checkpoints_;
      signed_through_ = e.seq;
      ++cp;
    }
  }
  while (cp != page.checkpoints.end() && cp->seq <= cursor_) ++cp;
  const Checkpoint* beyond = cp != page.checkpoints.end() ? &*cp : nullptr;

  // Where to stop: `to` reached and signed, else on to the next checkpoint,
  // else to the head.
  const bool at_head = page.entries.empty() || cursor_ >= page.head_seq;
  if (stop_at_.has_value()) {
    if (cursor_ >= *stop_at_) {
      if (signed_through_ == cursor_) {
        done_ = true;
        return Status::Ok();
      }
      if (beyond != nullptr) {
        stop_at_ = beyond->seq;
      } else {
        stop_at_.reset();
      }
    } else if (at_head) {
      stop_at_.reset();  // the chain ends before `to`
    }
  }
  if (!stop_at_.has_value() && at_head) {
    // The head of this page's view is its last entry: its signature covers the tail.
    if (page.head.has_value() && page.head->seq == cursor_ && cursor_ > after_seq_) {
      lines->append(AuditExportHeadLine(*page.head));
      head_ = true;
      signed_through_ = cursor_;
    }
    done_ = true;
  }
  return Status::Ok();
}

AuditExportHeader AuditExportBuilder::Header(int64_t exported_at) const {
  AuditExportHeader h;
  h.unit = unit_;
  h.node_public_key = node_public_key_;
  h.first_seq = after_seq_ + 1;
  h.last_seq = cursor_;
  h.exported_at = exported_at;
  return h;
}

}  // namespace brankas
