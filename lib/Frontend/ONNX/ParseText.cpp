//===- ParseText.cpp - ONNX text syntax without exceptions ------*- C++ -*-===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//
//
// The one translation unit of qcc compiled with -fexceptions (see
// CMakeLists.txt): libonnx 1.12's OnnxParser reports most syntax errors as a
// Status, but converts literals with std::stof/std::stoll/..., which throw on
// malformed or out-of-range numbers. Uncaught, that aborted `qcc` on a typo
// in an .onnxtext file (found by test/fuzz). The exception is caught here, at
// the library boundary, and becomes an ordinary parse error.
//
//===----------------------------------------------------------------------===//

#include "ParseText.h"

#include "onnx/defs/parser.h"

#include <exception>
#include <stdexcept>

std::string mlir::qcc::onnx_import::parseONNXText(onnx::ModelProto &model,
                                                  const char *text) {
  try {
    onnx::Status status = onnx::OnnxParser::Parse(model, text);
    if (status.IsOK())
      return "";
    std::string message = status.ErrorMessage();
    return message.empty() ? "syntax error" : message;
  } catch (const std::invalid_argument &e) {
    return std::string("invalid or out-of-range number (") + e.what() +
           " failed)";
  } catch (const std::out_of_range &e) {
    return std::string("invalid or out-of-range number (") + e.what() +
           " failed)";
  } catch (const std::exception &e) {
    return std::string("the ONNX text parser failed: ") + e.what();
  } catch (...) {
    return "the ONNX text parser failed";
  }
}
