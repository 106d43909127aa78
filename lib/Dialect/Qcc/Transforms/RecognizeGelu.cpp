//===- RecognizeGelu.cpp - Erf/Tanh GELU forms -> qcc.gelu ------*- C++ -*-===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//

#include "MatchUtils.h"
#include "qcc/Dialect/Qcc/Transforms/Passes.h"
#include "qcc/Dialect/Qcc/Transforms/Patterns.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include "llvm/Support/MathExtras.h"

namespace mlir::qcc {
#define GEN_PASS_DEF_RECOGNIZEGELUPASS
#include "qcc/Dialect/Qcc/Transforms/Passes.h.inc"
} // namespace mlir::qcc

using namespace mlir;
using namespace mlir::qcc;

namespace {

/// Flattens a tree of qcc.mul into its factors. Inner multiplications must
/// have no other user (they disappear with the rewrite).
void collectFactors(Value v, SmallVectorImpl<Value> &factors, bool isRoot) {
  auto mul = v.getDefiningOp<MulOp>();
  if (mul && (isRoot || mul->hasOneUse()) && factors.size() < 4) {
    collectFactors(mul.getLhs(), factors, false);
    collectFactors(mul.getRhs(), factors, false);
    return;
  }
  factors.push_back(v);
}

/// If `v` is `1 + inner` (either order), returns `inner`.
Value matchOnePlus(Value v) {
  auto add = v.getDefiningOp<AddOp>();
  if (!add)
    return {};
  if (isSplatNear(add.getLhs(), 1.0))
    return add.getRhs();
  if (isSplatNear(add.getRhs(), 1.0))
    return add.getLhs();
  return {};
}

/// Whether `v` is `x * c` or `x / (1 / c)` for the constant c.
bool isScaled(Value v, Value x, double c) {
  if (auto mul = v.getDefiningOp<MulOp>()) {
    Value other = otherOperand(mul, x);
    return other && isSplatNear(other, c);
  }
  if (auto div = v.getDefiningOp<DivOp>())
    return div.getLhs() == x && isSplatNear(div.getRhs(), 1.0 / c);
  return false;
}

/// Whether `v` is x^3 as Pow(x, 3), x * x * x, or x * (x * x).
bool isCube(Value v, Value x) {
  if (auto pow = v.getDefiningOp<PowOp>())
    return pow.getLhs() == x && isSplatNear(pow.getRhs(), 3.0, 0);
  SmallVector<Value> factors;
  collectFactors(v, factors, /*isRoot=*/true);
  return factors.size() == 3 &&
         llvm::all_of(factors, [&](Value f) { return f == x; });
}

/// Whether `v` is the tanh argument sqrt(2/pi) * (x + 0.044715 * x^3).
bool isTanhArgument(Value v, Value x) {
  auto mul = v.getDefiningOp<MulOp>();
  if (!mul)
    return false;
  const double k = std::sqrt(2.0 / llvm::numbers::pi);
  for (auto [c, inner] : {std::pair(mul.getLhs(), mul.getRhs()),
                          std::pair(mul.getRhs(), mul.getLhs())}) {
    auto add = inner.getDefiningOp<AddOp>();
    if (!isSplatNear(c, k) || !add)
      continue;
    Value cubic = otherOperand(add, x);
    if (!cubic)
      continue;
    auto scaled = cubic.getDefiningOp<MulOp>();
    if (!scaled)
      continue;
    for (auto [s, cube] : {std::pair(scaled.getLhs(), scaled.getRhs()),
                           std::pair(scaled.getRhs(), scaled.getLhs())})
      if (isSplatNear(s, 0.044715) && isCube(cube, x))
        return true;
  }
  return false;
}

/// 0.5 * x * (1 + erf(x / sqrt 2))  ->  gelu(x), and the tanh form.
struct RecognizeGelu : OpRewritePattern<MulOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(MulOp root,
                                PatternRewriter &rewriter) const override {
    SmallVector<Value> factors;
    collectFactors(root, factors, /*isRoot=*/true);
    if (factors.size() != 3)
      return rewriter.notifyMatchFailure(root, "not a product of 3 factors");
    auto half = llvm::find_if(factors, [](Value f) {
      return isSplatNear(f, 0.5);
    });
    if (half == factors.end())
      return rewriter.notifyMatchFailure(root, "no factor 0.5");
    Value rest[2];
    llvm::copy_if(factors, rest, [&](Value f) { return f != *half; });
    for (auto [x, bracket] : {std::pair(rest[0], rest[1]),
                              std::pair(rest[1], rest[0])}) {
      if (!x || x.getType() != root.getType())
        continue;
      Value inner = matchOnePlus(bracket);
      if (!inner)
        continue;
      if (auto erf = inner.getDefiningOp<ErfOp>();
          erf && isScaled(erf.getInput(), x, 1.0 / llvm::numbers::sqrt2)) {
        rewriter.replaceOpWithNewOp<GeluOp>(root, x);
        return success();
      }
      if (auto tanh = inner.getDefiningOp<TanhOp>();
          tanh && isTanhArgument(tanh.getInput(), x)) {
        rewriter.replaceOpWithNewOp<GeluOp>(
            root, x,
            GeluApproximationAttr::get(getContext(), GeluApproximation::Tanh));
        return success();
      }
    }
    return rewriter.notifyMatchFailure(root, "not a GELU expansion");
  }
};

struct RecognizeGeluPass
    : qcc::impl::RecognizeGeluPassBase<RecognizeGeluPass> {
  using Base::Base;
  void runOnOperation() override;
};

} // namespace

void mlir::qcc::populateRecognizeGeluPatterns(RewritePatternSet &patterns) {
  patterns.add<RecognizeGelu>(patterns.getContext());
}

void RecognizeGeluPass::runOnOperation() {
  RewritePatternSet patterns(&getContext());
  populateRecognizeGeluPatterns(patterns);
  if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
    return signalPassFailure();
}
