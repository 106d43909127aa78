//===- Avx512.h - AVX-512 helpers of the integer kernels --------*- C++ -*-===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//
//
// Inline AVX-512 building blocks shared by the vector kernels (the fused
// linear epilogue, requant, requant_add): 16 integer lanes loaded from and
// stored to any 8/16/32-bit type with a mask, and applyDyadic's int64 path
//   (x * m + 2^(s-1)) >> s      (vpmuldq, vpaddq, vpsravq)
// on 8 lanes, exact for |x| <= 2^31, |m| <= 2^31 and s in [0, 62] (the
// product and the rounding term fit in int64, and the arithmetic shift is
// the floor; IntegerMath.h). Include only from files whose callers check
// useVnni() (the CPU has AVX-512 F/BW/VL/VNNI) before calling.
//
//===----------------------------------------------------------------------===//

#ifndef QCC_LIB_RUNTIME_AVX512_H
#define QCC_LIB_RUNTIME_AVX512_H

#include "Internal.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define QCC_AVX512_TARGET                                                      \
  __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni")))

namespace qcc_rt::avx512 {

/// Lanes [i, i + 16) of an integer tensor of `dtype` (8/16/32-bit) as i32;
/// masked-off lanes are 0 and not read.
QCC_AVX512_TARGET inline __m512i load16(int64_t dtype, const void *base,
                                        int64_t i, __mmask16 mask) {
  switch (dtype) {
  case QCC_I8:
    return _mm512_cvtepi8_epi32(
        _mm_maskz_loadu_epi8(mask, static_cast<const int8_t *>(base) + i));
  case QCC_U8:
    return _mm512_cvtepu8_epi32(
        _mm_maskz_loadu_epi8(mask, static_cast<const uint8_t *>(base) + i));
  case QCC_I16:
    return _mm512_cvtepi16_epi32(
        _mm256_maskz_loadu_epi16(mask, static_cast<const int16_t *>(base) + i));
  default:
    return _mm512_maskz_loadu_epi32(mask,
                                    static_cast<const int32_t *>(base) + i);
  }
}

/// Stores 16 i32 lanes (already in range) narrowed to `dtype`.
QCC_AVX512_TARGET inline void store16(int64_t dtype, void *base, int64_t i,
                                      __mmask16 mask, __m512i v) {
  switch (dtype) {
  case QCC_I8:
  case QCC_U8:
    _mm_mask_storeu_epi8(static_cast<uint8_t *>(base) + i, mask,
                         _mm512_cvtepi32_epi8(v));
    return;
  case QCC_I16:
    _mm256_mask_storeu_epi16(static_cast<int16_t *>(base) + i, mask,
                             _mm512_cvtepi32_epi16(v));
    return;
  default:
    _mm512_mask_storeu_epi32(static_cast<int32_t *>(base) + i, mask, v);
    return;
  }
}

/// Half `which` (lanes 0-7 or 8-15) of 16 i32 lanes.
QCC_AVX512_TARGET inline __m256i half(__m512i x, int which) {
  return which ? _mm512_extracti64x4_epi64(x, 1) : _mm512_castsi512_si256(x);
}

/// applyDyadic on 8 int32 values, in int64 lanes.
QCC_AVX512_TARGET inline __m512i dyadic8(__m256i x, __m512i mul, __m512i round,
                                         __m512i shift) {
  __m512i product = _mm512_mul_epi32(_mm512_cvtepi32_epi64(x), mul);
  return _mm512_srav_epi64(_mm512_add_epi64(product, round), shift);
}

/// 2^(s-1) for s > 0, 0 for s = 0.
QCC_AVX512_TARGET inline __m512i roundingTerm(__m512i shift) {
  return _mm512_srli_epi64(_mm512_sllv_epi64(_mm512_set1_epi64(1), shift), 1);
}

/// Clamps two int64 halves to [lo, hi] and joins them into 16 i32 lanes.
QCC_AVX512_TARGET inline __m512i clampJoin(__m512i a, __m512i b, __m512i lo,
                                           __m512i hi) {
  a = _mm512_min_epi64(_mm512_max_epi64(a, lo), hi);
  b = _mm512_min_epi64(_mm512_max_epi64(b, lo), hi);
  return _mm512_inserti64x4(_mm512_castsi256_si512(_mm512_cvtepi64_epi32(a)),
                            _mm512_cvtepi64_epi32(b), 1);
}

inline __mmask16 maskFor(int64_t left) {
  return left >= 16 ? __mmask16(0xffff) : __mmask16((1u << left) - 1);
}

} // namespace qcc_rt::avx512

#endif // __x86_64__

#endif // QCC_LIB_RUNTIME_AVX512_H
