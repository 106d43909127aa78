//===- Conversion.cpp - cast, quantize and dequantize -----------*- C++ -*-===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//
//
// qcc.cast follows ONNX Cast and fixes what ONNX leaves undefined, the way
// NumPy's astype does on x86-64 for in-range values:
//  * float to integer truncates toward zero; NaN gives 0; the truncated
//    value saturates to the int64 range and then wraps to the target width
//    (so -1.0 to ui8 is 255, 300.0 to i8 is 44);
//  * integer to integer wraps modulo 2^width;
//  * anything to i1 is `x != 0` (NaN is true); i1 to anything is 0 or 1.
// qcc.quantize computes `round_half_even(x / scale) + zero_point` in float,
// clamped to the storage type; NaN quantizes to the zero point.
// qcc.dequantize computes `float(q - zero_point) * scale`.
//
//===----------------------------------------------------------------------===//

#include "Kernels.h"

#include "qcc/Dialect/Qcc/IR/QccOps.h"

#include "mlir/IR/BuiltinTypes.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>

using namespace mlir;
using namespace mlir::qcc;

namespace {

template <typename R, typename T> R convertElement(T x) {
  if constexpr (std::is_same_v<R, bool>) {
    return x != 0;
  } else if constexpr (std::is_same_v<T, bool>) {
    return static_cast<R>(x ? 1 : 0);
  } else if constexpr (std::is_floating_point_v<R>) {
    return static_cast<R>(x);
  } else if constexpr (std::is_floating_point_v<T>) {
    if (std::isnan(x))
      return 0;
    T t = std::trunc(x);
    int64_t wide;
    if (t >= T(0x1p63))
      wide = std::numeric_limits<int64_t>::max();
    else if (t < T(-0x1p63))
      wide = std::numeric_limits<int64_t>::min();
    else
      wide = static_cast<int64_t>(t);
    return static_cast<R>(wide);
  } else {
    return static_cast<R>(x);
  }
}

LogicalResult runCast(Operation *op, ArrayRef<Tensor> operands,
                      SmallVectorImpl<Tensor> &results,
                      KernelContext &context) {
  Tensor out = allocateResult(op, context);
  if (!out)
    return failure();
  const Tensor &in = operands[0];
  dispatchType(in.getElementType(), [&](auto inTag) {
    using T = typename decltype(inTag)::type;
    dispatchType(out.getElementType(), [&](auto outTag) {
      using R = typename decltype(outTag)::type;
      const T *src = in.getData<T>();
      R *dst = out.getData<R>();
      context.pool.parallelFor(out.getNumElements(), kParallelGrain,
                               [&](int64_t begin, int64_t end) {
                                 for (int64_t i = begin; i < end; ++i)
                                   dst[i] = convertElement<R, T>(src[i]);
                               });
    });
  });
  results.push_back(std::move(out));
  return success();
}

/// Splits a tensor of `shape` around `axis` for per-axis parameters:
/// elements are [outer][channels][inner] with one parameter per channel.
struct AxisSplit {
  int64_t outer = 1, channels = 1, inner = 1;
};

AxisSplit splitAtAxis(ArrayRef<int64_t> shape, int64_t axis, size_t numParams) {
  AxisSplit split;
  if (numParams == 1) {
    split.inner = getNumElements(shape);
    return split;
  }
  split.outer = getNumElements(shape.take_front(axis));
  split.channels = shape[axis];
  split.inner = getNumElements(shape.drop_front(axis + 1));
  return split;
}

/// Runs `body(channel, begin, end)` over each [outer][channel] run of
/// `inner` elements (offsets are flat element indices), in parallel.
template <typename F>
void forEachChannelRun(const AxisSplit &split, WorkerPool &pool, F body) {
  int64_t runs = split.outer * split.channels;
  int64_t grain = std::max<int64_t>(1, kParallelGrain / split.inner);
  pool.parallelFor(runs, grain, [&](int64_t r0, int64_t r1) {
    for (int64_t run = r0; run < r1; ++run)
      body(run % split.channels, run * split.inner, (run + 1) * split.inner);
  });
}

LogicalResult runQuantize(Operation *op, ArrayRef<Tensor> operands,
                          SmallVectorImpl<Tensor> &results,
                          KernelContext &context) {
  auto quantize = cast<QuantizeOp>(op);
  Tensor out = allocateResult(op, context);
  if (!out)
    return failure();
  ArrayRef<float> scales = quantize.getScales();
  ArrayRef<int64_t> zeroPoints = quantize.getZeroPoints();
  AxisSplit split =
      splitAtAxis(operands[0].getShape(), quantize.getAxis(), scales.size());
  const float *src = operands[0].getData<float>();
  dispatchNumeric(out.getElementType(), [&](auto tag) {
    using Q = typename decltype(tag)::type;
    if constexpr (!std::is_floating_point_v<Q>) {
      constexpr double lo = std::numeric_limits<Q>::min();
      constexpr double hi = std::numeric_limits<Q>::max();
      Q *dst = out.getData<Q>();
      forEachChannelRun(split, context.pool,
                        [&](int64_t channel, int64_t begin, int64_t end) {
                          float scale = scales[channel];
                          double zeroPoint =
                              static_cast<double>(zeroPoints[channel]);
                          for (int64_t i = begin; i < end; ++i) {
                            float rounded = std::nearbyint(src[i] / scale);
                            double value = std::isnan(rounded)
                                               ? zeroPoint
                                               : rounded + zeroPoint;
                            dst[i] = static_cast<Q>(std::clamp(value, lo, hi));
                          }
                        });
    }
  });
  results.push_back(std::move(out));
  return success();
}

LogicalResult runDequantize(Operation *op, ArrayRef<Tensor> operands,
                            SmallVectorImpl<Tensor> &results,
                            KernelContext &context) {
  auto dequantize = cast<DequantizeOp>(op);
  Tensor out = allocateResult(op, context);
  if (!out)
    return failure();
  ArrayRef<float> scales = dequantize.getScales();
  ArrayRef<int64_t> zeroPoints = dequantize.getZeroPoints();
  AxisSplit split =
      splitAtAxis(operands[0].getShape(), dequantize.getAxis(), scales.size());
  float *dst = out.getData<float>();
  dispatchNumeric(operands[0].getElementType(), [&](auto tag) {
    using Q = typename decltype(tag)::type;
    if constexpr (!std::is_floating_point_v<Q>) {
      const Q *src = operands[0].getData<Q>();
      forEachChannelRun(
          split, context.pool,
          [&](int64_t channel, int64_t begin, int64_t end) {
            float scale = scales[channel];
            int64_t zeroPoint = zeroPoints[channel];
            for (int64_t i = begin; i < end; ++i)
              dst[i] = static_cast<float>(int64_t(src[i]) - zeroPoint) * scale;
          });
    }
  });
  results.push_back(std::move(out));
  return success();
}

/// Quantized storage is 8, 16 or 32 bits wide (the dialect's constraint).
LogicalResult checkQuant(Operation *op) {
  return checkElementTypes(op, {ElementType::F32, ElementType::I32,
                                ElementType::I16, ElementType::I8,
                                ElementType::UI8});
}

} // namespace

void mlir::qcc::populateConversionKernels(KernelTable &table) {
  table.add<CastOp>(runCast);
  table.add<QuantizeOp>(runQuantize, checkQuant);
  table.add<DequantizeOp>(runDequantize, checkQuant);
}
