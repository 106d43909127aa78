//===- OpImporters.cpp - ONNX operator -> qcc op table ----------*- C++ -*-===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//
//
// One import function per ONNX operator type, covering opsets 11-21. Each
// reads its node through NodeImporter, normalises ONNX conventions (negative
// axes, auto_pad, optional inputs, version differences) and builds qcc ops,
// folding through createOrFold so shape arithmetic on constants disappears
// at import time.
//
//===----------------------------------------------------------------------===//

#include "NodeImporter.h"
#include "qcc/Frontend/ONNX/ONNXImporter.h"
#include "qcc/Support/ShapeSpec.h"

#include "mlir/IR/Matchers.h"

#include <numeric>

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

//===----------------------------------------------------------------------===//
// Shared building blocks
//===----------------------------------------------------------------------===//

namespace {

/// Creates `OpTy` with its inferred result type and folds it. Inference
/// failures (malformed models) are diagnosed at the node; the inferring
/// builders of ODS would abort instead.
template <typename OpTy, typename... Args>
FailureOr<Value> build(NodeImporter &n, Args &&...args) {
  MLIRContext *ctx = n.builder.getContext();
  OperationState state(n.loc, OpTy::getOperationName());
  OpTy::build(n.builder, state, NoneType::get(ctx),
              std::forward<Args>(args)...);
  state.types.clear();
  if (failed(OpTy::inferReturnTypes(
          ctx, n.loc, state.operands, state.attributes.getDictionary(ctx),
          state.getRawProperties(), state.regions, state.types)))
    return failure();
  Operation *op = n.builder.create(state);
  SmallVector<Value> folded;
  if (succeeded(n.builder.tryFold(op, folded)) && !folded.empty() &&
      folded.front() != op->getResult(0)) {
    op->erase();
    return folded.front();
  }
  return op->getResult(0);
}

Value reshape(NodeImporter &n, Value value, ArrayRef<int64_t> shape) {
  auto type = cast<RankedTensorType>(value.getType());
  if (type.getShape() == shape)
    return value;
  return n.builder.createOrFold<ReshapeOp>(
      n.loc, RankedTensorType::get(shape, type.getElementType()), value);
}

Value splat(NodeImporter &n, Type elementType, double value) {
  auto type = RankedTensorType::get({}, elementType);
  Attribute element = isa<FloatType>(elementType)
                          ? Attribute(FloatAttr::get(elementType, value))
                          : Attribute(IntegerAttr::get(elementType,
                                                       static_cast<int64_t>(value)));
  return ConstantOp::create(n.builder, n.loc,
                            DenseElementsAttr::get(type, element));
}

int64_t product(ArrayRef<int64_t> dims) {
  return std::accumulate(dims.begin(), dims.end(), int64_t(1),
                         std::multiplies<int64_t>());
}

LogicalResult single(NodeImporter &n, FailureOr<Value> value) {
  if (failed(value))
    return failure();
  n.results.push_back(*value);
  return success();
}

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
FailureOr<SmallVector<int64_t>>
resolvePads(NodeImporter &n, ArrayRef<int64_t> spatial,
            ArrayRef<int64_t> kernel, ArrayRef<int64_t> strides,
            ArrayRef<int64_t> dilations) {
  size_t rank = spatial.size();
  std::string autoPad = n.getString("auto_pad", "NOTSET");
  if (autoPad == "NOTSET") {
    SmallVector<int64_t> pads =
        n.getInts("pads").value_or(SmallVector<int64_t>(2 * rank, 0));
    if (pads.size() != 2 * rank)
      return n.emitError() << n.node.op_type() << " has " << pads.size()
                           << " pads, expected " << 2 * rank;
    return pads;
  }
  if (autoPad == "VALID")
    return SmallVector<int64_t>(2 * rank, 0);
  if (autoPad != "SAME_UPPER" && autoPad != "SAME_LOWER")
    return n.emitError() << "unknown auto_pad '" << autoPad << "'";
  SmallVector<int64_t> pads(2 * rank, 0);
  for (size_t i = 0; i < rank; ++i) {
    int64_t out = (spatial[i] + strides[i] - 1) / strides[i];
    int64_t extent = (kernel[i] - 1) * dilations[i] + 1;
    int64_t total =
        std::max<int64_t>(0, (out - 1) * strides[i] + extent - spatial[i]);
    int64_t small = total / 2, large = total - small;
    pads[i] = autoPad == "SAME_UPPER" ? small : large;
    pads[i + rank] = autoPad == "SAME_UPPER" ? large : small;
  }
  return pads;
}

LogicalResult importConv(NodeImporter &n) {
  FailureOr<Value> x = n.requireInput(0), w = n.requireInput(1);
  if (failed(x) || failed(w))
    return failure();
  RankedTensorType xType = n.inputType(0), wType = n.inputType(1);
  if (xType.getRank() < 3 || wType.getRank() != xType.getRank())
    return n.emitError() << "Conv expects input and weight of equal rank >= 3";
  size_t rank = xType.getRank() - 2;
  SmallVector<int64_t> kernel(wType.getShape().drop_front(2));
  if (auto k = n.getInts("kernel_shape"); k && ArrayRef<int64_t>(*k) != ArrayRef<int64_t>(kernel))
    return n.emitError() << "Conv kernel_shape does not match the weight";
  SmallVector<int64_t> strides =
      n.getInts("strides").value_or(SmallVector<int64_t>(rank, 1));
  SmallVector<int64_t> dilations =
      n.getInts("dilations").value_or(SmallVector<int64_t>(rank, 1));
  if (strides.size() != rank || dilations.size() != rank)
    return n.emitError() << "Conv strides/dilations need " << rank
                         << " entries";
  FailureOr<SmallVector<int64_t>> pads = resolvePads(
      n, xType.getShape().drop_front(2), kernel, strides, dilations);
  if (failed(pads))
    return failure();
  return single(n, build<ConvOp>(n, *x, *w, n.input(2),
                                 n.builder.getDenseI64ArrayAttr(strides),
                                 n.builder.getDenseI64ArrayAttr(*pads),
                                 n.builder.getDenseI64ArrayAttr(dilations),
                                 n.builder.getI64IntegerAttr(
                                     n.getInt("group", 1))));
}

LogicalResult importPool(NodeImporter &n) {
  FailureOr<Value> x = n.requireInput(0);
  if (failed(x))
    return failure();
  bool isMax = n.node.op_type() == "MaxPool";
  if (isMax && n.hasOutput(1))
    return n.emitError() << "MaxPool Indices output is not supported";
  RankedTensorType type = n.inputType(0);
  if (type.getRank() < 3)
    return n.emitError() << n.node.op_type() << " expects rank >= 3";
  size_t rank = type.getRank() - 2;
  std::optional<SmallVector<int64_t>> kernel = n.getInts("kernel_shape");
  if (!kernel || kernel->size() != rank)
    return n.emitError() << n.node.op_type() << " needs kernel_shape with "
                         << rank << " entries";
  SmallVector<int64_t> strides =
      n.getInts("strides").value_or(SmallVector<int64_t>(rank, 1));
  SmallVector<int64_t> dilations =
      n.getInts("dilations").value_or(SmallVector<int64_t>(rank, 1));
  if (strides.size() != rank || dilations.size() != rank)
    return n.emitError() << n.node.op_type() << " strides/dilations need "
                         << rank << " entries";
  ArrayRef<int64_t> spatial = type.getShape().drop_front(2);
  FailureOr<SmallVector<int64_t>> pads =
      resolvePads(n, spatial, *kernel, strides, dilations);
  if (failed(pads))
    return failure();
  if (n.getInt("ceil_mode", 0)) {
    if (!isMax)
      return n.emitError() << "AveragePool with ceil_mode=1 is not supported";
    // Extra end padding turns the floor rule into the ceil rule; a window
    // must still start inside the input or its begin padding.
    for (size_t i = 0; i < rank; ++i) {
      int64_t extent = ((*kernel)[i] - 1) * dilations[i] + 1;
      int64_t padded = spatial[i] + (*pads)[i] + (*pads)[i + rank];
      int64_t out = (padded - extent + strides[i] - 1) / strides[i] + 1;
      if ((out - 1) * strides[i] >= spatial[i] + (*pads)[i])
        --out;
      int64_t needed = (out - 1) * strides[i] + extent - padded;
      (*pads)[i + rank] += std::max<int64_t>(0, needed);
    }
  }
  auto attr = [&](ArrayRef<int64_t> v) {
    return n.builder.getDenseI64ArrayAttr(v);
  };
  if (isMax)
    return single(n, build<MaxPoolOp>(n, *x, attr(*kernel), attr(strides),
                                      attr(*pads), attr(dilations)));
  if (llvm::any_of(dilations, [](int64_t d) { return d != 1; }))
    return n.emitError() << "AveragePool with dilations is not supported";
  return single(n, build<AvgPoolOp>(n, *x, attr(*kernel), attr(strides),
                                    attr(*pads),
                                    n.builder.getBoolAttr(
                                        n.getInt("count_include_pad", 0))));
}

LogicalResult importGlobalAveragePool(NodeImporter &n) {
  FailureOr<Value> x = n.requireInput(0);
  if (failed(x))
    return failure();
  SmallVector<int64_t> axes;
  for (int64_t d = 2; d < n.inputType(0).getRank(); ++d)
    axes.push_back(d);
  return single(n, build<ReduceMeanOp>(n, *x, n.builder.getDenseI64ArrayAttr(axes),
                                       n.builder.getBoolAttr(true)));
}

LogicalResult importGemm(NodeImporter &n) {
  FailureOr<Value> a = n.requireInput(0), b = n.requireInput(1);
  if (failed(a) || failed(b))
    return failure();
  if (n.inputType(0).getRank() != 2 || n.inputType(1).getRank() != 2)
    return n.emitError() << "Gemm expects 2-D A and B";
  auto transpose = [&](Value v) -> FailureOr<Value> {
    return build<TransposeOp>(n, v, n.builder.getDenseI64ArrayAttr({1, 0}));
  };
  Value lhs = *a, rhs = *b;
  if (n.getInt("transA", 0)) {
    FailureOr<Value> t = transpose(lhs);
    if (failed(t))
      return failure();
    lhs = *t;
  }
  if (n.getInt("transB", 0)) {
    FailureOr<Value> t = transpose(rhs);
    if (failed(t))
      return failure();
    rhs = *t;
  }
  FailureOr<Value> result = build<MatMulOp>(n, lhs, rhs);
  if (failed(result))
    return failure();
  Type elementType = n.inputType(0).getElementType();
  float alpha = n.getFloat("alpha", 1.0f), beta = n.getFloat("beta", 1.0f);
  if (alpha != 1.0f)
    result = build<MulOp>(n, *result, splat(n, elementType, alpha));
  if (failed(result))
    return failure();
  if (Value c = n.input(2); c && beta != 0.0f) {
    if (beta != 1.0f) {
      FailureOr<Value> scaled = build<MulOp>(n, c, splat(n, elementType, beta));
      if (failed(scaled))
        return failure();
      c = *scaled;
    }
    result = build<AddOp>(n, *result, c);
  }
  return single(n, result);
}

LogicalResult importFlatten(NodeImporter &n) {
  FailureOr<Value> x = n.requireInput(0);
  if (failed(x))
    return failure();
  ArrayRef<int64_t> shape = n.inputType(0).getShape();
  int64_t rank = shape.size();
  int64_t axis = n.getInt("axis", 1);
  if (axis < -rank || axis > rank)
    return n.emitError() << "Flatten axis " << axis
                         << " is out of range for rank " << rank;
  if (axis < 0)
    axis += rank;
  n.results.push_back(reshape(
      n, *x, {product(shape.take_front(axis)), product(shape.drop_front(axis))}));
  return success();
}

LogicalResult importReshape(NodeImporter &n) {
  FailureOr<Value> x = n.requireInput(0);
  if (failed(x))
    return failure();
  FailureOr<SmallVector<int64_t>> target = n.constantInts(1, "shape");
  if (failed(target))
    return failure();
  ArrayRef<int64_t> in = n.inputType(0).getShape();
  bool allowZero = n.getInt("allowzero", 0) != 0;
  SmallVector<int64_t> shape;
  int64_t inferIndex = -1, known = 1;
  for (auto [i, d] : llvm::enumerate(*target)) {
    int64_t dim = d;
    if (d == 0 && !allowZero) {
      if (i >= in.size())
        return n.emitError() << "Reshape copies dimension " << i
                             << " (0), but the input has rank " << in.size();
      dim = in[i];
    } else if (d == -1) {
      if (inferIndex >= 0)
        return n.emitError() << "Reshape shape has more than one -1";
      inferIndex = i;
      shape.push_back(-1);
      continue;
    } else if (d < -1) {
      return n.emitError() << "Reshape shape has invalid dimension " << d;
    }
    shape.push_back(dim);
    known *= dim;
  }
  int64_t total = product(in);
  if (inferIndex >= 0) {
    if (known == 0 || total % known != 0)
      return n.emitError() << "Reshape cannot infer -1: " << total
                           << " elements do not divide into " << known;
    shape[inferIndex] = total / known;
  } else if (known != total) {
    return n.emitError() << "Reshape to " << formatShape(shape)
                         << " changes the element count from " << total;
  }
  n.results.push_back(reshape(n, *x, shape));
  return success();
}

LogicalResult importTranspose(NodeImporter &n) {
  FailureOr<Value> x = n.requireInput(0);
  if (failed(x))
    return failure();
  int64_t rank = n.inputType(0).getRank();
  SmallVector<int64_t> perm;
  if (std::optional<SmallVector<int64_t>> p = n.getInts("perm")) {
    perm = *p;
  } else {
    for (int64_t i = rank - 1; i >= 0; --i)
      perm.push_back(i);
  }
  return single(n, build<TransposeOp>(n, *x, n.builder.getDenseI64ArrayAttr(perm)));
}

LogicalResult importConcat(NodeImporter &n) {
  SmallVector<Value> inputs;
  for (unsigned i = 0; i < n.numInputs(); ++i) {
    FailureOr<Value> v = n.requireInput(i);
    if (failed(v))
      return failure();
    inputs.push_back(*v);
  }
  if (inputs.empty())
    return n.emitError() << "Concat has no inputs";
  FailureOr<int64_t> axis =
      n.normalizeAxis(n.getInt("axis", 0), n.inputType(0).getRank());
  if (failed(axis))
    return failure();
  return single(n, build<ConcatOp>(n, inputs, n.builder.getI64IntegerAttr(*axis)));
}

/// Squeeze/Unsqueeze axes: attribute before opset 13, input from 13 on.
FailureOr<SmallVector<int64_t>> getAxesOperand(NodeImporter &n,
                                               unsigned inputIndex,
                                               int64_t sinceOpset) {
  if (n.opset >= sinceOpset) {
    if (!n.input(inputIndex))
      return SmallVector<int64_t>();
    return n.constantInts(inputIndex, "axes");
  }
  return n.getInts("axes").value_or(SmallVector<int64_t>());
}

LogicalResult importSqueeze(NodeImporter &n) {
  FailureOr<Value> x = n.requireInput(0);
  if (failed(x))
    return failure();
  FailureOr<SmallVector<int64_t>> axes = getAxesOperand(n, 1, 13);
  if (failed(axes))
    return failure();
  ArrayRef<int64_t> in = n.inputType(0).getShape();
  SmallVector<bool> drop(in.size(), false);
  if (axes->empty()) {
    for (auto [i, d] : llvm::enumerate(in))
      drop[i] = d == 1;
  }
  for (int64_t a : *axes) {
    FailureOr<int64_t> axis = n.normalizeAxis(a, in.size());
    if (failed(axis))
      return failure();
    if (in[*axis] != 1)
      return n.emitError() << "Squeeze axis " << a << " has size "
                           << in[*axis] << ", not 1";
    drop[*axis] = true;
  }
  SmallVector<int64_t> shape;
  for (auto [i, d] : llvm::enumerate(in))
    if (!drop[i])
      shape.push_back(d);
  n.results.push_back(reshape(n, *x, shape));
  return success();
}

LogicalResult importUnsqueeze(NodeImporter &n) {
  FailureOr<Value> x = n.requireInput(0);
  if (failed(x))
    return failure();
  FailureOr<SmallVector<int64_t>> axes = getAxesOperand(n, 1, 13);
  if (failed(axes))
    return failure();
  ArrayRef<int64_t> in = n.inputType(0).getShape();
  int64_t outRank = in.size() + axes->size();
  SmallVector<bool> inserted(outRank, false);
  for (int64_t a : *axes) {
    FailureOr<int64_t> axis = n.normalizeAxis(a, outRank);
    if (failed(axis))
      return failure();
    if (inserted[*axis])
      return n.emitError() << "Unsqueeze axis " << a << " repeats";
    inserted[*axis] = true;
  }
  SmallVector<int64_t> shape;
  size_t next = 0;
  for (int64_t i = 0; i < outRank; ++i)
    shape.push_back(inserted[i] ? 1 : in[next++]);
  n.results.push_back(reshape(n, *x, shape));
  return success();
}

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

LogicalResult importShape(NodeImporter &n) {
  FailureOr<Value> x = n.requireInput(0);
  if (failed(x))
    return failure();
  ArrayRef<int64_t> shape = n.inputType(0).getShape();
  int64_t rank = shape.size();
  int64_t start = n.getInt("start", 0), end = n.getInt("end", rank);
  if (start < 0)
    start += rank;
  if (end < 0)
    end += rank;
  start = std::clamp<int64_t>(start, 0, rank);
  end = std::clamp<int64_t>(end, start, rank);
  SmallVector<int64_t> dims(shape.slice(start, end - start));
  auto type = RankedTensorType::get({end - start}, n.builder.getI64Type());
  n.results.push_back(ConstantOp::create(
      n.builder, n.loc, DenseElementsAttr::get(type, ArrayRef<int64_t>(dims))));
  return success();
}

} // namespace

