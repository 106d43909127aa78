//===- gemm_bench.cpp - qcc's int8 GEMM kernels vs oneDNN and the peak ----===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//
//
// Measures, at 1 and 2 threads, the int8 GEMMs of BERT-base (M = 1024 rows,
// N and K in {768, 3072}) and a GEMV (M = 1, N = K = 4096), all as
// C[M x N] (i32) = A[M x K] (u8, row-major) * B[K x N] (s8, row-major):
//
//   peak          this machine's vpdpbusd throughput: 24 independent
//                 accumulator chains of _mm512_dpbusd_epi32 on registers,
//                 one pinned pthread per core, started together, each
//                 timing its own loop (64 MACs = 128 ops per vpdpbusd);
//   oneDNN        dnnl_gemm_u8s8s32 (offsets 0, alpha 1, beta 0); its
//                 OpenMP thread count set with omp_set_num_threads;
//   qcc linear    qcc_rt_linear with the weights packed ahead of time by
//                 packLinear (what the compiler emits), i32 output;
//   +requant      the same with a per-channel Requant epilogue to i8;
//   qcc matmul    qcc_rt_matmul, which packs B on every call.
//
// Each measurement warms the kernel up, then calls it until at least
// --min-time seconds have passed and keeps the median time per call. For
// every shape and thread count the tools run one after the other, so they
// see the same machine state; the whole set runs --repeat times and the
// best median of each tool is reported, as GOPS with 2 ops per
// multiply-add, in a markdown table. The ratio of CPU time to wall time
// during each measurement shows how many threads a tool really kept busy.
// The machine may be shared: /proc/stat tells how many CPUs other work used
// during a measurement; each measurement first waits (--idle-wait) for the
// machine to be idle and is taken again (--retries) when other work
// disturbed it, and the table shows the other work left in the kept ones.
//
// Before timing, at every thread count: the i32 outputs of qcc_rt_linear
// and qcc_rt_matmul must equal oneDNN's exactly (without oneDNN,
// qcc_rt_linear's must equal qcc_rt_matmul's), the reference must match a
// scalar product on sampled entries, and the requantized output must match
// the reference epilogue; otherwise the program exits with 1.
//
//===----------------------------------------------------------------------===//

#include "qcc/Runtime/PackedLinear.h"
#include "qcc/Runtime/RuntimeABI.h"

#ifdef QCC_BENCH_HAVE_DNNL
#include <dnnl.h>
#endif

#include <immintrin.h>

#include <algorithm>
#include <array>
#include <dlfcn.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <string>
#include <time.h>
#include <unistd.h>
#include <vector>

using namespace qcc_rt;

namespace {

//===----------------------------------------------------------------------===//
// Options, timing helpers
//===----------------------------------------------------------------------===//

/// CPUs of other work above which a measurement counts as disturbed.
constexpr double kBusyMachine = 0.2;

struct Options {
  int repeat = 1;
  double minTime = 0.3;
  std::vector<int> threads = {1, 2};
  /// Measurements during which other work used more than kBusyMachine
  /// CPUs are taken again, up to this many times (keeping the best).
  int retries = 2;
  /// Seconds to wait, before each measurement, for other work to stop.
  double idleWait = 2;
  bool quick = false; // One small shape only (debugging).
  /// Shapes given with --shape (replace the default set).
  std::vector<std::array<int64_t, 3>> shapes;
};

double now() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

double cpuNow() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

[[noreturn]] void fail(const char *format, const char *detail = "") {
  fprintf(stderr, "gemm_bench: error: ");
  fprintf(stderr, format, detail);
  fprintf(stderr, "\n");
  exit(1);
}

/// Busy CPU seconds of the whole machine (all processes, /proc/stat), or a
/// negative value when unknown.
double machineBusyNow() {
  FILE *f = fopen("/proc/stat", "r");
  if (!f)
    return -1;
  unsigned long long user, nice, system, idle, iowait, irq, softirq, steal;
  int got = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &user,
                   &nice, &system, &idle, &iowait, &irq, &softirq, &steal);
  fclose(f);
  if (got != 8)
    return -1;
  static const double tick = 1.0 / sysconf(_SC_CLK_TCK);
  return (user + nice + system + irq + softirq + steal) * tick;
}

