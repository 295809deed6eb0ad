// Restore of a destroyed unit from the central node (DESIGN.md, "Restore").
//
// Pulls the unit's namespace into a temporary directory beside the data
// directory, checks the transfer digest, verifies the audit chain and its
// signed checkpoints and head with the unit's node key, starts a new
// generation, tells the central node to retire the old one (so a surviving
// copy of the old unit can never push into the new stream), then swaps the
// directory in with rename(2). An existing data directory is moved aside, not
// deleted. The restored node starts sealed: it serves only once unsealed with
// the unit's passphrase or recovery shares.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "brankas/audit.h"
#include "brankas/status.h"
#include "replication/wire.h"

namespace brankas::repl {

struct RestoreOptions {
  std::string central;            // HOST:PORT of the central node's replication listener
  std::string central_pin;        // pin of the central node's key
  std::string tls_cert, tls_key;  // an identity the central node pins for this unit
  std::string unit;
  std::string data_dir;           // the unit's RocksDB directory (made or replaced)
  std::string node_key_hex;       // the unit's node key, if known: the restored chain must verify with it
  int64_t connect_timeout_ms = 10'000;
  int64_t io_timeout_ms = 60'000;
  // Called after every chunk with the records and bytes received so far.
  std::function<void(uint64_t records, uint64_t bytes)> progress;
};

struct RestoreReport {
  uint64_t records = 0, bytes = 0;
  Cursor central_cursor;          // what the central node held when the pull started
  std::string old_generation, new_generation;  // raw 16 bytes each
  VerifyReport audit;
  std::string moved_aside;        // where an existing data directory went (empty if none)
  double seconds = 0;
};

// kCorruption when what arrived does not verify (nothing is swapped in then),
// kUnavailable when the central node cannot be reached or stops answering.
Result<RestoreReport> RestoreFromCentral(const RestoreOptions& options);

}  // namespace brankas::repl
