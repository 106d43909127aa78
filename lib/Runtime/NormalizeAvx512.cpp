//===- NormalizeAvx512.cpp - vector int_softmax and int_layer_norm -------===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//
//
// The AVX-512 rows of qcc_rt_int_softmax and qcc_rt_int_layer_norm
// (NormalizeVector.h), 16 elements at a time, bit-identical to the scalar
// intSoftmaxRow and intLayerNormRow (+ the kernel's per-channel requant) of
// qcc/Quant/IntegerMath.h. Integer instructions only.
//
// Products wider than 32 bits use vpmuldq/vpmuludq, which multiply the low
// 32 bits of each 64-bit lane: the even elements of a 16 x i32 vector
// directly, the odd ones after a 32-bit right shift of the lanes. The two
// int64 halves are computed separately and joined back in element order,
// keeping each result's low 32 bits, by one vpermt2d (joinLowHalves) or a
// blend of the even results with the odd ones shifted up 32 bits
// (joinEvenOdd): the joined values must fit in 32 bits, as every joined
// value below does.
//
// Each function's comment carries the proof that every step computes the
// scalar value exactly, and the bound that makes it so.
//
//===----------------------------------------------------------------------===//

#include "NormalizeVector.h"

#include "Avx512.h"

using namespace qcc_rt;
using mlir::qcc::IntSoftmaxParams;

//===----------------------------------------------------------------------===//
// int_softmax
//===----------------------------------------------------------------------===//

bool qcc_rt::softmaxVectorizable(const IntSoftmaxParams &params,
                                 int64_t length) {
#if defined(__x86_64__)
  // exp16 rounds by halving, which needs e_16 >= 1. The bounds imply it
  // (z(0) = polyC > 4095 * (polyB - 4095) > 2^24 for polyB > 2^13 keeps
  // z positive at r = -4095, and polyC * m_16 / 2^e_16 < 2^16 then needs
  // e_16 >= 9); checked all the same.
  return params.toE16.shift >= 1 &&
         mlir::qcc::checkIntSoftmaxBounds(params, length);
#else
  (void)params;
  (void)length;
  return false;
#endif
}

#if defined(__x86_64__)

using namespace qcc_rt::avx512;

