//===- UnsignedMatMulInputs.cpp - ui8 tables in front of matmuls ----------===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//
//
// qcc-unsigned-matmul-inputs (Passes.td): an i8 qcc.lookup read only by
// matmuls by constant i8 weights, each followed by a constant bias add,
// yields x + 128 as ui8 and the biases absorb -128 * sum_k W[k][n]. The
// matmul + add results are the same i32 values, and a backend whose
// integer dot product wants unsigned activations has nothing to convert.
//
//===----------------------------------------------------------------------===//

#include "qcc/Dialect/Qcc/IR/QccOps.h"
#include "qcc/Dialect/Qcc/Transforms/Passes.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Matchers.h"

namespace mlir::qcc {
#define GEN_PASS_DEF_UNSIGNEDMATMULINPUTSPASS
#include "qcc/Dialect/Qcc/Transforms/Passes.h.inc"
} // namespace mlir::qcc

using namespace mlir;
using namespace mlir::qcc;

namespace {

/// A reader of the lookup that the rewrite applies to: the matmul, its
/// bias add, and the new bias values.
struct Reader {
  MatMulOp matmul;
  AddOp add;
  SmallVector<int32_t> bias;
};

/// The matmul `user` by a constant 2-D i8 weight with `lookup` as its left
/// operand, read only by an add of a constant i32 bias of one entry or of
/// n along the last dimension; the bias with -128 * the weight's column
/// sums added, when no value leaves int32.
std::optional<Reader> matchReader(Operation *user, Value lookup) {
  auto matmul = dyn_cast<MatMulOp>(user);
  if (!matmul || matmul.getLhs() != lookup || !matmul->hasOneUse())
    return std::nullopt;
  DenseIntElementsAttr weight;
  if (!matchPattern(matmul.getRhs(), m_Constant(&weight)) ||
      weight.getType().getRank() != 2 ||
      !weight.getElementType().isSignlessInteger(8))
    return std::nullopt;
  int64_t k = weight.getType().getDimSize(0);
  int64_t n = weight.getType().getDimSize(1);
  // |x'| <= 255 and |w| <= 128: every partial sum fits in int32.
  if (k * 255 * 128 >= (int64_t(1) << 31))
    return std::nullopt;
  auto add = dyn_cast<AddOp>(*matmul->getUsers().begin());
  if (!add || add.getLhs() != matmul.getResult())
    return std::nullopt;
  DenseIntElementsAttr bias;
  if (!matchPattern(add.getRhs(), m_Constant(&bias)) ||
      !bias.getElementType().isSignlessInteger(32))
    return std::nullopt;
  ArrayRef<int64_t> biasShape = bias.getType().getShape();
  bool perColumn = bias.getNumElements() == n && !biasShape.empty() &&
                   biasShape.back() == n;
  if (!perColumn && bias.getNumElements() != 1)
    return std::nullopt;
  if (add.getType() != matmul.getType())
    return std::nullopt;
  Reader reader{matmul, add, {}};
  SmallVector<int64_t> sums(n, 0);
  auto w = weight.getValues<int8_t>();
  for (int64_t i = 0; i < k * n; ++i)
    sums[i % n] += w[i];
  SmallVector<int32_t> old;
  for (const APInt &b : bias.getValues<APInt>())
    old.push_back(static_cast<int32_t>(b.getSExtValue()));
  for (int64_t c = 0; c < n; ++c) {
    int64_t b = (perColumn ? old[c] : old[0]) - 128 * sums[c];
    if (b < INT32_MIN || b > INT32_MAX)
      return std::nullopt;
    reader.bias.push_back(static_cast<int32_t>(b));
  }
  return reader;
}

struct UnsignedMatMulInputsPass
    : qcc::impl::UnsignedMatMulInputsPassBase<UnsignedMatMulInputsPass> {
  using Base::Base;
  void runOnOperation() override;
};

} // namespace

void UnsignedMatMulInputsPass::runOnOperation() {
  SmallVector<LookupOp> lookups;
  getOperation().walk([&](LookupOp op) {
    if (cast<RankedTensorType>(op.getType()).getElementType().isSignlessInteger(
            8) &&
        !op->use_empty())
      lookups.push_back(op);
  });
  for (LookupOp lookup : lookups) {
    SmallVector<Reader> readers;
    bool all = true;
    for (Operation *user : lookup->getUsers()) {
      std::optional<Reader> reader = matchReader(user, lookup.getResult());
      if (!reader) {
        all = false;
        break;
      }
      readers.push_back(std::move(*reader));
    }
    if (!all)
      continue;
    OpBuilder builder(lookup);
    auto type = cast<RankedTensorType>(lookup.getType());
    auto unsignedType = type.clone(
        IntegerType::get(&getContext(), 8, IntegerType::Unsigned));
    SmallVector<int32_t> table;
    for (int32_t v : lookup.getTable())
      table.push_back(v + 128);
    auto shifted =
        LookupOp::create(builder, lookup.getLoc(), unsignedType,
                         lookup.getInput(), builder.getDenseI32ArrayAttr(table));
    for (Reader &reader : readers) {
      builder.setInsertionPoint(reader.matmul);
      auto matmul = MatMulOp::create(builder, reader.matmul.getLoc(),
                                     reader.matmul.getType(), shifted,
                                     reader.matmul.getRhs());
      int64_t n = static_cast<int64_t>(reader.bias.size());
      auto biasType = RankedTensorType::get(
          {n}, IntegerType::get(&getContext(), 32));
      Value bias = ConstantOp::create(
          builder, reader.add.getLoc(),
          DenseElementsAttr::get(biasType, ArrayRef(reader.bias)));
      builder.setInsertionPoint(reader.add);
      auto add = AddOp::create(builder, reader.add.getLoc(),
                               reader.add.getType(), matmul, bias);
      reader.add.getResult().replaceAllUsesWith(add.getResult());
      reader.add->erase();
      reader.matmul->erase();
    }
    lookup->erase();
  }
}
