//===- FusedLinearTest.cpp - qcc_rt_linear vs a naive oracle ----*- C++ -*-===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//
//
// The fused linear kernel (packLinear + qcc_rt_linear) against a reference
// written here from the definitions of docs/IntegerSemantics.md: the sum of
// products and bias in exact integers wrapped to int32, then each dyadic
// as floor((x * m + 2^(s-1)) / 2^s) in 128-bit arithmetic, the zero point
// or residual, and the clamp. Matmuls and convolutions (strides, padding,
// dilation, groups, 1-D, a 1x1 kernel read in place, an output larger than
// one position tile; every 2-D one-group undilated one also with the weights
// in the direct layout), i8 and u8 activations, every epilogue (with a
// requant to an 8-bit intermediate before the residual add, too) and output
// type, per-tensor and per-channel dyadics (negative multipliers, shift 0),
// on 1 and 2 threads, with the AVX-512 VNNI tiles allowed and disabled.
//
//===----------------------------------------------------------------------===//

#include "qcc-c/qcc.h"
#include "qcc/Runtime/PackedLinear.h"
#include "qcc/Runtime/RuntimeABI.h"

#include "gtest/gtest.h"

#include <cstdlib>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

using namespace qcc_rt;

namespace {

using Shape = std::vector<int64_t>;

struct Epilogue {
  LinearEpilogue kind = LinearEpilogue::None;
  int64_t outDtype = QCC_I32;
  int64_t lo = 0, hi = 0, zeroPoint = 0;
  std::vector<int32_t> mul, shift, resMul, resShift;
  int64_t residualDtype = QCC_I8;
  // RequantThenAdd: the 8-bit intermediate and its dyadics.
  int64_t midLo = 0, midHi = 0, midZeroPoint = 0;
  std::vector<int32_t> addMul, addShift;
};

int64_t getBytes(int64_t dtype) {
  return dtype == QCC_I32 ? 4 : dtype == QCC_I16 ? 2 : 1;
}

int64_t rangeLo(int64_t dtype) {
  switch (dtype) {
  case QCC_I8:
    return -128;
  case QCC_U8:
    return 0;
  case QCC_I16:
    return -32768;
  default:
    return INT32_MIN;
  }
}

int64_t rangeHi(int64_t dtype) {
  switch (dtype) {
  case QCC_I8:
    return 127;
  case QCC_U8:
    return 255;
  case QCC_I16:
    return 32767;
  default:
    return INT32_MAX;
  }
}

/// Values stored as int64, written/read in the dtype's bytes.
std::vector<uint8_t> toBytes(const std::vector<int64_t> &v, int64_t dtype) {
  int64_t b = getBytes(dtype);
  std::vector<uint8_t> out(v.size() * b);
  for (size_t i = 0; i < v.size(); ++i)
    std::memcpy(out.data() + i * b, &v[i], b); // little-endian truncation
  return out;
}

int64_t readAt(const std::vector<uint8_t> &bytes, int64_t dtype, size_t i) {
  switch (dtype) {
  case QCC_I8:
    return static_cast<int8_t>(bytes[i]);
  case QCC_U8:
    return bytes[i];
  case QCC_I16: {
    int16_t v;
    std::memcpy(&v, bytes.data() + 2 * i, 2);
    return v;
  }
  default: {
    int32_t v;
    std::memcpy(&v, bytes.data() + 4 * i, 4);
    return v;
  }
  }
}

int64_t dyadic(int64_t x, int32_t m, int32_t s) {
  __int128 p = static_cast<__int128>(x) * m;
  if (s > 0)
    p += static_cast<__int128>(1) << (s - 1);
  return static_cast<int64_t>(p >> s); // floor
}

/// The epilogue of the exact sum `acc` (int64) for channel c.
int bits_out(int64_t dtype) { return 8 * static_cast<int>(getBytes(dtype)); }

int64_t reference(const Epilogue &e, int64_t acc, int64_t c, int64_t residual) {
  int32_t x = static_cast<int32_t>(static_cast<uint32_t>(acc));
  if (e.kind == LinearEpilogue::None)
    return x;
  size_t i = e.mul.size() == 1 ? 0 : c;
  int64_t v = dyadic(x, e.mul[i], e.shift[i]);
  if (e.kind == LinearEpilogue::Requant) {
    v += e.zeroPoint;
  } else {
    if (e.kind == LinearEpilogue::RequantThenAdd) {
      v += e.midZeroPoint;
      v = v < e.midLo ? e.midLo : v > e.midHi ? e.midHi : v;
      size_t a = e.addMul.size() == 1 ? 0 : c;
      v = dyadic(v, e.addMul[a], e.addShift[a]);
    }
    size_t j = e.resMul.size() == 1 ? 0 : c;
    v += dyadic(residual, e.resMul[j], e.resShift[j]);
  }
  return v < e.lo ? e.lo : v > e.hi ? e.hi : v;
}

/// The expected outputs of an m x k by k x n matmul (exact int64 sums plus
/// the bias, then `reference`); `res` holds m * n residuals or is empty.
std::vector<int64_t> referenceMatMul(const Epilogue &e,
                                     const std::vector<int64_t> &xv,
                                     const std::vector<int64_t> &wv,
                                     const std::vector<int64_t> &bias,
                                     const std::vector<int64_t> &res, int64_t m,
                                     int64_t k, int64_t n) {
  std::vector<int64_t> expected(m * n);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t c = 0; c < n; ++c) {
      int64_t acc = bias[c];
      for (int64_t kk = 0; kk < k; ++kk)
        acc += xv[i * k + kk] * wv[kk * n + c];
      expected[i * n + c] =
          reference(e, acc, c, res.empty() ? 0 : res[i * n + c]);
    }
  return expected;
}

