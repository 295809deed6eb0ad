// The signed evidence bundle: everything a legal authorization opens of one
// case, in one file a court can check without trusting any server
// (`brankas evidence bundle`, `brankas evidence verify BUNDLE`).
//
// Format "brankas-evidence-bundle/1" (binary framing, big-endian lengths):
//   "BRANKAS-BUNDLE/1\n"                      magic, 17 bytes
//   u64 n | manifest                          UTF-8 JSON, n <= kMaxBundleManifestBytes
//   u64 64 | signature                        Ed25519 by the node key over
//                                             BundleSignedMessage(manifest)
//   for each manifest.attachments[i], in order:
//     u64 size | the attachment's bytes       size == attachments[i].size
//   nothing after the last attachment.
//
// The manifest: {"format","unit","node_public_key":HEX,"created_at","created_by",
// "request_id","case":{"case_id","stage","version"},"grants":[GrantToJson...],
// "fields":{NAME: VALUE},"masked":[NAME...],"withheld":[NAME...],
// "attachments":[{"evidence_id","name","content_type","size","sha256":HEX,
// "added_by","added_from","added_at"}...],
// "audit":{"entries":[AuditEntryToJson...],"checkpoint":CheckpointToJson|null,
// "head":AuditHeadToJson|null}}.
// Fields are exactly what the grantee may read under the grant (ReadCase:
// identity masked or withheld as UU SPPA asks unless the grant opens it).
//
// What the verifier proves: the node key signed the manifest (the key pinned
// with --node-key, else the bundle's own: trust on first use, said so); every
// attachment's bytes hash to the SHA-256 the manifest names (recorded at
// intake) and have its size; every audit entry's hash recomputes; the
// checkpoint and head signatures verify and are at or after the last entry;
// nothing is missing or left over. What it cannot prove alone: that the audit
// entries are all of the case's entries in the chain (they are a selection,
// not a contiguous segment; an auditor compares them with an audit export).
#pragma once

#include <cstdint>
#include <istream>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "brankas/policy.h"
#include "brankas/status.h"

namespace brankas {

inline constexpr std::string_view kBundleFormat = "brankas-evidence-bundle/1";
inline constexpr std::string_view kBundleMagic = "BRANKAS-BUNDLE/1\n";
inline constexpr uint64_t kMaxBundleManifestBytes = 64ull << 20;
inline constexpr size_t kMaxBundleAttachments = 1000;

// The bytes the node signs: a domain separator, then the manifest.
std::string BundleSignedMessage(std::string_view manifest);
// The framing of the bundle before the attachments (magic, manifest, signature).
std::string BundlePrefix(std::string_view manifest, std::string_view signature);
// The length prefix of one attachment.
std::string BundleLength(uint64_t n);

// A grant as the API and the bundle show it.
nlohmann::json GrantToJson(const Grant& grant);

struct BundleReport {
  bool valid = false;
  std::string case_id, unit;
  std::string node_public_key;  // 32 bytes: the key the signatures were checked with
  bool key_pinned = false;
  size_t fields = 0, attachments = 0, audit_entries = 0;
  uint64_t bytes = 0;
  // When !valid: the part that failed ("magic", "manifest", "manifest_signature",
  // "key", "attachment", "audit_entry", "checkpoint", "head", "trailing",
  // "truncated"), which one (an evidence id, an audit seq), and what failed.
  std::string failed_part;
  std::string failed_item;
  std::string problem;
};

// Reads `in` to its end with memory bounded by the manifest and one buffer.
// `pinned_public_key`: 32 bytes or empty. A Status only for a bad pinned key
// (kInvalidArgument) or a read error (kUnavailable); tampering is a report.
Result<BundleReport> VerifyEvidenceBundle(std::istream& in, std::string_view pinned_public_key);

// ---- The signed destruction receipt ------------------------------------------
//
// Crypto-shredding a case returns, stores (records "d/" case_id, replicated
// with the shred) and links into the audit trail (the shred's entry carries
// "receipt_sha256=" of the receipt's text) a receipt signed by the node key:
//   {"receipt":{"format":"brankas-destruction-receipt/1","unit","case_id",
//               "shredded_at","shredded_by","role","reason","legal_hold":false,
//               "destroyed":{"data_keys","versions","index_entries","attachments",
//                            "attachment_chunks"},"node_public_key":HEX},
//    "signature":HEX}
// The signature is over DestructionReceiptMessage(receipt), the object as
// nlohmann::json dumps it (keys sorted, no spaces).
//
// Shredding some field classes of a case (Vault::ShredClasses) gives a
// receipt of format "brankas-destruction-receipt/2": the same members plus
// "classes" (the field class names destroyed, sorted) and "case_kept":true,
// "destroyed" counting "data_keys","fields","index_entries","attachments",
// "attachment_chunks". Stored at records "dc/" case_id "/" be64(case version).
// A /1 verifier refuses it (unknown format) rather than read it as a whole-case
// destruction.
inline constexpr std::string_view kDestructionReceiptFormat = "brankas-destruction-receipt/1";
inline constexpr std::string_view kClassDestructionReceiptFormat = "brankas-destruction-receipt/2";
// The signed message: the receipt's own format (/1 or /2), " signature\n", the dump.
std::string DestructionReceiptMessage(const nlohmann::json& receipt);

struct ReceiptReport {
  bool valid = false;
  std::string case_id, unit;
  std::string node_public_key;  // 32 bytes
  bool key_pinned = false;
  std::string problem;          // when !valid
  // Format /2: the field classes destroyed (the case kept). Empty for /1.
  std::vector<std::string> classes;
};
// `text`: the receipt as returned or stored. Tampering is a report; a Status
// only for a bad pinned key.
Result<ReceiptReport> VerifyDestructionReceipt(std::string_view text, std::string_view pinned_public_key);

}  // namespace brankas
