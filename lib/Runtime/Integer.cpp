//===- Integer.cpp - the integer-only ops -----------------------*- C++ -*-===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//
//
// requant, requant_add, int_softmax, int_gelu, int_layer_norm and lookup,
// calling the same qcc/Quant/IntegerMath.h functions as the interpreter
// (lib/Interpreter/Kernels/Integer.cpp), so the results are bit-identical
// by construction. Elements are widened to int64 in blocks, computed,
// clamped to the result's range and narrowed. Attr layouts are in
// RuntimeABI.h. With AVX-512 (useVnni()), requant/requant_add
// (RequantAvx512.cpp) and the int_softmax and int_layer_norm rows
// (NormalizeAvx512.cpp) take vector paths that compute the same values,
// where their parameters allow it (each path's proof is in its file).
//
//===----------------------------------------------------------------------===//

#include "Internal.h"
#include "NormalizeVector.h"
#include "RequantVector.h"
#include "TableVector.h"

#include "qcc/Quant/IntegerMath.h"

#include <stdlib.h>
#include <string.h>

using namespace qcc_rt;
using mlir::qcc::applyDyadic;
using mlir::qcc::Dyadic;

namespace {

/// Elements widened at a time.
constexpr int64_t kBlock = 1024;

/// Per-tensor or per-axis dyadic parameters over a tensor shape: the
/// parameter of flat element i is (i / inner) % channels.
struct DyadicParams {
  const int64_t *multipliers = nullptr, *shifts = nullptr;
  int64_t inner = 1, channels = 1;

  Dyadic get(int64_t i) const {
    int64_t c = channels == 1 ? 0 : (i / inner) % channels;
    return Dyadic{static_cast<int32_t>(multipliers[c]),
                  static_cast<int32_t>(shifts[c])};
  }
};

/// Reads "[n] multipliers, n shifts" at attrs[*pos] for a tensor `t` and
/// `axis`; advances *pos.
int32_t parseDyadics(qcc_rt_context *ctx, const char *name,
                     const qcc_rt_tensor &t, int64_t axis, const int64_t *attrs,
                     int64_t *pos, DyadicParams *p) {
  int64_t n = attrs[(*pos)++];
  p->multipliers = attrs + *pos;
  p->shifts = attrs + *pos + n;
  *pos += 2 * n;
  if (n < 1)
    return qcc_rt_set_error(ctx, QCC_ERROR_RUNTIME, "%s: %lld multipliers",
                            name, (long long)n);
  if (n > 1) {
    if (axis < 0 || axis >= t.rank || t.shape[axis] != n)
      return qcc_rt_set_error(ctx, QCC_ERROR_RUNTIME,
                              "%s: %lld multipliers for axis %lld", name,
                              (long long)n, (long long)axis);
    p->channels = n;
    p->inner = getNumElements(t.shape + axis + 1, t.rank - axis - 1);
  }
  return QCC_OK;
}

/// Runs body(begin, n) over blocks of at most kBlock elements, in parallel.
template <typename F>
void forEachBlock(qcc_rt_context *ctx, int64_t size, F body) {
  int64_t blocks = (size + kBlock - 1) / kBlock;
  parallelFor(ctx, blocks, grainFor(kBlock), [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b) {
      int64_t begin = b * kBlock;
      body(begin, size - begin < kBlock ? size - begin : kBlock);
    }
  });
}

int64_t saturate64(__int128 v) { return clampTo(v, INT64_MIN, INT64_MAX); }

/// Common prologue: counts, tensors, integer dtypes (8/16/32-bit results).
int32_t checkIntOp(qcc_rt_context *ctx, const char *name,
                   const qcc_rt_tensor *inputs, int64_t numInputs,
                   const qcc_rt_tensor *output, int64_t lo, int64_t hi,
                   const int64_t *attrs) {
  if (int32_t s = checkNumInputs(ctx, name, numInputs, lo, hi))
    return s;
  if (int32_t s = checkTensors(ctx, name, inputs, numInputs, output))
    return s;
  if (!attrs)
    return qcc_rt_set_error(ctx, QCC_ERROR_RUNTIME, "%s: no attrs", name);
  int64_t t = output->dtype;
  if (t != QCC_I8 && t != QCC_U8 && t != QCC_I16 && t != QCC_I32)
    return unsupportedDtype(ctx, name, t);
  for (int64_t i = 0; i < numInputs; ++i)
    if (!isIntegerDtype(inputs[i].dtype))
      return unsupportedDtype(ctx, name, inputs[i].dtype);
  return QCC_OK;
}

