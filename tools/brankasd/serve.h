// What brankasd --config and brankasd --dev share: logging set-up and serving
// until a stop signal.
#pragma once

#include <functional>
#include <string>

#include "brankas/server.h"
#include "brankas/vault.h"
#include "brankas/status.h"

namespace brankas::tools {

// Blocks SIGTERM, SIGINT and SIGHUP in this thread; call before any other
// thread starts so that every thread inherits the mask and WaitForStopSignal
// alone receives them.
void BlockStopSignals();
// Returns the signal that arrived.
int WaitForStopSignal();

// On the way out, after the API stopped and before replication drains: a
// signed checkpoint covering the newest audit entries (shipped by the drain
// for the central node to countersign). Nothing when sealed; a failure is
// logged, not fatal.
void FinalCheckpoint(Vault& vault);

// spdlog to standard error or a file, at a level; kInvalidArgument if the file
// cannot be opened.
Status SetUpLogging(const std::string& level, const std::string& file);

}  // namespace brankas::tools
