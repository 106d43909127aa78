//===- Common.cpp - element types, broadcasting, shared checks --*- C++ -*-===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//

#include "Internal.h"

#include <stdlib.h>
#include <string.h>
#if defined(__x86_64__)
#include <cpuid.h>
#include <emmintrin.h>
#endif

using namespace qcc_rt;

size_t qcc_rt::getElementSize(int64_t dtype) {
  switch (dtype) {
  case QCC_F32:
  case QCC_I32:
    return 4;
  case QCC_I64:
    return 8;
  case QCC_I16:
    return 2;
  case QCC_I8:
  case QCC_U8:
  case QCC_BOOL:
    return 1;
  default:
    return 0;
  }
}

const char *qcc_rt::getDtypeName(int64_t dtype) {
  switch (dtype) {
  case QCC_F32:
    return "f32";
  case QCC_I64:
    return "i64";
  case QCC_I32:
    return "i32";
  case QCC_I16:
    return "i16";
  case QCC_I8:
    return "i8";
  case QCC_U8:
    return "u8";
  case QCC_BOOL:
    return "bool";
  default:
    return "unknown";
  }
}

bool qcc_rt::isIntegerDtype(int64_t dtype) {
  return dtype != QCC_F32 && getElementSize(dtype) != 0;
}

int64_t qcc_rt::getNumElements(const int64_t *shape, int64_t rank) {
  int64_t n = 1;
  for (int64_t d = 0; d < rank; ++d)
    n *= shape[d];
  return n;
}

void qcc_rt::getStrides(const int64_t *shape, int64_t rank, int64_t *strides) {
  int64_t s = 1;
  for (int64_t d = rank - 1; d >= 0; --d) {
    strides[d] = s;
    s *= shape[d];
  }
}

void qcc_rt::getRange(int64_t dtype, int64_t *lo, int64_t *hi) {
  switch (dtype) {
  case QCC_I8:
    *lo = INT8_MIN, *hi = INT8_MAX;
    return;
  case QCC_U8:
    *lo = 0, *hi = UINT8_MAX;
    return;
  case QCC_I16:
    *lo = INT16_MIN, *hi = INT16_MAX;
    return;
  case QCC_I32:
    *lo = INT32_MIN, *hi = INT32_MAX;
    return;
  case QCC_BOOL:
    *lo = 0, *hi = 1;
    return;
  default:
    *lo = INT64_MIN, *hi = INT64_MAX;
    return;
  }
}

void qcc_rt::loadInt64(const qcc_rt_tensor &t, int64_t begin, int64_t n,
                       int64_t *dst) {
  dispatchInt(t.dtype, [&](auto tag) {
    using S = typename decltype(tag)::type;
    const S *src = static_cast<const S *>(t.data) + begin;
    for (int64_t i = 0; i < n; ++i)
      dst[i] = static_cast<int64_t>(src[i]);
  });
}

void qcc_rt::loadInt32(const qcc_rt_tensor &t, int64_t begin, int64_t n,
                       int32_t *dst) {
  dispatchInt(t.dtype, [&](auto tag) {
    using S = typename decltype(tag)::type;
    const S *src = static_cast<const S *>(t.data) + begin;
    for (int64_t i = 0; i < n; ++i)
      dst[i] = static_cast<int32_t>(src[i]);
  });
}

void qcc_rt::storeInt64(const qcc_rt_tensor &t, int64_t begin, int64_t n,
                        const int64_t *src) {
  dispatchInt(t.dtype, [&](auto tag) {
    using R = typename decltype(tag)::type;
    R *dst = static_cast<R *>(t.data) + begin;
    for (int64_t i = 0; i < n; ++i)
      dst[i] = static_cast<R>(src[i]);
  });
}

//===----------------------------------------------------------------------===//
// Broadcasting
//===----------------------------------------------------------------------===//

int64_t BroadcastPlan::getNumRows() const {
  int64_t rows = 1;
  for (int64_t d = 0; d + 1 < rank; ++d)
    rows *= shape[d];
  return rows;
}

void BroadcastPlan::getRowOffsets(int64_t row, int64_t *offsets) const {
  for (int64_t i = 0; i < numOperands; ++i)
    offsets[i] = 0;
  for (int64_t d = rank - 2; d >= 0; --d) {
    int64_t index = row % shape[d];
    row /= shape[d];
    for (int64_t i = 0; i < numOperands; ++i)
      offsets[i] += index * strides[i][d];
  }
}

