//===- FusedLinearVnni.cpp - AVX-512 VNNI tiles of qcc_rt_linear -*- C++
//-*-===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//
//
// Register tiles of up to 8 rows x 3 blocks of 16 columns: 24 zmm
// accumulators, per group of four k three 64-byte loads of the packed
// operand and one broadcast per row, each feeding vpdpbusd (u8 x s8 -> the
// i32 lane's four products added). A matmul's rows arrive interleaved in
// tiles of 8 (interleaveRowsVnni: 32 bytes per group, the four bytes of
// row r at offset 4r), so the broadcasts read one pointer. 4-bit weights: a
// matmul's packed vectors are unpacked in registers (a 32-byte broadcast load,
// a shift, a mask, a subtract: unpackNibbles64); a convolution's filter rows
// are unpacked 1 KiB per row at a time into a stack buffer the broadcasts read.
// The accumulators start at the correction (the int32 bias with the
// activation flip folded in: vpdpbusd wraps as the correction's add did).
// The epilogue: for the even lanes (the low halves of
//   the int64 lanes) and the odd ones (shifted right by 32) in int64:
//   (x * m + round) >> shift   (vpmuldq, vpaddq, vpsravq)
// which is applyDyadic's int64 path (IntegerMath.h: |x| <= 2^31 and
// shift <= 62, so the product and the rounding term fit), plus the zero
// point or the residual's own dyadic, clamped (vpmaxsq/vpminsq), joined
// back by a shift and a blend (no widening or extracting of halves) and
// narrowed to the output type with masked stores for partial blocks. The
// per-channel tables are split into even and odd channels by vpermt2q
// once per block of 16 columns.
//
// Compiled with target attributes only; callers check useVnni() first, so
// the archive still runs on any x86-64 CPU.
//
//===----------------------------------------------------------------------===//

#include "Avx512.h"
#include "FusedLinear.h"

#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

using namespace qcc_rt;

#if defined(__x86_64__)

// PREFETCHW: every CPU with AVX-512 VNNI has it (Intel since Broadwell, AMD
// since the K8's 3DNow! prefetches).
#define QCC_VNNI_TARGET                                                        \
  __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni,prfchw")))

using namespace qcc_rt::avx512;

