//===- Integer.cpp - the integer-only ops --------------------------*- C++
//-*-===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//
//
// qcc.requant, requant_add, int_softmax, int_gelu, int_layer_norm and
// lookup, exactly as QccIntegerOps.td and docs/IntegerSemantics.md define
// them. Every rounding step is a call into qcc/Quant/IntegerMath.h
// (applyDyadic, intSoftmaxRow, iGelu, intLayerNormRow), the one definition
// the backends share, so the interpreter is bit-exact with them by
// construction. Elements are widened to int64 in blocks, computed, then
// clamped to the result type's range and narrowed.
//
//===----------------------------------------------------------------------===//

#include "Kernels.h"

#include "qcc/Dialect/Qcc/IR/QccOps.h"
#include "qcc/Quant/IntegerMath.h"

#include "mlir/IR/BuiltinTypes.h"

#include <algorithm>
#include <atomic>
#include <limits>
#include <tuple>

using namespace mlir;
using namespace mlir::qcc;

namespace {

/// Elements widened at a time.
constexpr int64_t kBlock = 1024;

/// The [lo, hi] range of an integer element type.
std::pair<int64_t, int64_t> getRange(ElementType type) {
  switch (type) {
  case ElementType::I8:
    return {INT8_MIN, INT8_MAX};
  case ElementType::UI8:
    return {0, UINT8_MAX};
  case ElementType::I16:
    return {INT16_MIN, INT16_MAX};
  case ElementType::I32:
    return {INT32_MIN, INT32_MAX};
  case ElementType::I1:
    return {0, 1};
  default:
    return {INT64_MIN, INT64_MAX};
  }
}

/// Calls `fn(TypeTag<T>{})` for an integer element type.
template <typename Fn> decltype(auto) dispatchInt(ElementType type, Fn &&fn) {
  switch (type) {
  case ElementType::I64:
    return fn(TypeTag<int64_t>{});
  case ElementType::I32:
    return fn(TypeTag<int32_t>{});
  case ElementType::I16:
    return fn(TypeTag<int16_t>{});
  case ElementType::UI8:
    return fn(TypeTag<uint8_t>{});
  case ElementType::I1:
    return fn(TypeTag<bool>{});
  default:
    return fn(TypeTag<int8_t>{});
  }
}

/// dst[i] = t[begin + i] for i < n, widened to T (int32_t or int64_t).
template <typename T>
void load(const Tensor &t, int64_t begin, int64_t n, T *dst) {
  dispatchInt(t.getElementType(), [&](auto tag) {
    using S = typename decltype(tag)::type;
    const S *src = static_cast<const S *>(t.getRawData()) + begin;
    for (int64_t i = 0; i < n; ++i)
      dst[i] = static_cast<T>(src[i]);
  });
}

/// t[begin + i] = src[i] for i < n; the values are in t's range.
void store(Tensor &t, int64_t begin, int64_t n, const int64_t *src) {
  dispatchInt(t.getElementType(), [&](auto tag) {
    using R = typename decltype(tag)::type;
    R *dst = static_cast<R *>(t.getRawData()) + begin;
    for (int64_t i = 0; i < n; ++i)
      dst[i] = static_cast<R>(src[i]);
  });
}

int64_t clampTo(__int128 v, int64_t lo, int64_t hi) {
  return v < lo ? lo : v > hi ? hi : static_cast<int64_t>(v);
}

int64_t saturate64(__int128 v) {
  return clampTo(v, std::numeric_limits<int64_t>::min(),
                 std::numeric_limits<int64_t>::max());
}

/// One set of per-tensor or per-axis dyadic parameters over a tensor shape:
/// the parameter of flat element i is index (i / inner) % channels.
struct DyadicParams {
  ArrayRef<int32_t> multipliers, shifts;
  int64_t inner = 1, channels = 1;

