//===- ImportHelpers.h - shared helpers of the op importers -----*- C++ -*-===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//

#ifndef QCC_LIB_FRONTEND_ONNX_IMPORTHELPERS_H
#define QCC_LIB_FRONTEND_ONNX_IMPORTHELPERS_H

#include "NodeImporter.h"

#include "mlir/IR/Diagnostics.h"

#include <numeric>

namespace mlir::qcc::onnx_import {

/// Creates `OpTy` with its inferred result type and folds it. Inference
/// failures (malformed models) are diagnosed at the node; the inferring
/// builders of ODS would abort instead.
template <typename OpTy, typename... Args>
FailureOr<Value> build(NodeImporter &n, Args &&...args) {
  MLIRContext *ctx = n.builder.getContext();
  OperationState state(n.loc, OpTy::getOperationName());
  OpTy::build(n.builder, state, NoneType::get(ctx),
              std::forward<Args>(args)...);
  state.types.clear();
  // Re-emit the inference diagnostic prefixed with the node's name.
  std::string reason;
  LogicalResult inferred = failure();
  {
    ScopedDiagnosticHandler capture(ctx, [&](Diagnostic &diag) {
      reason = diag.str();
      return success();
    });
    inferred = OpTy::inferReturnTypes(
        ctx, n.loc, state.operands, state.attributes.getDictionary(ctx),
        state.getRawProperties(), state.regions, state.types);
  }
  if (failed(inferred))
    return n.emitError() << reason;
  Operation *op = n.builder.create(state);
  SmallVector<Value> folded;
  if (succeeded(n.builder.tryFold(op, folded)) && !folded.empty() &&
      folded.front() != op->getResult(0)) {
    op->erase();
    return folded.front();
  }
  return op->getResult(0);
}

inline Value reshape(NodeImporter &n, Value value, ArrayRef<int64_t> shape) {
  auto type = cast<RankedTensorType>(value.getType());
  if (type.getShape() == shape)
    return value;
  return n.builder.createOrFold<ReshapeOp>(
      n.loc, RankedTensorType::get(shape, type.getElementType()), value);
}

inline Value splat(NodeImporter &n, Type elementType, double value) {
  auto type = RankedTensorType::get({}, elementType);
  Attribute element = isa<FloatType>(elementType)
                          ? Attribute(FloatAttr::get(elementType, value))
                          : Attribute(IntegerAttr::get(elementType,
                                                       static_cast<int64_t>(value)));
  return ConstantOp::create(n.builder, n.loc,
                            DenseElementsAttr::get(type, element));
}

inline int64_t product(ArrayRef<int64_t> dims) {
  return std::accumulate(dims.begin(), dims.end(), int64_t(1),
                         std::multiplies<int64_t>());
}

inline LogicalResult single(NodeImporter &n, FailureOr<Value> value) {
  if (failed(value))
    return failure();
  n.results.push_back(*value);
  return success();
}

/// Squeeze/Unsqueeze/Reduce axes: an attribute before `sinceOpset`, an
/// optional constant input `inputIndex` from then on.
FailureOr<SmallVector<int64_t>> getAxesOperand(NodeImporter &n,
                                               unsigned inputIndex,
                                               int64_t sinceOpset);

/// Conv import, shared with ConvInteger and QLinearConv.
LogicalResult importConv(NodeImporter &n);

void registerMathImporters(llvm::StringMap<OpImporterFn> &table);
void registerLinearImporters(llvm::StringMap<OpImporterFn> &table);
void registerShapeImporters(llvm::StringMap<OpImporterFn> &table);
void registerQuantizedImporters(llvm::StringMap<OpImporterFn> &table);

} // namespace mlir::qcc::onnx_import

#endif // QCC_LIB_FRONTEND_ONNX_IMPORTHELPERS_H
