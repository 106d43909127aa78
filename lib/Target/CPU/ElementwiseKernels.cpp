//===- ElementwiseKernels.cpp - generated kernels for op groups -----------===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//

#include "ElementwiseKernels.h"

#include "Dtypes.h"

#include "qcc/Dialect/Qcc/IR/QccOps.h"
#include "qcc/Target/CPU/CPUTarget.h"

#include "mlir/Conversion/AffineToStandard/AffineToStandard.h"
#include "mlir/Conversion/ArithToLLVM/ArithToLLVM.h"
#include "mlir/Conversion/ControlFlowToLLVM/ControlFlowToLLVM.h"
#include "mlir/Conversion/FuncToLLVM/ConvertFuncToLLVMPass.h"
#include "mlir/Conversion/MemRefToLLVM/MemRefToLLVM.h"
#include "mlir/Conversion/ReconcileUnrealizedCasts/ReconcileUnrealizedCasts.h"
#include "mlir/Conversion/SCFToControlFlow/SCFToControlFlow.h"
#include "mlir/Conversion/VectorToLLVM/ConvertVectorToLLVMPass.h"
#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlow.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/Vector/Transforms/LoweringPatterns.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;
using namespace mlir::qcc;

namespace {

/// Marks a kernel function (for the vectorization pass) and an AVX-512 one.
constexpr StringLiteral kKernelAttr = "qcc.kernel";
constexpr StringLiteral kAvx512Attr = "qcc.avx512";
/// The features of the AVX-512 kernels: what the runtime checks before it
/// calls them (qcc_rt_run_generated; AVX-512 F implies AVX2 and below).
constexpr StringLiteral kAvx512Features = "+avx512f,+avx512bw,+avx512vl";

Type getElementType(Value v) {
  return cast<ShapedType>(v.getType()).getElementType();
}

/// The int64 body of a group for one element: `args` are the inputs'
/// elements (signless, as the memrefs hold them).
class BodyBuilder {
public:
  BodyBuilder(OpBuilder &b, Location loc) : b(b), loc(loc) {}

  Value build(const ElementwiseGroup &group, ValueRange args) {
    for (auto [input, arg] : llvm::zip(group.inputs, args)) {
      auto type = cast<IntegerType>(getElementType(input));
      values[input] =
          type.isUnsigned()
              ? arith::ExtUIOp::create(b, loc, b.getI64Type(), arg).getResult()
              : arith::ExtSIOp::create(b, loc, b.getI64Type(), arg).getResult();
    }
    for (Operation *op : group.ops)
      values[op->getResult(0)] = compute(op);
    unsigned width = getElementType(group.getResult()).getIntOrFloatBitWidth();
    return arith::TruncIOp::create(b, loc, b.getIntegerType(width),
                                   values.lookup(group.getResult()));
  }

private:
  Value cst(int64_t v) {
    return arith::ConstantOp::create(b, loc, b.getI64IntegerAttr(v));
  }
  /// (x - zeroPoint) * multiplier, then + 2^(shift-1) >> shift: exact in
  /// int64 for the groups FuseElementwise admits.
  Value dyadic(Value x, int64_t zeroPoint, int32_t multiplier, int32_t shift) {
    if (zeroPoint != 0)
      x = arith::SubIOp::create(b, loc, x, cst(zeroPoint));
    x = arith::MulIOp::create(b, loc, x, cst(multiplier));
    if (shift == 0)
      return x;
    x = arith::AddIOp::create(b, loc, x, cst(int64_t(1) << (shift - 1)));
    return arith::ShRSIOp::create(b, loc, x, cst(shift));
  }
  /// Clamps to the result type's range narrowed by min/max.
  Value clamp(Value x, Operation *op, std::optional<uint64_t> min,
              std::optional<uint64_t> max) {
    auto [lo, hi] = typeRange(getElementType(op->getResult(0)));
    if (min)
      lo = std::max(lo, i64(*min));
    if (max)
      hi = std::min(hi, i64(*max));
    x = arith::MaxSIOp::create(b, loc, x, cst(lo));
    return arith::MinSIOp::create(b, loc, x, cst(hi));
  }
  Value compute(Operation *op) {
    if (auto r = dyn_cast<RequantOp>(op)) {
      Value x = dyadic(values.lookup(r.getInput()), i64(r.getInputZeroPoint()),
                       r.getMultiplier()[0], r.getShift()[0]);
      if (int64_t zp = i64(r.getOutputZeroPoint()))
        x = arith::AddIOp::create(b, loc, x, cst(zp));
      return clamp(x, op, r.getMin(), r.getMax());
    }
    auto a = cast<RequantAddOp>(op);
    Value lhs = dyadic(values.lookup(a.getLhs()), 0, a.getLhsMultiplier()[0],
                       a.getLhsShift()[0]);
    Value rhs = dyadic(values.lookup(a.getRhs()), 0, a.getRhsMultiplier()[0],
                       a.getRhsShift()[0]);
    return clamp(arith::AddIOp::create(b, loc, lhs, rhs), op, a.getMin(),
                 a.getMax());
  }

