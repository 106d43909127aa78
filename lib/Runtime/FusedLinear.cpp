//===- FusedLinear.cpp - qcc_rt_linear: GEMM/conv + epilogue ----*- C++ -*-===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//
//
// The fused linear kernel: an 8-bit matmul by compile-time packed 8- or
// 4-bit weights, or an 8-bit convolution by 8- or 4-bit weights, with bias,
// requantization and residual add in the same pass over the accumulators
// (qcc/Runtime/PackedLinear.h). Work is split into tiles (FusedLinear.h) run on
// the context's threads; the tile code is the AVX-512 VNNI one when the CPU has
// it, else the portable one.
//
// MatMul: the activation is copied once (the VNNI tiles' interleaved rows,
// or i8 flipped to u8 for the portable ones); tasks are panels of
// kPanelBlocks column blocks x chunks of rows, panel-major, so a thread's
// consecutive tasks reuse one panel of weights from cache (activations larger
// than the L2 budget: groups of panels that fit it, chunk-major within a
// group, so the rows are not read from L3 once per panel). Conv: weights in the
// direct layout go to DirectConv.cpp; otherwise, per image and group, tiles of
// output positions are gathered (im2col, or the input itself for 1x1 stride-1
// unpadded kernels) and packed with the activation flip, then multiplied by the
// group's filters.
//
//===----------------------------------------------------------------------===//

#include "FusedLinear.h"
#include "Im2Col.h"

#include "qcc/Quant/IntegerMath.h"

#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__)
#include <emmintrin.h>
#endif

using namespace qcc_rt;

