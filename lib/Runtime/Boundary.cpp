//===- Boundary.cpp - quantize and dequantize -------------------*- C++ -*-===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//
//
// The only kernels with float arithmetic, exactly as the interpreter
// computes them (lib/Interpreter/Kernels/Conversion.cpp):
//   quantize:   q = clamp(nearbyint(x / scale) + zero_point, qmin, qmax),
//               the division and rounding (half to even) in f32, the sum and
//               clamp in f64; NaN quantizes to the zero point (clamped).
//   dequantize: x = f32(q - zero_point) * scale, the difference in i64.
// attrs: axis, [n] zero_points, n scales (f32 bit patterns in the low 32
// bits). n == 1 is per tensor; otherwise one entry per index of `axis`.
//
//===----------------------------------------------------------------------===//

#include "Internal.h"

#include <math.h>
#include <string.h>
#include <type_traits>

using namespace qcc_rt;

namespace {

struct QuantParams {
  int64_t count = 0;
  const int64_t *zeroPoints = nullptr;
  const int64_t *scaleBits = nullptr;
  // Elements are [outer][channels][inner].
  int64_t channels = 1, inner = 1;

  float getScale(int64_t c) const {
    uint32_t bits = static_cast<uint32_t>(scaleBits[c]);
    float f;
    memcpy(&f, &bits, sizeof(f));
    return f;
  }
};

int32_t parseQuant(const char *name, qcc_rt_context *ctx,
                   const qcc_rt_tensor &in, const int64_t *attrs,
                   QuantParams *p) {
  if (!attrs)
    return qcc_rt_set_error(ctx, QCC_ERROR_RUNTIME, "%s: no attrs", name);
  int64_t axis = attrs[0];
  p->count = attrs[1];
  p->zeroPoints = attrs + 2;
  p->scaleBits = attrs + 2 + p->count;
  if (p->count < 1)
    return qcc_rt_set_error(ctx, QCC_ERROR_RUNTIME, "%s: %lld parameters",
                            name, (long long)p->count);
  if (p->count == 1) {
    p->inner = getNumElements(in);
    return QCC_OK;
  }
  if (axis < 0 || axis >= in.rank || in.shape[axis] != p->count)
    return qcc_rt_set_error(ctx, QCC_ERROR_RUNTIME,
                            "%s: %lld parameters for axis %lld of a rank-%lld "
                            "tensor",
                            name, (long long)p->count, (long long)axis,
                            (long long)in.rank);
  p->channels = p->count;
  p->inner = getNumElements(in.shape + axis + 1, in.rank - axis - 1);
  return QCC_OK;
}

/// Runs body(channel, begin, end) over each [outer][channel] run of `inner`
/// elements, in parallel (a per-tensor quantization in chunks of elements).
template <typename F>
void forEachChannelRun(qcc_rt_context *ctx, const QuantParams &p,
                       int64_t total, F body) {
  if (p.inner == 0)
    return;
  if (p.channels == 1) {
    parallelFor(ctx, total, grainFor(1), [&](int64_t begin, int64_t end) {
      body(0, begin, end);
    });
    return;
  }
  int64_t runs = total / p.inner;
  parallelFor(ctx, runs, grainFor(p.inner), [&](int64_t r0, int64_t r1) {
    for (int64_t run = r0; run < r1; ++run)
      body(run % p.channels, run * p.inner, (run + 1) * p.inner);
  });
}

/// nearbyintf(x) in the default rounding mode (to nearest, ties to even)
/// without a libm call, so that the loop vectorises on any x86-64: below
/// 2^23, adding 2^23 leaves no fraction bits and the FPU rounds to nearest
/// even (2^23 is even, so the parity is x's); from 2^23 on every float is an
/// integer. The sign is put back (nearbyintf(-0.3) is -0.0); NaN stays NaN.
inline float roundHalfEven(float x) {
  const float twoTo23 = 8388608.0f;
  float a = __builtin_fabsf(x);
  float r = a < twoTo23 ? (a + twoTo23) - twoTo23 : a;
  return __builtin_copysignf(r, x);
}

} // namespace

