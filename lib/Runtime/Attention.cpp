//===- Attention.cpp - fused integer attention ------------------*- C++ -*-===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//
//
// qcc_rt_attention computes, in one call, the chain the CPU lowering fuses
// (lib/Target/CPU/FuseAttention.h) from q, k, v in the [batch, seq, heads,
// head_dim] layout the projections write:
//
//   scores = matmul(transpose(q, 0 2 1 3), transpose(k, 0 2 3 1))  (i32)
//   p      = int_softmax(scores[, key_mask])                       (u8)
//   ctx    = matmul(p, transpose(v, 0 2 1 3))                      (i32)
//   out    = transpose(requant(ctx), 0 2 1 3)
//
// one (batch, head) at a time: q's and v's rows are read in place (row
// stride heads * head_dim), k's head is transposed into a small buffer,
// and the scores, probabilities and context of the head stay in a
// per-thread scratch (in cache) instead of round trips through whole
// tensors. Every step calls the code the separate kernels run (gemm(),
// the softmax rows, requantSegmentAvx512 or applyDyadic), so the results
// are bit-identical to the unfused ops and to the interpreter.
//
//===----------------------------------------------------------------------===//

#include "Gemm.h"
#include "Internal.h"
#include "NormalizeVector.h"
#include "RequantVector.h"

#include "qcc/Quant/IntegerMath.h"

#include <stdlib.h>
#include <string.h>

using namespace qcc_rt;

namespace {

bool is8Bit(int64_t dtype) { return dtype == QCC_I8 || dtype == QCC_U8; }

/// The per-tensor requant of the context (RuntimeABI.h: attrs 7-12).
struct ContextRequant {
  int64_t inZp, outZp, lo, hi;
  mlir::qcc::Dyadic d;
  int64_t multiplier, shift; // as requantSegmentAvx512 reads them
  bool vector;

  /// Row `x` (n i32 values) into `out` (n elements of `dtype`).
  void row(const int32_t *x, int64_t n, void *out, int64_t dtype) const {
    if (vector) {
      RequantOperand op = {x, QCC_I32, 0, &multiplier, &shift, false, false};
      requantSegmentAvx512(&op, 1, 0, n, 0, outZp, lo, hi, out, dtype);
      return;
    }
    for (int64_t i = 0; i < n; ++i) {
      int64_t v = mlir::qcc::applyDyadic(
          clampTo(static_cast<__int128>(x[i]) - inZp, INT64_MIN, INT64_MAX), d);
      int64_t y = clampTo(static_cast<__int128>(v) + outZp, lo, hi);
      switch (dtype) {
      case QCC_I8:
        static_cast<int8_t *>(out)[i] = static_cast<int8_t>(y);
        break;
      case QCC_U8:
        static_cast<uint8_t *>(out)[i] = static_cast<uint8_t>(y);
        break;
      case QCC_I16:
        static_cast<int16_t *>(out)[i] = static_cast<int16_t>(y);
        break;
      default:
        static_cast<int32_t *>(out)[i] = static_cast<int32_t>(y);
        break;
      }
    }
  }
};

/// dst[d * seq + j] = src[j * stride + d]: one head of k, transposed.
void transposeHead(const uint8_t *src, int64_t stride, int64_t seq, int64_t dim,
                   uint8_t *dst) {
  constexpr int64_t kBlock = 16;
  for (int64_t j0 = 0; j0 < seq; j0 += kBlock) {
    int64_t j1 = j0 + kBlock < seq ? j0 + kBlock : seq;
    for (int64_t d = 0; d < dim; ++d)
      for (int64_t j = j0; j < j1; ++j)
        dst[d * seq + j] = src[j * stride + d];
  }
}

} // namespace

