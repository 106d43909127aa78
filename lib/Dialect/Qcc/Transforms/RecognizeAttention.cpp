//===- RecognizeAttention.cpp - SDPA subgraphs -> qcc.attention -*- C++ -*-===//
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
#define GEN_PASS_DEF_RECOGNIZEATTENTIONPASS
#include "qcc/Dialect/Qcc/Transforms/Passes.h.inc"
} // namespace mlir::qcc

using namespace mlir;
using namespace mlir::qcc;

namespace {

/// The pieces of `q @ k^T * scale`.
struct Scores {
  Value q, kTransposed;
  float scale = 1.0f;
};

/// Matches `MatMul(q, kT)`, optionally multiplied or divided by a scalar.
std::optional<Scores> matchScores(Value v) {
  Scores scores;
  if (auto mul = v.getDefiningOp<MulOp>()) {
    for (auto [a, b] : {std::pair(mul.getLhs(), mul.getRhs()),
                        std::pair(mul.getRhs(), mul.getLhs())})
      if (std::optional<float> c = getSplatF32(b);
          c && a.getDefiningOp<MatMulOp>() && mul->hasOneUse()) {
        scores.scale = *c;
        v = a;
        break;
      }
  } else if (auto div = v.getDefiningOp<DivOp>()) {
    std::optional<float> c = getSplatF32(div.getRhs());
    if (c && *c != 0.0f && div.getLhs().getDefiningOp<MatMulOp>()) {
      scores.scale = 1.0f / *c;
      v = div.getLhs();
    }
  }
  auto matmul = v.getDefiningOp<MatMulOp>();
  if (!matmul)
    return std::nullopt;
  scores.q = matmul.getLhs();
  scores.kTransposed = matmul.getRhs();
  return scores;
}

/// Whether `perm` swaps the last two dimensions and keeps the others.
bool swapsLastTwo(ArrayRef<int64_t> perm) {
  int64_t rank = perm.size();
  if (rank < 2 || perm[rank - 2] != rank - 1 || perm[rank - 1] != rank - 2)
    return false;
  for (int64_t i = 0; i < rank - 2; ++i)
    if (perm[i] != i)
      return false;
  return true;
}

/// Matches the BERT-style additive mask `(1 - Cast<f32>(m')) * c` where m'
/// is a `[B, S]` mask reshaped to `[B, 1, ..., 1, S]`. Returns (m, c).
std::optional<std::pair<Value, float>> matchKeyMask(Value additive,
                                                    int64_t scoresRank) {
  auto mul = additive.getDefiningOp<MulOp>();
  if (!mul)
    return std::nullopt;
  for (auto [a, b] : {std::pair(mul.getLhs(), mul.getRhs()),
                      std::pair(mul.getRhs(), mul.getLhs())}) {
    std::optional<float> c = getSplatF32(b);
    auto sub = a.getDefiningOp<SubOp>();
    if (!c || !sub || !isSplatNear(sub.getLhs(), 1.0, 0))
      continue;
    // Walk reshapes and one cast to f32 down to the [B, S] mask.
    Value m = sub.getRhs();
    auto reshaped = cast<RankedTensorType>(m.getType());
    if (reshaped.getRank() != scoresRank || !reshaped.getElementType().isF32())
      continue;
    bool sawCast = false;
    while (true) {
      if (auto reshape = m.getDefiningOp<ReshapeOp>()) {
        m = reshape.getInput();
      } else if (auto castOp = m.getDefiningOp<CastOp>(); castOp && !sawCast) {
        sawCast = true;
        m = castOp.getInput();
      } else {
        break;
      }
    }
    auto maskType = cast<RankedTensorType>(m.getType());
    ArrayRef<int64_t> shape = reshaped.getShape();
    bool middleOnes = llvm::all_of(shape.drop_front().drop_back(),
                                   [](int64_t d) { return d == 1; });
    if (maskType.getRank() != 2 || !middleOnes ||
        shape.front() != maskType.getDimSize(0) ||
        shape.back() != maskType.getDimSize(1) ||
        isa<FloatType>(maskType.getElementType()) != !sawCast)
      continue;
    return std::make_pair(m, *c);
  }
  return std::nullopt;
}

/// softmax(q @ k^T * c + mask) @ v  ->  qcc.attention.
struct RecognizeAttention : OpRewritePattern<MatMulOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(MatMulOp root,
                                PatternRewriter &rewriter) const override {
    auto softmax = root.getLhs().getDefiningOp<SoftmaxOp>();
    if (!softmax || !softmax->hasOneUse())
      return rewriter.notifyMatchFailure(root, "lhs is not a softmax");
    auto type = cast<RankedTensorType>(softmax.getType());
    int64_t rank = type.getRank();
    if (static_cast<int64_t>(softmax.getAxis()) != rank - 1 || !type.getElementType().isF32())
      return rewriter.notifyMatchFailure(root, "softmax not over the keys");

    Value input = softmax.getInput();
    std::optional<Scores> scores;
    Value mask;
    if (auto add = input.getDefiningOp<AddOp>(); add && add->hasOneUse()) {
      for (auto [a, b] : {std::pair(add.getLhs(), add.getRhs()),
                          std::pair(add.getRhs(), add.getLhs())})
        if ((scores = matchScores(a))) {
          mask = b;
          break;
        }
    }
    if (!scores)
      scores = matchScores(input);
    if (!scores)
      return rewriter.notifyMatchFailure(root, "no q @ k^T scores");

    Location loc = root.getLoc();
    Value k;
    if (auto t = scores->kTransposed.getDefiningOp<TransposeOp>();
        t && swapsLastTwo(t.getPermutation())) {
      k = t.getInput();
    } else {
      SmallVector<int64_t> perm;
      auto kt = cast<RankedTensorType>(scores->kTransposed.getType());
      for (int64_t i = 0; i < kt.getRank(); ++i)
        perm.push_back(i);
      if (perm.size() < 2)
        return rewriter.notifyMatchFailure(root, "k^T has rank < 2");
      std::swap(perm[perm.size() - 1], perm[perm.size() - 2]);
      SmallVector<int64_t> shape(kt.getShape());
      std::swap(shape[shape.size() - 1], shape[shape.size() - 2]);
      k = TransposeOp::create(rewriter, loc,
                              RankedTensorType::get(shape, kt.getElementType()),
                              scores->kTransposed,
                              rewriter.getDenseI64ArrayAttr(perm));
    }

    Value bias, keyMask;
    float maskValue = -10000.0f;
    if (mask) {
      if (std::optional<std::pair<Value, float>> km = matchKeyMask(mask, rank)) {
        keyMask = km->first;
        maskValue = km->second;
      } else {
        bias = mask;
      }
    }
    FailureOr<RankedTensorType> resultType = inferAttentionType(
        std::nullopt, scores->q, k, root.getRhs(), bias, keyMask);
    if (failed(resultType) || *resultType != root.getType())
      return rewriter.notifyMatchFailure(root, "operands do not fit "
                                               "qcc.attention");
    rewriter.replaceOpWithNewOp<AttentionOp>(
        root, root.getType(), scores->q, k, root.getRhs(), bias, keyMask,
        rewriter.getF32FloatAttr(scores->scale),
        rewriter.getF32FloatAttr(maskValue));
    return success();
  }
};

struct RecognizeAttentionPass
    : qcc::impl::RecognizeAttentionPassBase<RecognizeAttentionPass> {
  using Base::Base;
  void runOnOperation() override;
};

} // namespace

void mlir::qcc::populateRecognizeAttentionPatterns(
    RewritePatternSet &patterns) {
  patterns.add<RecognizeAttention>(patterns.getContext());
}

void RecognizeAttentionPass::runOnOperation() {
  RewritePatternSet patterns(&getContext());
  populateRecognizeAttentionPatterns(patterns);
  if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
    return signalPassFailure();
}