/// Waits up to `seconds` until the machine is idle (other work below
/// kBusyMachine CPUs over 100 ms, this process idle meanwhile).
void waitForIdle(double seconds) {
  double deadline = now() + seconds;
  while (now() < deadline) {
    double start = now(), busy = machineBusyNow();
    if (busy < 0)
      return;
    usleep(100000);
    if ((machineBusyNow() - busy) / (now() - start) <= kBusyMachine)
      return;
  }
}

/// One measurement: seconds per call (median), CPU seconds of this process
/// per wall second, and CPU seconds of everything else on the machine per
/// wall second (other work that competed for the cores; 10 ms ticks).
struct Timing {
  double seconds = 0;
  double busy = 0;
  double other = 0;
};

/// Calls fn (after `warmup` untimed calls) until minTime has passed, at
/// least 3 times; fn returns the seconds its call took. Returns the median.
template <typename F>
Timing measureSeconds(F &&fn, double minTime, int warmup) {
  for (int i = 0; i < warmup; ++i)
    fn();
  std::vector<double> times;
  double start = now(), cpuStart = cpuNow(), machineStart = machineBusyNow();
  while (times.size() < 3 || now() - start < minTime)
    times.push_back(fn());
  double wall = now() - start, cpu = cpuNow() - cpuStart;
  double machine = machineBusyNow() - machineStart;
  std::sort(times.begin(), times.end());
  Timing t;
  t.seconds = times[times.size() / 2];
  t.busy = cpu / wall;
  t.other = machineStart < 0 ? 0 : std::max(0.0, (machine - cpu) / wall);
  return t;
}

/// measureSeconds of fn's calls timed from the outside.
template <typename F> Timing measure(F &&fn, double minTime, int warmup = 2) {
  return measureSeconds(
      [&] {
        double t0 = now();
        fn();
        return now() - t0;
      },
      minTime, warmup);
}

std::string getCpuModel() {
  FILE *f = fopen("/proc/cpuinfo", "r");
  if (!f)
    return "unknown";
  char line[512];
  std::string model = "unknown";
  while (fgets(line, sizeof(line), f)) {
    if (strncmp(line, "model name", 10) == 0) {
      const char *colon = strchr(line, ':');
      model = colon ? colon + 2 : line;
      while (!model.empty() && (model.back() == '\n' || model.back() == ' '))
        model.pop_back();
      break;
    }
  }
  fclose(f);
  return model;
}

/// The 1-minute load average: other work on the machine skews the numbers.
std::string getLoadAverage() {
  FILE *f = fopen("/proc/loadavg", "r");
  char buf[64] = "unknown";
  if (f) {
    if (fscanf(f, "%63s", buf) != 1)
      strcpy(buf, "unknown");
    fclose(f);
  }
  return buf;
}

//===----------------------------------------------------------------------===//
// vpdpbusd peak
//===----------------------------------------------------------------------===//

constexpr int kPeakChains = 24;

/// `iters` x 24 independent vpdpbusd on zmm registers; returns a value that
/// depends on all of them so none is dead.
__attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni"), noinline))
int32_t
runVnniChains(int64_t iters) {
  __m512i a = _mm512_set1_epi8(1), b = _mm512_set1_epi8(1);
  // Opaque to the optimizer: no folding of the products.
  asm volatile("" : "+v"(a), "+v"(b));
  __m512i acc[kPeakChains];
  for (int j = 0; j < kPeakChains; ++j)
    acc[j] = _mm512_set1_epi32(j);
  for (int64_t i = 0; i < iters; ++i) {
#pragma clang loop unroll(full)
    for (int j = 0; j < kPeakChains; ++j)
      acc[j] = _mm512_dpbusd_epi32(acc[j], a, b);
  }
  __m512i sum = acc[0];
  for (int j = 1; j < kPeakChains; ++j)
    sum = _mm512_add_epi32(sum, acc[j]);
  return _mm512_reduce_add_epi32(sum);
}

struct PeakThread {
  int64_t iters;
  int cpu;
  pthread_barrier_t *start;
  double seconds;
  volatile int32_t sink;
};

void *peakThreadMain(void *arg) {
  auto *t = static_cast<PeakThread *>(arg);
  if (t->cpu >= 0) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(t->cpu, &set);
    pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
  }
  pthread_barrier_wait(t->start);
  double t0 = now();
  t->sink = runVnniChains(t->iters);
  t->seconds = now() - t0;
  return nullptr;
}

