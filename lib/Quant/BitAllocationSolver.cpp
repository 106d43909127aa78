//===- BitAllocationSolver.cpp - mixed-precision bit allocation -----------===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//
//
// Validation, exact arithmetic, the built-in branch-and-bound, solver
// dispatch and the infeasibility diagnosis. The CBC back end lives in
// CbcSolver.cpp (built only when QCC_HAVE_CBC). docs/BitAllocation.md
// describes the formulation and the guarantees.
//
//===----------------------------------------------------------------------===//

#include "BitAllocationInternal.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <numeric>

using namespace mlir;
using namespace mlir::qcc;
using namespace mlir::qcc::detail;
using llvm::APFloat;
using llvm::APInt;
using llvm::RoundingMode;

//===----------------------------------------------------------------------===//
// Solver kinds
//===----------------------------------------------------------------------===//

StringRef
mlir::qcc::stringifyBitAllocationSolverKind(BitAllocationSolverKind kind) {
  switch (kind) {
  case BitAllocationSolverKind::Auto:
    return "auto";
  case BitAllocationSolverKind::Cbc:
    return "cbc";
  case BitAllocationSolverKind::Exact:
    return "exact";
  }
  return "unknown";
}

std::optional<BitAllocationSolverKind>
mlir::qcc::parseBitAllocationSolverKind(StringRef text) {
  if (text == "auto")
    return BitAllocationSolverKind::Auto;
  if (text == "cbc")
    return BitAllocationSolverKind::Cbc;
  if (text == "exact")
    return BitAllocationSolverKind::Exact;
  return std::nullopt;
}

bool mlir::qcc::isCbcAvailable() {
#ifdef QCC_HAVE_CBC
  return true;
#else
  return false;
#endif
}

//===----------------------------------------------------------------------===//
// Messages
//===----------------------------------------------------------------------===//

/// The shortest decimal that reads back as `value` ("1536000", "0.1"),
/// without an exponent for integers below 1e15.
static std::string formatNumber(double value) {
  char buffer[64];
  if (std::fabs(value) < 1e15 && std::trunc(value) == value) {
    std::snprintf(buffer, sizeof(buffer), "%.0f", value);
    return buffer;
  }
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(buffer, sizeof(buffer), "%.*g", precision, value);
    if (std::strtod(buffer, nullptr) == value)
      break;
  }
  return buffer;
}

static std::string withUnit(double value, StringRef unit) {
  std::string text = formatNumber(value);
  if (!unit.empty())
    text += (" " + unit).str();
  return text;
}

static std::string describeLayer(const BitAllocationProblem &problem,
                                 unsigned layer) {
  std::string text = "layer " + std::to_string(layer);
  if (layer < problem.layers.size() && !problem.layers[layer].name.empty())
    text += " ('" + problem.layers[layer].name + "')";
  return text;
}

static std::string describeChoice(const BitAllocationProblem &problem,
                                  unsigned layer, unsigned choice) {
  std::string text =
      describeLayer(problem, layer) + " choice " + std::to_string(choice);
  const std::string &label = problem.layers[layer].choices[choice].label;
  if (!label.empty())
    text += " ('" + label + "')";
  return text;
}

static llvm::Error makeError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

char BitAllocationInfeasibleError::ID = 0;

BitAllocationInfeasibleError::BitAllocationInfeasibleError(
    SmallVector<BitAllocationBudgetFix, 3> budgets)
    : budgets(std::move(budgets)) {}

void BitAllocationInfeasibleError::log(llvm::raw_ostream &os) const {
  bool first = true;
  for (const BitAllocationBudgetFix &fix : budgets) {
    if (!fix.violated)
      continue;
    if (!first)
      os << "; ";
    first = false;
    os << fix.name << " budget " << withUnit(fix.budget, fix.unit)
       << " is infeasible: ";
    if (fix.smallestFeasibleBudget) {
      os << "the smallest feasible " << fix.name << " budget is "
         << withUnit(*fix.smallestFeasibleBudget, fix.unit);
      if (budgets.size() > 1)
        os << " with the other budgets held";
    } else {
      os << "the smallest " << fix.name << " budget feasible on its own is "
         << withUnit(fix.smallestBudgetAlone, fix.unit)
         << ", and the other budgets are infeasible too";
    }
  }
  if (!first)
    return;
  // Every budget is feasible on its own, yet no single one can be raised to
  // make the others feasible (three or more budgets).
  os << "the budgets are infeasible together although each is feasible on "
        "its own (";
  llvm::interleaveComma(budgets, os, [&](const BitAllocationBudgetFix &fix) {
    os << fix.name << " " << withUnit(fix.budget, fix.unit);
  });
  os << "); raising a single budget does not help: raise at least two";
}

