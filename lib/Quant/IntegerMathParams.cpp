//===- IntegerMathParams.cpp - compile-time parameters of IntegerMath.h ---===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//
//
// The compile-time half of qcc/Quant/IntegerMath.h: the builders that derive
// the integer parameters of the primitives from float scales (makeDyadic,
// dyadicValue, makeIntSoftmaxParams, makeIGeluParams, makeShiftGeluParams).
// They use doubles, so they live apart from the run-time primitives
// (IntegerMath.cpp): the QccQuant library (compiler, interpreter, tests)
// has both files, the runtime archive linked into generated libraries only
// the integer-only IntegerMath.cpp.
//
//===----------------------------------------------------------------------===//

#include "qcc/Quant/IntegerMath.h"

#include <cassert>
#include <cmath>

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
} // namespace

std::optional<IntSoftmaxParams> mlir::qcc::makeIntSoftmaxParams(double scale,
                                                                int inputBits) {
  if (inputBits < 2 || inputBits > IntSoftmaxParams::kMaxInputBits ||
      !std::isfinite(scale) || scale <= 0)
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

//===----------------------------------------------------------------------===//
// ShiftGELU (I-ViT)
//===----------------------------------------------------------------------===//

std::optional<ShiftGeluParams>
mlir::qcc::makeShiftGeluParams(double scale, int outBits, int n) {
  if (!std::isfinite(scale) || scale < 1e-6 || scale > 1 || outBits < 2 ||
      outBits > 16 || n < 0 || n > 30)
    return std::nullopt;
  ShiftGeluParams params;
  params.scale = scale;
  params.x0 = static_cast<int64_t>(std::floor(-1.0 / (1.702 * scale)));
  // Two exps (each <= 2^n * |x0|) must sum below 2^31. By default I-ViT's
  // n = 23, lowered until they do; |x0| <= 587,545 keeps n >= 10.
  auto fits = [&](int bits) {
    return (int64_t(1) << (bits + 1)) * -params.x0 < (int64_t(1) << 31);
  };
  params.n = n ? n : 23;
  while (n == 0 && params.n > 1 && !fits(params.n))
    --params.n;
  if (!fits(params.n))
    return std::nullopt;
  params.outBits = outBits;
  params.outScale = std::ldexp(scale, -(outBits - 1));
  return params;
}
