//===- QccOps.cpp - qcc op verifiers and type inference ---------*- C++ -*-===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//
//
// Result-type inference doubles as verification: InferTypeOpInterface checks
// every op's declared result type against what is inferred here, so an
// ill-formed op is reported with the reason computed below.
//
//===----------------------------------------------------------------------===//

#include "qcc/Dialect/Qcc/IR/QccOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/OpImplementation.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallSet.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace mlir::qcc;

//===----------------------------------------------------------------------===//
// Shared helpers
//===----------------------------------------------------------------------===//

/// Returns the operand's type as a statically shaped tensor, or null.
static RankedTensorType getStaticTensorType(Value value) {
  auto type = dyn_cast_if_present<RankedTensorType>(value.getType());
  if (!type || !type.hasStaticShape())
    return {};
  return type;
}

FailureOr<SmallVector<int64_t>>
mlir::qcc::broadcastShapes(ArrayRef<int64_t> lhs, ArrayRef<int64_t> rhs) {
  size_t rank = std::max(lhs.size(), rhs.size());
  SmallVector<int64_t> result(rank);
  for (size_t i = 0; i < rank; ++i) {
    int64_t l = i < lhs.size() ? lhs[lhs.size() - 1 - i] : 1;
    int64_t r = i < rhs.size() ? rhs[rhs.size() - 1 - i] : 1;
    if (l != r && l != 1 && r != 1)
      return failure();
    result[rank - 1 - i] = l == 1 ? r : l;
  }
  return result;
}

LogicalResult mlir::qcc::inferBroadcastResult(std::optional<Location> loc,
                                              Value lhs, Value rhs,
                                              Type resultElementType,
                                              SmallVectorImpl<Type> &inferred) {
  RankedTensorType lhsType = getStaticTensorType(lhs);
  RankedTensorType rhsType = getStaticTensorType(rhs);
  if (!lhsType || !rhsType)
    return emitOptionalError(loc, "operands must be statically shaped tensors");
  if (lhsType.getElementType() != rhsType.getElementType())
    return emitOptionalError(loc, "operand element types differ: ",
                             lhsType.getElementType(), " vs ",
                             rhsType.getElementType());
  FailureOr<SmallVector<int64_t>> shape =
      broadcastShapes(lhsType.getShape(), rhsType.getShape());
  if (failed(shape))
    return emitOptionalError(loc, "operand types ", lhsType, " and ", rhsType,
                             " are not broadcast-compatible");
  inferred.push_back(RankedTensorType::get(
      *shape, resultElementType ? resultElementType
                                : lhsType.getElementType()));
  return success();
}

LogicalResult mlir::qcc::inferReduceResult(std::optional<Location> loc,
                                           Value input, ArrayRef<int64_t> axes,
                                           bool keepDims,
                                           SmallVectorImpl<Type> &inferred) {
  RankedTensorType type = getStaticTensorType(input);
  if (!type)
    return emitOptionalError(loc, "input must be a statically shaped tensor");
  int64_t rank = type.getRank();
  for (auto [i, axis] : llvm::enumerate(axes)) {
    if (axis < 0 || axis >= rank)
      return emitOptionalError(loc, "axis ", axis, " out of range for rank ",
                               rank);
    if (i > 0 && axes[i - 1] >= axis)
      return emitOptionalError(loc, "axes must be sorted and unique");
  }
  SmallVector<int64_t> shape;
  for (int64_t d = 0; d < rank; ++d) {
    if (!llvm::is_contained(axes, d))
      shape.push_back(type.getDimSize(d));
    else if (keepDims)
      shape.push_back(1);
  }
  inferred.push_back(RankedTensorType::get(shape, type.getElementType()));
  return success();
}

/// Element type of a linear op's result: the operands' float type, or i32
/// for 8-bit (signed or unsigned) or i32 integer operands.
static FailureOr<Type> inferLinearElementType(std::optional<Location> loc,
                                              Type lhs, Type rhs) {
  if (isa<FloatType>(lhs) && lhs == rhs)
    return lhs;
  auto isByte = [](Type t) { return t.isInteger(8); };
  if ((isByte(lhs) && isByte(rhs)) ||
      (lhs.isSignlessInteger(32) && rhs.isSignlessInteger(32)))
    return Type(IntegerType::get(lhs.getContext(), 32));
  return emitOptionalError(loc, "unsupported operand element types ", lhs,
                           " and ", rhs,
                           ": expected one float type, 8-bit integers or i32");
}

