//===- BitAllocation.h - mixed-precision bit allocation ---------*- C++ -*-===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//
//
// The layers bit allocation chooses a precision for (every qcc.conv and
// qcc.matmul by constant weights of a calibrated float graph), their costs,
// the tie constraints between them, and allocateBits: one multiple-choice
// knapsack over configurations (W8A8, W4A8, W4A4, ...) solved exactly
// (qcc/Quant/BitAllocationSolver.h), whose result marks each layer with
// qcc.weight_bits / qcc.activation_bits for qcc-integerize.
//
// Sensitivity per layer and configuration comes from the layer's
// `qcc.sensitivity` dictionary (written by the forward-only measurement of
// the pipeline, or by hand in tests), from the weights' quantization error
// ||Q_b(W) - W||^2, or from HAWQ's Tr(H)/n * ||Q_b(W) - W||^2 with traces
// from a JSON file. Latency per configuration comes from the layer's
// `qcc.latency` dictionary (milliseconds, from qcc-tune's table).
//
//===----------------------------------------------------------------------===//

#ifndef QCC_DIALECT_QCC_TRANSFORMS_BITALLOCATION_H
#define QCC_DIALECT_QCC_TRANSFORMS_BITALLOCATION_H

#include "qcc/Quant/BitAllocationSolver.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Support/LLVM.h"

#include <optional>
#include <string>

namespace mlir::qcc {

/// Attribute names on layer ops: dictionaries keyed by configuration name
/// ("W4A8") of f64 values.
constexpr StringLiteral kSensitivityAttrName = "qcc.sensitivity";
constexpr StringLiteral kLatencyAttrName = "qcc.latency";

/// A weight and activation precision.
struct LayerConfig {
  int64_t weightBits = 8;
  int64_t activationBits = 8;
  /// "W4A8".
  std::string getName() const;
  bool operator==(const LayerConfig &other) const {
    return weightBits == other.weightBits &&
           activationBits == other.activationBits;
  }
};

/// Parses "W4A8" (bits 8 or 4).
std::optional<LayerConfig> parseLayerConfig(StringRef text);

/// Marks a layer op with `config`: qcc.weight_bits / qcc.activation_bits,
/// each absent when 8.
void setLayerConfig(Operation *op, const LayerConfig &config);

/// A conv or matmul by constant weights.
struct QuantLayer {
  Operation *op = nullptr;
  std::string name;
  /// The float weights' value (constant, or dequantized constant).
  Value weight;
  /// Output channel axis of the weights (0 for conv, last for matmul).
  int64_t weightAxis = 0;
  /// The activation input.
  Value input;
  int64_t params = 0;
  /// Multiply-adds of one run.
  int64_t macs = 0;
};

/// The layers of `fn` in program order.
SmallVector<QuantLayer> collectQuantLayers(func::FuncOp fn);

/// Groups of layer indices that must share a configuration: layers reading
/// one activation (Q/K/V), the two branches of a residual add, and the
/// inputs of a concat. Each group has at least two layers.
std::vector<SmallVector<unsigned, 4>>
collectLayerTies(ArrayRef<QuantLayer> layers);

/// ||Q_b(W) - W||^2 of a layer's float weights quantized per channel at
/// `bits` the way qcc-integerize does (symmetric, max|w_c| / (2^(b-1)-1)).
double getWeightQuantError(const QuantLayer &layer, int64_t bits);

struct AllocateBitsOptions {
  /// Candidate configurations; must contain W8A8 when the first and last
  /// layers are kept at 8 bits.
  SmallVector<LayerConfig> configs = {{8, 8}, {4, 8}, {4, 4}};
  /// Budgets: empty (none), a number (bytes of layer weights, BOPs, ms), or
  /// "N%" of the all-W8A8 cost.
  std::string sizeBudget, bopsBudget, latencyBudget;
  /// "measured" (qcc.sensitivity attributes), "weight-error", or a JSON
  /// file {"layer name": Tr(H)/n, ...}.
  std::string sensitivity = "measured";
  bool keepFirstLast = true;
  BitAllocationOptions solver;
};

/// What allocateBits chose, with everything the report shows.
struct BitAllocationResult {
  struct Layer {
    std::string name;
    int64_t params = 0, macs = 0;
    /// Per configuration (options.configs order).
    SmallVector<double> sensitivity, sizeBytes, bops;
    /// Per configuration; empty without latency data.
    SmallVector<double> latencyMs;
    unsigned chosen = 0;
    bool fixed = false;
  };
  SmallVector<LayerConfig> configs;
  std::vector<Layer> layers;
  std::vector<SmallVector<unsigned, 4>> ties;
  /// Budgets as absolute values (unset: none) and the all-W8A8 totals.
  std::optional<double> sizeBudget, bopsBudget, latencyBudget;
  double int8Size = 0, int8Bops = 0, int8Latency = 0;
  double objective = 0, size = 0, bops = 0, latency = 0;
  bool haveLatency = false;
  BitAllocationSolverKind solver = BitAllocationSolverKind::Exact;
};

/// Builds the knapsack problem of `fn`'s layers under `options` (emitting
/// diagnostics at the function on bad input).
FailureOr<BitAllocationProblem>
buildBitAllocationProblem(func::FuncOp fn, ArrayRef<QuantLayer> layers,
                          const AllocateBitsOptions &options,
                          BitAllocationResult &result);

/// Chooses every layer's configuration and marks the layers; errors (an
/// infeasible budget names the smallest feasible one) are diagnostics at
/// the function.
FailureOr<BitAllocationResult> allocateBits(func::FuncOp fn,
                                            const AllocateBitsOptions &options);

} // namespace mlir::qcc

#endif // QCC_DIALECT_QCC_TRANSFORMS_BITALLOCATION_H
