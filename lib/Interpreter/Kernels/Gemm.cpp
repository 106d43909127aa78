//===- Gemm.cpp - matrix multiplication kernels -----------------*- C++ -*-===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//
//
// A BLIS-style float GEMM: for each block of NC columns and kGemmKC rows of
// B, B is packed into NR-wide strips; each task packs an MC-row block of A
// into MR-tall panels and runs the MR x NR microkernel over a range of
// strips. The microkernel keeps its MR x NR accumulator tile in registers
// (clang vector extensions, so the same source vectorises for every
// instruction set) and is compiled once per instruction set with a target
// attribute; the driver picks one at run time.
//
// Matrices with one or two rows take a row kernel that streams B instead of
// packing it. It sums each element in exactly the order the microkernel does
// (per block of kGemmKC, from zero, increasing k, with the same fused or
// unfused multiply-add), so a row of C does not depend on how many rows the
// product has.
//
//===----------------------------------------------------------------------===//

#include "Simd.h"

#include "qcc/Interpreter/Gemm.h"
#include "qcc/Interpreter/WorkerPool.h"

#include "llvm/Support/ErrorHandling.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

using namespace mlir::qcc;

#define QCC_GEMM_X86 QCC_SIMD_X86

namespace {

using simd::VecF;

//===----------------------------------------------------------------------===//
// Float microkernels (instantiated per instruction set)
//===----------------------------------------------------------------------===//

/// Row p of a packed NR-wide strip: [kc][NR].
struct PackedRows {
  const float *__restrict bp;
  template <int NR> QCC_ALWAYS_INLINE const float *row(int64_t p) const {
    return bp + p * NR;
  }
};

/// Row p of B at `b + offsets[p]` (a row table; see gemmF32RowTable).
struct TableRows {
  const float *b;
  const int64_t *__restrict offsets;
  template <int NR> QCC_ALWAYS_INLINE const float *row(int64_t p) const {
    return b + offsets[p];
  }
};

/// C[0:mr, 0:nr] (+)= Ap * B over kc, where Ap is an MR-tall packed panel
/// ([kc][MR]) and row p of B holds NR readable floats at `rows.row(p)`.
template <int MR, int NR, int W, typename Rows>
QCC_ALWAYS_INLINE void microKernel(int64_t kc, const float *__restrict ap,
                                   Rows rows, float *c, int64_t ldc, int64_t mr,
                                   int64_t nr, bool accumulate) {
  constexpr int NV = NR / W;
  static_assert(NR % W == 0, "NR must be a multiple of the vector width");
  VecF<W> acc[MR][NV];
  for (int i = 0; i < MR; ++i)
    for (int v = 0; v < NV; ++v)
      acc[i][v] = 0.0f;
  for (int64_t p = 0; p < kc; ++p) {
    const float *bRow = rows.template row<NR>(p);
    VecF<W> bv[NV];
    for (int v = 0; v < NV; ++v)
      std::memcpy(&bv[v], bRow + v * W, sizeof(VecF<W>));
    for (int i = 0; i < MR; ++i) {
      float av = ap[p * MR + i];
      for (int v = 0; v < NV; ++v)
        acc[i][v] += av * bv[v];
    }
  }
  if (mr == MR && nr == NR) {
    for (int i = 0; i < MR; ++i)
      for (int v = 0; v < NV; ++v) {
        float *cp = c + i * ldc + v * W;
        VecF<W> result = acc[i][v];
        if (accumulate) {
          VecF<W> old;
          std::memcpy(&old, cp, sizeof(old));
          result = old + result;
        }
        std::memcpy(cp, &result, sizeof(result));
      }
    return;
  }
  float tile[MR][NR];
  for (int i = 0; i < MR; ++i)
    for (int v = 0; v < NV; ++v)
      std::memcpy(&tile[i][v * W], &acc[i][v], sizeof(VecF<W>));
  for (int64_t i = 0; i < mr; ++i)
    for (int64_t j = 0; j < nr; ++j)
      c[i * ldc + j] = accumulate ? c[i * ldc + j] + tile[i][j] : tile[i][j];
}

/// c[0:n] (+)= sum over p < kc of a[p] * b[p * ldb + 0:n], each element
/// summed from zero in increasing p (the microkernel's order).
template <int W>
QCC_ALWAYS_INLINE void
rowKernel(int64_t kc, const float *__restrict a, const float *__restrict b,
          int64_t ldb, float *__restrict c, int64_t n, bool accumulate) {
  constexpr int NV = 8;
  int64_t j = 0;
  for (; j + NV * W <= n; j += NV * W) {
    VecF<W> acc[NV];
    for (int v = 0; v < NV; ++v)
      acc[v] = 0.0f;
    for (int64_t p = 0; p < kc; ++p) {
      float av = a[p];
      for (int v = 0; v < NV; ++v) {
        VecF<W> bv;
        std::memcpy(&bv, b + p * ldb + j + v * W, sizeof(bv));
        acc[v] += av * bv;
      }
    }
    for (int v = 0; v < NV; ++v) {
      VecF<W> result = acc[v];
      if (accumulate) {
        VecF<W> old;
        std::memcpy(&old, c + j + v * W, sizeof(old));
        result = old + result;
      }
      std::memcpy(c + j + v * W, &result, sizeof(result));
    }
  }
  for (; j + W <= n; j += W) {
    VecF<W> acc = 0.0f;
    for (int64_t p = 0; p < kc; ++p) {
      VecF<W> bv;
      std::memcpy(&bv, b + p * ldb + j, sizeof(bv));
      acc += a[p] * bv;
    }
    if (accumulate) {
      VecF<W> old;
      std::memcpy(&old, c + j, sizeof(old));
      acc = old + acc;
    }
    std::memcpy(c + j, &acc, sizeof(acc));
  }
  for (; j < n; ++j) {
    float acc = 0.0f;
    for (int64_t p = 0; p < kc; ++p)
      acc += a[p] * b[p * ldb + j];
    c[j] = accumulate ? c[j] + acc : acc;
  }
}

using MicroKernelFn = void (*)(int64_t, const float *, const float *, float *,
                               int64_t, int64_t, int64_t, bool);
using TableKernelFn = void (*)(int64_t, const float *, const float *,
                               const int64_t *, float *, int64_t, int64_t,
                               int64_t, bool);
using RowKernelFn = void (*)(int64_t, const float *, const float *, int64_t,
                             float *, int64_t, bool);

/// One compiled variant of the float kernels and its blocking.
struct FloatKernels {
  const char *name;
  int64_t mr, nr, mc, nc;
  MicroKernelFn micro;
  TableKernelFn table;
  RowKernelFn row;
};

#define QCC_DEFINE_FLOAT_KERNELS(NAME, TARGET, MR, NR, W)                      \
  TARGET void micro##NAME(int64_t kc, const float *ap, const float *bp,        \
                          float *c, int64_t ldc, int64_t mr, int64_t nr,       \
                          bool accumulate) {                                   \
    microKernel<MR, NR, W>(kc, ap, PackedRows{bp}, c, ldc, mr, nr,             \
                           accumulate);                                        \
  }                                                                            \
  TARGET void table##NAME(int64_t kc, const float *ap, const float *b,         \
                          const int64_t *offsets, float *c, int64_t ldc,       \
                          int64_t mr, int64_t nr, bool accumulate) {           \
    microKernel<MR, NR, W>(kc, ap, TableRows{b, offsets}, c, ldc, mr, nr,      \
                           accumulate);                                        \
  }                                                                            \
  TARGET void row##NAME(int64_t kc, const float *a, const float *b,            \
                        int64_t ldb, float *c, int64_t n, bool accumulate) {   \
    rowKernel<W>(kc, a, b, ldb, c, n, accumulate);                             \
  }