namespace {

/// 16 int32 lanes from the low 32 bits of the even (`even`) and odd (`odd`)
/// elements' int64 results.
QCC_AVX512_TARGET inline __m512i joinEvenOdd(__m512i even, __m512i odd) {
  return _mm512_mask_blend_epi32(0xAAAA, even, _mm512_slli_epi64(odd, 32));
}

/// The keep bits of lanes [j, j + 16) within `tail`.
inline __mmask16 keepMask(const uint16_t *keep, int64_t j, __mmask16 tail) {
  return keep ? static_cast<__mmask16>(keep[j / 16] & tail) : tail;
}

/// 16 int32 lanes from the low halves of the int64 lanes of `even` and
/// `odd` (one vpermt2d; the values must fit int32).
QCC_AVX512_TARGET inline __m512i joinLowHalves(__m512i even, __m512i odd) {
  const __m512i join = _mm512_setr_epi32(0, 16, 2, 18, 4, 20, 6, 22, 8, 24, 10,
                                         26, 12, 28, 14, 30);
  return _mm512_permutex2var_epi32(even, join, odd);
}

/// intExp16's parameters, broadcast.
struct ExpConstants {
  __m512i expMul, expRound, expShift, clampLow; // int64 lanes
  __m512i polyB, polyC, e16ShiftLess1;          // int32 lanes
  __m512i e16Mul, low32;                        // int64 lanes
};

QCC_AVX512_TARGET ExpConstants makeExpConstants(const IntSoftmaxParams &p) {
  using P = IntSoftmaxParams;
  ExpConstants k;
  k.expMul = _mm512_set1_epi64(p.toExpScale.multiplier);
  k.expShift = _mm512_set1_epi64(p.toExpScale.shift);
  k.expRound = roundingTerm(k.expShift);
  k.clampLow =
      _mm512_set1_epi64(-(int64_t(P::kExpClampOctaves) << P::kExpFracBits));
  k.polyB = _mm512_set1_epi32(static_cast<int32_t>(p.polyB));
  k.polyC = _mm512_set1_epi32(static_cast<int32_t>(p.polyC));
  k.e16ShiftLess1 = _mm512_set1_epi32(p.toE16.shift - 1);
  k.e16Mul = _mm512_set1_epi64(p.toE16.multiplier);
  k.low32 = _mm512_set1_epi64(0xffffffff);
  return k;
}

/// intExp16(-d) on 16 lanes, for d = max - q in [0, 2^32) held as uint32
/// (the int32 difference wraps, but the true value is in that range, so its
/// 32 bits read unsigned are d itself). With the parameters' domain
/// (checkIntSoftmaxBounds: 0 < m_x, m_16 < 2^31, e_x, e_16 in [0, 63],
/// 2^13 < polyB < 2^31, 0 < polyC < 2^31, zMin > 0), step by step as in
/// IntegerMath.cpp:
///  1. x' = applyDyadic(-d, toExpScale) = floor((2^(e_x-1) - d * m_x) /
///     2^e_x): d * m_x < 2^32 * 2^31 = 2^63 is exact in vpmuludq's uint64
///     and, as a non-negative int64, the difference with the rounding term
///     (<= 2^62; 0 for e_x = 0) lies in (-2^63, 2^62]: exact in int64, and
///     vpsraq is the floor. The same value as the scalar, which forms it
///     exactly in 128 bits.
///  2. max(x', -30 * 2^12) is in [-122880, 0]: it fits the joined int32.
///  3. oct = (-x') >> 12 in [0, 30] and r = x' + oct * 2^12 in (-2^12, 0],
///     in int32 as in the scalar.
///  4. z = r * (r + polyB) + polyC by vpaddd/vpmulld, i.e. modulo 2^32
///     (the product alone can exceed 32 bits: (2^12 - 1) * polyB reaches
///     2^31 for polyB near its largest value the bounds allow, 528511).
///     The true z is the scalar's, in (0, 2^31) by the bounds (zMin > 0,
///     z <= polyC), so its residue modulo 2^32 read as int32 is z itself.
///  5. e16 = floor((t + 2^(s-1)) / 2^s) with t = z * m_16 < 2^62
///     (vpmuludq, exact) and s = e_16 + oct >= 1 (softmaxVectorizable
///     requires e_16 >= 1). That is floor((floor(t / 2^(s-1)) + 1) / 2):
///     write t = q * 2^(s-1) + r with 0 <= r < 2^(s-1); adding r / 2^s <
///     1/2 to (q + 1) / 2, a whole or a half number, does not reach the
///     next integer. q = t >> (s-1) by vpsrlvq, which is 0 for s - 1 >= 62
///     (t < 2^62) and for counts >= 64, as the scalar's 0 for s >= 63;
///     q <= 2 * e16 + 1 < 2^17 (e16 < 2^16, checked bound) fits the joined
///     int32, and (q + 1) >> 1 is done in int32 lanes.
QCC_AVX512_TARGET inline __m512i exp16(__m512i d, const ExpConstants &k) {
  // Step 1, even and odd elements.
  __m512i xe = _mm512_srav_epi64(
      _mm512_sub_epi64(k.expRound, _mm512_mul_epu32(d, k.expMul)), k.expShift);
  __m512i xo = _mm512_srav_epi64(
      _mm512_sub_epi64(k.expRound,
                       _mm512_mul_epu32(_mm512_srli_epi64(d, 32), k.expMul)),
      k.expShift);
  // Step 2.
  __m512i xs = joinLowHalves(_mm512_max_epi64(xe, k.clampLow),
                             _mm512_max_epi64(xo, k.clampLow));
  // Step 3.
  constexpr int kFrac = IntSoftmaxParams::kExpFracBits;
  __m512i oct =
      _mm512_srli_epi32(_mm512_sub_epi32(_mm512_setzero_si512(), xs), kFrac);
  __m512i r = _mm512_add_epi32(xs, _mm512_slli_epi32(oct, kFrac));
  // Step 4.
  __m512i z = _mm512_add_epi32(
      _mm512_mullo_epi32(r, _mm512_add_epi32(r, k.polyB)), k.polyC);
  // Step 5.
  __m512i pe = _mm512_mul_epu32(z, k.e16Mul);
  __m512i po = _mm512_mul_epu32(_mm512_srli_epi64(z, 32), k.e16Mul);
  __m512i sLess1 = _mm512_add_epi32(oct, k.e16ShiftLess1);
  __m512i q =
      joinLowHalves(_mm512_srlv_epi64(pe, _mm512_and_si512(sLess1, k.low32)),
                    _mm512_srlv_epi64(po, _mm512_srli_epi64(sLess1, 32)));
  return _mm512_srli_epi32(_mm512_add_epi32(q, _mm512_set1_epi32(1)), 1);
}

/// Zeros `length` bytes of `out`.
QCC_AVX512_TARGET inline void storeZeros(uint8_t *out, int64_t length) {
  for (int64_t j = 0; j < length; j += 16)
    _mm_mask_storeu_epi8(out + j, maskFor(length - j), _mm_setzero_si128());
}

/// floor(e * recip / 2^39) for the elements in the low halves of `e`'s
/// int64 lanes, recip = recipHigh * 2^32 + recipLow (recipHigh = 0 unless
/// Wide).
template <bool Wide>
QCC_AVX512_TARGET inline __m512i scaleByRecip(__m512i e, __m512i recipLow,
                                              __m512i recipHigh) {
  constexpr int kDrop =
      IntSoftmaxParams::kRecipBits - IntSoftmaxParams::kOutBits;
  __m512i v = _mm512_mul_epu32(e, recipLow);
  if (Wide)
    v = _mm512_add_epi64(v,
                         _mm512_slli_epi64(_mm512_mul_epu32(e, recipHigh), 32));
  return _mm512_srli_epi64(v, kDrop);
}

/// Pass 2 of softmaxRowAvx512: e16 of every element (0 where not kept)
/// into `scratch`, returning their sum.
QCC_AVX512_TARGET uint32_t expPass(int64_t dtype, const void *in, int64_t begin,
                                   int64_t length, const uint16_t *keep,
                                   int32_t rowMax, const ExpConstants &k,
                                   int32_t *scratch) {
  __m512i vrowMax = _mm512_set1_epi32(rowMax);
  __m512i vsum = _mm512_setzero_si512();
  for (int64_t j = 0; j < length; j += 16) {
    __mmask16 tail = maskFor(length - j);
    __m512i d = _mm512_sub_epi32(vrowMax, load16(dtype, in, begin + j, tail));
    __m512i e = _mm512_maskz_mov_epi32(keepMask(keep, j, tail), exp16(d, k));
    _mm512_mask_storeu_epi32(scratch + j, tail, e);
    vsum = _mm512_add_epi32(vsum, e);
  }
  return static_cast<uint32_t>(_mm512_reduce_add_epi32(vsum));
}

/// Pass 3 of softmaxRowAvx512: min(255, floor(e16 * recip / 2^39)), the
/// quotients (<= 2^8) joined and narrowed with unsigned saturation.
template <bool Wide>
QCC_AVX512_TARGET void scalePass(const int32_t *scratch, int64_t length,
                                 __m512i recipLow, __m512i recipHigh,
                                 uint8_t *out) {
  for (int64_t j = 0; j < length; j += 16) {
    __mmask16 tail = maskFor(length - j);
    __m512i e = _mm512_maskz_loadu_epi32(tail, scratch + j);
    __m512i q = joinLowHalves(
        scaleByRecip<Wide>(e, recipLow, recipHigh),
        scaleByRecip<Wide>(_mm512_srli_epi64(e, 32), recipLow, recipHigh));
    _mm_mask_storeu_epi8(out + j, tail, _mm512_cvtusepi32_epi8(q));
  }
}

} // namespace

