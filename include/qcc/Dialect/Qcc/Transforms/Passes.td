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
  let summary = "Fail if integer-only code uses any floating-point type";
  let description = [{
    Checks that no block argument, operand, result or typed attribute in the
    function's integer region has a floating-point type (scalar, or as the
    element type of a tensor, vector or memref). The only float allowed is
    the model boundary of a float interface (`--io=float`): a
    `qcc.quantize` reading a function argument, a `qcc.dequantize` whose
    only users are the `func.return`, and the float arguments and results
    they convert. The integer pipeline runs it after integerization; each
    violation is reported at the offending op, and the pass fails.
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

def IntegerizePass : Pass<"qcc-integerize", "::mlir::func::FuncOp"> {
  let summary = "Rewrite a calibrated float graph into integer-only ops";
  let description = [{
    Turns every float tensor into an integer tensor whose real value is
    `scale * (q - zero_point)`, with the scales known only at compile time:
    activations are 8-bit per tensor (unsigned when the calibrated range is
    non-negative, e.g. after ReLU), weights 8-bit symmetric per output
    channel, biases int32 at the accumulator scale; matmul and conv
    accumulate in int32; every rescale is a `qcc.requant` (or, for residual
    adds, a `qcc.requant_add` rescaling each branch separately) with dyadic
    parameters. LayerNorm, GELU, softmax (and attention), sigmoid and tanh
    become `qcc.int_layer_norm`, `qcc.int_gelu`, `qcc.int_softmax` and
    `qcc.lookup`; means become integer sums with a dyadic rescale.

    Ranges come from `qcc.range = array<f64: lo, hi>` attributes on ops and
    function arguments (written by calibration), or, in QDQ models, from
    the `qcc.quantize` that follows a value; QDQ scales are kept.
    With `io=float` the function keeps its float signature: inputs are
    quantized on entry and outputs dequantized on exit. With `io=int` the
    signature becomes integer and each argument and result carries
    `qcc.scale`/`qcc.zero_point` attributes. Every op without an integer
    lowering is reported, and overflow bounds of int32 accumulators are
    checked for the chosen scales. docs/IntegerSemantics.md has the rules.
  }];
  let options = [
    Option<"io", "io", "std::string", /*default=*/"\"float\"",
           "Interface of the integer function: float or int">
  ];
  let dependentDialects = ["::mlir::qcc::QccDialect"];
}

def TabulatePass : Pass<"qcc-tabulate", "::mlir::func::FuncOp"> {
  let summary = "Turn elementwise integer functions of 8-bit values into tables";
  let description = [{
    An elementwise integer op of one 8-bit (`i8` or `ui8`) input -- a
    per-tensor `qcc.requant` or a `qcc.int_gelu` -- has only 256 distinct
    results. The pass evaluates it on all of them with the reference
    interpreter and replaces it by a `qcc.lookup` of that table; a
    `qcc.requant`, `qcc.int_gelu` or `qcc.lookup` reading a `qcc.lookup`
    is composed with it into one table of the lookup's 8-bit input (and
    the inner lookup erased once unused). The results are the
    interpreter's own values, so the graph computes exactly what it did;
    the backends run one table lookup per element instead of the chain
    (I-BERT's GELU after its input rescale: two ops, 16-bit in between,
    become one 8-bit to 8-bit table).

    Before:
    ```mlir
    %1 = qcc.requant %0 {multiplier = array<i32: 1464684610>, shift = array<i32: 24>}
        : tensor<8x3072xi8> to tensor<8x3072xi16>
    %2 = qcc.int_gelu %1 {clip = 9013 : i64, erf_shift = 3 : i32, one = 89876132 : i64,
                          output_multiplier = 1280359107 : i32, output_shift = 61 : i32}
        : tensor<8x3072xi16> to tensor<8x3072xi8>
    ```
    After:
    ```mlir
    %2 = qcc.lookup %0 {table = array<i32: ...256 values...>}
        : tensor<8x3072xi8> to tensor<8x3072xi8>
    ```
  }];
  let dependentDialects = ["::mlir::qcc::QccDialect"];
}