QCC_DEFINE_FLOAT_KERNELS(Generic, , 6, 8, 4)
#if QCC_GEMM_X86
QCC_DEFINE_FLOAT_KERNELS(Avx2, QCC_TARGET_AVX2, 6, 16, 8)
QCC_DEFINE_FLOAT_KERNELS(Avx512, QCC_TARGET_AVX512, 8, 32, 16)
#endif

const FloatKernels genericKernels = {
    "generic", 6, 8, 96, 2048, microGeneric, tableGeneric, rowGeneric};
#if QCC_GEMM_X86
const FloatKernels avx2Kernels = {"avx2", 6,         16,        96,
                                  2048,   microAvx2, tableAvx2, rowAvx2};
const FloatKernels avx512Kernels = {
    "avx512", 8, 32, 128, 2048, microAvx512, tableAvx512, rowAvx512};
#endif

bool hostSupports(GemmIsa isa) {
  switch (isa) {
  case GemmIsa::Best:
  case GemmIsa::Generic:
    return true;
#if QCC_GEMM_X86
  case GemmIsa::Avx2:
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  case GemmIsa::Avx512:
    return __builtin_cpu_supports("avx512f") &&
           __builtin_cpu_supports("avx512vl") &&
           __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512dq") && hostSupports(GemmIsa::Avx2);
#else
  case GemmIsa::Avx2:
  case GemmIsa::Avx512:
    return false;
#endif
  }
  return false;
}

