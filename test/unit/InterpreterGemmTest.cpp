//===- InterpreterGemmTest.cpp - tests of the interpreter's GEMMs -*- C++
//-*-===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//
//
// The blocked GEMM against a naive triple loop in double (float) or int64
// (integers), on every instruction set the host runs, over shapes with odd
// tails; the row-table GEMM against gemmF32; and the determinism the
// interpreter promises: identical bits for any thread count, and for a row
// computed alone or within a product.
//
//===----------------------------------------------------------------------===//

#include "qcc/Interpreter/Gemm.h"
#include "qcc/Interpreter/WorkerPool.h"

#include "gtest/gtest.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

using namespace mlir::qcc;

namespace {

std::vector<float> randomFloats(size_t n, std::mt19937 &rng) {
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> values(n);
  for (float &v : values)
    v = dist(rng);
  return values;
}

/// Checks C (m x n, ldc) against the exact product, with a bound relative to
/// the sum of the magnitudes of the products (float rounding of k terms).
void expectNearProduct(int64_t m, int64_t n, int64_t k,
                       const std::vector<float> &a, int64_t lda,
                       const std::vector<float> &b, int64_t ldb,
                       const std::vector<float> &c, int64_t ldc,
                       const std::string &what) {
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double exact = 0.0, magnitude = 0.0;
      for (int64_t p = 0; p < k; ++p) {
        double product = double(a[i * lda + p]) * double(b[p * ldb + j]);
        exact += product;
        magnitude += std::fabs(product);
      }
      double bound = 2.0 * (k + 1) * 6e-8 * magnitude + 1e-30;
      ASSERT_LE(std::fabs(c[i * ldc + j] - exact), bound)
          << what << " at (" << i << ", " << j << ")";
    }
}

TEST(InterpreterGemmTest, MatchesNaiveProductOnOddShapes) {
  const int64_t sizes[] = {1, 2, 3, 7, 16, 17, 33, 64, 65};
  std::mt19937 rng(42);
  for (GemmIsa isa : getSupportedGemmIsas())
    for (int64_t m : sizes)
      for (int64_t n : sizes)
        for (int64_t k : sizes) {
          std::vector<float> a = randomFloats(m * k, rng);
          std::vector<float> b = randomFloats(k * n, rng);
          std::vector<float> c(m * n, NAN);
          gemmF32(m, n, k, a.data(), k, b.data(), n, c.data(), n, nullptr, isa);
          expectNearProduct(m, n, k, a, k, b, n, c, n,
                            getGemmIsaName(isa).str() + " " +
                                std::to_string(m) + "x" + std::to_string(n) +
                                "x" + std::to_string(k));
          if (HasFatalFailure())
            return;
        }
}

TEST(InterpreterGemmTest, MatchesNaiveProductAcrossBlocks) {
  // Shapes crossing the K block (kGemmKC), the M block and the N panel.
  struct Shape {
    int64_t m, n, k;
  };
  const Shape shapes[] = {
      {5, 9, 2 * kGemmKC + 3}, {300, 19, 40},  {9, 2100, 7},
      {131, 77, kGemmKC + 1},  {1, 1000, 600}, {2, 33, 1100}};
  std::mt19937 rng(7);
  WorkerPool pool(3);
  for (GemmIsa isa : getSupportedGemmIsas())
    for (const Shape &s : shapes) {
      // Leading dimensions larger than the rows, to check strided access.
      int64_t lda = s.k + 3, ldb = s.n + 5, ldc = s.n + 1;
      std::vector<float> a = randomFloats(s.m * lda, rng);
      std::vector<float> b = randomFloats(s.k * ldb, rng);
      std::vector<float> c(s.m * ldc, 1234.0f);
      gemmF32(s.m, s.n, s.k, a.data(), lda, b.data(), ldb, c.data(), ldc, &pool,
              isa);
      expectNearProduct(s.m, s.n, s.k, a, lda, b, ldb, c, ldc,
                        getGemmIsaName(isa).str() + " " + std::to_string(s.m) +
                            "x" + std::to_string(s.n) + "x" +
                            std::to_string(s.k));
      // Padding columns of C are left alone.
      for (int64_t i = 0; i < s.m; ++i)
        EXPECT_EQ(c[i * ldc + s.n], 1234.0f);
    }
}

TEST(InterpreterGemmTest, ZeroDepthGivesZeros) {
  std::vector<float> c(6, 5.0f);
  gemmF32(2, 3, 0, nullptr, 0, nullptr, 3, c.data(), 3, nullptr);
  for (float v : c)
    EXPECT_EQ(v, 0.0f);
}