namespace {

constexpr int64_t kPanelBlocks = 3;

/// Bytes of a core's L2 a matmul's weight panels may fill, and the size of
/// interleaved rows above which they are grouped (runAllTiles). 512 KiB of
/// the 2 MiB L2 measured best: 1 MiB left 1024 x 3072 x 768 ungrouped
/// (2 % slower).
constexpr int64_t kL2Budget = int64_t(1) << 19;

//===----------------------------------------------------------------------===//
// Portable tiles
//===----------------------------------------------------------------------===//

int64_t loadAs64(const void *base, int64_t dtype, int64_t index) {
  switch (dtype) {
  case QCC_I8:
    return static_cast<const int8_t *>(base)[index];
  case QCC_U8:
    return static_cast<const uint8_t *>(base)[index];
  case QCC_I16:
    return static_cast<const int16_t *>(base)[index];
  default:
    return static_cast<const int32_t *>(base)[index];
  }
}

void storeAs(void *base, int64_t dtype, int64_t index, int64_t value) {
  switch (dtype) {
  case QCC_I8:
    static_cast<int8_t *>(base)[index] = static_cast<int8_t>(value);
    return;
  case QCC_U8:
    static_cast<uint8_t *>(base)[index] = static_cast<uint8_t>(value);
    return;
  case QCC_I16:
    static_cast<int16_t *>(base)[index] = static_cast<int16_t>(value);
    return;
  default:
    static_cast<int32_t *>(base)[index] = static_cast<int32_t>(value);
    return;
  }
}

/// The epilogue of one accumulator (corr not yet added) of channel c.
int64_t finish(const PackedLinearHeader &h, const uint8_t *blob, int64_t c,
               uint32_t acc, const void *residual, int64_t index) {
  auto corr = reinterpret_cast<const int32_t *>(blob + h.corrOffset);
  int32_t x = static_cast<int32_t>(acc + static_cast<uint32_t>(corr[c]));
  auto epilogue = static_cast<LinearEpilogue>(h.epilogue);
  if (epilogue == LinearEpilogue::None)
    return x;
  auto dyadic = [&](int64_t mulOffset, int64_t shiftOffset) {
    auto table = [&](int64_t offset) {
      return reinterpret_cast<const int64_t *>(blob + offset)[c];
    };
    return mlir::qcc::Dyadic{static_cast<int32_t>(table(mulOffset)),
                             static_cast<int32_t>(table(shiftOffset))};
  };
  int64_t v = mlir::qcc::applyDyadic(x, dyadic(h.mulOffset, h.shiftOffset));
  if (epilogue == LinearEpilogue::Requant)
    return clampTo(v + h.zeroPoint, h.lo, h.hi);
  if (epilogue == LinearEpilogue::RequantThenAdd)
    v = mlir::qcc::applyDyadic(
        clampTo(v + h.midZeroPoint, h.midLo, h.midHi),
        dyadic(h.addMulOffset, h.addShiftOffset));
  v += mlir::qcc::applyDyadic(loadAs64(residual, h.residualDtype, index),
                              dyadic(h.resMulOffset, h.resShiftOffset));
  return clampTo(v, h.lo, h.hi);
}

/// Row r of the broadcast operand (a convolution's filters may come in
/// tiles: interleavesFilters).
const uint8_t *rowStart(const LinearTiles &t, int64_t r) {
  if (t.channelsAlongColumns || !t.interleavedRows)
    return t.rows + r * t.rowStride;
  return t.rows +
         (r / kFilterTile * kFilterTile * t.header->k4 + r % kFilterTile * 4);
}

/// Byte i of a broadcast row: a matmul's activation row (k valid bytes),
/// or a convolution's filter row (k4 bytes, groups of four 4 * kFilterTile
/// apart when `tiled`, or nibbles when 4-bit).
uint8_t rowByte(const PackedLinearHeader &h, bool channelsAlongColumns,
                bool tiled, const uint8_t *row, int64_t i) {
  if (channelsAlongColumns)
    return i < h.k ? row[i] : 0;
  if (tiled)
    return row[i / 4 * 4 * kFilterTile + i % 4];
  if (h.weightBits != 4)
    return row[i];
  uint8_t pair = row[i / 64 * 32 + i % 32];
  int64_t nibble = (i % 64 < 32 ? pair & 15 : pair >> 4) - 8;
  return static_cast<uint8_t>(nibble);
}

/// Group g of block b of the packed operand (vecBytes per vector).
const uint8_t *packedVector(const LinearTiles &t, int64_t b, int64_t g,
                            int64_t vecBytes) {
  if (!t.tapOffsets)
    return t.packed +
           ((b - t.firstPackedBlock) * (t.header->k4 / 4) + g) * vecBytes;
  return t.packed + b * t.blockStride + g / t.taps * t.groupStride +
         t.tapOffsets[g % t.taps];
}

template <bool ChannelsAlongColumns>
void tilesPortable(const LinearTiles &t, int64_t r0, int64_t r1, int64_t b0,
                   int64_t b1) {
  const PackedLinearHeader &h = *t.header;
  int64_t groups = h.k4 / 4;
  // 4-bit matmul weights: 32 bytes of nibbles per (block, group) vector.
  bool nibbles = ChannelsAlongColumns && h.weightBits == 4;
  int64_t vecBytes = nibbles ? 32 : 64;
  for (int64_t r = r0; r < r1; ++r) {
    const uint8_t *row = rowStart(t, r);
    bool tiled = !ChannelsAlongColumns && t.interleavedRows;
    for (int64_t b = b0; b < b1; ++b) {
      uint32_t acc[16] = {0};
      for (int64_t g = 0; g < groups; ++g) {
        const uint8_t *p = packedVector(t, b, g, vecBytes);
        int8_t unpacked[64];
        const uint8_t *vec = p;
        if (nibbles) {
          unpackNibbles(p, unpacked);
          vec = reinterpret_cast<const uint8_t *>(unpacked);
        }
        uint32_t x[4];
        for (int64_t i = 0; i < 4; ++i) {
          uint8_t v = rowByte(h, ChannelsAlongColumns, tiled, row, 4 * g + i);
          // The broadcast operand is unsigned for a matmul (activations)
          // and signed for a convolution (weights).
          x[i] = ChannelsAlongColumns
                     ? v
                     : static_cast<uint32_t>(static_cast<int8_t>(v));
        }
        for (int64_t l = 0; l < 16; ++l)
          for (int64_t i = 0; i < 4; ++i) {
            uint8_t y = vec[l * 4 + i];
            acc[l] +=
                x[i] * (ChannelsAlongColumns
                            ? static_cast<uint32_t>(static_cast<int8_t>(y))
                            : static_cast<uint32_t>(y));
          }
      }
      for (int64_t l = 0; l < 16 && b * 16 + l < t.cols; ++l) {
        int64_t col = b * 16 + l, outCol = t.outColumn(col);
        if (outCol < 0)
          continue;
        int64_t c = ChannelsAlongColumns ? col : t.channelBase + r;
        int64_t index = r * t.outRowStride + outCol;
        storeAs(t.out, h.outputDtype, index,
                finish(h, t.blob, c, acc[l], t.residual, index));
      }
    }
  }
}

void runTiles(const LinearTiles &t, bool vnni, int64_t r0, int64_t r1,
              int64_t b0, int64_t b1) {
  if (vnni && linearTilesVnni(t, r0, r1, b0, b1))
    return;
  linearTilesPortable(t, r0, r1, b0, b1);
}

/// Prefetches into L2 the `part`-th of `parts` slices of the packed
/// operand's blocks [b0, b1): a matmul's weights come from memory the
/// first time a panel is used, and the tile that touches them first would
/// wait for them.
void prefetchPanel(const LinearTiles &t, int64_t b0, int64_t b1, int64_t part,
                   int64_t parts) {
  const PackedLinearHeader &h = *t.header;
  int64_t vecBytes = h.weightBits == 4 ? 32 : 64;
  int64_t lines = (b1 - b0) * (h.k4 / 4) * vecBytes / 64;
  int64_t perPart = (lines + parts - 1) / parts;
  int64_t l0 = part * perPart;
  int64_t l1 = l0 + perPart < lines ? l0 + perPart : lines;
  const uint8_t *base =
      t.packed + (b0 - t.firstPackedBlock) * (h.k4 / 4) * vecBytes;
  for (int64_t l = l0; l < l1; ++l)
    __builtin_prefetch(base + 64 * l, 0, 2);
}

//===----------------------------------------------------------------------===//
// Checks
//===----------------------------------------------------------------------===//

const PackedLinearHeader *getHeader(qcc_rt_context *ctx,
                                    const qcc_rt_tensor &blob) {
  if (blob.dtype != QCC_U8 || blob.rank != 1 ||
      blob.shape[0] < static_cast<int64_t>(sizeof(PackedLinearHeader)) ||
      reinterpret_cast<uintptr_t>(blob.data) % 64) {
    qcc_rt_set_error(ctx, QCC_ERROR_RUNTIME,
                     "linear: the second input is not a packed blob");
    return nullptr;
  }
  auto *h = static_cast<const PackedLinearHeader *>(blob.data);
  if (h->magic != kPackedLinearMagic || h->totalBytes != blob.shape[0] ||
      h->kind < 0 || h->kind > 1 || h->epilogue < 0 || h->epilogue > 3 ||
      (h->weightBits != 8 && h->weightBits != 4)) {
    qcc_rt_set_error(ctx, QCC_ERROR_RUNTIME,
                     "linear: the packed blob is corrupt");
    return nullptr;
  }
  return h;
}

bool sameShape(const qcc_rt_tensor &a, const qcc_rt_tensor &b) {
  if (a.rank != b.rank)
    return false;
  for (int64_t d = 0; d < a.rank; ++d)
    if (a.shape[d] != b.shape[d])
      return false;
  return true;
}

//===----------------------------------------------------------------------===//
// Drivers
//===----------------------------------------------------------------------===//

int32_t runMatMul(qcc_rt_context *ctx, const PackedLinearHeader &h,
                  const qcc_rt_tensor &x, const qcc_rt_tensor &out,
                  const void *residual) {
  if (x.rank < 1 || x.shape[x.rank - 1] != h.k || out.rank != x.rank ||
      out.shape[out.rank - 1] != h.n)
    return qcc_rt_set_error(ctx, QCC_ERROR_RUNTIME,
                            "linear: shapes do not match %lld x %lld weights",
                            (long long)h.k, (long long)h.n);
  for (int64_t d = 0; d + 1 < x.rank; ++d)
    if (x.shape[d] != out.shape[d])
      return qcc_rt_set_error(ctx, QCC_ERROR_RUNTIME,
                              "linear: output dimension %lld is %lld, not "
                              "%lld",
                              (long long)d, (long long)out.shape[d],
                              (long long)x.shape[d]);
  int64_t rows = getNumElements(x) / h.k;
  LinearTiles t;
  t.header = &h;
  t.blob = reinterpret_cast<const uint8_t *>(&h);
  t.channelsAlongColumns = true;
  t.channelBase = 0;
  t.rows = static_cast<const uint8_t *>(x.data);
  t.rowStride = h.k;
  // i8 activations flipped to u8 once (x + 128; corr undoes it), so the
  // tiles broadcast bytes straight from memory; the VNNI tiles read them
  // interleaved in tiles of rows (flipped on the way).
  bool vnni = useVnni();
  int64_t rowTiles = (rows + kTileRows - 1) / kTileRows;
  ContextScratch scratch(ctx,
                         static_cast<size_t>(vnni ? rowTiles * kTileRows * h.k4
                                             : h.flip ? rows * h.k
                                                      : 0));
  auto *copy = static_cast<uint8_t *>(scratch.data());
  if ((vnni || h.flip) && !copy)
    return qcc_rt_set_error(ctx, QCC_ERROR_OUT_OF_MEMORY,
                            "linear: out of memory");
  if (vnni) {
    const auto *in = static_cast<const uint8_t *>(x.data);
    auto flip = static_cast<uint8_t>(h.flip ? 0x80 : 0);
    parallelFor(
        ctx, rowTiles, grainFor(kTileRows * h.k4), [&](int64_t t0, int64_t t1) {
          for (int64_t i = t0; i < t1; ++i) {
            int64_t r0 = i * kTileRows;
            interleaveRowsVnni(in + r0 * h.k, h.k,
                               rows - r0 < kTileRows ? rows - r0 : kTileRows,
                               h.k, h.k4, flip, copy + r0 * h.k4);
          }
        });
    t.rows = copy;
    t.interleavedRows = true;
  } else if (h.flip) {
    const auto *in = static_cast<const uint8_t *>(x.data);
    int64_t words = rows * h.k / 8;
    parallelFor(ctx, words, kParallelGrain, [&](int64_t w0, int64_t w1) {
      for (int64_t w = w0; w < w1; ++w) {
        uint64_t v;
        memcpy(&v, in + 8 * w, 8);
        v ^= 0x8080808080808080u;
        memcpy(copy + 8 * w, &v, 8);
      }
    });
    for (int64_t i = words * 8; i < rows * h.k; ++i)
      copy[i] = in[i] ^ 0x80;
    t.rows = copy;
  }
  t.packed = t.blob + h.weightsOffset;
  t.cols = h.n;
  t.out = out.data;
  t.residual = residual;
  t.outRowStride = h.n;
  // Enough rows per task to amortise the panel, few enough to feed every
  // thread.
  int64_t rowsPerTask = 64;
  int64_t panels = (h.n16 / 16 + kPanelBlocks - 1) / kPanelBlocks;
  while (rowsPerTask > kTileRows &&
         panels * ((rows + rowsPerTask - 1) / rowsPerTask) <
             4 * int64_t(ctx ? ctx->numThreads : 1))
    rowsPerTask /= 2;
  runAllTiles(ctx, t, rows, h.n16 / 16, rowsPerTask);
  return QCC_OK;
}

int32_t runConv(qcc_rt_context *ctx, const PackedLinearHeader &h,
                const qcc_rt_tensor &x, const qcc_rt_tensor &out,
                const void *residual, const int64_t *attrs) {
  if (x.rank < 3 || x.rank > kMaxRank)
    return qcc_rt_set_error(ctx, QCC_ERROR_RUNTIME,
                            "linear: convolution input of rank %lld",
                            (long long)x.rank);
  int64_t n = x.rank - 2;
  if (!attrs || attrs[1] != n || attrs[4 + 4 * n] != n)
    return qcc_rt_set_error(ctx, QCC_ERROR_RUNTIME,
                            "linear: attrs do not match rank %lld",
                            (long long)x.rank);
  // The weight shape: filters, channels per group, kernel (the [n] kernel
  // dimensions follow the conv attrs).
  int64_t groups = attrs[0];
  int64_t weightShape[kMaxRank];
  weightShape[0] = h.n;
  weightShape[1] = groups > 0 ? x.shape[1] / groups : 0;
  for (int64_t d = 0; d < n; ++d)
    weightShape[2 + d] = attrs[5 + 4 * n + d];
  ConvGeometry g;
  if (int32_t s =
          parseConvGeometry(ctx, "linear", x, weightShape, out, attrs, g))
    return s;
  if (g.channelsPerGroup() * g.kernelSize != h.k)
    return qcc_rt_set_error(ctx, QCC_ERROR_RUNTIME,
                            "linear: %lld weights per filter, expected %lld",
                            (long long)h.k,
                            (long long)(g.channelsPerGroup() * g.kernelSize));
  if (h.convChannels > 0 && (!supportsDirectConv(n, groups, g.dilations) ||
                             h.convChannels != g.channelsPerGroup()))
    return qcc_rt_set_error(ctx, QCC_ERROR_RUNTIME,
                            "linear: weights packed for a direct convolution "
                            "of %lld channels",
                            (long long)h.convChannels);
  if (getNumElements(out) == 0)
    return QCC_OK;
  if (h.convChannels > 0)
    return runDirectConv(ctx, h, g, x, out, residual);
  bool direct = g.kernelSize == 1;
  for (int64_t d = 0; d < n && direct; ++d)
    direct =
        g.strides[d] == 1 && g.padsBegin[d] == 0 && g.inSp[d] == g.outSp[d];
  // Position tiles: multiples of 16 whose packed columns stay near 512 KiB
  // (in L2, and a small scratch next to the arena).
  int64_t tile = ((int64_t(1) << 19) / h.k4) / 16 * 16;
  tile = tile < 64 ? 64 : tile;
  int64_t out16 = (g.outSize + 15) / 16 * 16;
  if (tile > out16)
    tile = out16;
  size_t colBytes = direct ? 0 : static_cast<size_t>(h.k * tile);
  size_t packedBytes = static_cast<size_t>(h.k4 * tile);
  auto *memory = static_cast<uint8_t *>(malloc(colBytes + packedBytes + 128));
  if (!memory)
    return qcc_rt_set_error(ctx, QCC_ERROR_OUT_OF_MEMORY,
                            "linear: out of memory");
  uint8_t *col = memory;
  uint8_t *packed = memory + (colBytes + 63) / 64 * 64;
  int64_t mg = g.filtersPerGroup();
  int64_t outBytes = static_cast<int64_t>(getElementSize(h.outputDtype));
  int64_t resBytes =
      residual ? static_cast<int64_t>(getElementSize(h.residualDtype)) : 0;
  const auto *in = static_cast<const uint8_t *>(x.data);
  const uint8_t *weights =
      reinterpret_cast<const uint8_t *>(&h) + h.weightsOffset;
  for (int64_t image = 0; image < g.batch; ++image)
    for (int64_t group = 0; group < g.groups; ++group) {
      const uint8_t *img = in + image * g.channels * g.inSize;
      int64_t outBase = (image * g.filters + group * mg) * g.outSize;
      for (int64_t j0 = 0; j0 < g.outSize; j0 += tile) {
        int64_t j1 = j0 + tile < g.outSize ? j0 + tile : g.outSize;
        int64_t cols = j1 - j0, blocks = (cols + 15) / 16;
        const uint8_t *src;
        int64_t ld;
        if (direct) {
          src = img + group * g.channelsPerGroup() * g.inSize + j0;
          ld = g.inSize;
        } else {
          im2col(ctx, g, img, group, j0, j1, col);
          src = col;
          ld = cols;
        }
        parallelFor(ctx, blocks, grainFor(16 * h.k4),
                    [&](int64_t b0, int64_t b1) {
                      packColumns(src, ld, h.k, h.k4, cols,
                                  static_cast<uint8_t>(h.flip), packed, b0, b1);
                    });
        LinearTiles t;
        t.header = &h;
        t.blob = reinterpret_cast<const uint8_t *>(&h);
        t.channelsAlongColumns = false;
        t.channelBase = group * mg;
        t.rows = weights + group * mg * h.rowBytes;
        t.rowStride = h.rowBytes;
        t.packed = packed;
        t.cols = cols;
        t.out = static_cast<uint8_t *>(out.data) + (outBase + j0) * outBytes;
        t.residual = residual ? static_cast<const uint8_t *>(residual) +
                                    (outBase + j0) * resBytes
                              : nullptr;
        t.outRowStride = g.outSize;
        runAllTiles(ctx, t, mg, blocks, kTileRows);
      }
    }
  free(memory);
  return QCC_OK;
}

} // namespace

