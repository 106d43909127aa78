//===- QccFolds.cpp - qcc folders -------------------------------*- C++ -*-===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//
//
// Constant folding. Its main client is the ONNX importer, which folds the
// shape-computing subgraphs exporters emit (Shape -> Gather -> Unsqueeze ->
// Concat -> Reshape, ...) into constants, and the prepare pipeline, which
// folds weight transposes. Float arithmetic is folded in f32, exactly as the
// interpreter computes it; folds give up on results above kMaxFoldElements.
//
//===----------------------------------------------------------------------===//

#include "qcc/Dialect/Qcc/IR/QccOps.h"

#include "mlir/IR/BuiltinAttributes.h"

#include <cmath>

using namespace mlir;
using namespace mlir::qcc;

/// Largest tensor a folder materialises.
static constexpr int64_t kMaxFoldElements = int64_t(1) << 24;

namespace {

/// Row-major strides of a shape.
SmallVector<int64_t> stridesOf(ArrayRef<int64_t> shape) {
  SmallVector<int64_t> strides(shape.size(), 1);
  for (int64_t i = static_cast<int64_t>(shape.size()) - 2; i >= 0; --i)
    strides[i] = strides[i + 1] * shape[i + 1];
  return strides;
}

/// Maps every element of `outShape`, in row-major order, to a source linear
/// index computed by `source(index)` from its multi-dimensional index.
template <typename Fn>
SmallVector<int64_t> mapIndices(ArrayRef<int64_t> outShape, Fn source) {
  int64_t count = ShapedType::getNumElements(outShape);
  SmallVector<int64_t> map(count), index(outShape.size(), 0);
  for (int64_t linear = 0; linear < count; ++linear) {
    map[linear] = source(ArrayRef<int64_t>(index));
    for (int64_t d = static_cast<int64_t>(outShape.size()) - 1; d >= 0; --d) {
      if (++index[d] < outShape[d])
        break;
      index[d] = 0;
    }
  }
  return map;
}

/// For each element of `outShape`, the linear index of the element of a
/// tensor of `inShape` that NumPy broadcasting reads.
SmallVector<int64_t> broadcastIndexMap(ArrayRef<int64_t> outShape,
                                       ArrayRef<int64_t> inShape) {
  SmallVector<int64_t> inStrides = stridesOf(inShape);
  size_t offset = outShape.size() - inShape.size();
  return mapIndices(outShape, [&](ArrayRef<int64_t> index) {
    int64_t src = 0;
    for (size_t d = 0; d < inShape.size(); ++d)
      if (inShape[d] != 1)
        src += index[d + offset] * inStrides[d];
    return src;
  });
}

/// Builds a tensor of `type` whose element i is element `sources[i].second`
/// of constant `inputs[sources[i].first]`; all inputs share the element type.
DenseElementsAttr gatherElements(
    RankedTensorType type, ArrayRef<DenseElementsAttr> inputs,
    ArrayRef<std::pair<unsigned, int64_t>> sources) {
  Type elementType = type.getElementType();
  if (elementType.isInteger(1)) {
    SmallVector<SmallVector<bool>> values;
    for (DenseElementsAttr in : inputs)
      values.push_back(SmallVector<bool>(in.getValues<bool>()));
    SmallVector<bool> out;
    out.reserve(sources.size());
    for (auto [which, index] : sources)
      out.push_back(values[which][index]);
    return DenseElementsAttr::get(type, ArrayRef<bool>(out));
  }
  size_t width = elementType.getIntOrFloatBitWidth() / 8;
  std::vector<char> out(sources.size() * width);
  for (auto [i, source] : llvm::enumerate(sources)) {
    DenseElementsAttr in = inputs[source.first];
    ArrayRef<char> raw = in.getRawData();
    int64_t index = in.isSplat() ? 0 : source.second;
    std::memcpy(out.data() + i * width, raw.data() + index * width, width);
  }
  return DenseElementsAttr::getFromRawBuffer(type, out);
}

DenseElementsAttr gatherElements(RankedTensorType type, DenseElementsAttr input,
                                 ArrayRef<int64_t> indices) {
  SmallVector<std::pair<unsigned, int64_t>> sources;
  sources.reserve(indices.size());
  for (int64_t index : indices)
    sources.push_back({0, index});
  return gatherElements(type, ArrayRef<DenseElementsAttr>(input), sources);
}

bool isFoldable(Type type) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  if (!tensor || !tensor.hasStaticShape() ||
      tensor.getNumElements() > kMaxFoldElements)
    return false;
  Type element = tensor.getElementType();
  return element.isF32() || isa<IntegerType>(element);
}

