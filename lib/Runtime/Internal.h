//===- Internal.h - shared helpers of the runtime kernels -------*- C++ -*-===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//
//
// What the runtime's source files share: the context (worker pool, last
// error), a data-parallel loop over it, element type helpers and a
// broadcast planner. Plain C-style C++17: no exceptions, no RTTI, nothing
// that needs libstdc++ at run time (pthreads, malloc and libc only), so the
// archive links into any generated shared library.
//
//===----------------------------------------------------------------------===//

#ifndef QCC_LIB_RUNTIME_INTERNAL_H
#define QCC_LIB_RUNTIME_INTERNAL_H

#include "qcc/Runtime/RuntimeABI.h"

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

/// Defines kernel qcc_rt_<name> with the signature of RuntimeABI.h (which
/// #undefs its own QCC_RT_KERNEL after the declarations).
#define QCC_RT_DEFINE_KERNEL(name)                                             \
  int32_t qcc_rt_##name(qcc_rt_context *ctx, const qcc_rt_tensor *inputs,     \
                        int64_t num_inputs, const qcc_rt_tensor *output,      \
                        const int64_t *attrs)

/// Room for one error message (longer ones are truncated).
constexpr size_t kErrorCapacity = 512;

/// Highest tensor rank the kernels accept.
constexpr int64_t kMaxRank = 16;

namespace qcc_rt {
struct ThreadPool;
} // namespace qcc_rt

/// The state of one context. Kernels see it as qcc_rt_context; applications
/// hold the same object as qcc_context (qcc_context derives from it, so a
/// static_cast converts either way).
struct qcc_rt_context {
  const qcc_rt_model *model = nullptr;
  uint8_t *arena = nullptr;
  /// Pointers handed to model->run (num_inputs + num_outputs entries).
  void **buffers = nullptr;
  /// Threads loops run on (the caller's included); set at creation from
  /// QCC_NUM_THREADS or the online CPUs, changed by qcc_rt_set_num_threads.
  int32_t numThreads = 1;
  qcc_rt::ThreadPool *pool = nullptr;
  /// While profiling (Profile.cpp): per op of the model, its calls and
  /// nanoseconds; and the time the previous op finished.
  int64_t *profile = nullptr;
  int64_t profileLastNs = 0;
  /// Scratch memory kernels reuse from call to call (ContextScratch).
  void *scratch = nullptr;
  size_t scratchBytes = 0;
  char error[kErrorCapacity] = {0};
};

struct qcc_context : qcc_rt_context {};

