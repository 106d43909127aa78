//===- FuseAttention.h - attention chains for qcc_rt_attention --*- C++ -*-===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//
//
// Finds the multi-head attention chain the fused attention kernel
// (qcc_rt_attention, RuntimeABI.h) computes in one call:
//
//   qT  = qcc.transpose(q) {0, 2, 1, 3}   q, k, v: 8-bit [B, S, H, D]
//   kT  = qcc.transpose(k) {0, 2, 3, 1}
//   vT  = qcc.transpose(v) {0, 2, 1, 3}
//   s   = qcc.matmul(qT, kT)             i32 [B, H, Sq, Sk]
//   p   = qcc.int_softmax(s[, key_mask]) ui8
//   c   = qcc.matmul(p, vT)              i32 [B, H, Sq, D]
//   r   = qcc.requant(c)                 one multiplier, 8-32-bit result
//   out = qcc.transpose(r) {0, 2, 1, 3}  [B, Sq, H, D]
//
// each intermediate read by the next op only. The lowering emits one call
// at `out` (the root) reading q, k, v and the mask, skips the absorbed ops,
// and the memory plan gives the absorbed values no slots and keeps q, k, v
// and the mask alive up to the root.
//
//===----------------------------------------------------------------------===//

#ifndef QCC_LIB_TARGET_CPU_FUSEATTENTION_H
#define QCC_LIB_TARGET_CPU_FUSEATTENTION_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"

namespace mlir::qcc {

struct FusedAttention {
  /// The final transpose, where the call runs.
  Operation *root = nullptr;
  /// The softmax, whose node names the call in profiles.
  Operation *softmax = nullptr;
  SmallVector<Operation *, 7> absorbed;
  /// q, k, v in [B, S, H, D], the key mask (or null), the value written.
  Value q, k, v, mask, result;
  /// The kernel's attrs (RuntimeABI.h).
  SmallVector<int64_t> attrs;
};

class AttentionFusion {
public:
  /// Analyses the single block of `fn`.
  static AttentionFusion analyze(func::FuncOp fn);

  const FusedAttention *getChain(Operation *root) const {
    auto it = roots.find(root);
    return it == roots.end() ? nullptr : &chains[it->second];
  }
  bool isAbsorbed(Operation *op) const { return absorbed.contains(op); }
  ArrayRef<FusedAttention> getChains() const { return chains; }

private:
  SmallVector<FusedAttention> chains;
  llvm::DenseMap<Operation *, size_t> roots;
  llvm::DenseSet<Operation *> absorbed;
};

} // namespace mlir::qcc

#endif // QCC_LIB_TARGET_CPU_FUSEATTENTION_H