class FusedLinearTest : public ::testing::Test {
protected:
  FusedLinearTest() { EXPECT_EQ(qcc_rt_create_kernel_context(&ctx), QCC_OK); }
  ~FusedLinearTest() override {
    qcc_rt_destroy(ctx);
    unsetenv("QCC_DISABLE_VNNI");
  }

  std::vector<int64_t> random(size_t n, int64_t lo, int64_t hi) {
    std::uniform_int_distribution<int64_t> d(lo, hi);
    std::vector<int64_t> v(n);
    for (auto &x : v)
      x = d(rng);
    // Extremes first, so every case sees them.
    if (n > 1)
      v[0] = lo, v[1] = hi;
    return v;
  }

  /// `special`: channels 1 and 2 get shifts 0 and 30 (so the kernel's
  /// int32 Requant path, isNarrowRequant, is off for per-channel scales).
  Epilogue randomEpilogue(LinearEpilogue kind, int64_t outDtype, int64_t n,
                          bool perChannel, int64_t k, bool special = true) {
    Epilogue e;
    e.kind = kind;
    e.outDtype = kind == LinearEpilogue::None ? QCC_I32 : outDtype;
    e.lo = rangeLo(e.outDtype);
    e.hi = rangeHi(e.outDtype);
    if (kind == LinearEpilogue::None)
      return e;
    // Narrowed bounds for a ReLU-like clamp sometimes.
    if (e.outDtype == QCC_I32 && kind != LinearEpilogue::Requant)
      e.lo = -(1 << 21), e.hi = (1 << 21);
    if (e.outDtype == QCC_I8 && (rng() & 1))
      e.lo = 0;
    if (kind == LinearEpilogue::Requant && e.outDtype != QCC_I32)
      e.zeroPoint = (e.lo + e.hi) / 8;
    size_t count = perChannel ? n : 1;
    // Shifts that bring k * 2^14 products into the output range, some
    // exact copies (2^30, shift 30), a sign flip and a shift 0.
    // RequantThenAdd: the accumulator goes to an 8-bit intermediate.
    bool mid = kind == LinearEpilogue::RequantThenAdd;
    if (mid) {
      bool isUnsigned = rng() & 1;
      e.midLo = isUnsigned ? 0 : -128;
      e.midHi = isUnsigned ? 255 : 127;
      if (rng() & 1)
        e.midLo += 3, e.midHi -= 5;
      e.midZeroPoint = isUnsigned ? 100 : -3;
    }
    int bits = 8 * static_cast<int>(getBytes(mid ? QCC_I8 : e.outDtype));
    int shift = 31 + 14 + (k > 64 ? 6 : 3) - bits + 2;
    for (size_t c = 0; c < count; ++c) {
      e.mul.push_back(static_cast<int32_t>(
          random(1, int64_t(1) << 30, (int64_t(1) << 31) - 1)[0]));
      e.shift.push_back(shift + static_cast<int>(rng() % 3));
      e.resMul.push_back(static_cast<int32_t>(
          random(1, int64_t(1) << 30, (int64_t(1) << 31) - 1)[0]));
      e.resShift.push_back(30 + static_cast<int>(rng() % 3));
      // The intermediate (|x| <= 255) scaled up to the output's size.
      e.addMul.push_back(static_cast<int32_t>(
          random(1, int64_t(1) << 30, (int64_t(1) << 31) - 1)[0]));
      e.addShift.push_back(31 - (bits_out(e.outDtype) - 8) +
                           static_cast<int>(rng() % 3));
    }
    e.mul[0] = -e.mul[0];
    if (count > 2 && special) {
      e.mul[1] = 1, e.shift[1] = 0;
      e.mul[2] = 1 << 30, e.shift[2] = 30;
      e.resMul[2] = -(1 << 30), e.resShift[2] = 0;
      e.addMul[1] = -e.addMul[1], e.addMul[2] = 1, e.addShift[2] = 0;
    }
    return e;
  }

  /// Packs, runs qcc_rt_linear on every thread count and path, and compares
  /// with `expected`.
  void runAndCompare(const std::string &what, LinearSpec spec,
                     const Epilogue &e, const qcc_rt_tensor &x,
                     const Shape &outShape,
                     const std::vector<uint8_t> &residual,
                     const std::vector<int64_t> &attrs,
                     const std::vector<int64_t> &expected);

  std::mt19937_64 rng{1234};
  qcc_context *ctx = nullptr;
};

