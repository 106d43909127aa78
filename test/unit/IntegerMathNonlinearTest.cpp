//===- IntegerMathNonlinearTest.cpp - int softmax, GELU, LN tests -*- C++
//-*-===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//
//
// Property tests of the integer softmax (ALGORITHMS.md §7.4), i-GELU and the
// integer LayerNorm core (§7.7) against float64 references. The measured
// error figures are printed ("[measured]") and quoted in
// docs/IntegerSemantics.md.
//
//===----------------------------------------------------------------------===//

#include "qcc/Quant/IntegerMath.h"

#include "gtest/gtest.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <numeric>
#include <random>
#include <vector>

using namespace mlir::qcc;

namespace {

//===----------------------------------------------------------------------===//
// Integer softmax
//===----------------------------------------------------------------------===//

constexpr int kInputBits = 16;
constexpr int32_t kInputMax = (1 << (kInputBits - 1)) - 1;
const double kScales[] = {1e-3, 1e-2, 1.0 / 16};
const int64_t kLengths[] = {16, 128, 512};

IntSoftmaxParams paramsFor(double scale) {
  std::optional<IntSoftmaxParams> p = makeIntSoftmaxParams(scale, kInputBits);
  EXPECT_TRUE(p.has_value()) << scale;
  return p.value_or(IntSoftmaxParams{});
}

/// N(0, 3) logits quantized with \p scale to 16-bit scores.
std::vector<int32_t> randomRow(std::mt19937_64 &rng, int64_t length,
                               double scale) {
  std::normal_distribution<double> logit(0, 3);
  std::vector<int32_t> row(length);
  for (int32_t &q : row) {
    double v = std::round(logit(rng) / scale);
    q = static_cast<int32_t>(std::clamp<double>(v, -kInputMax, kInputMax));
  }
  return row;
}

std::vector<uint8_t> softmax(const std::vector<int32_t> &row,
                             const IntSoftmaxParams &p,
                             const uint8_t *keep = nullptr) {
  std::vector<uint8_t> out(row.size());
  intSoftmaxRow(row.data(), keep, row.size(), p, out.data());
  return out;
}

TEST(IntegerMathSoftmaxTest, ParametersAndBounds) {
  for (double s : kScales) {
    IntSoftmaxParams p = paramsFor(s);
    const char *why = nullptr;
    EXPECT_TRUE(checkIntSoftmaxBounds(p, 512, &why)) << why;
    EXPECT_TRUE(checkIntSoftmaxBounds(p, 65000, &why)) << why;
    EXPECT_FALSE(checkIntSoftmaxBounds(p, 1 << 17, &why));
    ASSERT_NE(why, nullptr);
    EXPECT_NE(std::string(why).find("exp sum"), std::string::npos) << why;
    EXPECT_FALSE(checkIntSoftmaxBounds(p, 0, &why));
    // exp(0) is 2^15 within one unit.
    EXPECT_NEAR(intExp16(0, p), 1 << 15, 1);
  }
  for (double s : {1e-6, 1e-5, 1e-4, 0.5, 8.0}) {
    std::optional<IntSoftmaxParams> p = makeIntSoftmaxParams(s, 16);
    ASSERT_TRUE(p) << s;
    EXPECT_TRUE(checkIntSoftmaxBounds(*p, 4096));
  }
  for (int bits : {2, 8, 17, 24, 32}) {
    std::optional<IntSoftmaxParams> p = makeIntSoftmaxParams(1e-3, bits);
    ASSERT_TRUE(p) << bits;
    EXPECT_TRUE(checkIntSoftmaxBounds(*p, 4096));
  }
  EXPECT_FALSE(makeIntSoftmaxParams(1e-3, 33));
  EXPECT_FALSE(makeIntSoftmaxParams(1e-3, 1));
  EXPECT_FALSE(makeIntSoftmaxParams(0, 8));
  EXPECT_FALSE(makeIntSoftmaxParams(-1e-3, 8));
  EXPECT_FALSE(makeIntSoftmaxParams(NAN, 8));
  EXPECT_FALSE(makeIntSoftmaxParams(1e6, 8));
  // Parameters outside the proof's domain are rejected before any bound is
  // computed from them (the check itself must not overflow).
  auto rejects = [](void (*edit)(IntSoftmaxParams &), const char *what) {
    IntSoftmaxParams broken = paramsFor(1e-3);
    edit(broken);
    const char *why = nullptr;
    EXPECT_FALSE(checkIntSoftmaxBounds(broken, 16, &why)) << what;
    EXPECT_NE(why, nullptr) << what;
  };
  rejects([](IntSoftmaxParams &p) { p.polyC = int64_t(1) << 40; }, "c big");
  rejects([](IntSoftmaxParams &p) { p.polyC = INT64_MIN; }, "c min");
  rejects([](IntSoftmaxParams &p) { p.polyC = 0; }, "c zero");
  rejects([](IntSoftmaxParams &p) { p.polyB = INT64_MAX; }, "b max");
  rejects([](IntSoftmaxParams &p) { p.polyB = 8192; }, "b small");
  rejects([](IntSoftmaxParams &p) { p.inputBits = 33; }, "33 bits");
  rejects([](IntSoftmaxParams &p) { p.toExpScale.multiplier = -5; }, "m_x");
  rejects([](IntSoftmaxParams &p) { p.toExpScale.multiplier = 0; }, "m_x 0");
  rejects([](IntSoftmaxParams &p) { p.toExpScale.shift = 64; }, "e_x");
  rejects([](IntSoftmaxParams &p) { p.toExpScale.shift = -1; }, "e_x < 0");
  rejects([](IntSoftmaxParams &p) { p.toE16.multiplier = INT32_MIN; }, "m16");
  rejects([](IntSoftmaxParams &p) { p.toE16.shift = 70; }, "e16 shift");
  rejects([](IntSoftmaxParams &p) { p.toE16.shift -= 2; }, "e16 > 2^16");
  rejects([](IntSoftmaxParams &p) { p.toE16.shift += 2; }, "e16 < 2^14");
}

TEST(IntegerMathSoftmaxTest, ExpIsMonotone) {
  for (double s : kScales) {
    IntSoftmaxParams p = paramsFor(s);
    uint32_t prev = 0;
    for (int64_t x = -(int64_t(1) << kInputBits) + 1; x <= 0; ++x) {
      uint32_t e = intExp16(x, p);
      ASSERT_GE(e, prev) << "x = " << x << ", s = " << s;
      prev = e;
    }
  }
}

TEST(IntegerMathSoftmaxTest, AccuracyAndRowSum) {
  std::mt19937_64 rng(11);
  for (double s : kScales) {
    IntSoftmaxParams p = paramsFor(s);
    for (int64_t length : kLengths) {
      ASSERT_TRUE(checkIntSoftmaxBounds(p, length));
      double maxErr = 0;
      for (int trial = 0; trial < 2000; ++trial) {
        std::vector<int32_t> row = randomRow(rng, length, s);
        std::vector<uint8_t> out = softmax(row, p);
        int32_t rowMax = *std::max_element(row.begin(), row.end());
        double denom = 0;
        for (int32_t q : row)
          denom += std::exp((q - rowMax) * s);
        int64_t sum = 0;
        for (int64_t i = 0; i < length; ++i) {
          double ref = std::exp((row[i] - rowMax) * s) / denom;
          maxErr = std::max(maxErr, std::fabs(out[i] / 256.0 - ref) * 256);
          sum += out[i];
        }
        ASSERT_LE(sum, 256);
        ASSERT_GE(sum, 256 - length);
      }
      EXPECT_LE(maxErr, 2.0) << "s = " << s << ", L = " << length;
      std::printf("[measured] softmax s=%g L=%lld: max |err| = %.3f LSB "
                  "(2^-8)\n",
                  s, static_cast<long long>(length), maxErr);
    }
  }
}

TEST(IntegerMathSoftmaxTest, ShiftInvarianceAndMonotonicity) {
  std::mt19937_64 rng(12);
  for (double s : kScales) {
    IntSoftmaxParams p = paramsFor(s);
    for (int64_t length : kLengths) {
      for (int trial = 0; trial < 200; ++trial) {
        std::vector<int32_t> row = randomRow(rng, length, s);
        // Keep the shifted row inside 16 bits.
        for (int32_t &q : row)
          q = std::clamp(q, -kInputMax / 2, kInputMax / 2);
        std::vector<uint8_t> out = softmax(row, p);
        std::uniform_int_distribution<int32_t> shift(-kInputMax / 2,
                                                     kInputMax / 2);
        int32_t c = shift(rng);
        std::vector<int32_t> shifted = row;
        for (int32_t &q : shifted)
          q += c;
        ASSERT_EQ(softmax(shifted, p), out) << "c = " << c;
        std::vector<int64_t> order(length);
        std::iota(order.begin(), order.end(), 0);
        std::sort(order.begin(), order.end(),
                  [&](int64_t a, int64_t b) { return row[a] < row[b]; });
        for (int64_t i = 1; i < length; ++i)
          ASSERT_LE(out[order[i - 1]], out[order[i]]);
      }
    }
  }
}

TEST(IntegerMathSoftmaxTest, ExcludedElements) {
  std::mt19937_64 rng(13);
  std::bernoulli_distribution excluded(0.3);
  for (double s : kScales) {
    IntSoftmaxParams p = paramsFor(s);
    for (int64_t length : kLengths) {
      for (int trial = 0; trial < 200; ++trial) {
        std::vector<int32_t> row = randomRow(rng, length, s);
        std::vector<uint8_t> keep(length);
        std::vector<int32_t> kept;
        for (int64_t i = 0; i < length; ++i) {
          keep[i] = excluded(rng) ? 0 : 1;
          // Excluded elements may hold anything, even the largest score.
          if (!keep[i] && trial % 2)
            row[i] = kInputMax;
          if (keep[i])
            kept.push_back(row[i]);
        }
        std::vector<uint8_t> out = softmax(row, p, keep.data());
        std::vector<uint8_t> ref = softmax(kept, p);
        size_t j = 0;
        for (int64_t i = 0; i < length; ++i) {
          if (!keep[i])
            ASSERT_EQ(out[i], 0);
          else
            ASSERT_EQ(out[i], ref[j++]);
        }
      }
    }
  }
  // Nothing kept: all zeros. One kept element: 255 (256 clamped).
  IntSoftmaxParams p = paramsFor(1e-2);
  std::vector<int32_t> row = {5, -7, 100};
  std::vector<uint8_t> none(3, 0), one = {0, 1, 0};
  EXPECT_EQ(softmax(row, p, none.data()), std::vector<uint8_t>(3, 0));
  EXPECT_EQ(softmax(row, p, one.data()), (std::vector<uint8_t>{0, 255, 0}));
  EXPECT_EQ(softmax({42}, p), std::vector<uint8_t>{255});
  // Equal scores share the mass evenly: 4 x 64.
  EXPECT_EQ(softmax({3, 3, 3, 3}, p), std::vector<uint8_t>(4, 64));
}

//===----------------------------------------------------------------------===//
// Integer softmax on 32-bit scores
//===----------------------------------------------------------------------===//

// Scales at which N(0, 3) logits need all of int32 (5 sigma = 15 -> 2^31 at
// s = 7e-9) or most of it.
const double kScales32[] = {1e-8, 1e-7};
constexpr int32_t kInt32Max = std::numeric_limits<int32_t>::max();
constexpr int32_t kInt32Min = std::numeric_limits<int32_t>::min();

IntSoftmaxParams paramsFor32(double scale) {
  std::optional<IntSoftmaxParams> p = makeIntSoftmaxParams(scale, 32);
  EXPECT_TRUE(p.has_value()) << scale;
  return p.value_or(IntSoftmaxParams{});
}

/// N(0, 3) logits quantized with \p scale to int32 scores; every 16th row
/// also holds the int32 extremes, so that x = q - max reaches -(2^32 - 1).
std::vector<int32_t> randomRow32(std::mt19937_64 &rng, int64_t length,
                                 double scale, bool extremes) {
  std::normal_distribution<double> logit(0, 3);
  std::vector<int32_t> row(length);
  for (int32_t &q : row)
    q = static_cast<int32_t>(std::clamp<double>(std::round(logit(rng) / scale),
                                                kInt32Min, kInt32Max));
  if (extremes && length >= 2) {
    std::uniform_int_distribution<int64_t> at(0, length - 1);
    row[at(rng)] = kInt32Min;
    row[at(rng)] = kInt32Max;
  }
  return row;
}

TEST(IntegerMathSoftmax32Test, BoundsAndExtremeDifferences) {
  for (double s : {1e-9, 1e-8, 1e-7, 1e-3, 1.0}) {
    IntSoftmaxParams p = paramsFor32(s);
    const char *why = nullptr;
    EXPECT_TRUE(checkIntSoftmaxBounds(p, 65000, &why)) << s << ": " << why;
    // The most negative difference of two int32 scores is exact: exp of
    // -(2^32 - 1) * s is 0 (or the clamp's 2^-30 when s is tiny).
    int64_t lowest = -((int64_t(1) << 32) - 1);
    double expected = std::exp(std::max(lowest * s, -30 * std::log(2.0)));
    // Polynomial error (1.92e-3 relative to the octave) plus roundings.
    EXPECT_NEAR(intExp16(lowest, p), expected * 32768,
                0.004 * expected * 32768 + 1)
        << s;
    EXPECT_NEAR(intExp16(0, p), 1 << 15, 1);
  }
  // A row spanning all of int32: the max takes everything (s = 1e-8: the
  // other score is 42.9 below it).
  IntSoftmaxParams p = paramsFor32(1e-8);
  std::vector<uint8_t> out(2);
  std::vector<int32_t> row = {kInt32Min, kInt32Max};
  intSoftmaxRow(row.data(), nullptr, 2, p, out.data());
  EXPECT_EQ(out, (std::vector<uint8_t>{0, 255}));
  // The promise of inputBits: the spread of the kept scores.
  EXPECT_TRUE(rowSpreadFits(row.data(), nullptr, 2, 32));
  EXPECT_FALSE(rowSpreadFits(row.data(), nullptr, 2, 31));
  std::vector<int32_t> narrow = {-32768, 32767, kInt32Max};
  std::vector<uint8_t> keep = {1, 1, 0};
  EXPECT_TRUE(rowSpreadFits(narrow.data(), keep.data(), 3, 16));
  EXPECT_FALSE(rowSpreadFits(narrow.data(), nullptr, 3, 16));
  EXPECT_TRUE(rowSpreadFits(narrow.data(), keep.data(), 0, 2));
}

TEST(IntegerMathSoftmax32Test, ExpIsMonotone) {
  // A strided sweep of all of (-2^32, 0] plus every x near each octave step
  // of the internal exponent, where monotonicity could break.
  std::mt19937_64 rng(31);
  for (double s : kScales32) {
    IntSoftmaxParams p = paramsFor32(s);
    uint32_t prev = 0;
    int64_t lowest = -((int64_t(1) << 32) - 1);
    for (int64_t x = lowest; x <= 0; x += 4093) {
      uint32_t e = intExp16(x, p);
      ASSERT_GE(e, prev) << "x = " << x << ", s = " << s;
      prev = e;
    }
    double toExp = dyadicValue(p.toExpScale); // x' ~ x * toExp
    for (int octave = 0; octave <= 30; ++octave) {
      int64_t center = static_cast<int64_t>(-octave * 4096.0 / toExp);
      prev = intExp16(std::max(lowest, center - 3000), p);
      for (int64_t x = std::max(lowest, center - 3000);
           x <= std::min<int64_t>(0, center + 3000); ++x) {
        uint32_t e = intExp16(x, p);
        ASSERT_GE(e, prev) << "x = " << x << ", s = " << s;
        prev = e;
      }
    }
    std::uniform_int_distribution<int64_t> any(lowest, 0);
    for (int i = 0; i < 200000; ++i) {
      int64_t a = any(rng), b = any(rng);
      if (a > b)
        std::swap(a, b);
      ASSERT_LE(intExp16(a, p), intExp16(b, p)) << a << " " << b;
    }
  }
}

TEST(IntegerMathSoftmax32Test, AccuracyAndRowSum) {
  std::mt19937_64 rng(32);
  for (double s : kScales32) {
    IntSoftmaxParams p = paramsFor32(s);
    for (int64_t length : kLengths) {
      double maxErr = 0;
      for (int trial = 0; trial < 1000; ++trial) {
        std::vector<int32_t> row = randomRow32(rng, length, s, trial % 16 == 0);
        std::vector<uint8_t> out = softmax(row, p);
        int32_t rowMax = *std::max_element(row.begin(), row.end());
        double denom = 0;
        for (int32_t q : row)
          denom += std::exp((static_cast<int64_t>(q) - rowMax) * s);
        int64_t sum = 0;
        for (int64_t i = 0; i < length; ++i) {
          double ref =
              std::exp((static_cast<int64_t>(row[i]) - rowMax) * s) / denom;
          maxErr = std::max(maxErr, std::fabs(out[i] / 256.0 - ref) * 256);
          sum += out[i];
        }
        ASSERT_LE(sum, 256);
        ASSERT_GE(sum, 256 - length);
      }
      EXPECT_LE(maxErr, 2.0) << "s = " << s << ", L = " << length;
      std::printf("[measured] softmax 32-bit s=%g L=%lld: max |err| = %.3f "
                  "LSB (2^-8)\n",
                  s, static_cast<long long>(length), maxErr);
    }
  }
}

TEST(IntegerMathSoftmax32Test, ShiftInvarianceAndMonotonicity) {
  std::mt19937_64 rng(33);
  for (double s : kScales32) {
    IntSoftmaxParams p = paramsFor32(s);
    for (int64_t length : kLengths) {
      for (int trial = 0; trial < 100; ++trial) {
        std::vector<int32_t> row = randomRow32(rng, length, s, false);
        // Keep the shifted row inside int32: scores in [-2^30, 2^30],
        // shifts up to 2^30 - 1 either way.
        for (int32_t &q : row)
          q = std::clamp(q, -(1 << 30), 1 << 30);
        std::vector<uint8_t> out = softmax(row, p);
        std::uniform_int_distribution<int32_t> shift(-(1 << 30) + 1,
                                                     (1 << 30) - 1);
        int32_t c = trial == 0 ? (1 << 30) - 1 : shift(rng);
        std::vector<int32_t> shifted = row;
        for (int32_t &q : shifted)
          q += c;
        ASSERT_EQ(softmax(shifted, p), out) << "c = " << c;
        std::vector<int64_t> order(length);
        std::iota(order.begin(), order.end(), 0);
        std::sort(order.begin(), order.end(),
                  [&](int64_t a, int64_t b) { return row[a] < row[b]; });
        for (int64_t i = 1; i < length; ++i)
          ASSERT_LE(out[order[i - 1]], out[order[i]]);
      }
    }
  }
}

TEST(IntegerMathSoftmax32Test, ExcludedElements) {
  std::mt19937_64 rng(34);
  std::bernoulli_distribution excluded(0.3);
  for (double s : kScales32) {
    IntSoftmaxParams p = paramsFor32(s);
    for (int64_t length : kLengths) {
      for (int trial = 0; trial < 100; ++trial) {
        std::vector<int32_t> row = randomRow32(rng, length, s, trial % 4 == 0);
        std::vector<uint8_t> keep(length);
        std::vector<int32_t> kept;
        for (int64_t i = 0; i < length; ++i) {
          keep[i] = excluded(rng) ? 0 : 1;
          // Excluded elements may hold anything, even INT32_MAX.
          if (!keep[i] && trial % 2)
            row[i] = kInt32Max;
          if (keep[i])
            kept.push_back(row[i]);
        }
        std::vector<uint8_t> out = softmax(row, p, keep.data());
        std::vector<uint8_t> ref = softmax(kept, p);
        size_t j = 0;
        for (int64_t i = 0; i < length; ++i) {
          if (!keep[i])
            ASSERT_EQ(out[i], 0);
          else
            ASSERT_EQ(out[i], ref[j++]);
        }
      }
    }
  }
}

//===----------------------------------------------------------------------===//
// i-GELU
//===----------------------------------------------------------------------===//

double gelu(double x) { return 0.5 * x * (1 + std::erf(x / std::sqrt(2.0))); }

TEST(IntegerMathGeluTest, ErrorOnMinus6To6) {
  for (double s : {1e-3, 3e-4, 1e-4, 1e-5, 1e-6}) {
    std::optional<IGeluParams> p = makeIGeluParams(s);
    ASSERT_TRUE(p) << s;
    int32_t limit = static_cast<int32_t>(6 / s);
    int32_t step = std::max<int32_t>(1, limit / 1000000);
    double maxErr = 0;
    int64_t prev = 0;
    for (int32_t x = -limit; x <= limit; x += step) {
      int64_t out = iGelu(x, *p);
      maxErr = std::max(maxErr, std::fabs(out * p->outScale - gelu(x * s)));
      // Sign: never opposite to x.
      ASSERT_TRUE((x >= 0 && out >= 0) || (x <= 0 && out <= 0)) << x;
      // Non-decreasing for x >= 0, like GELU.
      if (x > 0)
        ASSERT_GE(out, prev) << x;
      prev = out;
    }
    EXPECT_LE(maxErr, 0.025) << s;
    std::printf("[measured] i-GELU s=%g: max |err| on [-6, 6] = %.5f "
                "(erfShift %d)\n",
                s, maxErr, p->erfShift);
  }
  // Beyond the clip the output is x (x >= 0) or exactly 0 (x < 0).
  IGeluParams p = *makeIGeluParams(1e-3);
  EXPECT_EQ(iGelu(-10000, p), 0);
  EXPECT_NEAR(iGelu(10000, p) * p.outScale, 10.0, 1e-3);
  EXPECT_EQ(iGelu(0, p), 0);
  // Extreme inputs do not overflow.
  int32_t big = std::numeric_limits<int32_t>::max();
  EXPECT_NEAR(iGelu(big, p) * p.outScale, big * 1e-3, big * 1e-3 * 1e-6);
  EXPECT_EQ(iGelu(std::numeric_limits<int32_t>::min(), p), 0);
  EXPECT_FALSE(makeIGeluParams(0));
  EXPECT_FALSE(makeIGeluParams(1e-10));
  EXPECT_FALSE(makeIGeluParams(0.5));
  EXPECT_FALSE(makeIGeluParams(NAN));
}

/// Max |error| against exact GELU over every integer input in [-6/s, 6/s]:
/// i-GELU elementwise, ShiftGELU on that whole range as one row (its result
/// depends on the row max, here 6/s), with its default n (I-ViT's 23 where
/// the exp sum fits 2^31) and with the n in [1, 23] that does best here.
struct GeluErrors {
  double iGelu = 0;
  double shiftGelu[2] = {0, 0};     // default n; 8-, 16-bit sigmoid
  double shiftGeluBest[2] = {0, 0}; // best n
  int bestN[2] = {0, 0};
  int defaultN = 0;
};

double shiftGeluError(const std::vector<int32_t> &row, double s,
                      const ShiftGeluParams &p) {
  std::vector<int64_t> out(row.size());
  shiftGelu(row.data(), row.size(), p, out.data());
  double err = 0;
  for (size_t i = 0; i < row.size(); ++i)
    err = std::max(err, std::fabs(out[i] * p.outScale - gelu(row[i] * s)));
  return err;
}

GeluErrors measureGeluErrors(double s) {
  GeluErrors errors;
  auto limit = static_cast<int32_t>(std::floor(6 / s));
  std::vector<int32_t> row;
  for (int32_t x = -limit; x <= limit; ++x)
    row.push_back(x);
  std::optional<IGeluParams> ig = makeIGeluParams(s);
  EXPECT_TRUE(ig) << s;
  if (!ig)
    return errors;
  for (int32_t x : row)
    errors.iGelu = std::max(
        errors.iGelu, std::fabs(iGelu(x, *ig) * ig->outScale - gelu(x * s)));
  for (int k = 0; k < 2; ++k) {
    int outBits = k == 0 ? 8 : 16;
    std::optional<ShiftGeluParams> p = makeShiftGeluParams(s, outBits);
    EXPECT_TRUE(p) << s;
    if (!p)
      return errors;
    errors.defaultN = p->n;
    errors.shiftGelu[k] = shiftGeluError(row, s, *p);
    errors.shiftGeluBest[k] = INFINITY;
    for (int n = 1; n <= 23; ++n) {
      std::optional<ShiftGeluParams> pn = makeShiftGeluParams(s, outBits, n);
      if (!pn)
        continue;
      double err = shiftGeluError(row, s, *pn);
      if (err < errors.shiftGeluBest[k]) {
        errors.shiftGeluBest[k] = err;
        errors.bestN[k] = n;
      }
    }
  }
  return errors;
}

TEST(IntegerMathGeluTest, IGeluBeatsShiftGelu) {
  // The evidence for qcc's choice of i-GELU (docs/IntegerSemantics.md §4):
  // at every scale, i-GELU's max error on [-6, 6] is below ShiftGELU's, with
  // I-ViT's 8-bit sigmoid and with a 16-bit one, even with the best n.
  for (double s : {1.0 / 16, 1.0 / 64, 1.0 / 256, 1e-3, 1e-4}) {
    GeluErrors e = measureGeluErrors(s);
    std::printf("[measured] GELU s=%g: max |err| on [-6, 6]: i-GELU %.5f; "
                "ShiftGELU n=%d: %.5f (8-bit sigmoid), %.5f (16-bit); best "
                "n: %.5f (n=%d, 8-bit), %.5f (n=%d, 16-bit)\n",
                s, e.iGelu, e.defaultN, e.shiftGelu[0], e.shiftGelu[1],
                e.shiftGeluBest[0], e.bestN[0], e.shiftGeluBest[1], e.bestN[1]);
    std::string key = "s=" + std::to_string(s);
    ::testing::Test::RecordProperty(key + " i-GELU", std::to_string(e.iGelu));
    ::testing::Test::RecordProperty(key + " ShiftGELU",
                                    std::to_string(e.shiftGelu[0]));
    ::testing::Test::RecordProperty(key + " ShiftGELU best",
                                    std::to_string(e.shiftGeluBest[0]));
    for (int k = 0; k < 2; ++k) {
      EXPECT_LT(e.iGelu, e.shiftGelu[k]) << s;
      EXPECT_LT(e.iGelu, e.shiftGeluBest[k]) << s;
    }
  }
}

TEST(IntegerMathGeluTest, ShiftGeluParameters) {
  // I-ViT's n = 23 where the exp sum fits 2^31, lowered at small scales.
  std::optional<ShiftGeluParams> p = makeShiftGeluParams(1.0 / 16);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->x0, -10); // floor(-9.4)
  EXPECT_EQ(p->n, 23);
  EXPECT_EQ(p->outScale, 1.0 / 16 / 128);
  p = makeShiftGeluParams(1e-3);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->x0, -588);
  EXPECT_EQ(p->n, 20);
  for (double s : {1e-6, 1e-5, 1e-3, 0.1, 1.0}) {
    p = makeShiftGeluParams(s);
    ASSERT_TRUE(p) << s;
    EXPECT_LT((int64_t(1) << (p->n + 1)) * -p->x0, int64_t(1) << 31) << s;
    EXPECT_GE(p->n, 10) << s;
    // Extreme inputs: no overflow; large x give ~x, very negative ~0.
    std::vector<int32_t> row = {std::numeric_limits<int32_t>::min(), -1, 0, 1,
                                std::numeric_limits<int32_t>::max()};
    std::vector<int64_t> out(row.size());
    shiftGelu(row.data(), row.size(), *p, out.data());
    EXPECT_EQ(out[2], 0);
    EXPECT_LE(out[0], 0);
    // The reciprocal floor((2^31 - 1) / sum) >= 1 with a sum of almost
    // 2^31 keeps at least half of the largest output.
    EXPECT_LE(out[4] * p->outScale, row[4] * s * (1 + 1e-12)) << s;
    EXPECT_GE(out[4] * p->outScale, row[4] * s * 0.45) << s;
  }
  EXPECT_EQ(makeShiftGeluParams(1.0 / 16, 8, 5)->n, 5);
  EXPECT_FALSE(makeShiftGeluParams(1e-3, 8, 21)); // 2^22 * 588 >= 2^31
  EXPECT_FALSE(makeShiftGeluParams(1e-3, 8, 31));
  EXPECT_FALSE(makeShiftGeluParams(1e-7));
  EXPECT_FALSE(makeShiftGeluParams(2.0));
  EXPECT_FALSE(makeShiftGeluParams(NAN));
  EXPECT_FALSE(makeShiftGeluParams(0.01, 1));
  EXPECT_FALSE(makeShiftGeluParams(0.01, 17));
}

