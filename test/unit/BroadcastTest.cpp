//===- BroadcastTest.cpp - NumPy broadcasting vs MLIR's helper --*- C++ -*-===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//
//
// qcc::broadcastShapes is checked exhaustively over small shapes against
// MLIR's independent OpTrait::util::getBroadcastedShape.
//
//===----------------------------------------------------------------------===//

#include "qcc/Dialect/Qcc/IR/QccOps.h"

#include "mlir/Dialect/Traits.h"

#include "gtest/gtest.h"

using namespace mlir;

namespace {

/// All shapes of rank <= maxRank with dims in {1, 2, 3}.
std::vector<SmallVector<int64_t>> smallShapes(int maxRank) {
  std::vector<SmallVector<int64_t>> shapes = {{}};
  std::vector<SmallVector<int64_t>> frontier = {{}};
  for (int rank = 1; rank <= maxRank; ++rank) {
    std::vector<SmallVector<int64_t>> next;
    for (const auto &shape : frontier)
      for (int64_t d : {1, 2, 3}) {
        SmallVector<int64_t> extended = shape;
        extended.push_back(d);
        next.push_back(extended);
      }
    shapes.insert(shapes.end(), next.begin(), next.end());
    frontier = std::move(next);
  }
  return shapes;
}

TEST(BroadcastTest, AgreesWithMLIROnAllSmallShapes) {
  std::vector<SmallVector<int64_t>> shapes = smallShapes(3);
  int compatible = 0, incompatible = 0;
  for (const auto &a : shapes)
    for (const auto &b : shapes) {
      SmallVector<int64_t> expected;
      bool ok = OpTrait::util::getBroadcastedShape(a, b, expected);
      FailureOr<SmallVector<int64_t>> actual = qcc::broadcastShapes(a, b);
      ASSERT_EQ(ok, succeeded(actual));
      if (ok) {
        EXPECT_EQ(*actual, expected);
        ++compatible;
      } else {
        ++incompatible;
      }
    }
  // Both outcomes must have been exercised for the test to mean anything.
  EXPECT_GT(compatible, 100);
  EXPECT_GT(incompatible, 100);
}

} // namespace
