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

std::optional<LayerBits> mlir::qcc::parseLayerBits(StringRef text) {
  auto [name, value] = text.rsplit('=');
  LayerBits bits;
  bits.name = name.str();
  if (name.empty() || value.size() != 4 || value[0] != 'W' || value[2] != 'A')
    return std::nullopt;
  auto digit = [](char c) -> int64_t {
    return c == '8' ? 8 : c == '4' ? 4 : 0;
  };
  bits.weightBits = digit(value[1]);
  bits.activationBits = digit(value[3]);
  if (!bits.weightBits || !bits.activationBits)
    return std::nullopt;
  return bits;
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

/// Marks the convs and matmuls by constant weights that `layerBits` names
/// with qcc.weight_bits and qcc.activation_bits (8 is the default: no
/// mark); a name that matches none is an error.
static LogicalResult applyLayerBits(func::FuncOp fn,
                                    ArrayRef<LayerBits> layerBits) {
  auto mark = [](Operation *op, StringRef attr, int64_t bits) {
    if (bits == 8)
      op->removeAttr(attr);
    else
      op->setAttr(
          attr, IntegerAttr::get(IntegerType::get(op->getContext(), 64), bits));
  };
  for (const LayerBits &layer : layerBits) {
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
      if (!constant || (layer.name != "*" && getLayerName(op) != layer.name))
        return;
      matched = true;
      mark(op, QccDialect::kWeightBitsAttrName, layer.weightBits);
      mark(op, QccDialect::kActivationBitsAttrName, layer.activationBits);
    });
    if (!matched)
      return mlir::emitError(fn.getLoc(), "--layer-bits: no convolution or "
                                          "matmul by constant weights is "
                                          "named '")
             << layer.name << "'";
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
  if (failed(applyLayerBits(fn, options.layerBits)))
    return failure();
  PassManager pm(module.getContext());
  IntegerPipelineOptions integer;
  integer.io = options.io;
  buildIntegerPipeline(pm, integer);
  return pm.run(module);
}
