//===- Calibration.h - activation ranges from calibration inputs -*- C++ -*-===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//
//
// Calibration runs the float graph in the reference interpreter over a set of
// calibration samples and records, for every float tensor the graph computes
// (each op result and each function argument), the real range [lo, hi] that
// qcc-integerize quantizes it to. The range is attached to the IR:
//
//   * on the op:                  qcc.range = array<f64: lo, hi>
//   * on a function argument:     {qcc.range = array<f64: lo, hi>}
//
// so that qcc-integerize can be tested on hand-written IR. Methods (applied
// per tensor to activations; weights are quantized by qcc-integerize itself):
//
//   * MinMax:     lo/hi are the minimum and maximum over all samples.
//   * Percentile: the range is clipped to the p-th percentile of |x| (for
//                 tensors with lo >= 0: of x), over all samples.
//   * Mse:        the clip value c minimising the expected squared error of
//                 8-bit quantization on [-c, c] (or [0, c] when lo >= 0),
//                 estimated from a histogram over all samples.
//
// Tensors whose minimum is >= 0 (for example after ReLU or softmax) keep
// lo = 0 exactly, so qcc-integerize stores them unsigned.
//
//===----------------------------------------------------------------------===//

#ifndef QCC_QUANT_CALIBRATION_H
#define QCC_QUANT_CALIBRATION_H

#include "qcc/Interpreter/Tensor.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Support/LLVM.h"
#include "llvm/Support/raw_ostream.h"

#include <string>
#include <vector>

namespace mlir::qcc {

/// The attribute name of recorded ranges (ops and function arguments).
inline constexpr llvm::StringLiteral kRangeAttrName = "qcc.range";

enum class CalibrationMethod { MinMax, Percentile, Mse };

/// Parses "minmax", "percentile" or "mse".
std::optional<CalibrationMethod> parseCalibrationMethod(StringRef name);
StringRef getCalibrationMethodName(CalibrationMethod method);

struct CalibrationOptions {
  CalibrationMethod method = CalibrationMethod::MinMax;
  /// For CalibrationMethod::Percentile, in (0, 100].
  double percentile = 99.99;
  /// Bits of the quantized activations (Mse minimises the error at this
  /// width).
  unsigned bits = 8;
  /// Interpreter threads (0: one per hardware thread).
  unsigned numThreads = 0;
  /// Where progress lines go ("calibrating: sample 3/16"); null for none.
  llvm::raw_ostream *progress = nullptr;
};

/// One calibration sample: one tensor per argument of the function, with the
/// argument's element type and shape.
using CalibrationSample = SmallVector<Tensor>;

/// Loads calibration samples for `fn` from `path`:
///   * an `.npz` archive with one member per graph input, keyed by the input
///     name (the `qcc.name` argument attribute), or
///   * a directory holding `<input name>.npy` for every graph input.
/// Each array stacks samples along dimension 0: for an argument of shape
/// [B, d1, ...] the array has shape [N, d1, ...] with N >= B, cut into
/// floor(N / B) samples of B rows (a remainder of N mod B rows is dropped
/// with a warning). Element types must match the arguments (float64 arrays
/// are accepted for float32 arguments); all inputs must give the same
/// number of samples. Errors are diagnostics at `fn` naming the file, the
/// input and the problem.
FailureOr<std::vector<CalibrationSample>>
loadCalibrationData(func::FuncOp fn, StringRef path);

/// Makes `count` synthetic samples: float inputs from a standard normal
/// distribution (fixed seed), integer inputs filled with 1. For trying the
/// flow without data; ranges from it say little about real inputs.
std::vector<CalibrationSample> makeSyntheticCalibrationData(func::FuncOp fn,
                                                            unsigned count);

/// Runs `fn` on every sample and attaches qcc.range to every float-typed op
/// result and float function argument (replacing earlier ranges). Ops with
/// several results or non-float results get no range. Fails (with a
/// diagnostic) when there are no samples or the interpreter fails.
LogicalResult calibrate(func::FuncOp fn, ArrayRef<CalibrationSample> samples,
                        const CalibrationOptions &options = {});

} // namespace mlir::qcc

#endif // QCC_QUANT_CALIBRATION_H
