//===- IntegerMath.h - qcc's exact integer arithmetic primitives -*- C++
//-*-===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//
//
// The integer primitives shared by the quantization pass, the integer
// interpreter and the CPU/GPU kernels: dyadic requantization, exact integer
// square root, I-BERT integer softmax (with qcc's overflow fixes), i-GELU,
// the integer LayerNorm core, and I-ViT's ShiftGELU (kept for comparison).
// Every function is pure, deterministic and defined bit-exactly below;
// docs/IntegerSemantics.md states the rounding rule, the overflow bounds and
// the measured error figures.
//
// Rounding rule used everywhere a real value is rounded to an integer: round
// half up, floor(v + 1/2), computed as (x * m + 2^(e-1)) >> e with an
// arithmetic shift. Every `floor` below is the mathematical floor (towards
// minus infinity), also for negative values.
//
// Plain C++17 and <cstdint>: no MLIR or LLVM headers, no allocation, no
// exceptions, so kernels and runtimes can use the same definitions.
//
// Two source files define them: the compile-time parameter builders that
// take or return doubles (makeDyadic, dyadicValue, make*Params) are in
// lib/Quant/IntegerMathParams.cpp; everything that runs on tensor data,
// and checkIntSoftmaxBounds, is in lib/Quant/IntegerMath.cpp, which has no
// floating point and is the only one the CPU runtime archive compiles.
//
//===----------------------------------------------------------------------===//

#ifndef QCC_QUANT_INTEGERMATH_H
#define QCC_QUANT_INTEGERMATH_H

#include <cstdint>
#include <optional>

