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
// Percentile and Mse clip symmetrically: with c from the method, the range
// is [max(lo, -c), min(hi, c)]. c is an edge of a 2048-bin histogram of |x|
// over [0, max |x|] (docs/Calibration.md gives the details).
//
// Every range contains 0: lo <= 0 <= hi. Tensors whose minimum is >= 0 (for
// example after ReLU or softmax) keep lo = 0 exactly (+0.0), so
// qcc-integerize stores them unsigned; tensors whose maximum is <= 0 get
// hi = 0; a tensor that is always zero gets [0, 0].
//
// What gets a range: every float function argument and every op with one
// result of float ranked tensor type that the interpreter executes per
// sample -- that is, not qcc.constant (constants are materialised once and
// are weights, whose range qcc-integerize takes from their values).
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
/// With the mse method at 8 bits, also the MSE-optimal range of the value
/// quantized to 4 bits (15 unsigned or 7 signed levels), which the
/// integerizer uses for a layer's 4-bit activations (qcc.activation_bits).
inline constexpr llvm::StringLiteral kRange4AttrName = "qcc.range4";

enum class CalibrationMethod { MinMax, Percentile, Mse };

/// Parses "minmax", "percentile" or "mse".
std::optional<CalibrationMethod> parseCalibrationMethod(StringRef name);
StringRef getCalibrationMethodName(CalibrationMethod method);

struct CalibrationOptions {
  CalibrationMethod method = CalibrationMethod::MinMax;
  /// For CalibrationMethod::Percentile, in (0, 100].
  double percentile = 99.99;
  /// Bits of the quantized activations, 2 to 32 (Mse minimises the error at
  /// this width: 2^(bits-1) - 1 steps on each side of 0 for signed tensors,
  /// 2^bits - 1 steps for unsigned ones).
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
/// number of samples. A 0-d argument takes a 1-d array of N samples.
/// Directory lookup tries `<name>.npy`, then the name with characters
/// outside [A-Za-z0-9._-] replaced by '_' (as qcc-run names its outputs).
/// Errors are diagnostics at `fn` naming the file, the input and the
/// problem; archive members or `.npy` files that name no input are warnings.
/// Integer and bool arrays need their exact dtype.
FailureOr<std::vector<CalibrationSample>> loadCalibrationData(func::FuncOp fn,
                                                              StringRef path);

/// Makes `count` synthetic samples: float inputs from a standard normal
/// distribution (fixed seed: std::mt19937_64 and a Box-Muller transform,
/// so the samples do not depend on the standard library), integer inputs
/// filled with 1, bool inputs with true. For trying the flow without data;
/// ranges from it say little about real inputs. An argument that is no
/// statically shaped tensor of a supported type gets a null tensor, which
/// calibrate reports.
std::vector<CalibrationSample> makeSyntheticCalibrationData(func::FuncOp fn,
                                                            unsigned count);

/// Runs `fn` on every sample and attaches qcc.range to every float-typed op
/// result and float function argument (replacing earlier ranges). Ops with
/// several results or non-float results get no range. MinMax runs the
/// samples once; Percentile and Mse run them twice (min/max, then
/// histograms), streaming the statistics. Fails (with a diagnostic, and
/// without touching the IR) when there are no samples, the options are out
/// of range, the interpreter fails, or a calibrated tensor holds NaN or
/// infinity (reported at the op, or at `fn` for an input). Progress goes to
/// options.progress: "calibrating: sample i/N" (updated in place on a
/// terminal, else printed once per pass), "calibrating: histograms, sample
/// i/N" for the second pass, then a one-line summary.
LogicalResult calibrate(func::FuncOp fn, ArrayRef<CalibrationSample> samples,
                        const CalibrationOptions &options = {});

} // namespace mlir::qcc

#endif // QCC_QUANT_CALIBRATION_H
