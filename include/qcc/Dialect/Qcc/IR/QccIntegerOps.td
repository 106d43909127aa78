//===- QccIntegerOps.td - qcc integer-only operations -------*- tablegen -*-===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//
//
// The operations of the integer graph that `qcc-integerize` produces, besides
// the generic ops (matmul, conv, add, reshape, ...) on integer tensors. Every
// real-valued parameter has been turned into integers at compile time: a
// rescale by a real ratio M is a dyadic number m * 2^-e (int32 m, shift e),
// applied as
//
//   applyDyadic(x, m, e) = floor(x * m / 2^e + 1/2)
//
// (round half up, also for negative x), evaluated exactly (the product is
// formed in 128-bit arithmetic, so no intermediate overflows). The exact
// meaning of each op is in docs/IntegerSemantics.md and is implemented once
// in qcc/Quant/IntegerMath.h, which the interpreter and the backends share.
//
//===----------------------------------------------------------------------===//

#ifndef QCC_DIALECT_QCC_IR_QCCINTEGEROPS_TD
#define QCC_DIALECT_QCC_IR_QCCINTEGEROPS_TD

def Qcc_IntTensor : StaticShapeTensorOf<[I8, UI8, I16, I32]>;
def Qcc_WideIntTensor : StaticShapeTensorOf<[I8, UI8, I16, I32, I64]>;

