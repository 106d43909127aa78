//===- RuntimeAttentionTest.cpp - qcc_rt_attention ------------------------===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//
//
// The fused attention kernel against a plain reference written here from
// the op definitions: i32 wrapping dot products of q and k per (batch,
// head), the scalar intSoftmaxRow of IntegerMath.h (the interpreter's), the
// product with v and applyDyadic + clamp. Shapes cover the packed VNNI path
// (signed k and v, head_dim a multiple of 4), the gemm() fallback (odd
// head_dim, unsigned k), query and key lengths that are not multiples of 16
// and differ, masks with fully masked batches, and every output type; each
// on 1 and 2 threads with the VNNI path allowed and disabled. Also the
// spread error and bad shapes.
//
//===----------------------------------------------------------------------===//

#include "qcc-c/qcc.h"
#include "qcc/Quant/IntegerMath.h"
#include "qcc/Runtime/RuntimeABI.h"

#include "RuntimeTestUtils.h"

#include "gtest/gtest.h"

#include <cstdlib>
#include <cstring>
#include <set>
#include <string>
#include <vector>

using namespace mlir::qcc;
using namespace qcc_test;

namespace {

struct Case {
  int64_t batch, sq, sk, heads, dim;
  int64_t qType, kType, vType, outType;
  bool mask;
};

int64_t readAs(const std::vector<uint8_t> &data, int64_t dtype, int64_t i) {
  switch (dtype) {
  case QCC_I8:
    return static_cast<int8_t>(data[i]);
  case QCC_U8:
    return data[i];
  case QCC_I16: {
    int16_t v;
    memcpy(&v, data.data() + 2 * i, 2);
    return v;
  }
  default: {
    int32_t v;
    memcpy(&v, data.data() + 4 * i, 4);
    return v;
  }
  }
}

/// qcc_rt_attention's attrs: the softmax parameters, then the six of the
/// requant after P.V.
std::vector<int64_t> getAttentionAttrs(const IntSoftmaxParams &params,
                                       const int64_t rq[6]) {
  std::vector<int64_t> attrs = {params.inputBits,
                                params.toExpScale.multiplier,
                                params.toExpScale.shift,
                                params.polyB,
                                params.polyC,
                                params.toE16.multiplier,
                                params.toE16.shift};
  attrs.insert(attrs.end(), rq, rq + 6);
  return attrs;
}

std::vector<uint8_t> randomBytes(std::mt19937_64 &rng, int64_t dtype,
                                 int64_t n) {
  std::pair<int64_t, int64_t> range = rangeOf(dtype);
  std::vector<uint8_t> v(n);
  for (uint8_t &x : v)
    x = static_cast<uint8_t>(uniform(rng, range.first, range.second));
  return v;
}

using AttentionKernelTest = qcc_test::KernelContextTest;

/// The reference output of `c` as int64 values in [B, Sq, H, D] order.
std::vector<int64_t> reference(const Case &c, const std::vector<uint8_t> &q,
                               const std::vector<uint8_t> &k,
                               const std::vector<uint8_t> &v,
                               const std::vector<int64_t> &mask,
                               const IntSoftmaxParams &params,
                               const int64_t *rq) {
  std::vector<int64_t> out(c.batch * c.sq * c.heads * c.dim);
  std::vector<int32_t> scores(c.sk);
  std::vector<uint8_t> keep(c.sk), prob(c.sq * c.sk);
  int64_t lo = std::max(rq[2], rangeOf(c.outType).first);
  int64_t hi = std::min(rq[3], rangeOf(c.outType).second);
  auto at = [&](int64_t b, int64_t s, int64_t h, int64_t d, int64_t len) {
    return ((b * len + s) * c.heads + h) * c.dim + d;
  };
  for (int64_t b = 0; b < c.batch; ++b)
    for (int64_t h = 0; h < c.heads; ++h) {
      for (int64_t j = 0; j < c.sk; ++j)
        keep[j] = c.mask ? mask[b * c.sk + j] != 0 : 1;
      for (int64_t i = 0; i < c.sq; ++i) {
        for (int64_t j = 0; j < c.sk; ++j) {
          uint32_t sum = 0;
          for (int64_t d = 0; d < c.dim; ++d)
            sum +=
                static_cast<uint32_t>(readAs(q, c.qType, at(b, i, h, d, c.sq)) *
                                      readAs(k, c.kType, at(b, j, h, d, c.sk)));
          scores[j] = static_cast<int32_t>(sum);
        }
        intSoftmaxRow(scores.data(), c.mask ? keep.data() : nullptr, c.sk,
                      params, prob.data() + i * c.sk);
      }
      for (int64_t i = 0; i < c.sq; ++i)
        for (int64_t d = 0; d < c.dim; ++d) {
          uint32_t sum = 0;
          for (int64_t j = 0; j < c.sk; ++j)
            sum += static_cast<uint32_t>(
                prob[i * c.sk + j] * readAs(v, c.vType, at(b, j, h, d, c.sk)));
          int64_t x = static_cast<int32_t>(sum) - rq[0];
          int64_t y = applyDyadic(x, Dyadic{static_cast<int32_t>(rq[4]),
                                            static_cast<int32_t>(rq[5])}) +
                      rq[1];
          out[at(b, i, h, d, c.sq)] = std::min(std::max(y, lo), hi);
        }
    }
  return out;
}

TEST_F(AttentionKernelTest, EqualsReferenceOnBothPaths) {
  const Case cases[] = {
      {2, 16, 16, 3, 64, QCC_I8, QCC_I8, QCC_I8, QCC_I8, true},
      {1, 5, 21, 2, 12, QCC_I8, QCC_I8, QCC_I8, QCC_I8, true},
      {2, 17, 9, 2, 8, QCC_U8, QCC_I8, QCC_I8, QCC_U8, false},
      {1, 9, 20, 2, 6, QCC_I8, QCC_I8, QCC_I8, QCC_I16, true},
      {2, 33, 33, 1, 16, QCC_I8, QCC_U8, QCC_U8, QCC_I32, true},
  };
  std::mt19937_64 rng(20261124);
  for (const Case &c : cases) {
    std::string name = std::to_string(c.batch) + "x" + std::to_string(c.sq) +
                       "x" + std::to_string(c.sk) + "x" +
                       std::to_string(c.heads) + "x" + std::to_string(c.dim) +
                       " " + nameOf(c.qType) + nameOf(c.kType) +
                       nameOf(c.vType) + "->" + nameOf(c.outType);
    int64_t qn = c.batch * c.sq * c.heads * c.dim;
    int64_t kn = c.batch * c.sk * c.heads * c.dim;
    std::vector<uint8_t> q = randomBytes(rng, c.qType, qn);
    std::vector<uint8_t> k = randomBytes(rng, c.kType, kn);
    std::vector<uint8_t> v = randomBytes(rng, c.vType, kn);
    // Batch 0 keeps random keys (at least one), batch 1 none.
    std::vector<int64_t> mask(c.batch * c.sk, 0);
    for (int64_t j = 0; j < c.sk; ++j)
      mask[j] = j == 0 || uniform(rng, 0, 3) != 0;
    // Scores stay below 2^22 in magnitude here (|q k| <= 2^16, D <= 64).
    IntSoftmaxParams params = *makeIntSoftmaxParams(0.05 / c.dim, 24);
    int64_t rq[6] = {3,          c.outType == QCC_U8 ? 100 : -2, -100, 120,
                     1518500250, c.vType == QCC_U8 ? 39 : 37};
    std::vector<int64_t> attrs = getAttentionAttrs(params, rq);
    std::vector<int64_t> expected = reference(c, q, k, v, mask, params, rq);
    // The case exercises the arithmetic, not just the clamp.
    std::set<int64_t> distinct(expected.begin(), expected.end());
    ASSERT_GT(distinct.size(), 20u) << name;

    int64_t qShape[] = {c.batch, c.sq, c.heads, c.dim};
    int64_t kShape[] = {c.batch, c.sk, c.heads, c.dim};
    int64_t maskShape[] = {c.batch, c.sk};
    qcc_rt_tensor inputs[4] = {{q.data(), qShape, 4, c.qType},
                               {k.data(), kShape, 4, c.kType},
                               {v.data(), kShape, 4, c.vType},
                               {mask.data(), maskShape, 2, QCC_I64}};
    for (bool portable : {false, true}) {
      qcc_test::setPortable(portable);
      for (int32_t threads : {1, 2}) {
        ASSERT_EQ(qcc_rt_set_num_threads(rt, threads), QCC_OK);
        std::vector<uint8_t> out(qn * sizeOf(c.outType), 0xa5);
        qcc_rt_tensor output = {out.data(), qShape, 4, c.outType};
        std::string where = name + (portable ? ", portable" : ", vector") +
                            ", " + std::to_string(threads) + " thread(s)";
        ASSERT_EQ(qcc_rt_attention(kernelContext(), inputs, c.mask ? 4 : 3,
                                   &output, attrs.data()),
                  QCC_OK)
            << where << ": " << qcc_rt_last_error(rt);
        int64_t mismatches = 0, first = -1;
        for (int64_t i = 0; i < qn; ++i)
          if (readAs(out, c.outType, i) != expected[i] && !mismatches++)
            first = i;
        EXPECT_EQ(mismatches, 0) << where << ": first at " << first << ", got "
                                 << readAs(out, c.outType, first)
                                 << ", expected " << expected[first];
      }
    }
  }
}

TEST_F(AttentionKernelTest, ReportsSpreadBeyondInputBitsAndBadShapes) {
  std::mt19937_64 rng(7);
  int64_t shape[] = {1, 8, 2, 16};
  std::vector<uint8_t> q = randomBytes(rng, QCC_I8, 256),
                       k = randomBytes(rng, QCC_I8, 256),
                       v = randomBytes(rng, QCC_I8, 256), out(256);
  // Scores reach thousands; 8 input bits promise a spread below 256.
  IntSoftmaxParams params = *makeIntSoftmaxParams(0.01, 8);
  const int64_t rq[6] = {0, 0, -128, 127, 1073741824, 40};
  std::vector<int64_t> attrs = getAttentionAttrs(params, rq);
  qcc_rt_tensor inputs[3] = {{q.data(), shape, 4, QCC_I8},
                             {k.data(), shape, 4, QCC_I8},
                             {v.data(), shape, 4, QCC_I8}};
  qcc_rt_tensor output = {out.data(), shape, 4, QCC_I8};
  for (bool portable : {false, true}) {
    qcc_test::setPortable(portable);
    EXPECT_EQ(
        qcc_rt_attention(kernelContext(), inputs, 3, &output, attrs.data()),
        QCC_ERROR_RUNTIME);
    EXPECT_NE(std::string(qcc_rt_last_error(rt)).find("beyond input_bits"),
              std::string::npos)
        << qcc_rt_last_error(rt);
  }
  int64_t wrong[] = {1, 8, 2, 12};
  qcc_rt_tensor bad = {v.data(), wrong, 4, QCC_I8};
  qcc_rt_tensor mismatched[3] = {inputs[0], inputs[1], bad};
  EXPECT_EQ(
      qcc_rt_attention(kernelContext(), mismatched, 3, &output, attrs.data()),
      QCC_ERROR_RUNTIME);
  qcc_rt_tensor wide = {v.data(), shape, 4, QCC_I16};
  qcc_rt_tensor widened[3] = {inputs[0], inputs[1], wide};
  EXPECT_NE(
      qcc_rt_attention(kernelContext(), widened, 3, &output, attrs.data()),
      QCC_OK);
}

} // namespace
