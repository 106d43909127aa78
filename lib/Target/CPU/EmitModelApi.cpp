//===- EmitModelApi.cpp - model descriptor and exported API ---------------===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//
//
// The constant tables a generated library hands the runtime (inputs and
// outputs with names, dtypes, shapes and boundary scales; the kernel calls
// for profiles; the model descriptor, RuntimeABI.h) and the exported
// NAME_* functions, thin forwarders to the runtime's generic API.
//
//===----------------------------------------------------------------------===//

#include "RuntimeCallLowering.h"

#include "qcc/Runtime/RuntimeABI.h"

using namespace mlir;
using namespace mlir::qcc;

void RuntimeCallLowering::emitDescriptorAndApi() {
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
  auto ops = LLVM::GlobalOp::create(b, loc(), opsArrayTy, true,
                                    LLVM::Linkage::Internal,
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
  exported("get_num_threads", i32Ty, {ptrTy}, "qcc_rt_get_num_threads", false);
  exported("enable_profiling", i32Ty, {ptrTy, i32Ty}, "qcc_rt_enable_profiling",
           false);
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