  DyadicParams(ArrayRef<int32_t> multipliers, ArrayRef<int32_t> shifts,
               ArrayRef<int64_t> shape, int64_t axis)
      : multipliers(multipliers), shifts(shifts) {
    if (multipliers.size() > 1) {
      channels = shape[axis];
      inner = getNumElements(shape.drop_front(axis + 1));
    }
  }
  Dyadic get(int64_t i) const {
    int64_t c = channels == 1 ? 0 : (i / inner) % channels;
    return Dyadic{multipliers[c], shifts[c]};
  }
};

/// The result range of a requant op, narrowed by its min/max attributes
/// (I64Attr getters return the two's complement bits as uint64_t).
std::pair<int64_t, int64_t> getClampRange(Tensor &out,
                                          std::optional<uint64_t> min,
                                          std::optional<uint64_t> max) {
  int64_t lo, hi;
  std::tie(lo, hi) = getRange(out.getElementType());
  if (min)
    lo = std::max(lo, static_cast<int64_t>(*min));
  if (max)
    hi = std::min(hi, static_cast<int64_t>(*max));
  return {lo, hi};
}

/// Runs `body(begin, n)` over blocks of at most kBlock elements, in
/// parallel.
template <typename F>
void forEachBlock(int64_t size, WorkerPool &pool, F body) {
  int64_t blocks = (size + kBlock - 1) / kBlock;
  pool.parallelFor(blocks, std::max<int64_t>(1, kParallelGrain / kBlock),
                   [&](int64_t b0, int64_t b1) {
                     for (int64_t b = b0; b < b1; ++b) {
                       int64_t begin = b * kBlock;
                       body(begin, std::min(kBlock, size - begin));
                     }
                   });
}

//===----------------------------------------------------------------------===//
// requant, requant_add
//===----------------------------------------------------------------------===//

LogicalResult runRequant(Operation *op, ArrayRef<Tensor> operands,
                         SmallVectorImpl<Tensor> &results,
                         KernelContext &context) {
  auto requant = cast<RequantOp>(op);
  Tensor out = allocateResult(op, context);
  if (!out)
    return failure();
  const Tensor &in = operands[0];
  DyadicParams params(requant.getMultiplier(), requant.getShift(),
                      in.getShape(), static_cast<int64_t>(requant.getAxis()));
  auto inZp = static_cast<int64_t>(requant.getInputZeroPoint());
  auto outZp = static_cast<int64_t>(requant.getOutputZeroPoint());
  int64_t lo, hi;
  std::tie(lo, hi) = getClampRange(out, requant.getMin(), requant.getMax());
  forEachBlock(out.getNumElements(), context.pool,
               [&](int64_t begin, int64_t n) {
                 int64_t x[kBlock];
                 load(in, begin, n, x);
                 for (int64_t i = 0; i < n; ++i) {
                   // Saturating int64 steps (only an i64 input can reach
                   // the ends); the clamp is within int32.
                   int64_t d = saturate64(static_cast<__int128>(x[i]) - inZp);
                   int64_t v = applyDyadic(d, params.get(begin + i));
                   x[i] = clampTo(static_cast<__int128>(v) + outZp, lo, hi);
                 }
                 store(out, begin, n, x);
               });
  results.push_back(std::move(out));
  return success();
}

LogicalResult runRequantAdd(Operation *op, ArrayRef<Tensor> operands,
                            SmallVectorImpl<Tensor> &results,
                            KernelContext &context) {
  auto add = cast<RequantAddOp>(op);
  Tensor out = allocateResult(op, context);
  if (!out)
    return failure();
  const Tensor &lhs = operands[0], &rhs = operands[1];
  auto axis = static_cast<int64_t>(add.getAxis());
  DyadicParams lhsParams(add.getLhsMultiplier(), add.getLhsShift(),
                         lhs.getShape(), axis);
  DyadicParams rhsParams(add.getRhsMultiplier(), add.getRhsShift(),
                         rhs.getShape(), axis);
  int64_t lo, hi;
  std::tie(lo, hi) = getClampRange(out, add.getMin(), add.getMax());
  forEachBlock(
      out.getNumElements(), context.pool, [&](int64_t begin, int64_t n) {
        int64_t a[kBlock], b[kBlock];
        load(lhs, begin, n, a);
        load(rhs, begin, n, b);
        for (int64_t i = 0; i < n; ++i) {
          // Each branch is within [-2^62, 2^62]: the exact sum.
          __int128 sum = static_cast<__int128>(
                             applyDyadic(a[i], lhsParams.get(begin + i))) +
                         applyDyadic(b[i], rhsParams.get(begin + i));
          a[i] = clampTo(sum, lo, hi);
        }
        store(out, begin, n, a);
      });
  results.push_back(std::move(out));
  return success();
}

//===----------------------------------------------------------------------===//
// int_softmax
//===----------------------------------------------------------------------===//

LogicalResult runIntSoftmax(Operation *op, ArrayRef<Tensor> operands,
                            SmallVectorImpl<Tensor> &results,
                            KernelContext &context) {
  auto softmax = cast<IntSoftmaxOp>(op);
  Tensor out = allocateResult(op, context);
  if (!out)
    return failure();
  const Tensor &in = operands[0];
  const Tensor *mask = operands.size() > 1 ? &operands[1] : nullptr;
  IntSoftmaxParams params;
  params.inputBits = static_cast<int32_t>(softmax.getInputBits());
  params.toExpScale = {static_cast<int32_t>(softmax.getExpMultiplier()),
                       static_cast<int32_t>(softmax.getExpShift())};
  params.polyB = static_cast<int64_t>(softmax.getPolyB());
  params.polyC = static_cast<int64_t>(softmax.getPolyC());
  params.toE16 = {static_cast<int32_t>(softmax.getE16Multiplier()),
                  static_cast<int32_t>(softmax.getE16Shift())};
  int64_t length = in.getShape().back();
  if (out.getNumElements() == 0) {
    results.push_back(std::move(out));
    return success();
  }
  int64_t rows = in.getNumElements() / length;
  int64_t rowsPerBatch = mask ? rows / in.getShape().front() : rows;
  // The input_bits promise holds by type unless fewer bits than the element
  // type's are declared.
  unsigned width =
      cast<IntegerType>(
          cast<RankedTensorType>(softmax.getInput().getType()).getElementType())
          .getWidth();
  bool checkSpread = params.inputBits < static_cast<int32_t>(width);
  std::atomic<int64_t> badRow{rows};
  int64_t grain = std::max<int64_t>(1, kParallelGrain / length);
  context.pool.parallelFor(rows, grain, [&](int64_t r0, int64_t r1) {
    ScratchBuffer scratch(context, length * (sizeof(int32_t) + 1));
    int32_t *row = scratch.get<int32_t>();
    auto *keep = reinterpret_cast<uint8_t *>(row + length);
    uint8_t *dst = out.getData<uint8_t>();
    for (int64_t r = r0; r < r1; ++r) {
      load(in, r * length, length, row);
      if (mask) {
        int64_t m[kBlock];
        int64_t base = (r / rowsPerBatch) * length;
        for (int64_t j = 0; j < length; j += kBlock) {
          int64_t n = std::min(kBlock, length - j);
          load(*mask, base + j, n, m);
          for (int64_t i = 0; i < n; ++i)
            keep[j + i] = m[i] != 0;
        }
      }
      const uint8_t *kept = mask ? keep : nullptr;
      if (checkSpread && !rowSpreadFits(row, kept, length, params.inputBits)) {
        int64_t first = badRow.load();
        while (r < first && !badRow.compare_exchange_weak(first, r)) {
        }
      }
      intSoftmaxRow(row, kept, length, params, dst + r * length);
    }
  });
  if (badRow.load() < rows)
    return op->emitError() << "int_softmax row " << badRow.load()
                           << ": the kept scores differ by 2^"
                           << params.inputBits
                           << " or more, beyond input_bits = "
                           << params.inputBits;
  results.push_back(std::move(out));
  return success();
}

//===----------------------------------------------------------------------===//
// int_gelu
//===----------------------------------------------------------------------===//

LogicalResult runIntGelu(Operation *op, ArrayRef<Tensor> operands,
                         SmallVectorImpl<Tensor> &results,
                         KernelContext &context) {
  auto gelu = cast<IntGeluOp>(op);
  Tensor out = allocateResult(op, context);
  if (!out)
    return failure();
  IGeluParams params;
  params.clip = static_cast<int64_t>(gelu.getClip());
  params.one = static_cast<int64_t>(gelu.getOne());
  params.erfShift = static_cast<int32_t>(gelu.getErfShift());
  Dyadic rescale{static_cast<int32_t>(gelu.getOutputMultiplier()),
                 static_cast<int32_t>(gelu.getOutputShift())};
  int64_t lo, hi;
  std::tie(lo, hi) = getRange(out.getElementType());
  const Tensor &in = operands[0];
  forEachBlock(
      out.getNumElements(), context.pool, [&](int64_t begin, int64_t n) {
        int32_t x[kBlock];
        int64_t y[kBlock];
        load(in, begin, n, x);
        for (int64_t i = 0; i < n; ++i)
          y[i] = clampTo(applyDyadic(iGelu(x[i], params), rescale), lo, hi);
        store(out, begin, n, y);
      });
  results.push_back(std::move(out));
  return success();
}

//===----------------------------------------------------------------------===//
// int_layer_norm
//===----------------------------------------------------------------------===//

LogicalResult runIntLayerNorm(Operation *op, ArrayRef<Tensor> operands,
                              SmallVectorImpl<Tensor> &results,
                              KernelContext &context) {
  auto norm = cast<IntLayerNormOp>(op);
  Tensor out = allocateResult(op, context);
  if (!out)
    return failure();
  const Tensor &in = operands[0];
  ArrayRef<int32_t> multipliers = norm.getMultiplier();
  ArrayRef<int32_t> shifts = norm.getShift();
  ArrayRef<int32_t> bias = norm.getBias();
  auto varShift = static_cast<int>(norm.getVarShift());
  auto varOffset = static_cast<uint64_t>(norm.getVarOffset());
  int64_t lo, hi;
  std::tie(lo, hi) = getRange(out.getElementType());
  int64_t length = in.getShape().back();
  if (out.getNumElements() == 0) {
    results.push_back(std::move(out));
    return success();
  }
  int64_t rows = in.getNumElements() / length;
  int64_t grain = std::max<int64_t>(1, kParallelGrain / length);
  context.pool.parallelFor(rows, grain, [&](int64_t r0, int64_t r1) {
    // The output row, the input row and the normalised row.
    ScratchBuffer scratch(context,
                          length * (sizeof(int64_t) + 2 * sizeof(int32_t)));
    int64_t *y = scratch.get<int64_t>();
    auto *row = reinterpret_cast<int32_t *>(y + length);
    int32_t *normalised = row + length;
    for (int64_t r = r0; r < r1; ++r) {
      load(in, r * length, length, row);
      intLayerNormRow(row, length, varShift, normalised, varOffset);
      for (int64_t c = 0; c < length; ++c) {
        size_t p = multipliers.size() == 1 ? 0 : c;
        // |applyDyadic(int32, int32 m)| <= 2^62: the bias cannot overflow.
        int64_t v = applyDyadic(normalised[c], {multipliers[p], shifts[p]});
        y[c] = clampTo(static_cast<__int128>(v) + bias[p], lo, hi);
      }
      store(out, r * length, length, y);
    }
  });
  results.push_back(std::move(out));
  return success();
}

//===----------------------------------------------------------------------===//
// lookup
//===----------------------------------------------------------------------===//

LogicalResult runLookup(Operation *op, ArrayRef<Tensor> operands,
                        SmallVectorImpl<Tensor> &results,
                        KernelContext &context) {
  auto lookup = cast<LookupOp>(op);
  Tensor out = allocateResult(op, context);
  if (!out)
    return failure();
  const Tensor &in = operands[0];
  ArrayRef<int32_t> table = lookup.getTable();
  int64_t offset = in.getElementType() == ElementType::I8 ? 128 : 0;
  forEachBlock(out.getNumElements(), context.pool,
               [&](int64_t begin, int64_t n) {
                 int64_t x[kBlock];
                 load(in, begin, n, x);
                 for (int64_t i = 0; i < n; ++i)
                   x[i] = table[x[i] + offset];
                 store(out, begin, n, x);
               });
  results.push_back(std::move(out));
  return success();
}

//===----------------------------------------------------------------------===//
// Element type checks
//===----------------------------------------------------------------------===//

/// The ops' own constraints (8, 16, 32-bit results; i64 only as a requant
/// input; any integer mask) restated for the interpreter's types.
LogicalResult checkIntegerOp(Operation *op) {
  return checkElementTypes(op, {ElementType::I64, ElementType::I32,
                                ElementType::I16, ElementType::I8,
                                ElementType::UI8, ElementType::I1});
}

} // namespace

void mlir::qcc::populateIntegerKernels(KernelTable &table) {
  table.add<RequantOp>(runRequant, checkIntegerOp);
  table.add<RequantAddOp>(runRequantAdd, checkIntegerOp);
  table.add<IntSoftmaxOp>(runIntSoftmax, checkIntegerOp);
  table.add<IntGeluOp>(runIntGelu, checkIntegerOp);
  table.add<IntLayerNormOp>(runIntLayerNorm, checkIntegerOp);
  table.add<LookupOp>(runLookup, checkIntegerOp);
}
