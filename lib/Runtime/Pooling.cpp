//===- Pooling.cpp - reductions and max pooling -----------------*- C++ -*-===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//
//
// reduce_sum (wrapping in the element type), reduce_max and N-d max_pool
// (padded positions never win; a window with no real input gives the
// type's lowest value), as the interpreter's Normalization.cpp and
// Pooling.cpp. 2-D pooling runs separably over a scratch row (rows, then
// columns); other ranks, and rows too wide for the scratch, run the
// generic loop. Integer types only: an f32 operand is QCC_ERROR_RUNTIME.
//
//===----------------------------------------------------------------------===//

#include "Im2Col.h"
#include "Internal.h"

#include <type_traits>

using namespace qcc_rt;

namespace {

template <typename T> T lowest() {
  if constexpr (std::is_signed_v<T>)
    return static_cast<T>(T(1) << (sizeof(T) * 8 - 1));
  else
    return 0;
}

template <typename T> T maxOf(T best, T v) { return v > best ? v : best; }

template <bool IsMax>
int32_t runReduce(const char *name, qcc_rt_context *ctx,
                  const qcc_rt_tensor *inputs, int64_t numInputs,
                  const qcc_rt_tensor *output, const int64_t *attrs) {
  if (int32_t s = checkNumInputs(ctx, name, numInputs, 1, 1))
    return s;
  if (int32_t s = checkTensors(ctx, name, inputs, numInputs, output))
    return s;
  const qcc_rt_tensor &in = inputs[0];
  if (in.dtype != output->dtype || in.dtype == QCC_BOOL ||
      !isIntegerDtype(in.dtype))
    return unsupportedDtype(ctx, name, in.dtype);
  if (!attrs)
    return qcc_rt_set_error(ctx, QCC_ERROR_RUNTIME, "%s: no attrs", name);
  int64_t numAxes = attrs[1];
  const int64_t *axes = attrs + 2;
  int64_t strides[kMaxRank];
  getStrides(in.shape, in.rank, strides);
  // Split the dimensions into kept and reduced ones, merging neighbours
  // that stay contiguous.
  int64_t keptSizes[kMaxRank], keptStrides[kMaxRank], nKept = 0;
  int64_t redSizes[kMaxRank], redStrides[kMaxRank], nRed = 0;
  int64_t count = 1;
  for (int64_t d = 0; d < in.rank; ++d) {
    bool reduced = false;
    for (int64_t a = 0; a < numAxes; ++a)
      reduced |= axes[a] == d;
    int64_t *sizes = reduced ? redSizes : keptSizes;
    int64_t *dimStrides = reduced ? redStrides : keptStrides;
    int64_t &n = reduced ? nRed : nKept;
    if (reduced)
      count *= in.shape[d];
    if (in.shape[d] == 1)
      continue;
    if (n > 0 && dimStrides[n - 1] == strides[d] * in.shape[d]) {
      sizes[n - 1] *= in.shape[d];
      dimStrides[n - 1] = strides[d];
      continue;
    }
    sizes[n] = in.shape[d];
    dimStrides[n] = strides[d];
    ++n;
  }
  if (nRed == 0) {
    redSizes[0] = 1;
    redStrides[0] = 0;
    nRed = 1;
  }
  int64_t outputs = getNumElements(*output);
  int64_t inner = redSizes[nRed - 1], innerStride = redStrides[nRed - 1];
  int64_t outerRed = count / (inner > 1 ? inner : 1);
  dispatchNumeric(in.dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    // Sums wrap in the element type; uint64 wraps the same way.
    using Acc = uint64_t;
    const T *src = static_cast<const T *>(in.data);
    T *dst = static_cast<T *>(output->data);
    parallelFor(ctx, outputs, grainFor(count), [&](int64_t o0, int64_t o1) {
      int64_t index[kMaxRank];
      for (int64_t o = o0; o < o1; ++o) {
        int64_t base = 0;
        for (int64_t d = nKept - 1, rest = o; d >= 0; --d) {
          base += (rest % keptSizes[d]) * keptStrides[d];
          rest /= keptSizes[d];
        }
        Acc sum = 0;
        T best = lowest<T>();
        for (int64_t d = 0; d < nRed; ++d)
          index[d] = 0;
        for (int64_t r = 0; r < outerRed; ++r) {
          int64_t offset = base;
          for (int64_t d = 0; d + 1 < nRed; ++d)
            offset += index[d] * redStrides[d];
          const T *x = src + offset;
          for (int64_t i = 0; i < inner; ++i) {
            T v = x[i * innerStride];
            if constexpr (IsMax)
              best = maxOf(best, v);
            else
              sum += static_cast<Acc>(v);
          }
          for (int64_t d = nRed - 2; d >= 0; --d) {
            if (++index[d] < redSizes[d])
              break;
            index[d] = 0;
          }
        }
        if constexpr (IsMax)
          dst[o] = best;
        else
          dst[o] = static_cast<T>(sum);
      }
    });
  });
  return QCC_OK;
}

