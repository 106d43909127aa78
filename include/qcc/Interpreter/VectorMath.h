//===- VectorMath.h - the interpreter's float math functions ----*- C++ -*-===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//
//
// The elementwise float functions of the interpreter (qcc.exp, erf, tanh,
// sigmoid, and the exponentials of softmax and attention) are computed by
// the interpreter's own vectorised implementations, not the C library's, so
// that they vectorise; exposed here for testing their accuracy on every
// instruction set. See lib/Interpreter/Kernels/Simd.h.
//
//===----------------------------------------------------------------------===//

#ifndef QCC_INTERPRETER_VECTORMATH_H
#define QCC_INTERPRETER_VECTORMATH_H

#include "qcc/Interpreter/Gemm.h"

#include <cstdint>

namespace mlir::qcc {

enum class VectorFunction { Exp, Erf, Tanh, Sigmoid };

/// out[i] = fn(in[i]) for i < n, computed for instruction set `isa` (which
/// the host must support; GemmIsa names the kernels' instruction sets).
void evaluateVectorFunction(VectorFunction fn, const float *in, float *out,
                            int64_t n, GemmIsa isa = GemmIsa::Best);

} // namespace mlir::qcc

#endif // QCC_INTERPRETER_VECTORMATH_H
