// brankas: the command line. Offline commands work on a stopped node's data
// directory; the server commands arrive with brankasd.
#include <CLI/CLI.hpp>

#include "offline_commands.h"

int main(int argc, char** argv) {
  CLI::App app{"brankas — the secure case-record vault's command line.\n"
               "Exit codes: 0 ok, 1 failed, 2 usage or I/O error, 3 verification found tampering."};
  app.require_subcommand(1);
  int exit_code = brankas::tools::kExitOk;
  brankas::tools::AddInitCommand(app, &exit_code);
  brankas::tools::AddAuditCommand(app, &exit_code);
  brankas::tools::AddDemoCommand(app, &exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : brankas::tools::kExitUsage;
  }
  return exit_code;
}
