//===- InterpreterTest.cpp - tests of the reference interpreter -*- C++ -*-===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//
//
// The interpreter's contract (diagnostics for bad inputs and run-time errors,
// memory released after last use, thread-count independence) and the
// semantics the op descriptions fix precisely (cast, quantize), with
// hand-derived expected values. Numerics of the other ops are checked
// against NumPy by the lit tests in test/Interpreter.
//
//===----------------------------------------------------------------------===//

#include "qcc/Interpreter/Interpreter.h"
#include "qcc/Dialect/Qcc/IR/QccDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"

#include "gtest/gtest.h"

#include <cmath>
#include <cstring>
#include <random>

using namespace mlir;
using namespace mlir::qcc;

namespace {

class InterpreterTest : public ::testing::Test {
protected:
  InterpreterTest() {
    DialectRegistry registry;
    registry.insert<QccDialect, func::FuncDialect>();
    context.appendDialectRegistry(registry);
    context.loadAllAvailableDialects();
    context.allowUnregisteredDialects();
  }

  /// Parses a module and returns its first function.
  func::FuncOp parse(llvm::StringRef source) {
    module = parseSourceString<ModuleOp>(source, &context);
    if (!module)
      return nullptr;
    return *module->getOps<func::FuncOp>().begin();
  }

  /// Runs `fn`, collecting diagnostics into `errors`.
  FailureOr<SmallVector<Tensor>> run(func::FuncOp fn, ArrayRef<Tensor> inputs,
                                     unsigned threads = 1) {
    ScopedDiagnosticHandler handler(&context, [&](Diagnostic &diag) {
      errors += diag.str() + "\n";
      return success();
    });
    InterpreterOptions options;
    options.numThreads = threads;
    return interpretFunction(fn, inputs, options);
  }

  template <typename T>
  static Tensor make(ArrayRef<int64_t> shape, ArrayRef<T> values) {
    Tensor t = Tensor::allocate(ElementTypeOf<T>::value, shape);
    EXPECT_EQ(static_cast<size_t>(t.getNumElements()), values.size());
    std::memcpy(t.getRawData(), values.data(), values.size() * sizeof(T));
    return t;
  }

  MLIRContext context;
  OwningOpRef<ModuleOp> module;
  std::string errors;
};

TEST_F(InterpreterTest, RunsAndReleasesIntermediates) {
  func::FuncOp fn = parse(R"mlir(
    func.func @main(%a: tensor<2x3xf32>, %b: tensor<3xf32>) -> tensor<2x3xf32> {
      %0 = qcc.add %a, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
      %1 = qcc.relu %0 : tensor<2x3xf32>
      %2 = qcc.mul %1, %1 : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
      return %2 : tensor<2x3xf32>
    })mlir");
  ASSERT_TRUE(fn);
  SmallVector<Tensor> seen;
  InterpreterOptions options;
  options.observer = [&](Operation *, ArrayRef<Tensor> results) {
    seen.push_back(results.front());
  };
  FailureOr<std::unique_ptr<Interpreter>> interpreter =
      Interpreter::create(fn, options);
  ASSERT_TRUE(succeeded(interpreter));
  Tensor a = make<float>({2, 3}, {1, -2, 3, -4, 5, -6});
  Tensor b = make<float>({3}, {0.5f, 0.5f, 0.5f});
  FailureOr<SmallVector<Tensor>> out = (*interpreter)->run({a, b});
  ASSERT_TRUE(succeeded(out));
  ASSERT_EQ(out->size(), 1u);
  EXPECT_EQ((*out)[0].getValues<float>(),
            (ArrayRef<float>{2.25f, 0, 12.25f, 0, 30.25f, 0}));
  // The intermediates are held only by this test's observer: the
  // interpreter dropped them after their last use.
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_TRUE(seen[0].isUniquelyOwned());
  EXPECT_TRUE(seen[1].isUniquelyOwned());
  EXPECT_FALSE(seen[2].isUniquelyOwned()); // also the result
}

TEST(InterpreterBufferPoolTest, ReusesBuffersWithinThePeak) {
  auto pool = std::make_shared<BufferPool>();
  void *a = pool->allocate(1000);
  void *b = pool->allocate(5000);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(a) % 64, 0u);
  pool->release(a, 1000);
  pool->release(b, 5000);
  // Both fit in the peak of 1024 + 5056 bytes in use: both are cached.
  EXPECT_EQ(pool->getCachedBytes(), 1024u + 5056u);
  // The same size (after rounding to 64 bytes) comes back.
  EXPECT_EQ(pool->allocate(1010), a);
  EXPECT_EQ(pool->getCachedBytes(), 5056u);
  // A size never used is new memory; giving it back would exceed the peak
  // with the cached 5056 bytes, so it is freed instead.
  void *c = pool->allocate(64 << 10);
  pool->release(a, 1010);
  pool->release(c, 64 << 10);
  EXPECT_LE(pool->getCachedBytes(), size_t(1024 + 5056 + (64 << 10)));
  // Tensors give their buffers back when the last handle goes, and keep the
  // pool alive.
  Tensor t = Tensor::allocate(ElementType::F32, {16, 16}, pool);
  void *data = t.getRawData();
  Tensor view = t.reshape({256});
  t = Tensor();
  size_t cached = pool->getCachedBytes();
  view = Tensor();
  EXPECT_EQ(pool->getCachedBytes(), cached + 1024);
  Tensor again = Tensor::allocate(ElementType::I32, {256}, pool);
  EXPECT_EQ(again.getRawData(), data);
  pool.reset();
  EXPECT_EQ(again.getNumElements(), 256);
}

