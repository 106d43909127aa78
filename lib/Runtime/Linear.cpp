//===- Linear.cpp - integer matmul and convolution --------------*- C++ -*-===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//
//
// qcc_rt_matmul (NumPy matmul: 1-D promotion, broadcast batch dimensions)
// and qcc_rt_conv (N-d, grouped, padded, strided, dilated, optional i32
// bias) on 8-bit, i16 or i32 operands, accumulating in i32 modulo 2^32 like
// the interpreter (lib/Interpreter/Kernels/Linear.cpp). Wrapping sums do
// not depend on the order of the terms, so any blocking, any thread count
// and the VNNI path (Gemm.h) give bit-identical results.
//
// A convolution is im2col + GEMM per (image, group): the weights of a group
// (filters x channels*kernel) times the column matrix (channels*kernel x
// output positions), in column tiles that keep the column buffer bounded;
// 1x1 stride-1 unpadded convolutions use the input as the column matrix.
//
//===----------------------------------------------------------------------===//

#include "Gemm.h"
#include "Im2Col.h"
#include "Internal.h"

#include <stdlib.h>
#include <string.h>

using namespace qcc_rt;

namespace {

bool isLinearDtype(int64_t dtype) {
  return dtype == QCC_I8 || dtype == QCC_U8 || dtype == QCC_I16 ||
         dtype == QCC_I32;
}

int32_t runConv(qcc_rt_context *ctx, const ConvGeometry &g,
                const qcc_rt_tensor &input, const qcc_rt_tensor &weight,
                const qcc_rt_tensor *bias, const qcc_rt_tensor &output) {
  int64_t inBytes = static_cast<int64_t>(getElementSize(input.dtype));
  int64_t wBytes = static_cast<int64_t>(getElementSize(weight.dtype));
  int64_t rows = g.channelsPerGroup() * g.kernelSize;
  int64_t mg = g.filtersPerGroup();
  const char *in = static_cast<const char *>(input.data);
  const char *w = static_cast<const char *>(weight.data);
  int32_t *dst = static_cast<int32_t *>(output.data);
  bool direct = g.kernelSize == 1 && g.inSize == g.outSize;
  for (int64_t d = 0; d < g.n && direct; ++d)
    direct = g.strides[d] == 1 && g.padsBegin[d] == 0;
  void *col = nullptr;
  int64_t tile = g.outSize;
  if (!direct) {
    // Tiles of columns keep the buffer near 8 MiB.
    int64_t cap =
        (int64_t(8) << 20) / (rows * inBytes > 0 ? rows * inBytes : 1);
    tile = cap < 64 ? 64 : cap;
    if (tile > g.outSize)
      tile = g.outSize;
    col = malloc(static_cast<size_t>(rows * tile * inBytes) + 64);
    if (!col)
      return qcc_rt_set_error(ctx, QCC_ERROR_OUT_OF_MEMORY,
                              "conv: out of memory");
  }
  int32_t status = QCC_OK;
  for (int64_t group = 0; group < g.groups && status == QCC_OK; ++group) {
    const char *gw = w + group * mg * rows * wBytes;
    for (int64_t image = 0; image < g.batch && status == QCC_OK; ++image) {
      const char *img = in + image * g.channels * g.inSize * inBytes;
      int32_t *out = dst + (image * g.filters + group * mg) * g.outSize;
      if (direct) {
        status = gemm(ctx, mg, g.outSize, rows, gw, weight.dtype, rows,
                      img + group * g.channelsPerGroup() * g.inSize * inBytes,
                      input.dtype, g.inSize, out, g.outSize);
        continue;
      }
      for (int64_t j0 = 0; j0 < g.outSize && status == QCC_OK; j0 += tile) {
        int64_t j1 = j0 + tile < g.outSize ? j0 + tile : g.outSize;
        switch (inBytes) {
        case 1:
          im2col(ctx, g, static_cast<const uint8_t *>((const void *)img), group,
                 j0, j1, static_cast<uint8_t *>(col));
          break;
        case 2:
          im2col(ctx, g, static_cast<const uint16_t *>((const void *)img),
                 group, j0, j1, static_cast<uint16_t *>(col));
          break;
        default:
          im2col(ctx, g, static_cast<const uint32_t *>((const void *)img),
                 group, j0, j1, static_cast<uint32_t *>(col));
          break;
        }
        status = gemm(ctx, mg, j1 - j0, rows, gw, weight.dtype, rows, col,
                      input.dtype, j1 - j0, out + j0, g.outSize);
      }
    }
  }
  free(col);
  if (status != QCC_OK || !bias)
    return status;
  const int32_t *b = static_cast<const int32_t *>(bias->data);
  int64_t planes = g.batch * g.filters;
  parallelFor(ctx, planes, grainFor(g.outSize), [&](int64_t p0, int64_t p1) {
    for (int64_t p = p0; p < p1; ++p) {
      uint32_t add = static_cast<uint32_t>(b[p % g.filters]);
      int32_t *y = dst + p * g.outSize;
      for (int64_t j = 0; j < g.outSize; ++j)
        y[j] = static_cast<int32_t>(static_cast<uint32_t>(y[j]) + add);
    }
  });
  return QCC_OK;
}

} // namespace

