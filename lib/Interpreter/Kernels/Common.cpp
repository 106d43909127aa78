//===- Common.cpp - helpers shared by the interpreter kernels ---*- C++ -*-===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//

#include "Kernels.h"

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Diagnostics.h"
#include "llvm/Support/ErrorHandling.h"

using namespace mlir;
using namespace mlir::qcc;

ElementType mlir::qcc::getTensorElementType(Value value) {
  return *getElementType(
      cast<RankedTensorType>(value.getType()).getElementType());
}

ScratchBuffer::ScratchBuffer(KernelContext &context, size_t bytes)
    : pool(*context.buffers), data(pool.allocate(bytes)), bytes(bytes) {
  if (!data)
    llvm::report_bad_alloc_error("qcc interpreter: kernel scratch memory");
}

ScratchBuffer::~ScratchBuffer() { pool.release(data, bytes); }

Tensor mlir::qcc::allocateResult(Operation *op, KernelContext &context,
                                 unsigned index) {
  auto type = cast<RankedTensorType>(op->getResult(index).getType());
  Tensor tensor = Tensor::allocate(*getElementType(type.getElementType()),
                                   type.getShape(), context.buffers);
  if (!tensor)
    op->emitError() << "cannot allocate the result " << type
                    << ": out of memory";
  return tensor;
}

Tensor mlir::qcc::allocateResultInPlace(Operation *op, KernelContext &context,
                                        ArrayRef<Tensor> candidates) {
  auto type = cast<RankedTensorType>(op->getResult(0).getType());
  for (const Tensor &operand : candidates)
    if (operand.isUniquelyOwned() &&
        operand.getElementType() == *getElementType(type.getElementType()) &&
        operand.getShape() == type.getShape())
      return operand;
  return allocateResult(op, context);
}

LogicalResult mlir::qcc::checkElementTypes(Operation *op,
                                           ArrayRef<ElementType> allowed) {
  auto check = [&](Value value) -> LogicalResult {
    ElementType type = getTensorElementType(value);
    if (llvm::is_contained(allowed, type))
      return success();
    return op->emitError() << "the reference interpreter does not implement '"
                           << op->getName() << "' on element type "
                           << getElementTypeName(type);
  };
  for (Value operand : op->getOperands())
    if (failed(check(operand)))
      return failure();
  for (Value result : op->getResults())
    if (failed(check(result)))
      return failure();
  return success();
}

SmallVector<int64_t> mlir::qcc::getStrides(ArrayRef<int64_t> shape) {
  SmallVector<int64_t> strides(shape.size(), 1);
  for (int64_t i = static_cast<int64_t>(shape.size()) - 2; i >= 0; --i)
    strides[i] = strides[i + 1] * shape[i + 1];
  return strides;
}

int64_t mlir::qcc::getNumElements(ArrayRef<int64_t> shape) {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

int64_t BroadcastPlan::getNumRows() const {
  int64_t rows = 1;
  for (int64_t d : ArrayRef<int64_t>(shape).drop_back())
    rows *= d;
  return rows;
}

void BroadcastPlan::getRowOffsets(int64_t row,
                                  MutableArrayRef<int64_t> offsets) const {
  for (int64_t &offset : offsets)
    offset = 0;
  for (int64_t d = static_cast<int64_t>(shape.size()) - 2; d >= 0; --d) {
    int64_t index = row % shape[d];
    row /= shape[d];
    for (size_t k = 0; k < strides.size(); ++k)
      offsets[k] += index * strides[k][d];
  }
}

BroadcastPlan
mlir::qcc::planBroadcast(ArrayRef<int64_t> outShape,
                         ArrayRef<ArrayRef<int64_t>> operandShapes) {
  size_t rank = outShape.size();
  size_t numOperands = operandShapes.size();
  // Full-rank strides of every operand, 0 where it is broadcast.
  SmallVector<SmallVector<int64_t>> full(numOperands);
  for (size_t k = 0; k < numOperands; ++k) {
    ArrayRef<int64_t> shape = operandShapes[k];
    SmallVector<int64_t> own = getStrides(shape);
    full[k].assign(rank, 0);
    size_t offset = rank - shape.size();
    for (size_t d = 0; d < shape.size(); ++d)
      if (shape[d] != 1)
        full[k][offset + d] = own[d];
  }
  BroadcastPlan plan;
  plan.strides.resize(numOperands);
  for (size_t d = 0; d < rank; ++d) {
    if (outShape[d] == 1)
      continue;
    // Merge into the previous kept dimension when every operand walks both
    // as one.
    bool merge = !plan.shape.empty();
    for (size_t k = 0; merge && k < numOperands; ++k)
      merge = plan.strides[k].back() == full[k][d] * outShape[d];
    if (merge) {
      plan.shape.back() *= outShape[d];
      for (size_t k = 0; k < numOperands; ++k)
        plan.strides[k].back() = full[k][d];
      continue;
    }
    plan.shape.push_back(outShape[d]);
    for (size_t k = 0; k < numOperands; ++k)
      plan.strides[k].push_back(full[k][d]);
  }
  if (plan.shape.empty()) {
    plan.shape.push_back(1);
    for (size_t k = 0; k < numOperands; ++k)
      plan.strides[k].push_back(0);
  }
  return plan;
}
