//===- Integerize.cpp - float graph to integer graph ----------------------===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//
//
// The qcc-integerize driver: integer representations of the function's
// arguments, the materialization of representations into the forms
// consumers need (one fused requant or requant_add each), the model
// boundary, and the removal of the float ops once every value has its
// integer form. The per-op rules are in IntegerizeLinear.cpp,
// IntegerizeNonlinear.cpp and IntegerizeShape.cpp.
//
//===----------------------------------------------------------------------===//

#include "Integerize.h"

#include "qcc/Dialect/Qcc/Transforms/Passes.h"
#include "qcc/Quant/IntegerMath.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"

#include <cmath>

namespace mlir::qcc {
#define GEN_PASS_DEF_INTEGERIZEPASS
#include "qcc/Dialect/Qcc/Transforms/Passes.h.inc"
} // namespace mlir::qcc

using namespace mlir;
using namespace mlir::qcc;

static constexpr llvm::StringLiteral kRangeAttr = "qcc.range";
static constexpr llvm::StringLiteral kRange4Attr = "qcc.range4";

std::pair<int64_t, int64_t> mlir::qcc::getTypeRange(IntegerType type) {
  unsigned width = type.getWidth();
  if (type.isUnsigned())
    return {0, width >= 63 ? INT64_MAX : (int64_t(1) << width) - 1};
  if (width >= 64)
    return {INT64_MIN, INT64_MAX};
  return {-(int64_t(1) << (width - 1)), (int64_t(1) << (width - 1)) - 1};
}

int64_t mlir::qcc::getTypeMaxMagnitude(IntegerType type) {
  auto [lo, hi] = getTypeRange(type);
  return lo == INT64_MIN ? INT64_MAX : std::max(-lo, hi);
}

/// Whether `op` belongs to the float graph the pass rewrites: it has a
/// float operand or result, or it is a QDQ quantize/dequantize.
static bool isFloatOp(Operation *op) {
  if (isa<QuantizeOp, DequantizeOp>(op))
    return true;
  auto isFloatTensor = [](Type t) {
    auto shaped = dyn_cast<ShapedType>(t);
    return shaped && isa<FloatType>(shaped.getElementType());
  };
  return llvm::any_of(op->getOperandTypes(), isFloatTensor) ||
         llvm::any_of(op->getResultTypes(), isFloatTensor);
}

Integerizer::Integerizer(func::FuncOp fn, IOKind io)
    : builder(fn.getContext()), fn(fn), io(io) {
  MLIRContext *ctx = fn.getContext();
  i8 = IntegerType::get(ctx, 8);
  ui8 = IntegerType::get(ctx, 8, IntegerType::Unsigned);
  i16 = IntegerType::get(ctx, 16);
  i32 = IntegerType::get(ctx, 32);
}

//===----------------------------------------------------------------------===//
// Ranges and targets
//===----------------------------------------------------------------------===//

/// The per-tensor scale, zero point and storage type a QDQ model gives `v`:
/// from the dequantize that defines it or the quantize that is its only
/// user.
static std::optional<std::tuple<double, int64_t, IntegerType>>
getQDQParams(Value v) {
  auto fromOp = [](ArrayRef<float> scales, ArrayRef<int64_t> zps, Type storage)
      -> std::optional<std::tuple<double, int64_t, IntegerType>> {
    if (scales.size() != 1)
      return std::nullopt;
    return std::make_tuple(static_cast<double>(scales[0]), zps[0],
                           cast<IntegerType>(storage));
  };
  if (auto dq = v.getDefiningOp<DequantizeOp>())
    return fromOp(dq.getScales(), dq.getZeroPoints(),
                  cast<ShapedType>(dq.getInput().getType()).getElementType());
  if (v.hasOneUse())
    if (auto q = dyn_cast<QuantizeOp>(*v.getUsers().begin()))
      return fromOp(q.getScales(), q.getZeroPoints(),
                    cast<ShapedType>(q.getType()).getElementType());
  return std::nullopt;
}

