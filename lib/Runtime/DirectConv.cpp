//===- DirectConv.cpp - convolutions without im2col -------------*- C++ -*-===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//
//
// qcc_rt_linear's convolutions by weights in the direct layout
// (PackedLinear.h, docs/CPUBackend.md "Direct convolutions"): each image is
// copied once into padded stride-phase planes of four interleaved channels,
// and the fused linear tiles (FusedLinear.h) read every channel quad's
// kernel positions from them as 64-byte vectors of 16 output positions.
//
//===----------------------------------------------------------------------===//

#include "FusedLinear.h"
#include "Im2Col.h"

#include <string.h>

#if defined(__x86_64__)
#include <emmintrin.h>
#endif

using namespace qcc_rt;

void qcc_rt::interleave4(const uint8_t *const rows[4], int64_t count,
                         uint8_t flip, uint8_t *dst) {
  int64_t j = 0;
#if defined(__x86_64__)
  __m128i m = _mm_set1_epi8(static_cast<char>(flip));
  auto load = [&](int c) {
    return rows[c] ? _mm_xor_si128(
                         _mm_loadu_si128(
                             reinterpret_cast<const __m128i *>(rows[c] + j)),
                         m)
                   : m;
  };
  for (; j + 16 <= count; j += 16) {
    __m128i x0 = load(0), x1 = load(1), x2 = load(2), x3 = load(3);
    __m128i lo01 = _mm_unpacklo_epi8(x0, x1), hi01 = _mm_unpackhi_epi8(x0, x1);
    __m128i lo23 = _mm_unpacklo_epi8(x2, x3), hi23 = _mm_unpackhi_epi8(x2, x3);
    auto *o = reinterpret_cast<__m128i *>(dst + 4 * j);
    _mm_storeu_si128(o + 0, _mm_unpacklo_epi16(lo01, lo23));
    _mm_storeu_si128(o + 1, _mm_unpackhi_epi16(lo01, lo23));
    _mm_storeu_si128(o + 2, _mm_unpacklo_epi16(hi01, hi23));
    _mm_storeu_si128(o + 3, _mm_unpackhi_epi16(hi01, hi23));
  }
#endif
  for (; j < count; ++j)
    for (int c = 0; c < 4; ++c)
      dst[4 * j + c] = static_cast<uint8_t>((rows[c] ? rows[c][j] : 0) ^ flip);
}

namespace {

/// The planes of a direct convolution's image (PackedLinear.h). The input,
/// padded to the rows and columns the kernel reads, is split by stride
/// phase (py, px) into planes of hq x wq positions (padded row i * sy + py,
/// column j * sx + px); each plane holds four channels per position. Output
/// position (oy, ox) at kernel position (ky, kx) reads plane (ky % sy,
/// kx % sx) at i = oy + ky / sy, j = ox + kx / sx. Numbering the output's
/// positions p = oy * wq + ox over rows of wq (the columns ox >= OW are
/// computed and dropped), that is plane position p + (ky / sy) * wq +
/// kx / sx: 16 consecutive positions are one 64-byte vector.
struct DirectPlanes {
  int64_t sy, sx, phasesX, phases, quads, hq, wq, planeBytes, lanes;

  DirectPlanes(const ConvGeometry &g) {
    sy = g.strides[0], sx = g.strides[1];
    int64_t kh = g.kernel[0], kw = g.kernel[1];
    int64_t outH = g.outSp[0], outW = g.outSp[1];
    hq = ((outH - 1) * sy + kh + sy - 1) / sy;
    wq = ((outW - 1) * sx + kw + sx - 1) / sx;
    phasesX = sx < kw ? sx : kw;
    phases = (sy < kh ? sy : kh) * phasesX;
    quads = (g.channels + 3) / 4;
    lanes = outH * wq;
    // The last block's 16 lanes at the farthest kernel position.
    int64_t reach = (lanes + 15) / 16 * 16 + (kh - 1) / sy * wq + (kw - 1) / sx;
    int64_t elems = hq * wq > reach ? hq * wq : reach;
    planeBytes = (4 * elems + 63) / 64 * 64;
  }
  int64_t bytes() const { return phases * quads * planeBytes; }
  int64_t tapOffset(int64_t ky, int64_t kx) const {
    return ((ky % sy) * phasesX + kx % sx) * quads * planeBytes +
           (ky / sy * wq + kx / sx) * 4;
  }
};

/// Rows [i0, i1) of all planes (numbered phase, quad, row) of one image.
void fillPlaneRows(const ConvGeometry &g, const DirectPlanes &d,
                   const uint8_t *image, uint8_t flip, uint8_t *planes,
                   int64_t i0, int64_t i1, bool vnni) {
  int64_t h = g.inSp[0], w = g.inSp[1];
  // Row i of plane (phase, quad), counted on from row i0.
  int64_t i = i0 % d.hq, quad = i0 / d.hq % d.quads,
          phase = i0 / d.hq / d.quads;
  uint32_t flipWord = flip * 0x01010101u;
  auto fillWords = [&](uint8_t *dst, int64_t words) {
    for (int64_t j = 0; j < words; ++j)
      memcpy(dst + 4 * j, &flipWord, 4);
  };
  // The phase's first padded row and column and its columns j reading
  // x = j * sx + px - pad in [0, w): [j0, j1).
  int64_t py = 0, left = 0, j0 = 0, j1 = 0, lastPhase = -1;
  for (int64_t r = i0; r < i1; ++r, ++i) {
    if (i == d.hq) {
      i = 0;
      if (++quad == d.quads)
        quad = 0, ++phase;
    }
    if (phase != lastPhase) {
      lastPhase = phase;
      py = phase / d.phasesX;
      left = g.padsBegin[1] - phase % d.phasesX;
      j0 = left > 0 ? (left + d.sx - 1) / d.sx : 0;
      j1 = (w + left + d.sx - 1) / d.sx;
      j1 = j1 < d.wq ? j1 : d.wq;
    }
    uint8_t *plane = planes + (phase * d.quads + quad) * d.planeBytes;
    uint8_t *dst = plane + 4 * i * d.wq;
    if (i == d.hq - 1) // past the last row: read by dropped lanes only
      memset(dst + 4 * d.wq, flip,
             static_cast<size_t>(d.planeBytes - 4 * d.hq * d.wq));
    int64_t y = i * d.sy + py - g.padsBegin[0];
    if (y < 0 || y >= h || j1 <= j0) {
      memset(dst, flip, static_cast<size_t>(4 * d.wq));
      continue;
    }
    fillWords(dst, j0);
    fillWords(dst + 4 * j1, d.wq - j1);
    // Chunks of at most kChunk positions (a strided convolution gathers
    // each channel's columns into a stack buffer first).
    constexpr int64_t kChunk = 256;
    uint8_t gathered[4][kChunk];
    for (int64_t a = j0; a < j1; a += kChunk) {
      int64_t count = j1 - a < kChunk ? j1 - a : kChunk;
      int64_t x0 = a * d.sx - left;
      const uint8_t *rows[4];
      for (int64_t c = 0; c < 4; ++c) {
        int64_t channel = 4 * quad + c;
        rows[c] = nullptr;
        if (channel >= g.channels)
          continue;
        const uint8_t *src = image + channel * g.inSize + y * w + x0;
        rows[c] = src;
        if (d.sx == 1)
          continue;
        if (d.sx == 2)
          copyEvenBytes(gathered[c], src, count);
        else
          for (int64_t j = 0; j < count; ++j)
            gathered[c][j] = src[j * d.sx];
        rows[c] = gathered[c];
      }
      if (!vnni || !interleave4Vnni(rows, count, flip, dst + 4 * a))
        interleave4(rows, count, flip, dst + 4 * a);
    }
  }
}

} // namespace

