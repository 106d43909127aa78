//===- VerifyIntegerOnly.cpp - reject floating-point types ------*- C++ -*-===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//

#include "qcc/Dialect/Qcc/Transforms/Passes.h"

#include "mlir/IR/BuiltinTypes.h"

namespace mlir::qcc {
#define GEN_PASS_DEF_VERIFYINTEGERONLYPASS
#include "qcc/Dialect/Qcc/Transforms/Passes.h.inc"
} // namespace mlir::qcc

using namespace mlir;
using namespace mlir::qcc;

namespace {

/// Returns the first floating-point type nested anywhere in `type`
/// (element types, function signatures, ...), or null.
static Type findFloat(Type type) {
  Type found;
  type.walk([&](Type nested) {
    if (!found && isa<FloatType>(nested))
      found = nested;
  });
  return found;
}

/// Same for attributes: typed attributes, dense elements, dense arrays and
/// type attributes all expose their types as sub-elements.
static Type findFloat(Attribute attr) {
  Type found;
  attr.walk([&](Type nested) {
    if (!found && isa<FloatType>(nested))
      found = nested;
  });
  return found;
}

struct VerifyIntegerOnlyPass
    : qcc::impl::VerifyIntegerOnlyPassBase<VerifyIntegerOnlyPass> {
  using Base::Base;
  void runOnOperation() override;
};

} // namespace

void VerifyIntegerOnlyPass::runOnOperation() {
  bool failed = false;
  getOperation()->walk([&](Operation *op) {
    auto report = [&](Type floatType, StringRef where) {
      op->emitError() << "floating-point type " << floatType << " in " << where
                      << " of integer-only code";
      failed = true;
    };
    for (Type type : op->getOperandTypes())
      if (Type f = findFloat(type))
        return report(f, "an operand");
    for (Type type : op->getResultTypes())
      if (Type f = findFloat(type))
        return report(f, "a result");
    for (Region &region : op->getRegions())
      for (Block &block : region)
        for (BlockArgument arg : block.getArguments())
          if (Type f = findFloat(arg.getType()))
            return report(f, "a block argument");
    for (NamedAttribute attr : op->getAttrs())
      if (Type f = findFloat(attr.getValue()))
        return report(f, ("attribute '" + attr.getName().strref() + "'").str());
  });
  if (failed)
    signalPassFailure();
}
