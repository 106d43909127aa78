//===- ShapeSpec.cpp - parse NAME=DxDxD shape overrides ---------*- C++ -*-===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//

#include "qcc/Support/ShapeSpec.h"

#include "llvm/ADT/StringSet.h"
#include "llvm/Support/FormatVariadic.h"

using namespace llvm;
using namespace mlir::qcc;

/// Largest accepted dimension; anything beyond is certainly a typo and would
/// overflow element counts downstream.
static constexpr int64_t kMaxDim = int64_t(1) << 40;

Expected<ShapeSpec> mlir::qcc::parseShapeSpec(StringRef text) {
  size_t eq = text.rfind('=');
  if (eq == StringRef::npos || eq == 0)
    return createStringError(
        inconvertibleErrorCode(),
        formatv("invalid shape '{0}': expected NAME=D1xD2x... (e.g. "
                "input=8x1x28x28)",
                text));
  ShapeSpec spec;
  spec.name = text.take_front(eq).str();
  StringRef dims = text.drop_front(eq + 1);
  if (dims.empty())
    return spec;
  SmallVector<StringRef> parts;
  dims.split(parts, 'x');
  for (StringRef part : parts) {
    int64_t dim;
    if (part.getAsInteger(10, dim) || dim < 1 || dim > kMaxDim)
      return createStringError(
          inconvertibleErrorCode(),
          formatv("invalid dimension '{0}' in shape '{1}': dimensions are "
                  "positive integers up to 2^40",
                  part, text));
    spec.dims.push_back(dim);
  }
  return spec;
}

Expected<SmallVector<ShapeSpec>>
mlir::qcc::parseShapeSpecs(ArrayRef<std::string> texts) {
  SmallVector<ShapeSpec> specs;
  StringSet<> seen;
  for (const std::string &text : texts) {
    Expected<ShapeSpec> spec = parseShapeSpec(text);
    if (!spec)
      return spec.takeError();
    if (!seen.insert(spec->name).second)
      return createStringError(
          inconvertibleErrorCode(),
          formatv("input '{0}' is given more than one --shape", spec->name));
    specs.push_back(std::move(*spec));
  }
  return specs;
}

std::string mlir::qcc::formatShape(ArrayRef<int64_t> dims) {
  if (dims.empty())
    return "scalar";
  std::string result;
  for (auto [i, d] : llvm::enumerate(dims)) {
    if (i)
      result += 'x';
    result += std::to_string(d);
  }
  return result;
}
