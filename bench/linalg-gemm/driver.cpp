//===- driver.cpp - upstream-MLIR int8 GEMMs vs qcc_rt_linear -------------===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//
//
// Times, on one thread, C[M x N] (i32) = A[M x K] (i8) * B[K x N] (i8) for
// the BERT-base shapes (M = 1024; (N, K) in (768, 768), (3072, 768),
// (768, 3072), (3072, 3072)) computed by
//
//   qcc linear   qcc_rt_linear, B packed ahead of time by packLinear (as in
//                bench/gemm/gemm_bench.cpp, but with i8 activations), i32
//                output, no epilogue, runtime set to 1 thread;
//   mlir <v>     the functions that bench/linalg-gemm.sh generated from
//                linalg ops with upstream mlir-opt-22 / mlir-translate-22 /
//                llc-22 (see the *.mlir.in files and RESULTS.md): plain,
//                vnni4, vnni2, vnni2w.
//
// Any packing of B a variant needs (packLinear's blob; the [K/4, N, 4],
// [K/2, N, 2] i8 or i16 layouts and vnni4's column-sum correction) is done
// once, ahead of time, outside the timed calls, as a compiler does for
// constant weights. Everything on A (vnni2w's widening of A to i16, vnni4's
// and qcc's flip of A to u8) and the writing of all of C is inside the
// timed calls.
//
// Before timing, every output is compared element for element with a
// scalar reference; the program exits with 1 on the first difference.
// Timing: 2 warm-up calls, then calls until --min-time seconds (0.5) have
// passed; the median per call is kept; the whole set is repeated --repeat
// times (3) and the best median of each kernel is reported as GOPS (2 ops
// per multiply-add). Also measured: the single-core peak of vpdpbusd (24
// independent accumulator chains, 128 ops per instruction, as gemm_bench
// measures it) and of vpdpwssd (64 ops per instruction), the ceilings of
// an 8-bit and of a 16-bit-pair VNNI kernel.
//
//===----------------------------------------------------------------------===//

#include "qcc/Runtime/PackedLinear.h"
#include "qcc/Runtime/RuntimeABI.h"

#include <immintrin.h>

#include <algorithm>
#include <functional>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <string>
#include <time.h>
#include <vector>

using namespace qcc_rt;

// The generated functions (bare-pointer calling convention: one pointer
// per statically shaped memref).
#define QCC_SHAPES(X) X(768, 768) X(3072, 768) X(768, 3072) X(3072, 3072)
#define QCC_DECLARE(N, K)                                                      \
  void gemm_plain_##N##x##K(const int8_t *, const int8_t *, int32_t *);        \
  void gemm_vnni4_##N##x##K(const int8_t *, const int8_t *, const int32_t *,   \
                            int32_t *);                                        \
  void gemm_vnni2_##N##x##K(const int8_t *, const int8_t *, int32_t *);        \
  void gemm_vnni2w_##N##x##K(const int8_t *, const int16_t *, int32_t *,       \
                             int16_t *);
extern "C" {
QCC_SHAPES(QCC_DECLARE)
}