std::error_code BitAllocationInfeasibleError::convertToErrorCode() const {
  return llvm::inconvertibleErrorCode();
}

//===----------------------------------------------------------------------===//
// Exact arithmetic
//===----------------------------------------------------------------------===//

/// Splits a finite nonzero |value| into mantissa * 2^exp with a 53-bit
/// mantissa (the top bit set).
static void decompose(double value, uint64_t &mantissa, int &exp) {
  int e = 0;
  double fraction = std::frexp(std::fabs(value), &e); // in [0.5, 1)
  mantissa = static_cast<uint64_t>(std::ldexp(fraction, 53));
  exp = e - 53;
}

/// A scale for `values` such that sums of up to `numTerms` of them (and
/// differences of two such sums) fit.
static ExactScale makeScale(ArrayRef<double> values, unsigned numTerms) {
  int minExp = std::numeric_limits<int>::max();
  int maxExp = std::numeric_limits<int>::min();
  for (double value : values) {
    if (value == 0.0)
      continue;
    uint64_t mantissa;
    int exp;
    decompose(value, mantissa, exp);
    minExp =
        std::min(minExp, exp + static_cast<int>(llvm::countr_zero(mantissa)));
    maxExp = std::max(maxExp, exp + 53);
  }
  ExactScale scale;
  if (minExp > maxExp)
    return scale; // All zero.
  scale.minExp = minExp;
  // |value| < 2^maxExp, so |value / 2^minExp| < 2^(maxExp - minExp); a sum of
  // numTerms values needs log2(numTerms) more bits, a difference one more,
  // and the sign one more.
  scale.width = std::max<unsigned>(8, (maxExp - minExp) +
                                          llvm::Log2_32_Ceil(numTerms + 1) + 3);
  return scale;
}

APInt ExactScale::toExact(double value) const {
  if (value == 0.0)
    return APInt(width, 0);
  uint64_t mantissa;
  int exp;
  decompose(value, mantissa, exp);
  int shift = exp - minExp;
  APInt result;
  if (shift >= 0) {
    result = APInt(width, mantissa);
    result <<= static_cast<unsigned>(shift);
  } else {
    // The low bits shifted out are zero: minExp is the lowest set bit.
    result = APInt(width, mantissa >> static_cast<unsigned>(-shift));
  }
  if (value < 0)
    result.negate();
  return result;
}

double ExactScale::toDouble(const APInt &v, RoundingMode mode) const {
  // Quad precision covers every exponent involved. Rounding twice in the
  // same direction (into quad, then into double) equals rounding once when
  // the mode is directed, since the double grid is part of the quad grid;
  // for nearest it may differ in the last place on rare ties, which only the
  // reported objective uses.
  APFloat value(APFloat::IEEEquad());
  value.convertFromAPInt(v, /*IsSigned=*/true, mode);
  value = llvm::scalbn(value, minExp, mode);
  bool losesInfo = false;
  value.convert(APFloat::IEEEdouble(), mode, &losesInfo);
  return value.convertToDouble();
}

APInt PreparedProblem::total(unsigned quantity,
                             ArrayRef<unsigned> choices) const {
  APInt sum(scaleOf(quantity).width, 0);
  for (unsigned l = 0, e = numLayers(); l < e; ++l)
    sum += value(quantity, l, choices[l]);
  return sum;
}

bool PreparedProblem::meetsBudgets(ArrayRef<unsigned> active,
                                   ArrayRef<unsigned> choices) const {
  return llvm::all_of(
      active, [&](unsigned k) { return total(k, choices).sle(budgets[k]); });
}

bool PreparedProblem::isStructurallyValid(ArrayRef<unsigned> choices) const {
  if (choices.size() != numLayers())
    return false;
  for (unsigned l = 0, e = numLayers(); l < e; ++l) {
    unsigned g = groupOf[l];
    if (choices[l] >= numChoices(l) ||
        choices[l] != choices[groupMembers[g].front()])
      return false;
    if (groupFixed[g] && choices[l] != *groupFixed[g])
      return false;
  }
  return true;
}

//===----------------------------------------------------------------------===//
// Validation
//===----------------------------------------------------------------------===//

static unsigned findRoot(SmallVectorImpl<unsigned> &parent, unsigned x) {
  while (parent[x] != x) {
    parent[x] = parent[parent[x]];
    x = parent[x];
  }
  return x;
}

