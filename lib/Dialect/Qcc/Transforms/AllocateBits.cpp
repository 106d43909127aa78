//===- AllocateBits.cpp - per-layer bit-widths by integer programming -----===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//
//
// One multiple-choice knapsack (ALGORITHMS.md §1): binary x[l, c] for
// layer l and configuration c, sum_c x[l, c] = 1, objective
// sum Omega[l, c] x[l, c], one <= constraint per budget (size of the
// layers' weights, BOPs = MACs x weight bits x activation bits, latency),
// ties between layers that must share a configuration, and the first and
// last layers fixed at W8A8 unless told otherwise. The chosen configuration
// becomes qcc.weight_bits / qcc.activation_bits on the layer op.
//
//===----------------------------------------------------------------------===//

#include "qcc/Dialect/Qcc/Transforms/BitAllocation.h"

#include "qcc/Dialect/Qcc/IR/QccOps.h"
#include "qcc/Dialect/Qcc/Transforms/Passes.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"

#include <cmath>

namespace mlir::qcc {
#define GEN_PASS_DEF_ALLOCATEBITSPASS
#include "qcc/Dialect/Qcc/Transforms/Passes.h.inc"
} // namespace mlir::qcc

using namespace mlir;
using namespace mlir::qcc;

namespace {

/// A parsed budget: an absolute value, or a fraction of the W8A8 total.
struct Budget {
  bool given = false;
  bool percent = false;
  double value = 0;
};

/// Parses a budget: "N%" of the all-W8A8 cost, or an absolute number.
FailureOr<Budget> parseBudget(func::FuncOp fn, StringRef what, StringRef text) {
  Budget budget;
  if (text.empty())
    return budget;
  StringRef number = text;
  budget.given = true;
  budget.percent = number.consume_back("%");
  if (number.trim().getAsDouble(budget.value) || !std::isfinite(budget.value) ||
      budget.value < 0)
    return emitError(fn.getLoc()) << "invalid " << what << " budget '" << text
                                  << "' (expected a non-negative number or N%)",
           failure();
  return budget;
}

/// Tr(H)/n per layer name from a JSON object {"name": trace, ...}.
FailureOr<llvm::StringMap<double>> readTraces(func::FuncOp fn, StringRef path) {
  auto buffer = llvm::MemoryBuffer::getFile(path);
  if (!buffer)
    return emitError(fn.getLoc()) << "cannot read sensitivity file '" << path
                                  << "': " << buffer.getError().message(),
           failure();
  llvm::Expected<llvm::json::Value> json =
      llvm::json::parse((*buffer)->getBuffer());
  if (!json)
    return emitError(fn.getLoc())
               << "sensitivity file '" << path
               << "' is not JSON: " << llvm::toString(json.takeError()),
           failure();
  const llvm::json::Object *object = json->getAsObject();
  if (!object)
    return emitError(fn.getLoc())
               << "sensitivity file '" << path
               << "' must hold an object {\"layer name\": Tr(H)/n, ...}",
           failure();
  llvm::StringMap<double> traces;
  for (const auto &[key, value] : *object) {
    std::optional<double> trace = value.getAsNumber();
    if (!trace || !std::isfinite(*trace) || *trace < 0)
      return emitError(fn.getLoc())
                 << "sensitivity file '" << path << "': the trace of '"
                 << key.str() << "' is not a non-negative number",
             failure();
    traces[key.str()] = *trace;
  }
  return traces;
}

/// A per-configuration value from a layer's dictionary attribute.
std::optional<double> lookup(Operation *op, StringRef attrName,
                             const LayerConfig &config) {
  auto dict = op->getAttrOfType<DictionaryAttr>(attrName);
  if (!dict)
    return std::nullopt;
  auto value = dict.getAs<FloatAttr>(config.getName());
  if (!value)
    return std::nullopt;
  return value.getValueAsDouble();
}

} // namespace

