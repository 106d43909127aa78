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
    std::string why;
    EXPECT_TRUE(checkIntSoftmaxBounds(p, 512, &why)) << why;
    EXPECT_TRUE(checkIntSoftmaxBounds(p, 65000, &why)) << why;
    EXPECT_FALSE(checkIntSoftmaxBounds(p, 1 << 17, &why));
    EXPECT_NE(why.find("exp sum"), std::string::npos) << why;
    EXPECT_FALSE(checkIntSoftmaxBounds(p, 0, &why));
    // exp(0) is 2^15 within one unit.
    EXPECT_NEAR(intExp16(0, p), 1 << 15, 1);
  }
  for (double s : {1e-6, 1e-5, 1e-4, 0.5, 8.0}) {
    std::optional<IntSoftmaxParams> p = makeIntSoftmaxParams(s, 16);
    ASSERT_TRUE(p) << s;
    EXPECT_TRUE(checkIntSoftmaxBounds(*p, 4096));
  }
  EXPECT_FALSE(makeIntSoftmaxParams(1e-3, 17));
  EXPECT_FALSE(makeIntSoftmaxParams(1e-3, 1));
  EXPECT_FALSE(makeIntSoftmaxParams(0, 8));
  EXPECT_FALSE(makeIntSoftmaxParams(-1e-3, 8));
  EXPECT_FALSE(makeIntSoftmaxParams(NAN, 8));
  EXPECT_FALSE(makeIntSoftmaxParams(1e6, 8));
  IntSoftmaxParams broken = paramsFor(1e-3);
  broken.polyC = int64_t(1) << 40;
  std::string why;
  EXPECT_FALSE(checkIntSoftmaxBounds(broken, 16, &why));
  EXPECT_FALSE(why.empty());
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

//===----------------------------------------------------------------------===//
// Integer LayerNorm core
//===----------------------------------------------------------------------===//

std::vector<int32_t> layerNorm(const std::vector<int32_t> &row, int shift = 0) {
  std::vector<int32_t> out(row.size());
  intLayerNormRow(row.data(), row.size(), shift, out.data());
  return out;
}

TEST(IntegerMathLayerNormTest, ConstantRowsGiveZero) {
  for (int32_t v : {0, 1, -1, 12345, -(1 << 21) + 1, (1 << 21) - 1})
    for (int64_t d : {1, 2, 64, 768})
      EXPECT_EQ(layerNorm(std::vector<int32_t>(d, v)),
                std::vector<int32_t>(d, 0));
  // Differences that vanish in the mean rounding are still exact zeros.
  EXPECT_EQ(layerNorm({0, 0, 0, 1}), (std::vector<int32_t>{0, 0, 0, 1 << 30}));
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