static llvm::Expected<PreparedProblem>
prepareProblem(const BitAllocationProblem &problem) {
  unsigned numLayers = problem.layers.size();
  unsigned numConstraints = problem.constraints.size();
  if (numLayers == 0)
    return makeError("the bit allocation problem has no layers");

  llvm::StringSet<> names;
  for (auto [k, constraint] : llvm::enumerate(problem.constraints)) {
    if (constraint.name.empty())
      return makeError("constraint " + llvm::Twine(k) + " has no name");
    if (!names.insert(constraint.name).second)
      return makeError("two constraints are named '" + constraint.name + "'");
    if (!std::isfinite(constraint.budget))
      return makeError("the " + constraint.name + " budget is not finite (" +
                       formatNumber(constraint.budget) + ")");
  }

  for (unsigned l = 0; l < numLayers; ++l) {
    const BitAllocationLayer &layer = problem.layers[l];
    if (layer.choices.empty())
      return makeError(describeLayer(problem, l) + " has no choices");
    if (layer.fixedChoice && *layer.fixedChoice >= layer.choices.size())
      return makeError(describeLayer(problem, l) + " fixes choice " +
                       llvm::Twine(*layer.fixedChoice) + ", but has only " +
                       llvm::Twine(layer.choices.size()) + " choices");
    for (auto [j, choice] : llvm::enumerate(layer.choices)) {
      if (choice.costs.size() != numConstraints)
        return makeError(describeChoice(problem, l, j) + " has " +
                         llvm::Twine(choice.costs.size()) +
                         " costs, but the problem has " +
                         llvm::Twine(numConstraints) + " constraints");
      if (!std::isfinite(choice.objective))
        return makeError(describeChoice(problem, l, j) +
                         " has a non-finite objective (" +
                         formatNumber(choice.objective) + ")");
      for (auto [k, cost] : llvm::enumerate(choice.costs)) {
        const std::string &name = problem.constraints[k].name;
        if (!std::isfinite(cost))
          return makeError(describeChoice(problem, l, j) +
                           " has a non-finite " + name + " cost (" +
                           formatNumber(cost) + ")");
        if (cost < 0)
          return makeError(describeChoice(problem, l, j) + " has a negative " +
                           name + " cost (" + formatNumber(cost) + ")");
      }
    }
  }

  // Merge the tie groups.
  SmallVector<unsigned> parent(numLayers);
  std::iota(parent.begin(), parent.end(), 0u);
  for (auto [t, tie] : llvm::enumerate(problem.ties)) {
    for (unsigned layer : tie)
      if (layer >= numLayers)
        return makeError("tie group " + llvm::Twine(t) + " names layer " +
                         llvm::Twine(layer) + ", but the problem has " +
                         llvm::Twine(numLayers) + " layers");
    for (unsigned i = 1; i < tie.size(); ++i) {
      unsigned a = tie.front(), b = tie[i];
      if (problem.layers[a].choices.size() != problem.layers[b].choices.size())
        return makeError(
            describeLayer(problem, a) + " and " + describeLayer(problem, b) +
            " are tied but have different numbers of choices (" +
            llvm::Twine(problem.layers[a].choices.size()) + " and " +
            llvm::Twine(problem.layers[b].choices.size()) + ")");
      parent[findRoot(parent, b)] = findRoot(parent, a);
    }
  }

  PreparedProblem prepared;
  prepared.problem = &problem;
  prepared.groupOf.assign(numLayers, ~0u);
  SmallVector<unsigned> groupOfRoot(numLayers, ~0u);
  SmallVector<unsigned> fixedBy; // The layer that fixed each group's choice.
  for (unsigned l = 0; l < numLayers; ++l) {
    unsigned root = findRoot(parent, l);
    if (groupOfRoot[root] == ~0u) {
      groupOfRoot[root] = prepared.groupMembers.size();
      prepared.groupMembers.emplace_back();
      prepared.groupFixed.push_back(std::nullopt);
      fixedBy.push_back(~0u);
    }
    unsigned g = groupOfRoot[root];
    prepared.groupOf[l] = g;
    prepared.groupMembers[g].push_back(l);
    std::optional<unsigned> fixed = problem.layers[l].fixedChoice;
    if (!fixed)
      continue;
    if (prepared.groupFixed[g] && *prepared.groupFixed[g] != *fixed)
      return makeError(describeLayer(problem, fixedBy[g]) + " and " +
                       describeLayer(problem, l) +
                       " are tied but fix different choices (" +
                       llvm::Twine(*prepared.groupFixed[g]) + " and " +
                       llvm::Twine(*fixed) + ")");
    prepared.groupFixed[g] = fixed;
    fixedBy[g] = l;
  }

  // Exact data.
  SmallVector<double> values;
  for (const BitAllocationLayer &layer : problem.layers)
    for (const BitAllocationChoice &choice : layer.choices)
      values.push_back(choice.objective);
  prepared.objScale = makeScale(values, numLayers);
  prepared.layerObj.resize(numLayers);
  for (unsigned l = 0; l < numLayers; ++l)
    for (const BitAllocationChoice &choice : problem.layers[l].choices)
      prepared.layerObj[l].push_back(
          prepared.objScale.toExact(choice.objective));

  prepared.layerCost.resize(numConstraints);
  for (unsigned k = 0; k < numConstraints; ++k) {
    values.clear();
    values.push_back(problem.constraints[k].budget);
    for (const BitAllocationLayer &layer : problem.layers)
      for (const BitAllocationChoice &choice : layer.choices)
        values.push_back(choice.costs[k]);
    ExactScale scale = makeScale(values, numLayers + 1);
    prepared.costScales.push_back(scale);
    prepared.budgets.push_back(scale.toExact(problem.constraints[k].budget));
    prepared.layerCost[k].resize(numLayers);
    for (unsigned l = 0; l < numLayers; ++l)
      for (const BitAllocationChoice &choice : problem.layers[l].choices)
        prepared.layerCost[k][l].push_back(scale.toExact(choice.costs[k]));
  }
  return prepared;
}

