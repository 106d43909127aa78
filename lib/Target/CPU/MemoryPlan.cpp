//===- MemoryPlan.cpp - arena offsets of intermediate tensors -------------===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//

#include "MemoryPlan.h"

#include "FuseAttention.h"
#include "FuseElementwise.h"
#include "FuseLinear.h"

#include "qcc/Dialect/Qcc/IR/QccOps.h"

#include "mlir/IR/BuiltinTypes.h"

using namespace mlir;
using namespace mlir::qcc;

static int64_t getByteSize(Value v) {
  auto type = cast<RankedTensorType>(v.getType());
  Type element = type.getElementType();
  int64_t bytes =
      element.isIntOrFloat()
          ? std::max<int64_t>(1, element.getIntOrFloatBitWidth() / 8)
          : 8;
  return std::max<int64_t>(type.getNumElements() * bytes, 1);
}

MemoryPlan mlir::qcc::planMemory(func::FuncOp fn, const LinearFusion *fusion,
                                 const AttentionFusion *attention,
                                 const ElementwiseFusion *elementwise) {
  Block &block = fn.getBody().front();
  llvm::DenseMap<Operation *, int64_t> index;
  int64_t n = 0;
  for (Operation &op : block)
    index[&op] = n++;

  // The value whose buffer `v` uses (through reshape aliases).
  auto storage = [](Value v) {
    while (auto reshape = v.getDefiningOp<ReshapeOp>())
      v = reshape.getInput();
    return v;
  };
  struct Interval {
    Value value;
    int64_t start, end, size;
  };
  llvm::DenseMap<Value, int64_t> lastUse;
  for (Operation &op : block)
    for (Value operand : op.getOperands()) {
      Value s = storage(operand);
      lastUse[s] = std::max(lastUse.lookup(s), index[&op]);
    }
  if (attention)
    for (const FusedAttention &chain : attention->getChains())
      for (Value input : {chain.q, chain.k, chain.v, chain.mask})
        if (input) {
          Value s = storage(input);
          lastUse[s] = std::max(lastUse.lookup(s), index[chain.root]);
        }
  if (elementwise)
    for (const ElementwiseGroup &group : elementwise->getGroups())
      for (Value input : group.inputs) {
        Value s = storage(input);
        lastUse[s] = std::max(lastUse.lookup(s), index[group.getRoot()]);
      }
  SmallVector<Interval> intervals;
  for (Operation &op : block) {
    if (isa<ConstantOp, ReshapeOp>(op) || op.getNumResults() != 1)
      continue;
    if ((fusion && fusion->isAbsorbed(&op)) ||
        (attention && attention->isAbsorbed(&op)) ||
        (elementwise && elementwise->isAbsorbed(&op)))
      continue;
    Value v = op.getResult(0);
    if (const FusedLinear *chain = fusion ? fusion->getChain(&op) : nullptr)
      v = chain->result;
    intervals.push_back({v, index[&op], std::max(lastUse.lookup(v), index[&op]),
                         getByteSize(v)});
  }

  MemoryPlan plan;
  struct Live {
    int64_t offset, size, end;
  };
  SmallVector<Live> live; // sorted by offset
  for (const Interval &it : intervals) {
    // Free the slots of tensors whose last reader ran before this op.
    llvm::erase_if(live, [&](const Live &l) { return l.end < it.start; });
    int64_t size = (it.size + 63) / 64 * 64;
    int64_t offset = 0;
    for (const Live &l : live) {
      if (l.offset - offset >= size)
        break;
      offset = std::max(offset, l.offset + l.size);
    }
    live.push_back({offset, size, it.end});
    llvm::sort(
        live, [](const Live &a, const Live &b) { return a.offset < b.offset; });
    plan.offsets[it.value] = offset;
    plan.arenaBytes = std::max(plan.arenaBytes, offset + size);
  }
  return plan;
}
