//===- WorkerPool.cpp - data-parallel loops for the interpreter -*- C++ -*-===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//
//
// A loop is split into chunks handed out through one atomic "ticket": the
// loop's generation, its chunk count and the next unclaimed chunk, packed in
// 64 bits. The calling thread publishes a new ticket and starts on the
// chunks at once; helper threads claim chunks with a compare-and-swap on the
// ticket, so a helper can only ever claim a chunk of the loop that is
// running (the generation rules out a stale ticket of an earlier loop), and
// it reads the loop's body only after a successful claim, while the caller
// is still waiting for that chunk. The caller waits until every chunk is
// done, never for a helper that has not woken up.
//
// Interpreter loops are short (often tens of microseconds) and come back to
// back, so helpers do not go to sleep as soon as a loop is over: they spin
// on the ticket for a while (kSpinTime) and block on a condition variable
// only after that, and the caller notifies it only when some helper sleeps.
// A wake-up through the kernel costs more than many of the loops.
//
//===----------------------------------------------------------------------===//

#include "qcc/Interpreter/WorkerPool.h"

#include "llvm/Support/Threading.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

using namespace mlir::qcc;

/// Set while a thread runs the body of a parallel loop, so that nested loops
/// run serially instead of waiting on the pool they occupy.
static thread_local bool insideParallelLoop = false;

/// How long an idle helper spins before blocking.
static constexpr std::chrono::microseconds kSpinTime(200);

static inline void cpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#else
  std::this_thread::yield();
#endif
}

namespace {
/// The ticket: generation (32 bits), chunk count (16), next chunk (16).
struct Ticket {
  uint64_t value;
  uint32_t generation() const { return static_cast<uint32_t>(value >> 32); }
  int64_t chunks() const { return (value >> 16) & 0xffff; }
  int64_t next() const { return value & 0xffff; }
  bool hasWork() const { return next() < chunks(); }
  static uint64_t make(uint32_t generation, int64_t chunks, int64_t next) {
    return (uint64_t(generation) << 32) | (uint64_t(chunks) << 16) |
           uint64_t(next);
  }
};
} // namespace

struct WorkerPool::Shared {
  std::atomic<uint64_t> ticket{0};
  std::atomic<int64_t> done{0};
  /// The running loop; valid for whoever holds a claimed chunk of it.
  int64_t size = 0, chunkSize = 0;
  llvm::function_ref<void(int64_t, int64_t)> body;

  std::mutex mutex;
  std::condition_variable wake;
  std::atomic<int> sleepers{0};
  std::atomic<bool> stop{false};

  /// Claims and runs chunks of the loop of `seen` (a ticket value just
  /// read) until none is left; returns the last ticket value read.
  uint64_t work(uint64_t seen) {
    Ticket t{seen};
    while (t.hasWork()) {
      if (!ticket.compare_exchange_weak(t.value, t.value + 1,
                                        std::memory_order_acq_rel,
                                        std::memory_order_acquire))
        continue;
      int64_t begin = t.next() * chunkSize;
      bool wasInside = insideParallelLoop;
      insideParallelLoop = true;
      body(begin, std::min(size, begin + chunkSize));
      insideParallelLoop = wasInside;
      done.fetch_add(1, std::memory_order_release);
      t.value = ticket.load(std::memory_order_acquire);
    }
    return t.value;
  }

  void helperMain() {
    using Clock = std::chrono::steady_clock;
    for (;;) {
      // Spin for new work, then sleep until there is some.
      Clock::time_point idleSince = Clock::now();
      Ticket t{ticket.load(std::memory_order_acquire)};
      for (unsigned spins = 0; !t.hasWork(); ++spins) {
        if (stop.load(std::memory_order_relaxed))
          return;
        cpuRelax();
        if (spins % 64 == 63 && Clock::now() - idleSince > kSpinTime) {
          std::unique_lock<std::mutex> lock(mutex);
          sleepers.fetch_add(1, std::memory_order_seq_cst);
          for (;;) {
            t.value = ticket.load(std::memory_order_seq_cst);
            if (t.hasWork() || stop.load())
              break;
            wake.wait(lock);
          }
          sleepers.fetch_sub(1, std::memory_order_relaxed);
          if (stop.load())
            return;
          break;
        }
        t.value = ticket.load(std::memory_order_acquire);
      }
      work(t.value);
    }
  }
};

WorkerPool::WorkerPool(unsigned requested) : shared(new Shared) {
  numThreads = requested ? requested
                         : llvm::hardware_concurrency().compute_thread_count();
  numThreads = std::max(numThreads, 1u);
  // The calling thread runs loop chunks too.
  for (unsigned i = 1; i < numThreads; ++i)
    helpers.emplace_back([this] { shared->helperMain(); });
}

WorkerPool::~WorkerPool() {
  {
    std::lock_guard<std::mutex> lock(shared->mutex);
    shared->stop.store(true);
  }
  shared->wake.notify_all();
  for (std::thread &helper : helpers)
    helper.join();
}

void WorkerPool::parallelFor(int64_t size, int64_t grain,
                             llvm::function_ref<void(int64_t, int64_t)> body) {
  if (size <= 0)
    return;
  grain = std::max<int64_t>(grain, 1);
  int64_t maxChunks = (size + grain - 1) / grain;
  if (helpers.empty() || maxChunks == 1 || insideParallelLoop) {
    body(0, size);
    return;
  }
  // A few chunks per thread balance uneven chunks and late helpers.
  int64_t numChunks = std::min<int64_t>(maxChunks, int64_t(numThreads) * 4);
  numChunks = std::min<int64_t>(numChunks, 0xffff);
  int64_t chunkSize = (size + numChunks - 1) / numChunks;
  numChunks = (size + chunkSize - 1) / chunkSize;

  Shared &s = *shared;
  s.size = size;
  s.chunkSize = chunkSize;
  s.body = body;
  s.done.store(0, std::memory_order_relaxed);
  uint32_t generation =
      Ticket{s.ticket.load(std::memory_order_relaxed)}.generation() + 1;
  uint64_t start = Ticket::make(generation, numChunks, 0);
  s.ticket.store(start, std::memory_order_seq_cst);
  if (s.sleepers.load(std::memory_order_seq_cst) > 0) {
    std::lock_guard<std::mutex> lock(s.mutex);
    s.wake.notify_all();
  }
  s.work(start);
  // The remaining chunks are running on helpers; they are short.
  while (s.done.load(std::memory_order_acquire) < numChunks)
    cpuRelax();
}