/// intSoftmaxRow in three passes over the row:
///  1. max and min of the kept scores (masked vpmaxsd/vpminsd);
///  2. e16 of every element by exp16 (excluded ones set to 0), kept in
///     `scratch`, and their sum in int32 lanes: each lane's partial sum is
///     at most the row's sum <= L * e16Max < 2^31 (checkIntSoftmaxBounds),
///     so nothing wraps;
///  3. recip = floor(2^47 / sum) (scalar) and out = min(255,
///     floor(e16 * recip / 2^39)): recip <= 2^33 does not fit vpmuludq's 32
///     bits, so e16 * recip = e16 * (recip mod 2^32) + (e16 * (recip >>
///     32)) << 32, both products exact, the sum <= 2^47; the quotient (<=
///     2^8) is joined and narrowed with unsigned saturation (vpmovusdb),
///     which is the min with 255.
/// A row with nothing kept, or (never, given the bounds) a zero sum, gives
/// zeros, as in the scalar.
QCC_AVX512_TARGET int64_t qcc_rt::softmaxRowAvx512(
    int64_t dtype, const void *in, int64_t begin, int64_t length,
    const uint16_t *keep, const IntSoftmaxParams &params, int32_t *scratch,
    uint8_t *out) {
  // Pass 1.
  __m512i vmax = _mm512_set1_epi32(INT32_MIN);
  __m512i vmin = _mm512_set1_epi32(INT32_MAX);
  __mmask16 any = 0;
  for (int64_t j = 0; j < length; j += 16) {
    __mmask16 m = keepMask(keep, j, maskFor(length - j));
    __m512i v = load16(dtype, in, begin + j, m);
    vmax = _mm512_mask_max_epi32(vmax, m, vmax, v);
    vmin = _mm512_mask_min_epi32(vmin, m, vmin, v);
    any = static_cast<__mmask16>(any | m);
  }
  if (!any) {
    storeZeros(out, length);
    return 0;
  }
  int32_t rowMax = _mm512_reduce_max_epi32(vmax);
  int32_t rowMin = _mm512_reduce_min_epi32(vmin);
  // Pass 2.
  ExpConstants k = makeExpConstants(params);
  uint32_t sum = expPass(dtype, in, begin, length, keep, rowMax, k, scratch);
  int64_t spread = static_cast<int64_t>(rowMax) - rowMin;
  if (sum == 0) {
    storeZeros(out, length);
    return spread;
  }
  // Pass 3.
  using P = IntSoftmaxParams;
  uint64_t recip = (uint64_t(1) << P::kRecipBits) / sum;
  __m512i recipLow =
      _mm512_set1_epi64(static_cast<int64_t>(recip & 0xffffffff));
  __m512i recipHigh = _mm512_set1_epi64(static_cast<int64_t>(recip >> 32));
  if (recip >> 32)
    scalePass<true>(scratch, length, recipLow, recipHigh, out);
  else
    scalePass<false>(scratch, length, recipLow, recipHigh, out);
  return spread;
}

