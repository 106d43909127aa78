//===- ThreadPool.cpp - per-context worker threads --------------*- C++ -*-===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//
//
// Each context owns numThreads - 1 pthreads, started by its first parallel
// loop. A loop publishes one job (a function, its state and a chunk count)
// under the pool's mutex, wakes the workers, runs chunks itself, and waits
// until every chunk has completed. Chunks are claimed by compare-and-swap
// on one word holding the job's generation and the next chunk, so a worker
// that wakes late (the machine is busy, it was not scheduled) finds the
// generation changed and claims nothing: the caller never waits for a
// worker that has no chunk, and no chunk of a finished job (whose state
// lived on the caller's stack) can run. Each item belongs to exactly one
// chunk, so results never depend on scheduling.
//
//===----------------------------------------------------------------------===//

#include "Internal.h"

#include <stdlib.h>
#include <unistd.h>

using namespace qcc_rt;

namespace qcc_rt {

struct ThreadPool {
  // Allocated zeroed with calloc (a plain struct).
  pthread_mutex_t mutex;
  pthread_cond_t wake;
  pthread_cond_t done;
  pthread_t *threads;
  int32_t numWorkers;
  bool stop;
  /// Incremented per job; workers run each generation once.
  uint64_t generation;
  /// (generation mod 2^32) << 32 | the next unclaimed chunk.
  uint64_t claim;
  /// Chunks of the current job that have finished.
  int64_t completed;
  // The current job.
  RangeFn fn;
  void *state;
  int64_t size, chunk, numChunks;
};

} // namespace qcc_rt

