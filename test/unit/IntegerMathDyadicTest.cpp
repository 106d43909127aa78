//===- IntegerMathDyadicTest.cpp - dyadic requant and isqrt tests -*- C++
//-*-===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//
//
// Property tests of makeDyadic/applyDyadic/requantize against exact 128-bit
// rational references (ALGORITHMS.md §7.1), and of isqrt64 against the
// definition floor(sqrt(n)) (§7.7).
//
//===----------------------------------------------------------------------===//

#include "qcc/Quant/IntegerMath.h"

#include "gtest/gtest.h"

#include <cmath>
#include <cstdio>
#include <limits>
#include <random>

using namespace mlir::qcc;

namespace {

/// Exact floor(num / den) for den > 0 by 128-bit long division.
__int128 floorDiv128(__int128 num, __int128 den) {
  __int128 q = num / den;
  if (num % den != 0 && num < 0)
    --q;
  return q;
}

/// Reference: floor(acc * m / 2^e + 1/2) = floor((2 acc m + 2^e) / 2^(e+1)),
/// by division (not by shifting) so it is independent of applyDyadic.
__int128 refRoundHalfUp(int64_t acc, Dyadic d) {
  __int128 num = static_cast<__int128>(acc) * d.multiplier;
  __int128 den = static_cast<__int128>(1) << d.shift;
  return floorDiv128(2 * num + den, 2 * den);
}

/// Ratios log-uniform over [lo, hi].
double logUniform(std::mt19937_64 &rng, double lo, double hi) {
  std::uniform_real_distribution<double> u(std::log(lo), std::log(hi));
  return std::exp(u(rng));
}

/// Checks the makeDyadic postconditions for \p ratio and returns the exact
/// relative error |m 2^-e - M| / M (long double: the subtraction is exact).
long double checkedRelativeError(double ratio) {
  std::optional<Dyadic> d = makeDyadic(ratio);
  EXPECT_TRUE(d.has_value()) << ratio;
  if (!d)
    return 1;
  EXPECT_GE(d->multiplier, int32_t(1) << 30) << ratio;
  EXPECT_GE(d->shift, 0) << ratio;
  EXPECT_LE(d->shift, 61) << ratio;
  long double value =
      std::ldexp(static_cast<long double>(d->multiplier), -d->shift);
  return std::fabs(value - static_cast<long double>(ratio)) / ratio;
}

TEST(IntegerMathDyadicTest, RelativeErrorBelow2PowMinus31) {
  std::mt19937_64 rng(1);
  long double maxSmall = 0, maxLarge = 0;
  for (int i = 0; i < 1000000; ++i) {
    maxSmall =
        std::max(maxSmall, checkedRelativeError(logUniform(rng, 1e-9, 1)));
    maxLarge =
        std::max(maxLarge, checkedRelativeError(logUniform(rng, 1, 0x1p20)));
  }
  long double bound = std::ldexp(1.0L, -31);
  EXPECT_LT(maxSmall, bound);
  EXPECT_LT(maxLarge, bound);
  std::printf("[measured] max relative error * 2^31: %.6Lf on [1e-9, 1], "
              "%.6Lf on [1, 2^20]\n",
              maxSmall / bound, maxLarge / bound);
}

TEST(IntegerMathDyadicTest, EdgeCases) {
  // f * 2^31 rounds up to 2^31: halved to 2^30, shift decremented.
  std::optional<Dyadic> d = makeDyadic(std::nextafter(1.0, 0.0));
  ASSERT_TRUE(d);
  EXPECT_EQ(d->multiplier, int32_t(1) << 30);
  EXPECT_EQ(d->shift, 30);
  d = makeDyadic(std::ldexp(1.0 - 0x1p-33, -20));
  ASSERT_TRUE(d);
  EXPECT_EQ(d->multiplier, int32_t(1) << 30);
  EXPECT_EQ(d->shift, 50);
  // Just below the tie: stays at 2^31 - 1.
  d = makeDyadic(1.0 - 0x1p-31);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->multiplier, std::numeric_limits<int32_t>::max());
  EXPECT_EQ(d->shift, 31);
  // Exactly 2^-31 is the smallest representable ratio; below flushes.
  d = makeDyadic(0x1p-31);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->multiplier, int32_t(1) << 30);
  EXPECT_EQ(d->shift, 61);
  for (double tiny : {std::nextafter(0x1p-31, 0.0), 1e-12, 0x1p-1074, 0.0}) {
    d = makeDyadic(tiny);
    ASSERT_TRUE(d) << tiny;
    EXPECT_EQ(d->multiplier, 0);
    EXPECT_EQ(d->shift, 0);
    EXPECT_EQ(applyDyadic(std::numeric_limits<int32_t>::max(), *d), 0);
  }
  // Largest ratio: shift 0.
  d = makeDyadic(std::nextafter(0x1p30, 0.0));
  ASSERT_TRUE(d);
  EXPECT_EQ(d->multiplier, int32_t(1) << 30);
  EXPECT_EQ(d->shift, 0);
  d = makeDyadic(0x1p29 * 1.5);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->shift, 1);
  EXPECT_EQ(dyadicValue(*d), 0x1p29 * 1.5);
  // Errors.
  for (double bad :
       {-1.0, -1e-20, 0x1p30, 1e300, std::numeric_limits<double>::infinity(),
        std::numeric_limits<double>::quiet_NaN()})
    EXPECT_FALSE(makeDyadic(bad).has_value()) << bad;
  // Powers of two are exact.
  for (int k = -31; k < 30; ++k) {
    d = makeDyadic(std::ldexp(1.0, k));
    ASSERT_TRUE(d);
    EXPECT_EQ(dyadicValue(*d), std::ldexp(1.0, k));
  }
}

