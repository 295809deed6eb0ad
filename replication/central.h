// The central backup node's receiver (role = "central"; DESIGN.md, "Replication").
//
// It accepts mutually authenticated TLS 1.3 connections from the units in its
// configuration (each pinned by key), one thread per connection, and keeps each
// unit's replicated state as ciphertext in that unit's namespace of one RocksDB:
//
//   every column   "u/<UNIT>/" + key               the unit's replicated records
//   meta           "central/cursor/<UNIT>"         durable (generation, seq, hash), halt flag
//   meta           "central/retired/<UNIT>/<gen>"  generations retired by a restore
//   meta           "central/alarm/<UNIT>/" + be64(time_us)  alarms
//   meta           "central/node_key/<UNIT>"       the unit's node key, when learned
//   changelog      "<UNIT>/" + gen + be64(seq)     hash of every applied entry (duplicates)
//   audit          "r/<UNIT>/" + be64(seq)         receipts: countersigned checkpoints
//
// A batch is applied with the cursor in one synced write before the ack. An
// entry at or below the cursor is compared by hash: ignored when equal, an
// alarm when not. A gap or a fork halts the unit's stream (persistently) with
// an alarm. The central node holds no unit key and decrypts nothing.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "brankas/audit.h"
#include "brankas/replication.h"
#include "brankas/status.h"
#include "replication/wire.h"

namespace brankas::repl {

struct CentralUnitState {
  std::string unit;
  Cursor cursor;            // generation empty when nothing was received yet
  bool halted = false;
  std::string halt_reason;
  std::vector<std::string> alarms;  // newest last, at most 32 kept in memory
  uint64_t receipts = 0;
  int64_t last_contact_us = 0;
  int sessions = 0;         // connections open now
};

// A restore drill on the central node's own copy.
struct DrillReport {
  std::string unit;
  Cursor cursor;
  uint64_t records = 0;
  std::string digest;   // ReplicatedDigest of the namespace
  VerifyReport audit;   // the unit's audit chain verified with its node key
  uint64_t receipts = 0, receipts_valid = 0;
  bool ok = false;
  std::string problem;
};

class CentralNode {
 public:
  // Opens (creating if needed) the central store in data_dir, loads or makes
  // the signing key, binds and starts accepting.
  static Result<std::unique_ptr<CentralNode>> Start(const std::string& data_dir, const CentralOptions& options);
  ~CentralNode();  // Stop()s

  uint16_t port() const;
  const std::string& public_key() const;  // 32 bytes: what receipts are signed with
  // Stops accepting, aborts every session, joins every thread. Idempotent.
  void Stop();

  std::vector<CentralUnitState> Units() const;
  Result<DrillReport> Drill(const std::string& unit);

  class Impl;

 private:
  explicit CentralNode(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The same drill offline over a central data directory (opened read-only; it
// may be in use by a running central node).
Result<DrillReport> DrillOffline(const std::string& data_dir, const std::string& unit,
                                 const std::string& node_key_hex);

// The central store's namespace prefix for a unit.
std::string UnitPrefix(std::string_view unit);

}  // namespace brankas::repl
