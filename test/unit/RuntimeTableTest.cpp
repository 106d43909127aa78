//===- RuntimeTableTest.cpp - tabulated int_gelu and requant ----*- C++ -*-===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//
//
// int_gelu, per-tensor requant and lookup of 8- and 16-bit inputs evaluate
// the function once per value of the input's range and map the tensor
// through that table, with vpgatherdd on the AVX-512 path and vpermi2b for
// 8-bit to 8-bit tables with VBMI (lib/Runtime/TableAvx512.cpp, Integer.cpp
// `tabulate`). These tests run the kernels on 1
// and 2 threads with the vector path allowed and disabled (QCC_DISABLE_VNNI)
// and require every element to equal the scalar definition:
//   int_gelu: clamp(applyDyadic(iGelu(x, params), rescale), lo, hi)
//   requant:  clamp(applyDyadic(x - inZp, d) + outZp, max(lo, min),
//                   min(hi, max))
// on i8, u8 and i16 inputs (uniform over the type, narrow, constant, only
// the type's extremes, a cluster with one outlier, the whole i16 range) of
// 1 to 300000 elements (tables used and declined), into i8, u8, i16 and i32
// outputs, with i-GELU parameters for input scales 1e-6 to 0.25 and random
// dyadics (any int32 multiplier, shifts 0 to 62), zero points and bounds.
// lookup: every element equals its table entry. Then minMaxAvx512 and
// mapTableAvx512 directly at every offset and length up to 40, and
// mapBytesVbmi up to 200 (the masked tails).
//
//===----------------------------------------------------------------------===//

#include "../../lib/Runtime/TableVector.h"

#include "qcc-c/qcc.h"
#include "qcc/Quant/IntegerMath.h"
#include "qcc/Runtime/RuntimeABI.h"

#include "RuntimeTestUtils.h"

#include "gtest/gtest.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

using namespace mlir::qcc;
using namespace qcc_test;

namespace {

constexpr int64_t kInDtypes[] = {QCC_I8, QCC_U8, QCC_I16};
constexpr int64_t kOutDtypes[] = {QCC_I8, QCC_U8, QCC_I16, QCC_I32};
constexpr int kPatterns = 6;

/// n values of `dtype` following `pattern`.
std::vector<int32_t> randomValues(std::mt19937_64 &rng, int64_t dtype,
                                  int64_t n, int pattern) {
  auto [lo, hi] = rangeOf(dtype);
  std::vector<int32_t> v(n);
  int64_t center = uniform(rng, lo, hi);
  int64_t width = uniform(rng, 1, 300);
  for (int64_t i = 0; i < n; ++i) {
    switch (pattern) {
    case 0: // uniform over the type
      v[i] = static_cast<int32_t>(uniform(rng, lo, hi));
      break;
    case 1: // narrow
      v[i] = static_cast<int32_t>(
          std::clamp(center + uniform(rng, -width, width), lo, hi));
      break;
    case 2: // constant
      v[i] = static_cast<int32_t>(center);
      break;
    case 3: // only the extremes
      v[i] = static_cast<int32_t>(uniform(rng, 0, 1) ? lo : hi);
      break;
    case 4: // a cluster and one outlier
      v[i] = static_cast<int32_t>(
          std::clamp(center + uniform(rng, -width, width), lo, hi));
      if (i == n / 2)
        v[i] = static_cast<int32_t>(uniform(rng, 0, 1) ? lo : hi);
      break;
    default: // the type's whole range, in order, then random
      v[i] =
          static_cast<int32_t>(i < hi - lo + 1 ? lo + i : uniform(rng, lo, hi));
      break;
    }
  }
  return v;
}

std::vector<uint8_t> encode(int64_t dtype, const std::vector<int32_t> &v) {
  size_t size = sizeOf(dtype);
  std::vector<uint8_t> bytes(v.size() * size);
  for (size_t i = 0; i < v.size(); ++i)
    std::memcpy(bytes.data() + i * size, &v[i], size); // little endian
  return bytes;
}

int64_t decode(int64_t dtype, const uint8_t *data, int64_t i) {
  switch (dtype) {
  case QCC_I8:
    return reinterpret_cast<const int8_t *>(data)[i];
  case QCC_U8:
    return data[i];
  case QCC_I16: {
    int16_t x;
    std::memcpy(&x, data + 2 * i, 2);
    return x;
  }
  default: {
    int32_t x;
    std::memcpy(&x, data + 4 * i, 4);
    return x;
  }
  }
}

Dyadic randomDyadic(std::mt19937_64 &rng) {
  Dyadic d;
  d.multiplier = static_cast<int32_t>(uniform(rng, INT32_MIN, INT32_MAX));
  if (uniform(rng, 0, 1))
    d.multiplier = static_cast<int32_t>(uniform(rng, 1 << 30, INT32_MAX));
  d.shift = static_cast<int32_t>(uniform(rng, 0, 62));
  return d;
}

class TableKernelTest : public qcc_test::KernelContextTest {
protected:
  /// Runs `kernel` on an output poisoned with 0xa5 with the vector path
  /// allowed and disabled, on 1 and 2 threads, and compares every element
  /// with `expected`.
  template <typename Kernel>
  void runBothPaths(Kernel kernel, int64_t outDtype,
                    const std::vector<int64_t> &expected,
                    const std::string &what) {
    int64_t n = static_cast<int64_t>(expected.size());
    for (bool portable : {false, true}) {
      qcc_test::setPortable(portable);
      for (int32_t threads : {1, 2}) {
        ASSERT_EQ(qcc_rt_set_num_threads(rt, threads), QCC_OK);
        std::vector<uint8_t> out(n * sizeOf(outDtype) + 16, 0xa5);
        std::string where = what + ", " + (portable ? "portable" : "vector") +
                            ", " + std::to_string(threads) + " thread(s)";
        ASSERT_EQ(kernel(out.data()), QCC_OK)
            << where << ": " << qcc_rt_last_error(rt);
        for (int64_t i = 0; i < n; ++i)
          ASSERT_EQ(decode(outDtype, out.data(), i), expected[i])
              << where << ": element " << i;
        for (size_t i = n * sizeOf(outDtype); i < out.size(); ++i)
          ASSERT_EQ(out[i], 0xa5) << where << ": wrote past the end";
      }
    }
    qcc_test::setPortable(false);
  }

