//===- FuseAttention.cpp - attention chains for qcc_rt_attention ----------===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//

#include "FuseAttention.h"

#include "Dtypes.h"

#include "qcc/Dialect/Qcc/IR/QccOps.h"
#include "qcc/Runtime/RuntimeABI.h"

using namespace mlir;
using namespace mlir::qcc;

namespace {

ShapedType getType(Value v) { return cast<ShapedType>(v.getType()); }

bool is8Bit(Value v) {
  int64_t dtype = getDType(getType(v).getElementType());
  return dtype == QCC_I8 || dtype == QCC_U8;
}

/// The transpose with `permutation` that defines `v` and has `v` as its
/// only reader's operand, or null.
TransposeOp getTranspose(Value v, ArrayRef<int64_t> permutation) {
  auto t = v.getDefiningOp<TransposeOp>();
  if (!t || !v.hasOneUse() || t.getPermutation() != permutation)
    return nullptr;
  return t;
}

/// The single reader of `v` if it is an `OpTy`, or null.
template <typename OpTy> OpTy getOnlyReader(Value v) {
  if (!v.hasOneUse())
    return nullptr;
  return dyn_cast<OpTy>(*v.getUsers().begin());
}

/// The chain around `softmax`, or std::nullopt.
std::optional<FusedAttention> match(IntSoftmaxOp softmax) {
  constexpr int64_t kHeads[] = {0, 2, 1, 3}, kKeys[] = {0, 2, 3, 1};
  auto scores = softmax.getInput().getDefiningOp<MatMulOp>();
  if (!scores || !scores.getResult().hasOneUse())
    return std::nullopt;
  TransposeOp qT = getTranspose(scores.getLhs(), kHeads);
  TransposeOp kT = getTranspose(scores.getRhs(), kKeys);
  auto context = getOnlyReader<MatMulOp>(softmax.getResult());
  if (!qT || !kT || !context || context.getLhs() != softmax.getResult())
    return std::nullopt;
  TransposeOp vT = getTranspose(context.getRhs(), kHeads);
  auto requant = getOnlyReader<RequantOp>(context.getResult());
  if (!vT || !requant || requant.getMultiplier().size() != 1 ||
      requant.getShift().size() != 1)
    return std::nullopt;
  auto out = getOnlyReader<TransposeOp>(requant.getResult());
  if (!out || out.getPermutation() != ArrayRef<int64_t>(kHeads))
    return std::nullopt;

  FusedAttention chain;
  chain.q = qT.getInput();
  chain.k = kT.getInput();
  chain.v = vT.getInput();
  chain.mask = softmax.getKeyMask();
  chain.result = out.getResult();
  // 8-bit q, k, v of rank 4: q [B, Sq, H, D], k and v [B, Sk, H, D]; the
  // i32 products; the mask [B, Sk] of integers.
  ArrayRef<int64_t> q = getType(chain.q).getShape(),
                    k = getType(chain.k).getShape(),
                    v = getType(chain.v).getShape();
  if (!is8Bit(chain.q) || !is8Bit(chain.k) || !is8Bit(chain.v) ||
      q.size() != 4 || k != v || k.size() != 4 || k[0] != q[0] ||
      k[2] != q[2] || k[3] != q[3])
    return std::nullopt;
  if (!getType(scores.getResult()).getElementType().isInteger(32) ||
      !getType(context.getResult()).getElementType().isInteger(32) ||
      getDType(getType(softmax.getResult()).getElementType()) != QCC_U8)
    return std::nullopt;
  int64_t outDtype = getDType(getType(chain.result).getElementType());
  if (outDtype != QCC_I8 && outDtype != QCC_U8 && outDtype != QCC_I16 &&
      outDtype != QCC_I32)
    return std::nullopt;
  if (chain.mask) {
    ShapedType mask = getType(chain.mask);
    int64_t dtype = getDType(mask.getElementType());
    if (mask.getNumElements() != k[0] * k[1] ||
        (dtype != QCC_I8 && dtype != QCC_U8 && dtype != QCC_I16 &&
         dtype != QCC_I32 && dtype != QCC_I64 && dtype != QCC_BOOL))
      return std::nullopt;
  }

  chain.root = out;
  chain.softmax = softmax;
  chain.absorbed = {qT, kT, vT, scores, softmax, context, requant};
  auto [lo, hi] = typeRange(getType(chain.result).getElementType());
  chain.attrs = {softmax.getInputBits(),
                 softmax.getExpMultiplier(),
                 softmax.getExpShift(),
                 i64(softmax.getPolyB()),
                 i64(softmax.getPolyC()),
                 softmax.getE16Multiplier(),
                 softmax.getE16Shift(),
                 i64(requant.getInputZeroPoint()),
                 i64(requant.getOutputZeroPoint()),
                 requant.getMin() ? i64(*requant.getMin()) : lo,
                 requant.getMax() ? i64(*requant.getMax()) : hi,
                 requant.getMultiplier()[0],
                 requant.getShift()[0]};
  return chain;
}

} // namespace

AttentionFusion AttentionFusion::analyze(func::FuncOp fn) {
  AttentionFusion fusion;
  fn.walk([&](IntSoftmaxOp softmax) {
    std::optional<FusedAttention> chain = match(softmax);
    if (!chain)
      return;
    fusion.roots[chain->root] = fusion.chains.size();
    fusion.absorbed.insert(chain->absorbed.begin(), chain->absorbed.end());
    fusion.chains.push_back(std::move(*chain));
  });
  return fusion;
}
