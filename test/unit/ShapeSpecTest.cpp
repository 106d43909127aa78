//===- ShapeSpecTest.cpp - tests of --shape parsing -------------*- C++ -*-===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//

#include "qcc/Support/ShapeSpec.h"

#include "gtest/gtest.h"

using namespace mlir::qcc;

namespace {

TEST(ShapeSpecTest, ParsesNameAndDims) {
  llvm::Expected<ShapeSpec> spec = parseShapeSpec("input=8x1x28x28");
  ASSERT_TRUE(static_cast<bool>(spec)) << llvm::toString(spec.takeError());
  EXPECT_EQ(spec->name, "input");
  EXPECT_EQ(spec->dims, (llvm::SmallVector<int64_t>{8, 1, 28, 28}));
}

TEST(ShapeSpecTest, EmptyDimsIsScalar) {
  llvm::Expected<ShapeSpec> spec = parseShapeSpec("t=");
  ASSERT_TRUE(static_cast<bool>(spec));
  EXPECT_TRUE(spec->dims.empty());
  EXPECT_EQ(formatShape(spec->dims), "scalar");
}

TEST(ShapeSpecTest, NameMayContainEquals) {
  llvm::Expected<ShapeSpec> spec = parseShapeSpec("a=b=3");
  ASSERT_TRUE(static_cast<bool>(spec));
  EXPECT_EQ(spec->name, "a=b");
  EXPECT_EQ(spec->dims, (llvm::SmallVector<int64_t>{3}));
}

TEST(ShapeSpecTest, RejectsMalformed) {
  for (const char *bad : {"input", "=3x4", "x=0", "x=-1", "x=3x", "x=3xx4",
                          "x=abc", "x=1099511627777", "x=99999999999999999999"}) {
    llvm::Expected<ShapeSpec> spec = parseShapeSpec(bad);
    EXPECT_FALSE(static_cast<bool>(spec)) << bad;
    llvm::consumeError(spec.takeError());
  }
}

TEST(ShapeSpecTest, RejectsDuplicateNames) {
  std::string texts[] = {"a=1x2", "b=3", "a=4"};
  auto specs = parseShapeSpecs(texts);
  ASSERT_FALSE(static_cast<bool>(specs));
  EXPECT_NE(llvm::toString(specs.takeError()).find("'a'"), std::string::npos);
}

TEST(ShapeSpecTest, FormatsShapes) {
  EXPECT_EQ(formatShape({2, 3, 4}), "2x3x4");
  EXPECT_EQ(formatShape({7}), "7");
}

} // namespace
