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
// (store16's truncation) -- the table entry.
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

#else

void qcc_rt::minMaxAvx512(int64_t, const void *, int64_t, int64_t, int32_t *,
                          int32_t *) {}
void qcc_rt::mapTableAvx512(int64_t, const void *, int64_t, void *, int64_t,
                            int64_t, const void *, int32_t) {}

#endif
