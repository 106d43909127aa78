//===- DataMovement.cpp - reshape, transpose, slice, gather, ... -*- C++
//-*-===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//
//
// Ops that only move elements: qcc.reshape (a view, no copy), transpose,
// concat, slice, gather, pad and broadcast_to. They work on any element type
// by copying elements of the right size. Gather checks every index against
// `[-dim, dim)` before copying and reports the first one out of range.
//
//===----------------------------------------------------------------------===//

#include "Kernels.h"

#include "qcc/Dialect/Qcc/IR/QccOps.h"

#include "mlir/IR/BuiltinTypes.h"

#include <cstring>

using namespace mlir;
using namespace mlir::qcc;

namespace {

/// dst[o] = src[base + sum_d o[d] * srcStrides[d]] for every multi-index o
/// over `shape` in row-major order, rows in parallel.
void stridedCopy(ArrayRef<int64_t> shape, ArrayRef<int64_t> srcStrides,
                 int64_t base, const void *src, void *dst, size_t elementSize,
                 WorkerPool &pool) {
  // Drop unit dimensions and merge neighbours the source walks as one.
  SmallVector<int64_t> sizes, strides;
  for (size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] == 0)
      return;
    if (shape[d] == 1)
      continue;
    if (!sizes.empty() && strides.back() == srcStrides[d] * shape[d]) {
      sizes.back() *= shape[d];
      strides.back() = srcStrides[d];
      continue;
    }
    sizes.push_back(shape[d]);
    strides.push_back(srcStrides[d]);
  }
  if (sizes.empty()) {
    sizes.push_back(1);
    strides.push_back(0);
  }
  int64_t inner = sizes.back(), innerStride = strides.back();
  int64_t rows = getNumElements(sizes) / inner;
  dispatchBySize(elementSize, [&](auto tag) {
    using U = typename decltype(tag)::type;
    const U *in = static_cast<const U *>(src);
    U *out = static_cast<U *>(dst);
    pool.parallelFor(
        rows, std::max<int64_t>(1, kParallelGrain / inner),
        [&](int64_t r0, int64_t r1) {
          for (int64_t row = r0; row < r1; ++row) {
            int64_t offset = base;
            for (int64_t d = static_cast<int64_t>(sizes.size()) - 2, rest = row;
                 d >= 0; --d) {
              offset += (rest % sizes[d]) * strides[d];
              rest /= sizes[d];
            }
            const U *from = in + offset;
            U *to = out + row * inner;
            if (innerStride == 1)
              std::memcpy(to, from, inner * sizeof(U));
            else
              for (int64_t j = 0; j < inner; ++j)
                to[j] = from[j * innerStride];
          }
        });
  });
}

size_t elementSizeOf(const Tensor &t) {
  return getElementSize(t.getElementType());
}

LogicalResult runReshape(Operation *op, ArrayRef<Tensor> operands,
                         SmallVectorImpl<Tensor> &results, KernelContext &) {
  auto type = cast<RankedTensorType>(op->getResult(0).getType());
  results.push_back(operands[0].reshape(type.getShape()));
  return success();
}

LogicalResult runTranspose(Operation *op, ArrayRef<Tensor> operands,
                           SmallVectorImpl<Tensor> &results,
                           KernelContext &context) {
  Tensor out = allocateResult(op, context);
  if (!out)
    return failure();
  ArrayRef<int64_t> perm = cast<TransposeOp>(op).getPermutation();
  SmallVector<int64_t> inStrides = getStrides(operands[0].getShape());
  SmallVector<int64_t> srcStrides;
  for (int64_t p : perm)
    srcStrides.push_back(inStrides[p]);
  stridedCopy(out.getShape(), srcStrides, 0, operands[0].getRawData(),
              out.getRawData(), elementSizeOf(out), context.pool);
  results.push_back(std::move(out));
  return success();
}

