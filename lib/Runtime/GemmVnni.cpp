//===- GemmVnni.cpp - AVX-512 VNNI 8-bit matrix product ---------*- C++ -*-===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//
//
// C = A * B for 8-bit A and B with vpdpbusd, which adds to each i32 lane
// the four products of u8 bytes of one operand and s8 bytes of the other
// (exact: |u8 * s8| < 2^15), wrapping like the portable path. This is the
// product of attention (Q K^T and P V, both operands computed at run time)
// and of convolutions and matmuls whose weights are not packed at compile
// time.
//
// B is packed per call into blocks of 16 columns: for each group of four k,
// 16 lanes of the four bytes B[k..k+3][j] (zero past k and n), built from
// four 16-byte row loads by two rounds of byte and word unpacks. Each group
// of four bytes of a row of A is broadcast to all lanes; A is read in place
// when k is a multiple of four and packed to rows of a multiple of four
// bytes otherwise. One operand must be unsigned and the other signed; when
// both have the same signedness, A's bytes are flipped by XOR 0x80 (on the
// broadcast word, or while packing):
//   s8 x s8: a + 128 is u8, and sum a b = sum (a + 128) b - 128 colsum(B);
//   u8 x u8: a - 128 is s8, and sum a b = sum (a - 128) b + 128 colsum(B);
// (ALGORITHMS.md §6), the column sums taken by vpdpbusd against a vector of
// ones and scaled with vpmulld, both wrapping i32. Tasks are blocks of up
// to 4 rows x 64 columns (16 accumulators in registers).
//
// Compiled with target attributes only; gemm() calls it after useVnni()
// has checked the CPU, so the archive runs on any x86-64 (and builds
// elsewhere, where gemmVnni always declines).
//
//===----------------------------------------------------------------------===//

#include "Gemm.h"

#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

using namespace qcc_rt;

#if defined(__x86_64__)

#define QCC_VNNI_TARGET                                                        \
  __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni")))

namespace {

struct VnniProblem {
  int64_t m, n, groups, blocks; // groups of 4 k; blocks of 16 columns
  const uint8_t *a;             // m rows of lda bytes (>= 4 * groups)
  int64_t lda;
  uint32_t aXor;       // XORed into every 4-byte group of A read
  const uint8_t *b;    // blocks x groups x 64 bytes
  const int32_t *corr; // blocks * 16 column corrections
  int32_t *c;
  int64_t ldc;
};

/// Rows [i, i + R) and column blocks [jb, jb + V) of C. AU: A (broadcast)
/// is the unsigned operand.
template <bool AU, int R, int V>
QCC_VNNI_TARGET void vnniTile(const VnniProblem &p, int64_t i, int64_t jb) {
  __m512i acc[R][V];
  for (int r = 0; r < R; ++r)
    for (int v = 0; v < V; ++v)
      acc[r][v] = _mm512_setzero_si512();
  const uint8_t *bp[V];
  for (int v = 0; v < V; ++v)
    bp[v] = p.b + (jb + v) * p.groups * 64;
  const uint8_t *ap[R];
  for (int r = 0; r < R; ++r)
    ap[r] = p.a + (i + r) * p.lda;
  uint32_t x = p.aXor;
  for (int64_t g = 0; g < p.groups; ++g) {
    __m512i bv[V];
    for (int v = 0; v < V; ++v)
      bv[v] = _mm512_loadu_si512(bp[v] + g * 64);
    for (int r = 0; r < R; ++r) {
      uint32_t word;
      memcpy(&word, ap[r] + g * 4, 4);
      __m512i av = _mm512_set1_epi32(static_cast<int32_t>(word ^ x));
      for (int v = 0; v < V; ++v)
        acc[r][v] = AU ? _mm512_dpbusd_epi32(acc[r][v], av, bv[v])
                       : _mm512_dpbusd_epi32(acc[r][v], bv[v], av);
    }
  }
  for (int v = 0; v < V; ++v) {
    int64_t j = (jb + v) * 16;
    int64_t left = p.n - j;
    __mmask16 mask =
        left >= 16 ? __mmask16(0xffff) : __mmask16((1u << left) - 1);
    __m512i corr = _mm512_loadu_si512(p.corr + j);
    for (int r = 0; r < R; ++r)
      _mm512_mask_storeu_epi32(p.c + (i + r) * p.ldc + j, mask,
                               _mm512_add_epi32(acc[r][v], corr));
  }
}

using TileFn = void (*)(const VnniProblem &, int64_t, int64_t);

template <bool AU, int R> TileFn pickV(int v) {
  switch (v) {
  case 1:
    return vnniTile<AU, R, 1>;
  case 2:
    return vnniTile<AU, R, 2>;
  case 3:
    return vnniTile<AU, R, 3>;
  default:
    return vnniTile<AU, R, 4>;
  }
}

template <bool AU> TileFn pickTile(int r, int v) {
  switch (r) {
  case 1:
    return pickV<AU, 1>(v);
  case 2:
    return pickV<AU, 2>(v);
  case 3:
    return pickV<AU, 3>(v);
  default:
    return pickV<AU, 4>(v);
  }
}

constexpr int64_t kRows = 4, kBlocks = 4;

/// Packs column blocks [b0, b1) of B (k x n, row stride ldb) and, when
/// `scale` is not 0, stores scale * (column sum of B) for their columns in
/// corr (zero past n), with the sums and the product wrapping in i32.
QCC_VNNI_TARGET void packB(const uint8_t *b, int64_t ldb, int64_t k, int64_t n,
                           bool bSigned, int32_t scale, int64_t groups,
                           int64_t b0, int64_t b1, uint8_t *packed,
                           int32_t *corr) {
  const __m512i ones = _mm512_set1_epi8(1);
  for (int64_t jb = b0; jb < b1; ++jb) {
    int64_t j0 = jb * 16;
    int64_t left = n - j0;
    __mmask16 cols =
        left >= 16 ? __mmask16(0xffff) : __mmask16((1u << left) - 1);
    uint8_t *dst = packed + jb * groups * 64;
    __m512i sum = _mm512_setzero_si512();
    for (int64_t g = 0; g < groups; ++g) {
      __m128i row[4];
      for (int q = 0; q < 4; ++q) {
        int64_t kk = g * 4 + q;
        row[q] = kk < k ? _mm_maskz_loadu_epi8(cols, b + kk * ldb + j0)
                        : _mm_setzero_si128();
      }
      // Bytes (r0[l], r1[l]) and (r2[l], r3[l]), then the four together.
      __m128i lo01 = _mm_unpacklo_epi8(row[0], row[1]);
      __m128i hi01 = _mm_unpackhi_epi8(row[0], row[1]);
      __m128i lo23 = _mm_unpacklo_epi8(row[2], row[3]);
      __m128i hi23 = _mm_unpackhi_epi8(row[2], row[3]);
      __m512i v = _mm512_castsi128_si512(_mm_unpacklo_epi16(lo01, lo23));
      v = _mm512_inserti32x4(v, _mm_unpackhi_epi16(lo01, lo23), 1);
      v = _mm512_inserti32x4(v, _mm_unpacklo_epi16(hi01, hi23), 2);
      v = _mm512_inserti32x4(v, _mm_unpackhi_epi16(hi01, hi23), 3);
      _mm512_storeu_si512(dst + g * 64, v);
      if (scale)
        sum = bSigned ? _mm512_dpbusd_epi32(sum, ones, v)
                      : _mm512_dpbusd_epi32(sum, v, ones);
    }
    _mm512_storeu_si512(corr + j0,
                        _mm512_mullo_epi32(sum, _mm512_set1_epi32(scale)));
  }
}

} // namespace