std::optional<std::pair<double, double>>
Integerizer::lookupRange(Value v, StringRef attrName) {
  DenseF64ArrayAttr range;
  if (auto arg = dyn_cast<BlockArgument>(v)) {
    if (arg.getOwner()->isEntryBlock() &&
        arg.getOwner()->getParentOp() == fn.getOperation())
      range =
          fn.getArgAttrOfType<DenseF64ArrayAttr>(arg.getArgNumber(), attrName);
  } else if (Operation *def = v.getDefiningOp()) {
    range = def->getAttrOfType<DenseF64ArrayAttr>(attrName);
  }
  if (range && range.size() == 2 && std::isfinite(range[0]) &&
      std::isfinite(range[1]) && range[0] <= range[1])
    return std::make_pair(range[0], range[1]);
  if (attrName != kRangeAttr)
    return std::nullopt;
  // A QDQ model gives the range of the values it quantizes.
  if (auto qdq = getQDQParams(v)) {
    auto [s, zp, type] = *qdq;
    auto [qmin, qmax] = getTypeRange(type);
    return std::make_pair((qmin - zp) * s, (qmax - zp) * s);
  }
  return std::nullopt;
}

FailureOr<std::pair<double, double>> Integerizer::getRange(Value v,
                                                           Operation *user) {
  if (std::optional<std::pair<double, double>> range = lookupRange(v))
    return *range;
  InFlightDiagnostic diag =
      user->emitError("no calibrated range for operand value ");
  if (auto arg = dyn_cast<BlockArgument>(v))
    diag << "(function argument #" << arg.getArgNumber() << ")";
  else
    diag << "defined at " << v.getDefiningOp()->getLoc();
  diag.attachNote() << "calibrate the model (--calibration) or give the "
                       "value a qcc.range attribute";
  return failure();
}

FailureOr<Target> Integerizer::get8BitTarget(Value v, Operation *user) {
  // A QDQ model's own 8-bit scale, exactly (its range [-128 s, 127 s] would
  // give 128/127 s).
  if (auto qdq = getQDQParams(v)) {
    auto [scale, zp, type] = *qdq;
    if (zp == 0 && type.getWidth() == 8)
      return Target{type, scale, std::nullopt, std::nullopt};
  }
  FailureOr<std::pair<double, double>> range = getRange(v, user);
  if (failed(range))
    return failure();
  auto [lo, hi] = *range;
  Target target;
  if (lo >= 0) {
    target.type = ui8;
    target.scale = hi / 255.0;
  } else {
    target.type = i8;
    target.scale = std::max(-lo, hi) / 127.0;
  }
  if (!(target.scale > 0))
    target.scale = 1.0; // The value is constantly zero; any scale is exact.
  return target;
}

//===----------------------------------------------------------------------===//
// Building blocks
//===----------------------------------------------------------------------===//

LogicalResult Integerizer::checkI32Bound(Operation *op, int64_t bound,
                                         StringRef what) {
  if (bound >= 0 && bound <= INT32_MAX)
    return success();
  return op->emitError("integer overflow: ")
         << what << " can reach " << bound
         << " in magnitude, beyond the int32 accumulator";
}

/// Converts real rescale ratios to the attribute arrays of a requant.
static FailureOr<std::pair<SmallVector<int32_t>, SmallVector<int32_t>>>
makeDyadicArrays(ArrayRef<double> ratios, Operation *user) {
  SmallVector<int32_t> multipliers, shifts;
  for (double r : ratios) {
    std::optional<Dyadic> d = makeDyadic(std::fabs(r));
    if (!d) {
      user->emitError("rescale ratio ")
          << r << " is outside the dyadic range (|ratio| < 2^30)";
      return failure();
    }
    // A flushed ratio would silently zero the tensor.
    if (r != 0 && d->multiplier == 0) {
      user->emitError("rescale ratio ")
          << r << " is below the smallest dyadic ratio 2^-31";
      return failure();
    }
    multipliers.push_back(r < 0 ? -d->multiplier : d->multiplier);
    shifts.push_back(d->shift);
  }
  return std::make_pair(multipliers, shifts);
}