/// Spatial output sizes of a sliding-window op (convolution, pooling), using
/// ONNX's floor rule. `pads` holds all begins, then all ends.
static FailureOr<SmallVector<int64_t>>
inferWindowOutput(std::optional<Location> loc, ArrayRef<int64_t> spatial,
                  ArrayRef<int64_t> kernel, ArrayRef<int64_t> strides,
                  ArrayRef<int64_t> pads, ArrayRef<int64_t> dilations) {
  size_t n = spatial.size();
  if (kernel.size() != n || strides.size() != n || dilations.size() != n ||
      pads.size() != 2 * n)
    return emitOptionalError(
        loc, "expected ", n, " kernel sizes, strides and dilations and ",
        2 * n, " pads for ", n, " spatial dimensions");
  SmallVector<int64_t> out;
  for (size_t i = 0; i < n; ++i) {
    if (kernel[i] < 1 || strides[i] < 1 || dilations[i] < 1)
      return emitOptionalError(
          loc, "kernel sizes, strides and dilations must be positive");
    if (pads[i] < 0 || pads[i + n] < 0)
      return emitOptionalError(loc, "pads must be non-negative");
    int64_t extent = (kernel[i] - 1) * dilations[i] + 1;
    int64_t padded = spatial[i] + pads[i] + pads[i + n];
    if (padded < extent)
      return emitOptionalError(loc, "window of extent ", extent,
                               " does not fit spatial dimension ", i,
                               " of padded size ", padded);
    out.push_back((padded - extent) / strides[i] + 1);
  }
  return out;
}

//===----------------------------------------------------------------------===//
// ConstantOp
//===----------------------------------------------------------------------===//

LogicalResult ConstantOp::inferReturnTypes(MLIRContext *,
                                           std::optional<Location> loc,
                                           Adaptor adaptor,
                                           SmallVectorImpl<Type> &inferred) {
  auto type = dyn_cast_if_present<RankedTensorType>(
      adaptor.getValue() ? adaptor.getValue().getType() : Type());
  if (!type || !type.hasStaticShape())
    return emitOptionalError(loc, "value must be a statically shaped tensor");
  inferred.push_back(type);
  return success();
}

//===----------------------------------------------------------------------===//
// WhereOp
//===----------------------------------------------------------------------===//

LogicalResult WhereOp::inferReturnTypes(MLIRContext *,
                                        std::optional<Location> loc,
                                        Adaptor adaptor,
                                        SmallVectorImpl<Type> &inferred) {
  SmallVector<Type, 1> values;
  if (failed(inferBroadcastResult(loc, adaptor.getOnTrue(),
                                  adaptor.getOnFalse(), {}, values)))
    return failure();
  RankedTensorType cond = getStaticTensorType(adaptor.getCondition());
  if (!cond)
    return emitOptionalError(loc, "condition must be a static tensor");
  auto valueType = cast<RankedTensorType>(values.front());
  FailureOr<SmallVector<int64_t>> shape =
      broadcastShapes(cond.getShape(), valueType.getShape());
  if (failed(shape))
    return emitOptionalError(loc, "condition type ", cond,
                             " is not broadcast-compatible with ", valueType);
  inferred.push_back(
      RankedTensorType::get(*shape, valueType.getElementType()));
  return success();
}

//===----------------------------------------------------------------------===//
// ClipOp
//===----------------------------------------------------------------------===//

LogicalResult ClipOp::verify() {
  std::optional<APFloat> lo = getMin(), hi = getMax();
  if (lo && hi && hi->compare(*lo) == APFloat::cmpLessThan)
    return emitOpError("min ") << lo->convertToFloat() << " exceeds max "
                               << hi->convertToFloat();
  return success();
}

//===----------------------------------------------------------------------===//
// SoftmaxOp, LayerNormOp, BatchNormOp
//===----------------------------------------------------------------------===//