QCC_VNNI_TARGET void qcc_rt::packRowsVnni(const uint8_t *rows, int64_t stride,
                                          int64_t n, int64_t groups,
                                          int32_t scale, uint8_t *packed,
                                          int32_t *corr) {
  const __m512i ones = _mm512_set1_epi8(1);
  const __m512i offsets = _mm512_mullo_epi32(
      _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
      _mm512_set1_epi32(static_cast<int32_t>(stride)));
  for (int64_t jb = 0, blocks = (n + 15) / 16; jb < blocks; ++jb) {
    int64_t left = n - jb * 16;
    __mmask16 cols =
        left >= 16 ? __mmask16(0xffff) : __mmask16((1u << left) - 1);
    const uint8_t *base = rows + jb * 16 * stride;
    __m512i sum = _mm512_setzero_si512();
    for (int64_t g = 0; g < groups; ++g) {
      __m512i v = _mm512_mask_i32gather_epi32(_mm512_setzero_si512(), cols,
                                              offsets, base + 4 * g, 1);
      _mm512_storeu_si512(packed + (jb * groups + g) * 64, v);
      sum = _mm512_dpbusd_epi32(sum, ones, v);
    }
    _mm512_storeu_si512(corr + jb * 16,
                        _mm512_mullo_epi32(sum, _mm512_set1_epi32(scale)));
  }
}

void qcc_rt::productVnni(int64_t m, int64_t n, int64_t groups, const uint8_t *a,
                         int64_t lda, uint32_t aXor, bool aUnsigned,
                         const uint8_t *packed, const int32_t *corr, int32_t *c,
                         int64_t ldc) {
  VnniProblem p;
  p.m = m;
  p.n = n;
  p.groups = groups;
  p.blocks = (n + 15) / 16;
  p.a = a;
  p.lda = lda;
  p.aXor = aXor;
  p.b = packed;
  p.corr = corr;
  p.c = c;
  p.ldc = ldc;
  for (int64_t i = 0; i < m; i += kRows) {
    int r = static_cast<int>(m - i < kRows ? m - i : kRows);
    for (int64_t jb = 0; jb < p.blocks; jb += kBlocks) {
      int v =
          static_cast<int>(p.blocks - jb < kBlocks ? p.blocks - jb : kBlocks);
      (aUnsigned ? pickTile<true>(r, v) : pickTile<false>(r, v))(p, i, jb);
    }
  }
}

