//===- FusedLinear.h - tiles of the fused linear kernel ---------*- C++ -*-===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//
//
// qcc_rt_linear (FusedLinear.cpp) computes its output in tiles of a
// "broadcast" operand (rows, four bytes at a time broadcast to all lanes)
// times a "packed" operand (blocks of 16 columns, PackedLinear.h's VNNI
// layout), each tile finished by the blob's epilogue:
//   MatMul: rows = activation rows (already flipped to u8 when they are
//           i8), packed = the weights, column c = output channel c;
//   Conv:   rows = filters (output channel = row), packed = a tile of the
//           im2col matrix (already flipped), column = output position;
//           or (a direct convolution) packed = the image's padded planes,
//           column = a position of the planes' rows.
// The portable implementation (FusedLinear.cpp) and the AVX-512 VNNI one
// (FusedLinearVnni.cpp) give identical bits.
//
//===----------------------------------------------------------------------===//

#ifndef QCC_LIB_RUNTIME_FUSEDLINEAR_H
#define QCC_LIB_RUNTIME_FUSEDLINEAR_H

#include "Internal.h"

#include "qcc/Runtime/PackedLinear.h"

namespace qcc_rt {

struct LinearTiles {
  const PackedLinearHeader *header;
  const uint8_t *blob;
  /// Whether output channels run along columns (MatMul) or rows (Conv).
  bool channelsAlongColumns;
  /// Conv: the output channel of row 0 (the group's first filter).
  int64_t channelBase;
  /// Broadcast operand: row r at rows + r * rowStride, header->k valid bytes
  /// (Conv: k4, zero padded).
  const uint8_t *rows;
  int64_t rowStride;
  /// A matmul's rows as the VNNI tiles read them (rowStride unused): in
  /// tiles of kTileRows rows, the four bytes of group g of row r at rows +
  /// (r / kTileRows) * kTileRows * k4 + g * 4 * kTileRows + (r % kTileRows)
  /// * 4, whole groups (interleaveRowsVnni). The portable tiles read plain
  /// rows. A direct convolution's 8-bit filters (interleavesFilters) come
  /// in the same layout from the blob, read by both kinds of tiles.
  bool interleavedRows = false;
  /// Packed operand: block b, group g at packed + ((b - firstPackedBlock) *
  /// groups + g) * 64 (32 for 4-bit matmul weights).
  const uint8_t *packed;
  int64_t firstPackedBlock = 0;
  /// A direct convolution's packed operand (tapOffsets set): group g of
  /// block b at packed + b * blockStride + (g / taps) * groupStride +
  /// tapOffsets[g % taps] (channel quad, then kernel position; the planes
  /// of FusedLinear.cpp's direct convolution).
  const int64_t *tapOffsets = nullptr;
  int64_t taps = 1, groupStride = 0, blockStride = 0;
  /// Valid columns (the last block may be partial).
  int64_t cols;
  /// Output (and residual) element (r, c) at index r * outRowStride +
  /// outColumn(c).
  void *out;
  const void *residual;
  int64_t outRowStride;
  /// Set by runAllTiles: a Requant epilogue whose results fit int32
  /// (isNarrowRequant), which the VNNI epilogue then finishes in int32.
  bool narrowRequant = false;
  /// A direct convolution's columns are the positions y * wideRow + x of
  /// rows wideRow long, of which x < outWidth are outputs: column c is
  /// output column (c / wideRow) * outWidth + c % wideRow, or none. 0: c.
  int64_t wideRow = 0, outWidth = 0;

  /// The output column of column c, or -1 when it is not stored.
  int64_t outColumn(int64_t c) const {
    if (!wideRow)
      return c;
    int64_t x = c % wideRow;
    return x < outWidth ? c / wideRow * outWidth + x : -1;
  }
};

/// Rows of filters (or activations) per register tile.
constexpr int64_t kTileRows = 8;
static_assert(kTileRows == kFilterTile, "a tile of filters is a tile of rows");

/// Rows [0, rows) x blocks [0, blocks) of `t` in tasks on ctx's threads,
/// each a chunk of rowsPerTask rows by a panel of up to 3 blocks (split
/// evenly); consecutive tasks share a panel (FusedLinear.cpp).
void runAllTiles(qcc_rt_context *ctx, const LinearTiles &t, int64_t rows,
                 int64_t blocks, int64_t rowsPerTask);

struct ConvGeometry;

/// A convolution by weights in the direct layout (DirectConv.cpp):
/// qcc_rt_linear's conv path once the geometry is checked.
int32_t runDirectConv(qcc_rt_context *ctx, const PackedLinearHeader &h,
                      const ConvGeometry &g, const qcc_rt_tensor &x,
                      const qcc_rt_tensor &out, const void *residual);

/// Stores 4 * count bytes: position j's four bytes are rows[0..3][j] ^ flip
/// (0 ^ flip for a null row). SSE2 where available (DirectConv.cpp).
void interleave4(const uint8_t *const rows[4], int64_t count, uint8_t flip,
                 uint8_t *dst);

/// Rows [r0, r1) x column blocks [b0, b1) of `t`, portable code.
void linearTilesPortable(const LinearTiles &t, int64_t r0, int64_t r1,
                         int64_t b0, int64_t b1);

/// The same with AVX-512 VNNI; false (having done nothing) when the archive
/// was built without x86-64 support for it. Callers check useVnni() first.
bool linearTilesVnni(const LinearTiles &t, int64_t r0, int64_t r1, int64_t b0,
                     int64_t b1);

/// Rows [0, count) (count <= kTileRows) of a matmul's activations, row r
/// at src + r * ld with k bytes, XORed with `flip` (0x80 turns i8 into
/// u8), into one tile of LinearTiles::interleavedRows at dst (k4 *
/// kTileRows bytes; rows past count zero) with AVX-512; false (having done
/// nothing) as linearTilesVnni.
bool interleaveRowsVnni(const uint8_t *src, int64_t ld, int64_t count,
                        int64_t k, int64_t k4, uint8_t flip, uint8_t *dst);

/// interleave4 with AVX-512 (position j's four bytes
/// rows[0..3][j] ^ flip, 0 ^ flip for a null row); false (having done
/// nothing) as linearTilesVnni.
bool interleave4Vnni(const uint8_t *const rows[4], int64_t count, uint8_t flip,
                     uint8_t *dst);

/// Packs rows [0, k4) x columns [0, cols) of a row-major byte matrix (row
/// stride ld, rows >= k read as zero, bytes XORed with `flip`) into the VNNI
/// layout of `blocks` = ceil(cols / 16) blocks, columns >= cols zero.
void packColumns(const uint8_t *src, int64_t ld, int64_t k, int64_t k4,
                 int64_t cols, uint8_t flip, uint8_t *dst, int64_t b0,
                 int64_t b1);

} // namespace qcc_rt

#endif // QCC_LIB_RUNTIME_FUSEDLINEAR_H
