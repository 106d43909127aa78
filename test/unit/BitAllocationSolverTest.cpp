//===- BitAllocationSolverTest.cpp - tests of the bit allocation ILP ------===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//
//
// The bit allocation solvers (qcc/Quant/BitAllocationSolver.h), each checked
// against an independent brute-force enumeration written here:
//
//   * random instances (1..16 layers, 1..4 choices, 0..3 budgets, random
//     ties and fixed choices, feasible and infeasible): the same optimum, and
//     for infeasible ones the same smallest feasible budgets;
//   * the HAWQ-V3 ResNet18 fixture of ALGORITHMS.md section 1a, whose
//     published optima are the oracle;
//   * monotonicity: raising a budget never raises the objective;
//   * the infeasibility message, and that the budget it names is feasible
//     while the next smaller double is not;
//   * exactness where floating-point sums would round the other way;
//   * input validation.
//
// Every CBC test is skipped (GTEST_SKIP) only when qcc is built without CBC.
//
//===----------------------------------------------------------------------===//

#include "qcc/Quant/BitAllocationSolver.h"

#include "llvm/Support/Error.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

#include "gtest/gtest.h"

#include <chrono>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>
#include <optional>
#include <random>
#include <string>
#include <vector>

using namespace mlir;
using namespace mlir::qcc;