LogicalResult SoftmaxOp::verify() {
  int64_t rank = getType().getRank();
  int64_t axis = getAxis();
  if (axis < 0 || axis >= rank)
    return emitOpError("axis ") << axis << " out of range for rank " << rank;
  return success();
}

LogicalResult LayerNormOp::verify() {
  auto type = cast<RankedTensorType>(getInput().getType());
  int64_t axis = getAxis();
  if (axis < 0 || axis >= type.getRank())
    return emitOpError("axis ") << axis << " out of range for rank "
                                << type.getRank();
  ArrayRef<int64_t> normalized = type.getShape().drop_front(axis);
  auto check = [&](Value param, StringRef name) -> LogicalResult {
    auto paramType = cast<RankedTensorType>(param.getType());
    if (paramType.getShape() != normalized ||
        paramType.getElementType() != type.getElementType())
      return emitOpError() << name << " type " << paramType
                           << " does not match the normalised dimensions of "
                           << type;
    return success();
  };
  if (failed(check(getScale(), "scale")))
    return failure();
  if (getBias() && failed(check(getBias(), "bias")))
    return failure();
  if (getEpsilon().convertToFloat() < 0)
    return emitOpError("epsilon must be non-negative");
  return success();
}

LogicalResult BatchNormOp::verify() {
  auto type = cast<RankedTensorType>(getInput().getType());
  if (type.getRank() < 2)
    return emitOpError("input must have rank >= 2, got ") << type.getRank();
  int64_t channels = type.getDimSize(1);
  for (Value param : {getScale(), getBias(), getMean(), getVariance()}) {
    auto paramType = cast<RankedTensorType>(param.getType());
    if (paramType.getRank() != 1 || paramType.getDimSize(0) != channels ||
        paramType.getElementType() != type.getElementType())
      return emitOpError("parameters must be 1-D tensors of ")
             << channels << " " << type.getElementType() << ", got "
             << paramType;
  }
  if (getEpsilon().convertToFloat() < 0)
    return emitOpError("epsilon must be non-negative");
  return success();
}

//===----------------------------------------------------------------------===//
// ConvOp, MatMulOp
//===----------------------------------------------------------------------===//

LogicalResult ConvOp::inferReturnTypes(MLIRContext *,
                                       std::optional<Location> loc,
                                       Adaptor adaptor,
                                       SmallVectorImpl<Type> &inferred) {
  RankedTensorType input = getStaticTensorType(adaptor.getInput());
  RankedTensorType weight = getStaticTensorType(adaptor.getWeight());
  if (!input || !weight)
    return emitOptionalError(loc, "operands must be static tensors");
  if (input.getRank() < 3 || weight.getRank() != input.getRank())
    return emitOptionalError(loc, "expected input and weight of equal rank "
                                  ">= 3, got ",
                             input, " and ", weight);
  FailureOr<Type> elementType = inferLinearElementType(
      loc, input.getElementType(), weight.getElementType());
  if (failed(elementType))
    return failure();
  int64_t group = adaptor.getGroup();
  int64_t channels = input.getDimSize(1);
  int64_t filters = weight.getDimSize(0);
  if (group < 1 || channels % group != 0 || filters % group != 0)
    return emitOptionalError(loc, "group ", group,
                             " must divide the input channels (", channels,
                             ") and the filters (", filters, ")");
  if (weight.getDimSize(1) * group != channels)
    return emitOptionalError(loc, "weight has ", weight.getDimSize(1),
                             " channels per group, expected ",
                             channels / group);
  if (Value bias = adaptor.getBias()) {
    RankedTensorType biasType = getStaticTensorType(bias);
    if (!biasType || biasType.getRank() != 1 ||
        biasType.getDimSize(0) != filters ||
        biasType.getElementType() != *elementType)
      return emitOptionalError(loc, "bias must be a 1-D tensor of ", filters,
                               " ", *elementType);
  }
  FailureOr<SmallVector<int64_t>> spatial = inferWindowOutput(
      loc, input.getShape().drop_front(2), weight.getShape().drop_front(2),
      adaptor.getStrides(), adaptor.getPads(), adaptor.getDilations());
  if (failed(spatial))
    return failure();
  SmallVector<int64_t> shape = {input.getDimSize(0), filters};
  llvm::append_range(shape, *spatial);
  inferred.push_back(RankedTensorType::get(shape, *elementType));
  return success();
}