const llvm::StringMap<OpImporterFn> &mlir::qcc::onnx_import::getOpImporters() {
  static const llvm::StringMap<OpImporterFn> table = {
      {"Abs", importUnary<AbsOp>},
      {"Add", importBinary<AddOp>},
      {"AveragePool", importPool},
      {"BatchNormalization", importBatchNorm},
      {"Cast", importCast},
      {"Clip", importClip},
      {"Concat", importConcat},
      {"Constant", importConstant},
      {"Conv", importConv},
      {"Div", importBinary<DivOp>},
      {"Dropout", importDropout},
      {"Equal", importBinary<EqualOp>},
      {"Erf", importUnary<ErfOp>},
      {"Exp", importUnary<ExpOp>},
      {"Flatten", importFlatten},
      {"Gelu", importGelu},
      {"Gemm", importGemm},
      {"GlobalAveragePool", importGlobalAveragePool},
      {"Greater", importBinary<GreaterOp>},
      {"Identity", importIdentity},
      {"LayerNormalization", importLayerNorm},
      {"LeakyRelu", importLeakyRelu},
      {"Less", importBinary<LessOp>},
      {"MatMul", importBinary<MatMulOp>},
      {"MaxPool", importPool},
      {"Mul", importBinary<MulOp>},
      {"Neg", importUnary<NegOp>},
      {"Not", importUnary<NotOp>},
      {"Pow", importPow},
      {"ReduceMax", importReduce<ReduceMaxOp>},
      {"ReduceMean", importReduce<ReduceMeanOp>},
      {"ReduceSum", importReduce<ReduceSumOp>},
      {"Relu", importUnary<ReluOp>},
      {"Reshape", importReshape},
      {"Shape", importShape},
      {"Sigmoid", importUnary<SigmoidOp>},
      {"Softmax", importSoftmax},
      {"Sqrt", importUnary<SqrtOp>},
      {"Squeeze", importSqueeze},
      {"Sub", importBinary<SubOp>},
      {"Tanh", importUnary<TanhOp>},
      {"Transpose", importTranspose},
      {"Unsqueeze", importUnsqueeze},
  };
  return table;
}

SmallVector<StringRef> mlir::qcc::getSupportedONNXOps() {
  SmallVector<StringRef> names;
  for (const auto &entry : onnx_import::getOpImporters())
    names.push_back(entry.getKey());
  llvm::sort(names);
  return names;
}
