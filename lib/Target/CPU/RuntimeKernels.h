//===- RuntimeKernels.h - runtime kernel of each integer op -----*- C++ -*-===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//
//
// Which qcc_rt_<kernel> (RuntimeABI.h) runs an op of the integer graph that
// no fused chain or generated kernel absorbed, and the int64 attribute array
// it reads.
//
//===----------------------------------------------------------------------===//

#ifndef QCC_LIB_TARGET_CPU_RUNTIMEKERNELS_H
#define QCC_LIB_TARGET_CPU_RUNTIMEKERNELS_H

#include "mlir/IR/Operation.h"
#include "mlir/Support/LLVM.h"

#include <string>

namespace mlir::qcc {

/// The attribute array of `op` in the RuntimeABI.h layout and the kernel's
/// name (without the qcc_rt_ prefix), or an error at `op` for ops without a
/// kernel.
LogicalResult getRuntimeKernel(Operation *op, std::string &name,
                               SmallVectorImpl<int64_t> &attrs);

} // namespace mlir::qcc

#endif // QCC_LIB_TARGET_CPU_RUNTIMEKERNELS_H
