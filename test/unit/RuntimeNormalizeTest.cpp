//===- RuntimeNormalizeTest.cpp - AVX-512 softmax and LayerNorm -*- C++ -*-===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//
//
// The AVX-512 rows of int_softmax and int_layer_norm
// (lib/Runtime/NormalizeAvx512.cpp) against the scalar row functions they must
// equal bit for bit (intSoftmaxRow; intLayerNormRow followed by the kernel's
// clamp(applyDyadic(n, {m, e}) + bias)), on many random rows: lengths 1 to 1000
// (multiples of 16 and not) and long rows up to the limits (65534 softmax,
// 65536 LayerNorm elements), i8/u8/i16/i32 inputs (uniform, constant, only the
// type's extremes, narrow, one outlier, 0/1 rows), every softmax parameter
// makeIntSoftmaxParams produces (input scales over the whole supported range)
// and random parameters anywhere in the domain of checkIntSoftmaxBounds (all of
// which the vector path takes), key masks keeping all, none, one, a prefix or a
// random subset; LayerNorm variance shifts 0 to 16, offsets 0 to 2^63 - 1,
// per-tensor and per-channel dyadics (the compiler's and any int32 multiplier,
// shifts 0 to 62) and biases, every output type. First the row functions
// directly (skipped without AVX-512), then the kernels qcc_rt_int_softmax and
// qcc_rt_int_layer_norm on 1 and 2 threads with the vector path allowed and
// disabled (QCC_DISABLE_VNNI), including a LayerNorm shift (63) that the vector
// path declines, and row ranges that split batches across threads.
//
//===----------------------------------------------------------------------===//

#include "../../lib/Runtime/NormalizeVector.h"

#include "qcc-c/qcc.h"
#include "qcc/Quant/IntegerMath.h"
#include "qcc/Runtime/RuntimeABI.h"

#include "RuntimeTestUtils.h"

#include "gtest/gtest.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

using namespace mlir::qcc;
using namespace qcc_test;