void qcc_rt::runAllTiles(qcc_rt_context *ctx, const LinearTiles &tiles,
                         int64_t rows, int64_t blocks, int64_t rowsPerTask) {
  LinearTiles t = tiles;
  t.narrowRequant = isNarrowRequant(*t.header);
  bool vnni = useVnni();
  int64_t panels = (blocks + kPanelBlocks - 1) / kPanelBlocks;
  int64_t chunks = (rows + rowsPerTask - 1) / rowsPerTask;
  int64_t work = rowsPerTask * kPanelBlocks * 16 * t.header->k4;
  int64_t grain = kParallelWork / (work > 0 ? work : 1);
  // A matmul whose interleaved rows exceed the L2 budget runs groups of
  // panels that fit it, chunk by chunk: the group's weights stay in L2
  // and a chunk's rows are read once per group (panel by panel, every
  // panel would read all rows from L3 again; 1024 x 3072 x 3072: +3 % at
  // one thread, +3.5 % at two; 1024 x 3072 x 768: +2 %, +2.5 %). Groups as even
  // as possible: group g is panels [g * panels / groups, (g + 1) * panels /
  // groups).
  int64_t groups = 1;
  bool grouped = t.channelsAlongColumns && rows * t.header->k4 > kL2Budget;
  if (grouped) {
    int64_t panelBytes = kPanelBlocks * 16 * t.header->k4;
    int64_t most = kL2Budget / panelBytes < 1 ? 1 : kL2Budget / panelBytes;
    groups = (panels + most - 1) / most;
  }
  auto groupStart = [&](int64_t g) { return g * panels / groups; };
  parallelFor(
      ctx, panels * chunks, grain < 1 ? 1 : grain,
      [&](int64_t t0, int64_t t1) {
        for (int64_t task = t0; task < t1; ++task) {
          int64_t panel = task / chunks, chunk = task % chunks;
          if (grouped) {
            int64_t g = task * groups / (panels * chunks);
            while (g > 0 && groupStart(g) * chunks > task)
              --g;
            while (g + 1 < groups && groupStart(g + 1) * chunks <= task)
              ++g;
            int64_t first = groupStart(g), count = groupStart(g + 1) - first;
            int64_t inGroup = task - first * chunks;
            chunk = inGroup / count;
            panel = first + inGroup % count;
          }
          int64_t r0 = chunk * rowsPerTask;
          int64_t r1 = r0 + rowsPerTask < rows ? r0 + rowsPerTask : rows;
          // Panels of kPanelBlocks, or as even as possible: 4 blocks are
          // 2 + 2 (two 8 x 2 tiles), not 3 + 1 (an 8 x 1 tile, half as
          // fast).
          int64_t b0 = panel * blocks / panels;
          int64_t b1 = (panel + 1) * blocks / panels;
          // While this range works on a panel of matmul weights, its
          // tasks fetch the next panel it will use, a slice each.
          if (t.channelsAlongColumns && !grouped && task + chunks < t1)
            prefetchPanel(t, b1,
                          panel + 2 <= panels ? (panel + 2) * blocks / panels
                                              : blocks,
                          chunk, chunks);
          runTiles(t, vnni, r0, r1, b0, b1);
        }
      },
      // Sixteen chunks per thread: a GEMM's threads drift apart by whole
      // chunks (1024 x 768 x 3072 at two threads: 1250 -> 1306 GOPS with
      // sixteen instead of four).
      16);
}

