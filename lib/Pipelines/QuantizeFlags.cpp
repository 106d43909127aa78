//===- QuantizeFlags.cpp - quantization flags of qcc and qcc-run ----------===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//

#include "qcc/Pipelines/QuantizeFlags.h"

using namespace mlir;
using namespace mlir::qcc;
namespace cl = llvm::cl;

QuantizeFlags::QuantizeFlags(cl::OptionCategory &category)
    : calibration("calibration",
                  cl::desc("Calibration inputs (.npz, directory of .npy, or "
                           "synthetic)"),
                  cl::value_desc("path"), cl::cat(category)),
      calibrationMethod(
          "calibration-method",
          cl::desc("How activation ranges are chosen: minmax, percentile or "
                   "mse"),
          cl::value_desc("method"), cl::init("mse"), cl::cat(category)),
      calibrationPercentile(
          "calibration-percentile",
          cl::desc("Percentile of |x| kept by --calibration-method=percentile"),
          cl::value_desc("P"), cl::init(99.99), cl::cat(category)),
      io("io",
         cl::desc("Interface of the integer model: float (quantize inputs, "
                  "dequantize outputs; the default) or int"),
         cl::value_desc("float|int"), cl::init("float"), cl::cat(category)),
      layerBits(
          "layer-bits",
          cl::desc("Weight and activation bits of a layer: ONNX node "
                   "NAME=WxAy (W8A8, W4A8, W8A4, W4A4), or *=WxAy for every "
                   "conv and matmul by constant weights (repeatable; later "
                   "entries win)"),
          cl::value_desc("NAME=WxAy"), cl::cat(category)),
      sizeBudget("size-budget", cl::desc("Mixed precision size budget"),
                 cl::value_desc("BYTES|N%"), cl::cat(category)),
      bopsBudget("bops-budget", cl::desc("Mixed precision BOPS budget"),
                 cl::value_desc("BOPS|N%"), cl::cat(category)),
      latencyBudget("latency-budget",
                    cl::desc("Mixed precision latency budget (needs "
                             "qcc-tune's table)"),
                    cl::value_desc("MS|N%"), cl::cat(category)),
      latencyTable("latency-table",
                   cl::desc("qcc-tune's table of measured layer latencies "
                            "(default: $XDG_CACHE_HOME/qcc/latency.json)"),
                   cl::value_desc("FILE.json"), cl::cat(category)),
      sensitivity(
          "sensitivity",
          cl::desc("Layer sensitivity for --precision=mixed: measured "
                   "(forward-only on the calibration set, the default), "
                   "weight-error, or a JSON file of Hessian traces "
                   "{\"layer\": Tr(H)/n}"),
          cl::value_desc("measured|weight-error|FILE"), cl::init("measured"),
          cl::cat(category)),
      ilpSolver("ilp-solver",
                cl::desc("Integer program solver of --precision=mixed: auto "
                         "(CBC when built with it), cbc or exact (built-in "
                         "branch-and-bound)"),
                cl::value_desc("auto|cbc|exact"), cl::init("auto"),
                cl::cat(category)),
      keepFirstLast("keep-first-last",
                    cl::desc("Keep the first and last layers at W8A8 under "
                             "--precision=mixed (default true)"),
                    cl::init(true), cl::cat(category)),
      report("report",
             cl::desc("Write the mixed-precision report (.json or "
                      "self-contained .html)"),
             cl::value_desc("FILE.json|FILE.html"), cl::cat(category)) {}

bool QuantizeFlags::anyIntegerFlagGiven() const {
  return calibration.getNumOccurrences() || io.getNumOccurrences() ||
         layerBits.getNumOccurrences();
}

bool QuantizeFlags::anyMixedFlagGiven() const {
  return sizeBudget.getNumOccurrences() || bopsBudget.getNumOccurrences() ||
         latencyBudget.getNumOccurrences() ||
         latencyTable.getNumOccurrences() || sensitivity.getNumOccurrences() ||
         ilpSolver.getNumOccurrences() || keepFirstLast.getNumOccurrences() ||
         report.getNumOccurrences();
}

LogicalResult QuantizeFlags::validate(
    bool mixed, llvm::function_ref<void(const llvm::Twine &)> fail) const {
  bool ok = true;
  auto bad = [&](const llvm::Twine &message) {
    fail(message);
    ok = false;
  };
  if (!mixed && anyMixedFlagGiven())
    bad("--size-budget, --bops-budget, --latency-budget, --latency-table, "
        "--sensitivity, --ilp-solver, --keep-first-last and --report apply "
        "to --precision=mixed");
  if (mixed && !sizeBudget.getNumOccurrences() &&
      !bopsBudget.getNumOccurrences() && !latencyBudget.getNumOccurrences())
    bad("--precision=mixed needs a budget: --size-budget, --bops-budget or "
        "--latency-budget (bytes, BOPs, ms, or N% of the int8 model)");
  if (report.getNumOccurrences() && !StringRef(report).ends_with(".json") &&
      !StringRef(report).ends_with(".html"))
    bad("--report=" + report + " must end in .json or .html");
  if (!parseBitAllocationSolverKind(ilpSolver))
    bad("invalid --ilp-solver=" + ilpSolver + " (expected auto, cbc or exact)");
  if (io != "float" && io != "int")
    bad("invalid --io=" + io + " (expected float or int)");
  if (!parseCalibrationMethod(calibrationMethod))
    bad("invalid --calibration-method=" + calibrationMethod +
        " (expected minmax, percentile or mse)");
  for (const std::string &entry : layerBits)
    if (!parseLayerBits(entry))
      bad("invalid --layer-bits=" + entry +
          " (expected NAME=WxAy with x and y 8 or 4, e.g. fc1=W4A8)");
  if (!(calibrationPercentile > 0 && calibrationPercentile <= 100))
    bad("--calibration-percentile must be in (0, 100]");
  return success(ok);
}

QuantizeOptions QuantizeFlags::getOptions(bool mixed) const {
  QuantizeOptions options;
  options.calibration = calibration;
  options.calibrationOptions.method =
      *parseCalibrationMethod(calibrationMethod);
  options.calibrationOptions.percentile = calibrationPercentile;
  options.io = io;
  for (const std::string &entry : layerBits)
    options.layerBits.push_back(*parseLayerBits(entry));
  options.mixed = mixed;
  options.allocation.sizeBudget = sizeBudget;
  options.allocation.bopsBudget = bopsBudget;
  options.allocation.latencyBudget = latencyBudget;
  options.allocation.sensitivity = sensitivity;
  options.allocation.keepFirstLast = keepFirstLast;
  options.allocation.solver.solver = *parseBitAllocationSolverKind(ilpSolver);
  options.sensitivity.cacheDir = getDefaultSensitivityCacheDir();
  options.latencyTable = latencyTable;
  options.report = report;
  return options;
}
