//===- RecognizeLayerNorm.cpp - primitive ops -> qcc.layer_norm -*- C++ -*-===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//

#include "MatchUtils.h"
#include "qcc/Dialect/Qcc/Transforms/Passes.h"
#include "qcc/Dialect/Qcc/Transforms/Patterns.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::qcc {
#define GEN_PASS_DEF_RECOGNIZELAYERNORMPASS
#include "qcc/Dialect/Qcc/Transforms/Passes.h.inc"
} // namespace mlir::qcc

using namespace mlir;
using namespace mlir::qcc;

namespace {

/// If `op` reduces the trailing axes [k, rank) of its input with keepdims,
/// returns k.
std::optional<int64_t> trailingReduceAxis(ReduceMeanOp op) {
  if (!op || !op.getKeepdims())
    return std::nullopt;
  int64_t rank = cast<RankedTensorType>(op.getInput().getType()).getRank();
  ArrayRef<int64_t> axes = op.getAxes();
  if (axes.empty() || axes.back() != rank - 1)
    return std::nullopt;
  for (size_t i = 1; i < axes.size(); ++i)
    if (axes[i] != axes[i - 1] + 1)
      return std::nullopt;
  return axes.front();
}

/// d / sqrt(mean(d^2) + eps) with d = x - mean(x) -> layer_norm(x, 1).
struct RecognizeLayerNorm : OpRewritePattern<DivOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(DivOp div,
                                PatternRewriter &rewriter) const override {
    auto centred = div.getLhs().getDefiningOp<SubOp>();
    auto sqrt = div.getRhs().getDefiningOp<SqrtOp>();
    if (!centred || !sqrt)
      return rewriter.notifyMatchFailure(div, "not d / sqrt(...)");
    Value x = centred.getLhs();
    auto mean = centred.getRhs().getDefiningOp<ReduceMeanOp>();
    if (!mean || mean.getInput() != x)
      return rewriter.notifyMatchFailure(div, "d is not x - mean(x)");
    std::optional<int64_t> axis = trailingReduceAxis(mean);
    if (!axis)
      return rewriter.notifyMatchFailure(div, "mean is not over trailing axes");

    auto addEps = sqrt.getInput().getDefiningOp<AddOp>();
    if (!addEps)
      return rewriter.notifyMatchFailure(div, "no + eps under the sqrt");
    ReduceMeanOp variance;
    std::optional<float> epsilon;
    for (auto [a, b] : {std::pair(addEps.getLhs(), addEps.getRhs()),
                        std::pair(addEps.getRhs(), addEps.getLhs())}) {
      if (auto v = a.getDefiningOp<ReduceMeanOp>(); v && getSplatF32(b)) {
        variance = v;
        epsilon = getSplatF32(b);
      }
    }
    if (!variance || !epsilon || *epsilon < 0 ||
        variance.getAxes() != mean.getAxes() || !variance.getKeepdims())
      return rewriter.notifyMatchFailure(div, "no mean(d^2) + eps");
    Operation *square = variance.getInput().getDefiningOp();
    bool isSquare = false;
    if (auto pow = dyn_cast_if_present<PowOp>(square))
      isSquare = pow.getLhs() == centred && isSplatNear(pow.getRhs(), 2.0, 0);
    else if (auto mul = dyn_cast_if_present<MulOp>(square))
      isSquare = mul.getLhs() == centred && mul.getRhs() == centred;
    if (!isSquare)
      return rewriter.notifyMatchFailure(div, "variance is not mean(d^2)");

    auto type = cast<RankedTensorType>(x.getType());
    if (!type.getElementType().isF32() || div.getType() != type)
      return rewriter.notifyMatchFailure(div, "not an f32 normalisation");
    auto scaleType = RankedTensorType::get(type.getShape().drop_front(*axis),
                                           type.getElementType());
    Value ones = ConstantOp::create(
        rewriter, div.getLoc(),
        DenseElementsAttr::get(scaleType, rewriter.getF32FloatAttr(1.0f)));
    rewriter.replaceOpWithNewOp<LayerNormOp>(
        div, type, x, ones, Value(), rewriter.getI64IntegerAttr(*axis),
        rewriter.getF32FloatAttr(*epsilon));
    return success();
  }
};