namespace qcc_rt {

//===----------------------------------------------------------------------===//
// Profiling (Profile.cpp)
//===----------------------------------------------------------------------===//

/// Nanoseconds on CLOCK_MONOTONIC.
int64_t getMonotonicNs();

//===----------------------------------------------------------------------===//
// Worker pool (ThreadPool.cpp)
//===----------------------------------------------------------------------===//

/// A loop body: called with disjoint [begin, end) ranges.
using RangeFn = void (*)(void *state, int64_t begin, int64_t end);

/// Calls fn(state, begin, end) on disjoint ranges covering [0, size), each
/// of at least `grain` items (but the last) and about `chunksPerThread` per
/// thread, claimed as threads get free, on the context's threads (all of
/// them only when there is enough work). Returns when all are done. Runs
/// serially when ctx is null, has one thread, or the worker threads could
/// not be started. Every item is computed by exactly one call, so results
/// never depend on the thread count.
void parallelForRaw(qcc_rt_context *ctx, int64_t size, int64_t grain,
                    RangeFn fn, void *state, int64_t chunksPerThread = 4);

template <typename F>
void parallelFor(qcc_rt_context *ctx, int64_t size, int64_t grain, F &&body,
                 int64_t chunksPerThread = 4) {
  if (size <= 0)
    return;
  parallelForRaw(
      ctx, size, grain,
      [](void *state, int64_t begin, int64_t end) {
        (*static_cast<F *>(state))(begin, end);
      },
      static_cast<void *>(&body), chunksPerThread);
}

/// Stops and frees the pool's threads (at destruction or a thread count
/// change); the next parallel loop starts them again.
void destroyPool(qcc_rt_context *ctx);

/// The default thread count: QCC_NUM_THREADS when set to a positive number,
/// otherwise the number of online CPUs.
int32_t getDefaultNumThreads();

/// Scratch memory of at least `bytes` (64-byte aligned) for one kernel
/// call: the context's buffer, grown when too small and kept for the next
/// call (a context runs one kernel at a time; released by qcc_rt_destroy),
/// so that large per-call buffers cost no mmap and page faults every call.
/// Without a context the memory is allocated and freed with this object.
/// data() is null when out of memory.
class ContextScratch {
public:
  ContextScratch(qcc_rt_context *ctx, size_t bytes);
  ~ContextScratch();
  ContextScratch(const ContextScratch &) = delete;
  ContextScratch &operator=(const ContextScratch &) = delete;
  void *data() const { return memory; }

private:
  void *memory = nullptr;
  bool owned = false;
};

/// Items per task below which loops are not worth splitting.
constexpr int64_t kParallelGrain = int64_t(1) << 14;
/// Multiply-adds per task below which product loops are not split.
constexpr int64_t kParallelWork = int64_t(1) << 16;

inline int64_t grainFor(int64_t workPerItem) {
  if (workPerItem < 1)
    workPerItem = 1;
  int64_t g = kParallelGrain / workPerItem;
  return g < 1 ? 1 : g;
}

//===----------------------------------------------------------------------===//
// Element types
//===----------------------------------------------------------------------===//

/// Bytes of one element of `dtype`, or 0 when it is not a qcc_dtype.
size_t getElementSize(int64_t dtype);
const char *getDtypeName(int64_t dtype);
bool isIntegerDtype(int64_t dtype); // i64, i32, i16, i8, u8, bool

/// Bit j % 16 of bits[j / 16] = (mask[base + j] != 0), for j < length, of
/// an integer `mask` (int_softmax's and attention's key mask).
void getKeepBits(const qcc_rt_tensor &mask, int64_t base, int64_t length,
                 uint16_t *bits);

int64_t getNumElements(const int64_t *shape, int64_t rank);
inline int64_t getNumElements(const qcc_rt_tensor &t) {
  return getNumElements(t.shape, t.rank);
}

/// Row-major strides of `shape` into `strides`.
void getStrides(const int64_t *shape, int64_t rank, int64_t *strides);

template <typename T> struct TypeTag {
  using type = T;
};

/// Calls fn(TypeTag<T>{}) with the C type of an integer or bool dtype;
/// returns false (without calling) for other dtypes.
template <typename Fn> bool dispatchInt(int64_t dtype, Fn &&fn) {
  switch (dtype) {
  case QCC_I64:
    fn(TypeTag<int64_t>{});
    return true;
  case QCC_I32:
    fn(TypeTag<int32_t>{});
    return true;
  case QCC_I16:
    fn(TypeTag<int16_t>{});
    return true;
  case QCC_I8:
    fn(TypeTag<int8_t>{});
    return true;
  case QCC_U8:
    fn(TypeTag<uint8_t>{});
    return true;
  case QCC_BOOL:
    fn(TypeTag<bool>{});
    return true;
  default:
    return false;
  }
}

/// Like dispatchInt, minus bool (integer numbers). There is deliberately no
/// dispatcher with f32: outside quantize/dequantize (Boundary.cpp) the
/// runtime has no floating-point code, and an f32 operand is an error
/// (unsupportedDtype).
template <typename Fn> bool dispatchNumeric(int64_t dtype, Fn &&fn) {
  if (dtype == QCC_BOOL)
    return false;
  return dispatchInt(dtype, fn);
}

/// Calls fn(TypeTag<U>{}) with an unsigned type of the dtype's size, for
/// kernels that only move elements.
template <typename Fn> bool dispatchBySize(int64_t dtype, Fn &&fn) {
  switch (getElementSize(dtype)) {
  case 8:
    fn(TypeTag<uint64_t>{});
    return true;
  case 4:
    fn(TypeTag<uint32_t>{});
    return true;
  case 2:
    fn(TypeTag<uint16_t>{});
    return true;
  case 1:
    fn(TypeTag<uint8_t>{});
    return true;
  default:
    return false;
  }
}

/// The [lo, hi] range of an integer dtype (i64's for others).
void getRange(int64_t dtype, int64_t *lo, int64_t *hi);

/// dst[i] = widened t[begin + i] for i < n (integer dtypes only).
void loadInt64(const qcc_rt_tensor &t, int64_t begin, int64_t n,
               int64_t *dst);
void loadInt32(const qcc_rt_tensor &t, int64_t begin, int64_t n,
               int32_t *dst);
/// t[begin + i] = src[i], narrowed (values already in range).
void storeInt64(const qcc_rt_tensor &t, int64_t begin, int64_t n,
                const int64_t *src);

inline int64_t clampTo(__int128 v, int64_t lo, int64_t hi) {
  return v < lo ? lo : v > hi ? hi : static_cast<int64_t>(v);
}

//===----------------------------------------------------------------------===//
// Broadcasting
//===----------------------------------------------------------------------===//

/// How up to three operands broadcast (NumPy rules) to an output shape: the
/// output shape with unit dimensions dropped and mergeable neighbours
/// merged (rank >= 1), and per operand the element stride of each of those
/// dimensions (0 where it is broadcast).
struct BroadcastPlan {
  int64_t rank = 0;
  int64_t shape[kMaxRank];
  int64_t strides[3][kMaxRank];
  int64_t numOperands = 0;