LogicalResult MatMulOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &inferred) {
  RankedTensorType lhs = getStaticTensorType(adaptor.getLhs());
  RankedTensorType rhs = getStaticTensorType(adaptor.getRhs());
  if (!lhs || !rhs || lhs.getRank() < 1 || rhs.getRank() < 1)
    return emitOptionalError(loc, "operands must be static tensors of rank >= 1");
  FailureOr<Type> elementType = inferLinearElementType(
      loc, lhs.getElementType(), rhs.getElementType());
  if (failed(elementType))
    return failure();
  SmallVector<int64_t> a(lhs.getShape()), b(rhs.getShape());
  if (a.size() == 1)
    a.insert(a.begin(), 1);
  if (b.size() == 1)
    b.push_back(1);
  if (a.back() != b[b.size() - 2])
    return emitOptionalError(loc, "contraction sizes differ: ", lhs, " and ",
                             rhs);
  FailureOr<SmallVector<int64_t>> shape = broadcastShapes(
      ArrayRef(a).drop_back(2), ArrayRef(b).drop_back(2));
  if (failed(shape))
    return emitOptionalError(loc, "batch dimensions of ", lhs, " and ", rhs,
                             " are not broadcast-compatible");
  if (lhs.getRank() > 1)
    shape->push_back(a[a.size() - 2]);
  if (rhs.getRank() > 1)
    shape->push_back(b.back());
  inferred.push_back(RankedTensorType::get(*shape, *elementType));
  return success();
}

FailureOr<RankedTensorType>
mlir::qcc::inferAttentionType(std::optional<Location> loc, Value qv, Value kv,
                              Value vv, Value bias, Value keyMask) {
  RankedTensorType q = getStaticTensorType(qv);
  RankedTensorType k = getStaticTensorType(kv);
  RankedTensorType v = getStaticTensorType(vv);
  if (!q || !k || !v)
    return emitOptionalError(loc, "q, k and v must be static tensors");
  int64_t rank = q.getRank();
  if (rank < 2 || k.getRank() != rank || v.getRank() != rank)
    return emitOptionalError(loc, "q, k and v must have one rank >= 2");
  if (q.getElementType() != k.getElementType() ||
      q.getElementType() != v.getElementType())
    return emitOptionalError(loc, "q, k and v must share an element type");
  ArrayRef<int64_t> batch = q.getShape().drop_back(2);
  if (k.getShape().drop_back(2) != batch || v.getShape().drop_back(2) != batch)
    return emitOptionalError(loc, "q, k and v must share leading dimensions");
  int64_t sq = q.getDimSize(rank - 2), sk = k.getDimSize(rank - 2);
  if (k.getDimSize(rank - 1) != q.getDimSize(rank - 1))
    return emitOptionalError(loc, "q and k head sizes differ: ", q, " and ", k);
  if (v.getDimSize(rank - 2) != sk)
    return emitOptionalError(loc, "v has ", v.getDimSize(rank - 2),
                             " keys, k has ", sk);
  SmallVector<int64_t> scores(batch);
  scores.append({sq, sk});
  if (bias) {
    RankedTensorType biasType = getStaticTensorType(bias);
    FailureOr<SmallVector<int64_t>> shape =
        biasType ? broadcastShapes(scores, biasType.getShape())
                 : FailureOr<SmallVector<int64_t>>(failure());
    if (failed(shape) || ArrayRef<int64_t>(*shape) != ArrayRef(scores) ||
        biasType.getElementType() != q.getElementType())
      return emitOptionalError(loc, "bias must broadcast to the scores shape ",
                               RankedTensorType::get(scores,
                                                     q.getElementType()));
  }
  if (keyMask) {
    RankedTensorType maskType = getStaticTensorType(keyMask);
    if (!maskType || maskType.getRank() != 2 || rank < 3 ||
        maskType.getDimSize(0) != q.getDimSize(0) ||
        maskType.getDimSize(1) != sk)
      return emitOptionalError(loc, "key_mask must be [", q.getDimSize(0),
                               ", ", sk, "] for q of rank >= 3");
  }
  SmallVector<int64_t> shape(batch);
  shape.append({sq, v.getDimSize(rank - 1)});
  return RankedTensorType::get(shape, q.getElementType());
}