/// Folds an elementwise binary op on constants with broadcasting. `intFn`
/// returns nullopt when the result is undefined (division by zero): then
/// nothing is folded and the interpreter reports it.
template <typename IntFn, typename FloatFn>
OpFoldResult foldBinary(Type resultType, Attribute lhsAttr, Attribute rhsAttr,
                        IntFn intFn, FloatFn floatFn) {
  auto lhs = dyn_cast_if_present<DenseElementsAttr>(lhsAttr);
  auto rhs = dyn_cast_if_present<DenseElementsAttr>(rhsAttr);
  if (!lhs || !rhs || !isFoldable(resultType))
    return {};
  auto type = cast<RankedTensorType>(resultType);
  SmallVector<int64_t> lhsMap = broadcastIndexMap(type.getShape(),
                                                  lhs.getType().getShape());
  SmallVector<int64_t> rhsMap = broadcastIndexMap(type.getShape(),
                                                  rhs.getType().getShape());
  Type operandElement = lhs.getElementType();
  if (operandElement.isF32()) {
    SmallVector<float> a(lhs.getValues<float>()), b(rhs.getValues<float>());
    using Result = decltype(floatFn(0.0f, 0.0f));
    SmallVector<Result> out;
    for (size_t i = 0; i < lhsMap.size(); ++i)
      out.push_back(floatFn(a[lhs.isSplat() ? 0 : lhsMap[i]],
                            b[rhs.isSplat() ? 0 : rhsMap[i]]));
    if constexpr (std::is_same_v<Result, bool>)
      return DenseElementsAttr::get(type, ArrayRef<bool>(out));
    else
      return DenseElementsAttr::get(type, ArrayRef<float>(out));
  }
  auto intType = dyn_cast<IntegerType>(operandElement);
  if (!intType || intType.getWidth() == 1)
    return {};
  SmallVector<APInt> a(lhs.getValues<APInt>()), b(rhs.getValues<APInt>());
  bool isUnsigned = intType.isUnsigned();
  SmallVector<APInt> out;
  for (size_t i = 0; i < lhsMap.size(); ++i) {
    std::optional<APInt> v = intFn(a[lhs.isSplat() ? 0 : lhsMap[i]],
                                   b[rhs.isSplat() ? 0 : rhsMap[i]], isUnsigned);
    if (!v)
      return {};
    out.push_back(*v);
  }
  return DenseElementsAttr::get(type, out);
}

} // namespace

//===----------------------------------------------------------------------===//
// Constants and arithmetic
//===----------------------------------------------------------------------===//

OpFoldResult ConstantOp::fold(FoldAdaptor) { return getValue(); }

OpFoldResult AddOp::fold(FoldAdaptor adaptor) {
  return foldBinary(
      getType(), adaptor.getLhs(), adaptor.getRhs(),
      [](const APInt &a, const APInt &b, bool) { return std::optional(a + b); },
      [](float a, float b) { return a + b; });
}

OpFoldResult SubOp::fold(FoldAdaptor adaptor) {
  return foldBinary(
      getType(), adaptor.getLhs(), adaptor.getRhs(),
      [](const APInt &a, const APInt &b, bool) { return std::optional(a - b); },
      [](float a, float b) { return a - b; });
}

OpFoldResult MulOp::fold(FoldAdaptor adaptor) {
  return foldBinary(
      getType(), adaptor.getLhs(), adaptor.getRhs(),
      [](const APInt &a, const APInt &b, bool) { return std::optional(a * b); },
      [](float a, float b) { return a * b; });
}

