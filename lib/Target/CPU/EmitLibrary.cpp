//===- EmitLibrary.cpp - LLVM IR, object file, shared library, header -----===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//

#include "qcc/Target/CPU/CPUTarget.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/Target/TargetOptions.h"
#include "llvm/TargetParser/Host.h"

#include <cstdlib>

using namespace mlir;
using namespace mlir::qcc;

std::unique_ptr<llvm::Module>
mlir::qcc::translateToLLVMIR(ModuleOp llvmDialectModule,
                             llvm::LLVMContext &context) {
  DialectRegistry registry;
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
  llvmDialectModule.getContext()->appendDialectRegistry(registry);
  return translateModuleToLLVMIR(llvmDialectModule, context, "qcc_model");
}

LogicalResult mlir::qcc::emitObjectFile(llvm::Module &module,
                                        const CPUTargetOptions &options,
                                        StringRef path, std::string &error) {
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  llvm::Triple triple(llvm::sys::getDefaultTargetTriple());
  const llvm::Target *target =
      llvm::TargetRegistry::lookupTarget(triple, error);
  if (!target)
    return failure();
  std::string cpu =
      options.cpu == "native" ? llvm::sys::getHostCPUName().str() : options.cpu;
  llvm::TargetOptions targetOptions;
  std::unique_ptr<llvm::TargetMachine> machine(target->createTargetMachine(
      triple, cpu, "", targetOptions, llvm::Reloc::PIC_, std::nullopt,
      llvm::CodeGenOptLevel::Default));
  if (!machine) {
    error = "cannot create a target machine for " + triple.str() + " / " + cpu;
    return failure();
  }
  module.setTargetTriple(triple);
  module.setDataLayout(machine->createDataLayout());
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec, llvm::sys::fs::OF_None);
  if (ec) {
    error = "cannot write '" + path.str() + "': " + ec.message();
    return failure();
  }
  llvm::legacy::PassManager pm;
  if (machine->addPassesToEmitFile(pm, os, nullptr,
                                   llvm::CodeGenFileType::ObjectFile)) {
    error = "the target cannot emit object files";
    return failure();
  }
  pm.run(module);
  os.flush();
  return success();
}

bool mlir::qcc::canRunOnHost(const CPUTargetOptions &options) {
  if (options.cpu == "native")
    return true;
  llvm::InitializeNativeTarget();
  llvm::Triple triple(llvm::sys::getDefaultTargetTriple());
  std::string error;
  const llvm::Target *target =
      llvm::TargetRegistry::lookupTarget(triple, error);
  if (!target)
    return false;
  std::unique_ptr<llvm::MCSubtargetInfo> wanted(
      target->createMCSubtargetInfo(triple, options.cpu, ""));
  if (!wanted)
    return false;
  // The host's instruction-set features, each present or absent (tuning
  // flags are not listed and do not matter here).
  llvm::StringMap<bool> host = llvm::sys::getHostCPUFeatures();
  for (const llvm::SubtargetFeatureKV &feature :
       wanted->getAllProcessorFeatures()) {
    auto it = host.find(feature.Key);
    if (it != host.end() && !it->second &&
        wanted->checkFeatures("+" + std::string(feature.Key)))
      return false;
  }
  return true;
}

std::string mlir::qcc::findRuntimeArchive() {
  if (const char *env = std::getenv("QCC_RUNTIME_LIB"))
    return env;
  std::string exe = llvm::sys::fs::getMainExecutable(nullptr, nullptr);
  if (exe.empty())
    return "";
  SmallString<256> path(llvm::sys::path::parent_path(exe));
  llvm::sys::path::append(path, "..", "lib", "libqcc_runtime.a");
  if (llvm::sys::fs::exists(path))
    return std::string(path);
  return "";
}

LogicalResult mlir::qcc::linkSharedLibrary(StringRef objectPath,
                                           StringRef libraryPath,
                                           std::string &error) {
  std::string runtime = findRuntimeArchive();
  if (runtime.empty()) {
    error = "cannot find the runtime archive libqcc_runtime.a next to qcc "
            "(set QCC_RUNTIME_LIB)";
    return failure();
  }
  std::string driver;
  for (StringRef name : {"cc", "clang-22", "clang", "gcc"}) {
    if (llvm::ErrorOr<std::string> found = llvm::sys::findProgramByName(name)) {
      driver = *found;
      break;
    }
  }
  if (driver.empty()) {
    error = "no C compiler driver (cc, clang or gcc) to link the library";
    return failure();
  }
  SmallString<128> log;
  llvm::sys::fs::createTemporaryFile("qcc-link", "log", log);
  std::string obj = objectPath.str(), lib = libraryPath.str();
  SmallVector<StringRef> args = {driver,
                                 "-shared",
                                 "-o",
                                 lib,
                                 obj,
                                 runtime,
                                 "-lm",
                                 "-lpthread",
                                 "-Wl,--no-undefined",
                                 "-Wl,--exclude-libs,ALL",
                                 "-Wl,-z,noexecstack"};
  std::optional<StringRef> redirects[] = {std::nullopt, StringRef(log),
                                          StringRef(log)};
  int rc = llvm::sys::ExecuteAndWait(driver, args, std::nullopt, redirects);
  if (rc != 0) {
    error = "linking '" + lib + "' failed (" + driver + ", exit " +
            std::to_string(rc) + ")";
    if (auto buffer = llvm::MemoryBuffer::getFile(log))
      error += ":\n" + (*buffer)->getBuffer().rtrim().str();
  }
  llvm::sys::fs::remove(log);
  return success(rc == 0);
}