/// The CPUs this process may run on, in order.
std::vector<int> getAllowedCpus() {
  std::vector<int> cpus;
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) == 0)
    for (int c = 0; c < CPU_SETSIZE; ++c)
      if (CPU_ISSET(c, &set))
        cpus.push_back(c);
  return cpus;
}

/// Iterations per thread of one peak call: ~100M vpdpbusd, ~17 ms.
constexpr int64_t kPeakIters = 1 << 22;

/// Ops of one peak call on `threads` threads.
double getPeakOps(int threads) {
  return 128.0 * kPeakChains * kPeakIters * threads;
}

/// Runs `threads` pinned threads of kPeakIters iterations each, started
/// together; each times its own loop. Returns the seconds of one call at
/// their summed rate (thread start-up excluded).
double runPeak(int threads) {
  static std::vector<int> cpus = getAllowedCpus();
  std::vector<pthread_t> ids(threads);
  std::vector<PeakThread> state(threads);
  pthread_barrier_t start;
  pthread_barrier_init(&start, nullptr, threads);
  for (int t = 0; t < threads; ++t) {
    state[t].iters = kPeakIters;
    state[t].cpu = static_cast<size_t>(threads) <= cpus.size() ? cpus[t] : -1;
    state[t].start = &start;
    if (pthread_create(&ids[t], nullptr, peakThreadMain, &state[t]) != 0)
      fail("cannot start a thread%s");
  }
  double rate = 0; // iterations per second
  for (int t = 0; t < threads; ++t) {
    pthread_join(ids[t], nullptr);
    rate += kPeakIters / state[t].seconds;
  }
  pthread_barrier_destroy(&start);
  return kPeakIters * threads / rate;
}

/// Seconds per peak call on `threads` threads.
Timing measurePeak(int threads, double minTime) {
  return measureSeconds([&] { return runPeak(threads); }, minTime, 1);
}

//===----------------------------------------------------------------------===//
// oneDNN (OpenMP runtime)
//===----------------------------------------------------------------------===//

/// Debian's oneDNN uses the OpenMP runtime (libgomp, a dependency of
/// libdnnl.so.2); its thread count is OpenMP's. Looked up at run time so
/// that the bench does not itself link an OpenMP runtime.
bool setOmpThreads(int threads) {
  using SetFn = void (*)(int);
  using GetFn = int (*)();
  auto set =
      reinterpret_cast<SetFn>(dlsym(RTLD_DEFAULT, "omp_set_num_threads"));
  auto get =
      reinterpret_cast<GetFn>(dlsym(RTLD_DEFAULT, "omp_get_max_threads"));
  if (!set || !get)
    return false;
  set(threads);
  return get() == threads;
}

#ifdef QCC_BENCH_HAVE_DNNL
const char *getIsaName(dnnl_cpu_isa_t isa) {
  switch (isa) {
  case dnnl_cpu_isa_avx512_core_amx:
    return "avx512_core_amx";
  case dnnl_cpu_isa_avx512_core_bf16:
    return "avx512_core_bf16";
  case dnnl_cpu_isa_avx512_core_vnni:
    return "avx512_core_vnni";
  case dnnl_cpu_isa_avx512_core:
    return "avx512_core";
  case dnnl_cpu_isa_avx2_vnni:
    return "avx2_vnni";
  case dnnl_cpu_isa_avx2:
    return "avx2";
  default:
    return "other";
  }
}
#endif

//===----------------------------------------------------------------------===//
// One shape
//===----------------------------------------------------------------------===//

struct Shape {
  int64_t m, n, k;
};

/// 64-byte aligned, zeroed storage.
struct Buffer {
  void *data = nullptr;
  explicit Buffer(size_t bytes) {
    size_t rounded = (bytes + 63) / 64 * 64;
    data = aligned_alloc(64, rounded ? rounded : 64);
    if (!data)
      fail("out of memory%s");
    memset(data, 0, rounded);
  }
  ~Buffer() { free(data); }
  Buffer(const Buffer &) = delete;
  Buffer &operator=(const Buffer &) = delete;
  template <typename T> T *as() const { return static_cast<T *>(data); }
};

/// The reference epilogue: clamp(floor(acc * m / 2^s + 1/2) + zp, lo, hi).
int32_t requantRef(int32_t acc, int32_t m, int32_t s, int32_t zp, int32_t lo,
                   int32_t hi) {
  __int128 p = static_cast<__int128>(acc) * m;
  if (s > 0)
    p = (p + (static_cast<__int128>(1) << (s - 1))) >> s;
  p += zp;
  return static_cast<int32_t>(p < lo ? lo : p > hi ? hi : p);
}