TEST(InterpreterGemmTest, ResultsDoNotDependOnThreads) {
  struct Shape {
    int64_t m, n, k;
  };
  const Shape shapes[] = {
      {256, 256, 600}, {1, 3000, 700}, {513, 65, 80}, {70, 4100, 20}};
  std::mt19937 rng(3);
  WorkerPool two(2), five(5);
  for (const Shape &s : shapes) {
    std::vector<float> a = randomFloats(s.m * s.k, rng);
    std::vector<float> b = randomFloats(s.k * s.n, rng);
    std::vector<float> c1(s.m * s.n), c2(s.m * s.n), c5(s.m * s.n);
    gemmF32(s.m, s.n, s.k, a.data(), s.k, b.data(), s.n, c1.data(), s.n,
            nullptr);
    gemmF32(s.m, s.n, s.k, a.data(), s.k, b.data(), s.n, c2.data(), s.n, &two);
    gemmF32(s.m, s.n, s.k, a.data(), s.k, b.data(), s.n, c5.data(), s.n, &five);
    EXPECT_EQ(std::memcmp(c1.data(), c2.data(), c1.size() * sizeof(float)), 0)
        << s.m << "x" << s.n << "x" << s.k << " with 2 threads";
    EXPECT_EQ(std::memcmp(c1.data(), c5.data(), c1.size() * sizeof(float)), 0)
        << s.m << "x" << s.n << "x" << s.k << " with 5 threads";
  }
}

TEST(InterpreterGemmTest, RowAloneEqualsRowInProduct) {
  std::mt19937 rng(11);
  const int64_t m = 37, n = 300, k = 700;
  std::vector<float> a = randomFloats(m * k, rng);
  std::vector<float> b = randomFloats(k * n, rng);
  for (GemmIsa isa : getSupportedGemmIsas()) {
    std::vector<float> full(m * n), row(n);
    gemmF32(m, n, k, a.data(), k, b.data(), n, full.data(), n, nullptr, isa);
    for (int64_t i : {0, 5, 36}) {
      gemmF32(1, n, k, a.data() + i * k, k, b.data(), n, row.data(), n, nullptr,
              isa);
      EXPECT_EQ(std::memcmp(row.data(), full.data() + i * n, n * sizeof(float)),
                0)
          << getGemmIsaName(isa).str() << " row " << i;
    }
  }
}

TEST(InterpreterGemmTest, RowTableEqualsExplicitProduct) {
  // Rows of B scattered over a buffer, overlapping and repeating: the
  // row-table GEMM gives the bits of gemmF32 on the gathered B, on every
  // instruction set and thread count, and never reads past a row's n
  // elements (the buffer ends right after the last row).
  struct Shape {
    int64_t m, n, k;
  };
  const Shape shapes[] = {{1, 1, 1},      {2, 40, 3},   {16, 33, 144},
                          {64, 300, 576}, {7, 65, 257}, {130, 70, 20}};
  std::mt19937 rng(8);
  WorkerPool two(2), five(5);
  for (const Shape &s : shapes) {
    std::vector<float> a = randomFloats(s.m * s.k, rng);
    int64_t span = 3 * s.n;
    std::vector<float> buffer = randomFloats(span, rng);
    std::uniform_int_distribution<int64_t> start(0, span - s.n);
    std::vector<int64_t> offsets(s.k);
    std::vector<float> b(s.k * s.n);
    for (int64_t p = 0; p < s.k; ++p) {
      offsets[p] = p % 5 == 4 ? offsets[p - 1] : start(rng);
      if (p == s.k - 1)
        offsets[p] = span - s.n;
      std::copy_n(buffer.data() + offsets[p], s.n, b.data() + p * s.n);
    }
    std::string what = std::to_string(s.m) + "x" + std::to_string(s.n) + "x" +
                       std::to_string(s.k);
    for (GemmIsa isa : getSupportedGemmIsas()) {
      std::vector<float> expected(s.m * s.n);
      gemmF32(s.m, s.n, s.k, a.data(), s.k, b.data(), s.n, expected.data(), s.n,
              nullptr, isa);
      for (WorkerPool *pool : {(WorkerPool *)nullptr, &two, &five}) {
        // Padded leading dimension: the padding of C is left alone.
        int64_t ldc = s.n + 3;
        std::vector<float> c(s.m * ldc, 1234.0f);
        gemmF32RowTable(s.m, s.n, s.k, a.data(), s.k, buffer.data(),
                        offsets.data(), c.data(), ldc, pool, isa);
        for (int64_t i = 0; i < s.m; ++i) {
          ASSERT_EQ(std::memcmp(c.data() + i * ldc, expected.data() + i * s.n,
                                s.n * sizeof(float)),
                    0)
              << what << " on " << getGemmIsaName(isa).str() << ", row " << i
              << ", " << (pool ? pool->getNumThreads() : 1) << " threads";
          EXPECT_EQ(c[i * ldc + s.n], 1234.0f);
        }
      }
    }
  }
}

