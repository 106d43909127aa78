//===- LoadModel.cpp - load a model file the way every qcc tool does ------===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//

#include "qcc/Frontend/ONNX/LoadModel.h"

#include "qcc/Frontend/ONNX/ONNXImporter.h"

#include "mlir/Parser/Parser.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"

using namespace mlir;

OwningOpRef<ModuleOp>
qcc::loadModelFile(MLIRContext &context, llvm::SourceMgr &sourceMgr,
                   llvm::StringRef path, llvm::ArrayRef<std::string> shapes,
                   llvm::function_ref<void(const llvm::Twine &)> fail) {
  llvm::Expected<llvm::SmallVector<ShapeSpec>> specs = parseShapeSpecs(shapes);
  if (!specs) {
    fail(llvm::toString(specs.takeError()));
    return nullptr;
  }
  llvm::StringRef ext = llvm::sys::path::extension(path);
  if (ext == ".onnx" || ext == ".onnxtext") {
    ONNXImportOptions options;
    options.shapes = std::move(*specs);
    FailureOr<OwningOpRef<ModuleOp>> module =
        importONNXModel(context, path, options);
    if (failed(module))
      return nullptr;
    return std::move(*module);
  }
  if (!specs->empty()) {
    fail("--shape applies to ONNX models only; '" + path +
         "' is qcc IR with static shapes");
    return nullptr;
  }
  std::string error;
  std::unique_ptr<llvm::MemoryBuffer> file = openInputFile(path, &error);
  if (!file) {
    fail(error);
    return nullptr;
  }
  sourceMgr.AddNewSourceBuffer(std::move(file), llvm::SMLoc());
  return parseSourceFile<ModuleOp>(sourceMgr, &context);
}