LogicalResult runConcat(Operation *op, ArrayRef<Tensor> operands,
                        SmallVectorImpl<Tensor> &results,
                        KernelContext &context) {
  Tensor out = allocateResult(op, context);
  if (!out)
    return failure();
  int64_t axis = cast<ConcatOp>(op).getAxis();
  ArrayRef<int64_t> shape = out.getShape();
  int64_t outer = getNumElements(shape.take_front(axis));
  int64_t inner = getNumElements(shape.drop_front(axis + 1));
  size_t bytes = elementSizeOf(out);
  int64_t outRow = shape[axis] * inner * bytes;
  char *dst = static_cast<char *>(out.getRawData());
  int64_t grain =
      std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(1, outRow));
  context.pool.parallelFor(outer, grain, [&](int64_t o0, int64_t o1) {
    for (int64_t o = o0; o < o1; ++o) {
      char *to = dst + o * outRow;
      for (const Tensor &input : operands) {
        int64_t chunk = input.getShape()[axis] * inner * bytes;
        if (chunk)
          std::memcpy(to,
                      static_cast<const char *>(input.getRawData()) + o * chunk,
                      chunk);
        to += chunk;
      }
    }
  });
  results.push_back(std::move(out));
  return success();
}

LogicalResult runSlice(Operation *op, ArrayRef<Tensor> operands,
                       SmallVectorImpl<Tensor> &results,
                       KernelContext &context) {
  auto slice = cast<SliceOp>(op);
  Tensor out = allocateResult(op, context);
  if (!out)
    return failure();
  SmallVector<int64_t> inStrides = getStrides(operands[0].getShape());
  SmallVector<int64_t> srcStrides;
  int64_t base = 0;
  for (size_t d = 0; d < inStrides.size(); ++d) {
    srcStrides.push_back(slice.getSteps()[d] * inStrides[d]);
    if (out.getShape()[d] > 0)
      base += slice.getStarts()[d] * inStrides[d];
  }
  stridedCopy(out.getShape(), srcStrides, base, operands[0].getRawData(),
              out.getRawData(), elementSizeOf(out), context.pool);
  results.push_back(std::move(out));
  return success();
}

template <typename I>
LogicalResult gatherTyped(Operation *op, const Tensor &data,
                          const Tensor &indices, int64_t axis, Tensor &out,
                          WorkerPool &pool) {
  ArrayRef<int64_t> shape = data.getShape();
  int64_t dim = shape[axis];
  const I *idx = indices.getData<I>();
  int64_t count = indices.getNumElements();
  for (int64_t i = 0; i < count; ++i)
    if (idx[i] < -dim || idx[i] >= dim)
      return op->emitError()
             << "gather index " << int64_t(idx[i]) << " out of range [" << -dim
             << ", " << dim << ") for dimension " << axis << " of size " << dim;
  int64_t outer = getNumElements(shape.take_front(axis));
  size_t block =
      getNumElements(shape.drop_front(axis + 1)) * elementSizeOf(data);
  const char *src = static_cast<const char *>(data.getRawData());
  char *dst = static_cast<char *>(out.getRawData());
  int64_t grain =
      std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(1, block));
  pool.parallelFor(outer * count, grain, [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) {
      int64_t o = t / count, i = t % count;
      int64_t index = idx[i] < 0 ? idx[i] + dim : idx[i];
      if (block)
        std::memcpy(dst + t * block, src + (o * dim + index) * block, block);
    }
  });
  return success();
}

LogicalResult runGather(Operation *op, ArrayRef<Tensor> operands,
                        SmallVectorImpl<Tensor> &results,
                        KernelContext &context) {
  Tensor out = allocateResult(op, context);
  if (!out)
    return failure();
  int64_t axis = cast<GatherOp>(op).getAxis();
  LogicalResult status =
      operands[1].getElementType() == ElementType::I64
          ? gatherTyped<int64_t>(op, operands[0], operands[1], axis, out,
                                 context.pool)
          : gatherTyped<int32_t>(op, operands[0], operands[1], axis, out,
                                 context.pool);
  if (failed(status))
    return failure();
  results.push_back(std::move(out));
  return success();
}

/// The pad value's bytes as an element of `type`.
uint64_t getPadBits(TypedAttr value, ElementType type) {
  uint64_t bits = 0;
  if (auto f = dyn_cast<FloatAttr>(value)) {
    float v = f.getValue().convertToFloat();
    std::memcpy(&bits, &v, sizeof(v));
  } else if (auto i = dyn_cast<IntegerAttr>(value)) {
    bits = type == ElementType::I1 ? (i.getValue().isZero() ? 0 : 1)
                                   : i.getValue().getZExtValue();
  } else if (auto b = dyn_cast<BoolAttr>(value)) {
    bits = b.getValue();
  }
  return bits;
}