template <typename TA, typename TB>
void checkIntProduct(GemmIntType aType, GemmIntType bType, int lo, int hi) {
  std::mt19937 rng(5);
  std::uniform_int_distribution<int> dist(lo, hi);
  const int64_t sizes[] = {1, 3, 17, 65, 300};
  WorkerPool pool(2);
  for (int64_t m : sizes)
    for (int64_t n : sizes)
      for (int64_t k : {1, 7, 64, 333}) {
        std::vector<TA> a(m * k);
        std::vector<TB> b(k * n);
        for (TA &v : a)
          v = static_cast<TA>(dist(rng));
        for (TB &v : b)
          v = static_cast<TB>(dist(rng));
        std::vector<int32_t> c(m * n);
        gemmInt(m, n, k, a.data(), aType, k, b.data(), bType, n, c.data(), n,
                &pool);
        for (int64_t i = 0; i < m; ++i)
          for (int64_t j = 0; j < n; ++j) {
            int64_t exact = 0;
            for (int64_t p = 0; p < k; ++p)
              exact += int64_t(a[i * k + p]) * int64_t(b[p * n + j]);
            ASSERT_EQ(c[i * n + j], exact) << m << "x" << n << "x" << k
                                           << " at (" << i << ", " << j << ")";
          }
      }
}

TEST(InterpreterGemmTest, IntegerProductsAreExact) {
  checkIntProduct<int8_t, int8_t>(GemmIntType::I8, GemmIntType::I8, -128, 127);
  checkIntProduct<uint8_t, int8_t>(GemmIntType::UI8, GemmIntType::I8, 0, 127);
  checkIntProduct<int8_t, uint8_t>(GemmIntType::I8, GemmIntType::UI8, 0, 127);
  checkIntProduct<uint8_t, uint8_t>(GemmIntType::UI8, GemmIntType::UI8, 0, 255);
  checkIntProduct<int32_t, int32_t>(GemmIntType::I32, GemmIntType::I32, -3000,
                                    3000);
}

TEST(InterpreterGemmTest, IntegerAccumulationWraps) {
  // 2 * (2^30 * 2) = 2^32 wraps to 0; 3 * 2^30 wraps to -2^30.
  std::vector<int32_t> a = {1 << 30, 1 << 30, 1 << 30};
  std::vector<int32_t> b = {2, 2, 1};
  int32_t c = 7;
  gemmInt(1, 1, 2, a.data(), GemmIntType::I32, 2, b.data(), GemmIntType::I32, 1,
          &c, 1, nullptr);
  EXPECT_EQ(c, 0);
  gemmInt(1, 1, 3, a.data(), GemmIntType::I32, 3,
          std::vector<int32_t>{1, 1, 1}.data(), GemmIntType::I32, 1, &c, 1,
          nullptr);
  EXPECT_EQ(c, -(1 << 30));
}

TEST(InterpreterGemmTest, WorkerPoolCoversRangeOnce) {
  for (unsigned threads : {1u, 2u, 4u}) {
    WorkerPool pool(threads);
    EXPECT_EQ(pool.getNumThreads(), threads);
    for (int64_t size : {0, 1, 5, 1000, 12345}) {
      std::vector<int> hits(size, 0);
      pool.parallelFor(size, 7, [&](int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end; ++i)
          ++hits[i];
        // A nested loop covers its range (serially when the outer loop
        // runs in parallel; an outer loop of one chunk runs on the caller
        // alone, and then its nested loop may use the pool).
        std::atomic<int> nested = 0;
        pool.parallelFor(10, 1, [&](int64_t b, int64_t e) { nested += e - b; });
        EXPECT_EQ(nested, 10);
      });
      for (int h : hits)
        ASSERT_EQ(h, 1);
    }
  }
}

TEST(InterpreterGemmTest, WorkerPoolRunsBackToBackLoops) {
  // Many short loops in a row, as the interpreter issues them: helpers that
  // are still spinning, or late, must never run a chunk twice, skip one or
  // run a chunk of a finished loop.
  WorkerPool pool(3);
  std::vector<std::atomic<int>> hits(200);
  for (int loop = 0; loop < 20000; ++loop) {
    int64_t size = 1 + (loop * 37) % 200;
    pool.parallelFor(size, 1 + loop % 3, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i)
        hits[i].fetch_add(1, std::memory_order_relaxed);
    });
    for (int64_t i = 0; i < 200; ++i)
      ASSERT_EQ(hits[i].exchange(0), i < size ? 1 : 0)
          << "loop " << loop << ", element " << i;
  }
}

} // namespace
