//===- LowerToRuntimeCalls.cpp - integer graph to LLVM dialect ------------===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//
//
// One `llvm.call @qcc_rt_<op>` per op of the integer function, in program
// order, with tensor descriptors on the stack, shapes and int64 attribute
// arrays (RuntimeABI.h layouts) as constant globals, weights as 64-byte
// aligned constant globals, and every intermediate tensor at a planned
// offset of the context's arena. qcc.reshape is free (an alias). Fused
// linear and attention chains are one call each; elementwise groups call
// qcc_rt_run_generated with the kernels ElementwiseKernels.cpp generated
// (built and lowered before the run function); any other op calls the
// kernel RuntimeKernels.cpp names. EmitModelApi.cpp then adds the model
// descriptor and the exported NAME_* functions.
//
//===----------------------------------------------------------------------===//

#include "qcc/Target/CPU/CPUTarget.h"

#include "ElementwiseKernels.h"
#include "RuntimeCallLowering.h"
#include "RuntimeKernels.h"

#include "qcc/Dialect/Qcc/IR/QccDialect.h"
#include "qcc/Dialect/Qcc/IR/QccOps.h"
#include "qcc/Runtime/RuntimeABI.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlow.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;
using namespace mlir::qcc;

LLVM::GlobalOp RuntimeCallLowering::addBytesGlobal(StringRef prefix,
                                                   StringRef bytes,
                                                   uint64_t alignment) {
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToEnd(out.getBody());
  auto type = LLVM::LLVMArrayType::get(b.getI8Type(), bytes.size());
  std::string name = (prefix + "_" + Twine(globalCounter++)).str();
  return LLVM::GlobalOp::create(b, loc(), type, /*isConstant=*/true,
                                LLVM::Linkage::Internal, name,
                                b.getStringAttr(bytes), alignment);
}

LLVM::GlobalOp RuntimeCallLowering::addI64Global(StringRef prefix,
                                                 ArrayRef<int64_t> values) {
  std::string bytes(values.size() * 8, '\0');
  std::memcpy(bytes.data(), values.data(), bytes.size());
  if (bytes.empty())
    bytes.assign(8, '\0');
  // Shapes and attribute arrays repeat: one global per distinct content.
  auto it = i64Globals.find(bytes);
  if (it != i64Globals.end())
    return it->second;
  LLVM::GlobalOp global = addBytesGlobal(prefix, bytes, 8);
  i64Globals[bytes] = global;
  return global;
}

LLVM::LLVMFuncOp RuntimeCallLowering::getRuntimeDecl(StringRef name,
                                                     Type result,
                                                     ArrayRef<Type> args) {
  auto it = decls.find(name);
  if (it != decls.end())
    return it->second;
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(out.getBody());
  auto fnTy = LLVM::LLVMFunctionType::get(result, args);
  auto decl = LLVM::LLVMFuncOp::create(b, loc(), name, fnTy);
  decls[name] = decl;
  return decl;
}

LLVM::LLVMFuncOp RuntimeCallLowering::getKernelDecl(StringRef name) {
  return getRuntimeDecl(("qcc_rt_" + name).str(), i32Ty,
                        {ptrTy, ptrTy, i64Ty, ptrTy, ptrTy});
}

/// The bytes of a dense constant in the interpreter's layout.
static std::string getConstantBytes(DenseElementsAttr attr) {
  Type elementType = attr.getElementType();
  std::string bytes;
  if (elementType.isF32()) {
    for (float f : attr.getValues<float>())
      bytes.append(reinterpret_cast<const char *>(&f), 4);
    return bytes;
  }
  unsigned width = cast<IntegerType>(elementType).getWidth();
  unsigned size = width == 1 ? 1 : width / 8;
  for (const APInt &v : attr.getValues<APInt>()) {
    uint64_t raw = v.getZExtValue();
    bytes.append(reinterpret_cast<const char *>(&raw), size);
  }
  return bytes;
}

FailureOr<Value> RuntimeCallLowering::getData(Value v) {
  if (auto arg = dyn_cast<BlockArgument>(v)) {
    Value slot = LLVM::GEPOp::create(
        b, loc(), ptrTy, ptrTy, inputsArg,
        ArrayRef<LLVM::GEPArg>{static_cast<int32_t>(arg.getArgNumber())});
    return LLVM::LoadOp::create(b, loc(), ptrTy, slot).getResult();
  }
  if (auto c = v.getDefiningOp<ConstantOp>()) {
    auto it = constants.find(v);
    if (it == constants.end()) {
      auto dense = dyn_cast<DenseElementsAttr>(c.getValue());
      if (!dense)
        return c.emitError("the CPU backend needs dense constants"), failure();
      it = constants
               .try_emplace(
                   v, addBytesGlobal("qcc_cst", getConstantBytes(dense), 64))
               .first;
    }
    return addressOf(it->second);
  }
  if (auto reshape = v.getDefiningOp<ReshapeOp>())
    return getData(reshape.getInput());
  std::optional<int64_t> offset = plan.getOffset(v);
  if (!offset)
    return v.getDefiningOp()->emitError("internal error: no arena slot"),
           failure();
  return LLVM::GEPOp::create(b, loc(), ptrTy, b.getI8Type(), arenaArg,
                             ArrayRef<LLVM::GEPArg>{*offset})
      .getResult();
}

