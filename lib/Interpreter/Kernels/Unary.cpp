//===- Unary.cpp - elementwise unary ops ------------------------*- C++ -*-===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//
//
// qcc.sqrt/exp/erf/tanh/sigmoid (f32), qcc.neg/abs/relu (numbers),
// qcc.not (i1), qcc.leaky_relu, qcc.clip and qcc.gelu. Float math is done in
// float with the C library's functions; NaN propagates through relu, clip
// and leaky_relu. Integer neg and abs wrap (the most negative value maps to
// itself).
//
//===----------------------------------------------------------------------===//

#include "Kernels.h"

#include "qcc/Dialect/Qcc/IR/QccOps.h"

#include <cmath>
#include <type_traits>

using namespace mlir;
using namespace mlir::qcc;

namespace {

/// out[i] = f(in[i]) in parallel chunks.
template <typename T, typename R, typename F>
void unaryLoop(const T *in, R *out, int64_t n, WorkerPool &pool, F f) {
  pool.parallelFor(n, kParallelGrain, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i)
      out[i] = f(in[i]);
  });
}

/// Runs a float-only unary op whose formula is `F{op}(x)`.
template <typename F>
LogicalResult runFloatUnary(Operation *op, ArrayRef<Tensor> operands,
                            SmallVectorImpl<Tensor> &results,
                            KernelContext &context, F f) {
  Tensor out = allocateResult(op, context);
  if (!out)
    return failure();
  unaryLoop(operands[0].getData<float>(), out.getData<float>(),
            out.getNumElements(), context.pool, f);
  results.push_back(std::move(out));
  return success();
}

#define QCC_FLOAT_UNARY(NAME, EXPR)                                            \
  LogicalResult run##NAME(Operation *op, ArrayRef<Tensor> operands,            \
                          SmallVectorImpl<Tensor> &results,                    \
                          KernelContext &context) {                            \
    return runFloatUnary(op, operands, results, context,                       \
                         [](float x) -> float { return EXPR; });               \
  }

QCC_FLOAT_UNARY(Sqrt, std::sqrt(x))
QCC_FLOAT_UNARY(Exp, std::exp(x))
QCC_FLOAT_UNARY(Erf, std::erf(x))
QCC_FLOAT_UNARY(Tanh, std::tanh(x))
QCC_FLOAT_UNARY(Sigmoid, 1.0f / (1.0f + std::exp(-x)))
#undef QCC_FLOAT_UNARY

enum class NumericUnary { Neg, Abs, Relu };

template <NumericUnary K, typename T> T numericUnary(T x) {
  if constexpr (std::is_floating_point_v<T>) {
    if constexpr (K == NumericUnary::Neg)
      return -x;
    else if constexpr (K == NumericUnary::Abs)
      return std::fabs(x);
    else
      return x < 0 ? T(0) : x;
  } else {
    using U = std::conditional_t<sizeof(T) <= 4, uint32_t, uint64_t>;
    if constexpr (K == NumericUnary::Neg)
      return static_cast<T>(U(0) - static_cast<U>(x));
    else if constexpr (K == NumericUnary::Abs)
      return x < 0 ? static_cast<T>(U(0) - static_cast<U>(x)) : x;
    else
      return x < 0 ? T(0) : x;
  }
}

template <NumericUnary K>
LogicalResult runNumericUnary(Operation *op, ArrayRef<Tensor> operands,
                              SmallVectorImpl<Tensor> &results,
                              KernelContext &context) {
  Tensor out = allocateResult(op, context);
  if (!out)
    return failure();
  dispatchNumeric(out.getElementType(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    unaryLoop(operands[0].getData<T>(), out.getData<T>(), out.getNumElements(),
              context.pool, [](T x) { return numericUnary<K, T>(x); });
  });
  results.push_back(std::move(out));
  return success();
}

LogicalResult runNot(Operation *op, ArrayRef<Tensor> operands,
                     SmallVectorImpl<Tensor> &results, KernelContext &context) {
  Tensor out = allocateResult(op, context);
  if (!out)
    return failure();
  unaryLoop(operands[0].getData<bool>(), out.getData<bool>(),
            out.getNumElements(), context.pool, [](bool x) { return !x; });
  results.push_back(std::move(out));
  return success();
}

LogicalResult runLeakyRelu(Operation *op, ArrayRef<Tensor> operands,
                           SmallVectorImpl<Tensor> &results,
                           KernelContext &context) {
  float alpha = cast<LeakyReluOp>(op).getAlpha().convertToFloat();
  return runFloatUnary(op, operands, results, context,
                       [alpha](float x) { return x >= 0 ? x : alpha * x; });
}

LogicalResult runClip(Operation *op, ArrayRef<Tensor> operands,
                      SmallVectorImpl<Tensor> &results,
                      KernelContext &context) {
  auto clip = cast<ClipOp>(op);
  float lo = -INFINITY, hi = INFINITY;
  if (std::optional<APFloat> min = clip.getMin())
    lo = min->convertToFloat();
  if (std::optional<APFloat> max = clip.getMax())
    hi = max->convertToFloat();
  return runFloatUnary(op, operands, results, context, [lo, hi](float x) {
    return x < lo ? lo : (x > hi ? hi : x);
  });
}

LogicalResult runGelu(Operation *op, ArrayRef<Tensor> operands,
                      SmallVectorImpl<Tensor> &results,
                      KernelContext &context) {
  if (cast<GeluOp>(op).getApproximate() == GeluApproximation::Tanh) {
    // sqrt(2 / pi)
    constexpr float kAlpha = 0.7978845608028654f;
    return runFloatUnary(op, operands, results, context, [](float x) {
      return x * 0.5f *
             (1.0f + std::tanh(kAlpha * (x + 0.044715f * x * x * x)));
    });
  }
  constexpr float kSqrt2 = 1.4142135623730951f;
  return runFloatUnary(op, operands, results, context, [](float x) {
    return x * 0.5f * (1.0f + std::erf(x / kSqrt2));
  });
}

LogicalResult checkNumeric(Operation *op) {
  return checkElementTypes(op, {ElementType::F32, ElementType::I64,
                                ElementType::I32, ElementType::I16,
                                ElementType::I8, ElementType::UI8});
}

} // namespace

void mlir::qcc::populateUnaryKernels(KernelTable &table) {
  table.add<SqrtOp>(runSqrt);
  table.add<ExpOp>(runExp);
  table.add<ErfOp>(runErf);
  table.add<TanhOp>(runTanh);
  table.add<SigmoidOp>(runSigmoid);
  table.add<NegOp>(runNumericUnary<NumericUnary::Neg>, checkNumeric);
  table.add<AbsOp>(runNumericUnary<NumericUnary::Abs>, checkNumeric);
  table.add<ReluOp>(runNumericUnary<NumericUnary::Relu>, checkNumeric);
  table.add<NotOp>(runNot);
  table.add<LeakyReluOp>(runLeakyRelu);
  table.add<ClipOp>(runClip);
  table.add<GeluOp>(runGelu);
}
