//===- Integerize.h - float graph to integer graph (internal) ---*- C++ -*-===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//
//
// The state of one qcc-integerize run over a function. Every float value of
// the input graph gets an integer representation (a QValue): an integer
// tensor together with the compile-time scale(s) that map it back to the
// real value, real = scale_c * (q - zeroPoint). Scales never reach the IR:
// they become dyadic (multiplier, shift) pairs on the integer ops.
//
// Representations are built op by op in program order. A value's
// representation is whatever its producer makes cheapest (an int32
// accumulator with per-channel scales after a matmul, the sum of two
// branches still to be rescaled after an add), and consumers *materialize*
// the form they need (8-bit per-tensor for a matmul operand, 22-bit for
// LayerNorm, ...), so rescales are fused into one requant wherever the
// graph allows.
//
//===----------------------------------------------------------------------===//

#ifndef QCC_LIB_DIALECT_QCC_TRANSFORMS_INTEGERIZE_H
#define QCC_LIB_DIALECT_QCC_TRANSFORMS_INTEGERIZE_H

#include "qcc/Dialect/Qcc/IR/QccOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "llvm/ADT/DenseMap.h"

#include <optional>

namespace mlir::qcc {

/// The integer representation of a real-valued tensor.
struct QValue {
  /// The integer tensor.
  Value value;
  /// One scale (per tensor) or one per index of dimension `axis`.
  SmallVector<double> scales;
  int64_t axis = 0;
  int64_t zeroPoint = 0;
  /// Upper bound of |q - zeroPoint| over all inputs (for overflow proofs).
  int64_t bound = 0;
  /// The real value is the integer value itself (integers cast to float):
  /// scale 1, zero point 0.
  bool exact = false;

  bool isPerTensor() const { return scales.size() == 1; }
  IntegerType getElementType() const {
    return cast<IntegerType>(
        cast<RankedTensorType>(value.getType()).getElementType());
  }
  unsigned getWidth() const { return getElementType().getWidth(); }
};

/// The sum (or difference) of two real values, not yet rescaled: the
/// consumer chooses the output scale and type of the fused requant_add.
struct PendingAdd {
  QValue lhs;
  QValue rhs;
  bool subtract = false;
  /// The float value this sum stands for (its range is the calibrated one).
  Value result;
};

/// What a consumer asks for: an integer type and a per-tensor scale.
struct Target {
  IntegerType type;
  double scale = 1;
  std::optional<int64_t> min;
  std::optional<int64_t> max;
};

enum class IOKind { Float, Int };

class Integerizer {
public:
  Integerizer(func::FuncOp fn, IOKind io);

  /// Rewrites the function; on failure diagnostics have been emitted.
  LogicalResult run();

  //===--------------------------------------------------------------------===//
  // Used by the per-op rules
  //===--------------------------------------------------------------------===//

  OpBuilder builder;

  /// The representation of `v`, materializing a pending add at the scale
  /// and width its calibrated range gives (8 bits).
  FailureOr<QValue> get(Value v, Operation *user);
  /// Whether `v` is a pending add.
  const PendingAdd *getPending(Value v) const;

  void set(Value v, QValue q) { reps[v] = std::move(q); }
  void setPending(Value v, PendingAdd add) { pending[v] = std::move(add); }

  /// The calibrated (or QDQ-given) range of float value `v`; emits an error
  /// at `user` and fails when there is none.
  FailureOr<std::pair<double, double>> getRange(Value v, Operation *user);
  /// Same without a diagnostic; `attrName` picks the 8-bit range
  /// (qcc.range) or the 4-bit one (qcc.range4, Calibration.h).
  std::optional<std::pair<double, double>>
  lookupRange(Value v, StringRef attrName = "qcc.range");

  /// The 8-bit target for `v`: ui8 when its range is non-negative, i8
  /// otherwise, scale from the range.
  FailureOr<Target> get8BitTarget(Value v, Operation *user);

