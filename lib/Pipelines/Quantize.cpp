//===- Quantize.cpp - calibrate and integerize a module -------------------===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//

#include "qcc/Pipelines/Quantize.h"

#include "qcc/Dialect/Qcc/IR/QccOps.h"
#include "qcc/Dialect/Qcc/Transforms/BitAllocation.h"
#include "qcc/Pipelines/LatencyTable.h"
#include "qcc/Pipelines/Pipelines.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/FileSystem.h"

using namespace mlir;
using namespace mlir::qcc;

std::optional<LayerBits> mlir::qcc::parseLayerBits(StringRef text) {
  auto [name, value] = text.rsplit('=');
  std::optional<LayerConfig> config = parseLayerConfig(value);
  if (name.empty() || !config)
    return std::nullopt;
  return LayerBits{name.str(), *config};
}

/// Marks the layers (convs and matmuls by constant weights) that
/// `layerBits` names with their configuration; a name that matches none is
/// an error.
static LogicalResult applyLayerBits(func::FuncOp fn,
                                    ArrayRef<LayerBits> layerBits) {
  if (layerBits.empty())
    return success();
  SmallVector<QuantLayer> layers = collectQuantLayers(fn);
  for (const LayerBits &entry : layerBits) {
    bool matched = false;
    for (const QuantLayer &layer : layers) {
      if (entry.name != "*" && layer.name != entry.name)
        continue;
      matched = true;
      setLayerConfig(layer.op, entry.config);
    }
    if (!matched)
      return mlir::emitError(fn.getLoc(), "--layer-bits: no convolution or "
                                          "matmul by constant weights is "
                                          "named '")
             << entry.name << "'";
  }
  return success();
}

/// (size, objective) points of the sensitivity-vs-size Pareto frontier:
/// the optimum under size budgets from half the W8A8 size to all of it.
static std::vector<std::pair<double, double>>
sweepSizeFrontier(func::FuncOp fn, const AllocateBitsOptions &options,
                  double int8Size) {
  SmallVector<QuantLayer> layers = collectQuantLayers(fn);
  std::vector<std::pair<double, double>> points;
  constexpr int kSteps = 24;
  for (int i = 0; i <= kSteps; ++i) {
    AllocateBitsOptions sweep = options;
    sweep.sizeBudget = std::to_string(
        int8Size * (0.5 + 0.5 * i / static_cast<double>(kSteps)));
    sweep.bopsBudget.clear();
    sweep.latencyBudget.clear();
    BitAllocationResult scratch;
    FailureOr<BitAllocationProblem> problem =
        buildBitAllocationProblem(fn, layers, sweep, scratch);
    if (failed(problem))
      break;
    llvm::Expected<BitAllocationSolution> solution =
        solveBitAllocation(*problem, sweep.solver);
    if (!solution) {
      llvm::consumeError(solution.takeError());
      continue;
    }
    if (points.empty() || solution->objective < points.back().second)
      points.emplace_back(solution->totals[0], solution->objective);
  }
  return points;
}

/// Sets every layer's qcc.latency from the table: required by a latency
/// budget, optional (skipped with a note) otherwise. `tableThreads` gets
/// the thread count the table was measured with.
static LogicalResult attachLatencies(func::FuncOp fn,
                                     const QuantizeOptions &options,
                                     unsigned &tableThreads) {
  bool required = !options.allocation.latencyBudget.empty();
  std::string path = options.latencyTable.empty() ? getDefaultLatencyTablePath()
                                                  : options.latencyTable;
  if (!required && !llvm::sys::fs::exists(path))
    return success();
  llvm::Expected<LatencyTable> table = LatencyTable::load(path);
  if (!table) {
    std::string message = llvm::toString(table.takeError());
    if (required) {
      InFlightDiagnostic diag =
          emitError(fn.getLoc(), "a latency budget needs measured latencies: ")
          << message;
      diag.attachNote() << "run `qcc-tune MODEL [--shape ...]` on the "
                           "machine the library is for (it writes "
                        << path << ")";
      return diag;
    }
    if (options.progress)
      *options.progress << "qcc: note: no latencies: " << message << "\n";
    return success();
  }
  tableThreads = table->host.threads;
  LatencyHost here = getCurrentHost(table->host.threads);
  if (!(here == table->host) && options.progress)
    *options.progress << "qcc: note: the latency table " << path
                      << " was measured on '" << table->host.model << "' ("
                      << table->host.cpu << "), not on this machine\n";
  if (required)
    return attachLayerLatencies(fn, *table, options.allocation.configs, path);
  // Without a latency budget, missing entries only leave latency out.
  ScopedDiagnosticHandler quiet(fn.getContext(),
                                [](Diagnostic &) { return success(); });
  if (failed(
          attachLayerLatencies(fn, *table, options.allocation.configs, path))) {
    fn.walk([](Operation *op) { op->removeAttr(kLatencyAttrName); });
    if (options.progress)
      *options.progress << "qcc: note: the latency table " << path
                        << " lacks some of this model's layers (run "
                           "qcc-tune on it); no latencies reported\n";
  }
  return success();
}

/// --precision=mixed on a calibrated module.
static LogicalResult runMixedPrecision(ModuleOp module, func::FuncOp fn,
                                       ArrayRef<CalibrationSample> samples,
                                       const QuantizeOptions &options) {
  if (options.allocation.sensitivity == "measured") {
    if (samples.empty())
      return emitError(fn.getLoc(), "the measured (forward-only) "
                                    "sensitivity needs calibration data")
                 .attachNote()
             << "give --calibration, or --sensitivity=weight-error or a "
                "file of Hessian traces";
    SensitivityOptions sensitivity = options.sensitivity;
    sensitivity.configs = options.allocation.configs;
    sensitivity.progress = options.progress;
    if (failed(measureSensitivity(module, samples, sensitivity)))
      return failure();
  }
  unsigned tableThreads = 0;
  if (failed(attachLatencies(fn, options, tableThreads)))
    return failure();
  FailureOr<BitAllocationResult> result = allocateBits(fn, options.allocation);
  if (failed(result))
    return failure();
  if (options.progress)
    printBitAllocationSummary(*result, *options.progress);
  if (!options.report.empty()) {
    BitAllocationReport report;
    report.frontier =
        sweepSizeFrontier(fn, options.allocation, result->int8Size);
    report.result = std::move(*result);
    if (DeferredReport *deferred = options.deferredReport) {
      deferred->latencyThreads = report.result.haveLatency ? tableThreads : 0;
      if (!samples.empty())
        deferred->sample = samples.front();
      deferred->report = std::move(report);
      deferred->path = options.report;
      return success();
    }
    if (failed(writeBitAllocationReport(report, options.report, fn.getLoc())))
      return failure();
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
  }
  std::vector<CalibrationSample> samples;
  if (!options.calibration.empty()) {
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
  if (options.mixed && failed(runMixedPrecision(module, fn, samples, options)))
    return failure();
  if (failed(applyLayerBits(fn, options.layerBits)))
    return failure();
  PassManager pm(module.getContext());
  IntegerPipelineOptions integer;
  integer.io = options.io;
  buildIntegerPipeline(pm, integer);
  return pm.run(module);
}
