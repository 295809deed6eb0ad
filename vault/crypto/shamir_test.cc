#include "brankas/shamir.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

namespace brankas {
namespace {

class ShamirTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(InitCrypto().ok()); }
};

// Evaluates sum c[i] x^i with schoolbook powers (independent of the Horner
// loop in shamir.cc).
unsigned char Eval(const std::vector<unsigned char>& c, unsigned char x) {
  unsigned char y = 0;
  unsigned char power = 1;
  for (unsigned char ci : c) {
    y ^= Gf256Mul(ci, power);
    power = Gf256Mul(power, x);
  }
  return y;
}

TEST_F(ShamirTest, Gf256KnownVectors) {
  EXPECT_EQ(Gf256Mul(0x53, 0xCA), 0x01);
  EXPECT_EQ(Gf256Mul(0x57, 0x83), 0xC1);
  EXPECT_EQ(Gf256Mul(0x57, 0x13), 0xFE);  // FIPS-197 section 4.2.1
  EXPECT_EQ(Gf256Mul(0x02, 0x80), 0x1B);
  EXPECT_EQ(Gf256Mul(0x00, 0xAB), 0x00);
  EXPECT_EQ(Gf256Mul(0x01, 0xAB), 0xAB);
  EXPECT_EQ(Gf256Inv(0x53), 0xCA);
  EXPECT_EQ(Gf256Inv(0x01), 0x01);
  EXPECT_EQ(Gf256Inv(0x00), 0x00);
}

TEST_F(ShamirTest, Gf256FieldLaws) {
  for (int a = 1; a < 256; ++a) {
    const auto ua = static_cast<unsigned char>(a);
    ASSERT_EQ(Gf256Mul(ua, Gf256Inv(ua)), 1) << a;
    for (int b = 0; b < 256; ++b) {
      ASSERT_EQ(Gf256Mul(ua, static_cast<unsigned char>(b)),
                Gf256Mul(static_cast<unsigned char>(b), ua));
    }
  }
}

// Every k-subset of every split with n <= 5 reconstructs; every (k-1)-subset
// of a 32-byte secret does not.
TEST_F(ShamirTest, EverySubsetOfThresholdSize) {
  const std::string secret = RandomBytes(32);
  for (int n = 1; n <= 5; ++n) {
    for (int k = 1; k <= n; ++k) {
      auto shares = ShamirSplit(secret, n, k);
      ASSERT_TRUE(shares.ok()) << shares.status().ToString();
      ASSERT_EQ(shares->size(), static_cast<size_t>(n));
      for (unsigned mask = 1; mask < (1u << n); ++mask) {
        std::vector<std::string> subset;
        for (int i = 0; i < n; ++i) {
          if (mask & (1u << i)) subset.push_back((*shares)[i]);
        }
        const int count = static_cast<int>(subset.size());
        auto got = ShamirCombine(subset);
        ASSERT_TRUE(got.ok()) << got.status().ToString();
        if (count >= k) {
          EXPECT_EQ(got->view(), secret) << "n=" << n << " k=" << k << " mask=" << mask;
        } else {
          EXPECT_NE(got->view(), secret) << "n=" << n << " k=" << k << " mask=" << mask;
        }
      }
    }
  }
}

TEST_F(ShamirTest, ThresholdOneSharesAreTheSecret) {
  auto shares = ShamirSplit("abc", 3, 1);
  ASSERT_TRUE(shares.ok());
  for (const auto& s : *shares) EXPECT_EQ(s.substr(1), "abc");
  EXPECT_EQ((*shares)[0][0], 1);
  EXPECT_EQ((*shares)[2][0], 3);
}

TEST_F(ShamirTest, KnownAnswerFixedPolynomial) {
  // Two secret bytes, threshold 3: p0(x) = 0x42 + 0x11 x + 0xA7 x^2,
  // p1(x) = 0x00 + 0xFF x + 0x01 x^2; shares at x = 2, 7, 200.
  const std::vector<unsigned char> p0 = {0x42, 0x11, 0xA7};
  const std::vector<unsigned char> p1 = {0x00, 0xFF, 0x01};
  std::vector<std::string> shares;
  for (unsigned char x : {2, 7, 200}) {
    shares.push_back(std::string{static_cast<char>(x), static_cast<char>(Eval(p0, x)),
                                 static_cast<char>(Eval(p1, x))});
  }
  // Hand-checked value: p0(2) = 0x42 ^ (0x11*2) ^ (0xA7*4).
  // 0x11*2 = 0x22; 0xA7*2 = 0x4E^0x1B... = 0x55, *2 = 0xAA; 0x42^0x22^0xAA = 0xCA.
  EXPECT_EQ(static_cast<unsigned char>(shares[0][1]), 0xCA);
  auto got = ShamirCombine(shares);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->view(), std::string("\x42\x00", 2));
  // Order does not matter.
  std::reverse(shares.begin(), shares.end());
  got = ShamirCombine(shares);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->view(), std::string("\x42\x00", 2));
}

TEST_F(ShamirTest, SplitRejectsBadParameters) {
  EXPECT_EQ(ShamirSplit("", 3, 2).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(ShamirSplit("s", 3, 0).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(ShamirSplit("s", 2, 3).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(ShamirSplit("s", 256, 3).status().code(), Code::kInvalidArgument);
  EXPECT_TRUE(ShamirSplit("s", 255, 255).ok());
}

TEST_F(ShamirTest, CombineRejectsMalformedShares) {
  auto shares = ShamirSplit(RandomBytes(32), 3, 2);
  ASSERT_TRUE(shares.ok());
  const auto& s = *shares;
  EXPECT_EQ(ShamirCombine({}).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(ShamirCombine({s[0], s[0]}).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(ShamirCombine({s[0], s[1].substr(0, 10)}).status().code(), Code::kInvalidArgument);
  std::string zero = s[1];
  zero[0] = '\0';
  EXPECT_EQ(ShamirCombine({s[0], zero}).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(ShamirCombine({std::string("\x01", 1)}).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(ShamirCombine({std::string()}).status().code(), Code::kInvalidArgument);
}

TEST_F(ShamirTest, EncodeDecode) {
  auto shares = ShamirSplit(RandomBytes(32), 2, 2);
  ASSERT_TRUE(shares.ok());
  const std::string text = EncodeShare((*shares)[0]);
  EXPECT_EQ(text.rfind("brankas-share-01", 0), 0u);
  auto back = DecodeShare(text);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, (*shares)[0]);
  auto padded = DecodeShare("  " + text + "\n");
  ASSERT_TRUE(padded.ok());
  EXPECT_EQ(*padded, (*shares)[0]);

  for (std::string bad : {std::string(), std::string("brankas-share-"),
                          std::string("brankas-share-0"), std::string("brankas-share-01"),
                          std::string("brankas-share-00ab"), std::string("brankas-share-zz11"),
                          std::string("other-share-01ab"), text.substr(1),
                          text.substr(0, text.size() - 1), text + "x"}) {
    auto r = DecodeShare(bad);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
    }
  }
}

}  // namespace
}  // namespace brankas
