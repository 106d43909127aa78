//===- GemmVnni.cpp - AVX-512 VNNI 8-bit matrix product ---------*- C++ -*-===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//

#include "Gemm.h"

using namespace qcc_rt;

bool qcc_rt::gemmVnni(qcc_rt_context *, int64_t, int64_t, int64_t,
                      const void *, bool, int64_t, const void *, bool, int64_t,
                      int32_t *, int64_t) {
  return false;
}