GemmIsa resolve(GemmIsa isa) {
  if (isa != GemmIsa::Best)
    return isa;
  static const GemmIsa best = getSupportedGemmIsas().back();
  return best;
}

const FloatKernels &getKernels(GemmIsa isa) {
  switch (resolve(isa)) {
#if QCC_GEMM_X86
  case GemmIsa::Avx512:
    return avx512Kernels;
  case GemmIsa::Avx2:
    return avx2Kernels;
#endif
  default:
    return genericKernels;
  }
}

//===----------------------------------------------------------------------===//
// Packing and scratch memory
//===----------------------------------------------------------------------===//

/// Per-thread, 64-byte aligned scratch buffers reused across calls.
float *getScratch(unsigned slot, size_t floats) {
  struct Buffer {
    float *data = nullptr;
    size_t size = 0;
    ~Buffer() { std::free(data); }
  };
  static thread_local Buffer buffers[2];
  Buffer &buffer = buffers[slot];
  if (buffer.size < floats) {
    std::free(buffer.data);
    size_t bytes = (floats * sizeof(float) + 63) / 64 * 64;
    buffer.data = static_cast<float *>(std::aligned_alloc(64, bytes));
    if (!buffer.data)
      llvm::report_bad_alloc_error("qcc interpreter: GEMM scratch");
    buffer.size = floats;
  }
  return buffer.data;
}

/// Packs rows [0, mc) x columns [0, kc) of A into MR-tall panels, padding
/// the last panel with zero rows.
void packA(const float *a, int64_t lda, int64_t mc, int64_t kc, int64_t mr,
           float *ap) {
  for (int64_t panel = 0; panel < mc; panel += mr) {
    int64_t rows = std::min(mr, mc - panel);
    float *dst = ap + panel * kc;
    for (int64_t i = 0; i < rows; ++i) {
      const float *src = a + (panel + i) * lda;
      for (int64_t p = 0; p < kc; ++p)
        dst[p * mr + i] = src[p];
    }
    for (int64_t i = rows; i < mr; ++i)
      for (int64_t p = 0; p < kc; ++p)
        dst[p * mr + i] = 0.0f;
  }
}

/// Packs strips [s0, s1) of NR columns of B (kc rows, nc columns) into
/// [kc][NR] blocks, padding the last strip with zero columns. The copies are
/// NR floats long: plain loops beat a memcpy call each.
__attribute__((no_builtin("memcpy", "memmove", "memset"))) void
packB(const float *b, int64_t ldb, int64_t kc, int64_t nc, int64_t nr,
      int64_t s0, int64_t s1, float *bp) {
  for (int64_t s = s0; s < s1; ++s) {
    int64_t col = s * nr, cols = std::min(nr, nc - col);
    float *dst = bp + s * nr * kc;
    for (int64_t p = 0; p < kc; ++p) {
      const float *src = b + p * ldb + col;
      for (int64_t j = 0; j < cols; ++j)
        dst[p * nr + j] = src[j];
      for (int64_t j = cols; j < nr; ++j)
        dst[p * nr + j] = 0.0f;
    }
  }
}

//===----------------------------------------------------------------------===//
// Float drivers
//===----------------------------------------------------------------------===//

/// Multiply-adds per task (about 10 us on one core) below which splitting a
/// product across threads costs more than it gains: the other core has to
/// fetch operands that are hot in this core's caches. Smaller products run
/// on the calling thread alone.
constexpr int64_t kMinTaskWork = int64_t(1) << 20;