namespace mlir::qcc {

//===----------------------------------------------------------------------===//
// Dyadic requantization
//===----------------------------------------------------------------------===//

/// A non-negative dyadic number multiplier * 2^-shift.
///
/// Invariants of every value made by makeDyadic: either multiplier == 0 and
/// shift == 0 (the flushed zero), or multiplier in [2^30, 2^31 - 1] and shift
/// in [0, 61].
struct Dyadic {
  int32_t multiplier = 0;
  int32_t shift = 0;
};

/// Smallest ratio makeDyadic represents; smaller ratios flush to zero.
inline constexpr double kDyadicMinRatio = 1.0 / 2147483648.0; // 2^-31
/// Ratios must be strictly below this (so that shift >= 0).
inline constexpr double kDyadicMaxRatio = 1073741824.0; // 2^30

/// Splits the real ratio \p ratio into a Dyadic (TFLite QuantizeMultiplier).
///
/// With ratio = f * 2^k, f in [0.5, 1) (frexp): m = floor(f * 2^31 + 1/2) in
/// [2^30, 2^31] and shift = 31 - k; when m == 2^31 it is halved to 2^30 and
/// the shift decremented. The result satisfies
///   |multiplier * 2^-shift - ratio| / ratio < 2^-31.
/// Ratios in [0, 2^-31) give the zero Dyadic {0, 0}. Negative, NaN, infinite
/// ratios and ratios >= 2^30 are errors: std::nullopt.
std::optional<Dyadic> makeDyadic(double ratio);

/// The real value multiplier * 2^-shift of \p d (exact in double).
double dyadicValue(Dyadic d);

/// Returns floor(acc * d.multiplier / 2^d.shift + 1/2), i.e. the product
/// rounded half up (ties go towards +infinity, also for negative acc),
/// computed exactly in 128-bit arithmetic and saturated to the int64 range.
/// Defined for every int64 acc, every int32 multiplier (negative ones too:
/// the integer ops use them as sign flips) and every shift in [0, 127].
/// For |acc| < 2^32 and |multiplier| < 2^31 the product is below 2^63 in
/// magnitude, so the result never saturates.
inline int64_t applyDyadic(int64_t acc, Dyadic d);

/// applyDyadic in 128-bit arithmetic, for any argument.
int64_t applyDyadicWide(int64_t acc, Dyadic d);

inline int64_t applyDyadic(int64_t acc, Dyadic d) {
  // Fast path, the same value: whenever acc * m + 2^(shift-1) fits in
  // int64 (always for |acc| <= 2^31; checked otherwise), the arithmetic
  // shift of the exact sum is the floor.
  if (d.shift >= 0 && d.shift <= 62) {
    int64_t product;
    if (acc >= -(int64_t(1) << 31) && acc <= (int64_t(1) << 31)) {
      product = acc * static_cast<int64_t>(d.multiplier);
    } else if (__builtin_mul_overflow(acc, static_cast<int64_t>(d.multiplier),
                                      &product)) {
      return applyDyadicWide(acc, d);
    }
    if (d.shift == 0)
      return product;
    int64_t sum;
    if (!__builtin_add_overflow(product, int64_t(1) << (d.shift - 1), &sum))
      return sum >> d.shift;
  }
  return applyDyadicWide(acc, d);
}

/// Requantizes an int32 accumulator: clamp(applyDyadic(acc, d) + zeroPoint,
/// qmin, qmax), evaluated in int64 (no intermediate overflow for any
/// argument). Requires qmin <= qmax.
int32_t requantize(int32_t acc, Dyadic d, int32_t zeroPoint, int32_t qmin,
                   int32_t qmax);

//===----------------------------------------------------------------------===//
// Integer square root
//===----------------------------------------------------------------------===//

/// Returns floor(sqrt(n)) for every n in [0, 2^64 - 1], exactly.
///
/// I-BERT Algorithm 4 (Newton, Crandall & Pomerance): x0 = 2^ceil(bits(n)/2)
/// >= sqrt(n), x' = floor((x + floor(n / x)) / 2), stop at the first x' >= x
/// and return x. Only integer division, addition and shifts.
uint32_t isqrt64(uint64_t n);

//===----------------------------------------------------------------------===//
// Integer softmax (I-BERT i-exp with qcc's fixes)
//===----------------------------------------------------------------------===//

/// Parameters of intSoftmaxRow for one input scale.
///
/// Scores q are int32 values with scale s. Within a row, the kept scores
/// differ by less than 2^inputBits (true for any row of signed or unsigned
/// integers of at most inputBits bits, and for any int32 row when inputBits
/// is 32). They are shifted by the row max in int64, x = q - max, so that
/// -2^inputBits < x <= 0, and requantized to the fixed internal exponent
/// scale s_x = ln2 / 2^kExpFracBits: x' = max(applyDyadic(x, toExpScale),
/// -kExpClampOctaves * 2^kExpFracBits). Then, with x0 = -2^kExpFracBits
/// (exactly ln2 in real terms), oct = floor(-x' / 2^kExpFracBits) (a shift)
/// and r = x' + oct * 2^kExpFracBits in (x0, 0]:
///   z   = r * (r + polyB) + polyC             (int64, scale a * s_x^2)
///   e16 = floor(z * m / 2^(e + oct) + 1/2)    (toE16 = {m, e})
/// e16 is exp(x * s) with scale 2^-15 (e16 <= 2^15 + 1).
///
/// No intermediate depends on inputBits for its range: |x| < 2^32 for any
/// int32 row, and applyDyadic forms x * m exactly in 128 bits. inputBits is
/// the promise a backend may use to form x * m in fewer bits (|x * m| <
/// 2^(inputBits + 31)); the reference interpreter checks it.
struct IntSoftmaxParams {
  /// Fractional bits of the internal exponent scale s_x = ln2 / 2^12.
  static constexpr int kExpFracBits = 12;
  /// Clamp of the exponent at -30 * ln2 (I-BERT's n = 30).
  static constexpr int kExpClampOctaves = 30;
  /// The exp result is requantized to scale 2^-kExpOutBits (16 bits).
  static constexpr int kExpOutBits = 15;
  /// Output scale is 2^-kOutBits; outputs are u8 in [0, 255].
  static constexpr int kOutBits = 8;
  /// Numerator bits of the normalisation reciprocal floor(2^47 / sum).
  static constexpr int kRecipBits = 47;
  /// Largest inputBits: int32 scores, |x| = |q - max| < 2^32.
  static constexpr int kMaxInputBits = 32;

