//===- Normalization.cpp - softmax, norms and reductions --------*- C++ -*-===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//
//
// qcc.softmax, qcc.layer_norm, qcc.batch_norm and qcc.reduce_mean/sum/max.
// Float sums are accumulated in double, so they are as accurate as a float
// result allows, in a fixed order independent of the thread count:
// softmax denominators and layer-norm statistics in 8 interleaved partial
// sums (vectorised, Simd.h's sumAsDouble), reduce_sum/mean in increasing
// index order. Integer sums wrap modulo 2^64 and the integer mean truncates
// toward zero.
//
//===----------------------------------------------------------------------===//

#include "Kernels.h"
#include "Simd.h"

#include "qcc/Dialect/Qcc/IR/QccOps.h"

#include "mlir/IR/BuiltinTypes.h"

#include <cmath>
#include <limits>
#include <type_traits>
#include <vector>

using namespace mlir;
using namespace mlir::qcc;

namespace {

//===----------------------------------------------------------------------===//
// Softmax
//===----------------------------------------------------------------------===//

/// Softmax over `length` rows `inner` apart, for the columns [0, cols) of
/// x/y (cols <= kSoftmaxColumns): per column like Simd.h's softmaxRow, with
/// the same interleaved double partial sums (element a of a column goes to
/// partial a mod 8).
constexpr int64_t kSoftmaxColumns = 64;

template <int W>
QCC_ALWAYS_INLINE void softmaxColumnsImpl(const float *x, float *y,
                                          int64_t length, int64_t inner,
                                          int64_t cols) {
  float maxima[kSoftmaxColumns];
  double partials[8][kSoftmaxColumns] = {};
  for (int64_t j = 0; j < cols; ++j)
    maxima[j] = -INFINITY;
  for (int64_t a = 0; a < length; ++a)
    for (int64_t j = 0; j < cols; ++j) {
      float v = x[a * inner + j];
      if (v > maxima[j] || v != v)
        maxima[j] = v;
    }
  for (int64_t a = 0; a < length; ++a) {
    const float *xr = x + a * inner;
    float *yr = y + a * inner;
    int64_t j = 0;
    for (; j + W <= cols; j += W)
      simd::store<W>(yr + j, simd::exp<W>(simd::load<W>(xr + j) -
                                          simd::load<W>(maxima + j)));
    if (j < cols)
      simd::storePartial<W>(
          yr + j,
          simd::exp<W>(simd::loadPartial<W>(xr + j, cols - j) -
                       simd::loadPartial<W>(maxima + j, cols - j)),
          cols - j);
    for (j = 0; j < cols; ++j)
      partials[a % 8][j] += yr[j];
  }
  double inverses[kSoftmaxColumns];
  for (int64_t j = 0; j < cols; ++j) {
    simd::VecD<8> p;
    for (int l = 0; l < 8; ++l)
      p[l] = partials[l][j];
    inverses[j] = 1.0 / simd::combinePartials(p);
  }
  for (int64_t a = 0; a < length; ++a)
    for (int64_t j = 0; j < cols; ++j)
      y[a * inner + j] = static_cast<float>(y[a * inner + j] * inverses[j]);
}

template <int W>
QCC_ALWAYS_INLINE void softmaxRowsImpl(const float *x, float *y, int64_t rows,
                                       int64_t length) {
  for (int64_t r = 0; r < rows; ++r)
    simd::softmaxRow<W>(x + r * length, y + r * length, length);
}

QCC_SIMD_DISPATCH(softmaxColumns, softmaxColumnsImpl,
                  (const float *x, float *y, int64_t length, int64_t inner,
                   int64_t cols),
                  (x, y, length, inner, cols))
QCC_SIMD_DISPATCH(softmaxRows, softmaxRowsImpl,
                  (const float *x, float *y, int64_t rows, int64_t length),
                  (x, y, rows, length))

LogicalResult runSoftmax(Operation *op, ArrayRef<Tensor> operands,
                         SmallVectorImpl<Tensor> &results,
                         KernelContext &context) {
  Tensor out = allocateResult(op, context);
  if (!out)
    return failure();
  ArrayRef<int64_t> shape = operands[0].getShape();
  int64_t axis = cast<SoftmaxOp>(op).getAxis();
  int64_t outer = getNumElements(shape.take_front(axis));
  int64_t length = shape[axis];
  int64_t inner = getNumElements(shape.drop_front(axis + 1));
  const float *src = operands[0].getData<float>();
  float *dst = out.getData<float>();
  if (out.getNumElements() == 0) {
    results.push_back(std::move(out));
    return success();
  }
  if (inner == 1) {
    int64_t grain = std::max<int64_t>(1, kParallelGrain / length);
    context.pool.parallelFor(outer, grain, [&](int64_t r0, int64_t r1) {
      softmaxRows(src + r0 * length, dst + r0 * length, r1 - r0, length);
    });
    results.push_back(std::move(out));
    return success();
  }
  // Tasks are (outer index, block of inner columns); each column is a
  // softmax over `length` elements `inner` apart.
  int64_t blocks = (inner + kSoftmaxColumns - 1) / kSoftmaxColumns;
  int64_t taskSize =
      std::max<int64_t>(1, length * std::min(inner, kSoftmaxColumns));
  int64_t grain = std::max<int64_t>(1, kParallelGrain / taskSize);
  context.pool.parallelFor(outer * blocks, grain, [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) {
      int64_t o = t / blocks, j0 = (t % blocks) * kSoftmaxColumns;
      int64_t offset = o * length * inner + j0;
      softmaxColumns(src + offset, dst + offset, length, inner,
                     std::min(kSoftmaxColumns, inner - j0));
    }
  });
  results.push_back(std::move(out));
  return success();
}