OpFoldResult DivOp::fold(FoldAdaptor adaptor) {
  return foldBinary(
      getType(), adaptor.getLhs(), adaptor.getRhs(),
      [](const APInt &a, const APInt &b, bool isUnsigned)
          -> std::optional<APInt> {
        // Integer division truncates toward zero (C semantics, as ONNX
        // runtimes do); the one overflowing case (MIN / -1) is not folded.
        if (b.isZero() || (!isUnsigned && a.isMinSignedValue() &&
                           b.isAllOnes()))
          return std::nullopt;
        return isUnsigned ? a.udiv(b) : a.sdiv(b);
      },
      [](float a, float b) { return a / b; });
}

OpFoldResult PowOp::fold(FoldAdaptor) {
  // std::pow and the target's pow may differ in the last ulp: not folded.
  return {};
}

template <typename Pred>
static OpFoldResult foldCompare(Type type, Attribute lhs, Attribute rhs,
                                Pred pred) {
  return foldBinary(
      type, lhs, rhs,
      [](const APInt &, const APInt &, bool) -> std::optional<APInt> {
        return std::nullopt;
      },
      [&](float a, float b) { return pred(a, b); });
}

/// Integer comparisons: like foldBinary, but producing i1.
template <typename Pred>
static OpFoldResult foldIntCompare(RankedTensorType type, Attribute lhsAttr,
                                   Attribute rhsAttr, Pred pred) {
  auto lhs = dyn_cast_if_present<DenseElementsAttr>(lhsAttr);
  auto rhs = dyn_cast_if_present<DenseElementsAttr>(rhsAttr);
  if (!lhs || !rhs || !isFoldable(type))
    return {};
  auto intType = dyn_cast<IntegerType>(lhs.getElementType());
  if (!intType)
    return foldCompare(type, lhsAttr, rhsAttr,
                       [&](float a, float b) { return pred(a, b); });
  SmallVector<int64_t> lhsMap =
      broadcastIndexMap(type.getShape(), lhs.getType().getShape());
  SmallVector<int64_t> rhsMap =
      broadcastIndexMap(type.getShape(), rhs.getType().getShape());
  SmallVector<APInt> a(lhs.getValues<APInt>()), b(rhs.getValues<APInt>());
  SmallVector<bool> out;
  bool isUnsigned = intType.isUnsigned() || intType.getWidth() == 1;
  for (size_t i = 0; i < lhsMap.size(); ++i) {
    const APInt &x = a[lhs.isSplat() ? 0 : lhsMap[i]];
    const APInt &y = b[rhs.isSplat() ? 0 : rhsMap[i]];
    int cmp = isUnsigned ? (x.ult(y) ? -1 : x == y ? 0 : 1)
                         : (x.slt(y) ? -1 : x == y ? 0 : 1);
    out.push_back(pred(cmp, 0));
  }
  return DenseElementsAttr::get(type, ArrayRef<bool>(out));
}

OpFoldResult EqualOp::fold(FoldAdaptor adaptor) {
  return foldIntCompare(getType(), adaptor.getLhs(), adaptor.getRhs(),
                        [](auto a, auto b) { return a == b; });
}

OpFoldResult LessOp::fold(FoldAdaptor adaptor) {
  return foldIntCompare(getType(), adaptor.getLhs(), adaptor.getRhs(),
                        [](auto a, auto b) { return a < b; });
}

OpFoldResult GreaterOp::fold(FoldAdaptor adaptor) {
  return foldIntCompare(getType(), adaptor.getLhs(), adaptor.getRhs(),
                        [](auto a, auto b) { return a > b; });
}

OpFoldResult WhereOp::fold(FoldAdaptor adaptor) {
  auto cond = dyn_cast_if_present<DenseElementsAttr>(adaptor.getCondition());
  auto a = dyn_cast_if_present<DenseElementsAttr>(adaptor.getOnTrue());
  auto b = dyn_cast_if_present<DenseElementsAttr>(adaptor.getOnFalse());
  if (!cond || !a || !b || !isFoldable(getType()))
    return {};
  ArrayRef<int64_t> shape = getType().getShape();
  SmallVector<int64_t> condMap =
      broadcastIndexMap(shape, cond.getType().getShape());
  SmallVector<int64_t> aMap = broadcastIndexMap(shape, a.getType().getShape());
  SmallVector<int64_t> bMap = broadcastIndexMap(shape, b.getType().getShape());
  SmallVector<bool> c(cond.getValues<bool>());
  SmallVector<std::pair<unsigned, int64_t>> sources;
  for (size_t i = 0; i < condMap.size(); ++i)
    sources.push_back(c[cond.isSplat() ? 0 : condMap[i]]
                          ? std::make_pair(0u, aMap[i])
                          : std::make_pair(1u, bMap[i]));
  return gatherElements(getType(), {a, b}, sources);
}

