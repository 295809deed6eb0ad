// VerifyAuditExport: checks an audit export file offline, in one pass, line by
// line (brankas/audit_export.h).
//
// It stops at the first problem. In a single pass that is also the earliest
// sequence: every check condemns the entry it is reading or a later one, except
// a validly signed checkpoint or head that disagrees with the entries (history
// rewritten and re-chained), which condemns back to the previous valid
// signature; and that check runs only while everything before it was sound.
#include <algorithm>
#include <optional>
#include <streambuf>
#include <string>

#include "brankas/audit_export.h"
#include "brankas/types.h"
#include "brankas/crypto.h"

namespace brankas {
namespace {

using Json = nlohmann::json;

constexpr int kMaxDepth = 4;  // {"entry":{"fields":[{"hex":...}]}}

std::string Seq(uint64_t seq) { return std::to_string(seq); }

enum class ReadResult { kLine, kEnd, kTooLong, kNoNewline };

// One line without its '\n', at most `max` bytes (the rest of a longer one is
// not kept).
ReadResult ReadLine(std::streambuf* in, std::string* line, size_t max) {
  line->clear();
  bool any = false;
  bool too_long = false;
  for (;;) {
    const int c = in->sbumpc();
    if (c == std::char_traits<char>::eof()) {
      if (!any) return ReadResult::kEnd;
      return too_long ? ReadResult::kTooLong : ReadResult::kNoNewline;
    }
    any = true;
    if (c == '\n') return too_long ? ReadResult::kTooLong : ReadResult::kLine;
    if (line->size() < max) {
      line->push_back(static_cast<char>(c));
    } else {
      too_long = true;
    }
  }
}

class ExportVerifier {
 public:
  ExportVerifier(std::istream& in, std::string_view pinned) : in_(in), pinned_(pinned) {}

  Result<AuditExportReport> Run() {
    std::streambuf* buf = in_.rdbuf();
    if (buf == nullptr) return Unavailable("audit export: nothing to read");
    std::string line;
    for (uint64_t n = 1;; ++n) {
      ReadResult r = ReadLine(buf, &line, kMaxAuditExportLineBytes);
      if (in_.bad()) return Unavailable("audit export: read error at line " + Seq(n));
      if (r == ReadResult::kEnd) {
        if (n == 1) Fail(0, 1, "malformed", "line 1: empty file, not an audit export");
        break;
      }
      line_ = n;
      if (r == ReadResult::kTooLong) {
        Malformed("longer than " + Seq(kMaxAuditExportLineBytes) + " bytes");
      } else if (r == ReadResult::kNoNewline) {
        Malformed("no newline at its end (the file is truncated)");
      } else if (n == 1) {
        Header(line);
      } else {
        Body(line);
      }
      if (failed_) break;
    }
    if (!failed_) AtEnd();
    report_.intact = !failed_;
    report_.signed_through = signed_through_;
    report_.tail_covered = header_ok_ && signed_through_ >= report_.last_seq;
    return report_;
  }

 private:
  void Fail(uint64_t seq, uint64_t line, std::string failure, std::string problem) {
    failed_ = true;
    report_.first_bad_seq = seq;
    report_.bad_line = line;
    report_.failure = std::move(failure);
    report_.problem = std::move(problem);
  }
  void Malformed(const std::string& why) {
    Fail(line_ == 1 ? 0 : expected_, line_, "malformed",
         "line " + Seq(line_) + (line_ == 1 ? "" : " (where entry " + Seq(expected_) + " was due)") + ": " + why);
  }

  // One JSON object with exactly one member among `kinds`, or nullopt (reported).
  std::optional<Json> ParseObject(const std::string& line) {
    if (JsonDepth(line, kMaxDepth) > kMaxDepth) {
      Malformed("nested too deeply");
      return std::nullopt;
    }
    Json j = Json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object()) {
      Malformed("not one JSON object");
      return std::nullopt;
    }
    return j;
  }