//===----------------------------------------------------------------------===//
// Integer LayerNorm core
//===----------------------------------------------------------------------===//

std::vector<int32_t> layerNorm(const std::vector<int32_t> &row, int shift = 0,
                               uint64_t varOffset = 0) {
  std::vector<int32_t> out(row.size());
  intLayerNormRow(row.data(), row.size(), shift, out.data(), varOffset);
  return out;
}

TEST(IntegerMathLayerNormTest, ConstantRowsGiveZero) {
  for (int32_t v : {0, 1, -1, 12345, -(1 << 21) + 1, (1 << 21) - 1})
    for (int64_t d : {1, 2, 64, 768})
      EXPECT_EQ(layerNorm(std::vector<int32_t>(d, v)),
                std::vector<int32_t>(d, 0));
  // Differences that vanish in the mean rounding are still exact zeros.
  EXPECT_EQ(layerNorm({0, 0, 0, 1}), (std::vector<int32_t>{0, 0, 0, 1 << 30}));
  // With an epsilon offset: constant rows stay 0 (y == 0), whatever the
  // offset, including one that saturates the variance sum.
  for (uint64_t offset : {uint64_t(1), uint64_t(1000), UINT64_MAX})
    for (int shift : {0, 3})
      EXPECT_EQ(layerNorm(std::vector<int32_t>(7, -99), shift, offset),
                std::vector<int32_t>(7, 0));
  // mean 0, var = 1 + 3 = 4, std 2: 2^39 / 2 * 1 / 2^9 = 2^29.
  EXPECT_EQ(layerNorm({0, 0, 0, 1}, 0, 3),
            (std::vector<int32_t>{0, 0, 0, 1 << 29}));
  // An offset so large that std > 2^39: the reciprocal is 0.
  EXPECT_EQ(layerNorm({0, 0, 0, 1}, 0, UINT64_MAX),
            (std::vector<int32_t>{0, 0, 0, 0}));
}

