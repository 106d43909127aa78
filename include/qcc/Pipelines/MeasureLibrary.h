//===- MeasureLibrary.h - measured per-layer latency of a library -*- C++ -*-===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//
//
// `qcc --precision=mixed --report=...` times the library it just built: it
// loads it, runs it with per-op profiles enabled (NAME_op_profile) and
// charges each op to the layer whose ONNX node it is named after, so the
// report shows, next to the latencies qcc-tune predicted, what the layers
// take in the finished library.
//
//===----------------------------------------------------------------------===//

#ifndef QCC_PIPELINES_MEASURELIBRARY_H
#define QCC_PIPELINES_MEASURELIBRARY_H

#include "qcc/Pipelines/MixedPrecision.h"
#include "qcc/Quant/Calibration.h"

#include "llvm/Support/Error.h"

namespace mlir::qcc {

/// Profiles the library at `path` on `sample` (float inputs copied where
/// the library takes that dtype and element count; zeros otherwise) on
/// `threads` threads (0: the library's default) and returns every layer of
/// `result`'s median time in it (the sum of the ops named after it).
llvm::Expected<MeasuredLatency>
measureLibraryLatency(llvm::StringRef path, const BitAllocationResult &result,
                      const CalibrationSample *sample, unsigned threads);

} // namespace mlir::qcc

#endif // QCC_PIPELINES_MEASURELIBRARY_H
