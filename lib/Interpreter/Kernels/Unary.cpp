//===- Unary.cpp - elementwise unary ops ------------------------*- C++ -*-===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//
//
// qcc.sqrt/exp/erf/tanh/sigmoid (f32), qcc.neg/abs/relu (numbers),
// qcc.not (i1), qcc.leaky_relu, qcc.clip and qcc.gelu. Float ops run in
// vectors compiled for the host's instruction set, with the interpreter's
// own exp/erf/tanh (Simd.h; VectorMath.h exposes them for testing); NaN
// propagates through relu, clip and leaky_relu. Integer neg and abs wrap
// (the most negative value maps to itself).
//
//===----------------------------------------------------------------------===//

#include "Kernels.h"
#include "Simd.h"

#include "qcc/Dialect/Qcc/IR/QccOps.h"
#include "qcc/Interpreter/VectorMath.h"

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

/// The float unary ops, computed in vectors (Simd.h).
enum class FloatUnary {
  Sqrt,
  Exp,
  Erf,
  Tanh,
  Sigmoid,
  Gelu,
  GeluTanh,
  Relu,
  Neg,
  Abs,
  Clip,
  LeakyRelu,
};

template <int W>
QCC_ALWAYS_INLINE void floatUnaryImpl(FloatUnary kind, float p0, float p1,
                                      const float *in, float *out, int64_t n) {
  using V = simd::VecF<W>;
  switch (kind) {
  case FloatUnary::Sqrt:
    return simd::map<W>(in, out, n, [](V x) QCC_LAMBDA_INLINE {
      return __builtin_elementwise_sqrt(x);
    });
  case FloatUnary::Exp:
    return simd::map<W>(in, out, n,
                        [](V x) QCC_LAMBDA_INLINE { return simd::exp<W>(x); });
  case FloatUnary::Erf:
    return simd::map<W>(in, out, n,
                        [](V x) QCC_LAMBDA_INLINE { return simd::erf<W>(x); });
  case FloatUnary::Tanh:
    return simd::map<W>(in, out, n,
                        [](V x) QCC_LAMBDA_INLINE { return simd::tanh<W>(x); });
  case FloatUnary::Sigmoid:
    return simd::map<W>(
        in, out, n, [](V x) QCC_LAMBDA_INLINE { return simd::sigmoid<W>(x); });
  case FloatUnary::Gelu:
    return simd::map<W>(in, out, n, [](V x) QCC_LAMBDA_INLINE {
      constexpr float kSqrt2 = 1.4142135623730951f;
      return x * 0.5f * (1.0f + simd::erf<W>(x / kSqrt2));
    });
  case FloatUnary::GeluTanh:
    return simd::map<W>(in, out, n, [](V x) QCC_LAMBDA_INLINE {
      // sqrt(2 / pi)
      constexpr float kAlpha = 0.7978845608028654f;
      return x * 0.5f *
             (1.0f + simd::tanh<W>(kAlpha * (x + 0.044715f * x * x * x)));
    });
  case FloatUnary::Relu:
    // NaN is not below 0: it propagates.
    return simd::map<W>(in, out, n, [](V x) QCC_LAMBDA_INLINE {
      return x < 0.0f ? V(0.0f) : x;
    });
  case FloatUnary::Neg:
    return simd::map<W>(in, out, n, [](V x) QCC_LAMBDA_INLINE { return -x; });
  case FloatUnary::Abs:
    return simd::map<W>(in, out, n,
                        [](V x) QCC_LAMBDA_INLINE { return simd::abs<W>(x); });
  case FloatUnary::Clip:
    return simd::map<W>(in, out, n, [p0, p1](V x) QCC_LAMBDA_INLINE {
      return x < p0 ? V(p0) : (x > p1 ? V(p1) : x);
    });
  case FloatUnary::LeakyRelu:
    return simd::map<W>(in, out, n, [p0](V x) QCC_LAMBDA_INLINE {
      return x >= 0.0f ? x : p0 * x;
    });
  }
}