void FusedLinearTest::runAndCompare(const std::string &what, LinearSpec spec,
                                    const Epilogue &e, const qcc_rt_tensor &x,
                                    const Shape &outShape,
                                    const std::vector<uint8_t> &residual,
                                    const std::vector<int64_t> &attrs,
                                    const std::vector<int64_t> &expected) {
  spec.epilogue = e.kind;
  spec.outputDtype = e.outDtype;
  spec.lo = e.lo;
  spec.hi = e.hi;
  spec.zeroPoint = e.zeroPoint;
  spec.multiplier = e.mul.data();
  spec.shift = e.shift.data();
  spec.numScales = static_cast<int64_t>(e.mul.size());
  spec.residualDtype = e.residualDtype;
  spec.residualMultiplier = e.resMul.data();
  spec.residualShift = e.resShift.data();
  spec.numResidualScales = static_cast<int64_t>(e.resMul.size());
  spec.midLo = e.midLo;
  spec.midHi = e.midHi;
  spec.midZeroPoint = e.midZeroPoint;
  spec.addMultiplier = e.addMul.data();
  spec.addShift = e.addShift.data();
  spec.numAddScales = static_cast<int64_t>(e.addMul.size());
  const char *why = checkLinearSpec(spec);
  ASSERT_EQ(why, nullptr) << what << ": " << why;
  size_t size = getPackedLinearSize(spec);
  std::vector<uint8_t> storage(size + 64);
  uint8_t *blob = storage.data() +
                  (64 - reinterpret_cast<uintptr_t>(storage.data()) % 64) % 64;
  ASSERT_TRUE(packLinear(spec, blob));
  int64_t blobShape[] = {static_cast<int64_t>(size)};
  int64_t numel = 1;
  for (int64_t d : outShape)
    numel *= d;
  std::vector<qcc_rt_tensor> inputs = {x, {blob, blobShape, 1, QCC_U8}};
  if (hasResidual(e.kind))
    inputs.push_back({const_cast<uint8_t *>(residual.data()), outShape.data(),
                      static_cast<int64_t>(outShape.size()), e.residualDtype});
  for (int threads : {1, 2})
    for (bool portable : {false, true}) {
      if (portable)
        setenv("QCC_DISABLE_VNNI", "1", 1);
      else
        unsetenv("QCC_DISABLE_VNNI");
      ASSERT_EQ(qcc_rt_set_num_threads(ctx, threads), QCC_OK);
      std::vector<uint8_t> out(numel * getBytes(e.outDtype), 0xA5);
      qcc_rt_tensor o = {out.data(), outShape.data(),
                         static_cast<int64_t>(outShape.size()), e.outDtype};
      auto *kctx = reinterpret_cast<qcc_rt_context *>(ctx);
      ASSERT_EQ(qcc_rt_linear(kctx, inputs.data(),
                              static_cast<int64_t>(inputs.size()), &o,
                              attrs.empty() ? nullptr : attrs.data()),
                QCC_OK)
          << what << ": " << qcc_rt_last_error(ctx);
      int64_t bad = 0;
      for (int64_t i = 0; i < numel && bad < 5; ++i)
        if (readAt(out, e.outDtype, i) != expected[i]) {
          ADD_FAILURE() << what << " threads=" << threads
                        << (portable ? " portable" : " vnni") << ": element "
                        << i << " is " << readAt(out, e.outDtype, i)
                        << ", expected " << expected[i];
          ++bad;
        }
    }
}

struct MatMulCase {
  int64_t m, k, n;
};

TEST_F(FusedLinearTest, MatMulEveryEpilogue) {
  const MatMulCase cases[] = {{1, 1, 1},      {3, 5, 17},    {9, 64, 48},
                              {17, 130, 33},  {64, 768, 50}, {1, 300, 100},
                              {100, 1001, 40}};
  const LinearEpilogue kinds[] = {LinearEpilogue::None, LinearEpilogue::Requant,
                                  LinearEpilogue::RequantAdd,
                                  LinearEpilogue::RequantThenAdd};
  const int64_t outTypes[] = {QCC_I8, QCC_U8, QCC_I16, QCC_I32};
  int variant = 0;
  for (const MatMulCase &mc : cases)
    for (int64_t bits : {8, 4})
      for (int64_t act : {QCC_I8, QCC_U8})
        for (LinearEpilogue kind : kinds)
          for (int64_t outType : outTypes) {
            if (kind == LinearEpilogue::None && outType != QCC_I32)
              continue;
            ++variant;
            bool perChannel = variant % 3 != 0;
            std::vector<int64_t> xv = act == QCC_I8
                                          ? random(mc.m * mc.k, -128, 127)
                                          : random(mc.m * mc.k, 0, 255);
            std::vector<int64_t> wv = bits == 4
                                          ? random(mc.k * mc.n, -8, 7)
                                          : random(mc.k * mc.n, -128, 127);
            std::vector<int64_t> bias = random(mc.n, -100000, 100000);
            Epilogue e = randomEpilogue(kind, outType, mc.n, perChannel, mc.k,
                                        variant % 4 != 1);
            e.residualDtype = variant % 2 ? QCC_I8 : QCC_I32;
            std::vector<int64_t> res =
                e.residualDtype == QCC_I8
                    ? random(mc.m * mc.n, -128, 127)
                    : random(mc.m * mc.n, -(1 << 20), 1 << 20);
            std::vector<int64_t> expected =
                referenceMatMul(e, xv, wv, bias, res, mc.m, mc.k, mc.n);
            std::vector<uint8_t> xb = toBytes(xv, act);
            std::vector<int8_t> w(wv.begin(), wv.end());
            std::vector<int32_t> b(bias.begin(), bias.end());
            Shape xs = {mc.m, mc.k}, os = {mc.m, mc.n};
            LinearSpec spec;
            spec.kind = LinearKind::MatMul;
            spec.k = mc.k;
            spec.n = mc.n;
            spec.weights = w.data();
            spec.weightBits = bits;
            spec.bias = b.data();
            spec.activationDtype = act;
            qcc_rt_tensor x = {xb.data(), xs.data(), 2, act};
            std::string what =
                "matmul " + std::to_string(mc.m) + "x" + std::to_string(mc.k) +
                "x" + std::to_string(mc.n) + " w" + std::to_string(bits) +
                " variant " + std::to_string(variant);
            runAndCompare(what, spec, e, x, os, toBytes(res, e.residualDtype),
                          {}, expected);
          }
}