LogicalResult AttentionOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &inferred) {
  FailureOr<RankedTensorType> type =
      inferAttentionType(loc, adaptor.getQ(), adaptor.getK(), adaptor.getV(),
                         adaptor.getBias(), adaptor.getKeyMask());
  if (failed(type))
    return failure();
  inferred.push_back(*type);
  return success();
}

//===----------------------------------------------------------------------===//
// Pooling
//===----------------------------------------------------------------------===//

/// Shared inference of max_pool / avg_pool.
static LogicalResult inferPoolResult(std::optional<Location> loc, Value input,
                                     ArrayRef<int64_t> kernel,
                                     ArrayRef<int64_t> strides,
                                     ArrayRef<int64_t> pads,
                                     ArrayRef<int64_t> dilations,
                                     SmallVectorImpl<Type> &inferred) {
  RankedTensorType type = getStaticTensorType(input);
  if (!type || type.getRank() < 3)
    return emitOptionalError(loc, "input must be a static tensor of rank >= 3");
  FailureOr<SmallVector<int64_t>> spatial = inferWindowOutput(
      loc, type.getShape().drop_front(2), kernel, strides, pads, dilations);
  if (failed(spatial))
    return failure();
  SmallVector<int64_t> shape(type.getShape().take_front(2));
  llvm::append_range(shape, *spatial);
  inferred.push_back(RankedTensorType::get(shape, type.getElementType()));
  return success();
}

LogicalResult MaxPoolOp::inferReturnTypes(MLIRContext *,
                                          std::optional<Location> loc,
                                          Adaptor adaptor,
                                          SmallVectorImpl<Type> &inferred) {
  return inferPoolResult(loc, adaptor.getInput(), adaptor.getKernelShape(),
                         adaptor.getStrides(), adaptor.getPads(),
                         adaptor.getDilations(), inferred);
}

LogicalResult AvgPoolOp::inferReturnTypes(MLIRContext *,
                                          std::optional<Location> loc,
                                          Adaptor adaptor,
                                          SmallVectorImpl<Type> &inferred) {
  SmallVector<int64_t> dilations(adaptor.getKernelShape().size(), 1);
  return inferPoolResult(loc, adaptor.getInput(), adaptor.getKernelShape(),
                         adaptor.getStrides(), adaptor.getPads(), dilations,
                         inferred);
}

//===----------------------------------------------------------------------===//
// Data movement
//===----------------------------------------------------------------------===//

LogicalResult ReshapeOp::verify() {
  auto in = cast<RankedTensorType>(getInput().getType());
  if (in.getElementType() != getType().getElementType())
    return emitOpError("element type changes from ")
           << in.getElementType() << " to " << getType().getElementType();
  if (in.getNumElements() != getType().getNumElements())
    return emitOpError("element count changes from ")
           << in.getNumElements() << " to " << getType().getNumElements();
  return success();
}

LogicalResult TransposeOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &inferred) {
  RankedTensorType type = getStaticTensorType(adaptor.getInput());
  if (!type)
    return emitOptionalError(loc, "input must be a static tensor");
  ArrayRef<int64_t> perm = adaptor.getPermutation();
  int64_t rank = type.getRank();
  SmallVector<bool> seen(rank, false);
  if (static_cast<int64_t>(perm.size()) != rank)
    return emitOptionalError(loc, "permutation has ", perm.size(),
                             " entries for rank ", rank);
  SmallVector<int64_t> shape;
  for (int64_t p : perm) {
    if (p < 0 || p >= rank || seen[p])
      return emitOptionalError(loc, "permutation is not a permutation of [0, ",
                               rank, ")");
    seen[p] = true;
    shape.push_back(type.getDimSize(p));
  }
  inferred.push_back(RankedTensorType::get(shape, type.getElementType()));
  return success();
}

