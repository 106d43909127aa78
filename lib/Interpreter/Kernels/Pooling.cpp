//===- Pooling.cpp - max and average pooling --------------------*- C++ -*-===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//
//
// qcc.max_pool and qcc.avg_pool over N spatial dimensions. Padded positions
// are skipped: they never win a max, and they count in an average's divisor
// only with count_include_pad. Window sums are accumulated in double.
//
//===----------------------------------------------------------------------===//

#include "Kernels.h"
#include "Simd.h"
#include "Window.h"

#include "qcc/Dialect/Qcc/IR/QccOps.h"

#include "mlir/IR/BuiltinTypes.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

using namespace mlir;
using namespace mlir::qcc;

namespace {

/// Runs `body(in, out, row)` for each output row of each (image, channel)
/// plane, planes in parallel.
template <typename T, typename R, typename F>
void forEachRow(const WindowGeometry &g, int64_t planes, const T *src, R *dst,
                WorkerPool &pool, F body) {
  int64_t work = std::max<int64_t>(1, g.outSize * g.kernelSize);
  pool.parallelFor(planes, std::max<int64_t>(1, kParallelGrain / work),
                   [&](int64_t p0, int64_t p1) {
                     for (int64_t p = p0; p < p1; ++p)
                       for (int64_t row = 0; row < g.getNumRows(); ++row)
                         body(src + p * g.inSize,
                              dst + p * g.outSize + row * g.getRowLength(),
                              row);
                   });
}

/// Calls `visit(span)` for each kernel position (row-major) whose window
/// reads real input in output row `row`.
template <typename F>
void forEachSpan(const WindowGeometry &g, const WindowSpans &spans, int64_t row,
                 F visit) {
  for (int64_t k = 0; k < g.kernelSize; ++k) {
    const WindowSpan &span = spans.get(k, row);
    if (span.valid && span.hi > span.lo)
      visit(span);
  }
}

/// Lane l of the result: m = max(m, v_l) with NaN winning, v_l the input.
template <int W>
QCC_ALWAYS_INLINE simd::VecF<W> maxOrNaN(simd::VecF<W> m, simd::VecF<W> v) {
  return (v > m || v != v) ? v : m;
}

/// 2-d float max pooling without padding or dilation, `planes` planes of
/// ih x iw to oh x ow: out[oy][ox] is the maximum of the kh x kw window at
/// (oy * sh, ox * sw), visited in row-major order, NaN winning (as the
/// generic kernel). Vectors of W outputs; stride 1 and 2x2-stride-2 windows
/// load whole (masked) vectors, other strides gather lane by lane.
template <int W>
QCC_ALWAYS_INLINE void maxPool2dImpl(const float *in, float *out,
                                     int64_t planes, int64_t ih, int64_t iw,
                                     int64_t oh, int64_t ow, int64_t kh,
                                     int64_t kw, int64_t sh, int64_t sw) {
  using V = simd::VecF<W>;
  for (int64_t p = 0; p < planes; ++p)
    for (int64_t oy = 0; oy < oh; ++oy) {
      float *y = out + (p * oh + oy) * ow;
      const float *base = in + (p * ih + oy * sh) * iw;
      for (int64_t ox = 0; ox < ow; ox += W) {
        int64_t count = std::min<int64_t>(W, ow - ox);
        V m = -INFINITY;
        for (int64_t ky = 0; ky < kh; ++ky) {
          const float *row = base + ky * iw + ox * sw;
          if (sw == 2 && kw == 2) {
            // Lanes [0, 2 count) of a and b hold the window's two columns.
            simd::VecI<W> lane = simd::iota<W>();
            int32_t span = static_cast<int32_t>(2 * count);
            V a = simd::maskedLoad<W>(lane < span, row);
            V b = simd::maskedLoad<W>(lane + W < span, row + W);
            m = maxOrNaN<W>(
                m, simd::everyOther<W, 0>(a, b, std::make_index_sequence<W>()));
            m = maxOrNaN<W>(
                m, simd::everyOther<W, 1>(a, b, std::make_index_sequence<W>()));
            continue;
          }
          for (int64_t kx = 0; kx < kw; ++kx) {
            V v;
            if (sw == 1) {
              v = simd::maskedLoad<W>(
                  simd::iota<W>() < static_cast<int32_t>(count), row + kx);
            } else {
              float lanes[W];
              for (int64_t l = 0; l < W; ++l)
                lanes[l] = l < count ? row[l * sw + kx] : -INFINITY;
              v = simd::load<W>(lanes);
            }
            m = maxOrNaN<W>(m, v);
          }
        }
        if (count == W)
          simd::store<W>(y + ox, m);
        else
          simd::storePartial<W>(y + ox, m, count);
      }
    }
}

QCC_SIMD_DISPATCH(maxPool2d, maxPool2dImpl,
                  (const float *in, float *out, int64_t planes, int64_t ih,
                   int64_t iw, int64_t oh, int64_t ow, int64_t kh, int64_t kw,
                   int64_t sh, int64_t sw),
                  (in, out, planes, ih, iw, oh, ow, kh, kw, sh, sw))

LogicalResult runMaxPool(Operation *op, ArrayRef<Tensor> operands,
                         SmallVectorImpl<Tensor> &results,
                         KernelContext &context) {
  auto maxPool = cast<MaxPoolOp>(op);
  Tensor out = allocateResult(op, context);
  if (!out)
    return failure();
  WindowGeometry g(operands[0].getShape(), out.getShape(),
                   maxPool.getKernelShape(), maxPool.getStrides(),
                   maxPool.getPads(), maxPool.getDilations());
  int64_t planes = out.getShape()[0] * out.getShape()[1];
  bool unpadded =
      llvm::all_of(maxPool.getPads(), [](int64_t p) { return p == 0; });
  bool undilated = llvm::all_of(g.dilations, [](int64_t d) { return d == 1; });
  if (out.getElementType() == ElementType::F32 && g.getRank() == 2 &&
      unpadded && undilated && out.getNumElements() > 0) {
    const float *src = operands[0].getData<float>();
    float *dst = out.getData<float>();
    int64_t grain = std::max<int64_t>(
        1, kParallelGrain / std::max<int64_t>(1, g.outSize * g.kernelSize));
    context.pool.parallelFor(planes, grain, [&](int64_t p0, int64_t p1) {
      maxPool2d(src + p0 * g.inSize, dst + p0 * g.outSize, p1 - p0,
                g.inSpatial[0], g.inSpatial[1], g.outSpatial[0],
                g.outSpatial[1], g.kernel[0], g.kernel[1], g.strides[0],
                g.strides[1]);
    });
    results.push_back(std::move(out));
    return success();
  }
  WindowSpans spans(g);
  int64_t length = g.getRowLength();
  dispatchNumeric(out.getElementType(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    forEachRow(g, planes, operands[0].getData<T>(), out.getData<T>(),
               context.pool, [&](const T *in, T *y, int64_t row) {
                 T lowest = std::numeric_limits<T>::lowest();
                 if constexpr (std::is_floating_point_v<T>)
                   lowest = -std::numeric_limits<T>::infinity();
                 std::fill(y, y + length, lowest);
                 forEachSpan(g, spans, row, [&](const WindowSpan &span) {
                   const T *x = in + span.base;
                   // Branch-free, so that it vectorises; NaN wins.
                   for (int64_t q = span.lo; q < span.hi; ++q) {
                     T v = x[q * span.stride];
                     if constexpr (std::is_floating_point_v<T>)
                       y[q] = (v > y[q] || v != v) ? v : y[q];
                     else
                       y[q] = v > y[q] ? v : y[q];
                   }
                 });
               });
  });
  results.push_back(std::move(out));
  return success();
}

LogicalResult runAvgPool(Operation *op, ArrayRef<Tensor> operands,
                         SmallVectorImpl<Tensor> &results,
                         KernelContext &context) {
  auto avgPool = cast<AvgPoolOp>(op);
  Tensor out = allocateResult(op, context);
  if (!out)
    return failure();
  WindowGeometry g(operands[0].getShape(), out.getShape(),
                   avgPool.getKernelShape(), avgPool.getStrides(),
                   avgPool.getPads(), {});
  bool includePad = avgPool.getCountIncludePad();
  WindowSpans spans(g);
  int64_t planes = out.getShape()[0] * out.getShape()[1];
  int64_t length = g.getRowLength();
  forEachRow(g, planes, operands[0].getData<float>(), out.getData<float>(),
             context.pool, [&](const float *in, float *y, int64_t row) {
               SmallVector<double> sums(length, 0.0);
               SmallVector<int64_t> counts(length, 0);
               forEachSpan(g, spans, row, [&](const WindowSpan &span) {
                 const float *x = in + span.base;
                 for (int64_t q = span.lo; q < span.hi; ++q) {
                   sums[q] += x[q * span.stride];
                   ++counts[q];
                 }
               });
               for (int64_t q = 0; q < length; ++q) {
                 int64_t divisor = includePad ? g.kernelSize : counts[q];
                 y[q] = static_cast<float>(divisor ? sums[q] / divisor : NAN);
               }
             });
  results.push_back(std::move(out));
  return success();
}

LogicalResult checkMaxPool(Operation *op) {
  return checkElementTypes(op, {ElementType::F32, ElementType::I64,
                                ElementType::I32, ElementType::I16,
                                ElementType::I8, ElementType::UI8});
}

} // namespace

void mlir::qcc::populatePoolingKernels(KernelTable &table) {
  table.add<MaxPoolOp>(runMaxPool, checkMaxPool);
  table.add<AvgPoolOp>(runAvgPool);
}