// Activation rows beyond the runtime's L2 budget (512 KiB of interleaved
// rows) make the tiles run in groups of weight panels, chunk by chunk
// (runAllTiles); every output must still be written once, correctly.
TEST_F(FusedLinearTest, MatMulBeyondL2RunsInPanelGroups) {
  const int64_t m = 300, k = 3600, n = 350;
  for (int64_t bits : {8, 4}) {
    LinearEpilogue kind =
        bits == 8 ? LinearEpilogue::None : LinearEpilogue::Requant;
    std::vector<int64_t> xv = random(m * k, -128, 127);
    std::vector<int64_t> wv =
        bits == 4 ? random(k * n, -8, 7) : random(k * n, -128, 127);
    std::vector<int64_t> bias = random(n, -100000, 100000);
    Epilogue e = randomEpilogue(kind, QCC_I8, n, /*perChannel=*/true, k);
    std::vector<int64_t> expected =
        referenceMatMul(e, xv, wv, bias, {}, m, k, n);
    std::vector<uint8_t> xb = toBytes(xv, QCC_I8);
    std::vector<int8_t> w(wv.begin(), wv.end());
    std::vector<int32_t> b(bias.begin(), bias.end());
    Shape xs = {m, k}, os = {m, n};
    LinearSpec spec;
    spec.kind = LinearKind::MatMul;
    spec.k = k;
    spec.n = n;
    spec.weights = w.data();
    spec.weightBits = bits;
    spec.bias = b.data();
    spec.activationDtype = QCC_I8;
    qcc_rt_tensor x = {xb.data(), xs.data(), 2, QCC_I8};
    runAndCompare("matmul 300x3600x350 w" + std::to_string(bits), spec, e, x,
                  os, {}, {}, expected);
  }
}

// The int32 Requant, RequantAdd and RequantThenAdd epilogues
// (isNarrowRequant) at their bounds: wrapped accumulators up to +-2^31,
// multipliers up to +-2^31, shifts 32 and 62 (residual shifts 10), zero points
// near +-2^30, 8-bit residuals at their extremes, every output type, whole and
// narrowed ranges.
TEST_F(FusedLinearTest, NarrowRequantAtItsBounds) {
  const int64_t m = 11, k = 6, n = 37;
  std::vector<int64_t> xv = random(m * k, 0, 255);
  std::vector<int64_t> wv = random(k * n, -128, 127);
  std::vector<int64_t> bias = random(n, std::numeric_limits<int32_t>::min(),
                                     std::numeric_limits<int32_t>::max());
  std::vector<uint8_t> xb = toBytes(xv, QCC_U8);
  std::vector<int8_t> w(wv.begin(), wv.end());
  std::vector<int32_t> b(bias.begin(), bias.end());
  struct Output {
    int64_t dtype, lo, hi, zeroPoint;
  };
  const int64_t near30 = (int64_t(1) << 30) - 1;
  const Output outputs[] = {{QCC_I32, std::numeric_limits<int32_t>::min(),
                             std::numeric_limits<int32_t>::max(), near30},
                            {QCC_I32, std::numeric_limits<int32_t>::min(),
                             std::numeric_limits<int32_t>::max(), -near30},
                            {QCC_I16, -32768, 32767, 7},
                            {QCC_I8, -128, 127, 0},
                            {QCC_I8, -128, 127, -5},
                            {QCC_I8, -20, 127, -20},
                            {QCC_U8, 0, 255, 100},
                            {QCC_U8, 3, 250, 0}};
  for (const Output &o : outputs)
    for (LinearEpilogue kind :
         {LinearEpilogue::Requant, LinearEpilogue::RequantAdd,
          LinearEpilogue::RequantThenAdd}) {
      bool add = kind != LinearEpilogue::Requant;
      Epilogue e;
      e.kind = kind;
      e.outDtype = o.dtype;
      e.lo = o.lo, e.hi = o.hi, e.zeroPoint = add ? 0 : o.zeroPoint;
      // RequantAdd: an 8-bit residual at its extremes, multipliers up to
      // +-(2^31 - 1), shifts down to 10.
      e.residualDtype = o.dtype == QCC_U8 ? QCC_U8 : QCC_I8;
      std::vector<int64_t> res = e.residualDtype == QCC_U8
                                     ? random(m * n, 0, 255)
                                     : random(m * n, -128, 127);
      // Random multipliers from minMul and shifts in [minShift, 62], every
      // `every`-th shift exactly minShift.
      auto dyadics = [&](int64_t minMul, int32_t minShift, int64_t every,
                         std::vector<int32_t> &mul,
                         std::vector<int32_t> &shift) {
        std::vector<int64_t> m =
            random(n, minMul, std::numeric_limits<int32_t>::max());
        std::vector<int64_t> s = random(n, minShift, 62);
        for (int64_t c = 0; c < n; ++c) {
          mul.push_back(static_cast<int32_t>(m[c]));
          shift.push_back(c % every ? static_cast<int32_t>(s[c]) : minShift);
        }
      };
      dyadics(std::numeric_limits<int32_t>::min() + 1, 10, 4, e.resMul,
              e.resShift);
      if (kind == LinearEpilogue::RequantThenAdd) {
        // An 8-bit intermediate, its dyadic's shifts down to 10 too.
        e.midLo = -120, e.midHi = 100, e.midZeroPoint = -7;
        dyadics(std::numeric_limits<int32_t>::min() + 1, 10, 5, e.addMul,
                e.addShift);
      }
      // (packLinear refuses a RequantAdd multiplier of -2^31.)
      dyadics(std::numeric_limits<int32_t>::min() + (add ? 1 : 0), 32, 3, e.mul,
              e.shift);
      std::vector<int64_t> expected =
          referenceMatMul(e, xv, wv, bias, res, m, k, n);
      LinearSpec spec;
      spec.kind = LinearKind::MatMul;
      spec.k = k;
      spec.n = n;
      spec.weights = w.data();
      spec.bias = b.data();
      spec.activationDtype = QCC_U8;
      Shape xs = {m, k}, os = {m, n};
      qcc_rt_tensor x = {xb.data(), xs.data(), 2, QCC_U8};
      runAndCompare(std::string(kind == LinearEpilogue::RequantThenAdd
                                    ? "narrow requant_then_add"
                                : add ? "narrow requant_add"
                                      : "narrow requant") +
                        " to dtype " + std::to_string(o.dtype) + " zp " +
                        std::to_string(e.zeroPoint),
                    spec, e, x, os, toBytes(res, e.residualDtype), {},
                    expected);
    }
}

