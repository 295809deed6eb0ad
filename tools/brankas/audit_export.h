// `brankas audit export` (online) and `brankas audit verify --export` (offline):
// the audit export of brankas/audit_export.h. audit_export_command.cc.
#pragma once

#include <string>

#include <CLI/CLI.hpp>

namespace brankas::tools {

// Under `audit` (audit_command.cc).
void AddAuditExportVerb(CLI::App* audit_command, int* exit_code);

// brankas audit verify --export FILE [--node-key HEX | --node-key-file F] [--json]:
// offline, no server. Exit 0 intact, 3 tampered or broken, 2 usage or I/O error.
struct ExportVerifyArgs {
  std::string file;
  std::string node_key_hex;   // empty: --node-key-file, else the file's own key
  std::string node_key_file;
  bool json = false;
};
int RunAuditExportVerify(const ExportVerifyArgs& args);

}  // namespace brankas::tools