TEST(IntegerMathDyadicTest, ApplyMatchesExactRational) {
  std::mt19937_64 rng(2);
  std::uniform_int_distribution<int32_t> anyInt32(
      std::numeric_limits<int32_t>::min(), std::numeric_limits<int32_t>::max());
  const int64_t special[] = {0,
                             1,
                             -1,
                             2,
                             -2,
                             std::numeric_limits<int32_t>::max(),
                             std::numeric_limits<int32_t>::min(),
                             std::numeric_limits<int32_t>::max() - 1,
                             std::numeric_limits<int32_t>::min() + 1};
  int64_t checked = 0;
  for (int i = 0; i < 20000; ++i) {
    double ratio =
        i % 4 == 0 ? logUniform(rng, 1, 0x1p20) : logUniform(rng, 1e-9, 1);
    std::optional<Dyadic> d = makeDyadic(ratio);
    ASSERT_TRUE(d);
    for (int64_t acc : special) {
      ASSERT_EQ(applyDyadic(acc, *d), refRoundHalfUp(acc, *d)) << acc;
      ++checked;
    }
    for (int j = 0; j < 50; ++j) {
      int64_t acc = anyInt32(rng);
      ASSERT_EQ(applyDyadic(acc, *d), refRoundHalfUp(acc, *d))
          << acc << " * " << d->multiplier << " >> " << d->shift;
      ++checked;
    }
  }
  // Hand-computed values: 5 * 0.5 = 2.5 -> 3, -5 * 0.5 = -2.5 -> -2.
  Dyadic half{int32_t(1) << 30, 31};
  EXPECT_EQ(applyDyadic(5, half), 3);
  EXPECT_EQ(applyDyadic(-5, half), -2);
  EXPECT_EQ(applyDyadic(-6, half), -3);
  EXPECT_EQ(applyDyadic(-7, half), -3);
  // int64 inputs beyond int32 are exact too, and saturate at the ends.
  Dyadic big{std::numeric_limits<int32_t>::max(), 0};
  EXPECT_EQ(applyDyadic(std::numeric_limits<int64_t>::max(), big),
            std::numeric_limits<int64_t>::max());
  EXPECT_EQ(applyDyadic(std::numeric_limits<int64_t>::min(), big),
            std::numeric_limits<int64_t>::min());
  EXPECT_EQ(applyDyadic(int64_t(1) << 40, Dyadic{int32_t(1) << 30, 40}),
            int64_t(1) << 30);
  std::printf("[measured] %lld applyDyadic values checked\n",
              static_cast<long long>(checked));
}