// Which blobs the kernel may finish in int32.
TEST_F(FusedLinearTest, NarrowRequantNeedsShiftsFrom32AndASmallZeroPoint) {
  const int64_t k = 4, n = 20;
  std::vector<int8_t> w(k * n, 1);
  std::vector<int32_t> mul(n, 1 << 30), shift(n, 40);
  std::vector<int32_t> resShift(n, 31), addShift(n, 40);
  int64_t residualDtype = QCC_I8;
  auto narrow = [&](LinearEpilogue kind, int64_t zeroPoint) {
    LinearSpec spec;
    spec.kind = LinearKind::MatMul;
    spec.k = k;
    spec.n = n;
    spec.weights = w.data();
    spec.activationDtype = QCC_U8;
    spec.epilogue = kind;
    spec.outputDtype = QCC_I32;
    spec.lo = std::numeric_limits<int32_t>::min();
    spec.hi = std::numeric_limits<int32_t>::max();
    spec.zeroPoint = zeroPoint;
    spec.multiplier = mul.data();
    spec.shift = shift.data();
    spec.numScales = n;
    spec.residualDtype = residualDtype;
    spec.residualMultiplier = mul.data();
    spec.residualShift = resShift.data();
    spec.numResidualScales = n;
    spec.midLo = -128, spec.midHi = 127;
    spec.addMultiplier = mul.data();
    spec.addShift = addShift.data();
    spec.numAddScales = n;
    EXPECT_EQ(checkLinearSpec(spec), nullptr);
    std::vector<uint8_t> storage(getPackedLinearSize(spec) + 64);
    uint8_t *blob =
        storage.data() +
        (64 - reinterpret_cast<uintptr_t>(storage.data()) % 64) % 64;
    EXPECT_TRUE(packLinear(spec, blob));
    return isNarrowRequant(*reinterpret_cast<PackedLinearHeader *>(blob));
  };
  EXPECT_TRUE(narrow(LinearEpilogue::Requant, 0));
  EXPECT_TRUE(narrow(LinearEpilogue::Requant, (1 << 30) - 1));
  EXPECT_FALSE(narrow(LinearEpilogue::Requant, 1 << 30));
  EXPECT_FALSE(narrow(LinearEpilogue::Requant, -(1 << 30)));
  EXPECT_FALSE(narrow(LinearEpilogue::None, 0));
  // RequantAdd: an 8-bit residual whose shifts are at least 10.
  EXPECT_TRUE(narrow(LinearEpilogue::RequantAdd, 0));
  resShift[n - 1] = 10;
  EXPECT_TRUE(narrow(LinearEpilogue::RequantAdd, 0));
  resShift[n - 1] = 9;
  EXPECT_FALSE(narrow(LinearEpilogue::RequantAdd, 0));
  resShift[n - 1] = 31;
  residualDtype = QCC_U8;
  EXPECT_TRUE(narrow(LinearEpilogue::RequantAdd, 0));
  residualDtype = QCC_I16;
  EXPECT_FALSE(narrow(LinearEpilogue::RequantAdd, 0));
  residualDtype = QCC_I8;
  // RequantThenAdd: its intermediate's shifts at least 10 as well.
  EXPECT_TRUE(narrow(LinearEpilogue::RequantThenAdd, 0));
  addShift[n - 1] = 9;
  EXPECT_FALSE(narrow(LinearEpilogue::RequantThenAdd, 0));
  addShift[n - 1] = 40;
  shift[n - 1] = 31;
  EXPECT_FALSE(narrow(LinearEpilogue::Requant, 0));
  EXPECT_FALSE(narrow(LinearEpilogue::RequantAdd, 0));
  shift[n - 1] = 62;
  EXPECT_TRUE(narrow(LinearEpilogue::Requant, 0));
}

struct ConvCase {
  Shape input;  // N, C, spatial...
  Shape kernel; // spatial
  int64_t filters, groups;
  Shape strides, pads, dilations; // pads: begins then ends
};

