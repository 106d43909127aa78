//===- FuseLinear.h - matmul/conv chains for qcc_rt_linear ------*- C++ -*-===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//
//
// Finds the chains the fused linear kernel (qcc/Runtime/PackedLinear.h)
// computes in one call:
//
//   root:      qcc.matmul(x, W) or qcc.conv(x, W[, b]) with 8-bit x and a
//              constant i8 W (rank 2 for a matmul)
//   then:      qcc.add(root, B) with a constant i32 B along the channel
//   then one:  qcc.requant (no input zero point, shifts <= 62, dyadics per
//              tensor or along the channel), or qcc.requant_add with the
//              chain on one side and, on the other, a residual computed
//              before the root
//   and after a requant to an 8-bit type, such a qcc.requant_add of its
//   result (the RequantThenAdd epilogue)
//
// each step only when the previous value has no other reader. The result
// is packed at compile time; the lowering emits one qcc_rt_linear call at
// the root, skips the absorbed ops, and the memory plan gives the chain's
// last value a slot from the root on (and none to the values in between).
//
//===----------------------------------------------------------------------===//

#ifndef QCC_LIB_TARGET_CPU_FUSELINEAR_H
#define QCC_LIB_TARGET_CPU_FUSELINEAR_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"

#include <string>

namespace mlir::qcc {

struct FusedLinear {
  Operation *root = nullptr;
  /// The ops after the root that the kernel also computes.
  SmallVector<Operation *, 2> absorbed;
  /// The activation, the residual (or null) and the value the call writes.
  Value input, residual, result;
  /// The packed blob (PackedLinearHeader first).
  std::string blob;
  /// The kernel's attrs: empty for a matmul, conv attrs + kernel dims.
  SmallVector<int64_t> attrs;
};

class LinearFusion {
public:
  /// Analyses the single block of `fn` and packs every chain it finds;
  /// with `directConv`, convolutions that qcc_rt::supportsDirectConv accepts
  /// and qcc_rt::prefersDirectConv favours get the direct layout
  /// (PackedLinear.h).
  static LinearFusion analyze(func::FuncOp fn, bool directConv = true);

  const FusedLinear *getChain(Operation *root) const {
    auto it = roots.find(root);
    return it == roots.end() ? nullptr : &chains[it->second];
  }
  bool isAbsorbed(Operation *op) const { return absorbed.contains(op); }
  ArrayRef<FusedLinear> getChains() const { return chains; }

private:
  SmallVector<FusedLinear> chains;
  llvm::DenseMap<Operation *, size_t> roots;
  llvm::DenseSet<Operation *> absorbed;
};

} // namespace mlir::qcc

#endif // QCC_LIB_TARGET_CPU_FUSELINEAR_H
