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
#include "Window.h"

#include "qcc/Dialect/Qcc/IR/QccOps.h"

#include "mlir/IR/BuiltinTypes.h"

#include <algorithm>
#include <cmath>
#include <limits>

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
  WindowSpans spans(g);
  int64_t planes = out.getShape()[0] * out.getShape()[1];
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
