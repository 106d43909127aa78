//===- TableVector.h - vector table lookups ---------------------*- C++ -*-===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//
//
// The AVX-512 parts of the kernels that evaluate an elementwise function of
// an 8- or 16-bit input once per distinct input value and map the tensor
// through the resulting table (int_gelu, requant of 8-bit inputs; Integer.cpp
// `tabulate`): the input's range, and the lookup by vpgatherdd. Both only
// move and compare integers, so they give the scalar loops' bytes by
// construction. Callers check useVnni() first.
//
//===----------------------------------------------------------------------===//

#ifndef QCC_LIB_RUNTIME_TABLEVECTOR_H
#define QCC_LIB_RUNTIME_TABLEVECTOR_H

#include "Internal.h"

namespace qcc_rt {

/// Whether the vector lookup reads `inDtype` and writes `outDtype`.
inline bool tableVectorizable(int64_t inDtype, int64_t outDtype) {
  bool in = inDtype == QCC_I8 || inDtype == QCC_U8 || inDtype == QCC_I16;
  bool out = outDtype == QCC_I8 || outDtype == QCC_U8 || outDtype == QCC_I16 ||
             outDtype == QCC_I32;
  return in && out;
}

/// The smallest and largest of elements [begin, begin + n) (n >= 1) of an
/// i8, u8 or i16 array.
void minMaxAvx512(int64_t dtype, const void *data, int64_t begin, int64_t n,
                  int32_t *min, int32_t *max);

/// out[i] = table[in[i] - first] for i in [begin, begin + n), `in` an i8,
/// u8 or i16 array whose elements lie in the table, `table` an array of
/// out's element type (i8, u8, i16 or i32) followed by at least 3 more
/// readable bytes (the lookup loads 4 bytes per entry and keeps the low
/// ones).
void mapTableAvx512(int64_t inDtype, const void *in, int64_t outDtype,
                    void *out, int64_t begin, int64_t n, const void *table,
                    int32_t first);

/// out[i] = table[in[i] ^ flip] for i in [begin, begin + n): a 256-entry
/// byte table held in four registers and looked up 64 bytes at a time with
/// vpermi2b (flip 0x80 for i8 inputs, whose table starts at -128). Callers
/// check useVbmi() first.
void mapBytesVbmi(const uint8_t *in, uint8_t *out, int64_t begin, int64_t n,
                  const uint8_t *table, uint8_t flip);

} // namespace qcc_rt

#endif // QCC_LIB_RUNTIME_TABLEVECTOR_H
