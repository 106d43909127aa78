/*===- memory.c - run-time memory of a qcc-generated library --------------===*\
|*                                                                            *|
|* Part of the qcc project.                                                   *|
|*                                                                            *|
|* Measures how much resident memory a library that `qcc -o libNAME.so`      *|
|* wrote adds to a process that loads it and runs it (bench/models.py       *|
|* builds and runs it; see bench/models/RESULTS.md):                         *|
|*                                                                            *|
|*   cc -O2 -I include bench/memory.c -ldl -o memory                          *|
|*   ./memory LIB.so [--threads T] [--runs N] NAME=FILE.npy ...               *|
|*                                                                            *|
|* Every input of the model must be given as a C-order .npy file of its     *|
|* dtype and shape (float32, int64, ...). Method:                            *|
|*   1. read the inputs and allocate and touch the output buffers (they     *|
|*      belong to the caller, not to the library);                          *|
|*   2. reset the peak (write "5" to /proc/self/clear_refs), read VmRSS:    *|
|*      the baseline;                                                       *|
|*   3. dlopen(RTLD_NOW), NAME_create, NAME_set_num_threads(T): VmRSS after *|
|*      each;                                                               *|
|*   4. NAME_run once, then N-1 more times: VmRSS after the first and the   *|
|*      last, and VmHWM (peak RSS since step 2), RssAnon and RssFile;       *|
|*   5. NAME_destroy, dlclose.                                              *|
|* The library's memory is VmHWM - baseline: its code and read-only data   *|
|* (weights) as mapped file pages that were touched, the context's arena   *|
|* and any scratch the kernels allocate, the worker threads' stacks, and   *|
|* what the dynamic loader needs for it. Prints one JSON object (kB).       *|
|* NAME, the functions' prefix, follows qcc's rule                          *|
|* (include/qcc/Support/LibraryName.h): the file name without directory,   *|
|* "lib" and extension, non-alphanumerics as '_'.                           *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#include "qcc-c/qcc.h"

#include <ctype.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef qcc_status (*create_fn)(qcc_context **);
typedef void (*destroy_fn)(qcc_context *);
typedef qcc_status (*run_fn)(qcc_context *, const qcc_tensor *, int32_t,
                             const qcc_tensor *, int32_t);
typedef int32_t (*count_fn)(void);
typedef qcc_status (*info_fn)(int32_t, qcc_tensor_info *);
typedef const char *(*error_fn)(const qcc_context *);
typedef qcc_status (*threads_fn)(qcc_context *, int32_t);

/* Reads "Key:   N kB" lines of /proc/self/status. */
static long status_kb(const char *key) {
  FILE *f = fopen("/proc/self/status", "r");
  if (!f)
    return -1;
  char line[256];
  size_t n = strlen(key);
  long value = -1;
  while (fgets(line, sizeof line, f))
    if (!strncmp(line, key, n) && line[n] == ':') {
      value = strtol(line + n + 1, NULL, 10);
      break;
    }
  fclose(f);
  return value;
}

static int reset_peak(void) {
  FILE *f = fopen("/proc/self/clear_refs", "w");
  if (!f)
    return 0;
  int ok = fputs("5", f) >= 0;
  return fclose(f) == 0 && ok;
}

static size_t dtype_size(qcc_dtype t) {
  switch (t) {
  case QCC_F32:
  case QCC_I32:
    return 4;
  case QCC_I64:
    return 8;
  case QCC_I16:
    return 2;
  default:
    return 1;
  }
}

static const char *dtype_descr(qcc_dtype t) {
  switch (t) {
  case QCC_F32:
    return "<f4";
  case QCC_I64:
    return "<i8";
  case QCC_I32:
    return "<i4";
  case QCC_I16:
    return "<i2";
  case QCC_I8:
    return "|i1";
  case QCC_U8:
    return "|u1";
  default:
    return "|b1";
  }
}

/* Reads a C-order .npy file of exactly `bytes` bytes of data with the
   descriptor `descr` into `dst`. */
