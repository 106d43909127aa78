//===- IntegerMath.cpp - qcc's exact integer arithmetic primitives --------===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//
//
// Definitions of the primitives declared in qcc/Quant/IntegerMath.h. Doubles
// are used only to derive parameters from float scales; every function that
// runs on tensor data is integer-only.
//
//===----------------------------------------------------------------------===//

#include "qcc/Quant/IntegerMath.h"

#include <cassert>
#include <cmath>
#include <limits>

using namespace mlir::qcc;

//===----------------------------------------------------------------------===//
// Dyadic requantization
//===----------------------------------------------------------------------===//

std::optional<Dyadic> mlir::qcc::makeDyadic(double ratio) {
  if (!std::isfinite(ratio) || ratio < 0 || ratio >= kDyadicMaxRatio)
    return std::nullopt;
  if (ratio < kDyadicMinRatio)
    return Dyadic{};
  int exponent = 0;
  double fraction = std::frexp(ratio, &exponent); // ratio = f * 2^k.
  // f * 2^31 is exact; adding 1/2 is exact (at most 22 fraction bits remain).
  int64_t m = static_cast<int64_t>(std::floor(std::ldexp(fraction, 31) + 0.5));
  int64_t shift = 31 - exponent;
  if (m == (int64_t(1) << 31)) {
    m >>= 1;
    --shift;
  }
  assert(m >= (int64_t(1) << 30) && m < (int64_t(1) << 31));
  assert(shift >= 0 && shift <= 61);
  return Dyadic{static_cast<int32_t>(m), static_cast<int32_t>(shift)};
}

double mlir::qcc::dyadicValue(Dyadic d) {
  return std::ldexp(static_cast<double>(d.multiplier), -d.shift);
}