TEST_F(InterpreterTest, ReportsBadInputs) {
  func::FuncOp fn = parse(R"mlir(
    func.func @main(%a: tensor<2xf32> {qcc.name = "x"}) -> tensor<2xf32> {
      return %a : tensor<2xf32>
    })mlir");
  ASSERT_TRUE(fn);
  EXPECT_TRUE(failed(run(fn, {})));
  EXPECT_NE(errors.find("expected 1 inputs, got 0"), std::string::npos)
      << errors;
  errors.clear();
  EXPECT_TRUE(failed(run(fn, {make<float>({3}, {1, 2, 3})})));
  EXPECT_NE(errors.find("input #0 ('x') expected 2xf32, got 3xf32"),
            std::string::npos)
      << errors;
  errors.clear();
  EXPECT_TRUE(failed(run(fn, {make<int32_t>({2}, {1, 2})})));
  EXPECT_NE(errors.find("expected 2xf32, got 2xi32"), std::string::npos)
      << errors;
}

TEST_F(InterpreterTest, ReportsUnsupportedOps) {
  func::FuncOp fn = parse(R"mlir(
    func.func @main(%a: tensor<2xf32>) -> tensor<2xf32> {
      %0 = "test.unknown"(%a) : (tensor<2xf32>) -> tensor<2xf32>
      return %0 : tensor<2xf32>
    })mlir");
  ASSERT_TRUE(fn);
  EXPECT_TRUE(failed(run(fn, {make<float>({2}, {1, 2})})));
  EXPECT_NE(errors.find("does not implement 'test.unknown'"), std::string::npos)
      << errors;
}

TEST_F(InterpreterTest, ReportsRunTimeErrors) {
  func::FuncOp gather = parse(R"mlir(
    func.func @main(%d: tensor<4x2xf32>, %i: tensor<3xi64>) -> tensor<3x2xf32> {
      %0 = qcc.gather %d, %i {axis = 0 : i64} : (tensor<4x2xf32>, tensor<3xi64>) -> tensor<3x2xf32>
      return %0 : tensor<3x2xf32>
    })mlir");
  ASSERT_TRUE(gather);
  Tensor data = make<float>({4, 2}, {0, 1, 2, 3, 4, 5, 6, 7});
  FailureOr<SmallVector<Tensor>> ok =
      run(gather, {data, make<int64_t>({3}, {-1, 0, -4})});
  ASSERT_TRUE(succeeded(ok)) << errors;
  EXPECT_EQ((*ok)[0].getValues<float>(), (ArrayRef<float>{6, 7, 0, 1, 0, 1}));
  EXPECT_TRUE(failed(run(gather, {data, make<int64_t>({3}, {0, 4, 1})})));
  EXPECT_NE(errors.find("gather index 4 out of range [-4, 4)"),
            std::string::npos)
      << errors;

  errors.clear();
  func::FuncOp div = parse(R"mlir(
    func.func @main(%a: tensor<3xi32>, %b: tensor<3xi32>) -> tensor<3xi32> {
      %0 = qcc.div %a, %b : (tensor<3xi32>, tensor<3xi32>) -> tensor<3xi32>
      return %0 : tensor<3xi32>
    })mlir");
  ASSERT_TRUE(div);
  FailureOr<SmallVector<Tensor>> quotient =
      run(div, {make<int32_t>({3}, {7, -7, INT32_MIN}),
                make<int32_t>({3}, {2, 2, -1})});
  ASSERT_TRUE(succeeded(quotient)) << errors;
  EXPECT_EQ((*quotient)[0].getValues<int32_t>(),
            (ArrayRef<int32_t>{3, -3, INT32_MIN}));
  EXPECT_TRUE(failed(run(
      div, {make<int32_t>({3}, {1, 2, 3}), make<int32_t>({3}, {1, 0, 3})})));
  EXPECT_NE(errors.find("integer division by zero"), std::string::npos)
      << errors;
}

