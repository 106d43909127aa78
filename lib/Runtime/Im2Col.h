//===- Im2Col.h - convolution geometry and im2col ---------------*- C++ -*-===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//
//
// Shared by qcc_rt_conv (Linear.cpp) and the fused qcc_rt_linear
// (FusedLinear.cpp): the geometry of an N-d NCHW convolution read from the
// conv attrs of RuntimeABI.h, and the column matrix of one image and group.
//
//===----------------------------------------------------------------------===//

#ifndef QCC_LIB_RUNTIME_IM2COL_H
#define QCC_LIB_RUNTIME_IM2COL_H

#include "Internal.h"

namespace qcc_rt {

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
inline void im2colRows(const ConvGeometry &g, const T *image, int64_t group,
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
        int64_t i =
            o * g.strides[d] - g.padsBegin[d] + kpos[d] * g.dilations[d];
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
inline void im2col(qcc_rt_context *ctx, const ConvGeometry &g, const T *image,
                   int64_t group, int64_t j0, int64_t j1, T *col) {
  int64_t rows = g.channelsPerGroup() * g.kernelSize;
  parallelFor(ctx, rows, grainFor(j1 - j0), [&](int64_t r0, int64_t r1) {
    im2colRows(g, image, group, j0, j1, r0, r1, col);
  });
}

/// Fills `g` from the conv attrs (group, [n] strides, [2n] pads, [n]
/// dilations), the input and output shapes and the weight shape (filters,
/// channels per group, kernel...; rank = input rank). QCC_ERROR_RUNTIME
/// with a message naming `kernel` when they are inconsistent.
inline int32_t parseConvGeometry(qcc_rt_context *ctx, const char *kernel,
                                 const qcc_rt_tensor &input,
                                 const int64_t *weightShape,
                                 const qcc_rt_tensor &output,
                                 const int64_t *attrs, ConvGeometry &g) {
  g.n = input.rank - 2;
  int64_t n = g.n;
  if (n < 1 || !attrs || output.rank != input.rank || attrs[1] != n ||
      attrs[2 + n] != 2 * n || attrs[3 + 3 * n] != n)
    return qcc_rt_set_error(ctx, QCC_ERROR_RUNTIME,
                            "%s: attrs do not match rank %lld", kernel,
                            (long long)input.rank);
  g.groups = attrs[0];
  g.strides = attrs + 2;
  g.padsBegin = attrs + 3 + n;
  g.dilations = attrs + 4 + 3 * n;
  g.inSp = input.shape + 2;
  g.outSp = output.shape + 2;
  g.kernel = weightShape + 2;
  getStrides(g.inSp, n, g.inStrides);
  g.batch = input.shape[0];
  g.channels = input.shape[1];
  g.filters = weightShape[0];
  g.inSize = getNumElements(g.inSp, n);
  g.outSize = getNumElements(g.outSp, n);
  g.kernelSize = getNumElements(g.kernel, n);
  if (g.groups < 1 || g.channels % g.groups || g.filters % g.groups ||
      weightShape[1] != g.channels / g.groups || output.shape[0] != g.batch ||
      output.shape[1] != g.filters)
    return qcc_rt_set_error(ctx, QCC_ERROR_RUNTIME,
                            "%s: %lld channels, %lld filters of %lld, %lld "
                            "groups",
                            kernel, (long long)g.channels, (long long)g.filters,
                            (long long)weightShape[1], (long long)g.groups);
  return QCC_OK;
}

} // namespace qcc_rt

#endif // QCC_LIB_RUNTIME_IM2COL_H