OpFoldResult CastOp::fold(FoldAdaptor adaptor) {
  if (getInput().getType() == getType())
    return getInput();
  auto input = dyn_cast_if_present<DenseElementsAttr>(adaptor.getInput());
  if (!input || !isFoldable(getType()) ||
      !isFoldable(getInput().getType()))
    return {};
  Type from = input.getElementType(), to = getType().getElementType();
  auto toInt = dyn_cast<IntegerType>(to);
  if (auto fromInt = dyn_cast<IntegerType>(from)) {
    bool isSigned = !fromInt.isUnsigned() && fromInt.getWidth() != 1;
    if (toInt) {
      SmallVector<APInt> out;
      for (const APInt &v : input.getValues<APInt>())
        out.push_back(toInt.getWidth() == 1
                          ? APInt(1, !v.isZero())
                          : (isSigned ? v.sextOrTrunc(toInt.getWidth())
                                      : v.zextOrTrunc(toInt.getWidth())));
      return DenseElementsAttr::get(getType(), out);
    }
    if (to.isF32()) {
      SmallVector<float> out;
      for (const APInt &v : input.getValues<APInt>())
        out.push_back(isSigned ? static_cast<float>(v.getSExtValue())
                               : static_cast<float>(v.getZExtValue()));
      return DenseElementsAttr::get(getType(), ArrayRef<float>(out));
    }
    return {};
  }
  if (from.isF32() && toInt) {
    SmallVector<APInt> out;
    for (float v : input.getValues<float>()) {
      if (toInt.getWidth() == 1) {
        out.push_back(APInt(1, v != 0.0f));
        continue;
      }
      // Truncation toward zero; out-of-range values are undefined in ONNX
      // and left to the run-time cast.
      if (!std::isfinite(v) || std::fabs(v) >= 9.2e18f)
        return {};
      out.push_back(APInt(toInt.getWidth(), static_cast<int64_t>(v),
                          /*isSigned=*/true, /*implicitTrunc=*/true));
    }
    return DenseElementsAttr::get(getType(), out);
  }
  return {};
}

//===----------------------------------------------------------------------===//
// Data movement
//===----------------------------------------------------------------------===//

OpFoldResult ReshapeOp::fold(FoldAdaptor adaptor) {
  if (getInput().getType() == getType())
    return getInput();
  if (auto dense = dyn_cast_if_present<DenseElementsAttr>(adaptor.getInput()))
    return dense.reshape(getType());
  // reshape(reshape(x)) -> reshape(x): only the final shape matters.
  if (auto producer = getInput().getDefiningOp<ReshapeOp>()) {
    getInputMutable().assign(producer.getInput());
    return getResult();
  }
  return {};
}

OpFoldResult BroadcastToOp::fold(FoldAdaptor adaptor) {
  if (getInput().getType() == getType())
    return getInput();
  auto input = dyn_cast_if_present<DenseElementsAttr>(adaptor.getInput());
  if (!input || !isFoldable(getType()))
    return {};
  if (input.isSplat())
    return input.resizeSplat(getType());
  return gatherElements(getType(), input,
                        broadcastIndexMap(getType().getShape(),
                                          input.getType().getShape()));
}

