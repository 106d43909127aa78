//===- ShapeSpec.h - parse NAME=DxDxD shape overrides -----------*- C++ -*-===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//

#ifndef QCC_SUPPORT_SHAPESPEC_H
#define QCC_SUPPORT_SHAPESPEC_H

#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <string>

namespace mlir::qcc {

/// A `--shape NAME=8x1x28x28` override of a model input's shape.
struct ShapeSpec {
  std::string name;
  llvm::SmallVector<int64_t> dims;
};

/// Parses `NAME=D1xD2x...` (each D a positive decimal integer; `NAME=` alone
/// means a scalar). The name may itself contain `=` only before the last one.
llvm::Expected<ShapeSpec> parseShapeSpec(llvm::StringRef text);

/// Parses every spec and rejects the same input named twice.
llvm::Expected<llvm::SmallVector<ShapeSpec>>
parseShapeSpecs(llvm::ArrayRef<std::string> texts);

/// Formats dims as `2x3x4` (an empty list as `scalar`).
std::string formatShape(llvm::ArrayRef<int64_t> dims);

} // namespace mlir::qcc

#endif // QCC_SUPPORT_SHAPESPEC_H
