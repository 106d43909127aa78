//===- IntegerMath.cpp - qcc's exact integer arithmetic primitives --------===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//
//
// The run-time half of qcc/Quant/IntegerMath.h: every primitive that runs on
// tensor data (requantization, isqrt, integer exp/softmax, i-GELU,
// ShiftGELU, the LayerNorm core) and the integer-only softmax overflow
// proof. This file has no floating point at all -- no float or double
// values, no <cmath> -- because the runtime archive compiles it into every
// generated library, whose code outside quantize/dequantize must be
// integer-only (test/Integration/CPU/no-float.test disassembles the
// libraries and checks). The compile-time parameter builders, which derive
// integers from float scales, are in IntegerMathParams.cpp (QccQuant only).
//
//===----------------------------------------------------------------------===//

#include "qcc/Quant/IntegerMath.h"

#include <algorithm>
#include <cassert>
#include <limits>

using namespace mlir::qcc;

//===----------------------------------------------------------------------===//
// Dyadic requantization
//===----------------------------------------------------------------------===//

int64_t mlir::qcc::applyDyadicWide(int64_t acc, Dyadic d) {
  __int128 product = static_cast<__int128>(acc) * d.multiplier;
  if (d.shift > 0)
    product =
        (product + (static_cast<__int128>(1) << (d.shift - 1))) >> d.shift;
  if (product > std::numeric_limits<int64_t>::max())
    return std::numeric_limits<int64_t>::max();
  if (product < std::numeric_limits<int64_t>::min())
    return std::numeric_limits<int64_t>::min();
  return static_cast<int64_t>(product);
}

int32_t mlir::qcc::requantize(int32_t acc, Dyadic d, int32_t zeroPoint,
                              int32_t qmin, int32_t qmax) {
  assert(qmin <= qmax && "empty output range");
  // |applyDyadic(int32)| < 2^62, so adding a zero point cannot overflow.
  int64_t value = applyDyadic(acc, d) + zeroPoint;
  if (value < qmin)
    return qmin;
  if (value > qmax)
    return qmax;
  return static_cast<int32_t>(value);
}

//===----------------------------------------------------------------------===//
// Integer square root
//===----------------------------------------------------------------------===//

uint32_t mlir::qcc::isqrt64(uint64_t n) {
  if (n == 0)
    return 0;
  int bits = 64 - __builtin_clzll(n);
  // x0 = 2^ceil(bits/2) >= sqrt(n); for n >= 2^62 that is 2^32, which does
  // not fit uint32 but does fit the uint64 iterate.
  uint64_t x = uint64_t(1) << ((bits + 1) / 2);
  while (true) {
    uint64_t next = (x + n / x) >> 1;
    if (next >= x)
      return static_cast<uint32_t>(x);
    x = next;
  }
}

//===----------------------------------------------------------------------===//
// Integer softmax
//===----------------------------------------------------------------------===//

namespace {
/// floor(v * m / 2^shift + 1/2) for 0 <= v < 2^62 / m; 0 once shift >= 63
/// (then v * m < 2^62 <= 2^(shift - 1)).
uint64_t roundShiftNonNegative(uint64_t v, Dyadic d, int64_t extraShift) {
  int64_t shift = d.shift + extraShift;
  uint64_t product = v * static_cast<uint64_t>(d.multiplier);
  if (shift >= 63)
    return 0;
  if (shift == 0)
    return product;
  return (product + (uint64_t(1) << (shift - 1))) >> shift;
}
} // namespace