namespace {

constexpr int64_t kLengths[] = {1, 3, 15, 16, 17, 100, 128, 768, 1000};
constexpr int64_t kDtypes[] = {QCC_I8, QCC_U8, QCC_I16, QCC_I32};
constexpr int kPatterns = 8;

/// `length` values of `dtype`'s range in one of kPatterns shapes.
std::vector<int32_t> randomValues(std::mt19937_64 &rng, int64_t dtype,
                                  int64_t length, int pattern) {
  std::pair<int64_t, int64_t> range = rangeOf(dtype);
  int64_t lo = range.first, hi = range.second;
  std::vector<int32_t> v(length);
  int64_t center = uniform(rng, lo, hi);
  int64_t spread = int64_t(1) << uniform(rng, 0, 20);
  auto narrow = [&] {
    return static_cast<int32_t>(
        std::clamp(center + uniform(rng, -spread, spread), lo, hi));
  };
  for (int64_t i = 0; i < length; ++i) {
    switch (pattern) {
    case 0: // uniform
      v[i] = static_cast<int32_t>(uniform(rng, lo, hi));
      break;
    case 1: // constant
      v[i] = static_cast<int32_t>(center);
      break;
    case 2: // only the extremes
      v[i] = static_cast<int32_t>(uniform(rng, 0, 1) ? hi : lo);
      break;
    case 3: // narrow around a random centre
    case 4: // the same with one outlier
      v[i] = narrow();
      break;
    case 5: { // uniform with extremes and zeros mixed in
      int p = static_cast<int>(uniform(rng, 0, 7));
      v[i] = static_cast<int32_t>(p == 0   ? lo
                                  : p == 1 ? hi
                                  : p == 2 ? 0
                                           : uniform(rng, lo, hi));
      break;
    }
    case 6: // 0 and 1 (tiny variance)
      v[i] = static_cast<int32_t>(uniform(rng, 0, 1));
      break;
    default: // small values around 0
      v[i] = static_cast<int32_t>(
          std::clamp<int64_t>(uniform(rng, -1000, 1000), lo, hi));
      break;
    }
  }
  if (pattern == 4)
    v[uniform(rng, 0, length - 1)] =
        static_cast<int32_t>(uniform(rng, 0, 1) ? hi : lo);
  return v;
}

/// `values` stored as `dtype` at element `offset` of a buffer with room
/// for `offset + values.size() + 16` elements (the rest random).
std::vector<uint8_t> encode(std::mt19937_64 &rng, int64_t dtype,
                            const std::vector<int32_t> &values,
                            int64_t offset) {
  size_t bytes = sizeOf(dtype);
  std::vector<uint8_t> buffer((offset + values.size() + 16) * bytes);
  for (uint8_t &b : buffer)
    b = static_cast<uint8_t>(uniform(rng, 0, 255));
  for (size_t i = 0; i < values.size(); ++i) {
    int32_t v = values[i];
    std::memcpy(buffer.data() + (offset + i) * bytes, &v, bytes); // LE
  }
  return buffer;
}

/// Element i of a buffer of `dtype`.
int32_t decode(int64_t dtype, const uint8_t *data, int64_t i) {
  switch (dtype) {
  case QCC_I8:
    return reinterpret_cast<const int8_t *>(data)[i];
  case QCC_U8:
    return data[i];
  case QCC_I16:
    return reinterpret_cast<const int16_t *>(data)[i];
  default:
    return reinterpret_cast<const int32_t *>(data)[i];
  }
}

/// A key mask of `length` elements: every 7 patterns, null (all kept),
/// all, none, one, a prefix, about half, about a tenth.
std::vector<uint8_t> randomKeep(std::mt19937_64 &rng, int64_t length,
                                int pattern) {
  std::vector<uint8_t> keep(length, 1);
  int64_t one = uniform(rng, 0, length - 1);
  int64_t prefix = uniform(rng, 1, length);
  for (int64_t i = 0; i < length; ++i) {
    switch (pattern) {
    case 2:
      keep[i] = 0;
      break;
    case 3:
      keep[i] = i == one;
      break;
    case 4:
      keep[i] = i < prefix;
      break;
    case 5:
      keep[i] = static_cast<uint8_t>(uniform(rng, 0, 1));
      break;
    case 6:
      keep[i] = uniform(rng, 0, 9) == 0;
      break;
    default:
      break;
    }
  }
  return keep;
}

std::vector<uint16_t> keepBits(const std::vector<uint8_t> &keep) {
  std::vector<uint16_t> bits((keep.size() + 15) / 16, 0);
  for (size_t i = 0; i < keep.size(); ++i)
    if (keep[i])
      bits[i / 16] = static_cast<uint16_t>(bits[i / 16] | (1u << (i % 16)));
  return bits;
}

std::string describe(const IntSoftmaxParams &p) {
  return "{m_x " + std::to_string(p.toExpScale.multiplier) + ", e_x " +
         std::to_string(p.toExpScale.shift) + ", b " + std::to_string(p.polyB) +
         ", c " + std::to_string(p.polyC) + ", m16 " +
         std::to_string(p.toE16.multiplier) + ", e16 " +
         std::to_string(p.toE16.shift) + "}";
}

/// Softmax parameters: every input scale regime makeIntSoftmaxParams
/// accepts (2^k ln2 for k in [-43, 17], and a random multiple of each), a
/// few extremes of the exponent rescale (tiny and huge ratios, shifts 0, 62
/// and 63), then random parameters anywhere in the domain of
/// checkIntSoftmaxBounds for rows of 1000: polyB up to its largest value
/// (528511, where r * (r + polyB) no longer fits 32 bits, although z does),
/// polyC from just above the zMin bound, any exp rescale, and the e16
/// multipliers and shifts that keep exp(0) in [2^14, 2^16).
std::vector<IntSoftmaxParams> softmaxParamSets(std::mt19937_64 &rng) {
  std::vector<IntSoftmaxParams> sets;
  const double ln2 = std::log(2.0);
  for (int k = -43; k <= 17; ++k)
    for (double f : {1.0, 1.0 + std::uniform_real_distribution<>(0, 1)(rng)}) {
      std::optional<IntSoftmaxParams> p = makeIntSoftmaxParams(
          std::ldexp(ln2, k) * f, static_cast<int>(uniform(rng, 2, 32)));
      if (p)
        sets.push_back(*p);
    }
  IntSoftmaxParams base = *makeIntSoftmaxParams(0.01, 22);
  for (auto [m, e] : std::vector<std::pair<int32_t, int32_t>>{{INT32_MAX, 0},
                                                              {1, 63},
                                                              {INT32_MAX, 62},
                                                              {INT32_MAX, 63},
                                                              {1, 0},
                                                              {1 << 30, 31}}) {
    IntSoftmaxParams p = base;
    p.toExpScale = {m, e};
    sets.push_back(p);
  }
  constexpr int64_t kRMax = 4095;
  // polyC > kRMax * (polyB - kRMax) and polyC < 2^31.
  const int64_t maxB = (int64_t(INT32_MAX) - 1) / kRMax + kRMax;
  int added = 0;
  while (added < 60) {
    IntSoftmaxParams p = base;
    p.toExpScale = {static_cast<int32_t>(uniform(rng, 1, INT32_MAX)),
                    static_cast<int32_t>(uniform(rng, 0, 63))};
    // A third of the sets with the largest products.
    p.polyB = uniform(rng, 0, 2) ? uniform(rng, 8193, maxB)
                                 : uniform(rng, maxB - 5000, maxB);
    int64_t zMinFloor = kRMax * (p.polyB - kRMax);
    p.polyC = uniform(rng, 0, 3) ? uniform(rng, zMinFloor + 1, INT32_MAX)
                                 : zMinFloor + uniform(rng, 1, 100);
    if (p.polyC > INT32_MAX)
      continue;
    p.toE16.multiplier =
        static_cast<int32_t>(uniform(rng, 1, INT32_MAX) >> uniform(rng, 0, 30));
    if (p.toE16.multiplier == 0)
      continue;
    std::vector<int32_t> shifts;
    for (int32_t e = 0; e <= 63; ++e) {
      p.toE16.shift = e;
      if (checkIntSoftmaxBounds(p, 1000))
        shifts.push_back(e);
    }
    if (shifts.empty())
      continue;
    p.toE16.shift = shifts[uniform(rng, 0, shifts.size() - 1)];
    sets.push_back(p);
    ++added;
  }
  return sets;
}

/// The kernel's per-channel step after intLayerNormRow.
int64_t requantChannel(int32_t n, int64_t m, int64_t e, int64_t bias,
                       int64_t lo, int64_t hi) {
  int64_t v =
      applyDyadic(n, {static_cast<int32_t>(m), static_cast<int32_t>(e)});
  __int128 sum = static_cast<__int128>(v) + static_cast<int32_t>(bias);
  return sum < lo ? lo : sum > hi ? hi : static_cast<int64_t>(sum);
}

/// One LayerNorm configuration: the kernel's attrs minus the counts.
struct LayerNormCase {
  int varShift = 0;
  int64_t varOffset = 0;
  std::vector<int64_t> multipliers, shifts, biases; // 1 or `length` entries
};

/// A LayerNorm configuration for rows of `length`: variant 0 is what the
/// compiler emits (shift 0, an epsilon offset, per-channel dyadics of
/// magnitude [2^30, 2^31) or 0, int32 biases); the others vary the shift,
/// the offset (up to 2^63 - 1) and draw any int32 multiplier (extremes
/// included) with shifts in [0, 62], per tensor or per channel.
LayerNormCase randomLayerNorm(std::mt19937_64 &rng, int64_t length,
                              int variant) {
  LayerNormCase c;
  bool compiler = variant == 0;
  // Every fourth: channels layerNormNarrowable accepts (shifts >= 32,
  // biases within +-(2^30 - 1)), their extremes included.
  bool narrow = variant % 4 == 3;
  constexpr int64_t kNarrowBias = (int64_t(1) << 30) - 1;
  c.varShift = compiler ? 0 : static_cast<int>(uniform(rng, 0, 16));
  const int64_t offsets[] = {0, uniform(rng, 0, 1000),
                             uniform(rng, 0, int64_t(1) << 40),
                             9000000000000000000, INT64_MAX};
  c.varOffset = compiler ? uniform(rng, 0, 300) : offsets[uniform(rng, 0, 4)];
  int64_t n = compiler || uniform(rng, 0, 1) ? length : 1;
  for (int64_t i = 0; i < n; ++i) {
    int64_t m, e;
    if (compiler) {
      m = uniform(rng, 0, 15) == 0 ? 0 : uniform(rng, 1 << 30, INT32_MAX);
      m = uniform(rng, 0, 1) ? -m : m;
      e = m == 0 ? 0 : uniform(rng, 20, 61);
    } else {
      int p = static_cast<int>(uniform(rng, 0, 7));
      m = p == 0   ? INT32_MIN
          : p == 1 ? INT32_MAX
                   : uniform(rng, INT32_MIN, INT32_MAX);
      e = p == 2   ? (narrow ? 32 : 0)
          : p == 3 ? 62
                   : uniform(rng, narrow ? 32 : 0, 62);
    }
    int p = static_cast<int>(uniform(rng, 0, 7));
    int64_t biasMax = narrow ? kNarrowBias : INT32_MAX;
    int64_t bias = p == 0   ? -biasMax
                   : p == 1 ? biasMax
                   : p < 4  ? uniform(rng, -300, 300)
                            : uniform(rng, -biasMax, biasMax);
    if (p == 0 && !narrow)
      bias = INT32_MIN;
    c.multipliers.push_back(m);
    c.shifts.push_back(e);
    c.biases.push_back(bias);
  }
  return c;
}

/// floor(2^39 / std) of intLayerNormRow for `row` (0 when std is 0),
/// recomputed from its definition: which rows need the vector path's
/// two-product reciprocal (>= 2^31).
int64_t layerNormFactor(const std::vector<int32_t> &row,
                        const LayerNormCase &c) {
  auto saturate = [](int32_t v) -> int64_t {
    return std::clamp(v, -kLayerNormInputMax, kLayerNormInputMax);
  };
  int64_t length = static_cast<int64_t>(row.size()), sum = 0;
  for (int32_t v : row)
    sum += saturate(v);
  int64_t num = 2 * sum + length, den = 2 * length;
  int64_t mean = num / den - (num % den != 0 && num < 0);
  uint64_t var = 0;
  for (int32_t v : row) {
    int64_t y = (saturate(v) - mean) >> c.varShift;
    var += static_cast<uint64_t>(y * y);
  }
  auto offset = static_cast<uint64_t>(c.varOffset);
  var = var > UINT64_MAX - offset ? UINT64_MAX : var + offset;
  uint64_t std = static_cast<uint64_t>(isqrt64(var)) << c.varShift;
  return std == 0
             ? 0
             : static_cast<int64_t>((uint64_t(1) << kLayerNormRecipBits) / std);
}

/// The expected LayerNorm row: intLayerNormRow, then requantChannel.
std::vector<int64_t> expectedLayerNorm(const std::vector<int32_t> &row,
                                       const LayerNormCase &c, int64_t lo,
                                       int64_t hi) {
  int64_t length = static_cast<int64_t>(row.size());
  std::vector<int32_t> n(length);
  intLayerNormRow(row.data(), length, c.varShift, n.data(),
                  static_cast<uint64_t>(c.varOffset));
  std::vector<int64_t> out(length);
  for (int64_t i = 0; i < length; ++i) {
    size_t p = c.multipliers.size() == 1 ? 0 : i;
    out[i] = requantChannel(n[i], c.multipliers[p], c.shifts[p], c.biases[p],
                            lo, hi);
  }
  return out;
}

//===----------------------------------------------------------------------===//
// The row functions
//===----------------------------------------------------------------------===//

class NormalizeRowTest : public ::testing::Test {
protected:
  void SetUp() override {
    unsetenv("QCC_DISABLE_VNNI");
    if (!qcc_rt::useVnni())
      GTEST_SKIP() << "no AVX-512 VNNI on this CPU";
  }
  std::mt19937_64 rng{20261124};
};

TEST_F(NormalizeRowTest, SoftmaxEqualsIntSoftmaxRow) {
  std::vector<IntSoftmaxParams> sets = softmaxParamSets(rng);
  int64_t rows = 0, elements = 0;
  for (size_t s = 0; s < sets.size(); ++s) {
    const IntSoftmaxParams &p = sets[s];
    ASSERT_TRUE(qcc_rt::softmaxVectorizable(p, 1000)) << describe(p);
    for (int64_t length : kLengths)
      for (int64_t dtype : kDtypes)
        for (int pattern = 0; pattern < kPatterns; ++pattern) {
          // Every parameter set sees every mask pattern across lengths.
          int keepPattern = static_cast<int>((s + length + pattern) % 7);
          std::vector<int32_t> values =
              randomValues(rng, dtype, length, pattern);
          std::vector<uint8_t> keep = randomKeep(rng, length, keepPattern);
          bool masked = keepPattern != 0;
          int64_t offset = uniform(rng, 0, 20);
          std::vector<uint8_t> in = encode(rng, dtype, values, offset);
          std::vector<uint8_t> expected(length + 32, 0x5a),
              actual(length + 32, 0x5a);
          intSoftmaxRow(values.data(), masked ? keep.data() : nullptr, length,
                        p, expected.data());
          std::vector<uint16_t> bits = keepBits(keep);
          std::vector<int32_t> scratch(length);
          int64_t spread = qcc_rt::softmaxRowAvx512(
              dtype, in.data(), offset, length, masked ? bits.data() : nullptr,
              p, scratch.data(), actual.data());
          int64_t lo = INT64_MAX, hi = INT64_MIN;
          for (int64_t i = 0; i < length; ++i)
            if (!masked || keep[i]) {
              lo = std::min<int64_t>(lo, values[i]);
              hi = std::max<int64_t>(hi, values[i]);
            }
          int64_t expectedSpread = lo > hi ? 0 : hi - lo;
          std::string where = describe(p) + " length " +
                              std::to_string(length) + " " + nameOf(dtype) +
                              " pattern " + std::to_string(pattern) + " mask " +
                              std::to_string(keepPattern);
          ASSERT_EQ(spread, expectedSpread) << where;
          for (int64_t i = 0; i < length + 32; ++i)
            ASSERT_EQ(int(actual[i]), int(expected[i]))
                << where << ": element " << i;
          ++rows;
          elements += length;
        }
  }
  std::printf("[measured] %lld softmax rows (%lld elements), %zu parameter "
              "sets: identical\n",
              (long long)rows, (long long)elements, sets.size());
}

TEST_F(NormalizeRowTest, LayerNormEqualsIntLayerNormRow) {
  int64_t rows = 0, elements = 0, wide = 0, narrowRows = 0;
  for (int64_t length : kLengths)
    for (int variant = 0; variant < 12; ++variant) {
      LayerNormCase c = randomLayerNorm(rng, length, variant);
      std::vector<int32_t> m32, s32, b32;
      for (size_t i = 0; i < c.multipliers.size(); ++i) {
        m32.push_back(static_cast<int32_t>(c.multipliers[i]));
        s32.push_back(static_cast<int32_t>(c.shifts[i]));
        b32.push_back(static_cast<int32_t>(c.biases[i]));
      }
      ASSERT_TRUE(qcc_rt::layerNormVectorizable(s32.data(), s32.size()));
      qcc_rt::LayerNormChannels channels{m32.data(), s32.data(), b32.data(),
                                         m32.size() != 1};
      // Narrowable channels run both ways: the general finish and the
      // int32 one from packed blocks.
      bool narrowable = qcc_rt::layerNormNarrowable(channels, m32.size());
      if (variant % 4 == 3)
        ASSERT_TRUE(narrowable) << "variant " << variant;
      std::vector<qcc_rt::LayerNormBlock> blocks((length + 15) / 16);
      if (narrowable)
        qcc_rt::packLayerNormBlocks(channels, length, blocks.data());
      for (int64_t inDtype : kDtypes)
        for (int64_t outDtype : kDtypes)
          for (int pattern = 0; pattern < kPatterns; ++pattern)
            for (bool packed : {false, true}) {
              if (packed && !narrowable)
                continue;
              std::vector<int32_t> values =
                  randomValues(rng, inDtype, length, pattern);
              // i32 rows beyond the 22-bit saturation, too.
              if (inDtype == QCC_I32 && pattern == 7)
                for (int32_t &v : values)
                  v = static_cast<int32_t>(v * 4096 + uniform(rng, -9, 9));
              auto [lo, hi] = rangeOf(outDtype);
              std::vector<int64_t> expected =
                  expectedLayerNorm(values, c, lo, hi);
              int64_t offset = uniform(rng, 0, 20);
              std::vector<uint8_t> in = encode(rng, inDtype, values, offset);
              // The output row lies at the same element offset.
              std::vector<uint8_t> out = encode(
                  rng, outDtype, std::vector<int32_t>(length, 0), offset);
              std::vector<uint8_t> untouched = out;
              qcc_rt::layerNormRowAvx512(
                  inDtype, in.data(), offset, length, c.varShift,
                  static_cast<uint64_t>(c.varOffset), channels,
                  packed ? blocks.data() : nullptr, lo, hi, outDtype,
                  out.data());
              std::string where = "length " + std::to_string(length) +
                                  " variant " + std::to_string(variant) +
                                  (packed ? " packed " : " ") +
                                  nameOf(inDtype) + " to " + nameOf(outDtype) +
                                  " pattern " + std::to_string(pattern) +
                                  " shift " + std::to_string(c.varShift) +
                                  " offset " + std::to_string(c.varOffset);
              for (int64_t i = 0; i < length; ++i)
                ASSERT_EQ(decode(outDtype, out.data(), offset + i), expected[i])
                    << where << ": element " << i;
              size_t bytes = sizeOf(outDtype);
              ASSERT_EQ(
                  std::memcmp(out.data(), untouched.data(), offset * bytes), 0)
                  << where << ": wrote before the row";
              ASSERT_EQ(
                  std::memcmp(out.data() + (offset + length) * bytes,
                              untouched.data() + (offset + length) * bytes,
                              16 * bytes),
                  0)
                  << where << ": wrote past the row";
              ++rows;
              elements += length;
              narrowRows += packed;
              if (layerNormFactor(values, c) >= (int64_t(1) << 31))
                ++wide;
            }
    }
  EXPECT_GT(narrowRows, 0);
  std::printf("[measured] %lld LayerNorm rows (%lld elements, %lld with a "
              "reciprocal >= 2^31, %lld from narrow blocks): identical\n",
              (long long)rows, (long long)elements, (long long)wide,
              (long long)narrowRows);
}

TEST_F(NormalizeRowTest, LongRows) {
  // Softmax rows up to the longest checkIntSoftmaxBounds allows qcc's
  // parameters (an exp sum just below 2^31 for a constant row).
  IntSoftmaxParams p = *makeIntSoftmaxParams(1e-3, 16);
  for (int64_t length : {4097, 30000, 65534}) {
    ASSERT_TRUE(qcc_rt::softmaxVectorizable(p, length));
    for (int pattern : {0, 1, 3}) {
      std::vector<int32_t> values = randomValues(rng, QCC_I16, length, pattern);
      std::vector<uint8_t> in = encode(rng, QCC_I16, values, 0);
      std::vector<uint8_t> expected(length), actual(length);
      std::vector<int32_t> scratch(length);
      intSoftmaxRow(values.data(), nullptr, length, p, expected.data());
      qcc_rt::softmaxRowAvx512(QCC_I16, in.data(), 0, length, nullptr, p,
                               scratch.data(), actual.data());
      ASSERT_EQ(actual, expected) << "softmax length " << length;
    }
  }
  // LayerNorm up to the longest rows (2^16): the int32 partial sums of
  // saturated inputs must be flushed before they wrap.
  for (int64_t length : {16385, 40000, 65536})
    for (int variant = 0; variant < 2; ++variant) {
      LayerNormCase c = randomLayerNorm(rng, length, variant);
      std::vector<int32_t> m32, s32, b32;
      for (size_t i = 0; i < c.multipliers.size(); ++i) {
        m32.push_back(static_cast<int32_t>(c.multipliers[i]));
        s32.push_back(static_cast<int32_t>(c.shifts[i]));
        b32.push_back(static_cast<int32_t>(c.biases[i]));
      }
      qcc_rt::LayerNormChannels channels{m32.data(), s32.data(), b32.data(),
                                         m32.size() != 1};
      for (int pattern : {0, 1, 2, 4}) {
        std::vector<int32_t> values =
            randomValues(rng, QCC_I32, length, pattern);
        if (pattern == 1)
          std::fill(values.begin(), values.end(),
                    variant ? INT32_MIN : kLayerNormInputMax);
        std::vector<int64_t> expected =
            expectedLayerNorm(values, c, INT16_MIN, INT16_MAX);
        std::vector<uint8_t> in = encode(rng, QCC_I32, values, 0);
        std::vector<int16_t> out(length);
        qcc_rt::layerNormRowAvx512(QCC_I32, in.data(), 0, length, c.varShift,
                                   static_cast<uint64_t>(c.varOffset), channels,
                                   nullptr, INT16_MIN, INT16_MAX, QCC_I16,
                                   out.data());
        for (int64_t i = 0; i < length; ++i)
          ASSERT_EQ(out[i], expected[i])
              << "length " << length << " variant " << variant << " pattern "
              << pattern << ": element " << i;
      }
    }
}

//===----------------------------------------------------------------------===//
// The kernels, on both paths
//===----------------------------------------------------------------------===//

class NormalizeKernelTest : public qcc_test::KernelContextTest {
protected:
  /// Runs `kernel` with the vector path allowed and disabled, on 1 and 2
  /// threads, each time on an output of `bytes` poisoned with 0xa5; calls
  /// check(output, where) after each run, whose status must be `status`.
  template <typename Kernel, typename Check>
  void runBothPaths(Kernel kernel, size_t bytes, int32_t status, Check check) {
    for (bool portable : {false, true}) {
      qcc_test::setPortable(portable);
      for (int32_t threads : {1, 2}) {
        ASSERT_EQ(qcc_rt_set_num_threads(rt, threads), QCC_OK);
        std::vector<uint8_t> out(bytes, 0xa5);
        std::string where = std::string(portable ? "portable" : "vector") +
                            ", " + std::to_string(threads) + " thread(s)";
        int32_t s = kernel(out.data());
        ASSERT_EQ(s, status) << where << ": " << qcc_rt_last_error(rt);
        check(out, where);
      }
    }
    qcc_test::setPortable(false);
  }

