//===- QccOps.td - qcc dialect operations ------------------*- tablegen -*-===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//
//
// Graph-level operations. Conventions shared by every op:
//  * tensors are ranked with static shapes;
//  * axis attributes are non-negative (the importer normalises ONNX's);
//  * elementwise binary ops broadcast like NumPy (ONNX multidirectional
//    broadcasting);
//  * result types are inferred from operands and attributes wherever ONNX
//    defines them, so a mismatch is reported by the verifier.
//
//===----------------------------------------------------------------------===//

#ifndef QCC_DIALECT_QCC_IR_QCCOPS_TD
#define QCC_DIALECT_QCC_IR_QCCOPS_TD

include "qcc/Dialect/Qcc/IR/QccBase.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/IR/BuiltinAttributeInterfaces.td"

//===----------------------------------------------------------------------===//
// Constants
//===----------------------------------------------------------------------===//

def Qcc_ConstantOp : Qcc_Op<"constant",
    [ConstantLike, Pure, InferTypeOpAdaptor]> {
  let summary = "tensor constant (ONNX initializers and Constant nodes)";
  let description = [{
    Produces a constant tensor. The result type is the type of `value`.

    ```mlir
    %w = qcc.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
    ```
  }];
  let arguments = (ins ElementsAttr:$value);
  let results = (outs Qcc_Tensor:$result);
  let assemblyFormat = "attr-dict $value";
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Elementwise binary ops with NumPy broadcasting
//===----------------------------------------------------------------------===//

class Qcc_BroadcastBinaryOp<string mnemonic, list<Trait> traits = []>
    : Qcc_Op<mnemonic, !listconcat(traits, [Pure, InferTypeOpAdaptor])> {
  let arguments = (ins Qcc_Tensor:$lhs, Qcc_Tensor:$rhs);
  let results = (outs Qcc_Tensor:$result);
  let assemblyFormat =
      "$lhs `,` $rhs attr-dict `:` functional-type(operands, results)";
}

class Qcc_ArithmeticOp<string mnemonic, string onnxName,
                       list<Trait> traits = []>
    : Qcc_BroadcastBinaryOp<mnemonic, traits> {
  let summary = "elementwise " # mnemonic # " with broadcasting (ONNX "
                # onnxName # ")";
  let description = [{
    Elementwise arithmetic on two tensors of the same element type, with
    NumPy broadcasting. The result has the broadcast shape.

    ```mlir
    %r = qcc.}] # mnemonic # [{ %a, %b
        : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
    ```
  }];
  let hasFolder = 1;
  let extraClassDefinition = [{
    ::llvm::LogicalResult $cppClass::inferReturnTypes(
        ::mlir::MLIRContext *context, std::optional<::mlir::Location> loc,
        Adaptor adaptor, ::llvm::SmallVectorImpl<::mlir::Type> &types) {
      return ::mlir::qcc::inferBroadcastResult(loc, adaptor.getLhs(),
                                               adaptor.getRhs(),
                                               /*resultElementType=*/{},
                                               types);
    }
  }];
}

def Qcc_AddOp : Qcc_ArithmeticOp<"add", "Add", [Commutative]>;
def Qcc_SubOp : Qcc_ArithmeticOp<"sub", "Sub">;
def Qcc_MulOp : Qcc_ArithmeticOp<"mul", "Mul", [Commutative]>;
def Qcc_DivOp : Qcc_ArithmeticOp<"div", "Div">;
def Qcc_PowOp : Qcc_ArithmeticOp<"pow", "Pow">;

class Qcc_CompareOp<string mnemonic, string onnxName,
                    list<Trait> traits = []>
    : Qcc_BroadcastBinaryOp<mnemonic, traits> {
  let summary = "elementwise comparison `" # mnemonic # "` (ONNX "
                # onnxName # ")";
  let description = [{
    Compares two tensors of the same element type elementwise, with NumPy
    broadcasting, giving an `i1` tensor of the broadcast shape.

    ```mlir
    %r = qcc.}] # mnemonic # [{ %a, %b
        : (tensor<2x3xf32>, tensor<1x3xf32>) -> tensor<2x3xi1>
    ```
  }];
  let results = (outs Qcc_BoolTensor:$result);
  let hasFolder = 1;
  let extraClassDefinition = [{
    ::llvm::LogicalResult $cppClass::inferReturnTypes(
        ::mlir::MLIRContext *context, std::optional<::mlir::Location> loc,
        Adaptor adaptor, ::llvm::SmallVectorImpl<::mlir::Type> &types) {
      return ::mlir::qcc::inferBroadcastResult(
          loc, adaptor.getLhs(), adaptor.getRhs(),
          ::mlir::IntegerType::get(context, 1), types);
    }
  }];
}

def Qcc_EqualOp : Qcc_CompareOp<"equal", "Equal", [Commutative]>;
def Qcc_LessOp : Qcc_CompareOp<"less", "Less">;
def Qcc_GreaterOp : Qcc_CompareOp<"greater", "Greater">;

def Qcc_WhereOp : Qcc_Op<"where", [Pure, InferTypeOpAdaptor]> {
  let summary = "select elementwise by a boolean condition (ONNX Where)";
  let description = [{
    `result[i] = condition[i] ? on_true[i] : on_false[i]`, with all three
    operands broadcast together. `on_true` and `on_false` share an element
    type, which is the result's.

    ```mlir
    %r = qcc.where %c, %a, %b
        : (tensor<1x4xi1>, tensor<2x4xf32>, tensor<f32>) -> tensor<2x4xf32>
    ```
  }];
  let arguments = (ins Qcc_BoolTensor:$condition, Qcc_Tensor:$on_true,
                       Qcc_Tensor:$on_false);
  let results = (outs Qcc_Tensor:$result);
  let assemblyFormat = [{
    $condition `,` $on_true `,` $on_false attr-dict `:`
    functional-type(operands, results)
  }];
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Elementwise unary ops
//===----------------------------------------------------------------------===//

class Qcc_UnaryOp<string mnemonic, string onnxName, Type tensorType,
                  string formula, list<Trait> traits = []>
    : Qcc_Op<mnemonic, !listconcat(traits, [Pure, SameOperandsAndResultType])> {
  let summary = "elementwise " # formula # " (ONNX " # onnxName # ")";
  let description = [{
    Applies `}] # formula # [{` to every element.

    ```mlir
    %r = qcc.}] # mnemonic # [{ %x : tensor<4x8xf32>
    ```
  }];
  let arguments = (ins tensorType:$input);
  let results = (outs tensorType:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

def Qcc_SqrtOp : Qcc_UnaryOp<"sqrt", "Sqrt", Qcc_FloatTensor, "sqrt(x)">;
def Qcc_ExpOp : Qcc_UnaryOp<"exp", "Exp", Qcc_FloatTensor, "exp(x)">;
def Qcc_ErfOp : Qcc_UnaryOp<"erf", "Erf", Qcc_FloatTensor, "erf(x)">;
def Qcc_TanhOp : Qcc_UnaryOp<"tanh", "Tanh", Qcc_FloatTensor, "tanh(x)">;
def Qcc_SigmoidOp
    : Qcc_UnaryOp<"sigmoid", "Sigmoid", Qcc_FloatTensor, "1 / (1 + exp(-x))">;
def Qcc_NegOp : Qcc_UnaryOp<"neg", "Neg", Qcc_Tensor, "-x">;
def Qcc_AbsOp : Qcc_UnaryOp<"abs", "Abs", Qcc_Tensor, "|x|">;
def Qcc_ReluOp : Qcc_UnaryOp<"relu", "Relu", Qcc_Tensor, "max(x, 0)">;
def Qcc_NotOp : Qcc_UnaryOp<"not", "Not", Qcc_BoolTensor, "logical not">;

def Qcc_LeakyReluOp : Qcc_Op<"leaky_relu", [Pure, SameOperandsAndResultType]> {
  let summary = "leaky rectifier (ONNX LeakyRelu)";
  let description = [{
    `x >= 0 ? x : alpha * x` elementwise.

    ```mlir
    %r = qcc.leaky_relu %x {alpha = 0.1 : f32} : tensor<4xf32>
    ```
  }];
  let arguments = (ins Qcc_FloatTensor:$input,
                       DefaultValuedAttr<F32Attr, "0.01f">:$alpha);
  let results = (outs Qcc_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

def Qcc_ClipOp : Qcc_Op<"clip", [Pure, SameOperandsAndResultType]> {
  let summary = "clamp to [min, max] (ONNX Clip)";
  let description = [{
    `min(max(x, min), max)` elementwise; an absent bound is unbounded. The
    ONNX importer requires the bounds to be constants.

    ```mlir
    %r = qcc.clip %x {max = 6.0 : f32, min = 0.0 : f32} : tensor<4xf32>
    ```
  }];
  let arguments = (ins Qcc_FloatTensor:$input, OptionalAttr<F32Attr>:$min,
                       OptionalAttr<F32Attr>:$max);
  let results = (outs Qcc_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let hasVerifier = 1;
}

def Qcc_GeluOp : Qcc_Op<"gelu", [Pure, SameOperandsAndResultType]> {
  let summary = "Gaussian error linear unit (ONNX Gelu, or its expansion)";
  let description = [{
    `x * 0.5 * (1 + erf(x / sqrt(2)))`, or with `approximate =
    #qcc<gelu_approximation<tanh>>`
    `x * 0.5 * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x^3)))`.

    ```mlir
    %r = qcc.gelu %x : tensor<2x8xf32>
    %t = qcc.gelu %x {approximate = #qcc.gelu_approximation<tanh>}
        : tensor<2x8xf32>
    ```
  }];
  let arguments = (ins Qcc_FloatTensor:$input,
      DefaultValuedAttr<Qcc_GeluApproximationAttr,
                        "::mlir::qcc::GeluApproximation::None">:$approximate);
  let results = (outs Qcc_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

def Qcc_CastOp : Qcc_Op<"cast", [Pure, SameOperandsAndResultShape]> {
  let summary = "element type conversion (ONNX Cast)";
  let description = [{
    Converts every element to the result's element type with ONNX Cast
    semantics: float to integer truncates toward zero, integer to integer
    wraps, anything to `i1` tests for non-zero.

    ```mlir
    %r = qcc.cast %x : tensor<4xf32> to tensor<4xi64>
    ```
  }];
  let arguments = (ins Qcc_Tensor:$input);
  let results = (outs Qcc_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `to` type($result)";
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Normalisation and softmax
//===----------------------------------------------------------------------===//

def Qcc_SoftmaxOp : Qcc_Op<"softmax", [Pure, SameOperandsAndResultType]> {
  let summary = "softmax along one axis (ONNX Softmax, opset 13 semantics)";
  let description = [{
    `exp(x - max) / sum(exp(x - max))` along `axis`. ONNX's pre-13 Softmax
    (coerced to 2-D) is imported as reshape + softmax + reshape.

    ```mlir
    %r = qcc.softmax %x {axis = 2 : i64} : tensor<2x4x16xf32>
    ```
  }];
  let arguments = (ins Qcc_FloatTensor:$input, I64Attr:$axis);
  let results = (outs Qcc_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let hasVerifier = 1;
}

def Qcc_LayerNormOp : Qcc_Op<"layer_norm", [Pure, AllTypesMatch<["input", "result"]>]> {
  let summary = "layer normalisation (ONNX LayerNormalization)";
  let description = [{
    Normalises over the dimensions `[axis, rank)`:
    `(x - mean) / sqrt(var + epsilon) * scale + bias`, where `scale` and the
    optional `bias` have the shape of those trailing dimensions.

    ```mlir
    %r = qcc.layer_norm %x, %gamma, %beta {axis = 2 : i64, epsilon = 1.0e-05 : f32}
        : (tensor<2x4x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<2x4x8xf32>
    ```
  }];
  let arguments = (ins Qcc_FloatTensor:$input, Qcc_FloatTensor:$scale,
                       Optional<Qcc_FloatTensor>:$bias, I64Attr:$axis,
                       DefaultValuedAttr<F32Attr, "1.0e-5f">:$epsilon);
  let results = (outs Qcc_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $scale (`,` $bias^)? attr-dict `:`
    functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Qcc_BatchNormOp : Qcc_Op<"batch_norm", [Pure, AllTypesMatch<["input", "result"]>]> {
  let summary = "inference-mode batch normalisation (ONNX BatchNormalization)";
  let description = [{
    `(x - mean) / sqrt(variance + epsilon) * scale + bias` per channel
    (dimension 1). The parameters are 1-D tensors of the channel count.
    The prepare pipeline folds it into a preceding `qcc.conv`.

    ```mlir
    %r = qcc.batch_norm %x, %s, %b, %m, %v {epsilon = 1.0e-05 : f32}
        : (tensor<1x3x4x4xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>,
           tensor<3xf32>) -> tensor<1x3x4x4xf32>
    ```
  }];
  let arguments = (ins Qcc_FloatTensor:$input, Qcc_FloatTensor:$scale,
                       Qcc_FloatTensor:$bias, Qcc_FloatTensor:$mean,
                       Qcc_FloatTensor:$variance,
                       DefaultValuedAttr<F32Attr, "1.0e-5f">:$epsilon);
  let results = (outs Qcc_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $scale `,` $bias `,` $mean `,` $variance attr-dict `:`
    functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Linear algebra
//===----------------------------------------------------------------------===//

def Qcc_AttentionOp : Qcc_Op<"attention",
    [Pure, AttrSizedOperandSegments, InferTypeOpAdaptor]> {
  let summary = "scaled dot-product attention (recognised from primitives)";
  let description = [{
    `softmax(q @ k^T * scale + bias + key_bias) @ v`, with the softmax over
    the last axis. `q` is `[..., Sq, D]`, `k` is `[..., Sk, D]`, `v` is
    `[..., Sk, Dv]`, with identical leading (batch/head) dimensions; the
    result is `[..., Sq, Dv]`. The optional `bias` is added to the
    `[..., Sq, Sk]` scores with broadcasting. The optional `key_mask` is the
    model's `[B, Sk]` attention mask (B the first dimension of `q`): it adds
    `(1 - float(key_mask[b, j])) * mask_value` to every score of batch `b`
    and key `j`, which is exactly the additive mask BERT-style models derive
    from it; later passes use it to exclude padded keys and tokens.

    ```mlir
    %o = qcc.attention %q, %k, %v key_mask %m {mask_value = -1.0e+04 : f32,
                                               scale = 0.125 : f32}
        : (tensor<2x4x16x64xf32>, tensor<2x4x16x64xf32>, tensor<2x4x16x64xf32>,
           tensor<2x16xi64>) -> tensor<2x4x16x64xf32>
    ```
  }];
  let arguments = (ins Qcc_FloatTensor:$q, Qcc_FloatTensor:$k,
                       Qcc_FloatTensor:$v, Optional<Qcc_FloatTensor>:$bias,
                       Optional<Qcc_Tensor>:$key_mask, F32Attr:$scale,
                       DefaultValuedAttr<F32Attr, "-10000.0f">:$mask_value);
  let results = (outs Qcc_FloatTensor:$result);
  let assemblyFormat = [{
    $q `,` $k `,` $v (`bias` $bias^)? (`key_mask` $key_mask^)? attr-dict `:`
    functional-type(operands, results)
  }];
}


def Qcc_ConvOp : Qcc_Op<"conv", [Pure, InferTypeOpAdaptor]> {
  let summary = "N-d grouped convolution (ONNX Conv, ConvInteger)";
  let description = [{
    Cross-correlation of an `N x C x D1 x ... x Dn` input with an
    `M x C/group x K1 x ... x Kn` weight, plus an optional 1-D bias of size
    `M`. `pads` lists the begin pads of every spatial dimension, then the
    end pads (ONNX order); `auto_pad` is resolved by the importer. Float
    operands give a result of the same element type; 8-bit or `i32` integer
    operands give an `i32` accumulator (zero points are applied before the
    op, in `i32`); integer accumulation wraps modulo 2^32.

    ```mlir
    %y = qcc.conv %x, %w, %b {dilations = array<i64: 1, 1>, group = 1 : i64,
                              pads = array<i64: 1, 1, 1, 1>,
                              strides = array<i64: 1, 1>}
        : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>, tensor<4xf32>)
        -> tensor<1x4x8x8xf32>
    ```
  }];
  let arguments = (ins Qcc_Tensor:$input, Qcc_Tensor:$weight,
                       Optional<Qcc_Tensor>:$bias,
                       DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$pads,
                       DenseI64ArrayAttr:$dilations,
                       DefaultValuedAttr<I64Attr, "1">:$group);
  let results = (outs Qcc_Tensor:$result);
  let assemblyFormat = [{
    $input `,` $weight (`,` $bias^)? attr-dict `:`
    functional-type(operands, results)
  }];
}

def Qcc_MatMulOp : Qcc_Op<"matmul", [Pure, InferTypeOpAdaptor]> {
  let summary = "NumPy matrix product (ONNX MatMul, MatMulInteger)";
  let description = [{
    `numpy.matmul` semantics: 1-D operands are promoted to matrices and the
    promoted dimension removed from the result; batch dimensions broadcast.
    Float operands give a result of the same element type; 8-bit or `i32`
    integer operands give an `i32` accumulator (wrapping modulo 2^32).

    ```mlir
    %y = qcc.matmul %a, %b
        : (tensor<8x128x768xf32>, tensor<768x3072xf32>) -> tensor<8x128x3072xf32>
    ```
  }];
  let arguments = (ins Qcc_Tensor:$lhs, Qcc_Tensor:$rhs);
  let results = (outs Qcc_Tensor:$result);
  let assemblyFormat =
      "$lhs `,` $rhs attr-dict `:` functional-type(operands, results)";
}

//===----------------------------------------------------------------------===//
// Pooling and reductions
//===----------------------------------------------------------------------===//

def Qcc_MaxPoolOp : Qcc_Op<"max_pool", [Pure, InferTypeOpAdaptor]> {
  let summary = "N-d max pooling (ONNX MaxPool)";
  let description = [{
    Maximum over each window of the spatial dimensions of an
    `N x C x D1 x ... x Dn` tensor. Padded positions never win. `pads` is in
    ONNX order (all begins, then all ends); the importer turns `ceil_mode`
    into extra end padding.

    ```mlir
    %y = qcc.max_pool %x {dilations = array<i64: 1, 1>,
                          kernel_shape = array<i64: 2, 2>,
                          pads = array<i64: 0, 0, 0, 0>,
                          strides = array<i64: 2, 2>}
        : (tensor<1x4x8x8xf32>) -> tensor<1x4x4x4xf32>
    ```
  }];
  let arguments = (ins Qcc_Tensor:$input, DenseI64ArrayAttr:$kernel_shape,
                       DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$pads,
                       DenseI64ArrayAttr:$dilations);
  let results = (outs Qcc_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
}

def Qcc_AvgPoolOp : Qcc_Op<"avg_pool", [Pure, InferTypeOpAdaptor]> {
  let summary = "N-d average pooling (ONNX AveragePool)";
  let description = [{
    Mean over each window of the spatial dimensions. With
    `count_include_pad` the divisor is the full kernel size; otherwise it is
    the number of non-padded positions in the window.

    ```mlir
    %y = qcc.avg_pool %x {count_include_pad = false,
                          kernel_shape = array<i64: 3, 3>,
                          pads = array<i64: 1, 1, 1, 1>,
                          strides = array<i64: 1, 1>}
        : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
    ```
  }];
  let arguments = (ins Qcc_FloatTensor:$input, DenseI64ArrayAttr:$kernel_shape,
                       DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$pads,
                       DefaultValuedAttr<BoolAttr, "false">:$count_include_pad);
  let results = (outs Qcc_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
}

class Qcc_ReduceOp<string mnemonic, string onnxName, string what>
    : Qcc_Op<mnemonic, [Pure, InferTypeOpAdaptor]> {
  let summary = what # " over a set of axes (ONNX " # onnxName # ")";
  let description = [{
    Reduces `axes` (sorted, unique, non-negative) with }] # what # [{; with
    `keepdims` the reduced dimensions stay as size 1.

    ```mlir
    %r = qcc.}] # mnemonic # [{ %x {axes = array<i64: 2, 3>, keepdims = true}
        : (tensor<1x4x8x8xf32>) -> tensor<1x4x1x1xf32>
    ```
  }];
  let arguments = (ins Qcc_Tensor:$input, DenseI64ArrayAttr:$axes,
                       DefaultValuedAttr<BoolAttr, "true">:$keepdims);
  let results = (outs Qcc_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
  let extraClassDefinition = [{
    ::llvm::LogicalResult $cppClass::inferReturnTypes(
        ::mlir::MLIRContext *context, std::optional<::mlir::Location> loc,
        Adaptor adaptor, ::llvm::SmallVectorImpl<::mlir::Type> &types) {
      return ::mlir::qcc::inferReduceResult(loc, adaptor.getInput(),
                                            adaptor.getAxes(),
                                            adaptor.getKeepdims(), types);
    }
  }];
}

def Qcc_ReduceMeanOp : Qcc_ReduceOp<"reduce_mean", "ReduceMean", "the mean">;
def Qcc_ReduceSumOp : Qcc_ReduceOp<"reduce_sum", "ReduceSum", "the sum">;
def Qcc_ReduceMaxOp : Qcc_ReduceOp<"reduce_max", "ReduceMax", "the maximum">;

//===----------------------------------------------------------------------===//
// Data movement
//===----------------------------------------------------------------------===//

def Qcc_ReshapeOp : Qcc_Op<"reshape", [Pure]> {
  let summary = "reinterpret the shape (ONNX Reshape, Flatten, Squeeze, Unsqueeze)";
  let description = [{
    Same elements in row-major order under a new static shape with the same
    element count.

    ```mlir
    %r = qcc.reshape %x : tensor<2x3x4xf32> -> tensor<6x4xf32>
    ```
  }];
  let arguments = (ins Qcc_Tensor:$input);
  let results = (outs Qcc_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Qcc_TransposeOp : Qcc_Op<"transpose", [Pure, InferTypeOpAdaptor]> {
  let summary = "permute dimensions (ONNX Transpose)";
  let description = [{
    `result.shape[i] = input.shape[permutation[i]]`.

    ```mlir
    %r = qcc.transpose %x {permutation = array<i64: 0, 2, 1>}
        : (tensor<2x3x4xf32>) -> tensor<2x4x3xf32>
    ```
  }];
  let arguments = (ins Qcc_Tensor:$input, DenseI64ArrayAttr:$permutation);
  let results = (outs Qcc_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
  let hasFolder = 1;
}

def Qcc_ConcatOp : Qcc_Op<"concat", [Pure, InferTypeOpAdaptor]> {
  let summary = "join tensors along an axis (ONNX Concat)";
  let description = [{
    All inputs have the same rank, element type and size in every dimension
    but `axis`.

    ```mlir
    %r = qcc.concat %a, %b {axis = 1 : i64}
        : (tensor<2x3xf32>, tensor<2x5xf32>) -> tensor<2x8xf32>
    ```
  }];
  let arguments = (ins Variadic<Qcc_Tensor>:$inputs, I64Attr:$axis);
  let results = (outs Qcc_Tensor:$result);
  let assemblyFormat = "$inputs attr-dict `:` functional-type(operands, results)";
  let hasFolder = 1;
}

def Qcc_SliceOp : Qcc_Op<"slice", [Pure, InferTypeOpAdaptor]> {
  let summary = "strided slice with normalised bounds (ONNX Slice, Split)";
  let description = [{
    One `start`, `end` and non-zero `step` per dimension, already clamped as
    ONNX prescribes: for a positive step `0 <= start <= end <= dim`, for a
    negative step `-1 <= end <= start <= dim - 1`. The result has
    `ceil((end - start) / step)` elements along each dimension.

    ```mlir
    %r = qcc.slice %x {ends = array<i64: 2, 8>, starts = array<i64: 0, 2>,
                       steps = array<i64: 1, 2>}
        : (tensor<2x8xf32>) -> tensor<2x3xf32>
    ```
  }];
  let arguments = (ins Qcc_Tensor:$input, DenseI64ArrayAttr:$starts,
                       DenseI64ArrayAttr:$ends, DenseI64ArrayAttr:$steps);
  let results = (outs Qcc_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
  let hasFolder = 1;
}

def Qcc_GatherOp : Qcc_Op<"gather", [Pure, InferTypeOpAdaptor]> {
  let summary = "gather slices along an axis (ONNX Gather)";
  let description = [{
    `result.shape = data.shape[:axis] + indices.shape + data.shape[axis+1:]`.
    Negative indices count from the end; an index out of `[-dim, dim)` is an
    error at run time.

    ```mlir
    %r = qcc.gather %table, %ids {axis = 0 : i64}
        : (tensor<1000x64xf32>, tensor<8x16xi64>) -> tensor<8x16x64xf32>
    ```
  }];
  let arguments = (ins Qcc_Tensor:$data, Qcc_IndexTensor:$indices,
                       I64Attr:$axis);
  let results = (outs Qcc_Tensor:$result);
  let assemblyFormat =
      "$data `,` $indices attr-dict `:` functional-type(operands, results)";
  let hasFolder = 1;
}

def Qcc_PadOp : Qcc_Op<"pad", [Pure, InferTypeOpAdaptor]> {
  let summary = "pad a tensor (ONNX Pad)";
  let description = [{
    `pads` holds all begin amounts, then all end amounts (ONNX order), each
    non-negative. `mode` is constant (fill with `value`, whose type is the
    element type), reflect or edge.

    ```mlir
    %r = qcc.pad %x {mode = #qcc.pad_mode<constant>, pads = array<i64: 0, 1, 0, 2>,
                     value = 0.0 : f32}
        : (tensor<2x3xf32>) -> tensor<2x6xf32>
    ```
  }];
  let arguments = (ins Qcc_Tensor:$input, DenseI64ArrayAttr:$pads,
                       Qcc_PadModeAttr:$mode, TypedAttrInterface:$value);
  let results = (outs Qcc_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
}

def Qcc_BroadcastToOp : Qcc_Op<"broadcast_to", [Pure]> {
  let summary = "broadcast to a larger shape (ONNX Expand)";
  let description = [{
    NumPy-broadcasts the input to the result shape, which must be the
    broadcast of the input shape with itself (ONNX Expand's rule).

    ```mlir
    %r = qcc.broadcast_to %x : tensor<1x4xf32> -> tensor<3x4xf32>
    ```
  }];
  let arguments = (ins Qcc_Tensor:$input);
  let results = (outs Qcc_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Quantization boundary
//===----------------------------------------------------------------------===//

class Qcc_AffineQuantOp<string mnemonic, list<Trait> traits = []>
    : Qcc_Op<mnemonic, !listconcat(traits, [Pure, SameOperandsAndResultShape])> {
  let hasVerifier = 1;
  let assemblyFormat = "$input attr-dict `:` type($input) `to` type($result)";
}

def Qcc_QuantizeOp : Qcc_AffineQuantOp<"quantize"> {
  let summary = "affine quantization to integers (ONNX QuantizeLinear)";
  let description = [{
    `q = clamp(round_half_even(x / scale) + zero_point, qmin, qmax)` with the
    range of the result's integer type. `scales` and `zero_points` have one
    entry (per tensor) or one per index of dimension `axis` (per axis).

    ```mlir
    %q = qcc.quantize %x {axis = 0 : i64, scales = array<f32: 0.5>,
                          zero_points = array<i64: 0>}
        : tensor<4xf32> to tensor<4xi8>
    ```
  }];
  let arguments = (ins Qcc_FloatTensor:$input, DenseF32ArrayAttr:$scales,
                       DenseI64ArrayAttr:$zero_points,
                       DefaultValuedAttr<I64Attr, "0">:$axis);
  let results = (outs Qcc_QuantStorageTensor:$result);
}

def Qcc_DequantizeOp : Qcc_AffineQuantOp<"dequantize"> {
  let summary = "affine dequantization to float (ONNX DequantizeLinear)";
  let description = [{
    `x = (q - zero_point) * scale`, per tensor or per axis like
    `qcc.quantize`.

    ```mlir
    %x = qcc.dequantize %q {axis = 0 : i64, scales = array<f32: 0.5>,
                            zero_points = array<i64: 3>}
        : tensor<4xui8> to tensor<4xf32>
    ```
  }];
  let arguments = (ins Qcc_QuantStorageTensor:$input, DenseF32ArrayAttr:$scales,
                       DenseI64ArrayAttr:$zero_points,
                       DefaultValuedAttr<I64Attr, "0">:$axis);
  let results = (outs Qcc_FloatTensor:$result);
}

//===----------------------------------------------------------------------===//
// Integer-only ops
//===----------------------------------------------------------------------===//

include "qcc/Dialect/Qcc/IR/QccIntegerOps.td"

#endif // QCC_DIALECT_QCC_IR_QCCOPS_TD
