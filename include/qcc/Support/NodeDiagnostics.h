//===- NodeDiagnostics.h - name the ONNX node in tool errors ----*- C++ -*-===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//
//
// Ops imported from ONNX are located at NameLoc(node, model:0:0). MLIR's
// SourceMgrDiagnosticHandler prints only the file part of such a location
// ("model.onnx:0:0: error: ..."), so an error raised by a pass would not say
// which node it is about. The tools install this handler after their
// SourceMgrDiagnosticHandler: it appends the node's name to errors and
// warnings whose text does not name it already, then lets the source manager
// handler print them.
//
//===----------------------------------------------------------------------===//

#ifndef QCC_SUPPORT_NODEDIAGNOSTICS_H
#define QCC_SUPPORT_NODEDIAGNOSTICS_H

#include "qcc/Dialect/Qcc/IR/QccDialect.h"

#include "mlir/IR/Diagnostics.h"

#include <string>

namespace mlir::qcc {

class NodeNameDiagnosticHandler : public ScopedDiagnosticHandler {
public:
  explicit NodeNameDiagnosticHandler(MLIRContext *context)
      : ScopedDiagnosticHandler(context) {
    setHandler([](Diagnostic &diag) -> LogicalResult {
      if (diag.getSeverity() != DiagnosticSeverity::Error &&
          diag.getSeverity() != DiagnosticSeverity::Warning)
        return failure();
      std::string name = getNodeName(diag.getLocation());
      if (!name.empty() &&
          diag.str().find("'" + name + "'") == std::string::npos)
        diag << " [ONNX node '" << name << "']";
      // Not handled: the next handler (the source manager's) prints it.
      return failure();
    });
  }
};

} // namespace mlir::qcc

#endif // QCC_SUPPORT_NODEDIAGNOSTICS_H
