//===- ImportLinear.cpp - convolution, pooling and Gemm ---------*- C++ -*-===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//

#include "ImportHelpers.h"
#include "qcc/Support/ShapeSpec.h"

#include "mlir/IR/Matchers.h"

using namespace mlir;
using namespace mlir::qcc;
using namespace mlir::qcc::onnx_import;

namespace {

FailureOr<SmallVector<int64_t>>
resolvePads(NodeImporter &n, ArrayRef<int64_t> spatial,
            ArrayRef<int64_t> kernel, ArrayRef<int64_t> strides,
            ArrayRef<int64_t> dilations) {
  size_t rank = spatial.size();
  std::string autoPad = n.getString("auto_pad", "NOTSET");
  if (autoPad == "NOTSET") {
    SmallVector<int64_t> pads =
        n.getInts("pads").value_or(SmallVector<int64_t>(2 * rank, 0));
    if (pads.size() != 2 * rank)
      return n.emitError() << n.node.op_type() << " has " << pads.size()
                           << " pads, expected " << 2 * rank;
    return pads;
  }
  if (autoPad == "VALID")
    return SmallVector<int64_t>(2 * rank, 0);
  if (autoPad != "SAME_UPPER" && autoPad != "SAME_LOWER")
    return n.emitError() << "unknown auto_pad '" << autoPad << "'";
  SmallVector<int64_t> pads(2 * rank, 0);
  for (size_t i = 0; i < rank; ++i) {
    int64_t out = (spatial[i] + strides[i] - 1) / strides[i];
    int64_t extent = (kernel[i] - 1) * dilations[i] + 1;
    int64_t total =
        std::max<int64_t>(0, (out - 1) * strides[i] + extent - spatial[i]);
    int64_t small = total / 2, large = total - small;
    pads[i] = autoPad == "SAME_UPPER" ? small : large;
    pads[i + rank] = autoPad == "SAME_UPPER" ? large : small;
  }
  return pads;
}


LogicalResult importPool(NodeImporter &n) {
  FailureOr<Value> x = n.requireInput(0);
  if (failed(x))
    return failure();
  bool isMax = n.node.op_type() == "MaxPool";
  if (isMax && n.hasOutput(1))
    return n.emitError() << "MaxPool Indices output is not supported";
  RankedTensorType type = n.inputType(0);
  if (type.getRank() < 3)
    return n.emitError() << n.node.op_type() << " expects rank >= 3";
  size_t rank = type.getRank() - 2;
  std::optional<SmallVector<int64_t>> kernel = n.getInts("kernel_shape");
  if (!kernel || kernel->size() != rank)
    return n.emitError() << n.node.op_type() << " needs kernel_shape with "
                         << rank << " entries";
  SmallVector<int64_t> strides =
      n.getInts("strides").value_or(SmallVector<int64_t>(rank, 1));
  SmallVector<int64_t> dilations =
      n.getInts("dilations").value_or(SmallVector<int64_t>(rank, 1));
  if (strides.size() != rank || dilations.size() != rank)
    return n.emitError() << n.node.op_type() << " strides/dilations need "
                         << rank << " entries";
  ArrayRef<int64_t> spatial = type.getShape().drop_front(2);
  FailureOr<SmallVector<int64_t>> pads =
      resolvePads(n, spatial, *kernel, strides, dilations);
  if (failed(pads))
    return failure();
  if (n.getInt("ceil_mode", 0)) {
    if (!isMax)
      return n.emitError() << "AveragePool with ceil_mode=1 is not supported";
    // Extra end padding turns the floor rule into the ceil rule; a window
    // must still start inside the input or its begin padding.
    for (size_t i = 0; i < rank; ++i) {
      int64_t extent = ((*kernel)[i] - 1) * dilations[i] + 1;
      int64_t padded = spatial[i] + (*pads)[i] + (*pads)[i + rank];
      int64_t out = (padded - extent + strides[i] - 1) / strides[i] + 1;
      if ((out - 1) * strides[i] >= spatial[i] + (*pads)[i])
        --out;
      int64_t needed = (out - 1) * strides[i] + extent - padded;
      (*pads)[i + rank] += std::max<int64_t>(0, needed);
    }
  }
  auto attr = [&](ArrayRef<int64_t> v) {
    return n.builder.getDenseI64ArrayAttr(v);
  };
  if (isMax)
    return single(n, build<MaxPoolOp>(n, *x, attr(*kernel), attr(strides),
                                      attr(*pads), attr(dilations)));
  if (llvm::any_of(dilations, [](int64_t d) { return d != 1; }))
    return n.emitError() << "AveragePool with dilations is not supported";
  return single(n, build<AvgPoolOp>(n, *x, attr(*kernel), attr(strides),
                                    attr(*pads),
                                    n.builder.getBoolAttr(
                                        n.getInt("count_include_pad", 0))));
}

LogicalResult importGlobalAveragePool(NodeImporter &n) {
  FailureOr<Value> x = n.requireInput(0);
  if (failed(x))
    return failure();
  SmallVector<int64_t> axes;
  for (int64_t d = 2; d < n.inputType(0).getRank(); ++d)
    axes.push_back(d);
  return single(n, build<ReduceMeanOp>(n, *x, n.builder.getDenseI64ArrayAttr(axes),
                                       n.builder.getBoolAttr(true)));
}

LogicalResult importGemm(NodeImporter &n) {
  FailureOr<Value> a = n.requireInput(0), b = n.requireInput(1);
  if (failed(a) || failed(b))
    return failure();
  if (n.inputType(0).getRank() != 2 || n.inputType(1).getRank() != 2)
    return n.emitError() << "Gemm expects 2-D A and B";
  auto transpose = [&](Value v) -> FailureOr<Value> {
    return build<TransposeOp>(n, v, n.builder.getDenseI64ArrayAttr({1, 0}));
  };
  Value lhs = *a, rhs = *b;
  if (n.getInt("transA", 0)) {
    FailureOr<Value> t = transpose(lhs);
    if (failed(t))
      return failure();
    lhs = *t;
  }
  if (n.getInt("transB", 0)) {
    FailureOr<Value> t = transpose(rhs);
    if (failed(t))
      return failure();
    rhs = *t;
  }
  FailureOr<Value> result = build<MatMulOp>(n, lhs, rhs);
  if (failed(result))
    return failure();
  Type elementType = n.inputType(0).getElementType();
  float alpha = n.getFloat("alpha", 1.0f), beta = n.getFloat("beta", 1.0f);
  if (alpha != 1.0f)
    result = build<MulOp>(n, *result, splat(n, elementType, alpha));
  if (failed(result))
    return failure();
  if (Value c = n.input(2); c && beta != 0.0f) {
    if (beta != 1.0f) {
      FailureOr<Value> scaled = build<MulOp>(n, c, splat(n, elementType, beta));
      if (failed(scaled))
        return failure();
      c = *scaled;
    }
    result = build<AddOp>(n, *result, c);
  }
  return single(n, result);
}

} // namespace

