//===- QccDialect.h - qcc dialect -------------------------------*- C++ -*-===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//

#ifndef QCC_DIALECT_QCC_IR_QCCDIALECT_H
#define QCC_DIALECT_QCC_IR_QCCDIALECT_H

#include "mlir/IR/Dialect.h"
#include "mlir/IR/Location.h"

#include "qcc/Dialect/Qcc/IR/QccOpsDialect.h.inc"

#include <string>

namespace mlir::qcc {

/// The ONNX node name an op was imported from: the first NameLoc in its
/// location (fused locations included), or "" when there is none.
std::string getNodeName(Location loc);

} // namespace mlir::qcc

#endif // QCC_DIALECT_QCC_IR_QCCDIALECT_H