namespace {

constexpr int kMaxR = 8, kMaxV = 3;

/// One epilogue dyadic (multiplier, rounding term, shift) of 16 output
/// lanes as int64: [0] holds the even lanes' channels, [1] the odd ones'.
struct DyadicLanes {
  __m512i mul[2], round[2], shift[2];
};

/// Epilogue parameters of 16 output lanes: the accumulator's dyadic, the
/// residual's and the 8-bit intermediate's (RequantThenAdd).
struct Params {
  DyadicLanes acc, res, add;
};

inline bool readsResidual(const PackedLinearHeader &h) {
  return hasResidual(static_cast<LinearEpilogue>(h.epilogue));
}

inline bool requantThenAdd(const PackedLinearHeader &h) {
  return h.epilogue == static_cast<int64_t>(LinearEpilogue::RequantThenAdd);
}

QCC_VNNI_TARGET inline const int64_t *table(const LinearTiles &t,
                                            int64_t offset) {
  return reinterpret_cast<const int64_t *>(t.blob + offset);
}

/// Entries c0, c0 + 2, ..., c0 + 14 (parity 0) or c0 + 1, ..., c0 + 15
/// (parity 1) of an int64 table, one per lane.
QCC_VNNI_TARGET inline __m512i loadParity(const int64_t *table, int64_t c0,
                                          int parity) {
  __m512i index = parity ? _mm512_setr_epi64(1, 3, 5, 7, 9, 11, 13, 15)
                         : _mm512_setr_epi64(0, 2, 4, 6, 8, 10, 12, 14);
  return _mm512_permutex2var_epi64(_mm512_loadu_si512(table + c0), index,
                                   _mm512_loadu_si512(table + c0 + 8));
}

/// The dyadic tables at `mul`, `round`, `shift`: channels c0 .. c0 + 15
/// along the lanes, or (Broadcast) channel c0 in every lane.
template <bool Broadcast>
QCC_VNNI_TARGET void loadDyadic(const LinearTiles &t, int64_t mul,
                                int64_t round, int64_t shift, int64_t c0,
                                DyadicLanes &d) {
  for (int parity = 0; parity < 2; ++parity) {
    if (Broadcast) {
      d.mul[parity] = _mm512_set1_epi64(table(t, mul)[c0]);
      d.round[parity] = _mm512_set1_epi64(table(t, round)[c0]);
      d.shift[parity] = _mm512_set1_epi64(table(t, shift)[c0]);
      continue;
    }
    d.mul[parity] = loadParity(table(t, mul), c0, parity);
    d.round[parity] = loadParity(table(t, round), c0, parity);
    d.shift[parity] = loadParity(table(t, shift), c0, parity);
  }
}

/// Channels c0 .. c0 + 15 along the lanes (a matmul's columns), or one
/// channel c0 in every lane (Broadcast: a convolution's row).
template <bool Broadcast>
QCC_VNNI_TARGET void loadParams(const LinearTiles &t, int64_t c0, Params &p) {
  const PackedLinearHeader &h = *t.header;
  if (h.epilogue == static_cast<int64_t>(LinearEpilogue::None))
    return;
  loadDyadic<Broadcast>(t, h.mulOffset, h.roundOffset, h.shiftOffset, c0,
                        p.acc);
  if (readsResidual(h))
    loadDyadic<Broadcast>(t, h.resMulOffset, h.resRoundOffset, h.resShiftOffset,
                          c0, p.res);
  if (requantThenAdd(h))
    loadDyadic<Broadcast>(t, h.addMulOffset, h.addRoundOffset, h.addShiftOffset,
                          c0, p.add);
}

/// applyDyadic of the int32 values in the low halves of `x`'s int64 lanes
/// (vpmuldq reads them sign-correctly), lanes of parity `i` of `d`.
QCC_VNNI_TARGET inline __m512i dyadicLow(__m512i x, const DyadicLanes &d,
                                         int i) {
  return _mm512_srav_epi64(
      _mm512_add_epi64(_mm512_mul_epi32(x, d.mul[i]), d.round[i]), d.shift[i]);
}

/// Where the 16 lanes of a block go: lane l of segment s (the lanes in
/// mask[s]) is output column at[s] + l. One segment unless the columns are
/// a direct convolution's wide rows (LinearTiles::wideRow), whose lanes
/// split at row ends and skip the columns past the output's width.
struct Segments {
  int count = 0;
  int64_t at[16];
  __mmask16 mask[16];
};

/// The segments of columns c0 .. c0 + 15, of which those in `mask` exist.
inline Segments segmentsOf(const LinearTiles &t, int64_t c0, __mmask16 mask) {
  Segments s;
  if (!t.wideRow) {
    s.count = 1;
    s.at[0] = c0;
    s.mask[0] = mask;
    return s;
  }
  int64_t y = c0 / t.wideRow, x = c0 % t.wideRow;
  for (int64_t l = 0; l < 16; x = 0, ++y) {
    int64_t inRow = t.wideRow - x < 16 - l ? t.wideRow - x : 16 - l;
    if (x < t.outWidth) {
      int64_t valid = t.outWidth - x < inRow ? t.outWidth - x : inRow;
      auto m = static_cast<__mmask16>(((1u << valid) - 1) << l) & mask;
      if (m) {
        s.at[s.count] = y * t.outWidth + x - l;
        s.mask[s.count++] = m;
      }
    }
    l += inRow;
  }
  return s;
}

/// How a tile's accumulators are finished: finish16's general code, or a
/// Requant whose results fit int32 (LinearTiles::narrowRequant) to an 8-bit
/// output of its type's whole range (clamped by the saturating narrow) or
/// to any other output (clamped in int32).
enum class Finish { General, NarrowI8, NarrowU8, Narrow, Plain };

inline Finish finishOf(const LinearTiles &t) {
  const PackedLinearHeader &h = *t.header;
  if (h.epilogue == static_cast<int64_t>(LinearEpilogue::None) && !t.wideRow)
    return Finish::Plain;
  if (!t.narrowRequant)
    return Finish::General;
  if (h.outputDtype == QCC_I8 && h.lo == -128 && h.hi == 127)
    return Finish::NarrowI8;
  if (h.outputDtype == QCC_U8 && h.lo == 0 && h.hi == 255)
    return Finish::NarrowU8;
  return Finish::Narrow;
}

/// applyDyadic of 16 int32 lanes whose results fit int32: the even and odd
/// lanes in int64, their low words joined by one permute.
QCC_VNNI_TARGET __attribute__((always_inline)) inline __m512i
narrowDyadic(__m512i x, const DyadicLanes &d) {
  __m512i join = _mm512_setr_epi32(0, 16, 2, 18, 4, 20, 6, 22, 8, 24, 10, 26,
                                   12, 28, 14, 30);
  return _mm512_permutex2var_epi32(dyadicLow(x, d, 0), join,
                                   dyadicLow(_mm512_srli_epi64(x, 32), d, 1));
}

/// finish16 for a narrow Requant or RequantAdd (`add`): the dyadics
/// (narrowDyadic), the zero point or the residual's added and the clamp
/// done in int32. Inlined into the tile with F fixed, so finishing 16
/// lanes costs a dozen vector operations (two dozen with a residual) and
/// no calls or branches on the output type.
template <Finish F>
QCC_VNNI_TARGET __attribute__((always_inline)) inline void
finishNarrow16(const LinearTiles &t, const Params &p, bool add, bool mid,
               __m512i acc, int64_t index, const Segments &seg) {
  const PackedLinearHeader &h = *t.header;
  __m512i v = narrowDyadic(acc, p.acc);
  if (mid) {
    // The 8-bit intermediate, then its own dyadic.
    v = _mm512_add_epi32(
        v, _mm512_set1_epi32(static_cast<int32_t>(h.midZeroPoint)));
    v = _mm512_min_epi32(
        _mm512_max_epi32(v, _mm512_set1_epi32(static_cast<int32_t>(h.midLo))),
        _mm512_set1_epi32(static_cast<int32_t>(h.midHi)));
    v = narrowDyadic(v, p.add);
  }
  if (add) {
    __m512i residual = _mm512_setzero_si512();
    for (int i = 0; i < seg.count; ++i)
      residual = _mm512_mask_mov_epi32(
          residual, seg.mask[i],
          load16(h.residualDtype, t.residual, index + seg.at[i], seg.mask[i]));
    v = _mm512_add_epi32(v, narrowDyadic(residual, p.res));
  } else {
    v = _mm512_add_epi32(v,
                         _mm512_set1_epi32(static_cast<int32_t>(h.zeroPoint)));
  }
  auto *bytes = static_cast<uint8_t *>(t.out) + index;
  if (F == Finish::NarrowU8)
    v = _mm512_max_epi32(v, _mm512_setzero_si512());
  if (F == Finish::Narrow)
    v = _mm512_min_epi32(
        _mm512_max_epi32(v, _mm512_set1_epi32(static_cast<int32_t>(h.lo))),
        _mm512_set1_epi32(static_cast<int32_t>(h.hi)));
  // The 8-bit outputs narrowed once in a register, then stored per
  // segment with a masked byte store (a masked narrowing store to memory
  // is several micro-ops per segment).
  __m128i narrow = F == Finish::NarrowI8   ? _mm512_cvtsepi32_epi8(v)
                   : F == Finish::NarrowU8 ? _mm512_cvtusepi32_epi8(v)
                                           : _mm_setzero_si128();
  for (int i = 0; i < seg.count; ++i) {
    if (F == Finish::NarrowI8 || F == Finish::NarrowU8)
      _mm_mask_storeu_epi8(bytes + seg.at[i], seg.mask[i], narrow);
    else
      store16(h.outputDtype, t.out, index + seg.at[i], seg.mask[i], v);
  }
}

/// Finishes 16 accumulators and stores them at output index `index` plus
/// the segments' columns. The even lanes are the low halves of the int64
/// lanes, the odd ones those shifted right by 32 bits, so no lane is
/// widened or extracted; the clamped results are joined back by a shift
/// and a blend.
QCC_VNNI_TARGET void finish16(const LinearTiles &t, const Params &p,
                              __m512i acc, int64_t index, const Segments &seg) {
  const PackedLinearHeader &h = *t.header;
  __m512i x = acc;
  if (h.epilogue == static_cast<int64_t>(LinearEpilogue::None)) {
    for (int i = 0; i < seg.count; ++i)
      _mm512_mask_storeu_epi32(
          static_cast<int32_t *>(t.out) + index + seg.at[i], seg.mask[i], x);
    return;
  }
  bool add = readsResidual(h);
  bool mid = requantThenAdd(h);
  __m512i residual = _mm512_setzero_si512();
  for (int i = 0; add && i < seg.count; ++i)
    residual = _mm512_mask_mov_epi32(
        residual, seg.mask[i],
        load16(h.residualDtype, t.residual, index + seg.at[i], seg.mask[i]));
  // clamp(v + zp, lo, hi) = clamp(v, lo - zp, hi - zp) + zp; the zero
  // point is added after the join, in int32.
  int64_t zp = add ? 0 : h.zeroPoint;
  __m512i lo = _mm512_set1_epi64(h.lo - zp), hi = _mm512_set1_epi64(h.hi - zp);
  __m512i v[2];
  for (int i = 0; i < 2; ++i) {
    __m512i xi = i ? _mm512_srli_epi64(x, 32) : x;
    v[i] = dyadicLow(xi, p.acc, i);
    if (mid) {
      // The 8-bit intermediate, then its own dyadic.
      v[i] = _mm512_add_epi64(v[i], _mm512_set1_epi64(h.midZeroPoint));
      v[i] =
          _mm512_min_epi64(_mm512_max_epi64(v[i], _mm512_set1_epi64(h.midLo)),
                           _mm512_set1_epi64(h.midHi));
      v[i] = dyadicLow(v[i], p.add, i);
    }
    if (add)
      v[i] = _mm512_add_epi64(
          v[i],
          dyadicLow(i ? _mm512_srli_epi64(residual, 32) : residual, p.res, i));
    v[i] = _mm512_min_epi64(_mm512_max_epi64(v[i], lo), hi);
  }
  __m512i joined =
      _mm512_mask_blend_epi32(0xAAAA, v[0], _mm512_slli_epi64(v[1], 32));
  if (zp)
    joined =
        _mm512_add_epi32(joined, _mm512_set1_epi32(static_cast<int32_t>(zp)));
  for (int i = 0; i < seg.count; ++i)
    store16(h.outputDtype, t.out, index + seg.at[i], seg.mask[i], joined);
}

/// 64 signed weight bytes from 32 bytes of nibbles (PackedLinear.h): both
/// halves of the register get the 32 bytes, the upper half's 16-bit words
/// are shifted right by 4, every byte keeps its low nibble and loses the
/// offset 8.
QCC_VNNI_TARGET inline __m512i unpackNibbles64(const uint8_t *src) {
  __m512i raw = _mm512_broadcast_i64x4(
      _mm256_loadu_si256(reinterpret_cast<const __m256i *>(src)));
  __m512i counts =
      _mm512_inserti64x4(_mm512_setzero_si512(), _mm256_set1_epi16(4), 1);
  __m512i nib =
      _mm512_and_si512(_mm512_srlv_epi16(raw, counts), _mm512_set1_epi8(15));
  return _mm512_sub_epi8(nib, _mm512_set1_epi8(8));
}

/// Groups per chunk of a 4-bit convolution's filter rows unpacked at a
/// time (1 KiB per row, on the stack).
constexpr int64_t kNibbleChunkGroups = 256;

/// One group of four k: the V packed vectors of group g times the four
/// bytes of row r at row(r), into acc.
template <bool Cols, int R, int V, bool Nibbles, typename RowFn>
QCC_VNNI_TARGET __attribute__((always_inline)) inline void
step(__m512i (&acc)[R][V], const uint8_t *packed, int64_t blockStride,
     int64_t vecBytes, int64_t g, RowFn row) {
  __m512i b[V];
  for (int v = 0; v < V; ++v) {
    const uint8_t *at = packed + v * blockStride + g * vecBytes;
    b[v] = Cols && Nibbles ? unpackNibbles64(at) : _mm512_loadu_si512(at);
  }
  for (int r = 0; r < R; ++r) {
    int32_t word;
    memcpy(&word, row(r), 4);
    __m512i a = _mm512_set1_epi32(word);
    for (int v = 0; v < V; ++v)
      acc[r][v] = Cols ? _mm512_dpbusd_epi32(acc[r][v], a, b[v])
                       : _mm512_dpbusd_epi32(acc[r][v], b[v], a);
  }
}

/// Finishes and stores the sums of rows [r0, r0 + R) x blocks [b0, b0 + V).
template <Finish F, bool Cols, int R, int V>
QCC_VNNI_TARGET void finishTile(const LinearTiles &t,
                                const __m512i (&sums)[R][V], int64_t r0,
                                int64_t b0) {
  Params p;
  bool add = readsResidual(*t.header), mid = requantThenAdd(*t.header);
  for (int v = 0; v < V; ++v) {
    int64_t c0 = (b0 + v) * 16;
    int64_t left = t.cols - c0;
    if (left <= 0)
      break;
    Segments seg = segmentsOf(t, c0, maskFor(left));
    if (Cols)
      loadParams<false>(t, c0, p);
    for (int r = 0; r < R; ++r) {
      if (!Cols)
        loadParams<true>(t, t.channelBase + r0 + r, p);
      if (F == Finish::General)
        finish16(t, p, sums[r][v], (r0 + r) * t.outRowStride, seg);
      else
        finishNarrow16<F>(t, p, add, mid, sums[r][v], (r0 + r) * t.outRowStride,
                          seg);
    }
  }
}

/// The cache lines of a matmul tile's output elements, for its k loop to
/// prefetch: row r's start at `first` + r * `step` (rounded down to a
/// line), linesPerRow of them.
struct TileOutput {
  uintptr_t first;
  int64_t step, linesPerRow;

