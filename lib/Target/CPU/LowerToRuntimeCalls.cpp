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
// (built and lowered before the run function). The
// exported NAME_* functions forward to the runtime's generic API with the
// model descriptor.
//
//===----------------------------------------------------------------------===//

#include "qcc/Target/CPU/CPUTarget.h"

#include "Dtypes.h"
#include "ElementwiseKernels.h"
#include "FuseAttention.h"
#include "FuseElementwise.h"
#include "FuseLinear.h"
#include "MemoryPlan.h"

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
#include "mlir/IR/Builders.h"
#include "llvm/ADT/TypeSwitch.h"

#include <deque>

using namespace mlir;
using namespace mlir::qcc;

namespace {

/// The attribute array of `op` in the RuntimeABI.h layout and the kernel's
/// name, or failure for ops without a kernel.
LogicalResult getKernel(Operation *op, std::string &name,
                        SmallVectorImpl<int64_t> &attrs) {
  auto append = [&](ArrayRef<int64_t> values, bool withCount) {
    if (withCount)
      attrs.push_back(static_cast<int64_t>(values.size()));
    attrs.append(values.begin(), values.end());
  };
  auto append32 = [&](ArrayRef<int32_t> values, bool withCount) {
    if (withCount)
      attrs.push_back(static_cast<int64_t>(values.size()));
    for (int32_t v : values)
      attrs.push_back(v);
  };
  auto appendScales = [&](ArrayRef<float> scales, ArrayRef<int64_t> zps,
                          int64_t axis) {
    attrs.push_back(axis);
    append(zps, true);
    for (float s : scales) {
      uint32_t bits;
      std::memcpy(&bits, &s, 4);
      attrs.push_back(bits);
    }
  };
  return llvm::TypeSwitch<Operation *, LogicalResult>(op)
      .Case([&](QuantizeOp q) {
        name = "quantize";
        appendScales(q.getScales(), q.getZeroPoints(), i64(q.getAxis()));
        return success();
      })
      .Case([&](DequantizeOp q) {
        name = "dequantize";
        appendScales(q.getScales(), q.getZeroPoints(), i64(q.getAxis()));
        return success();
      })
      .Case([&](ConvOp c) {
        name = "conv";
        attrs.push_back(i64(c.getGroup()));
        append(c.getStrides(), true);
        append(c.getPads(), true);
        append(c.getDilations(), true);
        return success();
      })
      .Case([&](MatMulOp) {
        name = "matmul";
        return success();
      })
      .Case([&](AddOp) { return name = "add", success(); })
      .Case([&](SubOp) { return name = "sub", success(); })
      .Case([&](MulOp) { return name = "mul", success(); })
      .Case([&](DivOp) { return name = "div", success(); })
      .Case([&](LessOp) { return name = "less", success(); })
      .Case([&](GreaterOp) { return name = "greater", success(); })
      .Case([&](WhereOp) { return name = "where", success(); })
      .Case([&](ReluOp) { return name = "relu", success(); })
      .Case([&](CastOp) { return name = "cast", success(); })
      .Case([&](RequantOp r) {
        name = "requant";
        auto [lo, hi] =
            typeRange(cast<ShapedType>(r.getType()).getElementType());
        attrs.push_back(i64(r.getAxis()));
        attrs.push_back(i64(r.getInputZeroPoint()));
        attrs.push_back(i64(r.getOutputZeroPoint()));
        attrs.push_back(r.getMin() ? i64(*r.getMin()) : lo);
        attrs.push_back(r.getMax() ? i64(*r.getMax()) : hi);
        append32(r.getMultiplier(), true);
        append32(r.getShift(), false);
        return success();
      })
      .Case([&](RequantAddOp r) {
        name = "requant_add";
        auto [lo, hi] =
            typeRange(cast<ShapedType>(r.getType()).getElementType());
        attrs.push_back(i64(r.getAxis()));
        attrs.push_back(r.getMin() ? i64(*r.getMin()) : lo);
        attrs.push_back(r.getMax() ? i64(*r.getMax()) : hi);
        append32(r.getLhsMultiplier(), true);
        append32(r.getLhsShift(), false);
        append32(r.getRhsMultiplier(), true);
        append32(r.getRhsShift(), false);
        return success();
      })
      .Case([&](IntSoftmaxOp s) {
        name = "int_softmax";
        attrs.append({static_cast<int32_t>(s.getInputBits()),
                      static_cast<int32_t>(s.getExpMultiplier()),
                      static_cast<int32_t>(s.getExpShift()), i64(s.getPolyB()),
                      i64(s.getPolyC()),
                      static_cast<int32_t>(s.getE16Multiplier()),
                      static_cast<int32_t>(s.getE16Shift())});
        return success();
      })
      .Case([&](IntGeluOp g) {
        name = "int_gelu";
        attrs.append({i64(g.getClip()), i64(g.getOne()),
                      static_cast<int32_t>(g.getErfShift()),
                      static_cast<int32_t>(g.getOutputMultiplier()),
                      static_cast<int32_t>(g.getOutputShift())});
        return success();
      })
      .Case([&](IntLayerNormOp l) {
        name = "int_layer_norm";
        attrs.push_back(static_cast<int32_t>(l.getVarShift()));
        attrs.push_back(i64(l.getVarOffset()));
        append32(l.getMultiplier(), true);
        append32(l.getShift(), false);
        append32(l.getBias(), false);
        return success();
      })
      .Case([&](LookupOp l) {
        name = "lookup";
        append32(l.getTable(), true);
        return success();
      })
      .Case([&](ReduceSumOp r) {
        name = "reduce_sum";
        attrs.push_back(r.getKeepdims());
        append(r.getAxes(), true);
        return success();
      })
      .Case([&](ReduceMaxOp r) {
        name = "reduce_max";
        attrs.push_back(r.getKeepdims());
        append(r.getAxes(), true);
        return success();
      })
      .Case([&](MaxPoolOp p) {
        name = "max_pool";
        append(p.getKernelShape(), true);
        append(p.getStrides(), true);
        append(p.getPads(), true);
        append(p.getDilations(), true);
        return success();
      })
      .Case([&](TransposeOp t) {
        name = "transpose";
        append(t.getPermutation(), true);
        return success();
      })
      .Case([&](ConcatOp c) {
        name = "concat";
        attrs.push_back(i64(c.getAxis()));
        return success();
      })
      .Case([&](SliceOp s) {
        name = "slice";
        append(s.getStarts(), true);
        append(s.getSteps(), false);
        return success();
      })
      .Case([&](GatherOp g) {
        name = "gather";
        attrs.push_back(i64(g.getAxis()));
        return success();
      })
      .Case([&](BroadcastToOp) { return name = "broadcast_to", success(); })
      .Case([&](PadOp p) -> LogicalResult {
        name = "pad";
        attrs.push_back(static_cast<int64_t>(p.getMode()));
        append(p.getPads(), true);
        int64_t value = 0;
        if (auto i = dyn_cast_or_null<IntegerAttr>(p.getValueAttr()))
          value = i.getValue().getSExtValue();
        else if (p.getValueAttr() && !isa<IntegerAttr>(p.getValueAttr()))
          return op->emitError("the CPU backend pads integer tensors only");
        attrs.push_back(value);
        return success();
      })
      .Default([&](Operation *op) {
        return op->emitError("the CPU backend has no kernel for '")
               << op->getName() << "'";
      });
}

/// Builds the LLVM dialect module.
class Lowering {
public:
  Lowering(func::FuncOp fn, const CPUTargetOptions &options, ModuleOp out)
      : fn(fn), options(options), out(out), b(out.getContext()) {
    MLIRContext *ctx = out.getContext();
    ptrTy = LLVM::LLVMPointerType::get(ctx);
    i64Ty = IntegerType::get(ctx, 64);
    i32Ty = IntegerType::get(ctx, 32);
    f64Ty = Float64Type::get(ctx);
    tensorTy =
        LLVM::LLVMStructType::getLiteral(ctx, {ptrTy, ptrTy, i64Ty, i64Ty});
    ioTy = LLVM::LLVMStructType::getLiteral(
        ctx, {ptrTy, i64Ty, i64Ty, ptrTy, f64Ty, i64Ty});
    modelTy = LLVM::LLVMStructType::getLiteral(
        ctx, {i64Ty, i64Ty, i64Ty, ptrTy, ptrTy, i64Ty, ptrTy, i64Ty, ptrTy});
    opTy = LLVM::LLVMStructType::getLiteral(ctx, {ptrTy, ptrTy});
  }