TEST_F(FusedLinearTest, ConvGeometries) {
  const ConvCase cases[] = {
      {{2, 8, 6, 7}, {1, 1}, 16, 1, {1, 1}, {0, 0, 0, 0}, {1, 1}},
      {{1, 3, 9, 9}, {3, 3}, 5, 1, {1, 1}, {1, 1, 1, 1}, {1, 1}},
      {{1, 4, 11, 10}, {3, 3}, 20, 1, {2, 2}, {1, 0, 1, 0}, {1, 1}},
      {{1, 6, 12, 12}, {3, 3}, 9, 1, {1, 1}, {2, 2, 2, 2}, {2, 2}},
      {{2, 8, 7, 7}, {3, 3}, 12, 2, {1, 1}, {1, 1, 1, 1}, {1, 1}},
      {{1, 5, 40}, {5}, 7, 1, {3}, {2, 2}, {1}},
      {{1, 2, 9, 9}, {1, 1}, 4, 1, {2, 2}, {0, 0, 0, 0}, {1, 1}},
      // ResNet's stem: stride 2 over rows long enough for the vector copy.
      {{1, 3, 48, 48}, {7, 7}, 8, 1, {2, 2}, {3, 3, 3, 3}, {1, 1}},
      // An output larger than one position tile (k4 = 576: 896 positions).
      {{1, 64, 45, 45}, {3, 3}, 8, 1, {1, 1}, {1, 1, 1, 1}, {1, 1}},
      // Filter rows longer than one 4-bit unpacking chunk (k = 1152).
      {{1, 128, 5, 5}, {3, 3}, 11, 1, {1, 1}, {1, 1, 1, 1}, {1, 1}},
      // For the direct layout: a partial channel quad, strides (3, 2) with
      // an asymmetric kernel and padding, stride 4 with a kernel of 5, a
      // 1 x 1 image, padding wider than the kernel reach (narrow rows, a
      // block over many of them), rows longer than one 256-position chunk
      // at strides 1 and 2, a layer4-like 7 x 7 map with 17 filters.
      {{1, 5, 9, 13}, {3, 3}, 7, 1, {1, 1}, {1, 1, 1, 1}, {1, 1}},
      {{2, 3, 10, 7}, {2, 3}, 6, 1, {3, 2}, {0, 2, 1, 0}, {1, 1}},
      {{1, 4, 17, 17}, {5, 5}, 3, 1, {4, 4}, {2, 1, 2, 1}, {1, 1}},
      {{1, 4, 1, 1}, {1, 1}, 3, 1, {1, 1}, {0, 0, 0, 0}, {1, 1}},
      {{1, 8, 4, 3}, {3, 3}, 4, 1, {1, 1}, {2, 2, 2, 2}, {1, 1}},
      {{1, 4, 2, 300}, {1, 3}, 3, 1, {1, 1}, {0, 1, 0, 1}, {1, 1}},
      {{1, 4, 2, 600}, {1, 3}, 3, 1, {1, 2}, {0, 1, 0, 1}, {1, 1}},
      {{1, 16, 7, 7}, {3, 3}, 17, 1, {1, 1}, {1, 1, 1, 1}, {1, 1}},
  };
  int variant = 0;
  for (const ConvCase &cc : cases) {
    int64_t n = static_cast<int64_t>(cc.kernel.size());
    int64_t batch = cc.input[0], channels = cc.input[1];
    int64_t cpg = channels / cc.groups, mg = cc.filters / cc.groups;
    Shape outSp(n);
    int64_t inSize = 1, outSize = 1, kernelSize = 1;
    for (int64_t d = 0; d < n; ++d) {
      int64_t span = (cc.kernel[d] - 1) * cc.dilations[d] + 1;
      outSp[d] = (cc.input[2 + d] + cc.pads[d] + cc.pads[n + d] - span) /
                     cc.strides[d] +
                 1;
      inSize *= cc.input[2 + d];
      outSize *= outSp[d];
      kernelSize *= cc.kernel[d];
    }
    int64_t k = cpg * kernelSize;
    Shape outShape = {batch, cc.filters};
    outShape.insert(outShape.end(), outSp.begin(), outSp.end());
    bool directOk = supportsDirectConv(n, cc.groups, cc.dilations.data());
    for (bool direct : {false, true})
      for (int64_t bits : {8, 4})
        for (int64_t act : {QCC_I8, QCC_U8})
          for (LinearEpilogue kind :
               {LinearEpilogue::None, LinearEpilogue::Requant,
                LinearEpilogue::RequantAdd, LinearEpilogue::RequantThenAdd}) {
            if (direct && !directOk)
              continue;
            ++variant;
            int64_t outType = variant % 3 == 0   ? QCC_I16
                              : variant % 3 == 1 ? QCC_U8
                                                 : QCC_I8;
            if (kind == LinearEpilogue::RequantAdd && variant % 2)
              outType = QCC_I32;
            std::vector<int64_t> xv =
                act == QCC_I8 ? random(batch * channels * inSize, -128, 127)
                              : random(batch * channels * inSize, 0, 255);
            std::vector<int64_t> wv = bits == 4
                                          ? random(cc.filters * k, -8, 7)
                                          : random(cc.filters * k, -128, 127);
            std::vector<int64_t> bias = random(cc.filters, -50000, 50000);
            Epilogue e =
                randomEpilogue(kind, outType, cc.filters, variant % 4 != 0, k);
            e.residualDtype = variant % 2 ? QCC_I16 : QCC_U8;
            int64_t numel = batch * cc.filters * outSize;
            std::vector<int64_t> res = e.residualDtype == QCC_I16
                                           ? random(numel, -30000, 30000)
                                           : random(numel, 0, 255);
            std::vector<int64_t> expected(numel);
            for (int64_t img = 0; img < batch; ++img)
              for (int64_t f = 0; f < cc.filters; ++f) {
                int64_t grp = f / mg;
                for (int64_t p = 0; p < outSize; ++p) {
                  int64_t acc = bias[f];
                  for (int64_t ci = 0; ci < cpg; ++ci)
                    for (int64_t kp = 0; kp < kernelSize; ++kp) {
                      int64_t offset = 0, rest = p, krest = kp;
                      bool valid = true;
                      int64_t opos[8], kpos[8];
                      for (int64_t d = n - 1; d >= 0; --d) {
                        opos[d] = rest % outSp[d], rest /= outSp[d];
                        kpos[d] = krest % cc.kernel[d], krest /= cc.kernel[d];
                      }
                      for (int64_t d = 0; d < n; ++d) {
                        int64_t i = opos[d] * cc.strides[d] - cc.pads[d] +
                                    kpos[d] * cc.dilations[d];
                        valid &= i >= 0 && i < cc.input[2 + d];
                        offset = offset * cc.input[2 + d] + i;
                      }
                      if (!valid)
                        continue;
                      int64_t c = grp * cpg + ci;
                      acc += xv[(img * channels + c) * inSize + offset] *
                             wv[f * k + ci * kernelSize + kp];
                    }
                  int64_t idx = (img * cc.filters + f) * outSize + p;
                  expected[idx] = reference(e, acc, f, res[idx]);
                }
              }
            std::vector<uint8_t> xb = toBytes(xv, act);
            std::vector<int8_t> w(wv.begin(), wv.end());
            std::vector<int32_t> b(bias.begin(), bias.end());
            LinearSpec spec;
            spec.kind = LinearKind::Conv;
            spec.k = k;
            spec.n = cc.filters;
            spec.weights = w.data();
            spec.weightBits = bits;
            spec.bias = b.data();
            spec.activationDtype = act;
            spec.convChannels = direct ? cpg : 0;
            std::vector<int64_t> attrs = {cc.groups, n};
            attrs.insert(attrs.end(), cc.strides.begin(), cc.strides.end());
            attrs.push_back(2 * n);
            attrs.insert(attrs.end(), cc.pads.begin(), cc.pads.end());
            attrs.push_back(n);
            attrs.insert(attrs.end(), cc.dilations.begin(), cc.dilations.end());
            attrs.push_back(n);
            attrs.insert(attrs.end(), cc.kernel.begin(), cc.kernel.end());
            qcc_rt_tensor x = {xb.data(), cc.input.data(),
                               static_cast<int64_t>(cc.input.size()), act};
            std::string what = "conv case " + std::to_string(&cc - cases) +
                               (direct ? " direct" : "") + " w" +
                               std::to_string(bits) + " variant " +
                               std::to_string(variant);
            runAndCompare(what, spec, e, x, outShape,
                          toBytes(res, e.residualDtype), attrs, expected);
          }
  }
}

