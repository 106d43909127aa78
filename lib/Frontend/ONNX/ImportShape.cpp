//===- ImportShape.cpp - shape, indexing and data movement ops --*- C++ -*-===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//

#include "ImportHelpers.h"
#include "qcc/Support/ShapeSpec.h"

#include "mlir/IR/Matchers.h"
#include "llvm/Support/CheckedArithmetic.h"

using namespace mlir;
using namespace mlir::qcc;
using namespace mlir::qcc::onnx_import;

namespace {

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

//===----------------------------------------------------------------------===//
// Indexing and data movement
//===----------------------------------------------------------------------===//

/// Clamps one ONNX Slice range to the normalised form qcc.slice wants.
void normalizeSliceRange(int64_t dim, int64_t &start, int64_t &end,
                         int64_t step) {
  auto wrap = [dim](int64_t v) { return v < 0 ? v + dim : v; };
  start = wrap(start);
  end = wrap(end);
  if (step > 0) {
    start = std::clamp<int64_t>(start, 0, dim);
    end = std::clamp<int64_t>(end, start, dim);
  } else {
    start = std::clamp<int64_t>(start, 0, std::max<int64_t>(dim - 1, 0));
    end = std::clamp<int64_t>(end, -1, start);
    if (dim == 0)
      start = end = -1; // empty dimension: the empty slice [-1, -1)
  }
}

LogicalResult importSlice(NodeImporter &n) {
  FailureOr<Value> x = n.requireInput(0);
  if (failed(x))
    return failure();
  ArrayRef<int64_t> shape = n.inputType(0).getShape();
  int64_t rank = shape.size();
  FailureOr<SmallVector<int64_t>> starts = n.constantInts(1, "starts");
  FailureOr<SmallVector<int64_t>> ends = n.constantInts(2, "ends");
  if (failed(starts) || failed(ends))
    return failure();
  SmallVector<int64_t> axes, steps;
  if (n.input(3)) {
    FailureOr<SmallVector<int64_t>> a = n.constantInts(3, "axes");
    if (failed(a))
      return failure();
    axes = *a;
  } else {
    for (int64_t i = 0; i < static_cast<int64_t>(starts->size()); ++i)
      axes.push_back(i);
  }
  if (n.input(4)) {
    FailureOr<SmallVector<int64_t>> st = n.constantInts(4, "steps");
    if (failed(st))
      return failure();
    steps = *st;
  } else {
    steps.assign(starts->size(), 1);
  }
  if (ends->size() != starts->size() || axes.size() != starts->size() ||
      steps.size() != starts->size())
    return n.emitError() << "starts, ends, axes and steps differ in length";
  SmallVector<int64_t> outStarts(rank, 0), outEnds(shape), outSteps(rank, 1);
  SmallVector<bool> seen(rank, false);
  for (size_t i = 0; i < axes.size(); ++i) {
    FailureOr<int64_t> axis = n.normalizeAxis(axes[i], rank);
    if (failed(axis))
      return failure();
    if (seen[*axis])
      return n.emitError() << "axis " << axes[i] << " is sliced twice";
    seen[*axis] = true;
    if (steps[i] == 0)
      return n.emitError() << "step 0 on axis " << axes[i];
    int64_t start = (*starts)[i], end = (*ends)[i];
    normalizeSliceRange(shape[*axis], start, end, steps[i]);
    outStarts[*axis] = start;
    outEnds[*axis] = end;
    outSteps[*axis] = steps[i];
  }
  return single(n, build<SliceOp>(n, *x, n.builder.getDenseI64ArrayAttr(outStarts),
                                  n.builder.getDenseI64ArrayAttr(outEnds),
                                  n.builder.getDenseI64ArrayAttr(outSteps)));
}

LogicalResult importSplit(NodeImporter &n) {
  FailureOr<Value> x = n.requireInput(0);
  if (failed(x))
    return failure();
  ArrayRef<int64_t> shape = n.inputType(0).getShape();
  int64_t rank = shape.size();
  FailureOr<int64_t> axis = n.normalizeAxis(n.getInt("axis", 0), rank);
  if (failed(axis))
    return failure();
  int64_t outputs = n.node.output_size();
  SmallVector<int64_t> sizes;
  if (n.opset >= 13 && n.input(1)) {
    FailureOr<SmallVector<int64_t>> split = n.constantInts(1, "split");
    if (failed(split))
      return failure();
    sizes = *split;
  } else if (std::optional<SmallVector<int64_t>> split = n.getInts("split");
             n.opset < 13 && split) {
    sizes = *split;
  } else {
    int64_t parts = n.opset >= 18 ? n.getInt("num_outputs", outputs) : outputs;
    if (parts < 1)
      return n.emitError() << "cannot split into " << parts << " parts";
    int64_t chunk = (shape[*axis] + parts - 1) / parts;
    for (int64_t p = 0, left = shape[*axis]; p < parts; ++p) {
      sizes.push_back(std::min(chunk, left));
      left -= sizes.back();
    }
  }
  if (static_cast<int64_t>(sizes.size()) != outputs)
    return n.emitError() << sizes.size() << " split sizes for " << outputs
                         << " outputs";
  int64_t total = 0;
  for (int64_t size : sizes) {
    if (size < 0)
      return n.emitError() << "negative split size " << size;
    total += size;
  }
  if (total != shape[*axis])
    return n.emitError() << "split sizes add up to " << total
                         << ", but axis " << *axis << " has size "
                         << shape[*axis];
  int64_t offset = 0;
  for (int64_t size : sizes) {
    SmallVector<int64_t> starts(rank, 0), ends(shape), steps(rank, 1);
    starts[*axis] = offset;
    ends[*axis] = offset + size;
    offset += size;
    FailureOr<Value> part = build<SliceOp>(
        n, *x, n.builder.getDenseI64ArrayAttr(starts),
        n.builder.getDenseI64ArrayAttr(ends),
        n.builder.getDenseI64ArrayAttr(steps));
    if (failed(part))
      return failure();
    n.results.push_back(*part);
  }
  return success();
}

LogicalResult importGather(NodeImporter &n) {
  FailureOr<Value> data = n.requireInput(0), indices = n.requireInput(1);
  if (failed(data) || failed(indices))
    return failure();
  FailureOr<int64_t> axis =
      n.normalizeAxis(n.getInt("axis", 0), n.inputType(0).getRank());
  if (failed(axis))
    return failure();
  Type indexType = n.inputType(1).getElementType();
  if (!indexType.isSignlessInteger(64) && !indexType.isSignlessInteger(32))
    return n.emitError() << "indices must be int32 or int64, got "
                         << indexType;
  return single(n, build<GatherOp>(n, *data, *indices,
                                   n.builder.getI64IntegerAttr(*axis)));
}

LogicalResult importWhere(NodeImporter &n) {
  FailureOr<Value> c = n.requireInput(0), a = n.requireInput(1),
                   b = n.requireInput(2);
  if (failed(c) || failed(a) || failed(b))
    return failure();
  if (!n.inputType(0).getElementType().isInteger(1))
    return n.emitError() << "condition must be bool";
  return single(n, build<WhereOp>(n, *c, *a, *b));
}

LogicalResult importPad(NodeImporter &n) {
  FailureOr<Value> x = n.requireInput(0);
  if (failed(x))
    return failure();
  RankedTensorType type = n.inputType(0);
  int64_t rank = type.getRank();
  FailureOr<SmallVector<int64_t>> given = n.constantInts(1, "pads");
  if (failed(given))
    return failure();
  SmallVector<int64_t> axes;
  if (n.input(3)) {
    FailureOr<SmallVector<int64_t>> a = n.constantInts(3, "axes");
    if (failed(a))
      return failure();
    for (int64_t axis : *a) {
      FailureOr<int64_t> normalized = n.normalizeAxis(axis, rank);
      if (failed(normalized))
        return failure();
      axes.push_back(*normalized);
    }
  } else {
    for (int64_t d = 0; d < rank; ++d)
      axes.push_back(d);
  }
  if (given->size() != 2 * axes.size())
    return n.emitError() << "expected " << 2 * axes.size() << " pads, got "
                         << given->size();
  // Bounded like every dimension (2^40), so that negating a pad or adding it
  // to a dimension cannot overflow (INT64_MIN pads: fuzzer finding).
  for (int64_t p : *given)
    if (p < -(int64_t(1) << 40) || p > (int64_t(1) << 40))
      return n.emitError() << "pad amount " << p << " is out of range";
  SmallVector<int64_t> pads(2 * rank, 0);
  for (auto [i, axis] : llvm::enumerate(axes)) {
    pads[axis] = (*given)[i];
    pads[axis + rank] = (*given)[i + axes.size()];
  }
  std::string modeName = n.getString("mode", "constant");
  PadMode mode;
  if (modeName == "constant")
    mode = PadMode::Constant;
  else if (modeName == "reflect")
    mode = PadMode::Reflect;
  else if (modeName == "edge")
    mode = PadMode::Edge;
  else
    return n.emitError() << "pad mode '" << modeName << "' is not supported";
  Type elementType = type.getElementType();
  TypedAttr value;
  if (n.input(2)) {
    DenseElementsAttr attr;
    if (!matchPattern(n.input(2), m_Constant(&attr)) ||
        attr.getNumElements() != 1 || attr.getElementType() != elementType)
      return n.emitError() << "constant_value must be a constant scalar of "
                              "the data's element type";
    value = cast<TypedAttr>(*attr.value_begin<Attribute>());
  } else if (isa<FloatType>(elementType)) {
    value = FloatAttr::get(elementType, 0.0);
  } else {
    value = IntegerAttr::get(elementType, 0);
  }
  // Negative pads crop: slice first, then pad by the positive amounts.
  Value input = *x;
  if (llvm::any_of(pads, [](int64_t p) { return p < 0; })) {
    SmallVector<int64_t> starts(rank), ends(rank), steps(rank, 1);
    for (int64_t d = 0; d < rank; ++d) {
      starts[d] = std::max<int64_t>(0, -pads[d]);
      ends[d] = type.getDimSize(d) - std::max<int64_t>(0, -pads[d + rank]);
      if (ends[d] < starts[d])
        return n.emitError() << "negative pads remove more than dimension "
                             << d << " holds";
    }
    FailureOr<Value> cropped =
        build<SliceOp>(n, input, n.builder.getDenseI64ArrayAttr(starts),
                       n.builder.getDenseI64ArrayAttr(ends),
                       n.builder.getDenseI64ArrayAttr(steps));
    if (failed(cropped))
      return failure();
    input = *cropped;
    for (int64_t &p : pads)
      p = std::max<int64_t>(p, 0);
  }
  return single(n, build<PadOp>(n, input, n.builder.getDenseI64ArrayAttr(pads),
                                PadModeAttr::get(n.builder.getContext(), mode),
                                value));
}

LogicalResult importExpand(NodeImporter &n) {
  FailureOr<Value> x = n.requireInput(0);
  if (failed(x))
    return failure();
  FailureOr<SmallVector<int64_t>> target = n.constantInts(1, "shape");
  if (failed(target))
    return failure();
  FailureOr<SmallVector<int64_t>> shape =
      broadcastShapes(n.inputType(0).getShape(), *target);
  if (failed(shape))
    return n.emitError() << "cannot expand " << n.inputType(0) << " to "
                         << formatShape(*target);
  auto type = RankedTensorType::get(*shape, n.inputType(0).getElementType());
  n.results.push_back(n.builder.createOrFold<BroadcastToOp>(n.loc, type, *x));
  return success();
}

LogicalResult importConstantOfShape(NodeImporter &n) {
  FailureOr<SmallVector<int64_t>> shape = n.constantInts(0, "shape");
  if (failed(shape))
    return failure();
  for (int64_t d : *shape)
    if (d < 0)
      return n.emitError() << "negative dimension " << d;
  Attribute element = n.builder.getF32FloatAttr(0.0f);
  Type elementType = n.builder.getF32Type();
  if (const onnx::AttributeProto *a = n.attr("value")) {
    FailureOr<DenseElementsAttr> value =
        convertTensorProto(*n.builder.getContext(), a->t(), n.loc);
    if (failed(value))
      return failure();
    if (value->getNumElements() != 1)
      return n.emitError() << "value must hold exactly one element";
    elementType = value->getElementType();
    element = *value->value_begin<Attribute>();
  }
  auto type = RankedTensorType::get(*shape, elementType);
  n.results.push_back(ConstantOp::create(n.builder, n.loc,
                                         DenseElementsAttr::get(type, element)));
  return success();
}

LogicalResult importRange(NodeImporter &n) {
  Type elementType = n.input(0) ? n.inputType(0).getElementType() : Type();
  if (!elementType)
    return n.emitError() << "needs start, limit and delta";
  auto type = [&](int64_t count) {
    return RankedTensorType::get({count}, elementType);
  };
  if (isa<IntegerType>(elementType)) {
    FailureOr<SmallVector<int64_t>> start = n.constantInts(0, "start"),
                                    limit = n.constantInts(1, "limit"),
                                    delta = n.constantInts(2, "delta");
    if (failed(start) || failed(limit) || failed(delta))
      return failure();
    if (start->size() != 1 || limit->size() != 1 || delta->size() != 1 ||
        (*delta)[0] == 0)
      return n.emitError() << "start, limit and delta must be scalars, delta "
                              "non-zero";
    int64_t s = (*start)[0], l = (*limit)[0], d = (*delta)[0];
    // count = max(0, ceil((l - s) / d)), without overflowing on extreme
    // int64 bounds.
    std::optional<int64_t> span = llvm::checkedSub(l, s);
    if (!span)
      return n.emitError() << "range from " << s << " to " << l
                           << " is too large";
    int64_t count = 0;
    if (*span != 0 && (*span > 0) == (d > 0)) {
      uint64_t magnitude = *span > 0 ? uint64_t(*span) : 0 - uint64_t(*span);
      uint64_t step = d > 0 ? uint64_t(d) : 0 - uint64_t(d);
      uint64_t steps = magnitude / step + (magnitude % step != 0);
      if (steps > (uint64_t(1) << 24))
        return n.emitError() << "range of " << steps
                             << " elements is too large";
      count = static_cast<int64_t>(steps);
    }
    SmallVector<APInt> values;
    unsigned width = elementType.getIntOrFloatBitWidth();
    for (int64_t i = 0; i < count; ++i)
      values.push_back(APInt(width, s + i * d, /*isSigned=*/true));
    n.results.push_back(ConstantOp::create(
        n.builder, n.loc, DenseElementsAttr::get(type(count), values)));
    return success();
  }
  FailureOr<SmallVector<float>> start = n.constantFloats(0, "start"),
                                limit = n.constantFloats(1, "limit"),
                                delta = n.constantFloats(2, "delta");
  if (failed(start) || failed(limit) || failed(delta))
    return failure();
  if (start->size() != 1 || limit->size() != 1 || delta->size() != 1 ||
      (*delta)[0] == 0.0f)
    return n.emitError() << "start, limit and delta must be scalars, delta "
                            "non-zero";
  float s = (*start)[0], l = (*limit)[0], d = (*delta)[0];
  double countF = std::ceil((static_cast<double>(l) - s) / d);
  if (!(countF <= double(int64_t(1) << 24)))
    return n.emitError() << "range is too large";
  // Negative (possibly -inf) counts mean an empty range; converting them to
  // int64 first was undefined behaviour (fuzzer finding).
  int64_t count = countF > 0 ? static_cast<int64_t>(countF) : 0;
  SmallVector<float> values;
  for (int64_t i = 0; i < count; ++i)
    values.push_back(s + static_cast<float>(i) * d);
  n.results.push_back(ConstantOp::create(
      n.builder, n.loc,
      DenseElementsAttr::get(type(count), ArrayRef<float>(values))));
  return success();
}

} // namespace

void mlir::qcc::onnx_import::registerShapeImporters(
    llvm::StringMap<OpImporterFn> &table) {
  table["Concat"] = importConcat;
  table["ConstantOfShape"] = importConstantOfShape;
  table["Expand"] = importExpand;
  table["Flatten"] = importFlatten;
  table["Gather"] = importGather;
  table["Pad"] = importPad;
  table["Range"] = importRange;
  table["Reshape"] = importReshape;
  table["Shape"] = importShape;
  table["Slice"] = importSlice;
  table["Split"] = importSplit;
  table["Squeeze"] = importSqueeze;
  table["Transpose"] = importTranspose;
  table["Unsqueeze"] = importUnsqueeze;
  table["Where"] = importWhere;
}