  LogicalResult run();

private:
  Location loc() { return fn.getLoc(); }
  LLVM::GlobalOp addBytesGlobal(StringRef prefix, StringRef bytes,
                                uint64_t alignment);
  LLVM::GlobalOp addI64Global(StringRef prefix, ArrayRef<int64_t> values);
  LLVM::LLVMFuncOp getKernelDecl(StringRef name);
  LLVM::LLVMFuncOp getRuntimeDecl(StringRef name, Type result,
                                  ArrayRef<Type> args);
  Value addressOf(LLVM::GlobalOp global) {
    return LLVM::AddressOfOp::create(b, loc(), global);
  }
  Value insertValue(Value container, Value value, int64_t position) {
    return LLVM::InsertValueOp::create(b, loc(), container, value,
                                       ArrayRef<int64_t>{position});
  }
  Value constI64(int64_t v) {
    return LLVM::ConstantOp::create(b, loc(), i64Ty, b.getI64IntegerAttr(v));
  }
  FailureOr<Value> getData(Value v);
  /// One qcc_rt_tensor: data pointer, shape, rank, dtype.
  struct Desc {
    Value data;
    ArrayRef<int64_t> shape;
    int64_t dtype;
  };
  Desc describe(Value v, Value data) {
    auto type = cast<RankedTensorType>(v.getType());
    return {data, type.getShape(), getDType(type.getElementType())};
  }
  /// Fills an array of tensor descriptors on the stack.
  Value makeDescriptors(ArrayRef<Desc> descs);
  /// Calls qcc_rt_<kernel> for the op `name` (an ONNX node, or "" for the
  /// kernel's name in profiles) and returns its status from the run
  /// function when it is not QCC_OK; then reports the op done.
  void callKernel(StringRef kernel, StringRef name, ArrayRef<Desc> ins,
                  Desc out, ArrayRef<int64_t> attrs);
  /// Returns `rc` from the run function when it is not QCC_OK, then reports
  /// op `name` (run by `kernel`) done.
  void checkStatus(Value rc, StringRef kernel, StringRef name);
  /// Builds, vectorizes and lowers the kernels of the elementwise groups,
  /// and their task functions (qcc_rt_task_fn) for qcc_rt_run_generated.
  LogicalResult emitGeneratedKernels();
  LogicalResult emitElementwise(const ElementwiseGroup &group);
  /// The ONNX node an op came from, or "" (the kernel names it).
  std::string getOpName(Operation *op);
  LogicalResult emitLinear(const FusedLinear &chain);
  LogicalResult emitAttention(const FusedAttention &chain);
  LogicalResult emitRunFunction();
  void emitDescriptorAndApi();