/// Results of one shape at one thread count (GOPS, busy threads).
struct Result {
  double gops = 0, busy = 0, other = 0;
  /// Keeps the better of this and a new measurement of `ops` ops.
  void keep(const Timing &t, double ops) {
    double g = ops / t.seconds * 1e-9;
    if (g > gops)
      gops = g, busy = t.busy, other = t.other;
  }
};

struct Row {
  Result dnnl, linear, requant, matmul, requant4;
};

class ShapeBench {
public:
  ShapeBench(const Shape &s, qcc_rt_context *rt)
      : s(s), rt(rt), a(s.m * s.k), b(s.k * s.n), b4(s.k * s.n),
        c(s.m * s.n * 4),
        cRef(s.m * s.n * 4), cRequant(s.m * s.n), mul(s.n * 4), shift(s.n * 4) {
    // Full-range random operands (deterministic).
    uint64_t state = 0x9e3779b97f4a7c15ull ^ (s.m * 131 + s.n * 7 + s.k);
    auto next = [&] {
      state ^= state << 13, state ^= state >> 7, state ^= state << 17;
      return static_cast<uint8_t>(state >> 24);
    };
    for (int64_t i = 0; i < s.m * s.k; ++i)
      a.as<uint8_t>()[i] = next();
    for (int64_t i = 0; i < s.k * s.n; ++i) {
      b.as<int8_t>()[i] = static_cast<int8_t>(next());
      // The 4-bit weights: the top nibble, in [-8, 7].
      b4.as<int8_t>()[i] = static_cast<int8_t>(b.as<int8_t>()[i] >> 4);
    }
    for (int64_t c = 0; c < s.n; ++c) {
      mul.as<int32_t>()[c] =
          (1 << 30) + static_cast<int32_t>((c * 2654435761u) % (1u << 30));
      shift.as<int32_t>()[c] = 38 + static_cast<int32_t>(c % 3);
    }
    packed = pack(LinearEpilogue::None, QCC_I32);
    packedRequant = pack(LinearEpilogue::Requant, QCC_I8);
    packedRequant4 = pack(LinearEpilogue::Requant, QCC_I8, 4);
    aShape[0] = s.m, aShape[1] = s.k;
    bShape[0] = s.k, bShape[1] = s.n;
    cShape[0] = s.m, cShape[1] = s.n;
  }
  ~ShapeBench() {
    free(packed.first);
    free(packedRequant.first);
    free(packedRequant4.first);
  }

  double ops() const { return 2.0 * s.m * s.n * s.k; }
  int32_t *output() const { return c.as<int32_t>(); }

  void runLinear(bool requant, bool w4 = false) {
    std::pair<void *, int64_t> &blob =
        w4 ? packedRequant4 : requant ? packedRequant : packed;
    qcc_rt_tensor in[2] = {{a.data, aShape, 2, QCC_U8},
                           {blob.first, &blob.second, 1, QCC_U8}};
    qcc_rt_tensor out = {requant ? cRequant.data : c.data, cShape, 2,
                         requant ? QCC_I8 : QCC_I32};
    if (qcc_rt_linear(rt, in, 2, &out, nullptr) != 0)
      fail("qcc_rt_linear: %s",
           qcc_rt_last_error(reinterpret_cast<qcc_context *>(rt)));
  }

  void runMatMul() {
    qcc_rt_tensor in[2] = {{a.data, aShape, 2, QCC_U8},
                           {b.data, bShape, 2, QCC_I8}};
    qcc_rt_tensor out = {c.data, cShape, 2, QCC_I32};
    if (qcc_rt_matmul(rt, in, 2, &out, nullptr) != 0)
      fail("qcc_rt_matmul: %s",
           qcc_rt_last_error(reinterpret_cast<qcc_context *>(rt)));
  }

#ifdef QCC_BENCH_HAVE_DNNL
  void runDnnl(int32_t *out) {
    int32_t co = 0;
    dnnl_status_t st =
        dnnl_gemm_u8s8s32('N', 'N', 'F', s.m, s.n, s.k, 1.0f, a.as<uint8_t>(),
                          s.k, 0, b.as<int8_t>(), s.n, 0, 0.0f, out, s.n, &co);
    if (st != dnnl_success)
      fail("dnnl_gemm_u8s8s32 failed%s");
  }
#endif

