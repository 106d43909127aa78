//===- NodeImporter.h - per-node import context -----------------*- C++ -*-===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//
//
// Private interface between the graph walker (ONNXImporter.cpp) and the
// per-operator import functions (OpImporters.cpp).
//
//===----------------------------------------------------------------------===//

#ifndef QCC_LIB_FRONTEND_ONNX_NODEIMPORTER_H
#define QCC_LIB_FRONTEND_ONNX_NODEIMPORTER_H

#include "qcc/Dialect/Qcc/IR/QccOps.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/StringMap.h"

#include "onnx/onnx_pb.h"

namespace mlir::qcc::onnx_import {

/// What an operator import function sees of one ONNX node.
class NodeImporter {
public:
  NodeImporter(const onnx::NodeProto &node, StringRef label,
               OpBuilder &builder, Location loc, int64_t opset,
               SmallVector<Value> inputs)
      : node(node), label(label.str()), builder(builder), loc(loc),
        opset(opset), inputs(std::move(inputs)) {}

  const onnx::NodeProto &node;
  /// The node's name, or `<OpType>_<index>` when it has none.
  std::string label;
  OpBuilder &builder;
  Location loc;
  /// Version of the default-domain opset the model imports.
  int64_t opset;

  /// Input `i`, or null when absent or given as "" (optional input).
  Value input(unsigned i) const {
    return i < inputs.size() ? inputs[i] : Value();
  }
  unsigned numInputs() const { return inputs.size(); }
  /// Fails with a diagnostic unless input `i` is present.
  FailureOr<Value> requireInput(unsigned i);
  /// Input `i` as a static tensor type (inputs always are).
  RankedTensorType inputType(unsigned i) const {
    return cast<RankedTensorType>(input(i).getType());
  }
  /// Whether output `i` is requested (named) by the model.
  bool hasOutput(unsigned i) const {
    return static_cast<int>(i) < node.output_size() && !node.output(i).empty();
  }

  /// Integer values of a constant input, for shape-like operands.
  FailureOr<SmallVector<int64_t>> constantInts(unsigned i, StringRef what);
  /// Float values of a constant input.
  FailureOr<SmallVector<float>> constantFloats(unsigned i, StringRef what);

  const onnx::AttributeProto *attr(StringRef name) const;
  int64_t getInt(StringRef name, int64_t defaultValue) const;
  float getFloat(StringRef name, float defaultValue) const;
  std::string getString(StringRef name, StringRef defaultValue) const;
  std::optional<SmallVector<int64_t>> getInts(StringRef name) const;

  /// Normalises an axis in [-rank, rank) to [0, rank), or fails.
  FailureOr<int64_t> normalizeAxis(int64_t axis, int64_t rank);

  /// Emits an error at the node, naming it and its operator.
  InFlightDiagnostic emitError() {
    return mlir::emitError(loc) << "node '" << label << "' (" << node.op_type()
                                << "): ";
  }

  /// The node's results, in ONNX output order.
  SmallVector<Value> results;

private:
  SmallVector<Value> inputs;
};

using OpImporterFn = LogicalResult (*)(NodeImporter &);

/// Element type of an ONNX TensorProto::DataType, or null if unsupported.
Type convertElementType(MLIRContext *context, int32_t dataType);
/// Printable name of an ONNX data type.
std::string dataTypeName(int32_t dataType);
/// Converts a TensorProto (raw or typed data) to an attribute, checking the
/// data size against the shape.
FailureOr<DenseElementsAttr> convertTensorProto(MLIRContext &context,
                                                const onnx::TensorProto &tensor,
                                                Location loc);

/// The operator table: ONNX op type -> import function.
const llvm::StringMap<OpImporterFn> &getOpImporters();

} // namespace mlir::qcc::onnx_import

#endif // QCC_LIB_FRONTEND_ONNX_NODEIMPORTER_H