namespace {

constexpr int64_t kM = 1024;

[[noreturn]] void fail(const std::string &what) {
  fprintf(stderr, "linalg-gemm driver: error: %s\n", what.c_str());
  exit(1);
}

double now() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/// 64-byte aligned, zeroed storage.
template <typename T> struct Array {
  T *data = nullptr;
  size_t size = 0;
  explicit Array(size_t n) : size(n) {
    size_t bytes = (n * sizeof(T) + 63) / 64 * 64;
    data = static_cast<T *>(aligned_alloc(64, bytes ? bytes : 64));
    if (!data)
      fail("out of memory");
    memset(data, 0, bytes);
  }
  ~Array() { free(data); }
  Array(const Array &) = delete;
  Array &operator=(const Array &) = delete;
  T &operator[](size_t i) { return data[i]; }
};

/// Median seconds per call of fn: 2 warm-up calls, then calls until minTime
/// has passed (at least 3).
template <typename F> double measure(F &&fn, double minTime) {
  fn();
  fn();
  std::vector<double> times;
  double start = now();
  while (times.size() < 3 || now() - start < minTime) {
    double t0 = now();
    fn();
    times.push_back(now() - t0);
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

//===----------------------------------------------------------------------===//
// Peaks: 24 independent accumulator chains on registers
//===----------------------------------------------------------------------===//

constexpr int kChains = 24;
constexpr int64_t kPeakIters = 1 << 21;

/// kChains independent chains of one VNNI instruction (Wide: vpdpwssd on
/// 16-bit pairs, else vpdpbusd), `iters` rounds.
template <bool Wide>
__attribute__((target("avx512f,avx512bw,avx512vnni"), noinline)) int32_t
runPeak(int64_t iters) {
  __m512i a = Wide ? _mm512_set1_epi16(1) : _mm512_set1_epi8(1), b = a;
  asm volatile("" : "+v"(a), "+v"(b));
  __m512i acc[kChains];
  for (int j = 0; j < kChains; ++j)
    acc[j] = _mm512_set1_epi32(j);
  for (int64_t i = 0; i < iters; ++i) {
#pragma clang loop unroll(full)
    for (int j = 0; j < kChains; ++j)
      acc[j] = Wide ? _mm512_dpwssd_epi32(acc[j], a, b)
                    : _mm512_dpbusd_epi32(acc[j], a, b);
  }
  __m512i sum = acc[0];
  for (int j = 1; j < kChains; ++j)
    sum = _mm512_add_epi32(sum, acc[j]);
  return _mm512_reduce_add_epi32(sum);
}

volatile int32_t sink;

//===----------------------------------------------------------------------===//
// One shape
//===----------------------------------------------------------------------===//

using PlainFn = void (*)(const int8_t *, const int8_t *, int32_t *);
using Vnni4Fn = void (*)(const int8_t *, const int8_t *, const int32_t *,
                         int32_t *);
using Vnni2wFn = void (*)(const int8_t *, const int16_t *, int32_t *,
                          int16_t *);

struct Shape {
  int64_t n, k;
  PlainFn plain;
  Vnni4Fn vnni4;
  PlainFn vnni2;
  Vnni2wFn vnni2w;
};

struct Kernel {
  std::string name;
  std::function<void()> run;
  double best = 1e30;
};

class ShapeBench {
public:
  ShapeBench(const Shape &s, qcc_rt_context *rt)
      : s(s), rt(rt), a(kM * s.k), b(s.k * s.n), b4(s.k * s.n), b2(s.k * s.n),
        b2w(s.k * s.n), corr(s.n), w(kM * s.k), c(kM * s.n), ref(kM * s.n) {
    // Full-range random operands (deterministic).
    uint64_t state = 0x9e3779b97f4a7c15ull ^ (s.n * 7 + s.k);
    auto next = [&] {
      state ^= state << 13, state ^= state >> 7, state ^= state << 17;
      return static_cast<int8_t>(state >> 24);
    };
    for (size_t i = 0; i < a.size; ++i)
      a[i] = next();
    for (size_t i = 0; i < b.size; ++i)
      b[i] = next();
    // Ahead-of-time packings of B (not timed).
    for (int64_t k = 0; k < s.k; ++k)
      for (int64_t n = 0; n < s.n; ++n) {
        int8_t v = b[k * s.n + n];
        b4[((k / 4) * s.n + n) * 4 + k % 4] = v;
        b2[((k / 2) * s.n + n) * 2 + k % 2] = v;
        b2w[((k / 2) * s.n + n) * 2 + k % 2] = v;
        corr[n] -= 128 * v;
      }
    LinearSpec spec;
    spec.kind = LinearKind::MatMul;
    spec.k = s.k;
    spec.n = s.n;
    spec.weights = b.data;
    spec.activationDtype = QCC_I8;
    spec.epilogue = LinearEpilogue::None;
    spec.outputDtype = QCC_I32;
    if (const char *why = checkLinearSpec(spec))
      fail(std::string("checkLinearSpec: ") + why);
    blobBytes = static_cast<int64_t>(getPackedLinearSize(spec));
    blob = aligned_alloc(64, (blobBytes + 63) / 64 * 64);
    if (!blob || !packLinear(spec, blob))
      fail("packLinear failed");
    aShape[0] = kM, aShape[1] = s.k;
    cShape[0] = kM, cShape[1] = s.n;
    // Scalar reference (i, k, j order; i32 wrapping as the kernels).
    for (int64_t i = 0; i < kM; ++i) {
      int32_t *row = &ref[i * s.n];
      for (int64_t k = 0; k < s.k; ++k) {
        int32_t x = a[i * s.k + k];
        const int8_t *brow = &b[k * s.n];
        for (int64_t j = 0; j < s.n; ++j)
          row[j] = static_cast<int32_t>(static_cast<uint32_t>(row[j]) +
                                        static_cast<uint32_t>(x * brow[j]));
      }
    }
    kernels.push_back({"qcc linear", [this] { runLinear(); }});
    kernels.push_back(
        {"mlir plain", [this] { this->s.plain(a.data, b.data, c.data); }});
    kernels.push_back({"mlir vnni4", [this] {
                         this->s.vnni4(a.data, b4.data, corr.data, c.data);
                       }});
    kernels.push_back(
        {"mlir vnni2", [this] { this->s.vnni2(a.data, b2.data, c.data); }});
    kernels.push_back({"mlir vnni2w", [this] {
                         this->s.vnni2w(a.data, b2w.data, c.data, w.data);
                       }});
  }
  ~ShapeBench() { free(blob); }

  double ops() const { return 2.0 * kM * s.n * s.k; }

  void runLinear() {
    qcc_rt_tensor in[2] = {{a.data, aShape, 2, QCC_I8},
                           {blob, &blobBytes, 1, QCC_U8}};
    qcc_rt_tensor out = {c.data, cShape, 2, QCC_I32};
    if (qcc_rt_linear(rt, in, 2, &out, nullptr) != 0)
      fail(std::string("qcc_rt_linear: ") +
           qcc_rt_last_error(reinterpret_cast<qcc_context *>(rt)));
  }

  /// Runs every kernel once on a poisoned output and compares all of it
  /// with the reference.
  void verify() {
    for (Kernel &kern : kernels) {
      memset(c.data, 0xA5, c.size * sizeof(int32_t));
      kern.run();
      for (size_t i = 0; i < c.size; ++i)
        if (c[i] != ref[i]) {
          char msg[256];
          snprintf(msg, sizeof(msg),
                   "%s differs from the scalar reference on %lldx%lldx%lld "
                   "at row %lld, column %lld: %d vs %d",
                   kern.name.c_str(), (long long)kM, (long long)s.n,
                   (long long)s.k, (long long)(i / s.n), (long long)(i % s.n),
                   c[i], ref[i]);
          fail(msg);
        }
    }
  }

  void time(double minTime) {
    for (Kernel &kern : kernels)
      kern.best = std::min(kern.best, measure(kern.run, minTime));
  }

  Shape s;
  qcc_rt_context *rt;
  Array<int8_t> a, b, b4, b2;
  Array<int16_t> b2w;
  Array<int32_t> corr;
  Array<int16_t> w;
  Array<int32_t> c, ref;
  void *blob = nullptr;
  int64_t blobBytes = 0;
  int64_t aShape[2], cShape[2];
  std::vector<Kernel> kernels;
};

} // namespace

int main(int argc, char **argv) {
  int repeat = 3;
  double minTime = 0.5;
  bool quick = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--repeat" && i + 1 < argc)
      repeat = atoi(argv[++i]);
    else if (arg == "--min-time" && i + 1 < argc)
      minTime = atof(argv[++i]);
    else if (arg == "--quick")
      quick = true; // 1024x768x768 only
    else {
      printf("usage: %s [--repeat R (3)] [--min-time S (0.5)] [--quick]\n",
             argv[0]);
      return arg == "--help" ? 0 : 2;
    }
  }
  if (!__builtin_cpu_supports("avx512vnni"))
    fail("this CPU has no AVX-512 VNNI");

  qcc_context *api = nullptr;
  if (qcc_rt_create_kernel_context(&api) != QCC_OK)
    fail("qcc_rt_create_kernel_context failed");
  if (qcc_rt_set_num_threads(api, 1) != QCC_OK)
    fail("qcc_rt_set_num_threads failed");
  auto *rt = reinterpret_cast<qcc_rt_context *>(api);

  std::vector<Shape> shapes;
#define QCC_SHAPE(N, K)                                                        \
  shapes.push_back({N, K, gemm_plain_##N##x##K, gemm_vnni4_##N##x##K,          \
                    gemm_vnni2_##N##x##K, gemm_vnni2w_##N##x##K});
  QCC_SHAPES(QCC_SHAPE)
  if (quick)
    shapes.resize(1);

  std::vector<ShapeBench *> benches;
  for (const Shape &s : shapes) {
    benches.push_back(new ShapeBench(s, rt));
    benches.back()->verify();
    printf("verified %lldx%lldx%lld: all %zu outputs equal the scalar "
           "reference element for element\n",
           (long long)kM, (long long)s.n, (long long)s.k,
           benches.back()->kernels.size());
    fflush(stdout);
  }

  double dpbusd = 1e30, dpwssd = 1e30;
  for (int r = 0; r < repeat; ++r) {
    dpbusd = std::min(
        dpbusd, measure([] { sink = runPeak<false>(kPeakIters); }, minTime));
    dpwssd = std::min(
        dpwssd, measure([] { sink = runPeak<true>(kPeakIters); }, minTime));
    for (ShapeBench *bench : benches)
      bench->time(minTime);
  }
  double peakB = 128.0 * kChains * kPeakIters / dpbusd * 1e-9;
  double peakW = 64.0 * kChains * kPeakIters / dpwssd * 1e-9;

  printf("\nsingle-thread peaks (24 register chains): vpdpbusd %.0f GOPS, "
         "vpdpwssd %.0f GOPS\n\n",
         peakB, peakW);
  printf("GOPS, 1 thread, best of %d medians of >= %.2f s (ratio: MLIR / "
         "qcc linear)\n\n",
         repeat, minTime);
  printf("| M x N x K | qcc linear | mlir plain | mlir vnni4 | mlir vnni2 | "
         "mlir vnni2w |\n|---|---|---|---|---|---|\n");
  for (ShapeBench *bench : benches) {
    double qcc = bench->ops() / bench->kernels[0].best * 1e-9;
    printf("| %lldx%lldx%lld | %.0f (%.0f %% of peak) |", (long long)kM,
           (long long)bench->s.n, (long long)bench->s.k, qcc,
           100 * qcc / peakB);
    for (size_t i = 1; i < bench->kernels.size(); ++i) {
      double g = bench->ops() / bench->kernels[i].best * 1e-9;
      printf(" %.0f (%.2f) |", g, g / qcc);
    }
    printf("\n");
  }
  for (ShapeBench *bench : benches)
    delete bench;
  qcc_rt_destroy(api);
  return 0;
}