bool qcc_rt::planBroadcast(qcc_rt_context *ctx, const char *kernel,
                           const qcc_rt_tensor &out,
                           const qcc_rt_tensor *operands, int64_t count,
                           BroadcastPlan *plan) {
  int64_t rank = out.rank;
  if (rank > kMaxRank) {
    qcc_rt_set_error(ctx, QCC_ERROR_RUNTIME, "%s: rank %lld above %lld", kernel,
                     (long long)rank, (long long)kMaxRank);
    return false;
  }
  // Per operand, its strides aligned to the output's dimensions.
  int64_t aligned[3][kMaxRank];
  for (int64_t i = 0; i < count; ++i) {
    const qcc_rt_tensor &t = operands[i];
    int64_t own[kMaxRank];
    if (t.rank > rank) {
      qcc_rt_set_error(ctx, QCC_ERROR_RUNTIME,
                       "%s: operand %lld of rank %lld does not broadcast to "
                       "rank %lld",
                       kernel, (long long)i, (long long)t.rank,
                       (long long)rank);
      return false;
    }
    getStrides(t.shape, t.rank, own);
    int64_t offset = rank - t.rank;
    for (int64_t d = 0; d < rank; ++d) {
      int64_t size = d < offset ? 1 : t.shape[d - offset];
      if (size != 1 && size != out.shape[d]) {
        qcc_rt_set_error(ctx, QCC_ERROR_RUNTIME,
                         "%s: dimension %lld of operand %lld is %lld, not 1 "
                         "or %lld",
                         kernel, (long long)(d - offset), (long long)i,
                         (long long)size, (long long)out.shape[d]);
        return false;
      }
      aligned[i][d] = size == 1 ? 0 : own[d - offset];
    }
  }
  // Drop unit dimensions; merge a dimension into the previous one when
  // every operand walks both as one.
  plan->numOperands = count;
  plan->rank = 0;
  for (int64_t d = 0; d < rank; ++d) {
    int64_t size = out.shape[d];
    if (size == 1)
      continue;
    int64_t r = plan->rank;
    bool merge = r > 0;
    for (int64_t i = 0; i < count && merge; ++i)
      merge = plan->strides[i][r - 1] == aligned[i][d] * size;
    if (merge) {
      plan->shape[r - 1] *= size;
      for (int64_t i = 0; i < count; ++i)
        plan->strides[i][r - 1] = aligned[i][d];
      continue;
    }
    plan->shape[r] = size;
    for (int64_t i = 0; i < count; ++i)
      plan->strides[i][r] = aligned[i][d];
    ++plan->rank;
  }
  if (plan->rank == 0) {
    plan->rank = 1;
    plan->shape[0] = 1;
    for (int64_t i = 0; i < count; ++i)
      plan->strides[i][0] = 0;
  }
  return true;
}

