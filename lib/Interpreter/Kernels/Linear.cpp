//===- Linear.cpp - matmul and convolution ----------------------*- C++ -*-===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//
//
// qcc.matmul maps onto one GEMM per broadcast batch (or a single GEMM when
// the right operand has no batch: the batch folds into the rows).
// qcc.conv lowers each (image, group) to im2col + GEMM, in column tiles so
// the im2col buffer stays bounded; 1x1 stride-1 unpadded convolutions skip
// im2col, and convolutions with one input channel per group (depthwise) run
// directly. Float results follow the GEMM's summation order (Gemm.h);
// integer operands (8-bit or i32) accumulate in i32 modulo 2^32.
//
//===----------------------------------------------------------------------===//

#include "Kernels.h"
#include "Simd.h"
#include "Window.h"

#include "qcc/Dialect/Qcc/IR/QccOps.h"
#include "qcc/Interpreter/Gemm.h"

#include "mlir/IR/BuiltinTypes.h"

#include <algorithm>
#include <cstring>
#include <memory>
#include <vector>

using namespace mlir;
using namespace mlir::qcc;

namespace {

/// One matrix product of the kernel's element types.
struct MatrixProduct {
  ElementType lhs, rhs;

  /// C (m x n, ldc) = A (m x k, lda) * B (k x n, ldb).
  void run(int64_t m, int64_t n, int64_t k, const void *a, int64_t lda,
           const void *b, int64_t ldb, void *c, int64_t ldc,
           WorkerPool *pool) const {
    if (lhs == ElementType::F32)
      gemmF32(m, n, k, static_cast<const float *>(a), lda,
              static_cast<const float *>(b), ldb, static_cast<float *>(c), ldc,
              pool);
    else
      gemmInt(m, n, k, a, getIntType(lhs), lda, b, getIntType(rhs), ldb,
              static_cast<int32_t *>(c), ldc, pool);
  }

