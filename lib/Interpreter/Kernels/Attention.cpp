//===- Attention.cpp - scaled dot-product attention -------------*- C++ -*-===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//
//
// qcc.attention, computed per batch/head matrix exactly like the primitives
// it was recognised from: scores = q @ k^T (the GEMM of Gemm.h), then
// `scores * scale + bias + (1 - float(key_mask)) * mask_value` in float, a
// softmax over each row (max-subtracted, sums in double), and probs @ v.
//
//===----------------------------------------------------------------------===//

#include "Kernels.h"

#include "qcc/Dialect/Qcc/IR/QccOps.h"
#include "qcc/Interpreter/Gemm.h"

#include "mlir/IR/BuiltinTypes.h"

#include <cmath>
#include <vector>

using namespace mlir;
using namespace mlir::qcc;

namespace {

/// Converts the key mask to float (the `float(key_mask)` of the op).
std::vector<float> getKeyMask(const Tensor &mask) {
  std::vector<float> values(mask.getNumElements());
  dispatchType(mask.getElementType(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T *src = mask.getData<T>();
    for (size_t i = 0; i < values.size(); ++i)
      values[i] = static_cast<float>(src[i]);
  });
  return values;
}

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
  std::vector<float> keyMask = mask ? getKeyMask(*mask) : std::vector<float>();

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

  auto runBatch = [&](int64_t b, WorkerPool *pool) {
    const float *qb = q.getData<float>() + b * sq * d;
    const float *kb = k.getData<float>() + b * sk * d;
    const float *vb = v.getData<float>() + b * sk * dv;
    float *ob = out.getData<float>() + b * sq * dv;
    std::vector<float> kT(d * sk), scores(sq * sk);
    for (int64_t j = 0; j < sk; ++j)
      for (int64_t i = 0; i < d; ++i)
        kT[i * sk + j] = kb[j * d + i];
    gemmF32(sq, sk, d, qb, d, kT.data(), sk, scores.data(), sk, pool);
    int64_t biasBase = 0;
    for (int64_t dim = static_cast<int64_t>(batchShape.size()) - 1, rest = b;
         dim >= 0; --dim) {
      biasBase += (rest % batchShape[dim]) * biasStrides[dim];
      rest /= batchShape[dim];
    }
    int64_t biasRow = biasStrides[scoresShape.size() - 2];
    int64_t biasCol = biasStrides[scoresShape.size() - 1];
    const float *maskRow =
        mask ? keyMask.data() + (b / std::max<int64_t>(1, perFirst)) * sk
             : nullptr;
    for (int64_t i = 0; i < sq; ++i) {
      float *row = scores.data() + i * sk;
      for (int64_t j = 0; j < sk; ++j) {
        float s = row[j] * scale;
        if (bias)
          s = s + bias->getData<float>()[biasBase + i * biasRow + j * biasCol];
        if (maskRow)
          s = s + (1.0f - maskRow[j]) * maskValue;
        row[j] = s;
      }
      float maximum = -INFINITY;
      for (int64_t j = 0; j < sk; ++j)
        if (row[j] > maximum || std::isnan(row[j]))
          maximum = row[j];
      double sum = 0.0;
      for (int64_t j = 0; j < sk; ++j) {
        row[j] = std::exp(row[j] - maximum);
        sum += row[j];
      }
      for (int64_t j = 0; j < sk; ++j)
        row[j] = static_cast<float>(row[j] / sum);
    }
    gemmF32(sq, dv, sk, scores.data(), sk, vb, dv, ob, dv, pool);
  };

  // Many small heads: one head per task; few big ones: parallel GEMMs.
  if (batches > 1 && sq * sk * std::max(d, dv) < (int64_t(1) << 21)) {
    context.pool.parallelFor(batches, 1, [&](int64_t b0, int64_t b1) {
      for (int64_t b = b0; b < b1; ++b)
        runBatch(b, nullptr);
    });
  } else {
    for (int64_t b = 0; b < batches; ++b)
      runBatch(b, &context.pool);
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
