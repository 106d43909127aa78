//===- Quantize.cpp - calibrate and integerize a module -------------------===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//

#include "qcc/Pipelines/Quantize.h"

#include "qcc/Dialect/Qcc/IR/QccOps.h"
#include "qcc/Pipelines/Pipelines.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/PassManager.h"

using namespace mlir;
using namespace mlir::qcc;

LogicalResult mlir::qcc::quantizeModule(ModuleOp module,
                                        const QuantizeOptions &options) {
  auto functions = llvm::to_vector(module.getOps<func::FuncOp>());
  if (functions.size() != 1)
    return module.emitError("expected one function to quantize, found ")
           << functions.size();
  func::FuncOp fn = functions.front();
  bool isQDQ = !fn.getOps<QuantizeOp>().empty();
  if (options.calibration.empty()) {
    if (!isQDQ)
      return fn.emitError("integer precision needs calibration data")
                 .attachNote()
             << "give --calibration FILE.npz or a directory of .npy files "
                "(samples stacked along dimension 0), or "
                "--calibration=synthetic to try without data (inaccurate)";
  } else {
    std::vector<CalibrationSample> samples;
    if (options.calibration == "synthetic") {
      fn.emitWarning("calibrating on ")
          << options.syntheticSamples
          << " synthetic samples (random normal floats, integer inputs 1): "
             "accuracy will be poor; give real inputs with --calibration";
      samples = makeSyntheticCalibrationData(fn, options.syntheticSamples);
    } else {
      FailureOr<std::vector<CalibrationSample>> loaded =
          loadCalibrationData(fn, options.calibration);
      if (failed(loaded))
        return failure();
      samples = std::move(*loaded);
    }
    if (failed(calibrate(fn, samples, options.calibrationOptions)))
      return failure();
  }
  PassManager pm(module.getContext());
  IntegerPipelineOptions integer;
  integer.io = options.io;
  buildIntegerPipeline(pm, integer);
  return pm.run(module);
}
