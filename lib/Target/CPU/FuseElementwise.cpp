//===- FuseElementwise.cpp - op groups for generated kernels --------------===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//

#include "FuseElementwise.h"

#include "Dtypes.h"
#include "FuseAttention.h"
#include "FuseLinear.h"

#include "qcc/Dialect/Qcc/IR/QccOps.h"

using namespace mlir;
using namespace mlir::qcc;

namespace {

/// Most tensors one group reads (the kernel's pointer array).
constexpr size_t kMaxInputs = 8;

/// An 8, 16 or 32-bit integer tensor type (the kernels' element types).
bool isKernelType(Type type) {
  auto i = dyn_cast<IntegerType>(cast<ShapedType>(type).getElementType());
  return i && (i.getWidth() == 8 || i.getWidth() == 16 ||
               (i.getWidth() == 32 && !i.isUnsigned()));
}

/// A bound on |applyDyadic(x - zeroPoint, {multiplier, shift})| for every x
/// of `type`, when the kernel's int64 steps compute it exactly: |x - zp| *
/// |multiplier| + 2^(shift-1) < 2^63 (then the arithmetic shift of the sum
/// is applyDyadic's floor). std::nullopt otherwise.
std::optional<__int128> getDyadicBound(Type type, int64_t zeroPoint,
                                       int32_t multiplier, int32_t shift) {
  if (shift < 0 || shift > 62 || zeroPoint < -(int64_t(1) << 32) ||
      zeroPoint > (int64_t(1) << 32))
    return std::nullopt;
  auto [lo, hi] = typeRange(cast<ShapedType>(type).getElementType());
  __int128 d =
      std::max<__int128>(__int128(hi) - zeroPoint, __int128(zeroPoint) - lo);
  __int128 product = d * (multiplier < 0 ? -__int128(multiplier) : multiplier) +
                     (shift > 0 ? __int128(1) << (shift - 1) : 0);
  if (product >= (__int128(1) << 63))
    return std::nullopt;
  return (product >> shift) + 1;
}

constexpr __int128 kInt64Limit = __int128(1) << 63;

} // namespace

bool ElementwiseFusion::isSupported(Operation *op) {
  auto sameShape = [&](Value v) {
    return cast<ShapedType>(v.getType()).getShape() ==
           cast<ShapedType>(op->getResult(0).getType()).getShape();
  };
  // Each sum the kernel forms must stay within int64 as well.
  if (auto r = dyn_cast<RequantOp>(op)) {
    if (r.getMultiplier().size() != 1 || r.getShift().size() != 1 ||
        !isKernelType(r.getInput().getType()) || !isKernelType(r.getType()) ||
        !sameShape(r.getInput()))
      return false;
    std::optional<__int128> bound =
        getDyadicBound(r.getInput().getType(), i64(r.getInputZeroPoint()),
                       r.getMultiplier()[0], r.getShift()[0]);
    __int128 outZp = i64(r.getOutputZeroPoint());
    return bound && *bound + (outZp < 0 ? -outZp : outZp) < kInt64Limit;
  }
  if (auto a = dyn_cast<RequantAddOp>(op)) {
    if (a.getLhsMultiplier().size() != 1 || a.getRhsMultiplier().size() != 1 ||
        !isKernelType(a.getLhs().getType()) ||
        !isKernelType(a.getRhs().getType()) || !isKernelType(a.getType()) ||
        !sameShape(a.getLhs()) || !sameShape(a.getRhs()))
      return false;
    std::optional<__int128> lhs = getDyadicBound(
        a.getLhs().getType(), 0, a.getLhsMultiplier()[0], a.getLhsShift()[0]);
    std::optional<__int128> rhs = getDyadicBound(
        a.getRhs().getType(), 0, a.getRhsMultiplier()[0], a.getRhsShift()[0]);
    return lhs && rhs && *lhs + *rhs < kInt64Limit;
  }
  return false;
}

ElementwiseFusion ElementwiseFusion::analyze(func::FuncOp fn,
                                             const LinearFusion &linear,
                                             const AttentionFusion &attention) {
  ElementwiseFusion fusion;
  for (Operation &op : fn.getBody().front().without_terminator()) {
    if (linear.isAbsorbed(&op) || linear.getChain(&op) ||
        attention.isAbsorbed(&op) || attention.getChain(&op) ||
        !isSupported(&op))
      continue;
    // Extend the group whose root computes an operand read only here.
    ElementwiseGroup *group = nullptr;
    for (Value operand : op.getOperands()) {
      Operation *def = operand.getDefiningOp();
      auto it = def ? fusion.roots.find(def) : fusion.roots.end();
      if (it != fusion.roots.end() && operand.hasOneUse()) {
        group = &fusion.groups[it->second];
        break;
      }
    }
    if (group) {
      size_t index = fusion.roots.lookup(group->getRoot());
      // The inputs the group would read with this op added.
      SmallVector<Value, 4> inputs(group->inputs);
      for (Value operand : op.getOperands())
        if (operand.getDefiningOp() != group->getRoot() &&
            !llvm::is_contained(inputs, operand))
          inputs.push_back(operand);
      if (inputs.size() <= kMaxInputs) {
        fusion.roots.erase(group->getRoot());
        fusion.absorbed.insert(group->getRoot());
        group->ops.push_back(&op);
        group->inputs = std::move(inputs);
        fusion.roots[&op] = index;
        continue;
      }
    }
    ElementwiseGroup fresh;
    fresh.ops.push_back(&op);
    for (Value operand : op.getOperands())
      if (!llvm::is_contained(fresh.inputs, operand))
        fresh.inputs.push_back(operand);
    fusion.roots[&op] = fusion.groups.size();
    fusion.groups.push_back(std::move(fresh));
  }
  return fusion;
}