  /// Checks every kernel's output; returns the name of the i32 reference.
  const char *verify() {
    int64_t count = s.m * s.n;
    const int32_t *ref = cRef.as<int32_t>();
    const char *refName;
#ifdef QCC_BENCH_HAVE_DNNL
    runDnnl(cRef.as<int32_t>());
    refName = "oneDNN";
#else
    runMatMul();
    memcpy(cRef.data, c.data, count * 4);
    refName = "qcc_rt_matmul";
#endif
    // Sampled entries against a scalar reference.
    for (int64_t t = 0; t < 4096; ++t) {
      int64_t i = (t * 7919) % s.m, j = (t * 104729) % s.n;
      int32_t acc = 0;
      for (int64_t kk = 0; kk < s.k; ++kk)
        acc += static_cast<int32_t>(a.as<uint8_t>()[i * s.k + kk]) *
               b.as<int8_t>()[kk * s.n + j];
      if (acc != ref[i * s.n + j])
        fail("%s differs from the scalar reference", refName);
    }
    auto compare = [&](const char *what) {
      if (memcmp(c.data, ref, count * 4) != 0) {
        int64_t bad = 0, first = -1;
        for (int64_t i = 0; i < count; ++i)
          if (c.as<int32_t>()[i] != ref[i])
            bad++, first = first < 0 ? i : first;
        fprintf(stderr,
                "gemm_bench: error: %s differs from %s on %lldx%lldx%lld: "
                "%lld of %lld entries, first at (%lld, %lld): %d vs %d\n",
                what, refName, (long long)s.m, (long long)s.n, (long long)s.k,
                (long long)bad, (long long)count, (long long)(first / s.n),
                (long long)(first % s.n), c.as<int32_t>()[first], ref[first]);
        exit(1);
      }
    };
    memset(c.data, 0xa5, count * 4);
    runLinear(false);
    compare("qcc_rt_linear");
    memset(c.data, 0xa5, count * 4);
    runMatMul();
    compare("qcc_rt_matmul");
    memset(cRequant.data, 0xa5, count);
    runLinear(true);
    for (int64_t i = 0; i < count; ++i) {
      int64_t j = i % s.n;
      int32_t want = requantRef(ref[i], mul.as<int32_t>()[j],
                                shift.as<int32_t>()[j], 0, -128, 127);
      if (cRequant.as<int8_t>()[i] != want) {
        fprintf(stderr,
                "gemm_bench: error: qcc_rt_linear+requant differs from the "
                "reference at (%lld, %lld): %d vs %d\n",
                (long long)(i / s.n), (long long)j, cRequant.as<int8_t>()[i],
                want);
        exit(1);
      }
    }
    // 4-bit weights: sampled entries against the scalar reference.
    memset(cRequant.data, 0xa5, count);
    runLinear(true, true);
    for (int64_t t = 0; t < 4096; ++t) {
      int64_t i = (t * 7919) % s.m, j = (t * 104729) % s.n;
      int32_t acc = 0;
      for (int64_t kk = 0; kk < s.k; ++kk)
        acc += static_cast<int32_t>(a.as<uint8_t>()[i * s.k + kk]) *
               b4.as<int8_t>()[kk * s.n + j];
      int32_t want = requantRef(acc, mul.as<int32_t>()[j],
                                shift.as<int32_t>()[j] - 4, 0, -128, 127);
      if (cRequant.as<int8_t>()[i * s.n + j] != want)
        fail("qcc_rt_linear with 4-bit weights differs from the scalar "
             "reference%s");
    }
    return refName;
  }

