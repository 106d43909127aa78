//===- Tabulate.cpp - elementwise functions of 8-bit values as tables -----===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//
//
// qcc-tabulate (Passes.td): a per-tensor requant or an int_gelu of an 8-bit
// value, or one reading a lookup, becomes one qcc.lookup. The table is
// computed by the reference interpreter: the chain is cloned into a scratch
// function on a tensor<256x...> of every input value and run, so the
// lookup's entries are by construction what the chain computed.
//
//===----------------------------------------------------------------------===//

#include "qcc/Dialect/Qcc/IR/QccOps.h"
#include "qcc/Dialect/Qcc/Transforms/Passes.h"
#include "qcc/Interpreter/Interpreter.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/IRMapping.h"

namespace mlir::qcc {
#define GEN_PASS_DEF_TABULATEPASS
#include "qcc/Dialect/Qcc/Transforms/Passes.h.inc"
} // namespace mlir::qcc

using namespace mlir;
using namespace mlir::qcc;

namespace {

bool is8Bit(Type type) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  return tensor && tensor.getElementType().isInteger(8);
}

/// Ops whose every result element is a function of the same input element
/// alone, with no other operand.
bool isElementwiseOfOneInput(Operation *op) {
  if (auto requant = dyn_cast<RequantOp>(op))
    return requant.getMultiplier().size() == 1;
  return isa<IntGeluOp, LookupOp>(op);
}

/// The values of `chain` (each op reading the previous one's result, the
/// first reading an 8-bit value of type `inputType`) at every input value
/// in increasing order (-128..127 for i8, 0..255 for ui8), computed by the
/// interpreter.
FailureOr<SmallVector<int32_t>> evaluateChain(ArrayRef<Operation *> chain,
                                              RankedTensorType inputType) {
  Operation *last = chain.back();
  Location loc = last->getLoc();
  OpBuilder builder(last->getContext());
  OwningOpRef<ModuleOp> module = ModuleOp::create(loc);
  builder.setInsertionPointToEnd(module->getBody());
  auto vectorOf = [](Value v) {
    return RankedTensorType::get(
        {256}, cast<RankedTensorType>(v.getType()).getElementType());
  };
  auto argType = RankedTensorType::get({256}, inputType.getElementType());
  auto fn = func::FuncOp::create(
      builder, loc, "table",
      builder.getFunctionType({argType}, {vectorOf(last->getResult(0))}));
  Block *entry = fn.addEntryBlock();
  builder.setInsertionPointToStart(entry);
  IRMapping mapping;
  mapping.map(chain.front()->getOperand(0), entry->getArgument(0));
  Value result;
  for (Operation *op : chain) {
    Operation *copy = builder.clone(*op, mapping);
    result = copy->getResult(0);
    result.setType(vectorOf(op->getResult(0)));
  }
  func::ReturnOp::create(builder, loc, result);

  bool isUnsigned = inputType.getElementType().isUnsignedInteger();
  Tensor input = Tensor::allocate(
      isUnsigned ? ElementType::UI8 : ElementType::I8, {256});
  for (int v = 0; v < 256; ++v)
    static_cast<uint8_t *>(input.getRawData())[v] =
        static_cast<uint8_t>(isUnsigned ? v : v - 128);
  InterpreterOptions options;
  options.numThreads = 1;
  FailureOr<SmallVector<Tensor>> outputs =
      interpretFunction(fn, {input}, options);
  if (failed(outputs))
    return failure();
  const Tensor &out = (*outputs)[0];
  SmallVector<int32_t> table(256);
  for (int v = 0; v < 256; ++v) {
    switch (out.getElementType()) {
    case ElementType::I8:
      table[v] = out.getData<int8_t>()[v];
      break;
    case ElementType::UI8:
      table[v] = out.getData<uint8_t>()[v];
      break;
    case ElementType::I16:
      table[v] = out.getData<int16_t>()[v];
      break;
    case ElementType::I32:
      table[v] = out.getData<int32_t>()[v];
      break;
    default:
      return failure();
    }
  }
  return table;
}

struct TabulatePass : qcc::impl::TabulatePassBase<TabulatePass> {
  using Base::Base;
  void runOnOperation() override;
};

} // namespace

void TabulatePass::runOnOperation() {
  // Program order: a chain is tabulated op by op, each step composing
  // with the lookup the previous one became.
  SmallVector<Operation *> candidates;
  getOperation().walk([&](Operation *op) {
    if (isElementwiseOfOneInput(op))
      candidates.push_back(op);
  });
  for (Operation *op : candidates) {
    Value input = op->getOperand(0);
    SmallVector<Operation *, 2> chain;
    auto inner = input.getDefiningOp<LookupOp>();
    if (inner) {
      chain.push_back(inner);
      input = inner.getInput();
    } else if (!is8Bit(input.getType()) || isa<LookupOp>(op)) {
      continue;
    }
    auto resultType = cast<RankedTensorType>(op->getResult(0).getType());
    if (resultType.getElementType().getIntOrFloatBitWidth() > 32)
      continue;
    chain.push_back(op);
    FailureOr<SmallVector<int32_t>> table =
        evaluateChain(chain, cast<RankedTensorType>(input.getType()));
    if (failed(table))
      return signalPassFailure();
    OpBuilder builder(op);
    auto lookup = LookupOp::create(builder, op->getLoc(), resultType, input,
                                   builder.getDenseI32ArrayAttr(*table));
    op->getResult(0).replaceAllUsesWith(lookup.getResult());
    op->erase();
    if (inner && inner->use_empty())
      inner->erase();
  }
}