llvm::Error
mlir::qcc::verifyBitAllocationProblem(const BitAllocationProblem &problem) {
  return prepareProblem(problem).takeError();
}

//===----------------------------------------------------------------------===//
// The exact solver
//===----------------------------------------------------------------------===//
//
// Depth-first branch-and-bound over the tie groups, in a fixed order (groups
// with a fixed choice first, then by decreasing spread of the objective),
// trying each group's choices in increasing objective. A node is pruned when
//
//   * some budget cannot be met even with the cheapest choice of every
//     remaining group (exact),
//   * the objective so far plus the smallest objective of every remaining
//     group is not below the incumbent (exact), or
//   * an LP relaxation of the remaining groups proves that no completion is
//     feasible or that every completion exceeds the incumbent by more than a
//     margin covering the rounding of doubles (1e-9 of the objective's
//     magnitude). The relaxations are the multiple-choice knapsack LP under
//     one row, solved greedily on the lower convex hulls of the groups'
//     (cost, objective) points, in doubles: one row per budget, and with
//     several budgets a surrogate row, their sum with each budget's costs
//     divided by its range. Every row's budget is inflated by 1e-9 of its
//     scale against rounding.
//
// Incumbents are replaced only by exactly smaller objectives, so the result
// is the exact optimum; the margins only weaken pruning.
//
//===----------------------------------------------------------------------===//

namespace {

/// A hull segment of one group under one LP row.
struct HullSegment {
  unsigned position; // The group's position in the branching order.
  double deltaCost;  // > 0
  double deltaObj;   // < 0
  double slope;      // deltaObj / deltaCost
};

struct SearchGroup {
  unsigned group;
  /// The allowed choices in branching order.
  SmallVector<unsigned, 4> order;
  /// Per choice index (all choices, allowed or not).
  SmallVector<APInt, 4> obj;
  SmallVector<double, 4> objD;
  /// [a][j] for the a-th active budget.
  SmallVector<SmallVector<APInt, 4>, 3> cost;
  /// [r][j] for the r-th LP row (the active budgets, then the surrogate).
  SmallVector<SmallVector<double, 4>, 4> rowCost;
};

/// One LP relaxation row: sum of the groups' rowCost <= residual.
struct LpRow {
  /// The row's weight on each active budget's residual.
  SmallVector<double, 3> weights;
  /// The hull segments of all groups, by increasing slope.
  SmallVector<HullSegment> segments;
  /// Over the groups at positions >= depth, of each group's cheapest point:
  /// the sum of objectives and of costs.
  SmallVector<double> suffixLeftObj, suffixLeftCost;
  /// Added to the residual against rounding.
  double inflation = 0.0;
};

class ExactSearch {
public:
  ExactSearch(const PreparedProblem &prepared, const SubProblem &sub,
              uint64_t maxNodes)
      : prepared(prepared), sub(sub), maxNodes(maxNodes) {}

  SubSolveResult run();

private:
  void buildGroups();
  void buildExactBounds();
  void buildLpRows();
  void search(unsigned depth);
  double lpBound(const LpRow &row, unsigned depth) const;

  const PreparedProblem &prepared;
  const SubProblem &sub;
  uint64_t maxNodes;

  std::vector<SearchGroup> groups;
  unsigned objWidth = 0;

  // Bounds, indexed by depth (0..groups.size()).
  SmallVector<APInt> suffixMinObj;
  SmallVector<SmallVector<APInt>, 3> suffixMinCost; // [a][depth]
  SmallVector<LpRow, 4> lpRows;
  double objMargin = 0.0;

  // Search state, indexed by depth.
  SmallVector<APInt> objSum;
  SmallVector<double> objSumD;
  SmallVector<SmallVector<APInt, 3>> slack; // [depth][a]
  SmallVector<SmallVector<double, 3>> slackD;
  SmallVector<unsigned> chosen;