TEST(IntegerMathDyadicTest, ApplyIsExactForAnyMultiplierAndShift) {
  // The integer ops use applyDyadic beyond makeDyadic's range: negative
  // multipliers (qcc.requant's sign flips), shifts up to 63, and operands
  // up to 2^32 in magnitude (int_softmax's x = q - max of int32 scores) or
  // any int64 (requant of i64 inputs). All exact, saturating only outside
  // int64.
  std::mt19937_64 rng(5);
  std::uniform_int_distribution<int32_t> anyMultiplier(
      std::numeric_limits<int32_t>::min(), std::numeric_limits<int32_t>::max());
  std::uniform_int_distribution<int32_t> anyShift(0, 63);
  std::uniform_int_distribution<int64_t> acc33(-((int64_t(1) << 32) - 1),
                                               (int64_t(1) << 32) - 1);
  std::uniform_int_distribution<int64_t> anyInt64(
      std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max());
  const int32_t specialMultipliers[] = {
      std::numeric_limits<int32_t>::min(), -(int32_t(1) << 30), -1, 0, 1,
      std::numeric_limits<int32_t>::max()};
  auto check = [](int64_t acc, Dyadic d) {
    __int128 exact = refRoundHalfUp(acc, d);
    __int128 lo = std::numeric_limits<int64_t>::min();
    __int128 hi = std::numeric_limits<int64_t>::max();
    __int128 expected = exact < lo ? lo : exact > hi ? hi : exact;
    ASSERT_EQ(applyDyadic(acc, d), expected)
        << acc << " * " << d.multiplier << " >> " << d.shift;
  };
  for (int i = 0; i < 300000; ++i) {
    Dyadic d{i % 50 == 0 ? specialMultipliers[i / 50 % 6] : anyMultiplier(rng),
             anyShift(rng)};
    check(acc33(rng), d);
    check(i % 2 ? -((int64_t(1) << 32) - 1) : (int64_t(1) << 32) - 1, d);
    check(anyInt64(rng), d);
  }
  // A negative multiplier flips the sign before rounding: -2.5 -> -2.
  EXPECT_EQ(applyDyadic(5, Dyadic{-(int32_t(1) << 30), 31}), -2);
  EXPECT_EQ(applyDyadic(-5, Dyadic{-(int32_t(1) << 30), 31}), 3);
  EXPECT_EQ(applyDyadic(std::numeric_limits<int64_t>::min(),
                        Dyadic{std::numeric_limits<int32_t>::min(), 0}),
            std::numeric_limits<int64_t>::max());
  EXPECT_EQ(applyDyadic(std::numeric_limits<int64_t>::min(), Dyadic{-1, 63}),
            1);
}

/// The inverse of odd \p a modulo 2^64 (Newton-Hensel).
uint64_t inverseMod2Pow64(uint64_t a) {
  uint64_t x = a; // correct to 3 bits
  for (int i = 0; i < 5; ++i)
    x *= 2 - a * x;
  return x;
}

TEST(IntegerMathDyadicTest, ExactTiesRoundUp) {
  std::mt19937_64 rng(3);
  int64_t ties = 0;
  for (int i = 0; i < 200000; ++i) {
    std::optional<Dyadic> d = makeDyadic(i % 4 == 0 ? logUniform(rng, 1, 0x1p20)
                                                    : logUniform(rng, 1e-9, 1));
    ASSERT_TRUE(d);
    if (d->multiplier == 0 || d->shift == 0)
      continue;
    // m = odd * 2^t; acc * m is a tie iff acc * odd == 2^(e-1-t) mod 2^(e-t).
    int t = __builtin_ctz(static_cast<uint32_t>(d->multiplier));
    int bits = d->shift - t; // modulus 2^bits
    if (bits < 1 || bits > 31)
      continue;
    uint64_t odd = static_cast<uint64_t>(d->multiplier) >> t;
    uint64_t mask = (uint64_t(1) << bits) - 1;
    int64_t acc0 = static_cast<int64_t>(
        ((uint64_t(1) << (bits - 1)) * inverseMod2Pow64(odd)) & mask);
    int64_t period = int64_t(1) << bits;
    std::uniform_int_distribution<int64_t> k(
        -(int64_t(1) << 31) / period, ((int64_t(1) << 31) - 1) / period - 1);
    for (int64_t acc : {acc0, acc0 - period, acc0 + k(rng) * period}) {
      if (acc < std::numeric_limits<int32_t>::min() ||
          acc > std::numeric_limits<int32_t>::max())
        continue;
      __int128 num = static_cast<__int128>(acc) * d->multiplier;
      __int128 den = static_cast<__int128>(1) << d->shift;
      // It is a tie: num / den = n + 1/2 exactly.
      ASSERT_EQ(2 * num - 2 * floorDiv128(num, den) * den, den);
      __int128 expected = floorDiv128(num, den) + 1; // half up
      ASSERT_EQ(applyDyadic(acc, *d), expected) << acc;
      ASSERT_EQ(applyDyadic(acc, *d), refRoundHalfUp(acc, *d));
      ++ties;
    }
  }
  EXPECT_GT(ties, 100000);
  std::printf("[measured] %lld exact .5 ties checked\n",
              static_cast<long long>(ties));
}

