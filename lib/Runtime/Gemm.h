//===- Gemm.h - the runtime's integer matrix product ------------*- C++ -*-===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//
//
// C (m x n, row stride ldc, i32) = A (m x k, lda) * B (k x n, ldb) with
// 8-bit, i16 or i32 operands, every product and sum wrapping modulo 2^32.
// The portable path runs everywhere; the AVX-512 VNNI path (GemmVnni.cpp)
// takes 8-bit x 8-bit products when the CPU has it and QCC_DISABLE_VNNI is
// not set. Both give identical bits (wrapping sums are order-free).
//
//===----------------------------------------------------------------------===//

#ifndef QCC_LIB_RUNTIME_GEMM_H
#define QCC_LIB_RUNTIME_GEMM_H

#include "Internal.h"

namespace qcc_rt {

/// Runs on ctx's threads (serially when ctx is null). Returns QCC_OK, or
/// QCC_ERROR_OUT_OF_MEMORY with the error recorded in ctx.
int32_t gemm(qcc_rt_context *ctx, int64_t m, int64_t n, int64_t k,
             const void *a, int64_t dtypeA, int64_t lda, const void *b,
             int64_t dtypeB, int64_t ldb, int32_t *c, int64_t ldc);

/// The VNNI path for 8-bit A and B (both i8/u8). Returns false, having done
/// nothing, when it cannot run (no VNNI, or out of memory for packing).
bool gemmVnni(qcc_rt_context *ctx, int64_t m, int64_t n, int64_t k,
              const void *a, bool aSigned, int64_t lda, const void *b,
              bool bSigned, int64_t ldb, int32_t *c, int64_t ldc);

/// Pieces of the VNNI path for callers that pack B themselves (the fused
/// attention); callers check useVnni() first. The packed layout: blocks of
/// 16 columns, each `groups` x 64 bytes, lane l of group g holding the four
/// bytes B[4g..4g+3][16 * block + l] (zero past n); corr holds 16 * blocks
/// i32 column corrections.
///
/// B = the transpose of `n` rows of signed bytes (row j at rows + j *
/// stride, 4 * groups bytes each), packed by dword gathers; corr[j] =
/// scale * (sum of row j), wrapping.
void packRowsVnni(const uint8_t *rows, int64_t stride, int64_t n,
                  int64_t groups, int32_t scale, uint8_t *packed,
                  int32_t *corr);
/// B = k x n bytes (row stride ldb), as gemmVnni packs it, with corr =
/// scale * (column sums of B).
void packColumnsVnni(const uint8_t *b, int64_t ldb, int64_t k, int64_t n,
                     bool bSigned, int32_t scale, uint8_t *packed,
                     int32_t *corr);
/// C (m x n, ldc) = A x B + corr, serially: A is m rows of lda >= 4 *
/// groups readable bytes, each 4-byte group XORed with aXor; aUnsigned
/// says which operand vpdpbusd reads as unsigned.
void productVnni(int64_t m, int64_t n, int64_t groups, const uint8_t *a,
                 int64_t lda, uint32_t aXor, bool aUnsigned,
                 const uint8_t *packed, const int32_t *corr, int32_t *c,
                 int64_t ldc);

} // namespace qcc_rt

#endif // QCC_LIB_RUNTIME_GEMM_H