extern "C" {

QCC_RT_DEFINE_KERNEL(attention) {
  const char *name = "attention";
  if (int32_t s = checkNumInputs(ctx, name, num_inputs, 3, 4))
    return s;
  if (int32_t s = checkTensors(ctx, name, inputs, num_inputs, output))
    return s;
  if (!attrs)
    return qcc_rt_set_error(ctx, QCC_ERROR_RUNTIME, "%s: no attrs", name);
  const qcc_rt_tensor &q = inputs[0], &k = inputs[1], &v = inputs[2];
  const qcc_rt_tensor *mask = num_inputs > 3 ? &inputs[3] : nullptr;
  for (const qcc_rt_tensor *t : {&q, &k, &v})
    if (!is8Bit(t->dtype))
      return unsupportedDtype(ctx, name, t->dtype);
  int64_t outDtype = output->dtype;
  if (!is8Bit(outDtype) && outDtype != QCC_I16 && outDtype != QCC_I32)
    return unsupportedDtype(ctx, name, outDtype);
  if (mask && !isIntegerDtype(mask->dtype))
    return unsupportedDtype(ctx, name, mask->dtype);
  // q [B, Sq, H, D], k and v [B, Sk, H, D], out like q, mask [B, Sk].
  if (q.rank != 4 || k.rank != 4 || v.rank != 4 || output->rank != 4)
    return qcc_rt_set_error(ctx, QCC_ERROR_RUNTIME,
                            "%s: q, k, v and the output must have rank 4",
                            name);
  int64_t batch = q.shape[0], sq = q.shape[1], heads = q.shape[2],
          dim = q.shape[3], sk = k.shape[1];
  for (int64_t d = 0; d < 4; ++d)
    if (k.shape[d] != v.shape[d] || output->shape[d] != q.shape[d] ||
        (d != 1 && k.shape[d] != q.shape[d]))
      return qcc_rt_set_error(ctx, QCC_ERROR_RUNTIME,
                              "%s: q, k, v or output shapes disagree", name);
  if (mask && getNumElements(*mask) != batch * sk)
    return qcc_rt_set_error(
        ctx, QCC_ERROR_RUNTIME, "%s: key_mask of %lld elements, expected %lld",
        name, (long long)getNumElements(*mask), (long long)(batch * sk));
  if (getNumElements(*output) == 0 || sk == 0)
    return QCC_OK;

  // attrs 0-6: int_softmax's; 7-12: the requant's input and output zero
  // points, min, max, multiplier, shift.
  mlir::qcc::IntSoftmaxParams params = readSoftmaxParams(attrs);
  ContextRequant rq;
  rq.inZp = attrs[7];
  rq.outZp = attrs[8];
  getRange(outDtype, &rq.lo, &rq.hi);
  rq.lo = attrs[9] > rq.lo ? attrs[9] : rq.lo;
  rq.hi = attrs[10] < rq.hi ? attrs[10] : rq.hi;
  rq.multiplier = attrs[11];
  rq.shift = attrs[12];
  rq.d = {static_cast<int32_t>(attrs[11]), static_cast<int32_t>(attrs[12])};
  bool vnni = useVnni();
  // requantSegmentAvx512's domain (Integer.cpp's vectorApplies for an i32
  // operand without zero point).
  rq.vector = vnni && rq.inZp == 0 && rq.shift >= 0 && rq.shift <= 62 &&
              rq.multiplier >= INT32_MIN && rq.multiplier <= INT32_MAX &&
              rq.outZp >= -(int64_t(1) << 61) && rq.outZp <= (int64_t(1) << 61);
  bool vectorRows = vnni && softmaxVectorizable(params, sk);
  bool checkSpread = params.inputBits < 32;

  int64_t rowStride = heads * dim;
  // The VNNI path packs k's head by gathers and multiplies in place (signed
  // k and v, whole groups of four in q's rows); otherwise gemm() on k's
  // head transposed into a buffer.
  bool packed = vnni && k.dtype == QCC_I8 && v.dtype == QCC_I8 && dim % 4 == 0;
  int64_t sk4 = (sk + 3) / 4 * 4, sk16 = (sk + 15) / 16 * 16,
          dim16 = (dim + 15) / 16 * 16;
  size_t outBytes = getElementSize(outDtype);
  // Per thread: scores, context, softmax exponents, probabilities (rows of
  // sk4 bytes, zero padded), k's head (packed or transposed), its column
  // corrections, v's head packed and its corrections, the requantized head,
  // keep bits and bytes.
  size_t sizes[] = {static_cast<size_t>(sq * sk) * 4,
                    static_cast<size_t>(sq * dim) * 4,
                    static_cast<size_t>(sk) * 4,
                    static_cast<size_t>(sq * sk4),
                    static_cast<size_t>(sk16 * dim),
                    static_cast<size_t>(sk16) * 4,
                    packed ? static_cast<size_t>(dim16 * sk4) : 0,
                    static_cast<size_t>(dim16) * 4,
                    static_cast<size_t>(sq * dim) * outBytes,
                    static_cast<size_t>((sk + 15) / 16) * 2,
                    static_cast<size_t>(sk)};
  constexpr int kParts = sizeof(sizes) / sizeof(sizes[0]);
  size_t offsets[kParts + 1] = {0};
  for (int i = 0; i < kParts; ++i)
    offsets[i + 1] = offsets[i] + (sizes[i] + 63) / 64 * 64;
  int64_t badRow = batch * heads * sq;
  bool failed = false;
  parallelFor(ctx, batch * heads, 1, [&](int64_t t0, int64_t t1) {
    auto *memory = static_cast<uint8_t *>(aligned_alloc(64, offsets[kParts]));
    if (!memory) {
      __atomic_store_n(&failed, true, __ATOMIC_RELAXED);
      return;
    }
    auto *scores = reinterpret_cast<int32_t *>(memory + offsets[0]);
    auto *context = reinterpret_cast<int32_t *>(memory + offsets[1]);
    auto *e16 = reinterpret_cast<int32_t *>(memory + offsets[2]);
    uint8_t *prob = memory + offsets[3];
    uint8_t *key = memory + offsets[4];
    auto *keyCorr = reinterpret_cast<int32_t *>(memory + offsets[5]);
    uint8_t *value = memory + offsets[6];
    auto *valueCorr = reinterpret_cast<int32_t *>(memory + offsets[7]);
    uint8_t *staged = memory + offsets[8];
    auto *keepBits = reinterpret_cast<uint16_t *>(memory + offsets[9]);
    uint8_t *keep = memory + offsets[10];
    int64_t probStride = packed ? sk4 : sk;
    memset(prob, 0, sizes[3]);
    int64_t keepBatch = -1;
    for (int64_t task = t0; task < t1; ++task) {
      int64_t b = task / heads, h = task % heads;
      if (mask && b != keepBatch) {
        keepBatch = b;
        getKeepBits(*mask, b * sk, sk, keepBits);
        for (int64_t j = 0; j < sk; ++j)
          keep[j] = (keepBits[j / 16] >> (j % 16)) & 1;
      }
      const auto *qHead =
          static_cast<const uint8_t *>(q.data) + (b * sq * heads + h) * dim;
      const auto *kHead =
          static_cast<const uint8_t *>(k.data) + (b * sk * heads + h) * dim;
      const auto *vHead =
          static_cast<const uint8_t *>(v.data) + (b * sk * heads + h) * dim;
      if (packed) {
        // q + 128 is unsigned for i8 q; corr takes 128 * (sum of k's row)
        // off again (ALGORITHMS.md §6).
        bool flip = q.dtype == QCC_I8;
        packRowsVnni(kHead, rowStride, sk, dim / 4, flip ? -128 : 0, key,
                     keyCorr);
        productVnni(sq, sk, dim / 4, qHead, rowStride, flip ? 0x80808080u : 0u,
                    true, key, keyCorr, scores, sk);
      } else {
        transposeHead(kHead, rowStride, sk, dim, key);
        if (gemm(nullptr, sq, sk, dim, qHead, q.dtype, rowStride, key, k.dtype,
                 sk, scores, sk) != QCC_OK) {
          __atomic_store_n(&failed, true, __ATOMIC_RELAXED);
          break;
        }
      }
      for (int64_t i = 0; i < sq; ++i) {
        int64_t row = task * sq + i;
        const int32_t *s = scores + i * sk;
        uint8_t *p = prob + i * probStride;
        if (vectorRows) {
          int64_t spread = softmaxRowAvx512(
              QCC_I32, s, 0, sk, mask ? keepBits : nullptr, params, e16, p);
          if (checkSpread && spread >= (int64_t(1) << params.inputBits))
            __atomic_fetch_min(&badRow, row, __ATOMIC_RELAXED);
          continue;
        }
        const uint8_t *kept = mask ? keep : nullptr;
        if (checkSpread &&
            !mlir::qcc::rowSpreadFits(s, kept, sk, params.inputBits))
          __atomic_fetch_min(&badRow, row, __ATOMIC_RELAXED);
        mlir::qcc::intSoftmaxRow(s, kept, sk, params, p);
      }
      if (packed) {
        packColumnsVnni(vHead, rowStride, sk, dim, true, 0, value, valueCorr);
        productVnni(sq, dim, sk4 / 4, prob, sk4, 0, true, value, valueCorr,
                    context, dim);
      } else if (gemm(nullptr, sq, dim, sk, prob, QCC_U8, sk, vHead, v.dtype,
                      rowStride, context, dim) != QCC_OK) {
        __atomic_store_n(&failed, true, __ATOMIC_RELAXED);
        break;
      }
      // The head's context in one pass, then its rows to their places.
      rq.row(context, sq * dim, staged, outDtype);
      auto *out = static_cast<uint8_t *>(output->data);
      size_t rowBytes = static_cast<size_t>(dim) * outBytes;
      for (int64_t i = 0; i < sq; ++i)
        memcpy(out + ((b * sq + i) * heads + h) * rowBytes,
               staged + i * rowBytes, rowBytes);
    }
    free(memory);
  });
  if (failed)
    return qcc_rt_set_error(ctx, QCC_ERROR_OUT_OF_MEMORY, "%s: out of memory",
                            name);
  if (badRow < batch * heads * sq)
    return softmaxSpreadError(ctx, badRow, params);
  return QCC_OK;
}

} // extern "C"