  bool hasIncumbent = false;
  APInt incumbentObj;
  double incumbentObjD = 0.0;
  SmallVector<unsigned> incumbent;
  uint64_t nodes = 0;
  bool gaveUp = false;
};

} // namespace

void ExactSearch::buildGroups() {
  unsigned numActive = sub.active.size();
  objWidth = prepared.scaleOf(sub.minimize).width;
  for (unsigned g = 0, e = prepared.groupMembers.size(); g < e; ++g) {
    ArrayRef<unsigned> members = prepared.groupMembers[g];
    unsigned numChoices = prepared.numChoices(members.front());
    SearchGroup group;
    group.group = g;
    group.cost.resize(numActive);
    group.rowCost.resize(numActive);
    for (unsigned j = 0; j < numChoices; ++j) {
      APInt obj(objWidth, 0);
      double objD = 0.0;
      for (unsigned l : members) {
        obj += prepared.value(sub.minimize, l, j);
        objD += prepared.valueAsDouble(sub.minimize, l, j);
      }
      group.obj.push_back(obj);
      group.objD.push_back(objD);
      for (unsigned a = 0; a < numActive; ++a) {
        unsigned k = sub.active[a];
        APInt cost(prepared.costScales[k].width, 0);
        double costD = 0.0;
        for (unsigned l : members) {
          cost += prepared.layerCost[k][l][j];
          costD += prepared.valueAsDouble(k, l, j);
        }
        group.cost[a].push_back(cost);
        group.rowCost[a].push_back(costD);
      }
    }
    if (std::optional<unsigned> fixed = prepared.groupFixed[g])
      group.order.push_back(*fixed);
    else
      for (unsigned j = 0; j < numChoices; ++j)
        group.order.push_back(j);
    llvm::sort(group.order, [&](unsigned x, unsigned y) {
      if (group.obj[x] != group.obj[y])
        return group.obj[x].slt(group.obj[y]);
      return x < y;
    });
    groups.push_back(std::move(group));
  }

  // Fixed groups first, then by decreasing objective spread.
  auto spread = [](const SearchGroup &group) {
    return group.objD[group.order.back()] - group.objD[group.order.front()];
  };
  llvm::sort(groups, [&](const SearchGroup &x, const SearchGroup &y) {
    bool xFixed = x.order.size() == 1, yFixed = y.order.size() == 1;
    if (xFixed != yFixed)
      return xFixed;
    if (spread(x) != spread(y))
      return spread(x) > spread(y);
    return x.group < y.group;
  });
}

void ExactSearch::buildExactBounds() {
  unsigned numGroups = groups.size();
  suffixMinObj.assign(numGroups + 1, APInt(objWidth, 0));
  for (unsigned d = numGroups; d-- > 0;)
    suffixMinObj[d] =
        suffixMinObj[d + 1] + groups[d].obj[groups[d].order.front()];

  suffixMinCost.resize(sub.active.size());
  for (unsigned a = 0, e = sub.active.size(); a < e; ++a) {
    unsigned k = sub.active[a];
    suffixMinCost[a].assign(numGroups + 1,
                            APInt(prepared.costScales[k].width, 0));
    for (unsigned d = numGroups; d-- > 0;) {
      const SearchGroup &group = groups[d];
      APInt minCost = group.cost[a][group.order.front()];
      for (unsigned j : group.order)
        if (group.cost[a][j].slt(minCost))
          minCost = group.cost[a][j];
      suffixMinCost[a][d] = suffixMinCost[a][d + 1] + minCost;
    }
  }

  double objMagnitude = 0.0;
  for (const SearchGroup &group : groups) {
    double largest = 0.0;
    for (unsigned j : group.order)
      largest = std::max(largest, std::fabs(group.objD[j]));
    objMagnitude += largest;
  }
  objMargin = 1e-9 * objMagnitude + std::numeric_limits<double>::min();
}

