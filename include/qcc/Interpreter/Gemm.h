//===- Gemm.h - matrix multiplication kernels of the interpreter -*- C++
//-*-===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//
//
// The matrix products behind qcc.matmul and qcc.conv, exposed for testing and
// benchmarking.
//
// The float kernel is a cache-blocked GEMM (packed panels of A and B, a
// register-blocked microkernel) compiled for several instruction sets and
// chosen at run time. Every element of C is the sum over k in the same fixed
// order, whatever the thread count, the matrix shape or the code path:
// blocks of kGemmKC consecutive k are each summed from zero in increasing k,
// then added to C in increasing block order. With FMA the products are
// fused into the sums, so results are identical across thread counts and
// shapes on one machine, and may differ in the last bits between an FMA and
// a non-FMA instruction set.
//
//===----------------------------------------------------------------------===//

#ifndef QCC_INTERPRETER_GEMM_H
#define QCC_INTERPRETER_GEMM_H

#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"

#include <cstdint>

namespace mlir::qcc {

class WorkerPool;

/// Instruction sets the float GEMM is compiled for.
enum class GemmIsa {
  /// The best one the host supports.
  Best,
  /// Baseline of the target architecture (SSE2 on x86-64).
  Generic,
  /// x86-64 AVX2 + FMA.
  Avx2,
  /// x86-64 AVX-512F.
  Avx512,
};

/// Number of k per summation block (see the file comment).
constexpr int64_t kGemmKC = 256;

/// The instruction sets the host can run, best last (Generic always).
llvm::SmallVector<GemmIsa> getSupportedGemmIsas();

/// Name of an instruction set (`generic`, `avx2`, `avx512`); for Best, the
/// name of the one it resolves to.
llvm::StringRef getGemmIsaName(GemmIsa isa);

/// C = A * B, with A an m x k, B a k x n and C an m x n row-major matrix
/// with leading dimensions lda, ldb, ldc (in elements). C must not overlap A
/// or B. Runs on `pool` when given. `isa` must be supported by the host.
void gemmF32(int64_t m, int64_t n, int64_t k, const float *a, int64_t lda,
             const float *b, int64_t ldb, float *c, int64_t ldc,
             WorkerPool *pool, GemmIsa isa = GemmIsa::Best);

/// Like gemmF32, except that row p of B (n contiguous elements) starts at
/// `b + rowOffsets[p]`: rows may lie anywhere, overlap or repeat. This is an
/// implicit im2col for convolutions (Linear.cpp). Every element of C is
/// summed in the same order as gemmF32 sums it.
void gemmF32RowTable(int64_t m, int64_t n, int64_t k, const float *a,
                     int64_t lda, const float *b, const int64_t *rowOffsets,
                     float *c, int64_t ldc, WorkerPool *pool,
                     GemmIsa isa = GemmIsa::Best);

/// Element types of the integer GEMM's operands.
enum class GemmIntType { I8, UI8, I32 };

/// C = A * B on integers with 32-bit accumulation that wraps modulo 2^32 (so
/// it is exact whenever the true sum fits in i32, as it always does for
/// 8-bit operands and k <= 32768). A and B hold elements of `aType` and
/// `bType`.
void gemmInt(int64_t m, int64_t n, int64_t k, const void *a, GemmIntType aType,
             int64_t lda, const void *b, GemmIntType bType, int64_t ldb,
             int32_t *c, int64_t ldc, WorkerPool *pool);

} // namespace mlir::qcc

#endif // QCC_INTERPRETER_GEMM_H
