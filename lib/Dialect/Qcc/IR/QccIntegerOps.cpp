//===- QccIntegerOps.cpp - verifiers of the integer-only ops --------------===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//
//
// The integer ops carry precomputed integer parameters; the verifiers check
// that they are in the ranges the semantics (qcc/Quant/IntegerMath.h) are
// defined for, including the compile-time overflow proof of int_softmax.
//
//===----------------------------------------------------------------------===//

#include "qcc/Dialect/Qcc/IR/QccOps.h"
#include "qcc/Quant/IntegerMath.h"

#include "mlir/IR/BuiltinTypes.h"

using namespace mlir;
using namespace mlir::qcc;

namespace {

/// The [lo, hi] range of an integer element type.
std::pair<int64_t, int64_t> getIntegerRange(Type type) {
  auto integer = cast<IntegerType>(type);
  unsigned width = integer.getWidth();
  if (integer.isUnsigned())
    return {0, width >= 63 ? INT64_MAX : (int64_t(1) << width) - 1};
  if (width >= 64)
    return {INT64_MIN, INT64_MAX};
  return {-(int64_t(1) << (width - 1)), (int64_t(1) << (width - 1)) - 1};
}

Type getElementType(Value value) {
  return cast<ShapedType>(value.getType()).getElementType();
}

/// Checks one set of per-tensor or per-axis dyadic parameters.
LogicalResult verifyDyadicArrays(Operation *op, StringRef what,
                                 ArrayRef<int32_t> multipliers,
                                 ArrayRef<int32_t> shifts, int64_t axis,
                                 RankedTensorType type) {
  if (multipliers.empty() || multipliers.size() != shifts.size())
    return op->emitOpError("expected as many ")
           << what << " shifts as multipliers (>= 1), got " << shifts.size()
           << " and " << multipliers.size();
  if (multipliers.size() > 1) {
    if (axis < 0 || axis >= type.getRank())
      return op->emitOpError("axis ")
             << axis << " out of range for rank " << type.getRank();
    if (static_cast<int64_t>(multipliers.size()) != type.getDimSize(axis))
      return op->emitOpError("expected 1 or ")
             << type.getDimSize(axis) << " " << what << " multipliers for axis "
             << axis << ", got " << multipliers.size();
  }
  for (int32_t shift : shifts)
    if (shift < 0 || shift > 63)
      return op->emitOpError()
             << what << " shift " << shift << " outside [0, 63]";
  return success();
}

/// Checks the optional min/max clamp against the result type.
LogicalResult verifyClamp(Operation *op, std::optional<uint64_t> minAttr,
                          std::optional<uint64_t> maxAttr, Type resultElement) {
  // I64Attr getters return the two's complement bits as uint64_t.
  std::optional<int64_t> min, max;
  if (minAttr)
    min = static_cast<int64_t>(*minAttr);
  if (maxAttr)
    max = static_cast<int64_t>(*maxAttr);
  auto [lo, hi] = getIntegerRange(resultElement);
  if (min && (*min < lo || *min > hi))
    return op->emitOpError("min ") << *min << " outside the range [" << lo
                                   << ", " << hi << "] of " << resultElement;
  if (max && (*max < lo || *max > hi))
    return op->emitOpError("max ") << *max << " outside the range [" << lo
                                   << ", " << hi << "] of " << resultElement;
  if (min && max && *min > *max)
    return op->emitOpError("min ") << *min << " above max " << *max;
  return success();
}

} // namespace

LogicalResult RequantOp::verify() {
  auto type = cast<RankedTensorType>(getInput().getType());
  if (failed(verifyDyadicArrays(*this, "requant", getMultiplier(), getShift(),
                                static_cast<int64_t>(getAxis()), type)))
    return failure();
  Type resultElement = getElementType(getResult());
  auto [lo, hi] = getIntegerRange(resultElement);
  auto outZp = static_cast<int64_t>(getOutputZeroPoint());
  if (outZp < lo || outZp > hi)
    return emitOpError("output zero point ")
           << outZp << " outside the range [" << lo << ", " << hi << "] of "
           << resultElement;
  auto [inLo, inHi] = getIntegerRange(getElementType(getInput()));
  auto inZp = static_cast<int64_t>(getInputZeroPoint());
  if (inZp < inLo || inZp > inHi)
    return emitOpError("input zero point ")
           << inZp << " outside the range of the input type";
  return verifyClamp(*this, getMin(), getMax(), resultElement);
}

LogicalResult RequantAddOp::verify() {
  auto type = cast<RankedTensorType>(getLhs().getType());
  if (failed(verifyDyadicArrays(*this, "lhs", getLhsMultiplier(), getLhsShift(),
                                static_cast<int64_t>(getAxis()), type)) ||
      failed(verifyDyadicArrays(*this, "rhs", getRhsMultiplier(), getRhsShift(),
                                static_cast<int64_t>(getAxis()), type)))
    return failure();
  return verifyClamp(*this, getMin(), getMax(), getElementType(getResult()));
}