void ExactSearch::buildLpRows() {
  unsigned numGroups = groups.size();
  unsigned numActive = sub.active.size();

  // One row per budget, weighted 1 on it.
  for (unsigned a = 0; a < numActive; ++a) {
    LpRow row;
    row.weights.assign(numActive, 0.0);
    row.weights[a] = 1.0;
    lpRows.push_back(std::move(row));
  }
  // The surrogate row: each budget's costs divided by their range over the
  // choices (the spread of the group's costs, summed over the groups).
  if (numActive >= 2) {
    LpRow row;
    for (unsigned a = 0; a < numActive; ++a) {
      double range = 0.0;
      for (const SearchGroup &group : groups) {
        double lo = std::numeric_limits<double>::infinity(), hi = 0.0;
        for (unsigned j : group.order) {
          lo = std::min(lo, group.rowCost[a][j]);
          hi = std::max(hi, group.rowCost[a][j]);
        }
        range += hi - lo;
      }
      row.weights.push_back(range > 0.0 ? 1.0 / range : 0.0);
    }
    for (SearchGroup &group : groups) {
      SmallVector<double, 4> costs(group.obj.size(), 0.0);
      for (unsigned j = 0, e = costs.size(); j < e; ++j)
        for (unsigned a = 0; a < numActive; ++a)
          costs[j] += row.weights[a] * group.rowCost[a][j];
      group.rowCost.push_back(std::move(costs));
    }
    lpRows.push_back(std::move(row));
  }

  for (unsigned r = 0, e = lpRows.size(); r < e; ++r) {
    LpRow &row = lpRows[r];
    row.suffixLeftObj.assign(numGroups + 1, 0.0);
    row.suffixLeftCost.assign(numGroups + 1, 0.0);
    double magnitude = 0.0;
    for (unsigned a = 0; a < numActive; ++a)
      magnitude +=
          row.weights[a] *
          std::fabs(prepared.problem->constraints[sub.active[a]].budget);
    for (unsigned d = numGroups; d-- > 0;) {
      const SearchGroup &group = groups[d];
      ArrayRef<double> cost = group.rowCost[r];
      // The lower convex hull of (cost, objective), from the cheapest point
      // to the one with the smallest objective.
      SmallVector<unsigned, 4> points(group.order);
      llvm::sort(points, [&](unsigned x, unsigned y) {
        if (cost[x] != cost[y])
          return cost[x] < cost[y];
        if (group.objD[x] != group.objD[y])
          return group.objD[x] < group.objD[y];
        return x < y;
      });
      SmallVector<unsigned, 4> hull;
      for (unsigned p : points) {
        if (!hull.empty() && group.objD[p] >= group.objD[hull.back()])
          continue;
        while (hull.size() >= 2) {
          unsigned o = hull[hull.size() - 2], m = hull.back();
          double cross = (cost[m] - cost[o]) * (group.objD[p] - group.objD[o]) -
                         (group.objD[m] - group.objD[o]) * (cost[p] - cost[o]);
          if (cross > 0)
            break;
          hull.pop_back();
        }
        hull.push_back(p);
      }
      for (unsigned i = 1; i < hull.size(); ++i) {
        double deltaCost = cost[hull[i]] - cost[hull[i - 1]];
        double deltaObj = group.objD[hull[i]] - group.objD[hull[i - 1]];
        row.segments.push_back({d, deltaCost, deltaObj, deltaObj / deltaCost});
      }
      row.suffixLeftObj[d] =
          row.suffixLeftObj[d + 1] + group.objD[hull.front()];
      row.suffixLeftCost[d] = row.suffixLeftCost[d + 1] + cost[hull.front()];
      double largest = 0.0;
      for (unsigned j : group.order)
        largest = std::max(largest, cost[j]);
      magnitude += largest;
    }
    // Within a group the slopes increase along the hull, so this order
    // keeps each group's segments in hull order.
    llvm::sort(row.segments, [](const HullSegment &x, const HullSegment &y) {
      if (x.slope != y.slope)
        return x.slope < y.slope;
      if (x.position != y.position)
        return x.position < y.position;
      return x.deltaCost < y.deltaCost;
    });
    row.inflation = 1e-9 * magnitude + std::numeric_limits<double>::min();
  }
}

/// A lower bound on the objective of the groups at positions >= depth under
/// one LP row; +infinity when the row proves them infeasible.
double ExactSearch::lpBound(const LpRow &row, unsigned depth) const {
  double remaining = row.inflation - row.suffixLeftCost[depth];
  for (unsigned a = 0, e = row.weights.size(); a < e; ++a)
    remaining += row.weights[a] * slackD[depth][a];
  if (remaining < 0)
    return std::numeric_limits<double>::infinity();
  double bound = row.suffixLeftObj[depth];
  for (const HullSegment &segment : row.segments) {
    if (segment.position < depth)
      continue;
    if (segment.deltaCost <= remaining) {
      remaining -= segment.deltaCost;
      bound += segment.deltaObj;
      continue;
    }
    bound += segment.deltaObj * (remaining / segment.deltaCost);
    break;
  }
  return bound;
}

