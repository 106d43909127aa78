//===- LoadModel.h - load a model file like every qcc tool ------*- C++ -*-===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//
//
// `qcc`, `qcc-run` and `qcc-tune` all take MODEL as ONNX (`.onnx`,
// `.onnxtext`, imported with --shape specs) or as qcc dialect IR (any other
// extension; its shapes are static, so --shape is an error).
//
//===----------------------------------------------------------------------===//

#ifndef QCC_FRONTEND_ONNX_LOADMODEL_H
#define QCC_FRONTEND_ONNX_LOADMODEL_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/ADT/Twine.h"

#include <string>

namespace llvm {
class SourceMgr;
} // namespace llvm

namespace mlir::qcc {

/// Loads `path` (ONNX or qcc IR, see above) with the `--shape` specs
/// `shapes`. Problems in the model are diagnostics at its nodes; problems
/// with the command line or the file (a bad spec, an unreadable file) go to
/// `fail`. Returns null on either.
OwningOpRef<ModuleOp>
loadModelFile(MLIRContext &context, llvm::SourceMgr &sourceMgr,
              llvm::StringRef path, llvm::ArrayRef<std::string> shapes,
              llvm::function_ref<void(const llvm::Twine &)> fail);

} // namespace mlir::qcc

#endif // QCC_FRONTEND_ONNX_LOADMODEL_H