void qcc_rt::linearTilesPortable(const LinearTiles &t, int64_t r0, int64_t r1,
                                 int64_t b0, int64_t b1) {
  if (t.channelsAlongColumns)
    tilesPortable<true>(t, r0, r1, b0, b1);
  else
    tilesPortable<false>(t, r0, r1, b0, b1);
}

void qcc_rt::packColumns(const uint8_t *src, int64_t ld, int64_t k, int64_t k4,
                         int64_t cols, uint8_t flip, uint8_t *dst, int64_t b0,
                         int64_t b1) {
  int64_t groups = k4 / 4;
  for (int64_t b = b0; b < b1; ++b) {
    uint8_t *out = dst + b * groups * 64;
    int64_t c0 = b * 16;
    bool full = c0 + 16 <= cols;
    for (int64_t g = 0; g < groups; ++g, out += 64) {
      const uint8_t *r[4];
      bool valid[4];
      for (int64_t i = 0; i < 4; ++i) {
        valid[i] = 4 * g + i < k;
        r[i] = src + (4 * g + i) * ld + c0;
      }
      if (full && valid[3]) {
        // Four rows of 16 bytes interleaved into 16 lanes of 4 bytes.
        interleave4(r, 16, flip, out);
        continue;
      }
      for (int64_t l = 0; l < 16; ++l)
        for (int64_t i = 0; i < 4; ++i)
          out[l * 4 + i] = valid[i] && c0 + l < cols
                               ? static_cast<uint8_t>(r[i][l] ^ flip)
                               : 0;
    }
  }
}