  Shape s;

private:
  std::pair<void *, int64_t> pack(LinearEpilogue epilogue, int64_t dtype,
                                  int64_t weightBits = 8) {
    LinearSpec spec;
    spec.kind = LinearKind::MatMul;
    spec.k = s.k;
    spec.n = s.n;
    spec.weights = weightBits == 4 ? b4.as<int8_t>() : b.as<int8_t>();
    spec.weightBits = weightBits;
    if (weightBits == 4) {
      // Outputs of the same magnitude as the 8-bit case (weights 16x
      // smaller, shifts 4 smaller).
      shift4.resize(s.n);
      for (int64_t c = 0; c < s.n; ++c)
        shift4[c] = shift.as<int32_t>()[c] - 4;
    }
    spec.activationDtype = QCC_U8;
    spec.epilogue = epilogue;
    spec.outputDtype = dtype;
    if (epilogue == LinearEpilogue::Requant) {
      spec.lo = -128, spec.hi = 127, spec.zeroPoint = 0;
      spec.multiplier = mul.as<int32_t>();
      spec.shift = weightBits == 4 ? shift4.data() : shift.as<int32_t>();
      spec.numScales = s.n;
    }
    if (const char *why = checkLinearSpec(spec))
      fail("checkLinearSpec: %s", why);
    size_t bytes = getPackedLinearSize(spec);
    void *blob = aligned_alloc(64, (bytes + 63) / 64 * 64);
    if (!blob || !packLinear(spec, blob))
      fail("packLinear failed%s");
    return {blob, static_cast<int64_t>(bytes)};
  }

  qcc_rt_context *rt;
  Buffer a, b, b4, c, cRef, cRequant, mul, shift;
  std::vector<int32_t> shift4;
  std::pair<void *, int64_t> packed, packedRequant, packedRequant4;
  int64_t aShape[2], bShape[2], cShape[2];
};

//===----------------------------------------------------------------------===//
// Driver
//===----------------------------------------------------------------------===//

void usage(const char *argv0) {
  printf("usage: %s [--repeat R] [--min-time S] [--threads 1,2] "
         "[--retries N] [--idle-wait S] [--quick] [--shape MxNxK]...\n"
         "  --repeat R     run the whole set R times, keep each tool's best "
         "median (1)\n"
         "  --min-time S   seconds of calls per measurement (0.3)\n"
         "  --threads L    comma-separated thread counts (1,2)\n"
         "  --retries N    measure again, up to N times, while other work "
         "used\n"
         "                 more than 0.2 CPUs (2)\n"
         "  --idle-wait S  before each measurement, wait up to S seconds "
         "for\n"
         "                 other work to stop (2)\n"
         "  --quick        one small shape (debugging)\n"
         "  --shape MxNxK  measure this shape instead of the default set "
         "(repeatable)\n",
         argv0);
}

Options parseOptions(int argc, char **argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&]() -> const char * {
      if (i + 1 >= argc)
        fail("%s needs a value", arg.c_str());
      return argv[++i];
    };
    if (arg == "--repeat") {
      o.repeat = atoi(value());
    } else if (arg == "--min-time") {
      o.minTime = atof(value());
    } else if (arg == "--threads") {
      o.threads.clear();
      std::string list = value();
      for (size_t p = 0; p <= list.size();) {
        size_t comma = list.find(',', p);
        if (comma == std::string::npos)
          comma = list.size();
        int t = atoi(list.substr(p, comma - p).c_str());
        if (t < 1)
          fail("bad thread count in '%s'", list.c_str());
        o.threads.push_back(t);
        p = comma + 1;
      }
    } else if (arg == "--idle-wait") {
      o.idleWait = atof(value());
    } else if (arg == "--retries") {
      o.retries = atoi(value());
    } else if (arg == "--quick") {
      o.quick = true;
    } else if (arg == "--shape") {
      const char *text = value();
      long long m, n, k;
      char tail;
      if (sscanf(text, "%lldx%lldx%lld%c", &m, &n, &k, &tail) != 3 || m < 1 ||
          n < 1 || k < 1)
        fail("bad --shape '%s' (expected MxNxK, all positive)", text);
      o.shapes.push_back({m, n, k});
    } else if (arg == "--help" || arg == "-h") {
      usage(argv[0]);
      exit(0);
    } else {
      usage(argv[0]);
      fail("unknown argument '%s'", arg.c_str());
    }
  }
  if (o.repeat < 1 || o.minTime <= 0 || o.retries < 0 || o.idleWait < 0)
    fail("--repeat and --min-time must be positive, --retries and "
         "--idle-wait not negative%s");
  return o;
}

std::string formatGops(double gops, bool available = true) {
  if (!available)
    return "n/a";
  char buf[32];
  snprintf(buf, sizeof(buf), gops < 10 ? "%.1f" : "%.0f", gops);
  return buf;
}

std::string formatRatio(double num, double den, bool available = true) {
  if (!available || den <= 0)
    return "n/a";
  char buf[32];
  snprintf(buf, sizeof(buf), "%.2f", num / den);
  return buf;
}

} // namespace