namespace {

#if defined(__x86_64__)
/// Transposes a 16 x 16 block of bytes: to[u * toStride + t] =
/// from[t * fromStride + u]. SSE2 (every x86-64): four rounds of unpacks
/// of 8-, 16-, 32- and 64-bit elements.
void transpose16x16(const uint8_t *from, int64_t fromStride, uint8_t *to,
                    int64_t toStride) {
  __m128i r[16], b[16];
  for (int t = 0; t < 16; ++t)
    r[t] = _mm_loadu_si128(
        reinterpret_cast<const __m128i *>(from + t * fromStride));
  // b[k]: (r[2k][u], r[2k+1][u]) for u < 8; b[k + 8]: for u >= 8.
  for (int k = 0; k < 8; ++k) {
    b[k] = _mm_unpacklo_epi8(r[2 * k], r[2 * k + 1]);
    b[k + 8] = _mm_unpackhi_epi8(r[2 * k], r[2 * k + 1]);
  }
  // r[4g + m]: rows 4m..4m+3 of columns u in [4g, 4g + 4).
  for (int h = 0; h < 2; ++h)
    for (int m = 0; m < 4; ++m) {
      r[8 * h + m] = _mm_unpacklo_epi16(b[8 * h + 2 * m], b[8 * h + 2 * m + 1]);
      r[8 * h + m + 4] =
          _mm_unpackhi_epi16(b[8 * h + 2 * m], b[8 * h + 2 * m + 1]);
    }
  // b[4g + 0/1]: rows 0..7 of columns 4g, 4g+1 / 4g+2, 4g+3; b[4g + 2/3]:
  // the same for rows 8..15.
  for (int g = 0; g < 4; ++g) {
    b[4 * g] = _mm_unpacklo_epi32(r[4 * g], r[4 * g + 1]);
    b[4 * g + 1] = _mm_unpackhi_epi32(r[4 * g], r[4 * g + 1]);
    b[4 * g + 2] = _mm_unpacklo_epi32(r[4 * g + 2], r[4 * g + 3]);
    b[4 * g + 3] = _mm_unpackhi_epi32(r[4 * g + 2], r[4 * g + 3]);
  }
  for (int g = 0; g < 4; ++g) {
    __m128i col[4] = {_mm_unpacklo_epi64(b[4 * g], b[4 * g + 2]),
                      _mm_unpackhi_epi64(b[4 * g], b[4 * g + 2]),
                      _mm_unpacklo_epi64(b[4 * g + 1], b[4 * g + 3]),
                      _mm_unpackhi_epi64(b[4 * g + 1], b[4 * g + 3])};
    for (int u = 0; u < 4; ++u)
      _mm_storeu_si128(reinterpret_cast<__m128i *>(to + (4 * g + u) * toStride),
                       col[u]);
  }
}
#endif

/// to[i * cols + j] = from[i + j * stride] for i < rows, j < cols: one
/// byte matrix transposed, in 16 x 16 blocks where they fit.
void transposeBytes(const uint8_t *from, int64_t stride, int64_t rows,
                    int64_t cols, uint8_t *to) {
  int64_t i0 = 0, j0 = 0;
#if defined(__x86_64__)
  for (i0 = 0; i0 + 16 <= rows; i0 += 16)
    for (j0 = 0; j0 + 16 <= cols; j0 += 16)
      transpose16x16(from + i0 + j0 * stride, stride, to + i0 * cols + j0,
                     cols);
  // The columns past the last whole block, for the rows done so far.
  for (int64_t i = 0; i < i0; ++i)
    for (int64_t j = cols - cols % 16; j < cols; ++j)
      to[i * cols + j] = from[i + j * stride];
#endif
  for (int64_t i = i0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j)
      to[i * cols + j] = from[i + j * stride];
}

} // namespace

void qcc_rt::stridedCopy(qcc_rt_context *ctx, const int64_t *shape,
                         int64_t rank, const int64_t *srcStrides, int64_t base,
                         const void *src, void *dst, size_t bytes) {
  // Drop unit dimensions and merge neighbours the source walks as one.
  int64_t sizes[kMaxRank], strides[kMaxRank], n = 0;
  for (int64_t d = 0; d < rank; ++d) {
    if (shape[d] == 0)
      return;
    if (shape[d] == 1)
      continue;
    if (n > 0 && strides[n - 1] == srcStrides[d] * shape[d]) {
      sizes[n - 1] *= shape[d];
      strides[n - 1] = srcStrides[d];
      continue;
    }
    sizes[n] = shape[d];
    strides[n] = srcStrides[d];
    ++n;
  }
  if (n == 0) {
    sizes[0] = 1;
    strides[0] = 0;
    n = 1;
  }
  int64_t inner = sizes[n - 1], innerStride = strides[n - 1];
  int64_t rows = getNumElements(sizes, n) / inner;
  // Bytes whose last two dimensions are a transposed matrix (the source's
  // rows are the next-to-last dimension, stride 1): blocked transposes,
  // one matrix per task.
  if (bytes == 1 && n >= 2 && strides[n - 2] == 1 && innerStride != 1 &&
      sizes[n - 2] >= 16 && inner >= 16) {
    int64_t matRows = sizes[n - 2];
    int64_t matrices = rows / matRows;
    const auto *in = static_cast<const uint8_t *>(src);
    auto *out = static_cast<uint8_t *>(dst);
    parallelFor(ctx, matrices, grainFor(matRows * inner),
                [&](int64_t m0, int64_t m1) {
                  for (int64_t m = m0; m < m1; ++m) {
                    int64_t offset = base;
                    for (int64_t d = n - 3, rest = m; d >= 0; --d) {
                      offset += (rest % sizes[d]) * strides[d];
                      rest /= sizes[d];
                    }
                    transposeBytes(in + offset, innerStride, matRows, inner,
                                   out + m * matRows * inner);
                  }
                });
    return;
  }
  auto copy = [&](auto tag) {
    using U = typename decltype(tag)::type;
    const U *in = static_cast<const U *>(src);
    U *out = static_cast<U *>(dst);
    parallelFor(ctx, rows, grainFor(inner), [&](int64_t r0, int64_t r1) {
      for (int64_t row = r0; row < r1; ++row) {
        int64_t offset = base;
        for (int64_t d = n - 2, rest = row; d >= 0; --d) {
          offset += (rest % sizes[d]) * strides[d];
          rest /= sizes[d];
        }
        const U *from = in + offset;
        U *to = out + row * inner;
        if (innerStride == 1)
          memcpy(to, from, inner * sizeof(U));
        else
          for (int64_t j = 0; j < inner; ++j)
            to[j] = from[j * innerStride];
      }
    });
  };
  switch (bytes) {
  case 8:
    copy(TypeTag<uint64_t>{});
    break;
  case 4:
    copy(TypeTag<uint32_t>{});
    break;
  case 2:
    copy(TypeTag<uint16_t>{});
    break;
  default:
    copy(TypeTag<uint8_t>{});
    break;
  }
}