//===----------------------------------------------------------------------===//
// LayerNorm, BatchNorm
//===----------------------------------------------------------------------===//

/// LayerNorm of `rows` rows of `size` > 0 elements, in double: the mean and
/// the variance (of x - mean) are sums in 8 interleaved partials
/// (Simd.h's sumAsDouble order), y = (x - mean) * inverse * scale + bias.
template <int W>
QCC_ALWAYS_INLINE void layerNormImpl(const float *src, float *dst, int64_t rows,
                                     int64_t size, const float *scale,
                                     const float *bias, double epsilon) {
  using VD = simd::VecD<8>;
  using VF = simd::VecF<8>;
  for (int64_t r = 0; r < rows; ++r) {
    const float *x = src + r * size;
    float *y = dst + r * size;
    double mean = simd::sumAsDouble(x, size) / size;
    VD p = 0.0;
    int64_t i = 0;
    for (; i + 8 <= size; i += 8) {
      VD d = __builtin_convertvector(simd::load<8>(x + i), VD) - mean;
      p += d * d;
    }
    if (i < size) {
      VD d =
          __builtin_convertvector(simd::loadPartial<8>(x + i, size - i), VD) -
          mean;
      VD lane = {0, 1, 2, 3, 4, 5, 6, 7};
      p += lane < double(size - i) ? d * d : VD(0.0);
    }
    double variance = simd::combinePartials(p) / size;
    double inverse = 1.0 / std::sqrt(variance + epsilon);
    auto normalize = [&](VF xv, VF sv, VF bv) QCC_LAMBDA_INLINE {
      VD v = (__builtin_convertvector(xv, VD) - mean) * inverse;
      v = v * __builtin_convertvector(sv, VD);
      if (bias)
        v = v + __builtin_convertvector(bv, VD);
      return __builtin_convertvector(v, VF);
    };
    for (i = 0; i + 8 <= size; i += 8)
      simd::store<8>(y + i,
                     normalize(simd::load<8>(x + i), simd::load<8>(scale + i),
                               bias ? simd::load<8>(bias + i) : VF(0)));
    if (i < size) {
      int64_t n = size - i;
      simd::storePartial<8>(
          y + i,
          normalize(simd::loadPartial<8>(x + i, n),
                    simd::loadPartial<8>(scale + i, n),
                    bias ? simd::loadPartial<8>(bias + i, n) : VF(0)),
          n);
    }
  }
}

