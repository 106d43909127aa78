//===- BitAllocationInternal.h - shared by the bit allocation solvers -----===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//
//
// The validated problem in exact form, shared by the exact solver
// (BitAllocationSolver.cpp) and the CBC back end (CbcSolver.cpp).
//
// Exact arithmetic: every double is m * 2^e with an integer m of at most 53
// bits. Within one quantity (the objective, or one constraint) all values are
// integers in units of 2^minExp, where minExp is the lowest set bit over the
// quantity's values, and APInts of a width that cannot overflow hold them and
// their sums. Totals are then exact, independent of summation order, and
// compared with budgets without tolerance.
//
//===----------------------------------------------------------------------===//

#ifndef QCC_LIB_QUANT_BITALLOCATIONINTERNAL_H
#define QCC_LIB_QUANT_BITALLOCATIONINTERNAL_H

#include "qcc/Quant/BitAllocationSolver.h"

#include "llvm/ADT/APFloat.h"
#include "llvm/ADT/APInt.h"

#include <optional>
#include <vector>

namespace mlir::qcc::detail {

/// A scale shared by all values of one quantity: value = integer * 2^minExp.
struct ExactScale {
  int minExp = 0;
  unsigned width = 8;

  /// The exact integer of `value` (finite, and a value this scale was built
  /// from, or a sum of at most the counted number of them).
  APInt toExact(double value) const;
  /// The exact value of `v` as a double, rounded with `mode`.
  double toDouble(const APInt &v, llvm::RoundingMode mode) const;
};

/// Which quantity a solve minimises: the objective, or a constraint's cost.
inline constexpr unsigned kMinimizeObjective = ~0u;

/// The validated problem with exact data and merged tie groups.
struct PreparedProblem {
  const BitAllocationProblem *problem = nullptr;

  ExactScale objScale;
  SmallVector<ExactScale, 3> costScales;
  /// layerObj[l][j]
  std::vector<SmallVector<APInt, 4>> layerObj;
  /// layerCost[k][l][j]
  std::vector<std::vector<SmallVector<APInt, 4>>> layerCost;
  SmallVector<APInt, 3> budgets;

  /// The tie group of each layer, and the layers (ascending) of each group.
  SmallVector<unsigned> groupOf;
  std::vector<SmallVector<unsigned, 4>> groupMembers;
  /// The fixed choice of each group, if any.
  SmallVector<std::optional<unsigned>> groupFixed;

  unsigned numLayers() const { return groupOf.size(); }
  unsigned numConstraints() const { return budgets.size(); }
  unsigned numChoices(unsigned layer) const {
    return problem->layers[layer].choices.size();
  }
  /// The exact values and scale of what a solve minimises.
  const ExactScale &scaleOf(unsigned quantity) const {
    return quantity == kMinimizeObjective ? objScale : costScales[quantity];
  }
  const APInt &value(unsigned quantity, unsigned layer, unsigned choice) const {
    return quantity == kMinimizeObjective ? layerObj[layer][choice]
                                          : layerCost[quantity][layer][choice];
  }
  double valueAsDouble(unsigned quantity, unsigned layer,
                       unsigned choice) const {
    const BitAllocationChoice &c = problem->layers[layer].choices[choice];
    return quantity == kMinimizeObjective ? c.objective : c.costs[quantity];
  }

  /// The exact total of `quantity` over an assignment of every layer.
  APInt total(unsigned quantity, ArrayRef<unsigned> choices) const;
  /// True when the assignment meets every budget in `active` exactly.
  bool meetsBudgets(ArrayRef<unsigned> active,
                    ArrayRef<unsigned> choices) const;
  /// True when the assignment has one in-range choice per layer that respects
  /// the ties and fixed choices.
  bool isStructurallyValid(ArrayRef<unsigned> choices) const;
};

/// One solve: minimise `minimize` subject to the budgets in `active` (plus
/// ties and fixed choices).
struct SubProblem {
  unsigned minimize = kMinimizeObjective;
  SmallVector<unsigned, 3> active;
};

/// The per-layer choices of an optimal assignment, std::nullopt when no
/// assignment meets the budgets, or an error (a solver limit, a CBC failure).
using SubSolveResult = llvm::Expected<std::optional<SmallVector<unsigned>>>;

SubSolveResult solveExactly(const PreparedProblem &prepared,
                            const SubProblem &sub,
                            const BitAllocationOptions &options);

/// Defined in CbcSolver.cpp, which is built only with QCC_HAVE_CBC.
SubSolveResult solveWithCbc(const PreparedProblem &prepared,
                            const SubProblem &sub,
                            const BitAllocationOptions &options);

} // namespace mlir::qcc::detail

#endif // QCC_LIB_QUANT_BITALLOCATIONINTERNAL_H
