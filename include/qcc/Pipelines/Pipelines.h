//===- Pipelines.h - qcc pass pipelines -------------------------*- C++ -*-===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//
//
// One builder function per pipeline. The `qcc` driver calls them directly and
// `qcc-opt` exposes the same functions through PassPipelineRegistration, so a
// lit test of `qcc-opt --qcc-prepare-pipeline` runs exactly what the CLI runs.
//
//===----------------------------------------------------------------------===//

#ifndef QCC_PIPELINES_PIPELINES_H
#define QCC_PIPELINES_PIPELINES_H

#include "mlir/Pass/PassOptions.h"

namespace mlir {
class OpPassManager;
namespace qcc {

/// Options of the prepare pipeline (float graph canonicalisation).
struct PreparePipelineOptions
    : public PassPipelineOptions<PreparePipelineOptions> {
  Option<bool> foldBatchNorm{
      *this, "fold-batch-norm",
      llvm::cl::desc("Fold batch normalisation into preceding convolutions"),
      llvm::cl::init(true)};
  Option<bool> recognizeLayerNorm{
      *this, "recognize-layer-norm",
      llvm::cl::desc("Rewrite LayerNorm written with primitives"),
      llvm::cl::init(true)};
  Option<bool> recognizeGelu{
      *this, "recognize-gelu",
      llvm::cl::desc("Rewrite GELU written with Erf or Tanh"),
      llvm::cl::init(true)};
  Option<bool> recognizeAttention{
      *this, "recognize-attention",
      llvm::cl::desc("Rewrite scaled dot-product attention into qcc.attention"),
      llvm::cl::init(true)};
};

/// Canonicalises an imported float graph: constant folding, dead-code
/// removal, batch-norm folding, recognition of LayerNorm, GELU and attention
/// written with primitive ops, CSE. Numerics change only by float rounding.
void buildPreparePipeline(OpPassManager &pm,
                          const PreparePipelineOptions &options);

/// Options of the integer pipeline.
struct IntegerPipelineOptions
    : public PassPipelineOptions<IntegerPipelineOptions> {
  Option<std::string> io{
      *this, "io",
      llvm::cl::desc("Interface of the integer function: float or int"),
      llvm::cl::init("float")};
};

/// Turns a calibrated float graph (qcc.range attributes, or QDQ scales) into
/// the integer graph: qcc-integerize, canonicalisation, CSE, then
/// qcc-verify-integer-only.
void buildIntegerPipeline(OpPassManager &pm,
                          const IntegerPipelineOptions &options);

/// Registers every qcc pipeline with the global pass-pipeline registry.
void registerQccPipelines();

} // namespace qcc
} // namespace mlir

#endif // QCC_PIPELINES_PIPELINES_H
