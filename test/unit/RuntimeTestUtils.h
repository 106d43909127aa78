//===- RuntimeTestUtils.h - helpers of the runtime kernel tests -*- C++ -*-===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//
//
// Element-type facts, random integers and the kernel-context fixture shared
// by the tests that compare runtime kernels with the scalar reference
// functions.
//
//===----------------------------------------------------------------------===//

#ifndef QCC_TEST_UNIT_RUNTIMETESTUTILS_H
#define QCC_TEST_UNIT_RUNTIMETESTUTILS_H

#include "qcc-c/qcc.h"
#include "qcc/Runtime/RuntimeABI.h"

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdlib>
#include <cstdint>
#include <random>
#include <utility>

namespace qcc_test {

/// The value range of an integer qcc_dtype (i32 for anything else).
inline std::pair<int64_t, int64_t> rangeOf(int64_t dtype) {
  switch (dtype) {
  case QCC_I8:
    return {INT8_MIN, INT8_MAX};
  case QCC_U8:
    return {0, UINT8_MAX};
  case QCC_I16:
    return {INT16_MIN, INT16_MAX};
  default:
    return {INT32_MIN, INT32_MAX};
  }
}

/// Bytes per element of i8, u8, i16 or i32.
inline size_t sizeOf(int64_t dtype) {
  return dtype == QCC_I32 ? 4 : dtype == QCC_I16 ? 2 : 1;
}

/// "i8", "u8", "i16" or "i32".
inline const char *nameOf(int64_t dtype) {
  switch (dtype) {
  case QCC_I8:
    return "i8";
  case QCC_U8:
    return "u8";
  case QCC_I16:
    return "i16";
  default:
    return "i32";
  }
}

/// A uniform integer in [lo, hi].
inline int64_t uniform(std::mt19937_64 &rng, int64_t lo, int64_t hi) {
  return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
}

/// Disables (`portable`) or allows the runtime's AVX-512 paths
/// (QCC_DISABLE_VNNI, read by the kernels at every call).
inline void setPortable(bool portable) {
  if (portable)
    setenv("QCC_DISABLE_VNNI", "1", 1);
  else
    unsetenv("QCC_DISABLE_VNNI");
}

/// A fixture with a kernel context (qcc_rt_create_kernel_context), destroyed
/// afterwards with the AVX-512 paths allowed again.
class KernelContextTest : public ::testing::Test {
protected:
  KernelContextTest() { EXPECT_EQ(qcc_rt_create_kernel_context(&rt), QCC_OK); }
  ~KernelContextTest() override {
    qcc_rt_destroy(rt);
    setPortable(false);
  }
  qcc_rt_context *kernelContext() {
    return reinterpret_cast<qcc_rt_context *>(rt);
  }

  qcc_context *rt = nullptr;
};

} // namespace qcc_test

#endif // QCC_TEST_UNIT_RUNTIMETESTUTILS_H