//===----------------------------------------------------------------------===//
// Checks
//===----------------------------------------------------------------------===//

int32_t qcc_rt::checkNumInputs(qcc_rt_context *ctx, const char *kernel,
                               int64_t numInputs, int64_t lo, int64_t hi) {
  if (numInputs >= lo && numInputs <= hi)
    return QCC_OK;
  return qcc_rt_set_error(ctx, QCC_ERROR_RUNTIME,
                          "%s: %lld inputs, expected %lld to %lld", kernel,
                          (long long)numInputs, (long long)lo, (long long)hi);
}

namespace {
int32_t checkTensor(qcc_rt_context *ctx, const char *kernel,
                    const qcc_rt_tensor &t, const char *what, int64_t index) {
  if (getElementSize(t.dtype) == 0)
    return qcc_rt_set_error(ctx, QCC_ERROR_RUNTIME,
                            "%s: %s %lld has unknown dtype %lld", kernel, what,
                            (long long)index, (long long)t.dtype);
  if (t.rank < 0 || t.rank > kMaxRank || (t.rank > 0 && !t.shape))
    return qcc_rt_set_error(
        ctx, QCC_ERROR_RUNTIME, "%s: %s %lld has rank %lld (at most %lld)",
        kernel, what, (long long)index, (long long)t.rank, (long long)kMaxRank);
  for (int64_t d = 0; d < t.rank; ++d)
    if (t.shape[d] < 0)
      return qcc_rt_set_error(ctx, QCC_ERROR_RUNTIME,
                              "%s: %s %lld has a negative dimension", kernel,
                              what, (long long)index);
  if (!t.data && getNumElements(t) > 0)
    return qcc_rt_set_error(ctx, QCC_ERROR_RUNTIME, "%s: %s %lld has no data",
                            kernel, what, (long long)index);
  return QCC_OK;
}
} // namespace

int32_t qcc_rt::checkTensors(qcc_rt_context *ctx, const char *kernel,
                             const qcc_rt_tensor *inputs, int64_t numInputs,
                             const qcc_rt_tensor *output) {
  if (!output || (numInputs > 0 && !inputs))
    return qcc_rt_set_error(ctx, QCC_ERROR_RUNTIME, "%s: null tensor list",
                            kernel);
  for (int64_t i = 0; i < numInputs; ++i)
    if (int32_t status = checkTensor(ctx, kernel, inputs[i], "input", i))
      return status;
  return checkTensor(ctx, kernel, *output, "output", 0);
}

