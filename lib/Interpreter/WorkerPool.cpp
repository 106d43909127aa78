//===- WorkerPool.cpp - data-parallel loops for the interpreter -*- C++ -*-===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//

#include "qcc/Interpreter/WorkerPool.h"

#include "llvm/Support/ThreadPool.h"
#include "llvm/Support/Threading.h"

#include <algorithm>
#include <atomic>

using namespace mlir::qcc;

/// Set while a thread runs the body of a parallel loop, so that nested loops
/// run serially instead of waiting on the pool they occupy.
static thread_local bool insideParallelLoop = false;

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
  // A few chunks per thread balance uneven chunks; an atomic counter hands
  // them out, so fast threads take more.
  int64_t numChunks = std::min<int64_t>(maxChunks, int64_t(numThreads) * 4);
  int64_t chunkSize = (size + numChunks - 1) / numChunks;
  numChunks = (size + chunkSize - 1) / chunkSize;
  std::atomic<int64_t> next{0};
  auto worker = [&] {
    bool wasInside = insideParallelLoop;
    insideParallelLoop = true;
    for (int64_t chunk = next++; chunk < numChunks; chunk = next++) {
      int64_t begin = chunk * chunkSize;
      body(begin, std::min(size, begin + chunkSize));
    }
    insideParallelLoop = wasInside;
  };
  int64_t helpers = std::min<int64_t>(numThreads - 1, numChunks - 1);
  llvm::ThreadPoolTaskGroup group(*pool);
  for (int64_t i = 0; i < helpers; ++i)
    group.async(worker);
  worker();
  group.wait();
}