void ExactSearch::search(unsigned depth) {
  if (++nodes > maxNodes) {
    gaveUp = true;
    return;
  }
  unsigned numActive = sub.active.size();
  for (unsigned a = 0; a < numActive; ++a)
    if (slack[depth][a].slt(suffixMinCost[a][depth]))
      return;
  if (hasIncumbent && (objSum[depth] + suffixMinObj[depth]).sge(incumbentObj))
    return;
  if (depth == groups.size()) {
    hasIncumbent = true;
    incumbentObj = objSum[depth];
    incumbentObjD = objSumD[depth];
    incumbent.assign(chosen.begin(), chosen.end());
    return;
  }
  double threshold = hasIncumbent ? incumbentObjD + objMargin
                                  : std::numeric_limits<double>::infinity();
  for (const LpRow &row : lpRows) {
    double bound = lpBound(row, depth);
    if (bound == std::numeric_limits<double>::infinity() ||
        objSumD[depth] + bound > threshold)
      return;
  }

  const SearchGroup &group = groups[depth];
  for (unsigned j : group.order) {
    chosen[depth] = j;
    objSum[depth + 1] = objSum[depth];
    objSum[depth + 1] += group.obj[j];
    objSumD[depth + 1] = objSumD[depth] + group.objD[j];
    for (unsigned a = 0; a < numActive; ++a) {
      slack[depth + 1][a] = slack[depth][a];
      slack[depth + 1][a] -= group.cost[a][j];
      slackD[depth + 1][a] = slackD[depth][a] - group.rowCost[a][j];
    }
    search(depth + 1);
    if (gaveUp)
      return;
  }
}

SubSolveResult ExactSearch::run() {
  buildGroups();
  buildExactBounds();
  buildLpRows();

  unsigned numGroups = groups.size();
  objSum.assign(numGroups + 1, APInt(objWidth, 0));
  objSumD.assign(numGroups + 1, 0.0);
  slack.resize(numGroups + 1);
  slackD.resize(numGroups + 1);
  for (unsigned d = 0; d <= numGroups; ++d) {
    for (unsigned k : sub.active) {
      slack[d].push_back(prepared.budgets[k]);
      slackD[d].push_back(prepared.problem->constraints[k].budget);
    }
  }
  chosen.assign(numGroups, 0);

  search(0);
  if (gaveUp) {
    unsigned freeGroups = llvm::count_if(
        groups, [](const SearchGroup &g) { return g.order.size() > 1; });
    size_t maxChoices = 0;
    for (const SearchGroup &g : groups)
      maxChoices = std::max(maxChoices, g.order.size());
    return makeError("the exact bit allocation solver gave up after " +
                     llvm::Twine(maxNodes) + " search nodes (" +
                     llvm::Twine(freeGroups) + " free tie groups with up to " +
                     llvm::Twine(maxChoices) +
                     " choices); use the CBC solver or raise maxExactNodes");
  }
  if (!hasIncumbent)
    return std::optional<SmallVector<unsigned>>();

  SmallVector<unsigned> choices(prepared.numLayers(), 0);
  for (unsigned d = 0; d < numGroups; ++d)
    for (unsigned l : prepared.groupMembers[groups[d].group])
      choices[l] = incumbent[d];
  return std::optional<SmallVector<unsigned>>(std::move(choices));
}

SubSolveResult detail::solveExactly(const PreparedProblem &prepared,
                                    const SubProblem &sub,
                                    const BitAllocationOptions &options) {
  ExactSearch search(prepared, sub, options.maxExactNodes);
  return search.run();
}

#ifndef QCC_HAVE_CBC
SubSolveResult detail::solveWithCbc(const PreparedProblem &, const SubProblem &,
                                    const BitAllocationOptions &) {
  return makeError("qcc was built without COIN-OR CBC; use the exact solver");
}
#endif

//===----------------------------------------------------------------------===//
// Solving and the infeasibility diagnosis
//===----------------------------------------------------------------------===//

using SubSolver = llvm::function_ref<SubSolveResult(const SubProblem &)>;

/// The smallest total of constraint k over all assignments (ties and fixed
/// choices held, other budgets ignored): each group's cheapest choice.
static APInt smallestTotalAlone(const PreparedProblem &prepared, unsigned k) {
  APInt sum(prepared.costScales[k].width, 0);
  for (unsigned g = 0, e = prepared.groupMembers.size(); g < e; ++g) {
    ArrayRef<unsigned> members = prepared.groupMembers[g];
    std::optional<APInt> best;
    for (unsigned j = 0, n = prepared.numChoices(members.front()); j < n; ++j) {
      if (prepared.groupFixed[g] && *prepared.groupFixed[g] != j)
        continue;
      APInt cost(sum.getBitWidth(), 0);
      for (unsigned l : members)
        cost += prepared.layerCost[k][l][j];
      if (!best || cost.slt(*best))
        best = cost;
    }
    sum += *best;
  }
  return sum;
}

