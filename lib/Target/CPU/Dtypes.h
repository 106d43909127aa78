//===- Dtypes.h - element types of the CPU target ---------------*- C++ -*-===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//
//
// The runtime dtype (qcc_dtype) and integer range of an element type,
// shared by the lowering and the linear fusion.
//
//===----------------------------------------------------------------------===//

#ifndef QCC_LIB_TARGET_CPU_DTYPES_H
#define QCC_LIB_TARGET_CPU_DTYPES_H

#include "mlir/IR/BuiltinTypes.h"

#include <utility>

namespace mlir::qcc {

/// qcc_dtype of an element type, or -1.
inline int64_t getDType(Type type) {
  if (type.isF32())
    return 0;
  if (auto i = dyn_cast<IntegerType>(type)) {
    if (i.getWidth() == 1)
      return 6;
    if (i.getWidth() == 8)
      return i.isUnsigned() ? 5 : 4;
    if (i.isUnsigned())
      return -1;
    switch (i.getWidth()) {
    case 16:
      return 3;
    case 32:
      return 2;
    case 64:
      return 1;
    default:
      return -1;
    }
  }
  return -1;
}

inline int64_t i64(uint64_t v) { return static_cast<int64_t>(v); }

/// The integer range of an integer type as int64.
inline std::pair<int64_t, int64_t> typeRange(Type type) {
  auto i = cast<IntegerType>(type);
  unsigned w = i.getWidth();
  if (i.isUnsigned())
    return {0, (int64_t(1) << w) - 1};
  return {-(int64_t(1) << (w - 1)), (int64_t(1) << (w - 1)) - 1};
}

} // namespace mlir::qcc

#endif // QCC_LIB_TARGET_CPU_DTYPES_H
