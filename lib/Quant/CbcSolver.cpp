//===- CbcSolver.cpp - bit allocation with COIN-OR CBC --------------------===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//
//
// The bit allocation knapsack as a MILP for CBC (CbcModel over
// OsiClpSolverInterface):
//
//   binary x[l,j]                                  one column per choice
//   sum_j x[l,j] = 1                               one row per layer
//   sum_{l,j} cost_k[l,j] / s_k * x[l,j] <= B_k / s_k   one row per budget
//   x[m0,j] - x[m,j] = 0                           ties, to the group's first
//   bounds [1,1] / [0,0]                           fixed choices
//   minimise sum Omega[l,j] / s_o * x[l,j]
//
// with s_k = max(|B_k|, largest cost_k) and s_o = largest |Omega|, so that
// CBC's absolute tolerances act relative to the data.
//
// Tolerances: Clp's primal feasibility tolerance (1e-7 on the scaled rows)
// and CBC's integer tolerance (1e-6) let CBC accept an assignment that
// exceeds a budget by a little. The assignment read back (each x[l,j]
// rounded at 0.5) is therefore checked against the budgets in exact
// arithmetic; when it fails, a no-good cut sum_l x[l, j(l)] <= L - 1 removes
// exactly that assignment and CBC solves again (at most maxCbcSolves times).
// The answer always meets the budgets exactly. Since CBC's tolerances only
// enlarge its feasible set, CBC proving infeasibility proves it exactly.
// The optimality gaps are zero and the cutoff increment is 1e-12 of the
// scaled objective, so the objective is optimal up to CBC's LP tolerances.
//
// CBC's headers throw CoinError, so this file alone is compiled with
// -fexceptions; every exception is caught here and becomes an llvm::Error.
//
//===----------------------------------------------------------------------===//

#include "BitAllocationInternal.h"

#include "CbcModel.hpp"
#include "CoinError.hpp"
#include "CoinPackedMatrix.hpp"
#include "CoinPackedVector.hpp"
#include "OsiClpSolverInterface.hpp"

#include "llvm/ADT/STLExtras.h"

#include <algorithm>
#include <cmath>
#include <exception>
#include <vector>

using namespace mlir;
using namespace mlir::qcc;
using namespace mlir::qcc::detail;

static llvm::Error makeError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

namespace {

/// The MILP of one sub-problem, in a form CBC can load repeatedly.
struct CbcFormulation {
  SmallVector<unsigned> firstColumn; // Per layer.
  unsigned numColumns = 0;
  CoinPackedMatrix rows{/*colordered=*/false, 0, 0};
  std::vector<double> rowLower, rowUpper;
  std::vector<double> colLower, colUpper, objective;

  void addRow(const CoinPackedVector &row, double lower, double upper) {
    rows.appendRow(row);
    rowLower.push_back(lower);
    rowUpper.push_back(upper);
  }
};

} // namespace

static CbcFormulation formulate(const PreparedProblem &prepared,
                                const SubProblem &sub, double infinity) {
  CbcFormulation f;
  unsigned numLayers = prepared.numLayers();
  for (unsigned l = 0; l < numLayers; ++l) {
    f.firstColumn.push_back(f.numColumns);
    f.numColumns += prepared.numChoices(l);
  }
  f.rows.setDimensions(0, f.numColumns);

  // Objective, scaled to coefficients of magnitude <= 1.
  double objScale = 0.0;
  for (unsigned l = 0; l < numLayers; ++l)
    for (unsigned j = 0, n = prepared.numChoices(l); j < n; ++j)
      objScale = std::max(
          objScale, std::fabs(prepared.valueAsDouble(sub.minimize, l, j)));
  if (objScale == 0.0)
    objScale = 1.0;
  for (unsigned l = 0; l < numLayers; ++l) {
    std::optional<unsigned> fixed = prepared.groupFixed[prepared.groupOf[l]];
    for (unsigned j = 0, n = prepared.numChoices(l); j < n; ++j) {
      f.objective.push_back(prepared.valueAsDouble(sub.minimize, l, j) /
                            objScale);
      bool forced = fixed && *fixed == j, forbidden = fixed && *fixed != j;
      f.colLower.push_back(forced ? 1.0 : 0.0);
      f.colUpper.push_back(forbidden ? 0.0 : 1.0);
    }
  }

  // One choice per layer.
  for (unsigned l = 0; l < numLayers; ++l) {
    CoinPackedVector row;
    for (unsigned j = 0, n = prepared.numChoices(l); j < n; ++j)
      row.insert(f.firstColumn[l] + j, 1.0);
    f.addRow(row, 1.0, 1.0);
  }

  // Budgets, scaled by the larger of the budget and the largest cost.
  for (unsigned k : sub.active) {
    double budget = prepared.problem->constraints[k].budget;
    double scale = std::fabs(budget);
    for (unsigned l = 0; l < numLayers; ++l)
      for (unsigned j = 0, n = prepared.numChoices(l); j < n; ++j)
        scale = std::max(scale, prepared.valueAsDouble(k, l, j));
    if (scale == 0.0)
      scale = 1.0;
    CoinPackedVector row;
    for (unsigned l = 0; l < numLayers; ++l)
      for (unsigned j = 0, n = prepared.numChoices(l); j < n; ++j)
        if (double cost = prepared.valueAsDouble(k, l, j) / scale; cost != 0.0)
          row.insert(f.firstColumn[l] + j, cost);
    f.addRow(row, -infinity, budget / scale);
  }

  // Ties: every member takes the choice of the group's first layer.
  for (ArrayRef<unsigned> members : prepared.groupMembers) {
    for (unsigned m : members.drop_front()) {
      for (unsigned j = 0, n = prepared.numChoices(m); j < n; ++j) {
        CoinPackedVector row;
        row.insert(f.firstColumn[members.front()] + j, 1.0);
        row.insert(f.firstColumn[m] + j, -1.0);
        f.addRow(row, 0.0, 0.0);
      }
    }
  }
  return f;
}