LogicalResult mlir::qcc::onnx_import::importConv(NodeImporter &n) {
  FailureOr<Value> x = n.requireInput(0), w = n.requireInput(1);
  if (failed(x) || failed(w))
    return failure();
  RankedTensorType xType = n.inputType(0), wType = n.inputType(1);
  if (xType.getRank() < 3 || wType.getRank() != xType.getRank())
    return n.emitError() << "Conv expects input and weight of equal rank >= 3";
  size_t rank = xType.getRank() - 2;
  SmallVector<int64_t> kernel(wType.getShape().drop_front(2));
  if (auto k = n.getInts("kernel_shape"); k && ArrayRef<int64_t>(*k) != ArrayRef<int64_t>(kernel))
    return n.emitError() << "Conv kernel_shape does not match the weight";
  SmallVector<int64_t> strides =
      n.getInts("strides").value_or(SmallVector<int64_t>(rank, 1));
  SmallVector<int64_t> dilations =
      n.getInts("dilations").value_or(SmallVector<int64_t>(rank, 1));
  if (strides.size() != rank || dilations.size() != rank)
    return n.emitError() << "Conv strides/dilations need " << rank
                         << " entries";
  FailureOr<SmallVector<int64_t>> pads = resolvePads(
      n, xType.getShape().drop_front(2), kernel, strides, dilations);
  if (failed(pads))
    return failure();
  return single(n, build<ConvOp>(n, *x, *w, n.input(2),
                                 n.builder.getDenseI64ArrayAttr(strides),
                                 n.builder.getDenseI64ArrayAttr(*pads),
                                 n.builder.getDenseI64ArrayAttr(dilations),
                                 n.builder.getI64IntegerAttr(
                                     n.getInt("group", 1))));
}

void mlir::qcc::onnx_import::registerLinearImporters(
    llvm::StringMap<OpImporterFn> &table) {
  table["AveragePool"] = importPool;
  table["Conv"] = importConv;
  table["Gemm"] = importGemm;
  table["GlobalAveragePool"] = importGlobalAveragePool;
  table["MaxPool"] = importPool;
}