Value RuntimeCallLowering::makeDescriptors(ArrayRef<Desc> descs) {
  Value count = constI64(std::max<size_t>(descs.size(), 1));
  Value array = LLVM::AllocaOp::create(b, loc(), ptrTy, tensorTy, count, 8);
  for (auto [i, d] : llvm::enumerate(descs)) {
    Value elem =
        LLVM::GEPOp::create(b, loc(), ptrTy, tensorTy, array,
                            ArrayRef<LLVM::GEPArg>{static_cast<int32_t>(i)});
    auto field = [&](int32_t f) {
      return LLVM::GEPOp::create(b, loc(), ptrTy, tensorTy, elem,
                                 ArrayRef<LLVM::GEPArg>{0, f});
    };
    LLVM::StoreOp::create(b, loc(), d.data, field(0));
    LLVM::StoreOp::create(
        b, loc(), addressOf(addI64Global("qcc_shape", d.shape)), field(1));
    LLVM::StoreOp::create(b, loc(), constI64(d.shape.size()), field(2));
    LLVM::StoreOp::create(b, loc(), constI64(d.dtype), field(3));
  }
  return array;
}

void RuntimeCallLowering::callKernel(StringRef kernel, StringRef name,
                                     ArrayRef<Desc> ins, Desc out,
                                     ArrayRef<int64_t> attrs) {
  Value inDesc = makeDescriptors(ins);
  Value outDesc = makeDescriptors({out});
  Value attrPtr = addressOf(addI64Global("qcc_attrs", attrs));
  Value rc =
      LLVM::CallOp::create(
          b, loc(), getKernelDecl(kernel),
          ValueRange{ctxArg, inDesc, constI64(ins.size()), outDesc, attrPtr})
          .getResult();
  checkStatus(rc, kernel, name);
}

void RuntimeCallLowering::checkStatus(Value rc, StringRef kernel,
                                      StringRef name) {
  Value zero =
      LLVM::ConstantOp::create(b, loc(), i32Ty, b.getI32IntegerAttr(0));
  Value failed =
      LLVM::ICmpOp::create(b, loc(), LLVM::ICmpPredicate::ne, rc, zero);
  Block *current = b.getInsertionBlock();
  Block *next = b.createBlock(current->getParent());
  Block *fail = b.createBlock(current->getParent());
  b.setInsertionPointToEnd(fail);
  LLVM::ReturnOp::create(b, loc(), rc);
  b.setInsertionPointToEnd(current);
  LLVM::CondBrOp::create(b, loc(), failed, fail, next);
  b.setInsertionPointToEnd(next);
  LLVM::CallOp::create(b, loc(),
                       getRuntimeDecl("qcc_rt_op_done",
                                      LLVM::LLVMVoidType::get(b.getContext()),
                                      {ptrTy, i64Ty}),
                       ValueRange{ctxArg, constI64(opNames.size())});
  opNames.emplace_back(name.empty() ? kernel.str() : name.str(), kernel.str());
}

std::string RuntimeCallLowering::getOpName(Operation *op) {
  // Ops the passes made at the function's location (the boundary quantize
  // and dequantize) belong to no node: they go by their kernel's name.
  if (op->getLoc() == fn.getLoc())
    return "";
  return getNodeName(op->getLoc());
}

LogicalResult RuntimeCallLowering::emitLinear(const FusedLinear &chain) {
  SmallVector<Desc> ins;
  FailureOr<Value> input = getData(chain.input);
  if (failed(input))
    return failure();
  ins.push_back(describe(chain.input, *input));
  LLVM::GlobalOp blob = addBytesGlobal("qcc_linear", chain.blob, 64);
  blobShapes.push_back(static_cast<int64_t>(chain.blob.size()));
  ins.push_back({addressOf(blob), ArrayRef<int64_t>(blobShapes.back()),
                 /*QCC_U8=*/5});
  if (chain.residual) {
    FailureOr<Value> residual = getData(chain.residual);
    if (failed(residual))
      return failure();
    ins.push_back(describe(chain.residual, *residual));
  }
  FailureOr<Value> out = getData(chain.result);
  if (failed(out))
    return failure();
  callKernel("linear", getOpName(chain.root), ins,
             describe(chain.result, *out), chain.attrs);
  return success();
}