// The proof. Every step of intSoftmaxRow / intExp16, for any int32 row, with
// 0 < m_x = toExpScale.multiplier < 2^31, e_x = toExpScale.shift in [0, 63],
// 0 < m_16 = toE16.multiplier < 2^31, e_16 = toE16.shift in [0, 63]:
//  1. max and q are int32, so x = q - max, formed in int64, is in
//     (-2^32, 0] (and in (-2^inputBits, 0] when the row keeps its promise).
//  2. x' = applyDyadic(x, toExpScale): |x * m_x| < 2^32 * 2^31 = 2^63 and
//     2^(e_x - 1) <= 2^62, exact in 128 bits; x * m_x <= 0 so the rounded
//     quotient is in (-2^63, 0]: no saturation, and x' <= 0. The clamp
//     makes x' >= -30 * 2^12.
//  3. oct = (-x') >> 12 in [0, 30] and r = x' + oct * 2^12 in (-2^12, 0].
//  4. With 2^13 < polyB < 2^31 and 0 < polyC < 2^31: |r * (r + polyB)| <
//     2^12 * 2^31, so z fits int64. r + polyB > 0 and r * (r + polyB) <= 0,
//     so z <= polyC; z(r + 1) - z(r) = 2r + 1 + polyB > 0, so z is
//     increasing in r and its minimum over r in [-(2^12 - 1), 0] is
//     zMin = polyC - (2^12 - 1) * (polyB - (2^12 - 1)), checked > 0.
//  5. e16 = floor(z * m_16 / 2^(e_16 + oct) + 1/2): z * m_16 < 2^62, plus
//     2^(e_16 + oct - 1) <= 2^61 when that shift is below 63 (a larger
//     shift gives 0, since z * m_16 < 2^62 <= 2^(shift - 1)): no uint64
//     overflow. e16 is non-decreasing in z and non-increasing in oct, so
//     e16 <= e16Max = e16(polyC, oct = 0), checked < 2^16.
//  6. The row max itself has x = 0, hence e16 = e16Max, checked >= 2^14:
//     sum >= 2^14. sum <= L * e16Max, checked < 2^31.
//  7. recip = floor(2^47 / sum) <= 2^33 and e16 <= sum, so e16 * recip <=
//     2^47 fits uint64, and out = floor(e16 * recip / 2^39) <= 2^8 (then
//     clamped to 255).
// Nothing depends on inputBits, which only bounds |x * m_x| < 2^(inputBits +
// 31) for backends that use narrower products.
bool mlir::qcc::checkIntSoftmaxBounds(const IntSoftmaxParams &params,
                                      int64_t rowLength,
                                      const char **diagnostic) {
  auto fail = [&](const char *why) {
    if (diagnostic)
      *diagnostic = why;
    return false;
  };
  using P = IntSoftmaxParams;
  if (rowLength < 1)
    return fail("row length must be at least 1");
  if (params.inputBits < 2 || params.inputBits > P::kMaxInputBits)
    return fail("input scores must have 2 to 32 bits");
  // Steps 1-2.
  if (params.toExpScale.multiplier <= 0 || params.toExpScale.shift < 0 ||
      params.toExpScale.shift > 63)
    return fail("exponent rescale needs a positive multiplier and a shift "
                "in [0, 63]");
  if (params.toE16.multiplier <= 0 || params.toE16.shift < 0 ||
      params.toE16.shift > 63)
    return fail("16-bit exp rescale needs a positive multiplier and a shift "
                "in [0, 63]");
  // Step 4.
  int64_t frac = int64_t(1) << P::kExpFracBits;
  if (params.polyB <= 2 * frac)
    return fail("polynomial coefficient b_int too small for r in (x0, 0]");
  if (params.polyB >= (int64_t(1) << 31))
    return fail("polynomial coefficient b_int does not fit 31 bits");
  if (params.polyC <= 0 || params.polyC >= (int64_t(1) << 31))
    return fail("polynomial value z does not fit 31 bits (z * m >= 2^62)");
  int64_t zMin = params.polyC - (frac - 1) * (params.polyB - (frac - 1));
  if (zMin <= 0)
    return fail("polynomial value z can be non-positive");
  // Steps 5-6.
  uint64_t e16Max = roundShiftNonNegative(params.polyC, params.toE16, 0);
  if (e16Max >= (uint64_t(1) << 16))
    return fail("16-bit exp e16 exceeds 2^16");
  if (e16Max < (uint64_t(1) << (P::kExpOutBits - 1)))
    return fail("exp(0) is below 2^14: too little output precision");
  if (static_cast<uint64_t>(rowLength) > ((uint64_t(1) << 31) - 1) / e16Max)
    return fail("exp sum exceeds 2^31 for this row length");
  return true;
}