TEST(IntegerMathLayerNormTest, SaturatesInputsTo22Bits) {
  std::mt19937_64 rng(22);
  std::uniform_int_distribution<int32_t> anyInt32(
      std::numeric_limits<int32_t>::min(), std::numeric_limits<int32_t>::max());
  for (int trial = 0; trial < 2000; ++trial) {
    int64_t d = trial % 3 == 0 ? 1 : trial % 3 == 1 ? 17 : 768;
    std::vector<int32_t> row(d), clamped(d);
    for (int64_t i = 0; i < d; ++i) {
      row[i] = trial % 5 == 0 ? (i % 2 ? std::numeric_limits<int32_t>::max()
                                       : std::numeric_limits<int32_t>::min())
               : i % 4 == 0   ? anyInt32(rng)
                              : anyInt32(rng) >> 10;
      clamped[i] = std::clamp(row[i], -kLayerNormInputMax, kLayerNormInputMax);
    }
    for (int shift : {0, 5})
      for (uint64_t offset : {uint64_t(0), uint64_t(12345)})
        ASSERT_EQ(layerNorm(row, shift, offset),
                  layerNorm(clamped, shift, offset));
  }
  // Saturated alternating extremes normalise to exactly +-2^30.
  std::vector<int32_t> extremes = {std::numeric_limits<int32_t>::max(),
                                   std::numeric_limits<int32_t>::min()};
  // Saturated alternating extremes are the row of +-(2^21 - 1): the
  // normalised values +-1 at scale sqrt(2) * 2^-30.
  std::vector<int32_t> out = layerNorm(extremes);
  EXPECT_EQ(out, layerNorm({kLayerNormInputMax, -kLayerNormInputMax}));
  // (The isqrt and reciprocal floors lose < 2^-17 relative.)
  EXPECT_NEAR(out[0], std::ldexp(1.0, 30) / std::sqrt(2.0), 1 << 13);
  EXPECT_EQ(out[1], -out[0] - 1); // the floor of the negative product
}