QCC_SIMD_DISPATCH(layerNorm, layerNormImpl,
                  (const float *src, float *dst, int64_t rows, int64_t size,
                   const float *scale, const float *bias, double epsilon),
                  (src, dst, rows, size, scale, bias, epsilon))

LogicalResult runLayerNorm(Operation *op, ArrayRef<Tensor> operands,
                           SmallVectorImpl<Tensor> &results,
                           KernelContext &context) {
  auto norm = cast<LayerNormOp>(op);
  Tensor out = allocateResult(op, context);
  if (!out)
    return failure();
  ArrayRef<int64_t> shape = operands[0].getShape();
  int64_t rows = getNumElements(shape.take_front(norm.getAxis()));
  int64_t size = getNumElements(shape.drop_front(norm.getAxis()));
  double epsilon = norm.getEpsilon().convertToFloat();
  const float *src = operands[0].getData<float>();
  const float *scale = operands[1].getData<float>();
  const float *bias =
      operands.size() > 2 ? operands[2].getData<float>() : nullptr;
  float *dst = out.getData<float>();
  if (size == 0) {
    results.push_back(std::move(out));
    return success();
  }
  int64_t grain = std::max<int64_t>(1, kParallelGrain / size);
  context.pool.parallelFor(rows, grain, [&](int64_t r0, int64_t r1) {
    layerNorm(src + r0 * size, dst + r0 * size, r1 - r0, size, scale, bias,
              epsilon);
  });
  results.push_back(std::move(out));
  return success();
}

LogicalResult runBatchNorm(Operation *op, ArrayRef<Tensor> operands,
                           SmallVectorImpl<Tensor> &results,
                           KernelContext &context) {
  auto norm = cast<BatchNormOp>(op);
  Tensor out = allocateResult(op, context);
  if (!out)
    return failure();
  ArrayRef<int64_t> shape = operands[0].getShape();
  int64_t batch = shape[0], channels = shape[1];
  int64_t inner = getNumElements(shape.drop_front(2));
  double epsilon = norm.getEpsilon().convertToFloat();
  const float *src = operands[0].getData<float>();
  const float *scale = operands[1].getData<float>();
  const float *bias = operands[2].getData<float>();
  const float *mean = operands[3].getData<float>();
  const float *variance = operands[4].getData<float>();
  float *dst = out.getData<float>();
  int64_t grain =
      std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(1, inner));
  context.pool.parallelFor(
      batch * channels, grain, [&](int64_t p0, int64_t p1) {
        for (int64_t p = p0; p < p1; ++p) {
          int64_t c = p % channels;
          double inverse = 1.0 / std::sqrt(double(variance[c]) + epsilon);
          const float *x = src + p * inner;
          float *y = dst + p * inner;
          for (int64_t i = 0; i < inner; ++i)
            y[i] = static_cast<float>(
                (x[i] - double(mean[c])) * inverse * scale[c] + bias[c]);
        }
      });
  results.push_back(std::move(out));
  return success();
}

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

enum class ReduceKind { Sum, Mean, Max };

