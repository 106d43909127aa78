//===- IntegerizeShape.cpp - integer rules for data movement and QDQ ------===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//
//
// Ops that move or select elements keep the scale: they run unchanged on
// the 8-bit tensor (or on the integer values of an integer-valued tensor).
// concat rescales its inputs to the output's scale; casts from integers make
// integer-valued tensors; QDQ quantize/dequantize pairs keep the model's
// scales and zero points.
//
//===----------------------------------------------------------------------===//

#include "Integerize.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/ADT/TypeSwitch.h"

#include <cmath>

using namespace mlir;
using namespace mlir::qcc;

bool mlir::qcc::isShapeOp(Operation *op) {
  return isa<ReshapeOp, TransposeOp, SliceOp, BroadcastToOp, MaxPoolOp,
             ReduceMaxOp, PadOp, GatherOp, ConcatOp, CastOp, QuantizeOp,
             DequantizeOp>(op);
}

namespace {

/// Clones `op` with its first operand replaced by `input` and its result
/// retyped to `input`'s element type.
Operation *cloneOnInteger(Integerizer &s, Operation *op, Value input) {
  Operation *clone = s.builder.clone(*op);
  clone->setOperand(0, input);
  auto type = cast<RankedTensorType>(op->getResult(0).getType());
  clone->getResult(0).setType(RankedTensorType::get(
      type.getShape(), cast<ShapedType>(input.getType()).getElementType()));
  clone->removeAttr("qcc.range");
  clone->removeAttr("qcc.range4");
  return clone;
}

/// reshape, transpose, slice, broadcast_to, max_pool, reduce_max, pad,
/// gather: same scale in and out.
LogicalResult integerizeMove(Integerizer &s, Operation *op) {
  Value in = op->getOperand(0);
  FailureOr<QValue> q;
  if (!s.getPending(in)) {
    q = s.get(in, op);
    if (failed(q))
      return failure();
  }
  if (failed(q) || !q->exact) {
    q = s.materialize8(in, op);
    if (failed(q))
      return failure();
  }
  Operation *clone = cloneOnInteger(s, op, q->value);
  if (auto pad = dyn_cast<PadOp>(clone)) {
    double value = 0;
    if (auto f = dyn_cast_or_null<FloatAttr>(pad.getValueAttr()))
      value = f.getValueAsDouble();
    auto [lo, hi] = getTypeRange(q->getElementType());
    double v =
        std::clamp<double>(std::nearbyint(value / q->scales[0]),
                           static_cast<double>(lo), static_cast<double>(hi));
    pad.setValueAttr(
        IntegerAttr::get(q->getElementType(), static_cast<int64_t>(v)));
  }
  QValue result = *q;
  result.value = clone->getResult(0);
  s.set(op->getResult(0), result);
  return success();
}

LogicalResult integerizeConcat(Integerizer &s, ConcatOp op) {
  SmallVector<QValue> inputs;
  bool allExact = true;
  for (Value in : op.getInputs()) {
    FailureOr<QValue> q =
        s.getPending(in) ? s.materialize8(in, op) : s.get(in, op);
    if (failed(q))
      return failure();
    allExact &= q->exact;
    inputs.push_back(*q);
  }
  SmallVector<Value> values;
  QValue result;
  if (allExact) {
    result = inputs.front();
    for (QValue &q : inputs) {
      values.push_back(s.castToI32(op.getLoc(), q.value));
      result.bound = std::max(result.bound, q.bound);
    }
  } else {
    FailureOr<Target> target = s.get8BitTarget(op.getResult(), op);
    if (failed(target))
      return failure();
    for (Value in : op.getInputs()) {
      FailureOr<QValue> q = s.materialize(in, *target, op);
      if (failed(q))
        return failure();
      values.push_back(q->value);
    }
    result.scales = {target->scale};
    result.bound = getTypeMaxMagnitude(target->type);
  }
  result.value =
      ConcatOp::create(s.builder, op.getLoc(), values, op.getAxisAttr())
          .getResult();
  s.set(op.getResult(), result);
  return success();
}

LogicalResult integerizeCast(Integerizer &s, CastOp op) {
  auto inType = cast<RankedTensorType>(op.getInput().getType());
  auto outType = cast<RankedTensorType>(op.getType());
  if (!isa<FloatType>(outType.getElementType()))
    return op.emitError("a cast from float to integer has no integer "
                        "lowering yet");
  if (isa<FloatType>(inType.getElementType())) {
    // float -> float: the same real values.
    if (const PendingAdd *add = s.getPending(op.getInput())) {
      PendingAdd copy = *add;
      copy.result = op.getResult();
      s.setPending(op.getResult(), copy);
      return success();
    }
    FailureOr<QValue> q = s.get(op.getInput(), op);
    if (failed(q))
      return failure();
    s.set(op.getResult(), *q);
    return success();
  }
  // integer -> float: an integer-valued tensor. Its calibrated range bounds
  // it; values beyond saturate rather than wrap.
  auto intType = cast<IntegerType>(inType.getElementType());
  QValue result;
  result.exact = true;
  result.scales = {1.0};
  Value in = op.getInput();
  if (std::optional<std::pair<double, double>> range =
          s.lookupRange(op.getResult())) {
    auto lo =
        static_cast<int64_t>(std::max(std::floor(range->first), -2147483648.0));
    auto hi =
        static_cast<int64_t>(std::min(std::ceil(range->second), 2147483647.0));
    FailureOr<Value> v =
        s.emitRequant(op.getLoc(), in, {1.0}, 0, s.i32, 0, 0, lo, hi, op);
    if (failed(v))
      return failure();
    result.value = *v;
    result.bound = std::max(std::llabs(lo), std::llabs(hi));
  } else if (intType.getWidth() <= 32) {
    result.value = s.castToI32(op.getLoc(), in);
    result.bound = getTypeMaxMagnitude(intType);
  } else {
    return op.emitError("no calibrated range for the integer tensor cast to "
                        "float (it bounds the integer arithmetic)");
  }
  s.set(op.getResult(), result);
  return success();
}

LogicalResult integerizeQuantize(Integerizer &s, QuantizeOp op) {
  if (op.getScales().size() != 1)
    return op.emitError("per-axis quantization of activations is not "
                        "supported yet");
  FailureOr<QValue> q = s.get(op.getInput(), op);
  if (failed(q))
    return failure();
  double scale = op.getScales()[0];
  auto outType = cast<RankedTensorType>(op.getType());
  // Already in the model's format (a QDQ scale the producer used): no op.
  if (q->isPerTensor() && q->value.getType() == outType &&
      q->zeroPoint == op.getZeroPoints()[0] &&
      std::fabs(q->scales[0] - scale) <= 1e-12 * scale) {
    op.getResult().replaceAllUsesWith(q->value);
    return success();
  }
  SmallVector<double> ratios;
  for (double sc : q->scales)
    ratios.push_back(sc / scale);
  FailureOr<Value> v =
      s.emitRequant(op.getLoc(), q->value, ratios, q->axis,
                    cast<IntegerType>(outType.getElementType()), q->zeroPoint,
                    op.getZeroPoints()[0], std::nullopt, std::nullopt, op);
  if (failed(v))
    return failure();
  // Integer consumers (QLinear* lowered to integer ops) read it directly.
  op.getResult().replaceAllUsesWith(*v);
  return success();
}

LogicalResult integerizeDequantize(Integerizer &s, DequantizeOp op) {
  ArrayRef<int64_t> zps = op.getZeroPoints();
  if (!llvm::all_equal(zps))
    return op.emitError("per-axis zero points are not supported");
  auto storage = cast<IntegerType>(
      cast<ShapedType>(op.getInput().getType()).getElementType());
  QValue result;
  result.value = op.getInput();
  for (float scale : op.getScales())
    result.scales.push_back(scale);
  result.axis = op.getScales().size() > 1 ? op.getAxis() : 0;
  result.zeroPoint = zps.front();
  auto [lo, hi] = getTypeRange(storage);
  result.bound = std::max(std::llabs(lo - result.zeroPoint),
                          std::llabs(hi - result.zeroPoint));
  s.set(op.getResult(), result);
  return success();
}

} // namespace

LogicalResult mlir::qcc::integerizeShapeOp(Integerizer &s, Operation *op) {
  return llvm::TypeSwitch<Operation *, LogicalResult>(op)
      .Case([&](ConcatOp concat) { return integerizeConcat(s, concat); })
      .Case([&](CastOp cast) { return integerizeCast(s, cast); })
      .Case([&](QuantizeOp q) { return integerizeQuantize(s, q); })
      .Case([&](DequantizeOp dq) { return integerizeDequantize(s, dq); })
      .Default([&](Operation *op) { return integerizeMove(s, op); });
}