  const void *line(int64_t r, int64_t l) const {
    return reinterpret_cast<const void *>(
        ((first + static_cast<uintptr_t>(r * step)) & ~uintptr_t(63)) +
        static_cast<uintptr_t>(64 * l));
  }
};

inline TileOutput tileOutput(const LinearTiles &t, int64_t r0, int64_t b0,
                             int64_t v) {
  int64_t elem = static_cast<int64_t>(getElementSize(t.header->outputDtype));
  int64_t c0 = b0 * 16, c1 = c0 + 16 * v < t.cols ? c0 + 16 * v : t.cols;
  auto first = reinterpret_cast<uintptr_t>(static_cast<const uint8_t *>(t.out) +
                                           (r0 * t.outRowStride + c0) * elem);
  int64_t bytes = c1 > c0 ? (c1 - c0) * elem : 0;
  return {first, t.outRowStride * elem,
          bytes ? (static_cast<int64_t>(first & 63) + bytes + 63) / 64 : 0};
}

/// Rows [r0, r0 + R) x blocks [b0, b0 + V).
template <bool Cols, int R, int V, bool Nibbles>
QCC_VNNI_TARGET void tile(const LinearTiles &t, int64_t r0, int64_t b0) {
  const PackedLinearHeader &h = *t.header;
  int64_t groups = h.k4 / 4;
  constexpr bool unpackRows = !Cols && Nibbles;
  constexpr int64_t vecBytes = Cols && Nibbles ? 32 : 64;
  const uint8_t *packed =
      t.packed + (b0 - t.firstPackedBlock) * groups * vecBytes;
  int64_t blockStride = groups * vecBytes;
  // A convolution's groups: runs of `taps` kernel positions (at
  // tapOffsets) per channel quad, quads groupStride apart; one position
  // per group unless direct.
  const int64_t noOffset = 0;
  const int64_t *tapOffsets = &noOffset;
  int64_t taps = 1, quads = groups, groupStride = vecBytes;
  if (!Cols && t.tapOffsets) {
    packed = t.packed + b0 * t.blockStride;
    blockStride = t.blockStride;
    tapOffsets = t.tapOffsets;
    taps = t.taps;
    quads = groups / taps;
    groupStride = t.groupStride;
  }
  const uint8_t *rows[R];
  for (int r = 0; r < R; ++r)
    rows[r] = t.rows + (r0 + r) * t.rowStride;
  // The accumulators are never address-taken, so they stay in registers.
  // They start at the correction of their channel (corr has n16 entries).
  const auto *corr = reinterpret_cast<const int32_t *>(t.blob + h.corrOffset);
  __m512i acc[R][V];
  for (int r = 0; r < R; ++r)
    for (int v = 0; v < V; ++v)
      acc[r][v] = Cols ? _mm512_loadu_si512(corr + (b0 + v) * 16)
                       : _mm512_set1_epi32(corr[t.channelBase + r0 + r]);
  if (unpackRows) {
    // 4-bit filter rows are unpacked a chunk at a time into a stack buffer
    // (every chunk starts at a 64-weight vector; rows hold whole vectors).
    alignas(64) uint8_t buf[R][4 * kNibbleChunkGroups];
    const uint8_t *bufRows[R];
    for (int r = 0; r < R; ++r)
      bufRows[r] = buf[r];
    int64_t q = 0, tap = 0;
    for (int64_t g0 = 0; g0 < groups; g0 += kNibbleChunkGroups) {
      int64_t g1 =
          g0 + kNibbleChunkGroups < groups ? g0 + kNibbleChunkGroups : groups;
      int64_t vectors = (4 * (g1 - g0) + 63) / 64;
      for (int r = 0; r < R; ++r)
        for (int64_t i = 0; i < vectors; ++i)
          _mm512_store_si512(buf[r] + 64 * i,
                             unpackNibbles64(rows[r] + 2 * g0 + 32 * i));
      for (int64_t g = g0; g < g1; ++g) {
        step<Cols, R, V, Nibbles>(
            acc, packed + tapOffsets[tap] + q * groupStride, blockStride,
            vecBytes, 0, [&](int r) { return bufRows[r] + 4 * (g - g0); });
        if (++tap == taps)
          tap = 0, ++q;
      }
    }
  } else if (!Cols) {
    // Filter rows hold k4 bytes: whole groups only.
    // Quad major: a quad's kernel positions read overlapping vectors of
    // one plane, a few cache lines for all of them.
    if (t.interleavedRows) {
      // Filters in tiles of kFilterTile (PackedLinear.h): one pointer
      // walks the tile's 32 bytes per group, the broadcasts read it at
      // constant displacements.
      const uint8_t *a = t.rows + r0 * h.k4;
      for (int64_t q = 0; q < quads; ++q) {
        const uint8_t *base = packed + q * groupStride;
        for (int64_t tap = 0; tap < taps; ++tap, a += 4 * kFilterTile)
          step<Cols, R, V, Nibbles>(acc, base + tapOffsets[tap], blockStride,
                                    vecBytes, 0,
                                    [&](int r) { return a + 4 * r; });
      }
    } else {
      int64_t g = 0;
      for (int64_t q = 0; q < quads; ++q) {
        const uint8_t *base = packed + q * groupStride;
        for (int64_t tap = 0; tap < taps; ++tap, ++g)
          step<Cols, R, V, Nibbles>(acc, base + tapOffsets[tap], blockStride,
                                    vecBytes, 0,
                                    [&](int r) { return rows[r] + 4 * g; });
      }
    }
  } else {
    // A matmul's rows come interleaved (LinearTiles::interleavedRows,
    // zero-padded to whole groups): one pointer walks the tile's 32 bytes
    // per group and the broadcasts read it at constant displacements, so
    // the loop does no per-row address arithmetic (with separate row
    // pointers it spent about one scalar operation per row and group).
    // From halfway through, the tile's output lines are fetched for
    // writing, one per four groups (a burst of them stalled the loop on
    // L1 misses): its epilogue's stores otherwise wait for them.
    const uint8_t *a = t.rows + r0 * h.k4;
    TileOutput o = tileOutput(t, r0, b0, V);
    int64_t lines = R * o.linesPerRow;
    int64_t g = 0;
    int64_t p0 =
        groups / 2 < groups - 4 * lines ? groups / 2 : groups - 4 * lines;
    for (; g < p0; ++g, a += 4 * kMaxR)
      step<Cols, R, V, Nibbles>(acc, packed, blockStride, vecBytes, g,
                                [&](int r) { return a + 4 * r; });
    for (int64_t i = 0; i < lines && g + 4 <= groups; ++i) {
      __builtin_prefetch(o.line(i % R, i / R), 1, 3);
      for (int u = 0; u < 4; ++u, ++g, a += 4 * kMaxR)
        step<Cols, R, V, Nibbles>(acc, packed, blockStride, vecBytes, g,
                                  [&](int r) { return a + 4 * r; });
    }
    for (; g < groups; ++g, a += 4 * kMaxR)
      step<Cols, R, V, Nibbles>(acc, packed, blockStride, vecBytes, g,
                                [&](int r) { return a + 4 * r; });
  }
  Finish finish = finishOf(t);
  if (finish == Finish::Plain) {
    // The accumulators as they are (epilogue None, plain columns), stored
    // straight from the registers (the copy below would spill them to the
    // stack first).
    for (int v = 0; v < V; ++v) {
      int64_t c0 = (b0 + v) * 16;
      if (c0 >= t.cols)
        break;
      __mmask16 mask = maskFor(t.cols - c0);
      for (int r = 0; r < R; ++r)
        _mm512_mask_storeu_epi32(static_cast<int32_t *>(t.out) +
                                     (r0 + r) * t.outRowStride + c0,
                                 mask, acc[r][v]);
    }
    return;
  }
  // The epilogue loop is too big to unroll, so it indexes a copy: acc
  // itself is only ever indexed by constants and lives in registers.
  __m512i sums[R][V];
  for (int r = 0; r < R; ++r)
    for (int v = 0; v < V; ++v)
      sums[r][v] = acc[r][v];
  switch (finish) {
  case Finish::NarrowI8:
    return finishTile<Finish::NarrowI8, Cols, R, V>(t, sums, r0, b0);
  case Finish::NarrowU8:
    return finishTile<Finish::NarrowU8, Cols, R, V>(t, sums, r0, b0);
  case Finish::Narrow:
    return finishTile<Finish::Narrow, Cols, R, V>(t, sums, r0, b0);
  case Finish::General:
    return finishTile<Finish::General, Cols, R, V>(t, sums, r0, b0);
  case Finish::Plain:
    return; // Stored above.
  }
}

using TileFn = void (*)(const LinearTiles &, int64_t, int64_t);

template <bool Cols, bool Nibbles, int R> TileFn pickV(int v) {
  switch (v) {
  case 1:
    return tile<Cols, R, 1, Nibbles>;
  case 2:
    return tile<Cols, R, 2, Nibbles>;
  default:
    return tile<Cols, R, 3, Nibbles>;
  }
}

template <bool Cols, bool Nibbles> TileFn pick(int r, int v) {
  switch (r) {
  case 1:
    return pickV<Cols, Nibbles, 1>(v);
  case 2:
    return pickV<Cols, Nibbles, 2>(v);
  case 3:
    return pickV<Cols, Nibbles, 3>(v);
  case 4:
    return pickV<Cols, Nibbles, 4>(v);
  case 5:
    return pickV<Cols, Nibbles, 5>(v);
  case 6:
    return pickV<Cols, Nibbles, 6>(v);
  case 7:
    return pickV<Cols, Nibbles, 7>(v);
  default:
    return pickV<Cols, Nibbles, 8>(v);
  }
}

TileFn pickTile(bool cols, bool nibbles, int r, int v) {
  if (cols)
    return nibbles ? pick<true, true>(r, v) : pick<true, false>(r, v);
  return nibbles ? pick<false, true>(r, v) : pick<false, false>(r, v);
}

} // namespace

