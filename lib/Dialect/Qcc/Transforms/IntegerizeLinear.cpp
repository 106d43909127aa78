//===- IntegerizeLinear.cpp - integer rules for linear ops ----------------===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//
//
// conv and matmul (8-bit operands, int32 accumulators with per-channel
// scales, int32 bias), add/sub (bias adds into the accumulator, everything
// else a per-branch rescaled sum), mul/div (by constants: a scale change; by
// integer-valued tensors: int32 arithmetic), means and sums (int32 sums,
// the division folded into the next dyadic rescale), average pooling (a
// depthwise convolution with a kernel of ones).
//
//===----------------------------------------------------------------------===//

#include "Integerize.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/ADT/TypeSwitch.h"

#include <cmath>

using namespace mlir;
using namespace mlir::qcc;

bool mlir::qcc::isLinearOp(Operation *op) {
  return isa<ConvOp, MatMulOp, AddOp, SubOp, MulOp, DivOp, ReduceMeanOp,
             ReduceSumOp, AvgPoolOp>(op);
}

namespace {

/// Weights quantized per output channel along `axis`.
struct Weights {
  Value value;
  SmallVector<double> scales;
};

/// The weight precision bit allocation chose for `op` (8 when it did not
/// choose; the dialect verifier allows only 8 and 4).
int64_t getWeightBits(Operation *op) {
  auto bits = op->getAttrOfType<IntegerAttr>(QccDialect::kWeightBitsAttrName);
  return bits ? bits.getInt() : 8;
}

/// The activation precision bit allocation chose for `op` (8 by default).
int64_t getActivationBits(Operation *op) {
  auto bits =
      op->getAttrOfType<IntegerAttr>(QccDialect::kActivationBitsAttrName);
  return bits ? bits.getInt() : 8;
}

/// Marks the integer op of a float op quantized at `bits` (8 needs no mark).
void setWeightBits(Operation *op, int64_t bits) {
  if (bits != 8)
    op->setAttr(QccDialect::kWeightBitsAttrName,
                IntegerAttr::get(IntegerType::get(op->getContext(), 64), bits));
}

/// Quantizes a constant weight per channel (b-bit symmetric, scale =
/// max|w_c| / (2^(b-1) - 1), values in [-(2^(b-1) - 1), 2^(b-1) - 1] stored
/// as i8), or takes a QDQ weight's 8-bit integers and scales as given (only
/// for 8 bits).
std::optional<Weights> getWeights(Integerizer &s, Value w, int64_t axis,
                                  Location loc, int64_t bits) {
  auto type = cast<RankedTensorType>(w.getType());
  int64_t channels = type.getDimSize(axis);
  if (auto dq = w.getDefiningOp<DequantizeOp>()) {
    auto c = dq.getInput().getDefiningOp<ConstantOp>();
    auto storage = cast<IntegerType>(
        cast<ShapedType>(dq.getInput().getType()).getElementType());
    bool perAxisOk = dq.getScales().size() == 1 ||
                     static_cast<int64_t>(dq.getAxis()) == axis;
    if (c && storage.getWidth() == 8 && perAxisOk && bits == 8 &&
        llvm::all_of(dq.getZeroPoints(), [](int64_t z) { return z == 0; })) {
      Weights result{c.getResult(), {}};
      for (int64_t i = 0; i < channels; ++i)
        result.scales.push_back(
            dq.getScales()[dq.getScales().size() == 1 ? 0 : i]);
      return result;
    }
  }
  std::optional<SmallVector<double>> values = s.getFloatConstant(w);
  if (!values)
    return std::nullopt;
  int64_t inner = 1;
  for (int64_t d = axis + 1; d < type.getRank(); ++d)
    inner *= type.getDimSize(d);
  SmallVector<double> absMax(channels, 0.0);
  for (auto [i, v] : llvm::enumerate(*values)) {
    int64_t c = (static_cast<int64_t>(i) / inner) % channels;
    absMax[c] = std::max(absMax[c], std::fabs(v));
  }
  Weights result;
  int64_t qmax = (int64_t(1) << (bits - 1)) - 1;
  for (double m : absMax)
    result.scales.push_back(m > 0 ? m / static_cast<double>(qmax) : 1.0);
  SmallVector<int64_t> q(values->size());
  for (auto [i, v] : llvm::enumerate(*values)) {
    int64_t c = (static_cast<int64_t>(i) / inner) % channels;
    q[i] = std::clamp<int64_t>(std::llround(v / result.scales[c]), -qmax, qmax);
  }
  result.value = s.makeIntConstant(loc, type.getShape(), s.i8, q);
  return result;
}

/// Quantizes bias values at the accumulator scales (round to nearest).
FailureOr<SmallVector<int64_t>> quantizeBias(Operation *op,
                                             ArrayRef<double> bias,
                                             ArrayRef<double> scales,
                                             int64_t &maxAbs) {
  SmallVector<int64_t> q;
  maxAbs = 0;
  for (auto [i, b] : llvm::enumerate(bias)) {
    double v = std::nearbyint(b / scales[scales.size() == 1 ? 0 : i]);
    if (!(std::fabs(v) < 2147483648.0))
      return op->emitError("bias ") << b << " does not fit int32 at the "
                                    << "accumulator scale",
             failure();
    q.push_back(static_cast<int64_t>(v));
    maxAbs = std::max<int64_t>(maxAbs, std::llabs(q.back()));
  }
  return q;
}

LogicalResult integerizeConv(Integerizer &s, ConvOp op) {
  FailureOr<QValue> x =
      s.materializeBits(op.getInput(), getActivationBits(op), op);
  if (failed(x))
    return failure();
  int64_t bits = getWeightBits(op);
  std::optional<Weights> w =
      getWeights(s, op.getWeight(), 0, op.getLoc(), bits);
  if (!w)
    return op.emitError("integer convolution needs constant weights");
  auto weightType = cast<RankedTensorType>(op.getWeight().getType());
  SmallVector<double> scales;
  for (double ws : w->scales)
    scales.push_back(x->scales[0] * ws);
  Value bias;
  int64_t biasMax = 0;
  if (Value b = op.getBias()) {
    std::optional<SmallVector<double>> values = s.getFloatConstant(b);
    if (!values)
      return op.emitError("integer convolution needs a constant bias");
    FailureOr<SmallVector<int64_t>> q =
        quantizeBias(op, *values, scales, biasMax);
    if (failed(q))
      return failure();
    bias =
        s.makeIntConstant(op.getLoc(), {weightType.getDimSize(0)}, s.i32, *q);
  }
  int64_t k = weightType.getNumElements() / weightType.getDimSize(0);
  int64_t bound = k * x->bound * ((int64_t(1) << (bits - 1)) - 1) + biasMax;
  if (failed(s.checkI32Bound(op, bound, "the convolution accumulator")))
    return failure();
  auto resultType =
      RankedTensorType::get(cast<ShapedType>(op.getType()).getShape(), s.i32);
  auto conv =
      ConvOp::create(s.builder, op.getLoc(), resultType, x->value, w->value,
                     bias, op.getStridesAttr(), op.getPadsAttr(),
                     op.getDilationsAttr(), op.getGroupAttr());
  setWeightBits(conv, bits);
  QValue result;
  result.value = conv.getResult();
  result.scales = std::move(scales);
  result.axis = 1;
  result.bound = bound;
  s.set(op.getResult(), result);
  return success();
}

LogicalResult integerizeMatMul(Integerizer &s, MatMulOp op) {
  FailureOr<QValue> lhs =
      s.materializeBits(op.getLhs(), getActivationBits(op), op);
  if (failed(lhs))
    return failure();
  auto rhsType = cast<RankedTensorType>(op.getRhs().getType());
  auto resultType = cast<RankedTensorType>(op.getType());
  QValue result;
  Value rhsValue;
  int64_t rhsBound = 127;
  int64_t bits = getWeightBits(op);
  std::optional<Weights> w;
  if (rhsType.getRank() >= 2)
    w = getWeights(s, op.getRhs(), rhsType.getRank() - 1, op.getLoc(), bits);
  if (!w && bits != 8)
    return op.emitError("only constant weights can be quantized to ")
           << bits << " bits";
  if (w) {
    rhsValue = w->value;
    rhsBound = (int64_t(1) << (bits - 1)) - 1;
    for (double ws : w->scales)
      result.scales.push_back(lhs->scales[0] * ws);
    result.axis = resultType.getRank() - 1;
  } else {
    FailureOr<QValue> rhs = s.materialize8(op.getRhs(), op);
    if (failed(rhs))
      return failure();
    rhsValue = rhs->value;
    rhsBound = rhs->bound;
    result.scales = {lhs->scales[0] * rhs->scales[0]};
  }
  auto lhsType = cast<RankedTensorType>(op.getLhs().getType());
  int64_t k = lhsType.getDimSize(lhsType.getRank() - 1);
  result.bound = k * lhs->bound * rhsBound;
  if (failed(s.checkI32Bound(op, result.bound, "the matmul accumulator")))
    return failure();
  auto matmul =
      MatMulOp::create(s.builder, op.getLoc(),
                       RankedTensorType::get(resultType.getShape(), s.i32),
                       lhs->value, rhsValue);
  if (w)
    setWeightBits(matmul, bits);
  result.value = matmul.getResult();
  s.set(op.getResult(), result);
  return success();
}

/// For `acc + c` with a constant `c` that only varies along the
/// accumulator's channel axis (or anything, for a per-tensor accumulator)
/// and does not broadcast the accumulator: the channel of each element of
/// `c`, or nullopt.
std::optional<SmallVector<int64_t>>
getBiasChannels(const QValue &acc, RankedTensorType accType,
                RankedTensorType constType) {
  int64_t rank = accType.getRank(), constRank = constType.getRank();
  if (constRank > rank)
    return std::nullopt;
  for (int64_t d = 0; d < constRank; ++d) {
    int64_t dim = constType.getDimSize(d);
    if (dim != 1 && dim != accType.getDimSize(d + rank - constRank))
      return std::nullopt;
  }
  SmallVector<int64_t> channels(constType.getNumElements(), 0);
  if (acc.isPerTensor())
    return channels;
  int64_t constAxis = acc.axis - (rank - constRank);
  for (int64_t d = 0; d < constRank; ++d)
    if (d != constAxis && constType.getDimSize(d) != 1)
      return std::nullopt;
  if (constAxis < 0)
    return constType.getNumElements() == 1 ? std::nullopt
                                           : std::optional(channels);
  int64_t inner = 1;
  for (int64_t d = constAxis + 1; d < constRank; ++d)
    inner *= constType.getDimSize(d);
  int64_t size = constType.getDimSize(constAxis);
  for (int64_t i = 0, e = channels.size(); i < e; ++i)
    channels[i] = size == 1 ? -1 : (i / inner) % size;
  if (size == 1)
    return std::nullopt; // One value for every channel: not a bias per channel.
  return channels;
}

/// Adds a constant into an int32 accumulator at its scales, if `c` is
/// shaped like a bias of `accValue`.
FailureOr<bool> tryBiasAdd(Integerizer &s, Operation *op, Value accValue,
                           Value c, bool subtract) {
  std::optional<SmallVector<double>> values = s.getFloatConstant(c);
  const PendingAdd *pending = s.getPending(accValue);
  if (!values || pending)
    return false;
  FailureOr<QValue> acc = s.get(accValue, op);
  if (failed(acc))
    return failure();
  if (acc->getWidth() != 32 || acc->exact || acc->zeroPoint != 0)
    return false;
  auto accType = cast<RankedTensorType>(acc->value.getType());
  auto constType = cast<RankedTensorType>(c.getType());
  if (cast<ShapedType>(op->getResult(0).getType()).getShape() !=
      accType.getShape())
    return false;
  std::optional<SmallVector<int64_t>> channels =
      getBiasChannels(*acc, accType, constType);
  if (!channels)
    return false;
  SmallVector<int64_t> q;
  int64_t maxAbs = 0;
  for (auto [i, v] : llvm::enumerate(*values)) {
    double scale = acc->scales[acc->isPerTensor() ? 0 : (*channels)[i]];
    double r = std::nearbyint((subtract ? -v : v) / scale);
    if (!(std::fabs(r) < 2147483648.0))
      return op->emitError("bias ") << v << " does not fit int32 at the "
                                    << "accumulator scale",
             failure();
    q.push_back(static_cast<int64_t>(r));
    maxAbs = std::max<int64_t>(maxAbs, std::llabs(q.back()));
  }
  QValue result = *acc;
  result.bound = acc->bound + maxAbs;
  if (failed(s.checkI32Bound(op, result.bound, "the biased accumulator")))
    return failure();
  Value bias = s.makeIntConstant(op->getLoc(), constType.getShape(), s.i32, q);
  result.value =
      AddOp::create(s.builder, op->getLoc(), accType, acc->value, bias)
          .getResult();
  s.set(op->getResult(0), result);
  return true;
}

LogicalResult integerizeAdd(Integerizer &s, Operation *op, Value lhs, Value rhs,
                            bool subtract) {
  FailureOr<bool> done = tryBiasAdd(s, op, lhs, rhs, subtract);
  if (failed(done))
    return failure();
  if (*done)
    return success();
  if (!subtract) {
    done = tryBiasAdd(s, op, rhs, lhs, false);
    if (failed(done))
      return failure();
    if (*done)
      return success();
  }
  FailureOr<QValue> a = s.get(lhs, op);
  FailureOr<QValue> b = s.get(rhs, op);
  if (failed(a) || failed(b))
    return failure();
  auto toI32 = [&](QValue q) {
    if (q.exact &&
        q.getWidth() > 32) // Keeps requant_add's operands <= 32 bits.
      q.value = s.castToI32(op->getLoc(), q.value);
    return q;
  };
  s.setPending(op->getResult(0),
               PendingAdd{toI32(*a), toI32(*b), subtract, op->getResult(0)});
  return success();
}

/// The value of a constant with one repeated element.
std::optional<double> getScalarConstant(Integerizer &s, Value v) {
  std::optional<SmallVector<double>> values = s.getFloatConstant(v);
  if (!values || values->empty())
    return std::nullopt;
  for (double x : *values)
    if (x != values->front())
      return std::nullopt;
  return values->front();
}

/// Adjusts a representation for a broadcast to `resultType`.
QValue broadcastRep(QValue q, RankedTensorType resultType) {
  auto type = cast<RankedTensorType>(q.value.getType());
  if (!q.isPerTensor())
    q.axis += resultType.getRank() - type.getRank();
  return q;
}

LogicalResult integerizeMul(Integerizer &s, MulOp op) {
  auto resultType = cast<RankedTensorType>(op.getType());
  auto resultI32 = RankedTensorType::get(resultType.getShape(), s.i32);
  // By a positive scalar constant: only the scale changes.
  for (auto [x, c] : {std::pair(op.getLhs(), op.getRhs()),
                      std::pair(op.getRhs(), op.getLhs())}) {
    std::optional<double> k = getScalarConstant(s, c);
    if (!k || !(*k > 0) ||
        cast<ShapedType>(x.getType()).getShape() != resultType.getShape())
      continue;
    FailureOr<QValue> q = s.get(x, op);
    if (failed(q))
      return failure();
    QValue result = *q;
    result.exact = false;
    for (double &scale : result.scales)
      scale *= *k;
    s.set(op.getResult(), result);
    return success();
  }
  FailureOr<QValue> a = s.get(op.getLhs(), op);
  FailureOr<QValue> b = s.get(op.getRhs(), op);
  if (failed(a) || failed(b))
    return failure();
  // By an integer-valued tensor (a mask, a count): int32 product.
  if (a->exact || b->exact) {
    QValue x = a->exact ? *b : *a;
    QValue e = a->exact ? *a : *b;
    if (x.zeroPoint != 0) {
      FailureOr<QValue> x8 =
          s.materialize8(a->exact ? op.getRhs() : op.getLhs(), op);
      if (failed(x8))
        return failure();
      x = *x8;
    }
    QValue result = broadcastRep(x, resultType);
    result.exact = x.exact;
    result.bound = x.bound * e.bound;
    if (failed(s.checkI32Bound(op, result.bound, "the product")))
      return failure();
    result.value = MulOp::create(s.builder, op.getLoc(), resultI32,
                                 s.castToI32(op.getLoc(), a->value),
                                 s.castToI32(op.getLoc(), b->value))
                       .getResult();
    s.set(op.getResult(), result);
    return success();
  }
  FailureOr<QValue> x = s.materialize8(op.getLhs(), op);
  FailureOr<QValue> y = s.materialize8(op.getRhs(), op);
  if (failed(x) || failed(y))
    return failure();
  QValue result;
  result.scales = {x->scales[0] * y->scales[0]};
  result.bound = x->bound * y->bound;
  result.value = MulOp::create(s.builder, op.getLoc(), resultI32,
                               s.castToI32(op.getLoc(), x->value),
                               s.castToI32(op.getLoc(), y->value))
                     .getResult();
  s.set(op.getResult(), result);
  return success();
}

LogicalResult integerizeDiv(Integerizer &s, DivOp op) {
  auto resultType = cast<RankedTensorType>(op.getType());
  std::optional<double> k = getScalarConstant(s, op.getRhs());
  if (k && *k > 0 &&
      cast<ShapedType>(op.getLhs().getType()).getShape() ==
          resultType.getShape()) {
    FailureOr<QValue> q = s.get(op.getLhs(), op);
    if (failed(q))
      return failure();
    QValue result = *q;
    result.exact = false;
    for (double &scale : result.scales)
      scale /= *k;
    s.set(op.getResult(), result);
    return success();
  }
  FailureOr<QValue> den = s.get(op.getRhs(), op);
  if (failed(den))
    return failure();
  if (!den->exact)
    return op.emitError("integer division needs a constant or an "
                        "integer-valued divisor (such as a token count)");
  FailureOr<QValue> num = s.get(op.getLhs(), op);
  if (failed(num))
    return failure();
  if (num->zeroPoint != 0) {
    num = s.materialize8(op.getLhs(), op);
    if (failed(num))
      return failure();
  }
  // Pre-scale the numerator by 2^k so that the truncating division keeps
  // k fractional bits: (q * 2^k) / d at scale s / 2^k.
  int shift = 0;
  while (shift < 16 && (num->bound << (shift + 1)) <= (int64_t(1) << 30))
    ++shift;
  Location loc = op.getLoc();
  Value n = s.castToI32(loc, num->value);
  auto nType = cast<RankedTensorType>(n.getType());
  if (shift > 0)
    n = MulOp::create(s.builder, loc, nType, n,
                      s.makeIntConstant(loc, {}, s.i32, {int64_t(1) << shift}))
            .getResult();
  QValue result = broadcastRep(*num, resultType);
  result.exact = false;
  for (double &scale : result.scales)
    scale /= static_cast<double>(int64_t(1) << shift);
  result.bound = num->bound << shift;
  result.value =
      DivOp::create(s.builder, loc,
                    RankedTensorType::get(resultType.getShape(), s.i32), n,
                    s.castToI32(loc, den->value))
          .getResult();
  s.set(op.getResult(), result);
  return success();
}

template <typename ReduceOpTy>
LogicalResult integerizeReduce(Integerizer &s, ReduceOpTy op, bool mean) {
  auto inType = cast<RankedTensorType>(op.getInput().getType());
  int64_t count = 1;
  for (int64_t axis : op.getAxes())
    count *= inType.getDimSize(axis);
  FailureOr<QValue> in = s.get(op.getInput(), op);
  if (failed(in))
    return failure();
  if (!in->exact) {
    in = s.materialize8(op.getInput(), op);
    if (failed(in))
      return failure();
  }
  QValue result;
  result.exact = in->exact && !mean;
  result.scales = {mean ? in->scales[0] / count : in->scales[0]};
  result.bound = in->bound * count;
  if (failed(s.checkI32Bound(op, result.bound, "the sum")))
    return failure();
  result.value = ReduceSumOp::create(s.builder, op.getLoc(),
                                     s.castToI32(op.getLoc(), in->value),
                                     op.getAxesAttr(), op.getKeepdimsAttr())
                     .getResult();
  s.set(op.getResult(), result);
  return success();
}

LogicalResult integerizeAvgPool(Integerizer &s, AvgPoolOp op) {
  bool padded = llvm::any_of(op.getPads(), [](int64_t p) { return p != 0; });
  if (padded && !op.getCountIncludePad())
    return op.emitError("integer average pooling with padding excluded from "
                        "the divisor is not supported yet");
  FailureOr<QValue> x = s.materialize8(op.getInput(), op);
  if (failed(x))
    return failure();
  auto inType = cast<RankedTensorType>(op.getInput().getType());
  int64_t channels = inType.getDimSize(1);
  int64_t window = 1;
  SmallVector<int64_t> weightShape = {channels, 1};
  for (int64_t k : op.getKernelShape()) {
    weightShape.push_back(k);
    window *= k;
  }
  Value ones = s.makeIntConstant(op.getLoc(), weightShape, s.i8,
                                 SmallVector<int64_t>(channels * window, 1));
  QValue result;
  result.scales = {x->scales[0] / window};
  result.bound = x->bound * window;
  if (failed(s.checkI32Bound(op, result.bound, "the window sum")))
    return failure();
  SmallVector<int64_t> dilations(op.getKernelShape().size(), 1);
  result.value =
      ConvOp::create(s.builder, op.getLoc(),
                     RankedTensorType::get(
                         cast<ShapedType>(op.getType()).getShape(), s.i32),
                     x->value, ones, Value(), op.getStridesAttr(),
                     op.getPadsAttr(),
                     s.builder.getDenseI64ArrayAttr(dilations),
                     s.builder.getI64IntegerAttr(channels))
          .getResult();
  s.set(op.getResult(), result);
  return success();
}

} // namespace

LogicalResult mlir::qcc::integerizeLinearOp(Integerizer &s, Operation *op) {
  return llvm::TypeSwitch<Operation *, LogicalResult>(op)
      .Case([&](ConvOp conv) { return integerizeConv(s, conv); })
      .Case([&](MatMulOp mm) { return integerizeMatMul(s, mm); })
      .Case([&](AddOp add) {
        return integerizeAdd(s, add, add.getLhs(), add.getRhs(), false);
      })
      .Case([&](SubOp sub) {
        return integerizeAdd(s, sub, sub.getLhs(), sub.getRhs(), true);
      })
      .Case([&](MulOp mul) { return integerizeMul(s, mul); })
      .Case([&](DivOp div) { return integerizeDiv(s, div); })
      .Case([&](ReduceMeanOp r) { return integerizeReduce(s, r, true); })
      .Case([&](ReduceSumOp r) { return integerizeReduce(s, r, false); })
      .Case([&](AvgPoolOp pool) { return integerizeAvgPool(s, pool); })
      .Default([](Operation *op) { return op->emitError("not a linear op"); });
}