  std::mt19937_64 rng{20261124};
};

const int64_t kSizes[] = {1, 17, 1000, 5000, 70000, 300000};

TEST_F(TableKernelTest, GeluEqualsIGelu) {
  // The parameters makeIGeluParams gives over scales 1e-6 to 0.25 (it
  // declines some, where clip^2 > one after the rounding).
  std::vector<std::pair<double, IGeluParams>> params;
  for (double scale = 1e-6; scale <= 0.25; scale *= 1.37)
    if (std::optional<IGeluParams> p = makeIGeluParams(scale))
      params.push_back({scale, *p});
  if (std::optional<IGeluParams> p = makeIGeluParams(0.25))
    params.push_back({0.25, *p});
  ASSERT_GE(params.size(), 20u);
  int cases = 0;
  for (int64_t n : kSizes)
    for (int64_t inDtype : kInDtypes)
      for (int64_t outDtype : kOutDtypes) {
        // Large tensors only for one output type each, to bound the time.
        if (n >= 70000 && outDtype != kOutDtypes[n % 4])
          continue;
        int pattern = static_cast<int>(uniform(rng, 0, kPatterns - 1));
        if (n == 300000)
          pattern = 5;
        auto [scale, p] = params[uniform(rng, 0, params.size() - 1)];
        Dyadic rescale = randomDyadic(rng);
        std::vector<int32_t> values = randomValues(rng, inDtype, n, pattern);
        std::vector<uint8_t> in = encode(inDtype, values);
        auto [lo, hi] = rangeOf(outDtype);
        std::vector<int64_t> expected(n);
        for (int64_t i = 0; i < n; ++i)
          expected[i] =
              std::clamp(applyDyadic(iGelu(values[i], p), rescale), lo, hi);
        std::vector<int64_t> attrs = {p.clip, p.one, p.erfShift,
                                      rescale.multiplier, rescale.shift};
        int64_t shape[] = {n};
        qcc_rt_tensor tensor{in.data(), shape, 1, inDtype};
        std::string what = "gelu n " + std::to_string(n) + " " +
                           nameOf(inDtype) + " to " + nameOf(outDtype) +
                           " pattern " + std::to_string(pattern) + " scale " +
                           std::to_string(scale);
        runBothPaths(
            [&](uint8_t *out) {
              qcc_rt_tensor o{out, shape, 1, outDtype};
              return qcc_rt_int_gelu(kernelContext(), &tensor, 1, &o,
                                     attrs.data());
            },
            outDtype, expected, what);
        ++cases;
      }
  std::printf("[measured] %d int_gelu tensors, each on both paths and 1 and "
              "2 threads: identical to iGelu + applyDyadic\n",
              cases);
}

TEST_F(TableKernelTest, RequantEqualsApplyDyadic) {
  int cases = 0;
  for (int64_t n : kSizes)
    for (int64_t inDtype : kInDtypes)
      for (int64_t outDtype : kOutDtypes)
        for (int variant = 0; variant < 2; ++variant) {
          if (n >= 70000 && (variant || outDtype != kOutDtypes[n % 4]))
            continue;
          int pattern = static_cast<int>(uniform(rng, 0, kPatterns - 1));
          if (n == 300000)
            pattern = 5;
          Dyadic d = randomDyadic(rng);
          // Variant 1: zero points and narrower bounds, as the compiler
          // emits for LayerNorm inputs.
          int64_t inZp = variant ? uniform(rng, -300, 300) : 0;
          int64_t outZp = variant ? uniform(rng, -100, 100) : 0;
          auto [lo, hi] = rangeOf(outDtype);
          int64_t mn = variant ? uniform(rng, lo, lo / 2) : INT64_MIN;
          int64_t mx = variant ? uniform(rng, hi / 2, hi) : INT64_MAX;
          int64_t clo = std::max(lo, mn), chi = std::min(hi, mx);
          std::vector<int32_t> values = randomValues(rng, inDtype, n, pattern);
          std::vector<uint8_t> in = encode(inDtype, values);
          std::vector<int64_t> expected(n);
          for (int64_t i = 0; i < n; ++i)
            expected[i] =
                std::clamp(applyDyadic(values[i] - inZp, d) + outZp, clo, chi);
          std::vector<int64_t> attrs = {0,  inZp, outZp,        mn,
                                        mx, 1,    d.multiplier, d.shift};
          int64_t shape[] = {n};
          qcc_rt_tensor tensor{in.data(), shape, 1, inDtype};
          std::string what = "requant n " + std::to_string(n) + " " +
                             nameOf(inDtype) + " to " + nameOf(outDtype) +
                             " pattern " + std::to_string(pattern) +
                             " variant " + std::to_string(variant);
          runBothPaths(
              [&](uint8_t *out) {
                qcc_rt_tensor o{out, shape, 1, outDtype};
                return qcc_rt_requant(kernelContext(), &tensor, 1, &o,
                                      attrs.data());
              },
              outDtype, expected, what);
          ++cases;
        }
  std::printf("[measured] %d requant tensors, each on both paths and 1 and "
              "2 threads: identical to applyDyadic\n",
              cases);
}

TEST_F(TableKernelTest, LookupEqualsTable) {
  int cases = 0;
  for (int64_t n : kSizes)
    for (int64_t inDtype : {QCC_I8, QCC_U8})
      for (int64_t outDtype : kOutDtypes) {
        auto [lo, hi] = rangeOf(outDtype);
        std::vector<int64_t> attrs = {256};
        for (int i = 0; i < 256; ++i)
          attrs.push_back(uniform(rng, lo, hi));
        int pattern = static_cast<int>(uniform(rng, 0, kPatterns - 1));
        std::vector<int32_t> values = randomValues(rng, inDtype, n, pattern);
        std::vector<uint8_t> in = encode(inDtype, values);
        int64_t offset = inDtype == QCC_I8 ? 128 : 0;
        std::vector<int64_t> expected(n);
        for (int64_t i = 0; i < n; ++i)
          expected[i] = attrs[1 + values[i] + offset];
        int64_t shape[] = {n};
        qcc_rt_tensor tensor{in.data(), shape, 1, inDtype};
        std::string what = "lookup n " + std::to_string(n) + " " +
                           nameOf(inDtype) + " to " + nameOf(outDtype) +
                           " pattern " + std::to_string(pattern);
        runBothPaths(
            [&](uint8_t *out) {
              qcc_rt_tensor o{out, shape, 1, outDtype};
              return qcc_rt_lookup(kernelContext(), &tensor, 1, &o,
                                   attrs.data());
            },
            outDtype, expected, what);
        ++cases;
      }
  std::printf("[measured] %d lookup tensors, each on both paths and 1 and 2 "
              "threads: identical to the table\n",
              cases);
}

TEST(TableVectorTest, ByteTableAtEveryTail) {
  unsetenv("QCC_DISABLE_VNNI");
  if (!qcc_rt::useVbmi())
    GTEST_SKIP() << "no AVX-512 VBMI on this CPU";
  std::mt19937_64 rng(11);
  std::vector<uint8_t> table(256);
  for (uint8_t flip : {0x00, 0x80})
    for (int64_t begin = 0; begin < 70; begin += 3)
      for (int64_t n = 1; n <= 200; ++n) {
        for (uint8_t &e : table)
          e = static_cast<uint8_t>(uniform(rng, 0, 255));
        std::vector<uint8_t> in(begin + n);
        for (uint8_t &x : in)
          x = static_cast<uint8_t>(uniform(rng, 0, 255));
        std::vector<uint8_t> out(begin + n + 64, 0xa5);
        qcc_rt::mapBytesVbmi(in.data(), out.data(), begin, n, table.data(),
                             flip);
        for (int64_t i = 0; i < begin; ++i)
          ASSERT_EQ(out[i], 0xa5);
        for (int64_t i = begin; i < begin + n; ++i)
          ASSERT_EQ(out[i], table[in[i] ^ flip])
              << "flip " << int(flip) << " begin " << begin << " n " << n
              << " element " << i;
        for (size_t i = begin + n; i < out.size(); ++i)
          ASSERT_EQ(out[i], 0xa5);
      }
}

TEST(TableVectorTest, RangeAndLookupAtEveryTail) {
  unsetenv("QCC_DISABLE_VNNI");
  if (!qcc_rt::useVnni())
    GTEST_SKIP() << "no AVX-512 VNNI on this CPU";
  std::mt19937_64 rng(7);
  for (int64_t inDtype : kInDtypes)
    for (int64_t outDtype : kOutDtypes)
      for (int64_t begin = 0; begin < 20; ++begin)
        for (int64_t n = 1; n <= 40; ++n) {
          std::vector<int32_t> values = randomValues(
              rng, inDtype, begin + n, static_cast<int>(uniform(rng, 0, 4)));
          std::vector<uint8_t> in = encode(inDtype, values);
          int32_t mn = 0, mx = 0;
          qcc_rt::minMaxAvx512(inDtype, in.data(), begin, n, &mn, &mx);
          auto first = values.begin() + begin, last = values.end();
          ASSERT_EQ(mn, *std::min_element(first, last));
          ASSERT_EQ(mx, *std::max_element(first, last));
          int64_t size = int64_t(mx) - mn + 1;
          std::vector<int32_t> entries(size);
          for (int32_t &e : entries)
            e = static_cast<int32_t>(uniform(rng, INT32_MIN, INT32_MAX));
          std::vector<uint8_t> table = encode(outDtype, entries);
          table.resize(table.size() + 3, 0x5a);
          std::vector<uint8_t> out((begin + n) * sizeOf(outDtype) + 8, 0xa5);
          qcc_rt::mapTableAvx512(inDtype, in.data(), outDtype, out.data(),
                                 begin, n, table.data(), mn);
          for (int64_t i = 0; i < begin * int64_t(sizeOf(outDtype)); ++i)
            ASSERT_EQ(out[i], 0xa5);
          for (int64_t i = begin; i < begin + n; ++i)
            ASSERT_EQ(decode(outDtype, out.data(), i),
                      decode(outDtype, table.data(), values[i] - mn))
                << nameOf(inDtype) << " to " << nameOf(outDtype) << " begin "
                << begin << " n " << n << " element " << i;
          for (size_t i = (begin + n) * sizeOf(outDtype); i < out.size(); ++i)
            ASSERT_EQ(out[i], 0xa5);
        }
}

} // namespace