OpFoldResult TransposeOp::fold(FoldAdaptor adaptor) {
  ArrayRef<int64_t> perm = getPermutation();
  bool identity = llvm::all_of(llvm::enumerate(perm), [](auto it) {
    return static_cast<int64_t>(it.index()) == it.value();
  });
  if (identity)
    return getInput();
  // A transpose of a transpose is one transpose: result dimension d is the
  // inner input's dimension inner[perm[d]]. In place, or the inner input
  // when the two cancel.
  if (auto inner = getInput().getDefiningOp<TransposeOp>()) {
    ArrayRef<int64_t> innerPerm = inner.getPermutation();
    SmallVector<int64_t> composed;
    for (int64_t d : perm)
      composed.push_back(innerPerm[d]);
    if (llvm::equal(composed, llvm::seq<int64_t>(0, composed.size())))
      return inner.getInput();
    getInputMutable().assign(inner.getInput());
    setPermutation(composed);
    return getResult();
  }
  auto input = dyn_cast_if_present<DenseElementsAttr>(adaptor.getInput());
  if (!input || !isFoldable(getType()))
    return {};
  if (input.isSplat())
    return input.resizeSplat(getType());
  SmallVector<int64_t> inStrides = stridesOf(input.getType().getShape());
  return gatherElements(
      getType(), input,
      mapIndices(getType().getShape(), [&](ArrayRef<int64_t> index) {
        int64_t src = 0;
        for (size_t d = 0; d < perm.size(); ++d)
          src += index[d] * inStrides[perm[d]];
        return src;
      }));
}

OpFoldResult ConcatOp::fold(FoldAdaptor adaptor) {
  if (getInputs().size() == 1)
    return getInputs().front();
  if (!isFoldable(getType()))
    return {};
  SmallVector<DenseElementsAttr> inputs;
  for (Attribute attr : adaptor.getInputs()) {
    auto dense = dyn_cast_if_present<DenseElementsAttr>(attr);
    if (!dense)
      return {};
    inputs.push_back(dense);
  }
  int64_t axis = getAxis();
  ArrayRef<int64_t> outShape = getType().getShape();
  int64_t outer = ShapedType::getNumElements(outShape.take_front(axis));
  int64_t inner = ShapedType::getNumElements(outShape.drop_front(axis + 1));
  SmallVector<std::pair<unsigned, int64_t>> sources;
  for (int64_t o = 0; o < outer; ++o)
    for (auto [which, in] : llvm::enumerate(inputs)) {
      int64_t chunk = in.getType().getDimSize(axis) * inner;
      for (int64_t i = 0; i < chunk; ++i)
        sources.push_back({static_cast<unsigned>(which), o * chunk + i});
    }
  return gatherElements(getType(), inputs, sources);
}

OpFoldResult SliceOp::fold(FoldAdaptor adaptor) {
  if (getInput().getType() == getType() &&
      llvm::all_of(getSteps(), [](int64_t s) { return s == 1; }))
    return getInput();
  auto input = dyn_cast_if_present<DenseElementsAttr>(adaptor.getInput());
  if (!input || !isFoldable(getType()))
    return {};
  if (input.isSplat())
    return input.resizeSplat(getType());
  SmallVector<int64_t> inStrides = stridesOf(input.getType().getShape());
  ArrayRef<int64_t> starts = getStarts(), steps = getSteps();
  return gatherElements(
      getType(), input,
      mapIndices(getType().getShape(), [&](ArrayRef<int64_t> index) {
        int64_t src = 0;
        for (size_t d = 0; d < index.size(); ++d)
          src += (starts[d] + index[d] * steps[d]) * inStrides[d];
        return src;
      }));
}

OpFoldResult GatherOp::fold(FoldAdaptor adaptor) {
  auto data = dyn_cast_if_present<DenseElementsAttr>(adaptor.getData());
  auto indices = dyn_cast_if_present<DenseElementsAttr>(adaptor.getIndices());
  if (!data || !indices || !isFoldable(getType()))
    return {};
  int64_t axis = getAxis();
  ArrayRef<int64_t> dataShape = data.getType().getShape();
  int64_t dim = dataShape[axis];
  int64_t outer = ShapedType::getNumElements(dataShape.take_front(axis));
  int64_t inner = ShapedType::getNumElements(dataShape.drop_front(axis + 1));
  SmallVector<int64_t> idx;
  for (const APInt &v : indices.getValues<APInt>()) {
    int64_t i = v.getSExtValue();
    if (i < -dim || i >= dim)
      return {}; // Out of range: reported when executed.
    idx.push_back(i < 0 ? i + dim : i);
  }
  SmallVector<int64_t> map;
  map.reserve(getType().getNumElements());
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i : idx)
      for (int64_t k = 0; k < inner; ++k)
        map.push_back((o * dim + i) * inner + k);
  return gatherElements(getType(), data, map);
}