extern "C" {

QCC_RT_DEFINE_KERNEL(linear) {
  const char *name = "linear";
  if (int32_t s = checkNumInputs(ctx, name, num_inputs, 2, 3))
    return s;
  if (int32_t s = checkTensors(ctx, name, inputs, num_inputs, output))
    return s;
  const PackedLinearHeader *h = getHeader(ctx, inputs[1]);
  if (!h)
    return QCC_ERROR_RUNTIME;
  const qcc_rt_tensor &x = inputs[0];
  if (x.dtype != h->activationDtype)
    return unsupportedDtype(ctx, name, x.dtype);
  if (output->dtype != h->outputDtype)
    return unsupportedDtype(ctx, name, output->dtype);
  bool add = hasResidual(static_cast<LinearEpilogue>(h->epilogue));
  if ((num_inputs == 3) != add)
    return qcc_rt_set_error(ctx, QCC_ERROR_RUNTIME,
                            "linear: a residual input goes with a residual-add "
                            "epilogue");
  const void *residual = nullptr;
  if (add) {
    if (inputs[2].dtype != h->residualDtype)
      return unsupportedDtype(ctx, name, inputs[2].dtype);
    if (!sameShape(inputs[2], *output))
      return qcc_rt_set_error(ctx, QCC_ERROR_RUNTIME,
                              "linear: the residual's shape is not the "
                              "output's");
    residual = inputs[2].data;
  }
  if (h->kind == static_cast<int64_t>(LinearKind::MatMul))
    return runMatMul(ctx, *h, x, *output, residual);
  return runConv(ctx, *h, x, *output, residual, attrs);
}

} // extern "C"
