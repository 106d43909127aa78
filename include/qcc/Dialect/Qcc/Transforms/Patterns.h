//===- Patterns.h - reusable qcc rewrite patterns ---------------*- C++ -*-===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//

#ifndef QCC_DIALECT_QCC_TRANSFORMS_PATTERNS_H
#define QCC_DIALECT_QCC_TRANSFORMS_PATTERNS_H

namespace mlir {
class RewritePatternSet;
namespace qcc {

/// Folds qcc.batch_norm into a preceding single-use qcc.conv with constant
/// f32 weights and parameters.
void populateFoldBatchNormPatterns(RewritePatternSet &patterns);

/// Recognises LayerNorm written with ReduceMean/Sub/Pow/Sqrt/Div and folds
/// constant affine parameters into qcc.layer_norm.
void populateRecognizeLayerNormPatterns(RewritePatternSet &patterns);

/// Recognises the Erf and Tanh forms of GELU.
void populateRecognizeGeluPatterns(RewritePatternSet &patterns);

/// Recognises scaled dot-product attention and its attention-mask
/// derivation.
void populateRecognizeAttentionPatterns(RewritePatternSet &patterns);

} // namespace qcc
} // namespace mlir

#endif // QCC_DIALECT_QCC_TRANSFORMS_PATTERNS_H