TEST_F(FusedLinearTest, SpecsThatCannotBePackedSayWhy) {
  int8_t w[4] = {1, 2, 3, 4};
  int32_t m = 1 << 30, s = 63, minM = INT32_MIN, s30 = 30;
  LinearSpec spec;
  spec.k = 2;
  spec.n = 2;
  spec.weights = w;
  EXPECT_EQ(checkLinearSpec(spec), nullptr);
  spec.activationDtype = QCC_I16;
  EXPECT_STREQ(checkLinearSpec(spec), "the activation is not 8-bit");
  spec.activationDtype = QCC_I8;
  spec.weightBits = 2;
  EXPECT_STREQ(checkLinearSpec(spec), "weights are neither 8- nor 4-bit");
  spec.weightBits = 4;
  EXPECT_EQ(checkLinearSpec(spec), nullptr);
  w[3] = 8;
  EXPECT_STREQ(checkLinearSpec(spec), "a 4-bit weight outside [-8, 7]");
  w[3] = -9;
  EXPECT_STREQ(checkLinearSpec(spec), "a 4-bit weight outside [-8, 7]");
  w[3] = -8;
  EXPECT_EQ(checkLinearSpec(spec), nullptr);
  spec.weightBits = 8;
  // The direct layout is for convolutions whose k is channels x taps.
  spec.convChannels = 2;
  EXPECT_STREQ(checkLinearSpec(spec),
               "convChannels is not the channel count of a convolution");
  spec.kind = LinearKind::Conv;
  EXPECT_EQ(checkLinearSpec(spec), nullptr);
  spec.convChannels = 3;
  EXPECT_STREQ(checkLinearSpec(spec),
               "convChannels is not the channel count of a convolution");
  spec.convChannels = -1;
  EXPECT_STREQ(checkLinearSpec(spec),
               "convChannels is not the channel count of a convolution");
  spec.convChannels = 0;
  spec.kind = LinearKind::MatMul;
  spec.epilogue = LinearEpilogue::Requant;
  spec.outputDtype = QCC_I8;
  spec.lo = -128;
  spec.hi = 127;
  spec.multiplier = &m;
  spec.shift = &s;
  spec.numScales = 1;
  EXPECT_STREQ(checkLinearSpec(spec), "a shift outside [0, 62]");
  spec.shift = &s30;
  EXPECT_EQ(checkLinearSpec(spec), nullptr);
  spec.hi = 128;
  EXPECT_STREQ(checkLinearSpec(spec), "clamp bounds outside the output type");
  spec.hi = 127;
  spec.epilogue = LinearEpilogue::RequantAdd;
  spec.residualDtype = QCC_I8;
  spec.residualMultiplier = &minM;
  spec.residualShift = &s30;
  spec.numResidualScales = 1;
  EXPECT_STREQ(checkLinearSpec(spec), "a residual-add multiplier of -2^31");
  spec.numResidualScales = 3;
  EXPECT_STREQ(checkLinearSpec(spec),
               "dyadics must have one entry or one per output channel");
  std::vector<uint8_t> out(4096, 0x5A);
  EXPECT_FALSE(packLinear(spec, out.data()));
  EXPECT_EQ(out[0], 0x5A);
}

