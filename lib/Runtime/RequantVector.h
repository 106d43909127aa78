//===- RequantVector.h - vector path of requant/requant_add -----*- C++ -*-===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//

#ifndef QCC_LIB_RUNTIME_REQUANTVECTOR_H
#define QCC_LIB_RUNTIME_REQUANTVECTOR_H

#include "Internal.h"

namespace qcc_rt {

/// One rescaled operand of a segment.
struct RequantOperand {
  const void *data;
  int64_t dtype;     // i8, u8, i16 or i32
  int64_t zeroPoint; // subtracted first (|x - zp| must stay <= 2^31)
  /// Multipliers and shifts (int64 holding int32 / [0, 62]).
  const int64_t *multipliers, *shifts;
  /// Whether the parameters are per channel, and whether the channel
  /// varies along the segment (the last dimension) rather than being one
  /// channel for the whole segment.
  bool perAxis, perLane;
};

/// out[i] = clamp(zeroPoint + sum_k applyDyadic(x_k[i] - zp_k, d_k), lo, hi)
/// for i in [begin, begin + length), with d_k the operand's parameter at
/// channel + (i - begin) (perLane), at `channel`, or at 0 (per tensor).
/// Callers guarantee the int64 fast path of applyDyadic applies and sums
/// cannot overflow, and that the CPU has AVX-512 (useVnni()).
void requantSegmentAvx512(const RequantOperand *ops, int numOps, int64_t begin,
                          int64_t length, int64_t channel, int64_t zeroPoint,
                          int64_t lo, int64_t hi, void *out, int64_t outDtype);

} // namespace qcc_rt

#endif // QCC_LIB_RUNTIME_REQUANTVECTOR_H
