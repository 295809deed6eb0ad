// Shamir secret sharing over GF(256) (the AES field, polynomial x^8+x^4+x^3+x+1,
// the same as SLIP-0039's and HashiCorp Vault's), byte by byte.
//
// A share is: x coordinate (1 byte, 1..255) followed by one y byte per secret
// byte. Any `threshold` distinct shares reconstruct the secret; fewer reveal
// nothing. Shares are secret: callers print them once and wipe them.
//
// Thread-safe (pure functions; randomness from libsodium).
#pragma once

#include <string>
#include <vector>

#include "brankas/crypto.h"
#include "brankas/status.h"

namespace brankas {

// REQUIRES: 1 <= threshold <= shares <= 255, secret non-empty.
Result<std::vector<std::string>> ShamirSplit(std::string_view secret, int shares, int threshold);
// kInvalidArgument for malformed, duplicated or inconsistent shares. With fewer
// than threshold shares the output is simply wrong: callers verify the result
// against a stored check value.
Result<SecretKey> ShamirCombine(const std::vector<std::string>& shares);

// Lower-level, exposed for known-answer tests.
unsigned char Gf256Mul(unsigned char a, unsigned char b);
unsigned char Gf256Inv(unsigned char a);

// Human form of a share: "brankas-share-" + hex, and back.
std::string EncodeShare(std::string_view share);
Result<std::string> DecodeShare(std::string_view text);

}  // namespace brankas
