//===- Elementwise.cpp - broadcasting arithmetic, compare, where -*- C++ -*-===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//
//
// qcc_rt_add/sub/mul/div, less/greater, where, relu, cast and copy, with
// the interpreter's semantics (lib/Interpreter/Kernels/Elementwise.cpp,
// Unary.cpp, Conversion.cpp): integer arithmetic wraps modulo 2^width,
// division truncates toward zero and a zero divisor is an error (checked
// over the whole divisor before anything is written), comparisons give one
// byte 0/1 per element, relu is max(x, 0). Integer types only: an f32
// operand is QCC_ERROR_RUNTIME (where and copy move bytes of any type).
//
//===----------------------------------------------------------------------===//

#include "Internal.h"

#include <string.h>
#include <type_traits>

using namespace qcc_rt;

namespace {

template <typename T>
using WrapType = std::conditional_t<sizeof(T) <= 4, uint32_t, uint64_t>;

enum class ArithKind { Add, Sub, Mul, Div };
enum class CompareKind { Less, Greater };

template <ArithKind K, typename T> T arith(T a, T b) {
  using U = WrapType<T>;
  U x = static_cast<U>(a), y = static_cast<U>(b);
  if constexpr (K == ArithKind::Add)
    return static_cast<T>(x + y);
  else if constexpr (K == ArithKind::Sub)
    return static_cast<T>(x - y);
  else if constexpr (K == ArithKind::Mul)
    return static_cast<T>(x * y);
  else {
    // b != 0 was checked before; -1 is the one divisor that can overflow.
    if (std::is_signed_v<T> && b == static_cast<T>(-1))
      return static_cast<T>(U(0) - x);
    return static_cast<T>(a / b);
  }
}

/// out[i] = f(a[i], b[i]) over a broadcast plan, rows in parallel.
template <typename T, typename R, typename F>
void binaryLoop(qcc_rt_context *ctx, const BroadcastPlan &plan, const T *a,
                const T *b, R *out, F f) {
  int64_t inner = plan.getInnerSize();
  int64_t sa = plan.strides[0][plan.rank - 1];
  int64_t sb = plan.strides[1][plan.rank - 1];
  parallelFor(ctx, plan.getNumRows(), grainFor(inner),
              [&](int64_t r0, int64_t r1) {
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

template <ArithKind K>
int32_t runArith(const char *name, qcc_rt_context *ctx,
                 const qcc_rt_tensor *inputs, int64_t numInputs,
                 const qcc_rt_tensor *output) {
  if (int32_t s = checkNumInputs(ctx, name, numInputs, 2, 2))
    return s;
  if (int32_t s = checkTensors(ctx, name, inputs, numInputs, output))
    return s;
  int64_t dtype = output->dtype;
  if (inputs[0].dtype != dtype || inputs[1].dtype != dtype)
    return qcc_rt_set_error(ctx, QCC_ERROR_RUNTIME,
                            "%s: operands %s and %s, result %s", name,
                            getDtypeName(inputs[0].dtype),
                            getDtypeName(inputs[1].dtype),
                            getDtypeName(dtype));
  if (dtype == QCC_BOOL || dtype == QCC_F32)
    return unsupportedDtype(ctx, name, dtype);
  BroadcastPlan plan;
  if (!planBroadcast(ctx, name, *output, inputs, 2, &plan))
    return QCC_ERROR_RUNTIME;
  int32_t status = QCC_OK;
  dispatchInt(dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (!std::is_same_v<T, bool>) {
      const T *b = static_cast<const T *>(inputs[1].data);
      if (K == ArithKind::Div) {
        int64_t n = getNumElements(inputs[1]);
        for (int64_t i = 0; i < n; ++i)
          if (b[i] == 0) {
            status = qcc_rt_set_error(ctx, QCC_ERROR_RUNTIME,
                                      "%s: integer division by zero", name);
            return;
          }
      }
      if (getNumElements(*output) == 0)
        return;
      binaryLoop(ctx, plan, static_cast<const T *>(inputs[0].data), b,
                 static_cast<T *>(output->data),
                 [](T x, T y) { return arith<K, T>(x, y); });
    }
  });
  return status;
}

template <CompareKind K>
int32_t runCompare(const char *name, qcc_rt_context *ctx,
                   const qcc_rt_tensor *inputs, int64_t numInputs,
                   const qcc_rt_tensor *output) {
  if (int32_t s = checkNumInputs(ctx, name, numInputs, 2, 2))
    return s;
  if (int32_t s = checkTensors(ctx, name, inputs, numInputs, output))
    return s;
  int64_t dtype = inputs[0].dtype;
  if (inputs[1].dtype != dtype || output->dtype != QCC_BOOL)
    return qcc_rt_set_error(ctx, QCC_ERROR_RUNTIME,
                            "%s: operands %s and %s, result %s", name,
                            getDtypeName(dtype), getDtypeName(inputs[1].dtype),
                            getDtypeName(output->dtype));
  BroadcastPlan plan;
  if (!planBroadcast(ctx, name, *output, inputs, 2, &plan))
    return QCC_ERROR_RUNTIME;
  if (getNumElements(*output) == 0)
    return QCC_OK;
  auto body = [&](auto tag) {
    using T = typename decltype(tag)::type;
    binaryLoop(ctx, plan, static_cast<const T *>(inputs[0].data),
               static_cast<const T *>(inputs[1].data),
               static_cast<uint8_t *>(output->data), [](T a, T b) -> uint8_t {
                 if constexpr (K == CompareKind::Less)
                   return a < b;
                 else
                   return a > b;
               });
  };
  if (!dispatchInt(dtype, body))
    return unsupportedDtype(ctx, name, dtype);
  return QCC_OK;
}

/// ONNX Cast between integer types as the interpreter defines it
/// (Conversion.cpp): to bool is `!= 0`, otherwise wrapping.
template <typename R, typename T> R convertElement(T x) {
  if constexpr (std::is_same_v<R, bool>)
    return x != 0;
  else if constexpr (std::is_same_v<T, bool>)
    return static_cast<R>(x ? 1 : 0);
  else
    return static_cast<R>(x);
}

} // namespace

extern "C" {

QCC_RT_DEFINE_KERNEL(add) {
  return runArith<ArithKind::Add>("add", ctx, inputs, num_inputs, output);
}
QCC_RT_DEFINE_KERNEL(sub) {
  return runArith<ArithKind::Sub>("sub", ctx, inputs, num_inputs, output);
}
QCC_RT_DEFINE_KERNEL(mul) {
  return runArith<ArithKind::Mul>("mul", ctx, inputs, num_inputs, output);
}
QCC_RT_DEFINE_KERNEL(div) {
  return runArith<ArithKind::Div>("div", ctx, inputs, num_inputs, output);
}
QCC_RT_DEFINE_KERNEL(less) {
  return runCompare<CompareKind::Less>("less", ctx, inputs, num_inputs,
                                       output);
}
QCC_RT_DEFINE_KERNEL(greater) {
  return runCompare<CompareKind::Greater>("greater", ctx, inputs, num_inputs,
                                          output);
}

QCC_RT_DEFINE_KERNEL(where) {
  const char *name = "where";
  if (int32_t s = checkNumInputs(ctx, name, num_inputs, 3, 3))
    return s;
  if (int32_t s = checkTensors(ctx, name, inputs, num_inputs, output))
    return s;
  if (inputs[0].dtype != QCC_BOOL || inputs[1].dtype != output->dtype ||
      inputs[2].dtype != output->dtype)
    return qcc_rt_set_error(ctx, QCC_ERROR_RUNTIME,
                            "where: operands %s, %s, %s, result %s",
                            getDtypeName(inputs[0].dtype),
                            getDtypeName(inputs[1].dtype),
                            getDtypeName(inputs[2].dtype),
                            getDtypeName(output->dtype));
  BroadcastPlan plan;
  if (!planBroadcast(ctx, name, *output, inputs, 3, &plan))
    return QCC_ERROR_RUNTIME;
  if (getNumElements(*output) == 0)
    return QCC_OK;
  int64_t inner = plan.getInnerSize();
  int64_t sc = plan.strides[0][plan.rank - 1];
  int64_t st = plan.strides[1][plan.rank - 1];
  int64_t sf = plan.strides[2][plan.rank - 1];
  const uint8_t *cond = static_cast<const uint8_t *>(inputs[0].data);
  dispatchBySize(output->dtype, [&](auto tag) {
    using U = typename decltype(tag)::type;
    const U *onTrue = static_cast<const U *>(inputs[1].data);
    const U *onFalse = static_cast<const U *>(inputs[2].data);
    U *dst = static_cast<U *>(output->data);
    parallelFor(ctx, plan.getNumRows(), grainFor(inner),
                [&](int64_t r0, int64_t r1) {
                  int64_t offsets[3];
                  for (int64_t row = r0; row < r1; ++row) {
                    plan.getRowOffsets(row, offsets);
                    const uint8_t *c = cond + offsets[0];
                    const U *t = onTrue + offsets[1];
                    const U *f = onFalse + offsets[2];
                    U *o = dst + row * inner;
                    for (int64_t j = 0; j < inner; ++j)
                      o[j] = c[j * sc] ? t[j * st] : f[j * sf];
                  }
                });
  });
  return QCC_OK;
}

QCC_RT_DEFINE_KERNEL(relu) {
  const char *name = "relu";
  if (int32_t s = checkNumInputs(ctx, name, num_inputs, 1, 1))
    return s;
  if (int32_t s = checkTensors(ctx, name, inputs, num_inputs, output))
    return s;
  int64_t dtype = output->dtype;
  if (inputs[0].dtype != dtype || dtype == QCC_BOOL)
    return unsupportedDtype(ctx, name, inputs[0].dtype);
  int64_t n = getNumElements(*output);
  bool supported = dispatchNumeric(dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T *src = static_cast<const T *>(inputs[0].data);
    T *dst = static_cast<T *>(output->data);
    parallelFor(ctx, n, kParallelGrain, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i)
        dst[i] = src[i] < T(0) ? T(0) : src[i];
    });
  });
  return supported ? QCC_OK : unsupportedDtype(ctx, name, dtype);
}

