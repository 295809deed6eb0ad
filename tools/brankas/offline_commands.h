// The offline commands of `brankas`: they work on a stopped node's data
// directory (API.md, "Offline commands").
#pragma once

#include <CLI/CLI.hpp>

namespace brankas::tools {

// Exit codes, documented in `brankas --help` and the README.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;   // the server refused (4xx/5xx), or the operation failed
inline constexpr int kExitUsage = 2;     // usage or I/O error, or the server cannot be reached
inline constexpr int kExitTampered = 3;  // verification found tampering or breakage

void AddInitCommand(CLI::App& app, int* exit_code);
void AddAuditCommand(CLI::App& app, int* exit_code);
// `brankas demo`: the journeys with synthetic data, offline (demo_command.cc).
void AddDemoCommand(CLI::App& app, int* exit_code);

}  // namespace brankas::tools
