// The auditor's tools of issue #5 (brankas/audit_analysis.h), under /v1/audit:
//
//   GET  /v1/audit/review                      the break-glass review queue:
//        flagged entries (break-glass grants, reads under them, unmasking,
//        shredding) without a review. An auditor (audit_read scope "all"), or a
//        supervisor of this unit (scope "unit").
//   POST /v1/audit/review/{seq} {"outcome":"justified"|"unjustified","note":"..."}
//        records a review of flagged entry `seq` as a NEW audit entry (action
//        "audit.review", the entry's case, detail "reviewed_seq=N outcome=O
//        note_bytes=K"): the note's length only, never its text. Auditors only;
//        not of one's own entry; 409 when not flagged or already reviewed.
//   GET  /v1/audit/anomalies?from=&to=         the anomaly report over [from, to)
//        (unix seconds; default the last 24 hours), thresholds from [anomaly].
//   GET  /v1/audit/touched?actor=U|grant=G|from=&to=   every case and field an
//        actor, a grant or a window touched, with counts and first/last times.
//
// Bounds: a window at most [anomaly] max_window_days long; at most
// max_scan_entries entries decoded per request, the newest ones when no window
// is given ("capped": true in the answer when the range held more; the
// scanned seq range is always in the answer). Read from one snapshot.
//
// Every call is audited (actions "audit.review_queue", "audit.review",
// "audit.anomalies", "audit.touched"): allow with a short detail, or deny /
// error with the error code. Thread-safe.
#pragma once

#include "brankas/audit_analysis.h"
#include "brankas/status.h"
#include "brankas/vault.h"
#include "server/api.h"
#include "server/http_types.h"
#include "server/json_io.h"

namespace brankas::server {

struct AuditToolAnswer {
  int status = 200;
  Json body;
};

// Routes /v1/audit/{review,anomalies,touched}[/...]: `target.segments` starts
// with "v1", "audit". The answer, or the error to answer with (already audited).
Result<AuditToolAnswer> AuditTools(Vault& vault, const RequestContext& rc, const HttpRequest& request,
                                   const Target& target, int max_json_depth, const AnomalyOptions& options);

// True for the paths AuditTools serves (the dispatch in api.cc).
bool IsAuditToolPath(const Target& target);

}  // namespace brankas::server
