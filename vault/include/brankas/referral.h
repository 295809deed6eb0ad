// Referral (rujukan) of a case between units, through the central node
// (DESIGN.md, "Replication"; issue #4).
//
// Unit A shares chosen classes of a case with unit B: A's vault gathers the
// current sealed values of those classes, seals their data keys to B's node
// key (a sealed box to the X25519 form of B's Ed25519 key, pinned in A's
// configuration) and signs the package with A's node key. The package is an
// ordinary replicated record of A ("rf/<B>/<id>"), so it reaches the central
// node in A's changelog; the central node copies it into B's inbox (it cannot
// open it), and B's shipper pulls the inbox at every contact. B verifies the
// signature with A's pinned key and stores the package ("ri/<A>/<id>"); B's
// staff read it under B's policy (a supervisor of B assigns B's workers). A
// revokes by replacing the package with a signed revocation without keys or
// values; B applies it at its next contact and can read nothing more. Every
// step is audited on the side that takes it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "brankas/types.h"

namespace brankas {

struct ReferralRequest {
  std::string case_id;
  std::string to_unit;
  std::vector<FieldClass> classes;
  int64_t expires_at = 0;  // unix seconds; 0: until revoked
};

struct ReferralInfo {
  std::string referral_id, from_unit, to_unit, case_id, created_by;
  std::vector<FieldClass> classes;
  int64_t created_us = 0;
  int64_t expires_at = 0;
  bool revoked = false;
  int64_t revoked_us = 0;
  bool incoming = false;               // held by the receiving unit
  std::vector<std::string> assigned;   // incoming: the receiving unit's workers on it
  uint64_t fields = 0;                 // values shared (0 once revoked)
};

// One inbox item as the central node relays it.
struct ReferralDelivery {
  std::string from_unit;
  std::string referral_id;
  std::string record;  // the sending unit's stored record, as replicated
};

// Record keys (records column).
inline constexpr char kOutgoingReferralPrefix[] = "rf/";  // "rf/<to unit>/<id>": routed by the central node
inline constexpr char kIncomingReferralPrefix[] = "ri/";  // "ri/<from unit>/<id>"

}  // namespace brankas
