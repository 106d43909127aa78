//===- ImportMath.cpp - elementwise and normalisation ops -----*- C++ -*-===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//

#include "ImportHelpers.h"
#include "qcc/Support/ShapeSpec.h"

#include "mlir/IR/Matchers.h"

using namespace mlir;
using namespace mlir::qcc;
using namespace mlir::qcc::onnx_import;

namespace {

template <typename OpTy>
LogicalResult importBinary(NodeImporter &n) {
  FailureOr<Value> lhs = n.requireInput(0), rhs = n.requireInput(1);
  if (failed(lhs) || failed(rhs))
    return failure();
  return single(n, build<OpTy>(n, *lhs, *rhs));
}

template <typename OpTy>
LogicalResult importUnary(NodeImporter &n) {
  FailureOr<Value> x = n.requireInput(0);
  if (failed(x))
    return failure();
  n.results.push_back(OpTy::create(n.builder, n.loc, *x));
  return success();
}

LogicalResult importPow(NodeImporter &n) {
  FailureOr<Value> x = n.requireInput(0), y = n.requireInput(1);
  if (failed(x) || failed(y))
    return failure();
  Type xType = n.inputType(0).getElementType();
  Value exponent = *y;
  if (n.inputType(1).getElementType() != xType)
    exponent = n.builder.createOrFold<CastOp>(
        n.loc, RankedTensorType::get(n.inputType(1).getShape(), xType), *y);
  return single(n, build<PowOp>(n, *x, exponent));
}

LogicalResult importIdentity(NodeImporter &n) {
  FailureOr<Value> x = n.requireInput(0);
  if (failed(x))
    return failure();
  n.results.push_back(*x);
  return success();
}

LogicalResult importDropout(NodeImporter &n) {
  if (n.hasOutput(1))
    return n.emitError() << "Dropout mask output is not supported "
                            "(inference only)";
  // training_mode (opset 12+) must be known: true with a non-zero ratio
  // (default 0.5) drops random elements, which an inference compiler cannot
  // reproduce; it was imported as the identity (ONNX backend tests).
  if (n.input(2)) {
    FailureOr<SmallVector<int64_t>> training =
        n.constantInts(2, "training_mode");
    if (failed(training))
      return failure();
    if (llvm::any_of(*training, [](int64_t v) { return v != 0; })) {
      if (!n.input(1))
        return n.emitError() << "Dropout in training mode is not supported "
                                "(inference only)";
      FailureOr<SmallVector<float>> ratio = n.constantFloats(1, "ratio");
      if (failed(ratio))
        return failure();
      if (llvm::any_of(*ratio, [](float r) { return r != 0.0f; }))
        return n.emitError() << "Dropout in training mode is not supported "
                                "(inference only)";
    }
  }
  return importIdentity(n);
}

LogicalResult importConstant(NodeImporter &n) {
  MLIRContext *ctx = n.builder.getContext();
  if (const onnx::AttributeProto *a = n.attr("value")) {
    FailureOr<DenseElementsAttr> value =
        convertTensorProto(*ctx, a->t(), n.loc);
    if (failed(value))
      return failure();
    n.results.push_back(ConstantOp::create(n.builder, n.loc, *value));
    return success();
  }
  auto f32 = Float32Type::get(ctx);
  auto i64 = IntegerType::get(ctx, 64);
  if (const onnx::AttributeProto *a = n.attr("value_float")) {
    n.results.push_back(ConstantOp::create(
        n.builder, n.loc,
        DenseElementsAttr::get(RankedTensorType::get({}, f32), a->f())));
    return success();
  }
  if (const onnx::AttributeProto *a = n.attr("value_int")) {
    n.results.push_back(ConstantOp::create(
        n.builder, n.loc,
        DenseElementsAttr::get(RankedTensorType::get({}, i64),
                               static_cast<int64_t>(a->i()))));
    return success();
  }
  if (const onnx::AttributeProto *a = n.attr("value_floats")) {
    SmallVector<float> v(a->floats().begin(), a->floats().end());
    n.results.push_back(ConstantOp::create(
        n.builder, n.loc,
        DenseElementsAttr::get(
            RankedTensorType::get({static_cast<int64_t>(v.size())}, f32),
            ArrayRef<float>(v))));
    return success();
  }
  if (const onnx::AttributeProto *a = n.attr("value_ints")) {
    SmallVector<int64_t> v(a->ints().begin(), a->ints().end());
    n.results.push_back(ConstantOp::create(
        n.builder, n.loc,
        DenseElementsAttr::get(
            RankedTensorType::get({static_cast<int64_t>(v.size())}, i64),
            ArrayRef<int64_t>(v))));
    return success();
  }
  return n.emitError() << "Constant has no supported value attribute "
                          "(value, value_float(s), value_int(s))";
}

LogicalResult importLeakyRelu(NodeImporter &n) {
  FailureOr<Value> x = n.requireInput(0);
  if (failed(x))
    return failure();
  n.results.push_back(LeakyReluOp::create(
      n.builder, n.loc, *x,
      n.builder.getF32FloatAttr(n.getFloat("alpha", 0.01f))));
  return success();
}

LogicalResult importClip(NodeImporter &n) {
  FailureOr<Value> x = n.requireInput(0);
  if (failed(x))
    return failure();
  FloatAttr lo, hi;
  if (n.input(1)) {
    FailureOr<SmallVector<float>> v = n.constantFloats(1, "min");
    if (failed(v) || v->size() != 1)
      return failed(v) ? failure()
                       : LogicalResult(n.emitError() << "Clip min must be a scalar");
    lo = n.builder.getF32FloatAttr(v->front());
  }
  if (n.input(2)) {
    FailureOr<SmallVector<float>> v = n.constantFloats(2, "max");
    if (failed(v) || v->size() != 1)
      return failed(v) ? failure()
                       : LogicalResult(n.emitError() << "Clip max must be a scalar");
    hi = n.builder.getF32FloatAttr(v->front());
  }
  n.results.push_back(ClipOp::create(n.builder, n.loc, *x, lo, hi));
  return success();
}

LogicalResult importGelu(NodeImporter &n) {
  FailureOr<Value> x = n.requireInput(0);
  if (failed(x))
    return failure();
  std::string approximate = n.getString("approximate", "none");
  GeluApproximation kind;
  if (approximate == "none")
    kind = GeluApproximation::None;
  else if (approximate == "tanh")
    kind = GeluApproximation::Tanh;
  else
    return n.emitError() << "Gelu approximate='" << approximate
                         << "' is not one of 'none', 'tanh'";
  n.results.push_back(GeluOp::create(
      n.builder, n.loc, *x,
      GeluApproximationAttr::get(n.builder.getContext(), kind)));
  return success();
}

LogicalResult importCast(NodeImporter &n) {
  FailureOr<Value> x = n.requireInput(0);
  if (failed(x))
    return failure();
  int64_t to = n.getInt("to", 0);
  Type elementType = convertElementType(n.builder.getContext(), to);
  if (!elementType)
    return n.emitError() << "Cast to " << dataTypeName(to)
                         << " is not supported";
  n.results.push_back(n.builder.createOrFold<CastOp>(
      n.loc, RankedTensorType::get(n.inputType(0).getShape(), elementType),
      *x));
  return success();
}

LogicalResult importSoftmax(NodeImporter &n) {
  FailureOr<Value> x = n.requireInput(0);
  if (failed(x))
    return failure();
  RankedTensorType type = n.inputType(0);
  int64_t rank = type.getRank();
  bool legacy = n.opset < 13;
  FailureOr<int64_t> axis =
      n.normalizeAxis(n.getInt("axis", legacy ? 1 : -1), std::max<int64_t>(rank, 1));
  if (failed(axis))
    return failure();
  if (!legacy) {
    n.results.push_back(SoftmaxOp::create(n.builder, n.loc, *x, *axis));
    return success();
  }
  // Opset < 13: the input is coerced to 2-D [prod(d[:axis]), prod(d[axis:])].
  ArrayRef<int64_t> shape = type.getShape();
  Value flat = reshape(n, *x,
                       {product(shape.take_front(*axis)),
                        product(shape.drop_front(*axis))});
  Value softmax = SoftmaxOp::create(n.builder, n.loc, flat, 1);
  n.results.push_back(reshape(n, softmax, shape));
  return success();
}

LogicalResult importLayerNorm(NodeImporter &n) {
  FailureOr<Value> x = n.requireInput(0), scale = n.requireInput(1);
  if (failed(x) || failed(scale))
    return failure();
  if (n.hasOutput(1) || n.hasOutput(2))
    return n.emitError() << "LayerNormalization mean/inv_std_dev outputs are "
                            "not supported";
  FailureOr<int64_t> axis =
      n.normalizeAxis(n.getInt("axis", -1), n.inputType(0).getRank());
  if (failed(axis))
    return failure();
  auto op = LayerNormOp::create(
      n.builder, n.loc, n.inputType(0), *x, *scale, n.input(2),
      n.builder.getI64IntegerAttr(*axis),
      n.builder.getF32FloatAttr(n.getFloat("epsilon", 1e-5f)));
  n.results.push_back(op);
  return success();
}

LogicalResult importBatchNorm(NodeImporter &n) {
  SmallVector<Value> operands;
  for (unsigned i = 0; i < 5; ++i) {
    FailureOr<Value> v = n.requireInput(i);
    if (failed(v))
      return failure();
    operands.push_back(*v);
  }
  if (n.getInt("training_mode", 0) != 0 || n.hasOutput(1) || n.hasOutput(2))
    return n.emitError() << "BatchNormalization in training mode is not "
                            "supported (inference only)";
  n.results.push_back(BatchNormOp::create(
      n.builder, n.loc, n.inputType(0), operands[0], operands[1], operands[2],
      operands[3], operands[4],
      n.builder.getF32FloatAttr(n.getFloat("epsilon", 1e-5f))));
  return success();
}

/// Resolves ONNX's auto_pad / pads for a sliding window into explicit pads
/// (all begins, then all ends).
template <typename OpTy>
LogicalResult importReduce(NodeImporter &n) {
  FailureOr<Value> x = n.requireInput(0);
  if (failed(x))
    return failure();
  // Axes moved from attribute to input in opset 13 (ReduceSum) and 18 (the
  // others).
  int64_t since = n.node.op_type() == "ReduceSum" ? 13 : 18;
  FailureOr<SmallVector<int64_t>> axes = getAxesOperand(n, 1, since);
  if (failed(axes))
    return failure();
  int64_t rank = n.inputType(0).getRank();
  SmallVector<int64_t> normalized;
  if (axes->empty()) {
    if (n.getInt("noop_with_empty_axes", 0)) {
      n.results.push_back(*x);
      return success();
    }
    for (int64_t d = 0; d < rank; ++d)
      normalized.push_back(d);
  }
  for (int64_t a : *axes) {
    FailureOr<int64_t> axis = n.normalizeAxis(a, rank);
    if (failed(axis))
      return failure();
    normalized.push_back(*axis);
  }
  llvm::sort(normalized);
  normalized.erase(std::unique(normalized.begin(), normalized.end()),
                   normalized.end());
  return single(n, build<OpTy>(n, *x, n.builder.getDenseI64ArrayAttr(normalized),
                               n.builder.getBoolAttr(n.getInt("keepdims", 1))));
}

} // namespace

