// Shamir secret sharing over GF(2^8) with the AES polynomial 0x11B.
//
// Arithmetic on share values is constant time (no table lookups indexed by
// secret bytes, no secret-dependent branches): Gf256Mul is a carry-less
// shift-and-add with masks, and Gf256Inv is a fixed exponentiation a^254.
#include "brankas/shamir.h"

#include <sodium.h>

#include <array>
#include <cstdint>

namespace brankas {
namespace {

constexpr std::string_view kSharePrefix = "brankas-share-";

// x coordinates are public, so this check may branch freely.
Status ValidateShares(const std::vector<std::string>& shares) {
  if (shares.empty()) return InvalidArgument("no shares given");
  if (shares.size() > 255) return InvalidArgument("too many shares");
  const size_t len = shares.front().size();
  if (len < 2) return InvalidArgument("share too short");
  std::array<bool, 256> seen{};
  for (const auto& s : shares) {
    if (s.size() != len) return InvalidArgument("shares have different lengths");
    const auto x = static_cast<uint8_t>(s[0]);
    if (x == 0) return InvalidArgument("share has x coordinate 0");
    if (seen[x]) return InvalidArgument("duplicate share");
    seen[x] = true;
  }
  return Status::Ok();
}

}  // namespace

unsigned char Gf256Mul(unsigned char a, unsigned char b) {
  unsigned int x = a;
  unsigned int y = b;
  unsigned int r = 0;
  for (int i = 0; i < 8; ++i) {
    r ^= x & (0u - (y & 1u));                  // add x if the low bit of y is set
    y >>= 1;
    const unsigned int carry = 0u - ((x >> 7) & 1u);
    x = ((x << 1) ^ (0x11Bu & carry)) & 0xFFu;  // x *= 2 mod the AES polynomial
  }
  return static_cast<unsigned char>(r);
}

unsigned char Gf256Inv(unsigned char a) {
  // a^254 == a^-1 for a != 0 (the multiplicative group has order 255); 0 -> 0.
  unsigned char result = 1;
  unsigned char base = a;
  for (int e = 254; e > 0; e >>= 1) {  // the exponent is public
    if (e & 1) result = Gf256Mul(result, base);
    base = Gf256Mul(base, base);
  }
  return result;
}

Result<std::vector<std::string>> ShamirSplit(std::string_view secret, int shares, int threshold) {
  if (secret.empty()) return InvalidArgument("secret is empty");
  if (threshold < 1 || shares < threshold || shares > 255) {
    return InvalidArgument("need 1 <= threshold <= shares <= 255");
  }
  const size_t k = static_cast<size_t>(threshold);
  std::vector<std::string> out(static_cast<size_t>(shares));
  for (int i = 0; i < shares; ++i) {
    out[i].assign(secret.size() + 1, '\0');
    out[i][0] = static_cast<char>(i + 1);
  }
  // Coefficients 1..k-1 of one byte's polynomial; coefficient 0 is the secret byte.
  SecretKey coeffs = k > 1 ? SecretKey::Random(k - 1) : SecretKey();
  for (size_t pos = 0; pos < secret.size(); ++pos) {
    if (k > 1) randombytes_buf(coeffs.mutable_data(), k - 1);
    for (int i = 0; i < shares; ++i) {
      const auto x = static_cast<unsigned char>(i + 1);
      // Horner: (((c[k-1]) x + c[k-2]) x + ... ) x + secret
      unsigned char y = 0;
      for (size_t c = k - 1; c >= 1; --c) y = Gf256Mul(y, x) ^ coeffs.data()[c - 1];
      y = Gf256Mul(y, x) ^ static_cast<unsigned char>(secret[pos]);
      out[i][pos + 1] = static_cast<char>(y);
    }
  }
  return out;  // `coeffs` is zeroed on destruction
}

Result<SecretKey> ShamirCombine(const std::vector<std::string>& shares) {
  BRANKAS_RETURN_IF_ERROR(ValidateShares(shares));
  const size_t n = shares.size();
  const size_t len = shares.front().size() - 1;
  // Lagrange basis at 0: l_i = prod_{j != i} x_j / (x_j - x_i); in GF(2^8), minus is xor.
  std::vector<unsigned char> basis(n);
  for (size_t i = 0; i < n; ++i) {
    const auto xi = static_cast<unsigned char>(shares[i][0]);
    unsigned char num = 1;
    unsigned char den = 1;
    for (size_t j = 0; j < n; ++j) {
      if (j == i) continue;
      const auto xj = static_cast<unsigned char>(shares[j][0]);
      num = Gf256Mul(num, xj);
      den = Gf256Mul(den, static_cast<unsigned char>(xj ^ xi));
    }
    basis[i] = Gf256Mul(num, Gf256Inv(den));
  }
  SecretKey secret = SecretKey::Random(len);
  unsigned char* out = secret.mutable_data();
  for (size_t pos = 0; pos < len; ++pos) {
    unsigned char acc = 0;
    for (size_t i = 0; i < n; ++i) {
      acc ^= Gf256Mul(static_cast<unsigned char>(shares[i][pos + 1]), basis[i]);
    }
    out[pos] = acc;
  }
  return secret;
}

std::string EncodeShare(std::string_view share) {
  return std::string(kSharePrefix) + ToHex(share);
}

Result<std::string> DecodeShare(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t' || text.front() == '\n' ||
                           text.front() == '\r')) {
    text.remove_prefix(1);
  }
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\n' ||
                           text.back() == '\r')) {
    text.remove_suffix(1);
  }
  if (text.substr(0, kSharePrefix.size()) != kSharePrefix) {
    return InvalidArgument("not a brankas recovery share");
  }
  std::string share;
  if (!FromHex(text.substr(kSharePrefix.size()), &share)) {
    return InvalidArgument("recovery share is not valid hex");
  }
  if (share.size() < 2 || share[0] == '\0') {
    WipeString(share);
    return InvalidArgument("recovery share is malformed");
  }
  return share;
}

}  // namespace brankas