#else

int64_t qcc_rt::softmaxRowAvx512(int64_t, const void *, int64_t, int64_t,
                                 const uint16_t *, const IntSoftmaxParams &,
                                 int32_t *, uint8_t *) {
  return 0;
}

#endif

//===----------------------------------------------------------------------===//
// int_layer_norm
//===----------------------------------------------------------------------===//

bool qcc_rt::layerNormVectorizable(const int32_t *shifts, int64_t n) {
#if defined(__x86_64__)
  for (int64_t c = 0; c < n; ++c)
    if (shifts[c] < 0 || shifts[c] > 62)
      return false;
  return true;
#else
  (void)shifts;
  (void)n;
  return false;
#endif
}

bool qcc_rt::layerNormNarrowable(const LayerNormChannels &channels, int64_t n) {
  constexpr int32_t kBiasMax = (int32_t(1) << 30) - 1;
  for (int64_t c = 0; c < (channels.perChannel ? n : 1); ++c)
    if (channels.shifts[c] < 32 || channels.shifts[c] > 62 ||
        channels.biases[c] < -kBiasMax || channels.biases[c] > kBiasMax)
      return false;
  return true;
}

void qcc_rt::packLayerNormBlocks(const LayerNormChannels &channels,
                                 int64_t length, LayerNormBlock *blocks) {
  int64_t count = channels.perChannel ? (length + 15) / 16 : 1;
  for (int64_t b = 0; b < count; ++b) {
    LayerNormBlock &block = blocks[b];
    int32_t m[16], e[16];
    for (int l = 0; l < 16; ++l) {
      int64_t c = channels.perChannel ? 16 * b + l : 0;
      bool valid = c < length;
      m[l] = valid ? channels.multipliers[c] : 0;
      e[l] = valid ? channels.shifts[c] : 32;
      block.multipliers[l] = m[l];
      block.biases[l] = valid ? channels.biases[c] : 0;
    }
    for (int i = 0; i < 8; ++i) {
      block.oddMultipliers[2 * i] = m[2 * i + 1];
      block.oddMultipliers[2 * i + 1] = 0;
      block.evenShifts[i] = e[2 * i];
      block.oddShifts[i] = e[2 * i + 1];
      block.evenRounds[i] = int64_t(1) << (e[2 * i] - 1);
      block.oddRounds[i] = int64_t(1) << (e[2 * i + 1] - 1);
    }
  }
}

