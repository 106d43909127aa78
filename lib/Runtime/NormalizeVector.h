//===- NormalizeVector.h - vector int_softmax and int_layer_norm -*- C++
//-*-===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//
//
// The AVX-512 rows of qcc_rt_int_softmax and qcc_rt_int_layer_norm
// (NormalizeAvx512.cpp). Each computes exactly what the scalar row
// functions of qcc/Quant/IntegerMath.h compute (intSoftmaxRow,
// intLayerNormRow followed by the kernel's per-channel requantization), for
// every input, as long as the parameters pass the *Vectorizable check; the
// proofs are comments in NormalizeAvx512.cpp. Callers check useVnni() and
// that predicate, and otherwise take the scalar path.
//
//===----------------------------------------------------------------------===//

#ifndef QCC_LIB_RUNTIME_NORMALIZEVECTOR_H
#define QCC_LIB_RUNTIME_NORMALIZEVECTOR_H

#include "Internal.h"

#include "qcc/Quant/IntegerMath.h"

namespace qcc_rt {

//===----------------------------------------------------------------------===//
// int_softmax
//===----------------------------------------------------------------------===//

/// int_softmax's seven attrs (RuntimeABI.h), which attention's begin with.
inline mlir::qcc::IntSoftmaxParams readSoftmaxParams(const int64_t *attrs) {
  mlir::qcc::IntSoftmaxParams params;
  params.inputBits = static_cast<int32_t>(attrs[0]);
  params.toExpScale = {static_cast<int32_t>(attrs[1]),
                       static_cast<int32_t>(attrs[2])};
  params.polyB = attrs[3];
  params.polyC = attrs[4];
  params.toE16 = {static_cast<int32_t>(attrs[5]),
                  static_cast<int32_t>(attrs[6])};
  return params;
}

/// Records the error of score row `row` breaking the input_bits promise.
inline int32_t softmaxSpreadError(qcc_rt_context *ctx, int64_t row,
                                  const mlir::qcc::IntSoftmaxParams &params) {
  return qcc_rt_set_error(ctx, QCC_ERROR_RUNTIME,
                          "int_softmax row %lld: the kept scores differ by "
                          "2^%d or more, beyond input_bits = %d",
                          (long long)row, params.inputBits, params.inputBits);
}

/// Whether softmaxRowAvx512 equals intSoftmaxRow for rows of `length` with
/// `params`: whenever the parameters pass checkIntSoftmaxBounds, which the
/// scalar row requires too (its bounds are all the vector arithmetic
/// needs). False where the archive has no AVX-512 code.
bool softmaxVectorizable(const mlir::qcc::IntSoftmaxParams &params,
                         int64_t length);

/// intSoftmaxRow of the `length` scores at element `begin` of `in` (an i8,
/// u8, i16 or i32 array of `dtype`) into `out`. `keep` is null (every
/// element kept) or holds one bit per element, element j in bit j % 16 of
/// keep[j / 16]. `scratch` holds at least `length` int32 values. Returns
/// the spread of the kept scores (max - min, 0 when none is kept), which
/// the caller compares with 2^inputBits (rowSpreadFits). Requires
/// softmaxVectorizable(params, length) and AVX-512 (useVnni()).
int64_t softmaxRowAvx512(int64_t dtype, const void *in, int64_t begin,
                         int64_t length, const uint16_t *keep,
                         const mlir::qcc::IntSoftmaxParams &params,
                         int32_t *scratch, uint8_t *out);

//===----------------------------------------------------------------------===//
// int_layer_norm
//===----------------------------------------------------------------------===//

/// The per-channel requantization after intLayerNormRow, narrowed to int32
/// the way the scalar kernel reads its int64 attributes: channel c uses
/// entry c of each array (perChannel) or entry 0.
struct LayerNormChannels {
  const int32_t *multipliers, *shifts, *biases;
  bool perChannel;
};

/// Whether layerNormRowAvx512 equals the scalar kernel for these channel
/// parameters: every shift in [0, 62] (applyDyadic's int64 path). False
/// where the archive has no AVX-512 code.
bool layerNormVectorizable(const int32_t *shifts, int64_t n);

/// Whether every channel's shift is in [32, 62] and its bias within
/// +-(2^30 - 1): then applyDyadic(n, {m, e}) + bias fits int32 for every
/// int32 n and m, and layerNormRowAvx512 can finish the row in int32
/// (LayerNormBlock).
bool layerNormNarrowable(const LayerNormChannels &channels, int64_t n);

/// The channel parameters of a narrowable requantization (above) for 16
/// channels, laid out for the vector row: the multipliers as they are and
/// those of the odd channels in the low halves of the 64-bit lanes (what
/// vpmuldq reads), rounding terms and shifts of the even and odd channels
/// in int64 lanes, the biases.
struct alignas(64) LayerNormBlock {
  int32_t multipliers[16], oddMultipliers[16];
  int64_t evenRounds[8], oddRounds[8], evenShifts[8], oddShifts[8];
  int32_t biases[16];
};

/// Fills `blocks` for channels [0, length) (ceil(length / 16) blocks) or,
/// unless channels.perChannel, one block of channel 0 in every lane.
/// Lanes past the last channel get multiplier 0 and shift 32.
void packLayerNormBlocks(const LayerNormChannels &channels, int64_t length,
                         LayerNormBlock *blocks);

/// Row `length` elements at element `begin` of `in` (i8, u8, i16 or i32 of
/// `inDtype`): n = intLayerNormRow(row, length, varShift, ., varOffset),
/// then out[c] = clamp(applyDyadic(n[c], {m_c, e_c}) + bias_c, lo, hi),
/// stored at element `begin` of `out` (i8, u8, i16 or i32 of `outDtype`).
/// `blocks` is null or packLayerNormBlocks of `channels`, which must then
/// be narrowable: rows whose normalised values fit int32 unsaturated
/// (nearly all, the comment in NormalizeAvx512.cpp says why) are finished
/// in int32 from them. Requires length in [1, 2^16], varShift in [0, 16],
/// layerNormVectorizable and AVX-512 (useVnni()).
void layerNormRowAvx512(int64_t inDtype, const void *in, int64_t begin,
                        int64_t length, int varShift, uint64_t varOffset,
                        const LayerNormChannels &channels,
                        const LayerNormBlock *blocks, int64_t lo, int64_t hi,
                        int64_t outDtype, void *out);

} // namespace qcc_rt

#endif // QCC_LIB_RUNTIME_NORMALIZEVECTOR_H
