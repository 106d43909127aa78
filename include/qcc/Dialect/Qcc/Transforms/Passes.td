//===- Passes.td - qcc dialect passes ----------------------*- tablegen -*-===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//

#ifndef QCC_DIALECT_QCC_TRANSFORMS_PASSES_TD
#define QCC_DIALECT_QCC_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def FoldBatchNormPass : Pass<"qcc-fold-batch-norm", "::mlir::func::FuncOp"> {
  let summary = "Fold inference-mode batch normalisation into a convolution";
  let description = [{
    Rewrites `qcc.batch_norm(qcc.conv(x, W, b))` with constant `W`, `b` and
    constant normalisation parameters into one `qcc.conv(x, W', b')` where,
    per output channel `c`, `k = scale[c] / sqrt(variance[c] + epsilon)`,
    `W'[c] = W[c] * k` and `b'[c] = (b[c] - mean[c]) * k + bias[c]`. The
    convolution must have no other user. Numerics change only by float
    rounding.

    Before:
    ```mlir
    %y = qcc.conv %x, %w, %b {...} : (...) -> tensor<1x4x8x8xf32>
    %z = qcc.batch_norm %y, %s, %bb, %m, %v {epsilon = 1.0e-05 : f32} : (...) -> tensor<1x4x8x8xf32>
    ```
    After:
    ```mlir
    %z = qcc.conv %x, %w2, %b2 {...} : (...) -> tensor<1x4x8x8xf32>
    ```
  }];
  let dependentDialects = ["::mlir::qcc::QccDialect"];
}

def VerifyIntegerOnlyPass
    : Pass<"qcc-verify-integer-only", "::mlir::func::FuncOp"> {
  let summary = "Fail if a function uses any floating-point type";
  let description = [{
    Checks that no block argument, operand, result or typed attribute in the
    function has a floating-point type (scalar, or as the element type of a
    tensor, vector or memref). The integer pipeline runs it after
    integerization; each violation is reported at the offending op, and the
    pass fails.
  }];
}

#endif // QCC_DIALECT_QCC_TRANSFORMS_PASSES_TD
