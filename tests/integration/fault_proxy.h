// A TCP proxy for fault tests: listens on 127.0.0.1 (ephemeral port) and
// forwards every accepted connection to a fixed target, injecting faults on
// demand: delay, a hung link (blackhole), refused connections, cut
// connections, truncation and corruption at a byte offset, a bandwidth cap.
//
// One io_context on one background thread does all the I/O. Every fault
// setter is safe to call from any other thread and applies from the moment it
// returns to the bytes the proxy forwards afterwards (faults act when bytes
// are written to the far side, not when they are read). Each direction of a
// connection buffers at most 64 KiB; a side that does not read backpressures
// the other through TCP instead of growing memory.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

namespace brankas::testing {

class FaultProxy {
 public:
  // Listens on 127.0.0.1:0 and forwards every accepted connection to
  // target_host:target_port (resolved once, here). Returns nullptr if the
  // target cannot be resolved or the listener cannot be set up.
  static std::unique_ptr<FaultProxy> Start(const std::string& target_host, uint16_t target_port);

  FaultProxy(const FaultProxy&) = delete;
  FaultProxy& operator=(const FaultProxy&) = delete;
  // Stops promptly: closes the listener and every connection (blackholed or
  // not) and joins the background thread.
  ~FaultProxy();

  // Where clients connect (on 127.0.0.1).
  uint16_t port() const;

  // Every chunk is forwarded `d` after the proxy received it, in both
  // directions (0 = off). Data already queued in the proxy is re-timed with
  // the new value, so SetDelay(0) releases it at once.
  void SetDelay(std::chrono::milliseconds d);

  // A hung link: connections stay open, the proxy keeps reading into its
  // bounded buffers, but forwards nothing (no data and no FIN) in either
  // direction. Turning it off forwards what was held back, in order.
  void SetBlackhole(bool on);

  // New connections are accepted and closed at once (the client sees EOF, or
  // a reset if it had already sent data). Open connections are untouched.
  void RefuseNew(bool on);

  // Resets (RST, SO_LINGER 0) both sides of every open connection now; the
  // listener keeps accepting. Returns once the connections are closed.
  void CutAll();

  // One-shot, proxy-wide: after `after_bytes` more bytes have been forwarded
  // client->server (server->client with upstream=false), the connection
  // carrying them is closed. The receiving side gets exactly those bytes
  // followed by a FIN; the sending side's socket is closed (a reset if it
  // still had unread data).
  void TruncateNextAfter(uint64_t after_bytes, bool upstream = true);

  // One-shot, proxy-wide: the byte at offset `after_bytes` of the bytes
  // forwarded from now on in that direction is flipped (XOR 0xFF).
  void CorruptNextAfter(uint64_t after_bytes, bool upstream = true);

  // All faults off, including armed truncation and corruption.
  void Clear();

  // Caps forwarding at this many bytes per second in each direction, shared
  // by all connections as one link would be (0 = unlimited). No burst.
  void SetBandwidth(uint64_t bytes_per_s);

  // Connections accepted so far, refused ones included.
  uint64_t connections_accepted() const;
  // Bytes written to the server (upstream) and to clients (downstream).
  uint64_t bytes_upstream() const;
  uint64_t bytes_downstream() const;

 private:
  class Impl;
  explicit FaultProxy(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace brankas::testing