TEST(IntegerMathLayerNormTest, EpsilonOffsetMatchesFloatLayerNormWithEps) {
  // Inputs of scale s with a variance comparable to eps: the offset
  // round(eps * d / s^2) >> (2 shift) makes the result follow float
  // LayerNorm with eps, which without it is off by far more.
  std::mt19937_64 rng(23);
  const double eps = 1e-5;
  for (int64_t d : {64, 768}) {
    for (double s : {1e-4, 1e-5}) {
      for (int shift : {0, 2}) {
        double maxErr = 0, maxErrNoEps = 0;
        for (double sigmaReal : {1e-3, 3e-3, 1e-2}) {
          for (int trial = 0; trial < 100; ++trial) {
            std::normal_distribution<double> dist(0.1, sigmaReal);
            std::vector<int32_t> row(d);
            for (int32_t &v : row)
              v = static_cast<int32_t>(
                  std::clamp<double>(std::round(dist(rng) / s),
                                     -kLayerNormInputMax, kLayerNormInputMax));
            auto offset = static_cast<uint64_t>(
                std::llround(eps * static_cast<double>(d) / (s * s)) >>
                (2 * shift));
            std::vector<int32_t> out = layerNorm(row, shift, offset);
            std::vector<int32_t> noEps = layerNorm(row, shift, 0);
            double mean = 0;
            for (int32_t v : row)
              mean += v;
            mean /= d;
            double var = 0;
            for (int32_t v : row)
              var += (v - mean) * (v - mean);
            // Everything in input units; epsilon in input units squared.
            double epsInt = eps / (s * s);
            double sigmaEff = std::sqrt(var / d + epsInt);
            double std = sigmaEff * std::sqrt(double(d));
            double outScale = std::sqrt(double(d)) * std::ldexp(1.0, -30);
            for (int64_t i = 0; i < d; ++i) {
              double ref = (row[i] - mean) / sigmaEff;
              double err = std::fabs(out[i] * outScale - ref);
              // The bound of MatchesFloatLayerNorm with sigma + eps, plus
              // the offset's rounding and its shift (< 1 + 2^(2 shift) in
              // the variance sum).
              double stdRel =
                  shift == 0 ? 1 / std : std::ldexp(1.0, shift) / sigmaEff;
              stdRel += (1 + std::ldexp(1.0, 2 * shift)) / (std * std);
              double bound =
                  1.01 *
                      (0.5 / sigmaEff +
                       std::fabs(ref) * (stdRel + std * std::ldexp(1.0, -39))) +
                  outScale;
              ASSERT_LE(err, bound)
                  << "d = " << d << ", s = " << s << ", shift = " << shift;
              maxErr = std::max(maxErr, err);
              maxErrNoEps =
                  std::max(maxErrNoEps, std::fabs(noEps[i] * outScale - ref));
            }
          }
        }
        // Without the offset the error is the eps effect itself (sigma =
        // 1e-3 has sigma^2 = eps / 10: the outputs are sqrt(11) too large).
        EXPECT_GT(maxErrNoEps, 20 * maxErr);
        std::printf("[measured] LayerNorm eps=1e-5 d=%lld s=%g shift=%d: max "
                    "|err| = %.3g (%.3g without the offset)\n",
                    static_cast<long long>(d), s, shift, maxErr, maxErrNoEps);
      }
    }
  }
}