  static GemmIntType getIntType(ElementType type) {
    switch (type) {
    case ElementType::UI8:
      return GemmIntType::UI8;
    case ElementType::I32:
      return GemmIntType::I32;
    default:
      return GemmIntType::I8;
    }
  }
};

const char *byteAt(const Tensor &t, int64_t elements) {
  return static_cast<const char *>(t.getRawData()) +
         elements * getElementSize(t.getElementType());
}
char *byteAt(Tensor &t, int64_t elements) {
  return static_cast<char *>(t.getRawData()) +
         elements * getElementSize(t.getElementType());
}

//===----------------------------------------------------------------------===//
// MatMul
//===----------------------------------------------------------------------===//

LogicalResult runMatMul(Operation *op, ArrayRef<Tensor> operands,
                        SmallVectorImpl<Tensor> &results,
                        KernelContext &context) {
  Tensor out = allocateResult(op, context);
  if (!out)
    return failure();
  const Tensor &lhs = operands[0], &rhs = operands[1];
  SmallVector<int64_t> a(lhs.getShape()), b(rhs.getShape());
  if (a.size() == 1)
    a.insert(a.begin(), 1);
  if (b.size() == 1)
    b.push_back(1);
  int64_t m = a[a.size() - 2], k = a.back(), n = b.back();
  ArrayRef<int64_t> aBatch = ArrayRef<int64_t>(a).drop_back(2);
  ArrayRef<int64_t> bBatch = ArrayRef<int64_t>(b).drop_back(2);
  MatrixProduct product{lhs.getElementType(), rhs.getElementType()};
  if (out.getNumElements() == 0) {
    results.push_back(std::move(out));
    return success();
  }

  // No batch on the right: the left operand's batch folds into its rows.
  if (getNumElements(bBatch) == 1) {
    product.run(getNumElements(aBatch) * m, n, k, lhs.getRawData(), k,
                rhs.getRawData(), n, out.getRawData(), n, &context.pool);
    results.push_back(std::move(out));
    return success();
  }

  // Broadcast batch: strides of each operand over the output batch dims.
  SmallVector<int64_t> outBatch(out.getShape().begin(),
                                out.getShape().begin() +
                                    std::max(aBatch.size(), bBatch.size()));
  BroadcastPlan plan = planBroadcast(outBatch, {aBatch, bBatch});
  int64_t batches = getNumElements(outBatch);
  auto runBatch = [&](int64_t batch, WorkerPool *pool) {
    // Offsets in units of whole matrices: append a unit inner dimension.
    int64_t offsets[2] = {0, 0};
    int64_t rest = batch;
    for (int64_t d = static_cast<int64_t>(plan.shape.size()) - 1; d >= 0; --d) {
      int64_t index = rest % plan.shape[d];
      rest /= plan.shape[d];
      offsets[0] += index * plan.strides[0][d];
      offsets[1] += index * plan.strides[1][d];
    }
    product.run(m, n, k, byteAt(lhs, offsets[0] * m * k), k,
                byteAt(rhs, offsets[1] * k * n), n, byteAt(out, batch * m * n),
                n, pool);
  };
  // Small products run whole on one thread each; big ones use every thread.
  if (m * n * k < (int64_t(1) << 21) && batches > 1) {
    int64_t grain = std::max<int64_t>(1, kParallelWork / (m * n * k + 1));
    context.pool.parallelFor(batches, grain, [&](int64_t b0, int64_t b1) {
      for (int64_t batch = b0; batch < b1; ++batch)
        runBatch(batch, nullptr);
    });
  } else {
    for (int64_t batch = 0; batch < batches; ++batch)
      runBatch(batch, &context.pool);
  }
  results.push_back(std::move(out));
  return success();
}

//===----------------------------------------------------------------------===//
// Conv
//===----------------------------------------------------------------------===//

/// Geometry of one convolution: the window plus channel bookkeeping.
struct ConvGeometry : WindowGeometry {
  int64_t batch, channels, filters, groups;
  ConvGeometry(ConvOp conv, const Tensor &input, const Tensor &weight,
               const Tensor &out)
      : WindowGeometry(input.getShape(), out.getShape(),
                       weight.getShape().drop_front(2), conv.getStrides(),
                       conv.getPads(), conv.getDilations()),
        batch(input.getShape()[0]), channels(input.getShape()[1]),
        filters(weight.getShape()[0]), groups(conv.getGroup()) {}
  int64_t channelsPerGroup() const { return channels / groups; }
  int64_t filtersPerGroup() const { return filters / groups; }
};

/// Fills col[r][j - j0] for the rows r in [r0, r1) = (channel, kernel
/// position) of `group` and the flat output columns j in [j0, j1) of all
/// images (j = image * outSize + position), with zeros for padding. Rows of
/// a feature map are short, so the copies are plain loops: memset/memcpy
/// calls would cost more than the copies.
template <typename T>
__attribute__((no_builtin("memcpy", "memmove", "memset"))) void
im2colRows(const ConvGeometry &g, const WindowSpans &spans, const T *input,
           int64_t group, int64_t j0, int64_t j1, int64_t r0, int64_t r1,
           T *col) {
  int64_t cols = j1 - j0, length = g.getRowLength(), numRows = g.getNumRows();
  for (int64_t r = r0; r < r1; ++r) {
    int64_t channel = group * g.channelsPerGroup() + r / g.kernelSize;
    int64_t kernelIndex = r % g.kernelSize;
    T *dst = col + r * cols - j0;
    // Output rows (of every image) overlapping [j0, j1), each clipped to the
    // tile.
    int64_t flatRow = j0 / length;
    int64_t row = flatRow % numRows;
    const T *plane =
        input + ((flatRow / numRows) * g.channels + channel) * g.inSize;
    for (int64_t first = flatRow * length; first < j1; first += length) {
      int64_t a = std::max(j0 - first, int64_t(0));
      int64_t b = std::min(j1 - first, length);
      const WindowSpan &span = spans.get(kernelIndex, row);
      int64_t lo = span.valid ? std::clamp(span.lo, a, b) : b;
      int64_t hi = span.valid ? std::clamp(span.hi, lo, b) : b;
      T *out = dst + first;
      const T *in = plane + span.base;
      for (int64_t p = a; p < lo; ++p)
        out[p] = T(0);
      if (span.stride == 1)
        for (int64_t p = lo; p < hi; ++p)
          out[p] = in[p];
      else
        for (int64_t p = lo; p < hi; ++p)
          out[p] = in[p * span.stride];
      for (int64_t p = hi; p < b; ++p)
        out[p] = T(0);
      if (++row == numRows) {
        row = 0;
        plane += g.channels * g.inSize;
      }
    }
  }
}

template <typename T>
void im2col(const ConvGeometry &g, const WindowSpans &spans, const T *input,
            int64_t group, int64_t j0, int64_t j1, T *col, WorkerPool &pool) {
  int64_t rows = g.channelsPerGroup() * g.kernelSize;
  pool.parallelFor(rows, std::max<int64_t>(1, kParallelGrain / (j1 - j0)),
                   [&](int64_t r0, int64_t r1) {
                     im2colRows(g, spans, input, group, j0, j1, r0, r1, col);
                   });
}

/// Direct convolution for one input channel per group: each output element
/// sums over the kernel positions in row-major order.
template <typename TI, typename TW, typename Acc>
void depthwise(const ConvGeometry &g, const WindowSpans &spans, const TI *input,
               const TW *weight, Acc *output, WorkerPool &pool) {
  int64_t planes = g.batch * g.filters, length = g.getRowLength();
  int64_t work = std::max<int64_t>(1, g.outSize * g.kernelSize);
  auto body = [&](int64_t p0, int64_t p1) {
    for (int64_t p = p0; p < p1; ++p) {
      int64_t image = p / g.filters, filter = p % g.filters;
      int64_t channel = filter / g.filtersPerGroup();
      const TI *plane = input + (image * g.channels + channel) * g.inSize;
      const TW *w = weight + filter * g.kernelSize;
      for (int64_t row = 0, rows = g.getNumRows(); row < rows; ++row) {
        Acc *out = output + p * g.outSize + row * length;
        std::fill(out, out + length, Acc(0));
        for (int64_t kk = 0; kk < g.kernelSize; ++kk) {
          const WindowSpan &span = spans.get(kk, row);
          if (!span.valid)
            continue;
          const TI *in = plane + span.base;
          if constexpr (std::is_floating_point_v<Acc>) {
            Acc wk = w[kk];
            for (int64_t q = span.lo; q < span.hi; ++q)
              out[q] += wk * in[q * span.stride];
          } else {
            uint32_t wk = static_cast<uint32_t>(w[kk]);
            for (int64_t q = span.lo; q < span.hi; ++q)
              out[q] = static_cast<Acc>(
                  static_cast<uint32_t>(out[q]) +
                  wk * static_cast<uint32_t>(in[q * span.stride]));
          }
        }
      }
    }
  };
  pool.parallelFor(planes, std::max<int64_t>(1, kParallelGrain / work), body);
}

//===----------------------------------------------------------------------===//
// Float conv: an implicit GEMM over phase planes
//===----------------------------------------------------------------------===//
//
// With stride s, output position o and kernel position k read input
// o * s + k * d - pad = (o + q) * s + r - pad, where k * d = q * s + r. So
// if the input is rearranged into "phase planes" P_r[i] = x[i * s + r - pad]
// (zero where that is padding), kernel position k reads P_r shifted by q,
// and for a fixed k the positions of consecutive outputs are consecutive.
// Along both spatial axes, with the planes of every channel and phase laid
// out row by row (pitch = plane width) and image after image, the im2col
// row of kernel position (kh, kw) and channel c is one contiguous run of the
// buffer: the GEMM reads it in place through a row table
// (gemmF32RowTable), with no im2col buffer.
//
// Plane positions past the last output (o >= out) are computed and thrown
// away. Where every phase reads padding at both the start and the end of a
// plane row, consecutive rows share those zeros (the pitch shrinks by the
// overlap), and likewise consecutive images share zero rows: a 3x3 stride-1
// pad-1 conv on 14x14 computes 15x15 positions per image instead of 16x16.
// The row order k = (channel, kernel position) and the k blocks are those of
// im2col, so the sums are the GEMM's (Gemm.h) whatever the path.

/// One spatial axis of a convolution as phase planes.
struct PhaseAxis {
  int64_t in = 1, out = 1, kernel = 1, stride = 1, dilation = 1, pad = 0;
  /// Per kernel position: index into `phases`, and shift q.
  SmallVector<int64_t> phaseOf, shiftOf;
  /// The distinct phases r the kernel positions use, ascending.
  SmallVector<int64_t> phases;
  int64_t maxShift = 0;
  /// Plane positions a plane row needs (out + maxShift), the overlap of
  /// consecutive rows (shared zeros) and the resulting pitch.
  int64_t extent = 1, overlap = 0, pitch = 1;