TEST_F(FusedLinearTest, CorruptBlobsAndWrongOperandsAreErrors) {
  int8_t w[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  LinearSpec spec;
  spec.k = 4;
  spec.n = 2;
  spec.weights = w;
  spec.activationDtype = QCC_U8;
  size_t size = getPackedLinearSize(spec);
  alignas(64) static uint8_t blob[4096];
  ASSERT_LE(size, sizeof(blob));
  ASSERT_TRUE(packLinear(spec, blob));
  uint8_t xdata[4] = {1, 2, 3, 4};
  int32_t odata[2];
  int64_t xs[] = {1, 4}, os[] = {1, 2}, bs[] = {static_cast<int64_t>(size)};
  qcc_rt_tensor in[2] = {{xdata, xs, 2, QCC_U8}, {blob, bs, 1, QCC_U8}};
  qcc_rt_tensor out = {odata, os, 2, QCC_I32};
  auto *kctx = reinterpret_cast<qcc_rt_context *>(ctx);
  ASSERT_EQ(qcc_rt_linear(kctx, in, 2, &out, nullptr), QCC_OK);
  EXPECT_EQ(odata[0], 1 * 1 + 2 * 3 + 3 * 5 + 4 * 7);
  EXPECT_EQ(odata[1], 1 * 2 + 2 * 4 + 3 * 6 + 4 * 8);
  in[0].dtype = QCC_I8;
  EXPECT_EQ(qcc_rt_linear(kctx, in, 2, &out, nullptr), QCC_ERROR_RUNTIME);
  in[0].dtype = QCC_U8;
  int64_t wrongK[] = {1, 3};
  in[0].shape = wrongK;
  EXPECT_EQ(qcc_rt_linear(kctx, in, 2, &out, nullptr), QCC_ERROR_RUNTIME);
  EXPECT_NE(std::string(qcc_rt_last_error(ctx)).find("shapes"),
            std::string::npos);
  in[0].shape = xs;
  blob[0] ^= 1;
  EXPECT_EQ(qcc_rt_linear(kctx, in, 2, &out, nullptr), QCC_ERROR_RUNTIME);
  EXPECT_NE(std::string(qcc_rt_last_error(ctx)).find("corrupt"),
            std::string::npos);
  blob[0] ^= 1;
  qcc_rt_tensor three[3] = {in[0], in[1], in[0]};
  EXPECT_EQ(qcc_rt_linear(kctx, three, 3, &out, nullptr), QCC_ERROR_RUNTIME);
}

TEST(DirectConvPolicy, PaddingChannelsMustNotCostMoreThanHalfAgain) {
  // ResNet-18's stem (3 channels, 7 x 7): 196 bytes a row vs 148.
  EXPECT_TRUE(prefersDirectConv(3, 49));
  // A 1-channel 7 x 7 patch embedding: 196 vs 52.
  EXPECT_FALSE(prefersDirectConv(1, 49));
  EXPECT_FALSE(prefersDirectConv(1, 9));
  EXPECT_FALSE(prefersDirectConv(2, 9));
  EXPECT_TRUE(prefersDirectConv(4, 9));
  EXPECT_TRUE(prefersDirectConv(5, 1));
  EXPECT_TRUE(prefersDirectConv(64, 9));
  int64_t dil11[] = {1, 1}, dil12[] = {1, 2};
  EXPECT_TRUE(supportsDirectConv(2, 1, dil11));
  EXPECT_FALSE(supportsDirectConv(2, 2, dil11));
  EXPECT_FALSE(supportsDirectConv(2, 1, dil12));
  EXPECT_FALSE(supportsDirectConv(1, 1, dil11));
  EXPECT_FALSE(supportsDirectConv(3, 1, dil11));
}

TEST_F(FusedLinearTest, DirectLayoutNeedsItsGeometry) {
  // 2 filters over 2 channels of a 1 x 2 kernel, packed in the direct
  // layout, used with conv attrs that do not fit it: two groups, a
  // dilation, other channel counts.
  int8_t w[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  LinearSpec spec;
  spec.kind = LinearKind::Conv;
  spec.k = 4;
  spec.n = 2;
  spec.weights = w;
  spec.activationDtype = QCC_U8;
  spec.convChannels = 2;
  alignas(64) static uint8_t blob[4096];
  size_t size = getPackedLinearSize(spec);
  ASSERT_LE(size, sizeof(blob));
  ASSERT_TRUE(packLinear(spec, blob));
  uint8_t xdata[2 * 3 * 4] = {};
  int32_t odata[2 * 3 * 4];
  int64_t bs[] = {static_cast<int64_t>(size)};
  auto *kctx = reinterpret_cast<qcc_rt_context *>(ctx);
  auto run = [&](std::vector<int64_t> xs, std::vector<int64_t> os,
                 std::vector<int64_t> attrs) {
    qcc_rt_tensor in[2] = {{xdata, xs.data(), 4, QCC_U8},
                           {blob, bs, 1, QCC_U8}};
    qcc_rt_tensor out = {odata, os.data(), 4, QCC_I32};
    return qcc_rt_linear(kctx, in, 2, &out, attrs.data());
  };
  // groups, 2, strides, 4, pads, 2, dilations, 2, kernel
  ASSERT_EQ(run({1, 2, 3, 4}, {1, 2, 3, 3},
                {1, 2, 1, 1, 4, 0, 0, 0, 0, 2, 1, 1, 2, 1, 2}),
            QCC_OK)
      << qcc_rt_last_error(ctx);
  EXPECT_EQ(run({1, 2, 3, 4}, {1, 2, 3, 2},
                {1, 2, 1, 1, 4, 0, 0, 0, 0, 2, 1, 2, 2, 1, 2}),
            QCC_ERROR_RUNTIME);
  EXPECT_NE(std::string(qcc_rt_last_error(ctx)).find("direct"),
            std::string::npos);
  EXPECT_EQ(run({1, 4, 3, 4}, {1, 2, 3, 3},
                {2, 2, 1, 1, 4, 0, 0, 0, 0, 2, 1, 1, 2, 1, 2}),
            QCC_ERROR_RUNTIME);
  EXPECT_NE(std::string(qcc_rt_last_error(ctx)).find("direct"),
            std::string::npos);
}

} // namespace
