//===- LinearPack.cpp - compile-time packing for qcc_rt_linear --*- C++ -*-===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//
//
// Writes the blob of qcc/Runtime/PackedLinear.h. Compiled into the runtime
// archive (tests, benchmarks) and into the compiler, which packs every
// fused linear op's weights and epilogue once, at compile time.
//
//===----------------------------------------------------------------------===//

#include "qcc/Runtime/PackedLinear.h"

#include "qcc/Runtime/RuntimeABI.h"

#include <string.h>

using namespace qcc_rt;

namespace {

int64_t roundUp(int64_t v, int64_t to) { return (v + to - 1) / to * to; }

bool getTypeRange(int64_t dtype, int64_t *lo, int64_t *hi) {
  switch (dtype) {
  case QCC_I8:
    return *lo = -128, *hi = 127, true;
  case QCC_U8:
    return *lo = 0, *hi = 255, true;
  case QCC_I16:
    return *lo = -32768, *hi = 32767, true;
  case QCC_I32:
    return *lo = INT32_MIN, *hi = INT32_MAX, true;
  default:
    return false;
  }
}

const char *checkScales(const int32_t *multiplier, const int32_t *shift,
                        int64_t count, int64_t n, bool forbidMin) {
  if (!multiplier || !shift || (count != 1 && count != n))
    return "dyadics must have one entry or one per output channel";
  for (int64_t i = 0; i < count; ++i) {
    if (shift[i] < 0 || shift[i] > 62)
      return "a shift outside [0, 62]";
    if (forbidMin && multiplier[i] == INT32_MIN)
      return "a residual-add multiplier of -2^31";
  }
  return nullptr;
}

/// Section sizes and offsets of a valid spec.
PackedLinearHeader layout(const LinearSpec &spec) {
  PackedLinearHeader h;
  memset(&h, 0, sizeof(h));
  h.magic = kPackedLinearMagic;
  h.kind = static_cast<int64_t>(spec.kind);
  h.k = spec.k;
  h.n = spec.n;
  h.convChannels = spec.convChannels;
  h.k4 = spec.convChannels > 0
             ? spec.k / spec.convChannels * roundUp(spec.convChannels, 4)
             : roundUp(spec.k, 4);
  h.n16 = roundUp(spec.n, 16);
  h.flip = spec.activationDtype == QCC_I8 ? 0x80 : 0;
  h.activationDtype = spec.activationDtype;
  h.epilogue = static_cast<int64_t>(spec.epilogue);
  h.outputDtype = spec.outputDtype;
  h.lo = spec.lo;
  h.hi = spec.hi;
  h.zeroPoint = spec.zeroPoint;
  h.residualDtype = spec.residualDtype;
  h.weightBits = spec.weightBits;
  bool nibbles = spec.weightBits == 4;
  h.rowBytes = nibbles ? roundUp(h.k4, 64) / 2 : h.k4;
  int64_t at = roundUp(sizeof(PackedLinearHeader), 64);
  auto take = [&](int64_t bytes) {
    int64_t offset = at;
    at = roundUp(at + bytes, 64);
    return offset;
  };
  int64_t weightBytes =
      spec.kind == LinearKind::MatMul ? h.n16 * h.k4 / (nibbles ? 2 : 1)
      : interleavesFilters(h)         ? roundUp(spec.n, kFilterTile) * h.k4
                                      : spec.n * h.rowBytes;
  h.weightsOffset = take(weightBytes);
  h.corrOffset = take(h.n16 * 4);
  if (spec.epilogue != LinearEpilogue::None) {
    h.mulOffset = take(h.n16 * 8);
    h.roundOffset = take(h.n16 * 8);
    h.shiftOffset = take(h.n16 * 8);
  }
  if (hasResidual(spec.epilogue)) {
    h.resMulOffset = take(h.n16 * 8);
    h.resRoundOffset = take(h.n16 * 8);
    h.resShiftOffset = take(h.n16 * 8);
  }
  if (spec.epilogue == LinearEpilogue::RequantThenAdd) {
    h.midLo = spec.midLo;
    h.midHi = spec.midHi;
    h.midZeroPoint = spec.midZeroPoint;
    h.addMulOffset = take(h.n16 * 8);
    h.addRoundOffset = take(h.n16 * 8);
    h.addShiftOffset = take(h.n16 * 8);
  }
  h.totalBytes = at;
  return h;
}

void writeDyadics(uint8_t *blob, int64_t n16, int64_t n,
                  const int32_t *multiplier, const int32_t *shift,
                  int64_t count, int64_t mulOffset, int64_t roundOffset,
                  int64_t shiftOffset) {
  auto *mul = reinterpret_cast<int64_t *>(blob + mulOffset);
  auto *round = reinterpret_cast<int64_t *>(blob + roundOffset);
  auto *sh = reinterpret_cast<int64_t *>(blob + shiftOffset);
  for (int64_t c = 0; c < n16; ++c) {
    // Padding channels repeat the last real one (their results are never
    // stored).
    int64_t i = count == 1 ? 0 : (c < n ? c : n - 1);
    mul[c] = multiplier[i];
    sh[c] = shift[i];
    round[c] = shift[i] == 0 ? 0 : int64_t(1) << (shift[i] - 1);
  }
}

} // namespace

