// GET /v1/audit/export?after=SEQ&limit=N (API.md; brankas/audit_export.h): one
// page of the audit trail with everything an offline verifier needs — every
// field of each entry, the signed checkpoints in the range and the first one
// after it, the signed head, the node's public key, the unit and the head seq.
//
// For a role whose audit_read scope is "all" (the auditor), like a query of the
// whole trail. Audited "audit.export": allowed with the range and count as
// detail, refused (bad parameters, another role) with the error code. `after`
// defaults to 0, `limit` to kDefaultAuditExportPage, at most kMaxAuditExportPage.
// Read from one snapshot of the store, so entries, checkpoints and head agree.
// Thread-safe.
#pragma once

#include "brankas/status.h"
#include "brankas/vault.h"
#include "server/api.h"
#include "server/json_io.h"

namespace brankas::server {

// The answer's body, or the error to answer with (already audited).
Result<Json> AuditExportPage(Vault& vault, const RequestContext& rc, const Target& target);

}  // namespace brankas::server
