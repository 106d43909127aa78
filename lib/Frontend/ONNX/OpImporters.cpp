//===- OpImporters.cpp - ONNX operator -> qcc op table ----------*- C++ -*-===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//
//
// The operator table and NodeImporter's accessors. The import functions live
// in Import{Math,Linear,Shape,Quantized}.cpp, one per operator type for
// opsets 11-21; each normalises ONNX conventions (negative axes, auto_pad,
// optional inputs, version differences) and builds qcc ops through build<>,
// which folds them when their operands are constants.
//
//===----------------------------------------------------------------------===//

#include "ImportHelpers.h"
#include "qcc/Frontend/ONNX/ONNXImporter.h"
#include "qcc/Support/ShapeSpec.h"

#include "mlir/IR/Matchers.h"

using namespace mlir;
using namespace mlir::qcc;
using namespace mlir::qcc::onnx_import;

//===----------------------------------------------------------------------===//
// NodeImporter helpers
//===----------------------------------------------------------------------===//

FailureOr<Value> NodeImporter::requireInput(unsigned i) {
  if (Value v = input(i))
    return v;
  return emitError() << node.op_type() << " needs input " << i;
}

const onnx::AttributeProto *NodeImporter::attr(StringRef name) const {
  for (const onnx::AttributeProto &a : node.attribute())
    if (a.name() == name)
      return &a;
  return nullptr;
}

int64_t NodeImporter::getInt(StringRef name, int64_t defaultValue) const {
  const onnx::AttributeProto *a = attr(name);
  return a ? a->i() : defaultValue;
}

float NodeImporter::getFloat(StringRef name, float defaultValue) const {
  const onnx::AttributeProto *a = attr(name);
  return a ? a->f() : defaultValue;
}

std::string NodeImporter::getString(StringRef name,
                                    StringRef defaultValue) const {
  const onnx::AttributeProto *a = attr(name);
  return a ? a->s() : defaultValue.str();
}

std::optional<SmallVector<int64_t>>
NodeImporter::getInts(StringRef name) const {
  const onnx::AttributeProto *a = attr(name);
  if (!a)
    return std::nullopt;
  return SmallVector<int64_t>(a->ints().begin(), a->ints().end());
}

FailureOr<int64_t> NodeImporter::normalizeAxis(int64_t axis, int64_t rank) {
  if (axis < -rank || axis >= rank)
    return emitError() << node.op_type() << " axis " << axis
                       << " is out of range for rank " << rank;
  return axis < 0 ? axis + rank : axis;
}

FailureOr<SmallVector<int64_t>> NodeImporter::constantInts(unsigned i,
                                                           StringRef what) {
  DenseIntElementsAttr attr;
  if (!input(i) || !matchPattern(input(i), m_Constant(&attr)))
    return emitError() << node.op_type() << " " << what
                       << " must be a constant (computable at compile time)";
  SmallVector<int64_t> result;
  for (const APInt &v : attr.getValues<APInt>())
    result.push_back(v.getSExtValue());
  return result;
}

FailureOr<SmallVector<float>> NodeImporter::constantFloats(unsigned i,
                                                           StringRef what) {
  DenseFPElementsAttr attr;
  if (!input(i) || !matchPattern(input(i), m_Constant(&attr)) ||
      !attr.getElementType().isF32())
    return emitError() << node.op_type() << " " << what
                       << " must be an f32 constant";
  return SmallVector<float>(attr.getValues<float>());
}

FailureOr<SmallVector<int64_t>>
mlir::qcc::onnx_import::getAxesOperand(NodeImporter &n,
                                               unsigned inputIndex,
                                               int64_t sinceOpset) {
  if (n.opset >= sinceOpset) {
    if (!n.input(inputIndex))
      return SmallVector<int64_t>();
    return n.constantInts(inputIndex, "axes");
  }
  return n.getInts("axes").value_or(SmallVector<int64_t>());
}


const llvm::StringMap<OpImporterFn> &mlir::qcc::onnx_import::getOpImporters() {
  static const llvm::StringMap<OpImporterFn> table = [] {
    llvm::StringMap<OpImporterFn> t;
    registerMathImporters(t);
    registerLinearImporters(t);
    registerShapeImporters(t);
    registerQuantizedImporters(t);
    return t;
  }();
  return table;
}

SmallVector<StringRef> mlir::qcc::getSupportedONNXOps() {
  SmallVector<StringRef> names;
  for (const auto &entry : onnx_import::getOpImporters())
    names.push_back(entry.getKey());
  llvm::sort(names);
  return names;
}