FailureOr<Value> Integerizer::emitRequant(
    Location loc, Value in, ArrayRef<double> ratios, int64_t axis,
    IntegerType outType, int64_t inputZeroPoint, int64_t outputZeroPoint,
    std::optional<int64_t> min, std::optional<int64_t> max, Operation *user) {
  auto dyadic = makeDyadicArrays(ratios, user);
  if (failed(dyadic))
    return failure();
  auto inType = cast<RankedTensorType>(in.getType());
  auto resultType = RankedTensorType::get(inType.getShape(), outType);
  auto op = RequantOp::create(
      builder, loc, resultType, in, builder.getDenseI32ArrayAttr(dyadic->first),
      builder.getDenseI32ArrayAttr(dyadic->second),
      builder.getI64IntegerAttr(ratios.size() > 1 ? axis : 0),
      builder.getI64IntegerAttr(inputZeroPoint),
      builder.getI64IntegerAttr(outputZeroPoint),
      min ? builder.getI64IntegerAttr(*min) : IntegerAttr(),
      max ? builder.getI64IntegerAttr(*max) : IntegerAttr());
  return op.getResult();
}

Value Integerizer::makeIntConstant(Location loc, ArrayRef<int64_t> shape,
                                   IntegerType type, ArrayRef<int64_t> values) {
  auto tensorType = RankedTensorType::get(shape, type);
  SmallVector<APInt> bits;
  bits.reserve(values.size());
  for (int64_t v : values)
    bits.push_back(APInt(type.getWidth(), static_cast<uint64_t>(v),
                         /*isSigned=*/!type.isUnsigned(),
                         /*implicitTrunc=*/true));
  return ConstantOp::create(builder, loc,
                            DenseElementsAttr::get(tensorType, bits))
      .getResult();
}

Value Integerizer::castToI32(Location loc, Value v) {
  auto type = cast<RankedTensorType>(v.getType());
  if (type.getElementType() == i32)
    return v;
  return CastOp::create(builder, loc,
                        RankedTensorType::get(type.getShape(), i32), v)
      .getResult();
}

std::optional<SmallVector<double>> Integerizer::getFloatConstant(Value v) {
  if (auto c = v.getDefiningOp<ConstantOp>()) {
    auto dense = dyn_cast<DenseElementsAttr>(c.getValue());
    if (!dense || !dense.getElementType().isF32())
      return std::nullopt;
    SmallVector<double> values;
    values.reserve(dense.getNumElements());
    for (float f : dense.getValues<float>())
      values.push_back(f);
    return values;
  }
  // A QDQ weight or bias: dequantize of an integer constant.
  if (auto dq = v.getDefiningOp<DequantizeOp>()) {
    auto c = dq.getInput().getDefiningOp<ConstantOp>();
    auto dense = c ? dyn_cast<DenseElementsAttr>(c.getValue()) : nullptr;
    if (!dense)
      return std::nullopt;
    auto type = cast<RankedTensorType>(dense.getType());
    ArrayRef<float> scales = dq.getScales();
    ArrayRef<int64_t> zps = dq.getZeroPoints();
    int64_t axis = dq.getAxis();
    int64_t inner = 1;
    for (int64_t d = axis + 1; d < type.getRank(); ++d)
      inner *= type.getDimSize(d);
    int64_t channels = scales.size() > 1 ? type.getDimSize(axis) : 1;
    SmallVector<double> values;
    bool isUnsigned = type.getElementType().isUnsignedInteger();
    int64_t i = 0;
    for (const APInt &bits : dense.getValues<APInt>()) {
      int64_t q = isUnsigned ? static_cast<int64_t>(bits.getZExtValue())
                             : bits.getSExtValue();
      int64_t c = channels > 1 ? (i / inner) % channels : 0;
      values.push_back(static_cast<double>(scales[c]) * (q - zps[c]));
      ++i;
    }
    return values;
  }
  return std::nullopt;
}

QValue Integerizer::quantizeConstant(Location loc, ArrayRef<int64_t> shape,
                                     ArrayRef<double> values) {
  double absMax = 0;
  for (double v : values)
    absMax = std::max(absMax, std::fabs(v));
  double scale = absMax > 0 ? absMax / 127.0 : 1.0;
  SmallVector<int64_t> q;
  q.reserve(values.size());
  for (double v : values)
    q.push_back(std::clamp<int64_t>(std::llround(v / scale), -127, 127));
  QValue result;
  result.value = makeIntConstant(loc, shape, i8, q);
  result.scales = {scale};
  result.bound = 127;
  return result;
}

//===----------------------------------------------------------------------===//
// Materialization
//===----------------------------------------------------------------------===//

const PendingAdd *Integerizer::getPending(Value v) const {
  auto it = pending.find(v);
  return it == pending.end() ? nullptr : &it->second;
}