  func::FuncOp fn;
  const CPUTargetOptions &options;
  ModuleOp out;
  OpBuilder b;
  Type ptrTy, i64Ty, i32Ty, f64Ty;
  LLVM::LLVMStructType tensorTy, ioTy, modelTy, opTy;
  LinearFusion fusion;
  AttentionFusion attention;
  ElementwiseFusion elementwise;
  /// Per elementwise group (by its root): the AVX-512 and portable tasks.
  llvm::DenseMap<Operation *, std::pair<LLVM::LLVMFuncOp, LLVM::LLVMFuncOp>>
      tasks;
  MemoryPlan plan;
  unsigned globalCounter = 0;
  llvm::StringMap<LLVM::LLVMFuncOp> decls;
  llvm::DenseMap<Value, LLVM::GlobalOp> constants;
  llvm::StringMap<LLVM::GlobalOp> i64Globals;
  /// Storage of the blobs' one-element shapes (stable addresses).
  std::deque<int64_t> blobShapes;
  /// The kernel calls of the run function: (name, kernel).
  std::vector<std::pair<std::string, std::string>> opNames;
  // Within the run function.
  Value ctxArg, arenaArg, inputsArg, outputsArg;
  LLVM::LLVMFuncOp runFn;
};

LLVM::GlobalOp Lowering::addBytesGlobal(StringRef prefix, StringRef bytes,
                                        uint64_t alignment) {
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToEnd(out.getBody());
  auto type = LLVM::LLVMArrayType::get(b.getI8Type(), bytes.size());
  std::string name = (prefix + "_" + Twine(globalCounter++)).str();
  return LLVM::GlobalOp::create(b, loc(), type, /*isConstant=*/true,
                                LLVM::Linkage::Internal, name,
                                b.getStringAttr(bytes), alignment);
}

LLVM::GlobalOp Lowering::addI64Global(StringRef prefix,
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

LLVM::LLVMFuncOp Lowering::getRuntimeDecl(StringRef name, Type result,
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

LLVM::LLVMFuncOp Lowering::getKernelDecl(StringRef name) {
  return getRuntimeDecl(("qcc_rt_" + name).str(), i32Ty,
                        {ptrTy, ptrTy, i64Ty, ptrTy, ptrTy});
}

/// The bytes of a dense constant in the interpreter's layout.
std::string getConstantBytes(DenseElementsAttr attr) {
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

FailureOr<Value> Lowering::getData(Value v) {
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

Value Lowering::makeDescriptors(ArrayRef<Desc> descs) {
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

void Lowering::callKernel(StringRef kernel, StringRef name,
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

void Lowering::checkStatus(Value rc, StringRef kernel, StringRef name) {
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

std::string Lowering::getOpName(Operation *op) {
  // Ops the passes made at the function's location (the boundary quantize
  // and dequantize) belong to no node: they go by their kernel's name.
  if (op->getLoc() == fn.getLoc())
    return "";
  return getNodeName(op->getLoc());
}

LogicalResult Lowering::emitLinear(const FusedLinear &chain) {
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

LogicalResult Lowering::emitAttention(const FusedAttention &chain) {
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

LogicalResult Lowering::emitGeneratedKernels() {
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

LogicalResult Lowering::emitElementwise(const ElementwiseGroup &group) {
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

LogicalResult Lowering::emitRunFunction() {
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
    if (failed(getKernel(&op, kernel, attrs)))
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

void Lowering::emitDescriptorAndApi() {
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToEnd(out.getBody());
  MLIRContext *ctx = out.getContext();
  // The input/output tables.
  auto ioTable = [&](bool outputs) {
    unsigned count = outputs ? fn.getNumResults() : fn.getNumArguments();
    auto arrayTy = LLVM::LLVMArrayType::get(ioTy, std::max(count, 1u));
    SmallVector<LLVM::GlobalOp> names, shapes;
    for (unsigned i = 0; i < count; ++i) {
      DictionaryAttr attrs =
          outputs ? fn.getResultAttrDict(i) : fn.getArgAttrDict(i);
      auto name = attrs ? attrs.getAs<StringAttr>("qcc.name") : StringAttr();
      std::string text =
          name ? name.str()
               : (outputs ? "output" : "input") + std::to_string(i);
      text.push_back('\0');
      names.push_back(addBytesGlobal("qcc_name", text, 1));
      Type t = outputs ? fn.getResultTypes()[i] : fn.getArgumentTypes()[i];
      shapes.push_back(
          addI64Global("qcc_ioshape", cast<RankedTensorType>(t).getShape()));
    }
    std::string symbol =
        (options.prefix + (outputs ? "__outputs" : "__inputs"));
    auto global =
        LLVM::GlobalOp::create(b, loc(), arrayTy, true, LLVM::Linkage::Internal,
                               symbol, Attribute(), 8);
    Block *init = b.createBlock(&global.getInitializerRegion());
    b.setInsertionPointToStart(init);
    Value table = LLVM::UndefOp::create(b, loc(), arrayTy);
    for (unsigned i = 0; i < count; ++i) {
      DictionaryAttr attrs =
          outputs ? fn.getResultAttrDict(i) : fn.getArgAttrDict(i);
      auto scale = attrs ? attrs.getAs<FloatAttr>("qcc.scale") : FloatAttr();
      auto zp =
          attrs ? attrs.getAs<IntegerAttr>("qcc.zero_point") : IntegerAttr();
      auto type = cast<RankedTensorType>(outputs ? fn.getResultTypes()[i]
                                                 : fn.getArgumentTypes()[i]);
      Value io = LLVM::UndefOp::create(b, loc(), ioTy);
      io = insertValue(io, addressOf(names[i]), 0);
      io = LLVM::InsertValueOp::create(
          b, loc(), io, constI64(getDType(type.getElementType())), 1);
      io = insertValue(io, constI64(type.getRank()), 2);
      io = insertValue(io, addressOf(shapes[i]), 3);
      io = LLVM::InsertValueOp::create(
          b, loc(), io,
          LLVM::ConstantOp::create(
              b, loc(), f64Ty,
              b.getF64FloatAttr(scale ? scale.getValueAsDouble() : 0.0)),
          4);
      io = insertValue(io, constI64(zp ? zp.getInt() : 0), 5);
      table = insertValue(table, io, i);
    }
    LLVM::ReturnOp::create(b, loc(), table);
    b.setInsertionPointToEnd(out.getBody());
    return global;
  };
  LLVM::GlobalOp inputs = ioTable(false);
  LLVM::GlobalOp outputs = ioTable(true);

  // The op table for profiles: {name, kernel} per kernel call.
  auto opsArrayTy =
      LLVM::LLVMArrayType::get(opTy, std::max<size_t>(opNames.size(), 1));
  SmallVector<std::pair<LLVM::GlobalOp, LLVM::GlobalOp>> opStrings;
  llvm::StringMap<LLVM::GlobalOp> strings;
  auto getString = [&](StringRef text) {
    LLVM::GlobalOp &global = strings[text];
    if (!global)
      global = addBytesGlobal("qcc_opname", (text + Twine('\0')).str(), 1);
    return global;
  };
  for (const auto &[name, kernel] : opNames)
    opStrings.emplace_back(getString(name), getString(kernel));
  auto ops =
      LLVM::GlobalOp::create(b, loc(), opsArrayTy, true, LLVM::Linkage::Internal,
                             options.prefix + "__ops", Attribute(), 8);
  {
    Block *init = b.createBlock(&ops.getInitializerRegion());
    b.setInsertionPointToStart(init);
    Value table = LLVM::ZeroOp::create(b, loc(), opsArrayTy);
    for (auto [i, strs] : llvm::enumerate(opStrings)) {
      Value op = LLVM::UndefOp::create(b, loc(), opTy);
      op = insertValue(op, addressOf(strs.first), 0);
      op = insertValue(op, addressOf(strs.second), 1);
      table = insertValue(table, op, i);
    }
    LLVM::ReturnOp::create(b, loc(), table);
    b.setInsertionPointToEnd(out.getBody());
  }

  auto model =
      LLVM::GlobalOp::create(b, loc(), modelTy, true, LLVM::Linkage::Internal,
                             options.prefix + "__model", Attribute(), 8);
  {
    Block *init = b.createBlock(&model.getInitializerRegion());
    b.setInsertionPointToStart(init);
    Value m = LLVM::UndefOp::create(b, loc(), modelTy);
    m = insertValue(m, constI64(QCC_RT_ABI_VERSION), 0);
    m = insertValue(m, constI64(fn.getNumArguments()), 1);
    m = insertValue(m, constI64(fn.getNumResults()), 2);
    m = insertValue(m, addressOf(inputs), 3);
    m = insertValue(m, addressOf(outputs), 4);
    m = insertValue(m, constI64(plan.getArenaBytes()), 5);
    m = LLVM::InsertValueOp::create(
        b, loc(), m, LLVM::AddressOfOp::create(b, loc(), runFn), 6);
    m = insertValue(m, constI64(opNames.size()), 7);
    m = insertValue(m, addressOf(ops), 8);
    LLVM::ReturnOp::create(b, loc(), m);
    b.setInsertionPointToEnd(out.getBody());
  }

  // The exported API: thin forwarders to the runtime's generic functions.
  auto exported = [&](StringRef suffix, Type result, ArrayRef<Type> args,
                      StringRef target, bool passModel,
                      ArrayRef<int64_t> leadingConstants = {}) {
    auto fnTy = LLVM::LLVMFunctionType::get(result, args);
    auto f = LLVM::LLVMFuncOp::create(
        b, loc(), options.prefix + "_" + suffix.str(), fnTy);
    Block *entry = f.addEntryBlock(b);
    b.setInsertionPointToStart(entry);
    SmallVector<Value> callArgs;
    SmallVector<Type> targetArgs;
    if (passModel) {
      callArgs.push_back(addressOf(model));
      targetArgs.push_back(ptrTy);
    }
    for (int64_t c : leadingConstants) {
      callArgs.push_back(
          LLVM::ConstantOp::create(b, loc(), i32Ty, b.getI32IntegerAttr(c)));
      targetArgs.push_back(i32Ty);
    }
    for (BlockArgument a : entry->getArguments()) {
      callArgs.push_back(a);
      targetArgs.push_back(a.getType());
    }
    bool isVoid = isa<LLVM::LLVMVoidType>(result);
    auto decl = getRuntimeDecl(target, result, targetArgs);
    auto call = LLVM::CallOp::create(b, loc(), decl, callArgs);
    if (isVoid)
      LLVM::ReturnOp::create(b, loc(), ValueRange{});
    else
      LLVM::ReturnOp::create(b, loc(), call.getResult());
    b.setInsertionPointToEnd(out.getBody());
  };
  Type voidTy = LLVM::LLVMVoidType::get(ctx);
  exported("create", i32Ty, {ptrTy}, "qcc_rt_create", true);
  exported("destroy", voidTy, {ptrTy}, "qcc_rt_destroy", false);
  exported("run", i32Ty, {ptrTy, ptrTy, i32Ty, ptrTy, i32Ty}, "qcc_rt_run",
           false);
  exported("input_info", i32Ty, {i32Ty, ptrTy}, "qcc_rt_info", true, {0});
  exported("output_info", i32Ty, {i32Ty, ptrTy}, "qcc_rt_info", true, {1});
  exported("last_error", ptrTy, {ptrTy}, "qcc_rt_last_error", false);
  exported("set_num_threads", i32Ty, {ptrTy, i32Ty}, "qcc_rt_set_num_threads",
           false);
  exported("get_num_threads", i32Ty, {ptrTy}, "qcc_rt_get_num_threads",
           false);
  exported("enable_profiling", i32Ty, {ptrTy, i32Ty},
           "qcc_rt_enable_profiling", false);
  exported("op_profile", i32Ty, {ptrTy, i32Ty, ptrTy}, "qcc_rt_op_profile",
           false);
  // NAME_num_inputs / NAME_num_outputs.
  for (auto [suffix, count] :
       {std::pair<StringRef, unsigned>("num_inputs", fn.getNumArguments()),
        std::pair<StringRef, unsigned>("num_outputs", fn.getNumResults()),
        std::pair<StringRef, unsigned>("num_ops", opNames.size())}) {
    auto f =
        LLVM::LLVMFuncOp::create(b, loc(), options.prefix + "_" + suffix.str(),
                                 LLVM::LLVMFunctionType::get(i32Ty, {}));
    Block *entry = f.addEntryBlock(b);
    b.setInsertionPointToStart(entry);
    LLVM::ReturnOp::create(
        b, loc(),
        LLVM::ConstantOp::create(b, loc(), i32Ty, b.getI32IntegerAttr(count)));
    b.setInsertionPointToEnd(out.getBody());
  }
}

LogicalResult Lowering::run() {
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

} // namespace

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
  Lowering lowering(functions.front(), options, *out);
  if (failed(lowering.run()))
    return failure();
  return out;
}
