//===- Simd.h - vector types, float math and per-ISA kernels ----*- C++ -*-===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//
//
// The interpreter is compiled for the baseline of the target (SSE2 on
// x86-64). Hot loops are written once over clang vector types of W floats
// and compiled per instruction set with a target attribute (W = 4 baseline,
// 8 AVX2+FMA, 16 AVX-512), like the GEMM's microkernels; QCC_SIMD_DISPATCH
// picks the best one the host runs.
//
// Float math (exp, erf, tanh, sigmoid) is computed here rather than by the
// C library, so that it vectorises. Every element goes through the same
// vector code (tails are padded into a whole vector), so a result does not
// depend on where an element falls in a loop, on the thread count or on W.
// As with the GEMM, an FMA instruction set fuses a * b + c, so the last bits
// may differ between an FMA and a non-FMA host. Accuracy against the
// exact result (test/unit/InterpreterMathTest.cpp sweeps the float range):
// exp within 1.5 ulp (1.0 measured), erf and tanh within 2 (1.2 and 1.1
// measured), sigmoid within 3 (2.7); NaN propagates, infinities give the
// limits.
//
//===----------------------------------------------------------------------===//

#ifndef QCC_LIB_INTERPRETER_KERNELS_SIMD_H
#define QCC_LIB_INTERPRETER_KERNELS_SIMD_H

#include <cstdint>
#include <cstring>
#include <utility>

#define QCC_ALWAYS_INLINE inline __attribute__((always_inline))
/// For lambdas inside IMPL templates (after the parameter list), so that
/// they are compiled with the instruction set of the kernel they are in.
#define QCC_LAMBDA_INLINE __attribute__((always_inline))

#if defined(__x86_64__) || defined(_M_X64)
#define QCC_SIMD_X86 1
#define QCC_TARGET_AVX2 __attribute__((target("avx2,fma")))
#define QCC_TARGET_AVX512                                                      \
  __attribute__((target("avx512f,avx512vl,avx512bw,avx512dq,avx2,fma")))
#else
#define QCC_SIMD_X86 0
#define QCC_TARGET_AVX2
#define QCC_TARGET_AVX512
#endif

