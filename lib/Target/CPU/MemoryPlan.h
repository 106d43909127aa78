//===- MemoryPlan.h - arena offsets of intermediate tensors -----*- C++ -*-===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//
//
// Every intermediate tensor of the integer function gets a 64-byte aligned
// offset in one arena, reused once the tensor is dead (its last reader,
// following reshape aliases, has run). Greedy first fit in program order:
// the arena holds the live set, not the whole model.
//
//===----------------------------------------------------------------------===//

#ifndef QCC_LIB_TARGET_CPU_MEMORYPLAN_H
#define QCC_LIB_TARGET_CPU_MEMORYPLAN_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/DenseMap.h"

#include <optional>

namespace mlir::qcc {

class MemoryPlan {
public:
  std::optional<int64_t> getOffset(Value v) const {
    auto it = offsets.find(v);
    if (it == offsets.end())
      return std::nullopt;
    return it->second;
  }
  int64_t getArenaBytes() const { return arenaBytes; }

  llvm::DenseMap<Value, int64_t> offsets;
  int64_t arenaBytes = 0;
};

class AttentionFusion;
class ElementwiseFusion;
class LinearFusion;

/// Plans the arena of `fn`: a slot for every result of an op other than
/// qcc.constant and qcc.reshape (which aliases its input). With `fusion`,
/// a fused chain's result is written at its root (its slot starts there)
/// and the values inside the chain get none. With `attention`, the absorbed
/// ops' values get none either, and the chain's inputs stay alive up to its
/// root (the call that reads them); `elementwise` groups likewise.
MemoryPlan planMemory(func::FuncOp fn, const LinearFusion *fusion = nullptr,
                      const AttentionFusion *attention = nullptr,
                      const ElementwiseFusion *elementwise = nullptr);

} // namespace mlir::qcc

#endif // QCC_LIB_TARGET_CPU_MEMORYPLAN_H
