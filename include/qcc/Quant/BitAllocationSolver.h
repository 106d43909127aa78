//===- BitAllocationSolver.h - mixed-precision bit allocation --*- C++ -*-===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//
//
// Mixed-precision bit allocation as a multiple-choice knapsack
// (docs/BitAllocation.md, ALGORITHMS.md section 1): every layer l picks
// exactly one choice j (a weight/activation configuration such as W8A8,
// W4A8 or W4A4) so that
//
//   minimise    sum_l Omega[l, j(l)]
//   subject to  sum_l cost_k[l, j(l)] <= budget_k    for every constraint k
//               j(a) = j(b)        for layers a, b in one tie group
//               j(l) = fixed(l)    for layers with a fixed choice
//
// Two solvers answer it: COIN-OR CBC (when qcc is built with it) and a
// built-in exact branch-and-bound. Both honour the budgets *exactly*: a
// total is the exact sum of the given doubles (not a rounded floating-point
// sum), compared with the budget without tolerance. When no assignment meets
// the budgets, the error (BitAllocationInfeasibleError) names the smallest
// feasible value of each violated budget.
//
//===----------------------------------------------------------------------===//

#ifndef QCC_QUANT_BITALLOCATIONSOLVER_H
#define QCC_QUANT_BITALLOCATIONSOLVER_H

#include "mlir/Support/LLVM.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace mlir::qcc {

/// One configuration a layer can take, e.g. W4A8.
struct BitAllocationChoice {
  /// Optional, for messages ("W4A8").
  std::string label;
  /// Omega[l, j]: the sensitivity of the layer in this configuration; lower
  /// is better. Any finite value.
  double objective = 0.0;
  /// The cost of the choice under every constraint of the problem, in the
  /// order of BitAllocationProblem::constraints. Finite and >= 0.
  SmallVector<double, 3> costs;
};

/// One layer (a variable of the knapsack).
struct BitAllocationLayer {
  /// Optional, for messages.
  std::string name;
  /// At least one choice.
  SmallVector<BitAllocationChoice, 4> choices;
  /// When set, the layer must take this choice (e.g. the first and last
  /// layers kept at 8-bit).
  std::optional<unsigned> fixedChoice;
};

/// A budget: sum over layers of the chosen costs <= budget.
struct BitAllocationConstraint {
  /// Names the constraint in messages: "size", "bops", "latency". Required
  /// and unique within a problem.
  std::string name;
  /// Optional unit printed after numbers in messages ("bytes").
  std::string unit;
  /// Finite; a negative budget is legal (and infeasible).
  double budget = 0.0;
};

/// A multiple-choice knapsack with any number of budgets and tie groups.
struct BitAllocationProblem {
  std::vector<BitAllocationLayer> layers;
  SmallVector<BitAllocationConstraint, 3> constraints;
  /// Sets of layer indices that must pick the same choice index (residual
  /// pairs, Q/K/V reading one input, concat inputs). Groups sharing a layer
  /// are merged. All layers of a group must have the same number of choices.
  std::vector<SmallVector<unsigned, 4>> ties;
};

enum class BitAllocationSolverKind {
  /// CBC when qcc is built with it, otherwise Exact.
  Auto,
  /// COIN-OR CBC; an error when qcc is built without it.
  Cbc,
  /// The built-in branch-and-bound; refuses problems that need more than
  /// BitAllocationOptions::maxExactNodes search nodes.
  Exact,
};

/// "auto", "cbc" or "exact".
StringRef stringifyBitAllocationSolverKind(BitAllocationSolverKind kind);
std::optional<BitAllocationSolverKind>
parseBitAllocationSolverKind(StringRef text);

/// True when qcc was built with COIN-OR CBC.
bool isCbcAvailable();

struct BitAllocationOptions {
  /// The default node limit of the exact solver: about half a second of
  /// search on a current x86-64 core.
  static constexpr uint64_t kDefaultMaxExactNodes = 5'000'000;