#if defined(__x86_64__)

namespace {

/// floor(a / b) for b > 0.
int64_t floorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && a < 0) ? q - 1 : q;
}

/// Lanes [i, i + 16) of the input, saturated to +-(2^21 - 1); masked-off
/// lanes are 0.
QCC_AVX512_TARGET inline __m512i loadSaturated(int64_t dtype, const void *in,
                                               int64_t i, __mmask16 tail) {
  using mlir::qcc::kLayerNormInputMax;
  __m512i v = load16(dtype, in, i, tail);
  return _mm512_min_epi32(
      _mm512_max_epi32(v, _mm512_set1_epi32(-kLayerNormInputMax)),
      _mm512_set1_epi32(kLayerNormInputMax));
}

/// floor(y * factor / 2^9) saturated to int32, for the elements y in the
/// low halves of `y`'s int64 lanes; factor = factorHigh * 2^31 + factorLow
/// (factorHigh is known to be 0 unless `wide`).
QCC_AVX512_TARGET inline __m512i normalise(__m512i y, __m512i factorLow,
                                           __m512i factorHigh, bool wide) {
  constexpr int kDrop = mlir::qcc::kLayerNormRecipBits - 30;
  __m512i p = _mm512_mul_epi32(y, factorLow);
  if (wide)
    p = _mm512_add_epi64(
        p, _mm512_slli_epi64(_mm512_mul_epi32(y, factorHigh), 31));
  p = _mm512_srai_epi64(p, kDrop);
  return _mm512_min_epi64(_mm512_max_epi64(p, _mm512_set1_epi64(INT32_MIN)),
                          _mm512_set1_epi64(INT32_MAX));
}

/// clamp(applyDyadic(n, {m, e}) + bias, lo, hi) on int64 lanes whose low
/// halves hold n and m (e and bias whole).
QCC_AVX512_TARGET inline __m512i requantLane(__m512i n, __m512i m, __m512i e,
                                             __m512i bias, __m512i lo,
                                             __m512i hi) {
  __m512i v = _mm512_srav_epi64(
      _mm512_add_epi64(_mm512_mul_epi32(n, m), roundingTerm(e)), e);
  v = _mm512_add_epi64(v, bias);
  return _mm512_min_epi64(_mm512_max_epi64(v, lo), hi);
}

