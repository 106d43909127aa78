//===- Quantize.cpp - calibrate and integerize a module -------------------===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//

#include "qcc/Pipelines/Quantize.h"

#include "qcc/Dialect/Qcc/IR/QccOps.h"
#include "qcc/Pipelines/Pipelines.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Pass/PassManager.h"

using namespace mlir;
using namespace mlir::qcc;

std::optional<std::pair<std::string, int64_t>>
mlir::qcc::parseWeightBits(StringRef text) {
  auto [name, value] = text.rsplit('=');
  int64_t bits = 0;
  if (name.empty() || value.getAsInteger(10, bits) || (bits != 8 && bits != 4))
    return std::nullopt;
  return std::make_pair(name.str(), bits);
}

std::string mlir::qcc::getLayerName(Operation *op) {
  std::string name;
  op->getLoc()->walk([&](Location loc) {
    if (auto named = dyn_cast<NameLoc>(loc)) {
      name = named.getName().str();
      return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  return name;
}

/// Marks the convs and matmuls by constant weights that `weightBits` names
/// with qcc.weight_bits; a name that matches none is an error.
static LogicalResult
applyWeightBits(func::FuncOp fn,
                ArrayRef<std::pair<std::string, int64_t>> weightBits) {
  for (const auto &[name, bits] : weightBits) {
    bool matched = false;
    fn.walk([&](Operation *op) {
      Value weight;
      if (auto conv = dyn_cast<ConvOp>(op))
        weight = conv.getWeight();
      else if (auto mm = dyn_cast<MatMulOp>(op))
        weight = mm.getRhs();
      auto dq = weight ? weight.getDefiningOp<DequantizeOp>() : nullptr;
      bool constant =
          weight && (matchPattern(weight, m_Constant()) ||
                     (dq && matchPattern(dq.getInput(), m_Constant())));
      if (!constant || (name != "*" && getLayerName(op) != name))
        return;
      matched = true;
      op->setAttr(
          QccDialect::kWeightBitsAttrName,
          IntegerAttr::get(IntegerType::get(op->getContext(), 64), bits));
    });
    if (!matched)
      return mlir::emitError(fn.getLoc(), "--weight-bits: no convolution or "
                                          "matmul by constant weights is "
                                          "named '")
             << name << "'";
  }
  return success();
}

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
  if (failed(applyWeightBits(fn, options.weightBits)))
    return failure();
  PassManager pm(module.getContext());
  IntegerPipelineOptions integer;
  integer.io = options.io;
  buildIntegerPipeline(pm, integer);
  return pm.run(module);
}