/// Products of at most this many rows use the row kernel.
constexpr int64_t kRowPathMaxRows = 2;

void gemmRows(const FloatKernels &kernels, int64_t m, int64_t n, int64_t k,
              const float *a, int64_t lda, const float *b, int64_t ldb,
              float *c, int64_t ldc, WorkerPool *pool) {
  // Columns are independent: split them into chunks that stay in cache.
  constexpr int64_t kChunk = 512;
  int64_t chunks = (n + kChunk - 1) / kChunk;
  parallelFor(pool, chunks, 1, [&](int64_t begin, int64_t end) {
    for (int64_t chunk = begin; chunk < end; ++chunk) {
      int64_t j0 = chunk * kChunk, cols = std::min(kChunk, n - j0);
      for (int64_t i = 0; i < m; ++i)
        for (int64_t pc = 0; pc < k; pc += kGemmKC)
          kernels.row(std::min(kGemmKC, k - pc), a + i * lda + pc,
                      b + pc * ldb + j0, ldb, c + i * ldc + j0, cols, pc > 0);
    }
  });
}

void gemmBlocked(const FloatKernels &kernels, int64_t m, int64_t n, int64_t k,
                 const float *a, int64_t lda, const float *b, int64_t ldb,
                 float *c, int64_t ldc, WorkerPool *pool) {
  const int64_t mr = kernels.mr, nr = kernels.nr, mcMax = kernels.mc,
                ncMax = kernels.nc;
  int64_t threads = pool ? pool->getNumThreads() : 1;
  int64_t mBlocks = (m + mcMax - 1) / mcMax;
  for (int64_t jc = 0; jc < n; jc += ncMax) {
    int64_t nc = std::min(ncMax, n - jc);
    int64_t strips = (nc + nr - 1) / nr;
    // Split the strips too when there are fewer row blocks than threads.
    int64_t nChunks =
        threads == 1 ? 1
                     : std::clamp<int64_t>(
                           (2 * threads + mBlocks - 1) / mBlocks, 1, strips);
    int64_t stripsPerChunk = (strips + nChunks - 1) / nChunks;
    nChunks = (strips + stripsPerChunk - 1) / stripsPerChunk;
    float *bp = getScratch(0, strips * nr * kGemmKC);
    for (int64_t pc = 0; pc < k; pc += kGemmKC) {
      int64_t kc = std::min(kGemmKC, k - pc);
      const float *bBlock = b + pc * ldb + jc;
      parallelFor(pool, strips, 4, [&](int64_t s0, int64_t s1) {
        packB(bBlock, ldb, kc, nc, nr, s0, s1, bp);
      });
      bool accumulate = pc > 0;
      parallelFor(pool, mBlocks * nChunks, 1, [&](int64_t t0, int64_t t1) {
        float *ap = getScratch(1, mcMax * kGemmKC + mr * kGemmKC);
        int64_t packed = -1;
        for (int64_t t = t0; t < t1; ++t) {
          int64_t ib = t / nChunks, chunk = t % nChunks;
          int64_t ic = ib * mcMax, mc = std::min(mcMax, m - ic);
          if (packed != ib) {
            packA(a + ic * lda + pc, lda, mc, kc, mr, ap);
            packed = ib;
          }
          int64_t s0 = chunk * stripsPerChunk,
                  s1 = std::min(strips, s0 + stripsPerChunk);
          for (int64_t s = s0; s < s1; ++s) {
            int64_t col = s * nr, cols = std::min(nr, nc - col);
            for (int64_t ir = 0; ir < mc; ir += mr)
              kernels.micro(kc, ap + ir * kc, bp + s * nr * kc,
                            c + (ic + ir) * ldc + jc + col, ldc,
                            std::min(mr, mc - ir), cols, accumulate);
          }
        }
      });
    }
  }
}

