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

#include "qcc/Dialect/Qcc/IR/QccOps.h"

#include "mlir/IR/BuiltinTypes.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace mlir::qcc;

namespace {

struct PoolGeometry {
  int64_t planes; // batch * channels
  SmallVector<int64_t> inSpatial, kernel, outSpatial, strides, padsBegin,
      dilations;
  int64_t inSize, kernelSize, outSize;
};

PoolGeometry getGeometry(ArrayRef<int64_t> inShape, ArrayRef<int64_t> outShape,
                         ArrayRef<int64_t> kernel, ArrayRef<int64_t> strides,
                         ArrayRef<int64_t> pads, ArrayRef<int64_t> dilations) {
  PoolGeometry g;
  g.planes = inShape[0] * inShape[1];
  g.inSpatial.assign(inShape.begin() + 2, inShape.end());
  g.outSpatial.assign(outShape.begin() + 2, outShape.end());
  g.kernel.assign(kernel.begin(), kernel.end());
  g.strides.assign(strides.begin(), strides.end());
  g.padsBegin.assign(pads.begin(), pads.begin() + g.inSpatial.size());
  if (dilations.empty())
    g.dilations.assign(g.inSpatial.size(), 1);
  else
    g.dilations.assign(dilations.begin(), dilations.end());
  g.inSize = getNumElements(g.inSpatial);
  g.kernelSize = getNumElements(g.kernel);
  g.outSize = getNumElements(g.outSpatial);
  return g;
}

void increment(MutableArrayRef<int64_t> index, ArrayRef<int64_t> sizes) {
  for (int64_t d = static_cast<int64_t>(index.size()) - 1; d >= 0; --d) {
    if (++index[d] < sizes[d])
      return;
    index[d] = 0;
  }
}

/// Calls `visit(offset)` for each non-padded input position of the window of
/// output position `outPos`, in row-major kernel order.
template <typename F>
void forEachInWindow(const PoolGeometry &g, ArrayRef<int64_t> outPos,
                     MutableArrayRef<int64_t> kernelPos, F visit) {
  std::fill(kernelPos.begin(), kernelPos.end(), 0);
  size_t rank = g.inSpatial.size();
  for (int64_t k = 0; k < g.kernelSize; ++k) {
    int64_t offset = 0;
    bool inside = true;
    for (size_t d = 0; d < rank && inside; ++d) {
      int64_t i = outPos[d] * g.strides[d] - g.padsBegin[d] +
                  kernelPos[d] * g.dilations[d];
      inside = i >= 0 && i < g.inSpatial[d];
      offset = offset * g.inSpatial[d] + i;
    }
    if (inside)
      visit(offset);
    increment(kernelPos, g.kernel);
  }
}

/// Runs `pool(plane input, plane output, outPos, kernelPos)` for each output
/// element, planes in parallel.
template <typename T, typename R, typename F>
void forEachOutput(const PoolGeometry &g, const T *src, R *dst,
                   WorkerPool &pool, F body) {
  size_t rank = g.inSpatial.size();
  int64_t work = std::max<int64_t>(1, g.outSize * g.kernelSize);
  pool.parallelFor(g.planes, std::max<int64_t>(1, kParallelGrain / work),
                   [&](int64_t p0, int64_t p1) {
                     SmallVector<int64_t> outPos(rank), kernelPos(rank);
                     for (int64_t p = p0; p < p1; ++p) {
                       const T *in = src + p * g.inSize;
                       R *out = dst + p * g.outSize;
                       std::fill(outPos.begin(), outPos.end(), 0);
                       for (int64_t j = 0; j < g.outSize; ++j) {
                         out[j] = body(in, outPos, kernelPos);
                         increment(outPos, g.outSpatial);
                       }
                     }
                   });
}

LogicalResult runMaxPool(Operation *op, ArrayRef<Tensor> operands,
                         SmallVectorImpl<Tensor> &results,
                         KernelContext &context) {
  auto maxPool = cast<MaxPoolOp>(op);
  Tensor out = allocateResult(op);
  if (!out)
    return failure();
  PoolGeometry g = getGeometry(operands[0].getShape(), out.getShape(),
                               maxPool.getKernelShape(), maxPool.getStrides(),
                               maxPool.getPads(), maxPool.getDilations());
  dispatchNumeric(out.getElementType(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    forEachOutput(g, operands[0].getData<T>(), out.getData<T>(), context.pool,
                  [&](const T *in, ArrayRef<int64_t> outPos,
                      MutableArrayRef<int64_t> kernelPos) {
                    T best = std::numeric_limits<T>::lowest();
                    if constexpr (std::is_floating_point_v<T>)
                      best = -std::numeric_limits<T>::infinity();
                    forEachInWindow(g, outPos, kernelPos, [&](int64_t offset) {
                      T v = in[offset];
                      if constexpr (std::is_floating_point_v<T>) {
                        if (v > best || std::isnan(v))
                          best = v;
                      } else if (v > best) {
                        best = v;
                      }
                    });
                    return best;
                  });
  });
  results.push_back(std::move(out));
  return success();
}

LogicalResult runAvgPool(Operation *op, ArrayRef<Tensor> operands,
                         SmallVectorImpl<Tensor> &results,
                         KernelContext &context) {
  auto avgPool = cast<AvgPoolOp>(op);
  Tensor out = allocateResult(op);
  if (!out)
    return failure();
  PoolGeometry g = getGeometry(operands[0].getShape(), out.getShape(),
                               avgPool.getKernelShape(), avgPool.getStrides(),
                               avgPool.getPads(), {});
  bool includePad = avgPool.getCountIncludePad();
  forEachOutput(g, operands[0].getData<float>(), out.getData<float>(),
                context.pool,
                [&](const float *in, ArrayRef<int64_t> outPos,
                    MutableArrayRef<int64_t> kernelPos) {
                  double sum = 0.0;
                  int64_t count = 0;
                  forEachInWindow(g, outPos, kernelPos, [&](int64_t offset) {
                    sum += in[offset];
                    ++count;
                  });
                  int64_t divisor = includePad ? g.kernelSize : count;
                  return static_cast<float>(divisor ? sum / divisor : NAN);
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
