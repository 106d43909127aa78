//===- FuseElementwise.h - op groups for generated kernels ------*- C++ -*-===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//
//
// Finds the elementwise integer ops the CPU backend compiles into kernels of
// its own (ElementwiseKernels.h) instead of calling the runtime: per-tensor
// qcc.requant and qcc.requant_add whose operands have the result's shape and
// whose int64 arithmetic provably cannot overflow (then the kernel's plain
// int64 steps equal applyDyadic's exact result). Chains of them, where a
// value is read only by the next op of the chain, form one group: one pass
// over memory, one kernel. The lowering emits the group's call at its last
// op (the root), skips the others, and the memory plan gives the values
// inside a group no slots and keeps the group's inputs alive to the root.
//
//===----------------------------------------------------------------------===//

#ifndef QCC_LIB_TARGET_CPU_FUSEELEMENTWISE_H
#define QCC_LIB_TARGET_CPU_FUSEELEMENTWISE_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"

namespace mlir::qcc {

class AttentionFusion;
class LinearFusion;

struct ElementwiseGroup {
  /// The ops in program order; the last one is the root.
  SmallVector<Operation *, 4> ops;
  /// The tensors the group reads (defined outside it), in first-use order.
  SmallVector<Value, 4> inputs;
  Operation *getRoot() const { return ops.back(); }
  Value getResult() const { return getRoot()->getResult(0); }
};

class ElementwiseFusion {
public:
  /// Analyses the single block of `fn`, leaving out ops that `linear` or
  /// `attention` already fuse.
  static ElementwiseFusion analyze(func::FuncOp fn, const LinearFusion &linear,
                                   const AttentionFusion &attention);

  const ElementwiseGroup *getGroup(Operation *root) const {
    auto it = roots.find(root);
    return it == roots.end() ? nullptr : &groups[it->second];
  }
  bool isAbsorbed(Operation *op) const { return absorbed.contains(op); }
  ArrayRef<ElementwiseGroup> getGroups() const { return groups; }

  /// Whether the kernels can compute `op` exactly (requant or requant_add,
  /// per-tensor, operands of the result's shape, no int64 overflow).
  static bool isSupported(Operation *op);

private:
  SmallVector<ElementwiseGroup> groups;
  llvm::DenseMap<Operation *, size_t> roots;
  llvm::DenseSet<Operation *> absorbed;
};

} // namespace mlir::qcc

#endif // QCC_LIB_TARGET_CPU_FUSEELEMENTWISE_H
