// What the crash writer (crash_writer.cc) and its parent test (crash_test.cc)
// agree on: the unit, the acting user, the passphrase of the throwaway test
// vault, and how an acknowledged write is described on the pipe.
//
// The writer prints one line per acknowledged operation, after the vault
// returned OK (i.e. after the group commit's synced write):
//   ack create <case_id> <version> <hash-hex> <field,field,...>\n
//   ack update <case_id> <version> <hash-hex> <field,field,...>\n
// <hash> is FieldsHash() of the normalized (name, value) pairs written at
// <version>, in name order. A line without its '\n' was cut by the kill and
// is not an acknowledgement. Other lines: "ready\n" once unsealed, and
// "err <text>\n" just before the writer exits on an unexpected failure.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "brankas/crypto.h"
#include "brankas/policy.h"
#include "brankas/vault.h"

namespace brankas::crash {

inline constexpr char kUnit[] = "KPG";
inline constexpr char kWriterUser[] = "rina";
// A throwaway vault in a per-test temporary directory; never a real secret.
inline constexpr char kPassphrase[] = "crash test passphrase, not a secret";
inline constexpr uint64_t kCheckpointEveryEntries = 50;

inline RequestContext WriterContext(std::string request_id = "crash") {
  return RequestContext{Principal{kWriterUser, Role::kCaseWorker, kUnit}, std::move(request_id),
                        "127.0.0.1"};
}

inline RequestContext AdminContext() {
  return RequestContext{Principal{"admin", Role::kAdmin, kUnit}, "crash-admin", "127.0.0.1"};
}

// BLAKE2b-256 over the framed names and values, hex.
inline std::string FieldsHash(const std::vector<std::pair<std::string, std::string>>& sorted_fields) {
  Hasher h;
  for (const auto& [name, value] : sorted_fields) {
    h.UpdateFramed(name);
    h.UpdateFramed(value);
  }
  return ToHex(h.Finish());
}

}  // namespace brankas::crash
