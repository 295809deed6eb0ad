// The online verbs of `brankas`: they talk to a running brankasd over its
// HTTPS JSON API (API.md). Connection, output and exit codes: online_client.h.
//
//   login, logout                                  online_session.cc
//   case create|get|update|list|history            online_case.cc
//   case assign|stage|close|reopen|hold|
//        break-glass|shred                         online_case_lifecycle.cc
//   search, grant request|approve|revoke           online_grant.cc
//   audit query, audit verify (without --data-dir) online_audit.cc
//   audit review|anomalies|touched                online_audit_tools.cc
//   user add|list|disable|passwd                   online_user.cc
//   unseal, seal, health                           online_system.cc
//   evidence add|list|get                          online_evidence.cc
//   stats export                                   online_statistics.cc
//   referral create|list|show|assign|revoke        online_referral.cc
#pragma once

#include <CLI/CLI.hpp>

#include "online_client.h"

namespace brankas::tools {

void AddSessionCommands(CLI::App& app, int* exit_code);
void AddCaseCommand(CLI::App& app, int* exit_code);
// The lifecycle verbs, under the `case` command AddCaseCommand made.
void AddCaseLifecycleVerbs(CLI::App* case_command, int* exit_code);
void AddSearchCommand(CLI::App& app, int* exit_code);
void AddGrantCommand(CLI::App& app, int* exit_code);
void AddUserCommand(CLI::App& app, int* exit_code);
void AddSystemCommands(CLI::App& app, int* exit_code);
// brankas retention due|run (online_retention.cc).
void AddRetentionCommand(CLI::App& app, int* exit_code);
// brankas stats export (online_statistics.cc).
void AddStatisticsCommand(CLI::App& app, int* exit_code);
void AddEvidenceCommand(CLI::App& app, int* exit_code);
// brankas referral create|list|show|assign|revoke (online_referral.cc).
void AddReferralCommand(CLI::App& app, int* exit_code);
// The "fields" of a case read (GET /v1/cases/ID, /v1/referrals/ID): one line
// each, masked ones marked, then the withheld names (online_case.cc).
void PrintFieldValues(const Json& reply);

// Under `audit` (audit_command.cc): `audit query`, and the live chain's
// verification that `audit verify` runs when no --data-dir is given.
void AddAuditQueryVerb(CLI::App* audit_command, int* exit_code);
int RunOnlineAuditVerify(const CommonArgs& args);
// `audit review`, `audit anomalies`, `audit touched`: the auditor's tools.
void AddAuditToolVerbs(CLI::App* audit_command, int* exit_code);

}  // namespace brankas::tools