TEST(IntegerMathDyadicTest, RequantizeSaturates) {
  std::mt19937_64 rng(4);
  std::uniform_int_distribution<int32_t> anyInt32(
      std::numeric_limits<int32_t>::min(), std::numeric_limits<int32_t>::max());
  std::uniform_int_distribution<int32_t> zp(-128, 255);
  for (int i = 0; i < 200000; ++i) {
    std::optional<Dyadic> d = makeDyadic(logUniform(rng, 1e-9, 0x1p20));
    ASSERT_TRUE(d);
    int32_t acc = anyInt32(rng);
    int32_t z = zp(rng);
    __int128 exact = refRoundHalfUp(acc, *d) + z;
    for (auto [lo, hi] : {std::pair<int32_t, int32_t>{-128, 127},
                          {0, 255},
                          {-32768, 32767},
                          {std::numeric_limits<int32_t>::min(),
                           std::numeric_limits<int32_t>::max()}}) {
      __int128 clamped = exact < lo ? lo : exact > hi ? hi : exact;
      ASSERT_EQ(requantize(acc, *d, z, lo, hi), clamped);
    }
  }
  Dyadic one{int32_t(1) << 30, 30};
  EXPECT_EQ(requantize(100, one, 3, -128, 127), 103);
  EXPECT_EQ(requantize(1000, one, 0, -128, 127), 127);
  EXPECT_EQ(requantize(-1000, one, 0, -128, 127), -128);
  EXPECT_EQ(requantize(std::numeric_limits<int32_t>::max(),
                       Dyadic{std::numeric_limits<int32_t>::max(), 0},
                       std::numeric_limits<int32_t>::max(), 0,
                       std::numeric_limits<int32_t>::max()),
            std::numeric_limits<int32_t>::max());
}

//===----------------------------------------------------------------------===//
// isqrt64
//===----------------------------------------------------------------------===//

/// floor(sqrt(n)) is k iff k^2 <= n < (k+1)^2 (128-bit to avoid overflow).
bool isFloorSqrt(uint64_t n, uint32_t k) {
  unsigned __int128 kk = static_cast<unsigned __int128>(k) * k;
  unsigned __int128 next =
      static_cast<unsigned __int128>(k + uint64_t(1)) * (k + uint64_t(1));
  return kk <= n && n < next;
}

TEST(IntegerMathIsqrtTest, DenseSweepBelow2Pow26) {
  // Incremental reference: k = floor(sqrt(n)) steps at every square.
  uint64_t k = 0;
  for (uint64_t n = 0; n < (uint64_t(1) << 26); ++n) {
    if ((k + 1) * (k + 1) == n)
      ++k;
    ASSERT_EQ(isqrt64(n), k) << n;
  }
}

TEST(IntegerMathIsqrtTest, AroundEverySquareBelow2Pow32) {
  // All steps of floor(sqrt) in [0, 2^32): k^2 - 1, k^2, k^2 + 1.
  for (uint64_t k = 1; k <= (uint64_t(1) << 16); ++k) {
    uint64_t sq = k * k;
    ASSERT_EQ(isqrt64(sq - 1), k - 1) << sq - 1;
    ASSERT_EQ(isqrt64(sq), k) << sq;
    ASSERT_EQ(isqrt64(sq + 1), k) << sq + 1;
  }
}

