//===- CPUTarget.h - integer graph to a shared library ---------*- C++ -*-===//
//
// Part of the qcc project.
//
//===----------------------------------------------------------------------===//
//
// The CPU backend: lowers the integer graph (after qcc-integer-pipeline) to
// the LLVM dialect -- one call per op (or fused chain) into the runtime
// kernels of qcc/Runtime/RuntimeABI.h, except elementwise groups, whose
// kernels it generates through linalg and vector -- tensors placed in one arena
// by a liveness-based memory plan, weights as constant globals -- plus the
// model descriptor and the exported C API functions NAME_create/run/...;
// translates it to LLVM IR, emits an object file in-process with LLVM's
// TargetMachine, and links it with the runtime archive into a shared library
// with its C header.
//
//===----------------------------------------------------------------------===//

#ifndef QCC_TARGET_CPU_CPUTARGET_H
#define QCC_TARGET_CPU_CPUTARGET_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Support/LLVM.h"

#include <string>

namespace llvm {
class LLVMContext;
class Module;
} // namespace llvm

namespace mlir::qcc {

struct CPUTargetOptions {
  /// Prefix of the exported functions (NAME_create, ...).
  std::string prefix = "model";
  /// -mcpu: a CPU name for LLVM, "native" for the host.
  std::string cpu = "x86-64-v2";
  /// Compile groups of elementwise integer ops into generated vector
  /// kernels (linalg -> vector -> LLVM) rather than runtime calls.
  bool generateElementwise = true;
  /// Compute 2-D one-group undilated convolutions directly from padded
  /// planes of the input (weights in the direct layout of PackedLinear.h)
  /// rather than by im2col, where qcc_rt::prefersDirectConv says it pays.
  bool directConv = true;
};

/// Builds the LLVM dialect module of the library from the module holding
/// the integer function. Emits diagnostics and fails on ops or types the
/// backend does not support.
FailureOr<OwningOpRef<ModuleOp>>
lowerToRuntimeCalls(ModuleOp integerModule, const CPUTargetOptions &options);

/// Registers qcc-opt's pipelines of the generated kernels:
/// qcc-cpu-vectorize-kernels and qcc-cpu-lower-kernels.
void registerKernelPipelines();

/// Translates an LLVM dialect module to LLVM IR.
std::unique_ptr<llvm::Module> translateToLLVMIR(ModuleOp llvmDialectModule,
                                                llvm::LLVMContext &context);

/// Writes the object file of `module` for the host's architecture and
/// `options.cpu`; returns an error message on failure.
LogicalResult emitObjectFile(llvm::Module &module,
                             const CPUTargetOptions &options, StringRef path,
                             std::string &error);

/// Links `objectPath` with the runtime archive into the shared library
/// `libraryPath` (with the system C compiler driver); on failure returns the
/// linker's message in `error`.
LogicalResult linkSharedLibrary(StringRef objectPath, StringRef libraryPath,
                                std::string &error);

/// The C header of the library: the qcc-c/qcc.h types and the NAME_*
/// declarations, with the model's inputs and outputs in comments and
/// constants.
std::string generateHeader(ModuleOp integerModule,
                           const CPUTargetOptions &options);

/// True when code for `options.cpu` runs on this machine: every feature of
/// that CPU is one the host has ("native" always does).
bool canRunOnHost(const CPUTargetOptions &options);

/// The runtime archive (libqcc_runtime.a) next to the running qcc, or the
/// QCC_RUNTIME_LIB environment variable; empty when not found.
std::string findRuntimeArchive();

} // namespace mlir::qcc

#endif // QCC_TARGET_CPU_CPUTARGET_H
