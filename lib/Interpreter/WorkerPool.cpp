//===- WorkerPool.cpp - data-parallel loops for the interpreter -*- C++ -*-===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//
//
// A loop is split into chunks handed out by an atomic counter. The calling
// thread starts on them at once; helper tasks on the llvm::StdThreadPool
// join in when their threads wake up. The caller waits only until every
// chunk is done, not for the helpers themselves: a helper that wakes after
// the loop finished finds no chunk left and returns. Loops are often
// shorter than a thread's wake-up latency, and waiting for helpers to run
// would add that latency to every loop. The loop's state is shared with the
// helpers (reference counted), so a late helper never touches the caller's
// stack: it only reads `body` after claiming a chunk, which the caller is
// then still waiting for.
//
//===----------------------------------------------------------------------===//

#include "qcc/Interpreter/WorkerPool.h"

#include "llvm/Support/ThreadPool.h"
#include "llvm/Support/Threading.h"

#include <algorithm>
#include <atomic>
#include <thread>

using namespace mlir::qcc;

/// Set while a thread runs the body of a parallel loop, so that nested loops
/// run serially instead of waiting on the pool they occupy.
static thread_local bool insideParallelLoop = false;

namespace {
struct LoopState {
  LoopState(int64_t size, int64_t numChunks, int64_t chunkSize,
            llvm::function_ref<void(int64_t, int64_t)> body)
      : size(size), numChunks(numChunks), chunkSize(chunkSize), body(body) {}

  /// Claims and runs chunks until none is left.
  void work() {
    bool wasInside = insideParallelLoop;
    insideParallelLoop = true;
    for (int64_t chunk = next++; chunk < numChunks; chunk = next++) {
      int64_t begin = chunk * chunkSize;
      body(begin, std::min(size, begin + chunkSize));
      done.fetch_add(1, std::memory_order_release);
    }
    insideParallelLoop = wasInside;
  }

  const int64_t size, numChunks, chunkSize;
  /// Valid while some chunk is not done (the caller is still waiting).
  const llvm::function_ref<void(int64_t, int64_t)> body;
  std::atomic<int64_t> next{0}, done{0};
};
} // namespace

WorkerPool::WorkerPool(unsigned requested) {
  numThreads = requested ? requested
                         : llvm::hardware_concurrency().compute_thread_count();
  numThreads = std::max(numThreads, 1u);
  // The calling thread runs loop chunks too, so the pool needs one thread
  // less than the loop parallelism.
  if (numThreads > 1)
    pool = std::make_unique<llvm::StdThreadPool>(
        llvm::hardware_concurrency(numThreads - 1));
}

WorkerPool::~WorkerPool() = default;

void WorkerPool::parallelFor(int64_t size, int64_t grain,
                             llvm::function_ref<void(int64_t, int64_t)> body) {
  if (size <= 0)
    return;
  grain = std::max<int64_t>(grain, 1);
  int64_t maxChunks = (size + grain - 1) / grain;
  if (!pool || maxChunks == 1 || insideParallelLoop) {
    body(0, size);
    return;
  }
  // A few chunks per thread balance uneven chunks and late helpers.
  int64_t numChunks = std::min<int64_t>(maxChunks, int64_t(numThreads) * 4);
  int64_t chunkSize = (size + numChunks - 1) / numChunks;
  numChunks = (size + chunkSize - 1) / chunkSize;
  auto state = std::make_shared<LoopState>(size, numChunks, chunkSize, body);
  int64_t helpers = std::min<int64_t>(numThreads - 1, numChunks - 1);
  for (int64_t i = 0; i < helpers; ++i)
    pool->async([state] { state->work(); });
  state->work();
  // The remaining chunks are running on helpers; they are short.
  while (state->done.load(std::memory_order_acquire) < numChunks)
    std::this_thread::yield();
}
