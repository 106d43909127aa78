//===- MatchUtils.h - helpers for graph-recognition patterns ----*- C++ -*-===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//

#ifndef QCC_LIB_DIALECT_QCC_TRANSFORMS_MATCHUTILS_H
#define QCC_LIB_DIALECT_QCC_TRANSFORMS_MATCHUTILS_H

#include "qcc/Dialect/Qcc/IR/QccOps.h"

#include "mlir/IR/Matchers.h"

#include <cmath>
#include <optional>

namespace mlir::qcc {

/// The value of `v` if it is a constant f32 tensor with one repeated value
/// (a splat, or a single element of any rank).
inline std::optional<float> getSplatF32(Value v) {
  DenseFPElementsAttr attr;
  if (!v || !matchPattern(v, m_Constant(&attr)) ||
      !attr.getElementType().isF32())
    return std::nullopt;
  if (attr.isSplat())
    return attr.getSplatValue<float>();
  return std::nullopt;
}

/// Whether `v` is a splat f32 constant within `tolerance` (relative) of
/// `expected`.
inline bool isSplatNear(Value v, double expected, double tolerance = 1e-4) {
  std::optional<float> value = getSplatF32(v);
  return value && std::fabs(*value - expected) <=
                      tolerance * std::max(1.0, std::fabs(expected));
}

/// If `op` is a commutative binary op of type OpTy with `a` as one operand,
/// returns the other operand.
template <typename OpTy>
Value otherOperand(OpTy op, Value a) {
  if (op.getLhs() == a)
    return op.getRhs();
  if (op.getRhs() == a)
    return op.getLhs();
  return {};
}

} // namespace mlir::qcc

#endif // QCC_LIB_DIALECT_QCC_TRANSFORMS_MATCHUTILS_H