LogicalResult ConcatOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &inferred) {
  ValueRange inputs = adaptor.getInputs();
  if (inputs.empty())
    return emitOptionalError(loc, "expected at least one input");
  RankedTensorType first = getStaticTensorType(inputs.front());
  if (!first)
    return emitOptionalError(loc, "inputs must be static tensors");
  int64_t axis = adaptor.getAxis();
  if (axis < 0 || axis >= first.getRank())
    return emitOptionalError(loc, "axis ", axis, " out of range for rank ",
                             first.getRank());
  SmallVector<int64_t> shape(first.getShape());
  shape[axis] = 0;
  for (Value input : inputs) {
    RankedTensorType type = getStaticTensorType(input);
    if (!type || type.getRank() != first.getRank() ||
        type.getElementType() != first.getElementType())
      return emitOptionalError(loc, "inputs must share rank and element type");
    for (int64_t d = 0; d < type.getRank(); ++d)
      if (d != axis && type.getDimSize(d) != first.getDimSize(d))
        return emitOptionalError(loc, "input ", type,
                                 " differs from the first input ", first,
                                 " outside axis ", axis);
    shape[axis] += type.getDimSize(axis);
  }
  inferred.push_back(RankedTensorType::get(shape, first.getElementType()));
  return success();
}

LogicalResult SliceOp::inferReturnTypes(MLIRContext *,
                                        std::optional<Location> loc,
                                        Adaptor adaptor,
                                        SmallVectorImpl<Type> &inferred) {
  RankedTensorType type = getStaticTensorType(adaptor.getInput());
  if (!type)
    return emitOptionalError(loc, "input must be a static tensor");
  ArrayRef<int64_t> starts = adaptor.getStarts(), ends = adaptor.getEnds(),
                    steps = adaptor.getSteps();
  int64_t rank = type.getRank();
  if (static_cast<int64_t>(starts.size()) != rank ||
      static_cast<int64_t>(ends.size()) != rank ||
      static_cast<int64_t>(steps.size()) != rank)
    return emitOptionalError(loc, "expected ", rank,
                             " starts, ends and steps");
  SmallVector<int64_t> shape;
  for (int64_t d = 0; d < rank; ++d) {
    int64_t dim = type.getDimSize(d), start = starts[d], end = ends[d],
            step = steps[d];
    if (step > 0 && 0 <= start && start <= end && end <= dim) {
      shape.push_back((end - start + step - 1) / step);
    } else if (step < 0 && -1 <= end && end <= start && start <= dim - 1) {
      shape.push_back((start - end - step - 1) / -step);
    } else {
      return emitOptionalError(loc, "slice [", start, ", ", end, ") step ",
                               step, " is not normalised for dimension ", d,
                               " of size ", dim);
    }
  }
  inferred.push_back(RankedTensorType::get(shape, type.getElementType()));
  return success();
}

LogicalResult GatherOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &inferred) {
  RankedTensorType data = getStaticTensorType(adaptor.getData());
  RankedTensorType indices = getStaticTensorType(adaptor.getIndices());
  if (!data || !indices)
    return emitOptionalError(loc, "operands must be static tensors");
  int64_t axis = adaptor.getAxis();
  if (axis < 0 || axis >= data.getRank())
    return emitOptionalError(loc, "axis ", axis, " out of range for rank ",
                             data.getRank());
  SmallVector<int64_t> shape(data.getShape().take_front(axis));
  llvm::append_range(shape, indices.getShape());
  llvm::append_range(shape, data.getShape().drop_front(axis + 1));
  inferred.push_back(RankedTensorType::get(shape, data.getElementType()));
  return success();
}