FailureOr<QValue> Integerizer::get(Value v, Operation *user) {
  auto it = reps.find(v);
  if (it != reps.end())
    return it->second;
  if (const PendingAdd *add = getPending(v)) {
    FailureOr<Target> target = get8BitTarget(v, user);
    if (failed(target))
      return failure();
    FailureOr<QValue> q = materializePending(*add, *target, user);
    if (failed(q))
      return failure();
    reps[v] = *q;
    return *q;
  }
  if (std::optional<SmallVector<double>> values = getFloatConstant(v)) {
    QValue q = quantizeConstant(
        user->getLoc(), cast<ShapedType>(v.getType()).getShape(), *values);
    reps[v] = q;
    return q;
  }
  return user->emitError("internal error: operand has no integer form"),
         failure();
}

/// The bound of a rescaled value, clamped by the target type and min/max.
static int64_t rescaleBound(int64_t bound, double maxRatio,
                            const Target &target) {
  double b = std::ceil(bound * std::fabs(maxRatio)) + 1;
  int64_t limit = getTypeMaxMagnitude(target.type);
  if (target.min)
    limit = std::min(limit, std::max(std::abs(*target.min),
                                     target.max ? std::abs(*target.max) : 0));
  return b >= static_cast<double>(limit) ? limit : static_cast<int64_t>(b);
}

FailureOr<QValue> Integerizer::materializeRep(const QValue &q, Value v,
                                              const Target &target,
                                              Operation *user) {
  (void)v;
  bool sameScale = q.isPerTensor() && std::fabs(q.scales[0] - target.scale) <=
                                          1e-12 * target.scale;
  if (sameScale && q.zeroPoint == 0 && q.getElementType() == target.type &&
      !target.min && !target.max)
    return q;
  SmallVector<double> ratios;
  double maxRatio = 0;
  for (double s : q.scales) {
    ratios.push_back(s / target.scale);
    maxRatio = std::max(maxRatio, s / target.scale);
  }
  FailureOr<Value> out =
      emitRequant(user->getLoc(), q.value, ratios, q.axis, target.type,
                  q.zeroPoint, 0, target.min, target.max, user);
  if (failed(out))
    return failure();
  QValue result;
  result.value = *out;
  result.scales = {target.scale};
  result.bound = rescaleBound(q.bound, maxRatio, target);
  return result;
}

FailureOr<QValue> Integerizer::materializePending(const PendingAdd &add,
                                                  const Target &target,
                                                  Operation *user) {
  Location loc = user->getLoc();
  auto resultShape = cast<ShapedType>(add.result.getType()).getShape();
  // requant_add takes operands of the result's shape with zero point 0.
  auto prepare = [&](QValue q) -> FailureOr<QValue> {
    if (q.zeroPoint != 0) {
      Target wide{i16, q.scales[0], std::nullopt, std::nullopt};
      if (!q.isPerTensor() || q.getWidth() > 8)
        return user->emitError("internal error: zero point on a wide value"),
               failure();
      FailureOr<QValue> r = materializeRep(q, Value(), wide, user);
      if (failed(r))
        return failure();
      q = *r;
    }
    auto type = cast<RankedTensorType>(q.value.getType());
    if (type.getShape() != resultShape) {
      int64_t shift = static_cast<int64_t>(resultShape.size()) - type.getRank();
      q.value = BroadcastToOp::create(
                    builder, loc,
                    RankedTensorType::get(resultShape, type.getElementType()),
                    q.value)
                    .getResult();
      if (!q.isPerTensor()) {
        q.axis += shift;
        if (type.getDimSize(q.axis - shift) != resultShape[q.axis])
          return user->emitError("internal error: broadcast of a per-channel "
                                 "operand along its channel axis"),
                 failure();
      }
    }
    return q;
  };
  FailureOr<QValue> lhs = prepare(add.lhs);
  FailureOr<QValue> rhs = prepare(add.rhs);
  if (failed(lhs) || failed(rhs))
    return failure();
  if (!lhs->isPerTensor() && !rhs->isPerTensor() && lhs->axis != rhs->axis)
    return user->emitError("cannot add values scaled along different axes"),
           failure();
  int64_t axis = !lhs->isPerTensor() ? lhs->axis : rhs->axis;
  double sign = add.subtract ? -1.0 : 1.0;
  SmallVector<double> lhsRatios, rhsRatios;
  double bound = 1;
  double lhsMax = 0, rhsMax = 0;
  for (double s : lhs->scales) {
    lhsRatios.push_back(s / target.scale);
    lhsMax = std::max(lhsMax, s / target.scale);
  }
  for (double s : rhs->scales) {
    rhsRatios.push_back(sign * s / target.scale);
    rhsMax = std::max(rhsMax, s / target.scale);
  }
  bound += lhs->bound * lhsMax + rhs->bound * rhsMax + 1;
  auto lhsDyadic = makeDyadicArrays(lhsRatios, user);
  auto rhsDyadic = makeDyadicArrays(rhsRatios, user);
  if (failed(lhsDyadic) || failed(rhsDyadic))
    return failure();
  auto op = RequantAddOp::create(
      builder, loc, RankedTensorType::get(resultShape, target.type), lhs->value,
      rhs->value, builder.getDenseI32ArrayAttr(lhsDyadic->first),
      builder.getDenseI32ArrayAttr(lhsDyadic->second),
      builder.getDenseI32ArrayAttr(rhsDyadic->first),
      builder.getDenseI32ArrayAttr(rhsDyadic->second),
      builder.getI64IntegerAttr(axis),
      target.min ? builder.getI64IntegerAttr(*target.min) : IntegerAttr(),
      target.max ? builder.getI64IntegerAttr(*target.max) : IntegerAttr());
  QValue result;
  result.value = op.getResult();
  result.scales = {target.scale};
  result.bound =
      rescaleBound(static_cast<int64_t>(std::min(bound, 9e18)), 1.0, target);
  return result;
}

