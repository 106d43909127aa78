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

def RecognizeLayerNormPass
    : Pass<"qcc-recognize-layer-norm", "::mlir::func::FuncOp"> {
  let summary = "Recognise layer normalisation written with primitive ops";
  let description = [{
    Exporters (PyTorch before opset 17) write LayerNorm as
    `d = x - ReduceMean(x); y = d / Sqrt(ReduceMean(d^2) + eps)`, followed
    by `* gamma + beta`. The pass rewrites that subgraph, reduced over
    trailing axes with keepdims, into one `qcc.layer_norm`, and then folds a
    following multiplication and addition by constants of the normalised
    shape into its scale and bias. `d^2` may be `Pow(d, 2)` or `d * d`.

    Before:
    ```mlir
    %m = qcc.reduce_mean %x {axes = array<i64: 2>} : ...
    %d = qcc.sub %x, %m : ...
    %p = qcc.pow %d, %two : ...
    %v = qcc.reduce_mean %p {axes = array<i64: 2>} : ...
    %e = qcc.add %v, %eps : ...
    %s = qcc.sqrt %e : ...
    %n = qcc.div %d, %s : ...
    %g = qcc.mul %n, %gamma : ...
    %y = qcc.add %g, %beta : ...
    ```
    After:
    ```mlir
    %y = qcc.layer_norm %x, %gamma, %beta {axis = 2 : i64, epsilon = ...} : ...
    ```
  }];
}

def RecognizeGeluPass : Pass<"qcc-recognize-gelu", "::mlir::func::FuncOp"> {
  let summary = "Recognise GELU written with Erf or Tanh";
  let description = [{
    Rewrites `0.5 * x * (1 + erf(x / sqrt(2)))` (also with `x * (1/sqrt(2))`)
    into `qcc.gelu`, and `0.5 * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 *
    x^3)))` (with `x^3` as `Pow(x, 3)` or `x * x * x`) into
    `qcc.gelu {approximate = #qcc.gelu_approximation<tanh>}`. The three
    factors may be multiplied in any order; constants match to 1e-4
    relative.
  }];
}

def RecognizeAttentionPass
    : Pass<"qcc-recognize-attention", "::mlir::func::FuncOp"> {
  let summary = "Recognise scaled dot-product attention";
  let description = [{
    Rewrites `Softmax(MatMul(q, Transpose(k)) * c [+ mask]) @ v` (scale as a
    multiplication or division by a scalar constant, or absent; softmax
    over the last axis) into `qcc.attention`. When the additive mask is
    derived from a `[B, S]` attention mask as `(1 - Cast(m)) * c'`, with the
    mask unsqueezed to `[B, 1, 1, S]`, the original mask becomes the op's
    `key_mask` operand with `mask_value = c'`, recording which keys are
    padding for the padding-removal and integer softmax passes; any other
    additive mask becomes the op's `bias`.
  }];
}

#endif // QCC_DIALECT_QCC_TRANSFORMS_PASSES_TD
