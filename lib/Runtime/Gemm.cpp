//===- Gemm.cpp - portable integer matrix product ---------------*- C++ -*-===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//
//
// Tasks are blocks of rows x columns of C; each accumulates four rows at a
// time over all of k (so every element of B loaded serves four products)
// into a column block small enough for L1. Products and sums are done in
// uint32, which is exactly i32 wrapping.
//
//===----------------------------------------------------------------------===//

#include "Gemm.h"

using namespace qcc_rt;

namespace {

constexpr int64_t kRowBlock = 4;
constexpr int64_t kColBlock = 512;

template <typename TA, typename TB>
void gemmBlock(int64_t i0, int64_t i1, int64_t j0, int64_t j1, int64_t k,
               const TA *a, int64_t lda, const TB *b, int64_t ldb, int32_t *c,
               int64_t ldc) {
  int64_t cols = j1 - j0;
  uint32_t acc[kRowBlock][kColBlock];
  for (int64_t i = i0; i < i1; i += kRowBlock) {
    int64_t rows = i1 - i < kRowBlock ? i1 - i : kRowBlock;
    for (int64_t r = 0; r < kRowBlock; ++r)
      for (int64_t j = 0; j < cols; ++j)
        acc[r][j] = 0;
    if (rows == kRowBlock) {
      const TA *a0 = a + i * lda, *a1 = a0 + lda, *a2 = a1 + lda,
               *a3 = a2 + lda;
      for (int64_t kk = 0; kk < k; ++kk) {
        uint32_t x0 = static_cast<uint32_t>(a0[kk]);
        uint32_t x1 = static_cast<uint32_t>(a1[kk]);
        uint32_t x2 = static_cast<uint32_t>(a2[kk]);
        uint32_t x3 = static_cast<uint32_t>(a3[kk]);
        const TB *row = b + kk * ldb + j0;
        for (int64_t j = 0; j < cols; ++j) {
          uint32_t y = static_cast<uint32_t>(row[j]);
          acc[0][j] += x0 * y;
          acc[1][j] += x1 * y;
          acc[2][j] += x2 * y;
          acc[3][j] += x3 * y;
        }
      }
    } else {
      for (int64_t r = 0; r < rows; ++r) {
        const TA *ar = a + (i + r) * lda;
        for (int64_t kk = 0; kk < k; ++kk) {
          uint32_t x = static_cast<uint32_t>(ar[kk]);
          const TB *row = b + kk * ldb + j0;
          for (int64_t j = 0; j < cols; ++j)
            acc[r][j] += x * static_cast<uint32_t>(row[j]);
        }
      }
    }
    for (int64_t r = 0; r < rows; ++r) {
      int32_t *dst = c + (i + r) * ldc + j0;
      for (int64_t j = 0; j < cols; ++j)
        dst[j] = static_cast<int32_t>(acc[r][j]);
    }
  }
}

template <typename TA, typename TB>
void gemmTyped(qcc_rt_context *ctx, int64_t m, int64_t n, int64_t k,
               const TA *a, int64_t lda, const TB *b, int64_t ldb, int32_t *c,
               int64_t ldc) {
  // Row blocks sized so that there is enough work per task.
  int64_t colBlocks = (n + kColBlock - 1) / kColBlock;
  int64_t rowsPerTask = kRowBlock * 4;
  int64_t rowTasks = (m + rowsPerTask - 1) / rowsPerTask;
  int64_t tasks = rowTasks * colBlocks;
  int64_t perTask = rowsPerTask * (n < kColBlock ? n : kColBlock) * k;
  int64_t grain = kParallelWork / (perTask > 0 ? perTask : 1);
  parallelFor(ctx, tasks, grain < 1 ? 1 : grain, [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) {
      int64_t rt = t / colBlocks, cb = t % colBlocks;
      int64_t i0 = rt * rowsPerTask;
      int64_t i1 = i0 + rowsPerTask < m ? i0 + rowsPerTask : m;
      int64_t j0 = cb * kColBlock;
      int64_t j1 = j0 + kColBlock < n ? j0 + kColBlock : n;
      gemmBlock(i0, i1, j0, j1, k, a, lda, b, ldb, c, ldc);
    }
  });
}

template <typename TA>
void dispatchB(qcc_rt_context *ctx, int64_t m, int64_t n, int64_t k,
               const TA *a, int64_t lda, const void *b, int64_t dtypeB,
               int64_t ldb, int32_t *c, int64_t ldc) {
  switch (dtypeB) {
  case QCC_I8:
    return gemmTyped(ctx, m, n, k, a, lda, static_cast<const int8_t *>(b), ldb,
                     c, ldc);
  case QCC_U8:
    return gemmTyped(ctx, m, n, k, a, lda, static_cast<const uint8_t *>(b),
                     ldb, c, ldc);
  case QCC_I16:
    return gemmTyped(ctx, m, n, k, a, lda, static_cast<const int16_t *>(b),
                     ldb, c, ldc);
  default:
    return gemmTyped(ctx, m, n, k, a, lda, static_cast<const int32_t *>(b),
                     ldb, c, ldc);
  }
}

} // namespace

int32_t qcc_rt::gemm(qcc_rt_context *ctx, int64_t m, int64_t n, int64_t k,
                     const void *a, int64_t dtypeA, int64_t lda, const void *b,
                     int64_t dtypeB, int64_t ldb, int32_t *c, int64_t ldc) {
  if (m <= 0 || n <= 0)
    return QCC_OK;
  bool a8 = dtypeA == QCC_I8 || dtypeA == QCC_U8;
  bool b8 = dtypeB == QCC_I8 || dtypeB == QCC_U8;
  if (a8 && b8 && k > 0 && useVnni() &&
      gemmVnni(ctx, m, n, k, a, dtypeA == QCC_I8, lda, b, dtypeB == QCC_I8,
               ldb, c, ldc))
    return QCC_OK;
  switch (dtypeA) {
  case QCC_I8:
    dispatchB(ctx, m, n, k, static_cast<const int8_t *>(a), lda, b, dtypeB,
              ldb, c, ldc);
    break;
  case QCC_U8:
    dispatchB(ctx, m, n, k, static_cast<const uint8_t *>(a), lda, b, dtypeB,
              ldb, c, ldc);
    break;
  case QCC_I16:
    dispatchB(ctx, m, n, k, static_cast<const int16_t *>(a), lda, b, dtypeB,
              ldb, c, ldc);
    break;
  default:
    dispatchB(ctx, m, n, k, static_cast<const int32_t *>(a), lda, b, dtypeB,
              ldb, c, ldc);
    break;
  }
  return QCC_OK;
}