  OpBuilder &b;
  Location loc;
  llvm::DenseMap<Value, Value> values;
};

/// One linalg.generic over elements [col, col + size) of row `row` of
/// every memref argument of `fn` (the last is the output).
void emitChunk(OpBuilder &b, Location loc, const ElementwiseGroup &group,
               ValueRange memrefs, Value row, OpFoldResult col, int64_t size) {
  SmallVector<Value> views;
  SmallVector<OpFoldResult> offsets = {row, col};
  SmallVector<OpFoldResult> sizes = {b.getIndexAttr(1), b.getIndexAttr(size)};
  SmallVector<OpFoldResult> strides = {b.getIndexAttr(1), b.getIndexAttr(1)};
  for (Value m : memrefs) {
    MemRefType type = memref::SubViewOp::inferRankReducedResultType(
        {size}, cast<MemRefType>(m.getType()), offsets, sizes, strides);
    views.push_back(
        memref::SubViewOp::create(b, loc, type, m, offsets, sizes, strides));
  }
  SmallVector<AffineMap> maps(views.size(), b.getMultiDimIdentityMap(1));
  linalg::GenericOp::create(
      b, loc, TypeRange{}, ValueRange(views).drop_back(),
      ValueRange{views.back()}, maps, {utils::IteratorType::parallel},
      [&](OpBuilder &nb, Location nloc, ValueRange args) {
        Value result = BodyBuilder(nb, nloc).build(group, args.drop_back());
        linalg::YieldOp::create(nb, nloc, result);
      });
}

/// Vectorizes the linalg ops of the kernel functions: each has static
/// sizes (a chunk of at most kKernelChunk elements), so it becomes
/// transfer_read, arith on vectors and transfer_write of that length.
struct VectorizeKernelsPass
    : PassWrapper<VectorizeKernelsPass, OperationPass<ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(VectorizeKernelsPass)
  StringRef getArgument() const override { return "qcc-cpu-vectorize-linalg"; }
  StringRef getDescription() const override {
    return "Vectorize the linalg ops of qcc.kernel functions";
  }
  void getDependentDialects(DialectRegistry &registry) const override {
    registry.insert<vector::VectorDialect, arith::ArithDialect,
                    memref::MemRefDialect>();
  }
  void runOnOperation() override {
    SmallVector<linalg::LinalgOp> ops;
    getOperation().walk([&](func::FuncOp fn) {
      if (fn->hasAttr(kKernelAttr))
        fn.walk([&](linalg::LinalgOp op) { ops.push_back(op); });
    });
    IRRewriter rewriter(&getContext());
    for (linalg::LinalgOp op : ops) {
      rewriter.setInsertionPoint(op);
      FailureOr<linalg::VectorizationResult> result =
          linalg::vectorize(rewriter, op);
      if (failed(result)) {
        op.emitError("internal error: cannot vectorize the generated kernel");
        return signalPassFailure();
      }
      rewriter.replaceOp(op, result->replacements);
    }
    // In-bounds 1-D transfers to vector.load/store.
    RewritePatternSet patterns(&getContext());
    vector::populateVectorTransferLoweringPatterns(patterns,
                                                   /*maxTransferRank=*/1);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

/// Gives the AVX-512 kernels their target features and drops the marks.
struct KernelTargetFeaturesPass
    : PassWrapper<KernelTargetFeaturesPass, OperationPass<ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(KernelTargetFeaturesPass)
  StringRef getArgument() const override {
    return "qcc-cpu-kernel-target-features";
  }
  StringRef getDescription() const override {
    return "Set target_features on the AVX-512 qcc.kernel functions";
  }
  void runOnOperation() override {
    getOperation().walk([&](LLVM::LLVMFuncOp fn) {
      if (fn->removeAttr(kAvx512Attr))
        fn.setTargetFeaturesAttr(
            LLVM::TargetFeaturesAttr::get(&getContext(), kAvx512Features));
      fn->removeAttr(kKernelAttr);
    });
  }
};

} // namespace