TEST(IntegerMathLayerNormTest, MatchesFloatLayerNorm) {
  std::mt19937_64 rng(21);
  for (int64_t d : {64, 768}) {
    for (int magnitudeBits : {8, 14, 20}) {
      for (int shift : {0, 4}) {
        double maxErr = 0;
        for (int trial = 0; trial < 500; ++trial) {
          std::normal_distribution<double> dist(
              std::ldexp(0.3, magnitudeBits),
              std::ldexp(1.0 / 4, magnitudeBits));
          std::vector<int32_t> row(d);
          for (int32_t &v : row)
            v = static_cast<int32_t>(std::clamp<double>(
                std::round(dist(rng)), -(1 << 21) + 1, (1 << 21) - 1));
          std::vector<int32_t> out = layerNorm(row, shift);
          double mean = 0;
          for (int32_t v : row)
            mean += v;
          mean /= d;
          double var = 0;
          for (int32_t v : row)
            var += (v - mean) * (v - mean);
          double sigma = std::sqrt(var / d);
          double std = sigma * std::sqrt(double(d));
          double outScale = std::sqrt(double(d)) * std::ldexp(1.0, -30);
          for (int64_t i = 0; i < d; ++i) {
            double ref = (row[i] - mean) / sigma;
            double err = std::fabs(out[i] * outScale - ref);
            // The bound of docs/IntegerSemantics.md: mean rounding, isqrt
            // floor (and the variance shift), reciprocal and output floors.
            double stdRel =
                shift == 0 ? 1 / std : std::ldexp(1.0, shift) / sigma;
            double bound = 1.01 * (0.5 / sigma +
                                   std::fabs(ref) *
                                       (stdRel + std * std::ldexp(1.0, -39))) +
                           std::sqrt(double(d)) * std::ldexp(1.0, -30);
            ASSERT_LE(err, bound) << "d = " << d << ", sigma = " << sigma
                                  << ", shift = " << shift;
            maxErr = std::max(maxErr, err);
          }
        }
        std::printf("[measured] LayerNorm d=%lld sigma=2^%d shift=%d: max "
                    "|err| = %.3g\n",
                    static_cast<long long>(d), magnitudeBits - 2, shift,
                    maxErr);
      }
    }
  }
}

} // namespace
