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
// i32 lane's four products added). 4-bit weights: a matmul's packed
// vectors are unpacked in registers (a 32-byte broadcast load, a shift, a
// mask, a subtract: unpackNibbles64); a convolution's filter rows are
// unpacked 1 KiB per row at a time into a stack buffer the broadcasts read. The
// epilogue runs on the registers:
//   acc + corr (i32, wrapping), then per half of 8 lanes in int64:
//   (x * m + round) >> shift   (vpmuldq, vpaddq, vpsravq)
// which is applyDyadic's int64 path (IntegerMath.h: |x| <= 2^31 and
// shift <= 62, so the product and the rounding term fit), plus the zero
// point or the residual's own dyadic, clamped (vpmaxsq/vpminsq) and
// narrowed to the output type with masked stores for partial blocks.
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

#define QCC_VNNI_TARGET QCC_AVX512_TARGET

using namespace qcc_rt::avx512;

namespace {

constexpr int kMaxR = 8, kMaxV = 3;

/// One epilogue dyadic (multiplier, rounding term, shift) of 16 output
/// lanes as int64, per half of 8.
struct DyadicLanes {
  __m512i mul[2], round[2], shift[2];
};

/// Epilogue parameters of 16 output lanes: the accumulator's dyadic, the
/// residual's and the 8-bit intermediate's (RequantThenAdd).
struct Params {
  __m512i corr;
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

/// The dyadic tables at `mul`, `round`, `shift`: channels c0 .. c0 + 15
/// along the lanes, or (Broadcast) channel c0 in every lane.
template <bool Broadcast>
QCC_VNNI_TARGET void loadDyadic(const LinearTiles &t, int64_t mul,
                                int64_t round, int64_t shift, int64_t c0,
                                DyadicLanes &d) {
  for (int half = 0; half < 2; ++half) {
    if (Broadcast) {
      d.mul[half] = _mm512_set1_epi64(table(t, mul)[c0]);
      d.round[half] = _mm512_set1_epi64(table(t, round)[c0]);
      d.shift[half] = _mm512_set1_epi64(table(t, shift)[c0]);
      continue;
    }
    int64_t c = c0 + 8 * half;
    d.mul[half] = _mm512_loadu_si512(table(t, mul) + c);
    d.round[half] = _mm512_loadu_si512(table(t, round) + c);
    d.shift[half] = _mm512_loadu_si512(table(t, shift) + c);
  }
}

/// Channels c0 .. c0 + 15 along the lanes (a matmul's columns), or one
/// channel c0 in every lane (Broadcast: a convolution's row).
template <bool Broadcast>
QCC_VNNI_TARGET void loadParams(const LinearTiles &t, int64_t c0, Params &p) {
  const PackedLinearHeader &h = *t.header;
  const auto *corr = reinterpret_cast<const int32_t *>(t.blob + h.corrOffset);
  p.corr =
      Broadcast ? _mm512_set1_epi32(corr[c0]) : _mm512_loadu_si512(corr + c0);
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

/// Finishes and stores 16 accumulators at output index `index`.
QCC_VNNI_TARGET void finish16(const LinearTiles &t, const Params &p,
                              __m512i acc, int64_t index, __mmask16 mask) {
  const PackedLinearHeader &h = *t.header;
  __m512i x = _mm512_add_epi32(acc, p.corr);
  if (h.epilogue == static_cast<int64_t>(LinearEpilogue::None)) {
    _mm512_mask_storeu_epi32(static_cast<int32_t *>(t.out) + index, mask, x);
    return;
  }
  bool add = readsResidual(h);
  bool mid = requantThenAdd(h);
  __m512i residual = add ? load16(h.residualDtype, t.residual, index, mask)
                         : _mm512_setzero_si512();
  __m512i zp = _mm512_set1_epi64(h.zeroPoint);
  __m512i v[2];
  for (int i = 0; i < 2; ++i) {
    v[i] = dyadic8(half(x, i), p.acc.mul[i], p.acc.round[i], p.acc.shift[i]);
    if (mid) {
      // The 8-bit intermediate, then its own dyadic (vpmuldq reads the
      // low, sign-correct dword of each int64 lane).
      v[i] = _mm512_add_epi64(v[i], _mm512_set1_epi64(h.midZeroPoint));
      v[i] =
          _mm512_min_epi64(_mm512_max_epi64(v[i], _mm512_set1_epi64(h.midLo)),
                           _mm512_set1_epi64(h.midHi));
      v[i] = _mm512_srav_epi64(
          _mm512_add_epi64(_mm512_mul_epi32(v[i], p.add.mul[i]),
                           p.add.round[i]),
          p.add.shift[i]);
    }
    v[i] = add ? _mm512_add_epi64(v[i], dyadic8(half(residual, i), p.res.mul[i],
                                                p.res.round[i], p.res.shift[i]))
               : _mm512_add_epi64(v[i], zp);
  }
  store16(
      h.outputDtype, t.out, index, mask,
      clampJoin(v[0], v[1], _mm512_set1_epi64(h.lo), _mm512_set1_epi64(h.hi)));
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
  const uint8_t *rows[R];
  for (int r = 0; r < R; ++r)
    rows[r] = t.rows + (r0 + r) * t.rowStride;
  // Groups whose four broadcast bytes are all in the row (a matmul's
  // activation rows have k bytes; a convolution's weight rows k4). The
  // last, partial group of a matmul row is read from a zero-padded copy
  // (the packed weights there are zero too).
  int64_t whole = Cols ? h.k / 4 : groups;
  const uint8_t *tails[R];
  uint8_t tailBytes[R][4];
  for (int r = 0; r < R; ++r) {
    tails[r] = tailBytes[r];
    memset(tailBytes[r], 0, 4);
    if (whole < groups)
      memcpy(tailBytes[r], rows[r] + 4 * whole,
             static_cast<size_t>(h.k - 4 * whole));
  }
  // 4-bit filter rows are unpacked a chunk at a time (every chunk starts
  // at a 64-weight vector; rows hold whole vectors).
  alignas(64)
      uint8_t buf[unpackRows ? R : 1][unpackRows ? 4 * kNibbleChunkGroups : 64];
  const uint8_t *bufRows[R];
  for (int r = 0; r < R; ++r)
    bufRows[r] = buf[unpackRows ? r : 0];
  // The accumulators are never address-taken, so they stay in registers.
  __m512i acc[R][V];
  for (int r = 0; r < R; ++r)
    for (int v = 0; v < V; ++v)
      acc[r][v] = _mm512_setzero_si512();
  // Segments of groups [g0, g1) whose row bytes are at base[r] + 4 * (g -
  // gBase): whole groups then the tail, or one per unpacked chunk.
  int64_t segments =
      unpackRows ? (groups + kNibbleChunkGroups - 1) / kNibbleChunkGroups : 2;
  for (int64_t seg = 0; seg < segments; ++seg) {
    const uint8_t *const *base;
    int64_t g0, g1;
    if (unpackRows) {
      g0 = seg * kNibbleChunkGroups;
      g1 = g0 + kNibbleChunkGroups < groups ? g0 + kNibbleChunkGroups : groups;
      int64_t vectors = (4 * (g1 - g0) + 63) / 64;
      for (int r = 0; r < R; ++r)
        for (int64_t q = 0; q < vectors; ++q)
          _mm512_store_si512(buf[r] + 64 * q,
                             unpackNibbles64(rows[r] + 2 * g0 + 32 * q));
      base = bufRows;
    } else {
      g0 = seg ? whole : 0;
      g1 = seg ? groups : whole;
      base = seg ? tails : rows;
    }
    int64_t gBase = g0;
    for (int64_t g = g0; g < g1; ++g) {
      __m512i b[V];
      for (int v = 0; v < V; ++v) {
        const uint8_t *at = packed + v * blockStride + g * vecBytes;
        b[v] = Cols && Nibbles ? unpackNibbles64(at) : _mm512_loadu_si512(at);
      }
      for (int r = 0; r < R; ++r) {
        int32_t word;
        memcpy(&word, base[r] + 4 * (g - gBase), 4);
        __m512i a = _mm512_set1_epi32(word);
        for (int v = 0; v < V; ++v)
          acc[r][v] = Cols ? _mm512_dpbusd_epi32(acc[r][v], a, b[v])
                           : _mm512_dpbusd_epi32(acc[r][v], b[v], a);
      }
    }
  }
  Params p;
  for (int v = 0; v < V; ++v) {
    int64_t c0 = (b0 + v) * 16;
    int64_t left = t.cols - c0;
    if (left <= 0)
      break;
    __mmask16 mask = maskFor(left);
    if (Cols)
      loadParams<false>(t, c0, p);
    for (int r = 0; r < R; ++r) {
      if (!Cols)
        loadParams<true>(t, t.channelBase + r0 + r, p);
      finish16(t, p, acc[r][v], (r0 + r) * t.outRowStride + c0, mask);
    }
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

QCC_VNNI_TARGET bool qcc_rt::flipBytesVnni(const uint8_t *in, uint8_t *out,
                                           int64_t n) {
  __m512i m = _mm512_set1_epi8(static_cast<char>(0x80));
  int64_t i = 0;
  for (; i + 256 <= n; i += 256)
    for (int64_t j = 0; j < 256; j += 64)
      _mm512_storeu_si512(out + i + j,
                          _mm512_xor_si512(_mm512_loadu_si512(in + i + j), m));
  for (; i < n; i += 64) {
    __mmask64 mask =
        n - i >= 64 ? ~__mmask64(0) : (__mmask64(1) << (n - i)) - 1;
    _mm512_mask_storeu_epi8(
        out + i, mask,
        _mm512_xor_si512(_mm512_maskz_loadu_epi8(mask, in + i), m));
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

bool qcc_rt::flipBytesVnni(const uint8_t *, uint8_t *, int64_t) {
  return false;
}

bool qcc_rt::linearTilesVnni(const LinearTiles &, int64_t, int64_t, int64_t,
                             int64_t) {
  return false;
}

#endif