FailureOr<BitAllocationProblem> mlir::qcc::buildBitAllocationProblem(
    func::FuncOp fn, ArrayRef<QuantLayer> layers,
    const AllocateBitsOptions &options, BitAllocationResult &result) {
  result.configs = options.configs;
  if (options.configs.empty())
    return emitError(fn.getLoc(), "bit allocation needs configurations"),
           failure();
  auto int8 = llvm::find(options.configs, LayerConfig{8, 8});
  if (options.keepFirstLast && int8 == options.configs.end())
    return emitError(fn.getLoc(), "the first and last layers stay W8A8, "
                                  "which is not among the configurations"),
           failure();
  if (layers.empty())
    return emitError(fn.getLoc(), "bit allocation found no convolution or "
                                  "matmul by constant weights"),
           failure();

  // Sensitivities.
  std::optional<llvm::StringMap<double>> traces;
  StringRef source = options.sensitivity;
  if (source != "measured" && source != "weight-error") {
    FailureOr<llvm::StringMap<double>> read = readTraces(fn, source);
    if (failed(read))
      return failure();
    traces = std::move(*read);
  }
  bool wantLatency = !options.latencyBudget.empty();
  result.haveLatency = true;
  for (const QuantLayer &layer : layers) {
    BitAllocationResult::Layer out;
    out.name = layer.name;
    out.params = layer.params;
    out.macs = layer.macs;
    for (const LayerConfig &config : options.configs) {
      double omega = 0;
      if (source == "measured") {
        std::optional<double> v =
            lookup(layer.op, kSensitivityAttrName, config);
        if (!v && !(config == LayerConfig{8, 8}))
          return layer.op->emitError("layer '")
                     << layer.name << "' has no measured sensitivity for "
                     << config.getName(),
                 failure();
        omega = v.value_or(0.0);
      } else {
        double error = getWeightQuantError(layer, config.weightBits);
        if (traces) {
          auto it = traces->find(layer.name);
          if (it == traces->end())
            return layer.op->emitError("layer '")
                       << layer.name << "' has no trace in '" << source << "'",
                   failure();
          error *= it->second;
        }
        omega = error;
      }
      if (!std::isfinite(omega))
        return layer.op->emitError("layer '")
                   << layer.name << "': sensitivity of " << config.getName()
                   << " is not finite",
               failure();
      out.sensitivity.push_back(omega);
      out.sizeBytes.push_back(static_cast<double>(layer.params) *
                              static_cast<double>(config.weightBits) / 8.0);
      out.bops.push_back(static_cast<double>(layer.macs) *
                         static_cast<double>(config.weightBits) *
                         static_cast<double>(config.activationBits));
      std::optional<double> ms = lookup(layer.op, kLatencyAttrName, config);
      if (ms)
        out.latencyMs.push_back(*ms);
      else
        result.haveLatency = false;
    }
    if (wantLatency && !result.haveLatency)
      return layer.op->emitError("layer '")
                 << layer.name
                 << "' has no measured latency for every configuration "
                    "(run qcc-tune for this machine)",
             failure();
    result.layers.push_back(std::move(out));
  }
  if (!result.haveLatency)
    for (auto &layer : result.layers)
      layer.latencyMs.clear();

  FailureOr<Budget> size = parseBudget(fn, "size", options.sizeBudget);
  FailureOr<Budget> bops = parseBudget(fn, "BOPs", options.bopsBudget);
  FailureOr<Budget> latency = parseBudget(fn, "latency", options.latencyBudget);
  if (failed(size) || failed(bops) || failed(latency))
    return failure();
  bool haveInt8 = int8 != options.configs.end();
  if (!haveInt8 && (size->percent || bops->percent || latency->percent))
    return emitError(fn.getLoc(), "a percentage budget is relative to W8A8, "
                                  "which is not among the configurations"),
           failure();
  unsigned int8Index =
      haveInt8 ? static_cast<unsigned>(int8 - options.configs.begin()) : 0;

  BitAllocationProblem problem;
  // (budget, its slot in the result, the all-W8A8 total's slot)
  struct Slot {
    Budget budget;
    std::optional<double> *out;
    double *int8Total;
  };
  SmallVector<Slot, 3> slots;
  if (size->given) {
    problem.constraints.push_back({"size", "bytes", 0});
    slots.push_back({*size, &result.sizeBudget, &result.int8Size});
  }
  if (bops->given) {
    problem.constraints.push_back({"BOPs", "", 0});
    slots.push_back({*bops, &result.bopsBudget, &result.int8Bops});
  }
  if (latency->given) {
    problem.constraints.push_back({"latency", "ms", 0});
    slots.push_back({*latency, &result.latencyBudget, &result.int8Latency});
  }
  for (auto [i, layer] : llvm::enumerate(result.layers)) {
    BitAllocationLayer l;
    l.name = layer.name;
    for (auto [c, config] : llvm::enumerate(options.configs)) {
      BitAllocationChoice choice;
      choice.label = config.getName();
      choice.objective = layer.sensitivity[c];
      if (size->given)
        choice.costs.push_back(layer.sizeBytes[c]);
      if (bops->given)
        choice.costs.push_back(layer.bops[c]);
      if (latency->given)
        choice.costs.push_back(layer.latencyMs[c]);
      l.choices.push_back(std::move(choice));
    }
    if (options.keepFirstLast && (i == 0 || i + 1 == result.layers.size())) {
      l.fixedChoice = int8Index;
      layer.fixed = true;
    }
    problem.layers.push_back(std::move(l));
  }

  // All-W8A8 totals, the reference of percentage budgets: the solver's
  // exact totals for constrained costs (a 100% budget then admits W8A8
  // exactly), plain sums for the others (reported only).
  if (haveInt8) {
    for (const auto &layer : result.layers) {
      result.int8Size += layer.sizeBytes[int8Index];
      result.int8Bops += layer.bops[int8Index];
      if (result.haveLatency)
        result.int8Latency += layer.latencyMs[int8Index];
    }
    SmallVector<unsigned> allInt8(result.layers.size(), int8Index);
    for (auto [k, slot] : llvm::enumerate(slots)) {
      llvm::Expected<double> total =
          computeBitAllocationTotal(problem, static_cast<unsigned>(k), allInt8);
      if (!total)
        return emitError(fn.getLoc()) << llvm::toString(total.takeError()),
               failure();
      *slot.int8Total = *total;
    }
  }
  for (auto [k, slot] : llvm::enumerate(slots)) {
    double value = slot.budget.percent
                       ? (slot.budget.value == 100
                              ? *slot.int8Total
                              : slot.budget.value / 100.0 * *slot.int8Total)
                       : slot.budget.value;
    problem.constraints[k].budget = value;
    *slot.out = value;
  }
  result.ties = collectLayerTies(layers);
  problem.ties = result.ties;
  return problem;
}

