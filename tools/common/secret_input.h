// Reading secrets (passphrases) without echo, from a terminal or a file.
#pragma once

#include <string>

#include "brankas/status.h"

namespace brankas::tools {

// Prompts on the terminal with echo off. kFailedPrecondition without a terminal.
Result<std::string> PromptSecret(const std::string& prompt);
// The first line of a file (a trailing newline is dropped). The file should be
// mode 0600; a group- or world-readable file is refused.
Result<std::string> ReadSecretFile(const std::string& path);

}  // namespace brankas::tools