LogicalResult RuntimeCallLowering::emitAttention(const FusedAttention &chain) {
  SmallVector<Desc> ins;
  for (Value input : {chain.q, chain.k, chain.v, chain.mask}) {
    if (!input)
      continue;
    FailureOr<Value> data = getData(input);
    if (failed(data))
      return failure();
    ins.push_back(describe(input, *data));
  }
  FailureOr<Value> out = getData(chain.result);
  if (failed(out))
    return failure();
  callKernel("attention", getOpName(chain.softmax), ins,
             describe(chain.result, *out), chain.attrs);
  return success();
}

LogicalResult RuntimeCallLowering::emitGeneratedKernels() {
  if (elementwise.getGroups().empty())
    return success();
  OpBuilder::InsertionGuard guard(b);
  SmallVector<std::pair<std::string, std::string>> names;
  for (auto [i, group] : llvm::enumerate(elementwise.getGroups())) {
    std::string base = options.prefix + "__kernel" + std::to_string(i);
    names.emplace_back(base + "_avx512", base + "_portable");
    buildElementwiseKernel(b, out, group, names.back().first, true);
    buildElementwiseKernel(b, out, group, names.back().second, false);
  }
  if (failed(lowerKernels(out)))
    return failure();
  // task(ptrs, begin, end): kernel(ptrs[0], ..., ptrs[n], begin, end).
  b.setInsertionPointToEnd(out.getBody());
  auto taskTy = LLVM::LLVMFunctionType::get(
      LLVM::LLVMVoidType::get(b.getContext()), {ptrTy, i64Ty, i64Ty});
  for (auto [group, name] : llvm::zip(elementwise.getGroups(), names)) {
    int32_t numPointers = group.inputs.size() + 1;
    auto makeTask = [&](StringRef kernelName) {
      auto kernel = out.lookupSymbol<LLVM::LLVMFuncOp>(kernelName);
      auto task =
          LLVM::LLVMFuncOp::create(b, loc(), (kernelName + "_task").str(),
                                   taskTy, LLVM::Linkage::Internal);
      OpBuilder::InsertionGuard inner(b);
      Block *entry = task.addEntryBlock(b);
      b.setInsertionPointToStart(entry);
      SmallVector<Value> args;
      for (int32_t i = 0; i < numPointers; ++i) {
        Value slot =
            LLVM::GEPOp::create(b, loc(), ptrTy, ptrTy, entry->getArgument(0),
                                ArrayRef<LLVM::GEPArg>{i});
        args.push_back(LLVM::LoadOp::create(b, loc(), ptrTy, slot));
      }
      args.push_back(entry->getArgument(1));
      args.push_back(entry->getArgument(2));
      LLVM::CallOp::create(b, loc(), kernel, args);
      LLVM::ReturnOp::create(b, loc(), ValueRange{});
      return task;
    };
    tasks[group.getRoot()] = {makeTask(name.first), makeTask(name.second)};
  }
  return success();
}

LogicalResult
RuntimeCallLowering::emitElementwise(const ElementwiseGroup &group) {
  auto [avx512, portable] = tasks.lookup(group.getRoot());
  SmallVector<Value> values(group.inputs.begin(), group.inputs.end());
  values.push_back(group.getResult());
  Value array = LLVM::AllocaOp::create(b, loc(), ptrTy, ptrTy,
                                       constI64(values.size()), 8);
  for (auto [i, v] : llvm::enumerate(values)) {
    FailureOr<Value> data = getData(v);
    if (failed(data))
      return failure();
    Value slot =
        LLVM::GEPOp::create(b, loc(), ptrTy, ptrTy, array,
                            ArrayRef<LLVM::GEPArg>{static_cast<int32_t>(i)});
    LLVM::StoreOp::create(b, loc(), *data, slot);
  }
  auto [rows, cols] =
      getKernelView(cast<ShapedType>(group.getResult().getType()).getShape());
  // At least ~16K elements per task.
  int64_t grain =
      std::max<int64_t>(1, (16384 + cols - 1) / std::max<int64_t>(cols, 1));
  auto decl = getRuntimeDecl("qcc_rt_run_generated", i32Ty,
                             {ptrTy, ptrTy, ptrTy, ptrTy, i64Ty, i64Ty});
  Value rc = LLVM::CallOp::create(
                 b, loc(), decl,
                 ValueRange{ctxArg, LLVM::AddressOfOp::create(b, loc(), avx512),
                            LLVM::AddressOfOp::create(b, loc(), portable),
                            array, constI64(rows), constI64(grain)})
                 .getResult();
  checkStatus(rc, "generated", getOpName(group.getRoot()));
  return success();
}