int32_t qcc_rt::runDirectConv(qcc_rt_context *ctx, const PackedLinearHeader &h,
                              const ConvGeometry &g, const qcc_rt_tensor &x,
                              const qcc_rt_tensor &out, const void *residual) {
  DirectPlanes d(g);
  int64_t kh = g.kernel[0], kw = g.kernel[1], taps = kh * kw;
  if (h.k4 != taps * d.quads * 4)
    return qcc_rt_set_error(ctx, QCC_ERROR_RUNTIME,
                            "linear: the direct layout does not match the "
                            "kernel");
  // The context's scratch: reused from call to call, so the planes cost
  // no page faults.
  ContextScratch scratch(ctx, static_cast<size_t>(d.bytes() + taps * 8));
  auto *memory = static_cast<uint8_t *>(scratch.data());
  if (!memory)
    return qcc_rt_set_error(ctx, QCC_ERROR_OUT_OF_MEMORY,
                            "linear: out of memory");
  uint8_t *planes = memory;
  auto *tapOffsets = reinterpret_cast<int64_t *>(memory + d.bytes());
  for (int64_t ky = 0; ky < kh; ++ky)
    for (int64_t kx = 0; kx < kw; ++kx)
      tapOffsets[ky * kw + kx] = d.tapOffset(ky, kx);
  int64_t outSize = g.outSize;
  int64_t outBytes = static_cast<int64_t>(getElementSize(h.outputDtype));
  int64_t resBytes =
      residual ? static_cast<int64_t>(getElementSize(h.residualDtype)) : 0;
  const auto *in = static_cast<const uint8_t *>(x.data);
  int64_t planeRows = d.phases * d.quads * d.hq;
  bool vnni = useVnni();
  for (int64_t image = 0; image < g.batch; ++image) {
    const uint8_t *img = in + image * g.channels * g.inSize;
    int64_t outBase = image * g.filters * outSize;
    parallelFor(ctx, planeRows, grainFor(4 * d.wq),
                [&](int64_t i0, int64_t i1) {
                  fillPlaneRows(g, d, img, static_cast<uint8_t>(h.flip), planes,
                                i0, i1, vnni);
                });
    LinearTiles t;
    t.header = &h;
    t.blob = reinterpret_cast<const uint8_t *>(&h);
    t.channelsAlongColumns = false;
    t.channelBase = 0;
    t.rows = reinterpret_cast<const uint8_t *>(&h) + h.weightsOffset;
    t.rowStride = h.rowBytes;
    t.interleavedRows = interleavesFilters(h);
    t.packed = planes;
    t.tapOffsets = tapOffsets;
    t.taps = taps;
    t.groupStride = d.planeBytes;
    t.blockStride = 64;
    t.cols = d.lanes;
    t.out = static_cast<uint8_t *>(out.data) + outBase * outBytes;
    t.residual =
        residual ? static_cast<const uint8_t *>(residual) + outBase * resBytes
                 : nullptr;
    t.outRowStride = outSize;
    t.wideRow = d.wq;
    t.outWidth = g.outSp[1];
    runAllTiles(ctx, t, g.filters, (d.lanes + 15) / 16, kTileRows);
  }
  return QCC_OK;
}