namespace mlir::qcc::simd {

template <int W> using VecF = float __attribute__((ext_vector_type(W)));
template <int W> using VecI = int32_t __attribute__((ext_vector_type(W)));
template <int W> using VecD = double __attribute__((ext_vector_type(W)));
template <int W> using VecB = bool __attribute__((ext_vector_type(W)));

/// Instruction sets the vector kernels are compiled for.
enum class Isa { Generic, Avx2, Avx512 };

/// The best instruction set the host runs (the GEMM's choice).
Isa getHostIsa();

/// Defines `void NAME PARAMS`, which calls `IMPL<W> ARGS` compiled for the
/// host's best instruction set. IMPL must be an always-inline template.
#if QCC_SIMD_X86
#define QCC_SIMD_DISPATCH(NAME, IMPL, PARAMS, ARGS)                            \
  QCC_TARGET_AVX512 void NAME##Avx512 PARAMS { IMPL<16> ARGS; }                \
  QCC_TARGET_AVX2 void NAME##Avx2 PARAMS { IMPL<8> ARGS; }                     \
  void NAME##Generic PARAMS { IMPL<4> ARGS; }                                  \
  void NAME PARAMS {                                                           \
    switch (::mlir::qcc::simd::getHostIsa()) {                                 \
    case ::mlir::qcc::simd::Isa::Avx512:                                       \
      return NAME##Avx512 ARGS;                                                \
    case ::mlir::qcc::simd::Isa::Avx2:                                         \
      return NAME##Avx2 ARGS;                                                  \
    case ::mlir::qcc::simd::Isa::Generic:                                      \
      break;                                                                   \
    }                                                                          \
    return NAME##Generic ARGS;                                                 \
  }
#else
#define QCC_SIMD_DISPATCH(NAME, IMPL, PARAMS, ARGS)                            \
  void NAME PARAMS { IMPL<4> ARGS; }
#endif

//===----------------------------------------------------------------------===//
// Loads and stores
//===----------------------------------------------------------------------===//

template <int W> QCC_ALWAYS_INLINE VecF<W> load(const float *p) {
  VecF<W> v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

template <int W> QCC_ALWAYS_INLINE void store(float *p, VecF<W> v) {
  std::memcpy(p, &v, sizeof(v));
}

/// The first n < W elements at p, the rest `fill`.
template <int W>
QCC_ALWAYS_INLINE VecF<W> loadPartial(const float *p, int64_t n,
                                      float fill = 0.0f) {
  float buffer[W];
  for (int64_t i = 0; i < W; ++i)
    buffer[i] = i < n ? p[i] : fill;
  return load<W>(buffer);
}

/// Stores the first n < W elements of v at p.
template <int W>
QCC_ALWAYS_INLINE void storePartial(float *p, VecF<W> v, int64_t n) {
  float buffer[W];
  store<W>(buffer, v);
  for (int64_t i = 0; i < n; ++i)
    p[i] = buffer[i];
}

/// (0, 1, ..., W - 1).
template <int W> QCC_ALWAYS_INLINE VecI<W> iota() {
  VecI<W> v;
  for (int i = 0; i < W; ++i)
    v[i] = i;
  return v;
}

/// The lanes of p where `mask` (a comparison result) is set, zero elsewhere;
/// memory is accessed only in the set lanes.
template <int W>
QCC_ALWAYS_INLINE VecF<W> maskedLoad(VecI<W> mask, const float *p) {
  return __builtin_masked_load(__builtin_convertvector(mask, VecB<W>), p,
                               VecF<W>(0.0f));
}

/// Stores the lanes of v where `mask` is set.
template <int W>
QCC_ALWAYS_INLINE void maskedStore(VecI<W> mask, VecF<W> v, float *p) {
  __builtin_masked_store(__builtin_convertvector(mask, VecB<W>), v, p);
}

/// dst[x] = lo <= x < hi ? src[x] : 0 for x in [0, n), with masked vector
/// loads and stores: src is read only in [lo, hi), dst written only in
/// [0, n). Short rows (feature maps of 4..28 columns) take one or two
/// vector operations.
template <int W>
QCC_ALWAYS_INLINE void copyWindow(const float *src, float *dst, int64_t lo,
                                  int64_t hi, int64_t n) {
  for (int64_t x0 = 0; x0 < n; x0 += W) {
    VecI<W> x = iota<W>() + static_cast<int32_t>(x0);
    VecF<W> v = maskedLoad<W>((x >= static_cast<int32_t>(lo)) &
                                  (x < static_cast<int32_t>(hi)),
                              src + x0);
    if (x0 + W <= n)
      store<W>(dst + x0, v);
    else
      maskedStore<W>(x < static_cast<int32_t>(n), v, dst + x0);
  }
}

/// Lanes first, first + 2, ... of the concatenation of a and b.
template <int W, int First, size_t... I>
QCC_ALWAYS_INLINE VecF<W> everyOther(VecF<W> a, VecF<W> b,
                                     std::index_sequence<I...>) {
  return __builtin_shufflevector(a, b, (2 * I + First)...);
}

/// copyWindow with a stride of 2 in src: dst[x] = lo <= x < hi ? src[2 x] :
/// 0 for x in [0, n), src read only in [2 lo, 2 hi - 1).
template <int W>
QCC_ALWAYS_INLINE void copyWindowStride2(const float *src, float *dst,
                                         int64_t lo, int64_t hi, int64_t n) {
  for (int64_t x0 = 0; x0 < n; x0 += W) {
    // Window position j of the 2W floats at src + 2 x0 is src[2 x0 + j].
    VecI<W> j = iota<W>();
    int32_t first = static_cast<int32_t>(2 * (lo - x0));
    int32_t last = static_cast<int32_t>(2 * (hi - 1 - x0));
    VecF<W> a = maskedLoad<W>((j >= first) & (j <= last), src + 2 * x0);
    VecF<W> b =
        maskedLoad<W>((j + W >= first) & (j + W <= last), src + 2 * x0 + W);
    VecF<W> v = everyOther<W, 0>(a, b, std::make_index_sequence<W>());
    if (x0 + W <= n)
      store<W>(dst + x0, v);
    else
      maskedStore<W>(j + static_cast<int32_t>(x0) < static_cast<int32_t>(n), v,
                     dst + x0);
  }
}

/// dst[x] = src[x] + b for x in [0, n), with masked vector tails.
template <int W>
QCC_ALWAYS_INLINE void addScalar(const float *src, float *dst, float b,
                                 int64_t n) {
  for (int64_t x0 = 0; x0 < n; x0 += W) {
    if (x0 + W <= n) {
      store<W>(dst + x0, load<W>(src + x0) + b);
      continue;
    }
    VecI<W> inside =
        iota<W>() + static_cast<int32_t>(x0) < static_cast<int32_t>(n);
    maskedStore<W>(inside, maskedLoad<W>(inside, src + x0) + b, dst + x0);
  }
}

template <int W> QCC_ALWAYS_INLINE VecF<W> abs(VecF<W> x) {
  return __builtin_bit_cast(VecF<W>,
                            __builtin_bit_cast(VecI<W>, x) & 0x7fffffff);
}

/// |magnitude| with the sign of `sign`.
template <int W>
QCC_ALWAYS_INLINE VecF<W> copySign(VecF<W> magnitude, VecF<W> sign) {
  VecI<W> m = __builtin_bit_cast(VecI<W>, magnitude) & 0x7fffffff;
  VecI<W> s = __builtin_bit_cast(VecI<W>, sign) & int32_t(0x80000000u);
  return __builtin_bit_cast(VecF<W>, m | s);
}

/// Horner's rule: c[0] + x * (c[1] + x * (...)).
template <int W, int N>
QCC_ALWAYS_INLINE VecF<W> polynomial(VecF<W> x, const float (&c)[N]) {
  VecF<W> r = c[N - 1];
  for (int i = N - 2; i >= 0; --i)
    r = r * x + c[i];
  return r;
}

//===----------------------------------------------------------------------===//
// Math
//===----------------------------------------------------------------------===//

/// e^x: x = n ln2 + r with |r| <= ln2/2 (Cody-Waite), e^r = 1 + r + r^2 q(r)
/// (degree-4 least-maximum-error fit), times 2^n applied in two halves so
/// that results in the subnormal range round once.
template <int W> QCC_ALWAYS_INLINE VecF<W> exp(VecF<W> x) {
  constexpr float kLog2e = 0x1.715476p+0f, kLn2Hi = 0x1.62e400p-1f,
                  kLn2Lo = 0x1.7f7d1cp-20f;
  // 1.5 * 2^23: adding it rounds to an integer (to nearest even).
  constexpr float kRound = 0x1.8p23f;
  static constexpr float q[] = {0x1.fffffcp-2f, 0x1.555492p-3f, 0x1.5558f2p-5f,
                                0x1.123a20p-7f, 0x1.6a23cep-10f};
  // Below -104 the result is 0. Computing it anyway would make subnormal
  // intermediates, which cost a microcode assist each (masked attention
  // scores are -10000): compute e^0 there instead and select 0.
  VecI<W> underflow = x < -104.0f;
  VecF<W> xc = x > 89.0f ? VecF<W>(89.0f) : x;
  xc = underflow ? VecF<W>(0.0f) : xc;
  VecF<W> t = xc * kLog2e + kRound;
  VecF<W> n = t - kRound;
  VecF<W> r = xc - n * kLn2Hi;
  r = r - n * kLn2Lo;
  VecF<W> p = polynomial(r, q) * (r * r) + r;
  p = p + 1.0f;
  VecI<W> ni = __builtin_convertvector(n, VecI<W>);
  VecI<W> n1 = ni >> 1, n2 = ni - n1;
  VecF<W> s1 = __builtin_bit_cast(VecF<W>, (n1 + 127) << 23);
  VecF<W> s2 = __builtin_bit_cast(VecF<W>, (n2 + 127) << 23);
  VecF<W> result = (p * s1) * s2;
  result = underflow ? VecF<W>(0.0f) : result;
  return x != x ? x : result;
}

/// erf(x): for |x| < 0.921875, x + x p(x^2) (degree 5); above,
/// 1 - e^(q(|x| - 2.4609375) - x^2) with q of degree 8 fitted to
/// log(erfc(a)) + a^2 on [0.921875, 4] (erf rounds to 1 beyond 3.92).
template <int W> QCC_ALWAYS_INLINE VecF<W> erf(VecF<W> x) {
  static constexpr float small[] = {0x1.06eba6p-3f, -0x1.8126eep-2f,
                                    0x1.ce1b96p-4f, -0x1.b69a84p-6f,
                                    0x1.478cacp-8f, -0x1.3b46dcp-11f};
  static constexpr float large[] = {
      -0x1.8afeeep+0f, -0x1.6daf5ap-2f,  0x1.d63650p-5f,
      -0x1.6f1c0ep-7f, 0x1.26c664p-9f,   -0x1.cc0f22p-12f,
      0x1.5460a2p-14f, -0x1.cf3cd0p-17f, 0x1.ae29fep-20f};
  VecF<W> a = abs(x);
  VecF<W> nearZero = x * polynomial(x * x, small) + x;
  VecF<W> ac = a > 4.0f ? VecF<W>(4.0f) : a;
  VecF<W> e = polynomial(ac - 2.4609375f, large) - ac * ac;
  VecF<W> far = copySign(1.0f - exp(e), x);
  VecF<W> result = a < 0.921875f ? nearZero : far;
  return x != x ? x : result;
}

/// tanh(x): for |x| < 0.875, x + x^3 p(x^2) (degree 6); above,
/// 1 - 2 / (e^(2|x|) + 1) (tanh rounds to 1 beyond 9.01).
template <int W> QCC_ALWAYS_INLINE VecF<W> tanh(VecF<W> x) {
  static constexpr float small[] = {
      -0x1.555550p-2f, 0x1.110fbep-3f, -0x1.b9dd14p-5f, 0x1.638c40p-6f,
      -0x1.11558ap-7f, 0x1.5cae54p-9f, -0x1.fd7f34p-12f};
  VecF<W> a = abs(x);
  VecF<W> a2 = a * a;
  VecF<W> nearZero = a * (polynomial(a2, small) * a2) + a;
  VecF<W> ac = a > 10.0f ? VecF<W>(10.0f) : a;
  VecF<W> far = 1.0f - 2.0f / (exp(ac + ac) + 1.0f);
  VecF<W> result = copySign(a < 0.875f ? nearZero : far, x);
  return x != x ? x : result;
}

/// 1 / (1 + e^-x), as e^x / (1 + e^x) for negative x so that tiny results
/// do not underflow early.
template <int W> QCC_ALWAYS_INLINE VecF<W> sigmoid(VecF<W> x) {
  VecF<W> e = exp(-abs(x));
  VecF<W> inverse = 1.0f / (1.0f + e);
  return x < 0.0f ? e * inverse : inverse;
}

//===----------------------------------------------------------------------===//
// Loops
//===----------------------------------------------------------------------===//

/// The sum of the 8 partial sums of a double sum in the fixed order
/// ((p0 + p4) + (p2 + p6)) + ((p1 + p5) + (p3 + p7)).
QCC_ALWAYS_INLINE double combinePartials(VecD<8> p) {
  VecD<4> a = p.lo + p.hi;
  VecD<2> b = a.lo + a.hi;
  return b.x + b.y;
}

/// The float elements x[0, n) as doubles, in 8 interleaved partial sums
/// (element i goes to partial i mod 8, in increasing i), combined by
/// combinePartials. The same bits whatever the instruction set.
QCC_ALWAYS_INLINE double sumAsDouble(const float *x, int64_t n) {
  VecD<8> p = 0.0;
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    p += __builtin_convertvector(load<8>(x + i), VecD<8>);
  if (i < n)
    p += __builtin_convertvector(loadPartial<8>(x + i, n - i), VecD<8>);
  return combinePartials(p);
}

/// The largest of x[0, n) (n > 0), or NaN if any is NaN.
template <int W> QCC_ALWAYS_INLINE float maxOrNaN(const float *x, int64_t n) {
  VecF<W> m = -__builtin_inff();
  int64_t i = 0;
  for (; i + W <= n; i += W) {
    VecF<W> v = load<W>(x + i);
    m = (v > m || v != v) ? v : m;
  }
  if (i < n) {
    VecF<W> v = loadPartial<W>(x + i, n - i, -__builtin_inff());
    m = (v > m || v != v) ? v : m;
  }
  float lanes[W];
  store<W>(lanes, m);
  float result = lanes[0];
  for (int l = 1; l < W; ++l)
    if (lanes[l] > result || lanes[l] != lanes[l])
      result = lanes[l];
  return result;
}

/// y = softmax(x) over n > 0 elements (x may be y): subtracts the maximum,
/// sums the exponentials as doubles (sumAsDouble) and multiplies them by the
/// sum's reciprocal in double (a division per element cost a third of
/// attention's time).
template <int W>
QCC_ALWAYS_INLINE void softmaxRow(const float *x, float *y, int64_t n) {
  float maximum = maxOrNaN<W>(x, n);
  int64_t i = 0;
  for (; i + W <= n; i += W)
    store<W>(y + i, exp<W>(load<W>(x + i) - maximum));
  if (i < n)
    storePartial<W>(y + i, exp<W>(loadPartial<W>(x + i, n - i) - maximum),
                    n - i);
  double inverse = 1.0 / sumAsDouble(y, n);
  for (i = 0; i + 8 <= n; i += 8) {
    VecD<8> e = __builtin_convertvector(load<8>(y + i), VecD<8>);
    store<8>(y + i, __builtin_convertvector(e * inverse, VecF<8>));
  }
  for (; i < n; ++i)
    y[i] = static_cast<float>(y[i] * inverse);
}

/// out[i] = f(in[i]) for i < n, whole vectors then one padded vector.
template <int W, typename F>
QCC_ALWAYS_INLINE void map(const float *in, float *out, int64_t n, F f) {
  int64_t i = 0;
  for (; i + W <= n; i += W)
    store<W>(out + i, f(load<W>(in + i)));
  if (i < n)
    storePartial<W>(out + i, f(loadPartial<W>(in + i, n - i)), n - i);
}

} // namespace mlir::qcc::simd

#endif // QCC_LIB_INTERPRETER_KERNELS_SIMD_H