static int read_npy(const char *path, const char *descr, void *dst,
                    size_t bytes) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "memory: cannot open %s\n", path);
    return 0;
  }
  unsigned char pre[12];
  int ok = fread(pre, 1, 10, f) == 10 && !memcmp(pre, "\x93NUMPY", 6);
  size_t header = 0;
  if (ok && pre[6] == 1) {
    header = pre[8] | (size_t)pre[9] << 8;
  } else if (ok && (pre[6] == 2 || pre[6] == 3)) {
    ok = fread(pre + 10, 1, 2, f) == 2;
    header = pre[8] | (size_t)pre[9] << 8 | (size_t)pre[10] << 16 |
             (size_t)pre[11] << 24;
  } else {
    ok = 0;
  }
  char *text = ok ? calloc(header + 1, 1) : NULL;
  ok = text && fread(text, 1, header, f) == header;
  if (ok && (!strstr(text, descr) || strstr(text, "'fortran_order': True"))) {
    fprintf(stderr, "memory: %s: expected a C-order %s array: %s\n", path,
            descr, text);
    ok = 0;
  } else if (ok) {
    ok = fread(dst, 1, bytes, f) == bytes && fgetc(f) == EOF;
    if (!ok)
      fprintf(stderr, "memory: %s: expected %zu bytes of data\n", path, bytes);
  } else {
    fprintf(stderr, "memory: %s is not a .npy file\n", path);
  }
  free(text);
  fclose(f);
  return ok;
}

static void *bind(void *lib, const char *prefix, const char *suffix) {
  char name[512];
  snprintf(name, sizeof name, "%s_%s", prefix, suffix);
  void *p = dlsym(lib, name);
  if (!p)
    fprintf(stderr, "memory: no symbol %s\n", name);
  return p;
}