template <ReduceKind K>
LogicalResult runReduce(Operation *op, ArrayRef<Tensor> operands,
                        SmallVectorImpl<Tensor> &results,
                        KernelContext &context) {
  const Tensor &in = operands[0];
  ArrayRef<int64_t> axes = op->getAttrOfType<DenseI64ArrayAttr>("axes");
  ArrayRef<int64_t> shape = in.getShape();
  SmallVector<int64_t> strides = getStrides(shape);
  // Split the dimensions into kept and reduced ones, merging neighbours
  // that stay contiguous.
  SmallVector<int64_t> keptSizes, keptStrides, redSizes, redStrides;
  int64_t count = 1;
  for (int64_t d = 0, e = in.getRank(); d < e; ++d) {
    bool reduced = llvm::is_contained(axes, d);
    auto &sizes = reduced ? redSizes : keptSizes;
    auto &dimStrides = reduced ? redStrides : keptStrides;
    if (reduced)
      count *= shape[d];
    if (shape[d] == 1)
      continue;
    if (!sizes.empty() && dimStrides.back() == strides[d] * shape[d]) {
      sizes.back() *= shape[d];
      dimStrides.back() = strides[d];
      continue;
    }
    sizes.push_back(shape[d]);
    dimStrides.push_back(strides[d]);
  }
  if (redSizes.empty()) {
    redSizes.push_back(1);
    redStrides.push_back(0);
  }
  if constexpr (K == ReduceKind::Mean) {
    if (count == 0 && in.getElementType() != ElementType::F32)
      return op->emitError("integer mean of an empty set of elements");
  }
  Tensor out = allocateResult(op, context);
  if (!out)
    return failure();
  int64_t outputs = out.getNumElements();
  int64_t inner = redSizes.back(), innerStride = redStrides.back();
  int64_t outerRed = count / std::max<int64_t>(inner, 1);
  int64_t grain =
      std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(1, count));

  dispatchNumeric(in.getElementType(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    constexpr bool isFloat = std::is_floating_point_v<T>;
    using Acc = std::conditional_t<isFloat, double, uint64_t>;
    const T *src = in.getData<T>();
    T *dst = out.getData<T>();
    context.pool.parallelFor(outputs, grain, [&](int64_t o0, int64_t o1) {
      SmallVector<int64_t> index(redSizes.size(), 0);
      for (int64_t o = o0; o < o1; ++o) {
        int64_t base = 0;
        for (int64_t d = static_cast<int64_t>(keptSizes.size()) - 1, rest = o;
             d >= 0; --d) {
          base += (rest % keptSizes[d]) * keptStrides[d];
          rest /= keptSizes[d];
        }
        Acc sum = 0;
        T best = std::numeric_limits<T>::lowest();
        if constexpr (isFloat)
          best = -std::numeric_limits<T>::infinity();
        std::fill(index.begin(), index.end(), 0);
        for (int64_t r = 0; r < outerRed; ++r) {
          int64_t offset = base;
          for (size_t d = 0; d + 1 < redSizes.size(); ++d)
            offset += index[d] * redStrides[d];
          const T *x = src + offset;
          for (int64_t i = 0; i < inner; ++i) {
            T v = x[i * innerStride];
            if constexpr (K == ReduceKind::Max) {
              if constexpr (isFloat) {
                if (v > best || std::isnan(v))
                  best = v;
              } else if (v > best) {
                best = v;
              }
            } else {
              sum += static_cast<Acc>(v);
            }
          }
          for (int64_t d = static_cast<int64_t>(redSizes.size()) - 2; d >= 0;
               --d) {
            if (++index[d] < redSizes[d])
              break;
            index[d] = 0;
          }
        }
        if constexpr (K == ReduceKind::Max)
          dst[o] = best;
        else if constexpr (K == ReduceKind::Sum)
          dst[o] = static_cast<T>(sum);
        else if constexpr (isFloat)
          dst[o] = static_cast<T>(sum / static_cast<double>(count));
        else
          dst[o] = static_cast<T>(static_cast<int64_t>(sum) / count);
      }
    });
  });
  results.push_back(std::move(out));
  return success();
}

LogicalResult checkNumeric(Operation *op) {
  return checkElementTypes(op, {ElementType::F32, ElementType::I64,
                                ElementType::I32, ElementType::I16,
                                ElementType::I8, ElementType::UI8});
}

} // namespace

void mlir::qcc::populateNormalizationKernels(KernelTable &table) {
  table.add<SoftmaxOp>(runSoftmax);
  table.add<LayerNormOp>(runLayerNorm);
  table.add<BatchNormOp>(runBatchNorm);
  table.add<ReduceSumOp>(runReduce<ReduceKind::Sum>, checkNumeric);
  table.add<ReduceMeanOp>(runReduce<ReduceKind::Mean>, checkNumeric);
  table.add<ReduceMaxOp>(runReduce<ReduceKind::Max>, checkNumeric);
}