LogicalResult RuntimeCallLowering::emitRunFunction() {
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToEnd(out.getBody());
  auto fnTy = LLVM::LLVMFunctionType::get(i32Ty, {ptrTy, ptrTy, ptrTy, ptrTy});
  runFn = LLVM::LLVMFuncOp::create(b, loc(), options.prefix + "__run_graph",
                                   fnTy, LLVM::Linkage::Internal);
  Block *entry = runFn.addEntryBlock(b);
  ctxArg = entry->getArgument(0);
  arenaArg = entry->getArgument(1);
  inputsArg = entry->getArgument(2);
  outputsArg = entry->getArgument(3);
  b.setInsertionPointToStart(entry);

  for (Operation &op : fn.getBody().front().without_terminator()) {
    if (isa<ConstantOp, ReshapeOp>(op) || fusion.isAbsorbed(&op) ||
        attention.isAbsorbed(&op) || elementwise.isAbsorbed(&op))
      continue;
    if (const ElementwiseGroup *group = elementwise.getGroup(&op)) {
      if (failed(emitElementwise(*group)))
        return failure();
      continue;
    }
    if (const FusedAttention *chain = attention.getChain(&op)) {
      if (failed(emitAttention(*chain)))
        return failure();
      continue;
    }
    if (const FusedLinear *chain = fusion.getChain(&op)) {
      if (failed(emitLinear(*chain)))
        return failure();
      continue;
    }
    std::string kernel;
    SmallVector<int64_t> attrs;
    if (failed(getRuntimeKernel(&op, kernel, attrs)))
      return failure();
    SmallVector<Desc> ins;
    for (Value operand : op.getOperands()) {
      FailureOr<Value> data = getData(operand);
      if (failed(data))
        return failure();
      ins.push_back(describe(operand, *data));
    }
    FailureOr<Value> outData = getData(op.getResult(0));
    if (failed(outData))
      return failure();
    callKernel(kernel, getOpName(&op), ins,
               describe(op.getResult(0), *outData), attrs);
  }
  auto ret = cast<func::ReturnOp>(fn.getBody().front().getTerminator());
  for (auto [i, v] : llvm::enumerate(ret.getOperands())) {
    FailureOr<Value> data = getData(v);
    if (failed(data))
      return failure();
    Value slot =
        LLVM::GEPOp::create(b, loc(), ptrTy, ptrTy, outputsArg,
                            ArrayRef<LLVM::GEPArg>{static_cast<int32_t>(i)});
    Value outPtr = LLVM::LoadOp::create(b, loc(), ptrTy, slot);
    callKernel("copy", "output copy", {describe(v, *data)},
               describe(v, outPtr), {});
  }
  LLVM::ReturnOp::create(
      b, loc(),
      LLVM::ConstantOp::create(b, loc(), i32Ty, b.getI32IntegerAttr(0)));
  return success();
}

LogicalResult RuntimeCallLowering::run() {
  for (Type t : fn.getArgumentTypes())
    if (getDType(cast<RankedTensorType>(t).getElementType()) < 0)
      return fn.emitError("unsupported input type ") << t;
  for (Type t : fn.getResultTypes())
    if (getDType(cast<RankedTensorType>(t).getElementType()) < 0)
      return fn.emitError("unsupported output type ") << t;
  fusion = LinearFusion::analyze(fn, options.directConv);
  attention = AttentionFusion::analyze(fn);
  if (options.generateElementwise)
    elementwise = ElementwiseFusion::analyze(fn, fusion, attention);
  plan = planMemory(fn, &fusion, &attention, &elementwise);
  if (failed(emitGeneratedKernels()) || failed(emitRunFunction()))
    return failure();
  emitDescriptorAndApi();
  return success();
}

FailureOr<OwningOpRef<ModuleOp>>
mlir::qcc::lowerToRuntimeCalls(ModuleOp integerModule,
                               const CPUTargetOptions &options) {
  auto functions = llvm::to_vector(integerModule.getOps<func::FuncOp>());
  if (functions.size() != 1)
    return integerModule.emitError("expected one function, found ")
           << functions.size();
  MLIRContext *ctx = integerModule.getContext();
  ctx->loadDialect<LLVM::LLVMDialect, affine::AffineDialect,
                   arith::ArithDialect, cf::ControlFlowDialect,
                   linalg::LinalgDialect, memref::MemRefDialect,
                   scf::SCFDialect, vector::VectorDialect>();
  OwningOpRef<ModuleOp> out = ModuleOp::create(integerModule.getLoc());
  RuntimeCallLowering lowering(functions.front(), options, *out);
  if (failed(lowering.run()))
    return failure();
  return out;
}