int main(int argc, char **argv) {
  const char *lib_path = NULL;
  int threads = 1, runs = 3;
  const char *given[64];
  int num_given = 0;
  for (int i = 1; i < argc; ++i) {
    if (!strcmp(argv[i], "--threads") && i + 1 < argc)
      threads = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--runs") && i + 1 < argc)
      runs = atoi(argv[++i]);
    else if (!lib_path)
      lib_path = argv[i];
    else if (num_given < 64)
      given[num_given++] = argv[i];
  }
  if (!lib_path || runs < 1 || threads < 0) {
    fprintf(stderr,
            "usage: %s LIB.so [--threads T] [--runs N] "
            "NAME=FILE.npy ...\n",
            argv[0]);
    return 2;
  }

  /* dlopen searches the library path for a name without a slash. */
  char local_path[4096];
  if (!strchr(lib_path, '/')) {
    snprintf(local_path, sizeof local_path, "./%s", lib_path);
    lib_path = local_path;
  }

  /* The prefix: file name without directory, "lib" and extension. */
  char prefix[256] = "";
  const char *base = strrchr(lib_path, '/');
  base = base ? base + 1 : lib_path;
  if (!strncmp(base, "lib", 3))
    base += 3;
  size_t len = strcspn(base, ".");
  if (len >= sizeof prefix - 8)
    len = sizeof prefix - 8;
  if (len == 0 || isdigit((unsigned char)base[0]))
    strcpy(prefix, "model_");
  size_t at = strlen(prefix);
  for (size_t i = 0; i < len; ++i)
    prefix[at++] = isalnum((unsigned char)base[i]) ? base[i] : '_';
  prefix[at] = 0;

  /* The interface: load the library once, read its descriptions, unload.
     The shapes' storage lives in the library, so they are copied. */
  int32_t num_inputs, num_outputs;
  qcc_tensor inputs[64], outputs[64];
  int64_t *shapes[128];
  long start = status_kb("VmRSS");
  {
    void *lib = dlopen(lib_path, RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
      fprintf(stderr, "memory: %s\n", dlerror());
      return 1;
    }
    count_fn ni = (count_fn)bind(lib, prefix, "num_inputs");
    count_fn no = (count_fn)bind(lib, prefix, "num_outputs");
    info_fn ii = (info_fn)bind(lib, prefix, "input_info");
    info_fn oi = (info_fn)bind(lib, prefix, "output_info");
    if (!ni || !no || !ii || !oi)
      return 1;
    num_inputs = ni();
    num_outputs = no();
    if (num_inputs > 64 || num_outputs > 64) {
      fprintf(stderr, "memory: too many inputs or outputs\n");
      return 1;
    }
    for (int32_t k = 0; k < num_inputs + num_outputs; ++k) {
      int is_out = k >= num_inputs;
      int32_t index = is_out ? k - num_inputs : k;
      qcc_tensor_info info;
      if ((is_out ? oi : ii)(index, &info) != QCC_OK)
        return 1;
      size_t bytes = dtype_size(info.dtype);
      shapes[k] = malloc(sizeof(int64_t) * (info.rank ? info.rank : 1));
      for (int32_t d = 0; d < info.rank; ++d) {
        shapes[k][d] = info.shape[d];
        bytes *= (size_t)info.shape[d];
      }
      void *data = malloc(bytes ? bytes : 1);
      if (!data)
        return 1;
      memset(data, 0, bytes);
      qcc_tensor t = {data, info.dtype, info.rank, shapes[k]};
      if (is_out) {
        outputs[index] = t;
        continue;
      }
      inputs[index] = t;
      size_t name_len = strlen(info.name);
      const char *file = NULL;
      for (int g = 0; g < num_given; ++g)
        if (!strncmp(given[g], info.name, name_len) &&
            given[g][name_len] == '=')
          file = given[g] + name_len + 1;
      if (!file) {
        fprintf(stderr, "memory: give input '%s' as %s=FILE.npy\n", info.name,
                info.name);
        return 1;
      }
      if (!read_npy(file, dtype_descr(info.dtype), data, bytes))
        return 1;
    }
    dlclose(lib);
  }
  /* The measurement needs the first load undone. */
  void *still = dlopen(lib_path, RTLD_NOW | RTLD_NOLOAD);
  if (still) {
    fprintf(stderr, "memory: %s stays loaded after dlclose\n", lib_path);
    return 1;
  }

  int peak_reset = reset_peak();
  long baseline = status_kb("VmRSS");
  long baseline_anon = status_kb("RssAnon");
  long baseline_file = status_kb("RssFile");
  void *lib = dlopen(lib_path, RTLD_NOW | RTLD_LOCAL);
  if (!lib) {
    fprintf(stderr, "memory: %s\n", dlerror());
    return 1;
  }
  long after_dlopen = status_kb("VmRSS");
  create_fn create = (create_fn)bind(lib, prefix, "create");
  destroy_fn destroy = (destroy_fn)bind(lib, prefix, "destroy");
  run_fn run = (run_fn)bind(lib, prefix, "run");
  error_fn last_error = (error_fn)bind(lib, prefix, "last_error");
  threads_fn set_threads = (threads_fn)bind(lib, prefix, "set_num_threads");
  if (!create || !destroy || !run || !last_error || !set_threads)
    return 1;
  qcc_context *ctx = NULL;
  if (create(&ctx) != QCC_OK) {
    fprintf(stderr, "memory: %s_create failed\n", prefix);
    return 1;
  }
  if (set_threads(ctx, threads) != QCC_OK) {
    fprintf(stderr, "memory: %s\n", last_error(ctx));
    return 1;
  }
  long after_create = status_kb("VmRSS");
  long after_first_run = 0;
  for (int r = 0; r < runs; ++r) {
    if (run(ctx, inputs, num_inputs, outputs, num_outputs) != QCC_OK) {
      fprintf(stderr, "memory: %s_run: %s\n", prefix, last_error(ctx));
      return 1;
    }
    if (r == 0)
      after_first_run = status_kb("VmRSS");
  }
  long after_runs = status_kb("VmRSS");
  long hwm = status_kb("VmHWM");
  long anon = status_kb("RssAnon");
  long file = status_kb("RssFile");
  destroy(ctx);
  long after_destroy = status_kb("VmRSS");
  printf(
      "{\"library\": \"%s\", \"threads\": %d, \"runs\": %d, "
      "\"peak_reset\": %s, \"start_kb\": %ld, \"baseline_kb\": %ld, "
      "\"after_dlopen_kb\": %ld, "
      "\"after_create_kb\": %ld, \"after_first_run_kb\": %ld, "
      "\"after_runs_kb\": %ld, \"hwm_kb\": %ld, \"baseline_anon_kb\": %ld, "
      "\"baseline_file_kb\": %ld, \"rss_anon_kb\": %ld, \"rss_file_kb\": %ld, "
      "\"after_destroy_kb\": %ld, "
      "\"library_peak_kb\": %ld}\n",
      lib_path, threads, runs, peak_reset ? "true" : "false", start, baseline,
      after_dlopen, after_create, after_first_run, after_runs, hwm,
      baseline_anon, baseline_file, anon, file, after_destroy, hwm - baseline);
  dlclose(lib);
  return 0;
}
