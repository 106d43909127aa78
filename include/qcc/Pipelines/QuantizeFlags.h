//===- QuantizeFlags.h - quantization flags of qcc and qcc-run --*- C++ -*-===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//
//
// `qcc` (compiling) and `qcc-run --interp=int` (interpreting) quantize a
// model the same way, so they share one set of command-line flags, checked
// and turned into QuantizeOptions in one place (like LLVM's
// codegen::RegisterCodeGenFlags):
//
//   --calibration, --calibration-method, --calibration-percentile, --io,
//   --layer-bits                                            (integer models)
//   --size-budget, --bops-budget, --latency-budget, --latency-table,
//   --sensitivity, --ilp-solver, --keep-first-last, --report
//                                                      (--precision=mixed)
//
//===----------------------------------------------------------------------===//

#ifndef QCC_PIPELINES_QUANTIZEFLAGS_H
#define QCC_PIPELINES_QUANTIZEFLAGS_H

#include "qcc/Pipelines/Quantize.h"

#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/Support/CommandLine.h"

namespace mlir::qcc {

class QuantizeFlags {
public:
  /// Registers the flags in `category`; construct one object at namespace
  /// scope of the tool, before the command line is parsed.
  explicit QuantizeFlags(llvm::cl::OptionCategory &category);

  /// Whether --calibration, --io or --layer-bits was given.
  bool anyIntegerFlagGiven() const;
  /// Whether any --precision=mixed flag was given.
  bool anyMixedFlagGiven() const;

  /// Reports every bad value through `fail` (one call per problem):
  /// malformed values, mixed-precision flags without `mixed`, `mixed`
  /// without a budget.
  LogicalResult
  validate(bool mixed,
           llvm::function_ref<void(const llvm::Twine &)> fail) const;

  /// The options the flags describe (after validate succeeded).
  QuantizeOptions getOptions(bool mixed) const;

private:
  llvm::cl::opt<std::string> calibration, calibrationMethod;
  llvm::cl::opt<double> calibrationPercentile;
  llvm::cl::opt<std::string> io;
  llvm::cl::list<std::string> layerBits;
  llvm::cl::opt<std::string> sizeBudget, bopsBudget, latencyBudget,
      latencyTable, sensitivity, ilpSolver;
  llvm::cl::opt<bool> keepFirstLast;
  llvm::cl::opt<std::string> report;
};

} // namespace mlir::qcc

#endif // QCC_PIPELINES_QUANTIZEFLAGS_H