void qcc_rt::packColumnsVnni(const uint8_t *b, int64_t ldb, int64_t k,
                             int64_t n, bool bSigned, int32_t scale,
                             uint8_t *packed, int32_t *corr) {
  packB(b, ldb, k, n, bSigned, scale, (k + 3) / 4, 0, (n + 15) / 16, packed,
        corr);
}

bool qcc_rt::gemmVnni(qcc_rt_context *ctx, int64_t m, int64_t n, int64_t k,
                      const void *a, bool aSigned, int64_t lda, const void *b,
                      bool bSigned, int64_t ldb, int32_t *c, int64_t ldc) {
  VnniProblem p;
  p.m = m;
  p.n = n;
  int64_t k4 = (k + 3) / 4 * 4;
  p.groups = k4 / 4;
  p.blocks = (n + 15) / 16;
  p.c = c;
  p.ldc = ldc;
  // A is packed only when its rows do not hold whole groups of four.
  bool packA = k != k4;
  size_t aBytes = packA ? static_cast<size_t>(m * k4 + 63) / 64 * 64 : 0;
  size_t bBytes = static_cast<size_t>(p.blocks * p.groups * 64);
  size_t corrBytes = static_cast<size_t>(p.blocks * 16) * sizeof(int32_t);
  auto *memory =
      static_cast<uint8_t *>(aligned_alloc(64, aBytes + bBytes + corrBytes));
  if (!memory)
    return false;
  auto *pb = memory;
  auto *corr = reinterpret_cast<int32_t *>(memory + bBytes);
  auto *pa = memory + bBytes + corrBytes;
  // A with the sign flip when both operands have the same signedness.
  bool flip = aSigned == bSigned;
  bool aUnsigned = aSigned == flip; // after the flip
  uint8_t x = flip ? 0x80 : 0;
  const auto *src = static_cast<const uint8_t *>(a);
  if (packA) {
    parallelFor(ctx, m, grainFor(k4), [&](int64_t i0, int64_t i1) {
      for (int64_t i = i0; i < i1; ++i) {
        uint8_t *row = pa + i * k4;
        const uint8_t *in = src + i * lda;
        for (int64_t kk = 0; kk < k; ++kk)
          row[kk] = in[kk] ^ x;
        for (int64_t kk = k; kk < k4; ++kk)
          row[kk] = 0;
      }
    });
    p.a = pa;
    p.lda = k4;
    p.aXor = 0;
  } else {
    p.a = src;
    p.lda = lda;
    p.aXor = flip ? 0x80808080u : 0;
  }
  // B in 16-column blocks; the column sums for the correction.
  const auto *bsrc = static_cast<const uint8_t *>(b);
  int32_t scale = !flip ? 0 : aSigned ? -128 : 128;
  parallelFor(ctx, p.blocks, grainFor(16 * k4), [&](int64_t b0, int64_t b1) {
    packB(bsrc, ldb, k, n, bSigned, scale, p.groups, b0, b1, pb, corr);
  });
  p.b = pb;
  p.corr = corr;
  int64_t rowTiles = (m + kRows - 1) / kRows;
  int64_t colTiles = (p.blocks + kBlocks - 1) / kBlocks;
  int64_t perTask = kRows * kBlocks * 16 * k4;
  parallelFor(ctx, rowTiles * colTiles,
              kParallelWork / perTask > 0 ? kParallelWork / perTask : 1,
              [&](int64_t t0, int64_t t1) {
                for (int64_t t = t0; t < t1; ++t) {
                  int64_t i = (t / colTiles) * kRows;
                  int64_t jb = (t % colTiles) * kBlocks;
                  int r = static_cast<int>(m - i < kRows ? m - i : kRows);
                  int v = static_cast<int>(
                      p.blocks - jb < kBlocks ? p.blocks - jb : kBlocks);
                  TileFn tile =
                      aUnsigned ? pickTile<true>(r, v) : pickTile<false>(r, v);
                  tile(p, i, jb);
                }
              });
  free(memory);
  return true;
}

#else

void qcc_rt::packRowsVnni(const uint8_t *, int64_t, int64_t, int64_t, int32_t,
                          uint8_t *, int32_t *) {}

void qcc_rt::productVnni(int64_t, int64_t, int64_t, const uint8_t *, int64_t,
                         uint32_t, bool, const uint8_t *, const int32_t *,
                         int32_t *, int64_t) {}

void qcc_rt::packColumnsVnni(const uint8_t *, int64_t, int64_t, int64_t, bool,
                             int32_t, uint8_t *, int32_t *) {}

bool qcc_rt::gemmVnni(qcc_rt_context *, int64_t, int64_t, int64_t, const void *,
                      bool, int64_t, const void *, bool, int64_t, int32_t *,
                      int64_t) {
  return false;
}

#endif
