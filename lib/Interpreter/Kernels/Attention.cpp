//===- Attention.cpp - scaled dot-product attention -------------*- C++ -*-===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//
//
// qcc.attention, computed per batch/head matrix exactly like the primitives
// it was recognised from: scores = q @ k^T (the GEMM of Gemm.h), then
// `scores * scale + bias + (1 - float(key_mask)) * mask_value` in float, a
// softmax over each row (max-subtracted, sums in double; Simd.h's
// softmaxRow, as for qcc.softmax), and probs @ v.
//
//===----------------------------------------------------------------------===//

#include "Kernels.h"
#include "Simd.h"

#include "qcc/Dialect/Qcc/IR/QccOps.h"
#include "qcc/Interpreter/Gemm.h"

#include "mlir/IR/BuiltinTypes.h"

#include <cmath>
#include <vector>

using namespace mlir;
using namespace mlir::qcc;

namespace {

/// Turns rows [0, rows) of q @ k^T (sk columns each) into probabilities:
/// s = score * scale, s = s + bias (if any: element (i, j) at
/// bias[i * biasRow + j * biasCol]), s = s + maskAdd[j] (if any), then a
/// softmax over the row (Simd.h's softmaxRow).
template <int W>
QCC_ALWAYS_INLINE void
attentionRowsImpl(float *scores, int64_t rows, int64_t sk, float scale,
                  const float *bias, int64_t biasRow, int64_t biasCol,
                  const float *maskAdd) {
  using V = simd::VecF<W>;
  for (int64_t i = 0; i < rows; ++i) {
    float *row = scores + i * sk;
    const float *biasLine = bias ? bias + i * biasRow : nullptr;
    int64_t j = 0;
    // Separate statements: no multiply-add is fused.
    auto update = [&](V s, int64_t j, int64_t count) QCC_LAMBDA_INLINE {
      s = s * scale;
      if (biasLine) {
        V b;
        if (biasCol == 1)
          b = count == W ? simd::load<W>(biasLine + j)
                         : simd::loadPartial<W>(biasLine + j, count);
        else
          for (int l = 0; l < W; ++l)
            b[l] = l < count ? biasLine[(j + l) * biasCol] : 0.0f;
        s = s + b;
      }
      if (maskAdd) {
        V m = count == W ? simd::load<W>(maskAdd + j)
                         : simd::loadPartial<W>(maskAdd + j, count);
        s = s + m;
      }
      return s;
    };
    for (; j + W <= sk; j += W)
      simd::store<W>(row + j, update(simd::load<W>(row + j), j, W));
    if (j < sk)
      simd::storePartial<W>(
          row + j, update(simd::loadPartial<W>(row + j, sk - j), j, sk - j),
          sk - j);
    simd::softmaxRow<W>(row, row, sk);
  }
}

QCC_SIMD_DISPATCH(attentionRows, attentionRowsImpl,
                  (float *scores, int64_t rows, int64_t sk, float scale,
                   const float *bias, int64_t biasRow, int64_t biasCol,
                   const float *maskAdd),
                  (scores, rows, sk, scale, bias, biasRow, biasCol, maskAdd))

LogicalResult runAttention(Operation *op, ArrayRef<Tensor> operands,
                           SmallVectorImpl<Tensor> &results,
                           KernelContext &context) {
  auto attention = cast<AttentionOp>(op);
  Tensor out = allocateResult(op, context);
  if (!out)
    return failure();
  const Tensor &q = operands[0], &k = operands[1], &v = operands[2];
  unsigned next = 3;
  const Tensor *bias = attention.getBias() ? &operands[next++] : nullptr;
  const Tensor *mask = attention.getKeyMask() ? &operands[next++] : nullptr;

  int64_t rank = q.getRank();
  ArrayRef<int64_t> batchShape = q.getShape().drop_back(2);
  int64_t batches = getNumElements(batchShape);
  int64_t sq = q.getShape()[rank - 2], d = q.getShape()[rank - 1];
  int64_t sk = k.getShape()[rank - 2], dv = v.getShape()[rank - 1];
  // Batches per index of the first dimension (the key mask's batch).
  int64_t perFirst =
      rank > 2 ? batches / std::max<int64_t>(1, batchShape[0]) : batches;
  float scale = attention.getScale().convertToFloat();
  float maskValue = attention.getMaskValue().convertToFloat();
  // (1 - float(key_mask)) * mask_value, per key.
  std::vector<float> maskAdd;
  if (mask) {
    maskAdd.resize(mask->getNumElements());
    dispatchType(mask->getElementType(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      const T *src = mask->getData<T>();
      for (size_t i = 0; i < maskAdd.size(); ++i)
        maskAdd[i] = (1.0f - static_cast<float>(src[i])) * maskValue;
    });
  }

  // Strides of the bias over the full scores shape, 0 where broadcast.
  SmallVector<int64_t> scoresShape(batchShape);
  scoresShape.append({sq, sk});
  SmallVector<int64_t> biasStrides(scoresShape.size(), 0);
  if (bias) {
    SmallVector<int64_t> own = getStrides(bias->getShape());
    size_t offset = scoresShape.size() - bias->getShape().size();
    for (size_t i = 0; i < own.size(); ++i)
      if (bias->getShape()[i] != 1)
        biasStrides[offset + i] = own[i];
  }
  int64_t biasRow = biasStrides[scoresShape.size() - 2];
  int64_t biasCol = biasStrides[scoresShape.size() - 1];

  // `scratch` holds k^T (d x sk) then the scores (sq x sk).
  int64_t scratchFloats = d * sk + sq * sk;
  auto runBatch = [&](int64_t b, float *scratch, WorkerPool *pool) {
    const float *qb = q.getData<float>() + b * sq * d;
    const float *kb = k.getData<float>() + b * sk * d;
    const float *vb = v.getData<float>() + b * sk * dv;
    float *ob = out.getData<float>() + b * sq * dv;
    float *kT = scratch, *scores = scratch + d * sk;
    for (int64_t j = 0; j < sk; ++j)
      for (int64_t i = 0; i < d; ++i)
        kT[i * sk + j] = kb[j * d + i];
    gemmF32(sq, sk, d, qb, d, kT, sk, scores, sk, pool);
    int64_t biasBase = 0;
    for (int64_t dim = static_cast<int64_t>(batchShape.size()) - 1, rest = b;
         dim >= 0; --dim) {
      biasBase += (rest % batchShape[dim]) * biasStrides[dim];
      rest /= batchShape[dim];
    }
    const float *maskRow =
        mask ? maskAdd.data() + (b / std::max<int64_t>(1, perFirst)) * sk
             : nullptr;
    attentionRows(scores, sq, sk, scale,
                  bias ? bias->getData<float>() + biasBase : nullptr, biasRow,
                  biasCol, maskRow);
    gemmF32(sq, dv, sk, scores, sk, vb, dv, ob, dv, pool);
  };

  // Many small heads: one head per task; few big ones: parallel GEMMs.
  int64_t headWork = sq * sk * (d + dv + 8);
  if (batches > 1 && sq * sk * std::max(d, dv) < (int64_t(1) << 21)) {
    int64_t grain = std::max<int64_t>(1, kParallelWork / headWork);
    context.pool.parallelFor(batches, grain, [&](int64_t b0, int64_t b1) {
      ScratchBuffer scratch(context, scratchFloats * sizeof(float));
      for (int64_t b = b0; b < b1; ++b)
        runBatch(b, scratch.get<float>(), nullptr);
    });
  } else {
    ScratchBuffer scratch(context, scratchFloats * sizeof(float));
    for (int64_t b = 0; b < batches; ++b)
      runBatch(b, scratch.get<float>(), &context.pool);
  }
  results.push_back(std::move(out));
  return success();
}

/// q, k, v and bias are f32; the key mask may have any element type.
LogicalResult checkAttention(Operation *op) {
  auto attention = cast<AttentionOp>(op);
  for (Value value : {attention.getQ(), attention.getK(), attention.getV(),
                      attention.getBias(), attention.getResult()})
    if (value && getTensorElementType(value) != ElementType::F32)
      return op->emitError() << "the reference interpreter does not implement "
                                "'qcc.attention' on element type "
                             << getElementTypeName(getTensorElementType(value));
  return success();
}

} // namespace

void mlir::qcc::populateAttentionKernels(KernelTable &table) {
  table.add<AttentionOp>(runAttention, checkAttention);
}
