//===- LatencyTable.h - measured per-layer latencies (qcc-tune) -*- C++ -*-===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//
//
// The latency costs of --precision=mixed come from measurements, never from
// assumptions about bit-widths: `qcc-tune` runs qcc's own fused linear
// kernel (qcc_rt_linear, the one every generated library calls for a conv
// or matmul by constant weights) on each layer's shape at each
// configuration on this machine, and saves the times in a JSON table:
//
//   {"format": "qcc-latency-table", "version": 1,
//    "host": {"cpu": "sapphirerapids", "model": "Intel(R) Xeon(R) ...",
//             "threads": 2},
//    "layers": {"matmul m=1024 k=768 n=3072": {"W8A8": 0.61, ...}, ...}}
//
// `qcc --precision=mixed` looks each layer's shape key up and sets the
// layer's qcc.latency dictionary (milliseconds per configuration), which
// qcc-allocate-bits reads. Keys depend only on the shapes the kernel sees,
// so one table serves every model with those layer shapes.
//
//===----------------------------------------------------------------------===//

#ifndef QCC_PIPELINES_LATENCYTABLE_H
#define QCC_PIPELINES_LATENCYTABLE_H

#include "qcc/Dialect/Qcc/Transforms/BitAllocation.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Error.h"

#include <map>
#include <string>

namespace mlir::qcc {

/// What the fused linear kernel sees of one layer.
struct LayerShape {
  enum class Kind { MatMul, Conv } kind = Kind::MatMul;
  /// MatMul: rows (the product of the input's leading dimensions).
  int64_t m = 0;
  /// Reduction length and output channels (Conv: k = channels per group x
  /// kernel size).
  int64_t k = 0, n = 0;
  /// Conv: input shape (N, C, spatial...), kernel size, group, strides,
  /// pads (begins then ends), dilations.
  SmallVector<int64_t, 4> inputShape, kernel, strides, pads, dilations;
  int64_t group = 1;

  /// The table key, e.g. "matmul m=1024 k=768 n=3072" or
  /// "conv x=1x32x28x28 k=3x3 n=64 g=1 s=1x1 p=1x1x1x1 d=1x1".
  std::string getKey() const;
  /// Output shape of a Conv (N, n, spatial...).
  SmallVector<int64_t, 4> getConvOutputShape() const;
};

/// The shape of a layer whose types are static; an error otherwise (or for
/// a matmul whose weights are not a matrix).
llvm::Expected<LayerShape> getLayerShape(const QuantLayer &layer);

/// The machine a table was measured on.
struct LatencyHost {
  /// LLVM's host CPU name and /proc/cpuinfo's model name.
  std::string cpu, model;
  int64_t threads = 0;
  bool operator==(const LatencyHost &other) const {
    return cpu == other.cpu && model == other.model && threads == other.threads;
  }
};

/// This machine, running on `threads` threads.
LatencyHost getCurrentHost(int64_t threads);

struct LatencyTable {
  LatencyHost host;
  /// Shape key -> configuration name -> milliseconds.
  std::map<std::string, std::map<std::string, double>> layers;

  /// The time of `config` on the layer with `key`, if measured.
  std::optional<double> lookup(StringRef key, const LayerConfig &config) const;

  static llvm::Expected<LatencyTable> load(StringRef path);
  /// Writes the table (creating the directory).
  llvm::Error save(StringRef path) const;
};

/// $XDG_CACHE_HOME/qcc/latency.json (or ~/.cache/qcc/latency.json).
std::string getDefaultLatencyTablePath();

/// Sets the qcc.latency dictionary of every layer of `fn` from `table`.
/// Layers missing from the table (or missing a configuration) are an error
/// naming the layer, its shape key and the qcc-tune command that measures
/// it; `tablePath` is only used in messages.
LogicalResult attachLayerLatencies(func::FuncOp fn, const LatencyTable &table,
                                   ArrayRef<LayerConfig> configs,
                                   StringRef tablePath);

} // namespace mlir::qcc

#endif // QCC_PIPELINES_LATENCYTABLE_H
