//===- InterpreterMathTest.cpp - the interpreter's float math ---*- C++ -*-===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//
//
// The vectorised exp, erf, tanh and sigmoid of the interpreter against the
// C library's double-precision functions (an independent implementation
// whose result, rounded, is the correctly rounded float almost always), on
// every instruction set the host runs: a sweep over the whole float range
// (every 1021st bit pattern, both signs), a dense sweep of the ranges where
// the approximations switch, special values, and independence of an
// element's result from its position in the array.
//
//===----------------------------------------------------------------------===//

#include "qcc/Interpreter/VectorMath.h"

#include "gtest/gtest.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

using namespace mlir::qcc;

namespace {

struct Function {
  VectorFunction fn;
  const char *name;
  double (*reference)(double);
  /// Largest error allowed, in units in the last place of the exact result.
  double maxUlps;
};

double sigmoidReference(double x) { return 1.0 / (1.0 + std::exp(-x)); }
double expReference(double x) { return std::exp(x); }
double erfReference(double x) { return std::erf(x); }
double tanhReference(double x) { return std::tanh(x); }

const Function kFunctions[] = {
    {VectorFunction::Exp, "exp", expReference, 1.5},
    {VectorFunction::Erf, "erf", erfReference, 2.0},
    {VectorFunction::Tanh, "tanh", tanhReference, 2.0},
    {VectorFunction::Sigmoid, "sigmoid", sigmoidReference, 3.0},
};

float fromBits(uint32_t bits) {
  float f;
  std::memcpy(&f, &bits, sizeof(f));
  return f;
}

/// Size of one unit in the last place of floats of magnitude |v| (a
/// subnormal's for tiny values).
double ulpOf(double v) {
  double a = std::fabs(v);
  if (a < std::numeric_limits<float>::min())
    return std::ldexp(1.0, -149);
  int exponent;
  std::frexp(a, &exponent);
  return std::ldexp(1.0, exponent - 24);
}

/// The largest error of `f` over `inputs` on every instruction set, in ulps
/// of the exact result; results the float range cannot hold must be the
/// limits (infinity, 0).
void expectAccurate(const std::vector<float> &inputs) {
  std::vector<double> exact(inputs.size());
  std::vector<float> out(inputs.size());
  for (const Function &f : kFunctions) {
    for (size_t i = 0; i < inputs.size(); ++i)
      exact[i] = f.reference(inputs[i]);
    for (GemmIsa isa : getSupportedGemmIsas()) {
      evaluateVectorFunction(f.fn, inputs.data(), out.data(), inputs.size(),
                             isa);
      double worst = 0.0;
      float worstInput = 0.0f;
      for (size_t i = 0; i < inputs.size(); ++i) {
        double error;
        if (std::fabs(exact[i]) > std::numeric_limits<float>::max())
          error = std::isinf(out[i]) && (out[i] > 0) == (exact[i] > 0)
                      ? 0.0
                      : std::numeric_limits<double>::infinity();
        else
          error = std::fabs(double(out[i]) - exact[i]) / ulpOf(exact[i]);
        if (!(error <= worst)) {
          worst = error;
          worstInput = inputs[i];
        }
      }
      EXPECT_LE(worst, f.maxUlps)
          << f.name << " on " << getGemmIsaName(isa).str() << " at "
          << worstInput;
    }
  }
}

TEST(InterpreterMathTest, AccurateOverTheFloatRange) {
  std::vector<float> inputs;
  for (uint64_t bits = 0; bits < 0x7f800000u; bits += 1021) {
    inputs.push_back(fromBits(static_cast<uint32_t>(bits)));
    inputs.push_back(-fromBits(static_cast<uint32_t>(bits)));
  }
  expectAccurate(inputs);
}

TEST(InterpreterMathTest, AccurateWhereApproximationsMeet) {
  // Every float in [0.5, 12) with the low 6 mantissa bits zero, and a
  // geometric sweep towards 0: erf switches at 0.921875, tanh at 0.875, erf
  // saturates near 3.9, tanh near 9.
  std::vector<float> inputs;
  for (float x = 0.5f; x < 12.0f; x += std::ldexp(1.0f, std::ilogb(x) - 17)) {
    inputs.push_back(x);
    inputs.push_back(-x);
  }
  for (float x = 1e-30f; x < 0.5f; x *= 1.0002f)
    inputs.push_back(x);
  expectAccurate(inputs);
}

TEST(InterpreterMathTest, SpecialValues) {
  const float inf = std::numeric_limits<float>::infinity();
  const float nan = std::numeric_limits<float>::quiet_NaN();
  std::vector<float> in = {nan, inf, -inf, 0.0f, -0.0f, 100.0f, -200.0f};
  struct Expected {
    VectorFunction fn;
    std::vector<float> out;
  };
  const Expected expected[] = {
      {VectorFunction::Exp, {nan, inf, 0.0f, 1.0f, 1.0f, inf, 0.0f}},
      {VectorFunction::Erf, {nan, 1.0f, -1.0f, 0.0f, -0.0f, 1.0f, -1.0f}},
      {VectorFunction::Tanh, {nan, 1.0f, -1.0f, 0.0f, -0.0f, 1.0f, -1.0f}},
      {VectorFunction::Sigmoid, {nan, 1.0f, 0.0f, 0.5f, 0.5f, 1.0f, 0.0f}},
  };
  for (GemmIsa isa : getSupportedGemmIsas())
    for (const Expected &e : expected) {
      std::vector<float> out(in.size());
      evaluateVectorFunction(e.fn, in.data(), out.data(), in.size(), isa);
      for (size_t i = 0; i < in.size(); ++i) {
        std::string what = getGemmIsaName(isa).str() + " at " +
                           std::to_string(in[i]) + ", function " +
                           std::to_string(static_cast<int>(e.fn));
        if (std::isnan(e.out[i])) {
          EXPECT_TRUE(std::isnan(out[i])) << what;
          continue;
        }
        EXPECT_EQ(out[i], e.out[i]) << what;
        EXPECT_EQ(std::signbit(out[i]), std::signbit(e.out[i])) << what;
      }
    }
}

TEST(InterpreterMathTest, ResultDoesNotDependOnPosition) {
  // An element gives the same bits in a full vector and in a padded tail.
  std::vector<float> in(37);
  for (size_t i = 0; i < in.size(); ++i)
    in[i] = -6.0f + 0.3137f * i;
  for (GemmIsa isa : getSupportedGemmIsas())
    for (const Function &f : kFunctions) {
      std::vector<float> all(in.size());
      evaluateVectorFunction(f.fn, in.data(), all.data(), in.size(), isa);
      for (size_t i = 0; i < in.size(); ++i) {
        float one;
        evaluateVectorFunction(f.fn, &in[i], &one, 1, isa);
        EXPECT_EQ(std::memcmp(&one, &all[i], sizeof(float)), 0)
            << f.name << " on " << getGemmIsaName(isa).str() << " at " << in[i];
      }
    }
}

} // namespace