FailureOr<QValue> Integerizer::materialize(Value v, const Target &target,
                                           Operation *user) {
  // A sum is rescaled straight from its branches to each target (an 8-bit
  // form made for another consumer would lose precision).
  if (const PendingAdd *add = getPending(v))
    return materializePending(*add, target, user);
  FailureOr<QValue> q = get(v, user);
  if (failed(q))
    return failure();
  return materializeRep(*q, v, target, user);
}

FailureOr<QValue> Integerizer::materialize8(Value v, Operation *user) {
  auto cached = materialized8.find(v);
  if (cached != materialized8.end())
    return cached->second;
  FailureOr<QValue> result;
  auto it = reps.find(v);
  if (it != reps.end() && it->second.isPerTensor() &&
      it->second.zeroPoint == 0 && it->second.getWidth() == 8 &&
      !it->second.exact) {
    result = it->second;
  } else if (it == reps.end() && !getPending(v) && getFloatConstant(v)) {
    result = get(v, user); // Quantized per tensor, 8-bit.
  } else {
    FailureOr<Target> target = get8BitTarget(v, user);
    if (failed(target))
      return failure();
    result = materialize(v, *target, user);
  }
  if (succeeded(result))
    materialized8[v] = *result;
  return result;
}

FailureOr<QValue> Integerizer::materializeBits(Value v, int64_t bits,
                                               Operation *user) {
  if (bits == 8)
    return materialize8(v, user);
  auto cached = materialized4.find(v);
  if (cached != materialized4.end())
    return cached->second;
  // The 4-bit MSE range when calibration found one, else the 8-bit range.
  FailureOr<std::pair<double, double>> range = failure();
  if (std::optional<std::pair<double, double>> r4 = lookupRange(v, kRange4Attr))
    range = *r4;
  else
    range = getRange(v, user);
  if (failed(range))
    return failure();
  auto [lo, hi] = *range;
  Target target;
  if (lo >= 0) {
    target.type = ui8;
    target.scale = hi / 15.0;
    target.max = 15;
  } else {
    target.type = i8;
    target.scale = std::max(-lo, hi) / 7.0;
    target.min = -8;
    target.max = 7;
  }
  if (!(target.scale > 0))
    target.scale = 1.0;
  FailureOr<QValue> result = materialize(v, target, user);
  if (succeeded(result)) {
    // Only values in the narrowed range reach consumers.
    result->bound = std::min<int64_t>(result->bound, lo >= 0 ? 15 : 8);
    materialized4[v] = *result;
  }
  return result;
}

//===----------------------------------------------------------------------===//
// Boundary and driver
//===----------------------------------------------------------------------===//