/// Whether requantSegmentAvx512 computes operand `t` (zero point `zp`,
/// parameters `p`) exactly: an 8-32-bit input whose difference with the
/// zero point stays within 2^31, shifts in [0, 62], int32 multipliers (not
/// -2^31 when two operands are summed, so the sum fits in int64).
bool vectorApplies(const qcc_rt_tensor &t, int64_t zp, const DyadicParams &p,
                   bool sum) {
  switch (t.dtype) {
  case QCC_I8:
  case QCC_U8:
  case QCC_I16:
    if (zp < -(int64_t(1) << 30) || zp > (int64_t(1) << 30))
      return false;
    break;
  case QCC_I32:
    if (zp != 0)
      return false;
    break;
  default:
    return false;
  }
  for (int64_t c = 0; c < p.channels; ++c) {
    int64_t m = p.multipliers[c], e = p.shifts[c];
    if (e < 0 || e > 62 || m > INT32_MAX || m < INT32_MIN ||
        (sum && m == INT32_MIN))
      return false;
  }
  return true;
}

RequantOperand makeOperand(const qcc_rt_tensor &t, int64_t zp,
                           const DyadicParams &p) {
  return {t.data,
          t.dtype,
          zp,
          p.multipliers,
          p.shifts,
          p.channels > 1,
          p.channels > 1 && p.inner == 1};
}

/// Elements [begin, begin + n) by the vector path, in segments over which
/// the channel is fixed or runs along the lanes (`axis`: the parameters of
/// a per-axis operand, or null when all are per tensor).
void requantVector(const RequantOperand *ops, int numOps,
                   const DyadicParams *axis, int64_t begin, int64_t n,
                   int64_t zeroPoint, int64_t lo, int64_t hi,
                   const qcc_rt_tensor &out) {
  for (int64_t i = begin, end = begin + n; i < end;) {
    int64_t c = 0, length = end - i;
    if (axis) {
      c = (i / axis->inner) % axis->channels;
      int64_t run = axis->inner == 1 ? axis->channels - c
                                     : (i / axis->inner + 1) * axis->inner - i;
      length = run < length ? run : length;
    }
    requantSegmentAvx512(ops, numOps, i, length, c, zeroPoint, lo, hi, out.data,
                         out.dtype);
    i += length;
  }
}

/// Whether the AVX-512 rows (load16) read elements of `dtype`.
bool isVectorDtype(int64_t dtype) {
  return dtype == QCC_I8 || dtype == QCC_U8 || dtype == QCC_I16 ||
         dtype == QCC_I32;
}

/// Scratch memory of `bytes`, freed at scope exit.
struct Scratch {
  void *data;
  explicit Scratch(size_t bytes) : data(malloc(bytes ? bytes : 1)) {}
  ~Scratch() { free(data); }
  Scratch(const Scratch &) = delete;
  Scratch &operator=(const Scratch &) = delete;
};

/// The smallest and largest element of an 8- or 16-bit tensor `in` of n
/// >= 1 elements, on the context's threads.
void getMinMax(qcc_rt_context *ctx, const qcc_rt_tensor &in, int64_t n,
               int32_t *first, int32_t *last) {
  int32_t mn = INT32_MAX, mx = INT32_MIN;
  auto merge = [&](int32_t lo, int32_t hi) {
    int32_t seen = __atomic_load_n(&mn, __ATOMIC_RELAXED);
    while (lo < seen &&
           !__atomic_compare_exchange_n(&mn, &seen, lo, true, __ATOMIC_RELAXED,
                                        __ATOMIC_RELAXED)) {
    }
    seen = __atomic_load_n(&mx, __ATOMIC_RELAXED);
    while (hi > seen &&
           !__atomic_compare_exchange_n(&mx, &seen, hi, true, __ATOMIC_RELAXED,
                                        __ATOMIC_RELAXED)) {
    }
  };
  bool vector = useVnni();
  parallelFor(ctx, n, kParallelGrain * 4, [&](int64_t i0, int64_t i1) {
    int32_t lo, hi;
    if (vector) {
      minMaxAvx512(in.dtype, in.data, i0, i1 - i0, &lo, &hi);
    } else {
      dispatchInt(in.dtype, [&](auto tag) {
        using T = typename decltype(tag)::type;
        const T *x = static_cast<const T *>(in.data);
        T a = x[i0], b = x[i0];
        for (int64_t i = i0 + 1; i < i1; ++i) {
          a = x[i] < a ? x[i] : a;
          b = x[i] > b ? x[i] : b;
        }
        lo = a;
        hi = b;
      });
    }
    merge(lo, hi);
  });
  *first = mn;
  *last = mx;
}

