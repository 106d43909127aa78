//===- InterpreterIntegerTest.cpp - interpreter on integer graphs -*- C++
//-*-===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//
//
// The interpreter's kernels of the integer-only ops (requant, requant_add,
// int_softmax, int_gelu, int_layer_norm, lookup) against scalar
// re-computations written here from the op definitions
// (docs/IntegerSemantics.md) with exact 128-bit rational arithmetic: every
// dyadic rescale is floor((2 x m + 2^e) / 2^(e+1)) by long division, not
// applyDyadic. Only isqrt64 (tested exhaustively on its own) is shared with
// the kernels. Inputs are random with fixed seeds, plus the extremes of each
// type; parameters are per tensor and per axis.
//
// Also the generic kernels on the integer element types the integer graphs
// use (cast, arithmetic, compare/where, reduce_sum, relu, max_pool, data
// movement, conv, matmul, quantize/dequantize), against hand-written loops.
//
//===----------------------------------------------------------------------===//

#include "qcc/Dialect/Qcc/IR/QccDialect.h"
#include "qcc/Interpreter/Interpreter.h"
#include "qcc/Quant/IntegerMath.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"

#include "gtest/gtest.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

using namespace mlir;
using namespace mlir::qcc;

namespace {

using Ints = std::vector<int64_t>;
using Shape = std::vector<int64_t>;

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

std::string join(ArrayRef<int64_t> values) {
  std::string s;
  for (size_t i = 0; i < values.size(); ++i)
    s += (i ? ", " : "") + std::to_string(values[i]);
  return s;
}

std::string i32Array(ArrayRef<int64_t> values) {
  return values.empty() ? "array<i32>" : "array<i32: " + join(values) + ">";
}

std::string tensorType(const Shape &shape, StringRef element) {
  std::string s = "tensor<";
  for (int64_t d : shape)
    s += std::to_string(d) + "x";
  return s + element.str() + ">";
}

int64_t numElements(const Shape &shape) {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

std::pair<int64_t, int64_t> rangeOf(ElementType type) {
  switch (type) {
  case ElementType::I8:
    return {INT8_MIN, INT8_MAX};
  case ElementType::UI8:
    return {0, UINT8_MAX};
  case ElementType::I16:
    return {INT16_MIN, INT16_MAX};
  case ElementType::I32:
    return {INT32_MIN, INT32_MAX};
  case ElementType::I1:
    return {0, 1};
  default:
    return {INT64_MIN, INT64_MAX};
  }
}

/// An integer tensor of `type` holding `values` (each within its range).
Tensor fromInts(ElementType type, const Shape &shape, const Ints &values) {
  Tensor t = Tensor::allocate(type, shape);
  EXPECT_EQ(t.getNumElements(), static_cast<int64_t>(values.size()));
  for (size_t i = 0; i < values.size(); ++i) {
    switch (type) {
    case ElementType::I64:
      t.getData<int64_t>()[i] = values[i];
      break;
    case ElementType::I32:
      t.getData<int32_t>()[i] = static_cast<int32_t>(values[i]);
      break;
    case ElementType::I16:
      t.getData<int16_t>()[i] = static_cast<int16_t>(values[i]);
      break;
    case ElementType::I8:
      t.getData<int8_t>()[i] = static_cast<int8_t>(values[i]);
      break;
    case ElementType::UI8:
      t.getData<uint8_t>()[i] = static_cast<uint8_t>(values[i]);
      break;
    case ElementType::I1:
      t.getData<bool>()[i] = values[i] != 0;
      break;
    case ElementType::F32:
      t.getData<float>()[i] = static_cast<float>(values[i]);
      break;
    }
  }
  return t;
}

Ints toInts(const Tensor &t) {
  Ints values(t.getNumElements());
  for (size_t i = 0; i < values.size(); ++i) {
    switch (t.getElementType()) {
    case ElementType::I64:
      values[i] = t.getData<int64_t>()[i];
      break;
    case ElementType::I32:
      values[i] = t.getData<int32_t>()[i];
      break;
    case ElementType::I16:
      values[i] = t.getData<int16_t>()[i];
      break;
    case ElementType::I8:
      values[i] = t.getData<int8_t>()[i];
      break;
    case ElementType::UI8:
      values[i] = t.getData<uint8_t>()[i];
      break;
    case ElementType::I1:
      values[i] = t.getData<bool>()[i];
      break;
    case ElementType::F32:
      ADD_FAILURE() << "not an integer tensor";
      break;
    }
  }
  return values;
}

/// Uniform values over the range of `type`, with its extremes and 0 and
/// +-1 mixed in.
Ints randomInts(std::mt19937_64 &rng, ElementType type, int64_t n) {
  auto [lo, hi] = rangeOf(type);
  std::uniform_int_distribution<int64_t> any(lo, hi);
  std::uniform_int_distribution<int> pick(0, 15);
  Ints values(n);
  for (int64_t &v : values) {
    int p = pick(rng);
    v = p == 0   ? lo
        : p == 1 ? hi
        : p == 2 ? std::clamp<int64_t>(0, lo, hi)
        : p == 3 ? std::clamp<int64_t>(1, lo, hi)
        : p == 4 ? std::clamp<int64_t>(-1, lo, hi)
                 : any(rng);
  }
  return values;
}

/// floor(num / den) for den > 0, exactly.
__int128 floorDiv(__int128 num, __int128 den) {
  __int128 q = num / den;
  return (num % den != 0 && num < 0) ? q - 1 : q;
}

/// floor(x * m / 2^e + 1/2) as an exact rational, by long division.
__int128 exactDyadic(__int128 x, int64_t m, int64_t e) {
  __int128 den = static_cast<__int128>(1) << e;
  return floorDiv(2 * x * m + den, 2 * den);
}

int64_t clampTo(__int128 v, int64_t lo, int64_t hi) {
  return v < lo ? lo : v > hi ? hi : static_cast<int64_t>(v);
}

/// The per-axis parameter index of flat element i.
int64_t channelOf(const Shape &shape, int64_t axis, size_t numParams,
                  int64_t i) {
  if (numParams == 1)
    return 0;
  int64_t inner = 1;
  for (size_t d = axis + 1; d < shape.size(); ++d)
    inner *= shape[d];
  return (i / inner) % shape[axis];
}

const ElementType kIntTypes[] = {ElementType::I8, ElementType::UI8,
                                 ElementType::I16, ElementType::I32};

class InterpreterIntegerTest : public ::testing::Test {
protected:
  InterpreterIntegerTest() {
    DialectRegistry registry;
    registry.insert<QccDialect, func::FuncDialect>();
    context.appendDialectRegistry(registry);
    context.loadAllAvailableDialects();
  }

  /// Parses a module and returns its first function.
  func::FuncOp parse(const std::string &source) {
    ScopedDiagnosticHandler handler(&context, [&](Diagnostic &diag) {
      errors += diag.str() + "\n";
      return success();
    });
    module = parseSourceString<ModuleOp>(source, &context);
    if (!module)
      return nullptr;
    return *module->getOps<func::FuncOp>().begin();
  }

  /// Parses `func.func @main(args) -> results { body return ... }` where
  /// `body` defines %r0, %r1, ...
  func::FuncOp parseMain(const std::vector<std::string> &argTypes,
                         const std::vector<std::string> &resultTypes,
                         const std::string &body) {
    std::string args, results, returned;
    for (size_t i = 0; i < argTypes.size(); ++i)
      args += (i ? ", %a" : "%a") + std::to_string(i) + ": " + argTypes[i];
    for (size_t i = 0; i < resultTypes.size(); ++i) {
      results += (i ? ", " : "") + resultTypes[i];
      returned += (i ? ", %r" : "%r") + std::to_string(i);
    }
    std::string source = "func.func @main(" + args + ") -> (" + results +
                         ") {\n" + body + "\n  return " + returned + " : " +
                         results + "\n}\n";
    func::FuncOp fn = parse(source);
    EXPECT_TRUE(fn) << source << "\n" << errors;
    return fn;
  }

  /// Runs `fn`, collecting diagnostics into `errors`.
  FailureOr<SmallVector<Tensor>> run(func::FuncOp fn, ArrayRef<Tensor> inputs,
                                     unsigned threads = 1,
                                     bool poison = false) {
    ScopedDiagnosticHandler handler(&context, [&](Diagnostic &diag) {
      errors += diag.str() + "\n";
      return success();
    });
    InterpreterOptions options;
    options.numThreads = threads;
    options.poisonBuffers = poison;
    return interpretFunction(fn, inputs, options);
  }

  /// Runs `fn` on 1 and 3 threads (with poisoned buffers) and returns the
  /// results of the first run, checking that the second agrees.
  SmallVector<Tensor> runChecked(func::FuncOp fn, ArrayRef<Tensor> inputs) {
    FailureOr<SmallVector<Tensor>> one = run(fn, inputs, 1);
    EXPECT_TRUE(succeeded(one)) << errors;
    if (failed(one))
      return {};
    FailureOr<SmallVector<Tensor>> three = run(fn, inputs, 3, true);
    EXPECT_TRUE(succeeded(three)) << errors;
    if (succeeded(three))
      for (size_t i = 0; i < one->size(); ++i)
        EXPECT_EQ((*one)[i].getBytes(), (*three)[i].getBytes())
            << "result " << i << " depends on the threads";
    return *one;
  }

  MLIRContext context;
  OwningOpRef<ModuleOp> module;
  std::string errors;
};

//===----------------------------------------------------------------------===//
// requant
//===----------------------------------------------------------------------===//

struct DyadicArrays {
  Ints multipliers, shifts;
};

DyadicArrays randomDyadics(std::mt19937_64 &rng, size_t n) {
  std::uniform_int_distribution<int32_t> anyMultiplier(INT32_MIN, INT32_MAX);
  std::uniform_int_distribution<int32_t> anyShift(0, 63);
  std::uniform_real_distribution<double> logRatio(std::log(1e-9),
                                                  std::log(1e3));
  std::uniform_int_distribution<int> pick(0, 3);
  DyadicArrays d;
  for (size_t i = 0; i < n; ++i) {
    int p = pick(rng);
    if (p == 0) {
      // Anything the verifier admits, negative multipliers included.
      d.multipliers.push_back(anyMultiplier(rng));
      d.shifts.push_back(anyShift(rng));
      continue;
    }
    // A realistic ratio, sometimes sign-flipped.
    Dyadic dy = *makeDyadic(std::exp(logRatio(rng)));
    d.multipliers.push_back(p == 1 ? -int64_t(dy.multiplier) : dy.multiplier);
    d.shifts.push_back(dy.shift);
  }
  return d;
}

TEST_F(InterpreterIntegerTest, RequantMatchesExactRational) {
  std::mt19937_64 rng(101);
  const Shape shape = {3, 4, 5};
  const ElementType inTypes[] = {ElementType::I8, ElementType::UI8,
                                 ElementType::I16, ElementType::I32,
                                 ElementType::I64};
  int cases = 0;
  for (ElementType inType : inTypes) {
    for (ElementType outType : kIntTypes) {
      for (int trial = 0; trial < 6; ++trial) {
        // Per tensor, or per index of a random axis.
        int64_t axis = trial % 3 == 0 ? 0 : trial % 3;
        size_t numParams = trial % 3 == 0 ? 1 : shape[axis];
        DyadicArrays d = randomDyadics(rng, numParams);
        auto [inLo, inHi] = rangeOf(inType);
        auto [outLo, outHi] = rangeOf(outType);
        std::uniform_int_distribution<int64_t> inZpDist(
            std::max<int64_t>(inLo, -1000), std::min<int64_t>(inHi, 1000));
        std::uniform_int_distribution<int64_t> outZpDist(outLo, outHi);
        int64_t inZp = trial % 2 ? inZpDist(rng) : 0;
        int64_t outZp = trial % 2 ? outZpDist(rng) : 0;
        std::string attrs =
            "axis = " + std::to_string(axis) +
            " : i64, input_zero_point = " + std::to_string(inZp) +
            " : i64, multiplier = " + i32Array(d.multipliers) +
            ", output_zero_point = " + std::to_string(outZp) +
            " : i64, shift = " + i32Array(d.shifts);
        int64_t lo = outLo, hi = outHi;
        if (trial >= 4) {
          // Narrowed by min/max.
          std::uniform_int_distribution<int64_t> dist(outLo, outHi);
          int64_t a = dist(rng), b = dist(rng);
          lo = std::min(a, b);
          hi = std::max(a, b);
          attrs += ", min = " + std::to_string(lo) +
                   " : i64, max = " + std::to_string(hi) + " : i64";
        }
        std::string inT = tensorType(shape, getElementTypeName(inType));
        std::string outT = tensorType(shape, getElementTypeName(outType));
        func::FuncOp fn = parseMain({inT}, {outT},
                                    "  %r0 = qcc.requant %a0 {" + attrs +
                                        "} : " + inT + " to " + outT);
        ASSERT_TRUE(fn);
        Ints x = randomInts(rng, inType, numElements(shape));
        SmallVector<Tensor> out = runChecked(fn, {fromInts(inType, shape, x)});
        ASSERT_EQ(out.size(), 1u);
        Ints got = toInts(out[0]);
        for (size_t i = 0; i < x.size(); ++i) {
          int64_t c = channelOf(shape, axis, numParams, i);
          // x - zero point saturates at the int64 range (i64 inputs only).
          __int128 diff =
              clampTo(static_cast<__int128>(x[i]) - inZp, INT64_MIN, INT64_MAX);
          __int128 v = exactDyadic(diff, d.multipliers[c], d.shifts[c]);
          ASSERT_EQ(got[i], clampTo(v + outZp, lo, hi))
              << "x = " << x[i] << ", m = " << d.multipliers[c]
              << ", e = " << d.shifts[c] << ", zero points " << inZp << ", "
              << outZp << "\n"
              << attrs;
        }
        ++cases;
      }
    }
  }
  EXPECT_EQ(cases, 5 * 4 * 6);
}

TEST_F(InterpreterIntegerTest, RequantAddMatchesExactRational) {
  std::mt19937_64 rng(102);
  const Shape shape = {2, 3, 7};
  for (ElementType lhsType : kIntTypes) {
    for (ElementType rhsType : kIntTypes) {
      for (ElementType outType : kIntTypes) {
        int64_t axis = rng() % 3;
        size_t lhsParams = rng() % 2 ? 1 : shape[axis];
        size_t rhsParams = rng() % 2 ? 1 : shape[axis];
        DyadicArrays l = randomDyadics(rng, lhsParams);
        DyadicArrays r = randomDyadics(rng, rhsParams);
        auto [lo, hi] = rangeOf(outType);
        std::string attrs =
            "axis = " + std::to_string(axis) +
            " : i64, lhs_multiplier = " + i32Array(l.multipliers) +
            ", lhs_shift = " + i32Array(l.shifts) +
            ", rhs_multiplier = " + i32Array(r.multipliers) +
            ", rhs_shift = " + i32Array(r.shifts);
        if (rng() % 2) {
          std::uniform_int_distribution<int64_t> dist(lo, hi);
          int64_t a = dist(rng), b = dist(rng);
          lo = std::min(a, b);
          hi = std::max(a, b);
          attrs += ", max = " + std::to_string(hi) +
                   " : i64, min = " + std::to_string(lo) + " : i64";
        }
        std::string lT = tensorType(shape, getElementTypeName(lhsType));
        std::string rT = tensorType(shape, getElementTypeName(rhsType));
        std::string oT = tensorType(shape, getElementTypeName(outType));
        func::FuncOp fn =
            parseMain({lT, rT}, {oT},
                      "  %r0 = qcc.requant_add %a0, %a1 {" + attrs + "} : (" +
                          lT + ", " + rT + ") -> " + oT);
        ASSERT_TRUE(fn);
        Ints a = randomInts(rng, lhsType, numElements(shape));
        Ints b = randomInts(rng, rhsType, numElements(shape));
        SmallVector<Tensor> out = runChecked(
            fn, {fromInts(lhsType, shape, a), fromInts(rhsType, shape, b)});
        ASSERT_EQ(out.size(), 1u);
        Ints got = toInts(out[0]);
        for (size_t i = 0; i < a.size(); ++i) {
          int64_t cl = channelOf(shape, axis, lhsParams, i);
          int64_t cr = channelOf(shape, axis, rhsParams, i);
          __int128 sum = exactDyadic(a[i], l.multipliers[cl], l.shifts[cl]) +
                         exactDyadic(b[i], r.multipliers[cr], r.shifts[cr]);
          ASSERT_EQ(got[i], clampTo(sum, lo, hi))
              << a[i] << ", " << b[i] << "\n"
              << attrs;
        }
      }
    }
  }
}

//===----------------------------------------------------------------------===//
// int_softmax
//===----------------------------------------------------------------------===//

/// e16 of IntSoftmaxParams' definition, with exact rationals.
int64_t refExp16(int64_t x, const IntSoftmaxParams &p) {
  __int128 xs = exactDyadic(x, p.toExpScale.multiplier, p.toExpScale.shift);
  xs = std::max<__int128>(xs, -30 * 4096);
  int64_t oct = static_cast<int64_t>(floorDiv(-xs, 4096));
  int64_t r = static_cast<int64_t>(xs) + oct * 4096;
  __int128 z = static_cast<__int128>(r) * (r + p.polyB) + p.polyC;
  return static_cast<int64_t>(
      exactDyadic(z, p.toE16.multiplier, p.toE16.shift + oct));
}

/// One row of int_softmax from its definition (docs/IntegerSemantics.md §3).
std::vector<int64_t> refSoftmaxRow(const Ints &row, const Ints &keep,
                                   const IntSoftmaxParams &p) {
  size_t n = row.size();
  std::vector<int64_t> out(n, 0);
  bool any = false;
  int64_t max = 0;
  for (size_t i = 0; i < n; ++i)
    if (keep[i]) {
      max = any ? std::max(max, row[i]) : row[i];
      any = true;
    }
  if (!any)
    return out;
  std::vector<int64_t> e(n, 0);
  int64_t sum = 0;
  for (size_t i = 0; i < n; ++i)
    if (keep[i]) {
      e[i] = refExp16(row[i] - max, p);
      sum += e[i];
    }
  int64_t recip = (int64_t(1) << 47) / sum;
  for (size_t i = 0; i < n; ++i)
    out[i] = std::min<int64_t>(255, (e[i] * recip) >> 39);
  return out;
}

std::string softmaxAttrs(const IntSoftmaxParams &p) {
  return "e16_multiplier = " + std::to_string(p.toE16.multiplier) +
         " : i32, e16_shift = " + std::to_string(p.toE16.shift) +
         " : i32, exp_multiplier = " + std::to_string(p.toExpScale.multiplier) +
         " : i32, exp_shift = " + std::to_string(p.toExpScale.shift) +
         " : i32, input_bits = " + std::to_string(p.inputBits) +
         " : i32, poly_b = " + std::to_string(p.polyB) +
         " : i64, poly_c = " + std::to_string(p.polyC) + " : i64";
}

TEST_F(InterpreterIntegerTest, IntSoftmaxMatchesDefinition) {
  std::mt19937_64 rng(103);
  const Shape shape = {3, 2, 4, 9}; // B = 3, rows of L = 9
  int64_t length = shape.back(), rows = numElements(shape) / length;
  int64_t rowsPerBatch = rows / shape[0];
  const ElementType maskTypes[] = {ElementType::I1, ElementType::I64,
                                   ElementType::UI8, ElementType::I32};
  for (ElementType inType : kIntTypes) {
    unsigned width = inType == ElementType::I32   ? 32
                     : inType == ElementType::I16 ? 16
                                                  : 8;
    // Scales that spread the type's range over a few to many octaves.
    double scale = 16.0 / std::ldexp(1.0, width);
    for (int variant = 0; variant < 6; ++variant) {
      IntSoftmaxParams p =
          *makeIntSoftmaxParams(scale * (1 + variant), static_cast<int>(width));
      bool masked = variant > 0;
      ElementType maskType = maskTypes[variant % 4];
      std::string inT = tensorType(shape, getElementTypeName(inType));
      std::string outT = tensorType(shape, "ui8");
      std::string maskT =
          tensorType({shape[0], length}, getElementTypeName(maskType));
      std::string op =
          masked ? "  %r0 = qcc.int_softmax %a0 key_mask %a1 : " + maskT +
                       " {" + softmaxAttrs(p) + "} : " + inT + " to " + outT
                 : "  %r0 = qcc.int_softmax %a0 {" + softmaxAttrs(p) +
                       "} : " + inT + " to " + outT;
      func::FuncOp fn = parseMain(masked ? std::vector<std::string>{inT, maskT}
                                         : std::vector<std::string>{inT},
                                  {outT}, op);
      ASSERT_TRUE(fn);
      Ints x = randomInts(rng, inType, numElements(shape));
      // Batch 0 keeps all, batch 1 none, batch 2 some (mask values other
      // than 0 and 1 count as kept).
      Ints mask(shape[0] * length, 1);
      auto [maskLo, maskHi] = rangeOf(maskType);
      for (int64_t j = 0; j < length; ++j) {
        mask[length + j] = 0;
        mask[2 * length + j] =
            j % 3 == 0 ? 0 : (j % 3 == 1 ? maskHi : std::max(maskLo, -5L));
      }
      if (variant == 5) // a row of equal scores
        for (int64_t j = 0; j < length; ++j)
          x[j] = x[0];
      SmallVector<Tensor> inputs = {fromInts(inType, shape, x)};
      if (masked)
        inputs.push_back(fromInts(maskType, {shape[0], length}, mask));
      SmallVector<Tensor> out = runChecked(fn, inputs);
      ASSERT_EQ(out.size(), 1u);
      Ints got = toInts(out[0]);
      for (int64_t r = 0; r < rows; ++r) {
        Ints row(x.begin() + r * length, x.begin() + (r + 1) * length);
        Ints keep(length, 1);
        if (masked)
          for (int64_t j = 0; j < length; ++j)
            keep[j] = mask[(r / rowsPerBatch) * length + j] != 0;
        std::vector<int64_t> ref = refSoftmaxRow(row, keep, p);
        for (int64_t j = 0; j < length; ++j)
          ASSERT_EQ(got[r * length + j], ref[j])
              << "row " << r << ", element " << j << ", input "
              << getElementTypeName(inType).str() << ", variant " << variant;
      }
    }
  }
}

TEST_F(InterpreterIntegerTest, IntSoftmaxChecksInputBits) {
  IntSoftmaxParams p = *makeIntSoftmaxParams(1e-3, 16);
  std::string inT = "tensor<2x4xi32>", maskT = "tensor<2x4xi8>";
  func::FuncOp fn =
      parseMain({inT, maskT}, {"tensor<2x4xui8>"},
                "  %r0 = qcc.int_softmax %a0 key_mask %a1 : " + maskT + " {" +
                    softmaxAttrs(p) + "} : " + inT + " to tensor<2x4xui8>");
  ASSERT_TRUE(fn);
  // Row 1 spans 2^16 among its kept scores; an excluded score may hold
  // anything.
  Tensor mask = fromInts(ElementType::I8, {2, 4}, {1, 1, 0, 1, 1, 1, 1, 1});
  Tensor ok = fromInts(ElementType::I32, {2, 4},
                       {-32768, 32767, INT32_MAX, 0, 1, 2, 3, 4});
  EXPECT_TRUE(succeeded(run(fn, {ok, mask}))) << errors;
  Tensor bad = fromInts(ElementType::I32, {2, 4},
                        {-32768, 32767, INT32_MAX, 0, 1, 2, 3, 65537});
  errors.clear();
  EXPECT_TRUE(failed(run(fn, {bad, mask})));
  EXPECT_NE(errors.find("int_softmax row 1: the kept scores differ by 2^16 "
                        "or more, beyond input_bits = 16"),
            std::string::npos)
      << errors;
}

//===----------------------------------------------------------------------===//
// int_gelu
//===----------------------------------------------------------------------===//

TEST_F(InterpreterIntegerTest, IntGeluMatchesDefinition) {
  std::mt19937_64 rng(104);
  const Shape shape = {4, 33};
  for (ElementType inType : kIntTypes) {
    for (ElementType outType : kIntTypes) {
      for (double scale : {1e-2, 1e-3, 1e-5}) {
        IGeluParams p = *makeIGeluParams(scale);
        // Output scale: the GELU range of the input over the output type.
        auto [lo, hi] = rangeOf(outType);
        auto [inLo, inHi] = rangeOf(inType);
        double outRange = std::max<double>(inHi, 1) * scale;
        Dyadic rescale = *makeDyadic(p.outScale * hi / outRange);
        std::string attrs =
            "clip = " + std::to_string(p.clip) +
            " : i64, erf_shift = " + std::to_string(p.erfShift) +
            " : i32, one = " + std::to_string(p.one) +
            " : i64, output_multiplier = " +
            std::to_string(rescale.multiplier) +
            " : i32, output_shift = " + std::to_string(rescale.shift) +
            " : i32";
        std::string inT = tensorType(shape, getElementTypeName(inType));
        std::string outT = tensorType(shape, getElementTypeName(outType));
        func::FuncOp fn = parseMain({inT}, {outT},
                                    "  %r0 = qcc.int_gelu %a0 {" + attrs +
                                        "} : " + inT + " to " + outT);
        ASSERT_TRUE(fn);
        Ints x = randomInts(rng, inType, numElements(shape));
        // Values around the clip too.
        for (int64_t i = 0; i < 20; ++i)
          x[i] = std::clamp<int64_t>((i % 2 ? 1 : -1) * (p.clip - 10 + i), inLo,
                                     inHi);
        SmallVector<Tensor> out = runChecked(fn, {fromInts(inType, shape, x)});
        ASSERT_EQ(out.size(), 1u);
        Ints got = toInts(out[0]);
        int64_t half = p.one >> p.erfShift;
        for (size_t i = 0; i < x.size(); ++i) {
          int64_t mag = std::min<int64_t>(std::abs(x[i]), p.clip) - p.clip;
          int64_t erfMag = static_cast<int64_t>(
              floorDiv(p.one - mag * mag, int64_t(1) << p.erfShift));
          __int128 g = static_cast<__int128>(x[i]) *
                       ((x[i] < 0 ? -erfMag : erfMag) + half);
          __int128 v = exactDyadic(g, rescale.multiplier, rescale.shift);
          ASSERT_EQ(got[i], clampTo(v, lo, hi))
              << "x = " << x[i] << ", s = " << scale;
        }
      }
    }
  }
}

//===----------------------------------------------------------------------===//
// int_layer_norm
//===----------------------------------------------------------------------===//

/// The normalised row of intLayerNormRow's definition.
Ints refLayerNormRow(Ints row, int shift, uint64_t offset) {
  int64_t n = row.size();
  for (int64_t &v : row)
    v = std::clamp<int64_t>(v, -kLayerNormInputMax, kLayerNormInputMax);
  int64_t sum = 0;
  for (int64_t v : row)
    sum += v;
  int64_t mean = static_cast<int64_t>(floorDiv(2 * sum + n, 2 * n));
  unsigned __int128 var = offset;
  for (int64_t v : row) {
    int64_t y = static_cast<int64_t>(floorDiv(v - mean, int64_t(1) << shift));
    var += static_cast<unsigned __int128>(y * y);
  }
  auto var64 = static_cast<uint64_t>(
      std::min<unsigned __int128>(var, std::numeric_limits<uint64_t>::max()));
  uint64_t std = static_cast<uint64_t>(isqrt64(var64)) << shift;
  Ints out(n, 0);
  if (std == 0)
    return out;
  int64_t recip = static_cast<int64_t>((uint64_t(1) << 39) / std);
  for (int64_t i = 0; i < n; ++i)
    out[i] = clampTo(
        floorDiv(static_cast<__int128>(row[i] - mean) * recip, int64_t(1) << 9),
        INT32_MIN, INT32_MAX);
  return out;
}

TEST_F(InterpreterIntegerTest, IntLayerNormMatchesDefinition) {
  std::mt19937_64 rng(105);
  const Shape shape = {2, 3, 16};
  int64_t length = shape.back(), rows = numElements(shape) / length;
  for (ElementType inType : kIntTypes) {
    for (ElementType outType : kIntTypes) {
      for (int variant = 0; variant < 4; ++variant) {
        bool perChannel = variant % 2;
        size_t numParams = perChannel ? length : 1;
        DyadicArrays d;
        Ints bias;
        auto [lo, hi] = rangeOf(outType);
        std::uniform_real_distribution<double> gamma(0.2, 3);
        std::uniform_int_distribution<int64_t> biasDist(-300, 300);
        for (size_t c = 0; c < numParams; ++c) {
          // n has scale sqrt(L) 2^-30; the output scale 4 / hi.
          double ratio = gamma(rng) * std::sqrt(double(length)) *
                         std::ldexp(1.0, -30) * hi / 4;
          Dyadic dy = *makeDyadic(ratio);
          d.multipliers.push_back(c % 3 == 1 ? -int64_t(dy.multiplier)
                                             : dy.multiplier);
          d.shifts.push_back(dy.shift);
          bias.push_back(biasDist(rng));
        }
        if (variant == 3) {
          // Anything the verifier admits.
          d = randomDyadics(rng, numParams);
          std::uniform_int_distribution<int64_t> anyBias(INT32_MIN, INT32_MAX);
          for (int64_t &b : bias)
            b = anyBias(rng);
        }
        int varShift = variant >= 2 ? 3 : 0;
        uint64_t varOffset = variant == 1 ? 1000 : variant == 2 ? 7 : 0;
        std::string attrs = "bias = " + i32Array(bias) +
                            ", multiplier = " + i32Array(d.multipliers) +
                            ", shift = " + i32Array(d.shifts) +
                            ", var_offset = " + std::to_string(varOffset) +
                            " : i64, var_shift = " + std::to_string(varShift) +
                            " : i32";
        std::string inT = tensorType(shape, getElementTypeName(inType));
        std::string outT = tensorType(shape, getElementTypeName(outType));
        func::FuncOp fn = parseMain({inT}, {outT},
                                    "  %r0 = qcc.int_layer_norm %a0 {" + attrs +
                                        "} : " + inT + " to " + outT);
        ASSERT_TRUE(fn);
        Ints x = randomInts(rng, inType, numElements(shape));
        // Row 0 constant (the bias alone), row 1 one outlier, row 2 the
        // extremes that saturate to 22 bits.
        for (int64_t j = 0; j < length; ++j) {
          x[j] = x[0];
          x[length + j] = j == 5 ? x[length] : 0;
          x[2 * length + j] = rangeOf(inType).first * (j % 2) +
                              rangeOf(inType).second * (1 - j % 2);
        }
        SmallVector<Tensor> out = runChecked(fn, {fromInts(inType, shape, x)});
        ASSERT_EQ(out.size(), 1u);
        Ints got = toInts(out[0]);
        for (int64_t r = 0; r < rows; ++r) {
          Ints row(x.begin() + r * length, x.begin() + (r + 1) * length);
          Ints n = refLayerNormRow(row, varShift, varOffset);
          for (int64_t c = 0; c < length; ++c) {
            size_t p = numParams == 1 ? 0 : c;
            __int128 v = exactDyadic(n[c], d.multipliers[p], d.shifts[p]);
            ASSERT_EQ(got[r * length + c], clampTo(v + bias[p], lo, hi))
                << "row " << r << ", channel " << c << "\n"
                << attrs;
          }
        }
        if (variant == 0) {
          // The constant row is exactly the clamped bias.
          for (int64_t c = 0; c < length; ++c)
            EXPECT_EQ(got[c], clampTo(bias[0], lo, hi));
        }
      }
    }
  }
}

//===----------------------------------------------------------------------===//
// lookup
//===----------------------------------------------------------------------===//

TEST_F(InterpreterIntegerTest, LookupIndexesByOffsetValue) {
  std::mt19937_64 rng(106);
  for (ElementType inType : {ElementType::I8, ElementType::UI8}) {
    for (ElementType outType : kIntTypes) {
      Ints table = randomInts(rng, outType, 256);
      std::string inT = tensorType({2, 150}, getElementTypeName(inType));
      std::string outT = tensorType({2, 150}, getElementTypeName(outType));
      func::FuncOp fn =
          parseMain({inT}, {outT},
                    "  %r0 = qcc.lookup %a0 {table = " + i32Array(table) +
                        "} : " + inT + " to " + outT);
      ASSERT_TRUE(fn);
      Ints x = randomInts(rng, inType, 300);
      SmallVector<Tensor> out = runChecked(fn, {fromInts(inType, {2, 150}, x)});
      ASSERT_EQ(out.size(), 1u);
      Ints got = toInts(out[0]);
      int64_t offset = inType == ElementType::I8 ? 128 : 0;
      for (size_t i = 0; i < x.size(); ++i)
        ASSERT_EQ(got[i], table[x[i] + offset]) << x[i];
    }
  }
}

TEST_F(InterpreterIntegerTest, LargeTensorsAcrossBlocksAndThreads) {
  // Shapes big enough for several blocks of elements and several parallel
  // tasks: per-axis parameters across block boundaries, softmax and layer
  // norm rows split over threads (runChecked compares 1 and 3 threads).
  std::mt19937_64 rng(111);
  const Shape shape = {8, 37, 300}; // 88800 elements, rows of 300
  int64_t size = numElements(shape), length = shape.back();
  std::string inT = tensorType(shape, "i32");
  DyadicArrays d = randomDyadics(rng, shape[1]);
  DyadicArrays e = randomDyadics(rng, length);
  IntSoftmaxParams sp = *makeIntSoftmaxParams(3e-8, 32);
  Ints bias(length);
  for (int64_t &b : bias)
    b = static_cast<int64_t>(rng() % 2001) - 1000;
  func::FuncOp fn = parseMain(
      {inT, tensorType({shape[0], length}, "i1")},
      {tensorType(shape, "i8"), tensorType(shape, "i16"),
       tensorType(shape, "ui8"), tensorType(shape, "i8")},
      "  %r0 = qcc.requant %a0 {axis = 1 : i64, multiplier = " +
          i32Array(d.multipliers) + ", shift = " + i32Array(d.shifts) +
          "} : " + inT + " to " + tensorType(shape, "i8") +
          "\n  %r1 = qcc.requant_add %a0, %a0 {axis = 2 : i64, "
          "lhs_multiplier = " +
          i32Array(e.multipliers) + ", lhs_shift = " + i32Array(e.shifts) +
          ", rhs_multiplier = " + i32Array({d.multipliers[0]}) +
          ", rhs_shift = " + i32Array({d.shifts[0]}) + "} : (" + inT + ", " +
          inT + ") -> " + tensorType(shape, "i16") +
          "\n  %r2 = qcc.int_softmax %a0 key_mask %a1 : " +
          tensorType({shape[0], length}, "i1") + " {" + softmaxAttrs(sp) +
          "} : " + inT + " to " + tensorType(shape, "ui8") +
          "\n  %r3 = qcc.int_layer_norm %a0 {bias = " + i32Array(bias) +
          ", multiplier = " + i32Array(e.multipliers) +
          ", shift = " + i32Array(e.shifts) +
          ", var_offset = 99 : i64, var_shift = 2 : i32} : " + inT + " to " +
          tensorType(shape, "i8"));
  ASSERT_TRUE(fn);
  Ints x = randomInts(rng, ElementType::I32, size);
  for (int64_t i = 0; i < size; i += 7)
    x[i] /= 1 << 10;
  Ints mask(shape[0] * length);
  for (int64_t &m : mask)
    m = rng() % 4 != 0;
  SmallVector<Tensor> out =
      runChecked(fn, {fromInts(ElementType::I32, shape, x),
                      fromInts(ElementType::I1, {shape[0], length}, mask)});
  ASSERT_EQ(out.size(), 4u);
  Ints r0 = toInts(out[0]), r1 = toInts(out[1]), r2 = toInts(out[2]),
       r3 = toInts(out[3]);
  for (int64_t i = 0; i < size; ++i) {
    int64_t c1 = (i / length) % shape[1], c2 = i % length;
    ASSERT_EQ(r0[i], clampTo(exactDyadic(x[i], d.multipliers[c1], d.shifts[c1]),
                             INT8_MIN, INT8_MAX))
        << i;
    __int128 sum = exactDyadic(x[i], e.multipliers[c2], e.shifts[c2]) +
                   exactDyadic(x[i], d.multipliers[0], d.shifts[0]);
    ASSERT_EQ(r1[i], clampTo(sum, INT16_MIN, INT16_MAX)) << i;
  }
  int64_t rows = size / length, rowsPerBatch = rows / shape[0];
  for (int64_t r = 0; r < rows; ++r) {
    Ints row(x.begin() + r * length, x.begin() + (r + 1) * length);
    Ints keep(mask.begin() + (r / rowsPerBatch) * length,
              mask.begin() + (r / rowsPerBatch + 1) * length);
    std::vector<int64_t> ref = refSoftmaxRow(row, keep, sp);
    Ints n = refLayerNormRow(row, 2, 99);
    for (int64_t c = 0; c < length; ++c) {
      ASSERT_EQ(r2[r * length + c], ref[c]) << "row " << r;
      __int128 v = exactDyadic(n[c], e.multipliers[c], e.shifts[c]);
      ASSERT_EQ(r3[r * length + c], clampTo(v + bias[c], INT8_MIN, INT8_MAX))
          << "row " << r;
    }
  }
}

//===----------------------------------------------------------------------===//
// Generic kernels on integer element types
//===----------------------------------------------------------------------===//

TEST_F(InterpreterIntegerTest, CastBetweenIntegerTypes) {
  func::FuncOp fn = parseMain(
      {"tensor<6xi64>", "tensor<4xi8>", "tensor<4xui8>", "tensor<4xi32>"},
      {"tensor<6xi32>", "tensor<4xi32>", "tensor<4xi32>", "tensor<4xf32>"},
      R"(  %r0 = qcc.cast %a0 : tensor<6xi64> to tensor<6xi32>
  %r1 = qcc.cast %a1 : tensor<4xi8> to tensor<4xi32>
  %r2 = qcc.cast %a2 : tensor<4xui8> to tensor<4xi32>
  %r3 = qcc.cast %a3 : tensor<4xi32> to tensor<4xf32>)");
  ASSERT_TRUE(fn);
  SmallVector<Tensor> out = runChecked(
      fn,
      {fromInts(ElementType::I64, {6},
                {INT64_MIN, INT64_MAX, int64_t(1) << 32, -(int64_t(1) << 31),
                 (int64_t(1) << 31) + 5, -7}),
       fromInts(ElementType::I8, {4}, {-128, 127, -1, 0}),
       fromInts(ElementType::UI8, {4}, {0, 255, 128, 1}),
       fromInts(ElementType::I32, {4}, {INT32_MIN, INT32_MAX, 16777217, -3})});
  ASSERT_EQ(out.size(), 4u);
  // i64 -> i32 wraps modulo 2^32 (ONNX leaves it open; NumPy's astype).
  EXPECT_EQ(toInts(out[0]), (Ints{0, -1, 0, INT32_MIN, INT32_MIN + 5, -7}));
  EXPECT_EQ(toInts(out[1]), (Ints{-128, 127, -1, 0}));
  EXPECT_EQ(toInts(out[2]), (Ints{0, 255, 128, 1}));
  // i32 -> f32 rounds to nearest even (16777217 -> 16777216).
  EXPECT_EQ(
      out[3].getValues<float>(),
      (ArrayRef<float>{-2147483648.0f, 2147483648.0f, 16777216.0f, -3.0f}));
}

TEST_F(InterpreterIntegerTest, I32ArithmeticWrapsAndTruncates) {
  func::FuncOp fn = parseMain(
      {"tensor<2x4xi32>", "tensor<4xi32>"},
      {"tensor<2x4xi32>", "tensor<2x4xi32>", "tensor<2x4xi32>",
       "tensor<2x4xi32>"},
      R"(  %r0 = qcc.add %a0, %a1 : (tensor<2x4xi32>, tensor<4xi32>) -> tensor<2x4xi32>
  %r1 = qcc.sub %a0, %a1 : (tensor<2x4xi32>, tensor<4xi32>) -> tensor<2x4xi32>
  %r2 = qcc.mul %a0, %a1 : (tensor<2x4xi32>, tensor<4xi32>) -> tensor<2x4xi32>
  %r3 = qcc.div %a0, %a1 : (tensor<2x4xi32>, tensor<4xi32>) -> tensor<2x4xi32>)");
  ASSERT_TRUE(fn);
  Ints a = {INT32_MAX, INT32_MIN, 7, -7, 100000, -100000, 1, INT32_MIN};
  Ints b = {1, 1, 2, -1};
  SmallVector<Tensor> out =
      runChecked(fn, {fromInts(ElementType::I32, {2, 4}, a),
                      fromInts(ElementType::I32, {4}, b)});
  ASSERT_EQ(out.size(), 4u);
  auto wrap = [](int64_t v) { return static_cast<int64_t>(int32_t(v)); };
  for (size_t i = 0; i < a.size(); ++i) {
    int64_t y = b[i % 4];
    EXPECT_EQ(toInts(out[0])[i], wrap(a[i] + y)) << i;
    EXPECT_EQ(toInts(out[1])[i], wrap(a[i] - y)) << i;
    EXPECT_EQ(toInts(out[2])[i], wrap(a[i] * y)) << i;
    // Truncation toward zero (C, ONNX); INT32_MIN / -1 wraps.
    EXPECT_EQ(toInts(out[3])[i], wrap(a[i] / y)) << i;
  }
  EXPECT_EQ(toInts(out[3])[2], 3); // 7 / 2
  EXPECT_EQ(toInts(out[3])[3], 7); // -7 / -1
  EXPECT_EQ(toInts(out[3])[7], INT32_MIN);
  // Division by zero is a diagnostic, not a crash.
  errors.clear();
  EXPECT_TRUE(failed(run(fn, {fromInts(ElementType::I32, {2, 4}, a),
                              fromInts(ElementType::I32, {4}, {1, 0, 2, 3})})));
  EXPECT_NE(errors.find("integer division by zero"), std::string::npos)
      << errors;
}

TEST_F(InterpreterIntegerTest, I32CompareWhereReduceAndRelu) {
  func::FuncOp fn = parseMain(
      {"tensor<2x3xi32>", "tensor<3xi32>", "tensor<6xi8>"},
      {"tensor<2x3xi1>", "tensor<2x3xi1>", "tensor<2x3xi32>", "tensor<2x1xi32>",
       "tensor<3xi32>", "tensor<6xi8>"},
      R"(  %r0 = qcc.less %a0, %a1 : (tensor<2x3xi32>, tensor<3xi32>) -> tensor<2x3xi1>
  %r1 = qcc.greater %a0, %a1 : (tensor<2x3xi32>, tensor<3xi32>) -> tensor<2x3xi1>
  %r2 = qcc.where %r0, %a0, %a1 : (tensor<2x3xi1>, tensor<2x3xi32>, tensor<3xi32>) -> tensor<2x3xi32>
  %r3 = qcc.reduce_sum %a0 {axes = array<i64: 1>} : (tensor<2x3xi32>) -> tensor<2x1xi32>
  %r4 = qcc.reduce_sum %a0 {axes = array<i64: 0>, keepdims = false} : (tensor<2x3xi32>) -> tensor<3xi32>
  %r5 = qcc.relu %a2 : tensor<6xi8>)");
  ASSERT_TRUE(fn);
  Ints a = {5, -5, INT32_MAX, 0, 7, INT32_MAX};
  Ints b = {5, 0, -1};
  SmallVector<Tensor> out = runChecked(
      fn, {fromInts(ElementType::I32, {2, 3}, a),
           fromInts(ElementType::I32, {3}, b),
           fromInts(ElementType::I8, {6}, {-128, -1, 0, 1, 127, 5})});
  ASSERT_EQ(out.size(), 6u);
  EXPECT_EQ(toInts(out[0]), (Ints{0, 1, 0, 1, 0, 0}));
  EXPECT_EQ(toInts(out[1]), (Ints{0, 0, 1, 0, 1, 1}));
  EXPECT_EQ(toInts(out[2]), (Ints{5, -5, -1, 0, 0, -1}));
  // Integer sums wrap modulo 2^32 like the generated code.
  EXPECT_EQ(toInts(out[3]), (Ints{int32_t(uint32_t(INT32_MAX) + 0u),
                                  int32_t(uint32_t(INT32_MAX) + 7u)}));
  EXPECT_EQ(toInts(out[4]), (Ints{5, 2, -2}));
  EXPECT_EQ(toInts(out[5]), (Ints{0, 0, 0, 1, 127, 5}));
}

/// Max pooling of [N, C, H, W] with a k x k window, stride s, no padding.
Ints refMaxPool(const Ints &x, const Shape &shape, int64_t k, int64_t s) {
  int64_t n = shape[0] * shape[1], h = shape[2], w = shape[3];
  int64_t oh = (h - k) / s + 1, ow = (w - k) / s + 1;
  Ints out;
  for (int64_t p = 0; p < n; ++p)
    for (int64_t i = 0; i < oh; ++i)
      for (int64_t j = 0; j < ow; ++j) {
        int64_t m = INT64_MIN;
        for (int64_t a = 0; a < k; ++a)
          for (int64_t b = 0; b < k; ++b)
            m = std::max(m, x[p * h * w + (i * s + a) * w + j * s + b]);
        out.push_back(m);
      }
  return out;
}

TEST_F(InterpreterIntegerTest, MaxPoolOnBytes) {
  std::mt19937_64 rng(107);
  for (ElementType type : {ElementType::I8, ElementType::UI8}) {
    std::string t = getElementTypeName(type).str();
    func::FuncOp fn = parseMain(
        {tensorType({2, 3, 7, 9}, t)}, {tensorType({2, 3, 3, 4}, t)},
        "  %r0 = qcc.max_pool %a0 {dilations = array<i64: 1, 1>, kernel_shape "
        "= array<i64: 3, 3>, pads = array<i64: 0, 0, 0, 0>, strides = "
        "array<i64: 2, 2>} : (" +
            tensorType({2, 3, 7, 9}, t) + ") -> " +
            tensorType({2, 3, 3, 4}, t));
    ASSERT_TRUE(fn);
    Ints x = randomInts(rng, type, 2 * 3 * 7 * 9);
    SmallVector<Tensor> out = runChecked(fn, {fromInts(type, {2, 3, 7, 9}, x)});
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(toInts(out[0]), refMaxPool(x, {2, 3, 7, 9}, 3, 2)) << t;
  }
}

TEST_F(InterpreterIntegerTest, DataMovementOnBytes) {
  std::mt19937_64 rng(108);
  for (ElementType type : {ElementType::I8, ElementType::UI8}) {
    std::string t = getElementTypeName(type).str();
    std::string x = tensorType({2, 3, 4}, t);
    std::string y = tensorType({2, 1, 4}, t);
    func::FuncOp fn = parseMain(
        {x, y, "tensor<3xi64>"},
        {tensorType({4, 2, 3}, t), tensorType({6, 4}, t),
         tensorType({2, 4, 4}, t), tensorType({2, 3, 4}, t),
         tensorType({1, 2, 2}, t)},
        "  %r0 = qcc.transpose %a0 {permutation = array<i64: 2, 0, 1>} : (" +
            x + ") -> " + tensorType({4, 2, 3}, t) +
            "\n  %r1 = qcc.reshape %a0 : " + x + " -> " +
            tensorType({6, 4}, t) +
            "\n  %r2 = qcc.concat %a0, %a1 {axis = 1 : i64} : (" + x + ", " +
            y + ") -> " + tensorType({2, 4, 4}, t) +
            "\n  %r3 = qcc.gather %a0, %a2 {axis = 1 : i64} : (" + x +
            ", tensor<3xi64>) -> " + tensorType({2, 3, 4}, t) +
            "\n  %r4 = qcc.slice %a0 {ends = array<i64: 2, 3, 0>, starts = "
            "array<i64: 1, 0, 3>, steps = array<i64: 1, 2, -2>} : (" +
            x + ") -> " + tensorType({1, 2, 2}, t));
    ASSERT_TRUE(fn);
    Ints a = randomInts(rng, type, 24), b = randomInts(rng, type, 8);
    Ints ids = {2, -3, 1};
    SmallVector<Tensor> out = runChecked(
        fn, {fromInts(type, {2, 3, 4}, a), fromInts(type, {2, 1, 4}, b),
             fromInts(ElementType::I64, {3}, ids)});
    ASSERT_EQ(out.size(), 5u);
    auto at = [&](int64_t i, int64_t j, int64_t k) {
      return a[(i * 3 + j) * 4 + k];
    };
    Ints transposed, concat, gathered, sliced;
    for (int64_t k = 0; k < 4; ++k)
      for (int64_t i = 0; i < 2; ++i)
        for (int64_t j = 0; j < 3; ++j)
          transposed.push_back(at(i, j, k));
    for (int64_t i = 0; i < 2; ++i) {
      for (int64_t j = 0; j < 3; ++j)
        for (int64_t k = 0; k < 4; ++k)
          concat.push_back(at(i, j, k));
      for (int64_t k = 0; k < 4; ++k)
        concat.push_back(b[i * 4 + k]);
    }
    for (int64_t i = 0; i < 2; ++i)
      for (int64_t id : ids)
        for (int64_t k = 0; k < 4; ++k)
          gathered.push_back(at(i, (id + 3) % 3, k));
    for (int64_t j : {0, 2})
      for (int64_t k : {3, 1})
        sliced.push_back(at(1, j, k));
    EXPECT_EQ(toInts(out[0]), transposed) << t;
    EXPECT_EQ(toInts(out[1]), a) << t;
    EXPECT_EQ(toInts(out[2]), concat) << t;
    EXPECT_EQ(toInts(out[3]), gathered) << t;
    EXPECT_EQ(toInts(out[4]), sliced) << t;
  }
}

TEST_F(InterpreterIntegerTest, ConvOnBytesWithI32Bias) {
  // ui8 or i8 input, i8 weights, i32 bias, i32 result: exact sums (no
  // wrap at these sizes), grouped, strided and padded.
  std::mt19937_64 rng(109);
  for (ElementType inType : {ElementType::UI8, ElementType::I8}) {
    std::string t = getElementTypeName(inType).str();
    const int64_t n = 2, c = 4, h = 7, w = 6, m = 6, group = 2, k = 3;
    const int64_t stride = 2, pad = 1;
    int64_t oh = (h + 2 * pad - k) / stride + 1;
    int64_t ow = (w + 2 * pad - k) / stride + 1;
    std::string inT = tensorType({n, c, h, w}, t);
    std::string wT = tensorType({m, c / group, k, k}, "i8");
    std::string outT = tensorType({n, m, oh, ow}, "i32");
    func::FuncOp fn = parseMain(
        {inT, wT, "tensor<6xi32>"}, {outT},
        "  %r0 = qcc.conv %a0, %a1, %a2 {dilations = array<i64: 1, 1>, group = "
        "2 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>} "
        ": (" +
            inT + ", " + wT + ", tensor<6xi32>) -> " + outT);
    ASSERT_TRUE(fn);
    Ints x = randomInts(rng, inType, n * c * h * w);
    Ints wt = randomInts(rng, ElementType::I8, m * (c / group) * k * k);
    Ints bias = randomInts(rng, ElementType::I32, m);
    for (int64_t &v : bias)
      v /= 4; // keep the sums inside int32
    SmallVector<Tensor> out =
        runChecked(fn, {fromInts(inType, {n, c, h, w}, x),
                        fromInts(ElementType::I8, {m, c / group, k, k}, wt),
                        fromInts(ElementType::I32, {m}, bias)});
    ASSERT_EQ(out.size(), 1u);
    Ints ref;
    int64_t cg = c / group, mg = m / group;
    for (int64_t img = 0; img < n; ++img)
      for (int64_t f = 0; f < m; ++f)
        for (int64_t i = 0; i < oh; ++i)
          for (int64_t j = 0; j < ow; ++j) {
            int64_t acc = bias[f];
            for (int64_t ch = 0; ch < cg; ++ch)
              for (int64_t a = 0; a < k; ++a)
                for (int64_t b = 0; b < k; ++b) {
                  int64_t y = i * stride - pad + a, z = j * stride - pad + b;
                  if (y < 0 || y >= h || z < 0 || z >= w)
                    continue;
                  int64_t channel = (f / mg) * cg + ch;
                  acc += x[((img * c + channel) * h + y) * w + z] *
                         wt[((f * cg + ch) * k + a) * k + b];
                }
            ref.push_back(acc);
          }
    EXPECT_EQ(toInts(out[0]), ref) << t;
  }
}

TEST_F(InterpreterIntegerTest, MatMulU8TimesI8WithBatchBroadcast) {
  std::mt19937_64 rng(110);
  // [2, 1, 3, 20] x [4, 20, 5] -> [2, 4, 3, 5].
  func::FuncOp fn = parseMain(
      {"tensor<2x1x3x20xui8>", "tensor<4x20x5xi8>"}, {"tensor<2x4x3x5xi32>"},
      "  %r0 = qcc.matmul %a0, %a1 : (tensor<2x1x3x20xui8>, "
      "tensor<4x20x5xi8>) -> tensor<2x4x3x5xi32>");
  ASSERT_TRUE(fn);
  Ints a = randomInts(rng, ElementType::UI8, 2 * 3 * 20);
  Ints b = randomInts(rng, ElementType::I8, 4 * 20 * 5);
  SmallVector<Tensor> out =
      runChecked(fn, {fromInts(ElementType::UI8, {2, 1, 3, 20}, a),
                      fromInts(ElementType::I8, {4, 20, 5}, b)});
  ASSERT_EQ(out.size(), 1u);
  Ints ref;
  for (int64_t p = 0; p < 2; ++p)
    for (int64_t q = 0; q < 4; ++q)
      for (int64_t i = 0; i < 3; ++i)
        for (int64_t j = 0; j < 5; ++j) {
          int64_t acc = 0;
          for (int64_t l = 0; l < 20; ++l)
            acc += a[(p * 3 + i) * 20 + l] * b[(q * 20 + l) * 5 + j];
          ref.push_back(acc);
        }
  EXPECT_EQ(toInts(out[0]), ref);
}

TEST_F(InterpreterIntegerTest, QuantizeToBytesAndDequantizeI32PerAxis) {
  func::FuncOp fn = parseMain(
      {"tensor<2x3xf32>", "tensor<2x3xi32>"},
      {"tensor<2x3xi8>", "tensor<2x3xui8>", "tensor<2x3xf32>"},
      R"(  %r0 = qcc.quantize %a0 {scales = array<f32: 0.5>, zero_points = array<i64: -3>} : tensor<2x3xf32> to tensor<2x3xi8>
  %r1 = qcc.quantize %a0 {axis = 1 : i64, scales = array<f32: 0.25, 1.0, 2.0>, zero_points = array<i64: 128, 0, 7>} : tensor<2x3xf32> to tensor<2x3xui8>
  %r2 = qcc.dequantize %a1 {axis = 1 : i64, scales = array<f32: 0.5, 0.25, 2.0>, zero_points = array<i64: 0, 10, -1000>} : tensor<2x3xi32> to tensor<2x3xf32>)");
  ASSERT_TRUE(fn);
  Tensor x = Tensor::allocate(ElementType::F32, {2, 3});
  float xs[] = {1.25f, -0.75f, 100.0f, -100.0f, 3.0f, 5.0f};
  std::memcpy(x.getRawData(), xs, sizeof(xs));
  SmallVector<Tensor> out =
      runChecked(fn, {x, fromInts(ElementType::I32, {2, 3},
                                  {INT32_MAX, INT32_MIN, 0, -4, 10, 1000})});
  ASSERT_EQ(out.size(), 3u);
  // round_half_even(x / s) + zp, saturated.
  EXPECT_EQ(toInts(out[0]), (Ints{-1, -5, 127, -128, 3, 7}));
  EXPECT_EQ(toInts(out[1]), (Ints{133, 0, 57, 0, 3, 9}));
  EXPECT_EQ(
      out[2].getValues<float>(),
      (ArrayRef<float>{static_cast<float>(INT32_MAX) * 0.5f,
                       static_cast<float>(int64_t(INT32_MIN) - 10) * 0.25f,
                       2000.0f, -2.0f, 0.0f, 4000.0f}));
}

} // namespace