/// Bytes of the per-row scratch of the 2-D max pool (on the stack).
constexpr int64_t kPoolRowBytes = 16384;

/// 2-D max pooling of output rows [t0, t1) (plane * outH + row), separably:
/// the maximum of the window's input rows into a scratch row padded with the
/// lowest value on both sides, then of each window's columns in it (at every
/// column, then every stride-th taken). Padding
/// never wins and a window without real input gives the lowest value, so
/// padding with the lowest value computes exactly the generic loop's result.
/// `scratch` elements must cover padBegin + width and the last window.
template <typename T>
void maxPool2dRows(const T *src, T *dst, int64_t t0, int64_t t1,
                   const int64_t *inSp, const int64_t *outSp,
                   const int64_t *kernel, const int64_t *strides,
                   const int64_t *pads, const int64_t *dilations,
                   int64_t scratch) {
  int64_t h = inSp[0], w = inSp[1], outH = outSp[0], outW = outSp[1];
  T row[kPoolRowBytes / sizeof(T)], windows[kPoolRowBytes / sizeof(T)];
  T *mid = row + pads[1];
  for (int64_t p = 0; p < scratch; ++p)
    row[p] = lowest<T>();
  for (int64_t t = t0; t < t1; ++t) {
    int64_t plane = t / outH, oh = t % outH;
    const T *x = src + plane * h * w;
    T *y = dst + plane * outH * outW + oh * outW;
    bool first = true;
    for (int64_t kh = 0; kh < kernel[0]; ++kh) {
      int64_t ih = oh * strides[0] - pads[0] + kh * dilations[0];
      if (ih < 0 || ih >= h)
        continue;
      const T *in = x + ih * w;
      if (first) {
        for (int64_t p = 0; p < w; ++p)
          mid[p] = in[p];
        first = false;
      } else {
        for (int64_t p = 0; p < w; ++p)
          mid[p] = maxOf(mid[p], in[p]);
      }
    }
    if (first)
      for (int64_t p = 0; p < w; ++p)
        mid[p] = lowest<T>();
    // The window maximum at every column a window starts at (contiguous,
    // so it vectorises), then every s-th of them.
    int64_t s = strides[1], dil = dilations[1];
    int64_t starts = (outW - 1) * s + 1;
    for (int64_t p = 0; p < starts; ++p)
      windows[p] = row[p];
    for (int64_t kw = 1; kw < kernel[1]; ++kw) {
      const T *shifted = row + kw * dil;
      for (int64_t p = 0; p < starts; ++p)
        windows[p] = maxOf(windows[p], shifted[p]);
    }
    if (s == 1)
      memcpy(y, windows, static_cast<size_t>(outW) * sizeof(T));
    else if (s == 2 && sizeof(T) == 1)
      copyEvenBytes(y, windows, outW);
    else
      for (int64_t q = 0; q < outW; ++q)
        y[q] = windows[q * s];
  }
}

} // namespace