LogicalResult PadOp::inferReturnTypes(MLIRContext *,
                                      std::optional<Location> loc,
                                      Adaptor adaptor,
                                      SmallVectorImpl<Type> &inferred) {
  RankedTensorType type = getStaticTensorType(adaptor.getInput());
  if (!type)
    return emitOptionalError(loc, "input must be a static tensor");
  int64_t rank = type.getRank();
  ArrayRef<int64_t> pads = adaptor.getPads();
  if (static_cast<int64_t>(pads.size()) != 2 * rank)
    return emitOptionalError(loc, "expected ", 2 * rank, " pads, got ",
                             pads.size());
  TypedAttr value = adaptor.getValue();
  if (!value || value.getType() != type.getElementType())
    return emitOptionalError(loc, "pad value must have the element type ",
                             type.getElementType());
  PadMode mode = adaptor.getMode();
  SmallVector<int64_t> shape;
  for (int64_t d = 0; d < rank; ++d) {
    int64_t before = pads[d], after = pads[d + rank], dim = type.getDimSize(d);
    if (before < 0 || after < 0)
      return emitOptionalError(loc, "pads must be non-negative");
    if (mode == PadMode::Reflect && (before > 0 || after > 0) &&
        (before >= dim || after >= dim))
      return emitOptionalError(loc, "reflect padding of dimension ", d,
                               " must be smaller than its size ", dim);
    if (mode == PadMode::Edge && dim == 0 && (before > 0 || after > 0))
      return emitOptionalError(loc, "edge padding of an empty dimension");
    shape.push_back(dim + before + after);
  }
  inferred.push_back(RankedTensorType::get(shape, type.getElementType()));
  return success();
}

LogicalResult BroadcastToOp::verify() {
  auto in = cast<RankedTensorType>(getInput().getType());
  RankedTensorType out = getType();
  if (in.getElementType() != out.getElementType())
    return emitOpError("element type changes from ")
           << in.getElementType() << " to " << out.getElementType();
  FailureOr<SmallVector<int64_t>> shape =
      broadcastShapes(in.getShape(), out.getShape());
  if (failed(shape) || ArrayRef<int64_t>(*shape) != out.getShape())
    return emitOpError("cannot broadcast ") << in << " to " << out;
  return success();
}

//===----------------------------------------------------------------------===//
// QuantizeOp, DequantizeOp
//===----------------------------------------------------------------------===//

/// Checks the affine parameters of quantize/dequantize against the integer
/// storage type and the shape.
static LogicalResult verifyAffineQuant(Operation *op, RankedTensorType shaped,
                                       IntegerType storage,
                                       ArrayRef<float> scales,
                                       ArrayRef<int64_t> zeroPoints,
                                       int64_t axis) {
  if (scales.empty() || scales.size() != zeroPoints.size())
    return op->emitOpError("expected as many zero points as scales (>= 1), "
                           "got ")
           << zeroPoints.size() << " and " << scales.size();
  if (scales.size() > 1) {
    if (axis < 0 || axis >= shaped.getRank())
      return op->emitOpError("axis ")
             << axis << " out of range for rank " << shaped.getRank();
    if (static_cast<int64_t>(scales.size()) != shaped.getDimSize(axis))
      return op->emitOpError("expected 1 or ")
             << shaped.getDimSize(axis) << " scales for axis " << axis
             << ", got " << scales.size();
  }
  for (float scale : scales)
    if (!(scale > 0) || !std::isfinite(scale))
      return op->emitOpError("scales must be positive and finite, got ")
             << scale;
  unsigned width = storage.getWidth();
  bool isUnsigned = storage.isUnsigned();
  int64_t lo = isUnsigned ? 0 : -(int64_t(1) << (width - 1));
  int64_t hi = isUnsigned ? (int64_t(1) << width) - 1
                          : (int64_t(1) << (width - 1)) - 1;
  for (int64_t zp : zeroPoints)
    if (zp < lo || zp > hi)
      return op->emitOpError("zero point ")
             << zp << " outside the range [" << lo << ", " << hi << "] of "
             << storage;
  return success();
}

LogicalResult QuantizeOp::verify() {
  return verifyAffineQuant(
      *this, getType(), cast<IntegerType>(getType().getElementType()),
      getScales(), getZeroPoints(), getAxis());
}

LogicalResult DequantizeOp::verify() {
  auto in = cast<RankedTensorType>(getInput().getType());
  return verifyAffineQuant(*this, in,
                           cast<IntegerType>(in.getElementType()),
                           getScales(), getZeroPoints(), getAxis());
}

#define GET_OP_CLASSES
#include "qcc/Dialect/Qcc/IR/QccOps.cpp.inc"
