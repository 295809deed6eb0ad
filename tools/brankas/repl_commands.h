// Replication and restore verbs of `brankas` (API.md; DESIGN.md, "Replication"
// and "Restore"):
//
//   repl status                  online: GET /v1/replication/status    repl_command.cc
//   repl pin --cert FILE         offline: the pin of a TLS key          repl_command.cc
//   repl identity --cert --key   offline: a new self-signed identity    repl_command.cc
//   repl drill --data-dir D --unit CODE
//                                offline: restore drill on the central
//                                node's own copy (read-only)            repl_command.cc
//   restore --from HOST:PORT ... pulls a unit back from the central
//                                node into a data directory             restore_command.cc
//
// Exit codes are those of every command (offline_commands.h); 3 also means
// "a problem was found": an active replication alarm (repl status), a copy
// that does not verify (repl drill), or a restore whose data did not verify.
#pragma once

#include <CLI/CLI.hpp>

namespace brankas::tools {

void AddReplCommand(CLI::App& app, int* exit_code);
void AddRestoreCommand(CLI::App& app, int* exit_code);

}  // namespace brankas::tools
