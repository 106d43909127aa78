//===- Generated.cpp - running the compiler's generated kernels -----------===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//
//
// The CPU backend compiles groups of elementwise integer ops into row
// kernels of its own (lib/Target/CPU/ElementwiseKernels.cpp), twice: for
// AVX-512 F/BW/VL and for the portable target. This entry point picks one
// by CPUID (QCC_DISABLE_VNNI=1 forces the portable one, as for the
// runtime's own AVX-512 kernels) and splits the rows over the context's
// threads.
//
//===----------------------------------------------------------------------===//

#include "Internal.h"

using namespace qcc_rt;

extern "C" int32_t qcc_rt_run_generated(qcc_rt_context *ctx,
                                        qcc_rt_task_fn avx512,
                                        qcc_rt_task_fn portable,
                                        void *const *ptrs, int64_t rows,
                                        int64_t grain) {
  qcc_rt_task_fn task = useAvx512() ? avx512 : portable;
  parallelFor(ctx, rows, grain < 1 ? 1 : grain,
              [&](int64_t begin, int64_t end) { task(ptrs, begin, end); });
  return QCC_OK;
}
