//===- TableAvx512.cpp - vector table lookups -------------------*- C++ -*-===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//
//
// TableVector.h's range and lookup, 16 lanes at a time: the inputs widened
// to i32 (Avx512.h load16), vpminsd/vpmaxsd for the range, and for the
// lookup the offsets x - first as the indices of a vpgatherdd scaled by the
// table's element size, each gathered dword narrowed to its low bytes
// (store16's truncation) -- the table entry. 8-bit to 8-bit tables with
// AVX-512 VBMI: the 256 bytes in four zmm registers, two vpermi2b and a
// blend per 64 elements.
//
//===----------------------------------------------------------------------===//

#include "Avx512.h"
#include "TableVector.h"

using namespace qcc_rt;

#if defined(__x86_64__)

using namespace qcc_rt::avx512;

QCC_AVX512_TARGET void qcc_rt::minMaxAvx512(int64_t dtype, const void *data,
                                            int64_t begin, int64_t n,
                                            int32_t *min, int32_t *max) {
  __m512i first =
      _mm512_set1_epi32(_mm512_cvtsi512_si32(load16(dtype, data, begin, 1)));
  __m512i lo = first, hi = first;
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    __m512i x = load16(dtype, data, begin + i, 0xffff);
    lo = _mm512_min_epi32(lo, x);
    hi = _mm512_max_epi32(hi, x);
  }
  if (i < n) {
    __mmask16 mask = maskFor(n - i);
    __m512i x = load16(dtype, data, begin + i, mask);
    lo = _mm512_mask_min_epi32(lo, mask, lo, x);
    hi = _mm512_mask_max_epi32(hi, mask, hi, x);
  }
  *min = _mm512_reduce_min_epi32(lo);
  *max = _mm512_reduce_max_epi32(hi);
}

namespace {

template <int Scale>
QCC_AVX512_TARGET void mapTyped(int64_t inDtype, const void *in,
                                int64_t outDtype, void *out, int64_t begin,
                                int64_t n, const void *table, int32_t first) {
  __m512i offset = _mm512_set1_epi32(first);
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    __m512i x =
        _mm512_sub_epi32(load16(inDtype, in, begin + i, 0xffff), offset);
    store16(outDtype, out, begin + i, 0xffff,
            _mm512_i32gather_epi32(x, table, Scale));
  }
  if (i < n) {
    __mmask16 mask = maskFor(n - i);
    __m512i x = _mm512_sub_epi32(load16(inDtype, in, begin + i, mask), offset);
    __m512i v = _mm512_mask_i32gather_epi32(_mm512_setzero_si512(), mask, x,
                                            table, Scale);
    store16(outDtype, out, begin + i, mask, v);
  }
}

} // namespace

void qcc_rt::mapTableAvx512(int64_t inDtype, const void *in, int64_t outDtype,
                            void *out, int64_t begin, int64_t n,
                            const void *table, int32_t first) {
  switch (getElementSize(outDtype)) {
  case 1:
    return mapTyped<1>(inDtype, in, outDtype, out, begin, n, table, first);
  case 2:
    return mapTyped<2>(inDtype, in, outDtype, out, begin, n, table, first);
  default:
    return mapTyped<4>(inDtype, in, outDtype, out, begin, n, table, first);
  }
}

__attribute__((target("avx512f,avx512bw,avx512vbmi"))) void
qcc_rt::mapBytesVbmi(const uint8_t *in, uint8_t *out, int64_t begin, int64_t n,
                     const uint8_t *table, uint8_t flip) {
  __m512i t0 = _mm512_loadu_si512(table), t1 = _mm512_loadu_si512(table + 64);
  __m512i t2 = _mm512_loadu_si512(table + 128),
          t3 = _mm512_loadu_si512(table + 192);
  __m512i m = _mm512_set1_epi8(static_cast<char>(flip));
  in += begin;
  out += begin;
  for (int64_t i = 0; i < n; i += 64) {
    __mmask64 mask = n - i >= 64 ? ~__mmask64(0) : (__mmask64(1) << (n - i)) - 1;
    __m512i idx = _mm512_xor_si512(_mm512_maskz_loadu_epi8(mask, in + i), m);
    // Indices 0-127 from t0:t1, 128-255 from t2:t3 (bit 7 selects).
    __m512i lo = _mm512_permutex2var_epi8(t0, idx, t1);
    __m512i hi = _mm512_permutex2var_epi8(t2, idx, t3);
    _mm512_mask_storeu_epi8(
        out + i, mask,
        _mm512_mask_blend_epi8(_mm512_movepi8_mask(idx), lo, hi));
  }
}

#else

void qcc_rt::mapBytesVbmi(const uint8_t *, uint8_t *, int64_t, int64_t,
                          const uint8_t *, uint8_t) {}

void qcc_rt::minMaxAvx512(int64_t, const void *, int64_t, int64_t, int32_t *,
                          int32_t *) {}
void qcc_rt::mapTableAvx512(int64_t, const void *, int64_t, void *, int64_t,
                            int64_t, const void *, int32_t) {}

#endif