/// Builds the error for an infeasible problem: for every budget, the
/// smallest value feasible with the others held.
static llvm::Error diagnoseInfeasible(const PreparedProblem &prepared,
                                      SubSolver solve) {
  const BitAllocationProblem &problem = *prepared.problem;
  unsigned numConstraints = prepared.numConstraints();
  SmallVector<BitAllocationBudgetFix, 3> budgets;
  for (unsigned k = 0; k < numConstraints; ++k) {
    const ExactScale &scale = prepared.costScales[k];
    BitAllocationBudgetFix fix;
    fix.constraint = k;
    fix.name = problem.constraints[k].name;
    fix.unit = problem.constraints[k].unit;
    fix.budget = problem.constraints[k].budget;
    APInt alone = smallestTotalAlone(prepared, k);
    fix.smallestBudgetAlone =
        scale.toDouble(alone, RoundingMode::TowardPositive);

    std::optional<APInt> smallest;
    if (numConstraints == 1) {
      smallest = alone;
    } else {
      SubProblem sub;
      sub.minimize = k;
      for (unsigned other = 0; other < numConstraints; ++other)
        if (other != k)
          sub.active.push_back(other);
      SubSolveResult result = solve(sub);
      if (!result)
        return result.takeError();
      if (*result)
        smallest = prepared.total(k, **result);
    }
    if (smallest) {
      fix.smallestFeasibleBudget =
          scale.toDouble(*smallest, RoundingMode::TowardPositive);
      fix.violated = smallest->sgt(prepared.budgets[k]);
    } else {
      fix.violated = prepared.budgets[k].slt(alone);
    }
    budgets.push_back(std::move(fix));
  }
  return llvm::make_error<BitAllocationInfeasibleError>(std::move(budgets));
}

llvm::Expected<BitAllocationSolution>
mlir::qcc::solveBitAllocation(const BitAllocationProblem &problem,
                              const BitAllocationOptions &options) {
  llvm::Expected<PreparedProblem> prepared = prepareProblem(problem);
  if (!prepared)
    return prepared.takeError();

  BitAllocationSolverKind kind = options.solver;
  if (kind == BitAllocationSolverKind::Auto)
    kind = isCbcAvailable() ? BitAllocationSolverKind::Cbc
                            : BitAllocationSolverKind::Exact;
  if (kind == BitAllocationSolverKind::Cbc && !isCbcAvailable())
    return makeError("the CBC bit allocation solver was requested, but qcc "
                     "was built without COIN-OR CBC; use the exact solver");

  auto solve = [&](const SubProblem &sub) -> SubSolveResult {
    if (kind == BitAllocationSolverKind::Cbc)
      return solveWithCbc(*prepared, sub, options);
    return solveExactly(*prepared, sub, options);
  };

  SubProblem main;
  for (unsigned k = 0, e = prepared->numConstraints(); k < e; ++k)
    main.active.push_back(k);
  SubSolveResult result = solve(main);
  if (!result)
    return result.takeError();
  if (!*result)
    return diagnoseInfeasible(*prepared, solve);

  SmallVector<unsigned> &choices = **result;
  if (!prepared->isStructurallyValid(choices) ||
      !prepared->meetsBudgets(main.active, choices))
    return makeError("internal error: the " +
                     stringifyBitAllocationSolverKind(kind) +
                     " solver returned an assignment that violates the "
                     "problem");

  BitAllocationSolution solution;
  solution.solver = kind;
  solution.objective =
      prepared->objScale.toDouble(prepared->total(kMinimizeObjective, choices),
                                  RoundingMode::NearestTiesToEven);
  for (unsigned k = 0, e = prepared->numConstraints(); k < e; ++k)
    solution.totals.push_back(prepared->costScales[k].toDouble(
        prepared->total(k, choices), RoundingMode::TowardPositive));
  solution.choices = std::move(choices);
  return solution;
}

llvm::Expected<double>
mlir::qcc::computeBitAllocationTotal(const BitAllocationProblem &problem,
                                     unsigned constraint,
                                     ArrayRef<unsigned> choices) {
  llvm::Expected<PreparedProblem> prepared = prepareProblem(problem);
  if (!prepared)
    return prepared.takeError();
  if (constraint >= prepared->numConstraints())
    return makeError("constraint " + llvm::Twine(constraint) +
                     " is out of range: the problem has " +
                     llvm::Twine(prepared->numConstraints()) + " constraints");
  if (choices.size() != prepared->numLayers())
    return makeError(llvm::Twine(choices.size()) +
                     " choices given for a problem of " +
                     llvm::Twine(prepared->numLayers()) + " layers");
  for (unsigned l = 0, e = prepared->numLayers(); l < e; ++l)
    if (choices[l] >= prepared->numChoices(l))
      return makeError(describeLayer(problem, l) + " has no choice " +
                       llvm::Twine(choices[l]));
  return prepared->costScales[constraint].toDouble(
      prepared->total(constraint, choices), RoundingMode::TowardPositive);
}