QCC_RT_DEFINE_KERNEL(cast) {
  const char *name = "cast";
  if (int32_t s = checkNumInputs(ctx, name, num_inputs, 1, 1))
    return s;
  if (int32_t s = checkTensors(ctx, name, inputs, num_inputs, output))
    return s;
  if (!isIntegerDtype(inputs[0].dtype))
    return unsupportedDtype(ctx, name, inputs[0].dtype);
  if (!isIntegerDtype(output->dtype))
    return unsupportedDtype(ctx, name, output->dtype);
  int64_t n = getNumElements(*output);
  dispatchInt(inputs[0].dtype, [&](auto inTag) {
    using T = typename decltype(inTag)::type;
    dispatchInt(output->dtype, [&](auto outTag) {
      using R = typename decltype(outTag)::type;
      const T *src = static_cast<const T *>(inputs[0].data);
      R *dst = static_cast<R *>(output->data);
      parallelFor(ctx, n, kParallelGrain, [&](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i)
          dst[i] = convertElement<R, T>(src[i]);
      });
    });
  });
  return QCC_OK;
}

QCC_RT_DEFINE_KERNEL(copy) {
  const char *name = "copy";
  if (int32_t s = checkNumInputs(ctx, name, num_inputs, 1, 1))
    return s;
  if (int32_t s = checkTensors(ctx, name, inputs, num_inputs, output))
    return s;
  size_t bytes = static_cast<size_t>(getNumElements(*output)) *
                 getElementSize(output->dtype);
  size_t inBytes = static_cast<size_t>(getNumElements(inputs[0])) *
                   getElementSize(inputs[0].dtype);
  if (bytes != inBytes)
    return qcc_rt_set_error(ctx, QCC_ERROR_RUNTIME,
                            "copy: %zu bytes to %zu bytes", inBytes, bytes);
  if (bytes && output->data != inputs[0].data)
    memmove(output->data, inputs[0].data, bytes);
  return QCC_OK;
}

} // extern "C"
