// Internals of `brankas demo`: the journeys it walks (demo_journeys.cc) and the
// small text tables it prints (demo_table.cc). demo_command.cc opens the vault
// and runs them in order.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

#include "brankas/status.h"
#include "brankas/vault.h"

namespace brankas::tools::demo {

// One synthetic case as the demo created it.
struct DemoCase {
  std::string id;
  uint64_t version = 0;
  std::string nik;  // synthetic; the value searched for in step 7
};

// Shared by every step.
struct DemoContext {
  Vault& vault;
  std::ostream& out;
  std::string data_dir;
  uint64_t seed = 0;
  std::vector<DemoCase> cases;
  uint64_t next_request = 0;

  // Who asks: a principal of the vault's unit, with a fresh request id.
  RequestContext As(std::string_view user, Role role);
};

// The journeys, in order. Each prints its part of the narrative and returns a
// non-OK status on anything unexpected (an allowed read that policy should
// deny counts as unexpected too).
Status RegisterCases(DemoContext& ctx);        // 1
Status OwnerReads(DemoContext& ctx);           // 2
Status PsychologistReads(DemoContext& ctx);    // 3
Status SupervisorReads(DemoContext& ctx);      // 4
Status OtherWorkerDenied(DemoContext& ctx);    // 5
Status LegalGrantJourney(DemoContext& ctx);    // 6
Status SearchByNik(DemoContext& ctx);          // 7
Status AuditorReview(DemoContext& ctx);        // 8
void WhatNext(DemoContext& ctx);               // 9

// A plain-text table with aligned columns (widths counted in UTF-8 characters).
class Table {
 public:
  explicit Table(std::vector<std::string> headers);
  void Add(std::vector<std::string> row);
  void Print(std::ostream& out, std::string_view indent = "  ") const;
  size_t rows() const { return rows_.size(); }

 private:
  std::vector<std::string> headers_;
  std::vector<std::vector<std::string>> rows_;
};

// At most `max_chars` UTF-8 characters of `value` on one line: line breaks and
// tabs become spaces, and a cut is marked with "…".
std::string Truncate(std::string_view value, size_t max_chars = 40);
// One column of a fixed-width listing: Truncate(text, width), padded to
// `width` characters, then two spaces.
std::string Cell(std::string_view text, size_t width);
// "HH:MM:SS.mmm" (UTC) of unix microseconds.
std::string ClockTime(int64_t time_us);
// A section heading: "\n== N. title ==".
void Heading(std::ostream& out, int step, std::string_view title);
// "what: code: message" with the code of `status` kept.
Status Context(const Status& status, std::string_view what);
// "a, b, c", or "(none)".
std::string JoinOrNone(const std::vector<std::string>& items);
// "  label: a, b, c" wrapped at about 100 columns.
void PrintList(std::ostream& out, std::string_view label, const std::vector<std::string>& items);

}  // namespace brankas::tools::demo