  int64_t getInnerSize() const { return shape[rank - 1]; }
  int64_t getNumRows() const;
  /// Offsets of each operand at the start of row `row`.
  void getRowOffsets(int64_t row, int64_t *offsets) const;
};

/// Plans `count` operands against `out`; false (with an error recorded in
/// ctx) when a shape does not broadcast or a rank exceeds kMaxRank.
bool planBroadcast(qcc_rt_context *ctx, const char *kernel,
                   const qcc_rt_tensor &out, const qcc_rt_tensor *operands,
                   int64_t count, BroadcastPlan *plan);

/// Copies the elements of `src` (element size `bytes`) at
/// base + sum_d o[d] * srcStrides[d] for every multi-index o over `shape`
/// (row-major) to dst, densely, in parallel.
void stridedCopy(qcc_rt_context *ctx, const int64_t *shape, int64_t rank,
                 const int64_t *srcStrides, int64_t base, const void *src,
                 void *dst, size_t bytes);

//===----------------------------------------------------------------------===//
// Checks shared by the kernels
//===----------------------------------------------------------------------===//

/// QCC_ERROR_RUNTIME unless num_inputs is in [lo, hi].
int32_t checkNumInputs(qcc_rt_context *ctx, const char *kernel,
                       int64_t numInputs, int64_t lo, int64_t hi);
/// QCC_ERROR_RUNTIME unless every tensor has a rank <= kMaxRank, a known
/// dtype, and data (when it has elements).
int32_t checkTensors(qcc_rt_context *ctx, const char *kernel,
                     const qcc_rt_tensor *inputs, int64_t numInputs,
                     const qcc_rt_tensor *output);
/// QCC_ERROR_RUNTIME "<kernel>: unsupported element type <dtype>"; for f32
/// the message adds that only quantize and dequantize take floats.
int32_t unsupportedDtype(qcc_rt_context *ctx, const char *kernel,
                         int64_t dtype);

/// Whether the AVX-512 VNNI kernels may run (CPU support, and
/// QCC_DISABLE_VNNI unset or 0); re-read on every call so tests can flip it.
bool useVnni();

/// Whether useVnni() and the CPU also has AVX-512 VBMI (vpermi2b: 8-bit
/// tables held in registers).
bool useVbmi();

/// Whether code for AVX-512 F/BW/VL may run: CPU support (VNNI not
/// needed) and QCC_DISABLE_VNNI unset or 0, like useVnni.
bool useAvx512();

} // namespace qcc_rt

#endif // QCC_LIB_RUNTIME_INTERNAL_H