extern "C" {

QCC_RT_DEFINE_KERNEL(matmul) {
  const char *name = "matmul";
  if (int32_t s = checkNumInputs(ctx, name, num_inputs, 2, 2))
    return s;
  if (int32_t s = checkTensors(ctx, name, inputs, num_inputs, output))
    return s;
  const qcc_rt_tensor &lhs = inputs[0], &rhs = inputs[1];
  if (!isLinearDtype(lhs.dtype))
    return unsupportedDtype(ctx, name, lhs.dtype);
  if (!isLinearDtype(rhs.dtype))
    return unsupportedDtype(ctx, name, rhs.dtype);
  if (output->dtype != QCC_I32)
    return unsupportedDtype(ctx, name, output->dtype);
  if (lhs.rank < 1 || rhs.rank < 1)
    return qcc_rt_set_error(ctx, QCC_ERROR_RUNTIME, "matmul: rank-0 operand");
  // Promote 1-D operands to matrices.
  int64_t a[kMaxRank + 1], b[kMaxRank + 1], ra = lhs.rank, rb = rhs.rank;
  if (ra == 1) {
    a[0] = 1, a[1] = lhs.shape[0], ra = 2;
  } else {
    memcpy(a, lhs.shape, ra * sizeof(int64_t));
  }
  if (rb == 1) {
    b[0] = rhs.shape[0], b[1] = 1, rb = 2;
  } else {
    memcpy(b, rhs.shape, rb * sizeof(int64_t));
  }
  int64_t m = a[ra - 2], k = a[ra - 1], n = b[rb - 1];
  if (b[rb - 2] != k)
    return qcc_rt_set_error(ctx, QCC_ERROR_RUNTIME,
                            "matmul: inner dimensions %lld and %lld",
                            (long long)k, (long long)b[rb - 2]);
  if (getNumElements(*output) == 0)
    return QCC_OK;
  int64_t na = ra - 2, nb = rb - 2;
  int64_t aBatches = getNumElements(a, na), bBatches = getNumElements(b, nb);
  size_t aBytes = getElementSize(lhs.dtype), bBytes = getElementSize(rhs.dtype);
  const char *pa = static_cast<const char *>(lhs.data);
  const char *pb = static_cast<const char *>(rhs.data);
  int32_t *pc = static_cast<int32_t *>(output->data);
  // No batch on the right: the left batch folds into the rows.
  if (bBatches == 1)
    return gemm(ctx, aBatches * m, n, k, pa, lhs.dtype, k, pb, rhs.dtype, n, pc,
                n);
  // Broadcast batch dimensions, aligned at the right.
  int64_t nbatch = na > nb ? na : nb;
  int64_t outBatch[kMaxRank], sa[kMaxRank], sb[kMaxRank];
  int64_t strideA = 1, strideB = 1;
  for (int64_t d = nbatch - 1; d >= 0; --d) {
    int64_t da = d - (nbatch - na), db = d - (nbatch - nb);
    int64_t sizeA = da >= 0 ? a[da] : 1, sizeB = db >= 0 ? b[db] : 1;
    if (sizeA != sizeB && sizeA != 1 && sizeB != 1)
      return qcc_rt_set_error(ctx, QCC_ERROR_RUNTIME,
                              "matmul: batch dimensions %lld and %lld",
                              (long long)sizeA, (long long)sizeB);
    outBatch[d] = sizeA > sizeB ? sizeA : sizeB;
    sa[d] = sizeA == 1 ? 0 : strideA;
    sb[d] = sizeB == 1 ? 0 : strideB;
    strideA *= sizeA;
    strideB *= sizeB;
  }
  int64_t batches = getNumElements(outBatch, nbatch);
  auto runBatch = [&](int64_t batch, qcc_rt_context *pool) {
    int64_t oa = 0, ob = 0;
    for (int64_t d = nbatch - 1, rest = batch; d >= 0; --d) {
      int64_t index = rest % outBatch[d];
      rest /= outBatch[d];
      oa += index * sa[d];
      ob += index * sb[d];
    }
    return gemm(pool, m, n, k, pa + oa * m * k * aBytes, lhs.dtype, k,
                pb + ob * k * n * bBytes, rhs.dtype, n, pc + batch * m * n, n);
  };
  // Small products, or enough of them to share out (attention's per-head
  // products), run whole on one thread each; a few big ones use every
  // thread each.
  int64_t threads = ctx->numThreads > 1 ? ctx->numThreads : 1;
  if (m * n * k < (int64_t(1) << 20) || batches >= 4 * threads) {
    int32_t status = QCC_OK;
    parallelFor(ctx, batches, grainFor(m * n * k / 4 + 1),
                [&](int64_t b0, int64_t b1) {
                  for (int64_t bt = b0; bt < b1; ++bt)
                    if (runBatch(bt, nullptr) != QCC_OK)
                      __atomic_store_n(&status, QCC_ERROR_OUT_OF_MEMORY,
                                       __ATOMIC_RELAXED);
                });
    if (status != QCC_OK)
      return qcc_rt_set_error(ctx, status, "matmul: out of memory");
    return QCC_OK;
  }
  for (int64_t bt = 0; bt < batches; ++bt)
    if (int32_t s = runBatch(bt, ctx))
      return s;
  return QCC_OK;
}

QCC_RT_DEFINE_KERNEL(conv) {
  const char *name = "conv";
  if (int32_t s = checkNumInputs(ctx, name, num_inputs, 2, 3))
    return s;
  if (int32_t s = checkTensors(ctx, name, inputs, num_inputs, output))
    return s;
  const qcc_rt_tensor &input = inputs[0], &weight = inputs[1];
  if (!isLinearDtype(input.dtype))
    return unsupportedDtype(ctx, name, input.dtype);
  if (!isLinearDtype(weight.dtype))
    return unsupportedDtype(ctx, name, weight.dtype);
  if (output->dtype != QCC_I32 ||
      (num_inputs > 2 && inputs[2].dtype != QCC_I32))
    return unsupportedDtype(ctx, name, output->dtype);
  if (weight.rank != input.rank)
    return qcc_rt_set_error(ctx, QCC_ERROR_RUNTIME,
                            "conv: weight rank %lld, input rank %lld",
                            (long long)weight.rank, (long long)input.rank);
  ConvGeometry g;
  if (int32_t s =
          parseConvGeometry(ctx, name, input, weight.shape, *output, attrs, g))
    return s;
  if (getNumElements(*output) == 0)
    return QCC_OK;
  return runConv(ctx, g, input, weight, num_inputs > 2 ? &inputs[2] : nullptr,
                 *output);
}

} // extern "C"
