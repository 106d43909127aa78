//===- PackedLinear.h - compile-time packed operands of qcc_rt_linear -*- C++
//-*-===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//
//
// A fused linear op: an 8-bit matmul by constant 8- or 4-bit weights, or an
// 8-bit convolution by 8- or 4-bit weights, with its int32 bias and its
// requantization (optionally with a residual branch) in one kernel,
// qcc_rt_linear (RuntimeABI.h). The compiler packs the constant weights, the
// bias, the correction for the activation's signedness and the epilogue's
// dyadics into one blob (packLinear) that the generated library keeps as a
// constant global; the kernel never re-packs them at run time.
//
// Semantics (bit for bit those of the unfused ops, docs/IntegerSemantics.md):
//   acc[i][c] = sum_k x[i][k] * w[k][c] + bias[c]          (i32, wrapping)
//   None:       out = acc
//   Requant:    out = clamp(applyDyadic(acc, m_c, e_c) + zp, lo, hi)
//   RequantAdd: out = clamp(applyDyadic(acc, m_c, e_c)
//                           + applyDyadic(residual, rm_c, re_c), lo, hi)
//   RequantThenAdd (a requant to an 8-bit value, then a residual add of
//   it, each rounded and clamped as the two ops do):
//               mid = clamp(applyDyadic(acc, m_c, e_c) + midZp, midLo, midHi)
//               out = clamp(applyDyadic(mid, am_c, ae_c)
//                           + applyDyadic(residual, rm_c, re_c), lo, hi)
// with c the output channel (last dimension of a matmul, dimension 1 of a
// convolution), m/e and rm/re one entry or one per channel.
//
// Blob layout (every section 64-byte aligned, offsets from the blob start):
//   PackedLinearHeader
//   weights: MatMul: ceil(n/16) blocks x ceil(k/4) groups x 16 columns x 4
//            bytes (w[4g + t][16b + l] at ((b * groups + g) * 16 + l) * 4 + t);
//            Conv: n rows of k4 bytes (zero padded): k4 = ceil(k/4)*4 with
//            w[c][k] at row c, byte k (im2col order: channel, then kernel
//            position); with convChannels = C > 0 (the direct layout, see
//            below) k4 = taps * ceil(C/4) * 4 and w[c][ch * taps + t] at
//            byte ((ch / 4) * taps + t) * 4 + ch % 4: groups of four
//            channels, then kernel positions, then the four channels
//            (channels >= C zero); 8-bit weights of the direct layout
//            come in tiles of kFilterTile = 8 filters (rows past n zero),
//            group g of filter c at (c / 8 * 8) * k4 + (g * 8 + c % 8) * 4,
//            so the tile's broadcasts read one pointer
//            4-bit weights (weightBits = 4) are stored two per byte, as
//            nibbles w + 8 in [0, 15]: every run of 64 weight bytes of the
//            8-bit layout (a MatMul (block, group) vector; 64 consecutive
//            bytes of a Conv row, rows padded to ceil(k/64)*64) becomes 32
//            bytes, byte j holding element j in its low nibble and element
//            j + 32 in its high nibble (unpacking is one shift, one mask and
//            one subtract on a 64-byte register)
//   corr:    n16 = ceil(n/16)*16 int32: bias + the signedness correction
//   mul, round, shift:            n16 int64 each (every epilogue but None)
//   resMul, resRound, resShift:   n16 int64 each (RequantAdd,
//                                 RequantThenAdd)
//   addMul, addRound, addShift:   n16 int64 each (RequantThenAdd)
// with round = 2^(shift - 1) (0 for shift 0). Both the AVX-512 VNNI path and
// the portable path read this one layout.
//
// Direct convolutions: a 2-D convolution with one group and dilation 1 whose
// weights are packed in the direct layout (convChannels > 0) is computed
// without im2col: the runtime copies each image once into padded planes of
// four interleaved channels (one per stride phase) in which every kernel
// position's group of four channels, for 16 consecutive output positions,
// is one contiguous 64-byte vector (docs/CPUBackend.md).
//
// Signedness: vpdpbusd multiplies unsigned bytes by signed bytes. Weights
// are i8; i8 activations are flipped to u8 by XOR 0x80 while loading
// (x + 128), and corr holds -128 * sum_k w[k][c] to undo it (ALGORITHMS.md
// §6). u8 activations are used as they are.
//
// Plain C++17 with no dependencies: compiled into the runtime archive and
// into the compiler (which packs at compile time).
//
//===----------------------------------------------------------------------===//