bool qcc_rt::isNarrowRequant(const PackedLinearHeader &h) {
  constexpr int64_t kLimit = int64_t(1) << 30;
  auto shiftsWithin = [&](int64_t offset, int64_t lo) {
    const auto *shift = reinterpret_cast<const int64_t *>(
        reinterpret_cast<const uint8_t *>(&h) + offset);
    for (int64_t c = 0; c < h.n; ++c)
      if (shift[c] < lo || shift[c] > 62)
        return false;
    return true;
  };
  if (h.epilogue == static_cast<int64_t>(LinearEpilogue::Requant))
    return h.zeroPoint > -kLimit && h.zeroPoint < kLimit &&
           shiftsWithin(h.shiftOffset, 32);
  // |residual * m| <= 2^8 * 2^31, so shifts >= 10 keep its dyadic within
  // +-(2^29 + 1) and the sum within int32.
  bool eightBit = h.residualDtype == QCC_I8 || h.residualDtype == QCC_U8;
  if (h.epilogue == static_cast<int64_t>(LinearEpilogue::RequantAdd))
    return eightBit && shiftsWithin(h.shiftOffset, 32) &&
           shiftsWithin(h.resShiftOffset, 10);
  // RequantThenAdd: the intermediate is 8-bit too (midLo..midHi).
  if (h.epilogue == static_cast<int64_t>(LinearEpilogue::RequantThenAdd))
    return eightBit && shiftsWithin(h.shiftOffset, 32) &&
           shiftsWithin(h.resShiftOffset, 10) &&
           shiftsWithin(h.addShiftOffset, 10);
  return false;
}

const char *qcc_rt::checkLinearSpec(const LinearSpec &spec) {
  if (spec.kind != LinearKind::MatMul && spec.kind != LinearKind::Conv)
    return "unknown kind";
  if (spec.k <= 0 || spec.n <= 0)
    return "empty weights";
  if (spec.k > (int64_t(1) << 30) || spec.n > (int64_t(1) << 30))
    return "weights too large";
  if (!spec.weights)
    return "no weights";
  if (spec.weightBits != 8 && spec.weightBits != 4)
    return "weights are neither 8- nor 4-bit";
  if (spec.convChannels < 0 ||
      (spec.convChannels > 0 &&
       (spec.kind != LinearKind::Conv || spec.k % spec.convChannels)))
    return "convChannels is not the channel count of a convolution";
  if (spec.weightBits == 4)
    for (int64_t i = 0, e = spec.k * spec.n; i < e; ++i)
      if (spec.weights[i] < -8 || spec.weights[i] > 7)
        return "a 4-bit weight outside [-8, 7]";
  if (spec.activationDtype != QCC_I8 && spec.activationDtype != QCC_U8)
    return "the activation is not 8-bit";
  int64_t lo, hi;
  if (!getTypeRange(spec.outputDtype, &lo, &hi))
    return "the output type is not an integer type of at most 32 bits";
  if (spec.epilogue == LinearEpilogue::None)
    return spec.outputDtype == QCC_I32
               ? nullptr
               : "without an epilogue the output is i32";
  if (spec.epilogue != LinearEpilogue::Requant &&
      spec.epilogue != LinearEpilogue::RequantAdd &&
      spec.epilogue != LinearEpilogue::RequantThenAdd)
    return "unknown epilogue";
  if (spec.lo > spec.hi || spec.lo < lo || spec.hi > hi)
    return "clamp bounds outside the output type";
  if (spec.zeroPoint < INT32_MIN || spec.zeroPoint > INT32_MAX)
    return "zero point outside int32";
  bool add = spec.epilogue == LinearEpilogue::RequantAdd;
  bool thenAdd = spec.epilogue == LinearEpilogue::RequantThenAdd;
  if (const char *why =
          checkScales(spec.multiplier, spec.shift, spec.numScales, spec.n, add))
    return why;
  if (!add && !thenAdd)
    return nullptr;
  if (spec.zeroPoint != 0)
    return "a residual add has no output zero point";
  int64_t rlo, rhi;
  if (!getTypeRange(spec.residualDtype, &rlo, &rhi))
    return "the residual is not an integer type of at most 32 bits";
  if (const char *why =
          checkScales(spec.residualMultiplier, spec.residualShift,
                      spec.numResidualScales, spec.n, true))
    return why;
  if (!thenAdd)
    return nullptr;
  // The intermediate is an 8-bit value (|mid| <= 255 keeps its dyadic in
  // applyDyadic's int64 path).
  if (spec.midLo > spec.midHi || spec.midLo < -128 || spec.midHi > 255)
    return "intermediate bounds outside 8 bits";
  if (spec.midZeroPoint < INT32_MIN || spec.midZeroPoint > INT32_MAX)
    return "zero point outside int32";
  return checkScales(spec.addMultiplier, spec.addShift, spec.numAddScales,
                     spec.n, true);
}