FailureOr<BitAllocationResult>
mlir::qcc::allocateBits(func::FuncOp fn, const AllocateBitsOptions &options) {
  SmallVector<QuantLayer> layers = collectQuantLayers(fn);
  BitAllocationResult result;
  FailureOr<BitAllocationProblem> problem =
      buildBitAllocationProblem(fn, layers, options, result);
  if (failed(problem))
    return failure();
  llvm::Expected<BitAllocationSolution> solution =
      solveBitAllocation(*problem, options.solver);
  if (!solution) {
    emitError(fn.getLoc()) << llvm::toString(solution.takeError());
    return failure();
  }
  result.solver = solution->solver;
  result.objective = solution->objective;
  for (size_t i = 0; i < layers.size(); ++i) {
    Operation *op = layers[i].op;
    BitAllocationResult::Layer &out = result.layers[i];
    out.chosen = solution->choices[i];
    const LayerConfig &config = options.configs[out.chosen];
    result.size += out.sizeBytes[out.chosen];
    result.bops += out.bops[out.chosen];
    if (result.haveLatency)
      result.latency += out.latencyMs[out.chosen];
    setLayerConfig(op, config);
  }
  return result;
}

namespace {

struct AllocateBitsPass : qcc::impl::AllocateBitsPassBase<AllocateBitsPass> {
  using Base::Base;

  void runOnOperation() override {
    func::FuncOp fn = getOperation();
    AllocateBitsOptions options;
    options.configs.clear();
    SmallVector<StringRef> names;
    StringRef(configs).split(names, ',');
    for (StringRef name : names) {
      std::optional<LayerConfig> config = parseLayerConfig(name.trim());
      if (!config) {
        emitError(fn.getLoc()) << "invalid configuration '" << name
                               << "' (expected WxAy with x and y 8 or 4)";
        return signalPassFailure();
      }
      options.configs.push_back(*config);
    }
    options.sizeBudget = sizeBudget;
    options.bopsBudget = bopsBudget;
    options.latencyBudget = latencyBudget;
    options.sensitivity = sensitivity;
    options.keepFirstLast = keepFirstLast;
    std::optional<BitAllocationSolverKind> kind =
        parseBitAllocationSolverKind(solver);
    if (!kind) {
      emitError(fn.getLoc())
          << "invalid solver '" << solver << "' (expected auto, cbc or exact)";
      return signalPassFailure();
    }
    options.solver.solver = *kind;
    if (failed(allocateBits(fn, options)))
      signalPassFailure();
  }
};

} // namespace