std::pair<int64_t, int64_t> mlir::qcc::getKernelView(ArrayRef<int64_t> shape) {
  int64_t cols = 1, total = 1;
  for (int64_t d : shape)
    total *= d;
  for (int64_t d : llvm::reverse(shape)) {
    if (cols >= 256)
      break;
    cols *= d;
  }
  return {cols == 0 ? 0 : total / cols, cols};
}

func::FuncOp mlir::qcc::buildElementwiseKernel(OpBuilder &b, ModuleOp module,
                                               const ElementwiseGroup &group,
                                               StringRef name, bool avx512) {
  OpBuilder::InsertionGuard guard(b);
  Location loc = group.getRoot()->getLoc();
  auto [rowCount, colCount] =
      getKernelView(cast<ShapedType>(group.getResult().getType()).getShape());
  int64_t rows = rowCount, cols = colCount;
  auto memrefType = [&](Value v) {
    unsigned width = getElementType(v).getIntOrFloatBitWidth();
    return MemRefType::get({rows, cols}, b.getIntegerType(width));
  };
  SmallVector<Type> argTypes;
  for (Value v : group.inputs)
    argTypes.push_back(memrefType(v));
  argTypes.push_back(memrefType(group.getResult()));
  argTypes.append(2, b.getIndexType());

  b.setInsertionPointToEnd(module.getBody());
  auto fn = func::FuncOp::create(b, loc, name,
                                 b.getFunctionType(argTypes, TypeRange{}));
  fn->setAttr("llvm.linkage",
              LLVM::LinkageAttr::get(b.getContext(), LLVM::Linkage::Internal));
  fn->setAttr(kKernelAttr, b.getUnitAttr());
  if (avx512)
    fn->setAttr(kAvx512Attr, b.getUnitAttr());
  Block *entry = fn.addEntryBlock();
  b.setInsertionPointToStart(entry);
  ValueRange memrefs = entry->getArguments().drop_back(2);
  Value begin = entry->getArgument(argTypes.size() - 2);
  Value end = entry->getArgument(argTypes.size() - 1);
  auto index = [&](int64_t v) {
    return arith::ConstantIndexOp::create(b, loc, v).getResult();
  };
  auto rowLoop = scf::ForOp::create(b, loc, begin, end, index(1));
  b.setInsertionPointToStart(rowLoop.getBody());
  Value row = rowLoop.getInductionVar();
  int64_t full = cols / kKernelChunk * kKernelChunk;
  if (full > 0) {
    auto chunkLoop =
        scf::ForOp::create(b, loc, index(0), index(full), index(kKernelChunk));
    b.setInsertionPointToStart(chunkLoop.getBody());
    emitChunk(b, loc, group, memrefs, row, chunkLoop.getInductionVar(),
              kKernelChunk);
    b.setInsertionPointAfter(chunkLoop);
  }
  if (cols > full)
    emitChunk(b, loc, group, memrefs, row, b.getIndexAttr(full), cols - full);
  b.setInsertionPointToEnd(entry);
  func::ReturnOp::create(b, loc);
  return fn;
}

void mlir::qcc::buildKernelLoweringPipeline(OpPassManager &pm,
                                            bool vectorizeOnly) {
  pm.addPass(std::make_unique<VectorizeKernelsPass>());
  pm.addPass(createCanonicalizerPass());
  if (vectorizeOnly)
    return;
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createSCFToControlFlowPass());
  pm.addPass(createConvertVectorToLLVMPass());
  pm.addPass(createFinalizeMemRefToLLVMConversionPass());
  pm.addPass(createArithToLLVMConversionPass());
  ConvertFuncToLLVMPassOptions funcOptions;
  funcOptions.useBarePtrCallConv = true;
  pm.addPass(createConvertFuncToLLVMPass(funcOptions));
  pm.addPass(createConvertControlFlowToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
  pm.addPass(std::make_unique<KernelTargetFeaturesPass>());
}

LogicalResult mlir::qcc::lowerKernels(ModuleOp module) {
  PassManager pm(module.getContext());
  buildKernelLoweringPipeline(pm, /*vectorizeOnly=*/false);
  return pm.run(module);
}

void mlir::qcc::registerKernelPipelines() {
  PassPipelineRegistration<>(
      "qcc-cpu-vectorize-kernels",
      "Vectorize the linalg ops of the CPU backend's generated kernels",
      [](OpPassManager &pm) { buildKernelLoweringPipeline(pm, true); });
  PassPipelineRegistration<>(
      "qcc-cpu-lower-kernels",
      "Vectorize the CPU backend's generated kernels and lower them to the "
      "LLVM dialect (bare-pointer arguments)",
      [](OpPassManager &pm) { buildKernelLoweringPipeline(pm, false); });
}