void mlir::qcc::onnx_import::registerMathImporters(
    llvm::StringMap<OpImporterFn> &table) {
  table["Abs"] = importUnary<AbsOp>;
  table["Add"] = importBinary<AddOp>;
  table["BatchNormalization"] = importBatchNorm;
  table["Cast"] = importCast;
  table["Clip"] = importClip;
  table["Constant"] = importConstant;
  table["Div"] = importBinary<DivOp>;
  table["Dropout"] = importDropout;
  table["Equal"] = importBinary<EqualOp>;
  table["Erf"] = importUnary<ErfOp>;
  table["Exp"] = importUnary<ExpOp>;
  table["Gelu"] = importGelu;
  table["Greater"] = importBinary<GreaterOp>;
  table["Identity"] = importIdentity;
  table["LayerNormalization"] = importLayerNorm;
  table["LeakyRelu"] = importLeakyRelu;
  table["Less"] = importBinary<LessOp>;
  table["MatMul"] = importBinary<MatMulOp>;
  table["Mul"] = importBinary<MulOp>;
  table["Neg"] = importUnary<NegOp>;
  table["Not"] = importUnary<NotOp>;
  table["Pow"] = importPow;
  table["ReduceMax"] = importReduce<ReduceMaxOp>;
  table["ReduceMean"] = importReduce<ReduceMeanOp>;
  table["ReduceSum"] = importReduce<ReduceSumOp>;
  table["Relu"] = importUnary<ReluOp>;
  table["Sigmoid"] = importUnary<SigmoidOp>;
  table["Softmax"] = importSoftmax;
  table["Sqrt"] = importUnary<SqrtOp>;
  table["Sub"] = importBinary<SubOp>;
  table["Tanh"] = importUnary<TanhOp>;
}
