//===- DataMovement.cpp - transpose, concat, slice, gather, ... -*- C++ -*-===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//
//
// Kernels that only move elements (any dtype, copied by size), as the
// interpreter's lib/Interpreter/Kernels/DataMovement.cpp. Gather checks every
// index against [-dim, dim) before copying and reports the first one out of
// range.
//
//===----------------------------------------------------------------------===//

#include "Internal.h"

#include <string.h>

using namespace qcc_rt;

namespace {

int32_t checkMove(qcc_rt_context *ctx, const char *name,
                  const qcc_rt_tensor *inputs, int64_t numInputs,
                  const qcc_rt_tensor *output, int64_t lo, int64_t hi) {
  if (int32_t s = checkNumInputs(ctx, name, numInputs, lo, hi))
    return s;
  if (int32_t s = checkTensors(ctx, name, inputs, numInputs, output))
    return s;
  if (inputs[0].dtype != output->dtype)
    return qcc_rt_set_error(ctx, QCC_ERROR_RUNTIME, "%s: input %s, result %s",
                            name, getDtypeName(inputs[0].dtype),
                            getDtypeName(output->dtype));
  return QCC_OK;
}

template <typename I>
int32_t gatherTyped(qcc_rt_context *ctx, const qcc_rt_tensor &data,
                    const qcc_rt_tensor &indices, int64_t axis,
                    const qcc_rt_tensor &out) {
  int64_t dim = data.shape[axis];
  const I *idx = static_cast<const I *>(indices.data);
  int64_t count = getNumElements(indices);
  for (int64_t i = 0; i < count; ++i)
    if (idx[i] < -dim || idx[i] >= dim)
      return qcc_rt_set_error(ctx, QCC_ERROR_RUNTIME,
                              "gather index %lld out of range [%lld, %lld) for "
                              "dimension %lld of size %lld",
                              (long long)idx[i], (long long)-dim,
                              (long long)dim, (long long)axis,
                              (long long)dim);
  int64_t outer = getNumElements(data.shape, axis);
  size_t block = static_cast<size_t>(getNumElements(
                     data.shape + axis + 1, data.rank - axis - 1)) *
                 getElementSize(data.dtype);
  const char *src = static_cast<const char *>(data.data);
  char *dst = static_cast<char *>(out.data);
  parallelFor(ctx, outer * count, grainFor(static_cast<int64_t>(block)),
              [&](int64_t t0, int64_t t1) {
                for (int64_t t = t0; t < t1; ++t) {
                  int64_t o = t / count, i = t % count;
                  int64_t index = idx[i] < 0 ? idx[i] + dim : idx[i];
                  if (block)
                    memcpy(dst + t * block, src + (o * dim + index) * block,
                           block);
                }
              });
  return QCC_OK;
}

} // namespace