int32_t qcc_rt::unsupportedDtype(qcc_rt_context *ctx, const char *kernel,
                                 int64_t dtype) {
  if (dtype == QCC_F32)
    return qcc_rt_set_error(ctx, QCC_ERROR_RUNTIME,
                            "%s: unsupported element type f32 (the runtime "
                            "is integer-only: only quantize and dequantize "
                            "take floating point)",
                            kernel);
  return qcc_rt_set_error(ctx, QCC_ERROR_RUNTIME,
                          "%s: unsupported element type %s", kernel,
                          getDtypeName(dtype));
}

ContextScratch::ContextScratch(qcc_rt_context *ctx, size_t bytes) {
  bytes = (bytes + 63) / 64 * 64;
  if (bytes == 0)
    bytes = 64;
  if (!ctx) {
    memory = aligned_alloc(64, bytes);
    owned = true;
    return;
  }
  if (ctx->scratchBytes < bytes) {
    free(ctx->scratch);
    ctx->scratchBytes = 0;
    ctx->scratch = aligned_alloc(64, bytes);
    if (ctx->scratch)
      ctx->scratchBytes = bytes;
  }
  memory = ctx->scratch;
}

ContextScratch::~ContextScratch() {
  if (owned)
    free(memory);
}

namespace {

/// CPUID and XGETBV directly (no libgcc __cpu_model): AVX-512 F, BW, VL and
/// (when `needVnni`) VNNI, with the OS saving the opmask and zmm state.
bool detectAvx512(bool needVnni) {
#if defined(__x86_64__)
  unsigned a, b, c, d;
  if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & (1u << 27))) // OSXSAVE
    return false;
  unsigned lo, hi;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  if ((lo & 0xe6) != 0xe6) // SSE, AVX, opmask, zmm state
    return false;
  if (__get_cpuid_max(0, nullptr) < 7)
    return false;
  __cpuid_count(7, 0, a, b, c, d);
  bool f = b & (1u << 16), bw = b & (1u << 30), vl = b & (1u << 31);
  bool vnni = c & (1u << 11);
  return f && bw && vl && (vnni || !needVnni);
#else
  return false;
#endif
}

bool detectVbmi() {
#if defined(__x86_64__)
  unsigned a, b, c, d;
  if (__get_cpuid_max(0, nullptr) < 7)
    return false;
  __cpuid_count(7, 0, a, b, c, d);
  return c & (1u << 1);
#else
  return false;
#endif
}

} // namespace

bool qcc_rt::useVbmi() {
  if (!useVnni())
    return false;
  static int cached = 0;
  int state = __atomic_load_n(&cached, __ATOMIC_RELAXED);
  if (state == 0) {
    state = detectVbmi() ? 2 : 1;
    __atomic_store_n(&cached, state, __ATOMIC_RELAXED);
  }
  return state == 2;
}

namespace {
/// Whether the AVX-512 paths are disabled by QCC_DISABLE_VNNI.
bool disabledByEnv() {
  const char *env = getenv("QCC_DISABLE_VNNI");
  return env && *env && strcmp(env, "0") != 0;
}

/// detectAvx512(needVnni), computed once: 0 unknown, 1 no, 2 yes (racing
/// first calls compute the same value).
bool cachedDetect(int *cached, bool needVnni) {
  int state = __atomic_load_n(cached, __ATOMIC_RELAXED);
  if (state == 0) {
    state = detectAvx512(needVnni) ? 2 : 1;
    __atomic_store_n(cached, state, __ATOMIC_RELAXED);
  }
  return state == 2;
}
} // namespace

bool qcc_rt::useVnni() {
  static int cached = 0;
  return !disabledByEnv() && cachedDetect(&cached, true);
}

bool qcc_rt::useAvx512() {
  static int cached = 0;
  return !disabledByEnv() && cachedDetect(&cached, false);
}

// Declared in Internal.h.
void qcc_rt::getKeepBits(const qcc_rt_tensor &mask, int64_t base,
                         int64_t length, uint16_t *bits) {
  for (int64_t w = 0; w < (length + 15) / 16; ++w)
    bits[w] = 0;
  dispatchInt(mask.dtype, [&](auto tag) {
    using M = typename decltype(tag)::type;
    const M *m = static_cast<const M *>(mask.data) + base;
    for (int64_t j = 0; j < length; ++j)
      if (m[j] != 0)
        bits[j / 16] = static_cast<uint16_t>(bits[j / 16] | (1u << (j % 16)));
  });
}
