//===- Quantize.h - calibrate and integerize a module -----------*- C++ -*-===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//
//
// The quantization stage shared by `qcc --precision=int8` and
// `qcc-run --interp=int`: load calibration samples (or make synthetic ones),
// record activation ranges with the float interpreter, then run the integer
// pipeline (qcc-integerize + qcc-verify-integer-only).
//
//===----------------------------------------------------------------------===//

#ifndef QCC_PIPELINES_QUANTIZE_H
#define QCC_PIPELINES_QUANTIZE_H

#include "qcc/Pipelines/MixedPrecision.h"
#include "qcc/Quant/Calibration.h"

#include "mlir/IR/BuiltinOps.h"

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace mlir::qcc {

/// The weight and activation precision of one layer (a conv or a matmul by
/// constant weights): W8A8, W4A8, W8A4 or W4A4.
struct LayerBits {
  std::string name;
  LayerConfig config;
};

struct QuantizeOptions {
  /// `.npz` file or directory of `.npy` files, "synthetic", or empty (only
  /// valid for QDQ models, whose scales need no calibration).
  std::string calibration;
  CalibrationOptions calibrationOptions;
  /// Number of synthetic samples.
  unsigned syntheticSamples = 8;
  /// "float" (quantize inputs, dequantize outputs) or "int".
  std::string io = "float";
  /// Precision per layer (by ONNX node name, or "*" for every conv and
  /// matmul by constant weights). Later entries win.
  std::vector<LayerBits> layerBits;
  /// --precision=mixed: measure sensitivity (when allocation.sensitivity is
  /// "measured"), allocate bits, print the summary to `progress`, write
  /// `report` (.json/.html, optional). layerBits apply afterwards and win.
  bool mixed = false;
  AllocateBitsOptions allocation;
  SensitivityOptions sensitivity;
  std::string report;
  /// qcc-tune's table of measured layer latencies (LatencyTable.h): needed
  /// by a latency budget; otherwise used, when it exists and covers every
  /// layer, for the latencies of the summary and the report.
  std::string latencyTable;
  llvm::raw_ostream *progress = nullptr;
  /// When set, --precision=mixed leaves writing `report` to the caller: it
  /// stores the report here, with one calibration sample and the latency
  /// table's thread count, so that the caller can time the library it
  /// builds and add the measured latency (qcc).
  struct DeferredReport *deferredReport = nullptr;
};

/// The report of --precision=mixed and what timing the library needs.
struct DeferredReport {
  BitAllocationReport report;
  /// Where it goes (QuantizeOptions::report).
  std::string path;
  /// The first calibration sample (the model's float inputs), if any.
  std::optional<CalibrationSample> sample;
  /// Threads of the latency table behind the predicted latencies (0: none).
  unsigned latencyThreads = 0;
};

/// Parses one `--layer-bits` value, NAME=WxAy with x and y 8 or 4.
std::optional<LayerBits> parseLayerBits(llvm::StringRef text);

/// Calibrates the module's single function and integerizes it. Diagnostics
/// (located at the model's nodes) go through the context's handler; a
/// synthetic calibration is reported as a warning.
LogicalResult quantizeModule(ModuleOp module, const QuantizeOptions &options);

} // namespace mlir::qcc

#endif // QCC_PIPELINES_QUANTIZE_H
