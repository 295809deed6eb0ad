// The evidence bundle's framing, its grant JSON and the offline verifier
// (brankas/evidence_bundle.h).
#include <algorithm>
#include <map>

#include "brankas/audit_export.h"
#include "brankas/crypto.h"
#include "brankas/evidence_bundle.h"
#include "brankas/store.h"

namespace brankas {
namespace {

using Json = nlohmann::json;

constexpr std::string_view kSignatureDomain = "brankas-evidence-bundle/1 signature\n";
constexpr size_t kBuffer = 1 << 20;

// Reads exactly n bytes into *out; false when the input ends first.
bool ReadExact(std::istream& in, std::string* out, size_t n) {
  out->resize(n);
  in.read(out->data(), static_cast<std::streamsize>(n));
  return static_cast<size_t>(in.gcount()) == n;
}

bool ReadLength(std::istream& in, uint64_t* n) {
  std::string b;
  if (!ReadExact(in, &b, 8)) return false;
  *n = GetBigEndian64(b);
  return true;
}

}  // namespace

std::string BundleSignedMessage(std::string_view manifest) {
  std::string m(kSignatureDomain);
  m.append(manifest);
  return m;
}

std::string BundleLength(uint64_t n) {
  std::string out;
  PutBigEndian64(&out, n);
  return out;
}

std::string BundlePrefix(std::string_view manifest, std::string_view signature) {
  std::string out(kBundleMagic);
  out += BundleLength(manifest.size());
  out.append(manifest);
  out += BundleLength(signature.size());
  out.append(signature);
  return out;
}

Json GrantToJson(const Grant& g) {
  Json classes = Json::array();
  for (FieldClass c : g.classes) classes.push_back(std::string(FieldClassName(c)));
  Json out{{"grant_id", g.id},
           {"case_id", g.case_id},
           {"grantee", g.grantee},
           {"classes", classes},
           {"not_before", g.not_before},
           {"expires_at", g.expires_at},
           {"requested_by", g.requested_by},
           {"approvers", g.approvers},
           {"required_approvals", g.required_approvals},
           {"approved", g.ApprovalCount() >= g.required_approvals},
           {"revoked", g.revoked},
           {"break_glass", g.break_glass}};
  // The legal basis and the break-glass reason are shown to the people who
  // handle the grant; they are case-related text, so never logged.
  out["legal_basis"] = g.legal_basis;
  if (g.break_glass) out["reason"] = g.reason;
  if (g.revoked) {
    out["revoked_at"] = g.revoked_at;
    out["revoked_by"] = g.revoked_by;
  }
  return out;
}

Result<BundleReport> VerifyEvidenceBundle(std::istream& in, std::string_view pinned_public_key) {
  if (!pinned_public_key.empty() && pinned_public_key.size() != kSignPublicKeySize) {
    return InvalidArgument("a node public key is 32 bytes (64 hex digits)");
  }
  BundleReport rep;
  auto fail = [&](std::string part, std::string item, std::string problem) {
    rep.valid = false;
    rep.failed_part = std::move(part);
    rep.failed_item = std::move(item);
    rep.problem = std::move(problem);
    return rep;
  };
  std::string magic;
  if (!ReadExact(in, &magic, kBundleMagic.size()) || magic != kBundleMagic) {
    if (in.bad()) return Unavailable("reading the bundle failed");
    return fail("magic", "", "not a brankas evidence bundle (format " + std::string(kBundleFormat) + ")");
  }
  uint64_t n = 0;
  if (!ReadLength(in, &n)) return fail("truncated", "", "the bundle ends inside its header");
  if (n > kMaxBundleManifestBytes) return fail("manifest", "", "the manifest length is larger than allowed");
  std::string manifest_text;
  if (!ReadExact(in, &manifest_text, static_cast<size_t>(n))) return fail("truncated", "", "the bundle ends inside its manifest");
  uint64_t sig_len = 0;
  if (!ReadLength(in, &sig_len)) return fail("truncated", "", "the bundle ends before its signature");
  if (sig_len != kSignatureSize) {
    return fail("manifest_signature", "",
                "the signature's length field is not 64: the manifest's length or the signature's was changed");
  }
  std::string signature;
  if (!ReadExact(in, &signature, kSignatureSize)) return fail("truncated", "", "the bundle ends inside its signature");
  rep.bytes = kBundleMagic.size() + 8 + n + 8 + kSignatureSize;

  Json m = Json::parse(manifest_text, nullptr, false);
  if (m.is_discarded() || !m.is_object()) return fail("manifest", "", "the manifest is not a JSON object");
  try {
    if (m.at("format") != kBundleFormat) return fail("manifest", "", "unknown manifest format");
    std::string key;
    if (!FromHex(m.at("node_public_key").get<std::string>(), &key) || key.size() != kSignPublicKeySize) {
      return fail("manifest", "", "the manifest's node key is malformed");
    }
    if (!pinned_public_key.empty()) {
      if (key != pinned_public_key) return fail("key", "", "the bundle names another node key than the pinned one");
      rep.key_pinned = true;
    }
    rep.node_public_key = key;
    if (!VerifySignature(key, BundleSignedMessage(manifest_text), signature)) {
      return fail("manifest_signature", "", "the node's signature over the manifest does not verify");
    }
    rep.unit = m.at("unit").get<std::string>();
    rep.case_id = m.at("case").at("case_id").get<std::string>();
    rep.fields = m.at("fields").size();

    // The audit trail of the case, and the signatures that cover it.
    const Json& audit = m.at("audit");
    uint64_t last_seq = 0;
    std::map<uint64_t, std::string> hashes;
    for (const Json& j : audit.at("entries")) {
      auto e = AuditEntryFromJson(j);
      if (!e.ok()) return fail("audit_entry", "", e.status().message());
      if (ComputeEntryHash(*e) != e->hash) {
        return fail("audit_entry", std::to_string(e->seq), "the audit entry's hash does not recompute");
      }
      if (e->seq <= last_seq) return fail("audit_entry", std::to_string(e->seq), "audit entries out of order");
      last_seq = e->seq;
      hashes[e->seq] = e->hash;
      ++rep.audit_entries;
    }
    bool covered = last_seq == 0;
    auto check_signed = [&](const char* part, uint64_t seq, const std::string& hash, bool valid) -> bool {
      if (!valid) {
        fail(part, std::to_string(seq), std::string("the ") + part + "'s signature does not verify");
        return false;
      }
      auto it = hashes.find(seq);
      if (it != hashes.end() && it->second != hash) {
        fail(part, std::to_string(seq), std::string("the ") + part + " names another hash for its entry");
        return false;
      }
      covered |= seq >= last_seq;
      return true;
    };
    if (audit.contains("checkpoint") && !audit.at("checkpoint").is_null()) {
      auto cp = CheckpointFromJson(audit.at("checkpoint"));
      if (!cp.ok()) return fail("checkpoint", "", cp.status().message());
      if (!check_signed("checkpoint", cp->seq, cp->hash, VerifySignature(key, CheckpointMessage(*cp), cp->signature))) {
        return rep;
      }
    }
    if (audit.contains("head") && !audit.at("head").is_null()) {
      auto head = AuditHeadFromJson(audit.at("head"));
      if (!head.ok()) return fail("head", "", head.status().message());
      if (!check_signed("head", head->seq, head->hash, VerifySignature(key, AuditHeadMessage(*head), head->signature))) {
        return rep;
      }
    }
    if (!covered) return fail("audit_entry", std::to_string(last_seq), "no signed checkpoint or head covers the last audit entry");

    // The attachments: their bytes against the SHA-256 recorded at intake.
    const Json& attachments = m.at("attachments");
    if (attachments.size() > kMaxBundleAttachments) return fail("manifest", "", "too many attachments");
    std::string buffer;
    for (const Json& a : attachments) {
      const std::string id = a.at("evidence_id").get<std::string>();
      const uint64_t size = a.at("size").get<uint64_t>();
      std::string expected;
      if (!FromHex(a.at("sha256").get<std::string>(), &expected) || expected.size() != kSha256Size) {
        return fail("manifest", id, "an attachment's SHA-256 is malformed");
      }
      uint64_t len = 0;
      if (!ReadLength(in, &len)) return fail("truncated", id, "the bundle ends before this attachment");
      if (len != size) return fail("attachment", id, "the attachment's length differs from the manifest's size");
      Sha256 sha;
      for (uint64_t left = len; left > 0;) {
        const size_t step = static_cast<size_t>(std::min<uint64_t>(left, kBuffer));
        if (!ReadExact(in, &buffer, step)) return fail("truncated", id, "the bundle ends inside this attachment");
        sha.Update(buffer);
        left -= step;
      }
      if (!ConstantTimeEqual(sha.Finish(), expected)) {
        return fail("attachment", id, "the attachment's bytes do not match the SHA-256 recorded at intake");
      }
      rep.bytes += 8 + len;
      ++rep.attachments;
    }
    if (in.peek() != std::char_traits<char>::eof()) return fail("trailing", "", "bytes follow the last attachment");
    if (in.bad()) return Unavailable("reading the bundle failed");
  } catch (const Json::exception& e) {
    return fail("manifest", "", std::string("the manifest is malformed: ") + e.what());
  }
  rep.valid = true;
  return rep;
}

std::string DestructionReceiptMessage(const Json& receipt) {
  const auto format = receipt.find("format");
  const bool by_class = format != receipt.end() && *format == kClassDestructionReceiptFormat;
  return std::string(by_class ? kClassDestructionReceiptFormat : kDestructionReceiptFormat) + " signature\n" +
         receipt.dump();
}

Result<ReceiptReport> VerifyDestructionReceipt(std::string_view text, std::string_view pinned_public_key) {
  if (!pinned_public_key.empty() && pinned_public_key.size() != kSignPublicKeySize) {
    return InvalidArgument("a node public key is 32 bytes (64 hex digits)");
  }
  ReceiptReport rep;
  auto fail = [&](std::string problem) {
    rep.valid = false;
    rep.problem = std::move(problem);
    return rep;
  };
  if (text.size() > (1 << 20)) return fail("the receipt is larger than any receipt");
  Json j = Json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return fail("the receipt is not a JSON object");
  try {
    const Json& r = j.at("receipt");
    const bool by_class = r.at("format") == kClassDestructionReceiptFormat;
    if (r.at("format") != kDestructionReceiptFormat && !by_class) return fail("unknown receipt format");
    if (by_class) {
      const Json& classes = r.at("classes");
      if (!classes.is_array() || classes.empty() || classes.size() >= static_cast<size_t>(kFieldClassCount)) {
        return fail("the receipt's classes are malformed");
      }
      for (const Json& c : classes) {
        auto cls = ParseFieldClass(c.get<std::string>());
        if (!cls || *cls == FieldClass::kAdministrative) return fail("the receipt names an unknown field class");
        rep.classes.push_back(c.get<std::string>());
      }
    }
    std::string key, signature;
    if (!FromHex(r.at("node_public_key").get<std::string>(), &key) || key.size() != kSignPublicKeySize) {
      return fail("the receipt's node key is malformed");
    }
    if (!FromHex(j.at("signature").get<std::string>(), &signature) || signature.size() != kSignatureSize) {
      return fail("the receipt's signature is malformed");
    }
    if (!pinned_public_key.empty()) {
      if (key != pinned_public_key) return fail("the receipt names another node key than the pinned one");
      rep.key_pinned = true;
    }
    rep.node_public_key = key;
    rep.case_id = r.at("case_id").get<std::string>();
    rep.unit = r.at("unit").get<std::string>();
    if (!VerifySignature(key, DestructionReceiptMessage(r), signature)) {
      return fail("the node's signature over the receipt does not verify");
    }
  } catch (const Json::exception& e) {
    return fail(std::string("the receipt is malformed: ") + e.what());
  }
  rep.valid = true;
  return rep;
}

}  // namespace brankas
