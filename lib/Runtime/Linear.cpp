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
#include "Internal.h"

#include <stdlib.h>
#include <string.h>

using namespace qcc_rt;

namespace {

bool isLinearDtype(int64_t dtype) {
  return dtype == QCC_I8 || dtype == QCC_U8 || dtype == QCC_I16 ||
         dtype == QCC_I32;
}

//===----------------------------------------------------------------------===//
// im2col
//===----------------------------------------------------------------------===//

struct ConvGeometry {
  int64_t n = 0; // spatial rank
  const int64_t *inSp, *outSp, *kernel, *strides, *padsBegin, *dilations;
  int64_t inStrides[kMaxRank];
  int64_t batch, channels, filters, groups;
  int64_t inSize, outSize, kernelSize;
  int64_t channelsPerGroup() const { return channels / groups; }
  int64_t filtersPerGroup() const { return filters / groups; }
};

/// col[r][j - j0] for rows r in [r0, r1) (= channel of the group, kernel
/// position) and output positions j in [j0, j1) of one image; zero for
/// padding.
template <typename T>
void im2colRows(const ConvGeometry &g, const T *image, int64_t group,
                int64_t j0, int64_t j1, int64_t r0, int64_t r1, T *col) {
  int64_t n = g.n, cols = j1 - j0;
  int64_t length = g.outSp[n - 1];
  for (int64_t r = r0; r < r1; ++r) {
    int64_t channel = group * g.channelsPerGroup() + r / g.kernelSize;
    int64_t k = r % g.kernelSize;
    int64_t kpos[kMaxRank];
    for (int64_t d = n - 1; d >= 0; --d) {
      kpos[d] = k % g.kernel[d];
      k /= g.kernel[d];
    }
    const T *plane = image + channel * g.inSize;
    T *dst = col + r * cols - j0;
    int64_t s = g.strides[n - 1];
    int64_t start = kpos[n - 1] * g.dilations[n - 1] - g.padsBegin[n - 1];
    int64_t inLast = g.inSp[n - 1];
    // Output rows overlapping [j0, j1), each clipped to the tile.
    for (int64_t first = (j0 / length) * length; first < j1; first += length) {
      int64_t row = first / length;
      int64_t a = j0 > first ? j0 - first : 0;
      int64_t b = j1 - first < length ? j1 - first : length;
      bool valid = true;
      int64_t offset = 0;
      for (int64_t d = n - 2, rest = row; d >= 0; --d) {
        int64_t o = rest % g.outSp[d];
        rest /= g.outSp[d];
        int64_t i = o * g.strides[d] - g.padsBegin[d] + kpos[d] * g.dilations[d];
        valid &= i >= 0 && i < g.inSp[d];
        offset += i * g.inStrides[d];
      }
      T *out = dst + first;
      if (!valid) {
        for (int64_t p = a; p < b; ++p)
          out[p] = T(0);
        continue;
      }
      const T *in = plane + offset;
      for (int64_t p = a; p < b; ++p) {
        int64_t i = p * s + start;
        out[p] = i >= 0 && i < inLast ? in[i] : T(0);
      }
    }
  }
}

template <typename T>
void im2col(qcc_rt_context *ctx, const ConvGeometry &g, const T *image,
            int64_t group, int64_t j0, int64_t j1, T *col) {
  int64_t rows = g.channelsPerGroup() * g.kernelSize;
  parallelFor(ctx, rows, grainFor(j1 - j0), [&](int64_t r0, int64_t r1) {
    im2colRows(g, image, group, j0, j1, r0, r1, col);
  });
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
    int64_t cap = (int64_t(8) << 20) / (rows * inBytes > 0 ? rows * inBytes : 1);
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
    return gemm(ctx, aBatches * m, n, k, pa, lhs.dtype, k, pb, rhs.dtype, n,
                pc, n);
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
  // Small products run whole on one thread each; big ones use every thread.
  if (m * n * k < (int64_t(1) << 20)) {
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
  if (output->dtype != QCC_I32 || (num_inputs > 2 && inputs[2].dtype != QCC_I32))
    return unsupportedDtype(ctx, name, output->dtype);
  ConvGeometry g;
  g.n = input.rank - 2;
  int64_t n = g.n;
  if (n < 1 || !attrs || weight.rank != input.rank ||
      output->rank != input.rank || attrs[1] != n || attrs[2 + n] != 2 * n ||
      attrs[3 + 3 * n] != n)
    return qcc_rt_set_error(ctx, QCC_ERROR_RUNTIME,
                            "conv: attrs do not match rank %lld",
                            (long long)input.rank);
  g.groups = attrs[0];
  g.strides = attrs + 2;
  g.padsBegin = attrs + 3 + n;
  g.dilations = attrs + 4 + 3 * n;
  g.inSp = input.shape + 2;
  g.outSp = output->shape + 2;
  g.kernel = weight.shape + 2;
  getStrides(g.inSp, n, g.inStrides);
  g.batch = input.shape[0];
  g.channels = input.shape[1];
  g.filters = weight.shape[0];
  g.inSize = getNumElements(g.inSp, n);
  g.outSize = getNumElements(g.outSp, n);
  g.kernelSize = getNumElements(g.kernel, n);
  if (g.groups < 1 || g.channels % g.groups || g.filters % g.groups ||
      weight.shape[1] != g.channels / g.groups ||
      output->shape[1] != g.filters)
    return qcc_rt_set_error(ctx, QCC_ERROR_RUNTIME,
                            "conv: %lld channels, %lld filters of %lld, %lld "
                            "groups",
                            (long long)g.channels, (long long)g.filters,
                            (long long)weight.shape[1], (long long)g.groups);
  if (getNumElements(*output) == 0)
    return QCC_OK;
  return runConv(ctx, g, input, weight, num_inputs > 2 ? &inputs[2] : nullptr,
                 *output);
}

} // extern "C"