namespace {
const char *kCHeader =
#include "QccCHeader.inc"
    ;

const char *getCTypeName(Type type) {
  if (type.isF32())
    return "QCC_F32";
  auto i = cast<IntegerType>(type);
  switch (i.getWidth()) {
  case 1:
    return "QCC_BOOL";
  case 8:
    return i.isUnsigned() ? "QCC_U8" : "QCC_I8";
  case 16:
    return "QCC_I16";
  case 32:
    return "QCC_I32";
  default:
    return "QCC_I64";
  }
}
} // namespace

std::string mlir::qcc::generateHeader(ModuleOp integerModule,
                                      const CPUTargetOptions &options) {
  auto fn = *integerModule.getOps<func::FuncOp>().begin();
  std::string p = options.prefix;
  std::string guard = "QCC_MODEL_" + llvm::StringRef(p).upper() + "_H";
  std::string s;
  llvm::raw_string_ostream os(s);
  os << "/* " << p << ".h: C interface of lib" << p
     << ".so, generated by qcc. Do not edit.\n"
     << " * docs/RuntimeABI.md describes the API. */\n\n"
     << "#ifndef " << guard << "\n#define " << guard << "\n\n"
     << kCHeader << "\n"
     << "#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n";
  auto describe = [&](StringRef kind, unsigned i, Type t, DictionaryAttr a) {
    auto type = cast<RankedTensorType>(t);
    auto name = a ? a.getAs<StringAttr>("qcc.name") : StringAttr();
    auto scale = a ? a.getAs<FloatAttr>("qcc.scale") : FloatAttr();
    os << "/* " << kind << " " << i << ": '" << (name ? name.getValue() : "")
       << "', " << getCTypeName(type.getElementType()) << " [";
    llvm::interleave(type.getShape(), os, ", ");
    os << "]";
    if (scale)
      os << ", real = " << scale.getValueAsDouble() << " * (q - "
         << (a.getAs<IntegerAttr>("qcc.zero_point")
                 ? a.getAs<IntegerAttr>("qcc.zero_point").getInt()
                 : 0)
         << ")";
    os << " */\n";
    os << "static const int64_t " << p << "_" << kind << i << "_shape[] = {";
    llvm::interleave(type.getShape(), os, ", ");
    os << "};\n";
  };
  for (unsigned i = 0; i < fn.getNumArguments(); ++i)
    describe("input", i, fn.getArgumentTypes()[i], fn.getArgAttrDict(i));
  for (unsigned i = 0; i < fn.getNumResults(); ++i)
    describe("output", i, fn.getResultTypes()[i], fn.getResultAttrDict(i));
  os << "\n#define " << llvm::StringRef(p).upper() << "_NUM_INPUTS "
     << fn.getNumArguments() << "\n#define " << llvm::StringRef(p).upper()
     << "_NUM_OUTPUTS " << fn.getNumResults() << "\n\n"
     << "qcc_status " << p << "_create(qcc_context **ctx);\n"
     << "void " << p << "_destroy(qcc_context *ctx);\n"
     << "qcc_status " << p
     << "_run(qcc_context *ctx, const qcc_tensor *inputs, int32_t "
        "num_inputs,\n    const qcc_tensor *outputs, int32_t num_outputs);\n"
     << "int32_t " << p << "_num_inputs(void);\n"
     << "int32_t " << p << "_num_outputs(void);\n"
     << "qcc_status " << p
     << "_input_info(int32_t index, qcc_tensor_info *info);\n"
     << "qcc_status " << p
     << "_output_info(int32_t index, qcc_tensor_info *info);\n"
     << "const char *" << p << "_last_error(const qcc_context *ctx);\n"
     << "qcc_status " << p
     << "_set_num_threads(qcc_context *ctx, int32_t num_threads);\n"
     << "int32_t " << p << "_get_num_threads(const qcc_context *ctx);\n"
     << "/* Per-op profiles (docs/RuntimeABI.md): enable != 0 starts counting\n"
     << "   from zero, 0 stops. */\n"
     << "qcc_status " << p
     << "_enable_profiling(qcc_context *ctx, int32_t enable);\n"
     << "int32_t " << p << "_num_ops(void);\n"
     << "qcc_status " << p
     << "_op_profile(const qcc_context *ctx, int32_t index, "
        "qcc_op_profile *profile);\n\n"
     << "#ifdef __cplusplus\n}\n#endif\n\n#endif /* " << guard << " */\n";
  return s;
}