  BitAllocationSolverKind solver = BitAllocationSolverKind::Auto;
  /// The exact solver gives up (with an error) after visiting this many
  /// search nodes. Every solve of the problem, including those of the
  /// infeasibility diagnosis, gets this limit.
  uint64_t maxExactNodes = kDefaultMaxExactNodes;
  /// CBC may return an assignment that meets a budget only within its
  /// feasibility tolerance. Such an assignment is cut off and CBC re-solves;
  /// after this many solves the result is an error.
  unsigned maxCbcSolves = 100;
  /// Time limit of one CBC solve; reaching it is an error (the answer would
  /// not be proven optimal).
  double cbcTimeLimitSeconds = 60.0;
};

struct BitAllocationSolution {
  /// The chosen choice index of every layer.
  SmallVector<unsigned> choices;
  /// sum_l Omega[l, choices[l]]: the exact sum, rounded to the nearest double.
  double objective = 0.0;
  /// Per constraint, the exact total cost rounded up to a double, so that
  /// totals[k] <= constraints[k].budget holds in doubles.
  SmallVector<double, 3> totals;
  /// The solver that ran (Cbc or Exact, never Auto).
  BitAllocationSolverKind solver = BitAllocationSolverKind::Exact;
};

/// One budget of an infeasible problem, and what it takes to make it
/// feasible.
struct BitAllocationBudgetFix {
  /// Index into BitAllocationProblem::constraints.
  unsigned constraint = 0;
  std::string name;
  std::string unit;
  double budget = 0.0;
  /// True when this budget is part of the problem: raising it alone makes the
  /// problem feasible (smallestFeasibleBudget is set), or it is infeasible
  /// even on its own while the other budgets are infeasible together.
  bool violated = false;
  /// The smallest value of this budget that makes the problem feasible when
  /// the other budgets are held: the exact minimum total, rounded up to a
  /// double. Unset when the other budgets are infeasible together.
  std::optional<double> smallestFeasibleBudget;
  /// The smallest value of this budget that is feasible when the other
  /// budgets are ignored (only ties and fixed choices held), rounded up.
  double smallestBudgetAlone = 0.0;
};

/// The error returned when no assignment meets the budgets. It describes
/// every budget (getBudgets()); the message names the violated ones. For one
/// budget it reads
///
///   size budget 1200000 bytes is infeasible: the smallest feasible size
///   budget is 1536000 bytes
///
/// with several, each violated budget gets such a clause (with "with the
/// other budgets held", or the smallest value feasible on its own when the
/// others are infeasible together), separated by "; ".
class BitAllocationInfeasibleError
    : public llvm::ErrorInfo<BitAllocationInfeasibleError> {
public:
  static char ID;

  explicit BitAllocationInfeasibleError(
      SmallVector<BitAllocationBudgetFix, 3> budgets);

  /// One entry per constraint, in the problem's order.
  ArrayRef<BitAllocationBudgetFix> getBudgets() const { return budgets; }
  void log(llvm::raw_ostream &os) const override;
  std::error_code convertToErrorCode() const override;

private:
  SmallVector<BitAllocationBudgetFix, 3> budgets;
};

/// Checks the problem: at least one layer, at least one choice per layer,
/// one finite cost >= 0 per constraint in every choice, finite objectives and
/// budgets, unique non-empty constraint names, tie and fixed indices in range,
/// equal choice counts within a tie group, and no two different fixed choices
/// within a tie group.
llvm::Error verifyBitAllocationProblem(const BitAllocationProblem &problem);

/// Solves the problem exactly (see the file comment). Errors: an invalid
/// problem (as verifyBitAllocationProblem), BitAllocationInfeasibleError, CBC
/// requested but not built in, a solver limit reached, or CBC failing to prove
/// optimality.
llvm::Expected<BitAllocationSolution>
solveBitAllocation(const BitAllocationProblem &problem,
                   const BitAllocationOptions &options = {});

/// The exact total of constraint `constraint` for the given choice of every
/// layer, rounded up to a double: the smallest budget that admits the
/// assignment. Use it to derive budgets from assignments (summing the costs
/// in floating point may round below the exact total, and such a budget would
/// not admit the assignment).
llvm::Expected<double>
computeBitAllocationTotal(const BitAllocationProblem &problem,
                          unsigned constraint, ArrayRef<unsigned> choices);

} // namespace mlir::qcc

#endif // QCC_QUANT_BITALLOCATIONSOLVER_H