int64_t mlir::qcc::applyDyadic(int64_t acc, Dyadic d) {
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
/// I-BERT's second-order fit a (r + b/a)^2-form of exp on [-ln2, 0].
constexpr double kExpA = 0.35815147;
constexpr double kExpB = 0.96963238;
constexpr double kExpC = 1.0;
constexpr double kLn2 = 0.69314718055994530942;

/// Real scale of the internal exponent representation, ln2 / 2^12.
double expScale() { return std::ldexp(kLn2, -IntSoftmaxParams::kExpFracBits); }

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

std::optional<IntSoftmaxParams> mlir::qcc::makeIntSoftmaxParams(double scale,
                                                                int inputBits) {
  if (inputBits < 2 || inputBits > 16 || !std::isfinite(scale) || scale <= 0)
    return std::nullopt;
  double sx = expScale();
  std::optional<Dyadic> toExp = makeDyadic(scale / sx);
  if (!toExp || toExp->multiplier == 0)
    return std::nullopt;
  std::optional<Dyadic> toE16 = makeDyadic(
      kExpA * sx * sx * std::ldexp(1.0, IntSoftmaxParams::kExpOutBits));
  if (!toE16 || toE16->multiplier == 0)
    return std::nullopt;
  IntSoftmaxParams params;
  params.scale = scale;
  params.inputBits = inputBits;
  params.toExpScale = *toExp;
  params.polyB = static_cast<int64_t>(std::floor(kExpB / kExpA / sx));
  params.polyC = static_cast<int64_t>(std::floor(kExpC / kExpA / (sx * sx)));
  params.toE16 = *toE16;
  return params;
}

bool mlir::qcc::checkIntSoftmaxBounds(const IntSoftmaxParams &params,
                                      int64_t rowLength,
                                      std::string *diagnostic) {
  auto fail = [&](const std::string &why) {
    if (diagnostic)
      *diagnostic = why;
    return false;
  };
  using P = IntSoftmaxParams;
  if (rowLength < 1)
    return fail("row length must be at least 1");
  if (params.inputBits < 2 || params.inputBits > 16)
    return fail("input scores must have 2 to 16 bits");
  // |x| = |q - max| < 2^inputBits, multiplier < 2^31: |x * m| < 2^47.
  int64_t frac = int64_t(1) << P::kExpFracBits;
  // r in (-2^12, 0]: r + polyB must stay positive for z <= polyC (and for
  // the polynomial to be increasing in r), and z must stay positive.
  if (params.polyB <= 2 * frac)
    return fail("polynomial coefficient b_int too small for r in (x0, 0]");
  int64_t zMin = params.polyC - (frac - 1) * (params.polyB - (frac - 1));
  if (zMin <= 0)
    return fail("polynomial value z can be non-positive");
  // z <= polyC and z * m with m < 2^31 must stay below 2^62.
  if (params.polyC >= (int64_t(1) << 31))
    return fail("polynomial value z does not fit 31 bits (z * m >= 2^62)");
  uint64_t e16Max = roundShiftNonNegative(params.polyC, params.toE16, 0);
  if (e16Max >= (uint64_t(1) << 16))
    return fail("16-bit exp e16 exceeds 2^16");
  uint64_t e16AtZero = e16Max;
  if (e16AtZero < (uint64_t(1) << (P::kExpOutBits - 1)))
    return fail("exp(0) is below 2^14: too little output precision");
  if (static_cast<uint64_t>(rowLength) > ((uint64_t(1) << 31) - 1) / e16Max)
    return fail("exp sum exceeds 2^31 for this row length");
  return true;
}

uint32_t mlir::qcc::intExp16(int64_t x, const IntSoftmaxParams &params) {
  using P = IntSoftmaxParams;
  assert(x <= 0 && x > -(int64_t(1) << params.inputBits));
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

//===----------------------------------------------------------------------===//
// i-GELU
//===----------------------------------------------------------------------===//

std::optional<IGeluParams> mlir::qcc::makeIGeluParams(double scale) {
  if (!std::isfinite(scale) || scale < 1e-9 || scale > 0.25)
    return std::nullopt;
  double s1 = scale / std::sqrt(2.0);
  IGeluParams params;
  params.scale = scale;
  params.clip = -static_cast<int64_t>(std::floor(-1.769 / s1));
  params.one = static_cast<int64_t>(std::floor(1.0 / (0.2888 * s1 * s1)));
  if (params.clip >= (int64_t(1) << 31) ||
      params.clip * params.clip > params.one)
    return std::nullopt;
  while ((params.one >> params.erfShift) >= (int64_t(1) << 24))
    ++params.erfShift;
  params.outScale =
      scale * 0.2888 * s1 * s1 * std::ldexp(1.0, params.erfShift) / 2;
  return params;
}

int64_t mlir::qcc::iGelu(int32_t x, const IGeluParams &params) {
  int64_t magnitude = x < 0 ? -static_cast<int64_t>(x) : x;
  int64_t clipped = magnitude < params.clip ? magnitude : params.clip;
  int64_t d = clipped - params.clip; // in [-clip, 0], clip < 2^31
  int64_t erfMag = (params.one - d * d) >> params.erfShift; // >= 0
  int64_t erf = x < 0 ? -erfMag : erfMag;
  return static_cast<int64_t>(x) * (erf + (params.one >> params.erfShift));
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
                                int32_t *out) {
  assert(length >= 1 && length <= (int64_t(1) << 16));
  assert(shift >= 0 && shift <= 16);
  int64_t sum = 0;
  for (int64_t i = 0; i < length; ++i)
    sum += in[i];
  int64_t mean = floorDiv(2 * sum + length, 2 * length);
  uint64_t var = 0;
  for (int64_t i = 0; i < length; ++i) {
    int64_t y = (static_cast<int64_t>(in[i]) - mean) >> shift;
    var += static_cast<uint64_t>(y * y);
  }
  uint64_t std = static_cast<uint64_t>(isqrt64(var)) << shift;
  if (std == 0) {
    for (int64_t i = 0; i < length; ++i)
      out[i] = 0;
    return;
  }
  int64_t factor =
      static_cast<int64_t>((uint64_t(1) << kLayerNormRecipBits) / std);
  for (int64_t i = 0; i < length; ++i) {
    int64_t y = static_cast<int64_t>(in[i]) - mean; // |y| < 2^22
    // |y * factor| < 2^22 * 2^39; arithmetic shift is the floor. With
    // shift == 0, |y| <= isqrt(var) = std so |v| <= 2^30; a non-zero shift
    // can make std < |y|, hence the saturation.
    int64_t v = (y * factor) >> (kLayerNormRecipBits - 30);
    if (v > std::numeric_limits<int32_t>::max())
      v = std::numeric_limits<int32_t>::max();
    if (v < std::numeric_limits<int32_t>::min())
      v = std::numeric_limits<int32_t>::min();
    out[i] = static_cast<int32_t>(v);
  }
}