def Qcc_RequantOp : Qcc_Op<"requant", [Pure, SameOperandsAndResultShape]> {
  let summary = "dyadic rescale between integer tensors";
  let description = [{
    `out = clamp(applyDyadic(x - input_zero_point, m_c, e_c) +
    output_zero_point, lo, hi)`, where `(m_c, e_c)` is entry `c` of
    `multiplier` and `shift` (one entry per tensor, or one per index of
    dimension `axis`) and `[lo, hi]` is the result type's range, narrowed by
    `min` and `max` when given. Multipliers may be negative (a sign flip);
    shifts are in [0, 63]. With multiplier 2^30 and shift 30 the op is a
    saturating copy.

    ```mlir
    %y = qcc.requant %acc {axis = 1 : i64, multiplier = array<i32: 1518500250, 1073741824>,
                           shift = array<i32: 38, 37>}
        : tensor<1x2x8x8xi32> to tensor<1x2x8x8xi8>
    ```
  }];
  let arguments = (ins Qcc_WideIntTensor:$input,
                       DenseI32ArrayAttr:$multiplier, DenseI32ArrayAttr:$shift,
                       DefaultValuedAttr<I64Attr, "0">:$axis,
                       DefaultValuedAttr<I64Attr, "0">:$input_zero_point,
                       DefaultValuedAttr<I64Attr, "0">:$output_zero_point,
                       OptionalAttr<I64Attr>:$min, OptionalAttr<I64Attr>:$max);
  let results = (outs Qcc_IntTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `to` type($result)";
  let hasVerifier = 1;
}

def Qcc_RequantAddOp : Qcc_Op<"requant_add", [Pure, SameOperandsAndResultShape]> {
  let summary = "sum of two separately rescaled integer tensors";
  let description = [{
    The residual add of the integer graph (HAWQ-V3's per-branch rescale):
    `out = clamp(applyDyadic(lhs, ml_c, el_c) + applyDyadic(rhs, mr_c, er_c),
    lo, hi)`, each branch rounded on its own, the sum formed in 64 bits and
    clamped to the result type's range (narrowed by `min`/`max`). Each
    branch's multipliers and shifts have one entry or one per index of
    dimension `axis`; operands and result have the same shape.

    ```mlir
    %y = qcc.requant_add %a, %b {lhs_multiplier = array<i32: 1073741824>,
                                 lhs_shift = array<i32: 31>,
                                 rhs_multiplier = array<i32: 1288490189>,
                                 rhs_shift = array<i32: 40>}
        : (tensor<4x8xi8>, tensor<4x8xi32>) -> tensor<4x8xi8>
    ```
  }];
  let arguments = (ins Qcc_IntTensor:$lhs, Qcc_IntTensor:$rhs,
                       DenseI32ArrayAttr:$lhs_multiplier,
                       DenseI32ArrayAttr:$lhs_shift,
                       DenseI32ArrayAttr:$rhs_multiplier,
                       DenseI32ArrayAttr:$rhs_shift,
                       DefaultValuedAttr<I64Attr, "0">:$axis,
                       OptionalAttr<I64Attr>:$min, OptionalAttr<I64Attr>:$max);
  let results = (outs Qcc_IntTensor:$result);
  let assemblyFormat =
      "$lhs `,` $rhs attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Qcc_IntSoftmaxOp : Qcc_Op<"int_softmax", [Pure, SameOperandsAndResultShape]> {
  let summary = "integer softmax over the last dimension (I-BERT i-exp)";
  let description = [{
    `intSoftmaxRow` of qcc/Quant/IntegerMath.h on every row of the last
    dimension: scores `q` (scale `s`) minus the row maximum are rescaled by
    `exp_multiplier`/`exp_shift` (= s / (ln2 / 2^12)) and clamped at -30 ln2,
    the exponent is the I-BERT polynomial `r * (r + poly_b) + poly_c` shifted
    by the octave and rescaled to 16 bits by `e16_multiplier`/`e16_shift`,
    and the row is normalised by one integer reciprocal. The result is `ui8`
    with scale 2^-8. The optional `key_mask` (shape `B x L`, with `B` the
    first and `L` the last dimension of the input) excludes key positions
    where it is zero: their output is exactly 0 and the rest equals the
    softmax of the row without them. `input_bits` bounds the scores
    (|q| < 2^(input_bits - 1)); the verifier checks the overflow bounds.

    ```mlir
    %p = qcc.int_softmax %scores {e16_multiplier = 1402263245 : i32,
        e16_shift = 40 : i32, exp_multiplier = 1073741824 : i32,
        exp_shift = 30 : i32, input_bits = 32 : i32, poly_b = 11089 : i64,
        poly_c = 47946520 : i64} : tensor<1x4x8x8xi32> to tensor<1x4x8x8xui8>
    ```
  }];
  let arguments = (ins Qcc_IntTensor:$input, Optional<Qcc_Tensor>:$key_mask,
                       I32Attr:$input_bits,
                       I32Attr:$exp_multiplier, I32Attr:$exp_shift,
                       I64Attr:$poly_b, I64Attr:$poly_c,
                       I32Attr:$e16_multiplier, I32Attr:$e16_shift);
  let results = (outs Qcc_IntTensor:$result);
  let assemblyFormat = [{
    $input (`key_mask` $key_mask^ `:` type($key_mask))? attr-dict `:`
    type($input) `to` type($result)
  }];
  let hasVerifier = 1;
}

def Qcc_IntGeluOp : Qcc_Op<"int_gelu", [Pure, SameOperandsAndResultShape]> {
  let summary = "integer GELU (I-BERT i-GELU) with an output rescale";
  let description = [{
    `out = clamp(applyDyadic(iGelu(x), output_multiplier, output_shift),
    lo, hi)` where `iGelu` (qcc/Quant/IntegerMath.h) is I-BERT's second-order
    erf polynomial with the integer constants `clip`, `one` and `erf_shift`
    computed from the input scale, evaluated in 64 bits; `[lo, hi]` is the
    result type's range.

    ```mlir
    %g = qcc.int_gelu %x {clip = 4000 : i64, erf_shift = 2 : i32,
                          one = 27000000 : i64, output_multiplier = 1300000000 : i32,
                          output_shift = 40 : i32}
        : tensor<1x8x128xi16> to tensor<1x8x128xi8>
    ```
  }];
  let arguments = (ins Qcc_IntTensor:$input, I64Attr:$clip, I64Attr:$one,
                       I32Attr:$erf_shift, I32Attr:$output_multiplier,
                       I32Attr:$output_shift);
  let results = (outs Qcc_IntTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `to` type($result)";
  let hasVerifier = 1;
}

def Qcc_IntLayerNormOp : Qcc_Op<"int_layer_norm",
    [Pure, SameOperandsAndResultShape]> {
  let summary = "integer LayerNorm over the last dimension";
  let description = [{
    `intLayerNormRow` of qcc/Quant/IntegerMath.h on every row of the last
    dimension (integer mean, variance in 64 bits after `var_shift`, exact
    integer square root, one reciprocal; a constant row gives 0), then per
    channel `c`: `out = clamp(applyDyadic(n, m_c, e_c) + bias_c, lo, hi)`.
    `m_c` carries the sign and magnitude of gamma and `bias_c` is beta, both
    at the output scale. Inputs must satisfy |x| < 2^21 (22 bits).

    ```mlir
    %y = qcc.int_layer_norm %x {bias = array<i32: 3, -2>,
        multiplier = array<i32: 1200000000, -1100000000>,
        shift = array<i32: 36, 36>, var_shift = 0 : i32}
        : tensor<1x8x2xi32> to tensor<1x8x2xi8>
    ```
  }];
  let arguments = (ins Qcc_IntTensor:$input, DenseI32ArrayAttr:$multiplier,
                       DenseI32ArrayAttr:$shift, DenseI32ArrayAttr:$bias,
                       I32Attr:$var_shift);
  let results = (outs Qcc_IntTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `to` type($result)";
  let hasVerifier = 1;
}

def Qcc_LookupOp : Qcc_Op<"lookup", [Pure, SameOperandsAndResultShape]> {
  let summary = "elementwise table lookup on an 8-bit input";
  let description = [{
    `out = table[x - min(input type)]`: the table has 256 entries, one per
    value of the `i8` or `ui8` input, each within the result type's range.
    `qcc-integerize` uses it for elementwise functions of one 8-bit input
    (sigmoid, tanh), each entry the correctly rounded function value.

    ```mlir
    %y = qcc.lookup %x {table = array<i32: ...>} : tensor<8xi8> to tensor<8xui8>
    ```
  }];
  let arguments = (ins StaticShapeTensorOf<[I8, UI8]>:$input,
                       DenseI32ArrayAttr:$table);
  let results = (outs Qcc_IntTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `to` type($result)";
  let hasVerifier = 1;
}

#endif // QCC_DIALECT_QCC_IR_QCCINTEGEROPS_TD
