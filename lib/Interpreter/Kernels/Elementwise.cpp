//===- Elementwise.cpp - broadcasting binary ops and where ------*- C++ -*-===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//
//
// qcc.add/sub/mul/div/pow, qcc.equal/less/greater and qcc.where, all with
// NumPy broadcasting. Float add/sub/mul/div run in vectors (Simd.h) along
// the innermost dimension. Integer arithmetic wraps modulo 2^width (two's
// complement, like the generated code); integer division truncates toward
// zero like C, and a zero divisor is a diagnostic.
//
//===----------------------------------------------------------------------===//

#include "Kernels.h"
#include "Simd.h"

#include "qcc/Dialect/Qcc/IR/QccOps.h"

#include "mlir/IR/BuiltinTypes.h"

#include <cmath>
#include <type_traits>

using namespace mlir;
using namespace mlir::qcc;

namespace {

/// The unsigned type integer arithmetic of T is done in (never narrower than
/// 32 bits, so that promotions cannot overflow a signed int).
template <typename T>
using WrapType = std::conditional_t<sizeof(T) <= 4, uint32_t, uint64_t>;

enum class ArithKind { Add, Sub, Mul, Div, Pow };
enum class CompareKind { Equal, Less, Greater };

template <ArithKind K, typename T> T arith(T a, T b) {
  if constexpr (std::is_floating_point_v<T>) {
    if constexpr (K == ArithKind::Add)
      return a + b;
    else if constexpr (K == ArithKind::Sub)
      return a - b;
    else if constexpr (K == ArithKind::Mul)
      return a * b;
    else if constexpr (K == ArithKind::Div)
      return a / b;
    else
      return std::pow(a, b);
  } else {
    using U = WrapType<T>;
    U x = static_cast<U>(a), y = static_cast<U>(b);
    if constexpr (K == ArithKind::Add)
      return static_cast<T>(x + y);
    else if constexpr (K == ArithKind::Sub)
      return static_cast<T>(x - y);
    else if constexpr (K == ArithKind::Mul)
      return static_cast<T>(x * y);
    else if constexpr (K == ArithKind::Div) {
      // b != 0 was checked before; -1 is the one divisor that can overflow.
      if (b == static_cast<T>(-1) && std::is_signed_v<T>)
        return static_cast<T>(U(0) - x);
      return static_cast<T>(a / b);
    } else {
      // Integer power by squaring, wrapping; a negative exponent gives the
      // truncated value of the real power (0 for |a| > 1; a = 0 was
      // rejected before).
      if constexpr (std::is_signed_v<T>) {
        if (b < 0) {
          if (a == 1)
            return 1;
          if (a == -1)
            return (b % 2) ? -1 : 1;
          return 0;
        }
      }
      U result = 1, base = x;
      for (auto e = static_cast<uint64_t>(b); e; e >>= 1) {
        if (e & 1)
          result *= base;
        base *= base;
      }
      return static_cast<T>(result);
    }
  }
}

template <CompareKind K, typename T> bool compare(T a, T b) {
  if constexpr (K == CompareKind::Equal)
    return a == b;
  else if constexpr (K == CompareKind::Less)
    return a < b;
  else
    return a > b;
}

/// out[i] = f(a[i], b[i]) over a broadcast plan, rows in parallel.
template <typename T, typename R, typename F>
void binaryLoop(const BroadcastPlan &plan, const T *a, const T *b, R *out,
                WorkerPool &pool, F f) {
  int64_t inner = plan.getInnerSize();
  int64_t sa = plan.strides[0].back(), sb = plan.strides[1].back();
  int64_t grain = std::max<int64_t>(1, kParallelGrain / inner);
  pool.parallelFor(plan.getNumRows(), grain, [&](int64_t r0, int64_t r1) {
    int64_t offsets[2];
    for (int64_t row = r0; row < r1; ++row) {
      plan.getRowOffsets(row, offsets);
      const T *pa = a + offsets[0];
      const T *pb = b + offsets[1];
      R *po = out + row * inner;
      if (sa == 1 && sb == 1) {
        for (int64_t j = 0; j < inner; ++j)
          po[j] = f(pa[j], pb[j]);
      } else if (sa == 1 && sb == 0) {
        T y = *pb;
        for (int64_t j = 0; j < inner; ++j)
          po[j] = f(pa[j], y);
      } else if (sa == 0 && sb == 1) {
        T x = *pa;
        for (int64_t j = 0; j < inner; ++j)
          po[j] = f(x, pb[j]);
      } else {
        for (int64_t j = 0; j < inner; ++j)
          po[j] = f(pa[j * sa], pb[j * sb]);
      }
    }
  });
}

/// One row of a float binary op: out[j] = f(a[j * sa], b[j * sb]), in
/// vectors where both operands are contiguous or one is a scalar.
template <int W, typename F>
QCC_ALWAYS_INLINE void floatRow(const float *a, int64_t sa, const float *b,
                                int64_t sb, float *out, int64_t n, F f) {
  using V = simd::VecF<W>;
  if (sa == 1 && (sb == 1 || sb == 0)) {
    int64_t j = 0;
    for (; j + W <= n; j += W)
      simd::store<W>(
          out + j, f(simd::load<W>(a + j), sb ? simd::load<W>(b + j) : V(*b)));
    if (j < n)
      simd::storePartial<W>(out + j,
                            f(simd::loadPartial<W>(a + j, n - j),
                              sb ? simd::loadPartial<W>(b + j, n - j) : V(*b)),
                            n - j);
    return;
  }
  if (sa == 0 && sb == 1) {
    int64_t j = 0;
    for (; j + W <= n; j += W)
      simd::store<W>(out + j, f(V(*a), simd::load<W>(b + j)));
    if (j < n)
      simd::storePartial<W>(
          out + j, f(V(*a), simd::loadPartial<W>(b + j, n - j)), n - j);
    return;
  }
  for (int64_t j = 0; j < n; ++j)
    out[j] = f(a[j * sa], b[j * sb]);
}

/// Rows [r0, r1) of a float add/sub/mul/div over a broadcast plan.
template <int W>
QCC_ALWAYS_INLINE void
floatBinaryImpl(ArithKind kind, const BroadcastPlan *plan, const float *a,
                const float *b, float *out, int64_t r0, int64_t r1) {
  int64_t inner = plan->getInnerSize();
  int64_t sa = plan->strides[0].back(), sb = plan->strides[1].back();
  int64_t offsets[2];
  for (int64_t row = r0; row < r1; ++row) {
    plan->getRowOffsets(row, offsets);
    const float *pa = a + offsets[0], *pb = b + offsets[1];
    float *po = out + row * inner;
    switch (kind) {
    case ArithKind::Add:
      floatRow<W>(pa, sa, pb, sb, po, inner,
                  [](auto x, auto y) QCC_LAMBDA_INLINE { return x + y; });
      break;
    case ArithKind::Sub:
      floatRow<W>(pa, sa, pb, sb, po, inner,
                  [](auto x, auto y) QCC_LAMBDA_INLINE { return x - y; });
      break;
    case ArithKind::Mul:
      floatRow<W>(pa, sa, pb, sb, po, inner,
                  [](auto x, auto y) QCC_LAMBDA_INLINE { return x * y; });
      break;
    case ArithKind::Div:
      floatRow<W>(pa, sa, pb, sb, po, inner,
                  [](auto x, auto y) QCC_LAMBDA_INLINE { return x / y; });
      break;
    case ArithKind::Pow:
      break;
    }
  }
}

QCC_SIMD_DISPATCH(floatBinary, floatBinaryImpl,
                  (ArithKind kind, const BroadcastPlan *plan, const float *a,
                   const float *b, float *out, int64_t r0, int64_t r1),
                  (kind, plan, a, b, out, r0, r1))

BroadcastPlan planBinary(Operation *op, ArrayRef<Tensor> operands) {
  auto outType = cast<RankedTensorType>(op->getResult(0).getType());
  return planBroadcast(outType.getShape(),
                       {operands[0].getShape(), operands[1].getShape()});
}

/// Fails if an integer divisor (or a base raised to a negative power) is 0.
template <typename T>
LogicalResult checkIntegerOperands(Operation *op, ArithKind kind,
                                   const Tensor &lhs, const Tensor &rhs) {
  if constexpr (!std::is_floating_point_v<T>) {
    if (kind == ArithKind::Div) {
      for (T v : rhs.getValues<T>())
        if (v == 0)
          return op->emitError("integer division by zero");
    }
    if constexpr (std::is_signed_v<T>) {
      if (kind == ArithKind::Pow &&
          llvm::any_of(rhs.getValues<T>(), [](T v) { return v < 0; }) &&
          llvm::is_contained(lhs.getValues<T>(), T(0)))
        return op->emitError(
            "integer zero raised to a negative power (division by zero)");
    }
  }
  return success();
}

template <ArithKind K>
LogicalResult runArith(Operation *op, ArrayRef<Tensor> operands,
                       SmallVectorImpl<Tensor> &results,
                       KernelContext &context) {
  // An operand of the result's shape is read at the index it is written.
  Tensor out = allocateResultInPlace(op, context, operands.take_front(2));
  if (!out)
    return failure();
  BroadcastPlan plan = planBinary(op, operands);
  LogicalResult status = dispatchNumeric(
      operands[0].getElementType(), [&](auto tag) -> LogicalResult {
        using T = typename decltype(tag)::type;
        if (failed(checkIntegerOperands<T>(op, K, operands[0], operands[1])))
          return failure();
        if (out.getNumElements() == 0)
          return success();
        if constexpr (std::is_same_v<T, float>) {
          if (K != ArithKind::Pow) {
            int64_t grain =
                std::max<int64_t>(1, kParallelGrain / plan.getInnerSize());
            const float *a = operands[0].getData<float>();
            const float *b = operands[1].getData<float>();
            float *dst = out.getData<float>();
            context.pool.parallelFor(plan.getNumRows(), grain,
                                     [&](int64_t r0, int64_t r1) {
                                       floatBinary(K, &plan, a, b, dst, r0, r1);
                                     });
            return success();
          }
        }
        binaryLoop(plan, operands[0].getData<T>(), operands[1].getData<T>(),
                   out.getData<T>(), context.pool,
                   [](T a, T b) { return arith<K, T>(a, b); });
        return success();
      });
  if (failed(status))
    return failure();
  results.push_back(std::move(out));
  return success();
}

template <CompareKind K>
LogicalResult runCompare(Operation *op, ArrayRef<Tensor> operands,
                         SmallVectorImpl<Tensor> &results,
                         KernelContext &context) {
  Tensor out = allocateResult(op, context);
  if (!out)
    return failure();
  if (out.getNumElements()) {
    BroadcastPlan plan = planBinary(op, operands);
    dispatchType(operands[0].getElementType(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      binaryLoop(plan, operands[0].getData<T>(), operands[1].getData<T>(),
                 out.getData<bool>(), context.pool,
                 [](T a, T b) { return compare<K, T>(a, b); });
    });
  }
  results.push_back(std::move(out));
  return success();
}

LogicalResult runWhere(Operation *op, ArrayRef<Tensor> operands,
                       SmallVectorImpl<Tensor> &results,
                       KernelContext &context) {
  Tensor out = allocateResult(op, context);
  if (!out)
    return failure();
  if (out.getNumElements()) {
    BroadcastPlan plan = planBroadcast(
        out.getShape(), {operands[0].getShape(), operands[1].getShape(),
                         operands[2].getShape()});
    int64_t inner = plan.getInnerSize();
    int64_t grain = std::max<int64_t>(1, kParallelGrain / inner);
    const bool *cond = operands[0].getData<bool>();
    dispatchBySize(getElementSize(out.getElementType()), [&](auto tag) {
      using U = typename decltype(tag)::type;
      const U *onTrue = static_cast<const U *>(operands[1].getRawData());
      const U *onFalse = static_cast<const U *>(operands[2].getRawData());
      U *dst = static_cast<U *>(out.getRawData());
      int64_t sc = plan.strides[0].back(), st = plan.strides[1].back(),
              sf = plan.strides[2].back();
      context.pool.parallelFor(plan.getNumRows(), grain,
                               [&](int64_t r0, int64_t r1) {
                                 int64_t offsets[3];
                                 for (int64_t row = r0; row < r1; ++row) {
                                   plan.getRowOffsets(row, offsets);
                                   const bool *c = cond + offsets[0];
                                   const U *t = onTrue + offsets[1];
                                   const U *f = onFalse + offsets[2];
                                   U *o = dst + row * inner;
                                   for (int64_t j = 0; j < inner; ++j)
                                     o[j] = c[j * sc] ? t[j * st] : f[j * sf];
                                 }
                               });
    });
  }
  results.push_back(std::move(out));
  return success();
}

/// Arithmetic is defined on numbers, not booleans.
LogicalResult checkArith(Operation *op) {
  return checkElementTypes(op, {ElementType::F32, ElementType::I64,
                                ElementType::I32, ElementType::I16,
                                ElementType::I8, ElementType::UI8});
}

} // namespace

void mlir::qcc::populateElementwiseKernels(KernelTable &table) {
  table.add<AddOp>(runArith<ArithKind::Add>, checkArith);
  table.add<SubOp>(runArith<ArithKind::Sub>, checkArith);
  table.add<MulOp>(runArith<ArithKind::Mul>, checkArith);
  table.add<DivOp>(runArith<ArithKind::Div>, checkArith);
  table.add<PowOp>(runArith<ArithKind::Pow>, checkArith);
  table.add<EqualOp>(runCompare<CompareKind::Equal>);
  table.add<LessOp>(runCompare<CompareKind::Less>);
  table.add<GreaterOp>(runCompare<CompareKind::Greater>);
  table.add<WhereOp>(runWhere);
}