  std::mt19937_64 rng{1124};
};

/// A mask tensor's bytes: `keep` (batch-major) stored as `dtype` (bool as
/// 0/1 bytes).
std::vector<uint8_t> maskBytes(const std::vector<uint8_t> &keep, int64_t dtype,
                               std::mt19937_64 &rng) {
  size_t size = dtype == QCC_I64 ? 8 : dtype == QCC_I32 ? 4 : 1;
  std::vector<uint8_t> bytes(keep.size() * size, 0);
  for (size_t i = 0; i < keep.size(); ++i) {
    // Kept elements hold any non-zero value (bool: 1).
    int64_t v = keep[i] ? (dtype == QCC_BOOL ? 1 : uniform(rng, 1, 100)) : 0;
    if (keep[i] && dtype != QCC_BOOL && uniform(rng, 0, 1))
      v = -v;
    if (dtype == QCC_U8 && v < 0)
      v = 255;
    std::memcpy(bytes.data() + i * size, &v, size);
  }
  return bytes;
}

TEST_F(NormalizeKernelTest, SoftmaxBothPathsEqualTheScalarRows) {
  std::vector<IntSoftmaxParams> sets = softmaxParamSets(rng);
  const int64_t maskDtypes[] = {QCC_I64, QCC_U8, QCC_BOOL, QCC_I32};
  int cases = 0;
  for (size_t s = 0; s < sets.size(); s += 3) {
    const IntSoftmaxParams &p = sets[s];
    for (int64_t length : kLengths)
      for (int64_t dtype : kDtypes) {
        // [batch, heads, rows, length]; a mask of [batch, length] or none.
        const int64_t batch = 2, heads = 2, perHead = 3;
        int64_t rows = batch * heads * perHead;
        int pattern = static_cast<int>(uniform(rng, 0, kPatterns - 1));
        std::vector<int32_t> values =
            randomValues(rng, dtype, rows * length, pattern);
        std::vector<uint8_t> in = encode(rng, dtype, values, 0);
        int64_t maskDtype = maskDtypes[uniform(rng, 0, 3)];
        bool masked = uniform(rng, 0, 3) != 0;
        std::vector<uint8_t> keep;
        for (int64_t b = 0; b < batch; ++b) {
          std::vector<uint8_t> k =
              randomKeep(rng, length, static_cast<int>(uniform(rng, 1, 6)));
          keep.insert(keep.end(), k.begin(), k.end());
        }
        std::vector<uint8_t> mask = maskBytes(keep, maskDtype, rng);
        // The declared bits hold for every row (the scores' type).
        int bits = static_cast<int>(sizeOf(dtype) * 8);
        IntSoftmaxParams q = p;
        q.inputBits = bits;
        std::vector<uint8_t> expected(rows * length);
        for (int64_t r = 0; r < rows; ++r)
          intSoftmaxRow(values.data() + r * length,
                        masked ? keep.data() + (r / (heads * perHead)) * length
                               : nullptr,
                        length, q, expected.data() + r * length);
        int64_t shape[] = {batch, heads, perHead, length};
        int64_t maskShape[] = {batch, length};
        qcc_rt_tensor tensors[2] = {{in.data(), shape, 4, dtype},
                                    {mask.data(), maskShape, 2, maskDtype}};
        int64_t attrs[] = {
            q.inputBits, q.toExpScale.multiplier, q.toExpScale.shift, q.polyB,
            q.polyC,     q.toE16.multiplier,      q.toE16.shift};
        std::string what = describe(q) + " length " + std::to_string(length) +
                           " " + nameOf(dtype) + " pattern " +
                           std::to_string(pattern) +
                           (masked ? " masked" : " unmasked");
        runBothPaths(
            [&](uint8_t *out) {
              qcc_rt_tensor o{out, shape, 4, QCC_U8};
              return qcc_rt_int_softmax(kernelContext(), tensors,
                                        masked ? 2 : 1, &o, attrs);
            },
            rows * length, QCC_OK,
            [&](const std::vector<uint8_t> &out, const std::string &where) {
              for (int64_t i = 0; i < rows * length; ++i)
                ASSERT_EQ(int(out[i]), int(expected[i]))
                    << what << ", " << where << ": element " << i;
            });
        ++cases;
      }
  }
  std::printf("[measured] %d softmax tensors, each on both paths and 1 and "
              "2 threads: identical to intSoftmaxRow\n",
              cases);
}

TEST_F(NormalizeKernelTest, SoftmaxReportsTheFirstRowBreakingInputBits) {
  IntSoftmaxParams p = *makeIntSoftmaxParams(1e-3, 16);
  ASSERT_TRUE(qcc_rt::softmaxVectorizable(p, 40));
  const int64_t rows = 40, length = 40;
  std::vector<int32_t> values(rows * length);
  for (int32_t &v : values)
    v = static_cast<int32_t>(uniform(rng, -100, 100));
  // Rows 17 and 31 spread over 2^16 (the first only with row 17's mask).
  values[17 * length + 3] = 1 << 16;
  values[31 * length + 39] = -(1 << 16);
  std::vector<uint8_t> in = encode(rng, QCC_I32, values, 0);
  std::vector<uint8_t> expected(rows * length);
  for (int64_t r = 0; r < rows; ++r)
    intSoftmaxRow(values.data() + r * length, nullptr, length, p,
                  expected.data() + r * length);
  int64_t shape[] = {rows, length};
  int64_t attrs[] = {
      p.inputBits, p.toExpScale.multiplier, p.toExpScale.shift, p.polyB,
      p.polyC,     p.toE16.multiplier,      p.toE16.shift};
  qcc_rt_tensor tensor{in.data(), shape, 2, QCC_I32};
  runBothPaths(
      [&](uint8_t *out) {
        qcc_rt_tensor o{out, shape, 2, QCC_U8};
        return qcc_rt_int_softmax(kernelContext(), &tensor, 1, &o, attrs);
      },
      rows * length, QCC_ERROR_RUNTIME,
      [&](const std::vector<uint8_t> &out, const std::string &where) {
        EXPECT_NE(std::string(qcc_rt_last_error(rt)).find("row 17:"),
                  std::string::npos)
            << where << ": " << qcc_rt_last_error(rt);
        // The rows are computed all the same.
        EXPECT_EQ(std::memcmp(out.data(), expected.data(), out.size()), 0)
            << where;
      });
}

TEST_F(NormalizeKernelTest, LayerNormBothPathsEqualTheScalarRows) {
  int cases = 0;
  for (int64_t length : kLengths)
    for (int variant = 0; variant < 6; ++variant) {
      LayerNormCase c = randomLayerNorm(rng, length, variant);
      // Variant 5: one shift of 63 makes the vector path decline.
      if (variant == 5)
        c.shifts[uniform(rng, 0, c.shifts.size() - 1)] = 63;
      for (int64_t inDtype : kDtypes)
        for (int64_t outDtype : kDtypes) {
          const int64_t rows = 6;
          int pattern = static_cast<int>(uniform(rng, 0, kPatterns - 1));
          std::vector<int32_t> values =
              randomValues(rng, inDtype, rows * length, pattern);
          std::vector<uint8_t> in = encode(rng, inDtype, values, 0);
          auto [lo, hi] = rangeOf(outDtype);
          std::vector<int64_t> expected;
          for (int64_t r = 0; r < rows; ++r) {
            std::vector<int32_t> row(values.begin() + r * length,
                                     values.begin() + (r + 1) * length);
            std::vector<int64_t> e = expectedLayerNorm(row, c, lo, hi);
            expected.insert(expected.end(), e.begin(), e.end());
          }
          std::vector<int64_t> attrs = {
              c.varShift, c.varOffset,
              static_cast<int64_t>(c.multipliers.size())};
          attrs.insert(attrs.end(), c.multipliers.begin(), c.multipliers.end());
          attrs.insert(attrs.end(), c.shifts.begin(), c.shifts.end());
          attrs.insert(attrs.end(), c.biases.begin(), c.biases.end());
          int64_t shape[] = {2, rows / 2, length};
          qcc_rt_tensor tensor{in.data(), shape, 3, inDtype};
          std::string what = "length " + std::to_string(length) + " variant " +
                             std::to_string(variant) + " " + nameOf(inDtype) +
                             " to " + nameOf(outDtype) + " pattern " +
                             std::to_string(pattern);
          runBothPaths(
              [&](uint8_t *out) {
                qcc_rt_tensor o{out, shape, 3, outDtype};
                return qcc_rt_int_layer_norm(kernelContext(), &tensor, 1, &o,
                                             attrs.data());
              },
              rows * length * sizeOf(outDtype), QCC_OK,
              [&](const std::vector<uint8_t> &out, const std::string &where) {
                for (int64_t i = 0; i < rows * length; ++i)
                  ASSERT_EQ(decode(outDtype, out.data(), i), expected[i])
                      << what << ", " << where << ": element " << i;
              });
          ++cases;
        }
    }
  std::printf("[measured] %d LayerNorm tensors, each on both paths and 1 "
              "and 2 threads: identical to intLayerNormRow + requant\n",
              cases);
}

TEST_F(NormalizeKernelTest, RowsSplitAcrossThreads) {
  // Softmax rows of 128 in batches of 200 rows: the threads' ranges of rows
  // start and end inside batches, so each range builds its keep bits anew.
  IntSoftmaxParams p = *makeIntSoftmaxParams(2e-4, 22);
  const int64_t batch = 3, rows = batch * 200, length = 128;
  std::vector<int32_t> values(rows * length);
  for (int32_t &v : values)
    v = static_cast<int32_t>(uniform(rng, -(1 << 20), (1 << 20) - 1));
  std::vector<uint8_t> in = encode(rng, QCC_I32, values, 0);
  std::vector<uint8_t> keep;
  for (int64_t b = 0; b < batch; ++b) {
    std::vector<uint8_t> k = randomKeep(rng, length, 4 + b % 3);
    keep.insert(keep.end(), k.begin(), k.end());
  }
  std::vector<uint8_t> mask = maskBytes(keep, QCC_I64, rng);
  std::vector<uint8_t> expected(rows * length);
  for (int64_t r = 0; r < rows; ++r)
    intSoftmaxRow(values.data() + r * length, keep.data() + (r / 200) * length,
                  length, p, expected.data() + r * length);
  int64_t shape[] = {batch, 4, 50, length}, maskShape[] = {batch, length};
  qcc_rt_tensor tensors[2] = {{in.data(), shape, 4, QCC_I32},
                              {mask.data(), maskShape, 2, QCC_I64}};
  int64_t attrs[] = {
      p.inputBits, p.toExpScale.multiplier, p.toExpScale.shift, p.polyB,
      p.polyC,     p.toE16.multiplier,      p.toE16.shift};
  runBothPaths(
      [&](uint8_t *out) {
        qcc_rt_tensor o{out, shape, 4, QCC_U8};
        return qcc_rt_int_softmax(kernelContext(), tensors, 2, &o, attrs);
      },
      rows * length, QCC_OK,
      [&](const std::vector<uint8_t> &out, const std::string &where) {
        EXPECT_EQ(std::memcmp(out.data(), expected.data(), out.size()), 0)
            << "softmax, " << where;
      });
  // LayerNorm rows of 768 (BERT-base), per-channel parameters.
  const int64_t lnRows = 300, lnLength = 768;
  LayerNormCase c = randomLayerNorm(rng, lnLength, 0);
  std::vector<int32_t> x = randomValues(rng, QCC_I32, lnRows * lnLength, 7);
  for (int32_t &v : x)
    v *= 2000;
  std::vector<uint8_t> lnIn = encode(rng, QCC_I32, x, 0);
  std::vector<int64_t> lnExpected;
  for (int64_t r = 0; r < lnRows; ++r) {
    std::vector<int32_t> row(x.begin() + r * lnLength,
                             x.begin() + (r + 1) * lnLength);
    std::vector<int64_t> e = expectedLayerNorm(row, c, INT8_MIN, INT8_MAX);
    lnExpected.insert(lnExpected.end(), e.begin(), e.end());
  }
  std::vector<int64_t> lnAttrs = {c.varShift, c.varOffset, lnLength};
  lnAttrs.insert(lnAttrs.end(), c.multipliers.begin(), c.multipliers.end());
  lnAttrs.insert(lnAttrs.end(), c.shifts.begin(), c.shifts.end());
  lnAttrs.insert(lnAttrs.end(), c.biases.begin(), c.biases.end());
  int64_t lnShape[] = {lnRows, lnLength};
  qcc_rt_tensor lnTensor{lnIn.data(), lnShape, 2, QCC_I32};
  runBothPaths(
      [&](uint8_t *out) {
        qcc_rt_tensor o{out, lnShape, 2, QCC_I8};
        return qcc_rt_int_layer_norm(kernelContext(), &lnTensor, 1, &o,
                                     lnAttrs.data());
      },
      lnRows * lnLength, QCC_OK,
      [&](const std::vector<uint8_t> &out, const std::string &where) {
        for (int64_t i = 0; i < lnRows * lnLength; ++i)
          ASSERT_EQ(decode(QCC_I8, out.data(), i), lnExpected[i])
              << "LayerNorm, " << where << ": element " << i;
      });
}

} // namespace