/// An elementwise function f of an 8- or 16-bit input evaluated once per
/// value in [min, max] of `in` (16-bit) or of its type (8-bit), a table,
/// and mapped, when that is much less work than evaluating it per element:
/// the same values by construction. The table holds f's values narrowed to
/// the output type (they are in its range), and the AVX-512 path looks them
/// up with vpgatherdd (TableVector.h). Returns false (doing nothing) when it
/// does not apply; *status is QCC_OK or an out-of-memory error.
template <typename F>
bool tabulate(qcc_rt_context *ctx, const qcc_rt_tensor &in,
              const qcc_rt_tensor &out, F f, int32_t *status) {
  int64_t n = getNumElements(out);
  if (in.dtype != QCC_I8 && in.dtype != QCC_U8 && in.dtype != QCC_I16)
    return false;
  if (n == 0)
    return true;
  // 8-bit inputs: the type's 256 values, without reading the input.
  int32_t first = in.dtype == QCC_I8 ? INT8_MIN : 0;
  int32_t last = in.dtype == QCC_I8 ? INT8_MAX : UINT8_MAX;
  if (in.dtype == QCC_I16)
    getMinMax(ctx, in, n, &first, &last);
  int64_t size = int64_t(last) - first + 1;
  if (n < 4 * size)
    return false;
  // Three bytes past the end for the vector lookup's 4-byte loads.
  size_t element = getElementSize(out.dtype);
  Scratch table(static_cast<size_t>(size) * element + 4);
  if (!table.data) {
    *status = qcc_rt_set_error(ctx, QCC_ERROR_OUT_OF_MEMORY,
                               "out of memory for a table");
    return true;
  }
  memset(static_cast<char *>(table.data) + size * element, 0, 4);
  dispatchInt(out.dtype, [&](auto outTag) {
    using TO = typename decltype(outTag)::type;
    auto *t = static_cast<TO *>(table.data);
    parallelFor(ctx, size, 256, [&](int64_t i0, int64_t i1) {
      for (int64_t i = i0; i < i1; ++i)
        t[i] = static_cast<TO>(f(static_cast<int32_t>(first + i)));
    });
    if (element == 1 && in.dtype != QCC_I16 && useVbmi()) {
      parallelFor(ctx, n, kParallelGrain, [&](int64_t i0, int64_t i1) {
        mapBytesVbmi(static_cast<const uint8_t *>(in.data),
                     static_cast<uint8_t *>(out.data), i0, i1 - i0,
                     reinterpret_cast<const uint8_t *>(t),
                     in.dtype == QCC_I8 ? 0x80 : 0);
      });
      return;
    }
    if (useVnni() && tableVectorizable(in.dtype, out.dtype)) {
      parallelFor(ctx, n, kParallelGrain, [&](int64_t i0, int64_t i1) {
        mapTableAvx512(in.dtype, in.data, out.dtype, out.data, i0, i1 - i0, t,
                       first);
      });
      return;
    }
    dispatchInt(in.dtype, [&](auto inTag) {
      using TI = typename decltype(inTag)::type;
      const TI *x = static_cast<const TI *>(in.data);
      TO *y = static_cast<TO *>(out.data);
      parallelFor(ctx, n, kParallelGrain, [&](int64_t i0, int64_t i1) {
        for (int64_t i = i0; i < i1; ++i)
          y[i] = t[static_cast<int32_t>(x[i]) - first];
      });
    });
  });
  return true;
}

} // namespace