TEST(IntegerMathIsqrtTest, RandomAndEdgeCases) {
  std::mt19937_64 rng(5);
  std::uniform_int_distribution<uint64_t> below32(0, (uint64_t(1) << 32) - 1);
  for (int i = 0; i < 10000000; ++i) {
    uint64_t n = below32(rng);
    ASSERT_TRUE(isFloorSqrt(n, isqrt64(n))) << n;
  }
  // Full 64-bit range: random values, random bit widths, squares +-1.
  for (int i = 0; i < 1000000; ++i) {
    uint64_t n = rng() >> (i % 64);
    ASSERT_TRUE(isFloorSqrt(n, isqrt64(n))) << n;
    uint64_t k = rng() >> 32;
    if (k == 0)
      continue;
    ASSERT_EQ(isqrt64(k * k), k);
    ASSERT_EQ(isqrt64(k * k - 1), k - 1);
  }
  const uint64_t max = std::numeric_limits<uint64_t>::max();
  EXPECT_EQ(isqrt64(max), 0xFFFFFFFFu);
  EXPECT_EQ(isqrt64(max - 1), 0xFFFFFFFFu);
  EXPECT_EQ(isqrt64(0xFFFFFFFE00000001ull), 0xFFFFFFFFu); // (2^32-1)^2
  EXPECT_EQ(isqrt64(0xFFFFFFFE00000000ull), 0xFFFFFFFEu);
  EXPECT_EQ(isqrt64(uint64_t(1) << 62), uint32_t(1) << 31);
  EXPECT_EQ(isqrt64((uint64_t(1) << 62) - 1), (uint32_t(1) << 31) - 1);
  EXPECT_EQ(isqrt64(0xFFFFFFFFull), 65535u); // I-ViT's 10-step loop says 65536
  EXPECT_EQ(isqrt64((uint64_t(1) << 40) + 12345), uint32_t(1) << 20);
  EXPECT_EQ(isqrt64(0), 0u);
  EXPECT_EQ(isqrt64(1), 1u);
  EXPECT_EQ(isqrt64(100), 10u); // I-ViT's loop says 64
  for (uint64_t n = 0; n < 1000; ++n)
    EXPECT_EQ(isqrt64(n), static_cast<uint32_t>(std::sqrt(double(n)))) << n;
}

/// Exhaustive over [0, 2^32); minutes in one thread, so it is run by hand
/// (--gtest_also_run_disabled_tests); see docs/IntegerSemantics.md.
TEST(IntegerMathIsqrtTest, DISABLED_ExhaustiveBelow2Pow32) {
  uint64_t k = 0;
  for (uint64_t n = 0; n < (uint64_t(1) << 32); ++n) {
    if ((k + 1) * (k + 1) == n)
      ++k;
    if (isqrt64(n) != k) {
      ASSERT_EQ(isqrt64(n), k) << n;
    }
  }
}

} // namespace

// The inline int64 fast path of applyDyadic equals the 128-bit evaluation
// for every argument it takes (|acc| <= 2^31, any int32 multiplier, shift
// <= 62), including the extremes, and the wide path is used beyond.
TEST(IntegerMathDyadicTest, FastPathEqualsWidePath) {
  std::mt19937_64 rng(99);
  const int64_t edges[] = {0, 1, -1, INT32_MAX, INT32_MIN,
                           int64_t(1) << 31, -(int64_t(1) << 31) - 1,
                           int64_t(1) << 40, INT64_MIN, INT64_MAX};
  const int32_t multipliers[] = {0, 1, -1, INT32_MAX, INT32_MIN, 1 << 30};
  for (int32_t shift = 0; shift <= 63; ++shift) {
    for (int64_t acc : edges)
      for (int32_t m : multipliers) {
        Dyadic d{m, shift};
        ASSERT_EQ(applyDyadic(acc, d), applyDyadicWide(acc, d))
            << acc << " " << m << " " << shift;
      }
    for (int i = 0; i < 20000; ++i) {
      auto acc = static_cast<int64_t>(static_cast<int32_t>(rng()));
      Dyadic d{static_cast<int32_t>(rng()), shift};
      ASSERT_EQ(applyDyadic(acc, d), applyDyadicWide(acc, d))
          << acc << " " << d.multiplier << " " << shift;
    }
  }
}
