//===- VerifyIntegerOnly.cpp - reject floating-point types ------*- C++ -*-===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//

#include "qcc/Dialect/Qcc/IR/QccOps.h"
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

/// Whether `op` is a boundary conversion of a float model interface: a
/// quantize of a function argument, or a dequantize feeding only the return.
static bool isBoundaryOp(Operation *op, func::FuncOp fn) {
  if (auto q = dyn_cast<QuantizeOp>(op)) {
    auto arg = dyn_cast<BlockArgument>(q.getInput());
    return arg && arg.getOwner() == &fn.getBody().front();
  }
  if (isa<DequantizeOp>(op))
    return !op->use_empty() && llvm::all_of(op->getUsers(), [](Operation *u) {
      return isa<func::ReturnOp>(u);
    });
  return false;
}

void VerifyIntegerOnlyPass::runOnOperation() {
  func::FuncOp fn = getOperation();
  bool failed = false;
  // The signature may be float only where boundary ops convert it.
  for (BlockArgument arg : fn.getArguments()) {
    Type f = findFloat(arg.getType());
    if (!f)
      continue;
    for (Operation *user : arg.getUsers())
      if (!isBoundaryOp(user, fn)) {
        user->emitError() << "floating-point function argument #"
                          << arg.getArgNumber()
                          << " used inside integer-only code (only "
                             "qcc.quantize may read it)";
        failed = true;
      }
  }
  fn.walk([&](Operation *op) {
    if (op == fn.getOperation() || isBoundaryOp(op, fn))
      return;
    auto report = [&](Type floatType, StringRef where) {
      op->emitError() << "floating-point type " << floatType << " in " << where
                      << " of integer-only code";
      failed = true;
    };
    if (isa<func::ReturnOp>(op)) {
      for (Value v : op->getOperands())
        if (Type f = findFloat(v.getType()))
          if (!v.getDefiningOp() || !isBoundaryOp(v.getDefiningOp(), fn))
            return report(f, "a returned value");
      return;
    }
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