QCC_SIMD_DISPATCH(floatUnary, floatUnaryImpl,
                  (FloatUnary kind, float p0, float p1, const float *in,
                   float *out, int64_t n),
                  (kind, p0, p1, in, out, n))

/// Runs a float unary op; p0 and p1 are its parameters (clip bounds, alpha).
LogicalResult runFloatUnary(Operation *op, ArrayRef<Tensor> operands,
                            SmallVectorImpl<Tensor> &results,
                            KernelContext &context, FloatUnary kind,
                            float p0 = 0.0f, float p1 = 0.0f) {
  Tensor out = allocateResultInPlace(op, context, operands.take_front());
  if (!out)
    return failure();
  const float *in = operands[0].getData<float>();
  float *dst = out.getData<float>();
  context.pool.parallelFor(
      out.getNumElements(), kParallelGrain, [&](int64_t begin, int64_t end) {
        floatUnary(kind, p0, p1, in + begin, dst + begin, end - begin);
      });
  results.push_back(std::move(out));
  return success();
}

#define QCC_FLOAT_UNARY(NAME)                                                  \
  LogicalResult run##NAME(Operation *op, ArrayRef<Tensor> operands,            \
                          SmallVectorImpl<Tensor> &results,                    \
                          KernelContext &context) {                            \
    return runFloatUnary(op, operands, results, context, FloatUnary::NAME);    \
  }

QCC_FLOAT_UNARY(Sqrt)
QCC_FLOAT_UNARY(Exp)
QCC_FLOAT_UNARY(Erf)
QCC_FLOAT_UNARY(Tanh)
QCC_FLOAT_UNARY(Sigmoid)
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
  if (operands[0].getElementType() == ElementType::F32)
    return runFloatUnary(op, operands, results, context,
                         K == NumericUnary::Neg   ? FloatUnary::Neg
                         : K == NumericUnary::Abs ? FloatUnary::Abs
                                                  : FloatUnary::Relu);
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
  return runFloatUnary(op, operands, results, context, FloatUnary::LeakyRelu,
                       alpha);
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
  return runFloatUnary(op, operands, results, context, FloatUnary::Clip, lo,
                       hi);
}

LogicalResult runGelu(Operation *op, ArrayRef<Tensor> operands,
                      SmallVectorImpl<Tensor> &results,
                      KernelContext &context) {
  bool tanh = cast<GeluOp>(op).getApproximate() == GeluApproximation::Tanh;
  return runFloatUnary(op, operands, results, context,
                       tanh ? FloatUnary::GeluTanh : FloatUnary::Gelu);
}

LogicalResult checkNumeric(Operation *op) {
  return checkElementTypes(op, {ElementType::F32, ElementType::I64,
                                ElementType::I32, ElementType::I16,
                                ElementType::I8, ElementType::UI8});
}

} // namespace

void mlir::qcc::evaluateVectorFunction(VectorFunction fn, const float *in,
                                       float *out, int64_t n, GemmIsa isa) {
  FloatUnary kind = fn == VectorFunction::Exp    ? FloatUnary::Exp
                    : fn == VectorFunction::Erf  ? FloatUnary::Erf
                    : fn == VectorFunction::Tanh ? FloatUnary::Tanh
                                                 : FloatUnary::Sigmoid;
  if (isa == GemmIsa::Best) {
    floatUnary(kind, 0.0f, 0.0f, in, out, n);
    return;
  }
#if QCC_SIMD_X86
  if (isa == GemmIsa::Avx512)
    return floatUnaryAvx512(kind, 0.0f, 0.0f, in, out, n);
  if (isa == GemmIsa::Avx2)
    return floatUnaryAvx2(kind, 0.0f, 0.0f, in, out, n);
  return floatUnaryGeneric(kind, 0.0f, 0.0f, in, out, n);
#else
  floatUnary(kind, 0.0f, 0.0f, in, out, n);
#endif
}

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