// The float loops of the boundary kernels, named so that the integer-only
// check (test/Integration/CPU/check_no_float.py) counts them as boundary.
namespace qcc_rt::boundary {

/// Quantizes count floats to Q; a loop the compiler vectorises. Every step
/// is one correctly rounded IEEE operation (no contraction applies), so any
/// vector width gives the interpreter's bits.
template <typename Q>
static inline void quantizeRun(const float *in, Q *out, int64_t count,
                               float scale, double zeroPoint, double low,
                               double high) {
  for (int64_t i = 0; i < count; ++i) {
    float rounded = roundHalfEven(in[i] / scale);
    double value = double(rounded) + zeroPoint;
    value = value < low ? low : value;
    value = value > high ? high : value;
    // NaN (failing both comparisons) becomes the zero point.
    value = rounded != rounded ? zeroPoint : value;
    out[i] = static_cast<Q>(value);
  }
}

#if defined(__x86_64__)
/// The same loop vectorised for AVX-512 (16 floats per division instead of
/// SSE2's 4); callers check useAvx512().
template <typename Q>
__attribute__((target("avx512f,avx512bw,avx512vl"))) static void
quantizeRunAvx512(const float *in, Q *out, int64_t count, float scale,
                  double zeroPoint, double low, double high) {
  quantizeRun(in, out, count, scale, zeroPoint, low, high);
}
#endif

} // namespace qcc_rt::boundary

extern "C" {

QCC_RT_DEFINE_KERNEL(quantize) {
  const char *name = "quantize";
  if (int32_t s = checkNumInputs(ctx, name, num_inputs, 1, 1))
    return s;
  if (int32_t s = checkTensors(ctx, name, inputs, num_inputs, output))
    return s;
  if (inputs[0].dtype != QCC_F32)
    return unsupportedDtype(ctx, name, inputs[0].dtype);
  QuantParams p;
  if (int32_t s = parseQuant(name, ctx, inputs[0], attrs, &p))
    return s;
  const float *src = static_cast<const float *>(inputs[0].data);
  int64_t total = getNumElements(*output);
  int32_t status = QCC_OK;
  bool ok = dispatchInt(output->dtype, [&](auto tag) {
    using Q = typename decltype(tag)::type;
    if constexpr (std::is_same_v<Q, bool> || std::is_same_v<Q, int64_t>) {
      status = unsupportedDtype(ctx, name, output->dtype);
    } else {
      int64_t ilo, ihi;
      getRange(output->dtype, &ilo, &ihi);
      double lo = static_cast<double>(ilo), hi = static_cast<double>(ihi);
      Q *dst = static_cast<Q *>(output->data);
      bool avx512 = useAvx512();
      forEachChannelRun(
          ctx, p, total, [&](int64_t channel, int64_t begin, int64_t end) {
            float scale = p.getScale(channel);
            double zeroPoint = static_cast<double>(p.zeroPoints[channel]);
#if defined(__x86_64__)
            if (avx512) {
              boundary::quantizeRunAvx512(src + begin, dst + begin, end - begin,
                                          scale, zeroPoint, lo, hi);
              return;
            }
#endif
            boundary::quantizeRun(src + begin, dst + begin, end - begin, scale,
                                  zeroPoint, lo, hi);
          });
    }
  });
  return ok ? status : unsupportedDtype(ctx, name, output->dtype);
}

QCC_RT_DEFINE_KERNEL(dequantize) {
  const char *name = "dequantize";
  if (int32_t s = checkNumInputs(ctx, name, num_inputs, 1, 1))
    return s;
  if (int32_t s = checkTensors(ctx, name, inputs, num_inputs, output))
    return s;
  if (output->dtype != QCC_F32)
    return unsupportedDtype(ctx, name, output->dtype);
  QuantParams p;
  if (int32_t s = parseQuant(name, ctx, inputs[0], attrs, &p))
    return s;
  float *dst = static_cast<float *>(output->data);
  int64_t total = getNumElements(*output);
  int32_t status = QCC_OK;
  bool ok = dispatchInt(inputs[0].dtype, [&](auto tag) {
    using Q = typename decltype(tag)::type;
    if constexpr (std::is_same_v<Q, bool> || std::is_same_v<Q, int64_t>) {
      status = unsupportedDtype(ctx, name, inputs[0].dtype);
    } else {
      const Q *src = static_cast<const Q *>(inputs[0].data);
      forEachChannelRun(
          ctx, p, total, [&](int64_t channel, int64_t begin, int64_t end) {
            float scale = p.getScale(channel);
            int64_t zeroPoint = p.zeroPoints[channel];
            for (int64_t i = begin; i < end; ++i)
              dst[i] =
                  static_cast<float>(int64_t(src[i]) - zeroPoint) * scale;
          });
    }
  });
  return ok ? status : unsupportedDtype(ctx, name, inputs[0].dtype);
}

} // extern "C"