namespace {

/// Set while a thread runs chunks of a job: a kernel that parallelises
/// inside a chunk (a GEMM inside a convolution's loop) runs its inner loop
/// on the calling thread instead of publishing a second job to the busy
/// pool, which would deadlock.
__thread bool inParallelJob = false;

/// Pause instructions a thread spins (tens of microseconds) waiting for the
/// next job or for the workers, before blocking on a condition variable.
constexpr int kSpinIterations = 20000;

inline void cpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

/// Claims and runs chunks of job `generation` until none is left (or the
/// pool has moved on to another job).
void runChunks(ThreadPool *pool, uint64_t generation, RangeFn fn, void *state,
               int64_t size, int64_t chunk, int64_t numChunks) {
  uint64_t tag = (generation & 0xffffffffu) << 32;
  for (;;) {
    uint64_t c = __atomic_load_n(&pool->claim, __ATOMIC_ACQUIRE);
    int64_t index = static_cast<int64_t>(c & 0xffffffffu);
    if ((c & ~uint64_t(0xffffffffu)) != tag || index >= numChunks)
      return;
    if (!__atomic_compare_exchange_n(&pool->claim, &c, c + 1, false,
                                     __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
      continue;
    int64_t begin = index * chunk;
    int64_t end = begin + chunk < size ? begin + chunk : size;
    fn(state, begin, end);
    if (__atomic_add_fetch(&pool->completed, 1, __ATOMIC_ACQ_REL) ==
        numChunks) {
      // The last chunk: wake the caller if it sleeps (under the mutex, so
      // the wake-up cannot fall between its check and its wait).
      pthread_mutex_lock(&pool->mutex);
      pthread_cond_broadcast(&pool->done);
      pthread_mutex_unlock(&pool->mutex);
    }
  }
}

void *workerMain(void *arg) {
  auto *pool = static_cast<ThreadPool *>(arg);
  // Generation 0 is the pool's creation: a worker that starts late must
  // still look at every job published after it.
  uint64_t seen = 0;
  pthread_mutex_lock(&pool->mutex);
  for (;;) {
    // Kernels of one run follow each other within microseconds: spin a
    // little before sleeping, so that a job does not wait for a wake-up.
    pthread_mutex_unlock(&pool->mutex);
    for (int spin = 0;
         spin < kSpinIterations &&
         __atomic_load_n(&pool->generation, __ATOMIC_ACQUIRE) == seen &&
         !__atomic_load_n(&pool->stop, __ATOMIC_ACQUIRE);
         ++spin)
      cpuRelax();
    pthread_mutex_lock(&pool->mutex);
    while (pool->generation == seen && !pool->stop)
      pthread_cond_wait(&pool->wake, &pool->mutex);
    if (pool->stop)
      break;
    seen = pool->generation;
    RangeFn fn = pool->fn;
    void *state = pool->state;
    int64_t size = pool->size, chunk = pool->chunk, numChunks = pool->numChunks;
    pthread_mutex_unlock(&pool->mutex);
    inParallelJob = true;
    runChunks(pool, seen, fn, state, size, chunk, numChunks);
    inParallelJob = false;
    pthread_mutex_lock(&pool->mutex);
  }
  pthread_mutex_unlock(&pool->mutex);
  return nullptr;
}

/// Starts `workers` threads; null when even the first cannot be started.
ThreadPool *createPool(int32_t workers) {
  auto *pool = static_cast<ThreadPool *>(calloc(1, sizeof(ThreadPool)));
  if (!pool)
    return nullptr;
  pool->threads = static_cast<pthread_t *>(calloc(workers, sizeof(pthread_t)));
  if (!pool->threads) {
    free(pool);
    return nullptr;
  }
  pthread_mutex_init(&pool->mutex, nullptr);
  pthread_cond_init(&pool->wake, nullptr);
  pthread_cond_init(&pool->done, nullptr);
  for (int32_t i = 0; i < workers; ++i) {
    if (pthread_create(&pool->threads[i], nullptr, workerMain, pool) != 0)
      break;
    ++pool->numWorkers;
  }
  if (pool->numWorkers == 0) {
    pthread_cond_destroy(&pool->done);
    pthread_cond_destroy(&pool->wake);
    pthread_mutex_destroy(&pool->mutex);
    free(pool->threads);
    free(pool);
    return nullptr;
  }
  return pool;
}

} // namespace

void qcc_rt::destroyPool(qcc_rt_context *ctx) {
  ThreadPool *pool = ctx->pool;
  if (!pool)
    return;
  pthread_mutex_lock(&pool->mutex);
  __atomic_store_n(&pool->stop, true, __ATOMIC_RELEASE);
  pthread_cond_broadcast(&pool->wake);
  pthread_mutex_unlock(&pool->mutex);
  for (int32_t i = 0; i < pool->numWorkers; ++i)
    pthread_join(pool->threads[i], nullptr);
  pthread_cond_destroy(&pool->done);
  pthread_cond_destroy(&pool->wake);
  pthread_mutex_destroy(&pool->mutex);
  free(pool->threads);
  free(pool);
  ctx->pool = nullptr;
}

int32_t qcc_rt::getDefaultNumThreads() {
  if (const char *env = getenv("QCC_NUM_THREADS")) {
    char *end = nullptr;
    long n = strtol(env, &end, 10);
    if (end != env && *end == '\0' && n > 0)
      return n > 1024 ? 1024 : static_cast<int32_t>(n);
  }
  long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  if (cpus < 1)
    return 1;
  return cpus > 1024 ? 1024 : static_cast<int32_t>(cpus);
}

void qcc_rt::parallelForRaw(qcc_rt_context *ctx, int64_t size, int64_t grain,
                            RangeFn fn, void *state, int64_t chunksPerThread) {
  if (size <= 0)
    return;
  if (grain < 1)
    grain = 1;
  int32_t threads = ctx ? ctx->numThreads : 1;
  if (threads <= 1 || size <= grain || inParallelJob) {
    fn(state, 0, size);
    return;
  }
  if (!ctx->pool)
    ctx->pool = createPool(threads - 1);
  ThreadPool *pool = ctx->pool;
  if (!pool) {
    fn(state, 0, size);
    return;
  }
  // Several chunks per thread for balance, none below the grain.
  int64_t parts = int64_t(pool->numWorkers + 1) *
                  (chunksPerThread > 1 ? chunksPerThread : 1);
  int64_t chunk = (size + parts - 1) / parts;
  if (chunk < grain)
    chunk = grain;
  int64_t numChunks = (size + chunk - 1) / chunk;
  if (numChunks == 1) {
    fn(state, 0, size);
    return;
  }
  pthread_mutex_lock(&pool->mutex);
  pool->fn = fn;
  pool->state = state;
  pool->size = size;
  pool->chunk = chunk;
  pool->numChunks = numChunks;
  __atomic_store_n(&pool->completed, 0, __ATOMIC_RELAXED);
  uint64_t generation = pool->generation + 1;
  __atomic_store_n(&pool->claim, (generation & 0xffffffffu) << 32,
                   __ATOMIC_RELEASE);
  __atomic_store_n(&pool->generation, generation, __ATOMIC_RELEASE);
  pthread_cond_broadcast(&pool->wake);
  pthread_mutex_unlock(&pool->mutex);
  inParallelJob = true;
  runChunks(pool, generation, fn, state, size, chunk, numChunks);
  inParallelJob = false;
  for (int spin = 0;
       spin < kSpinIterations &&
       __atomic_load_n(&pool->completed, __ATOMIC_ACQUIRE) < numChunks;
       ++spin)
    cpuRelax();
  pthread_mutex_lock(&pool->mutex);
  while (__atomic_load_n(&pool->completed, __ATOMIC_ACQUIRE) < numChunks)
    pthread_cond_wait(&pool->done, &pool->mutex);
  pthread_mutex_unlock(&pool->mutex);
}