  void Header(const std::string& line) {
    std::optional<Json> j = ParseObject(line);
    if (!j) return;
    auto bad = [&](const std::string& why) { Malformed("not an audit export header: " + why); };
    if (!j->contains("format") || !(*j)["format"].is_string() || (*j)["format"] != std::string(kAuditExportFormat)) {
      return bad("\"format\" is not \"" + std::string(kAuditExportFormat) + "\"");
    }
    for (const auto& [k, v] : j->items()) {
      if (k != "format" && k != "unit" && k != "node_public_key" && k != "first_seq" && k != "last_seq" &&
          k != "exported_at") {
        return bad("unknown member");
      }
    }
    const Json& unit = j->value("unit", Json());
    const Json& key = j->value("node_public_key", Json());
    const Json& first = j->value("first_seq", Json());
    const Json& last = j->value("last_seq", Json());
    const Json& at = j->value("exported_at", Json());
    std::string key_bytes;
    if (!unit.is_string() || unit.get_ref<const std::string&>().empty()) return bad("\"unit\"");
    if (!key.is_string() || !FromHex(key.get_ref<const std::string&>(), &key_bytes) ||
        key_bytes.size() != kSignPublicKeySize || ToHex(key_bytes) != key.get_ref<const std::string&>()) {
      return bad("\"node_public_key\" is not 64 lower-case hex digits");
    }
    if (!first.is_number_unsigned() || first.get<uint64_t>() == 0) return bad("\"first_seq\"");
    if (!last.is_number_unsigned() || last.get<uint64_t>() + 1 < first.get<uint64_t>()) return bad("\"last_seq\"");
    if (!at.is_number_integer()) return bad("\"exported_at\"");
    header_ok_ = true;
    report_.unit = unit.get<std::string>();
    report_.first_seq = first.get<uint64_t>();
    report_.last_seq = last.get<uint64_t>();
    expected_ = report_.first_seq;
    signed_through_ = report_.first_seq - 1;
    if (report_.first_seq == 1) prev_hash_ = std::string(kHashSize, '\0');
    report_.key_pinned = !pinned_.empty();
    report_.node_public_key = report_.key_pinned ? std::string(pinned_) : key_bytes;
    if (report_.key_pinned && key_bytes != pinned_) {
      Fail(report_.first_seq, 1, "key",
           "the export names node key " + ToHex(key_bytes).substr(0, 16) + "…, not the pinned key " +
               ToHex(pinned_).substr(0, 16) + "…");
    }
  }

  void Body(const std::string& line) {
    if (head_seen_) return Malformed("a line after the signed head (the head is the last line)");
    std::optional<Json> j = ParseObject(line);
    if (!j) return;
    if (j->size() != 1) return Malformed("not one of entry, checkpoint, head");
    // The object's own iterator: items() is a temporary proxy whose element a
    // structured binding would outlive.
    const auto it = j->begin();
    const std::string& kind = it.key();
    const Json& value = it.value();
    if (kind == "entry") return Entry(value);
    if (kind == "checkpoint") return SignedPoint(value, false);
    if (kind == "head") return SignedPoint(value, true);
    Malformed("not one of entry, checkpoint, head");
  }

  void Entry(const Json& value) {
    Result<AuditEntry> parsed = AuditEntryFromJson(value);
    if (!parsed.ok()) return Malformed(parsed.status().message());
    const AuditEntry& e = *parsed;
    ++report_.entries;
    const std::string at = "entry " + Seq(e.seq) + " (line " + Seq(line_) + ")";
    if (e.seq != expected_) {
      if (expected_ > report_.last_seq) {
        return Fail(expected_, line_, "sequence",
                    at + ": beyond the export's last sequence " + Seq(report_.last_seq) + " (header)");
      }
      return Fail(expected_, line_, "sequence",
                  e.seq > expected_ ? "entry " + Seq(expected_) + ": missing (line " + Seq(line_) + " holds entry " +
                                          Seq(e.seq) + ")"
                                    : at + ": out of order (entry " + Seq(expected_) + " was due)");
    }
    if (e.seq > report_.last_seq) {
      return Fail(e.seq, line_, "sequence",
                  at + ": beyond the export's last sequence " + Seq(report_.last_seq) + " (header)");
    }
    if (e.node != report_.unit) return Fail(e.seq, line_, "node", at + ": made by another node than the unit's");
    if (!prev_hash_.empty() && e.prev_hash != prev_hash_) {
      return Fail(e.seq, line_, "chain_link",
                  e.seq == 1 ? at + ": the first entry does not start from the zero hash"
                             : at + ": previous hash does not match the hash of entry " + Seq(e.seq - 1));
    }
    if (ComputeEntryHash(e) != e.hash) {
      return Fail(e.seq, line_, "entry_hash", at + ": hash does not recompute (contents changed)");
    }
    prev_hash_ = e.hash;
    last_entry_seq_ = e.seq;
    last_kind_ = LastKind::kEntry;
    ++expected_;
  }