  /// Materializes `v` as an integer tensor of `target`'s type and scale.
  FailureOr<QValue> materialize(Value v, const Target &target, Operation *user);
  /// Materializes `v` as 8-bit, per tensor, zero point 0: unchanged when it
  /// already is, else rescaled to get8BitTarget(v).
  FailureOr<QValue> materialize8(Value v, Operation *user);
  /// Materializes `v` at `bits` (8 or 4) per tensor, zero point 0: 4 bits
  /// are i8 in [-8, 7] at scale max|range| / 7, or ui8 in [0, 15] at
  /// max / 15 for a non-negative range.
  FailureOr<QValue> materializeBits(Value v, int64_t bits, Operation *user);
  /// Same for an existing representation (`v` names the real value for the
  /// calibrated range).
  FailureOr<QValue> materializeRep(const QValue &q, Value v,
                                   const Target &target, Operation *user);

  /// Emits qcc.requant of `in` by the real `ratios` (one, or one per index
  /// of `axis`) to `outType`; fails with a diagnostic at `user` when a
  /// ratio is not representable.
  FailureOr<Value> emitRequant(Location loc, Value in, ArrayRef<double> ratios,
                               int64_t axis, IntegerType outType,
                               int64_t inputZeroPoint, int64_t outputZeroPoint,
                               std::optional<int64_t> min,
                               std::optional<int64_t> max, Operation *user);

  /// A float constant's values (f32 constant, or qcc.dequantize of an
  /// integer constant), or nullopt.
  std::optional<SmallVector<double>> getFloatConstant(Value v);

  /// The representation of a float constant quantized per tensor, 8-bit
  /// symmetric.
  QValue quantizeConstant(Location loc, ArrayRef<int64_t> shape,
                          ArrayRef<double> values);

  /// An integer constant tensor.
  Value makeIntConstant(Location loc, ArrayRef<int64_t> shape, IntegerType type,
                        ArrayRef<int64_t> values);

  /// Casts an integer tensor to i32 (no-op when it is).
  Value castToI32(Location loc, Value v);

  /// Fails with "int32 overflow" at `op` when `bound` >= 2^31.
  LogicalResult checkI32Bound(Operation *op, int64_t bound, StringRef what);

  IntegerType i8, ui8, i16, i32;

private:
  void sinkTransposesIntoDequantize();
  LogicalResult integerizeArguments();
  LogicalResult integerizeOp(Operation *op);
  LogicalResult integerizeReturn(func::ReturnOp ret);
  FailureOr<QValue> materializePending(const PendingAdd &add,
                                       const Target &target, Operation *user);

  func::FuncOp fn;
  IOKind io;
  llvm::DenseMap<Value, QValue> reps;
  llvm::DenseMap<Value, PendingAdd> pending;
  llvm::DenseMap<Value, QValue> materialized8;
  llvm::DenseMap<Value, QValue> materialized4;
};

//===----------------------------------------------------------------------===//
// Per-op rules (one file per family). Each builds integer ops before `op`
// and records the representation of its result; it fails with a diagnostic
// at `op` when the op cannot be integerized.
//===----------------------------------------------------------------------===//

LogicalResult integerizeLinearOp(Integerizer &state, Operation *op);
LogicalResult integerizeNonlinearOp(Integerizer &state, Operation *op);
LogicalResult integerizeShapeOp(Integerizer &state, Operation *op);

/// Whether one of the rule families handles ops like `op`.
bool isLinearOp(Operation *op);
bool isNonlinearOp(Operation *op);
bool isShapeOp(Operation *op);

/// Largest |value| of an integer type (127 for i8, 255 for ui8, ...).
int64_t getTypeMaxMagnitude(IntegerType type);

/// The [min, max] of an integer type.
std::pair<int64_t, int64_t> getTypeRange(IntegerType type);

} // namespace mlir::qcc

#endif // QCC_LIB_DIALECT_QCC_TRANSFORMS_INTEGERIZE_H