LogicalResult IntSoftmaxOp::verify() {
  auto type = cast<RankedTensorType>(getInput().getType());
  if (type.getRank() < 1)
    return emitOpError("expected an input of rank >= 1");
  if (!getElementType(getResult()).isUnsignedInteger(8))
    return emitOpError("expected a ui8 result (scale 2^-8), got ")
           << getElementType(getResult());
  int64_t length = type.getDimSize(type.getRank() - 1);
  if (Value mask = getKeyMask()) {
    auto maskType = cast<RankedTensorType>(mask.getType());
    if (!isa<IntegerType>(maskType.getElementType()))
      return emitOpError("expected an integer key_mask, got ")
             << maskType.getElementType();
    if (type.getRank() < 2 || maskType.getRank() != 2 ||
        maskType.getDimSize(0) != type.getDimSize(0) ||
        maskType.getDimSize(1) != length)
      return emitOpError("expected key_mask of shape ")
             << (type.getRank() < 2 ? 0 : type.getDimSize(0)) << "x" << length
             << " (first x last input dimension), got " << maskType;
  }
  unsigned width = cast<IntegerType>(getElementType(getInput())).getWidth();
  int32_t inputBits = static_cast<int32_t>(getInputBits());
  int32_t maxBits = static_cast<int32_t>(std::min(32u, width));
  if (inputBits < 2 || inputBits > maxBits)
    return emitOpError("input_bits ")
           << inputBits << " must be in [2, " << maxBits << "] for "
           << getElementType(getInput()) << " scores";
  IntSoftmaxParams params;
  params.inputBits = static_cast<int32_t>(getInputBits());
  params.toExpScale = {static_cast<int32_t>(getExpMultiplier()),
                       static_cast<int32_t>(getExpShift())};
  params.polyB = getPolyB();
  params.polyC = getPolyC();
  params.toE16 = {static_cast<int32_t>(getE16Multiplier()),
                  static_cast<int32_t>(getE16Shift())};
  const char *why = nullptr;
  if (!checkIntSoftmaxBounds(params, length, &why))
    return emitOpError("parameters fail the overflow proof for rows of ")
           << length << ": " << why;
  return success();
}

LogicalResult IntGeluOp::verify() {
  // I64Attr getters return the two's complement bits as uint64_t.
  auto clip = static_cast<int64_t>(getClip());
  auto one = static_cast<int64_t>(getOne());
  if (clip <= 0 || clip >= (int64_t(1) << 31) || one <= 0 || clip * clip > one)
    return emitOpError("expected 0 < clip < 2^31 and clip^2 <= one, got clip ")
           << clip << " and one " << one;
  int32_t erfShift = static_cast<int32_t>(getErfShift());
  if (erfShift < 0 || erfShift > 62 || (one >> erfShift) >= (int64_t(1) << 24))
    return emitOpError("erf_shift ")
           << erfShift << " must bring one below 2^24 (shift <= 62)";
  int32_t outShift = static_cast<int32_t>(getOutputShift());
  if (static_cast<int32_t>(getOutputMultiplier()) < 0 || outShift < 0 ||
      outShift > 63)
    return emitOpError("expected a non-negative output multiplier and a "
                       "shift in [0, 63]");
  return success();
}

LogicalResult IntLayerNormOp::verify() {
  auto type = cast<RankedTensorType>(getInput().getType());
  if (type.getRank() < 1)
    return emitOpError("expected an input of rank >= 1");
  int64_t length = type.getDimSize(type.getRank() - 1);
  if (length < 1 || length > (int64_t(1) << 16))
    return emitOpError("normalised dimension ")
           << length << " outside [1, 65536]";
  if (failed(verifyDyadicArrays(*this, "layer_norm", getMultiplier(),
                                getShift(), type.getRank() - 1, type)))
    return failure();
  if (getBias().size() != getMultiplier().size())
    return emitOpError("expected ") << getMultiplier().size()
                                    << " bias values, got " << getBias().size();
  int32_t varShift = static_cast<int32_t>(getVarShift());
  if (varShift < 0 || varShift > 16)
    return emitOpError("var_shift ") << varShift << " outside [0, 16]";
  if (static_cast<int64_t>(getVarOffset()) < 0)
    return emitOpError("var_offset ")
           << static_cast<int64_t>(getVarOffset()) << " is negative";
  return success();
}

LogicalResult LookupOp::verify() {
  if (getTable().size() != 256)
    return emitOpError("expected a table of 256 entries, got ")
           << getTable().size();
  Type resultElement = getElementType(getResult());
  auto [lo, hi] = getIntegerRange(resultElement);
  for (auto [i, v] : llvm::enumerate(getTable()))
    if (v < lo || v > hi)
      return emitOpError("table entry ")
             << i << " = " << v << " outside the range [" << lo << ", " << hi
             << "] of " << resultElement;
  return success();
}