/// gemmF32RowTable's driver. Tasks are (row block, strip of NR columns)
/// pairs, row block major; parallelFor hands out ranges of them. For each run
/// of strips of one row block a task goes through the k blocks in order,
/// packing A's block once and running the table microkernel straight on B's
/// rows (no packing: a strip's rows stay in L1 across the row panels). A
/// partial last strip is copied into a zero-padded packed strip first, so no
/// row is read past its n elements.
void gemmTable(const FloatKernels &kernels, int64_t m, int64_t n, int64_t k,
               const float *a, int64_t lda, const float *b,
               const int64_t *offsets, float *c, int64_t ldc,
               WorkerPool *pool) {
  const int64_t mr = kernels.mr, nr = kernels.nr, mcMax = kernels.mc;
  int64_t mBlocks = (m + mcMax - 1) / mcMax;
  int64_t strips = (n + nr - 1) / nr;
  int64_t perStrip = std::min(m, mcMax) * nr * k;
  int64_t grain = std::max<int64_t>(1, kMinTaskWork / perStrip);
  parallelFor(pool, mBlocks * strips, grain, [&](int64_t t0, int64_t t1) {
    float *ap = getScratch(1, mcMax * kGemmKC + mr * kGemmKC);
    float *tail = nullptr;
    for (int64_t t = t0; t < t1;) {
      int64_t ib = t / strips, s0 = t % strips;
      int64_t s1 = std::min(strips, s0 + (t1 - t));
      t += s1 - s0;
      int64_t ic = ib * mcMax, mc = std::min(mcMax, m - ic);
      for (int64_t pc = 0; pc < k; pc += kGemmKC) {
        int64_t kc = std::min(kGemmKC, k - pc);
        bool accumulate = pc > 0;
        packA(a + ic * lda + pc, lda, mc, kc, mr, ap);
        for (int64_t s = s0; s < s1; ++s) {
          int64_t col = s * nr, cols = std::min(nr, n - col);
          float *cBlock = c + ic * ldc + col;
          if (cols == nr) {
            for (int64_t ir = 0; ir < mc; ir += mr)
              kernels.table(kc, ap + ir * kc, b + col, offsets + pc,
                            cBlock + ir * ldc, ldc, std::min(mr, mc - ir), nr,
                            accumulate);
            continue;
          }
          if (!tail)
            tail = getScratch(0, nr * kGemmKC);
          for (int64_t p = 0; p < kc; ++p) {
            const float *src = b + offsets[pc + p] + col;
            for (int64_t j = 0; j < cols; ++j)
              tail[p * nr + j] = src[j];
            for (int64_t j = cols; j < nr; ++j)
              tail[p * nr + j] = 0.0f;
          }
          for (int64_t ir = 0; ir < mc; ir += mr)
            kernels.micro(kc, ap + ir * kc, tail, cBlock + ir * ldc, ldc,
                          std::min(mr, mc - ir), cols, accumulate);
        }
      }
    }
  });
}

//===----------------------------------------------------------------------===//
// Integer GEMM
//===----------------------------------------------------------------------===//

/// Rows [i0, i1) x columns [j0, j1) of C = A * B, accumulated modulo 2^32
/// (unsigned arithmetic gives the two's complement low bits without
/// overflow).
template <typename TA, typename TB>
void byteTile(int64_t i0, int64_t i1, int64_t j0, int64_t j1, int64_t k,
              const TA *a, int64_t lda, const TB *b, int64_t ldb, int32_t *c,
              int64_t ldc) {
  constexpr int64_t kColumns = 64;
  for (int64_t i = i0; i < i1; ++i) {
    const TA *row = a + i * lda;
    for (int64_t j = j0; j < j1; j += kColumns) {
      int64_t cols = std::min(kColumns, j1 - j);
      uint32_t acc[kColumns] = {};
      if (cols == kColumns) {
        for (int64_t p = 0; p < k; ++p) {
          uint32_t av = static_cast<uint32_t>(row[p]);
          const TB *bRow = b + p * ldb + j;
          for (int64_t jj = 0; jj < kColumns; ++jj)
            acc[jj] += av * static_cast<uint32_t>(bRow[jj]);
        }
      } else {
        for (int64_t p = 0; p < k; ++p) {
          uint32_t av = static_cast<uint32_t>(row[p]);
          const TB *bRow = b + p * ldb + j;
          for (int64_t jj = 0; jj < cols; ++jj)
            acc[jj] += av * static_cast<uint32_t>(bRow[jj]);
        }
      }
      for (int64_t jj = 0; jj < cols; ++jj)
        c[i * ldc + j + jj] = static_cast<int32_t>(acc[jj]);
    }
  }
}

