//===- norm_bench.cpp - int_softmax and int_layer_norm, vector vs portable ===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//
//
// Times the two normalisation kernels of BERT-base (batch 8 x 128 tokens)
// on their AVX-512 rows (lib/Runtime/NormalizeAvx512.cpp) and on the
// portable scalar rows (QCC_DISABLE_VNNI=1), at each thread count:
//
//   softmax    qcc_rt_int_softmax, scores i32 [8, 12, 128, 128] (uniform in
//              [-2^20, 2^20), input_bits 22), key_mask i64 [8, 128] keeping
//              prefixes of 64 to 128 tokens, with the parameters qcc emits
//              for the first attention layer of bench/models.py's BERT;
//   layernorm  qcc_rt_int_layer_norm, i32 [8, 128, 768] (22-bit, sigma
//              about 2^18) to i8, var_offset 110, per-channel dyadics of
//              shift 51 around the multiplier qcc emits there (gamma 1).
//
// Each measurement calls the kernel once to warm up, then until --min-time
// seconds have passed, and keeps the median time per call; the whole set
// runs --repeat times and the best median of each is reported. "other
// work" is the CPU time the rest of the machine used during the kept
// measurement (/proc/stat minus this process), per second of wall time:
// near 0 the machine was otherwise idle. Before timing, the two paths'
// outputs must be identical at every thread count (exit 1 otherwise).
// Prints a markdown table.
//
//===----------------------------------------------------------------------===//

#include "qcc-c/qcc.h"
#include "qcc/Runtime/RuntimeABI.h"

#include <algorithm>
#include <random>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <string>
#include <time.h>
#include <unistd.h>
#include <vector>

namespace {

[[noreturn]] void fail(const char *format, ...) {
  va_list args;
  va_start(args, format);
  fprintf(stderr, "qcc-bench-norm: ");
  vfprintf(stderr, format, args);
  fprintf(stderr, "\n");
  va_end(args);
  exit(1);
}

double now(clockid_t clock) {
  timespec t;
  clock_gettime(clock, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

/// Busy CPU seconds of the whole machine (/proc/stat), or -1.
double machineBusy() {
  FILE *f = fopen("/proc/stat", "r");
  if (!f)
    return -1;
  unsigned long long v[8];
  int got = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0],
                   &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]);
  fclose(f);
  if (got != 8)
    return -1;
  double tick = 1.0 / sysconf(_SC_CLK_TCK);
  return (v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) * tick;
}

std::string loadAverage() {
  char buf[64] = "unknown";
  if (FILE *f = fopen("/proc/loadavg", "r")) {
    if (fscanf(f, "%63s", buf) != 1)
      strcpy(buf, "unknown");
    fclose(f);
  }
  return buf;
}

struct Options {
  double minTime = 0.5;
  int repeat = 3;
  std::vector<int> threads = {1, 2};
};

Options parseOptions(int argc, char **argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&]() -> const char * {
      if (i + 1 >= argc)
        fail("%s needs a value", arg.c_str());
      return argv[++i];
    };
    if (arg == "--min-time") {
      o.minTime = atof(value());
    } else if (arg == "--repeat") {
      o.repeat = atoi(value());
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
    } else {
      printf("usage: %s [--min-time S] [--repeat R] [--threads 1,2]\n"
             "  --min-time S  seconds of calls per measurement (0.5)\n"
             "  --repeat R    run the set R times, keep the best medians (3)\n"
             "  --threads L   comma-separated thread counts (1,2)\n",
             argv[0]);
      exit(arg == "--help" || arg == "-h" ? 0 : 1);
    }
  }
  if (o.repeat < 1 || o.minTime <= 0)
    fail("--repeat and --min-time must be positive");
  return o;
}

/// One kernel call: its inputs, attrs and output.
struct Bench {
  const char *name;
  std::string shape;
  std::vector<qcc_rt_tensor> inputs;
  std::vector<int64_t> attrs;
  qcc_rt_tensor output;
  size_t outputBytes;
  int32_t (*kernel)(qcc_rt_context *, const qcc_rt_tensor *, int64_t,
                    const qcc_rt_tensor *, const int64_t *);