/// floor(y * factor / 2^9) of the int32 values in the low halves of `y`'s
/// int64 lanes, unsaturated (normalise without its clamp).
template <bool Wide>
QCC_AVX512_TARGET inline __m512i
normaliseUnsaturated(__m512i y, __m512i factorLow, __m512i factorHigh) {
  constexpr int kDrop = mlir::qcc::kLayerNormRecipBits - 30;
  __m512i p = _mm512_mul_epi32(y, factorLow);
  if (Wide)
    p = _mm512_add_epi64(
        p, _mm512_slli_epi64(_mm512_mul_epi32(y, factorHigh), 31));
  return _mm512_srai_epi64(p, kDrop);
}

/// (n * m + round) >> shift on int64 lanes, n and m in their low halves.
QCC_AVX512_TARGET inline __m512i dyadicFromTables(__m512i n, const int32_t *m,
                                                  const int64_t *round,
                                                  const int64_t *shift) {
  return _mm512_srav_epi64(
      _mm512_add_epi64(_mm512_mul_epi32(n, _mm512_loadu_si512(m)),
                       _mm512_loadu_si512(round)),
      _mm512_loadu_si512(shift));
}

/// Pass 3 of layerNormRowAvx512 for narrowable channels (LayerNormBlock)
/// and a row whose normalised values fit int32 unsaturated: per 16
/// elements, n = floor(y * factor / 2^9) in int64 lanes (exact as in
/// normalise, and within int32 by the caller's check, so the scalar's
/// saturation is the identity and vpmuldq reads n from the low halves),
/// then (n * m + 2^(e-1)) >> e: |n * m| <= 2^62, plus 2^(e-1) <= 2^61
/// cannot wrap, and e >= 32 leaves a value within +-2^30, so the low
/// halves of the even and odd results joined by one vpermt2d are exact;
/// plus a bias within +-(2^30 - 1) cannot wrap int32 either. The clamp is
/// then in int32: vpmaxsd/vpminsd, or for i8 of the type's whole range the
/// saturating store itself (vpmovsdb saturates to [-128, 127], the clamp).
template <bool Wide, bool SaturateI8>
QCC_AVX512_TARGET void
finishNarrow(int64_t inDtype, const void *in, int64_t begin, int64_t length,
             __m512i vmean, int64_t factor, const LayerNormBlock *blocks,
             bool perChannel, int64_t lo, int64_t hi, int64_t outDtype,
             void *out) {
  const __m512i factorLow = _mm512_set1_epi64(factor & 0x7fffffff);
  const __m512i factorHigh = _mm512_set1_epi64(factor >> 31);
  const __m512i outLo = _mm512_set1_epi32(static_cast<int32_t>(lo));
  const __m512i outHi = _mm512_set1_epi32(static_cast<int32_t>(hi));
  for (int64_t j = 0; j < length; j += 16) {
    __mmask16 tail = maskFor(length - j);
    const LayerNormBlock &b = blocks[perChannel ? j / 16 : 0];
    __m512i y =
        _mm512_sub_epi32(loadSaturated(inDtype, in, begin + j, tail), vmean);
    __m512i even =
        dyadicFromTables(normaliseUnsaturated<Wide>(y, factorLow, factorHigh),
                         b.multipliers, b.evenRounds, b.evenShifts);
    __m512i odd =
        dyadicFromTables(normaliseUnsaturated<Wide>(_mm512_srli_epi64(y, 32),
                                                    factorLow, factorHigh),
                         b.oddMultipliers, b.oddRounds, b.oddShifts);
    __m512i v = _mm512_add_epi32(joinLowHalves(even, odd),
                                 _mm512_loadu_si512(b.biases));
    if (SaturateI8) {
      _mm512_mask_cvtsepi32_storeu_epi8(static_cast<int8_t *>(out) + begin + j,
                                        tail, v);
      continue;
    }
    store16(outDtype, out, begin + j, tail,
            _mm512_min_epi32(_mm512_max_epi32(v, outLo), outHi));
  }
}

} // namespace