namespace {

/// Unpacks blocks [b0, b1) of 4-bit matmul weights into the 8-bit layout.
QCC_VNNI_TARGET void unpackBlocks(const LinearTiles &t, int64_t b0, int64_t b1,
                                  uint8_t *dst) {
  int64_t groups = t.header->k4 / 4;
  for (int64_t i = 0, e = (b1 - b0) * groups; i < e; ++i)
    _mm512_store_si512(dst + 64 * i,
                       unpackNibbles64(t.packed + (b0 * groups + i) * 32));
}

} // namespace

QCC_VNNI_TARGET bool qcc_rt::interleaveRowsVnni(const uint8_t *src, int64_t ld,
                                                int64_t count, int64_t k,
                                                int64_t k4, uint8_t flip,
                                                uint8_t *dst) {
  static_assert(kMaxR == kTileRows, "one interleaved tile per register tile");
  __m512i m = _mm512_set1_epi8(static_cast<char>(flip));
  int64_t groups = k4 / 4;
  __m512i lowPairs = _mm512_setr_epi64(0, 1, 8, 9, 2, 3, 10, 11);
  __m512i highPairs = _mm512_setr_epi64(4, 5, 12, 13, 6, 7, 14, 15);
  for (int64_t c = 0; c < k4; c += 64) {
    // 64 bytes (16 groups) of each row; bytes past k are 0 ^ flip (their
    // weights are zero) and rows past count are zero.
    __mmask64 mask =
        k - c >= 64 ? ~__mmask64(0) : (__mmask64(1) << (k - c)) - 1;
    __m512i r[kMaxR];
    for (int i = 0; i < kMaxR; ++i)
      r[i] = i < count ? _mm512_xor_si512(
                             _mm512_maskz_loadu_epi8(mask, src + i * ld + c), m)
                       : _mm512_setzero_si512();
    // A 4 x 4 transpose of 32-bit words in every 128-bit lane of rows 0-3
    // and of rows 4-7: u[j] (j < 4) lane L holds group 4L + j of rows 0-3,
    // u[j + 4] the same group of rows 4-7.
    __m512i lo[kMaxR], u[kMaxR];
    for (int i = 0; i < kMaxR; i += 2) {
      lo[i] = _mm512_unpacklo_epi32(r[i], r[i + 1]);
      lo[i + 1] = _mm512_unpackhi_epi32(r[i], r[i + 1]);
    }
    for (int h = 0; h < 2; ++h) {
      __m512i *x = lo + 4 * h;
      u[4 * h + 0] = _mm512_unpacklo_epi64(x[0], x[2]);
      u[4 * h + 1] = _mm512_unpackhi_epi64(x[0], x[2]);
      u[4 * h + 2] = _mm512_unpacklo_epi64(x[1], x[3]);
      u[4 * h + 3] = _mm512_unpackhi_epi64(x[1], x[3]);
    }
    // Group 4L + j's 32 bytes are lane L of u[j] then of u[j + 4]: groups
    // j and 4 + j in one vector, 8 + j and 12 + j in another, each half
    // stored by a masked store.
    int64_t g0 = c / 4;
    uint8_t *out = dst + 32 * g0;
    for (int j = 0; j < 4; ++j) {
      __m512i pairs[2] = {_mm512_permutex2var_epi64(u[j], lowPairs, u[j + 4]),
                          _mm512_permutex2var_epi64(u[j], highPairs, u[j + 4])};
      for (int p = 0; p < 2; ++p)
        for (int half = 0; half < 2; ++half) {
          int64_t g = 8 * p + 4 * half + j;
          if (g0 + g < groups)
            _mm512_mask_storeu_epi64(out + 32 * (g - half), half ? 0xF0 : 0x0F,
                                     pairs[p]);
        }
    }
  }
  return true;
}

