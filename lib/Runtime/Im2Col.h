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

#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

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

/// out[p] = in[2 * p] for p < count, bytes (stride-2 convolutions). Reads
/// nothing past in[2 * (count - 1)].
template <typename T>
inline void copyEvenBytes(T *out, const T *in, int64_t count) {
  int64_t p = 0;
#if defined(__SSE2__)
  // Bytes at even offsets: the low byte of each 16-bit word, packed.
  const __m128i low = _mm_set1_epi16(0x00ff);
  for (; p + 16 < count; p += 16) {
    __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i *>(in + 2 * p));
    __m128i b =
        _mm_loadu_si128(reinterpret_cast<const __m128i *>(in + 2 * p + 16));
    __m128i even = _mm_packus_epi16(_mm_and_si128(a, low), _mm_and_si128(b, low));
    _mm_storeu_si128(reinterpret_cast<__m128i *>(out + p), even);
  }
#endif
  for (; p < count; ++p)
    out[p] = in[2 * p];
}

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
    if (n == 2 && g.strides[0] == 1 && s == 1 && g.outSp[0] == g.inSp[0] &&
        g.outSp[1] == g.inSp[1]) {
      // Stride 1, same size: the plane shifted by (dh, dw) over the tile's
      // positions [j0, j1), with the rows and columns that read padding
      // zeroed.
      int64_t h = g.inSp[0], w = g.inSp[1];
      int64_t dh = kpos[0] * g.dilations[0] - g.padsBegin[0], dw = start;
      T *out = dst + j0; // out[j - j0] is position j
      if (dh <= -h || dh >= h || dw <= -w || dw >= w) {
        memset(out, 0, static_cast<size_t>(cols) * sizeof(T));
        continue;
      }
      int64_t delta = dh * w + dw, size = h * w;
      auto clamp = [&](int64_t j) { return j < j0 ? j0 : j > j1 ? j1 : j; };
      int64_t lo = clamp(-delta), hi = clamp(size - delta);
      if (hi < lo)
        hi = lo;
      memset(out, 0, static_cast<size_t>(lo - j0) * sizeof(T));
      memcpy(out + (lo - j0), plane + lo + delta,
             static_cast<size_t>(hi - lo) * sizeof(T));
      memset(out + (hi - j0), 0, static_cast<size_t>(j1 - hi) * sizeof(T));
      // Rows y + dh outside the image.
      auto zero = [&](int64_t a, int64_t b) {
        a = clamp(a), b = clamp(b);
        if (b > a)
          memset(out + (a - j0), 0, static_cast<size_t>(b - a) * sizeof(T));
      };
      if (dh < 0)
        zero(0, -dh * w);
      if (dh > 0)
        zero((h - dh) * w, size);
      // Columns x + dw outside the image, in the rows the tile touches.
      if (dw != 0) {
        int64_t c0 = dw < 0 ? 0 : w - dw, c1 = dw < 0 ? -dw : w;
        for (int64_t y = j0 / w; y * w < j1; ++y)
          for (int64_t x = c0; x < c1; ++x) {
            int64_t j = y * w + x;
            if (j >= j0 && j < j1)
              out[j - j0] = T(0);
          }
      }
      continue;
    }
    // Positions p of a row reading inside it: 0 <= p * s + start < inLast.
    int64_t validLo = start >= 0 ? 0 : (s - 1 - start) / s;
    int64_t validHi = inLast > start ? (inLast - start + s - 1) / s : 0;
    // Output rows overlapping [j0, j1), each clipped to the tile.
    int64_t row = j0 / length;
    for (int64_t first = row * length; first < j1; first += length, ++row) {
      int64_t a = j0 > first ? j0 - first : 0;
      int64_t b = j1 - first < length ? j1 - first : length;
      bool valid = true;
      int64_t offset = 0;
      if (n == 2) {
        // row < outSp[0]: the tile lies within one image.
        int64_t i =
            row * g.strides[0] - g.padsBegin[0] + kpos[0] * g.dilations[0];
        valid = i >= 0 && i < g.inSp[0];
        offset = i * g.inStrides[0];
      } else {
        for (int64_t d = n - 2, rest = row; d >= 0; --d) {
          int64_t o = rest % g.outSp[d];
          rest /= g.outSp[d];
          int64_t i =
              o * g.strides[d] - g.padsBegin[d] + kpos[d] * g.dilations[d];
          valid &= i >= 0 && i < g.inSp[d];
          offset += i * g.inStrides[d];
        }
      }
      T *out = dst + first;
      if (!valid) {
        for (int64_t p = a; p < b; ++p)
          out[p] = T(0);
        continue;
      }
      int64_t lo = validLo < a ? a : validLo > b ? b : validLo;
      int64_t hi = validHi;
      hi = hi > b ? b : hi < lo ? lo : hi;
      // Short rows dominate small images: plain loops, not libc calls.
      for (int64_t p = a; p < lo; ++p)
        out[p] = T(0);
      const T *in = plane + offset + start;
      if (s == 1 && hi - lo >= 64) {
        memcpy(out + lo, in + lo, static_cast<size_t>(hi - lo) * sizeof(T));
      } else if (s == 1) {
        for (int64_t p = lo; p < hi; ++p)
          out[p] = in[p];
      } else if (s == 2 && sizeof(T) == 1) {
        copyEvenBytes(out + lo, in + 2 * lo, hi - lo);
      } else {
        for (int64_t p = lo; p < hi; ++p)
          out[p] = in[p * s];
      }
      for (int64_t p = hi; p < b; ++p)
        out[p] = T(0);
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