extern "C" {

//===----------------------------------------------------------------------===//
// requant, requant_add
//===----------------------------------------------------------------------===//

QCC_RT_DEFINE_KERNEL(requant) {
  const char *name = "requant";
  if (int32_t s =
          checkIntOp(ctx, name, inputs, num_inputs, output, 1, 1, attrs))
    return s;
  const qcc_rt_tensor &in = inputs[0];
  int64_t axis = attrs[0], inZp = attrs[1], outZp = attrs[2];
  int64_t lo, hi;
  getRange(output->dtype, &lo, &hi);
  lo = attrs[3] > lo ? attrs[3] : lo;
  hi = attrs[4] < hi ? attrs[4] : hi;
  int64_t pos = 5;
  DyadicParams params;
  if (int32_t s = parseDyadics(ctx, name, in, axis, attrs, &pos, &params))
    return s;
  qcc_rt_tensor out = *output;
  auto requantOne = [&](int64_t x, Dyadic d) {
    // Saturating int64 steps (only an i64 input can reach the ends).
    int64_t v = applyDyadic(saturate64(static_cast<__int128>(x) - inZp), d);
    return clampTo(static_cast<__int128>(v) + outZp, lo, hi);
  };
  // An 8- or 16-bit input with one multiplier: a table of the values of
  // the input's range, when there are enough elements per entry.
  if (params.channels == 1) {
    Dyadic d = params.get(0);
    int32_t status = QCC_OK;
    if (tabulate(
            ctx, in, out, [&](int32_t x) { return requantOne(x, d); }, &status))
      return status;
  }
  if (useVnni() && vectorApplies(in, inZp, params, false) &&
      outZp >= -(int64_t(1) << 61) && outZp <= (int64_t(1) << 61)) {
    RequantOperand op = makeOperand(in, inZp, params);
    forEachBlock(ctx, getNumElements(out), [&](int64_t begin, int64_t n) {
      requantVector(&op, 1, params.channels > 1 ? &params : nullptr, begin, n,
                    outZp, lo, hi, out);
    });
    return QCC_OK;
  }
  forEachBlock(ctx, getNumElements(out), [&](int64_t begin, int64_t n) {
    int64_t x[kBlock];
    loadInt64(in, begin, n, x);
    for (int64_t i = 0; i < n; ++i)
      x[i] = requantOne(x[i], params.get(begin + i));
    storeInt64(out, begin, n, x);
  });
  return QCC_OK;
}

QCC_RT_DEFINE_KERNEL(requant_add) {
  const char *name = "requant_add";
  if (int32_t s =
          checkIntOp(ctx, name, inputs, num_inputs, output, 2, 2, attrs))
    return s;
  const qcc_rt_tensor &lhs = inputs[0], &rhs = inputs[1];
  int64_t axis = attrs[0];
  int64_t lo, hi;
  getRange(output->dtype, &lo, &hi);
  lo = attrs[1] > lo ? attrs[1] : lo;
  hi = attrs[2] < hi ? attrs[2] : hi;
  int64_t pos = 3;
  DyadicParams lp, rp;
  if (int32_t s = parseDyadics(ctx, name, lhs, axis, attrs, &pos, &lp))
    return s;
  if (int32_t s = parseDyadics(ctx, name, rhs, axis, attrs, &pos, &rp))
    return s;
  qcc_rt_tensor out = *output;
  if (useVnni() && vectorApplies(lhs, 0, lp, true) &&
      vectorApplies(rhs, 0, rp, true)) {
    RequantOperand ops[2] = {makeOperand(lhs, 0, lp), makeOperand(rhs, 0, rp)};
    const DyadicParams *axisParams = lp.channels > 1   ? &lp
                                     : rp.channels > 1 ? &rp
                                                       : nullptr;
    forEachBlock(ctx, getNumElements(out), [&](int64_t begin, int64_t n) {
      requantVector(ops, 2, axisParams, begin, n, 0, lo, hi, out);
    });
    return QCC_OK;
  }
  forEachBlock(ctx, getNumElements(out), [&](int64_t begin, int64_t n) {
    int64_t a[kBlock], b[kBlock];
    loadInt64(lhs, begin, n, a);
    loadInt64(rhs, begin, n, b);
    for (int64_t i = 0; i < n; ++i) {
      __int128 sum =
          static_cast<__int128>(applyDyadic(a[i], lp.get(begin + i))) +
          applyDyadic(b[i], rp.get(begin + i));
      a[i] = clampTo(sum, lo, hi);
    }
    storeInt64(out, begin, n, a);
  });
  return QCC_OK;
}

//===----------------------------------------------------------------------===//
// int_softmax
//===----------------------------------------------------------------------===//

QCC_RT_DEFINE_KERNEL(int_softmax) {
  const char *name = "int_softmax";
  if (int32_t s =
          checkIntOp(ctx, name, inputs, num_inputs, output, 1, 2, attrs))
    return s;
  if (output->dtype != QCC_U8)
    return unsupportedDtype(ctx, name, output->dtype);
  const qcc_rt_tensor &in = inputs[0];
  const qcc_rt_tensor *mask = num_inputs > 1 ? &inputs[1] : nullptr;
  mlir::qcc::IntSoftmaxParams params = readSoftmaxParams(attrs);
  int64_t total = getNumElements(in);
  if (total == 0)
    return QCC_OK;
  if (in.rank < 1)
    return qcc_rt_set_error(ctx, QCC_ERROR_RUNTIME, "%s: rank 0 input", name);
  int64_t length = in.shape[in.rank - 1];
  int64_t rows = total / length;
  int64_t rowsPerBatch = rows;
  if (mask) {
    if (!isIntegerDtype(mask->dtype))
      return unsupportedDtype(ctx, name, mask->dtype);
    if (getNumElements(*mask) != in.shape[0] * length)
      return qcc_rt_set_error(ctx, QCC_ERROR_RUNTIME,
                              "%s: key_mask of %lld elements, expected %lld",
                              name, (long long)getNumElements(*mask),
                              (long long)(in.shape[0] * length));
    rowsPerBatch = rows / in.shape[0];
  }
  // The input_bits promise holds by type unless fewer bits than the element
  // type's are declared.
  int32_t width = static_cast<int32_t>(getElementSize(in.dtype) * 8);
  bool checkSpread = params.inputBits < width;
  int64_t badRow = rows;
  auto noteBadRow = [&](int64_t r) {
    int64_t first = __atomic_load_n(&badRow, __ATOMIC_RELAXED);
    while (r < first &&
           !__atomic_compare_exchange_n(&badRow, &first, r, true,
                                        __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
    }
  };
  uint8_t *dst = static_cast<uint8_t *>(output->data);
  bool outOfMemory = false;
  if (useVnni() && isVectorDtype(in.dtype) &&
      softmaxVectorizable(params, length)) {
    // NormalizeAvx512.cpp: the same rows, read in place; the mask of a
    // batch is turned into keep bits once per batch a range of rows meets.
    int64_t words = (length + 15) / 16;
    size_t bytes = static_cast<size_t>(length) * sizeof(int32_t) +
                   static_cast<size_t>(words) * sizeof(uint16_t);
    parallelFor(ctx, rows, grainFor(length), [&](int64_t r0, int64_t r1) {
      Scratch scratch(bytes);
      if (!scratch.data) {
        __atomic_store_n(&outOfMemory, true, __ATOMIC_RELAXED);
        return;
      }
      auto *e16 = static_cast<int32_t *>(scratch.data);
      auto *keepBits = reinterpret_cast<uint16_t *>(e16 + length);
      int64_t keepBatch = -1;
      for (int64_t r = r0; r < r1; ++r) {
        if (mask && r / rowsPerBatch != keepBatch) {
          keepBatch = r / rowsPerBatch;
          getKeepBits(*mask, keepBatch * length, length, keepBits);
        }
        int64_t spread = softmaxRowAvx512(in.dtype, in.data, r * length, length,
                                          mask ? keepBits : nullptr, params,
                                          e16, dst + r * length);
        if (checkSpread && spread >= (int64_t(1) << params.inputBits))
          noteBadRow(r);
      }
    });
  } else {
    size_t rowBytes = static_cast<size_t>(length) * (sizeof(int32_t) + 1);
    parallelFor(ctx, rows, grainFor(length), [&](int64_t r0, int64_t r1) {
      Scratch scratch(rowBytes);
      if (!scratch.data) {
        __atomic_store_n(&outOfMemory, true, __ATOMIC_RELAXED);
        return;
      }
      int32_t *row = static_cast<int32_t *>(scratch.data);
      auto *keep = reinterpret_cast<uint8_t *>(row + length);
      for (int64_t r = r0; r < r1; ++r) {
        loadInt32(in, r * length, length, row);
        if (mask) {
          int64_t base = (r / rowsPerBatch) * length;
          dispatchInt(mask->dtype, [&](auto tag) {
            using M = typename decltype(tag)::type;
            const M *m = static_cast<const M *>(mask->data) + base;
            for (int64_t j = 0; j < length; ++j)
              keep[j] = m[j] != 0;
          });
        }
        const uint8_t *kept = mask ? keep : nullptr;
        if (checkSpread &&
            !mlir::qcc::rowSpreadFits(row, kept, length, params.inputBits))
          noteBadRow(r);
        mlir::qcc::intSoftmaxRow(row, kept, length, params, dst + r * length);
      }
    });
  }
  if (outOfMemory)
    return qcc_rt_set_error(ctx, QCC_ERROR_OUT_OF_MEMORY, "%s: out of memory",
                            name);
  if (badRow < rows)
    return softmaxSpreadError(ctx, badRow, params);
  return QCC_OK;
}

//===----------------------------------------------------------------------===//
// int_gelu
//===----------------------------------------------------------------------===//

QCC_RT_DEFINE_KERNEL(int_gelu) {
  const char *name = "int_gelu";
  if (int32_t s =
          checkIntOp(ctx, name, inputs, num_inputs, output, 1, 1, attrs))
    return s;
  mlir::qcc::IGeluParams params;
  params.clip = attrs[0];
  params.one = attrs[1];
  params.erfShift = static_cast<int32_t>(attrs[2]);
  Dyadic rescale{static_cast<int32_t>(attrs[3]),
                 static_cast<int32_t>(attrs[4])};
  int64_t lo, hi;
  getRange(output->dtype, &lo, &hi);
  const qcc_rt_tensor &in = inputs[0];
  qcc_rt_tensor out = *output;
  auto gelu = [&](int32_t x) {
    return clampTo(applyDyadic(mlir::qcc::iGelu(x, params), rescale), lo, hi);
  };
  int32_t status = QCC_OK;
  if (tabulate(ctx, in, out, gelu, &status))
    return status;
  forEachBlock(ctx, getNumElements(out), [&](int64_t begin, int64_t n) {
    int32_t x[kBlock];
    int64_t y[kBlock];
    loadInt32(in, begin, n, x);
    for (int64_t i = 0; i < n; ++i)
      y[i] = gelu(x[i]);
    storeInt64(out, begin, n, y);
  });
  return QCC_OK;
}

//===----------------------------------------------------------------------===//
// int_layer_norm
//===----------------------------------------------------------------------===//

QCC_RT_DEFINE_KERNEL(int_layer_norm) {
  const char *name = "int_layer_norm";
  if (int32_t s =
          checkIntOp(ctx, name, inputs, num_inputs, output, 1, 1, attrs))
    return s;
  const qcc_rt_tensor &in = inputs[0];
  int varShift = static_cast<int>(attrs[0]);
  uint64_t varOffset = static_cast<uint64_t>(attrs[1]);
  int64_t n = attrs[2];
  const int64_t *multipliers = attrs + 3, *shifts = attrs + 3 + n,
                *bias = attrs + 3 + 2 * n;
  int64_t lo, hi;
  getRange(output->dtype, &lo, &hi);
  int64_t total = getNumElements(in);
  if (total == 0)
    return QCC_OK;
  int64_t length = in.shape[in.rank - 1];
  if (n != 1 && n != length)
    return qcc_rt_set_error(ctx, QCC_ERROR_RUNTIME,
                            "%s: %lld multipliers for rows of %lld", name,
                            (long long)n, (long long)length);
  int64_t rows = total / length;
  qcc_rt_tensor out = *output;
  bool outOfMemory = false;
  if (useVnni() && isVectorDtype(in.dtype) && length <= (int64_t(1) << 16) &&
      varShift >= 0 && varShift <= 16) {
    // NormalizeAvx512.cpp, with the channel parameters narrowed to int32 as
    // the scalar loop below narrows them.
    Scratch packed(static_cast<size_t>(n) * 3 * sizeof(int32_t));
    if (!packed.data)
      return qcc_rt_set_error(ctx, QCC_ERROR_OUT_OF_MEMORY, "%s: out of memory",
                              name);
    auto *m32 = static_cast<int32_t *>(packed.data);
    int32_t *s32 = m32 + n, *b32 = m32 + 2 * n;
    for (int64_t c = 0; c < n; ++c) {
      m32[c] = static_cast<int32_t>(multipliers[c]);
      s32[c] = static_cast<int32_t>(shifts[c]);
      b32[c] = static_cast<int32_t>(bias[c]);
    }
    if (layerNormVectorizable(s32, n)) {
      LayerNormChannels channels{m32, s32, b32, n != 1};
      // Channels whose requantization fits int32 laid out for the vector
      // rows' int32 finish, once per call.
      bool narrow = layerNormNarrowable(channels, n);
      Scratch blocks(narrow ? static_cast<size_t>((length + 15) / 16) *
                                  sizeof(LayerNormBlock)
                            : 0);
      if (narrow && !blocks.data)
        return qcc_rt_set_error(ctx, QCC_ERROR_OUT_OF_MEMORY,
                                "%s: out of memory", name);
      auto *packedBlocks =
          narrow ? static_cast<LayerNormBlock *>(blocks.data) : nullptr;
      if (narrow)
        packLayerNormBlocks(channels, length, packedBlocks);
      parallelFor(ctx, rows, grainFor(length), [&](int64_t r0, int64_t r1) {
        for (int64_t r = r0; r < r1; ++r)
          layerNormRowAvx512(in.dtype, in.data, r * length, length, varShift,
                             varOffset, channels, packedBlocks, lo, hi,
                             out.dtype, out.data);
      });
      return QCC_OK;
    }
  }
  size_t rowBytes =
      static_cast<size_t>(length) * (sizeof(int64_t) + 2 * sizeof(int32_t));
  parallelFor(ctx, rows, grainFor(length), [&](int64_t r0, int64_t r1) {
    Scratch scratch(rowBytes);
    if (!scratch.data) {
      __atomic_store_n(&outOfMemory, true, __ATOMIC_RELAXED);
      return;
    }
    int64_t *y = static_cast<int64_t *>(scratch.data);
    auto *row = reinterpret_cast<int32_t *>(y + length);
    int32_t *normalised = row + length;
    for (int64_t r = r0; r < r1; ++r) {
      loadInt32(in, r * length, length, row);
      mlir::qcc::intLayerNormRow(row, length, varShift, normalised, varOffset);
      for (int64_t c = 0; c < length; ++c) {
        int64_t p = n == 1 ? 0 : c;
        int64_t v =
            applyDyadic(normalised[c], {static_cast<int32_t>(multipliers[p]),
                                        static_cast<int32_t>(shifts[p])});
        y[c] = clampTo(static_cast<__int128>(v) + static_cast<int32_t>(bias[p]),
                       lo, hi);
      }
      storeInt64(out, r * length, length, y);
    }
  });
  if (outOfMemory)
    return qcc_rt_set_error(ctx, QCC_ERROR_OUT_OF_MEMORY, "%s: out of memory",
                            name);
  return QCC_OK;
}

//===----------------------------------------------------------------------===//
// lookup
//===----------------------------------------------------------------------===//

QCC_RT_DEFINE_KERNEL(lookup) {
  const char *name = "lookup";
  if (int32_t s =
          checkIntOp(ctx, name, inputs, num_inputs, output, 1, 1, attrs))
    return s;
  const qcc_rt_tensor &in = inputs[0];
  if (in.dtype != QCC_I8 && in.dtype != QCC_U8)
    return unsupportedDtype(ctx, name, in.dtype);
  if (attrs[0] != 256)
    return qcc_rt_set_error(ctx, QCC_ERROR_RUNTIME,
                            "%s: table of %lld entries, expected 256", name,
                            (long long)attrs[0]);
  const int64_t *table = attrs + 1;
  int64_t offset = in.dtype == QCC_I8 ? 128 : 0;
  qcc_rt_tensor out = *output;
  int32_t status = QCC_OK;
  if (tabulate(
          ctx, in, out,
          [&](int32_t x) { return table[static_cast<int64_t>(x) + offset]; },
          &status))
    return status;
  forEachBlock(ctx, getNumElements(out), [&](int64_t begin, int64_t n) {
    int64_t x[kBlock];
    loadInt64(in, begin, n, x);
    for (int64_t i = 0; i < n; ++i)
      x[i] = table[x[i] + offset];
    storeInt64(out, begin, n, x);
  });
  return QCC_OK;
}

} // extern "C"