LogicalResult runPad(Operation *op, ArrayRef<Tensor> operands,
                     SmallVectorImpl<Tensor> &results, KernelContext &context) {
  auto pad = cast<PadOp>(op);
  Tensor out = allocateResult(op, context);
  if (!out)
    return failure();
  const Tensor &in = operands[0];
  ArrayRef<int64_t> inShape = in.getShape(), outShape = out.getShape();
  ArrayRef<int64_t> pads = pad.getPads();
  int64_t rank = in.getRank();
  PadMode mode = pad.getMode();
  uint64_t padBits = getPadBits(pad.getValue(), out.getElementType());
  SmallVector<int64_t> inStrides = getStrides(inShape);
  /// Source index of output index `o` along `d`, or -1 for the constant.
  auto source = [&](int64_t d, int64_t o) -> int64_t {
    int64_t i = o - pads[d], dim = inShape[d];
    if (i >= 0 && i < dim)
      return i;
    if (mode == PadMode::Constant || dim == 0)
      return -1;
    if (mode == PadMode::Edge)
      return i < 0 ? 0 : dim - 1;
    return i < 0 ? -i : 2 * (dim - 1) - i; // reflect
  };
  int64_t inner = rank ? outShape.back() : 1;
  int64_t rows = out.getNumElements() / std::max<int64_t>(inner, 1);
  if (out.getNumElements() == 0) {
    results.push_back(std::move(out));
    return success();
  }
  dispatchBySize(elementSizeOf(out), [&](auto tag) {
    using U = typename decltype(tag)::type;
    const U *src = static_cast<const U *>(in.getRawData());
    U *dst = static_cast<U *>(out.getRawData());
    U fill = static_cast<U>(padBits);
    context.pool.parallelFor(
        rows, std::max<int64_t>(1, kParallelGrain / inner),
        [&](int64_t r0, int64_t r1) {
          for (int64_t row = r0; row < r1; ++row) {
            U *to = dst + row * inner;
            int64_t offset = 0;
            bool constant = false;
            for (int64_t d = rank - 2, rest = row; d >= 0; --d) {
              int64_t i = source(d, rest % outShape[d]);
              rest /= outShape[d];
              constant |= i < 0;
              offset += i * inStrides[d];
            }
            for (int64_t j = 0; j < inner; ++j) {
              int64_t i = rank ? source(rank - 1, j) : 0;
              to[j] = constant || i < 0 ? fill : src[offset + i];
            }
          }
        });
  });
  results.push_back(std::move(out));
  return success();
}

LogicalResult runBroadcastTo(Operation *op, ArrayRef<Tensor> operands,
                             SmallVectorImpl<Tensor> &results,
                             KernelContext &context) {
  Tensor out = allocateResult(op, context);
  if (!out)
    return failure();
  ArrayRef<int64_t> inShape = operands[0].getShape();
  SmallVector<int64_t> own = getStrides(inShape);
  SmallVector<int64_t> srcStrides(out.getRank(), 0);
  int64_t offset = out.getRank() - operands[0].getRank();
  for (int64_t d = 0; d < operands[0].getRank(); ++d)
    if (inShape[d] != 1)
      srcStrides[offset + d] = own[d];
  stridedCopy(out.getShape(), srcStrides, 0, operands[0].getRawData(),
              out.getRawData(), elementSizeOf(out), context.pool);
  results.push_back(std::move(out));
  return success();
}

} // namespace

void mlir::qcc::populateDataMovementKernels(KernelTable &table) {
  table.add<ReshapeOp>(runReshape);
  table.add<TransposeOp>(runTranspose);
  table.add<ConcatOp>(runConcat);
  table.add<SliceOp>(runSlice);
  table.add<GatherOp>(runGather);
  table.add<PadOp>(runPad);
  table.add<BroadcastToOp>(runBroadcastTo);
}
