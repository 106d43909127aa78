//===- QccDialect.h - qcc dialect -------------------------------*- C++ -*-===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//

#ifndef QCC_DIALECT_QCC_IR_QCCDIALECT_H
#define QCC_DIALECT_QCC_IR_QCCDIALECT_H

#include "mlir/IR/Dialect.h"

#include "qcc/Dialect/Qcc/IR/QccOpsDialect.h.inc"

#endif // QCC_DIALECT_QCC_IR_QCCDIALECT_H