TEST_F(InterpreterTest, CastFollowsOnnxSemantics) {
  func::FuncOp fn = parse(R"mlir(
    func.func @main(%f: tensor<8xf32>, %i: tensor<4xi32>)
        -> (tensor<8xi32>, tensor<8xi8>, tensor<8xui8>, tensor<8xi1>, tensor<4xi8>, tensor<4xf32>) {
      %0 = qcc.cast %f : tensor<8xf32> to tensor<8xi32>
      %1 = qcc.cast %f : tensor<8xf32> to tensor<8xi8>
      %2 = qcc.cast %f : tensor<8xf32> to tensor<8xui8>
      %3 = qcc.cast %f : tensor<8xf32> to tensor<8xi1>
      %4 = qcc.cast %i : tensor<4xi32> to tensor<4xi8>
      %5 = qcc.cast %i : tensor<4xi32> to tensor<4xf32>
      return %0, %1, %2, %3, %4, %5 : tensor<8xi32>, tensor<8xi8>, tensor<8xui8>, tensor<8xi1>, tensor<4xi8>, tensor<4xf32>
    })mlir");
  ASSERT_TRUE(fn);
  float nan = std::nanf("");
  FailureOr<SmallVector<Tensor>> out = run(
      fn,
      {make<float>({8}, {-1.7f, 2.9f, -0.4f, 300.0f, -1.0f, nan, 0.0f, 1e20f}),
       make<int32_t>({4}, {300, -129, 127, 7})});
  ASSERT_TRUE(succeeded(out)) << errors;
  EXPECT_EQ((*out)[0].getValues<int32_t>(),
            (ArrayRef<int32_t>{-1, 2, 0, 300, -1, 0, 0, -1}));
  EXPECT_EQ((*out)[1].getValues<int8_t>(),
            (ArrayRef<int8_t>{-1, 2, 0, 44, -1, 0, 0, -1}));
  EXPECT_EQ((*out)[2].getValues<uint8_t>(),
            (ArrayRef<uint8_t>{255, 2, 0, 44, 255, 0, 0, 255}));
  EXPECT_EQ((*out)[3].getValues<bool>(),
            (ArrayRef<bool>{true, true, true, true, true, true, false, true}));
  EXPECT_EQ((*out)[4].getValues<int8_t>(), (ArrayRef<int8_t>{44, 127, 127, 7}));
  EXPECT_EQ((*out)[5].getValues<float>(), (ArrayRef<float>{300, -129, 127, 7}));
}

TEST_F(InterpreterTest, QuantizeRoundsHalfToEvenAndSaturates) {
  func::FuncOp fn = parse(R"mlir(
    func.func @main(%x: tensor<2x4xf32>) -> (tensor<2x4xi8>, tensor<2x4xui8>, tensor<2x4xf32>) {
      %0 = qcc.quantize %x {scales = array<f32: 1.0>, zero_points = array<i64: 0>} : tensor<2x4xf32> to tensor<2x4xi8>
      %1 = qcc.quantize %x {axis = 0 : i64, scales = array<f32: 1.0, 0.5>, zero_points = array<i64: 10, 0>} : tensor<2x4xf32> to tensor<2x4xui8>
      %2 = qcc.dequantize %1 {axis = 0 : i64, scales = array<f32: 1.0, 0.5>, zero_points = array<i64: 10, 0>} : tensor<2x4xui8> to tensor<2x4xf32>
      return %0, %1, %2 : tensor<2x4xi8>, tensor<2x4xui8>, tensor<2x4xf32>
    })mlir");
  ASSERT_TRUE(fn);
  FailureOr<SmallVector<Tensor>> out =
      run(fn, {make<float>({2, 4}, {0.5f, 1.5f, 2.5f, -0.5f, -2.5f, 1000.0f,
                                    -1000.0f, 3.25f})});
  ASSERT_TRUE(succeeded(out)) << errors;
  EXPECT_EQ((*out)[0].getValues<int8_t>(),
            (ArrayRef<int8_t>{0, 2, 2, 0, -2, 127, -128, 3}));
  // Row 0: scale 1, zero point 10; row 1: scale 0.5, zero point 0.
  EXPECT_EQ((*out)[1].getValues<uint8_t>(),
            (ArrayRef<uint8_t>{10, 12, 12, 10, 0, 255, 0, 6}));
  EXPECT_EQ((*out)[2].getValues<float>(),
            (ArrayRef<float>{0, 2, 2, 0, 0, 127.5f, 0, 3}));
}