/// Values of a constant that broadcasts onto the normalised dimensions only:
/// its shape is `[1, ..., 1] + normShape` (or a splat). Returns the values
/// expanded to normShape.
std::optional<SmallVector<float>> readNormalisedParam(Value v,
                                                      ArrayRef<int64_t> full,
                                                      int64_t axis) {
  DenseFPElementsAttr attr;
  if (!matchPattern(v, m_Constant(&attr)) || !attr.getElementType().isF32())
    return std::nullopt;
  ArrayRef<int64_t> norm = full.drop_front(axis);
  int64_t count = ShapedType::getNumElements(norm);
  if (attr.isSplat())
    return SmallVector<float>(count, attr.getSplatValue<float>());
  ArrayRef<int64_t> shape = attr.getType().getShape();
  if (shape.size() > full.size())
    return std::nullopt;
  size_t lead = shape.size() > norm.size() ? shape.size() - norm.size() : 0;
  if (shape.size() < norm.size() ||
      shape.drop_front(lead) != norm ||
      llvm::any_of(shape.take_front(lead), [](int64_t d) { return d != 1; }))
    return std::nullopt;
  return SmallVector<float>(attr.getValues<float>());
}

/// layer_norm(x, s) * gamma -> layer_norm(x, s * gamma), and
/// layer_norm(x, s) + beta -> layer_norm(x, s, beta).
template <typename OpTy>
struct FoldAffineIntoLayerNorm : OpRewritePattern<OpTy> {
  using OpRewritePattern<OpTy>::OpRewritePattern;

  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    constexpr bool isMul = std::is_same_v<OpTy, MulOp>;
    for (auto [a, b] : {std::pair(op.getLhs(), op.getRhs()),
                        std::pair(op.getRhs(), op.getLhs())}) {
      auto ln = a.template getDefiningOp<LayerNormOp>();
      if (!ln || !ln->hasOneUse() || ln.getBias() || op.getType() != ln.getType())
        continue;
      ArrayRef<int64_t> full = ln.getType().getShape();
      int64_t axis = ln.getAxis();
      std::optional<SmallVector<float>> param =
          readNormalisedParam(b, full, axis);
      std::optional<SmallVector<float>> scale =
          readNormalisedParam(ln.getScale(), full, axis);
      if (!param || !scale)
        continue;
      auto paramType = cast<RankedTensorType>(ln.getScale().getType());
      Value newScale = ln.getScale(), newBias;
      if (isMul) {
        for (auto [s, g] : llvm::zip(*scale, *param))
          s *= g;
        newScale = ConstantOp::create(
            rewriter, op.getLoc(),
            DenseElementsAttr::get(paramType, ArrayRef<float>(*scale)));
      } else {
        newBias = ConstantOp::create(
            rewriter, op.getLoc(),
            DenseElementsAttr::get(paramType, ArrayRef<float>(*param)));
      }
      rewriter.replaceOpWithNewOp<LayerNormOp>(
          op, ln.getType(), ln.getInput(), newScale, newBias,
          ln.getAxisAttr(), ln.getEpsilonAttr());
      rewriter.eraseOp(ln);
      return success();
    }
    return rewriter.notifyMatchFailure(op, "no foldable layer_norm operand");
  }
};

struct RecognizeLayerNormPass
    : qcc::impl::RecognizeLayerNormPassBase<RecognizeLayerNormPass> {
  using Base::Base;
  void runOnOperation() override;
};

} // namespace

void mlir::qcc::populateRecognizeLayerNormPatterns(RewritePatternSet &patterns) {
  patterns.add<RecognizeLayerNorm, FoldAffineIntoLayerNorm<MulOp>,
               FoldAffineIntoLayerNorm<AddOp>>(patterns.getContext());
}

void RecognizeLayerNormPass::runOnOperation() {
  RewritePatternSet patterns(&getContext());
  populateRecognizeLayerNormPatterns(patterns);
  if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
    return signalPassFailure();
}
