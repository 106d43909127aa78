//===- RequantAvx512.cpp - vector requant and requant_add -------*- C++ -*-===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//
//
// The AVX-512 body of qcc_rt_requant and qcc_rt_requant_add (Integer.cpp
// checks when it applies and splits tensors into segments of one channel
// run): 16 lanes at a time, each operand widened to int64, rescaled by
// applyDyadic's int64 path, summed with the output zero point, clamped and
// narrowed (Avx512.h).
//
//===----------------------------------------------------------------------===//

#include "Avx512.h"
#include "RequantVector.h"

using namespace qcc_rt;

#if defined(__x86_64__)

using namespace qcc_rt::avx512;

namespace {

/// Operand `op`'s parameter `table` for half `h` of lanes [j, j + 16).
QCC_AVX512_TARGET inline __m512i param(const RequantOperand &op,
                                       const int64_t *table, int64_t c,
                                       int64_t j, int h, __mmask16 mask) {
  if (!op.perLane)
    return _mm512_set1_epi64(table[op.perAxis ? c : 0]);
  return _mm512_maskz_loadu_epi64(static_cast<__mmask8>(mask >> (8 * h)),
                                  table + c + j + 8 * h);
}

} // namespace

QCC_AVX512_TARGET void
qcc_rt::requantSegmentAvx512(const RequantOperand *ops, int numOps,
                             int64_t begin, int64_t length, int64_t channel,
                             int64_t zeroPoint, int64_t lo, int64_t hi,
                             void *out, int64_t outDtype) {
  __m512i vlo = _mm512_set1_epi64(lo), vhi = _mm512_set1_epi64(hi);
  __m512i zp = _mm512_set1_epi64(zeroPoint);
  for (int64_t j = 0; j < length; j += 16) {
    __mmask16 mask = maskFor(length - j);
    __m512i acc[2] = {zp, zp};
    for (int k = 0; k < numOps; ++k) {
      const RequantOperand &op = ops[k];
      __m512i x = load16(op.dtype, op.data, begin + j, mask);
      if (op.zeroPoint)
        x = _mm512_sub_epi32(
            x, _mm512_set1_epi32(static_cast<int32_t>(op.zeroPoint)));
      for (int h = 0; h < 2; ++h) {
        __m512i shift = param(op, op.shifts, channel, j, h, mask);
        __m512i v =
            dyadic8(half(x, h), param(op, op.multipliers, channel, j, h, mask),
                    roundingTerm(shift), shift);
        acc[h] = _mm512_add_epi64(acc[h], v);
      }
    }
    store16(outDtype, out, begin + j, mask,
            clampJoin(acc[0], acc[1], vlo, vhi));
  }
}

#else

void qcc_rt::requantSegmentAvx512(const RequantOperand *, int, int64_t, int64_t,
                                  int64_t, int64_t, int64_t, int64_t, void *,
                                  int64_t) {}

#endif