  // A checkpoint (or the head): on the line after its entry, the unit's node,
  // a valid signature, and the hash of that entry.
  void SignedPoint(const Json& value, bool is_head) {
    const std::string what = is_head ? "signed head" : "checkpoint";
    uint64_t seq = 0;
    std::string hash, node, signature, message;
    if (is_head) {
      Result<AuditHead> h = AuditHeadFromJson(value);
      if (!h.ok()) return Malformed(h.status().message());
      seq = h->seq, hash = h->hash, node = h->node, signature = h->signature;
      message = AuditHeadMessage(*h);
      head_seen_ = true;
      report_.head = true;
    } else {
      Result<Checkpoint> c = CheckpointFromJson(value);
      if (!c.ok()) return Malformed(c.status().message());
      seq = c->seq, hash = c->hash, node = c->node, signature = c->signature;
      message = CheckpointMessage(*c);
      ++report_.checkpoints;
    }
    const std::string at = what + " " + Seq(seq) + " (line " + Seq(line_) + ")";
    if (seq > last_entry_seq_) {
      return Fail(expected_, line_, "sequence",
                  "entries " + Seq(expected_) + ".." + Seq(seq) + ": missing (the " + at +
                      " lies beyond the last entry before it)");
    }
    // A checkpoint right after its entry; the head after the entry or its checkpoint.
    const bool in_place = seq == last_entry_seq_ && (last_kind_ == LastKind::kEntry ||
                                                     (is_head && last_kind_ == LastKind::kCheckpoint));
    if (!in_place) return Fail(expected_, line_, "sequence", at + ": not on the line after entry " + Seq(seq));
    last_kind_ = LastKind::kCheckpoint;
    if (node != report_.unit) return Fail(seq, line_, "node", at + ": made by another node than the unit's");
    if (!VerifySignature(report_.node_public_key, message, signature)) {
      return Fail(seq, line_, is_head ? "head_signature" : "checkpoint_signature",
                  at + ": signature does not verify" +
                      (report_.key_pinned ? std::string(" with the pinned key") : std::string()));
    }
    if (hash != prev_hash_) {
      return Fail(signed_through_ + 1, line_, is_head ? "head_hash" : "checkpoint_hash",
                  "entries " + Seq(signed_through_ + 1) + ".." + Seq(seq) + ": do not match the " + at +
                      " (history rewritten)");
    }
    signed_through_ = seq;
  }

  void AtEnd() {
    if (!header_ok_) return;
    if (expected_ <= report_.last_seq) {
      return Fail(expected_, 0, "sequence",
                  "entries " + Seq(expected_) + ".." + Seq(report_.last_seq) +
                      ": missing (the export ends before the last sequence its header names)");
    }
    if (signed_through_ < report_.last_seq) {
      Fail(signed_through_ + 1, 0, "uncovered_tail",
           "entries " + Seq(signed_through_ + 1) + ".." + Seq(report_.last_seq) +
               ": covered by no signature in the export (its last checkpoint or signed head is missing)");
    }
  }

  std::istream& in_;
  std::string_view pinned_;
  AuditExportReport report_;
  bool failed_ = false;
  bool header_ok_ = false;
  uint64_t line_ = 0;
  uint64_t expected_ = 1;         // the next entry's seq
  std::string prev_hash_;         // the last entry's hash; empty before the first of an export after 1
  uint64_t last_entry_seq_ = 0;
  enum class LastKind { kNone, kEntry, kCheckpoint };
  LastKind last_kind_ = LastKind::kNone;  // what the previous body line was
  bool head_seen_ = false;
  uint64_t signed_through_ = 0;   // entries up to here are vouched for by a valid signature
};

}  // namespace

Result<AuditExportReport> VerifyAuditExport(std::istream& in, std::string_view pinned_public_key) {
  if (!pinned_public_key.empty() && pinned_public_key.size() != kSignPublicKeySize) {
    return InvalidArgument("audit export: the pinned node key must be 32 bytes");
  }
  ExportVerifier verifier(in, pinned_public_key);
  return verifier.Run();
}

}  // namespace brankas
