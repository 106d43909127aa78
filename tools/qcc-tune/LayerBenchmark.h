//===- LayerBenchmark.h - time qcc's linear kernel on a layer ---*- C++ -*-===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//

#ifndef QCC_TOOLS_QCC_TUNE_LAYERBENCHMARK_H
#define QCC_TOOLS_QCC_TUNE_LAYERBENCHMARK_H

#include "qcc/Pipelines/LatencyTable.h"

#include "llvm/Support/Error.h"

struct qcc_context;

namespace mlir::qcc {

struct LayerBenchmarkOptions {
  /// Each batch calls the kernel for at least this long.
  double minSeconds = 0.05;
  /// Batches; the result is their median time per call.
  int repeat = 5;
};

/// Milliseconds per call of qcc_rt_linear -- the kernel the generated
/// library calls for this layer -- on `shape` at `config`: weights packed at
/// config.weightBits (random, in range), activations of config's width
/// (random, i8), the Requant epilogue with per-channel dyadics, on `ctx`'s
/// threads.
llvm::Expected<double>
measureLayerLatency(qcc_context *ctx, const LayerShape &shape,
                    const LayerConfig &config,
                    const LayerBenchmarkOptions &options);

} // namespace mlir::qcc

#endif // QCC_TOOLS_QCC_TUNE_LAYERBENCHMARK_H
