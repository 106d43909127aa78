//===- ONNXImporter.h - ONNX model to qcc dialect ---------------*- C++ -*-===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//

#ifndef QCC_FRONTEND_ONNX_ONNXIMPORTER_H
#define QCC_FRONTEND_ONNX_ONNXIMPORTER_H

#include "qcc/Support/ShapeSpec.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

namespace mlir::qcc {

struct ONNXImportOptions {
  /// Shapes fixing the symbolic (or all) dimensions of graph inputs.
  llvm::SmallVector<ShapeSpec> shapes;
};

/// Imports an ONNX model (`.onnx` protobuf, or `.onnxtext` where lines
/// starting with `//` are comments) into a module holding `func.func @main`
/// on statically shaped tensors. Every error is reported through the
/// context's diagnostic handler, located at the ONNX node, and yields
/// failure; the importer never crashes on malformed input.
FailureOr<OwningOpRef<ModuleOp>>
importONNXModel(MLIRContext &context, llvm::StringRef path,
                const ONNXImportOptions &options);

/// Same, from bytes already in memory; `path` only names the source in
/// locations and decides between binary and text format.
FailureOr<OwningOpRef<ModuleOp>>
importONNXModelFromBuffer(MLIRContext &context, llvm::StringRef path,
                          llvm::StringRef bytes,
                          const ONNXImportOptions &options);

/// Names of the ONNX operators (default domain) the importer handles.
llvm::SmallVector<llvm::StringRef> getSupportedONNXOps();

} // namespace mlir::qcc

#endif // QCC_FRONTEND_ONNX_ONNXIMPORTER_H
