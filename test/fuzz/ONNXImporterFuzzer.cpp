//===- ONNXImporterFuzzer.cpp - libFuzzer harness for the ONNX importer ---===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//
//
// Feeds arbitrary bytes to importONNXModelFromBuffer, the entry point of
// `qcc model.onnx`. An input starting with '<' (the header of ONNX's text
// syntax, `<ir_version: ..., opset_import: [...]>`) goes through the
// `.onnxtext` path (libonnx's OnnxParser), anything else through the
// protobuf path; a protobuf ModelProto never starts with '<' (that byte is
// an end-group tag), so neither path loses inputs to the other. The
// importer promises to diagnose every malformed model and never crash;
// sanitizers turn any crash, leak, out-of-bounds access or undefined
// behaviour into a finding. Diagnostics are swallowed. See docs/Testing.md.
//
//===----------------------------------------------------------------------===//

#include "qcc/Frontend/ONNX/ONNXImporter.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/raw_ostream.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  llvm::StringRef bytes(reinterpret_cast<const char *>(data), size);
  bool text = bytes.starts_with("<");
  mlir::MLIRContext context(mlir::MLIRContext::Threading::DISABLED);
  context.getDiagEngine().registerHandler(
      [](mlir::Diagnostic &) { return mlir::success(); });
  mlir::qcc::ONNXImportOptions options;
  mlir::FailureOr<mlir::OwningOpRef<mlir::ModuleOp>> module =
      mlir::qcc::importONNXModelFromBuffer(
          context, text ? "fuzz.onnxtext" : "fuzz.onnx", bytes, options);
  // A module that imports must also print (custom printers, attributes).
  if (succeeded(module))
    (*module)->print(llvm::nulls());
  return 0;
}
