//===- Pipelines.cpp - qcc pass pipelines -----------------------*- C++ -*-===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//

#include "qcc/Pipelines/Pipelines.h"
#include "qcc/Dialect/Qcc/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

void mlir::qcc::buildPreparePipeline(OpPassManager &pm,
                                     const PreparePipelineOptions &options) {
  OpPassManager &funcPm = pm.nest<func::FuncOp>();
  funcPm.addPass(createCanonicalizerPass());
  if (options.foldBatchNorm)
    funcPm.addPass(createFoldBatchNormPass());
  if (options.recognizeLayerNorm)
    funcPm.addPass(createRecognizeLayerNormPass());
  if (options.recognizeGelu)
    funcPm.addPass(createRecognizeGeluPass());
  if (options.recognizeAttention)
    funcPm.addPass(createRecognizeAttentionPass());
  funcPm.addPass(createCanonicalizerPass());
  funcPm.addPass(createCSEPass());
}

void mlir::qcc::buildIntegerPipeline(OpPassManager &pm,
                                     const IntegerPipelineOptions &options) {
  OpPassManager &funcPm = pm.nest<func::FuncOp>();
  IntegerizePassOptions integerize;
  integerize.io = options.io;
  funcPm.addPass(createIntegerizePass(integerize));
  funcPm.addPass(createCanonicalizerPass());
  funcPm.addPass(createTabulatePass());
  funcPm.addPass(createUnsignedMatMulInputsPass());
  funcPm.addPass(createCSEPass());
  funcPm.addPass(createVerifyIntegerOnlyPass());
}

void mlir::qcc::registerQccPipelines() {
  PassPipelineRegistration<IntegerPipelineOptions>(
      "qcc-integer-pipeline",
      "Rewrite a calibrated float graph into integer-only ops and verify "
      "that no float remains inside the model boundary",
      buildIntegerPipeline);
  PassPipelineRegistration<PreparePipelineOptions>(
      "qcc-prepare-pipeline",
      "Canonicalise an imported float graph (fold constants and batch norm, "
      "recognise LayerNorm/GELU/attention, remove dead code)",
      buildPreparePipeline);
}
