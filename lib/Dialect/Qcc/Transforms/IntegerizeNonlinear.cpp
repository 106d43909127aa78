//===- IntegerizeNonlinear.cpp - integer rules for non-linear ops ---------===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//
//
// ReLU (a rescale to an unsigned type), clip (integer compares), LayerNorm
// (22-bit input, qcc.int_layer_norm), GELU (16-bit input, I-BERT i-GELU),
// softmax and attention (int32 scores, qcc.int_softmax with the key mask
// excluding positions exactly), sigmoid and tanh (256-entry tables of
// correctly rounded values).
//
//===----------------------------------------------------------------------===//

#include "Integerize.h"

#include "qcc/Quant/IntegerMath.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/ADT/TypeSwitch.h"

#include <cmath>

using namespace mlir;
using namespace mlir::qcc;

bool mlir::qcc::isNonlinearOp(Operation *op) {
  return isa<ReluOp, ClipOp, LayerNormOp, GeluOp, SoftmaxOp, AttentionOp,
             SigmoidOp, TanhOp>(op);
}

namespace {

/// Largest magnitude of LayerNorm inputs (22-bit signed).
constexpr int64_t kLayerNormInputMax = (int64_t(1) << 21) - 1;
/// Largest magnitude of GELU and rescaled softmax inputs (16-bit signed).
constexpr int64_t kInt16Max = 32767;

/// Bits of a signed integer holding every value of magnitude <= bound.
int bitsForBound(int64_t bound) {
  int bits = 1;
  while (bits < 63 && (int64_t(1) << (bits - 1)) <= bound)
    ++bits;
  return bits;
}

FailureOr<double> getAbsMax(Integerizer &s, Value v, Operation *user) {
  FailureOr<std::pair<double, double>> range = s.getRange(v, user);
  if (failed(range))
    return failure();
  double m = std::max(std::fabs(range->first), std::fabs(range->second));
  return m > 0 ? m : 1.0;
}

LogicalResult integerizeRelu(Integerizer &s, ReluOp op) {
  Value in = op.getInput();
  if (!s.getPending(in)) {
    FailureOr<QValue> q = s.get(in, op);
    if (failed(q))
      return failure();
    if ((q->isPerTensor() && q->zeroPoint == 0 && q->getWidth() == 8) ||
        q->exact) {
      QValue result = *q;
      result.value = ReluOp::create(s.builder, op.getLoc(), q->value);
      s.set(op.getResult(), result);
      return success();
    }
  }
  // A rescale to an unsigned type clamps negative values to 0: ReLU.
  FailureOr<std::pair<double, double>> range = s.getRange(op.getResult(), op);
  if (failed(range))
    return failure();
  double scale = range->second > 0 ? range->second / 255.0 : 1.0;
  FailureOr<QValue> q =
      s.materialize(in, Target{s.ui8, scale, std::nullopt, std::nullopt}, op);
  if (failed(q))
    return failure();
  s.set(op.getResult(), *q);
  return success();
}

LogicalResult integerizeClip(Integerizer &s, ClipOp op) {
  FailureOr<QValue> q = s.get(op.getInput(), op);
  if (failed(q))
    return failure();
  if (!q->exact) {
    q = s.materialize8(op.getInput(), op);
    if (failed(q))
      return failure();
  }
  QValue result = *q;
  Value x = q->value;
  IntegerType type = q->getElementType();
  std::pair<int64_t, int64_t> typeRange = getTypeRange(type);
  int64_t typeMin = typeRange.first, typeMax = typeRange.second;
  Location loc = op.getLoc();
  auto clamp = [typeMin, typeMax](double v) {
    return std::clamp<double>(v, static_cast<double>(typeMin),
                              static_cast<double>(typeMax));
  };
  if (std::optional<APFloat> min = op.getMin()) {
    // Integers >= min: the smallest is ceil(min / scale).
    auto lo = static_cast<int64_t>(
        clamp(std::ceil(min->convertToDouble() / q->scales[0])));
    Value c = s.makeIntConstant(loc, {}, type, {lo});
    x = WhereOp::create(s.builder, loc, LessOp::create(s.builder, loc, x, c), c,
                        x);
  }
  if (std::optional<APFloat> max = op.getMax()) {
    auto hi = static_cast<int64_t>(
        clamp(std::floor(max->convertToDouble() / q->scales[0])));
    Value c = s.makeIntConstant(loc, {}, type, {hi});
    x = WhereOp::create(s.builder, loc, GreaterOp::create(s.builder, loc, x, c),
                        c, x);
  }
  result.value = x;
  s.set(op.getResult(), result);
  return success();
}

LogicalResult integerizeLayerNorm(Integerizer &s, LayerNormOp op) {
  auto type = cast<RankedTensorType>(op.getType());
  int64_t rank = type.getRank();
  int64_t length = type.getDimSize(rank - 1);
  if (static_cast<int64_t>(op.getAxis()) != rank - 1)
    return op.emitError("integer LayerNorm normalises the last dimension "
                        "only");
  std::optional<SmallVector<double>> gamma = s.getFloatConstant(op.getScale());
  SmallVector<double> beta(length, 0.0);
  if (Value b = op.getBias()) {
    std::optional<SmallVector<double>> values = s.getFloatConstant(b);
    if (!values)
      return op.emitError("integer LayerNorm needs a constant bias");
    beta = *values;
  }
  if (!gamma || static_cast<int64_t>(gamma->size()) != length ||
      static_cast<int64_t>(beta.size()) != length)
    return op.emitError("integer LayerNorm needs constant scale and bias of ")
           << length << " elements";
  FailureOr<double> inMax = getAbsMax(s, op.getInput(), op);
  if (failed(inMax))
    return failure();
  Target in{s.i32, *inMax / kLayerNormInputMax, -kLayerNormInputMax,
            kLayerNormInputMax};
  FailureOr<QValue> x = s.materialize(op.getInput(), in, op);
  FailureOr<Target> out = s.get8BitTarget(op.getResult(), op);
  if (failed(x) || failed(out))
    return failure();
  // intLayerNormRow's output n has scale sqrt(length) * 2^-30 in units of
  // the standard deviation; y = gamma * n + beta at the output scale.
  double normScale =
      std::sqrt(static_cast<double>(length)) * std::ldexp(1, -30);
  SmallVector<int32_t> multipliers, shifts, biases;
  for (int64_t c = 0; c < length; ++c) {
    double ratio = (*gamma)[c] * normScale / out->scale;
    std::optional<Dyadic> d = makeDyadic(std::fabs(ratio));
    if (!d)
      return op.emitError("LayerNorm scale ")
             << (*gamma)[c] << " is not representable at the output scale";
    multipliers.push_back(ratio < 0 ? -d->multiplier : d->multiplier);
    shifts.push_back(d->shift);
    double b = std::nearbyint(beta[c] / out->scale);
    biases.push_back(
        static_cast<int32_t>(std::clamp(b, -2147483648.0, 2147483647.0)));
  }
  // The epsilon in units of the integer variance sum sum((x - mean)^2):
  // eps * length / s^2 (saturated far above any reachable sum).
  double eps = op.getEpsilon().convertToDouble() * length /
               (x->scales[0] * x->scales[0]);
  double varOffset = std::min(std::nearbyint(eps), 9.0e18);
  auto ln = IntLayerNormOp::create(
      s.builder, op.getLoc(), RankedTensorType::get(type.getShape(), out->type),
      x->value, multipliers, shifts, biases, /*var_shift=*/0,
      static_cast<uint64_t>(varOffset));
  QValue result;
  result.value = ln.getResult();
  result.scales = {out->scale};
  result.bound = getTypeMaxMagnitude(out->type);
  s.set(op.getResult(), result);
  return success();
}

LogicalResult integerizeGelu(Integerizer &s, GeluOp op) {
  FailureOr<double> inMax = getAbsMax(s, op.getInput(), op);
  FailureOr<Target> out = s.get8BitTarget(op.getResult(), op);
  if (failed(inMax) || failed(out))
    return failure();
  // i-GELU's result has about 25 more bits than its input, so its scale is
  // ~ s_in * 2^-25: take the finest input (16 down to 8 bits) whose output
  // rescale is still a representable dyadic.
  std::optional<IGeluParams> params;
  std::optional<Dyadic> d;
  double inScale = 0;
  for (int bits = 16; bits >= 8 && !d; --bits) {
    inScale = *inMax / ((int64_t(1) << (bits - 1)) - 1);
    params = makeIGeluParams(inScale);
    if (!params)
      continue;
    double ratio = params->outScale / out->scale;
    if (ratio >= kDyadicMinRatio)
      d = makeDyadic(ratio);
  }
  if (!params || !d)
    return op.emitError("GELU input range ±")
           << *inMax << " and output scale " << out->scale
           << " are outside what i-GELU supports";
  FailureOr<QValue> x = s.materialize(
      op.getInput(), Target{s.i16, inScale, std::nullopt, std::nullopt}, op);
  if (failed(x))
    return failure();
  auto type = cast<RankedTensorType>(op.getType());
  auto gelu = IntGeluOp::create(
      s.builder, op.getLoc(), RankedTensorType::get(type.getShape(), out->type),
      x->value, static_cast<uint64_t>(params->clip),
      static_cast<uint64_t>(params->one),
      static_cast<uint32_t>(params->erfShift),
      static_cast<uint32_t>(d->multiplier), static_cast<uint32_t>(d->shift));
  QValue result;
  result.value = gelu.getResult();
  result.scales = {out->scale};
  result.bound = getTypeMaxMagnitude(out->type);
  s.set(op.getResult(), result);
  return success();
}

/// qcc.int_softmax of integer scores with real scale `scale` and magnitude
/// <= `bound`; the result has scale 2^-8.
FailureOr<QValue> emitIntSoftmax(Integerizer &s, Operation *op, Value scores,
                                 double scale, int64_t bound, Value keyMask) {
  auto width = static_cast<int>(
      cast<IntegerType>(cast<ShapedType>(scores.getType()).getElementType())
          .getWidth());
  // Kept scores of a row differ by less than 2^bits (a ui8/i8 row by < 2^8).
  int bits = std::clamp(bitsForBound(bound), 2, std::min(width, 32));
  std::optional<IntSoftmaxParams> params = makeIntSoftmaxParams(scale, bits);
  if (!params)
    return op->emitError("softmax input scale ")
               << scale << " is outside the supported range",
           failure();
  auto type = cast<RankedTensorType>(scores.getType());
  int64_t length = type.getDimSize(type.getRank() - 1);
  const char *why = nullptr;
  if (!checkIntSoftmaxBounds(*params, length, &why))
    return op->emitError("integer softmax overflow for rows of ")
               << length << " at input scale " << scale << ": " << why,
           failure();
  OpBuilder &b = s.builder;
  auto softmax = IntSoftmaxOp::create(
      b, op->getLoc(), RankedTensorType::get(type.getShape(), s.ui8), scores,
      keyMask, b.getI32IntegerAttr(bits),
      b.getI32IntegerAttr(params->toExpScale.multiplier),
      b.getI32IntegerAttr(params->toExpScale.shift),
      b.getI64IntegerAttr(params->polyB), b.getI64IntegerAttr(params->polyC),
      b.getI32IntegerAttr(params->toE16.multiplier),
      b.getI32IntegerAttr(params->toE16.shift));
  QValue result;
  result.value = softmax.getResult();
  result.scales = {std::ldexp(1.0, -IntSoftmaxParams::kOutBits)};
  result.bound = 255;
  return result;
}

LogicalResult integerizeSoftmax(Integerizer &s, SoftmaxOp op) {
  auto type = cast<RankedTensorType>(op.getType());
  if (static_cast<int64_t>(op.getAxis()) != type.getRank() - 1)
    return op.emitError("integer softmax runs over the last dimension only");
  FailureOr<QValue> q;
  if (!s.getPending(op.getInput())) {
    q = s.get(op.getInput(), op);
    if (failed(q))
      return failure();
  }
  if (failed(q) || !q->isPerTensor() || q->zeroPoint != 0 ||
      q->getWidth() > 32) {
    FailureOr<double> inMax = getAbsMax(s, op.getInput(), op);
    if (failed(inMax))
      return failure();
    q = s.materialize(
        op.getInput(),
        Target{s.i16, *inMax / kInt16Max, std::nullopt, std::nullopt}, op);
    if (failed(q))
      return failure();
  }
  FailureOr<QValue> result =
      emitIntSoftmax(s, op, q->value, q->scales[0], q->bound, Value());
  if (failed(result))
    return failure();
  s.set(op.getResult(), *result);
  return success();
}

LogicalResult integerizeAttention(Integerizer &s, AttentionOp op) {
  if (op.getBias())
    return op.emitError("integer attention with an additive bias is not "
                        "supported yet (only a key mask)");
  FailureOr<QValue> q = s.materialize8(op.getQ(), op);
  FailureOr<QValue> k = s.materialize8(op.getK(), op);
  FailureOr<QValue> v = s.materialize8(op.getV(), op);
  if (failed(q) || failed(k) || failed(v))
    return failure();
  Location loc = op.getLoc();
  auto kType = cast<RankedTensorType>(k->value.getType());
  int64_t rank = kType.getRank();
  SmallVector<int64_t> perm = llvm::to_vector(llvm::seq<int64_t>(0, rank));
  std::swap(perm[rank - 1], perm[rank - 2]);
  // Folded into the transpose that usually made k (one copy of K^T).
  Value kT = s.builder.createOrFold<TransposeOp>(
      loc, k->value, s.builder.getDenseI64ArrayAttr(perm));
  auto qType = cast<RankedTensorType>(q->value.getType());
  SmallVector<int64_t> scoresShape(qType.getShape());
  scoresShape.back() = kType.getDimSize(rank - 2);
  int64_t head = qType.getDimSize(rank - 1);
  int64_t scoresBound = head * q->bound * k->bound;
  if (failed(s.checkI32Bound(op, scoresBound, "the attention scores")))
    return failure();
  Value scores = MatMulOp::create(
      s.builder, loc, RankedTensorType::get(scoresShape, s.i32), q->value, kT);
  double scale = q->scales[0] * k->scales[0] * op.getScale().convertToDouble();
  FailureOr<QValue> probs =
      emitIntSoftmax(s, op, scores, scale, scoresBound, op.getKeyMask());
  if (failed(probs))
    return failure();
  auto resultShape = cast<ShapedType>(op.getType()).getShape();
  QValue result;
  result.scales = {probs->scales[0] * v->scales[0]};
  result.bound = scoresShape.back() * 255 * v->bound;
  if (failed(s.checkI32Bound(op, result.bound, "the attention output")))
    return failure();
  result.value = MatMulOp::create(s.builder, loc,
                                  RankedTensorType::get(resultShape, s.i32),
                                  probs->value, v->value);
  s.set(op.getResult(), result);
  return success();
}

/// A 256-entry table of f(x) for an 8-bit input, correctly rounded to
/// `outType` at `outScale`.
template <typename Fn>
LogicalResult integerizeTable(Integerizer &s, Operation *op, Fn f,
                              IntegerType outType, double outScale) {
  FailureOr<QValue> x = s.materialize8(op->getOperand(0), op);
  if (failed(x))
    return failure();
  auto [inMin, inMax] = getTypeRange(x->getElementType());
  auto [outMin, outMax] = getTypeRange(outType);
  SmallVector<int32_t> table;
  for (int64_t q = inMin; q <= inMax; ++q) {
    double y = std::nearbyint(f(q * x->scales[0]) / outScale);
    table.push_back(static_cast<int32_t>(std::clamp<double>(
        y, static_cast<double>(outMin), static_cast<double>(outMax))));
  }
  auto type = cast<ShapedType>(op->getResult(0).getType());
  auto lookup = LookupOp::create(
      s.builder, op->getLoc(), RankedTensorType::get(type.getShape(), outType),
      x->value, s.builder.getDenseI32ArrayAttr(table));
  QValue result;
  result.value = lookup.getResult();
  result.scales = {outScale};
  result.bound = getTypeMaxMagnitude(outType);
  s.set(op->getResult(0), result);
  return success();
}

} // namespace

LogicalResult mlir::qcc::integerizeNonlinearOp(Integerizer &s, Operation *op) {
  return llvm::TypeSwitch<Operation *, LogicalResult>(op)
      .Case([&](ReluOp relu) { return integerizeRelu(s, relu); })
      .Case([&](ClipOp clip) { return integerizeClip(s, clip); })
      .Case([&](LayerNormOp ln) { return integerizeLayerNorm(s, ln); })
      .Case([&](GeluOp gelu) { return integerizeGelu(s, gelu); })
      .Case([&](SoftmaxOp sm) { return integerizeSoftmax(s, sm); })
      .Case([&](AttentionOp att) { return integerizeAttention(s, att); })
      .Case([&](SigmoidOp sig) {
        return integerizeTable(
            s, sig, [](double x) { return 1.0 / (1.0 + std::exp(-x)); }, s.ui8,
            1.0 / 255.0);
      })
      .Case([&](TanhOp tanh) {
        return integerizeTable(
            s, tanh, [](double x) { return std::tanh(x); }, s.i8, 1.0 / 127.0);
      })
      .Default(
          [](Operation *op) { return op->emitError("not a non-linear op"); });
}