LogicalResult Integerizer::integerizeArguments() {
  Block &entry = fn.getBody().front();
  builder.setInsertionPointToStart(&entry);
  SmallVector<Type> argTypes(fn.getArgumentTypes());
  for (BlockArgument arg : entry.getArguments()) {
    auto type = cast<RankedTensorType>(arg.getType());
    if (auto intType = dyn_cast<IntegerType>(type.getElementType())) {
      QValue q;
      q.value = arg;
      q.scales = {1.0};
      q.exact = true;
      q.bound = getTypeMaxMagnitude(intType);
      set(arg, q);
      continue;
    }
    FailureOr<Target> target = get8BitTarget(arg, fn);
    if (failed(target))
      return failure();
    // The boundary quantize works with an f32 scale: use the same value.
    auto scale = static_cast<float>(target->scale);
    auto intType = RankedTensorType::get(type.getShape(), target->type);
    QValue q;
    q.scales = {static_cast<double>(scale)};
    q.bound = getTypeMaxMagnitude(target->type);
    if (io == IOKind::Float) {
      q.value = QuantizeOp::create(builder, fn.getLoc(), intType, arg,
                                   builder.getDenseF32ArrayAttr({scale}),
                                   builder.getDenseI64ArrayAttr({0}),
                                   builder.getI64IntegerAttr(0))
                    .getResult();
    } else {
      arg.setType(intType);
      argTypes[arg.getArgNumber()] = intType;
      fn.setArgAttr(arg.getArgNumber(), "qcc.scale",
                    builder.getF64FloatAttr(scale));
      fn.setArgAttr(arg.getArgNumber(), "qcc.zero_point",
                    builder.getI64IntegerAttr(0));
      q.value = arg;
    }
    set(arg, q);
  }
  fn.setFunctionType(
      builder.getFunctionType(argTypes, fn.getFunctionType().getResults()));
  return success();
}

LogicalResult Integerizer::integerizeReturn(func::ReturnOp ret) {
  builder.setInsertionPoint(ret);
  SmallVector<Value> operands;
  SmallVector<Type> resultTypes;
  for (auto [index, operand] : llvm::enumerate(ret.getOperands())) {
    auto type = cast<RankedTensorType>(operand.getType());
    if (!isa<FloatType>(type.getElementType())) {
      operands.push_back(operand);
      resultTypes.push_back(type);
      continue;
    }
    // A float output is dequantized from whatever the producer made (an
    // int32 accumulator keeps every bit); a pending sum becomes 16 bits.
    FailureOr<QValue> q;
    if (io == IOKind::Int) {
      q = materialize8(operand, ret);
    } else if (getPending(operand)) {
      FailureOr<std::pair<double, double>> range = getRange(operand, ret);
      if (failed(range))
        return failure();
      double absMax =
          std::max(std::fabs(range->first), std::fabs(range->second));
      q = materialize(operand,
                      Target{i16, absMax > 0 ? absMax / 32767 : 1.0,
                             std::nullopt, std::nullopt},
                      ret);
    } else {
      q = get(operand, ret);
    }
    if (failed(q))
      return failure();
    if (io == IOKind::Int) {
      operands.push_back(q->value);
      resultTypes.push_back(q->value.getType());
      fn.setResultAttr(index, "qcc.scale",
                       builder.getF64FloatAttr(q->scales[0]));
      fn.setResultAttr(index, "qcc.zero_point",
                       builder.getI64IntegerAttr(q->zeroPoint));
      continue;
    }
    Value storage = q->value;
    if (q->getWidth() > 32) {
      auto [lo, hi] = getTypeRange(i32);
      FailureOr<Value> narrowed =
          emitRequant(ret.getLoc(), storage, {1.0}, 0, i32, 0, 0, lo, hi, ret);
      if (failed(narrowed))
        return failure();
      storage = *narrowed;
    }
    SmallVector<float> scales;
    for (double s : q->scales)
      scales.push_back(static_cast<float>(s));
    SmallVector<int64_t> zps(scales.size(), q->zeroPoint);
    operands.push_back(
        DequantizeOp::create(
            builder, ret.getLoc(), type, storage,
            builder.getDenseF32ArrayAttr(scales),
            builder.getDenseI64ArrayAttr(zps),
            builder.getI64IntegerAttr(q->isPerTensor() ? 0 : q->axis))
            .getResult());
    resultTypes.push_back(type);
  }
  ret->setOperands(operands);
  fn.setFunctionType(
      builder.getFunctionType(fn.getArgumentTypes(), resultTypes));
  return success();
}