TEST_F(InterpreterTest, ResultsDoNotDependOnThreads) {
  func::FuncOp fn = parse(R"mlir(
    func.func @main(%x: tensor<2x8x20x20xf32>, %w: tensor<16x8x3x3xf32>, %m: tensor<3200x96xf32>) -> (tensor<2x16x18x18xf32>, tensor<2x96xf32>, tensor<2x16x1x1xf32>) {
      %0 = qcc.conv %x, %w {dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<2x8x20x20xf32>, tensor<16x8x3x3xf32>) -> tensor<2x16x18x18xf32>
      %1 = qcc.reshape %x : tensor<2x8x20x20xf32> -> tensor<2x3200xf32>
      %2 = qcc.matmul %1, %m : (tensor<2x3200xf32>, tensor<3200x96xf32>) -> tensor<2x96xf32>
      %3 = qcc.reduce_sum %0 {axes = array<i64: 2, 3>} : (tensor<2x16x18x18xf32>) -> tensor<2x16x1x1xf32>
      return %0, %2, %3 : tensor<2x16x18x18xf32>, tensor<2x96xf32>, tensor<2x16x1x1xf32>
    })mlir");
  ASSERT_TRUE(fn);
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> dist(-1, 1);
  SmallVector<Tensor> inputs;
  for (BlockArgument arg : fn.getArguments()) {
    auto type = cast<RankedTensorType>(arg.getType());
    Tensor t = Tensor::allocate(ElementType::F32, type.getShape());
    for (int64_t i = 0; i < t.getNumElements(); ++i)
      t.getData<float>()[i] = dist(rng);
    inputs.push_back(t);
  }
  FailureOr<SmallVector<Tensor>> one = run(fn, inputs, 1);
  FailureOr<SmallVector<Tensor>> three = run(fn, inputs, 3);
  ASSERT_TRUE(succeeded(one) && succeeded(three)) << errors;
  for (size_t i = 0; i < one->size(); ++i)
    EXPECT_EQ((*one)[i].getBytes(), (*three)[i].getBytes()) << "result " << i;
}