int main(int argc, char **argv) {
  Options opts = parseOptions(argc, argv);
  __builtin_cpu_init();
  if (!__builtin_cpu_supports("avx512vnni"))
    fail("this CPU has no AVX-512 VNNI%s");

  std::string command;
  for (int i = 0; i < argc; ++i)
    command += (i ? " " : "") + std::string(argv[i]);
  printf("# int8 GEMM: qcc vs oneDNN vs the vpdpbusd peak\n\n");
  printf("- command: `%s`\n", command.c_str());
  printf("- cpu: %s, %ld online CPUs, L2 %ld KiB, L3 %ld MiB, load "
         "average %s\n",
         getCpuModel().c_str(), sysconf(_SC_NPROCESSORS_ONLN),
         sysconf(_SC_LEVEL2_CACHE_SIZE) / 1024,
         sysconf(_SC_LEVEL3_CACHE_SIZE) / (1024 * 1024),
         getLoadAverage().c_str());
  bool haveDnnl = false;
#ifdef QCC_BENCH_HAVE_DNNL
  haveDnnl = true;
  const dnnl_version_t *v = dnnl_version();
  printf("- oneDNN %d.%d.%d, CPU runtime %s, ISA %s\n", v->major, v->minor,
         v->patch,
         v->cpu_runtime == DNNL_RUNTIME_OMP   ? "OpenMP"
         : v->cpu_runtime == DNNL_RUNTIME_TBB ? "TBB"
         : v->cpu_runtime == DNNL_RUNTIME_SEQ ? "sequential"
                                              : "other",
         getIsaName(dnnl_get_effective_cpu_isa()));
#else
  printf("- oneDNN: not built in (libdnnl-dev absent at configure time)\n");
#endif
  printf("- %d repeat(s), >= %.2f s per measurement, median per call, best "
         "median over repeats;\n  up to %d retries of a measurement disturbed "
         "by other work, up to %.1f s wait for idle\n\n",
         opts.repeat, opts.minTime, opts.retries, opts.idleWait);
  fflush(stdout);

  qcc_context *api = nullptr;
  if (qcc_rt_create_kernel_context(&api) != QCC_OK)
    fail("qcc_rt_create failed%s");
  auto *rt = reinterpret_cast<qcc_rt_context *>(api);

  std::vector<Shape> shapes = {{1024, 768, 768},
                               {1024, 3072, 768},
                               {1024, 768, 3072},
                               {1024, 3072, 3072},
                               {1, 4096, 4096}};
  if (opts.quick)
    shapes = {{256, 768, 768}, {1, 1024, 1024}};
  if (!opts.shapes.empty()) {
    shapes.clear();
    for (const auto &s : opts.shapes)
      shapes.push_back({s[0], s[1], s[2]});
  }

  std::string threadList;
  for (int t : opts.threads)
    threadList += (threadList.empty() ? "" : ",") + std::to_string(t);
  std::vector<ShapeBench *> benches;
  for (const Shape &s : shapes) {
    benches.push_back(new ShapeBench(s, rt));
    const char *ref = "";
    for (int threads : opts.threads) {
      if (qcc_rt_set_num_threads(api, threads) != QCC_OK)
        fail("qcc_rt_set_num_threads failed%s");
      if (haveDnnl && !setOmpThreads(threads))
        fail("cannot set OpenMP's thread count%s");
      ref = benches.back()->verify();
    }
    printf("verified %lldx%lldx%lld: qcc_rt_linear and qcc_rt_matmul outputs "
           "identical to %s, requant epilogue exact (threads %s)\n",
           (long long)s.m, (long long)s.n, (long long)s.k, ref,
           threadList.c_str());
    fflush(stdout);
  }
  printf("outputs identical\n\n");

  size_t nt = opts.threads.size();
  std::vector<Result> peak(nt);
  std::vector<std::vector<Row>> best(benches.size(), std::vector<Row>(nt));
  for (int r = 0; r < opts.repeat; ++r) {
    for (size_t ti = 0; ti < nt; ++ti) {
      int threads = opts.threads[ti];
      if (qcc_rt_set_num_threads(api, threads) != QCC_OK)
        fail("qcc_rt_set_num_threads failed%s");
      if (haveDnnl && !setOmpThreads(threads))
        fail("cannot set OpenMP's thread count%s");
      // Measures fn into res, again while other work disturbed it.
      auto measureInto = [&](Result &res, double ops, auto &&fn) {
        for (int attempt = 0;; ++attempt) {
          waitForIdle(opts.idleWait);
          Timing t = fn();
          res.keep(t, ops);
          if (t.other <= kBusyMachine || attempt >= opts.retries)
            break;
        }
      };
      measureInto(peak[ti], getPeakOps(threads),
                  [&] { return measurePeak(threads, opts.minTime); });
      for (size_t si = 0; si < benches.size(); ++si) {
        ShapeBench &sb = *benches[si];
        Row &row = best[si][ti];
        double ops = sb.ops(), minTime = opts.minTime;
#ifdef QCC_BENCH_HAVE_DNNL
        measureInto(row.dnnl, ops, [&] {
          return measure([&] { sb.runDnnl(sb.output()); }, minTime);
        });
#endif
        measureInto(row.linear, ops, [&] {
          return measure([&] { sb.runLinear(false); }, minTime);
        });
        measureInto(row.requant, ops, [&] {
          return measure([&] { sb.runLinear(true); }, minTime);
        });
        measureInto(row.requant4, ops, [&] {
          return measure([&] { sb.runLinear(true, true); }, minTime);
        });
        measureInto(row.matmul, ops,
                    [&] { return measure([&] { sb.runMatMul(); }, minTime); });
      }
    }
    fprintf(stderr, "repeat %d/%d done\n", r + 1, opts.repeat);
  }

  printf("GOPS (2 ops per multiply-add; i32 output unless noted):\n\n");
  printf("| shape MxNxK | threads | peak | oneDNN | qcc linear | "
         "qcc linear+requant (i8) | qcc W4 linear+requant (i8) | qcc matmul | "
         "qcc/peak | qcc/oneDNN | W4/W8 |\n");
  printf("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
  for (size_t si = 0; si < benches.size(); ++si) {
    for (size_t ti = 0; ti < nt; ++ti) {
      const Shape &s = benches[si]->s;
      const Row &row = best[si][ti];
      char shape[64];
      snprintf(shape, sizeof(shape), "%lldx%lldx%lld", (long long)s.m,
               (long long)s.n, (long long)s.k);
      printf("| %s | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
             shape, opts.threads[ti], formatGops(peak[ti].gops).c_str(),
             formatGops(row.dnnl.gops, haveDnnl).c_str(),
             formatGops(row.linear.gops).c_str(),
             formatGops(row.requant.gops).c_str(),
             formatGops(row.requant4.gops).c_str(),
             formatGops(row.matmul.gops).c_str(),
             formatRatio(row.linear.gops, peak[ti].gops).c_str(),
             formatRatio(row.linear.gops, row.dnnl.gops, haveDnnl).c_str(),
             formatRatio(row.requant4.gops, row.requant.gops).c_str());
    }
  }
  printf("\nThreads kept busy in each kept measurement (the process's CPU "
         "time / wall time,\naveraged over the measurement; spinning counts), "
         "and the most CPUs that other work\non the machine used during the "
         "row's kept measurements (/proc/stat minus\nthis process; above "
         "0.2 the row was disturbed):\n\n");
  printf("| shape MxNxK | threads | peak | oneDNN | qcc linear | "
         "qcc linear+requant | qcc matmul | other work |\n");
  printf("|---|---:|---:|---:|---:|---:|---:|---:|\n");
  for (size_t si = 0; si < benches.size(); ++si) {
    for (size_t ti = 0; ti < nt; ++ti) {
      const Shape &s = benches[si]->s;
      const Row &row = best[si][ti];
      char shape[64];
      snprintf(shape, sizeof(shape), "%lldx%lldx%lld", (long long)s.m,
               (long long)s.n, (long long)s.k);
      double other = std::max({peak[ti].other, row.dnnl.other, row.linear.other,
                               row.requant.other, row.matmul.other});
      printf("| %s | %d | %s | %s | %s | %s | %s | %s |\n", shape,
             opts.threads[ti], formatRatio(peak[ti].busy, 1).c_str(),
             formatRatio(row.dnnl.busy, 1, haveDnnl).c_str(),
             formatRatio(row.linear.busy, 1).c_str(),
             formatRatio(row.requant.busy, 1).c_str(),
             formatRatio(row.matmul.busy, 1).c_str(),
             formatRatio(other, 1).c_str());
    }
  }
  for (ShapeBench *sb : benches)
    delete sb;
  qcc_rt_destroy(api);
  return 0;
}
