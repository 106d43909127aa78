//===- Kernels.h - op kernels of the reference interpreter ------*- C++ -*-===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//
//
// Internal interface between the interpreter driver and the kernel files.
// A kernel runs one op: it reads its operand tensors, allocates and fills
// its result tensors, and reports user-visible problems as diagnostics at
// the op. Each kernel file registers its kernels into a KernelTable.
//
//===----------------------------------------------------------------------===//

#ifndef QCC_LIB_INTERPRETER_KERNELS_KERNELS_H
#define QCC_LIB_INTERPRETER_KERNELS_KERNELS_H

#include "qcc/Interpreter/Tensor.h"
#include "qcc/Interpreter/WorkerPool.h"

#include "mlir/IR/Operation.h"
#include "mlir/Support/TypeID.h"
#include "llvm/ADT/DenseMap.h"

#include <cstdint>
#include <memory>

namespace mlir::qcc {

/// What a kernel gets besides its operands.
struct KernelContext {
  WorkerPool &pool;
  /// Where results and scratch memory come from.
  std::shared_ptr<BufferPool> buffers;
};

/// Scratch memory of a kernel from the context's buffer pool, given back
/// when it goes out of scope. Running out of memory is fatal, as for the
/// GEMM's own scratch.
class ScratchBuffer {
public:
  ScratchBuffer(KernelContext &context, size_t bytes);
  ~ScratchBuffer();
  ScratchBuffer(const ScratchBuffer &) = delete;
  ScratchBuffer &operator=(const ScratchBuffer &) = delete;
  template <typename T> T *get() const { return static_cast<T *>(data); }

private:
  BufferPool &pool;
  void *data;
  size_t bytes;
};

/// Runs `op` on `operands`, appending one tensor per result to `results`.
using KernelFn = LogicalResult (*)(Operation *op, ArrayRef<Tensor> operands,
                                   SmallVectorImpl<Tensor> &results,
                                   KernelContext &context);

/// Checks, before any run, that the kernel supports `op` (element types, the
/// corner cases the verifier admits but the kernel does not); emits a
/// diagnostic and fails otherwise.
using KernelCheckFn = LogicalResult (*)(Operation *op);

struct KernelInfo {
  KernelFn run = nullptr;
  KernelCheckFn check = nullptr;
};

class KernelTable {
public:
  template <typename OpTy>
  void add(KernelFn run, KernelCheckFn check = nullptr) {
    kernels[TypeID::get<OpTy>()] = KernelInfo{run, check};
  }
  const KernelInfo *lookup(Operation *op) const {
    std::optional<RegisteredOperationName> name = op->getRegisteredInfo();
    if (!name)
      return nullptr;
    auto it = kernels.find(name->getTypeID());
    return it == kernels.end() ? nullptr : &it->second;
  }

private:
  llvm::DenseMap<TypeID, KernelInfo> kernels;
};

void populateElementwiseKernels(KernelTable &table);
void populateUnaryKernels(KernelTable &table);
void populateConversionKernels(KernelTable &table);
void populateNormalizationKernels(KernelTable &table);
void populateLinearKernels(KernelTable &table);
void populateAttentionKernels(KernelTable &table);
void populatePoolingKernels(KernelTable &table);
void populateDataMovementKernels(KernelTable &table);
void populateIntegerKernels(KernelTable &table);

//===----------------------------------------------------------------------===//
// Helpers shared by the kernel files
//===----------------------------------------------------------------------===//

/// The interpreter element type of a value of tensor type (checked to be
/// supported before any kernel runs).
ElementType getTensorElementType(Value value);

/// Allocates the tensor for `op`'s result `index` from its static type, from
/// the context's buffer pool; emits a diagnostic at `op` and returns a null
/// tensor when out of memory.
Tensor allocateResult(Operation *op, KernelContext &context,
                      unsigned index = 0);

/// Like allocateResult, but returns the first of `candidates` (operands)
/// that nothing else holds (this op is its last use, and neither the caller
/// nor the observer kept it) and that has the result's element type and
/// shape. For kernels where result element i depends only on element i of
/// such an operand, so that they may write in place.
Tensor allocateResultInPlace(Operation *op, KernelContext &context,
                             ArrayRef<Tensor> candidates);

/// Fails with a diagnostic unless every operand and result of `op` has one
/// of `allowed` element types.
LogicalResult checkElementTypes(Operation *op, ArrayRef<ElementType> allowed);

/// Elements per task below which loops are not worth splitting.
constexpr int64_t kParallelGrain = 1 << 14;

/// Multiply-adds (or comparable work) per task below which loops of
/// products are not worth splitting: the other core would fetch operands
/// that are hot in this core's caches (see Gemm.cpp).
constexpr int64_t kParallelWork = int64_t(1) << 20;

template <typename T> struct TypeTag { using type = T; };

/// Calls `fn(TypeTag<T>{})` with the C++ type of `type`.
template <typename Fn> decltype(auto) dispatchType(ElementType type, Fn &&fn) {
  switch (type) {
  case ElementType::F32:
    return fn(TypeTag<float>{});
  case ElementType::I64:
    return fn(TypeTag<int64_t>{});
  case ElementType::I32:
    return fn(TypeTag<int32_t>{});
  case ElementType::I16:
    return fn(TypeTag<int16_t>{});
  case ElementType::I8:
    return fn(TypeTag<int8_t>{});
  case ElementType::UI8:
    return fn(TypeTag<uint8_t>{});
  case ElementType::I1:
    return fn(TypeTag<bool>{});
  }
  return fn(TypeTag<float>{});
}

/// Like dispatchType, excluding i1 (numeric types only); the caller's check
/// function has rejected i1 before.
template <typename Fn>
decltype(auto) dispatchNumeric(ElementType type, Fn &&fn) {
  switch (type) {
  case ElementType::F32:
    return fn(TypeTag<float>{});
  case ElementType::I64:
    return fn(TypeTag<int64_t>{});
  case ElementType::I32:
    return fn(TypeTag<int32_t>{});
  case ElementType::I16:
    return fn(TypeTag<int16_t>{});
  case ElementType::I8:
    return fn(TypeTag<int8_t>{});
  case ElementType::UI8:
    return fn(TypeTag<uint8_t>{});
  case ElementType::I1:
    break;
  }
  return fn(TypeTag<float>{});
}

/// Calls `fn(TypeTag<U>{})` with an unsigned integer type of `bytes` bytes,
/// for kernels that only move elements.
template <typename Fn> decltype(auto) dispatchBySize(size_t bytes, Fn &&fn) {
  switch (bytes) {
  case 8:
    return fn(TypeTag<uint64_t>{});
  case 4:
    return fn(TypeTag<uint32_t>{});
  case 2:
    return fn(TypeTag<uint16_t>{});
  default:
    return fn(TypeTag<uint8_t>{});
  }
}

/// Row-major strides of `shape`, in elements.
SmallVector<int64_t> getStrides(ArrayRef<int64_t> shape);

/// Product of `shape`.
int64_t getNumElements(ArrayRef<int64_t> shape);

/// How several operands broadcast (NumPy rules) to an output shape: the
/// output shape with size-1 dimensions dropped and mergeable neighbours
/// merged, and per operand the element stride of each of those dimensions
/// (0 where the operand is broadcast). Rank is at least 1.
struct BroadcastPlan {
  SmallVector<int64_t> shape;
  SmallVector<SmallVector<int64_t>> strides;

  int64_t getInnerSize() const { return shape.back(); }
  int64_t getNumRows() const;
  /// Offsets of each operand at the start of `row`.
  void getRowOffsets(int64_t row, MutableArrayRef<int64_t> offsets) const;
};

BroadcastPlan planBroadcast(ArrayRef<int64_t> outShape,
                            ArrayRef<ArrayRef<int64_t>> operandShapes);

} // namespace mlir::qcc

#endif // QCC_LIB_INTERPRETER_KERNELS_KERNELS_H
