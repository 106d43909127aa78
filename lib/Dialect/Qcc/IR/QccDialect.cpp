//===- QccDialect.cpp - qcc dialect registration ----------------*- C++ -*-===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//

#include "qcc/Dialect/Qcc/IR/QccDialect.h"
#include "qcc/Dialect/Qcc/IR/QccOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::qcc;

#include "qcc/Dialect/Qcc/IR/QccOpsDialect.cpp.inc"
#include "qcc/Dialect/Qcc/IR/QccOpsEnums.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "qcc/Dialect/Qcc/IR/QccOpsAttrs.cpp.inc"

void QccDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "qcc/Dialect/Qcc/IR/QccOps.cpp.inc"
      >();
  addAttributes<
#define GET_ATTRDEF_LIST
#include "qcc/Dialect/Qcc/IR/QccOpsAttrs.cpp.inc"
      >();
}

Operation *QccDialect::materializeConstant(OpBuilder &builder, Attribute value,
                                           Type type, Location loc) {
  auto elements = dyn_cast<ElementsAttr>(value);
  if (!elements || elements.getType() != type)
    return nullptr;
  return ConstantOp::create(builder, loc, elements);
}

LogicalResult QccDialect::verifyOperationAttribute(Operation *op,
                                                   NamedAttribute attr) {
  // qcc.range (calibration) and qcc.attention (recognised attention) are
  // checked by the passes that read them.
  StringRef name = attr.getName().strref();
  if (name != kWeightBitsAttrName && name != kActivationBitsAttrName)
    return success();
  auto bits = dyn_cast<IntegerAttr>(attr.getValue());
  if (!bits || (bits.getInt() != 8 && bits.getInt() != 4))
    return op->emitError() << "'" << name << "' must be the integer 8 or 4";
  Value weight;
  if (auto mm = dyn_cast<MatMulOp>(op))
    weight = mm.getRhs();
  else if (auto conv = dyn_cast<ConvOp>(op))
    weight = conv.getWeight();
  else
    return op->emitError() << "'" << name
                           << "' applies to qcc.matmul and qcc.conv only";
  if (name == kActivationBitsAttrName)
    return success();
  // Integer weights must already be in the range.
  auto c = weight.getDefiningOp<ConstantOp>();
  auto values = c ? dyn_cast<DenseIntElementsAttr>(c.getValue()) : nullptr;
  if (!values)
    return success();
  int64_t hi = (int64_t(1) << (bits.getInt() - 1)) - 1, lo = -hi - 1;
  for (const APInt &v : values.getValues<APInt>()) {
    int64_t w = values.getElementType().isUnsignedInteger()
                    ? static_cast<int64_t>(v.getZExtValue())
                    : v.getSExtValue();
    if (w < lo || w > hi)
      return op->emitError() << "weight " << w << " does not fit the "
                             << bits.getInt() << "-bit range [" << lo << ", "
                             << hi << "] of '" << kWeightBitsAttrName << "'";
  }
  return success();
}

std::string mlir::qcc::getNodeName(Location loc) {
  std::string name;
  loc->walk([&](Location inner) {
    if (auto named = dyn_cast<NameLoc>(inner)) {
      name = named.getName().str();
      return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  return name;
}