size_t qcc_rt::getPackedLinearSize(const LinearSpec &spec) {
  return static_cast<size_t>(layout(spec).totalBytes);
}

bool qcc_rt::packLinear(const LinearSpec &spec, void *out) {
  if (checkLinearSpec(spec))
    return false;
  PackedLinearHeader h = layout(spec);
  auto *blob = static_cast<uint8_t *>(out);
  memset(blob, 0, static_cast<size_t>(h.totalBytes));
  memcpy(blob, &h, sizeof(h));
  int64_t k = spec.k, n = spec.n, groups = h.k4 / 4;
  uint8_t *w = blob + h.weightsOffset;
  // Byte `at` of the 8-bit layout; with nibbles, the 64-byte vector it is
  // in keeps element e in byte e % 32's low (e < 32) or high nibble, as
  // w + 8 (so padding, weight 0, is nibble 8).
  bool nibbles = h.weightBits == 4;
  if (nibbles) {
    int64_t bytes =
        spec.kind == LinearKind::MatMul ? h.n16 * h.k4 / 2 : n * h.rowBytes;
    memset(w, 0x88, static_cast<size_t>(bytes));
  }
  auto put = [&](int64_t at, int8_t value) {
    if (!nibbles) {
      w[at] = static_cast<uint8_t>(value);
      return;
    }
    uint8_t *vec = w + at / 64 * 32;
    int64_t e = at % 64;
    auto nib = static_cast<uint8_t>(value + 8);
    uint8_t &byte = vec[e % 32];
    byte = e < 32 ? static_cast<uint8_t>((byte & 0xf0) | nib)
                  : static_cast<uint8_t>((byte & 0x0f) | (nib << 4));
  };
  // Conv rows are whole 64-byte vectors when packed as nibbles.
  int64_t rowStride = nibbles ? h.rowBytes * 2 : h.k4;
  if (spec.kind == LinearKind::MatMul) {
    for (int64_t kk = 0; kk < k; ++kk)
      for (int64_t c = 0; c < n; ++c) {
        int64_t block = c / 16, lane = c % 16, g = kk / 4, t = kk % 4;
        put(((block * groups + g) * 16 + lane) * 4 + t,
            spec.weights[kk * n + c]);
      }
  } else if (h.convChannels > 0) {
    // Channel quads, then kernel positions (the direct layout).
    int64_t channels = h.convChannels, taps = k / channels;
    // 8-bit filters in tiles of kFilterTile, group by group.
    bool tiled = interleavesFilters(h);
    for (int64_t c = 0; c < n; ++c)
      for (int64_t ch = 0; ch < channels; ++ch)
        for (int64_t t = 0; t < taps; ++t) {
          int64_t g = ch / 4 * taps + t;
          put(tiled ? c / kFilterTile * kFilterTile * h.k4 +
                          (g * kFilterTile + c % kFilterTile) * 4 + ch % 4
                    : c * rowStride + g * 4 + ch % 4,
              spec.weights[c * k + ch * taps + t]);
        }
  } else {
    for (int64_t c = 0; c < n; ++c)
      for (int64_t kk = 0; kk < k; ++kk)
        put(c * rowStride + kk, spec.weights[c * k + kk]);
  }
  // Bias plus -128 * sum_k w[k][c] when activations are flipped, in
  // wrapping int32 like the accumulator.
  auto *corr = reinterpret_cast<int32_t *>(blob + h.corrOffset);
  for (int64_t c = 0; c < n; ++c) {
    uint32_t sum = 0;
    for (int64_t kk = 0; kk < k; ++kk) {
      int8_t v = spec.kind == LinearKind::MatMul ? spec.weights[kk * n + c]
                                                 : spec.weights[c * k + kk];
      sum += static_cast<uint32_t>(static_cast<int32_t>(v));
    }
    uint32_t value = spec.bias ? static_cast<uint32_t>(spec.bias[c]) : 0u;
    if (h.flip)
      value -= sum * 128u;
    corr[c] = static_cast<int32_t>(value);
  }
  if (spec.epilogue != LinearEpilogue::None)
    writeDyadics(blob, h.n16, n, spec.multiplier, spec.shift, spec.numScales,
                 h.mulOffset, h.roundOffset, h.shiftOffset);
  if (hasResidual(spec.epilogue))
    writeDyadics(blob, h.n16, n, spec.residualMultiplier, spec.residualShift,
                 spec.numResidualScales, h.resMulOffset, h.resRoundOffset,
                 h.resShiftOffset);
  if (spec.epilogue == LinearEpilogue::RequantThenAdd)
    writeDyadics(blob, h.n16, n, spec.addMultiplier, spec.addShift,
                 spec.numAddScales, h.addMulOffset, h.addRoundOffset,
                 h.addShiftOffset);
  return true;
}