#ifndef QCC_RUNTIME_PACKEDLINEAR_H
#define QCC_RUNTIME_PACKEDLINEAR_H

#include <stddef.h>
#include <stdint.h>

namespace qcc_rt {

enum class LinearKind : int64_t {
  /// x (rows x k, any leading dimensions) times constant w (k x n).
  MatMul = 0,
  /// NCHW (N-d) convolution by constant w (n filters x k = channels/group *
  /// kernel size); geometry in the kernel's attrs (those of qcc_rt_conv).
  Conv = 1,
};

enum class LinearEpilogue : int64_t {
  None = 0,
  Requant = 1,
  RequantAdd = 2,
  RequantThenAdd = 3,
};

/// Whether the epilogue reads a residual.
inline bool hasResidual(LinearEpilogue e) {
  return e == LinearEpilogue::RequantAdd || e == LinearEpilogue::RequantThenAdd;
}

/// What the compiler knows about one fused linear op.
struct LinearSpec {
  LinearKind kind = LinearKind::MatMul;
  /// Reduction length and output channels.
  int64_t k = 0, n = 0;
  /// MatMul: k x n row-major; Conv: n x k row-major (i8).
  const int8_t *weights = nullptr;
  /// 8, or 4 when every weight is in [-8, 7] and is to be stored two per
  /// byte.
  int64_t weightBits = 8;
  /// Conv only: when > 0, the channels per group of a convolution that
  /// supportsDirectConv accepts, and the weights are packed in the direct
  /// layout (k = convChannels * kernel positions).
  int64_t convChannels = 0;
  /// n entries, or null for none.
  const int32_t *bias = nullptr;
  /// Element type of the activation: QCC_I8 or QCC_U8.
  int64_t activationDtype = 4;
  LinearEpilogue epilogue = LinearEpilogue::None;
  /// Element type of the output (QCC_I32 for None; any integer type of at
  /// most 32 bits otherwise), the clamp bounds and the output zero point.
  int64_t outputDtype = 2;
  int64_t lo = 0, hi = 0, zeroPoint = 0;
  /// The accumulator's dyadics: 1 or n entries.
  const int32_t *multiplier = nullptr, *shift = nullptr;
  int64_t numScales = 0;
  /// RequantAdd, RequantThenAdd: the residual's element type and dyadics
  /// (1 or n entries).
  int64_t residualDtype = 4;
  const int32_t *residualMultiplier = nullptr, *residualShift = nullptr;
  int64_t numResidualScales = 0;
  /// RequantThenAdd: the intermediate requant's bounds (within int8 or
  /// uint8) and zero point (`zeroPoint` is then 0), and the dyadics applied
  /// to the intermediate (1 or n entries).
  int64_t midLo = 0, midHi = 0, midZeroPoint = 0;
  const int32_t *addMultiplier = nullptr, *addShift = nullptr;
  int64_t numAddScales = 0;
};

/// The header at the start of every blob.
struct PackedLinearHeader {
  int64_t magic;
  int64_t kind;
  int64_t k, n, k4, n16;
  int64_t flip; // XOR mask applied to activation bytes: 0 or 0x80
  int64_t activationDtype;
  int64_t epilogue;
  int64_t outputDtype;
  int64_t lo, hi, zeroPoint;
  int64_t residualDtype;
  int64_t weightBits;
  /// Conv: bytes per packed filter row (k4, or ceil(k4/64)*32 for 4-bit).
  int64_t rowBytes;
  /// Conv: channels per group of the direct layout, 0 for im2col order.
  int64_t convChannels;
  int64_t weightsOffset, corrOffset;
  int64_t mulOffset, roundOffset, shiftOffset;
  int64_t resMulOffset, resRoundOffset, resShiftOffset;
  int64_t midLo, midHi, midZeroPoint;
  int64_t addMulOffset, addRoundOffset, addShiftOffset;
  int64_t totalBytes;
};

constexpr int64_t kPackedLinearMagic = 0x344e494c43434351; // "QCCCLIN4"

/// Filters per tile of a direct convolution's 8-bit weights
/// (interleavesFilters).
constexpr int64_t kFilterTile = 8;

/// Whether the blob's filters are stored in tiles of kFilterTile, group by
/// group: a direct convolution's 8-bit weights. Then filter c's group g
/// (four bytes) is at (c / kFilterTile * kFilterTile * k4) + (g *
/// kFilterTile + c % kFilterTile) * 4, filters >= n zero.
inline bool interleavesFilters(const PackedLinearHeader &h) {
  return h.kind == static_cast<int64_t>(LinearKind::Conv) &&
         h.convChannels > 0 && h.weightBits == 8;
}

/// Whether a convolution of this geometry can be computed directly (no
/// im2col) when its weights are packed with convChannels: two spatial
/// dimensions, one group, dilation 1.
inline bool supportsDirectConv(int64_t spatialRank, int64_t groups,
                               const int64_t *dilations) {
  if (spatialRank != 2 || groups != 1)
    return false;
  return dilations[0] == 1 && dilations[1] == 1;
}

/// Whether the direct layout pays for a convolution of `channels` channels
/// per group and `kernelSize` kernel positions: it pads every kernel
/// position's channels to a multiple of four where im2col pads only the
/// whole filter row, so few channels cost more multiply-adds (ResNet's
/// 3-channel 7 x 7 stem: 196 bytes a row instead of 148, still faster than
/// im2col; a 1-channel patch embedding: 196 instead of 52, 2.4x slower).
/// Direct when the padded row is at most 1.5 times im2col's.
inline bool prefersDirectConv(int64_t channels, int64_t kernelSize) {
  int64_t direct = (channels + 3) / 4 * 4 * kernelSize;
  int64_t im2col = (channels * kernelSize + 3) / 4 * 4;
  return 2 * direct <= 3 * im2col;
}

/// Whether the blob at `h` is a Requant whose shifts are all in [32, 62]
/// and whose zero point is within +-2^30, or a RequantAdd of an 8-bit
/// residual with those shifts and residual shifts in [10, 62]: then
/// |applyDyadic(x, m, s)| <= 2^30 + 1 for every int32 x and m (|x * m| <=
/// 2^62), the residual's term is within +-(2^29 + 1), so the result fits
/// int32 and the kernel may finish it in 32-bit lanes.
bool isNarrowRequant(const PackedLinearHeader &h);

/// Null when `spec` can be packed, otherwise why not (a static string):
/// weights not i8-sized, 4-bit weights outside [-8, 7], an activation that is
/// not 8-bit, a shift outside [0, 62], a RequantAdd multiplier of -2^31 (its
/// sum could leave int64), bounds outside the output type, ...
const char *checkLinearSpec(const LinearSpec &spec);

/// Bytes of the blob of a valid spec.
size_t getPackedLinearSize(const LinearSpec &spec);

/// Writes the blob of a valid spec to `out` (getPackedLinearSize bytes,
/// 64-byte aligned). Returns false (writing nothing) when checkLinearSpec
/// fails.
bool packLinear(const LinearSpec &spec, void *out);

/// Unpacks 32 bytes of 4-bit weights (two nibbles w + 8 per byte, the
/// layout above) into the 64 signed bytes they stand for.
inline void unpackNibbles(const uint8_t *src, int8_t *dst) {
  for (int j = 0; j < 32; ++j) {
    dst[j] = static_cast<int8_t>((src[j] & 15) - 8);
    dst[j + 32] = static_cast<int8_t>((src[j] >> 4) - 8);
  }
}

} // namespace qcc_rt

#endif // QCC_RUNTIME_PACKEDLINEAR_H
