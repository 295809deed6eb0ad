// brankas: the command line. Offline commands (offline_commands.h) work on a
// stopped node's data directory; online verbs (online_commands.h) talk to a
// running brankasd over HTTPS.
//
// Exit codes, the same for every command:
//   0  ok
//   1  the server refused (any 4xx or 5xx answer, no valid login), or the
//      operation failed
//   2  usage, I/O error, or the server cannot be reached
//   3  verification found tampering, or a problem was found: an attachment
//      that arrived cut short or with another SHA-256 (evidence add/get), an active
//      replication alarm (repl status), a central copy that does not verify
//      (repl drill), restored data that does not verify (restore)
#include <CLI/CLI.hpp>
#include <iostream>

#include "brankas/crypto.h"
#include "offline_commands.h"
#include "online_commands.h"
#include "repl_commands.h"

int main(int argc, char** argv) {
  CLI::App app{
      "brankas — the secure case-record vault's command line.\n"
      "Online verbs talk to brankasd: --server URL and --ca FILE (else $BRANKAS_SERVER, $BRANKAS_CA, else\n"
      "the login); the token comes from $BRANKAS_TOKEN or `brankas login`. --json prints the server's JSON.\n"
      "Exit codes: 0 ok; 1 the server refused (any 4xx/5xx) or the operation failed; 2 usage, I/O error\n"
      "or the server cannot be reached; 3 verification found tampering or a problem (evidence add/get: an\n"
      "attachment cut short or with another SHA-256; repl status: an active alarm; repl drill: the central\n"
      "copy does not verify; restore: what arrived does not verify)."};
  app.require_subcommand(1);
  if (!brankas::InitCrypto().ok()) {
    std::cerr << "brankas: libsodium failed to initialize\n";
    return brankas::tools::kExitUsage;
  }
  int exit_code = brankas::tools::kExitOk;
  brankas::tools::AddInitCommand(app, &exit_code);
  brankas::tools::AddAuditCommand(app, &exit_code);
  brankas::tools::AddDemoCommand(app, &exit_code);
  brankas::tools::AddSessionCommands(app, &exit_code);
  brankas::tools::AddCaseCommand(app, &exit_code);
  brankas::tools::AddSearchCommand(app, &exit_code);
  brankas::tools::AddGrantCommand(app, &exit_code);
  brankas::tools::AddEvidenceCommand(app, &exit_code);
  brankas::tools::AddRetentionCommand(app, &exit_code);
  brankas::tools::AddStatisticsCommand(app, &exit_code);
  brankas::tools::AddReferralCommand(app, &exit_code);
  brankas::tools::AddUserCommand(app, &exit_code);
  brankas::tools::AddSystemCommands(app, &exit_code);
  brankas::tools::AddReplCommand(app, &exit_code);
  brankas::tools::AddRestoreCommand(app, &exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : brankas::tools::kExitUsage;
  }
  return exit_code;
}
