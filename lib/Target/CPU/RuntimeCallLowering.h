//===- RuntimeCallLowering.h - integer graph to LLVM dialect ----*- C++ -*-===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//
//
// The state of lowerToRuntimeCalls (LowerToRuntimeCalls.cpp): the fusion
// analyses, the memory plan, the globals and declarations emitted so far
// and the kernel calls of the run function, which the model descriptor
// (EmitModelApi.cpp) lists for profiles.
//
//===----------------------------------------------------------------------===//

#ifndef QCC_LIB_TARGET_CPU_RUNTIMECALLLOWERING_H
#define QCC_LIB_TARGET_CPU_RUNTIMECALLLOWERING_H

#include "Dtypes.h"
#include "FuseAttention.h"
#include "FuseElementwise.h"
#include "FuseLinear.h"
#include "MemoryPlan.h"

#include "qcc/Target/CPU/CPUTarget.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/Builders.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringMap.h"

#include <deque>
#include <string>
#include <utility>
#include <vector>

namespace mlir::qcc {

/// Builds the LLVM dialect module of one integer function: the run
/// function (LowerToRuntimeCalls.cpp), the model descriptor and the
/// exported API (EmitModelApi.cpp).
class RuntimeCallLowering {
public:
  RuntimeCallLowering(func::FuncOp fn, const CPUTargetOptions &options,
                      ModuleOp out)
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

} // namespace mlir::qcc

#endif // QCC_LIB_TARGET_CPU_RUNTIMECALLLOWERING_H