static SubSolveResult solveWithCbcImpl(const PreparedProblem &prepared,
                                       const SubProblem &sub,
                                       const BitAllocationOptions &options) {
  OsiClpSolverInterface prototype;
  CbcFormulation f = formulate(prepared, sub, prototype.getInfinity());
  unsigned numLayers = prepared.numLayers();

  for (unsigned round = 1; round <= options.maxCbcSolves; ++round) {
    OsiClpSolverInterface solver;
    solver.messageHandler()->setLogLevel(0);
    solver.loadProblem(f.rows, f.colLower.data(), f.colUpper.data(),
                       f.objective.data(), f.rowLower.data(),
                       f.rowUpper.data());
    for (unsigned c = 0; c < f.numColumns; ++c)
      solver.setInteger(c);

    CbcModel model(solver); // Clones the solver.
    model.setLogLevel(0);
    model.messageHandler()->setLogLevel(0);
    model.solver()->messageHandler()->setLogLevel(0);
    model.setAllowableGap(0.0);
    model.setAllowableFractionGap(0.0);
    model.setCutoffIncrement(1e-12);
    model.setMaximumSeconds(options.cbcTimeLimitSeconds);
    model.branchAndBound();

    if (model.status() != 0 || model.isSecondsLimitReached() ||
        model.isNodeLimitReached())
      return makeError("CBC stopped before proving optimality (status " +
                       llvm::Twine(model.status()) + ", secondary status " +
                       llvm::Twine(model.secondaryStatus()) + ")");
    const double *x = model.bestSolution();
    if (model.isProvenInfeasible() || !x)
      return std::optional<SmallVector<unsigned>>();
    if (!model.isProvenOptimal())
      return makeError("CBC did not prove its solution optimal (secondary "
                       "status " +
                       llvm::Twine(model.secondaryStatus()) + ")");

    SmallVector<unsigned> choices(numLayers, 0);
    for (unsigned l = 0; l < numLayers; ++l) {
      unsigned taken = 0;
      for (unsigned j = 0, n = prepared.numChoices(l); j < n; ++j) {
        if (x[f.firstColumn[l] + j] > 0.5) {
          choices[l] = j;
          ++taken;
        }
      }
      if (taken != 1)
        return makeError("CBC returned " + llvm::Twine(taken) +
                         " choices for layer " + llvm::Twine(l));
    }
    if (!prepared.isStructurallyValid(choices))
      return makeError(
          "CBC returned an assignment that breaks a tie or a fixed choice");
    if (prepared.meetsBudgets(sub.active, choices))
      return std::optional<SmallVector<unsigned>>(std::move(choices));

    // Feasible only within CBC's tolerance: cut off this assignment.
    CoinPackedVector cut;
    for (unsigned l = 0; l < numLayers; ++l)
      cut.insert(f.firstColumn[l] + choices[l], 1.0);
    f.addRow(cut, -prototype.getInfinity(), numLayers - 1.0);
  }
  return makeError(
      "CBC returned " + llvm::Twine(options.maxCbcSolves) +
      " assignments that meet the budgets only within its tolerance; giving "
      "up (maxCbcSolves)");
}

SubSolveResult detail::solveWithCbc(const PreparedProblem &prepared,
                                    const SubProblem &sub,
                                    const BitAllocationOptions &options) {
  try {
    return solveWithCbcImpl(prepared, sub, options);
  } catch (const CoinError &error) {
    return makeError("CBC failed in " + error.className() +
                     "::" + error.methodName() + ": " + error.message());
  } catch (const std::exception &error) {
    return makeError(llvm::Twine("CBC failed: ") + error.what());
  } catch (...) {
    return makeError("CBC failed with an unknown exception");
  }
}
