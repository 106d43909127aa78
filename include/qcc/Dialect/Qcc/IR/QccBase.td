//===- QccBase.td - qcc dialect definition -----------------*- tablegen -*-===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//
//
// The `qcc` dialect: the graph-level IR of the qcc compiler. The ONNX importer
// produces it on float tensors; later passes rewrite it to exact integer
// arithmetic.
//
//===----------------------------------------------------------------------===//

#ifndef QCC_DIALECT_QCC_IR_QCCBASE_TD
#define QCC_DIALECT_QCC_IR_QCCBASE_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"

def Qcc_Dialect : Dialect {
  let name = "qcc";
  let cppNamespace = "::mlir::qcc";
  let summary = "Graph-level IR of the qcc ONNX-to-integer compiler";
  let description = [{
    The `qcc` dialect holds neural-network graphs on statically shaped
    tensors. The ONNX importer produces it on float tensors, with one op per
    ONNX operator (or a short sequence where ONNX's operator is sugar for
    others). Every axis attribute is normalised to a non-negative value and
    every shape is static, so passes never deal with ONNX's negative axes or
    symbolic dimensions.
  }];
  let useDefaultAttributePrinterParser = 1;
  let hasConstantMaterializer = 1;
  let hasOperationAttrVerify = 1;
  let extraClassDeclaration = [{
    /// `qcc.weight_bits = 4 : i64` on a qcc.matmul or qcc.conv: the
    /// precision its constant weights are quantized to (float graph, set by
    /// bit allocation) or stored at (integer graph: every weight fits the
    /// signed 4-bit range; backends may pack them two per byte). Absent
    /// means 8.
    static constexpr ::llvm::StringLiteral kWeightBitsAttrName =
        "qcc.weight_bits";
    /// `qcc.activation_bits = 4 : i64` on a float qcc.matmul or qcc.conv:
    /// its (first) input is quantized to 4 bits ([-8, 7] at scale
    /// max|x| / 7, or [0, 15] at max / 15 when non-negative), still stored
    /// in 8-bit tensors. Absent means 8.
    static constexpr ::llvm::StringLiteral kActivationBitsAttrName =
        "qcc.activation_bits";
  }];
}

class Qcc_Op<string mnemonic, list<Trait> traits = []>
    : Op<Qcc_Dialect, mnemonic, traits>;

class Qcc_Attr<string name, string attrMnemonic, list<Trait> traits = []>
    : AttrDef<Qcc_Dialect, name, traits> {
  let mnemonic = attrMnemonic;
}

//===----------------------------------------------------------------------===//
// Enums
//===----------------------------------------------------------------------===//

def Qcc_GeluApproximation : I32EnumAttr<"GeluApproximation",
    "approximation used by qcc.gelu", [
      I32EnumAttrCase<"None", 0, "none">,
      I32EnumAttrCase<"Tanh", 1, "tanh">
    ]> {
  let genSpecializedAttr = 0;
  let cppNamespace = "::mlir::qcc";
}
def Qcc_GeluApproximationAttr
    : EnumAttr<Qcc_Dialect, Qcc_GeluApproximation, "gelu_approximation"> {
  let assemblyFormat = "`<` $value `>`";
}

def Qcc_PadMode : I32EnumAttr<"PadMode", "how qcc.pad fills the border", [
      I32EnumAttrCase<"Constant", 0, "constant">,
      I32EnumAttrCase<"Reflect", 1, "reflect">,
      I32EnumAttrCase<"Edge", 2, "edge">
    ]> {
  let genSpecializedAttr = 0;
  let cppNamespace = "::mlir::qcc";
}
def Qcc_PadModeAttr : EnumAttr<Qcc_Dialect, Qcc_PadMode, "pad_mode"> {
  let assemblyFormat = "`<` $value `>`";
}

//===----------------------------------------------------------------------===//
// Type constraints
//===----------------------------------------------------------------------===//

def Qcc_Tensor : StaticShapeTensorOf<[AnyType]>;
def Qcc_FloatTensor : StaticShapeTensorOf<[AnyFloat]>;
def Qcc_BoolTensor : StaticShapeTensorOf<[I1]>;
def Qcc_IndexTensor : StaticShapeTensorOf<[I32, I64]>;
def Qcc_QuantStorageTensor : StaticShapeTensorOf<[I8, UI8, I16, I32]>;

#endif // QCC_DIALECT_QCC_IR_QCCBASE_TD