  void init() {
    for (int64_t k = 0; k < kernel; ++k) {
      int64_t a = k * dilation, r = a % stride;
      auto *it = llvm::find(phases, r);
      if (it == phases.end()) {
        phases.push_back(r);
        llvm::sort(phases);
      }
      shiftOf.push_back(a / stride);
      maxShift = std::max(maxShift, a / stride);
    }
    for (int64_t k = 0; k < kernel; ++k)
      phaseOf.push_back(llvm::find(phases, (k * dilation) % stride) -
                        phases.begin());
    extent = out + maxShift;
    auto isPadding = [&](int64_t pos) {
      for (int64_t r : phases) {
        int64_t i = pos * stride + r - pad;
        if (i >= 0 && i < in)
          return false;
      }
      return true;
    };
    int64_t lead = 0, trail = 0;
    while (lead < extent && isPadding(lead))
      ++lead;
    while (trail < extent - lead && isPadding(extent - 1 - trail))
      ++trail;
    overlap = std::min({lead, trail, maxShift});
    pitch = extent - overlap;
  }

  /// Plane positions [lo, hi) of phase r that read real input, within the
  /// pitch.
  std::pair<int64_t, int64_t> getValidRange(int64_t r) const {
    int64_t lo = std::max<int64_t>(0, -floorDiv(r - pad, stride));
    int64_t hi = std::min(pitch, floorDiv(in - 1 + pad - r, stride) + 1);
    return {std::min(lo, pitch), std::max(hi, std::min(lo, pitch))};
  }
};

/// Writes `rows` rows of `pitch` plane positions of one phase plane: row y
/// reads input row iy = y * rowStride + rowOffset (zero if outside
/// [0, inRows)), position x reads column x * colStride + colOffset of it,
/// which is real input for x in [xlo, xhi) and zero elsewhere.
template <int W>
QCC_ALWAYS_INLINE void
phasePlaneImpl(const float *src, float *dst, int64_t rows, int64_t pitch,
               int64_t inRows, int64_t inCols, int64_t rowStride,
               int64_t rowOffset, int64_t colStride, int64_t colOffset,
               int64_t xlo, int64_t xhi) {
  for (int64_t y = 0; y < rows; ++y, dst += pitch) {
    int64_t iy = y * rowStride + rowOffset;
    if (iy < 0 || iy >= inRows) {
      simd::copyWindow<W>(src, dst, 0, 0, pitch);
      continue;
    }
    const float *row = src + iy * inCols + colOffset;
    if (colStride == 1) {
      simd::copyWindow<W>(row, dst, xlo, xhi, pitch);
      continue;
    }
    if (colStride == 2) {
      simd::copyWindowStride2<W>(row, dst, xlo, xhi, pitch);
      continue;
    }
    for (int64_t x = 0; x < pitch; ++x)
      dst[x] = x >= xlo && x < xhi ? row[x * colStride] : 0.0f;
  }
}

/// dst row y = src row y (+ bias) for `rows` rows of n floats, `srcPitch`
/// and n apart.
template <int W>
QCC_ALWAYS_INLINE void unpadRowsImpl(const float *src, int64_t srcPitch,
                                     float *dst, int64_t rows, int64_t n,
                                     const float *bias) {
  for (int64_t y = 0; y < rows; ++y, src += srcPitch, dst += n) {
    if (bias)
      simd::addScalar<W>(src, dst, *bias, n);
    else
      simd::copyWindow<W>(src, dst, 0, n, n);
  }
}

QCC_SIMD_DISPATCH(phasePlane, phasePlaneImpl,
                  (const float *src, float *dst, int64_t rows, int64_t pitch,
                   int64_t inRows, int64_t inCols, int64_t rowStride,
                   int64_t rowOffset, int64_t colStride, int64_t colOffset,
                   int64_t xlo, int64_t xhi),
                  (src, dst, rows, pitch, inRows, inCols, rowStride, rowOffset,
                   colStride, colOffset, xlo, xhi))
QCC_SIMD_DISPATCH(unpadRows, unpadRowsImpl,
                  (const float *src, int64_t srcPitch, float *dst, int64_t rows,
                   int64_t n, const float *bias),
                  (src, srcPitch, dst, rows, n, bias))

/// Keeps the phase planes and the GEMM's result of one tile of images near
/// this size.
constexpr int64_t kConvTileBytes = int64_t(16) << 20;

/// Float convolution with one or two spatial dimensions (a 1-d one is a 2-d
/// one of height 1), any stride, padding, dilation and group count. Adds
/// `bias` (may be null) to the sums.
void convImplicitF32(const ConvGeometry &g, const float *in, const float *w,
                     const float *bias, float *out, KernelContext &context) {
  WorkerPool &pool = context.pool;
  PhaseAxis ay, ax;
  int64_t last = g.getRank() - 1;
  auto initAxis = [&](PhaseAxis &axis, int64_t d) {
    axis.in = g.inSpatial[d];
    axis.out = g.outSpatial[d];
    axis.kernel = g.kernel[d];
    axis.stride = g.strides[d];
    axis.dilation = g.dilations[d];
    axis.pad = g.padsBegin[d];
  };
  if (last == 1)
    initAxis(ay, 0);
  initAxis(ax, last);
  ay.init();
  ax.init();

  int64_t cg = g.channelsPerGroup(), fg = g.filtersPerGroup();
  int64_t depth = cg * g.kernelSize;
  int64_t yPhases = ay.phases.size(), xPhases = ax.phases.size();
  int64_t arrays = cg * yPhases * xPhases;
  int64_t planeSize = ay.pitch * ax.pitch;
  int64_t tailSize = ay.maxShift * ax.pitch + ax.maxShift;
  int64_t perImage = (arrays + fg) * planeSize * int64_t(sizeof(float));
  int64_t tileImages =
      std::clamp<int64_t>(kConvTileBytes / perImage, 1, g.batch);
  int64_t arrayLength = tileImages * planeSize + tailSize;

  // Row k = (channel, ky, kx) of the implicit im2col matrix.
  std::vector<int64_t> rowOffsets(depth);
  for (int64_t c = 0; c < cg; ++c)
    for (int64_t ky = 0; ky < ay.kernel; ++ky)
      for (int64_t kx = 0; kx < ax.kernel; ++kx) {
        int64_t array =
            (c * yPhases + ay.phaseOf[ky]) * xPhases + ax.phaseOf[kx];
        rowOffsets[(c * ay.kernel + ky) * ax.kernel + kx] =
            array * arrayLength + ay.shiftOf[ky] * ax.pitch + ax.shiftOf[kx];
      }

  ScratchBuffer planeBuffer(context, arrays * arrayLength * sizeof(float));
  ScratchBuffer stagedBuffer(context,
                             fg * tileImages * planeSize * sizeof(float));
  float *planes = planeBuffer.get<float>(), *staged = stagedBuffer.get<float>();
  int64_t inPlane = ay.in * ax.in, outPlane = ay.out * ax.out;
  for (int64_t group = 0; group < g.groups; ++group) {
    for (int64_t b0 = 0; b0 < g.batch; b0 += tileImages) {
      int64_t images = std::min(tileImages, g.batch - b0);
      int64_t columns = images * planeSize;
      // Phase planes: task (array, image) writes that image's rows of the
      // array, plus the zero tail after the last image.
      int64_t grain = std::max<int64_t>(1, kParallelGrain / planeSize);
      pool.parallelFor(arrays * images, grain, [&](int64_t t0, int64_t t1) {
        for (int64_t t = t0; t < t1; ++t) {
          int64_t array = t / images, image = t % images;
          int64_t c = array / (yPhases * xPhases);
          int64_t ry = ay.phases[(array / xPhases) % yPhases];
          int64_t rx = ax.phases[array % xPhases];
          auto [xlo, xhi] = ax.getValidRange(rx);
          const float *src =
              in + ((b0 + image) * g.channels + group * cg + c) * inPlane;
          float *dst = planes + array * arrayLength + image * planeSize;
          phasePlane(src, dst, ay.pitch, ax.pitch, ay.in, ax.in, ay.stride,
                     ry - ay.pad, ax.stride, rx - ax.pad, xlo, xhi);
          dst += planeSize;
          if (image == images - 1)
            std::fill_n(dst, tailSize, 0.0f);
        }
      });
      gemmF32RowTable(fg, columns, depth, w + group * fg * depth, depth, planes,
                      rowOffsets.data(), staged, columns, &pool);
      // Keep the real output positions, adding the bias.
      int64_t scatterGrain = std::max<int64_t>(1, kParallelGrain / outPlane);
      pool.parallelFor(images * fg, scatterGrain, [&](int64_t t0, int64_t t1) {
        for (int64_t t = t0; t < t1; ++t) {
          int64_t image = t / fg, f = t % fg;
          const float *src = staged + f * columns + image * planeSize;
          float *dst =
              out + ((b0 + image) * g.filters + group * fg + f) * outPlane;
          unpadRows(src, ax.pitch, dst, ay.out, ax.out,
                    bias ? bias + group * fg + f : nullptr);
        }
      });
    }
  }
}

template <typename TI, typename TW, typename Acc>
void runConvTyped(const ConvGeometry &g, const Tensor &input,
                  const Tensor &weight, Tensor &out, WorkerPool &pool) {
  // The GEMM multiplies weights (left) by im2col columns (right).
  MatrixProduct product{weight.getElementType(), input.getElementType()};
  const TI *in = static_cast<const TI *>(input.getRawData());
  const TW *w = static_cast<const TW *>(weight.getRawData());
  Acc *dst = static_cast<Acc *>(out.getRawData());
  int64_t rows = g.channelsPerGroup() * g.kernelSize;
  int64_t mg = g.filtersPerGroup();
  bool direct = g.kernelSize == 1 &&
                llvm::all_of(g.strides, [](int64_t s) { return s == 1; }) &&
                llvm::all_of(g.padsBegin, [](int64_t p) { return p == 0; }) &&
                g.inSize == g.outSize;
  if (direct) {
    // The input planes of a group are already the GEMM's right operand.
    for (int64_t image = 0; image < g.batch; ++image)
      for (int64_t group = 0; group < g.groups; ++group)
        product.run(
            mg, g.outSize, rows, w + group * mg * rows, rows,
            in + (image * g.channels + group * g.channelsPerGroup()) * g.inSize,
            g.inSize, dst + (image * g.filters + group * mg) * g.outSize,
            g.outSize, &pool);
    return;
  }
  WindowSpans spans(g);
  if (g.channelsPerGroup() == 1 && g.groups > 1) {
    depthwise<TI, TW, Acc>(g, spans, in, w, dst, pool);
    return;
  }
  // The columns of all images form one GEMM (small feature maps make poor
  // GEMMs on their own), in tiles that keep the im2col buffer near 16 MiB.
  int64_t total = g.batch * g.outSize;
  int64_t tile = std::max<int64_t>(
      64,
      (int64_t(16) << 20) / std::max<int64_t>(1, rows * int64_t(sizeof(TI))));
  tile = std::min(tile, total);
  // Both buffers are fully written before being read: no initialisation.
  std::unique_ptr<TI[]> col(new TI[rows * tile]);
  std::unique_ptr<Acc[]> staged(new Acc[g.batch > 1 ? mg * tile : 1]);
  for (int64_t group = 0; group < g.groups; ++group) {
    const TW *groupW = w + group * mg * rows;
    for (int64_t j0 = 0; j0 < total; j0 += tile) {
      int64_t j1 = std::min(total, j0 + tile), cols = j1 - j0;
      im2col(g, spans, in, group, j0, j1, col.get(), pool);
      if (g.batch == 1) {
        product.run(mg, cols, rows, groupW, rows, col.get(), cols,
                    dst + group * mg * g.outSize + j0, g.outSize, &pool);
        continue;
      }
      // Scatter the [filter][column] product to each image's planes.
      product.run(mg, cols, rows, groupW, rows, col.get(), cols, staged.get(),
                  cols, &pool);
      pool.parallelFor(mg, 1, [&](int64_t m0, int64_t m1) {
        for (int64_t m = m0; m < m1; ++m)
          for (int64_t j = j0; j < j1;) {
            int64_t image = j / g.outSize, pos = j % g.outSize;
            int64_t n = std::min(j1 - j, g.outSize - pos);
            std::copy_n(staged.get() + m * cols + (j - j0), n,
                        dst + (image * g.filters + group * mg + m) * g.outSize +
                            pos);
            j += n;
          }
      });
    }
  }
}

LogicalResult runConv(Operation *op, ArrayRef<Tensor> operands,
                      SmallVectorImpl<Tensor> &results,
                      KernelContext &context) {
  auto conv = cast<ConvOp>(op);
  Tensor out = allocateResult(op, context);
  if (!out)
    return failure();
  const Tensor &input = operands[0], &weight = operands[1];
  ConvGeometry g(conv, input, weight, out);
  if (out.getNumElements() == 0) {
    results.push_back(std::move(out));
    return success();
  }

  bool inU8 = input.getElementType() == ElementType::UI8;
  bool wU8 = weight.getElementType() == ElementType::UI8;
  bool depthwise = g.channelsPerGroup() == 1 && g.groups > 1;
  if (input.getElementType() == ElementType::F32 && g.getRank() >= 1 &&
      g.getRank() <= 2 && !depthwise) {
    convImplicitF32(g, input.getData<float>(), weight.getData<float>(),
                    operands.size() > 2 ? operands[2].getData<float>()
                                        : nullptr,
                    out.getData<float>(), context);
    results.push_back(std::move(out));
    return success();
  }
  if (input.getElementType() == ElementType::F32)
    runConvTyped<float, float, float>(g, input, weight, out, context.pool);
  else if (input.getElementType() == ElementType::I32)
    runConvTyped<int32_t, int32_t, int32_t>(g, input, weight, out,
                                            context.pool);
  else if (inU8 && wU8)
    runConvTyped<uint8_t, uint8_t, int32_t>(g, input, weight, out,
                                            context.pool);
  else if (inU8)
    runConvTyped<uint8_t, int8_t, int32_t>(g, input, weight, out, context.pool);
  else if (wU8)
    runConvTyped<int8_t, uint8_t, int32_t>(g, input, weight, out, context.pool);
  else
    runConvTyped<int8_t, int8_t, int32_t>(g, input, weight, out, context.pool);

  if (operands.size() > 2) {
    const Tensor &bias = operands[2];
    int64_t planes = g.batch * g.filters;
    context.pool.parallelFor(planes, 1, [&](int64_t p0, int64_t p1) {
      for (int64_t p = p0; p < p1; ++p) {
        int64_t filter = p % g.filters;
        if (out.getElementType() == ElementType::F32) {
          float *y = out.getData<float>() + p * g.outSize;
          float b = bias.getData<float>()[filter];
          for (int64_t j = 0; j < g.outSize; ++j)
            y[j] = y[j] + b;
        } else {
          int32_t *y = out.getData<int32_t>() + p * g.outSize;
          uint32_t b = static_cast<uint32_t>(bias.getData<int32_t>()[filter]);
          for (int64_t j = 0; j < g.outSize; ++j)
            y[j] = static_cast<int32_t>(static_cast<uint32_t>(y[j]) + b);
        }
      }
    });
  }
  results.push_back(std::move(out));
  return success();
}

/// f32, or 8-bit or i32 integers accumulating into i32 (the verifier's
/// rule).
LogicalResult checkLinear(Operation *op) {
  return checkElementTypes(op, {ElementType::F32, ElementType::I8,
                                ElementType::UI8, ElementType::I32});
}

} // namespace

void mlir::qcc::populateLinearKernels(KernelTable &table) {
  table.add<MatMulOp>(runMatMul, checkLinear);
  table.add<ConvOp>(runConv, checkLinear);
}