  /// The input scale s.
  double scale = 0;
  /// Bits of the input scores, in [2, 32] (see above).
  int inputBits = 0;
  /// s / s_x: requantizes x = q - max to the internal exponent scale.
  Dyadic toExpScale;
  /// floor((b / a) / s_x) with a = 0.35815147, b = 0.96963238.
  int64_t polyB = 0;
  /// floor((c / a) / s_x^2) with c = 1.
  int64_t polyC = 0;
  /// a * s_x^2 * 2^15: requantizes z to the 16-bit exp.
  Dyadic toE16;
};

/// Computes the softmax parameters for input scale \p scale and
/// \p inputBits-bit scores. Returns std::nullopt when inputBits is not in
/// [2, 32], or scale is not finite and positive, or s / s_x is outside the
/// Dyadic range (s must lie in [ln2 * 2^-43, ln2 * 2^18)).
std::optional<IntSoftmaxParams> makeIntSoftmaxParams(double scale,
                                                     int inputBits);

/// Compile-time overflow proof for rows of at most \p rowLength elements:
/// checks that \p params are in the domain intSoftmaxRow is defined on
/// (inputBits in [2, 32], positive multipliers, shifts in [0, 63], polyB in
/// (2^13, 2^31), polyC in (0, 2^31)), then recomputes the worst case of every
/// intermediate of intSoftmaxRow and checks that the polynomial z stays
/// positive and below 2^31 (z * m < 2^62), every e16 below 2^16, exp(0) at
/// least 2^14 and the exp sum below 2^31. The proof is in IntegerMath.cpp.
/// Returns true when all bounds hold; otherwise false with the first
/// violated bound in \p diagnostic (if given).
bool checkIntSoftmaxBounds(const IntSoftmaxParams &params, int64_t rowLength,
                           const char **diagnostic = nullptr);

/// The 16-bit integer exp: e16 for a non-positive shifted score x = q - max
/// (see IntSoftmaxParams), scale 2^-15. Requires -2^32 < x <= 0 and
/// parameters that pass checkIntSoftmaxBounds.
uint32_t intExp16(int64_t x, const IntSoftmaxParams &params);

/// Integer softmax of one row of \p length scores \p in. \p keep may be
/// null (all elements take part); otherwise elements with keep[i] == 0 are
/// excluded: their output is exactly 0 and the others are bit-identical to
/// the row with them deleted.
///
/// max = max of the kept scores; e_i = intExp16(in[i] - max) for kept i
/// (the difference formed in int64), 0 otherwise; sum = sum of e_i
/// (>= 2^14 when any is kept); recip = floor(2^47 / sum);
/// out[i] = min(255, floor(e_i * recip / 2^39)). Output scale 2^-8. For a
/// row with k kept elements, 256 - k <= sum(out) <= 256. A row with nothing
/// kept outputs all zeros. Requires checkIntSoftmaxBounds(params, length).
/// The result is defined for every int32 row; params.inputBits is not
/// consulted (rowSpreadFits checks the promise).
void intSoftmaxRow(const int32_t *in, const uint8_t *keep, int64_t length,
                   const IntSoftmaxParams &params, uint8_t *out);

/// True when the kept scores of the row differ by less than 2^inputBits,
/// i.e. the row keeps the promise of IntSoftmaxParams::inputBits (always
/// true for inputBits = 32).
bool rowSpreadFits(const int32_t *in, const uint8_t *keep, int64_t length,
                   int inputBits);

//===----------------------------------------------------------------------===//
// i-GELU
//===----------------------------------------------------------------------===//

/// Parameters of iGelu for one input scale s (I-BERT IntGELU, sign-flipped so
/// that every constant is non-negative).
///
/// With s1 = s / sqrt(2), erf(x s1) ~ sgn(x) * (1 - 0.2888 (min(|x|s1, 1.769)
/// - 1.769)^2):
///   clip = -floor(-1.769 / s1)              (I-BERT's -b_int)
///   one  = floor(1 / (0.2888 * s1^2))       (I-BERT's -c_int)
///   erfMag = floor((one - (min(|x|, clip) - clip)^2) / 2^erfShift)
///   out  = x * (sgn(x) * erfMag + floor(one / 2^erfShift))   (int64)
/// Output scale outScale = s * 0.2888 * s1^2 * 2^erfShift / 2. erfShift is
/// the smallest shift that makes floor(one / 2^erfShift) < 2^24.
struct IGeluParams {
  double scale = 0;
  int64_t clip = 0;
  int64_t one = 0;
  int32_t erfShift = 0;
  double outScale = 0;
};

/// Computes i-GELU parameters for input scale \p scale. Returns std::nullopt
/// unless 1e-9 <= scale <= 0.25 (clip < 2^31 and clip^2 <= one).
std::optional<IGeluParams> makeIGeluParams(double scale);

/// i-GELU of an int32 value with the scale of \p params; the result has scale
/// params.outScale and |result| < 2^56.
int64_t iGelu(int32_t x, const IGeluParams &params);

//===----------------------------------------------------------------------===//
// ShiftGELU (I-ViT), for comparison
//===----------------------------------------------------------------------===//

/// Parameters of shiftGelu (I-ViT's IntGELU, ALGORITHMS.md §3b) for one
/// input scale s: GELU(x) ~ x * sigmoid(1.702 x), the sigmoid computed with
/// I-ViT's shift-based exp. qcc uses i-GELU; ShiftGELU is kept as the
/// measured alternative (docs/IntegerSemantics.md).
struct ShiftGeluParams {
  double scale = 0;
  /// floor(-1 / (1.702 s)) < 0: -1 in the sigmoid's exponent units.
  int64_t x0 = 0;
  /// Fraction bits of the exp (I-ViT's n = 23 by default); the exp sum
  /// stays below 2^31: 2^(n+1) * |x0| < 2^31.
  int32_t n = 0;
  /// Sigmoid output bits (I-ViT's output_bit): sigmoid scale 2^-(bits-1).
  int32_t outBits = 0;
  /// Scale of shiftGelu's results, s * 2^-(outBits - 1).
  double outScale = 0;
};

/// Computes ShiftGELU parameters for input scale \p scale with a sigmoid of
/// \p outBits bits (I-ViT: 8) and \p n exp fraction bits; n = 0 picks
/// I-ViT's 23, lowered until 2^(n+1) * |x0| < 2^31 (so that the exp sum
/// never reaches I-ViT's clamp at 2^31 - 1). Returns std::nullopt unless
/// 1e-6 <= scale <= 1, 2 <= outBits <= 16 and the (given or picked) n is in
/// [1, 30] with 2^(n+1) * |x0| < 2^31.
std::optional<ShiftGeluParams> makeShiftGeluParams(double scale,
                                                   int outBits = 8, int n = 0);

/// ShiftGELU of one row of \p length int32 values, as I-ViT computes it with
/// integer arithmetic (int64 here, so nothing wraps). With
/// m = max(0, max_i in[i]) (I-ViT's row max; clamped at 0 so that e^-m <= 1
/// for all-negative rows):
///   expShift(t) for t <= 0: t' = max(t + floor(t/2) - floor(t/16), n * x0),
///     q = floor(t' / x0), r = t' - q * x0,
///     e = floor((r/2 - x0) * 2^(n - q))        (2^(t * 1.702 s) * 2^n / s')
///   e_i = expShift(in[i] - m), e_m = expShift(-m),
///   sum = min(e_i + e_m, 2^31 - 1), sig = floor(e_i *
///   floor((2^31 - 1) / sum) / 2^(32 - outBits)),
///   out[i] = in[i] * sig                       (scale params.outScale)
void shiftGelu(const int32_t *in, int64_t length, const ShiftGeluParams &params,
               int64_t *out);

//===----------------------------------------------------------------------===//
// Integer LayerNorm core
//===----------------------------------------------------------------------===//

/// Numerator bits of the LayerNorm reciprocal floor(2^39 / std).
inline constexpr int kLayerNormRecipBits = 39;

/// Largest input magnitude of intLayerNormRow: inputs are saturated to
/// [-kLayerNormInputMax, kLayerNormInputMax] (22-bit signed) first.
inline constexpr int32_t kLayerNormInputMax = (int32_t(1) << 21) - 1;

/// Normalises one row of \p length int32 values (length in [1, 2^16])
/// without gamma and beta:
///   x    = clamp(in[i], -(2^21 - 1), 2^21 - 1)     (saturated to 22 bits,
///          so that every int32 input is defined)
///   mean = floor((2 * sum(x) + length) / (2 * length))  (exact integer
///          division, the mean rounded half up)
///   y    = x - mean
///   var  = sum((y >> shift)^2) + varOffset           (uint64, saturated)
///   std  = isqrt64(var) << shift
///   out  = std == 0 ? 0 : floor(y * floor(2^39 / std) / 2^9)
/// out[i] ~ 2^30 * y / std, i.e. the normalised value (x - mean) /
/// sqrt(sigma^2 + eps) (population sigma) has scale sqrt(length) * 2^-30,
/// and |out[i]| <= 2^30 when shift == 0 (saturated to int32 otherwise).
/// \p shift (in [0, 16]) is I-BERT's static variance shift; 0 is exact and
/// never overflows here. \p varOffset is the integer epsilon, in the units
/// of the variance sum: round(eps * length / s^2) >> (2 * shift) for inputs
/// of scale s (0: no epsilon). A constant row (all y == 0) gives all zeros,
/// so the caller's bias is the whole output.
void intLayerNormRow(const int32_t *in, int64_t length, int shift, int32_t *out,
                     uint64_t varOffset = 0);

} // namespace mlir::qcc

#endif // QCC_QUANT_INTEGERMATH_H
