//===- WorkerPool.h - data-parallel loops for the interpreter ---*- C++ -*-===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//
//
// A fixed set of worker threads plus the calling thread, used by the
// interpreter's kernels for data-parallel loops. Idle helpers spin briefly
// before they block, so back-to-back short loops do not pay a kernel
// wake-up each. Kernels
// split work so that every output element is computed by exactly one task
// in a fixed order: results never depend on the thread count or on how the
// work happens to be scheduled.
//
//===----------------------------------------------------------------------===//

#ifndef QCC_INTERPRETER_WORKERPOOL_H
#define QCC_INTERPRETER_WORKERPOOL_H

#include "llvm/ADT/STLFunctionalExtras.h"

#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

namespace mlir::qcc {

class WorkerPool {
public:
  /// Creates a pool running loops on `numThreads` threads (the caller's
  /// included); 0 means one per hardware thread.
  explicit WorkerPool(unsigned numThreads = 0);
  ~WorkerPool();
  WorkerPool(const WorkerPool &) = delete;
  WorkerPool &operator=(const WorkerPool &) = delete;

  /// Number of threads loops run on, the caller's included.
  unsigned getNumThreads() const { return numThreads; }

  /// Calls `body(begin, end)` on disjoint ranges covering `[0, size)`, in
  /// parallel, and returns when all calls are done. Ranges hold at least
  /// `grain` items (but the last). A call from inside `body` (a nested
  /// loop) runs serially on the calling thread.
  void parallelFor(int64_t size, int64_t grain,
                   llvm::function_ref<void(int64_t, int64_t)> body);

private:
  struct Shared;
  unsigned numThreads;
  std::unique_ptr<Shared> shared;
  std::vector<std::thread> helpers;
};

/// Runs `parallelFor` on `pool`, or serially when `pool` is null.
inline void parallelFor(WorkerPool *pool, int64_t size, int64_t grain,
                        llvm::function_ref<void(int64_t, int64_t)> body) {
  if (pool)
    pool->parallelFor(size, grain, body);
  else if (size > 0)
    body(0, size);
}

} // namespace mlir::qcc

#endif // QCC_INTERPRETER_WORKERPOOL_H