LogicalResult Integerizer::integerizeOp(Operation *op) {
  builder.setInsertionPoint(op);
  if (isa<ConstantOp>(op))
    return success(); // Quantized where used.
  if (isLinearOp(op))
    return integerizeLinearOp(*this, op);
  if (isNonlinearOp(op))
    return integerizeNonlinearOp(*this, op);
  if (isShapeOp(op))
    return integerizeShapeOp(*this, op);
  return op->emitError("no integer lowering for '") << op->getName() << "' yet";
}

void Integerizer::sinkTransposesIntoDequantize() {
  // transpose(dequantize(c)) with a constant c (a QDQ weight of a Gemm with
  // transB = 1) becomes dequantize(c'), c' the transposed integers and the
  // per-axis scales' axis permuted, so the weight stays a weight.
  SmallVector<TransposeOp> transposes(
      fn.getBody().front().getOps<TransposeOp>());
  for (TransposeOp t : transposes) {
    auto dq = t.getInput().getDefiningOp<DequantizeOp>();
    if (!dq || !dq.getInput().getDefiningOp<ConstantOp>())
      continue;
    builder.setInsertionPoint(t);
    ArrayRef<int64_t> perm = t.getPermutation();
    Value ints = builder.createOrFold<TransposeOp>(t.getLoc(), dq.getInput(),
                                                   t.getPermutationAttr());
    if (!ints.getDefiningOp<ConstantOp>())
      continue;
    int64_t axis = dq.getAxis();
    for (auto [i, p] : llvm::enumerate(perm))
      if (p == static_cast<int64_t>(dq.getAxis()))
        axis = i;
    auto newDq = DequantizeOp::create(
        builder, t.getLoc(), t.getType(), ints, dq.getScalesAttr(),
        dq.getZeroPointsAttr(), builder.getI64IntegerAttr(axis));
    t.getResult().replaceAllUsesWith(newDq.getResult());
    t.erase();
    if (dq->use_empty())
      dq.erase();
  }
}

LogicalResult Integerizer::run() {
  // First, as it erases ops.
  sinkTransposesIntoDequantize();
  Block &entry = fn.getBody().front();
  SmallVector<Operation *> floatOps;
  bool unsupported = false;
  for (Operation &op : entry.without_terminator()) {
    if (!isFloatOp(&op))
      continue;
    floatOps.push_back(&op);
    if (!isa<ConstantOp>(op) && !isLinearOp(&op) && !isNonlinearOp(&op) &&
        !isShapeOp(&op)) {
      op.emitError("no integer lowering for '") << op.getName() << "' yet";
      unsupported = true;
    }
  }
  if (unsupported)
    return failure();
  if (failed(integerizeArguments()))
    return failure();
  for (Operation *op : floatOps)
    if (failed(integerizeOp(op)))
      return failure();
  if (failed(integerizeReturn(cast<func::ReturnOp>(entry.getTerminator()))))
    return failure();
  for (Operation *op : llvm::reverse(floatOps)) {
    if (!op->use_empty())
      return op->emitError("internal error: float op still in use after "
                           "integerization");
    op->erase();
  }
  for (unsigned i = 0, e = fn.getNumArguments(); i < e; ++i) {
    fn.removeArgAttr(i, kRangeAttr);
    fn.removeArgAttr(i, kRange4Attr);
  }
  // Integer ops that only fed the float graph (and ranges) are gone too.
  SmallVector<Operation *> dead;
  do {
    dead.clear();
    for (Operation &op : entry.without_terminator())
      if (op.use_empty() && isa<ConstantOp, CastOp, TransposeOp>(op))
        dead.push_back(&op);
    for (Operation *op : dead)
      op->erase();
  } while (!dead.empty());
  return success();
}

namespace {

struct IntegerizePass : qcc::impl::IntegerizePassBase<IntegerizePass> {
  using Base::Base;
  void runOnOperation() override {
    IOKind kind;
    if (io == "float")
      kind = IOKind::Float;
    else if (io == "int")
      kind = IOKind::Int;
    else {
      getOperation().emitError("unknown io '") << io << "' (float or int)";
      return signalPassFailure();
    }
    Integerizer integerizer(getOperation(), kind);
    if (failed(integerizer.run()))
      signalPassFailure();
  }
};

} // namespace