extern "C" {

QCC_RT_DEFINE_KERNEL(reduce_sum) {
  return runReduce<false>("reduce_sum", ctx, inputs, num_inputs, output,
                          attrs);
}

QCC_RT_DEFINE_KERNEL(reduce_max) {
  return runReduce<true>("reduce_max", ctx, inputs, num_inputs, output, attrs);
}

QCC_RT_DEFINE_KERNEL(max_pool) {
  const char *name = "max_pool";
  if (int32_t s = checkNumInputs(ctx, name, num_inputs, 1, 1))
    return s;
  if (int32_t s = checkTensors(ctx, name, inputs, num_inputs, output))
    return s;
  const qcc_rt_tensor &in = inputs[0];
  if (in.dtype != output->dtype || in.dtype == QCC_BOOL ||
      !isIntegerDtype(in.dtype))
    return unsupportedDtype(ctx, name, in.dtype);
  int64_t n = in.rank - 2;
  if (n < 1 || !attrs || attrs[0] != n || output->rank != in.rank)
    return qcc_rt_set_error(ctx, QCC_ERROR_RUNTIME,
                            "max_pool: attrs do not match rank %lld",
                            (long long)in.rank);
  const int64_t *kernel = attrs + 1;
  const int64_t *strides = attrs + 2 + n;
  const int64_t *pads = attrs + 3 + 2 * n; // begins; ends follow
  const int64_t *dilations = attrs + 4 + 4 * n;
  const int64_t *inSp = in.shape + 2, *outSp = output->shape + 2;
  int64_t inStrides[kMaxRank];
  getStrides(inSp, n, inStrides);
  int64_t inSize = getNumElements(inSp, n), outSize = getNumElements(outSp, n);
  int64_t kernelSize = getNumElements(kernel, n);
  int64_t length = outSp[n - 1];
  int64_t numRows = length ? outSize / length : 0;
  int64_t planes = output->shape[0] * output->shape[1];
  if (getNumElements(*output) == 0)
    return QCC_OK;
  dispatchNumeric(in.dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T *src = static_cast<const T *>(in.data);
    T *dst = static_cast<T *>(output->data);
    if (n == 2) {
      // The scratch row: padding, the input row, and as far as the last
      // window reaches.
      int64_t scratch = pads[1] + inSp[1];
      int64_t reach = (outSp[1] - 1) * strides[1] + (kernel[1] - 1) *
                                                          dilations[1] + 1;
      scratch = scratch > reach ? scratch : reach;
      if (scratch * static_cast<int64_t>(sizeof(T)) <= kPoolRowBytes) {
        parallelFor(ctx, planes * outSp[0],
                    grainFor(outSp[1] * kernelSize + inSp[1] * kernel[0]),
                    [&](int64_t t0, int64_t t1) {
                      maxPool2dRows(src, dst, t0, t1, inSp, outSp, kernel,
                                    strides, pads, dilations, scratch);
                    });
        return;
      }
    }
    int64_t work = planes > 0 ? numRows : 1;
    parallelFor(
        ctx, planes * work, grainFor(length * kernelSize),
        [&](int64_t t0, int64_t t1) {
          int64_t kpos[kMaxRank];
          for (int64_t t = t0; t < t1; ++t) {
            int64_t plane = t / numRows, row = t % numRows;
            const T *x = src + plane * inSize;
            T *y = dst + plane * outSize + row * length;
            for (int64_t q = 0; q < length; ++q)
              y[q] = lowest<T>();
            for (int64_t d = 0; d < n; ++d)
              kpos[d] = 0;
            for (int64_t k = 0; k < kernelSize; ++k) {
              // The row's position in the non-last dimensions.
              bool valid = true;
              int64_t offset = 0;
              for (int64_t d = n - 2, rest = row; d >= 0; --d) {
                int64_t o = rest % outSp[d];
                rest /= outSp[d];
                int64_t i = o * strides[d] - pads[d] + kpos[d] * dilations[d];
                valid &= i >= 0 && i < inSp[d];
                offset += i * inStrides[d];
              }
              if (valid) {
                int64_t s = strides[n - 1];
                int64_t start = kpos[n - 1] * dilations[n - 1] - pads[n - 1];
                for (int64_t q = 0; q < length; ++q) {
                  int64_t i = q * s + start;
                  if (i >= 0 && i < inSp[n - 1])
                    y[q] = maxOf(y[q], x[offset + i]);
                }
              }
              for (int64_t d = n - 1; d >= 0; --d) {
                if (++kpos[d] < kernel[d])
                  break;
                kpos[d] = 0;
              }
            }
          }
        });
  });
  return QCC_OK;
}

} // extern "C"