  int32_t run(qcc_rt_context *ctx) const {
    return kernel(ctx, inputs.data(), static_cast<int64_t>(inputs.size()),
                  &output, attrs.data());
  }
};

struct Timing {
  double median = 1e30, other = 0;
};

/// Median seconds per call of `b` over at least minTime seconds.
Timing measure(qcc_rt_context *ctx, const Bench &b, double minTime) {
  if (b.run(ctx) != 0)
    fail("%s failed", b.name);
  std::vector<double> times;
  double busy0 = machineBusy(), cpu0 = now(CLOCK_PROCESS_CPUTIME_ID);
  double start = now(CLOCK_MONOTONIC), end = start;
  while (end - start < minTime || times.size() < 5) {
    double t0 = now(CLOCK_MONOTONIC);
    b.run(ctx);
    end = now(CLOCK_MONOTONIC);
    times.push_back(end - t0);
  }
  double busy1 = machineBusy(), cpu1 = now(CLOCK_PROCESS_CPUTIME_ID);
  std::sort(times.begin(), times.end());
  Timing t;
  t.median = times[times.size() / 2];
  if (busy0 >= 0 && busy1 >= 0)
    t.other = std::max(0.0, (busy1 - busy0 - (cpu1 - cpu0)) / (end - start));
  return t;
}

void setPortable(bool portable) {
  if (portable)
    setenv("QCC_DISABLE_VNNI", "1", 1);
  else
    unsetenv("QCC_DISABLE_VNNI");
}

} // namespace