uint32_t mlir::qcc::intExp16(int64_t x, const IntSoftmaxParams &params) {
  using P = IntSoftmaxParams;
  assert(x <= 0 && x > -(int64_t(1) << P::kMaxInputBits));
  int64_t xs = applyDyadic(x, params.toExpScale);
  int64_t clampLow = -(int64_t(P::kExpClampOctaves) << P::kExpFracBits);
  if (xs < clampLow)
    xs = clampLow;
  int64_t octaves = (-xs) >> P::kExpFracBits;        // floor(x' / x0)
  int64_t r = xs + (octaves << P::kExpFracBits);     // in (x0, 0]
  int64_t z = r * (r + params.polyB) + params.polyC; // > 0
  return static_cast<uint32_t>(
      roundShiftNonNegative(static_cast<uint64_t>(z), params.toE16, octaves));
}

void mlir::qcc::intSoftmaxRow(const int32_t *in, const uint8_t *keep,
                              int64_t length, const IntSoftmaxParams &params,
                              uint8_t *out) {
  using P = IntSoftmaxParams;
  assert(checkIntSoftmaxBounds(params, length < 1 ? 1 : length) &&
         "softmax parameters overflow for this row length");
  bool any = false;
  int32_t rowMax = 0;
  for (int64_t i = 0; i < length; ++i) {
    if (keep && !keep[i])
      continue;
    if (!any || in[i] > rowMax)
      rowMax = in[i];
    any = true;
  }
  // x = q - max in int64: int32 scores can differ by up to 2^32 - 1.
  uint64_t sum = 0;
  for (int64_t i = 0; i < length; ++i) {
    if (keep && !keep[i])
      continue;
    sum += intExp16(static_cast<int64_t>(in[i]) - rowMax, params);
  }
  if (!any || sum == 0) {
    for (int64_t i = 0; i < length; ++i)
      out[i] = 0;
    return;
  }
  uint64_t recip = (uint64_t(1) << P::kRecipBits) / sum;
  for (int64_t i = 0; i < length; ++i) {
    if (keep && !keep[i]) {
      out[i] = 0;
      continue;
    }
    uint64_t e = intExp16(static_cast<int64_t>(in[i]) - rowMax, params);
    uint64_t v = (e * recip) >> (P::kRecipBits - P::kOutBits);
    out[i] = static_cast<uint8_t>(v > 255 ? 255 : v);
  }
}

bool mlir::qcc::rowSpreadFits(const int32_t *in, const uint8_t *keep,
                              int64_t length, int inputBits) {
  if (inputBits >= IntSoftmaxParams::kMaxInputBits)
    return true;
  bool any = false;
  int32_t lo = 0, hi = 0;
  for (int64_t i = 0; i < length; ++i) {
    if (keep && !keep[i])
      continue;
    lo = any ? std::min(lo, in[i]) : in[i];
    hi = any ? std::max(hi, in[i]) : in[i];
    any = true;
  }
  return static_cast<int64_t>(hi) - lo < (int64_t(1) << inputBits);
}

//===----------------------------------------------------------------------===//
// i-GELU
//===----------------------------------------------------------------------===//

int64_t mlir::qcc::iGelu(int32_t x, const IGeluParams &params) {
  int64_t magnitude = x < 0 ? -static_cast<int64_t>(x) : x;
  int64_t clipped = magnitude < params.clip ? magnitude : params.clip;
  int64_t d = clipped - params.clip; // in [-clip, 0], clip < 2^31
  int64_t erfMag = (params.one - d * d) >> params.erfShift; // >= 0
  int64_t erf = x < 0 ? -erfMag : erfMag;
  return static_cast<int64_t>(x) * (erf + (params.one >> params.erfShift));
}

//===----------------------------------------------------------------------===//
// ShiftGELU (I-ViT)
//===----------------------------------------------------------------------===//