QCC_VNNI_TARGET bool qcc_rt::interleave4Vnni(const uint8_t *const rows[4],
                                             int64_t count, uint8_t flip,
                                             uint8_t *dst) {
  __m512i m = _mm512_set1_epi8(static_cast<char>(flip));
  for (int64_t j = 0; j < count; j += 16) {
    __mmask16 mask = maskFor(count - j);
    // Channel c's 16 bytes widened to the lanes' byte c.
    __m512i v = m;
    for (int c = 0; c < 4; ++c)
      if (rows[c])
        v = _mm512_xor_si512(
            v, _mm512_slli_epi32(_mm512_cvtepu8_epi32(
                                     _mm_maskz_loadu_epi8(mask, rows[c] + j)),
                                 8 * c));
    _mm512_mask_storeu_epi32(dst + 4 * j, mask, v);
  }
  return true;
}

bool qcc_rt::linearTilesVnni(const LinearTiles &t, int64_t r0, int64_t r1,
                             int64_t b0, int64_t b1) {
  bool nibbles = t.header->weightBits == 4;
  int64_t groups = t.header->k4 / 4;
  for (int64_t b = b0; b < b1; b += kMaxV) {
    int v = static_cast<int>(b1 - b < kMaxV ? b1 - b : kMaxV);
    // 4-bit matmul weights used by more than one row tile are unpacked
    // once into an 8-bit panel (each tile would otherwise unpack them
    // again); a single tile unpacks them in registers.
    const LinearTiles *use = &t;
    LinearTiles unpacked;
    void *panel = nullptr;
    if (nibbles && t.channelsAlongColumns && r1 - r0 > kMaxR) {
      size_t bytes = static_cast<size_t>(v * groups * 64);
      panel = aligned_alloc(64, (bytes + 63) / 64 * 64);
      if (panel) {
        unpackBlocks(t, b, b + v, static_cast<uint8_t *>(panel));
        unpacked = t;
        unpacked.packed = static_cast<const uint8_t *>(panel);
        unpacked.firstPackedBlock = b;
        use = &unpacked;
      }
    }
    for (int64_t r = r0; r < r1; r += kMaxR) {
      int rows = static_cast<int>(r1 - r < kMaxR ? r1 - r : kMaxR);
      pickTile(t.channelsAlongColumns, nibbles && !panel, rows, v)(*use, r, b);
    }
    free(panel);
  }
  return true;
}

#else

bool qcc_rt::interleaveRowsVnni(const uint8_t *, int64_t, int64_t, int64_t,
                                int64_t, uint8_t, uint8_t *) {
  return false;
}

bool qcc_rt::interleave4Vnni(const uint8_t *const *, int64_t, uint8_t,
                             uint8_t *) {
  return false;
}

bool qcc_rt::linearTilesVnni(const LinearTiles &, int64_t, int64_t, int64_t,
                             int64_t) {
  return false;
}

#endif