int main(int argc, char **argv) {
  Options opts = parseOptions(argc, argv);
  __builtin_cpu_init();
  if (!__builtin_cpu_supports("avx512vnni"))
    fail("this CPU has no AVX-512 VNNI: only the portable path would run");
  std::mt19937_64 rng(2026);

  // Softmax: BERT-base attention scores and mask.
  const int64_t batch = 8, heads = 12, tokens = 128, hidden = 768;
  int64_t scoreShape[] = {batch, heads, tokens, tokens};
  int64_t maskShape[] = {batch, tokens};
  std::vector<int32_t> scores(batch * heads * tokens * tokens);
  std::uniform_int_distribution<int32_t> score(-(1 << 20), (1 << 20) - 1);
  for (int32_t &s : scores)
    s = score(rng);
  std::vector<int64_t> mask(batch * tokens, 0);
  const int64_t kept[batch] = {128, 64, 96, 112, 80, 128, 72, 100};
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t t = 0; t < kept[b]; ++t)
      mask[b * tokens + t] = 1;
  std::vector<uint8_t> probs(scores.size());
  Bench softmax{"softmax",
                "[8, 12, 128, 128] i32 -> u8, i64 mask",
                {{scores.data(), scoreShape, 4, QCC_I32},
                 {mask.data(), maskShape, 2, QCC_I64}},
                {22, 1577610004, 32, 15998, 97499465, 1478112593, 42},
                {probs.data(), scoreShape, 4, QCC_U8},
                probs.size(),
                qcc_rt_int_softmax};

  // LayerNorm: 22-bit rows, per-channel dyadics, i8 output.
  int64_t lnShape[] = {batch, tokens, hidden};
  std::vector<int32_t> x(batch * tokens * hidden);
  std::uniform_int_distribution<int32_t> part(-(1 << 17), 1 << 17);
  for (int32_t &v : x)
    v = std::clamp(part(rng) + part(rng) + part(rng) + part(rng) + part(rng),
                   -(1 << 21) + 1, (1 << 21) - 1);
  std::vector<int64_t> lnAttrs = {0, 110, hidden};
  std::uniform_int_distribution<int64_t> gamma(1300000000, 1600000000);
  for (int64_t c = 0; c < hidden; ++c)
    lnAttrs.push_back(gamma(rng));
  for (int64_t c = 0; c < hidden; ++c)
    lnAttrs.push_back(51);
  std::uniform_int_distribution<int64_t> beta(-20, 20);
  for (int64_t c = 0; c < hidden; ++c)
    lnAttrs.push_back(beta(rng));
  std::vector<int8_t> normalised(x.size());
  Bench layerNorm{"layernorm",
                  "[8, 128, 768] i32 -> i8",
                  {{x.data(), lnShape, 3, QCC_I32}},
                  lnAttrs,
                  {normalised.data(), lnShape, 3, QCC_I8},
                  normalised.size(),
                  qcc_rt_int_layer_norm};
  const Bench *benches[] = {&softmax, &layerNorm};

  qcc_context *api = nullptr;
  if (qcc_rt_create_kernel_context(&api) != QCC_OK)
    fail("qcc_rt_create failed");
  auto *ctx = reinterpret_cast<qcc_rt_context *>(api);

  // The two paths must agree before anything is timed.
  for (const Bench *b : benches)
    for (int threads : opts.threads) {
      if (qcc_rt_set_num_threads(api, threads) != QCC_OK)
        fail("qcc_rt_set_num_threads failed");
      std::vector<uint8_t> outs[2];
      for (int portable = 0; portable < 2; ++portable) {
        setPortable(portable);
        memset(b->output.data, 0xa5, b->outputBytes);
        if (b->run(ctx) != 0)
          fail("%s: %s", b->name, qcc_rt_last_error(api));
        auto *data = static_cast<const uint8_t *>(b->output.data);
        outs[portable].assign(data, data + b->outputBytes);
      }
      if (outs[0] != outs[1])
        fail("%s at %d threads: the vector and portable outputs differ",
             b->name, threads);
    }

  std::string command;
  for (int i = 0; i < argc; ++i)
    command += (i ? " " : "") + std::string(argv[i]);
  printf("# int_softmax and int_layer_norm: AVX-512 rows vs portable\n\n");
  printf("- command: `%s`\n", command.c_str());
  printf("- %ld online CPUs, load average %s at the start\n",
         sysconf(_SC_NPROCESSORS_ONLN), loadAverage().c_str());
  printf("- outputs of both paths identical at every thread count\n\n");

  size_t nt = opts.threads.size();
  std::vector<Timing> best(2 * nt * 2);
  for (int r = 0; r < opts.repeat; ++r)
    for (int bi = 0; bi < 2; ++bi)
      for (size_t ti = 0; ti < nt; ++ti) {
        qcc_rt_set_num_threads(api, opts.threads[ti]);
        for (int portable = 1; portable >= 0; --portable) {
          setPortable(portable);
          Timing t = measure(ctx, *benches[bi], opts.minTime);
          Timing &keep = best[(bi * nt + ti) * 2 + portable];
          if (t.median < keep.median)
            keep = t;
        }
      }
  setPortable(false);

  printf("Median ms per call, best of %d runs of >= %.2f s each; other work "
         "in CPUs:\n\n",
         opts.repeat, opts.minTime);
  printf("| kernel | shape | threads | portable (ms) | AVX-512 (ms) | "
         "speed-up | other work |\n");
  printf("|---|---|---:|---:|---:|---:|---:|\n");
  for (int bi = 0; bi < 2; ++bi)
    for (size_t ti = 0; ti < nt; ++ti) {
      const Timing &portable = best[(bi * nt + ti) * 2 + 1];
      const Timing &vector = best[(bi * nt + ti) * 2];
      printf("| %s | %s | %d | %.3f | %.3f | %.2fx | %.2f |\n",
             benches[bi]->name, benches[bi]->shape.c_str(), opts.threads[ti],
             portable.median * 1e3, vector.median * 1e3,
             portable.median / vector.median,
             std::max(portable.other, vector.other));
    }
  printf("\n- load average %s at the end\n", loadAverage().c_str());
  qcc_rt_destroy(api);
  return 0;
}