namespace {
/// I-ViT's int_exp_shift for t <= 0: 2^(t * s' * log2(e)) * 2^n / s' with
/// s' = 1.702 s, in (2^n * |x0| / 2, 2^n * |x0|].
int64_t expShift(int64_t t, const ShiftGeluParams &params) {
  // t * 1.4375 ~ t * log2(e): t + floor(t / 2) - floor(t / 16).
  int64_t u = t + (t >> 1) - (t >> 4);
  int64_t x0 = params.x0;
  u = std::max(u, params.n * x0);
  int64_t q = u / x0;     // u <= 0 and x0 < 0: the quotient is the floor
  int64_t r = u - x0 * q; // in (x0, 0]
  // floor((r / 2 - x0) * 2^(n - q)) = floor((r - 2 x0) * 2^(n - q) / 2).
  return ((r - 2 * x0) << (params.n - q)) >> 1;
}
} // namespace

void mlir::qcc::shiftGelu(const int32_t *in, int64_t length,
                          const ShiftGeluParams &params, int64_t *out) {
  int64_t rowMax = 0;
  for (int64_t i = 0; i < length; ++i)
    rowMax = std::max<int64_t>(rowMax, in[i]);
  constexpr int64_t kNumerator = (int64_t(1) << 31) - 1;
  int64_t expMax = expShift(-rowMax, params);
  for (int64_t i = 0; i < length; ++i) {
    int64_t e = expShift(static_cast<int64_t>(in[i]) - rowMax, params);
    int64_t sum = std::min(e + expMax, kNumerator);
    int64_t factor = kNumerator / sum;
    int64_t sigmoid = (e * factor) >> (32 - params.outBits);
    out[i] = static_cast<int64_t>(in[i]) * sigmoid;
  }
}

//===----------------------------------------------------------------------===//
// Integer LayerNorm core
//===----------------------------------------------------------------------===//

namespace {
/// floor(a / b) for b > 0.
int64_t floorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && a < 0) ? q - 1 : q;
}
} // namespace

void mlir::qcc::intLayerNormRow(const int32_t *in, int64_t length, int shift,
                                int32_t *out, uint64_t varOffset) {
  assert(length >= 1 && length <= (int64_t(1) << 16));
  assert(shift >= 0 && shift <= 16);
  auto saturate = [](int32_t v) -> int64_t {
    return std::clamp(v, -kLayerNormInputMax, kLayerNormInputMax);
  };
  // |x| < 2^21 and length <= 2^16: |sum| < 2^37.
  int64_t sum = 0;
  for (int64_t i = 0; i < length; ++i)
    sum += saturate(in[i]);
  int64_t mean = floorDiv(2 * sum + length, 2 * length);
  // |y| < 2^22, y^2 < 2^44, so the sum of squares is below 2^60; adding the
  // offset saturates at 2^64 - 1 (isqrt64 is exact on all of uint64).
  uint64_t var = 0;
  for (int64_t i = 0; i < length; ++i) {
    int64_t y = (saturate(in[i]) - mean) >> shift;
    var += static_cast<uint64_t>(y * y);
  }
  var = var > UINT64_MAX - varOffset ? UINT64_MAX : var + varOffset;
  // isqrt64 < 2^32, so std < 2^48.
  uint64_t std = static_cast<uint64_t>(isqrt64(var)) << shift;
  if (std == 0) {
    for (int64_t i = 0; i < length; ++i)
      out[i] = 0;
    return;
  }
  int64_t factor =
      static_cast<int64_t>((uint64_t(1) << kLayerNormRecipBits) / std);
  for (int64_t i = 0; i < length; ++i) {
    int64_t y = saturate(in[i]) - mean; // |y| < 2^22
    // |y * factor| < 2^22 * 2^39; arithmetic shift is the floor. With
    // shift == 0, |y| <= isqrt(var) <= std (the offset only adds to var) so
    // |v| <= 2^30; a non-zero shift can make std < |y|, hence the
    // saturation.
    int64_t v = (y * factor) >> (kLayerNormRecipBits - 30);
    if (v > std::numeric_limits<int32_t>::max())
      v = std::numeric_limits<int32_t>::max();
    if (v < std::numeric_limits<int32_t>::min())
      v = std::numeric_limits<int32_t>::min();
    out[i] = static_cast<int32_t>(v);
  }
}
