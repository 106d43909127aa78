//===- FoldBatchNorm.cpp - fold batch norm into convolution -----*- C++ -*-===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//

#include "qcc/Dialect/Qcc/IR/QccOps.h"
#include "qcc/Dialect/Qcc/Transforms/Passes.h"
#include "qcc/Dialect/Qcc/Transforms/Patterns.h"

#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <cmath>

namespace mlir::qcc {
#define GEN_PASS_DEF_FOLDBATCHNORMPASS
#include "qcc/Dialect/Qcc/Transforms/Passes.h.inc"
} // namespace mlir::qcc

using namespace mlir;
using namespace mlir::qcc;

namespace {

/// Reads a constant f32 tensor into doubles, or fails.
static FailureOr<SmallVector<double>> readF32Constant(Value value) {
  DenseElementsAttr attr;
  if (!matchPattern(value, m_Constant(&attr)) || !attr.getElementType().isF32())
    return failure();
  SmallVector<double> result;
  result.reserve(attr.getNumElements());
  for (float v : attr.getValues<float>())
    result.push_back(v);
  return result;
}

/// qcc.batch_norm(qcc.conv(x, W, b)) -> qcc.conv(x, W * k, (b - mean) * k +
/// beta) with k = scale / sqrt(variance + epsilon), per output channel.
struct FoldBatchNormIntoConv : OpRewritePattern<BatchNormOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(BatchNormOp bn,
                                PatternRewriter &rewriter) const override {
    auto conv = bn.getInput().getDefiningOp<ConvOp>();
    if (!conv)
      return rewriter.notifyMatchFailure(bn, "input is not a qcc.conv");
    if (!conv->hasOneUse())
      return rewriter.notifyMatchFailure(bn, "convolution has other users");
    auto weightType = cast<RankedTensorType>(conv.getWeight().getType());
    FailureOr<SmallVector<double>> weight = readF32Constant(conv.getWeight());
    FailureOr<SmallVector<double>> scale = readF32Constant(bn.getScale());
    FailureOr<SmallVector<double>> beta = readF32Constant(bn.getBias());
    FailureOr<SmallVector<double>> mean = readF32Constant(bn.getMean());
    FailureOr<SmallVector<double>> var = readF32Constant(bn.getVariance());
    if (failed(weight) || failed(scale) || failed(beta) || failed(mean) ||
        failed(var))
      return rewriter.notifyMatchFailure(
          bn, "weight and normalisation parameters must be f32 constants");
    int64_t filters = weightType.getDimSize(0);
    SmallVector<double> bias(filters, 0.0);
    if (Value b = conv.getBias()) {
      FailureOr<SmallVector<double>> constBias = readF32Constant(b);
      if (failed(constBias))
        return rewriter.notifyMatchFailure(bn, "bias must be an f32 constant");
      bias = std::move(*constBias);
    }

    double epsilon = bn.getEpsilon().convertToDouble();
    int64_t perFilter =
        weightType.getNumElements() / std::max<int64_t>(filters, 1);
    SmallVector<float> newWeight(weight->size());
    SmallVector<float> newBias(filters);
    for (int64_t c = 0; c < filters; ++c) {
      double k = (*scale)[c] / std::sqrt((*var)[c] + epsilon);
      for (int64_t i = 0; i < perFilter; ++i)
        newWeight[c * perFilter + i] =
            static_cast<float>((*weight)[c * perFilter + i] * k);
      newBias[c] = static_cast<float>((bias[c] - (*mean)[c]) * k + (*beta)[c]);
    }

    Location loc = rewriter.getFusedLoc({conv.getLoc(), bn.getLoc()});
    auto biasType = RankedTensorType::get({filters}, rewriter.getF32Type());
    Value w = ConstantOp::create(
        rewriter, loc, DenseElementsAttr::get(weightType, ArrayRef(newWeight)));
    Value b = ConstantOp::create(
        rewriter, loc, DenseElementsAttr::get(biasType, ArrayRef(newBias)));
    // Located at both nodes, the convolution first: it names the layer.
    auto folded =
        ConvOp::create(rewriter, loc, bn.getType(), conv.getInput(), w, b,
                       conv.getStridesAttr(), conv.getPadsAttr(),
                       conv.getDilationsAttr(), conv.getGroupAttr());
    rewriter.replaceOp(bn, folded.getResult());
    rewriter.eraseOp(conv);
    return success();
  }
};

struct FoldBatchNormPass : qcc::impl::FoldBatchNormPassBase<FoldBatchNormPass> {
  using Base::Base;
  void runOnOperation() override;
};

} // namespace

void mlir::qcc::populateFoldBatchNormPatterns(RewritePatternSet &patterns) {
  patterns.add<FoldBatchNormIntoConv>(patterns.getContext());
}

void FoldBatchNormPass::runOnOperation() {
  RewritePatternSet patterns(&getContext());
  populateFoldBatchNormPatterns(patterns);
  if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
    return signalPassFailure();
}