/// intLayerNormRow and the requantization, in three passes over the row
/// (x = the input clamped to +-(2^21 - 1) by vpmaxsd/vpminsd each time):
///  1. sum(x) in int32 lanes, added to an int64 total every 1024 vectors:
///     a lane then holds at most 1024 * (2^21 - 1) < 2^31 in magnitude.
///     mean = floor((2 * sum + L) / (2L)) (scalar) is a rounded mean of
///     values in +-(2^21 - 1), so it is too, and y = x - mean fits int32
///     (|y| < 2^22).
///  2. var = sum((y >> shift)^2) (vpsravd, then vpmuldq of even and odd
///     elements: exact, y^2 < 2^44) in uint64 lanes: the total is below
///     L * 2^44 <= 2^60. The offset, isqrt64 and factor = floor(2^39 /
///     std) are the scalar code (factor = 0 when std = 0, which makes every
///     normalised value 0, as the scalar's std == 0 case does).
///  3. n = floor(y * factor / 2^9) saturated to int32: factor <= 2^39 does
///     not fit vpmuldq's 32 bits, so y * factor = y * (factor mod 2^31) +
///     (y * (factor >> 31)) << 31, both products exact (|y| < 2^22, factor
///     >> 31 <= 2^8) and every partial sum below 2^61 in magnitude; vpsraq
///     is the floor, vpmaxsq/vpminsq the saturation. Then per channel
///     applyDyadic(n, {m, e}) + bias, clamped to [lo, hi], as the scalar's
///     int64 path: |n * m| <= 2^62 (vpmuldq, exact) plus 2^(e-1) <= 2^61
///     for e in [0, 62] (layerNormVectorizable) cannot wrap, vpsravq is
///     the floor, and adding an int32 bias to a value of magnitude <= 2^62
///     cannot wrap either. The clamped results lie in an output type's
///     range, so they fit the joined int32.
/// Channel parameters are int32 arrays in element order: the low 32 bits
/// of each 64-bit lane are the even channels, the lanes shifted right by
/// 32 the odd ones (sign-extended for the bias).
QCC_AVX512_TARGET void
qcc_rt::layerNormRowAvx512(int64_t inDtype, const void *in, int64_t begin,
                           int64_t length, int varShift, uint64_t varOffset,
                           const LayerNormChannels &channels,
                           const LayerNormBlock *blocks, int64_t lo, int64_t hi,
                           int64_t outDtype, void *out) {
  using mlir::qcc::kLayerNormRecipBits;
  // Pass 1.
  constexpr int64_t kFlush = 16 * 1024;
  int64_t sum = 0;
  for (int64_t j0 = 0; j0 < length; j0 += kFlush) {
    int64_t j1 = length - j0 < kFlush ? length : j0 + kFlush;
    __m512i acc = _mm512_setzero_si512();
    for (int64_t j = j0; j < j1; j += 16)
      acc = _mm512_add_epi32(
          acc, loadSaturated(inDtype, in, begin + j, maskFor(length - j)));
    __m512i even = _mm512_srai_epi64(_mm512_slli_epi64(acc, 32), 32);
    __m512i odd = _mm512_srai_epi64(acc, 32);
    sum += _mm512_reduce_add_epi64(_mm512_add_epi64(even, odd));
  }
  int64_t mean = floorDiv(2 * sum + length, 2 * length);
  __m512i vmean = _mm512_set1_epi32(static_cast<int32_t>(mean));
  // Pass 2.
  __m512i shift = _mm512_set1_epi32(varShift);
  __m512i acc = _mm512_setzero_si512(), largest = _mm512_setzero_si512();
  for (int64_t j = 0; j < length; j += 16) {
    __mmask16 tail = maskFor(length - j);
    __m512i d = _mm512_maskz_sub_epi32(
        tail, loadSaturated(inDtype, in, begin + j, tail), vmean);
    largest = _mm512_max_epu32(largest, _mm512_abs_epi32(d));
    __m512i y = _mm512_srav_epi32(d, shift);
    __m512i yOdd = _mm512_srli_epi64(y, 32);
    acc = _mm512_add_epi64(acc, _mm512_mul_epi32(y, y));
    acc = _mm512_add_epi64(acc, _mm512_mul_epi32(yOdd, yOdd));
  }
  auto var = static_cast<uint64_t>(_mm512_reduce_add_epi64(acc));
  var = var > UINT64_MAX - varOffset ? UINT64_MAX : var + varOffset;
  uint64_t std = static_cast<uint64_t>(mlir::qcc::isqrt64(var)) << varShift;
  int64_t factor =
      std == 0
          ? 0
          : static_cast<int64_t>((uint64_t(1) << kLayerNormRecipBits) / std);
  // Pass 3. max|y| * factor < 2^40 bounds every |y * factor / 2^9| below
  // 2^31, so no normalised value saturates (intLayerNormRow's bound
  // |n| <= 2^30 for shift 0, below 2^31 otherwise: std >= |y| - 2^shift +
  // 1 and std >= 2^shift when it is not 0; checked here all the same):
  // narrowable channels are then finished in int32.
  const bool wide = (factor >> 31) != 0;
  auto maxAbs = static_cast<uint64_t>(
      static_cast<uint32_t>(_mm512_reduce_max_epu32(largest)));
  if (blocks && maxAbs * static_cast<uint64_t>(factor) < (uint64_t(1) << 40)) {
    bool saturateI8 = outDtype == QCC_I8 && lo == -128 && hi == 127;
    auto finish = wide ? (saturateI8 ? finishNarrow<true, true>
                                     : finishNarrow<true, false>)
                       : (saturateI8 ? finishNarrow<false, true>
                                     : finishNarrow<false, false>);
    finish(inDtype, in, begin, length, vmean, factor, blocks,
           channels.perChannel, lo, hi, outDtype, out);
    return;
  }
  const __m512i factorLow = _mm512_set1_epi64(factor & 0x7fffffff);
  const __m512i factorHigh = _mm512_set1_epi64(factor >> 31);
  const __m512i outLo = _mm512_set1_epi64(lo), outHi = _mm512_set1_epi64(hi);
  const __m512i low32 = _mm512_set1_epi64(0xffffffff);
  __m512i m = _mm512_set1_epi32(channels.multipliers[0]);
  __m512i e = _mm512_set1_epi32(channels.shifts[0]);
  __m512i b = _mm512_set1_epi32(channels.biases[0]);
  for (int64_t j = 0; j < length; j += 16) {
    __mmask16 tail = maskFor(length - j);
    if (channels.perChannel) {
      m = _mm512_maskz_loadu_epi32(tail, channels.multipliers + j);
      e = _mm512_maskz_loadu_epi32(tail, channels.shifts + j);
      b = _mm512_maskz_loadu_epi32(tail, channels.biases + j);
    }
    __m512i y =
        _mm512_sub_epi32(loadSaturated(inDtype, in, begin + j, tail), vmean);
    __m512i even = requantLane(normalise(y, factorLow, factorHigh, wide), m,
                               _mm512_and_si512(e, low32),
                               _mm512_srai_epi64(_mm512_slli_epi64(b, 32), 32),
                               outLo, outHi);
    __m512i odd = requantLane(
        normalise(_mm512_srli_epi64(y, 32), factorLow, factorHigh, wide),
        _mm512_srli_epi64(m, 32), _mm512_srli_epi64(e, 32),
        _mm512_srai_epi64(b, 32), outLo, outHi);
    store16(outDtype, out, begin + j, tail, joinEvenOdd(even, odd));
  }
}

#else

void qcc_rt::layerNormRowAvx512(int64_t, const void *, int64_t, int64_t, int,
                                uint64_t, const LayerNormChannels &,
                                const LayerNormBlock *, int64_t, int64_t,
                                int64_t, void *) {}

#endif