template <typename TA, typename TB>
void gemmIntTyped(int64_t m, int64_t n, int64_t k, const TA *a, int64_t lda,
                  const TB *b, int64_t ldb, int32_t *c, int64_t ldc,
                  WorkerPool *pool) {
  constexpr int64_t kRows = 8, kCols = 256;
  int64_t rowBlocks = (m + kRows - 1) / kRows;
  int64_t colBlocks = (n + kCols - 1) / kCols;
  parallelFor(pool, rowBlocks * colBlocks, 1, [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) {
      int64_t ib = t / colBlocks, jb = t % colBlocks;
      byteTile(ib * kRows, std::min(m, (ib + 1) * kRows), jb * kCols,
               std::min(n, (jb + 1) * kCols), k, a, lda, b, ldb, c, ldc);
    }
  });
}

} // namespace

//===----------------------------------------------------------------------===//
// Public entry points
//===----------------------------------------------------------------------===//

llvm::SmallVector<GemmIsa> mlir::qcc::getSupportedGemmIsas() {
  llvm::SmallVector<GemmIsa> isas;
  for (GemmIsa isa : {GemmIsa::Generic, GemmIsa::Avx2, GemmIsa::Avx512})
    if (hostSupports(isa))
      isas.push_back(isa);
  return isas;
}

mlir::qcc::simd::Isa mlir::qcc::simd::getHostIsa() {
  switch (resolve(GemmIsa::Best)) {
  case GemmIsa::Avx512:
    return Isa::Avx512;
  case GemmIsa::Avx2:
    return Isa::Avx2;
  default:
    return Isa::Generic;
  }
}

llvm::StringRef mlir::qcc::getGemmIsaName(GemmIsa isa) {
  return getKernels(isa).name;
}

void mlir::qcc::gemmF32(int64_t m, int64_t n, int64_t k, const float *a,
                        int64_t lda, const float *b, int64_t ldb, float *c,
                        int64_t ldc, WorkerPool *pool, GemmIsa isa) {
  if (m <= 0 || n <= 0)
    return;
  if (k <= 0) {
    for (int64_t i = 0; i < m; ++i)
      std::fill_n(c + i * ldc, n, 0.0f);
    return;
  }
  const FloatKernels &kernels = getKernels(isa);
  if (m * n * k < 2 * kMinTaskWork)
    pool = nullptr;
  if (m <= kRowPathMaxRows)
    gemmRows(kernels, m, n, k, a, lda, b, ldb, c, ldc, pool);
  else
    gemmBlocked(kernels, m, n, k, a, lda, b, ldb, c, ldc, pool);
}

void mlir::qcc::gemmF32RowTable(int64_t m, int64_t n, int64_t k, const float *a,
                                int64_t lda, const float *b,
                                const int64_t *rowOffsets, float *c,
                                int64_t ldc, WorkerPool *pool, GemmIsa isa) {
  if (m <= 0 || n <= 0)
    return;
  if (k <= 0) {
    for (int64_t i = 0; i < m; ++i)
      std::fill_n(c + i * ldc, n, 0.0f);
    return;
  }
  gemmTable(getKernels(isa), m, n, k, a, lda, b, rowOffsets, c, ldc, pool);
}

/// Calls `fn(pointer)` with `data` cast to the C++ type of `type`.
template <typename F>
static void withIntType(const void *data, GemmIntType type, F fn) {
  switch (type) {
  case GemmIntType::I8:
    return fn(static_cast<const int8_t *>(data));
  case GemmIntType::UI8:
    return fn(static_cast<const uint8_t *>(data));
  case GemmIntType::I32:
    return fn(static_cast<const int32_t *>(data));
  }
}

void mlir::qcc::gemmInt(int64_t m, int64_t n, int64_t k, const void *a,
                        GemmIntType aType, int64_t lda, const void *b,
                        GemmIntType bType, int64_t ldb, int32_t *c, int64_t ldc,
                        WorkerPool *pool) {
  if (m <= 0 || n <= 0)
    return;
  withIntType(a, aType, [&](auto *aTyped) {
    withIntType(b, bType, [&](auto *bTyped) {
      gemmIntTyped(m, n, k, aTyped, lda, bTyped, ldb, c, ldc, pool);
    });
  });
}
