//===- ParseText.h - ONNX text syntax without exceptions --------*- C++ -*-===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//

#ifndef QCC_LIB_FRONTEND_ONNX_PARSETEXT_H
#define QCC_LIB_FRONTEND_ONNX_PARSETEXT_H

#include "onnx/onnx_pb.h"

#include <string>

namespace mlir::qcc::onnx_import {

/// Parses ONNX's text syntax (`.onnxtext`) into `model`. Returns an empty
/// string on success, else libonnx's error message. Never throws, although
/// libonnx's OnnxParser does (std::stof and friends on malformed or
/// out-of-range literals such as `0,,` or `1e999`).
std::string parseONNXText(onnx::ModelProto &model, const char *text);

} // namespace mlir::qcc::onnx_import

#endif // QCC_LIB_FRONTEND_ONNX_PARSETEXT_H
