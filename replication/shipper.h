// The unit side of replication: one thread that dials the central node and
// ships the changelog (the outbox) from what the central node holds durably.
//
// Session: connect (mutual TLS 1.3, the central pinned by key, a deadline on
// every step) -> Hello -> the central's durable cursor -> Push contiguous
// batches (bounded in entries and bytes), each answered by an Ack that means
// "durable at central" -> prune the outbox up to the ack. A Push without
// entries every few seconds keeps an idle link checked. Every failure closes
// the session and retries after an exponential backoff with jitter. Nothing is
// pruned that the central node has not acknowledged; past the outbox quota an
// alarm is raised and the data kept.
#pragma once

#include <memory>
#include <string>

#include "brankas/replication.h"
#include "brankas/status.h"
#include "brankas/store.h"

namespace brankas::repl {

class Shipper {
 public:
  // `store` is the unit's store and must outlive the shipper.
  static Result<std::unique_ptr<Shipper>> Start(Store* store, std::string unit, const ShipperOptions& options);
  ~Shipper();  // Stop()s without draining
  // Idempotent. With drain_ms > 0 the shipper first keeps shipping until the
  // central node holds everything written so far, or drain_ms passed (what is
  // left stays in the outbox for the next start); then it stops promptly.
  void Stop(int64_t drain_ms = 0);

  ReplicationStatus status() const;

  class Impl;

 private:
  explicit Shipper(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Receipts the unit holds (meta "local/repl/receipt/" + be64(audit seq)).
inline constexpr char kReceiptPrefix[] = "local/repl/receipt/";

}  // namespace brankas::repl
