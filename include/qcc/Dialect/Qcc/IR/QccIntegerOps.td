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
    saturating copy. `x - input_zero_point` and the addition of the output
    zero point saturate at the int64 range (only an i64 input can reach it),
    so the result is the exact value clamped whenever the difference fits
    int64.

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
    lo, hi)`, each branch rounded on its own, the sum formed exactly (a
    saturating 64-bit add gives the same result after the clamp) and
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

def Qcc_IntSoftmaxOp : Qcc_Op<"int_softmax",
    [Pure, AllShapesMatch<["input", "result"]>]> {
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
    softmax of the row without them. `input_bits` (in [2, min(32, element
    width)]) promises that the kept scores of a row differ by less than
    2^input_bits (true when they fit input_bits bits), so a backend may form
    `x = q - max` and its rescale in fewer bits; the result does not depend
    on it (x is formed in 64 bits and rescaled exactly), and the reference
    interpreter reports a row that breaks the promise. The verifier checks
    the overflow proof (`checkIntSoftmaxBounds`).

    ```mlir
    // Input scale 1e-4 (makeIntSoftmaxParams(1e-4, 32)).
    %p = qcc.int_softmax %scores {e16_multiplier = 1478112593 : i32,
        e16_shift = 42 : i32, exp_multiplier = 1269007978 : i32,
        exp_shift = 31 : i32, input_bits = 32 : i32, poly_b = 15998 : i64,
        poly_c = 97499465 : i64} : tensor<1x4x8x8xi32> to tensor<1x4x8x8xui8>
    %q = qcc.int_softmax %scores key_mask %mask : tensor<1x8xi1> {
        e16_multiplier = 1478112593 : i32, e16_shift = 42 : i32,
        exp_multiplier = 1269007978 : i32, exp_shift = 31 : i32,
        input_bits = 32 : i32, poly_b = 15998 : i64, poly_c = 97499465 : i64}
        : tensor<1x4x8x8xi32> to tensor<1x4x8x8xui8>
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
    // Input scale 1e-3 (makeIGeluParams), output scale 8/127.
    %g = qcc.int_gelu %x {clip = 2502 : i64, erf_shift = 0 : i32,
                          one = 6925207 : i64, output_multiplier = 1321449806 : i32,
                          output_shift = 60 : i32}
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
    dimension (inputs saturated to [-(2^21 - 1), 2^21 - 1], integer mean,
    variance in 64 bits after `var_shift` plus `var_offset`, exact integer
    square root, one reciprocal; a constant row gives 0), then per channel
    `c`: `out = clamp(applyDyadic(n, m_c, e_c) + bias_c, lo, hi)`, the sum
    formed in 64 bits. `m_c` carries the sign and magnitude of gamma and
    `bias_c` is beta, both at the output scale. `var_offset` (>= 0) is the
    integer epsilon in units of the variance sum: round(eps * L / s^2) >>
    (2 * var_shift) for inputs of scale `s` and rows of `L` elements.

    ```mlir
    %y = qcc.int_layer_norm %x {bias = array<i32: 3, -2>,
        multiplier = array<i32: 1200000000, -1100000000>,
        shift = array<i32: 36, 36>, var_offset = 20 : i64, var_shift = 0 : i32}
        : tensor<1x8x2xi32> to tensor<1x8x2xi8>
    ```
  }];
  let arguments = (ins Qcc_IntTensor:$input, DenseI32ArrayAttr:$multiplier,
                       DenseI32ArrayAttr:$shift, DenseI32ArrayAttr:$bias,
                       I32Attr:$var_shift,
                       DefaultValuedAttr<I64Attr, "0">:$var_offset);
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
    // x + 128: i8 to ui8.
    %y = qcc.lookup %x {table = array<i32:
        0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19,
        20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36,
        37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 52, 53,
        54, 55, 56, 57, 58, 59, 60, 61, 62, 63, 64, 65, 66, 67, 68, 69, 70,
        71, 72, 73, 74, 75, 76, 77, 78, 79, 80, 81, 82, 83, 84, 85, 86, 87,
        88, 89, 90, 91, 92, 93, 94, 95, 96, 97, 98, 99, 100, 101, 102, 103,
        104, 105, 106, 107, 108, 109, 110, 111, 112, 113, 114, 115, 116, 117,
        118, 119, 120, 121, 122, 123, 124, 125, 126, 127, 128, 129, 130, 131,
        132, 133, 134, 135, 136, 137, 138, 139, 140, 141, 142, 143, 144, 145,
        146, 147, 148, 149, 150, 151, 152, 153, 154, 155, 156, 157, 158, 159,
        160, 161, 162, 163, 164, 165, 166, 167, 168, 169, 170, 171, 172, 173,
        174, 175, 176, 177, 178, 179, 180, 181, 182, 183, 184, 185, 186, 187,
        188, 189, 190, 191, 192, 193, 194, 195, 196, 197, 198, 199, 200, 201,
        202, 203, 204, 205, 206, 207, 208, 209, 210, 211, 212, 213, 214, 215,
        216, 217, 218, 219, 220, 221, 222, 223, 224, 225, 226, 227, 228, 229,
        230, 231, 232, 233, 234, 235, 236, 237, 238, 239, 240, 241, 242, 243,
        244, 245, 246, 247, 248, 249, 250, 251, 252, 253, 254, 255>}
        : tensor<8xi8> to tensor<8xui8>
    ```
  }];
  let arguments = (ins StaticShapeTensorOf<[I8, UI8]>:$input,
                       DenseI32ArrayAttr:$table);
  let results = (outs Qcc_IntTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `to` type($result)";
  let hasVerifier = 1;
}

#endif // QCC_DIALECT_QCC_IR_QCCINTEGEROPS_TD
