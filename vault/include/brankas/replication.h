// Replication between a unit and the central backup node (DESIGN.md,
// "Replication"): the options both sides read from their configuration, the
// status the unit reports, and the public-key pins that authenticate each side.
//
// The implementation lives in replication/ (library brankas_replication):
// Shipper (unit side), CentralNode (receiver) and RestoreFromCentral.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "brankas/referral.h"
#include "brankas/status.h"

namespace brankas {

// A pin names a TLS identity by its public key: "sha256:" followed by 64 hex
// digits of SHA-256 over the DER SubjectPublicKeyInfo (as HPKP and curl's
// --pinnedpubkey do). A certificate may be reissued; the pin stays while the
// key does.
Result<std::string> PinOfCertificateFile(const std::string& cert_pem_path);
// kInvalidArgument unless `pin` has the form above.
Status ValidatePin(std::string_view pin);

// [replication] of a unit's configuration. Empty `central`: no replication.
struct ShipperOptions {
  std::string central;              // HOST:PORT of the central node's replication listener
  std::string central_pin;          // pin of the central node's TLS key (required with `central`)
  std::string tls_cert, tls_key;    // the unit's client identity (PEM); default: the [api] pair
  size_t batch_max_bytes = 4u << 20;     // one batch at most this many bytes of entries...
  size_t batch_max_entries = 2048;       // ...and this many entries
  int64_t batch_max_wait_ms = 20;        // wait this long for more entries before sending a short batch
  int64_t connect_timeout_ms = 5'000;    // TCP connect plus TLS handshake
  int64_t io_timeout_ms = 15'000;        // each read or write of one frame
  int64_t backoff_min_ms = 200;          // first retry delay after a failure...
  int64_t backoff_max_ms = 60'000;       // ...doubling, with jitter, up to this
  uint64_t bandwidth_bytes_per_s = 0;    // token-bucket cap on bytes sent; 0: unlimited
  uint64_t outbox_quota_bytes = 1ull << 30;  // alarm (data kept) when the unacknowledged outbox exceeds this
  // Referrals from other units the central node relays to this one: pulled at
  // every contact and every inbox_interval_ms while connected, and handed to
  // this callback (brankasd: Vault::ReceiveReferrals). An error leaves them
  // for the next pull. Unset: the inbox is not pulled.
  std::function<Status(const std::vector<ReferralDelivery>&)> on_referrals;
  int64_t inbox_interval_ms = 5'000;
};

// One unit the central node accepts, from [[units]] of central.toml.
struct CentralUnit {
  std::string code;      // the unit code (namespace on the central node)
  std::string pin;       // pin of the unit's TLS key; connections with any other key are refused
  std::string node_key;  // hex Ed25519 node public key of the unit (checks checkpoint signatures);
                         // empty: learned from the unit's first replicated entry and kept
};

// [central] of a central node's configuration.
struct CentralOptions {
  std::string listen_host = "127.0.0.1";
  uint16_t listen_port = 9443;           // 0: an ephemeral port (tests)
  std::string tls_cert, tls_key;         // the central node's identity (PEM); required
  std::string signing_key_file;          // Ed25519 key that countersigns checkpoints; made on first start (0600)
  size_t max_connections = 256;
  size_t max_frame_bytes = 64u << 20;    // largest frame accepted
  int64_t handshake_timeout_ms = 5'000;
  int64_t io_timeout_ms = 30'000;        // each read or write of one frame once a session is up
  std::vector<CentralUnit> units;
};

// What a unit's shipper reports (GET /v1/replication/status, brankas repl
// status, and metrics). Times are Unix µs; 0 when it never happened.
struct ReplicationStatus {
  bool enabled = false;
  std::string peer;                  // HOST:PORT of the central node
  std::string generation;            // hex
  uint64_t local_seq = 0;            // newest changelog entry written here
  uint64_t acked_seq = 0;            // newest entry the central node holds durably
  uint64_t lag_entries = 0;          // local_seq - acked_seq
  double lag_seconds = 0;            // age of the oldest unacknowledged entry
  uint64_t bytes_pending = 0;        // bytes of unacknowledged entries
  int64_t last_contact_us = 0;       // last successful exchange with the central node
  int64_t last_ack_us = 0;
  uint64_t consecutive_failures = 0;
  uint64_t batches_sent = 0, entries_sent = 0, bytes_sent = 0;
  uint64_t receipts = 0;             // countersigned checkpoints received
  bool connected = false;
  std::string last_error;            // a fixed-vocabulary description, no data
  std::vector<std::string> alarms;   // active alarms (e.g. "outbox over quota", "central refused: fork")
};

}  // namespace brankas