TEST_F(InterpreterTest, KernelsDoNotDependOnThreadsOrStaleBuffers) {
  // The vectorised kernels (strided, grouped and 1-d conv through phase
  // planes, max pooling, softmax over the last and a middle axis, layer
  // norm, gelu, exp, attention with a key mask) on 1, 2 and 3 threads give
  // the same bits, also when every buffer a kernel gets is filled with NaN
  // first (no kernel may read what it did not write); and an interpreter run
  // again on other inputs, then on the first ones, reproduces its first
  // results exactly (recycled buffers hold the previous run's data).
  func::FuncOp fn = parse(R"mlir(
    func.func @main(%x: tensor<3x6x13x12xf32>, %w: tensor<8x3x3x3xf32>, %b: tensor<8xf32>,
                    %x1: tensor<2x4x30xf32>, %w1: tensor<5x4x3xf32>,
                    %s: tensor<4x5x33xf32>, %g: tensor<33xf32>,
                    %q: tensor<2x2x7x8xf32>, %k: tensor<2x2x9x8xf32>, %v: tensor<2x2x9x4xf32>,
                    %m: tensor<2x9xi64>, %xc: tensor<1x16x14x14xf32>, %wc: tensor<16x16x3x3xf32>)
        -> (tensor<3x8x7x6xf32>, tensor<3x8x3x3xf32>, tensor<2x5x15xf32>, tensor<4x5x33xf32>,
            tensor<4x5x33xf32>, tensor<4x5x33xf32>, tensor<4x5x33xf32>, tensor<2x2x7x4xf32>,
            tensor<3x6x6x6xf32>, tensor<1x16x14x14xf32>) {
      %0 = qcc.conv %x, %w, %b {dilations = array<i64: 1, 1>, group = 2 : i64, pads = array<i64: 1, 1, 1, 0>, strides = array<i64: 2, 2>} : (tensor<3x6x13x12xf32>, tensor<8x3x3x3xf32>, tensor<8xf32>) -> tensor<3x8x7x6xf32>
      %1 = qcc.max_pool %0 {dilations = array<i64: 1, 1>, kernel_shape = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>} : (tensor<3x8x7x6xf32>) -> tensor<3x8x3x3xf32>
      %2 = qcc.conv %x1, %w1 {dilations = array<i64: 2>, group = 1 : i64, pads = array<i64: 2, 1>, strides = array<i64: 2>} : (tensor<2x4x30xf32>, tensor<5x4x3xf32>) -> tensor<2x5x15xf32>
      %3 = qcc.softmax %s {axis = 2 : i64} : tensor<4x5x33xf32>
      %4 = qcc.softmax %s {axis = 1 : i64} : tensor<4x5x33xf32>
      %5 = qcc.layer_norm %s, %g, %g {axis = 2 : i64, epsilon = 1.0e-05 : f32} : (tensor<4x5x33xf32>, tensor<33xf32>, tensor<33xf32>) -> tensor<4x5x33xf32>
      %6 = qcc.gelu %s : tensor<4x5x33xf32>
      %7 = qcc.exp %6 : tensor<4x5x33xf32>
      %8 = qcc.attention %q, %k, %v key_mask %m {scale = 0.35 : f32} : (tensor<2x2x7x8xf32>, tensor<2x2x9x8xf32>, tensor<2x2x9x4xf32>, tensor<2x9xi64>) -> tensor<2x2x7x4xf32>
      %9 = qcc.max_pool %x {dilations = array<i64: 1, 1>, kernel_shape = array<i64: 3, 2>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>} : (tensor<3x6x13x12xf32>) -> tensor<3x6x6x6xf32>
      %10 = qcc.conv %xc, %wc {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<1x16x14x14xf32>, tensor<16x16x3x3xf32>) -> tensor<1x16x14x14xf32>
      return %0, %1, %2, %3, %4, %5, %7, %8, %9, %10 : tensor<3x8x7x6xf32>, tensor<3x8x3x3xf32>, tensor<2x5x15xf32>, tensor<4x5x33xf32>, tensor<4x5x33xf32>, tensor<4x5x33xf32>, tensor<4x5x33xf32>, tensor<2x2x7x4xf32>, tensor<3x6x6x6xf32>, tensor<1x16x14x14xf32>
    })mlir");
  ASSERT_TRUE(fn) << errors;
  auto makeInputs = [&](unsigned seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> dist(-2, 2);
    SmallVector<Tensor> inputs;
    for (BlockArgument arg : fn.getArguments()) {
      auto type = cast<RankedTensorType>(arg.getType());
      if (type.getElementType().isInteger(64)) {
        // Key mask: the first keys of each row valid, the rest padding.
        Tensor t = Tensor::allocate(ElementType::I64, type.getShape());
        for (int64_t i = 0; i < t.getNumElements(); ++i)
          t.getData<int64_t>()[i] = i % 9 < 5 + int64_t(seed % 3);
        inputs.push_back(t);
        continue;
      }
      Tensor t = Tensor::allocate(ElementType::F32, type.getShape());
      for (int64_t i = 0; i < t.getNumElements(); ++i)
        t.getData<float>()[i] = dist(rng);
      inputs.push_back(t);
    }
    return inputs;
  };
  SmallVector<Tensor> first = makeInputs(1), second = makeInputs(2);
  FailureOr<SmallVector<Tensor>> expected = run(fn, first, 1);
  ASSERT_TRUE(succeeded(expected)) << errors;
  auto expectSame = [&](ArrayRef<Tensor> got, const std::string &what) {
    ASSERT_EQ(got.size(), expected->size());
    for (size_t i = 0; i < got.size(); ++i)
      EXPECT_EQ(got[i].getBytes(), (*expected)[i].getBytes())
          << "result " << i << ", " << what;
  };
  for (unsigned threads : {1u, 2u, 3u}) {
    InterpreterOptions options;
    options.numThreads = threads;
    options.poisonBuffers = true;
    FailureOr<std::unique_ptr<Interpreter>> interpreter =
        Interpreter::create(fn, options);
    ASSERT_TRUE(succeeded(interpreter));
    std::string what = std::to_string(threads) + " threads";
    FailureOr<SmallVector<Tensor>> once = (*interpreter)->run(first);
    ASSERT_TRUE(succeeded(once));
    expectSame(*once, what);
    once = FailureOr<SmallVector<Tensor>>(SmallVector<Tensor>());
    // Results dropped: their buffers go back to the pool, dirty.
    for (int i = 0; i < 2; ++i)
      ASSERT_TRUE(succeeded((*interpreter)->run(second)));
    FailureOr<SmallVector<Tensor>> again = (*interpreter)->run(first);
    ASSERT_TRUE(succeeded(again));
    expectSame(*again, what + ", run again");
  }
}

} // namespace
