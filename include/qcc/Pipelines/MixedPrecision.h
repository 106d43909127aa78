//===- MixedPrecision.h - --precision=mixed: measure, allocate, report ----===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//
//
// The pipeline side of mixed precision. measureSensitivity is the default,
// forward-only sensitivity (CalibTIP's): for every layer and configuration
// other than W8A8, integerize the model with only that layer changed, run
// the integer interpreter on the calibration samples and measure how far
// the outputs move from the all-W8A8 model's:
//
//   Omega[l, c] = sum_samples ||y_{l,c} - y_8||^2 / sum_samples ||y_8||^2
//
// (0 for W8A8). The measurements run in parallel, are cached on disk by a
// hash of the calibrated model, the samples and the configurations, and
// report progress. The results become each layer's qcc.sensitivity
// dictionary, which qcc-allocate-bits reads.
//
//===----------------------------------------------------------------------===//

#ifndef QCC_PIPELINES_MIXEDPRECISION_H
#define QCC_PIPELINES_MIXEDPRECISION_H

#include "qcc/Dialect/Qcc/Transforms/BitAllocation.h"
#include "qcc/Quant/Calibration.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/raw_ostream.h"

#include <string>

namespace mlir::qcc {

struct SensitivityOptions {
  SmallVector<LayerConfig> configs = {{8, 8}, {4, 8}, {4, 4}};
  /// Measurements run at once; 0 means one per hardware thread. One when
  /// the context has multithreading disabled (its uniquers are unlocked).
  unsigned numThreads = 0;
  /// At most this many calibration samples are used (the first ones).
  size_t maxSamples = 16;
  /// Directory of cached results; empty disables the cache.
  std::string cacheDir;
  /// Progress lines; null for none.
  llvm::raw_ostream *progress = nullptr;
};

/// qcc's cache directory (sensitivities, the latency table):
/// $XDG_CACHE_HOME/qcc, else ~/.cache/qcc, else "" (no home).
std::string getDefaultSensitivityCacheDir();

/// Measures every layer's forward-only sensitivity on `samples` and sets
/// its qcc.sensitivity dictionary. `module` is calibrated (qcc.range) and
/// not yet integerized; it is not otherwise changed.
LogicalResult measureSensitivity(ModuleOp module,
                                 ArrayRef<CalibrationSample> samples,
                                 const SensitivityOptions &options);

/// Prints the per-layer table and totals of an allocation.
void printBitAllocationSummary(const BitAllocationResult &result,
                               llvm::raw_ostream &os);

/// The finished library's latency, from per-op profiles of it (qcc
/// --report; MeasureLibrary.h).
struct MeasuredLatency {
  /// Per layer of the allocation: the median time of the kernel calls
  /// named after it; nullopt when none is (a layer the backend fused away).
  std::vector<std::optional<double>> layerMs;
  /// The sum of layerMs, and the median of whole runs.
  double layersMs = 0, runMs = 0;
  unsigned runs = 0;
  int32_t threads = 0;
};

/// What `--report` shows.
struct BitAllocationReport {
  BitAllocationResult result;
  /// (size, objective) points of the sensitivity-vs-size Pareto frontier
  /// (may be empty).
  std::vector<std::pair<double, double>> frontier;
  /// Absent unless a library was built and timed.
  std::optional<MeasuredLatency> measured;
};

/// Prints the measured totals of the library next to the predicted ones.
void printMeasuredLatency(const BitAllocationResult &result,
                          const MeasuredLatency &measured,
                          llvm::raw_ostream &os);

/// Writes the report as JSON (`path` ends in .json) or as a self-contained
/// HTML page (.html).
LogicalResult writeBitAllocationReport(const BitAllocationReport &report,
                                       StringRef path, Location loc);

} // namespace mlir::qcc

#endif // QCC_PIPELINES_MIXEDPRECISION_H