def UnsignedMatMulInputsPass
    : Pass<"qcc-unsigned-matmul-inputs", "::mlir::func::FuncOp"> {
  let summary = "Make i8 tables that feed only matmuls produce ui8";
  let description = [{
    Integer matmul hardware (x86 `vpdpbusd`) multiplies unsigned by signed
    bytes, so a backend adds 128 to every i8 activation byte before a
    matmul by i8 weights, and folds `-128 * sum_k W[k][n]` into the bias.
    When the activation is a `qcc.lookup` whose only readers are
    `qcc.matmul`s taking it as the left operand, each by a constant 2-D
    i8 weight and read only by a `qcc.add` of a constant i32 bias along
    the columns, the pass does that once at compile time: the lookup's
    entries get +128 and an `ui8` type, and each bias becomes
    `bias[n] - 128 * sum_k W[k][n]`. The i32 results are unchanged (the
    products fit: `|x| <= 255`, `K * 255 * 128 < 2^31` is checked).

    Before:
    ```mlir
    %a = qcc.lookup %x {table = array<i32: -128, ...>} : tensor<4x8xi8> to tensor<4x8xi8>
    %m = qcc.matmul %a, %w : (tensor<4x8xi8>, tensor<8x16xi8>) -> tensor<4x16xi32>
    %y = qcc.add %m, %b : (tensor<4x16xi32>, tensor<16xi32>) -> tensor<4x16xi32>
    ```
    After:
    ```mlir
    %a = qcc.lookup %x {table = array<i32: 0, ...>} : tensor<4x8xi8> to tensor<4x8xui8>
    %m = qcc.matmul %a, %w : (tensor<4x8xui8>, tensor<8x16xi8>) -> tensor<4x16xi32>
    %y = qcc.add %m, %b2 : (tensor<4x16xi32>, tensor<16xi32>) -> tensor<4x16xi32>
    ```
  }];
  let dependentDialects = ["::mlir::qcc::QccDialect"];
}

def AllocateBitsPass : Pass<"qcc-allocate-bits", "::mlir::func::FuncOp"> {
  let summary = "Choose per-layer bit-widths by integer linear programming";
  let description = [{
    Chooses a configuration (weight and activation bits, W8A8/W4A8/W4A4)
    for every `qcc.conv` and `qcc.matmul` by constant weights of a
    calibrated float graph: one multiple-choice knapsack, binary `x[l, c]`,
    one configuration per layer, objective `sum Omega[l, c] x[l, c]`, the
    given budgets as constraints (size of the layers' weights in bytes,
    BOPs = MACs x weight bits x activation bits, latency in ms; each an
    absolute value or `N%` of the all-W8A8 cost), tie constraints for
    layers that read one activation, add their outputs (residual pairs) or
    feed one concat, and the first and last layers fixed at W8A8 unless
    `keep-first-last=false`. Solved exactly by COIN-OR CBC or the built-in
    branch-and-bound (`solver=`). The choice becomes `qcc.weight_bits` and
    `qcc.activation_bits` on the layer (absent for 8).

    Sensitivity `Omega`: `measured` reads each layer's `qcc.sensitivity`
    dictionary (the pipeline's forward-only measurement), `weight-error`
    uses `||Q_b(W) - W||^2`, and any other value is a JSON file of HAWQ
    traces `{"layer": Tr(H)/n}` multiplying it. Latency comes from each
    layer's `qcc.latency` dictionary (from qcc-tune).

    ```mlir
    %y = qcc.conv %x, %w {qcc.sensitivity = {W4A4 = 0.3, W4A8 = 0.01}, ...}
    // after qcc-allocate-bits{size-budget=60%}:
    %y = qcc.conv %x, %w {qcc.weight_bits = 4 : i64, ...}
    ```
  }];
  let options = [
    Option<"sizeBudget", "size-budget", "std::string", /*default=*/"\"\"",
           "Budget of the layers' weight bytes (BYTES or N%)">,
    Option<"bopsBudget", "bops-budget", "std::string", /*default=*/"\"\"",
           "Budget of bit operations (BOPS or N%)">,
    Option<"latencyBudget", "latency-budget", "std::string",
           /*default=*/"\"\"", "Budget of latency (MS or N%)">,
    Option<"sensitivity", "sensitivity", "std::string",
           /*default=*/"\"measured\"",
           "measured, weight-error, or a JSON file of Hessian traces">,
    Option<"configs", "configs", "std::string",
           /*default=*/"\"W8A8,W4A8,W4A4\"", "Candidate configurations">,
    Option<"solver", "solver", "std::string", /*default=*/"\"auto\"",
           "auto, cbc or exact">,
    Option<"keepFirstLast", "keep-first-last", "bool", /*default=*/"true",
           "Keep the first and last layers at W8A8">,
  ];
  let dependentDialects = ["::mlir::qcc::QccDialect"];
}

#endif // QCC_DIALECT_QCC_TRANSFORMS_PASSES_TD
