//===- ElementwiseKernels.h - generated kernels for op groups ---*- C++ -*-===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//
//
// The part of the CPU backend that generates code rather than calling the
// runtime: each elementwise group (FuseElementwise.h) becomes a row kernel
//
//   func.func private @NAME(%in0: memref<R x C x T0>, ..., %out: memref<R x
//                           C x To>, %begin: index, %end: index)
//
// over a [R, C] view of its tensors: for each row of [begin, end), one
// linalg.generic per 32-element chunk of the row (and one for the rest) on
// memref.subviews, computing the group's ops in int64 arithmetic (arith
// dialect). lowerKernels then vectorizes the linalg ops (linalg::vectorize:
// vector.transfer_read/write and arith on vector<32 x i64>) and lowers
// func/scf/memref/vector/arith to the LLVM dialect with bare-pointer
// arguments. Each kernel is built twice, for AVX-512 (F/BW/VL, the
// llvm.func's target_features) and for the portable target; the runtime
// picks one (qcc_rt_run_generated).
//
//===----------------------------------------------------------------------===//

#ifndef QCC_LIB_TARGET_CPU_ELEMENTWISEKERNELS_H
#define QCC_LIB_TARGET_CPU_ELEMENTWISEKERNELS_H

#include "FuseElementwise.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"

namespace mlir {
class OpPassManager;
namespace qcc {

/// The [rows, cols] view a group's kernel works on: cols is the product of
/// the trailing dimensions of `shape` up to the first that reaches 256
/// elements (all of them for smaller tensors), rows the rest.
std::pair<int64_t, int64_t> getKernelView(ArrayRef<int64_t> shape);

/// Elements one linalg.generic of a kernel covers (the vector length).
constexpr int64_t kKernelChunk = 32;

/// Adds the kernel of `group` to `module` as func.func private @name,
/// marked for AVX-512 when `avx512`.
func::FuncOp buildElementwiseKernel(OpBuilder &b, ModuleOp module,
                                    const ElementwiseGroup &group,
                                    StringRef name, bool avx512);

/// Vectorizes the kernels' linalg ops and lowers them to the LLVM dialect
/// (the rest of `module` must already be LLVM dialect), then gives the
/// AVX-512 kernels their target features.
LogicalResult lowerKernels(ModuleOp module);

/// The passes lowerKernels runs, for qcc-opt: `vectorizeOnly` stops after
/// the vectorization (and the transfer-op lowering).
void buildKernelLoweringPipeline(OpPassManager &pm, bool vectorizeOnly);

} // namespace qcc
} // namespace mlir

#endif // QCC_LIB_TARGET_CPU_ELEMENTWISEKERNELS_H
