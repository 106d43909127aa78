//===- Window.h - sliding-window geometry for conv and pooling --*- C++ -*-===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//
//
// Convolution and pooling slide a window over the spatial dimensions of an
// N x C x D1 x ... x Dn tensor. The kernels work one output row at a time
// (all spatial indices but the last fixed): for each kernel position, the
// output positions of the row that read real input (not padding) form one
// contiguous span, and the input they read is an arithmetic sequence. This
// keeps the inner loops free of per-element bounds checks.
//
//===----------------------------------------------------------------------===//

#ifndef QCC_LIB_INTERPRETER_KERNELS_WINDOW_H
#define QCC_LIB_INTERPRETER_KERNELS_WINDOW_H

#include "Kernels.h"

#include <vector>

namespace mlir::qcc {

struct WindowGeometry {
  SmallVector<int64_t> inSpatial, kernel, outSpatial, strides, padsBegin,
      dilations;
  /// Row-major strides of the input's spatial dimensions.
  SmallVector<int64_t> inStrides;
  int64_t inSize = 1, kernelSize = 1, outSize = 1;

  /// `pads` holds all begins, then all ends; empty `dilations` means 1s.
  WindowGeometry(ArrayRef<int64_t> inShape, ArrayRef<int64_t> outShape,
                 ArrayRef<int64_t> kernel, ArrayRef<int64_t> strides,
                 ArrayRef<int64_t> pads, ArrayRef<int64_t> dilations)
      : inSpatial(inShape.drop_front(2)), kernel(kernel),
        outSpatial(outShape.drop_front(2)), strides(strides),
        padsBegin(pads.take_front(inShape.size() - 2)) {
    if (dilations.empty())
      this->dilations.assign(inSpatial.size(), 1);
    else
      this->dilations.assign(dilations.begin(), dilations.end());
    inStrides = getStrides(inSpatial);
    inSize = getNumElements(inSpatial);
    kernelSize = getNumElements(kernel);
    outSize = getNumElements(outSpatial);
  }

  int64_t getRank() const { return static_cast<int64_t>(inSpatial.size()); }
  /// Length of an output row (the last spatial dimension).
  int64_t getRowLength() const { return outSpatial.back(); }
  /// Number of output rows of one plane.
  int64_t getNumRows() const {
    return outSize / std::max<int64_t>(1, getRowLength());
  }
};

/// What one kernel position reads for one output row.
struct WindowSpan {
  /// False if a non-last dimension reads padding (the whole row does).
  bool valid = false;
  /// Output positions [lo, hi) of the row read real input ...
  int64_t lo = 0, hi = 0;
  /// ... at input offset `base + position * stride` of the plane.
  int64_t base = 0, stride = 1;
};

/// Steps a row-major multi-index over `sizes`.
inline void incrementIndex(MutableArrayRef<int64_t> index,
                           ArrayRef<int64_t> sizes) {
  for (int64_t d = static_cast<int64_t>(index.size()) - 1; d >= 0; --d) {
    if (++index[d] < sizes[d])
      return;
    index[d] = 0;
  }
}

inline int64_t floorDiv(int64_t a, int64_t b) {
  return a >= 0 ? a / b : -((-a + b - 1) / b);
}

/// The span of kernel position `kernelPos` (rank entries) in output row
/// `row` (a flat index over all spatial dimensions but the last).
inline WindowSpan getWindowSpan(const WindowGeometry &g, int64_t row,
                                ArrayRef<int64_t> kernelPos) {
  WindowSpan span;
  int64_t rank = g.getRank();
  int64_t offset = 0;
  for (int64_t d = rank - 2; d >= 0; --d) {
    int64_t out = row % g.outSpatial[d];
    row /= g.outSpatial[d];
    int64_t in =
        out * g.strides[d] - g.padsBegin[d] + kernelPos[d] * g.dilations[d];
    if (in < 0 || in >= g.inSpatial[d])
      return span;
    offset += in * g.inStrides[d];
  }
  int64_t last = rank - 1, stride = g.strides[last];
  // Input index of output position p is p * stride + start.
  int64_t start = kernelPos[last] * g.dilations[last] - g.padsBegin[last];
  span.valid = true;
  span.lo = std::max<int64_t>(0, -floorDiv(start, stride));
  span.hi = std::min(g.getRowLength(),
                     floorDiv(g.inSpatial[last] - 1 - start, stride) + 1);
  span.hi = std::max(span.hi, span.lo);
  span.base = offset + start;
  span.stride = stride;
  return span;
}

/// The spans of every (kernel position, output row) pair: they do not depend
/// on the image or channel, so kernels compute them once per op.
class WindowSpans {
public:
  explicit WindowSpans(const WindowGeometry &g) : rows(g.getNumRows()) {
    spans.reserve(g.kernelSize * rows);
    SmallVector<int64_t> kernelPos(g.getRank(), 0);
    for (int64_t k = 0; k < g.kernelSize; ++k) {
      for (int64_t row = 0; row < rows; ++row)
        spans.push_back(getWindowSpan(g, row, kernelPos));
      incrementIndex(kernelPos, g.kernel);
    }
  }
  /// Kernel positions are numbered in row-major order.
  const WindowSpan &get(int64_t kernelIndex, int64_t row) const {
    return spans[kernelIndex * rows + row];
  }

private:
  int64_t rows;
  std::vector<WindowSpan> spans;
};

} // namespace mlir::qcc

#endif // QCC_LIB_INTERPRETER_KERNELS_WINDOW_H