namespace {

using Kind = BitAllocationSolverKind;

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

BitAllocationChoice makeChoice(double objective, ArrayRef<double> costs,
                               std::string label = "") {
  BitAllocationChoice choice;
  choice.label = std::move(label);
  choice.objective = objective;
  choice.costs.assign(costs.begin(), costs.end());
  return choice;
}

BitAllocationOptions optionsFor(Kind kind) {
  BitAllocationOptions options;
  options.solver = kind;
  return options;
}

std::string errorMessage(llvm::Error error) {
  return llvm::toString(std::move(error));
}

/// The solution, or a test failure naming the error.
std::optional<BitAllocationSolution> solveOrFail(const BitAllocationProblem &p,
                                                 Kind kind) {
  llvm::Expected<BitAllocationSolution> solution =
      solveBitAllocation(p, optionsFor(kind));
  if (!solution) {
    ADD_FAILURE() << "unexpected error: " << errorMessage(solution.takeError());
    return std::nullopt;
  }
  return std::move(*solution);
}

/// True when the problem is feasible; fails the test on any other error.
bool isFeasible(const BitAllocationProblem &p, Kind kind) {
  llvm::Expected<BitAllocationSolution> solution =
      solveBitAllocation(p, optionsFor(kind));
  if (solution)
    return true;
  bool infeasible = false;
  llvm::handleAllErrors(
      solution.takeError(),
      [&](const BitAllocationInfeasibleError &) { infeasible = true; },
      [&](const llvm::ErrorInfoBase &other) {
        ADD_FAILURE() << "unexpected error: " << other.message();
      });
  return !infeasible;
}

/// The budgets of an infeasible problem, or a test failure.
std::optional<SmallVector<BitAllocationBudgetFix, 3>>
expectInfeasible(const BitAllocationProblem &p, Kind kind,
                 std::string *message = nullptr) {
  llvm::Expected<BitAllocationSolution> solution =
      solveBitAllocation(p, optionsFor(kind));
  if (solution) {
    ADD_FAILURE() << "expected an infeasible problem, got objective "
                  << solution->objective;
    return std::nullopt;
  }
  std::optional<SmallVector<BitAllocationBudgetFix, 3>> budgets;
  llvm::handleAllErrors(
      solution.takeError(),
      [&](const BitAllocationInfeasibleError &error) {
        auto fixes = error.getBudgets();
        budgets.emplace(fixes.begin(), fixes.end());
        if (message)
          *message = error.message();
      },
      [&](const llvm::ErrorInfoBase &other) {
        ADD_FAILURE() << "unexpected error: " << other.message();
      });
  return budgets;
}

//===----------------------------------------------------------------------===//
// Brute force
//===----------------------------------------------------------------------===//

/// Exhaustive enumeration over the tie-respecting assignments. Totals are
/// double sums: the tests use integer or dyadic data whose sums are exact.
struct BruteForce {
  bool feasible = false;
  double objective = 0.0;
  std::vector<unsigned> choices;
  /// Per constraint: the smallest total among assignments that meet all
  /// other budgets (unset when none does), and the smallest total overall.
  std::vector<std::optional<double>> smallestWithOthers;
  std::vector<double> smallestAlone;
};

unsigned findRoot(std::vector<unsigned> &parent, unsigned x) {
  while (parent[x] != x)
    x = parent[x] = parent[parent[x]];
  return x;
}

/// The tie groups of a problem: the group of each layer.
std::vector<unsigned> tieGroups(const BitAllocationProblem &p) {
  std::vector<unsigned> parent(p.layers.size());
  std::iota(parent.begin(), parent.end(), 0u);
  for (const auto &tie : p.ties)
    for (unsigned layer : tie)
      parent[findRoot(parent, layer)] = findRoot(parent, tie.front());
  std::vector<unsigned> group(p.layers.size());
  for (unsigned l = 0; l < p.layers.size(); ++l)
    group[l] = findRoot(parent, l);
  return group;
}

/// The number of assignments the brute force enumerates.
uint64_t countAssignments(const BitAllocationProblem &p) {
  std::vector<unsigned> group = tieGroups(p);
  uint64_t count = 1;
  for (unsigned l = 0; l < p.layers.size(); ++l) {
    if (group[l] != l)
      continue;
    bool fixed = false;
    for (unsigned m = 0; m < p.layers.size(); ++m)
      fixed |= group[m] == l && p.layers[m].fixedChoice.has_value();
    if (!fixed)
      count *= p.layers[l].choices.size();
  }
  return count;
}

BruteForce bruteForce(const BitAllocationProblem &p) {
  unsigned numLayers = p.layers.size();
  unsigned numConstraints = p.constraints.size();
  std::vector<unsigned> group = tieGroups(p);
  // Per root: the allowed choices.
  std::vector<std::vector<unsigned>> allowed(numLayers);
  std::vector<unsigned> roots;
  for (unsigned l = 0; l < numLayers; ++l) {
    if (group[l] != l)
      continue;
    roots.push_back(l);
    std::optional<unsigned> fixed;
    for (unsigned m = 0; m < numLayers; ++m)
      if (group[m] == l && p.layers[m].fixedChoice)
        fixed = p.layers[m].fixedChoice;
    if (fixed)
      allowed[l] = {*fixed};
    else
      for (unsigned j = 0; j < p.layers[l].choices.size(); ++j)
        allowed[l].push_back(j);
  }

  BruteForce result;
  result.smallestWithOthers.assign(numConstraints, std::nullopt);
  result.smallestAlone.assign(numConstraints,
                              std::numeric_limits<double>::infinity());
  std::vector<unsigned> digit(roots.size(), 0);
  std::vector<unsigned> choices(numLayers);
  std::vector<double> totals(numConstraints);
  while (true) {
    for (unsigned l = 0; l < numLayers; ++l) {
      unsigned r =
          std::find(roots.begin(), roots.end(), group[l]) - roots.begin();
      choices[l] = allowed[group[l]][digit[r]];
    }
    double objective = 0.0;
    std::fill(totals.begin(), totals.end(), 0.0);
    for (unsigned l = 0; l < numLayers; ++l) {
      const BitAllocationChoice &c = p.layers[l].choices[choices[l]];
      objective += c.objective;
      for (unsigned k = 0; k < numConstraints; ++k)
        totals[k] += c.costs[k];
    }
    unsigned violated = 0;
    for (unsigned k = 0; k < numConstraints; ++k)
      violated += totals[k] > p.constraints[k].budget;
    if (violated == 0 && (!result.feasible || objective < result.objective)) {
      result.feasible = true;
      result.objective = objective;
      result.choices = choices;
    }
    for (unsigned k = 0; k < numConstraints; ++k) {
      result.smallestAlone[k] = std::min(result.smallestAlone[k], totals[k]);
      bool othersMet = violated == 0 ||
                       (violated == 1 && totals[k] > p.constraints[k].budget);
      if (othersMet && (!result.smallestWithOthers[k] ||
                        totals[k] < *result.smallestWithOthers[k]))
        result.smallestWithOthers[k] = totals[k];
    }
    // Next assignment (mixed radix).
    unsigned r = 0;
    for (; r < roots.size(); ++r) {
      if (++digit[r] < allowed[roots[r]].size())
        break;
      digit[r] = 0;
    }
    if (r == roots.size())
      break;
  }
  return result;
}

/// Checks a solution independently: one valid choice per layer, ties, fixed
/// choices, and every budget (exact for the data the tests use).
void expectValid(const BitAllocationProblem &p,
                 const BitAllocationSolution &solution) {
  ASSERT_EQ(solution.choices.size(), p.layers.size());
  std::vector<unsigned> group = tieGroups(p);
  for (unsigned l = 0; l < p.layers.size(); ++l) {
    ASSERT_LT(solution.choices[l], p.layers[l].choices.size());
    EXPECT_EQ(solution.choices[l], solution.choices[group[l]]) << "tie " << l;
    if (p.layers[l].fixedChoice)
      EXPECT_EQ(solution.choices[l], *p.layers[l].fixedChoice) << "fixed " << l;
  }
  ASSERT_EQ(solution.totals.size(), p.constraints.size());
  for (unsigned k = 0; k < p.constraints.size(); ++k) {
    double total = 0.0;
    for (unsigned l = 0; l < p.layers.size(); ++l)
      total += p.layers[l].choices[solution.choices[l]].costs[k];
    // The double sum may differ from the exact total in the last place.
    double budget = p.constraints[k].budget;
    EXPECT_NEAR(solution.totals[k], total, 1e-12 * std::fabs(total));
    EXPECT_LE(solution.totals[k], budget) << p.constraints[k].name;
    EXPECT_LE(total, budget + 1e-12 * std::fabs(budget));
  }
}

double objectiveOf(const BitAllocationProblem &p, ArrayRef<unsigned> choices) {
  double objective = 0.0;
  for (unsigned l = 0; l < p.layers.size(); ++l)
    objective += p.layers[l].choices[choices[l]].objective;
  return objective;
}

//===----------------------------------------------------------------------===//
// Random instances
//===----------------------------------------------------------------------===//

/// A deterministic generator (std::mt19937's output is specified; the
/// standard distributions are not, so they are avoided).
class Random {
public:
  explicit Random(uint32_t seed) : engine(seed) {}
  /// Uniform in [lo, hi].
  int range(int lo, int hi) {
    return lo + static_cast<int>(engine() % static_cast<uint32_t>(hi - lo + 1));
  }
  /// Uniform in [0, 1).
  double unit() { return engine() / 4294967296.0; }
  bool chance(double p) { return unit() < p; }

private:
  std::mt19937 engine;
};

const char *const kConstraintNames[] = {"size", "bops", "latency"};

/// A random instance whose brute force enumerates at most 2^16 assignments.
BitAllocationProblem randomProblem(uint32_t seed, unsigned minConstraints = 0,
                                   unsigned maxLayers = 16) {
  Random rng(seed);
  BitAllocationProblem p;
  unsigned numLayers = rng.range(1, maxLayers);
  unsigned numConstraints = rng.range(minConstraints, 3);
  bool integerObjective = rng.chance(0.3);
  bool dyadicCosts = rng.chance(0.3);
  for (unsigned k = 0; k < numConstraints; ++k)
    p.constraints.push_back({kConstraintNames[k], "", 0.0});
  for (unsigned l = 0; l < numLayers; ++l) {
    BitAllocationLayer layer;
    unsigned numChoices = rng.range(1, 4);
    for (unsigned j = 0; j < numChoices; ++j) {
      double objective =
          integerObjective ? rng.range(-3, 3) : rng.unit() * 2.0 - 1.0;
      SmallVector<double, 3> costs;
      for (unsigned k = 0; k < numConstraints; ++k) {
        double cost = rng.chance(0.1) ? 0.0 : rng.range(1, 50);
        if (dyadicCosts)
          cost /= 8.0;
        costs.push_back(cost);
      }
      layer.choices.push_back(makeChoice(objective, costs));
    }
    p.layers.push_back(std::move(layer));
  }
  // Ties among layers with the same number of choices.
  unsigned numTies = rng.range(0, 3);
  for (unsigned t = 0; t < numTies; ++t) {
    unsigned first = rng.range(0, numLayers - 1);
    SmallVector<unsigned, 4> tie = {first};
    unsigned size = rng.range(2, 3);
    for (unsigned attempt = 0; attempt < 8 && tie.size() < size; ++attempt) {
      unsigned other = rng.range(0, numLayers - 1);
      if (p.layers[other].choices.size() == p.layers[first].choices.size())
        tie.push_back(other);
    }
    if (tie.size() > 1)
      p.ties.push_back(tie);
  }
  // Fixed choices, consistent within tie groups.
  std::vector<unsigned> group = tieGroups(p);
  std::vector<std::optional<unsigned>> groupFixed(numLayers);
  for (unsigned l = 0; l < numLayers; ++l) {
    if (!rng.chance(0.12))
      continue;
    if (!groupFixed[group[l]])
      groupFixed[group[l]] = rng.range(0, p.layers[l].choices.size() - 1);
    p.layers[l].fixedChoice = groupFixed[group[l]];
  }
  // Budgets: at the total of a random assignment (the boundary), between the
  // smallest and the largest total, or below the smallest (infeasible).
  for (unsigned k = 0; k < numConstraints; ++k) {
    double smallest = 0.0, largest = 0.0, someTotal = 0.0;
    for (const BitAllocationLayer &layer : p.layers) {
      double lo = std::numeric_limits<double>::infinity(), hi = 0.0;
      for (const BitAllocationChoice &choice : layer.choices) {
        lo = std::min(lo, choice.costs[k]);
        hi = std::max(hi, choice.costs[k]);
      }
      smallest += lo;
      largest += hi;
      someTotal +=
          layer.choices[rng.range(0, layer.choices.size() - 1)].costs[k];
    }
    double budget;
    switch (rng.range(0, 3)) {
    case 0:
      budget = someTotal;
      break;
    case 1:
      budget = smallest + std::floor(rng.unit() * (largest - smallest));
      break;
    case 2:
      budget = smallest + std::floor(0.3 * (largest - smallest));
      break;
    default:
      budget = smallest - rng.range(0, 3);
      break;
    }
    p.constraints[k].budget = budget;
  }
  if (countAssignments(p) > (1u << 16))
    return randomProblem(seed + 0x9e3779b9u, minConstraints, maxLayers);
  return p;
}

constexpr unsigned kNumRandomInstances = 400;

/// Solves random instances and compares with the brute force.
void checkRandomInstances(Kind kind) {
  unsigned numInfeasible = 0, numTied = 0;
  for (unsigned i = 0; i < kNumRandomInstances; ++i) {
    SCOPED_TRACE("instance " + std::to_string(i));
    BitAllocationProblem p = randomProblem(1000 + i);
    numTied += !p.ties.empty();
    BruteForce expected = bruteForce(p);
    if (expected.feasible) {
      std::optional<BitAllocationSolution> solution = solveOrFail(p, kind);
      if (!solution)
        continue;
      EXPECT_EQ(solution->solver, kind);
      expectValid(p, *solution);
      double objective = objectiveOf(p, solution->choices);
      EXPECT_NEAR(objective, expected.objective,
                  1e-9 * (1.0 + std::fabs(expected.objective)));
      EXPECT_NEAR(solution->objective, objective, 1e-12);
      continue;
    }
    ++numInfeasible;
    std::optional<SmallVector<BitAllocationBudgetFix, 3>> budgets =
        expectInfeasible(p, kind);
    if (!budgets)
      continue;
    ASSERT_EQ(budgets->size(), p.constraints.size());
    for (unsigned k = 0; k < p.constraints.size(); ++k) {
      const BitAllocationBudgetFix &fix = (*budgets)[k];
      EXPECT_EQ(fix.constraint, k);
      EXPECT_EQ(fix.budget, p.constraints[k].budget);
      EXPECT_EQ(fix.smallestBudgetAlone, expected.smallestAlone[k]);
      EXPECT_EQ(fix.smallestFeasibleBudget.has_value(),
                expected.smallestWithOthers[k].has_value());
      if (fix.smallestFeasibleBudget && expected.smallestWithOthers[k])
        EXPECT_EQ(*fix.smallestFeasibleBudget, *expected.smallestWithOthers[k]);
    }
  }
  // The generator must exercise both outcomes and ties.
  EXPECT_GT(numInfeasible, kNumRandomInstances / 10);
  EXPECT_LT(numInfeasible, kNumRandomInstances / 2);
  EXPECT_GT(numTied, kNumRandomInstances / 2);
}

TEST(BitAllocationRandomTest, ExactMatchesBruteForce) {
  checkRandomInstances(Kind::Exact);
}

TEST(BitAllocationRandomTest, CbcMatchesBruteForce) {
  if (!isCbcAvailable())
    GTEST_SKIP() << "qcc is built without COIN-OR CBC";
  checkRandomInstances(Kind::Cbc);
}

TEST(BitAllocationRandomTest, AutoPicksCbcWhenBuiltWithIt) {
  BitAllocationProblem p = randomProblem(7, /*minConstraints=*/1);
  p.constraints[0].budget = 1e9;
  std::optional<BitAllocationSolution> solution = solveOrFail(p, Kind::Auto);
  ASSERT_TRUE(solution);
  EXPECT_EQ(solution->solver, isCbcAvailable() ? Kind::Cbc : Kind::Exact);
}

/// Raising a budget never raises the objective, and a feasible budget stays
/// feasible.
void checkMonotonicity(Kind kind) {
  for (unsigned i = 0; i < 60; ++i) {
    SCOPED_TRACE("instance " + std::to_string(i));
    BitAllocationProblem p = randomProblem(5000 + i, /*minConstraints=*/1);
    unsigned k = i % p.constraints.size();
    // The other budgets are relaxed on every third instance.
    if (i % 3 == 0)
      for (unsigned other = 0; other < p.constraints.size(); ++other)
        if (other != k)
          p.constraints[other].budget = 1e9;
    double largest = 0.0;
    for (const BitAllocationLayer &layer : p.layers) {
      double hi = 0.0;
      for (const BitAllocationChoice &choice : layer.choices)
        hi = std::max(hi, choice.costs[k]);
      largest += hi;
    }
    std::optional<double> previous;
    for (unsigned step = 0; step <= 24; ++step) {
      p.constraints[k].budget = largest * step / 24.0;
      llvm::Expected<BitAllocationSolution> solution =
          solveBitAllocation(p, optionsFor(kind));
      if (!solution) {
        std::string message = errorMessage(solution.takeError());
        EXPECT_FALSE(previous)
            << "feasible budget became infeasible: " << message;
        continue;
      }
      if (previous)
        EXPECT_LE(solution->objective,
                  *previous + 1e-9 * (1.0 + std::fabs(*previous)));
      previous = solution->objective;
    }
  }
}

TEST(BitAllocationMonotonicityTest, Exact) { checkMonotonicity(Kind::Exact); }

TEST(BitAllocationMonotonicityTest, Cbc) {
  if (!isCbcAvailable())
    GTEST_SKIP() << "qcc is built without COIN-OR CBC";
  checkMonotonicity(Kind::Cbc);
}

//===----------------------------------------------------------------------===//
// The HAWQ-V3 ResNet18 fixture (ALGORITHMS.md section 1a)
//===----------------------------------------------------------------------===//

constexpr unsigned kHawqLayers = 19;
const double kHawqTrace[kHawqLayers] = {
    0.06857826, 0.03162379, 0.03298575, 0.01205663, 0.02222431,
    0.00596336, 0.06931772, 0.00807129, 0.00372905, 0.00530698,
    0.00209011, 0.00737569, 0.00210454, 0.00151197, 0.00158041,
    0.00078146, 0.00451841, 0.00098745, 0.00072944};
const double kHawqDelta8[kHawqLayers] = {0.0235, 0.0125, 0.0102, 0.0082, 0.0145,
                                         0.0344, 0.0023, 0.0287, 0.0148, 0.0333,
                                         0.0682, 0.0027, 0.0448, 0.0336, 0.0576,
                                         0.1130, 0.0102, 0.0947, 0.0532};
const double kHawqDelta4[kHawqLayers] = {
    6.7430,  3.9691,  3.3281,  2.6796,  4.7277, 10.5966, 0.6827,
    9.0942,  4.8857,  10.7599, 21.7546, 0.8603, 14.5324, 10.9651,
    18.7706, 36.4044, 3.1572,  29.6994, 17.4016};
const double kHawqMacs[kHawqLayers] = {
    115605504, 115605504, 115605504, 115605504, 57802752, 115605504, 6422528,
    115605504, 115605504, 57802752,  115605504, 6422528,  115605504, 115605504,
    57802752,  115605504, 6422528,   115605504, 115605504};

/// Choice 0 is 4-bit (objective 0), choice 1 is 8-bit (objective
/// Tr * (delta8 - delta4)); the one budget is BOPS interpolated with f.
BitAllocationProblem hawqProblem(double f) {
  BitAllocationProblem p;
  p.constraints.push_back({"bops", "GBOPs", 0.0});
  double sum4 = 0.0, sum8 = 0.0;
  for (unsigned i = 0; i < kHawqLayers; ++i) {
    double bops8 = kHawqMacs[i] / 1e6 / 16, bops4 = kHawqMacs[i] / 1e6 / 64;
    double omega = kHawqTrace[i] * (kHawqDelta8[i] - kHawqDelta4[i]);
    BitAllocationLayer layer;
    layer.name = "conv" + std::to_string(i);
    layer.choices.push_back(makeChoice(0.0, {bops4}, "W4A4"));
    layer.choices.push_back(makeChoice(omega, {bops8}, "W8A8"));
    p.layers.push_back(std::move(layer));
    sum4 += bops4;
    sum8 += bops8;
  }
  p.ties = {{4, 6}, {9, 11}, {14, 16}};
  p.constraints[0].budget = sum4 + f * (sum8 - sum4);
  return p;
}

std::string bitString(ArrayRef<unsigned> choices) {
  std::string bits;
  for (unsigned choice : choices)
    bits += choice == 1 ? '8' : '4';
  return bits;
}

struct HawqOptimum {
  double f;
  double objective;
  const char *bits;
};
const HawqOptimum kHawqOptima[] = {
    {0.25, -0.847289, "8884848444444444444"},
    {0.5, -1.092024, "8884888848884444444"},
    {0.75, -1.227748, "8888888848888484884"},
};

void checkHawqFixture(Kind kind) {
  for (const HawqOptimum &optimum : kHawqOptima) {
    SCOPED_TRACE("f = " + std::to_string(optimum.f));
    BitAllocationProblem p = hawqProblem(optimum.f);
    auto start = std::chrono::steady_clock::now();
    std::optional<BitAllocationSolution> solution = solveOrFail(p, kind);
    double ms = std::chrono::duration<double, std::milli>(
                    std::chrono::steady_clock::now() - start)
                    .count();
    ASSERT_TRUE(solution);
    expectValid(p, *solution);
    EXPECT_NEAR(solution->objective, optimum.objective, 1e-6);
    EXPECT_EQ(bitString(solution->choices), optimum.bits);
    testing::Test::RecordProperty(
        "ms_f" + std::to_string(static_cast<int>(optimum.f * 100)),
        std::to_string(ms));
    llvm::outs() << "[ timing ] " << stringifyBitAllocationSolverKind(kind)
                 << " solver, HAWQ ResNet18 f = "
                 << llvm::format("%.2f", optimum.f) << ": "
                 << llvm::format("%.3f", ms) << " ms\n";
    llvm::outs().flush();
  }
}

TEST(BitAllocationHawqTest, ExactSolverFindsThePublishedOptima) {
  checkHawqFixture(Kind::Exact);
}

TEST(BitAllocationHawqTest, CbcFindsThePublishedOptima) {
  if (!isCbcAvailable())
    GTEST_SKIP() << "qcc is built without COIN-OR CBC";
  checkHawqFixture(Kind::Cbc);
}

TEST(BitAllocationHawqTest, BruteForceAgreesWithThePublishedOptima) {
  for (const HawqOptimum &optimum : kHawqOptima) {
    BruteForce expected = bruteForce(hawqProblem(optimum.f));
    ASSERT_TRUE(expected.feasible);
    EXPECT_NEAR(expected.objective, optimum.objective, 1e-6);
    EXPECT_EQ(bitString(expected.choices), optimum.bits);
  }
}

/// f = 1 gives all-8 and f = 0 all-4, when the budgets are the exact totals
/// (computeBitAllocationTotal); a sweep of f never raises the objective.
void checkHawqEnds(Kind kind) {
  BitAllocationProblem p = hawqProblem(0.0);
  SmallVector<unsigned> all4(kHawqLayers, 0), all8(kHawqLayers, 1);
  llvm::Expected<double> total4 = computeBitAllocationTotal(p, 0, all4);
  llvm::Expected<double> total8 = computeBitAllocationTotal(p, 0, all8);
  ASSERT_TRUE(bool(total4) && bool(total8));

  p.constraints[0].budget = *total8;
  std::optional<BitAllocationSolution> solution = solveOrFail(p, kind);
  ASSERT_TRUE(solution);
  EXPECT_EQ(bitString(solution->choices), std::string(kHawqLayers, '8'));

  p.constraints[0].budget = *total4;
  solution = solveOrFail(p, kind);
  ASSERT_TRUE(solution);
  EXPECT_EQ(bitString(solution->choices), std::string(kHawqLayers, '4'));

  p.constraints[0].budget = std::nextafter(*total4, 0.0);
  std::string message;
  ASSERT_TRUE(expectInfeasible(p, kind, &message));
  EXPECT_NE(message.find("the smallest feasible bops budget is"),
            std::string::npos)
      << message;

  double previous = std::numeric_limits<double>::infinity();
  for (unsigned step = 0; step <= 20; ++step) {
    p.constraints[0].budget = *total4 + (*total8 - *total4) * step / 20.0;
    solution = solveOrFail(p, kind);
    ASSERT_TRUE(solution);
    EXPECT_LE(solution->objective, previous);
    previous = solution->objective;
  }
}

TEST(BitAllocationHawqTest, ExactEndsAndSweep) { checkHawqEnds(Kind::Exact); }

TEST(BitAllocationHawqTest, CbcEndsAndSweep) {
  if (!isCbcAvailable())
    GTEST_SKIP() << "qcc is built without COIN-OR CBC";
  checkHawqEnds(Kind::Cbc);
}

/// The caller keeps the first and last layers at 8-bit with fixed choices.
TEST(BitAllocationHawqTest, FixedEndLayers) {
  BitAllocationProblem p = hawqProblem(0.25);
  p.layers.front().fixedChoice = 1;
  p.layers.back().fixedChoice = 1;
  BruteForce expected = bruteForce(p);
  ASSERT_TRUE(expected.feasible);
  for (Kind kind : {Kind::Exact, Kind::Cbc}) {
    if (kind == Kind::Cbc && !isCbcAvailable())
      continue;
    std::optional<BitAllocationSolution> solution = solveOrFail(p, kind);
    ASSERT_TRUE(solution);
    expectValid(p, *solution);
    EXPECT_NEAR(solution->objective, expected.objective, 1e-12);
    EXPECT_EQ(solution->choices.front(), 1u);
    EXPECT_EQ(solution->choices.back(), 1u);
  }
}

//===----------------------------------------------------------------------===//
// Infeasibility messages
//===----------------------------------------------------------------------===//

/// Three layers of 512000, 768000 and 256000 bytes at 8-bit, half at 4-bit;
/// the first is fixed at 8-bit, the other two are tied.
BitAllocationProblem sizeProblem(double budget) {
  BitAllocationProblem p;
  p.constraints.push_back({"size", "bytes", budget});
  for (double bytes : {1024000.0, 1536000.0, 512000.0}) {
    BitAllocationLayer layer;
    layer.choices.push_back(makeChoice(-1.0, {bytes}, "W8A8"));
    layer.choices.push_back(makeChoice(0.0, {bytes / 2}, "W4A8"));
    p.layers.push_back(std::move(layer));
  }
  p.layers[0].fixedChoice = 0;
  p.ties = {{1, 2}};
  return p;
}

std::vector<Kind> availableKinds() {
  std::vector<Kind> kinds = {Kind::Exact};
  if (isCbcAvailable())
    kinds.push_back(Kind::Cbc);
  return kinds;
}

TEST(BitAllocationInfeasibleTest, NamesTheSmallestFeasibleBudget) {
  for (Kind kind : availableKinds()) {
    SCOPED_TRACE(stringifyBitAllocationSolverKind(kind).str());
    std::string message;
    auto budgets = expectInfeasible(sizeProblem(1200000), kind, &message);
    ASSERT_TRUE(budgets);
    EXPECT_EQ(message, "size budget 1200000 bytes is infeasible: the smallest "
                       "feasible size budget is 2048000 bytes");
    ASSERT_EQ(budgets->size(), 1u);
    EXPECT_TRUE((*budgets)[0].violated);
    ASSERT_TRUE((*budgets)[0].smallestFeasibleBudget);
    double smallest = *(*budgets)[0].smallestFeasibleBudget;
    EXPECT_TRUE(isFeasible(sizeProblem(smallest), kind));
    EXPECT_FALSE(isFeasible(sizeProblem(std::nextafter(smallest, 0.0)), kind));
  }
}

/// 1 + 2^-53 rounds to 1 in double arithmetic; the solvers use the exact
/// sum, so a budget of 1 is infeasible and the smallest feasible budget is
/// the next double above 1.
TEST(BitAllocationInfeasibleTest, BudgetsAreComparedWithExactSums) {
  auto makeProblem = [](double budget) {
    BitAllocationProblem p;
    p.constraints.push_back({"latency", "ms", budget});
    for (double cost : {1.0, std::ldexp(1.0, -53)}) {
      BitAllocationLayer layer;
      layer.choices.push_back(makeChoice(0.0, {cost}));
      p.layers.push_back(std::move(layer));
    }
    return p;
  };
  ASSERT_EQ(1.0 + std::ldexp(1.0, -53), 1.0);
  for (Kind kind : availableKinds()) {
    SCOPED_TRACE(stringifyBitAllocationSolverKind(kind).str());
    std::string message;
    auto budgets = expectInfeasible(makeProblem(1.0), kind, &message);
    ASSERT_TRUE(budgets);
    EXPECT_EQ((*budgets)[0].smallestFeasibleBudget, std::nextafter(1.0, 2.0));
    EXPECT_EQ(message, "latency budget 1 ms is infeasible: the smallest "
                       "feasible latency budget is 1.0000000000000002 ms");
    EXPECT_TRUE(isFeasible(makeProblem(std::nextafter(1.0, 2.0)), kind));
  }
  // 0.1 + 0.2 exceeds 0.3 in exact arithmetic as well.
  BitAllocationProblem p = makeProblem(0.3);
  p.layers[0].choices[0].costs[0] = 0.1;
  p.layers[1].choices[0].costs[0] = 0.2;
  for (Kind kind : availableKinds()) {
    auto budgets = expectInfeasible(p, kind);
    ASSERT_TRUE(budgets);
    EXPECT_EQ((*budgets)[0].smallestFeasibleBudget, 0.30000000000000004);
  }
}

/// Two budgets, each feasible alone but not together.
BitAllocationProblem twoBudgetProblem(double size, double bops) {
  BitAllocationProblem p;
  p.constraints.push_back({"size", "bytes", size});
  p.constraints.push_back({"bops", "", bops});
  for (unsigned l = 0; l < 4; ++l) {
    BitAllocationLayer layer;
    // W8A8: small objective, large size and bops; W4A8: smaller size;
    // W4A4: smallest size and bops.
    layer.choices.push_back(makeChoice(-3.0, {800.0 * (l + 1), 64.0}));
    layer.choices.push_back(makeChoice(-1.0, {400.0 * (l + 1), 32.0}));
    layer.choices.push_back(makeChoice(0.0, {400.0 * (l + 1), 16.0}));
    p.layers.push_back(std::move(layer));
  }
  return p;
}

TEST(BitAllocationInfeasibleTest, SeveralBudgets) {
  for (Kind kind : availableKinds()) {
    SCOPED_TRACE(stringifyBitAllocationSolverKind(kind).str());
    // Smallest size alone 4000 (all 4-bit); smallest bops alone 64. With
    // size <= 3999 and bops <= 63 there is no assignment.
    std::string message;
    auto budgets = expectInfeasible(twoBudgetProblem(3999, 63), kind, &message);
    ASSERT_TRUE(budgets);
    EXPECT_EQ(message,
              "size budget 3999 bytes is infeasible: the smallest size budget "
              "feasible on its own is 4000 bytes, and the other budgets are "
              "infeasible too; bops budget 63 is infeasible: the smallest bops "
              "budget feasible on its own is 64, and the other budgets are "
              "infeasible too");

    // bops 63 is infeasible whatever the size budget; with size <= 5000
    // held the smallest bops total is 64 (all W4A4, 4000 bytes). The size
    // budget is not violated.
    budgets = expectInfeasible(twoBudgetProblem(5000, 63), kind, &message);
    ASSERT_TRUE(budgets);
    EXPECT_FALSE((*budgets)[0].violated);
    EXPECT_TRUE((*budgets)[1].violated);
    EXPECT_EQ((*budgets)[1].smallestFeasibleBudget, 64.0);
    EXPECT_EQ(message, "bops budget 63 is infeasible: the smallest feasible "
                       "bops budget is 64 with the other budgets held");
    EXPECT_TRUE(isFeasible(twoBudgetProblem(5000, 64), kind));

    // size 3999 is infeasible on its own; with bops <= 100 held it needs
    // 4000.
    budgets = expectInfeasible(twoBudgetProblem(3999, 100), kind);
    ASSERT_TRUE(budgets);
    EXPECT_TRUE((*budgets)[0].violated);
    EXPECT_EQ((*budgets)[0].smallestFeasibleBudget, 4000.0);
    EXPECT_TRUE(isFeasible(twoBudgetProblem(4000, 100), kind));
    EXPECT_FALSE(
        isFeasible(twoBudgetProblem(std::nextafter(4000.0, 0.0), 100), kind));
  }
}

/// Each budget is feasible alone, every pair is infeasible: no single budget
/// can be raised to fix it.
TEST(BitAllocationInfeasibleTest, NoSingleBudgetHelps) {
  BitAllocationProblem p;
  p.constraints = {{"size", "", 5}, {"bops", "", 5}, {"latency", "", 5}};
  BitAllocationLayer layer;
  layer.choices.push_back(makeChoice(0, {0, 10, 10}));
  layer.choices.push_back(makeChoice(0, {10, 0, 10}));
  layer.choices.push_back(makeChoice(0, {10, 10, 0}));
  p.layers.push_back(layer);
  for (Kind kind : availableKinds()) {
    std::string message;
    auto budgets = expectInfeasible(p, kind, &message);
    ASSERT_TRUE(budgets);
    for (const BitAllocationBudgetFix &fix : *budgets) {
      EXPECT_FALSE(fix.violated);
      EXPECT_FALSE(fix.smallestFeasibleBudget);
    }
    EXPECT_EQ(message, "the budgets are infeasible together although each is "
                       "feasible on its own (size 5, bops 5, latency 5); "
                       "raising a single budget does not help: raise at least "
                       "two");
  }
}

//===----------------------------------------------------------------------===//
// Limits, scale and CBC's output
//===----------------------------------------------------------------------===//

/// 20 free groups of 4 choices under 3 budgets.
BitAllocationProblem largeProblem(uint32_t seed) {
  Random rng(seed);
  BitAllocationProblem p;
  p.constraints = {{"size", "", 0}, {"bops", "", 0}, {"latency", "", 0}};
  double sums[3] = {0, 0, 0};
  for (unsigned l = 0; l < 24; ++l) {
    BitAllocationLayer layer;
    // Sensitivity falls with bits, costs rise.
    double sensitivity = rng.unit();
    double latency = 0.5 + rng.unit();
    for (unsigned bits : {2u, 4u, 6u, 8u}) {
      double params = 1000 * rng.range(1, 64);
      layer.choices.push_back(
          makeChoice(sensitivity * std::ldexp(1.0, -static_cast<int>(bits)) *
                         (1.0 + 0.1 * rng.unit()),
                     {params * bits / 8, params * bits * bits / 64,
                      latency * (bits + rng.unit())}));
    }
    for (unsigned k = 0; k < 3; ++k)
      sums[k] += 0.5 * (layer.choices[0].costs[k] + layer.choices[3].costs[k]);
    p.layers.push_back(std::move(layer));
  }
  p.ties = {{0, 1}, {5, 6, 7}};
  p.layers[23].fixedChoice = 3;
  for (unsigned k = 0; k < 3; ++k)
    p.constraints[k].budget = sums[k];
  return p;
}

TEST(BitAllocationLimitsTest, ExactSolverIsFastOnTwentyGroupsOfFour) {
  for (uint32_t seed = 0; seed < 10; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    BitAllocationProblem p = largeProblem(seed);
    auto start = std::chrono::steady_clock::now();
    std::optional<BitAllocationSolution> exact = solveOrFail(p, Kind::Exact);
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
            .count();
    ASSERT_TRUE(exact);
    expectValid(p, *exact);
    EXPECT_LT(seconds, 1.0);
    if (!isCbcAvailable())
      continue;
    std::optional<BitAllocationSolution> cbc = solveOrFail(p, Kind::Cbc);
    ASSERT_TRUE(cbc);
    EXPECT_NEAR(cbc->objective, exact->objective,
                1e-9 * (1.0 + std::fabs(exact->objective)));
  }
}

TEST(BitAllocationLimitsTest, ExactSolverRefusesBeyondItsNodeLimit) {
  BitAllocationOptions options = optionsFor(Kind::Exact);
  options.maxExactNodes = 50;
  llvm::Expected<BitAllocationSolution> solution =
      solveBitAllocation(largeProblem(1), options);
  ASSERT_FALSE(solution);
  std::string message = errorMessage(solution.takeError());
  EXPECT_NE(message.find("gave up after 50 search nodes"), std::string::npos)
      << message;
  EXPECT_NE(message.find("use the CBC solver or raise maxExactNodes"),
            std::string::npos)
      << message;
}

TEST(BitAllocationLimitsTest, CbcPrintsNothing) {
  if (!isCbcAvailable())
    GTEST_SKIP() << "qcc is built without COIN-OR CBC";
  testing::internal::CaptureStdout();
  testing::internal::CaptureStderr();
  llvm::Expected<BitAllocationSolution> solution =
      solveBitAllocation(largeProblem(3), optionsFor(Kind::Cbc));
  std::string out = testing::internal::GetCapturedStdout();
  std::string err = testing::internal::GetCapturedStderr();
  ASSERT_TRUE(bool(solution)) << errorMessage(solution.takeError());
  EXPECT_EQ(out, "");
  EXPECT_EQ(err, "");
}

/// Coefficients spanning the whole double range stay exact.
TEST(BitAllocationLimitsTest, ExtremeMagnitudes) {
  BitAllocationProblem p;
  p.constraints.push_back({"size", "", 1e300});
  double costs[] = {1e300, 5e-324, 0.0};
  for (unsigned l = 0; l < 3; ++l) {
    BitAllocationLayer layer;
    layer.choices.push_back(makeChoice(-1e-300, {costs[l]}));
    layer.choices.push_back(makeChoice(1e300, {0.0}));
    p.layers.push_back(std::move(layer));
  }
  for (Kind kind : availableKinds()) {
    SCOPED_TRACE(stringifyBitAllocationSolverKind(kind).str());
    // Layer 0 and 1 at choice 0 would need 1e300 + 5e-324 > 1e300.
    std::optional<BitAllocationSolution> solution = solveOrFail(p, kind);
    ASSERT_TRUE(solution);
    EXPECT_EQ(solution->choices[2], 0u);
    EXPECT_NE(solution->choices[0], solution->choices[1]);
    EXPECT_EQ(solution->choices[0] + solution->choices[1], 1u);
  }
}

//===----------------------------------------------------------------------===//
// Validation
//===----------------------------------------------------------------------===//

BitAllocationProblem validProblem() {
  BitAllocationProblem p;
  p.constraints.push_back({"size", "bytes", 100});
  for (unsigned l = 0; l < 3; ++l) {
    BitAllocationLayer layer;
    layer.name = "conv" + std::to_string(l);
    layer.choices.push_back(makeChoice(-1, {40}, "W8A8"));
    layer.choices.push_back(makeChoice(0, {20}, "W4A4"));
    p.layers.push_back(std::move(layer));
  }
  return p;
}

void expectInvalid(const BitAllocationProblem &p, StringRef expected) {
  std::string verify = errorMessage(verifyBitAllocationProblem(p));
  EXPECT_NE(verify.find(expected.str()), std::string::npos) << verify;
  for (Kind kind : {Kind::Exact, Kind::Cbc, Kind::Auto}) {
    if (kind == Kind::Cbc && !isCbcAvailable())
      continue;
    llvm::Expected<BitAllocationSolution> solution =
        solveBitAllocation(p, optionsFor(kind));
    ASSERT_FALSE(solution);
    std::string message = errorMessage(solution.takeError());
    EXPECT_EQ(message, verify);
  }
}

TEST(BitAllocationValidationTest, ValidProblemPasses) {
  EXPECT_FALSE(bool(verifyBitAllocationProblem(validProblem())));
}

TEST(BitAllocationValidationTest, RejectsBadInput) {
  expectInvalid(BitAllocationProblem(), "has no layers");

  BitAllocationProblem p = validProblem();
  p.layers[1].choices.clear();
  expectInvalid(p, "layer 1 ('conv1') has no choices");

  p = validProblem();
  p.layers[2].choices[1].costs.push_back(3);
  expectInvalid(p, "layer 2 ('conv2') choice 1 ('W4A4') has 2 costs, but the "
                   "problem has 1 constraints");

  p = validProblem();
  p.layers[0].choices[0].objective = std::nan("");
  expectInvalid(p, "layer 0 ('conv0') choice 0 ('W8A8') has a non-finite "
                   "objective (nan)");

  p = validProblem();
  p.layers[0].choices[1].costs[0] = std::numeric_limits<double>::infinity();
  expectInvalid(p, "has a non-finite size cost (inf)");

  p = validProblem();
  p.layers[1].choices[0].costs[0] = -4;
  expectInvalid(p, "layer 1 ('conv1') choice 0 ('W8A8') has a negative size "
                   "cost (-4)");

  p = validProblem();
  p.constraints[0].budget = std::nan("");
  expectInvalid(p, "the size budget is not finite (nan)");

  p = validProblem();
  p.constraints[0].budget = -std::numeric_limits<double>::infinity();
  expectInvalid(p, "the size budget is not finite (-inf)");

  p = validProblem();
  p.constraints[0].name.clear();
  expectInvalid(p, "constraint 0 has no name");

  p = validProblem();
  p.constraints.push_back({"size", "", 1});
  for (BitAllocationLayer &layer : p.layers)
    for (BitAllocationChoice &choice : layer.choices)
      choice.costs.push_back(1);
  expectInvalid(p, "two constraints are named 'size'");

  p = validProblem();
  p.layers[2].fixedChoice = 2;
  expectInvalid(p, "layer 2 ('conv2') fixes choice 2, but has only 2 choices");

  p = validProblem();
  p.ties = {{0, 1}, {2, 3}};
  expectInvalid(p, "tie group 1 names layer 3, but the problem has 3 layers");

  p = validProblem();
  p.layers[2].choices.push_back(makeChoice(1, {10}));
  p.ties = {{0, 2}};
  expectInvalid(p, "layer 0 ('conv0') and layer 2 ('conv2') are tied but "
                   "have different numbers of choices (2 and 3)");

  // Contradictory fixed choices, tied through a merged group.
  p = validProblem();
  p.ties = {{0, 1}, {1, 2}};
  p.layers[0].fixedChoice = 0;
  p.layers[2].fixedChoice = 1;
  expectInvalid(p, "layer 0 ('conv0') and layer 2 ('conv2') are tied but fix "
                   "different choices (0 and 1)");
}

TEST(BitAllocationValidationTest, DegenerateButValid) {
  // No constraints: each layer takes its best choice.
  BitAllocationProblem p = validProblem();
  p.constraints.clear();
  for (BitAllocationLayer &layer : p.layers)
    for (BitAllocationChoice &choice : layer.choices)
      choice.costs.clear();
  // Singleton and duplicate ties are harmless.
  p.ties = {{1}, {2, 2}, {}};
  for (Kind kind : availableKinds()) {
    std::optional<BitAllocationSolution> solution = solveOrFail(p, kind);
    ASSERT_TRUE(solution);
    EXPECT_EQ(solution->objective, -3.0);
    EXPECT_TRUE(solution->totals.empty());
  }
  // Every layer fixed, and a negative budget (infeasible).
  p = validProblem();
  for (BitAllocationLayer &layer : p.layers)
    layer.fixedChoice = 1;
  p.constraints[0].budget = -1;
  for (Kind kind : availableKinds()) {
    std::string message;
    ASSERT_TRUE(expectInfeasible(p, kind, &message));
    EXPECT_EQ(message, "size budget -1 bytes is infeasible: the smallest "
                       "feasible size budget is 60 bytes");
  }
}

TEST(BitAllocationValidationTest, SolverKinds) {
  for (Kind kind : {Kind::Auto, Kind::Cbc, Kind::Exact})
    EXPECT_EQ(
        parseBitAllocationSolverKind(stringifyBitAllocationSolverKind(kind)),
        kind);
  EXPECT_FALSE(parseBitAllocationSolverKind("glpk"));
  if (!isCbcAvailable()) {
    llvm::Expected<BitAllocationSolution> solution =
        solveBitAllocation(validProblem(), optionsFor(Kind::Cbc));
    ASSERT_FALSE(solution);
    EXPECT_NE(errorMessage(solution.takeError()).find("without COIN-OR CBC"),
              std::string::npos);
  }
}

TEST(BitAllocationValidationTest, ComputeTotal) {
  BitAllocationProblem p = validProblem();
  llvm::Expected<double> total = computeBitAllocationTotal(p, 0, {0, 1, 0});
  ASSERT_TRUE(bool(total));
  EXPECT_EQ(*total, 100.0);
  EXPECT_NE(errorMessage(computeBitAllocationTotal(p, 1, {0, 1, 0}).takeError())
                .find("constraint 1 is out of range"),
            std::string::npos);
  EXPECT_NE(errorMessage(computeBitAllocationTotal(p, 0, {0, 1}).takeError())
                .find("2 choices given for a problem of 3 layers"),
            std::string::npos);
  EXPECT_NE(errorMessage(computeBitAllocationTotal(p, 0, {0, 1, 2}).takeError())
                .find("layer 2 ('conv2') has no choice 2"),
            std::string::npos);
}

} // namespace
