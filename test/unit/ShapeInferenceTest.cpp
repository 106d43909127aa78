//===- ShapeInferenceTest.cpp - result-type inference of qcc ops -*- C++ -*-===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//
//
// Checks inferred result shapes against brute-force enumeration: the number
// of window positions for convolution/pooling and the number of visited
// indices for strided slices.
//
//===----------------------------------------------------------------------===//

#include "qcc/Dialect/Qcc/IR/QccDialect.h"
#include "qcc/Dialect/Qcc/IR/QccOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"

#include "gtest/gtest.h"

using namespace mlir;
using namespace mlir::qcc;

namespace {

class ShapeInferenceTest : public ::testing::Test {
protected:
  ShapeInferenceTest() : builder(&context) {
    context.loadDialect<QccDialect>();
    module = ModuleOp::create(builder.getUnknownLoc());
    builder.setInsertionPointToStart(module->getBody());
    // Diagnostics of expected failures must not reach stderr as errors.
    context.getDiagEngine().registerHandler([](Diagnostic &) {});
  }

  /// A value of the given type (a zero constant).
  Value make(ArrayRef<int64_t> shape, Type elementType) {
    auto type = RankedTensorType::get(shape, elementType);
    Attribute zero = isa<FloatType>(elementType)
                         ? Attribute(builder.getFloatAttr(elementType, 0.0))
                         : Attribute(builder.getIntegerAttr(elementType, 0));
    return ConstantOp::create(builder, builder.getUnknownLoc(),
                              DenseElementsAttr::get(type, zero));
  }

  MLIRContext context;
  OpBuilder builder;
  OwningOpRef<ModuleOp> module;
};

/// Number of output positions of a window of `extent` over a padded
/// dimension, counted one by one.
int64_t countWindows(int64_t size, int64_t kernel, int64_t stride,
                     int64_t padBegin, int64_t padEnd, int64_t dilation) {
  int64_t extent = (kernel - 1) * dilation + 1;
  int64_t count = 0;
  for (int64_t start = -padBegin; start + extent - 1 <= size - 1 + padEnd;
       start += stride)
    ++count;
  return count;
}

TEST_F(ShapeInferenceTest, ConvMatchesWindowEnumeration) {
  Type f32 = builder.getF32Type();
  int checked = 0;
  for (int64_t size : {1, 5, 8, 13})
    for (int64_t kernel : {1, 2, 3})
      for (int64_t stride : {1, 2, 3})
        for (int64_t dilation : {1, 2})
          for (int64_t padBegin : {0, 1, 2})
            for (int64_t padEnd : {0, 1}) {
              int64_t expected = countWindows(size, kernel, stride, padBegin,
                                              padEnd, dilation);
              Value x = make({2, 4, size, 3}, f32);
              Value w = make({6, 2, kernel, 1}, f32);
              SmallVector<Type> inferred;
              ConvOp::Properties props;
              props.strides = builder.getDenseI64ArrayAttr({stride, 1});
              props.pads =
                  builder.getDenseI64ArrayAttr({padBegin, 0, padEnd, 0});
              props.dilations = builder.getDenseI64ArrayAttr({dilation, 1});
              props.group = builder.getI64IntegerAttr(2);
              ConvOp::Adaptor adaptor(ValueRange{x, w}, nullptr, props);
              LogicalResult result = ConvOp::inferReturnTypes(
                  &context, builder.getUnknownLoc(), adaptor, inferred);
              if (expected == 0) {
                EXPECT_TRUE(failed(result));
                continue;
              }
              ASSERT_TRUE(succeeded(result));
              auto type = cast<RankedTensorType>(inferred.front());
              EXPECT_EQ(type.getShape(),
                        ArrayRef<int64_t>({2, 6, expected, 3}))
                  << "size " << size << " kernel " << kernel << " stride "
                  << stride << " dilation " << dilation;
              ++checked;
            }
  EXPECT_GT(checked, 100);
}

TEST_F(ShapeInferenceTest, IntegerConvAccumulatesInI32) {
  Value x = make({1, 3, 4, 4}, builder.getIntegerType(8));
  Value w = make({2, 3, 3, 3}, builder.getIntegerType(8));
  auto conv = ConvOp::create(builder, builder.getUnknownLoc(), x, w, Value(),
                             builder.getDenseI64ArrayAttr({1, 1}),
                             builder.getDenseI64ArrayAttr({0, 0, 0, 0}),
                             builder.getDenseI64ArrayAttr({1, 1}),
                             builder.getI64IntegerAttr(1));
  EXPECT_EQ(conv.getType(), RankedTensorType::get({1, 2, 2, 2},
                                                  builder.getI32Type()));
}

TEST_F(ShapeInferenceTest, MatMulFollowsNumPy) {
  Type f32 = builder.getF32Type();
  struct Case {
    SmallVector<int64_t> a, b, expected;
  } cases[] = {
      {{3, 4}, {4, 5}, {3, 5}},
      {{4}, {4, 5}, {5}},
      {{3, 4}, {4}, {3}},
      {{4}, {4}, {}},
      {{2, 1, 3, 4}, {5, 4, 6}, {2, 5, 3, 6}},
      {{7, 3, 4}, {4, 6}, {7, 3, 6}},
  };
  for (const Case &c : cases) {
    auto op = MatMulOp::create(builder, builder.getUnknownLoc(), make(c.a, f32),
                               make(c.b, f32));
    EXPECT_EQ(op.getType().getShape(), ArrayRef<int64_t>(c.expected));
  }
  SmallVector<Type> inferred;
  MatMulOp::Adaptor mismatch(ValueRange{make({3, 4}, f32), make({5, 6}, f32)});
  EXPECT_TRUE(failed(MatMulOp::inferReturnTypes(
      &context, builder.getUnknownLoc(), mismatch, inferred)));
}

TEST_F(ShapeInferenceTest, SliceMatchesIndexEnumeration) {
  Type f32 = builder.getF32Type();
  int checked = 0;
  for (int64_t dim : {0, 1, 4, 7})
    for (int64_t step : {-3, -2, -1, 1, 2, 3})
      for (int64_t start = -1; start <= dim; ++start)
        for (int64_t end = -1; end <= dim; ++end) {
          bool normalised = step > 0
                                ? (0 <= start && start <= end && end <= dim)
                                : (-1 <= end && end <= start && start <= dim - 1);
          int64_t expected = 0;
          for (int64_t i = start; step > 0 ? i < end : i > end; i += step)
            ++expected;
          SmallVector<Type> inferred;
          SliceOp::Properties props;
          props.starts = builder.getDenseI64ArrayAttr({start});
          props.ends = builder.getDenseI64ArrayAttr({end});
          props.steps = builder.getDenseI64ArrayAttr({step});
          SliceOp::Adaptor adaptor(ValueRange{make({dim}, f32)}, nullptr,
                                   props);
          LogicalResult result = SliceOp::inferReturnTypes(
              &context, builder.getUnknownLoc(), adaptor, inferred);
          ASSERT_EQ(succeeded(result), normalised);
          if (!normalised)
            continue;
          EXPECT_EQ(cast<RankedTensorType>(inferred.front()).getDimSize(0),
                    expected)
              << "dim " << dim << " [" << start << ", " << end << ") step "
              << step;
          ++checked;
        }
  EXPECT_GT(checked, 50);
}

} // namespace
