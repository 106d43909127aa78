//===- QccOps.h - qcc dialect operations ------------------------*- C++ -*-===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//

#ifndef QCC_DIALECT_QCC_IR_QCCOPS_H
#define QCC_DIALECT_QCC_IR_QCCOPS_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "qcc/Dialect/Qcc/IR/QccDialect.h"

#include "qcc/Dialect/Qcc/IR/QccOpsEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "qcc/Dialect/Qcc/IR/QccOpsAttrs.h.inc"

namespace mlir::qcc {

/// Infers the result of a NumPy-broadcasting binary op: the broadcast shape
/// of `lhs` and `rhs`, whose element types must agree. The result element
/// type is `resultElementType` if given, else the operands'.
LogicalResult inferBroadcastResult(std::optional<Location> loc, Value lhs,
                                   Value rhs, Type resultElementType,
                                   SmallVectorImpl<Type> &inferred);

/// Infers the result of a reduction of `input` over `axes`.
LogicalResult inferReduceResult(std::optional<Location> loc, Value input,
                                ArrayRef<int64_t> axes, bool keepDims,
                                SmallVectorImpl<Type> &inferred);

/// Result type of qcc.attention for the given operands (bias and keyMask
/// may be null), or failure with a diagnostic at `loc` if given.
FailureOr<RankedTensorType> inferAttentionType(std::optional<Location> loc,
                                               Value q, Value k, Value v,
                                               Value bias, Value keyMask);

/// Computes the NumPy broadcast of two shapes; fails if incompatible.
FailureOr<SmallVector<int64_t>> broadcastShapes(ArrayRef<int64_t> lhs,
                                                ArrayRef<int64_t> rhs);

} // namespace mlir::qcc

#define GET_OP_CLASSES
#include "qcc/Dialect/Qcc/IR/QccOps.h.inc"

#endif // QCC_DIALECT_QCC_IR_QCCOPS_H