extern "C" {

QCC_RT_DEFINE_KERNEL(transpose) {
  const char *name = "transpose";
  if (int32_t s = checkMove(ctx, name, inputs, num_inputs, output, 1, 1))
    return s;
  const qcc_rt_tensor &in = inputs[0];
  if (!attrs || attrs[0] != in.rank || output->rank != in.rank)
    return qcc_rt_set_error(ctx, QCC_ERROR_RUNTIME,
                            "transpose: permutation does not match rank %lld",
                            (long long)in.rank);
  const int64_t *perm = attrs + 1;
  int64_t inStrides[kMaxRank], srcStrides[kMaxRank];
  getStrides(in.shape, in.rank, inStrides);
  for (int64_t d = 0; d < in.rank; ++d) {
    if (perm[d] < 0 || perm[d] >= in.rank)
      return qcc_rt_set_error(ctx, QCC_ERROR_RUNTIME,
                              "transpose: bad permutation entry %lld",
                              (long long)perm[d]);
    srcStrides[d] = inStrides[perm[d]];
  }
  stridedCopy(ctx, output->shape, output->rank, srcStrides, 0, in.data,
              output->data, getElementSize(output->dtype));
  return QCC_OK;
}

QCC_RT_DEFINE_KERNEL(concat) {
  const char *name = "concat";
  if (int32_t s =
          checkMove(ctx, name, inputs, num_inputs, output, 1, INT64_MAX))
    return s;
  int64_t axis = attrs ? attrs[0] : -1;
  if (axis < 0 || axis >= output->rank)
    return qcc_rt_set_error(ctx, QCC_ERROR_RUNTIME, "concat: bad axis %lld",
                            (long long)axis);
  for (int64_t i = 0; i < num_inputs; ++i)
    if (inputs[i].dtype != output->dtype || inputs[i].rank != output->rank)
      return qcc_rt_set_error(ctx, QCC_ERROR_RUNTIME,
                              "concat: input %lld does not match the result",
                              (long long)i);
  const int64_t *shape = output->shape;
  int64_t outer = getNumElements(shape, axis);
  int64_t inner = getNumElements(shape + axis + 1, output->rank - axis - 1);
  int64_t bytes = static_cast<int64_t>(getElementSize(output->dtype));
  int64_t outRow = shape[axis] * inner * bytes;
  char *dst = static_cast<char *>(output->data);
  parallelFor(ctx, outer, grainFor(outRow), [&](int64_t o0, int64_t o1) {
    for (int64_t o = o0; o < o1; ++o) {
      char *to = dst + o * outRow;
      for (int64_t i = 0; i < num_inputs; ++i) {
        int64_t chunk = inputs[i].shape[axis] * inner * bytes;
        if (chunk)
          memcpy(to, static_cast<const char *>(inputs[i].data) + o * chunk,
                 chunk);
        to += chunk;
      }
    }
  });
  return QCC_OK;
}

QCC_RT_DEFINE_KERNEL(slice) {
  const char *name = "slice";
  if (int32_t s = checkMove(ctx, name, inputs, num_inputs, output, 1, 1))
    return s;
  const qcc_rt_tensor &in = inputs[0];
  if (!attrs || attrs[0] != in.rank || output->rank != in.rank)
    return qcc_rt_set_error(ctx, QCC_ERROR_RUNTIME,
                            "slice: starts do not match rank %lld",
                            (long long)in.rank);
  const int64_t *starts = attrs + 1, *steps = attrs + 1 + in.rank;
  int64_t inStrides[kMaxRank], srcStrides[kMaxRank];
  getStrides(in.shape, in.rank, inStrides);
  int64_t base = 0;
  for (int64_t d = 0; d < in.rank; ++d) {
    srcStrides[d] = steps[d] * inStrides[d];
    if (output->shape[d] > 0)
      base += starts[d] * inStrides[d];
  }
  stridedCopy(ctx, output->shape, output->rank, srcStrides, base, in.data,
              output->data, getElementSize(output->dtype));
  return QCC_OK;
}

QCC_RT_DEFINE_KERNEL(gather) {
  const char *name = "gather";
  if (int32_t s = checkMove(ctx, name, inputs, num_inputs, output, 2, 2))
    return s;
  int64_t axis = attrs ? attrs[0] : -1;
  if (axis < 0 || axis >= inputs[0].rank)
    return qcc_rt_set_error(ctx, QCC_ERROR_RUNTIME, "gather: bad axis %lld",
                            (long long)axis);
  if (inputs[1].dtype == QCC_I64)
    return gatherTyped<int64_t>(ctx, inputs[0], inputs[1], axis, *output);
  if (inputs[1].dtype == QCC_I32)
    return gatherTyped<int32_t>(ctx, inputs[0], inputs[1], axis, *output);
  return unsupportedDtype(ctx, name, inputs[1].dtype);
}

QCC_RT_DEFINE_KERNEL(broadcast_to) {
  const char *name = "broadcast_to";
  if (int32_t s = checkMove(ctx, name, inputs, num_inputs, output, 1, 1))
    return s;
  const qcc_rt_tensor &in = inputs[0];
  if (in.rank > output->rank)
    return qcc_rt_set_error(ctx, QCC_ERROR_RUNTIME,
                            "broadcast_to: rank %lld to rank %lld",
                            (long long)in.rank, (long long)output->rank);
  int64_t own[kMaxRank], srcStrides[kMaxRank];
  getStrides(in.shape, in.rank, own);
  int64_t offset = output->rank - in.rank;
  for (int64_t d = 0; d < output->rank; ++d)
    srcStrides[d] = 0;
  for (int64_t d = 0; d < in.rank; ++d)
    if (in.shape[d] != 1)
      srcStrides[offset + d] = own[d];
  stridedCopy(ctx, output->shape, output->rank, srcStrides, 0, in.data,
              output->data, getElementSize(output->dtype));
  return QCC_OK;
}

QCC_RT_DEFINE_KERNEL(pad) {
  const char *name = "pad";
  if (int32_t s = checkMove(ctx, name, inputs, num_inputs, output, 1, 1))
    return s;
  const qcc_rt_tensor &in = inputs[0];
  int64_t rank = in.rank;
  if (!attrs || attrs[1] != 2 * rank || output->rank != rank)
    return qcc_rt_set_error(ctx, QCC_ERROR_RUNTIME,
                            "pad: pads do not match rank %lld",
                            (long long)rank);
  int64_t mode = attrs[0];
  const int64_t *pads = attrs + 2;
  // The value's bits (an f32 pattern for f32); for bool any non-zero value
  // is true (1), as an i1 attribute read sign-extended is -1.
  uint64_t padBits = static_cast<uint64_t>(attrs[2 + 2 * rank]);
  if (output->dtype == QCC_BOOL)
    padBits = padBits != 0;
  if (mode < 0 || mode > 2)
    return qcc_rt_set_error(ctx, QCC_ERROR_RUNTIME, "pad: bad mode %lld",
                            (long long)mode);
  const int64_t *inShape = in.shape, *outShape = output->shape;
  int64_t inStrides[kMaxRank];
  getStrides(inShape, rank, inStrides);
  // Source index of output index o along d, or -1 for the constant.
  auto source = [&](int64_t d, int64_t o) -> int64_t {
    int64_t i = o - pads[d], dim = inShape[d];
    if (i >= 0 && i < dim)
      return i;
    if (mode == 0 || dim == 0)
      return -1;
    if (mode == 2)
      return i < 0 ? 0 : dim - 1;
    return i < 0 ? -i : 2 * (dim - 1) - i; // reflect
  };
  int64_t total = getNumElements(*output);
  if (total == 0)
    return QCC_OK;
  int64_t inner = rank ? outShape[rank - 1] : 1;
  int64_t rows = total / inner;
  dispatchBySize(output->dtype, [&](auto tag) {
    using U = typename decltype(tag)::type;
    const U *src = static_cast<const U *>(in.data);
    U *dst = static_cast<U *>(output->data);
    U fill = static_cast<U>(padBits);
    parallelFor(ctx, rows, grainFor(inner), [&](int64_t r0, int64_t r1) {
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
  return QCC_OK;
}

} // extern "C"
